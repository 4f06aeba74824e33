/* SPDX-License-Identifier: MIT */
/*
 * The AI table and an interpreter of its specifications. A specification is
 * the dictionary's text ("N13,csum,gcppos1 [X..17]"): components applied in
 * turn, each consuming a prefix of the value, optional ones ([...]) only
 * while data remains, then the component's linters on what it consumed.
 * Linters yima does not know (gcppos1, iso3166, ...) are accepted: they
 * refine, they do not define, what a value is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gs1_internal.h"
#include "gs1_ai_table.h"

#define TABLE_LEN (sizeof yima_gs1_ai_table / sizeof yima_gs1_ai_table[0])

static const char CSET82[] = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                             "abcdefghijklmnopqrstuvwxyz";
static const char CSET39[] = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char CSET64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char CSET32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

const yima_gs1_ai *yima_gs1_ai_find(const char *ai)
{
    size_t lo = 0, hi = TABLE_LEN;
    if (!ai || strnlen(ai, 5) > 4)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ai, yima_gs1_ai_table[mid].ai);
        if (c == 0)
            return &yima_gs1_ai_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* GS1 keeps its AIs prefix-free, so the shortest match is the only one. */
const yima_gs1_ai *yima_gs1_ai_prefix(const char *text, size_t len)
{
    char ai[5];
    for (size_t n = 2; n <= 4 && n <= len; n++) {
        if (text[n - 1] < '0' || text[n - 1] > '9' || text[0] < '0' || text[0] > '9')
            return NULL;
        memcpy(ai, text, n);
        ai[n] = '\0';
        const yima_gs1_ai *e = yima_gs1_ai_find(ai);
        if (e)
            return e;
    }
    return NULL;
}

/* One component of a specification: "[N3],iso3166" or "X..20". */
typedef struct spec_comp {
    char type;          /* N, X, Y or Z */
    size_t min, max;
    int optional;
    const char *linters; /* ",csum,gcppos2": up to the next space or the end */
    size_t linters_len;
} spec_comp;

/* Reads the component at *p and advances past it; 0 at the end of the spec. */
static int next_comp(const char **p, spec_comp *c)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return 0;
    c->optional = *s == '[';
    s += c->optional;
    c->type = *s++;
    int variable = s[0] == '.' && s[1] == '.';
    s += variable ? 2 : 0;
    char *end;
    c->max = strtoul(s, &end, 10);
    c->min = variable ? 1 : c->max;
    s = end + (*end == ']');
    c->linters = s;
    while (*s && *s != ' ')
        s++;
    c->linters_len = (size_t)(s - c->linters);
    *p = s;
    return 1;
}

/* A byte of a value as it may appear in a one-line message. */
static const char *show_char(unsigned char ch, char buf[8])
{
    if (ch > 0x20 && ch < 0x7f)
        snprintf(buf, 8, "'%c'", ch);
    else
        snprintf(buf, 8, "0x%02x", ch);
    return buf;
}

/* Printable copy of at most 40 bytes of a value, for messages. */
static const char *show_value(const char *v, size_t n, char buf[48])
{
    size_t i = 0;
    for (; i < n && i < 40; i++)
        buf[i] = (v[i] > 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (n > 40)
        buf[i++] = '~';
    buf[i] = '\0';
    return buf;
}

static int check_cset(const yima_gs1_ai *ai, char type, const char *v, size_t n, size_t off,
                      yima_err *err)
{
    static const struct { char type; const char *set; const char *name; } sets[] = {
        {'N', "0123456789", "a digit"},
        {'X', CSET82, "in GS1 character set 82"},
        {'Y', CSET39, "in GS1 character set 39"},
        {'Z', CSET64, "in GS1 character set 64 (base64url)"},
    };
    size_t s = 0;
    while (s < 3 && sets[s].type != type)
        s++;
    size_t pads = 0;
    while (type == 'Z' && pads < n && v[n - 1 - pads] == '=')
        pads++;
    if (pads > 2 || (pads > 0 && n % 3 != 0))
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): bad base64url padding at the end",
                            ai->ai);
    for (size_t i = 0; i < n - pads; i++) {
        if (v[i] == '\0' || !strchr(sets[s].set, v[i])) {
            char b[8];
            return yima_err_set(err, YIMA_E_DATA,
                                "AI (%s): character %s at position %zu is not %s", ai->ai,
                                show_char((unsigned char)v[i], b), off + i + 1, sets[s].name);
        }
    }
    return YIMA_OK;
}

