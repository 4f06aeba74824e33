/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "io.h"
#include "rows.h"
#include "yima/gs1.h"

enum { COL_INDEX, COL_LEVEL, COL_SERIAL, COL_CODE, COL_PAYLOAD, COL_INNER, COL_CASE, COL_PALLET,
       COL__COUNT };
static const char *const col_names[COL__COUNT] = {"index", "level",  "serial", "code",
                                                  "payload", "inner", "case", "pallet"};
#define MAX_COLS 32

struct yima_rowparser {
    yima_rowfmt fmt;
    int col[COL__COUNT]; /* column position of each known field, -1 if absent */
    int ncols;
    char *prefix, *suffix; /* template around {code} */
    char *header;          /* the csv/tsv header line, NULL for gen's headerless shards */
    const char *const *want; /* named columns asked for, and where they are */
    size_t nwant;
    int want_col[YIMA_ROW_EXTRA_MAX];
};

int yima_template_check(const char *t, yima_err *err)
{
    const char *slot = t ? strstr(t, "{code}") : NULL;
    if (!slot)
        return yima_err_set(err, YIMA_E_USAGE, "template '%s' has no {code} slot", t ? t : "");
    if (strstr(slot + 6, "{code}"))
        return yima_err_set(err, YIMA_E_USAGE, "template '%s' has more than one {code}", t);
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
            return yima_err_set(err, YIMA_E_USAGE,
                                "template '%s' contains a control character, quote or backslash",
                                t);
    return YIMA_OK;
}

static int header_columns(yima_rowparser *p, char *line, size_t len, char sep, yima_err *err)
{
    int n = 0;
    char *start = line, *end = line + len;
    while (start <= end && n < MAX_COLS) {
        char *stop = memchr(start, sep, (size_t)(end - start));
        size_t flen = (size_t)((stop ? stop : end) - start);
        for (int c = 0; c < COL__COUNT; c++)
            if (strlen(col_names[c]) == flen && strncasecmp(start, col_names[c], flen) == 0)
                p->col[c] = n;
        n++;
        if (!stop)
            break;
        start = stop + 1;
    }
    p->ncols = n;
    if (p->col[COL_CODE] < 0 && p->col[COL_PAYLOAD] < 0)
        return yima_err_set(err, YIMA_E_DATA, "header row has neither a code nor a payload column");
    return YIMA_OK;
}

/* 1 if the len bytes at s (no separator inside) name a column of n. */
static int field_is(const char *s, size_t len, const char *n)
{
    return strlen(n) == len && strncasecmp(s, n, len) == 0;
}

/* The separator of a header line: gen's ("index" first), or any tab or
 * comma separated line with a "code" or "payload" field; 0 if none. */
static char named_header(const char *line, size_t len)
{
    if (len > 6 && strncasecmp(line, "index", 5) == 0 && (line[5] == '\t' || line[5] == ','))
        return line[5];
    if (!len || line[0] == '"')
        return 0;
    char sep = memchr(line, '\t', len) ? '\t' : memchr(line, ',', len) ? ',' : 0;
    for (const char *f = line, *end = line + len; sep && f <= end;) {
        const char *stop = memchr(f, sep, (size_t)(end - f));
        size_t flen = (size_t)((stop ? stop : end) - f);
        if (field_is(f, flen, "code") || field_is(f, flen, "payload"))
            return sep;
        if (!stop)
            break;
        f = stop + 1;
    }
    return 0;
}

/* A gen row without its header (a later shard): "INDEX<sep>LEVEL<sep>...".
 * Returns the separator, or 0. */
static char headerless_separator(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == 0 || i == len || (line[i] != '\t' && line[i] != ','))
        return 0;
    char sep = line[i++];
    static const char *const levels[] = {"item", "case", "pallet"};
    for (int l = 0; l < 3; l++) {
        size_t n = strlen(levels[l]);
        if (len - i > n && strncmp(line + i, levels[l], n) == 0 && line[i + n] == sep)
            return sep;
    }
    return 0;
}

/* gen's columns by count: index level serial code payload [inner] [case
 * pallet]; GS1 mode adds raw gtin lot expiry sscc after payload. */
