/* SPDX-License-Identifier: MIT */
/*
 * The row parser (lib/rows.h): the input's first line builds the parser, as
 * verify and render do, then every line (the first one too) is parsed, by a
 * parser without a template and by one with. Each line sits in a heap copy
 * of exactly its length, so ASan catches any read past it. Oracles: every
 * field points inside its line, a successful parse has a code, an error is
 * YIMA_E_DATA with a message, and parsing is deterministic (two copies parse
 * to the same offsets and bytes).
 */
#include <string.h>
#include "rows.h"
#include "fuzz_common.h"

#define TEMPLATE "HTTPS://V.EXAMPLE.CN/{code}?s=1"

typedef struct parsed {
    char *line;
    int rc;
    yima_row row;
    yima_err err;
} parsed;

static const yima_field *field(const yima_row *r, int i)
{
    const yima_field *all[] = {&r->code,      &r->payload,     &r->inner, &r->case_code,
                               &r->pallet_code, &r->level, &r->index};
    return i < 7 ? all[i] : NULL;
}

static void parse(const yima_rowparser *p, const char *line, size_t len, uint64_t ln, parsed *out)
{
    out->line = fz_dup(line, len);
    memset(&out->err, 0, sizeof out->err);
    out->rc = yima_rowparser_parse(p, out->line, len, &out->row, "fuzz", ln, &out->err);
}

static void check_fields(const parsed *a, size_t len)
{
    for (int i = 0; field(&a->row, i); i++) {
        const yima_field *f = field(&a->row, i);
        if (!f->ptr) {
            FZ_ASSERT(f->len == 0, "field %d: NULL with length %zu", i, f->len);
            continue;
        }
        FZ_ASSERT(f->ptr >= a->line && f->len <= len &&
                      f->ptr - a->line <= (ptrdiff_t)(len - f->len),
                  "field %d (offset %td, length %zu) outside its %zu-byte line", i,
                  f->ptr - a->line, f->len, len);
    }
}

static void same(const parsed *a, const parsed *b)
{
    FZ_ASSERT(a->rc == b->rc, "one line parsed twice: %d then %d", a->rc, b->rc);
    if (a->rc) {
        FZ_ASSERT(strcmp(a->err.msg, b->err.msg) == 0, "two messages: '%s', '%s'", a->err.msg,
                  b->err.msg);
        return;
    }
    FZ_ASSERT(a->row.is_header == b->row.is_header, "header once, data once");
    for (int i = 0; field(&a->row, i); i++) {
        const yima_field *f = field(&a->row, i), *g = field(&b->row, i);
        FZ_ASSERT(!f->ptr == !g->ptr && f->len == g->len &&
                      (!f->ptr || (f->ptr - a->line == g->ptr - b->line &&
                                   memcmp(f->ptr, g->ptr, f->len) == 0)),
                  "field %d differs between two parses of one line", i);
    }
}

static void check_line(const yima_rowparser *p, const char *line, size_t len, uint64_t ln)
{
    parsed a, b;
    parse(p, line, len, ln, &a);
    parse(p, line, len, ln, &b);
    if (a.rc) {
        FZ_ASSERT(a.rc == YIMA_E_DATA, "error %d, not YIMA_E_DATA: %s", a.rc, a.err.msg);
        FZ_ASSERT(a.err.msg[0] && strncmp(a.err.msg, "fuzz:", 5) == 0,
                  "message does not name source:line: '%s'", a.err.msg);
    } else {
        check_fields(&a, len);
        FZ_ASSERT(a.row.is_header || a.row.code.ptr, "parsed, but no code");
    }
    same(&a, &b);
    free(a.line);
    free(b.line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *nl = memchr(s, '\n', size);
    size_t first = (size_t)((nl ? nl : end) - s);
    yima_rowparser *plain = NULL, *templated = NULL;
    yima_err err;
    if (size > 256 * 1024)
        return 0;
    char *copy = fz_dup(s, first); /* exact size: create must not read past it either */
    int rc = yima_rowparser_create(&plain, copy, first, NULL, &err);
    if (!rc)
        rc = yima_rowparser_create(&templated, copy, first, TEMPLATE, &err);
    free(copy);
    if (rc) {
        yima_rowparser_free(plain);
        return 0;
    }
    FZ_ASSERT(yima_rowparser_format(plain) == yima_rowparser_format(templated),
              "the template changed the format");
    uint64_t ln = 1;
    for (const char *p = s; p < end; ln++) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((e ? e : end) - p);
        check_line(plain, p, len, ln);
        check_line(templated, p, len, ln);
        p = e ? e + 1 : end;
    }
    yima_rowparser_free(plain);
    yima_rowparser_free(templated);
    return 0;
}