static int lint_csum(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    int want = yima_gs1_check_digit(v, n - 1);
    if (want != v[n - 1] - '0')
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): check digit should be %d, not %c",
                            ai->ai, want, v[n - 1]);
    return YIMA_OK;
}

static int lint_date(const yima_gs1_ai *ai, const char *v, size_t n, int day_zero,
                     yima_err *err)
{
    char buf[48];
    if (n != 6 || !yima_gs1_date_valid(v, day_zero))
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %s is not a valid date", ai->ai,
                            show_value(v, n, buf));
    return YIMA_OK;
}

static int lint_yymmd0(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    return lint_date(ai, v, n, 1, err);
}

static int lint_yymmdd(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    return lint_date(ai, v, n, 0, err);
}

/* YYYYMMDD: the full year decides leap years here (1900 was not one). */
static int lint_yyyymmdd(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    char buf[48];
    int ok = n == 8;
    if (ok) {
        int year = atoi((char[5]){v[0], v[1], v[2], v[3], 0});
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        /* year 00 is a leap year to yima_gs1_date_valid, 01 is not */
        char yymmdd[7] = {'0', leap ? '0' : '1', v[4], v[5], v[6], v[7], 0};
        ok = yima_gs1_date_valid(yymmdd, 0);
    }
    if (!ok)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %s is not a valid date", ai->ai,
                            show_value(v, n, buf));
    return YIMA_OK;
}

static int two_digits(const char *v)
{
    return (v[0] - '0') * 10 + (v[1] - '0');
}

static int lint_time(const yima_gs1_ai *ai, const char *v, size_t n, int limit, yima_err *err)
{
    char buf[48];
    int ok = n == 2 || n == 4;
    ok = ok && two_digits(v) < limit && (n == 2 || two_digits(v + 2) < 60);
    if (!ok)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %s is not a valid time", ai->ai,
                            show_value(v, n, buf));
    return YIMA_OK;
}

static int lint_hhmi(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    return lint_time(ai, v, n, 24, err);
}

static int lint_hh(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    return lint_time(ai, v, n, 24, err);
}

static int lint_miss(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    return lint_time(ai, v, n, 60, err);
}

static int lint_zero(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    if (n != 1 || v[0] != '0')
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): digit %c should be 0", ai->ai, v[0]);
    return YIMA_OK;
}

static int lint_nonzero(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != '0')
            return YIMA_OK;
    return yima_err_set(err, YIMA_E_DATA, "AI (%s): a part is zero, which it must not be",
                        ai->ai);
}

static int lint_yesno(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    if (n != 1 || (v[0] != '0' && v[0] != '1'))
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %c should be 0 or 1", ai->ai, v[0]);
    return YIMA_OK;
}

static int lint_hyphen(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != '-')
            return yima_err_set(err, YIMA_E_DATA, "AI (%s): %c should be '-'", ai->ai, v[i]);
    return YIMA_OK;
}

static int lint_nozeroprefix(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    if (n > 1 && v[0] == '0')
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): must not start with 0", ai->ai);
    return YIMA_OK;
}

static int lint_hasnondigit(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return YIMA_OK;
    return yima_err_set(err, YIMA_E_DATA, "AI (%s): needs a character that is not a digit",
                        ai->ai);
}

/* The GS1 check character pair (GMN, MUDI): data characters weighted by
 * primes from the right, modulo 1021, split into two CSET 32 characters. */