static int implied_columns(yima_rowparser *p, const char *line, size_t len, char sep,
                           yima_err *err)
{
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == sep; /* payloads are quoted only if they hold a comma */
    int gs1 = n >= 10 ? 5 : 0; /* the GS1 columns, between payload and inner */
    n -= gs1;
    if (n < 5 || n > 8 || memchr(line, '"', len))
        return yima_err_set(err, YIMA_E_DATA,
                            "first line looks like gen output without a header, but has %d "
                            "fields; add the header row",
                            n);
    for (int c = 0; c < 5; c++)
        p->col[c] = c;
    if (n == 6 || n == 8)
        p->col[COL_INNER] = 5 + gs1;
    if (n >= 7) {
        p->col[COL_CASE] = n - 2 + gs1;
        p->col[COL_PALLET] = n - 1 + gs1;
    }
    p->ncols = n + gs1;
    return YIMA_OK;
}

int yima_rowparser_create(yima_rowparser **out, const char *first, size_t len,
                          const char *template_text, yima_err *err)
{
    /* A CRLF file's header ends in CR: without trimming, the last column
     * name would not match and that column would go unchecked. */
    while (len > 0 && (first[len - 1] == '\r' || first[len - 1] == ' '))
        len--;
    yima_rowparser *p = calloc(1, sizeof *p);
    char *copy = malloc(len + 1);
    int rc = YIMA_OK;
    if (!p || !copy) {
        free(p);
        free(copy);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    memcpy(copy, first, len);
    copy[len] = '\0';
    memset(p->col, -1, sizeof p->col);
    char sep = named_header(copy, len);
    if (len > 0 && first[0] == '{')
        p->fmt = YIMA_ROWS_JSONL;
    else if (sep)
        p->fmt = sep == '\t' ? YIMA_ROWS_TSV : YIMA_ROWS_CSV;
    else
        p->fmt = YIMA_ROWS_TXT;
    char bare = p->fmt == YIMA_ROWS_TXT ? headerless_separator(first, len) : 0;
    if (bare) {
        p->fmt = bare == '\t' ? YIMA_ROWS_TSV : YIMA_ROWS_CSV;
        rc = implied_columns(p, first, len, bare, err);
    } else if (p->fmt == YIMA_ROWS_TSV || p->fmt == YIMA_ROWS_CSV) {
        p->header = strndup(first, len);
        rc = p->header ? header_columns(p, copy, len, sep, err)
                       : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    if (!rc && template_text && !(rc = yima_template_check(template_text, err))) {
        const char *slot = strstr(template_text, "{code}");
        p->prefix = strndup(template_text, (size_t)(slot - template_text));
        p->suffix = strdup(slot + 6);
    }
    free(copy);
    if (rc) {
        yima_rowparser_free(p);
        return rc;
    }
    *out = p;
    return YIMA_OK;
}

void yima_rowparser_free(yima_rowparser *p)
{
    if (!p)
        return;
    free(p->prefix);
    free(p->suffix);
    free(p->header);
    free(p);
}

yima_rowfmt yima_rowparser_format(const yima_rowparser *p)
{
    return p->fmt;
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

#define EXCERPT_MAX 40

/* At most EXCERPT_MAX bytes of a field for a message, NUL-terminated (a
 * field is not), printable ASCII only: the message may end up in a result
 * line, where a tab or a newline from the input would forge columns. */
static const char *excerpt(yima_field f, char out[EXCERPT_MAX + 1])
{
    size_t n = f.len < EXCERPT_MAX ? f.len : EXCERPT_MAX;
    for (size_t i = 0; i < n; i++)
        out[i] = f.ptr[i] >= 0x20 && f.ptr[i] < 0x7f ? f.ptr[i] : '?';
    out[n] = '\0';
    return out;
}

/* The code inside a payload: the template's slot, a GS1 form as a whole, or
 * else the longest run of letters and digits after the URL's host. */
static int extract_code(const yima_rowparser *p, yima_field payload, yima_field *code,
                        const char *src, uint64_t ln, yima_err *err)
{
    const char *s = payload.ptr, *end = s + payload.len;
    size_t run = 0;
    while (run < payload.len && is_alnum((unsigned char)s[run]))
        run++;
    if (run == payload.len && !p->prefix) { /* the common case: a bare code */
        *code = payload;                     /* (or an unbracketed element string) */
        return YIMA_OK;
    }
    size_t tl = p->prefix ? strlen(p->prefix) : 0; /* a field is not NUL-terminated */
    int template_starts = p->prefix && payload.len >= tl && strncasecmp(s, p->prefix, tl) == 0;
    if (!template_starts && yima_gs1_is_payload(payload.ptr, payload.len)) {
        *code = payload;
        return YIMA_OK;
    }
    if (p->prefix) {
        size_t pl = strlen(p->prefix), sl = strlen(p->suffix);
        if (payload.len < pl + sl || strncasecmp(s, p->prefix, pl) != 0 ||
            strncmp(end - sl, p->suffix, sl) != 0)
            return yima_err_set(err, YIMA_E_DATA, "%s:%llu: payload does not match the template",
                                src, (unsigned long long)ln);
        *code = (yima_field){s + pl, payload.len - pl - sl};
        return YIMA_OK;
    }
    const char *scheme = memmem(s, payload.len, "://", 3);
    if (scheme) {
        const char *path = memchr(scheme + 3, '/', (size_t)(end - scheme - 3));
        s = path ? path : end;
    }
    *code = (yima_field){NULL, 0};
    for (const char *q = s; q < end;) {
        const char *run = q;
        while (q < end && is_alnum((unsigned char)*q))
            q++;
        if ((size_t)(q - run) > code->len)
            *code = (yima_field){run, (size_t)(q - run)};
        if (q == run)
            q++;
    }
    if (!code->len) {
        char shown[EXCERPT_MAX + 1];
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: no code found in '%s'", src,
                            (unsigned long long)ln, excerpt(payload, shown));
    }
    return YIMA_OK;
}

/* Splits a csv or tsv line; csv fields may be quoted ("" escapes a quote). */
static int split_fields(char *line, size_t len, char sep, yima_field *f, int max)
{
    int n = 0;
    char *p = line, *end = line + len;
    for (;;) {
        if (n == max)
            return -1;
        if (sep == ',' && p < end && *p == '"') {
            char *w = p, *r = p + 1;
            for (;; r++) {
                if (r >= end)
                    return -1; /* unterminated quote */
                if (*r == '"' && (r + 1 >= end || r[1] != '"'))
                    break;
                if (*r == '"')
                    r++;
                *w++ = *r;
            }
            f[n++] = (yima_field){p, (size_t)(w - p)};
            p = r + 1;
        } else {
            char *stop = memchr(p, sep, (size_t)(end - p));
            f[n++] = (yima_field){p, (size_t)((stop ? stop : end) - p)};
            p = stop ? stop : end;
        }
        if (p >= end)
            return n;
        if (*p != sep)
            return -1;
        p++;
    }
}

static yima_field column(const yima_rowparser *p, const yima_field *f, int which)
{
    return p->col[which] >= 0 ? f[p->col[which]] : (yima_field){NULL, 0};
}

static int parse_delimited(const yima_rowparser *p, char *line, size_t len, yima_row *row,
                           const char *src, uint64_t ln, yima_err *err)
{
    yima_field f[MAX_COLS];
    char sep = p->fmt == YIMA_ROWS_TSV ? '\t' : ',';
    if (yima_rowparser_is_header(p, line, len)) {
        row->is_header = 1;
        return YIMA_OK;
    }
    int n = split_fields(line, len, sep, f, MAX_COLS);
    if (n < 0)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: unbalanced quotes or too many fields",
                            src, (unsigned long long)ln);
    if (n != p->ncols)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: expected %d fields, found %d (truncated?)",
                            src, (unsigned long long)ln, p->ncols, n);
    row->code = column(p, f, COL_CODE);
    row->payload = column(p, f, COL_PAYLOAD);
    row->inner = column(p, f, COL_INNER);
    row->case_code = column(p, f, COL_CASE);
    row->pallet_code = column(p, f, COL_PALLET);
    row->level = column(p, f, COL_LEVEL);
    row->index = column(p, f, COL_INDEX);
    for (size_t i = 0; i < p->nwant; i++)
        row->extra[i] = f[p->want_col[i]];
    if (!row->code.ptr)
        return extract_code(p, row->payload, &row->code, src, ln, err);
    return YIMA_OK;
}

