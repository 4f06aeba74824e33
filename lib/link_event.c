/* SPDX-License-Identifier: MIT */
/* Event lines (TSV or JSON) into verified events: the parallel work stage. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include <sodium.h>
#include "link_internal.h"
#include "pipeline.h"

struct lk_parser {
    const yima_keyring *ring;
    yima_rowparser *rows;  /* a txt parser: cuts codes out of payloads */
    yima_field *fields;    /* the current line's fields */
    int fields_cap;
    lk_code *codes;
    int codes_cap;
    int *order;            /* duplicate check */
    yima_buf arena;        /* copies of codes and JSON values for one event */
};

int lk_parser_create(lk_parser **out, const yima_keyring *ring, const char *template_text,
                     yima_err *err)
{
    lk_parser *p = calloc(1, sizeof *p);
    if (!p)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    p->ring = ring;
    int rc = yima_rowparser_create(&p->rows, "", 0, template_text, err);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return YIMA_OK;
}

void lk_parser_free(lk_parser *p)
{
    if (!p)
        return;
    yima_rowparser_free(p->rows);
    free(p->fields);
    free(p->codes);
    free(p->order);
    yima_buf_free(&p->arena);
    free(p);
}

/* A refused event: YIMA_E_DATA with the reason, which becomes the reject's. */
#define REFUSE(err, ...) yima_err_set(err, YIMA_E_DATA, __VA_ARGS__)

static int grow(void **arr, int *cap, int need, size_t elem, yima_err *err)
{
    if (need <= *cap)
        return YIMA_OK;
    int n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*arr, (size_t)n * elem);
    if (!q)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    *arr = q;
    *cap = n;
    return YIMA_OK;
}

/* Copies into the arena, which was sized for the whole event up front so
 * earlier pointers stay valid. */
static char *arena_copy(lk_parser *p, const char *s, size_t n)
{
    char *d = (char *)p->arena.data + p->arena.len;
    memcpy(d, s, n);
    d[n] = '\0';
    p->arena.len += n + 1;
    return d;
}

static void canonicalise(char *text, size_t len, yima_alphabet alphabet)
{
    if (alphabet != YIMA_ALPHABET_BASE32)
        return;
    for (size_t i = 0; i < len; i++) {
        int v = yima_char_value(alphabet, (unsigned char)text[i]);
        if (v >= 0)
            text[i] = yima_base32_chars[v];
    }
}

/* Cuts the code out of a field (a bare code or a payload) into the arena. */
static int extract(lk_parser *p, yima_field f, lk_code *c, const char *role, yima_err *err)
{
    yima_row row;
    yima_err e;
    char *copy = arena_copy(p, f.ptr, f.len);
    if (f.len == 0)
        return REFUSE(err, "%s is empty", role);
    if (yima_rowparser_parse(p->rows, copy, f.len, &row, role, 0, &e)) {
        const char *msg = strstr(e.msg, ": ");
        return REFUSE(err, "%s '%.60s': %s", role, copy, msg ? msg + 2 : e.msg);
    }
    int is_payload = row.code.len != f.len;
    c->payload = is_payload ? copy : NULL;
    c->payload_len = is_payload ? f.len : 0;
    c->text = arena_copy(p, row.code.ptr, row.code.len);
    c->len = row.code.len;
    return YIMA_OK;
}

static const char *status_hint(yima_status s)
{
    switch (s) {
    case YIMA_S_BAD_SIGNATURE: return " (forged or damaged: signature does not verify)";
    case YIMA_S_BAD_MAC: return " (forged or damaged: mac does not verify)";
    case YIMA_S_BAD_CHECK: return " (a typo: check character wrong)";
    case YIMA_S_UNKNOWN_KEY: return " (no key with this id was given)";
    case YIMA_S_NEED_SECRET: return " (mac and none codes need the secret key)";
    default: return "";
    }
}

/* The scoped key that refused a code of another batch, named with its
 * scope as keygen and verify name it. */
