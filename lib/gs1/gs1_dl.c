/* SPDX-License-Identifier: MIT */
/*
 * GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax, release 1.2
 * and later): https://any.host/any/prefix/{key}/{value}[/{qualifier}/{value}...]
 * [?{ai}={value}&...]. Which AIs are primary keys, their qualifiers and the
 * qualifiers' order come from the dictionary's dlpkey attribute (the AI
 * table's dlpkey field); which AIs may be query attributes from its '?' flag.
 */
#include <stdio.h>
#include <string.h>
#include "gs1/gs1_internal.h"

#define DL_MAX_QUALS 8     /* longest qualifier path in the dictionary: 3 */
#define DL_MAX_ALTS 4      /* most alternatives of one key: 2 */
#define DL_MAX_SEGMENTS 64 /* path segments read; a key and its qualifiers need 8 */
#define DL_CANONICAL_BASE "https://id.gs1.org"
#define DL "Digital Link: " /* every message starts so */

typedef struct dl_span {
    const char *p;
    size_t n;
} dl_span;

/* One qualifier path of a primary key, e.g. 22, 10, 21. */
typedef struct dl_path {
    int n;
    char ai[DL_MAX_QUALS][5];
} dl_path;

typedef struct dl_key {
    const yima_gs1_ai *entry;
    int npath; /* elements read from the path, the key included */
    int nalt;
    dl_path alt[DL_MAX_ALTS];
} dl_key;

/* Splits a dlpkey attribute ("" or "22,10,21|235") into its alternatives;
 * a key without qualifiers has one empty alternative. */
static void dl_key_load(const yima_gs1_ai *entry, dl_key *k)
{
    memset(k, 0, sizeof *k);
    k->entry = entry;
    k->nalt = 1;
    size_t len = 0;
    for (const char *s = entry->dlpkey;; s++) {
        dl_path *path = &k->alt[k->nalt - 1];
        if (*s >= '0' && *s <= '9') {
            if (len < 4 && path->n < DL_MAX_QUALS)
                path->ai[path->n][len++] = *s;
            continue;
        }
        if (len > 0)
            path->n++;
        len = 0;
        if (*s == '\0')
            break;
        if (*s == '|' && k->nalt < DL_MAX_ALTS)
            k->nalt++;
    }
}

/* Position of ai in path, or -1. */
static int dl_path_index(const dl_path *path, const char *ai)
{
    for (int i = 0; i < path->n; i++)
        if (strcmp(path->ai[i], ai) == 0)
            return i;
    return -1;
}

/* 1 if q[0..m) is in path's order, each at most once (qualifiers are optional). */
static int dl_path_fits(const dl_path *path, const char (*q)[5], int m)
{
    int last = -1;
    for (int i = 0; i < m; i++) {
        int at = dl_path_index(path, q[i]);
        if (at <= last)
            return 0;
        last = at;
    }
    return 1;
}

static int dl_seq_valid(const dl_key *k, const char (*q)[5], int m)
{
    for (int a = 0; a < k->nalt; a++)
        if (dl_path_fits(&k->alt[a], q, m))
            return 1;
    return 0;
}

/* "22, 10, 21 or 235" (only < 0) or alternative only's "22, 10, 21", for messages. */
static void dl_order_text(const dl_key *k, int only, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int a = 0; a < k->nalt && len < cap; a++) {
        const dl_path *path = &k->alt[a];
        if (only >= 0 && a != only)
            continue;
        if (len > 0)
            len += (size_t)snprintf(buf + len, cap - len, " or ");
        for (int i = 0; i < path->n && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", path->ai[i]);
    }
}

/* The first alternative holding ai, or -1. */
static int dl_alt_of(const dl_key *k, const char *ai)
{
    for (int a = 0; a < k->nalt; a++)
        if (dl_path_index(&k->alt[a], ai) >= 0)
            return a;
    return -1;
}

static int dl_in_any_alt(const dl_key *k, const char *ai)
{
    return dl_alt_of(k, ai) >= 0;
}

/* Faults of qualifiers that are each some qualifier of the key, seen once:
 * two from different alternatives, or two in the wrong order. */