/* Copies a JSON member into the line buffer (decoded text is never longer
 * than its encoding, so it fits behind what was already copied). */
static yima_field json_member(json_t *obj, const char *key, char *line, size_t *used)
{
    json_t *v = json_object_get(obj, key);
    char num[32];
    const char *s = NULL;
    size_t n = 0;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    }
    if (!s)
        return (yima_field){NULL, 0};
    memcpy(line + *used, s, n);
    yima_field f = {line + *used, n};
    *used += n;
    return f;
}

static int parse_jsonl(const yima_rowparser *p, char *line, size_t len, yima_row *row,
                       const char *src, uint64_t ln, yima_err *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: invalid JSON at column %d: %s", src,
                            (unsigned long long)ln, obj ? 1 : jerr.column,
                            obj ? "not an object" : jerr.text);
    }
    size_t used = 0;
    row->code = json_member(obj, "code", line, &used);
    row->payload = json_member(obj, "payload", line, &used);
    row->inner = json_member(obj, "inner", line, &used);
    row->case_code = json_member(obj, "case", line, &used);
    row->pallet_code = json_member(obj, "pallet", line, &used);
    row->level = json_member(obj, "level", line, &used);
    row->index = json_member(obj, "index", line, &used);
    for (size_t i = 0; i < p->nwant; i++)
        row->extra[i] = json_member(obj, p->want[i], line, &used);
    json_decref(obj);
    if (!row->code.ptr && !row->payload.ptr)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: JSON object has no code or payload", src,
                            (unsigned long long)ln);
    if (!row->code.ptr)
        return extract_code(p, row->payload, &row->code, src, ln, err);
    return YIMA_OK;
}

