/* SPDX-License-Identifier: MIT */
/*
 * yima_render_run: lines in, images out, through the ordered pipeline.
 *
 * read  cuts the input into jobs of whole lines holding a fixed number of
 *       data rows (whole pages for sheets), so every job knows the position
 *       of its first row, and fixes the QR version from the first payload;
 * work  parses, encodes and draws every row, writing directory files itself;
 * write appends stream output (tar, PDF, ZPL, single image) in order.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "render_internal.h"
#include "yima/code.h"
#include "io.h"
#include "rows.h"

#define ROWS_PER_JOB 128
/* A job's lines can span inputs: a line starting with this byte (which no
 * text line can) says "file F from line L on". Sheet pages then never split. */
#define SOURCE_MARK '\x1e'

enum { ST_FIRST_ROW, ST_FILE, ST_SYMBOLS, ST_FILES }; /* job->stat slots */

typedef struct run {
    yima_render_options opt;
    const char *const *inputs;
    size_t ninputs, file;       /* file: index of the input being read */
    size_t job_file;            /* input of the last line put in a job */
    yima_lines *lines;
    yima_rowparser **parsers;   /* one per input, built from its first line */
    yima_buf pend;              /* lines read but not yet handed to a job */
    size_t pend_pos;
    uint64_t pend_line;
    uint64_t rows, rows_per_job;
    int version, width;
    unsigned per_page;          /* labels per sheet page, 0 without a sheet */
    yima_out *out;              /* stream output; NULL for YIMA_PACK_DIR */
    yima_buf offs;              /* PDF: uint64 offset of every object */
    uint64_t bytes, symbols, files;
} run;

typedef struct worker {
    yr_bitmap bm;
    yima_buf img;
    yr_payload pl;
    QRcode **qrs;  /* a sheet page's symbols */
    char **texts;
    size_t *tlens;
    char **owned;  /* texts the page owns (HRI forms), freed with it */
    yr_dmtx *dm;   /* DataMatrix encoder and symbol, reused row after row */
    QRcode dmsym;
} worker;

static const char *source_name(const run *r, size_t file)
{
    return file < r->ninputs && strcmp(r->inputs[file], "-") ? r->inputs[file] : "(stdin)";
}

/* ---- read stage ---------------------------------------------------------- */

/* Next line of the current input, or *line NULL at its end. */
static int next_line(run *r, char **line, size_t *len, uint64_t *lineno, yima_err *err)
{
    *line = NULL;
    if (r->pend_pos >= r->pend.len) {
        uint64_t n;
        r->pend_pos = 0;
        /* The line reader's own convention: 1 lines read, 0 end, or an error. */
        int rc = yima_lines_read(r->lines, &r->pend, 1 << 18, &r->pend_line, &n, err);
        if (rc != 1)
            return rc;
    }
    char *p = (char *)r->pend.data + r->pend_pos;
    size_t left = r->pend.len - r->pend_pos;
    char *nl = memchr(p, '\n', left);
    *line = p;
    *len = nl ? (size_t)(nl - p) : left;
    *lineno = r->pend_line++;
    r->pend_pos += *len + (nl != NULL);
    return YIMA_OK;
}

static int row_payload(const yima_row *row, yima_field *payload)
{
    *payload = row->payload.ptr ? row->payload : row->code;
    return payload->ptr && payload->len;
}

/* The message for a first payload that fits no symbol or not the fixed version. */
static int first_too_long(const run *r, const yr_payload *p, const char *src, uint64_t lineno,
                          yima_err *err)
{
    char name[64];
    int need = r->opt.symbol == YIMA_SYM_QR ? yima_render_fit_version(p->data, p->len, r->opt.ecc)
                                            : 0;
    if (!need || !r->opt.version)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: payload of %zu bytes is too long for any %s",
                            src, (unsigned long long)lineno, p->len,
                            r->opt.symbol == YIMA_SYM_QR
                                ? (snprintf(name, sizeof name, "QR symbol at ECC %s",
                                            yima_ecc_name(r->opt.ecc)), name)
                                : "DataMatrix symbol");
    return yima_err_set(err, YIMA_E_USAGE,
                        "QR version %d is too small for the first payload (%s:%llu needs version "
                        "%d at ECC %s)", r->opt.version, src, (unsigned long long)lineno, need,
                        yima_ecc_name(r->opt.ecc));
}

