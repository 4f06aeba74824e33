/* SPDX-License-Identifier: MIT */
/*
 * GS1 element strings: check digits, dates, the element list, the
 * dictionary's pairing rules, and the HRI, RAW and CANONICAL forms.
 * Values are checked by yima_gs1_value_check (gs1_ai.c) before they are
 * copied, so a yima_gs1 only ever holds valid elements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gs1_internal.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Printable copy of at most 20 bytes of untrusted text, for messages. */
static const char *show(const char *s, size_t n, char buf[24])
{
    size_t i = 0;
    for (; i < n && i < 20; i++)
        buf[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > 20)
        buf[i++] = '~';
    buf[i] = '\0';
    return buf;
}

int yima_gs1_check_digit(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(digits[i]))
            return -1;
        /* weights 3, 1, 3, ... from the digit next to the check digit */
        sum += (digits[i] - '0') * (((n - i) % 2) ? 3 : 1);
    }
    return (10 - sum % 10) % 10;
}

int yima_gtin_normalize(const char *text, char gtin14[15], yima_err *err)
{
    char buf[24];
    size_t n = strnlen(text, 15);
    if (n != 8 && n != 12 && n != 13 && n != 14)
        return yima_err_set(err, YIMA_E_DATA,
                            "GTIN %s: %s%zu digits, a GTIN has 8, 12, 13 or 14", show(text, n, buf),
                            n > 14 ? "more than " : "", n > 14 ? (size_t)14 : n);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(text[i]))
            return yima_err_set(err, YIMA_E_DATA, "GTIN %s: character %zu is not a digit",
                                show(text, n, buf), i + 1);
    int want = yima_gs1_check_digit(text, n - 1);
    if (want != text[n - 1] - '0')
        return yima_err_set(err, YIMA_E_DATA, "GTIN %s: check digit should be %d, not %c",
                            show(text, n, buf), want, text[n - 1]);
    memset(gtin14, '0', 14 - n);
    memcpy(gtin14 + 14 - n, text, n);
    gtin14[14] = '\0';
    return YIMA_OK;
}

/* Two-digit years: GS1's window spans 1951..2050ish, where every year
 * divisible by 4 is a leap year (2000 was, 1900 and 2100 are outside). */
int yima_gs1_date_valid(const char *yymmdd, int allow_day_zero)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int i = 0; i < 6; i++)
        if (!is_digit(yymmdd[i]))
            return 0;
    int yy = (yymmdd[0] - '0') * 10 + yymmdd[1] - '0';
    int mm = (yymmdd[2] - '0') * 10 + yymmdd[3] - '0';
    int dd = (yymmdd[4] - '0') * 10 + yymmdd[5] - '0';
    if (mm < 1 || mm > 12)
        return 0;
    if (dd == 0)
        return allow_day_zero != 0;
    if (mm == 2 && dd == 29)
        return yy % 4 == 0;
    return dd <= days[mm - 1];
}

void yima_gs1_init(yima_gs1 *g)
{
    memset(g, 0, sizeof *g);
}

const char *yima_gs1_get(const yima_gs1 *g, const char *ai)
{
    for (int i = 0; i < g->count && i < YIMA_GS1_MAX_ELEMENTS; i++)
        if (strcmp(g->el[i].ai, ai) == 0)
            return g->el[i].value;
    return NULL;
}

int yima_gs1_add(yima_gs1 *g, const char *ai, const char *value, size_t len, yima_err *err)
{
    char buf[24];
    const yima_gs1_ai *e = yima_gs1_ai_find(ai);
    if (!e)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s) is not in the GS1 dictionary",
                            show(ai, strnlen(ai, 8), buf));
    int rc = yima_gs1_value_check(e, value, len, err);
    if (rc)
        return rc;
    if (len > YIMA_GS1_VALUE_MAX) /* no AI allows it; guards the copy below */
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters, too long", e->ai, len);
    const char *old = yima_gs1_get(g, e->ai);
    if (old) {
        if (strlen(old) == len && memcmp(old, value, len) == 0)
            return YIMA_OK;
        return yima_err_set(err, YIMA_E_DATA, "AI (%s) appears twice with different values",
                            e->ai);
    }
    if (g->count < 0 || g->count >= YIMA_GS1_MAX_ELEMENTS)
        return yima_err_set(err, YIMA_E_DATA, "more than %d elements", YIMA_GS1_MAX_ELEMENTS);
    yima_gs1_element *el = &g->el[g->count++];
    memcpy(el->ai, e->ai, strlen(e->ai) + 1);
    memcpy(el->value, value, len);
    el->value[len] = '\0';
    return YIMA_OK;
}

