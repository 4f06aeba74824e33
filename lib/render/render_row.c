/* SPDX-License-Identifier: MIT */
/*
 * The work stage of a render run: each row of a job becomes a symbol, its
 * text lines and a label plan, then an image, a ZPL label or a place on a
 * page. A worker keeps its encoder, font and buffers from row to row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_run.h"
#include "yima/code.h"

int yr_at_line(yima_err *err, const char *src, uint64_t lineno)
{
    char msg[sizeof err->msg + 64];
    int n = snprintf(msg, sizeof msg, "%s:%" PRIu64 ": %s", src, lineno, err->msg);
    (void)n; /* a message cut at the buffer's end still names the row first */
    memcpy(err->msg, msg, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = '\0';
    return err->code;
}

void *yr_worker_init(void *ctx)
{
    run *r = ctx;
    unsigned n = r->per_page ? r->per_page : 1;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->syms = calloc(n, sizeof *w->syms);
    w->plans = calloc(n, sizeof *w->plans);
    w->texts = calloc(n * YIMA_TEXT_LINES_MAX, sizeof *w->texts);
    yima_err ignored;
    int ok = w->syms && w->plans && w->texts && !yr_encoder_create(&r->opt, &w->enc) &&
             (!r->need_font || !yr_font_open(r->opt.font, &w->font, &ignored));
    if (!ok) {
        yr_worker_free(ctx, w);
        return NULL; /* the work stage reports it */
    }
    return w;
}

void yr_worker_free(void *ctx, void *state)
{
    run *r = ctx;
    worker *w = state;
    unsigned n = r->per_page ? r->per_page : 1;
    if (!w)
        return;
    for (unsigned i = 0; w->syms && i < n; i++)
        yr_symbol_free(&w->syms[i]);
    for (unsigned i = 0; w->texts && i < n * YIMA_TEXT_LINES_MAX; i++)
        yima_buf_free(&w->texts[i]);
    yr_symbol_free(&w->tmp);
    yr_bitmap_free(&w->bm);
    yima_buf_free(&w->img);
    yr_encoder_free(w->enc);
    yr_font_free(w->font);
    free(w->syms);
    free(w->plans);
    free(w->texts);
    free(w);
}

/* The number in a field, or fallback when it is absent or not a number. */
static uint64_t field_number(yima_field f, uint64_t fallback)
{
    uint64_t v = 0;
    if (!f.ptr || !f.len || f.len > 19)
        return fallback;
    for (size_t i = 0; i < f.len; i++) {
        if (f.ptr[i] < '0' || f.ptr[i] > '9')
            return fallback;
        v = v * 10 + (uint64_t)(f.ptr[i] - '0');
    }
    return v;
}

/* A row's code, parsed once: whether it is a well-formed yima code
 * (compact or GS1), and its serial (an empty field when it has none). */
typedef struct row_code {
    int ok;
    yima_field serial;
    yima_code_info info;
} row_code;

static void parse_code(yima_field code, row_code *c)
{
    c->ok = code.ptr && code.len < YIMA_CODE_MAX &&
            yima_code_parse(code.ptr, code.len, &c->info) == YIMA_S_OK;
    c->serial = (yima_field){NULL, 0};
    if (c->ok && c->info.gs1 && c->info.serial[0])
        c->serial = (yima_field){c->info.serial, strlen(c->info.serial)};
    else if (c->ok && !c->info.gs1)
        c->serial = (yima_field){code.ptr + c->info.serial_offset, (size_t)c->info.serial_len};
}

/* What the symbol carries: the payload (else the code), or the inner code. */
static int symbol_field(const run *r, const yima_row *row, yima_field *f, yima_err *err)
{
    if (r->opt.column == YIMA_COLUMN_INNER) {
        *f = row->inner;
        if (!f->ptr || !f->len)
            return yima_err_set(err, YIMA_E_DATA, "the row has no inner code (gen --inner makes them)");
        return YIMA_OK;
    }
    *f = row->payload.ptr ? row->payload : row->code;
    if (!f->ptr || !f->len)
        return yima_err_set(err, YIMA_E_DATA, "the row has no payload");
    return YIMA_OK;
}

/* The readable code: a GS1 element string's HRI form, the code column of a
 * well-formed yima code, else what the symbol carries. */
static yima_field readable(const run *r, const yima_row *row, const row_code *c,
                           const yr_payload *p, yima_field carried)
{
    if (p->gs1)
        return (yima_field){p->hri, p->hri_len};
    if (r->opt.column == YIMA_COLUMN_PAYLOAD && row->code.ptr && row->code.len < YIMA_CODE_MAX &&
        (row->code.ptr[0] == '(' || c->ok))
        return row->code;
    return carried;
}

/* Expands every text line of the label in slot k; texts and lens point
 * into the worker's buffers. */