int yima_line_check(const char *line, size_t len, const char *src, uint64_t ln, yima_err *err)
{
    if (len > YIMA_LINE_MAX)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: line longer than %d bytes", src,
                            (unsigned long long)ln, YIMA_LINE_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        /* GS (0x1D) separates a scanner's GS1 fields: text, not binary */
        if ((c < 0x20 && c != '\t' && c != YIMA_GS1_GS) || c == 0x7f)
            return yima_err_set(err, YIMA_E_DATA,
                                "%s:%llu: binary data (byte 0x%02x at column %zu), not text", src,
                                (unsigned long long)ln, c, i + 1);
    }
    return YIMA_OK;
}

static int check_text(char *line, size_t *len, const char *src, uint64_t ln, yima_err *err)
{
    while (*len > 0 && (line[*len - 1] == '\r' || line[*len - 1] == ' '))
        (*len)--;
    if (*len == 0)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: empty line", src, (unsigned long long)ln);
    return yima_line_check(line, *len, src, ln, err);
}

int yima_rowparser_is_header(const yima_rowparser *p, const char *line, size_t len)
{
    char sep = p->fmt == YIMA_ROWS_TSV ? '\t' : ',';
    if (p->fmt != YIMA_ROWS_TSV && p->fmt != YIMA_ROWS_CSV)
        return 0;
    if (len > 5 && strncasecmp(line, "index", 5) == 0 && line[5] == sep)
        return 1;
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    return p->header && strlen(p->header) == len && memcmp(p->header, line, len) == 0;
}

/* The position of column name in the header, or -1. */
static int header_position(const yima_rowparser *p, const char *name)
{
    const char *f = p->header, *end = f + strlen(f);
    char sep = p->fmt == YIMA_ROWS_TSV ? '\t' : ',';
    for (int n = 0; f <= end; n++) {
        const char *stop = memchr(f, sep, (size_t)(end - f));
        if (field_is(f, (size_t)((stop ? stop : end) - f), name))
            return n;
        if (!stop)
            break;
        f = stop + 1;
    }
    return -1;
}

int yima_rowparser_want(yima_rowparser *p, const char *const *names, size_t n, const char *src,
                        yima_err *err)
{
    if (n > YIMA_ROW_EXTRA_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "more than %d named columns", YIMA_ROW_EXTRA_MAX);
    for (size_t i = 0; i < n; i++) {
        /* jsonl copies each member once into the line: no name twice */
        for (size_t j = 0; j < COL__COUNT + i; j++)
            if (!strcasecmp(names[i], j < COL__COUNT ? col_names[j] : names[j - COL__COUNT]))
                return yima_err_set(err, YIMA_E_USAGE, "column '%s' asked for twice", names[i]);
        if (p->fmt == YIMA_ROWS_JSONL)
            continue;
        if (!p->header)
            return yima_err_set(err, YIMA_E_DATA,
                                "%s: has no column names, so it has no '%s' column (use csv or "
                                "tsv with a header row, or jsonl)",
                                src, names[i]);
        if ((p->want_col[i] = header_position(p, names[i])) < 0)
            return yima_err_set(err, YIMA_E_DATA, "%s: no column '%s' in its header row", src,
                                names[i]);
    }
    p->want = names;
    p->nwant = n;
    return YIMA_OK;
}

int yima_rowparser_parse(const yima_rowparser *p, char *line, size_t len, yima_row *row,
                         const char *src, uint64_t ln, yima_err *err)
{
    memset(row, 0, sizeof *row);
    int rc = check_text(line, &len, src, ln, err);
    if (rc)
        return rc;
    switch (p->fmt) {
    case YIMA_ROWS_TSV:
    case YIMA_ROWS_CSV:
        return parse_delimited(p, line, len, row, src, ln, err);
    case YIMA_ROWS_JSONL:
        return parse_jsonl(p, line, len, row, src, ln, err);
    default:
        row->payload = (yima_field){line, len};
        return extract_code(p, row->payload, &row->code, src, ln, err);
    }
}
