/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seen.h"
#include "io.h"
#include "rows.h"
#include "yima/verify.h"

#define BLOCK_BYTES (1 << 20)
#define LINE_BITS 48
#define PREFETCH_AHEAD 8 /* records: enough to cover a cache miss */ /* a position is input << 48 | line */

void yima_verify_options_init(yima_verify_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->want_level = -1;
    opt->duplicates = 1;
    opt->threads = 1;
}

/* One verified line, passed from work() to write() in job->aux; its texts
 * live in job->out. */
typedef struct record {
    uint64_t line, fp;
    int status, level, key_id, position_known;
    uint32_t batch;
    uint64_t index;
    uint32_t code_off, code_len, detail_off, detail_len;
} record;

typedef struct verify_run {
    const yima_verify_options *opt;
    const char *const *inputs;
    int ninputs, current;
    yima_lines *lines;
    yima_rowparser **parsers; /* one per input, from its first line */
    yima_out *out;
    yima_seen *seen;
    yima_buf text;            /* writer's formatting buffer */
    yima_verify_summary *sum;
} verify_run;

static int open_next_input(verify_run *v, yima_err *err)
{
    yima_lines_close(v->lines);
    v->lines = NULL;
    if (++v->current >= v->ninputs)
        return 0;
    int rc = yima_lines_open(&v->lines, v->inputs[v->current], err);
    return rc ? rc : 1;
}

static int make_parser(verify_run *v, const yima_buf *in, yima_err *err)
{
    const unsigned char *nl = memchr(in->data, '\n', in->len);
    size_t len = nl ? (size_t)(nl - in->data) : in->len;
    return yima_rowparser_create(&v->parsers[v->current], (const char *)in->data, len,
                                 v->opt->template_text, err);
}

static int verify_read(void *ctx, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    uint64_t first, n;
    for (;;) {
        if (!v->lines) {
            int rc = open_next_input(v, err);
            if (rc != 1)
                return rc;
        }
        int rc = yima_lines_read(v->lines, &job->in, BLOCK_BYTES, &first, &n, err);
        if (rc < 0 || rc > 1)
            return rc;
        if (rc == 1) {
            if (!v->parsers[v->current] && (rc = make_parser(v, &job->in, err)))
                return rc;
            job->start = first;
            job->count = n;
            job->stat[0] = (uint64_t)v->current;
            return 1;
        }
        if (!v->parsers[v->current])
            return yima_err_set(err, YIMA_E_DATA, "%s: empty input, no codes to verify",
                                yima_lines_name(v->lines));
        yima_lines_close(v->lines);
        v->lines = NULL;
    }
}

static uint32_t pool_add(yima_buf *pool, const char *s, size_t n)
{
    uint32_t off = (uint32_t)pool->len;
    yima_buf_append(pool, s, n); /* room reserved by the caller */
    return off;
}

static void verify_row(const verify_run *v, const yima_row *row, record *r)
{
    yima_code_info info;
    const yima_verify_options *o = v->opt;
    r->status = yima_code_verify(o->ring, row->code.ptr, row->code.len, o->want_level, &info);
    if (r->status == YIMA_S_OK && row->inner.ptr && row->inner.len) {
        yima_status pair = yima_code_verify_pair(o->ring, row->code.ptr, row->code.len,
                                                 row->inner.ptr, row->inner.len);
        /* Inner codes are the key holder's to check: an auditor with the
         * public key verifies the outer code and leaves the inner alone. */
        if (pair != YIMA_S_NEED_SECRET)
            r->status = pair;
    }
    r->level = (int)info.level;
    r->key_id = info.key_id;
    r->position_known = info.position_known;
    r->batch = info.batch;
    r->index = info.index;
    r->fp = yima_seen_fingerprint(row->code.ptr, row->code.len);
}