static int expand_texts(run *r, worker *w, unsigned k, const yima_row *row, const row_code *c,
                        yima_field carried, uint64_t pos, const char **texts, size_t *lens,
                        yima_err *err)
{
    yr_fieldset f = {.names = r->tpl.columns};
    char index[24];
    snprintf(index, sizeof index, "%" PRIu64, field_number(row->index, pos));
    f.v[YR_FIELD_CODE] = readable(r, row, c, &w->pl, carried);
    f.v[YR_FIELD_SERIAL] = c->serial;
    f.v[YR_FIELD_INDEX] = (yima_field){index, strlen(index)};
    f.v[YR_FIELD_PAYLOAD] = carried;
    f.v[YR_FIELD_LEVEL] = row->level;
    for (size_t i = 0; i < r->tpl.ncolumns; i++)
        f.v[YR_FIELD__COUNT + i] = row->extra[i];
    for (int i = 0; i < r->tpl.nlines; i++) {
        yima_buf *b = &w->texts[k * YIMA_TEXT_LINES_MAX + (unsigned)i];
        b->len = 0;
        int rc = yr_template_expand(&r->tpl.lines[i], &f, r->opt.group, b, err);
        if (rc)
            return rc;
        texts[i] = (const char *)b->data;
        lens[i] = b->len;
    }
    return YIMA_OK;
}

/* The symbol of the row into slot k, turned as the label asks. */
static int encode(run *r, worker *w, unsigned k, yima_err *err)
{
    char name[64];
    int turn = r->opt.label ? r->opt.label->rotate : 0;
    yr_symbol *into = turn ? &w->tmp : &w->syms[k];
    int rc = yr_encode(w->enc, &r->opt, &w->pl, r->size, into);
    if (rc == YIMA_E_DATA)
        return yima_err_set(err, rc, "payload of %zu bytes does not fit %s (the size the first "
                                     "payload set%s)", w->pl.len,
                            yr_size_name(&r->opt, r->size, name, sizeof name),
                            r->opt.symbol == YIMA_SYM_QR ? "; give a larger version" : "");
    if (!rc && turn)
        rc = yr_symbol_rotate(&w->tmp, turn, &w->syms[k]);
    return rc == YIMA_E_NOMEM ? yima_err_set(err, rc, "out of memory") : rc;
}

/* A file name: the code's serial (YIMA_NAME_SERIAL, when the code parses)
 * or the row's index (gen's index column, else its 0-based position), with
 * the level before it for cases and pallets; pages are page-N from 1. */
static void file_name(const run *r, uint64_t n, const yima_row *row, yima_field serial, int page,
                      char *name, size_t size)
{
    const char *ext = r->per_page ? "png" : yima_imgfmt_name(r->opt.format);
    if (page)
        snprintf(name, size, "page-%05" PRIu64 ".png", n + 1);
    else if (r->opt.naming == YIMA_NAME_SERIAL && serial.ptr)
        snprintf(name, size, "%.*s.%s", (int)serial.len, serial.ptr, ext);
    else if (row->level.ptr && row->level.len && strncmp(row->level.ptr, "item", row->level.len))
        snprintf(name, size, "%.*s-%08" PRIu64 ".%s", (int)row->level.len, row->level.ptr,
                 field_number(row->index, n), ext); /* gen counts each level from 0 */
    else
        snprintf(name, size, "%08" PRIu64 ".%s", field_number(row->index, n), ext);
}

/* Sends one finished image (symbol or page) to its container. */
static int emit(run *r, yima_job *job, const char *name, const yima_buf *img, yima_err *err)
{
    char path[4096];
    job->stat[ST_FILES]++;
    if (r->opt.pack == YIMA_PACK_TAR)
        return yr_tar_member(name, img->data, img->len, &job->out, err);
    if (r->opt.pack != YIMA_PACK_DIR)
        return yima_buf_append(&job->out, img->data, img->len)
                   ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
                   : YIMA_OK;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", r->opt.dir, name) >= sizeof path)
        return yima_err_set(err, YIMA_E_USAGE, "%s: directory path too long", r->opt.dir);
    yima_out *out;
    int rc = yima_out_open(&out, path, r->opt.force, 0, err);
    if (!rc)
        yima_out_set_sync(out, 0); /* one sync of the whole directory at the end */
    if (!rc && (rc = yima_out_write(out, img->data, img->len, err)))
        yima_out_abort(out);
    else if (!rc)
        rc = yima_out_commit(out, NULL, err);
    return rc;
}

/* A PDF page into job->out, and its page_rec into job->aux followed by
 * the glyph indices it uses, padded to a whole page_rec alignment. */