/* The first payload fixes the size of every symbol in the run. */
static int fix_version(run *r, const char *line, size_t len, uint64_t lineno, yima_err *err)
{
    const char *src = source_name(r, r->file);
    char *copy = malloc(len + 1);
    yr_payload *p = malloc(sizeof *p);
    yima_row row;
    yima_field pl;
    QRcode *qr = NULL;
    if (!copy || !p) {
        free(copy);
        free(p);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    memcpy(copy, line, len);
    int rc = yima_rowparser_parse(r->parsers[r->file], copy, len, &row, src, lineno, err);
    if (!rc && !row_payload(&row, &pl))
        rc = yima_err_set(err, YIMA_E_DATA, "%s:%llu: row has no payload", src,
                          (unsigned long long)lineno);
    if (!rc)
        rc = yr_payload_prepare(pl.ptr, pl.len, p, src, lineno, err);
    if (!rc)
        rc = yr_check_symbol(&r->opt, p, src, lineno, err);
    int size = !rc && r->opt.symbol == YIMA_SYM_DATAMATRIX ? yr_dmtx_fit(p->data, p->len, p->gs1)
                                                    : r->opt.version;
    if (!rc && (rc = yr_encode(&r->opt, p, size, &qr)))
        rc = rc == YIMA_E_NOMEM ? yima_err_set(err, rc, "out of memory")
                                : first_too_long(r, p, src, lineno, err);
    if (!rc) {
        r->version = qr->version;
        r->width = qr->width;
        rc = yr_check_label(&r->opt, r->version, r->width, err);
    }
    QRcode_free(qr);
    free(copy);
    free(p);
    return rc;
}

/* Opens the next input; r->lines stays NULL when there is none left. */
static int open_next(run *r, yima_err *err)
{
    if (r->file >= r->ninputs)
        return YIMA_OK;
    r->pend.len = r->pend_pos = 0;
    return yima_lines_open(&r->lines, r->inputs[r->file], err);
}

static int take_line(run *r, yima_job *job, char *line, size_t len, uint64_t lineno,
                     yima_err *err)
{
    yima_rowparser **p = &r->parsers[r->file];
    int rc = *p ? YIMA_OK : yima_rowparser_create(p, line, len, NULL, err);
    if (rc)
        return rc;
    if (len && line[0] == SOURCE_MARK)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: binary data, not text",
                            source_name(r, r->file), (unsigned long long)lineno);
    if (!job->count) {
        job->start = lineno;
        job->stat[ST_FIRST_ROW] = r->rows;
        job->stat[ST_FILE] = r->file;
    } else if (r->job_file != r->file) {
        char mark[64];
        int n = snprintf(mark, sizeof mark, "%c%zu %llu\n", SOURCE_MARK, r->file,
                         (unsigned long long)lineno);
        if (yima_buf_append(&job->in, mark, (size_t)n))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    r->job_file = r->file;
    job->count++;
    if (yima_buf_append(&job->in, line, len) || yima_buf_append(&job->in, "\n", 1))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (yima_rowparser_is_header(*p, line, len))
        return YIMA_OK;
    if (!r->version && (rc = fix_version(r, line, len, lineno, err)))
        return rc;
    r->rows++;
    return YIMA_OK;
}

/* The next job's lines; the job stays empty at the end of the inputs. */
static int next_job(void *ctx, yima_job *job, yima_err *err)
{
    run *r = ctx;
    uint64_t target = r->rows + r->rows_per_job, lineno = 0;
    char *line = NULL;
    size_t len = 0;
    int rc = YIMA_OK;
    while (!rc && r->rows < target) {
        if (!r->lines && ((rc = open_next(r, err)) || !r->lines))
            break; /* an error, or no input left */
        if ((rc = next_line(r, &line, &len, &lineno, err)))
            break;
        if (!line) {
            yima_lines_close(r->lines);
            r->lines = NULL;
            r->file++;
            continue;
        }
        rc = take_line(r, job, line, len, lineno, err);
    }
    return rc;
}

/* ---- work stage ---------------------------------------------------------- */

static void *worker_init(void *ctx)
{
    run *r = ctx;
    worker *w = calloc(1, sizeof *w);
    unsigned n = r->per_page ? r->per_page : 1;
    if (w) {
        w->qrs = calloc(n, sizeof *w->qrs);
        w->texts = calloc(n, sizeof *w->texts);
        w->tlens = calloc(n, sizeof *w->tlens);
        w->owned = calloc(n, sizeof *w->owned);
        if (r->opt.symbol == YIMA_SYM_DATAMATRIX && !r->per_page) {
            w->dm = yr_dmtx_create();
            w->dmsym.data = malloc(YR_DMTX_MAX_MODULES);
        }
        int reuse_ok = r->opt.symbol != YIMA_SYM_DATAMATRIX || r->per_page ||
                       (w->dm && w->dmsym.data);
        if (!w->qrs || !w->texts || !w->tlens || !w->owned || !reuse_ok) {
            free(w->qrs); /* wk reports the missing arrays as out of memory */
            w->qrs = NULL;
        }
    }
    return w;
}

static void worker_free(void *ctx, void *state)
{
    worker *w = state;
    (void)ctx;
    if (!w)
        return;
    yr_bitmap_free(&w->bm);
    yima_buf_free(&w->img);
    free(w->qrs);
    free(w->texts);
    free(w->tlens);
    free(w->owned);
    yr_dmtx_free(w->dm);
    free(w->dmsym.data);
    free(w);
}

static const char *ext_of(const run *r)
{
    return r->per_page ? "png" : yima_imgfmt_name(r->opt.format);
}

/* A file name: the code's serial (YIMA_NAME_SERIAL, when the code parses) or
 * the 1-based position, zero-padded; pages are page-N. */
static void file_name(const run *r, uint64_t pos, const yima_field *code, char *name, size_t size)
{
    yima_code_info info;
    if (r->per_page) {
        snprintf(name, size, "page-%05llu.png", (unsigned long long)pos + 1);
    } else if (r->opt.naming == YIMA_NAME_SERIAL && code->ptr && code->len < YIMA_CODE_MAX &&
               yima_code_parse(code->ptr, code->len, &info) == YIMA_S_OK) {
        snprintf(name, size, "%.*s.%s", info.serial_len, code->ptr + info.serial_offset,
                 ext_of(r));
    } else {
        snprintf(name, size, "%08llu.%s", (unsigned long long)pos + 1, ext_of(r));
    }
}

/* Sends one finished image (symbol or page) to its container. */
static int emit(run *r, yima_job *job, uint64_t pos, const yima_field *code, const yima_buf *img,
                yima_err *err)
{
    char name[160], path[4096];
    file_name(r, pos, code, name, sizeof name);
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

static void free_page(worker *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        QRcode_free(w->qrs[i]);
        w->qrs[i] = NULL;
        free(w->owned[i]);
        w->owned[i] = NULL;
    }
}

/* Emits the sheet page holding the n symbols collected in w. */
static int flush_page(run *r, worker *w, yima_job *job, uint64_t page, unsigned n, yima_err *err)
{
    int rc;
    if (r->opt.pack == YIMA_PACK_PDF) {
        uint64_t first = YR_PDF_FIRST_PAGE_OBJ + page * YR_PDF_OBJS_PER_PAGE(r->per_page);
        unsigned nobj; /* offsets come back relative to the job's output */
        if (yima_buf_reserve(&job->aux, YR_PDF_OBJS_PER_PAGE(n) * sizeof(uint64_t)))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        uint64_t *rel = (uint64_t *)(job->aux.data + job->aux.len);
        rc = yr_pdf_page(&r->opt, w->qrs, w->texts, w->tlens, n, first, &job->out, rel, &nobj,
                         err);
        job->aux.len += nobj * sizeof(uint64_t);
        job->stat[ST_FILES]++;
    } else {
        w->img.len = 0;
        yima_field none = {NULL, 0};
        rc = yr_png_page(&r->opt, w->qrs, w->texts, w->tlens, n, &w->bm, &w->img, err);
        if (!rc)
            rc = emit(r, job, page, &none, &w->img, err);
    }
    free_page(w, n);
    return rc;
}

/* The readable line: the code when the row holds a well-formed yima code,
 * the HRI form of a GS1 element string (the payload's, or the code
 * column's beside a Digital Link payload), else the whole payload. */
static yima_field label_text(const run *r, const yima_row *row, const yr_payload *p,
                             yima_field payload)
{
    yima_code_info info;
    int wanted = r->opt.text || r->opt.pack == YIMA_PACK_ZPL;
    if (!wanted)
        return (yima_field){NULL, 0};
    if (p->gs1)
        return (yima_field){p->hri, p->hri_len};
    if (row->code.ptr && row->code.len < YIMA_CODE_MAX &&
        (row->code.ptr[0] == '(' ||
         yima_code_parse(row->code.ptr, row->code.len, &info) == YIMA_S_OK))
        return row->code;
    return payload;
}

/* Puts one symbol on the current sheet page; a full page is flushed. */
static int to_page(run *r, worker *w, yima_job *job, QRcode *qr, yima_field text, int own,
                   uint64_t pos, yima_err *err)
{
    unsigned k = (unsigned)(pos % r->per_page);
    w->qrs[k] = qr;
    w->texts[k] = (char *)text.ptr;
    w->tlens[k] = text.len;
    if (own && text.len && !(w->texts[k] = w->owned[k] = strndup(text.ptr, text.len)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return k + 1 == r->per_page ? flush_page(r, w, job, pos / r->per_page, k + 1, err) : 0;
}

/* One symbol's image; PNG through libpng, into the worker's buffers. */
static int image(const run *r, worker *w, const QRcode *qr, yima_field text, yima_err *err)
{
    w->img.len = 0;
    if (r->opt.format != YIMA_IMG_PNG)
        return yr_image(&r->opt, qr, text.ptr, text.len, &w->bm, &w->img, err);
    if (yr_raster(&r->opt, qr, text.ptr, text.len, &w->bm))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a %d-module image", qr->width);
    return yr_png(&w->bm, r->opt.dpi, &w->img, err);
}

/* Renders one row: straight to an image, or into the current sheet page. */
static int render_row(run *r, worker *w, yima_job *job, const yima_row *row, uint64_t pos,
                      const char *src, uint64_t lineno, yima_err *err)
{
    yima_field pl, text;
    QRcode *qr;
    char name[64];
    if (!row_payload(row, &pl))
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: row has no payload", src,
                            (unsigned long long)lineno);
    int rc = yr_payload_prepare(pl.ptr, pl.len, &w->pl, src, lineno, err);
    if (rc)
        return rc;
    text = label_text(r, row, &w->pl, pl);
    if ((rc = yr_check_symbol(&r->opt, &w->pl, src, lineno, err)))
        return rc;
    /* A page keeps its symbols until it is full; one image needs only its own. */
    if (w->dm) {
        qr = &w->dmsym;
        rc = yr_dmtx_encode_into(w->dm, w->pl.data, w->pl.len, w->pl.gs1, r->version, qr);
    } else {
        rc = yr_encode(&r->opt, &w->pl, r->version, &qr);
    }
    if (rc)
        return rc == YIMA_E_NOMEM
                   ? yima_err_set(err, rc, "out of memory")
                   : yima_err_set(err, YIMA_E_DATA,
                                  "%s:%llu: payload of %zu bytes does not fit %s (the size the "
                                  "first payload set%s)", src, (unsigned long long)lineno,
                                  w->pl.len, yr_size_name(&r->opt, r->version, name, sizeof name),
                                  r->opt.symbol == YIMA_SYM_QR ? "; give a larger version" : "");
    job->stat[ST_SYMBOLS]++;
    if (r->per_page)
        return to_page(r, w, job, qr, text, w->pl.gs1 && text.ptr == w->pl.hri, pos, err);
    if (r->opt.pack == YIMA_PACK_ZPL)
        rc = yr_zpl_label(&r->opt, &w->pl, r->version, text.ptr, text.len, &job->out, err);
    else if (!(rc = image(r, w, qr, text, err)))
        rc = emit(r, job, pos, &row->code, &w->img, err);
    if (qr != &w->dmsym)
        QRcode_free(qr);
    return rc;
}

static int wk(void *ctx, void *state, yima_job *job, yima_err *err)
{
    run *r = ctx;
    worker *w = state;
    size_t file = job->stat[ST_FILE];
    const char *src = source_name(r, file);
    char *p = (char *)job->in.data, *end = p + job->in.len;
    uint64_t pos = job->stat[ST_FIRST_ROW], lineno = job->start;
    int rc = w && w->qrs ? 0 : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    for (char *nl; !rc && p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (*p == SOURCE_MARK) {
            char *q;
            file = strtoull(p + 1, &q, 10);
            lineno = strtoull(q + 1, NULL, 10);
            src = source_name(r, file);
            continue;
        }
        yima_row row;
        rc = yima_rowparser_parse(r->parsers[file], p, (size_t)(nl - p), &row, src, lineno, err);
        if (!rc && !row.is_header)
            rc = render_row(r, w, job, &row, pos++, src, lineno, err);
        lineno++;
    }
    if (!rc && r->per_page && pos % r->per_page) /* the last, partly filled page */
        rc = flush_page(r, w, job, pos / r->per_page, (unsigned)(pos % r->per_page), err);
    if (rc && r->per_page)
        free_page(w, r->per_page);
    return rc;
}

/* ---- write stage --------------------------------------------------------- */

static int wr(void *ctx, yima_job *job, yima_err *err)
{
    run *r = ctx;
    int rc = YIMA_OK;
    const uint64_t *rel = (const uint64_t *)job->aux.data;
    for (size_t i = 0; i < job->aux.len / sizeof *rel && !rc; i++) {
        uint64_t abs = r->bytes + rel[i];
        rc = yima_buf_append(&r->offs, &abs, sizeof abs);
    }
    if (rc)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (r->opt.pack == YIMA_PACK_SINGLE && r->files + job->stat[ST_FILES] > 1)
        return yima_err_set(err, YIMA_E_USAGE,
                            "the input holds more than one %s, and one image holds one; write a directory, a tar stream, sheets or ZPL",
                            r->per_page ? "page" : "payload");
    if (r->out && job->out.len && (rc = yima_out_write(r->out, job->out.data, job->out.len, err)))
        return rc;
    r->bytes += job->out.len;
    r->symbols += job->stat[ST_SYMBOLS];
    r->files += job->stat[ST_FILES];
    if (r->opt.progress)
        r->opt.progress(r->opt.progress_ctx, r->symbols);
    return YIMA_OK;
}

/* ---- the run ------------------------------------------------------------- */

static int open_output(run *r, yima_err *err)
{
    struct stat st;
    if (r->opt.pack == YIMA_PACK_DIR) {
        if (stat(r->opt.dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return yima_err_set(err, YIMA_E_IO, "%s: not a directory", r->opt.dir);
        return YIMA_OK;
    }
    int rc = yima_out_open(&r->out, r->opt.output, r->opt.force, 0, err);
    if (!rc && r->opt.pack == YIMA_PACK_PDF) {
        yima_buf head = {0};
        uint64_t offs[YR_PDF_FIRST_PAGE_OBJ];
        rc = yr_pdf_head(&head, offs) || yima_buf_append(&r->offs, offs, sizeof offs)
                 ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
                 : yima_out_write(r->out, head.data, head.len, err);
        r->bytes = head.len;
        yima_buf_free(&head);
    }
    return rc;
}

/* Ends the stream: tar end blocks, or the PDF's page tree and xref. */
static int finish_output(run *r, yima_err *err)
{
    yima_buf tail = {0};
    int rc = YIMA_OK;
    if (!r->symbols)
        return yima_err_set(err, YIMA_E_DATA, "%s: no payloads in the input",
                            source_name(r, r->ninputs ? r->ninputs - 1 : 0));
    if (r->opt.pack == YIMA_PACK_TAR)
        rc = yr_tar_end(&tail, err);
    else if (r->opt.pack == YIMA_PACK_PDF)
        rc = yr_pdf_tail((const uint64_t *)r->offs.data, r->offs.len / sizeof(uint64_t), r->files,
                         r->per_page, r->bytes, &tail)
                 ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
                 : YIMA_OK;
    if (!rc && tail.len)
        rc = yima_out_write(r->out, tail.data, tail.len, err);
    yima_buf_free(&tail);
    if (!rc && r->opt.pack == YIMA_PACK_DIR)
        rc = yima_sync_dir(r->opt.dir, err);
    if (!rc && r->out) {
        rc = yima_out_commit(r->out, NULL, err);
        r->out = NULL;
    }
    return rc;
}

static void run_free(run *r)
{
    yima_out_abort(r->out);
    yima_lines_close(r->lines);
    for (size_t i = 0; r->parsers && i < r->ninputs; i++)
        yima_rowparser_free(r->parsers[i]);
    free(r->parsers);
    yima_buf_free(&r->pend);
    yima_buf_free(&r->offs);
}

int yima_render_run(const yima_render_options *opt, const char *const *inputs, size_t ninputs,
                    yima_render_result *result, yima_err *err)
{
    static const char *const stdin_only[] = {"-"};
    static const yima_pipeline_ops ops = {next_job, wk, wr, worker_init, worker_free};
    run r = {.opt = *opt, .inputs = ninputs ? inputs : stdin_only, .ninputs = ninputs ? ninputs : 1};
    int rc = yima_render_check(opt, err);
    if (rc)
        return rc;
    r.per_page = opt->sheet ? opt->sheet->cols * opt->sheet->rows : 0;
    r.rows_per_job = r.per_page ? r.per_page * ((ROWS_PER_JOB + r.per_page - 1) / r.per_page)
                                : ROWS_PER_JOB;
    if (!(r.parsers = calloc(r.ninputs, sizeof *r.parsers)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    rc = open_output(&r, err);
    if (!rc)
        rc = yima_pipeline_run(&ops, &r, opt->threads, err);
    if (!rc)
        rc = finish_output(&r, err);
    if (result) {
        result->symbols = r.symbols;
        result->files = r.files;
        result->version = r.version;
        result->width = r.width;
    }
    run_free(&r);
    return rc;
}