static int verify_line(verify_run *v, yima_job *job, char *line, size_t len, uint64_t ln,
                       yima_err *err)
{
    const char *src = v->inputs[job->stat[0]];
    yima_row row;
    yima_err perr = {0};
    record r = {.line = job->stat[0] << LINE_BITS | ln};
    /* Input that is not text at all stops the run (exit 3) rather than
     * giving a result per line; a CRLF line ending is just text. */
    int rc = yima_line_check(line, len && line[len - 1] == '\r' ? len - 1 : len, src, ln, err);
    if (rc)
        return rc;
    if (yima_buf_reserve(&job->out, 2 * len + sizeof perr.msg) ||
        yima_buf_reserve(&job->aux, sizeof r))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    /* The parser may rewrite the line in place, so keep the raw text first. */
    r.code_off = pool_add(&job->out, line, len);
    r.code_len = (uint32_t)len;
    if (yima_rowparser_parse(v->parsers[job->stat[0]], line, len, &row, src, ln, &perr)) {
        r.status = YIMA_S_MALFORMED;
        const char *why = strstr(perr.msg, ": ");
        why = why ? why + 2 : perr.msg;
        r.detail_off = pool_add(&job->out, why, strlen(why));
        r.detail_len = (uint32_t)strlen(why);
    } else if (row.is_header) {
        return YIMA_OK;
    } else {
        r.code_off = pool_add(&job->out, row.code.ptr, row.code.len);
        r.code_len = (uint32_t)row.code.len;
        verify_row(v, &row, &r);
    }
    yima_buf_append(&job->aux, &r, sizeof r);
    return YIMA_OK;
}

static int verify_work(void *ctx, void *worker, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    (void)worker;
    char *p = (char *)job->in.data, *end = p + job->in.len;
    for (uint64_t ln = job->start; p < end; ln++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int rc = verify_line(v, job, p, len, ln, err);
        if (rc)
            return rc;
        p = nl ? nl + 1 : end;
    }
    return YIMA_OK;
}

