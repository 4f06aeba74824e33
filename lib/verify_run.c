/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "io.h"
#include "ledger.h"
#include "rows.h"
#include "seen.h"
#include "verify_row.h"
#include "yima/verify.h"

/* Memory is bounded whatever the input and thread count: the input bytes of
 * all jobs in flight share one budget, and a job holds at most one line per
 * BYTES_PER_LINE of its byte budget, so a stream of tiny lines cannot make
 * the per-line records outgrow it. */
#define IN_FLIGHT_BYTES (8u << 20)
#define JOB_BYTES_MIN (64u << 10)
#define JOB_BYTES_MAX (1u << 20)
#define BYTES_PER_LINE 64
#define PREFETCH_AHEAD 8 /* records: enough to cover a cache miss */
/* Input text shown in results is cut short: a junk line can be 64 KiB. */
#define SHOW_MAX 300
#define DETAIL_MAX 160

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
    uint32_t input;
    int status, level, key_id, position_known;
    uint32_t batch;
    uint64_t index;
    uint32_t code_off, code_len, detail_off, detail_len;
} record;

typedef struct verify_run {
    const yima_verify_options *opt;
    const char *const *inputs;
    int ninputs, current, parsers_freed;
    size_t job_bytes, job_lines;
    yima_lines *lines;
    yima_buf block;           /* lines read from the input, not yet in a job */
    size_t block_off;
    uint64_t block_line;      /* number of the line at block_off */
    uint64_t lines_before;    /* lines of the inputs before the current one */
    uint64_t *base;           /* per input: lines of the inputs before it */
    yima_rowparser **parsers; /* one per input, from its first line */
    yima_rowcheck check;
    yima_ledger_set *ledger;
    yima_out *out;
    yima_seen *seen;
    yima_buf text;            /* writer's formatting buffer */
    yima_verify_summary *sum;
} verify_run;

/* Opens the next input; v->lines stays NULL when none is left. */
static int open_next_input(verify_run *v, yima_err *err)
{
    if (++v->current >= v->ninputs)
        return YIMA_OK;
    v->base[v->current] = v->lines_before;
    return yima_lines_open(&v->lines, v->inputs[v->current], err);
}

static int end_input(verify_run *v, yima_err *err)
{
    if (!v->parsers[v->current])
        return yima_err_set(err, YIMA_E_DATA, "%s: empty input, no codes to verify",
                            yima_lines_name(v->lines));
    v->lines_before += v->block_line - 1;
    yima_lines_close(v->lines);
    v->lines = NULL;
    return YIMA_OK;
}

static int make_parser(verify_run *v, yima_err *err)
{
    const unsigned char *nl = memchr(v->block.data, '\n', v->block.len);
    size_t len = nl ? (size_t)(nl - v->block.data) : v->block.len;
    return yima_rowparser_create(&v->parsers[v->current], (const char *)v->block.data, len,
                                 v->opt->template_text, err);
}

/* Moves up to job_lines lines of the block into job. */
static int hand_out(verify_run *v, yima_job *job, yima_err *err)
{
    const unsigned char *p = v->block.data + v->block_off, *end = v->block.data + v->block.len;
    uint64_t n = 0;
    while (p < end && n < v->job_lines) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
        n++;
    }
    size_t take = (size_t)(p - (v->block.data + v->block_off));
    if (yima_buf_append(&job->in, v->block.data + v->block_off, take))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    job->start = v->block_line;
    job->count = n;
    job->stat[0] = (uint64_t)v->current;
    v->block_off += take;
    v->block_line += n;
    return YIMA_OK;
}

static int verify_read(void *ctx, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    uint64_t first, n;
    for (;;) {
        if (v->block_off < v->block.len)
            return hand_out(v, job, err);
        if (!v->lines) {
            int rc = open_next_input(v, err);
            if (rc || !v->lines)
                return rc; /* an error, or the end: an empty job */
        }
        v->block_off = 0;
        int rc = yima_lines_read(v->lines, &v->block, v->job_bytes, &first, &n, err);
        if (rc == 1) {
            v->block_line = first;
            if (!v->parsers[v->current] && (rc = make_parser(v, err)))
                return rc;
        } else if (rc || (rc = end_input(v, err))) {
            return rc;
        }
    }
}

static uint32_t pool_add(yima_buf *pool, const char *s, size_t n)
{
    uint32_t off = (uint32_t)pool->len;
    yima_buf_append(pool, s, n); /* room reserved by the caller */
    return off;
}