static int dl_mix_or_order_error(const dl_key *k, const char (*q)[5], int m, yima_err *err)
{
    char order[96];
    int a = dl_alt_of(k, q[0]);
    for (int i = 1; i < m; i++)
        if (dl_path_index(&k->alt[a], q[i]) < 0) {
            dl_order_text(k, -1, order, sizeof order);
            return yima_err_set(err, YIMA_E_DATA,
                                DL "/%s and /%s do not qualify /%s together; the path order is %s",
                                q[0], q[i], k->entry->ai, order);
        }
    dl_order_text(k, a, order, sizeof order);
    for (int i = 1; i < m; i++)
        if (dl_path_index(&k->alt[a], q[i]) < dl_path_index(&k->alt[a], q[i - 1]))
            return yima_err_set(err, YIMA_E_DATA, DL "/%s comes before /%s; the path order is %s",
                                q[i - 1], q[i], order);
    return yima_err_set(err, YIMA_E_DATA, DL "qualifiers of /%s out of order", k->entry->ai);
}

/* Names the first fault of a qualifier sequence that dl_seq_valid refused. */
static int dl_order_error(const dl_key *k, const char (*q)[5], int m, yima_err *err)
{
    char order[96];
    const char *key = k->entry->ai;
    dl_order_text(k, -1, order, sizeof order);
    if (order[0] == '\0')
        return yima_err_set(err, YIMA_E_DATA,
                            DL "/%s is not a key qualifier of /%s, which takes none", q[0], key);
    for (int i = 0; i < m; i++) {
        if (!dl_in_any_alt(k, q[i]))
            return yima_err_set(err, YIMA_E_DATA,
                                DL "/%s is not a key qualifier of /%s; the path order is %s", q[i],
                                key, order);
        for (int j = 0; j < i; j++)
            if (strcmp(q[i], q[j]) == 0)
                return yima_err_set(err, YIMA_E_DATA, DL "/%s appears twice in the path", q[i]);
    }
    return dl_mix_or_order_error(k, q, m, err);
}

/* The table entry of a span of 2 to 4 digits, or NULL. */
static const yima_gs1_ai *dl_ai_of(dl_span s, char ai[5])
{
    if (s.n < 2 || s.n > 4)
        return NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return NULL;
    memcpy(ai, s.p, s.n);
    ai[s.n] = '\0';
    return yima_gs1_ai_find(ai);
}

int yima_gs1_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes an AI's value. In the query '+' stands for a space, as in
 * HTML forms and GS1's own syntax engine; in the path it is itself. */
static int dl_unescape(const char *ai, dl_span s, int query, char out[YIMA_GS1_VALUE_MAX + 1],
                       size_t *outlen, yima_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        int c = (unsigned char)s.p[i];
        if (c == '%') {
            int hi = i + 2 < s.n ? yima_gs1_hex_value(s.p[i + 1]) : -1;
            int lo = hi >= 0 ? yima_gs1_hex_value(s.p[i + 2]) : -1;
            if (lo < 0)
                return yima_err_set(err, YIMA_E_DATA,
                                    DL "AI (%s): '%%' not followed by two hex digits", ai);
            c = hi * 16 + lo;
            i += 2;
            if (c == 0)
                return yima_err_set(err, YIMA_E_DATA, DL "AI (%s): %%00 in the value", ai);
        } else if (c == '+' && query) {
            c = ' ';
        }
        if (n == YIMA_GS1_VALUE_MAX)
            return yima_err_set(err, YIMA_E_DATA, DL "AI (%s): value longer than %d characters", ai,
                                YIMA_GS1_VALUE_MAX);
        out[n++] = (char)c;
    }
    out[n] = '\0';
    *outlen = n;
    return YIMA_OK;
}

/* Decodes and appends one element; a GTIN-8, -12 or -13 is padded to 14 digits. */
static int dl_add(yima_gs1 *g, const char *ai, dl_span raw, int query, yima_err *err)
{
    char value[YIMA_GS1_VALUE_MAX + 1];
    size_t len = 0;
    if (raw.n == 0)
        return yima_err_set(err, YIMA_E_DATA, DL "AI (%s) has an empty value", ai);
    int rc = dl_unescape(ai, raw, query, value, &len, err);
    if (rc != YIMA_OK)
        return rc;
    if (yima_gs1_get(g, ai) != NULL)
        return yima_err_set(err, YIMA_E_DATA, DL "AI (%s) appears twice", ai);
    if (strcmp(ai, "01") == 0 && (len == 8 || len == 12 || len == 13)) {
        char gtin[15];
        if ((rc = yima_gtin_normalize(value, gtin, err)) != YIMA_OK)
            return rc;
        memcpy(value, gtin, sizeof gtin);
        len = 14;
    }
    return yima_gs1_add(g, ai, value, len, err);
}