static int lint_csumalpha(const yima_gs1_ai *ai, const char *v, size_t n, yima_err *err)
{
    static const unsigned primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37,
                                      41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89};
    unsigned sum = 0;
    if (n < 2 || n - 2 > sizeof primes / sizeof primes[0])
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): too short for its check characters",
                            ai->ai);
    for (size_t i = 0; i + 2 < n; i++)
        sum += (unsigned)(strchr(CSET82, v[i]) - CSET82) * primes[n - 3 - i];
    sum %= 1021;
    char want[3] = {CSET32[sum >> 5], CSET32[sum & 31], 0};
    /* the caller checked set 82 first, so both characters print */
    if (v[n - 2] != want[0] || v[n - 1] != want[1])
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): check characters should be %s, not %c%c",
                            ai->ai, want, v[n - 2], v[n - 1]);
    return YIMA_OK;
}

typedef int (*linter_fn)(const yima_gs1_ai *, const char *, size_t, yima_err *);

static linter_fn find_linter(const char *name, size_t len)
{
    static const struct { const char *name; linter_fn fn; } linters[] = {
        {"csum", lint_csum},       {"yymmd0", lint_yymmd0},       {"yymmdd", lint_yymmdd},
        {"yyyymmdd", lint_yyyymmdd}, {"hhmi", lint_hhmi},         {"hh", lint_hh},
        {"mi", lint_miss},         {"ss", lint_miss},             {"zero", lint_zero},
        {"nonzero", lint_nonzero}, {"yesno", lint_yesno},         {"hyphen", lint_hyphen},
        {"nozeroprefix", lint_nozeroprefix}, {"hasnondigit", lint_hasnondigit},
        {"csumalpha", lint_csumalpha},
    };
    for (size_t i = 0; i < sizeof linters / sizeof linters[0]; i++)
        if (strlen(linters[i].name) == len && memcmp(linters[i].name, name, len) == 0)
            return linters[i].fn;
    return NULL;
}

static int run_linters(const yima_gs1_ai *ai, const spec_comp *c, const char *v, size_t n,
                       yima_err *err)
{
    const char *p = c->linters, *end = c->linters + c->linters_len;
    while (p < end) {
        p += *p == ',';
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        linter_fn fn = find_linter(p, (size_t)(q - p));
        int rc = fn ? fn(ai, v, n, err) : YIMA_OK;
        if (rc)
            return rc;
        p = q;
    }
    return YIMA_OK;
}

/* The value's length against the whole specification, for a message that
 * says what the AI needs rather than which component ran short. */
static int check_length(const yima_gs1_ai *ai, size_t len, yima_err *err)
{
    const char *p = ai->spec;
    spec_comp c;
    size_t min = 0, max = 0;
    while (next_comp(&p, &c)) {
        min += c.optional ? 0 : c.min;
        max += c.max;
    }
    if (len == 0)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): empty value", ai->ai);
    if (len >= min && len <= max)
        return YIMA_OK;
    if (min == max)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters, should be %zu", ai->ai,
                            len, min);
    if (len > max)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters, should be at most %zu",
                            ai->ai, len, max);
    return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters, should be at least %zu",
                        ai->ai, len, min);
}

int yima_gs1_value_check(const yima_gs1_ai *ai, const char *value, size_t len, yima_err *err)
{
    int rc = check_length(ai, len, err);
    const char *p = ai->spec;
    spec_comp c;
    size_t pos = 0;
    while (!rc && next_comp(&p, &c)) {
        size_t rest = len - pos;
        if (rest == 0 && c.optional)
            break; /* the dictionary puts no mandatory component after an optional one */
        if (rest < c.min)
            return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters do not fit its format %s",
                                ai->ai, len, ai->spec);
        size_t take = rest < c.max ? rest : c.max;
        rc = check_cset(ai, c.type, value + pos, take, pos, err);
        rc = rc ? rc : run_linters(ai, &c, value + pos, take, err);
        pos += take;
    }
    if (!rc && pos != len)
        return yima_err_set(err, YIMA_E_DATA, "AI (%s): %zu characters do not fit its format %s",
                            ai->ai, len, ai->spec);
    return rc;
}
