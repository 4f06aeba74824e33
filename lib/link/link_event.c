/* SPDX-License-Identifier: MIT */
/* Event lines (TSV or JSON) into verified events: the parallel work stage. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    char *prefix, *suffix; /* the template around {code}, or NULL */
    int gcp_len;           /* lk_parser_context */
    const char *ctx[LK_CTX__COUNT];
    int tz;                /* lk_parser_tz */
};

int lk_parser_create(lk_parser **out, const yima_keyring *ring, const char *template_text,
                     yima_err *err)
{
    lk_parser *p = calloc(1, sizeof *p);
    if (!p)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    p->ring = ring;
    p->tz = YIMA_LINK_TZ_NONE;
    int rc = yima_rowparser_create(&p->rows, "", 0, template_text, err);
    if (!rc && template_text) {
        const char *slot = strstr(template_text, "{code}");
        p->prefix = strndup(template_text, (size_t)(slot - template_text));
        p->suffix = strdup(slot + 6);
        if (!p->prefix || !p->suffix)
            rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    if (rc) {
        lk_parser_free(p);
        return rc;
    }
    *out = p;
    return YIMA_OK;
}

const char *const lk_ctx_names[LK_CTX__COUNT] = {"user", "station", "read_point", "location"};

void lk_parser_context(lk_parser *p, int gcp_len, const char *const ctx[LK_CTX__COUNT])
{
    p->gcp_len = gcp_len;
    for (int i = 0; i < LK_CTX__COUNT; i++)
        p->ctx[i] = ctx[i];
}

void lk_parser_tz(lk_parser *p, int tz)
{
    p->tz = tz;
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
    free(p->prefix);
    free(p->suffix);
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

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* 1 if the template matches s with a bare compact code in its slot. */
static int template_match(const lk_parser *p, const char *s, size_t n)
{
    size_t pl = strlen(p->prefix), sl = strlen(p->suffix);
    if (n <= pl + sl || strncasecmp(s, p->prefix, pl) != 0 || memcmp(s + n - sl, p->suffix, sl))
        return 0;
    for (size_t i = pl; i < n - sl; i++)
        if (!is_alnum((unsigned char)s[i]))
            return 0;
    return 1;
}

/* 1 if a field is a GS1 code rather than a compact one: an element string,
 * or a URL that is a Digital Link URI (it parses as one, or its path names
 * an SSCC or a GTIN, so that a faulty one is refused as GS1). A URL the
 * template matches with a bare code in its slot is a compact payload. */
static int is_gs1_field(const lk_parser *p, const char *s, size_t n)
{
    size_t run = 0;
    while (run < n && is_alnum((unsigned char)s[run]))
        run++;
    if (run == n) /* a bare compact code or unbracketed digits: verification decides */
        return 0;
    if (p->prefix && template_match(p, s, n))
        return 0;
    return yima_gs1_is_payload(s, n);
}

/* Cuts the code out of a field (a bare code or a payload) into the arena.
 * A GS1 field is kept whole: verification reads every form. */
static int extract(lk_parser *p, yima_field f, lk_code *c, const char *role, yima_err *err)
{
    yima_row row;
    yima_err e;
    char *copy = arena_copy(p, f.ptr, f.len);
    if (f.len == 0)
        return REFUSE(err, "%s is empty", role);
    c->gcp = 0;
    c->gs1 = is_gs1_field(p, copy, f.len);
    if (c->gs1) {
        int url = copy[0] == 'h' || copy[0] == 'H';
        c->text = copy;
        c->len = f.len;
        c->payload = url ? copy : NULL; /* a DL URI's domain is worth keeping */
        c->payload_len = url ? f.len : 0;
        return YIMA_OK;
    }
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

/* A GS1 field's syntax fault in words ("AI (01): check digit ..."), or "". */
static const char *gs1_detail(const lk_code *c, yima_err *e)
{
    yima_gs1 g;
    if (!c->gs1 || yima_gs1_parse(c->text, c->len, &g, e) == YIMA_OK)
        return "";
    return e->msg;
}

/* A verified code's store key: a compact code upper-cased, a GS1 code its
 * identity ("(01)GTIN(21)SERIAL", "(00)SSCC") whatever the spelling. */
static void key_text(lk_parser *p, lk_code *c, const yima_code_info *info)
{
    char key[YIMA_CODE_MAX];
    size_t n;
    c->gs1 = info->gs1;
    if (!info->gs1) {
        canonicalise((char *)c->text, c->len, info->alphabet);
        return;
    }
    if ((n = yima_code_key_text(info, c->text, c->len, key)) > 0) {
        c->text = arena_copy(p, key, n);
        c->len = n;
    }
    c->gcp = info->gcp_len ? info->gcp_len : p->gcp_len;
}

static int verify(lk_parser *p, yima_field f, lk_code *c, const char *role,
                  yima_code_info *info, yima_err *err)
{
    yima_err e;
    int rc = extract(p, f, c, role, err);
    if (rc)
        return rc;
    yima_status st = yima_code_verify(p->ring, c->text, c->len, -1, info);
    if (st == YIMA_S_OUT_OF_SCOPE)
        return out_of_scope(p, c, role, info, err);
    if (st != YIMA_S_OK) {
        const char *why = gs1_detail(c, &e);
        return REFUSE(err, "%s '%.60s': %s%s%s%s", role, c->text, yima_status_name(st),
                      status_hint(st), *why ? ": " : "", why);
    }
    if (info->inner)
        return REFUSE(err, "%s '%.60s' is an inner (redemption) code, not a packaging code", role,
                      c->text);
    key_text(p, c, info);
    c->level = (int)info->level;
    return YIMA_OK;
}

static void role_name(int type, int i, char *out, size_t size)
{
    static const char *const first[LK__TYPES] = {"", "code", "parent", "parent", "old code",
                                                 "code", "code", "code", "code"};
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

/* 1 if the type names one code, then other arguments (or none). */
static int one_code(int type)
{
    return type != LK_PACK && type != LK_UNPACK && type != LK_REPLACE;
}

/* How many fields of args are codes, and the arity check. */
static int arity(int type, int n, int *ncodes, yima_err *err)
{
    static const char *const usage[LK__TYPES] = {
        "", "COMMISSION code product lot [expiry]", "PACK parent child...",
        "UNPACK parent [child...]", "REPLACE old new", "DECOMMISSION code [reason]",
        "SHIP code party ship-to shipment", "RECEIVE code", "RETURN code"};
    static const int lo[LK__TYPES] = {0, 3, 2, 1, 2, 1, 4, 1, 1},
                     hi[LK__TYPES] = {0, 4, -1, -1, 2, 2, 4, 1, 1};
    if (n < lo[type] || (hi[type] >= 0 && n > hi[type]))
        return REFUSE(err, "%s takes %s; found %d field%s%s", lk_type_name(type), usage[type], n,
                      n == 1 ? "" : "s", n < lo[type] ? " (truncated line?)" : "");
    *ncodes = one_code(type) ? 1 : n;
    return YIMA_OK;
}

static void set_arg(lk_event *ev, int i, yima_field f)
{
    int none = f.len == 0 || (f.len == 1 && f.ptr[0] == '-');
    ev->arg[i] = none ? NULL : f.ptr;
    ev->arg_len[i] = none ? 0 : f.len;
}

void lk_gs1_date(const char *d, char out[11])
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 2000 + (d[0] - '0') * 10 + (d[1] - '0'), m = (d[2] - '0') * 10 + (d[3] - '0');
    /* AI 17 is checked (a date, two digits each) before it gets here. */
    int day = (d[4] - '0') * 10 + (d[5] - '0');
    if (day == 0 && m >= 1 && m <= 12) /* GS1: day 00 is the month's last day */
        day = days[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    memcpy(out, "20", 2);
    memcpy(out + 2, d, 2);
    out[4] = '-';
    memcpy(out + 5, d + 2, 2);
    out[7] = '-';
    out[8] = (char)('0' + day / 10 % 10);
    out[9] = (char)('0' + day % 10);
    out[10] = '\0';
}

/* COMMISSION of a GS1 code: the code says its product (GTIN), lot (AI 10)
 * and expiry (AI 17); "-" takes them from it, and an event that says
 * otherwise is refused. */
static int gs1_commission(lk_parser *p, lk_event *ev, const yima_code_info *info, yima_err *err)
{
    static const char *const what[] = {"product (GTIN)", "lot (AI 10)", "expiry (AI 17)"};
    char date[11] = "";
    const char *code_says[3] = {info->gtin, info->lot, date};
    if (info->expiry[0])
        lk_gs1_date(info->expiry, date);
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(code_says[i]);
        if (!n)
            continue;
        if (!ev->arg[i]) {
            ev->arg[i] = arena_copy(p, code_says[i], n);
            ev->arg_len[i] = n;
        } else if (i > 0 && (ev->arg_len[i] != n || memcmp(ev->arg[i], code_says[i], n)))
            return REFUSE(err, "%s '%.*s' differs from the code's: %s", what[i],
                          (int)(ev->arg_len[i] > 40 ? 40 : ev->arg_len[i]), ev->arg[i],
                          code_says[i]);
    }
    return YIMA_OK;
}

#define SHOWN(n) (int)((n) > 60 ? 60 : (n))

/* DECOMMISSION's reason is a CBV name, stored bare whatever the spelling;
 * SHIP names a party and a shipment by URIs and its ship-to location by an
 * SGLN, as EPCIS 2.0 takes them. */
static int check_args(lk_parser *p, lk_event *ev, yima_err *err)
{
    static const char *const ship_args[] = {"party", "ship-to location", "shipment"};
    if (ev->type == LK_DECOMMISSION && ev->arg[0]) {
        const char *name = lk_reason_parse(ev->arg[0], ev->arg_len[0]);
        if (!name)
            return REFUSE(err, "reason '%.*s' is not a CBV reason (sampled, damaged, destroyed, "
                          "recalled, stolen, expired)", SHOWN(ev->arg_len[0]), ev->arg[0]);
        ev->arg[0] = name;
        ev->arg_len[0] = strlen(name);
    }
    for (int i = 0; ev->type == LK_SHIP && i < 3; i++) {
        const char *v = ev->arg[i];
        size_t n = ev->arg_len[i];
        if (!v)
            return REFUSE(err, "SHIP needs a %s", ship_args[i]);
        if (i == 1 && !yima_epc_sgln_valid(arena_copy(p, v, n)))
            return REFUSE(err, "ship-to location '%.*s' is not an SGLN EPC URI "
                          "(urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension)", SHOWN(n), v);
        if (i != 1 && !lk_is_uri(v, n))
            return REFUSE(err, "%s '%.*s' is not a URI (urn:epc:id:pgln:..., "
                          "urn:epcglobal:cbv:bt:GLN:ID, https://...)", ship_args[i], SHOWN(n), v);
    }
    return YIMA_OK;
}

/* REPLACE with a GS1 label: the product (GTIN), lot and expiry the new
 * code carries, which the old label's must match. Set after the digest:
 * they are what the code says, not more content. */
static void gs1_says(lk_parser *p, lk_event *ev, const yima_code_info *info)
{
    char date[11] = "";
    const char *says[3] = {info->gtin, info->lot, date};
    if (info->expiry[0])
        lk_gs1_date(info->expiry, date);
    for (int i = 0; i < 3; i++)
        if (says[i][0]) {
            ev->arg_len[i] = strlen(says[i]);
            ev->arg[i] = arena_copy(p, says[i], ev->arg_len[i]);
        }
}

static int build(lk_parser *p, int type, const yima_field *args, int n, lk_event *ev,
                 yima_err *err)
{
    yima_code_info info, first = {0}, second = {0};
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
        rc = verify(p, args[i], &p->codes[i], role, &info, err);
        if (i == 0)
            first = info;
        if (i == 1 && type == LK_REPLACE)
            second = info;
    }
    if (rc)
        return rc;
    for (int i = ncodes; i < n && i - ncodes < 3; i++)
        set_arg(ev, i - ncodes, args[i]);
    if (type == LK_COMMISSION && first.gs1 && (rc = gs1_commission(p, ev, &first, err)))
        return rc;
    /* A GS1 case or pallet (SSCC) has no product or lot of its own. */
    if (type == LK_COMMISSION && (!ev->arg[0] || !ev->arg[1]) && !(first.gs1 && first.sscc[0]))
        return REFUSE(err, "COMMISSION needs a product and a lot");
    if (type == LK_COMMISSION && ev->arg[2] && !lk_is_date(ev->arg[2], ev->arg_len[2]))
        return REFUSE(err, "expiry '%.*s' is not a date (YYYY-MM-DD)",
                      (int)(ev->arg_len[2] > 40 ? 40 : ev->arg_len[2]), ev->arg[2]);
    if ((rc = check_args(p, ev, err)) || (rc = check_levels(ev, err)) ||
        (rc = check_duplicates(p, ev, err)))
        return rc;
    ev->digest = digest(ev);
    if (type == LK_REPLACE && second.gs1)
        gs1_says(p, ev, &second);
    for (int i = 0; i < LK_CTX__COUNT; i++)
        if (!ev->ctx[i] && p->ctx[i]) { /* the station's, where the line names none */
            ev->ctx[i] = p->ctx[i];
            ev->ctx_len[i] = strlen(p->ctx[i]);
        }
    return YIMA_OK;
}

static int set_time(const lk_parser *p, lk_event *ev, const char *s, size_t n, yima_err *err)
{
    yima_err why;
    if (yima_link_parse_time(s, n, p->tz, &ev->time_ms, &ev->tz, &why))
        return REFUSE(err, "time %s", why.msg);
    ev->has_time = 1;
    return YIMA_OK;
}

const char *lk_control_name(unsigned char c, char out[24])
{
    if (c >= 0x20 && c != 0x7f)
        return NULL;
    if (c == '\t' || c == '\n' || c == '\r')
        return c == '\t' ? "a TAB" : c == '\n' ? "a newline" : "a carriage return";
    snprintf(out, 24, "a control byte 0x%02x", c);
    return out;
}

void lk_escape_controls(yima_err *err)
{
    char out[sizeof err->msg], byte[24];
    size_t n = 0;
    if (!err)
        return;
    for (const char *s = err->msg; *s && n + 5 < sizeof out; s++) {
        unsigned char c = (unsigned char)*s;
        if (!lk_control_name(c, byte))
            out[n++] = (char)c;
        else if (c == '\t' || c == '\n' || c == '\r')
            n += (size_t)snprintf(out + n, 3, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
        else
            n += (size_t)snprintf(out + n, 5, "\\x%02x", c);
    }
    out[n] = '\0';
    memcpy(err->msg, out, n + 1);
}

/* A hand-entered or JSON field holding a control character is refused
 * before it can reach the store, where a TAB or newline would break the
 * TSV export and the rejects file. A code may hold GS, which separates a
 * raw GS1 element string's fields. The reason quotes the field; the
 * caller escapes it (lk_escape_controls). */
static int check_controls(int type, const yima_field *f, int n, yima_err *err)
{
    static const char *const arg_names[LK__TYPES][3] = {
        [LK_COMMISSION] = {"product", "lot", "expiry"}, [LK_DECOMMISSION] = {"reason"},
        [LK_SHIP] = {"party", "ship-to location", "shipment"}};
    int ncodes = one_code(type) ? 1 : n;
    char role[32], byte[24];
    for (int i = 0; i < n; i++) {
        const char *name = NULL;
        for (size_t k = 0; k < f[i].len && !name; k++)
            if (!(i < ncodes && f[i].ptr[k] == YIMA_GS1_GS))
                name = lk_control_name((unsigned char)f[i].ptr[k], byte);
        if (!name)
            continue;
        if (i < ncodes)
            role_name(type, i, role, sizeof role);
        else if (i - ncodes < 3 && arg_names[type][i - ncodes])
            snprintf(role, sizeof role, "%s", arg_names[type][i - ncodes]);
        else
            continue; /* a field too many: the arity check names it */
        return REFUSE(err, "%s '%.*s' holds %s; no field may hold a control character", role,
                      (int)(f[i].len > 60 ? 60 : f[i].len), f[i].ptr, name);
    }
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

/* A who-and-where value (user, station, read point, location), from a
 * "name=value" field or a JSON member: no control characters, and read
 * point and location SGLN EPC URIs, as the station's options. */
static int set_ctx(lk_parser *p, lk_event *ev, int which, const char *v, size_t n,
                   yima_err *err)
{
    char byte[24];
    const char *bad = NULL;
    for (size_t k = 0; k < n && !bad; k++)
        bad = lk_control_name((unsigned char)v[k], byte);
    if (n == 0)
        return REFUSE(err, "%s is empty", lk_ctx_names[which]);
    if (bad)
        return REFUSE(err, "%s '%.*s' holds %s; no field may hold a control character",
                      lk_ctx_names[which], SHOWN(n), v, bad);
    if (which >= LK_CTX_READ_POINT && !yima_epc_sgln_valid(arena_copy(p, v, n)))
        return REFUSE(err, "%s '%.*s' is not an SGLN EPC URI "
                      "(urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension)",
                      lk_ctx_names[which], SHOWN(n), v);
    if (ev->ctx[which])
        return REFUSE(err, "%s given twice", lk_ctx_names[which]);
    ev->ctx[which] = v;
    ev->ctx_len[which] = n;
    return YIMA_OK;
}

/* A "name=value" field before the type: which of lk_ctx_names, or -1. */
static int ctx_field(const yima_field *f)
{
    const char *eq = memchr(f->ptr, '=', f->len);
    for (int i = 0; eq && i < LK_CTX__COUNT; i++)
        if (strlen(lk_ctx_names[i]) == (size_t)(eq - f->ptr) &&
            !memcmp(f->ptr, lk_ctx_names[i], (size_t)(eq - f->ptr)))
            return i;
    return -1;
}

/* Leading "@ID", TIME and "name=value" fields, then TYPE; *first is the
 * index of the first argument. */
static int head(lk_parser *p, const yima_field *f, int n, lk_event *ev, int *first,
                yima_err *err)
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
        if ((rc = set_time(p, ev, f[i].ptr, f[i].len, err)))
            return rc;
        i++;
    }
    for (; i < n && memchr(f[i].ptr, '=', f[i].len); i++) {
        int which = ctx_field(&f[i]);
        if (which < 0)
            return REFUSE(err, "unknown field '%.*s' before the event type (user=, station=, "
                          "read_point=, location=)", SHOWN(f[i].len), f[i].ptr);
        size_t name = strlen(lk_ctx_names[which]) + 1;
        if ((rc = set_ctx(p, ev, which, f[i].ptr + name, f[i].len - name, err)))
            return rc;
    }
    if (i >= n)
        return REFUSE(err, "no event type (truncated line?)");
    ev->type = lk_type_parse(f[i].ptr, f[i].len);
    if (ev->type < 0)
        return REFUSE(err, "unknown event type '%.*s' (COMMISSION, PACK, UNPACK, REPLACE, "
                      "DECOMMISSION, SHIP, RECEIVE, RETURN)", (int)(f[i].len > 30 ? 30 : f[i].len),
                      f[i].ptr);
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
static const char *const json_keys[LK__TYPES][5] = {
    {0}, {"code", "product", "lot", "expiry"}, {"parent", "children"}, {"parent", "children"},
    {"old", "new"}, {"code", "reason"}, {"code", "party", "ship_to", "shipment"}, {"code"},
    {"code"}};

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
    for (int i = 0; i < LK_CTX__COUNT; i++)
        if (!strcmp(key, lk_ctx_names[i]))
            return 1;
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
        return REFUSE(err, "JSON event needs \"type\": COMMISSION, PACK, UNPACK, REPLACE, "
                      "DECOMMISSION, SHIP, RECEIVE or RETURN");
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
    if (v && (rc = set_time(p, ev, json_string_value(v), json_string_length(v), err)))
        return rc;
    for (int i = 0; i < LK_CTX__COUNT && !rc; i++) {
        if (!(v = json_object_get(obj, lk_ctx_names[i])))
            continue;
        if (!json_is_string(v))
            return REFUSE(err, "\"%s\" must be a string", lk_ctx_names[i]);
        f.ptr = arena_copy(p, json_string_value(v), json_string_length(v));
        rc = set_ctx(p, ev, i, f.ptr, json_string_length(v), err);
    }
    for (int i = 0; i < 5 && json_keys[ev->type][i] && !rc; i++) {
        rc = json_collect(p, obj, json_keys[ev->type][i], &n, err);
        if (!rc && i == 0)
            rc = json_collect(p, obj, "child", &n, err);
    }
    rc = rc ? rc : check_controls(ev->type, p->fields, n, err);
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
    /* Every copy of one event fits in 6x its line (values, codes, GS1 keys
     * with their parentheses, SGLNs to check, NULs) plus what a GS1 code's
     * COMMISSION adds. */
    if (yima_buf_reserve(&p->arena, 6 * len + 256))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return YIMA_OK;
}

static int parse_line(lk_parser *p, char *line, size_t len, lk_event *ev, yima_err *err)
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
    /* GS (0x1d) separates a raw GS1 element string's fields. */
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)line[k] < 0x20 && line[k] != '\t' && line[k] != YIMA_GS1_GS)
            return REFUSE(err, "binary data (byte 0x%02x at column %zu), not text",
                          (unsigned char)line[k], k + 1);
    if ((rc = split_tabs(p, line, len, &n, err)) ||
        (rc = head(p, p->fields, n, ev, &first, err)))
        return rc;
    return build(p, ev->type, p->fields + first, n - first, ev, err);
}