static void fmt(yima_buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(yima_buf *b, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0 || yima_buf_reserve(b, (size_t)n + 1))
        return;
    va_start(ap, f);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, f, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Codes printed in results are cut short: a junk line can be 64 KiB. */
#define SHOW_MAX 300

static void append(yima_buf *b, const char *s, size_t n)
{
    if (!yima_buf_reserve(b, n)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
}

static void append_str(yima_buf *b, const char *s)
{
    append(b, s, strlen(s));
}

static void append_position(yima_buf *b, const verify_run *v, uint64_t pos)
{
    char num[24];
    int n = snprintf(num, sizeof num, ":%llu", (unsigned long long)(pos & ((1ull << LINE_BITS) - 1)));
    append_str(b, v->inputs[pos >> LINE_BITS]);
    append(b, num, (size_t)n);
}

/* The hot path of a large run: plain appends, no printf. */
static void format_text(yima_buf *b, const verify_run *v, const record *r, const char *pool,
                        uint64_t first)
{
    append_position(b, v, r->line);
    append(b, "\t", 1);
    append_str(b, yima_status_name(r->status));
    append(b, "\t", 1);
    append(b, pool + r->code_off, r->code_len < SHOW_MAX ? r->code_len : SHOW_MAX);
    if (r->detail_len) {
        append(b, "\t", 1);
        append(b, pool + r->detail_off, r->detail_len);
    }
    if (first) {
        append_str(b, "\tfirst seen at ");
        append_position(b, v, first);
    }
    append(b, "\n", 1);
}

static void json_string_out(yima_buf *b, const char *s, size_t n)
{
    fmt(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fmt(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fmt(b, "\\u%04x", c); /* raw input may be anything: keep the JSON valid */
        else
            fmt(b, "%c", c);
    }
    fmt(b, "\"");
}

static void format_json(yima_buf *b, const verify_run *v, const record *r, const char *pool,
                        uint64_t first)
{
    const char *src = v->inputs[r->line >> LINE_BITS];
    fmt(b, "{\"source\":");
    json_string_out(b, src, strlen(src));
    fmt(b, ",\"line\":%llu,\"status\":\"%s\",\"code\":",
        (unsigned long long)(r->line & ((1ull << LINE_BITS) - 1)), yima_status_name(r->status));
    json_string_out(b, pool + r->code_off, r->code_len < SHOW_MAX ? r->code_len : SHOW_MAX);
    if (r->status != YIMA_S_MALFORMED && r->status != YIMA_S_BAD_CHECK)
        fmt(b, ",\"key_id\":%d,\"level\":\"%s\"", r->key_id, yima_level_name((yima_level)r->level));
    if (r->position_known)
        fmt(b, ",\"batch\":%u,\"index\":%llu", r->batch, (unsigned long long)r->index);
    if (r->detail_len) {
        fmt(b, ",\"detail\":");
        json_string_out(b, pool + r->detail_off, r->detail_len);
    }
    if (first)
        fmt(b, ",\"first_line\":%llu", (unsigned long long)(first & ((1ull << LINE_BITS) - 1)));
    fmt(b, "}\n");
}

/* Clone check: a good code seen before becomes DUPLICATE. */
static int check_duplicate(verify_run *v, record *r, uint64_t *first, yima_err *err)
{
    *first = 0;
    if (!v->opt->duplicates || r->status != YIMA_S_OK)
        return YIMA_OK;
    *first = yima_seen_add(v->seen, r->fp, r->line);
    if (*first == UINT64_MAX)
        return yima_err_set(err, YIMA_E_NOMEM,
                            "out of memory remembering codes for duplicate detection; "
                            "run with --no-duplicates");
    if (*first)
        r->status = YIMA_S_DUPLICATE;
    return YIMA_OK;
}

static int verify_write(void *ctx, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    record *recs = (record *)job->aux.data;
    size_t n = job->aux.len / sizeof *recs;
    v->text.len = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t first;
        if (v->seen && i + PREFETCH_AHEAD < n)
            yima_seen_prefetch(v->seen, recs[i + PREFETCH_AHEAD].fp);
        int rc = check_duplicate(v, &recs[i], &first, err);
        if (rc)
            return rc;
        v->sum->lines++;
        v->sum->status[recs[i].status]++;
        v->sum->bad += recs[i].status != YIMA_S_OK;
        if (v->opt->bad_only && recs[i].status == YIMA_S_OK)
            continue;
        (v->opt->json ? format_json : format_text)(&v->text, v, &recs[i],
                                                   (const char *)job->out.data, first);
    }
    if (v->opt->progress)
        v->opt->progress(v->opt->progress_ctx, v->sum->lines);
    return yima_out_write(v->out, v->text.data, v->text.len, err);
}

static void summary_json(yima_buf *b, const yima_verify_summary *s);

int yima_verify_run(const yima_verify_options *opt, const char *const *inputs, int ninputs,
                    yima_verify_summary *sum, yima_err *err)
{
    static const char *const stdin_only[] = {"-"};
    verify_run v = {.opt = opt, .inputs = ninputs ? inputs : stdin_only,
                    .ninputs = ninputs ? ninputs : 1, .current = -1, .sum = sum};
    yima_pipeline_ops ops = {verify_read, verify_work, verify_write, NULL, NULL};
    memset(sum, 0, sizeof *sum);
    v.parsers = calloc((size_t)v.ninputs, sizeof *v.parsers);
    v.seen = opt->duplicates ? yima_seen_create() : NULL;
    int rc = !v.parsers || (opt->duplicates && !v.seen)
                 ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
                 : yima_out_open(&v.out, opt->output, 1, 0, err);
    if (!rc) {
        rc = yima_pipeline_run(&ops, &v, opt->threads, err);
        if (!rc && opt->json) { /* machine readers find the summary as the last line */
            v.text.len = 0;
            summary_json(&v.text, sum);
            rc = yima_out_write(v.out, v.text.data, v.text.len, err);
        }
        if (rc)
            yima_out_abort(v.out);
        else
            rc = yima_out_commit(v.out, NULL, err);
    }
    yima_lines_close(v.lines);
    for (int i = 0; v.parsers && i < v.ninputs; i++)
        yima_rowparser_free(v.parsers[i]);
    free(v.parsers);
    yima_seen_free(v.seen);
    yima_buf_free(&v.text);
    return rc;
}

static void summary_json(yima_buf *b, const yima_verify_summary *s)
{
    fmt(b, "{\"summary\":{\"lines\":%llu,\"ok\":%llu,\"bad\":%llu",
        (unsigned long long)s->lines, (unsigned long long)s->status[YIMA_S_OK],
        (unsigned long long)s->bad);
    for (int i = 1; i < YIMA_S__COUNT; i++)
        fmt(b, ",\"%s\":%llu", yima_status_name((yima_status)i), (unsigned long long)s->status[i]);
    fmt(b, "}}\n");
}

void yima_verify_summary_print(const yima_verify_summary *s, FILE *to)
{
    fprintf(to, "%llu lines: %llu OK, %llu bad", (unsigned long long)s->lines,
            (unsigned long long)s->status[YIMA_S_OK], (unsigned long long)s->bad);
    for (int i = 1; i < YIMA_S__COUNT; i++)
        if (s->status[i])
            fprintf(to, ", %llu %s", (unsigned long long)s->status[i],
                    yima_status_name((yima_status)i));
    fprintf(to, "\n");
}