/* Fingerprint for the clone check: the code's identity when verify knows it
 * (every spelling of one code has the same), else its case-folded text. */
static uint64_t fingerprint(const yima_code_info *info, const char *code, size_t len)
{
    static const unsigned char zero[sizeof info->identity];
    uint64_t fp;
    if (memcmp(info->identity, zero, sizeof zero) == 0)
        return yima_seen_fingerprint(code, len);
    memcpy(&fp, info->identity, sizeof fp); /* a BLAKE2b output: uniform bits */
    return fp;
}

static void record_detail(yima_job *job, record *r, const char *why)
{
    size_t n = strlen(why);
    n = n < DETAIL_MAX ? n : DETAIL_MAX;
    r->detail_off = pool_add(&job->out, why, n);
    r->detail_len = (uint32_t)n;
}

/* The parser's message without its "SOURCE:LINE: " lead (the result line
 * names both already). */
static const char *parse_reason(const yima_err *e, const char *src, uint64_t ln)
{
    char lead[64];
    int n = snprintf(lead, sizeof lead, ":%llu: ", (unsigned long long)ln);
    size_t sl = strlen(src);
    if (strncmp(e->msg, src, sl) == 0 && strncmp(e->msg + sl, lead, (size_t)n) == 0)
        return e->msg + sl + (size_t)n;
    return e->msg;
}

static void verify_row(const verify_run *v, yima_rowcheck_cache *cache, yima_job *job,
                       const yima_row *row, record *r)
{
    yima_code_info info;
    char detail[YIMA_ROW_DETAIL_MAX];
    r->code_off = pool_add(&job->out, row->code.ptr, row->code.len);
    r->code_len = (uint32_t)row->code.len;
    r->status = yima_rowcheck_run(&v->check, cache, row, &info, detail);
    if (detail[0])
        record_detail(job, r, detail);
    r->level = (int)info.level;
    r->key_id = info.key_id;
    r->position_known = info.position_known;
    r->batch = info.batch;
    r->index = info.index;
    r->fp = fingerprint(&info, row->code.ptr, row->code.len);
}

static int verify_line(verify_run *v, yima_rowcheck_cache *cache, yima_job *job, char *line,
                       size_t len, uint64_t ln, yima_err *err)
{
    uint32_t input = (uint32_t)job->stat[0];
    const char *src = v->inputs[input];
    yima_row row;
    yima_err perr = {0};
    record r = {.input = input, .line = ln};
    /* Input that is not text at all stops the run (exit 3) rather than
     * giving a result per line; a CRLF line ending is just text. */
    size_t text_len = len && line[len - 1] == '\r' ? len - 1 : len;
    int rc = yima_line_check(line, text_len, src, ln, err);
    if (rc)
        return rc;
    if (yima_key_text_line(line, text_len))
        return yima_err_set(err, YIMA_E_DATA,
                            "%s:%llu: this is a yima key file, not codes; refusing to read it",
                            src, (unsigned long long)ln);
    if (yima_buf_reserve(&job->out, text_len + DETAIL_MAX) ||
        yima_buf_reserve(&job->aux, sizeof r))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    /* The parser may rewrite the line in place, so keep the raw text first. */
    size_t mark = job->out.len;
    r.code_off = pool_add(&job->out, line, text_len < SHOW_MAX ? text_len : SHOW_MAX);
    r.code_len = (uint32_t)(job->out.len - mark);
    if (yima_rowparser_parse(v->parsers[input], line, len, &row, src, ln, &perr)) {
        r.status = YIMA_S_MALFORMED;
        record_detail(job, &r, parse_reason(&perr, src, ln));
    } else {
        job->out.len = mark;
        if (row.is_header)
            return YIMA_OK;
        verify_row(v, cache, job, &row, &r);
    }
    yima_buf_append(&job->aux, &r, sizeof r);
    return YIMA_OK;
}

static int verify_work(void *ctx, void *worker, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    char *p = (char *)job->in.data, *end = p + job->in.len;
    if (!worker)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    for (uint64_t ln = job->start; p < end; ln++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int rc = verify_line(v, worker, job, p, len, ln, err);
        if (rc)
            return rc;
        p = nl ? nl + 1 : end;
    }
    return YIMA_OK;
}

static void *worker_init(void *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(yima_rowcheck_cache));
}