/* ---- pairing rules: req= and ex= of the dictionary ---- */

/* ai against one term of a rule, where 'n' stands for any digit ("310n"). */
static int term_matches(const char *ai, const char *term, size_t tlen)
{
    if (strlen(ai) != tlen)
        return 0;
    for (size_t i = 0; i < tlen; i++)
        if (term[i] != ai[i] && !(term[i] == 'n' && is_digit(ai[i])))
            return 0;
    return 1;
}

/* 1 if an element of g other than self matches the term. */
static int present(const yima_gs1 *g, const char *term, size_t tlen, const char *self)
{
    for (int i = 0; i < g->count; i++)
        if ((!self || strcmp(g->el[i].ai, self) != 0) && term_matches(g->el[i].ai, term, tlen))
            return 1;
    return 0;
}

/* "01+21": every term present. */
static int alternative_holds(const yima_gs1 *g, const char *alt, size_t len)
{
    const char *p = alt, *end = alt + len;
    while (p < end) {
        const char *q = memchr(p, '+', (size_t)(end - p));
        q = q ? q : end;
        if (!present(g, p, (size_t)(q - p), NULL))
            return 0;
        p = q + 1;
    }
    return 1;
}

/* "01,03,8006" as "(01), (03) or (8006)" for a message. */
static const char *rule_text(const char *rule, size_t len, char *out, size_t cap)
{
    size_t o = 0, commas = 0, seen = 0;
    for (size_t i = 0; i < len; i++)
        commas += rule[i] == ',';
    out[o++] = '(';
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        const char *sep = rule[i] == ',' ? (++seen == commas ? ") or (" : "), (")
                          : rule[i] == '+' ? ")+(" : NULL;
        if (sep) {
            memcpy(out + o, sep, strlen(sep));
            o += strlen(sep);
        } else {
            out[o++] = rule[i];
        }
    }
    out[o++] = ')';
    out[o] = '\0';
    return out;
}

/* One req= group: some comma-separated alternative holds. */
static int check_req(const yima_gs1 *g, const char *ai, const char *group, size_t len,
                     yima_err *err)
{
    const char *p = group, *end = group + len;
    while (p < end) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        q = q ? q : end;
        if (alternative_holds(g, p, (size_t)(q - p)))
            return YIMA_OK;
        p = q + 1;
    }
    char text[256];
    return yima_err_set(err, YIMA_E_DATA, "AI (%s) requires %s", ai,
                        rule_text(group, len, text, sizeof text));
}

static int check_ex(const yima_gs1 *g, const char *ai, const char *rule, yima_err *err)
{
    const char *p = rule, *end = rule + strlen(rule);
    while (p < end) {
        size_t n = strcspn(p, ", ");
        for (int i = 0; i < g->count; i++)
            if (strcmp(g->el[i].ai, ai) != 0 && term_matches(g->el[i].ai, p, n))
                return yima_err_set(err, YIMA_E_DATA, "AI (%s) cannot be used with (%s)", ai,
                                    g->el[i].ai);
        p += n + (p + n < end);
    }
    return YIMA_OK;
}

