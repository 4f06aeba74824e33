/* SPDX-License-Identifier: MIT */
/* The state of one yima_render_run, shared by its read and write stages
 * (render_run.c) and its work stage (render_row.c). Library-private. */
#ifndef YIMA_RENDER_RUN_H
#define YIMA_RENDER_RUN_H

#include "io.h"
#include "pipeline.h"
#include "render_internal.h"
#include "rows.h"

/* A job's lines can skip lines or span inputs: a line starting with this
 * byte (which no text line can) says "file F from line L on". */
#define SOURCE_MARK '\x1e'

enum { ST_FIRST_ROW, ST_FILE, ST_SYMBOLS, ST_FILES }; /* job->stat slots */

/* One PDF page in a job's output, for the writer (job->aux): followed in
 * aux by ngids uint32_t glyph indices, padded to a multiple of 8 bytes. */
typedef struct page_rec {
    uint64_t start, len;
    uint64_t offs[YR_PDF_OBJS_PER_PAGE];
    uint64_t ngids;
} page_rec;

typedef struct run {
    yima_render_options opt;
    yima_label sheet_label;      /* a sheet's labels when opt names none: the pitch */
    const char *const *inputs;
    size_t ninputs, file;        /* file: index of the input being read */
    size_t job_file;             /* input of the last line put in a job */
    uint64_t job_next_line;      /* the line number that line's successor has */
    yima_lines *lines;
    yima_rowparser **parsers;    /* one per input, built from its first line */
    yima_buf pend;               /* lines read but not yet handed to a job */
    size_t pend_pos;
    uint64_t pend_line;
    yima_buf scratch;            /* a line copied to be parsed by the read stage */
    uint64_t rows;               /* rows selected so far (by level), from 0 */
    uint64_t rows_per_job;
    int done;                    /* the range is complete: read no more */
    int size;                    /* the run's symbol size, set by the first row */
    int sym_w, sym_h;            /* its modules */
    unsigned per_page;           /* labels a page (sheet or roll), 0 without pages */
    yr_templates tpl;
    int need_font;
    yima_out *out;               /* stream output; NULL for YIMA_PACK_DIR and PDF */
    yr_pdfw *pdf;
    uint64_t bytes, symbols, files;
} run;

typedef struct worker {
    yr_encoder *enc;
    yr_font *font;
    yr_payload pl;
    yr_bitmap bm;
    yima_buf img;
    yr_symbol tmp;               /* a symbol before its rotation */
    yr_symbol *syms;             /* one per label of a page (one without pages) */
    yr_plan *plans;
    yima_buf *texts;             /* the expanded text lines of each label */
} worker;

const char *yr_source_name(const run *r, size_t file);
/* The work stage: parses, encodes, lays out and draws every row of a job. */
int yr_work(void *ctx, void *state, yima_job *job, yima_err *err);
void *yr_worker_init(void *ctx);
void yr_worker_free(void *ctx, void *state);
/* Prefixes err's message with "src:line: ". Returns err->code. */
int yr_at_line(yima_err *err, const char *src, uint64_t lineno);

#endif