static int out_of_scope(const lk_parser *p, const lk_code *c, const char *role,
                        const yima_code_info *info, yima_err *err)
{
    const yima_key *k = yima_keyring_find(p->ring, info->key_id);
    char scope[128];
    while (k && !yima_key_is_scoped(k))
        k = yima_keyring_next(k);
    if (!k || !info->position_known)
        return REFUSE(err, "%s '%.60s': %s (outside the scope of the line key)", role, c->text,
                      yima_status_name(YIMA_S_OUT_OF_SCOPE));
    yima_key_scope_describe(k, scope, sizeof scope);
    return REFUSE(err, "%s '%.60s': %s: batch %u is outside the scope of line key %d "
                  "(batches %s)", role, c->text, yima_status_name(YIMA_S_OUT_OF_SCOPE),
                  info->batch, info->key_id, scope);
}

static int verify(lk_parser *p, yima_field f, lk_code *c, const char *role, yima_err *err)
{
    yima_code_info info;
    int rc = extract(p, f, c, role, err);
    if (rc)
        return rc;
    yima_status st = yima_code_verify(p->ring, c->text, c->len, -1, &info);
    if (st == YIMA_S_OUT_OF_SCOPE)
        return out_of_scope(p, c, role, &info, err);
    if (st != YIMA_S_OK)
        return REFUSE(err, "%s '%.60s': %s%s", role, c->text, yima_status_name(st),
                      status_hint(st));
    if (info.inner)
        return REFUSE(err, "%s '%.60s' is an inner (redemption) code, not a packaging code", role,
                      c->text);
    canonicalise((char *)c->text, c->len, info.alphabet);
    c->level = (int)info.level;
    return YIMA_OK;
}

static void role_name(int type, int i, char *out, size_t size)
{
    static const char *const first[] = {"", "code", "parent", "parent", "old code", "code"};
    if (i == 0)
        snprintf(out, size, "%s", first[type]);
    else if (type == LK_REPLACE)
        snprintf(out, size, "new code");
    else
        snprintf(out, size, "child %d", i);
}

