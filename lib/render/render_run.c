/* SPDX-License-Identifier: MIT */
/*
 * yima_render_run: lines in, images out, through the ordered pipeline.
 *
 * read  cuts the input into jobs of whole lines holding a fixed number of
 *       selected rows (whole pages for sheets), so every job knows the
 *       position of its first row; it selects rows by level and range and
 *       fixes the symbol size from the first selected row;
 * work  (render_row.c) encodes, lays out and draws every row;
 * write appends stream output (tar, ZPL, single image) or PDF pages in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "render_run.h"
#include "yima/code.h"

#define ROWS_PER_JOB 128

const char *yr_source_name(const run *r, size_t file)
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

/* Parses a copy of a line (parsing may change the line in place). */
static int parse_copy(run *r, const char *line, size_t len, uint64_t lineno, yima_row *row,
                      yima_err *err)
{
    r->scratch.len = 0;
    if (yima_buf_append(&r->scratch, line, len))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return yima_rowparser_parse(r->parsers[r->file], (char *)r->scratch.data, len, row,
                                yr_source_name(r, r->file), lineno, err);
}

/* The first selected row fixes the size of every symbol in the run. */
static int fix_size(run *r, const yima_row *row, uint64_t lineno, yima_err *err)
{
    const char *src = yr_source_name(r, r->file);
    yima_field f = r->opt.column == YIMA_COLUMN_INNER ? row->inner
                   : row->payload.ptr                ? row->payload
                                                     : row->code;
    yr_payload *p = malloc(sizeof *p);
    yr_symbol sym = {0};
    yr_encoder *enc = NULL;
    char why[160];
    if (!p)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = f.ptr && f.len ? YIMA_OK
                            : yima_err_set(err, YIMA_E_DATA, "%s:%" PRIu64 ": row has no %s", src,
                                           lineno, r->opt.column ? "inner code" : "payload");
    if (!rc)
        rc = yr_payload_prepare(f.ptr, f.len, p, src, lineno, err);
    if (!rc)
        rc = yr_check_symbol(&r->opt, p, src, lineno, err);
    if (!rc && !(r->size = yr_run_size(&r->opt, p)))
        rc = yima_err_set(err, r->opt.version ? YIMA_E_USAGE : YIMA_E_DATA, "%s:%" PRIu64 ": %s",
                          src, lineno, yr_too_long(&r->opt, p->len, why, sizeof why));
    if (!rc && !(rc = yr_encoder_create(&r->opt, &enc)) &&
        !(rc = yr_encode(enc, &r->opt, p, r->size, &sym))) {
        int turned = r->opt.label && r->opt.label->rotate % 180;
        r->sym_w = turned ? sym.h : sym.w;
        r->sym_h = turned ? sym.w : sym.h;
    } else if (rc == YIMA_E_DATA && r->size) {
        rc = yima_err_set(err, YIMA_E_USAGE, "%s:%" PRIu64 ": %s", src, lineno,
                          yr_too_long(&r->opt, p->len, why, sizeof why));
    }
    yr_encoder_free(enc);
    yr_symbol_free(&sym);
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

static int new_parser(run *r, const char *line, size_t len, yima_err *err)
{
    yima_rowparser **p = &r->parsers[r->file];
    int rc = yima_rowparser_create(p, line, len, NULL, err);
    if (!rc && r->tpl.ncolumns)
        rc = yima_rowparser_want(*p, (const char *const *)r->tpl.columns, r->tpl.ncolumns,
                                 yr_source_name(r, r->file), err);
    return rc;
}

/* 1 if the row is of the level asked for. */
static int level_matches(const run *r, const yima_row *row, uint64_t lineno, yima_err *err,
                         int *rc)
{
    const char *want = yima_level_name((yima_level)r->opt.level);
    if (!row->level.ptr)
        *rc = yima_err_set(err, YIMA_E_DATA,
                           "%s:%" PRIu64 ": the row has no level, so it cannot be selected by level",
                           yr_source_name(r, r->file), lineno);
    return row->level.ptr && row->level.len == strlen(want) &&
           !memcmp(row->level.ptr, want, row->level.len);
}

/* Appends the line to the job, with a source mark when it does not follow
 * the job's previous line. */
static int add_line(run *r, yima_job *job, const char *line, size_t len, uint64_t lineno,
                    yima_err *err)
{
    if (!job->count) {
        job->start = lineno;
        job->stat[ST_FIRST_ROW] = r->rows;
        job->stat[ST_FILE] = r->file;
    } else if (r->job_file != r->file || r->job_next_line != lineno) {
        char mark[64];
        int n = snprintf(mark, sizeof mark, "%c%zu %" PRIu64 "\n", SOURCE_MARK, r->file, lineno);
        if (yima_buf_append(&job->in, mark, (size_t)n))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    r->job_file = r->file;
    r->job_next_line = lineno + 1;
    job->count++;
    if (yima_buf_append(&job->in, line, len) || yima_buf_append(&job->in, "\n", 1))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return YIMA_OK;
}

static int take_line(run *r, yima_job *job, char *line, size_t len, uint64_t lineno,
                     yima_err *err)
{
    yima_row row;
    int rc = r->parsers[r->file] ? YIMA_OK : new_parser(r, line, len, err);
    if (rc)
        return rc;
    if (len && line[0] == SOURCE_MARK)
        return yima_err_set(err, YIMA_E_DATA, "%s:%" PRIu64 ": binary data, not text",
                            yr_source_name(r, r->file), lineno);
    if (yima_rowparser_is_header(r->parsers[r->file], line, len))
        return YIMA_OK;
    int parse = r->opt.level != YIMA_RENDER_ALL || !r->size;
    if (parse && (rc = parse_copy(r, line, len, lineno, &row, err)))
        return rc;
    if (r->opt.level != YIMA_RENDER_ALL && !level_matches(r, &row, lineno, err, &rc))
        return rc;
    if (!r->size && (rc = fix_size(r, &row, lineno, err)))
        return rc;
    uint64_t pos = r->rows;
    if (r->opt.range_count && pos >= r->opt.range_start + r->opt.range_count) {
        r->done = 1;
        return YIMA_OK;
    }
    if (pos >= r->opt.range_start && (rc = add_line(r, job, line, len, lineno, err)))
        return rc;
    r->rows++;
    return YIMA_OK;
}

/* The next job's lines; the job stays empty at the end of the inputs. */
static int next_job(void *ctx, yima_job *job, yima_err *err)
{
    run *r = ctx;
    uint64_t lineno = 0;
    char *line = NULL;
    size_t len = 0;
    int rc = YIMA_OK;
    while (!rc && !r->done && job->count < r->rows_per_job) {
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

/* ---- write stage --------------------------------------------------------- */

static int write_pages(run *r, const yima_job *job, yima_err *err)
{
    int rc = YIMA_OK;
    for (size_t at = 0; at < job->aux.len && !rc;) {
        page_rec rec;
        memcpy(&rec, job->aux.data + at, sizeof rec);
        const uint32_t *gids = (const uint32_t *)(const void *)(job->aux.data + at + sizeof rec);
        rc = yr_pdfw_page(r->pdf, job->out.data + rec.start, rec.len, rec.offs, gids, rec.ngids,
                          err);
        at += sizeof rec + (rec.ngids * sizeof *gids + 7) / 8 * 8;
    }
    return rc;
}

static int wr(void *ctx, yima_job *job, yima_err *err)
{
    run *r = ctx;
    int rc = YIMA_OK;
    if (r->opt.pack == YIMA_PACK_SINGLE && r->files + job->stat[ST_FILES] > 1)
        return yima_err_set(err, YIMA_E_USAGE,
                            "the input holds more than one %s, and one image holds one; write a directory, a tar stream, sheets or ZPL",
                            r->per_page ? "page" : "payload");
    if (r->pdf)
        rc = write_pages(r, job, err);
    else if (r->out && job->out.len)
        rc = yima_out_write(r->out, job->out.data, job->out.len, err);
    if (rc)
        return rc;
    r->bytes += job->out.len;
    r->symbols += job->stat[ST_SYMBOLS];
    r->files += job->stat[ST_FILES];
    if (r->opt.progress)
        r->opt.progress(r->opt.progress_ctx, r->symbols);
    return YIMA_OK;
}

/* ---- the run ------------------------------------------------------------- */

/* Makes a missing output directory (and its missing parents). */
static int make_dir(const char *dir, yima_err *err)
{
    struct stat st;
    char path[4096];
    if (strlen(dir) >= sizeof path)
        return yima_err_set(err, YIMA_E_USAGE, "%s: directory path too long", dir);
    strcpy(path, dir);
    for (char *p = path + 1; ; p++) {
        char c = *p;
        if (c && c != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return yima_err_set(err, YIMA_E_IO, "%s: cannot make directory: %s", path,
                                strerror(errno));
        *p = c;
        if (!c)
            break;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return yima_err_set(err, YIMA_E_IO, "%s: not a directory", dir);
    return YIMA_OK;
}

/* The hash (BLAKE2b-256, hex) of gen's manifest beside the first input;
 * name and hex stay empty when it has none. */
static void manifest_of(const run *r, char *name, size_t name_cap, char hex[65])
{
    unsigned char h[YIMA_HASH_BYTES];
    yima_err ignored;
    hex[0] = name[0] = '\0';
    if (!r->ninputs || !strcmp(r->inputs[0], "-") ||
        (size_t)snprintf(name, name_cap, "%s.manifest", r->inputs[0]) >= name_cap ||
        yima_hash_file(name, h, NULL, &ignored)) {
        name[0] = '\0';
        return;
    }
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static int open_output(run *r, yima_err *err)
{
    if (r->opt.pack == YIMA_PACK_DIR)
        return make_dir(r->opt.dir, err);
    if (r->opt.pack == YIMA_PACK_PDF) {
        char name[4096], hash[65];
        manifest_of(r, name, sizeof name, hash);
        /* The job is named by its input, so every part and thread count of
         * one job carries the same title; paths stay out of the file. */
        const char *in = r->ninputs && strcmp(r->inputs[0], "-") ? r->inputs[0] : NULL;
        const char *slash = in ? strrchr(in, '/') : NULL, *mslash = strrchr(name, '/');
        yr_pdf_meta meta = {
            .title = r->opt.title ? r->opt.title : slash ? slash + 1 : in ? in : "yima labels",
            .manifest_hash = hash[0] ? hash : NULL,
            .manifest_name = !name[0] ? NULL : mslash ? mslash + 1 : name};
        return yr_pdfw_open(&r->pdf, &r->opt, &meta, err);
    }
    return yima_out_open(&r->out, r->opt.output, r->opt.force, 0, err);
}

/* Ends the stream: tar end blocks, or the PDF's page tree and xref. */
static int finish_output(run *r, yima_err *err)
{
    yima_buf tail = {0};
    int rc = YIMA_OK;
    if (!r->symbols)
        return yima_err_set(err, YIMA_E_DATA, "%s: no payloads %s", yr_source_name(r, r->ninputs - 1),
                            r->opt.level != YIMA_RENDER_ALL || r->opt.range_start
                                ? "selected (level and range)" : "in the input");
    if (r->opt.pack == YIMA_PACK_TAR)
        rc = yr_tar_end(&tail, err);
    if (!rc && tail.len)
        rc = yima_out_write(r->out, tail.data, tail.len, err);
    yima_buf_free(&tail);
    if (!rc && r->pdf) {
        rc = yr_pdfw_finish(r->pdf, err);
        r->pdf = NULL;
    }
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
    yr_pdfw_abort(r->pdf);
    yima_lines_close(r->lines);
    for (size_t i = 0; r->parsers && i < r->ninputs; i++)
        yima_rowparser_free(r->parsers[i]);
    free(r->parsers);
    yima_buf_free(&r->pend);
    yima_buf_free(&r->scratch);
    yr_templates_free(&r->tpl);
}

/* Text templates and the font, checked before any output is made. */
static int prepare_text(run *r, yima_err *err)
{
    int rc = yr_templates_parse(&r->opt, &r->tpl, err);
    yr_font *font = NULL;
    r->need_font = r->tpl.nlines > 0;
    if (!rc && r->need_font && !(rc = yr_font_open(r->opt.font, &font, err)))
        yr_font_free(font);
    return rc;
}

int yima_render_run(const yima_render_options *opt, const char *const *inputs, size_t ninputs,
                    yima_render_result *result, yima_err *err)
{
    static const char *const stdin_only[] = {"-"};
    static const yima_pipeline_ops ops = {next_job, yr_work, wr, yr_worker_init, yr_worker_free};
    run r = {.opt = *opt, .inputs = ninputs ? inputs : stdin_only, .ninputs = ninputs ? ninputs : 1};
    int rc = yima_render_check(opt, err);
    if (opt->sheet && !opt->label) /* each label is the pitch, all of it safe */
        r.opt.label = &r.sheet_label;
    if (!rc)
        rc = prepare_text(&r, err);
    r.per_page = opt->sheet || opt->roll ? yr_labels_per_page(opt) : 0;
    r.rows_per_job = r.per_page ? r.per_page * ((ROWS_PER_JOB + r.per_page - 1) / r.per_page)
                                : ROWS_PER_JOB;
    if (!rc && r.per_page && opt->range_start % r.per_page)
        rc = yima_err_set(err, YIMA_E_USAGE,
                          "a range of labels on pages starts at a page: %" PRIu64
                          " is not a multiple of the %u labels a page holds",
                          opt->range_start, r.per_page);
    if (!rc && !(r.parsers = calloc(r.ninputs, sizeof *r.parsers)))
        rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (!rc)
        rc = open_output(&r, err);
    if (!rc)
        rc = yima_pipeline_run(&ops, &r, opt->threads, err);
    if (!rc)
        rc = finish_output(&r, err);
    if (result) {
        result->symbols = r.symbols;
        result->files = r.files;
        result->version = r.size;
        result->width = r.sym_w;
    }
    run_free(&r);
    return rc;
}
