/* SPDX-License-Identifier: MIT */
/* Row formatting for gen: the bytes of txt, csv, tsv and jsonl outputs,
 * of compact codes and of GS1 element strings. */
#ifndef YIMA_GEN_ROWS_H
#define YIMA_GEN_ROWS_H

#include "yima/gen.h"
#include "pipeline.h"

typedef struct yima_rowfmt_state {
    const yima_gen_options *opt;
    const char *prefix, *suffix; /* payload template around {code} */
    size_t prefix_len, suffix_len;
    size_t serial_offset, serial_len;
    size_t row_max;              /* bytes one row can take at most */
    int gzip, quote_payload;
    const yima_gs1_params *gs1;  /* the codec's GS1 parameters, or NULL */
    unsigned gs1_forms;          /* GS1 forms the rows show: 1 << YIMA_GS1_F_* */
    int gs1_quote;               /* csv: element strings need quotes (a lot with , or ") */
} yima_rowfmt_state;

int yima_gen_rows_init(yima_rowfmt_state *s, const yima_gen_options *opt, yima_err *err);
/* The csv/tsv header row. */
int yima_gen_header(const yima_rowfmt_state *s, yima_buf *out, yima_err *err);
/* Appends the rows of items [start, start+count) (and the case and pallet
 * rows that close inside it) to out; adds the row count to *rows. */
int yima_gen_rows(const yima_rowfmt_state *s, uint64_t start, uint64_t count, yima_buf *out,
                  uint64_t *rows, yima_err *err);

#endif