int yima_gs1_check_pairs(const yima_gs1 *g, yima_err *err)
{
    for (int i = 0; i < g->count && i < YIMA_GS1_MAX_ELEMENTS; i++) {
        const yima_gs1_ai *e = yima_gs1_ai_find(g->el[i].ai);
        if (!e)
            return yima_err_set(err, YIMA_E_DATA, "AI (%.4s) is not in the GS1 dictionary",
                                g->el[i].ai);
        /* repeated req= keys are kept space-separated: each must hold */
        for (const char *p = e->req; p && *p;) {
            size_t n = strcspn(p, " ");
            int rc = check_req(g, e->ai, p, n, err);
            if (rc)
                return rc;
            p += n + (p[n] == ' ');
        }
        int rc = e->ex ? check_ex(g, e->ai, e->ex, err) : YIMA_OK;
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

/* ---- parsing ---- */

static int starts_with_nocase(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

static int is_http(const char *s, size_t n)
{
    return starts_with_nocase(s, n, "http://") || starts_with_nocase(s, n, "https://");
}

/* Symbology identifiers announcing GS1 data: DataMatrix, QR, GS1-128,
 * DataBar, DotCode. */
static int is_gs1_symbology(const char *s)
{
    static const char *const ids[] = {"]d2", "]Q3", "]C1", "]e0", "]J1"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (memcmp(s, ids[i], 3) == 0)
            return 1;
    return 0;
}

/* Skips a symbology identifier; *dl is set when a plain-data identifier
 * (a Digital Link QR or DataMatrix, "]Q1", "]d1") precedes a URI. */
static int strip_symbology(const char **t, size_t *n, int *dl, yima_err *err)
{
    char buf[24];
    *dl = 0;
    if (*n == 0 || (*t)[0] != ']')
        return YIMA_OK;
    if (*n >= 3 && is_gs1_symbology(*t)) {
        *t += 3;
        *n -= 3;
        return YIMA_OK;
    }
    if (*n >= 3 && (memcmp(*t, "]Q1", 3) == 0 || memcmp(*t, "]d1", 3) == 0) &&
        is_http(*t + 3, *n - 3)) {
        *t += 3;
        *n -= 3;
        *dl = 1;
        return YIMA_OK;
    }
    return yima_err_set(err, YIMA_E_DATA, "symbology identifier %s does not announce GS1 data",
                        show(*t, *n < 3 ? *n : 3, buf));
}

/* Predefined-length AIs ('*') have one fixed component: "N14,csum". */
static size_t fixed_len(const yima_gs1_ai *e)
{
    return (size_t)strtoul(e->spec + 1, NULL, 10);
}

static int parse_raw(const char *t, size_t n, yima_gs1 *g, yima_err *err)
{
    char buf[24];
    size_t p = 0;
    while (p < n) {
        const yima_gs1_ai *e = yima_gs1_ai_prefix(t + p, n - p);
        if (!e)
            return yima_err_set(err, YIMA_E_DATA, "no GS1 AI at position %zu: %s", p + 1,
                                show(t + p, n - p, buf));
        p += strlen(e->ai);
        size_t vlen = n - p;
        if (e->fixed) {
            vlen = vlen < fixed_len(e) ? vlen : fixed_len(e);
        } else {
            const char *gs = memchr(t + p, YIMA_GS1_GS, n - p);
            vlen = gs ? (size_t)(gs - (t + p)) : vlen;
        }
        int rc = yima_gs1_add(g, e->ai, t + p, vlen, err);
        if (rc)
            return rc;
        p += vlen;
        /* the separator ends a variable value; after a fixed one it is
         * superfluous but some encoders write it, so it is skipped too */
        p += p < n && t[p] == YIMA_GS1_GS;
    }
    return YIMA_OK;
}

/* "(17)271231": the AI in parentheses at t[*p], moved past. */
static int hri_ai(const char *t, size_t n, size_t *p, char ai[5], yima_err *err)
{
    char buf[24];
    size_t s = *p + 1, q = s;
    while (q < n && q - s < 5 && is_digit(t[q]))
        q++;
    if (t[*p] != '(' || q >= n || t[q] != ')' || q - s < 2 || q - s > 4)
        return yima_err_set(err, YIMA_E_DATA, "expected an AI in parentheses at position %zu: %s",
                            *p + 1, show(t + *p, n - *p, buf));
    memcpy(ai, t + s, q - s);
    ai[q - s] = '\0';
    *p = q + 1;
    return YIMA_OK;
}

/* HRI values end at the next '('; a '(' inside a value is written "\(". */
static int parse_hri(const char *t, size_t n, yima_gs1 *g, yima_err *err)
{
    size_t p = 0;
    while (p < n) {
        char ai[5], value[YIMA_GS1_VALUE_MAX + 1];
        int rc = hri_ai(t, n, &p, ai, err);
        if (rc)
            return rc;
        size_t start = p, len = 0;
        for (; p < n && t[p] != '('; p++, len++) {
            p += t[p] == '\\' && p + 1 < n && t[p + 1] == '(';
            if (len < YIMA_GS1_VALUE_MAX)
                value[len] = t[p];
        }
        /* too long to copy: the raw text (at least len bytes) gets the
         * length error, which is decided before any byte is read */
        rc = yima_gs1_add(g, ai, len <= YIMA_GS1_VALUE_MAX ? value : t + start, len, err);
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

int yima_gs1_parse(const char *text, size_t len, yima_gs1 *g, yima_err *err)
{
    int dl = 0;
    yima_gs1_init(g);
    int rc = strip_symbology(&text, &len, &dl, err);
    if (rc)
        return rc;
    if (dl || is_http(text, len)) {
        rc = yima_gs1_dl_parse(text, len, g, err);
        return rc ? rc : yima_gs1_check_pairs(g, err);
    }
    if (len > 0 && text[0] == YIMA_GS1_GS) {
        text++;
        len--;
    }
    if (len == 0)
        return yima_err_set(err, YIMA_E_DATA, "empty GS1 element string");
    rc = text[0] == '(' ? parse_hri(text, len, g, err) : parse_raw(text, len, g, err);
    return rc ? rc : yima_gs1_check_pairs(g, err);
}

int yima_gs1_looks_like(const char *text, size_t len)
{
    if (len == 0)
        return 0;
    if (text[0] == '(' || text[0] == ']' || text[0] == YIMA_GS1_GS || is_http(text, len))
        return 1;
    return memchr(text, YIMA_GS1_GS, len) != NULL;
}

/* ---- formatting ---- */

typedef struct outbuf {
    char *p;
    size_t cap, len;
    int full;
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    if (o->full || o->len + n + 1 > o->cap) {
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_str(outbuf *o, const char *s)
{
    put(o, s, strlen(s));
}

static int is_fixed(const char *ai)
{
    const yima_gs1_ai *e = yima_gs1_ai_find(ai);
    return e && e->fixed;
}

static void format_hri(const yima_gs1 *g, outbuf *o)
{
    for (int i = 0; i < g->count; i++) {
        put_str(o, "(");
        put_str(o, g->el[i].ai);
        put_str(o, ")");
        for (const char *v = g->el[i].value; *v; v++)
            put(o, *v == '(' ? "\\(" : v, *v == '(' ? 2 : 1);
    }
}

/* Elements in the given order; GS after each variable value but the last. */
static void format_seq(const yima_gs1 *g, const int *order, int n, outbuf *o)
{
    for (int k = 0; k < n; k++) {
        const yima_gs1_element *el = &g->el[order[k]];
        put_str(o, el->ai);
        put_str(o, el->value);
        if (k + 1 < n && !is_fixed(el->ai))
            put(o, "\x1d", 1);
    }
}

/* RAW: predefined-length AIs first, so only variable values need a GS. */
static int raw_order(const yima_gs1 *g, int *order)
{
    int n = 0;
    for (int pass = 1; pass >= 0; pass--)
        for (int i = 0; i < g->count; i++)
            if (is_fixed(g->el[i].ai) == pass)
                order[n++] = i;
    return n;
}

static int index_of(const yima_gs1 *g, const char *ai, size_t len)
{
    for (int i = 0; i < g->count; i++)
        if (strlen(g->el[i].ai) == len && memcmp(g->el[i].ai, ai, len) == 0)
            return i;
    return -1;
}

static int taken(const int *order, int n, int i)
{
    for (int k = 0; k < n; k++)
        if (order[k] == i)
            return 1;
    return 0;
}

/* The primary key, its qualifiers in dlpkey order ("22,10,21|235"). */
static int key_order(const yima_gs1 *g, int *order)
{
    for (int i = 0; i < g->count; i++) {
        const yima_gs1_ai *e = yima_gs1_ai_find(g->el[i].ai);
        if (!e || !e->dlpkey)
            continue;
        int n = 0;
        order[n++] = i;
        for (const char *p = e->dlpkey; *p;) {
            size_t len = strcspn(p, ",|");
            int q = index_of(g, p, len);
            if (q >= 0 && !taken(order, n, q))
                order[n++] = q;
            p += len + (p[len] != '\0');
        }
        return n;
    }
    return 0;
}

/* CANONICAL: Digital Link order, then the rest by AI number; without the
 * authentication AIs, which sign or MAC exactly this text. */
static int canonical_order(const yima_gs1 *g, int *order)
{
    int n = key_order(g, order);
    for (;;) {
        int best = -1;
        for (int i = 0; i < g->count; i++) {
            const char *ai = g->el[i].ai;
            if (taken(order, n, i) || !strcmp(ai, YIMA_GS1_AI_SIG) || !strcmp(ai, YIMA_GS1_AI_MAC))
                continue;
            if (best < 0 || atoi(ai) < atoi(g->el[best].ai))
                best = i;
        }
        if (best < 0)
            return n;
        order[n++] = best;
    }
}

size_t yima_gs1_format(const yima_gs1 *g, yima_gs1_form form, char *out, size_t cap)
{
    outbuf o = {out, cap, 0, cap == 0};
    int order[YIMA_GS1_MAX_ELEMENTS];
    yima_gs1 copy = *g;
    if (copy.count < 0 || copy.count > YIMA_GS1_MAX_ELEMENTS)
        return 0;
    for (int i = 0; i < copy.count; i++) { /* a caller-filled struct may lack its NULs */
        copy.el[i].ai[sizeof copy.el[i].ai - 1] = '\0';
        copy.el[i].value[YIMA_GS1_VALUE_MAX] = '\0';
    }
    if (form == YIMA_GS1_HRI)
        format_hri(&copy, &o);
    else if (form == YIMA_GS1_RAW)
        format_seq(&copy, order, raw_order(&copy, order), &o);
    else
        format_seq(&copy, order, canonical_order(&copy, order), &o);
    if (o.full)
        return 0;
    out[o.len] = '\0';
    return o.len;
}