static int cmp_code(const void *a, const void *b, void *arg)
{
    const lk_code *c = arg;
    const lk_code *x = &c[*(const int *)a], *y = &c[*(const int *)b];
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int r = memcmp(x->text, y->text, x->len);
    return r ? r : (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

static int check_duplicates(lk_parser *p, lk_event *ev, yima_err *err)
{
    int n = ev->ncodes;
    int *o = realloc(p->order, (size_t)n * sizeof *o);
    if (!o)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    p->order = o;
    for (int i = 0; i < n; i++)
        o[i] = i;
    qsort_r(o, (size_t)n, sizeof *o, cmp_code, ev->codes);
    for (int i = 1; i < n; i++) {
        const lk_code *a = &ev->codes[o[i - 1]], *b = &ev->codes[o[i]];
        if (a->len == b->len && memcmp(a->text, b->text, a->len) == 0) {
            char r1[32], r2[32];
            role_name(ev->type, o[i - 1], r1, sizeof r1);
            role_name(ev->type, o[i], r2, sizeof r2);
            return REFUSE(err, "%s '%.60s' appears twice in the event (also as %s)", r2, b->text,
                          r1);
        }
    }
    return YIMA_OK;
}

static int check_levels(const lk_event *ev, yima_err *err)
{
    const lk_code *c = ev->codes;
    if (ev->type == LK_REPLACE && c[1].level != c[0].level)
        return REFUSE(err, "new code '%.60s' is a %s code, old code '%.60s' is a %s code",
                      c[1].text, yima_level_name(c[1].level), c[0].text,
                      yima_level_name(c[0].level));
    if (ev->type != LK_PACK && ev->type != LK_UNPACK)
        return YIMA_OK;
    if (c[0].level == YIMA_LEVEL_ITEM)
        return REFUSE(err, "parent '%.60s' is an item code; only case and pallet codes hold "
                      "others", c[0].text);
    for (int i = 1; i < ev->ncodes; i++)
        if (c[i].level != c[0].level - 1)
            return REFUSE(err, "child %d '%.60s' is a %s code, but a %s holds %s codes", i,
                          c[i].text, yima_level_name(c[i].level), yima_level_name(c[0].level),
                          yima_level_name(c[0].level - 1));
    return YIMA_OK;
}

static void digest_field(crypto_generichash_state *st, const void *data, size_t n)
{
    /* Length-prefixed, so no two different events hash the same fields. */
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    crypto_generichash_update(st, len, sizeof len);
    crypto_generichash_update(st, data, n);
}

/* The event's content: a re-run with the same id and digest is skipped, the
 * same id with another digest is a clash. BLAKE2b-64 over type and fields;
 * stored, so it must never change. */
static uint64_t digest(const lk_event *ev)
{
    crypto_generichash_state st;
    unsigned char type = (unsigned char)ev->type, out[8];
    uint64_t h = 0;
    crypto_generichash_init(&st, NULL, 0, sizeof out);
    crypto_generichash_update(&st, &type, 1);
    for (int i = 0; i < ev->ncodes; i++)
        digest_field(&st, ev->codes[i].text, ev->codes[i].len);
    for (int i = 0; i < 3; i++)
        digest_field(&st, ev->arg[i] ? ev->arg[i] : "", ev->arg[i] ? ev->arg_len[i] : 0);
    crypto_generichash_final(&st, out, sizeof out);
    for (int i = 7; i >= 0; i--)
        h = h << 8 | out[i];
    return h;
}

/* How many fields of args are codes, and the arity check. */
static int arity(int type, int n, int *ncodes, yima_err *err)
{
    static const char *const usage[] = {"", "COMMISSION code product lot [expiry]",
                                        "PACK parent child...", "UNPACK parent [child...]",
                                        "REPLACE old new", "DECOMMISSION code [reason]"};
    static const int lo[] = {0, 3, 2, 1, 2, 1}, hi[] = {0, 4, -1, -1, 2, 2};
    if (n < lo[type] || (hi[type] >= 0 && n > hi[type]))
        return REFUSE(err, "%s takes %s; found %d field%s%s", lk_type_name(type), usage[type], n,
                      n == 1 ? "" : "s", n < lo[type] ? " (truncated line?)" : "");
    *ncodes = type == LK_COMMISSION || type == LK_DECOMMISSION ? 1 : n;
    return YIMA_OK;
}

static void set_arg(lk_event *ev, int i, yima_field f)
{
    int none = f.len == 0 || (f.len == 1 && f.ptr[0] == '-');
    ev->arg[i] = none ? NULL : f.ptr;
    ev->arg_len[i] = none ? 0 : f.len;
}

static int build(lk_parser *p, int type, const yima_field *args, int n, lk_event *ev,
                 yima_err *err)
{
    int ncodes = 0;
    ev->type = type;
    int rc = arity(type, n, &ncodes, err);
    rc = rc ? rc : grow((void **)&p->codes, &p->codes_cap, ncodes, sizeof *p->codes, err);
    if (rc)
        return rc;
    ev->codes = p->codes;
    ev->ncodes = ncodes;
    for (int i = 0; i < ncodes && !rc; i++) {
        char role[32];
        role_name(type, i, role, sizeof role);
        rc = verify(p, args[i], &p->codes[i], role, err);
    }
    if (rc)
        return rc;
    for (int i = ncodes; i < n && i - ncodes < 3; i++)
        set_arg(ev, i - ncodes, args[i]);
    if (type == LK_COMMISSION && (!ev->arg[0] || !ev->arg[1]))
        return REFUSE(err, "COMMISSION needs a product and a lot");
    int64_t ms;
    if (type == LK_COMMISSION && ev->arg[2] &&
        (ev->arg_len[2] != 10 || yima_link_parse_time(ev->arg[2], 10, &ms, NULL)))
        return REFUSE(err, "expiry '%.*s' is not a date (YYYY-MM-DD)",
                      (int)(ev->arg_len[2] > 40 ? 40 : ev->arg_len[2]), ev->arg[2]);
    if ((rc = check_levels(ev, err)) || (rc = check_duplicates(p, ev, err)))
        return rc;
    ev->digest = digest(ev);
    return YIMA_OK;
}

static int set_time(lk_event *ev, const char *s, size_t n, yima_err *err)
{
    if (yima_link_parse_time(s, n, &ev->time_ms, &ev->tz))
        return REFUSE(err, "time '%.*s' is not RFC 3339 (2024-05-01T08:00:00+08:00)",
                      (int)(n > 40 ? 40 : n), s);
    ev->has_time = 1;
    return YIMA_OK;
}

/* Ids travel in TSV exports and reject files: no tabs, newlines or the like. */
static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Leading "@ID" and TIME fields, then TYPE; *first is the index of the
 * first argument. */
static int head(const yima_field *f, int n, lk_event *ev, int *first, yima_err *err)
{
    int i = 0, rc;
    if (i < n && f[i].len > 0 && f[i].ptr[0] == '@') {
        if (f[i].len == 1)
            return REFUSE(err, "empty event id '@'");
        ev->id = f[i].ptr + 1;
        ev->id_len = f[i].len - 1;
        i++;
    }
    if (i < n && f[i].len > 0 && f[i].ptr[0] >= '0' && f[i].ptr[0] <= '9') {
        if ((rc = set_time(ev, f[i].ptr, f[i].len, err)))
            return rc;
        i++;
    }
    if (i >= n)
        return REFUSE(err, "no event type (truncated line?)");
    ev->type = lk_type_parse(f[i].ptr, f[i].len);
    if (ev->type < 0)
        return REFUSE(err, "unknown event type '%.*s' (COMMISSION, PACK, UNPACK, REPLACE, "
                      "DECOMMISSION)", (int)(f[i].len > 30 ? 30 : f[i].len), f[i].ptr);
    *first = i + 1;
    return YIMA_OK;
}

/* The line's fields into p->fields; *n is their count. */
static int split_tabs(lk_parser *p, char *line, size_t len, int *n, yima_err *err)
{
    char *s = line, *end = line + len;
    *n = 0;
    for (;;) {
        int rc = grow((void **)&p->fields, &p->fields_cap, *n + 1, sizeof *p->fields, err);
        if (rc)
            return rc;
        char *tab = memchr(s, '\t', (size_t)(end - s));
        p->fields[(*n)++] = (yima_field){s, (size_t)((tab ? tab : end) - s)};
        if (!tab)
            return YIMA_OK;
        s = tab + 1;
    }
}

/* JSON members in the order of the TSV fields, per type. */
static const char *const json_keys[][5] = {
    {0}, {"code", "product", "lot", "expiry"}, {"parent", "children"}, {"parent", "children"},
    {"old", "new"}, {"code", "reason"}};

/* A string or integer member as a field; YIMA_E_DATA (worded by the
 * caller) for anything else. */
static int json_field(lk_parser *p, json_t *v, yima_field *f)
{
    char num[32];
    const char *s = num;
    size_t n;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    } else {
        return YIMA_E_DATA;
    }
    f->ptr = arena_copy(p, s, n);
    f->len = n;
    return YIMA_OK;
}

static int is_known_member(int type, const char *key)
{
    if (!strcmp(key, "id") || !strcmp(key, "time") || !strcmp(key, "type") ||
        (!strcmp(key, "child") && (type == LK_PACK || type == LK_UNPACK)))
        return 1;
    for (int i = 0; i < 5 && json_keys[type][i]; i++)
        if (!strcmp(key, json_keys[type][i]))
            return 1;
    return 0;
}

/* Appends member key's value(s) as fields; arrays spread. */
static int json_collect(lk_parser *p, json_t *obj, const char *key, int *n, yima_err *err)
{
    json_t *v = json_object_get(obj, key);
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    if (!v)
        return YIMA_OK;
    int rc = grow((void **)&p->fields, &p->fields_cap, *n + (int)count, sizeof *p->fields, err);
    for (size_t i = 0; i < count && !rc; i++)
        if (json_field(p, json_is_array(v) ? json_array_get(v, i) : v, &p->fields[(*n)++]))
            rc = REFUSE(err, "JSON member \"%s\" must be a string%s", key,
                        json_is_array(v) ? " array" : "");
    return rc;
}

static int json_event(lk_parser *p, json_t *obj, lk_event *ev, yima_err *err)
{
    yima_field f;
    json_t *type = json_object_get(obj, "type"), *v;
    const char *key;
    int n = 0, rc = YIMA_OK;
    if (!json_is_string(type) ||
        (ev->type = lk_type_parse(json_string_value(type), json_string_length(type))) < 0)
        return REFUSE(err, "JSON event needs \"type\": COMMISSION, PACK, UNPACK, REPLACE or "
                      "DECOMMISSION");
    json_object_foreach(obj, key, v) {
        if (!is_known_member(ev->type, key))
            return REFUSE(err, "unknown member \"%.40s\" in a %s event", key,
                          lk_type_name(ev->type));
    }
    if ((v = json_object_get(obj, "id"))) {
        if (json_field(p, v, &f) || f.len == 0 || has_control(f.ptr, f.len))
            return REFUSE(err,
                          "\"id\" must be a non-empty string or number without control characters");
        ev->id = f.ptr;
        ev->id_len = f.len;
    }
    if ((v = json_object_get(obj, "time")) && !json_is_string(v))
        return REFUSE(err, "\"time\" must be a string");
    if (v && (rc = set_time(ev, json_string_value(v), json_string_length(v), err)))
        return rc;
    for (int i = 0; i < 5 && json_keys[ev->type][i] && !rc; i++) {
        rc = json_collect(p, obj, json_keys[ev->type][i], &n, err);
        if (!rc && i == 0)
            rc = json_collect(p, obj, "child", &n, err);
    }
    return rc ? rc : build(p, ev->type, p->fields, n, ev, err);
}

static int parse_json(lk_parser *p, const char *line, size_t len, lk_event *ev, yima_err *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return REFUSE(err, "invalid JSON at column %d: %s", obj ? 1 : jerr.column,
                      obj ? "not an object" : jerr.text);
    }
    int rc = json_event(p, obj, ev, err);
    json_decref(obj);
    return rc;
}