static int pdf_page(run *r, worker *w, yima_job *job, uint64_t page, unsigned n, yima_err *err)
{
    page_rec rec = {.start = job->out.len};
    size_t at = job->aux.len;
    static const uint64_t pad = 0;
    if (yima_buf_append(&job->aux, &rec, sizeof rec))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    uint64_t local = page - r->opt.range_start / r->per_page;
    int rc = yr_pdf_page(&r->opt, w->plans, w->syms, n, w->font,
                         yr_pdfw_first_obj(&r->opt, local), &job->out, rec.offs, &job->aux, err);
    rec.len = job->out.len - rec.start;
    rec.ngids = (job->aux.len - at - sizeof rec) / sizeof(uint32_t);
    memcpy(job->aux.data + at, &rec, sizeof rec);
    job->stat[ST_FILES]++;
    if (!rc && yima_buf_append(&job->aux, &pad, (sizeof pad - job->aux.len % sizeof pad) % sizeof pad))
        rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return rc;
}

/* Emits the page holding the n labels in w (page: its number in the run). */
static int flush_page(run *r, worker *w, yima_job *job, uint64_t page, unsigned n, yima_err *err)
{
    char name[64];
    if (r->opt.pack == YIMA_PACK_PDF)
        return pdf_page(r, w, job, page, n, err);
    w->img.len = 0;
    int rc = yr_png_page(&r->opt, w->plans, w->syms, n, w->font, &w->bm, &w->img, err);
    file_name(r, page, NULL, (yima_field){NULL, 0}, 1, name, sizeof name);
    return rc ? rc : emit(r, job, name, &w->img, err);
}

/* Draws the label of slot 0 alone: an image, or a ZPL label. */
static int lone_label(run *r, worker *w, yima_job *job, const yima_row *row,
                      const row_code *c, uint64_t pos, yima_err *err)
{
    char name[160];
    if (r->opt.pack == YIMA_PACK_ZPL)
        return yr_zpl_label(&r->opt, &w->plans[0], &w->pl, r->size, w->font, &job->out, err);
    w->img.len = 0;
    int rc = yr_image(&r->opt, &w->plans[0], &w->syms[0], w->font, &w->bm, &w->img, err);
    file_name(r, pos, row, c->serial, 0, name, sizeof name);
    return rc ? rc : emit(r, job, name, &w->img, err);
}

/* Renders one row, at position pos among the run's selected rows; errors
 * of the row's data name src:lineno. */
static int render_row(run *r, worker *w, yima_job *job, const yima_row *row, uint64_t pos,
                      const char *src, uint64_t lineno, yima_err *err)
{
    const char *texts[YIMA_TEXT_LINES_MAX];
    size_t lens[YIMA_TEXT_LINES_MAX];
    yima_field carried;
    row_code c;
    unsigned k = r->per_page ? (unsigned)((pos - r->opt.range_start) % r->per_page) : 0;
    int rc = symbol_field(r, row, &carried, err);
    if (rc)
        return yr_at_line(err, src, lineno);
    if ((rc = yr_payload_prepare(carried.ptr, carried.len, &w->pl, src, lineno, err)) ||
        (rc = yr_check_symbol(&r->opt, &w->pl, src, lineno, err)))
        return rc;
    c.ok = 0;
    c.serial = (yima_field){NULL, 0};
    if (r->tpl.nlines || r->opt.naming == YIMA_NAME_SERIAL) /* else nothing reads it */
        parse_code(row->code, &c);
    if ((rc = encode(r, w, k, err)) ||
        (rc = expand_texts(r, w, k, row, &c, carried, pos, texts, lens, err)) ||
        (rc = yr_plan_label(&r->opt, w->font, &w->syms[k], texts, lens, r->tpl.nlines,
                            &w->plans[k], err)))
        return rc == YIMA_E_NOMEM ? rc : yr_at_line(err, src, lineno);
    job->stat[ST_SYMBOLS]++;
    if (!r->per_page)
        return lone_label(r, w, job, row, &c, pos, err);
    if (k + 1 == r->per_page)
        return flush_page(r, w, job, pos / r->per_page, k + 1, err);
    return YIMA_OK;
}

int yr_work(void *ctx, void *state, yima_job *job, yima_err *err)
{
    run *r = ctx;
    worker *w = state;
    size_t file = job->stat[ST_FILE];
    const char *src = yr_source_name(r, file);
    char *p = (char *)job->in.data, *end = p + job->in.len;
    uint64_t pos = job->stat[ST_FIRST_ROW], lineno = job->start;
    int rc = w ? 0 : yima_err_set(err, YIMA_E_NOMEM, "out of memory (or the font would not open)");
    for (char *nl; !rc && p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (*p == SOURCE_MARK) {
            char *q;
            file = strtoull(p + 1, &q, 10);
            lineno = strtoull(q + 1, NULL, 10);
            src = yr_source_name(r, file);
            continue;
        }
        yima_row row;
        rc = yima_rowparser_parse(r->parsers[file], p, (size_t)(nl - p), &row, src, lineno, err);
        if (!rc && !row.is_header)
            rc = render_row(r, w, job, &row, pos++, src, lineno, err);
        lineno++;
    }
    unsigned left = r->per_page ? (unsigned)((pos - r->opt.range_start) % r->per_page) : 0;
    if (!rc && left) /* the last, partly filled page */
        rc = flush_page(r, w, job, pos / r->per_page, left, err);
    return rc;
}
