/* SPDX-License-Identifier: MIT */
/*
 * The line parser shared by verify, render and link: one line of gen output
 * (txt, csv, tsv, jsonl) or a bare code or payload, split into fields.
 *
 * gen's columns, in order: index level serial code payload [inner] [case pallet]
 * csv and tsv start with that header row (a later shard has none: its columns
 * follow from their count); jsonl uses the same names as keys. Any other csv
 * or tsv whose first line names a code or payload column is read by its
 * header too, so gen output merged with product data (product, lot, ...)
 * keeps its extra columns for readers that ask for them.
 *
 * A parser is built once from the first line of the input (which decides the
 * format and, for csv/tsv, the columns) and is then read-only: many threads
 * may parse lines with it at once.
 */
#ifndef YIMA_ROWS_H
#define YIMA_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"


typedef enum { YIMA_ROWS_TXT, YIMA_ROWS_CSV, YIMA_ROWS_TSV, YIMA_ROWS_JSONL } yima_rowfmt;

typedef struct yima_field {
    const char *ptr; /* NULL when the row has no such field */
    size_t len;
} yima_field;

#define YIMA_ROW_EXTRA_MAX 16 /* named columns a reader asks for (yima_rowparser_want) */

typedef struct yima_row {
    yima_field code;    /* the bare code (extracted from a payload if need be) */
    yima_field payload; /* what a symbol carries: payload column or whole txt line */
    yima_field inner, case_code, pallet_code, level, index;
    yima_field extra[YIMA_ROW_EXTRA_MAX]; /* the wanted columns, in the order asked */
    int is_header;      /* the line was the csv/tsv header: skip it */
} yima_row;

typedef struct yima_rowparser yima_rowparser;

/* Builds a parser from the input's first line (without its newline).
 * template (may be NULL) is a payload template such as
 * "HTTPS://V.EXAMPLE.CN/{code}" used to cut the code out of payloads;
 * without one a code is the longest run of letters and digits after the
 * URL's host. */
int yima_rowparser_create(yima_rowparser **parser, const char *first_line, size_t len,
                                   const char *template_text, yima_err *err);
void yima_rowparser_free(yima_rowparser *parser);
yima_rowfmt yima_rowparser_format(const yima_rowparser *parser);

/* Splits one line (no newline; may be modified in place: unquoting and
 * JSON unescaping). On a malformed line returns YIMA_E_DATA with err naming
 * source:lineno and what is wrong. */
int yima_rowparser_parse(const yima_rowparser *parser, char *line, size_t len,
                                  yima_row *row, const char *source, uint64_t lineno,
                                  yima_err *err);

/* Asks for columns by name (csv/tsv header names, jsonl keys); parse then
 * fills row->extra[i] for names[i] (a jsonl row without that key leaves it
 * NULL). YIMA_E_DATA naming the column and the source when the header has
 * no such column or the input has no named columns (txt). At most
 * YIMA_ROW_EXTRA_MAX names; names must outlive the parser. */
int yima_rowparser_want(yima_rowparser *parser, const char *const *names, size_t n,
                        const char *source, yima_err *err);

/* 1 if line is the csv/tsv header row, which readers skip. */
int yima_rowparser_is_header(const yima_rowparser *parser, const char *line, size_t len);

/* Checks that a line (trailing CR removed) is text at all: at most
 * YIMA_LINE_MAX bytes and no control bytes but tab. YIMA_E_DATA naming
 * source:lineno otherwise. */
int yima_line_check(const char *line, size_t len, const char *source, uint64_t lineno,
                             yima_err *err);

/* Splits a template at "{code}"; YIMA_E_USAGE if it has no such slot. */
int yima_template_check(const char *template_text, yima_err *err);

#endif