static void worker_free(void *ctx, void *worker)
{
    (void)ctx;
    free(worker);
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

static int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '\\';
}

/* Input text in a TSV result: tabs, backslashes, control and non-ASCII bytes
 * escaped, so no input can add a column or a line of its own. */
static void append_escaped(yima_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && plain((unsigned char)s[j]))
            j++;
        append(b, s + i, j - i);
        if (j == n)
            break;
        unsigned char c = (unsigned char)s[j];
        char e[4] = {'\\', c == '\t' ? 't' : c == '\\' ? '\\' : 'x', hex[c >> 4], hex[c & 15]};
        append(b, e, e[1] == 'x' ? 4 : 2);
        i = j + 1;
    }
}

/* A run-wide position (lines of all inputs counted in turn) back into an
 * input, searched among the inputs up to hi. */
static uint32_t input_of(const verify_run *v, uint64_t at, uint32_t hi)
{
    uint32_t lo = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (v->base[mid] < at)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void append_position(yima_buf *b, const verify_run *v, uint32_t input, uint64_t line)
{
    char num[24];
    int n = snprintf(num, sizeof num, ":%llu", (unsigned long long)line);
    append_escaped(b, v->inputs[input], strlen(v->inputs[input]));
    append(b, num, (size_t)n);
}

/* The hot path of a large run: plain appends, no printf. */
static void format_text(yima_buf *b, const verify_run *v, const record *r, const char *pool,
                        uint64_t first)
{
    append_position(b, v, r->input, r->line);
    append(b, "\t", 1);
    append_str(b, yima_status_name(r->status));
    append(b, "\t", 1);
    append_escaped(b, pool + r->code_off, r->code_len);
    if (r->detail_len) {
        append(b, "\t", 1);
        append_escaped(b, pool + r->detail_off, r->detail_len);
    }
    if (first) {
        uint32_t in = input_of(v, first, r->input);
        append_str(b, "\tfirst seen at ");
        append_position(b, v, in, first - v->base[in]);
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
    const char *src = v->inputs[r->input];
    fmt(b, "{\"source\":");
    json_string_out(b, src, strlen(src));
    fmt(b, ",\"line\":%llu,\"status\":\"%s\",\"code\":", (unsigned long long)r->line,
        yima_status_name(r->status));
    json_string_out(b, pool + r->code_off, r->code_len);
    if (r->status != YIMA_S_MALFORMED && r->status != YIMA_S_BAD_CHECK)
        fmt(b, ",\"key_id\":%d,\"level\":\"%s\"", r->key_id, yima_level_name((yima_level)r->level));
    if (r->position_known)
        fmt(b, ",\"batch\":%u,\"index\":%llu", r->batch, (unsigned long long)r->index);
    if (r->detail_len) {
        fmt(b, ",\"detail\":");
        json_string_out(b, pool + r->detail_off, r->detail_len);
    }
    if (first) {
        uint32_t in = input_of(v, first, r->input);
        fmt(b, ",\"first_source\":");
        json_string_out(b, v->inputs[in], strlen(v->inputs[in]));
        fmt(b, ",\"first_line\":%llu", (unsigned long long)(first - v->base[in]));
    }
    fmt(b, "}\n");
}

/* Clone check: a good code seen before becomes DUPLICATE; *first is its
 * first sighting as a run-wide position (0: none). */
static int check_duplicate(verify_run *v, record *r, uint64_t *first, yima_err *err)
{
    *first = 0;
    if (!v->seen || r->status != YIMA_S_OK)
        return YIMA_OK;
    *first = yima_seen_add(v->seen, r->fp, v->base[r->input] + r->line);
    if (*first == UINT64_MAX)
        return yima_err_set(err, YIMA_E_NOMEM,
                            "out of memory remembering codes for duplicate detection");
    if (*first)
        r->status = YIMA_S_DUPLICATE;
    return YIMA_OK;
}

/* Jobs are written in order, so every input before this job's is done. */
static void free_done_parsers(verify_run *v, int input)
{
    for (; v->parsers_freed < input; v->parsers_freed++) {
        yima_rowparser_free(v->parsers[v->parsers_freed]);
        v->parsers[v->parsers_freed] = NULL;
    }
}

static int verify_write(void *ctx, yima_job *job, yima_err *err)
{
    verify_run *v = ctx;
    record *recs = (record *)job->aux.data;
    size_t n = job->aux.len / sizeof *recs;
    free_done_parsers(v, (int)job->stat[0]);
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

static void summary_json(yima_buf *b, const yima_verify_summary *s)
{
    fmt(b, "{\"summary\":{\"lines\":%llu,\"ok\":%llu,\"bad\":%llu",
        (unsigned long long)s->lines, (unsigned long long)s->status[YIMA_S_OK],
        (unsigned long long)s->bad);
    for (int i = 1; i < YIMA_S__COUNT; i++)
        fmt(b, ",\"%s\":%llu", yima_status_name((yima_status)i), (unsigned long long)s->status[i]);
    fmt(b, "}}\n");
}

/* The results never replace the ledger or an input of the run (the same
 * file under any name included), force or not. */
static int check_output(const verify_run *v, yima_err *err)
{
    const char *out = v->opt->output, *what = NULL, *path = NULL;
    if (!out || !strcmp(out, "-"))
        return YIMA_OK;
    if (v->opt->ledger && yima_same_file(out, v->opt->ledger))
        what = "the ledger", path = v->opt->ledger;
    for (int i = 0; i < v->ninputs && !what; i++)
        if (strcmp(v->inputs[i], "-") != 0 && yima_same_file(out, v->inputs[i]))
            what = "an input", path = v->inputs[i];
    if (!what)
        return YIMA_OK;
    return yima_err_set(err, YIMA_E_USAGE,
                        "%s: the results would replace %s this run reads (%s)", out, what, path);
}

static int run_setup(verify_run *v, int threads, yima_err *err)
{
    v->job_bytes = IN_FLIGHT_BYTES / (2 * (size_t)threads); /* the pipeline's 2 jobs a thread */
    v->job_bytes = v->job_bytes < JOB_BYTES_MIN   ? JOB_BYTES_MIN
                   : v->job_bytes > JOB_BYTES_MAX ? JOB_BYTES_MAX
                                                  : v->job_bytes;
    v->job_lines = v->job_bytes / BYTES_PER_LINE;
    v->parsers = calloc((size_t)v->ninputs, sizeof *v->parsers);
    v->base = calloc((size_t)v->ninputs, sizeof *v->base);
    v->seen = v->opt->duplicates ? yima_seen_create() : NULL;
    if (!v->parsers || !v->base || (v->opt->duplicates && !v->seen))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = check_output(v, err);
    if (!rc && v->opt->ledger)
        rc = yima_ledger_load(&v->ledger, v->opt->ledger, err);
    if (rc)
        return rc;
    v->check = (yima_rowcheck){v->opt->ring, v->opt->want_level, v->ledger};
    return yima_out_open(&v->out, v->opt->output, v->opt->force, 0, err);
}

static int run_pipeline(verify_run *v, int threads, yima_err *err)
{
    yima_pipeline_ops ops = {verify_read, verify_work, verify_write, worker_init, worker_free};
    int rc = yima_pipeline_run(&ops, v, threads, err);
    if (!rc && v->opt->json) { /* machine readers find the summary as the last line */
        v->text.len = 0;
        summary_json(&v->text, v->sum);
        rc = yima_out_write(v->out, v->text.data, v->text.len, err);
    }
    if (rc)
        yima_out_abort(v->out);
    else
        rc = yima_out_commit(v->out, NULL, err);
    return rc;
}

int yima_verify_run(const yima_verify_options *opt, const char *const *inputs, int ninputs,
                    yima_verify_summary *sum, yima_err *err)
{
    static const char *const stdin_only[] = {"-"};
    verify_run v = {.opt = opt, .inputs = ninputs ? inputs : stdin_only,
                    .ninputs = ninputs ? ninputs : 1, .current = -1, .sum = sum};
    int threads = opt->threads < 1                          ? 1
                  : opt->threads > YIMA_VERIFY_THREADS_MAX ? YIMA_VERIFY_THREADS_MAX
                                                            : opt->threads;
    memset(sum, 0, sizeof *sum);
    int rc = run_setup(&v, threads, err);
    if (!rc)
        rc = run_pipeline(&v, threads, err);
    yima_lines_close(v.lines);
    for (int i = 0; v.parsers && i < v.ninputs; i++)
        yima_rowparser_free(v.parsers[i]);
    free(v.parsers);
    free(v.base);
    yima_ledger_set_free(v.ledger);
    yima_seen_free(v.seen);
    yima_buf_free(&v.block);
    yima_buf_free(&v.text);
    return rc;
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