static int start_event(lk_parser *p, lk_event *ev, size_t len, yima_err *err)
{
    memset(ev, 0, sizeof *ev);
    p->arena.len = 0;
    /* Every copy of one event fits in 3x its line (values, codes, NULs). */
    if (yima_buf_reserve(&p->arena, 3 * len + 64))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return YIMA_OK;
}

int lk_parse_line(lk_parser *p, char *line, size_t len, lk_event *ev, yima_err *err)
{
    int n, first, rc;
    ev->type = 0; /* a blank or comment line */
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len || line[i] == '#')
        return YIMA_OK;
    if ((rc = start_event(p, ev, len, err)))
        return rc;
    if (line[i] == '{')
        return parse_json(p, line, len, ev, err);
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)line[k] < 0x20 && line[k] != '\t')
            return REFUSE(err, "binary data (byte 0x%02x at column %zu), not text",
                          (unsigned char)line[k], k + 1);
    if ((rc = split_tabs(p, line, len, &n, err)) || (rc = head(p->fields, n, ev, &first, err)))
        return rc;
    return build(p, ev->type, p->fields + first, n - first, ev, err);
}

int lk_parse_fields(lk_parser *p, const char *const *fields, int n, lk_event *ev, yima_err *err)
{
    size_t total = 0;
    int first;
    for (int i = 0; i < n; i++)
        total += strlen(fields[i]) + 1;
    int rc = start_event(p, ev, 2 * total, err);
    rc = rc ? rc : grow((void **)&p->fields, &p->fields_cap, n, sizeof *p->fields, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        p->fields[i] = (yima_field){arena_copy(p, fields[i], strlen(fields[i])), strlen(fields[i])};
    if ((rc = head(p->fields, n, ev, &first, err)))
        return rc;
    return build(p, ev->type, p->fields + first, n - first, ev, err);
}

int lk_code_lookup_text(lk_parser *p, const char *text, size_t len, lk_code *c, yima_err *err)
{
    yima_code_info info;
    int rc = start_event(p, &(lk_event){0}, len, err);
    if (rc || (rc = extract(p, (yima_field){text, len}, c, "code", err)))
        return rc;
    /* Only the structure: trace needs no key, and a typo should still say so. */
    yima_status st = yima_code_parse(c->text, c->len, &info);
    if (st != YIMA_S_OK)
        return REFUSE(err, "code '%.60s': %s%s", c->text, yima_status_name(st), status_hint(st));
    canonicalise((char *)c->text, c->len, info.alphabet);
    return YIMA_OK;
}