/* Characters a URI may hold (RFC 3986: unreserved, reserved and '%'). */
static int dl_uri_char(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

static int dl_prefix_nocase(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

/* Splits uri into its path and query (the fragment is dropped), after the
 * scheme and a host of any name. */
static int dl_split(const char *uri, size_t len, dl_span *path, dl_span *query, yima_err *err)
{
    for (size_t i = 0; i < len; i++)
        if (!dl_uri_char((unsigned char)uri[i]))
            return yima_err_set(err, YIMA_E_DATA,
                                DL "byte 0x%02x at offset %zu cannot appear in a URI",
                                (unsigned char)uri[i], i);
    size_t at;
    if (dl_prefix_nocase(uri, len, "https://"))
        at = 8;
    else if (dl_prefix_nocase(uri, len, "http://"))
        at = 7;
    else
        return yima_err_set(err, YIMA_E_DATA, DL "the URI does not start with https:// or http://");
    size_t host = at;
    while (at < len && !strchr("/?#", uri[at]))
        at++;
    if (at == host || at == len || uri[at] != '/')
        return yima_err_set(err, YIMA_E_DATA, DL "no host and path after the scheme");
    const char *hash = memchr(uri + at, '#', len - at);
    if (hash)
        len = (size_t)(hash - uri);
    const char *q = memchr(uri + at, '?', len - at);
    size_t path_end = q ? (size_t)(q - uri) : len;
    *path = (dl_span){uri + at, path_end - at};
    *query = q ? (dl_span){q + 1, len - path_end - 1} : (dl_span){uri + len, 0};
    return YIMA_OK;
}

/* Segments of a path that starts with '/'. */
static int dl_segments(dl_span path, dl_span seg[DL_MAX_SEGMENTS], int *nseg, yima_err *err)
{
    if (path.n > 1 && path.p[path.n - 1] == '/')
        return yima_err_set(err, YIMA_E_DATA, DL "the path ends with '/'");
    int n = 0;
    size_t i = 1;
    while (i <= path.n) {
        size_t start = i;
        while (i < path.n && path.p[i] != '/')
            i++;
        if (n == DL_MAX_SEGMENTS)
            return yima_err_set(err, YIMA_E_DATA, DL "more than %d path segments", DL_MAX_SEGMENTS);
        seg[n++] = (dl_span){path.p + start, i - start};
        i++;
    }
    *nseg = n;
    return YIMA_OK;
}

/* The primary key is the last /{ai}/{value} pair, walking back from the end
 * of the path over known AIs, whose AI is a primary key; whatever comes
 * before it is the host's own path prefix. -1 if there is none. */
static int dl_find_key(const dl_span *seg, int nseg)
{
    char ai[5];
    for (int i = nseg - 2; i >= 0; i -= 2) {
        const yima_gs1_ai *entry = dl_ai_of(seg[i], ai);
        if (!entry)
            break;
        if (entry->dlpkey)
            return i;
    }
    return -1;
}

static int dl_read_path(const dl_span *seg, int nseg, int at, dl_key *k, yima_gs1 *g, yima_err *err)
{
    char key[5], q[DL_MAX_QUALS][5];
    int m = 0;
    dl_key_load(dl_ai_of(seg[at], key), k);
    for (int i = at + 2; i < nseg; i += 2) {
        if (m == DL_MAX_QUALS)
            return yima_err_set(err, YIMA_E_DATA, DL "too many key qualifiers after /%s", key);
        dl_ai_of(seg[i], q[m++]);
    }
    if (!dl_seq_valid(k, (const char(*)[5])q, m))
        return dl_order_error(k, (const char(*)[5])q, m, err);
    int rc = dl_add(g, key, seg[at + 1], 0, err);
    for (int i = 0; i < m && rc == YIMA_OK; i++)
        rc = dl_add(g, q[i], seg[at + 3 + 2 * i], 0, err);
    k->npath = g->count;
    return rc;
}

/* 1 if ai, put anywhere after the key in the path read, would still be a
 * valid qualifier sequence: then the standard wants it in the path. */
static int dl_belongs_in_path(const dl_key *k, const yima_gs1 *g, const char *ai)
{
    char q[DL_MAX_QUALS + 1][5];
    int m = 0;
    for (int i = 1; i < k->npath && m < DL_MAX_QUALS; i++)
        memcpy(q[m++], g->el[i].ai, 5);
    for (int pos = 0; pos <= m; pos++) {
        char t[DL_MAX_QUALS + 1][5];
        int n = 0;
        for (int i = 0; i <= m; i++) {
            if (i == pos)
                memcpy(t[n++], ai, 5);
            if (i < m)
                memcpy(t[n++], q[i], 5);
        }
        if (dl_seq_valid(k, (const char(*)[5])t, n))
            return 1;
    }
    return 0;
}

static int dl_query_param(dl_span kv, const dl_key *k, yima_gs1 *g, yima_err *err)
{
    const char *eq = memchr(kv.p, '=', kv.n);
    if (!eq || eq == kv.p)
        return YIMA_OK; /* a flag or an empty name: not an AI */
    dl_span name = {kv.p, (size_t)(eq - kv.p)};
    for (size_t i = 0; i < name.n; i++)
        if (name.p[i] < '0' || name.p[i] > '9')
            return YIMA_OK; /* not numeric: not GS1's, ignored as the standard says */
    char ai[5];
    const yima_gs1_ai *entry = dl_ai_of(name, ai);
    if (!entry)
        return yima_err_set(err, YIMA_E_DATA,
                            DL "query parameter %.*s is not a GS1 Application Identifier",
                            name.n > 8 ? 8 : (int)name.n, name.p);
    if (!entry->dl_attr)
        return yima_err_set(err, YIMA_E_DATA, DL "AI (%s) is not permitted as a query attribute",
                            ai);
    if (dl_in_any_alt(k, ai) && dl_belongs_in_path(k, g, ai))
        return yima_err_set(err, YIMA_E_DATA,
                            DL "AI (%s) qualifies /%s and belongs in the path, not the query", ai,
                            k->entry->ai);
    return dl_add(g, ai, (dl_span){eq + 1, kv.n - name.n - 1}, 1, err);
}

static int dl_read_query(dl_span query, const dl_key *k, yima_gs1 *g, yima_err *err)
{
    size_t i = 0;
    while (i < query.n) {
        size_t start = i;
        while (i < query.n && query.p[i] != '&')
            i++;
        int rc = dl_query_param((dl_span){query.p + start, i - start}, k, g, err);
        if (rc != YIMA_OK)
            return rc;
        i++;
    }
    return YIMA_OK;
}

int yima_gs1_dl_parse(const char *uri, size_t len, yima_gs1 *g, yima_err *err)
{
    dl_span path = {uri, 0}, query = {uri, 0}, seg[DL_MAX_SEGMENTS];
    dl_key k;
    int nseg = 0, rc;
    if (!uri || !g)
        return yima_err_set(err, YIMA_E_DATA, DL "no URI");
    yima_gs1_init(g);
    if ((rc = dl_split(uri, len, &path, &query, err)) != YIMA_OK ||
        (rc = dl_segments(path, seg, &nseg, err)) != YIMA_OK)
        return rc;
    int at = dl_find_key(seg, nseg);
    if (at < 0)
        return yima_err_set(err, YIMA_E_DATA,
                            DL "no primary key (such as /01/{gtin} or /00/{sscc}) in the path");
    if ((rc = dl_read_path(seg, nseg, at, &k, g, err)) != YIMA_OK ||
        (rc = dl_read_query(query, &k, g, err)) != YIMA_OK)
        return rc;
    return yima_gs1_check_pairs(g, err);
}

/* ---- formatting ---- */

void yima_gs1_text_put(yima_gs1_text *b, const char *s, size_t n)
{
    if (b->len < b->cap && n < b->cap - b->len)
        memcpy(b->out + b->len, s, n);
    b->len += n; /* past cap: the caller sees it does not fit */
}


/* Everything outside RFC 3986's unreserved set is %-encoded, as GS1's
 * syntax engine does: it covers every character the standard lists. */
static void dl_put_escaped(yima_gs1_text *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (c != '\0' && strchr("-._~", c))) {
            yima_gs1_text_put(b, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            yima_gs1_text_put(b, e, 3);
        }
    }
}

static void dl_put_element(yima_gs1_text *b, const yima_gs1_element *el, const char *sep, const char *eq)
{
    yima_gs1_text_put(b, sep, strlen(sep));
    yima_gs1_text_put(b, el->ai, strnlen(el->ai, sizeof el->ai));
    yima_gs1_text_put(b, eq, strlen(eq));
    dl_put_escaped(b, el->value, strnlen(el->value, sizeof el->value));
}

static int dl_index_of(const yima_gs1 *g, const char *ai)
{
    for (int i = 0; i < g->count; i++)
        if (strncmp(g->el[i].ai, ai, sizeof g->el[i].ai) == 0)
            return i;
    return -1;
}

/* A URI carries each AI once; yima_gs1_add keeps it so, a hand-made g may not. */
static int dl_has_repeats(const yima_gs1 *g)
{
    for (int i = 0; i < g->count; i++)
        if (dl_index_of(g, g->el[i].ai) != i)
            return 1;
    return 0;
}

/* The element's AI entry, or NULL if the AI is malformed or unknown. */
static const yima_gs1_ai *dl_entry(const yima_gs1_element *el)
{
    char ai[5];
    size_t n = strnlen(el->ai, sizeof el->ai);
    return dl_ai_of((dl_span){el->ai, n == sizeof el->ai ? 0 : n}, ai);
}

/* Elements a path of key's alternative alt would leave out that no query may carry. */
static int dl_unplaced(const yima_gs1 *g, int key, const dl_path *alt)
{
    int bad = 0;
    for (int i = 0; i < g->count; i++) {
        const yima_gs1_ai *entry = dl_entry(&g->el[i]);
        if (i != key && (!entry || (!entry->dl_attr && dl_path_index(alt, entry->ai) < 0)))
            bad++;
    }
    return bad;
}

/* The first element that is a primary key, or -1. */
static int dl_first_key(const yima_gs1 *g)
{
    for (int i = 0; i < g->count; i++) {
        const yima_gs1_ai *entry = dl_entry(&g->el[i]);
        if (entry && entry->dlpkey)
            return i;
    }
    return -1;
}

/* The alternative that leaves nothing unplaceable and puts most in the path. */
static int dl_pick_alt(const yima_gs1 *g, int key, const dl_key *k)
{
    int best = 0, best_bad = 1 << 20, best_n = -1;
    for (int a = 0; a < k->nalt; a++) {
        int present = 0, bad = dl_unplaced(g, key, &k->alt[a]);
        for (int i = 0; i < k->alt[a].n; i++)
            present += dl_index_of(g, k->alt[a].ai[i]) >= 0;
        if (bad < best_bad || (bad == best_bad && present > best_n)) {
            best = a;
            best_bad = bad;
            best_n = present;
        }
    }
    return best_bad == 0 ? best : -1;
}

/* AI order by number: shorter AIs first, then digit by digit. */
static int dl_ai_less(const char *a, const char *b)
{
    size_t la = strnlen(a, 5), lb = strnlen(b, 5);
    return la != lb ? la < lb : strncmp(a, b, 5) < 0;
}

static void dl_put_query(yima_gs1_text *b, const yima_gs1 *g, const unsigned char *used)
{
    int order[YIMA_GS1_MAX_ELEMENTS], n = 0;
    for (int i = 0; i < g->count; i++) {
        if (used[i])
            continue;
        int j = n++;
        for (; j > 0 && dl_ai_less(g->el[i].ai, g->el[order[j - 1]].ai); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (int j = 0; j < n; j++)
        dl_put_element(b, &g->el[order[j]], j ? "&" : "?", "=");
}

size_t yima_gs1_dl_format(const yima_gs1 *g, const char *base, char *out, size_t cap)
{
    if (!g || !out || cap == 0 || g->count < 1 || g->count > YIMA_GS1_MAX_ELEMENTS)
        return 0;
    out[0] = '\0';
    int key = dl_first_key(g);
    if (key < 0 || dl_has_repeats(g))
        return 0;
    dl_key k;
    dl_key_load(dl_entry(&g->el[key]), &k);
    int a = dl_pick_alt(g, key, &k);
    if (a < 0)
        return 0;
    yima_gs1_text b = {out, cap, 0};
    base = base ? base : DL_CANONICAL_BASE;
    size_t blen = strlen(base);
    yima_gs1_text_put(&b, base, blen > 0 && base[blen - 1] == '/' ? blen - 1 : blen);
    unsigned char used[YIMA_GS1_MAX_ELEMENTS] = {0};
    used[key] = 1;
    dl_put_element(&b, &g->el[key], "/", "/");
    for (int i = 0; i < k.alt[a].n; i++) {
        int at = dl_index_of(g, k.alt[a].ai[i]);
        if (at >= 0 && !used[at]) {
            used[at] = 1;
            dl_put_element(&b, &g->el[at], "/", "/");
        }
    }
    dl_put_query(&b, g, used);
    if (b.len >= cap) {
        out[0] = '\0';
        return 0;
    }
    out[b.len] = '\0';
    return b.len;
}