int lk_parse_line(lk_parser *p, char *line, size_t len, lk_event *ev, yima_err *err)
{
    int rc = parse_line(p, line, len, ev, err);
    if (rc == YIMA_E_DATA)
        lk_escape_controls(err);
    return rc;
}

static int parse_fields(lk_parser *p, const char *const *fields, int n, lk_event *ev,
                        yima_err *err)
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
    if ((rc = head(p, p->fields, n, ev, &first, err)) ||
        (rc = check_controls(ev->type, p->fields + first, n - first, err)))
        return rc;
    return build(p, ev->type, p->fields + first, n - first, ev, err);
}

int lk_parse_fields(lk_parser *p, const char *const *fields, int n, lk_event *ev, yima_err *err)
{
    int rc = parse_fields(p, fields, n, ev, err);
    if (rc == YIMA_E_DATA)
        lk_escape_controls(err);
    return rc;
}

int lk_code_lookup_text(lk_parser *p, const char *text, size_t len, lk_code *c, yima_err *err)
{
    yima_code_info info;
    int rc = start_event(p, &(lk_event){0}, len, err);
    if (rc || (rc = extract(p, (yima_field){text, len}, c, "code", err)))
        return rc;
    /* Only the structure: trace needs no key, and a typo should still say so. */
    yima_status st = yima_code_parse(c->text, c->len, &info);
    yima_err e;
    if (st != YIMA_S_OK) {
        const char *why = gs1_detail(c, &e);
        return REFUSE(err, "code '%.60s': %s%s%s%s", c->text, yima_status_name(st),
                      status_hint(st), *why ? ": " : "", why);
    }
    key_text(p, c, &info);
    return YIMA_OK;
}

int lk_verify_codes(lk_parser *p, const yima_field *fields, int n, const char *const *roles,
                    lk_code *codes, yima_err *err)
{
    yima_code_info info;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += fields[i].len + 1;
    int rc = start_event(p, &(lk_event){0}, total, err);
    for (int i = 0; i < n && !rc; i++)
        rc = verify(p, fields[i], &codes[i], roles[i], &info, err);
    if (rc == YIMA_E_DATA)
        lk_escape_controls(err);
    return rc;
}
