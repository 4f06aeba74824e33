/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "gen_rows.h"
#include "ledger.h"
#include "manifest.h"
#include "io.h"

/* Items per job and per gzip member. Small enough that the widest rows
 * (sig codes with parents and payloads, ~600 bytes) keep a job near 2.5 MB,
 * so memory stays far under 64 MB; large enough that job hand-offs cost
 * nothing next to the work, and ~50 ms of signing keeps every core busy. */
#define BLOCK_ITEMS 4096

void yima_gen_options_init(yima_gen_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->level = YIMA_LEVEL_ITEM;
    opt->format = YIMA_OUT_TXT;
    opt->gzip_level = 6;
    opt->threads = 1;
    opt->header = 1;
}

/* A multiple of the pallet size, so that jobs (and so gzip members) start
 * at the same absolute indexes in a sharded run. */
static uint64_t block_items(const yima_gen_options *opt)
{
    uint64_t unit = opt->pack_case ? opt->pack_case * opt->pack_pallet : 1;
    return (BLOCK_ITEMS + unit - 1) / unit * unit;
}

int yima_gen_shard(yima_gen_options *opt, unsigned k, unsigned n, yima_err *err)
{
    if (n == 0 || k < 1 || k > n)
        return yima_err_set(err, YIMA_E_USAGE, "shard %u/%u: need 1 <= K <= N", k, n);
    /* Shards split the jobs of the range, which sit on a grid counted from
     * index 0, so each shard's jobs (and gzip members) are the single run's. */
    uint64_t align = block_items(opt), end = opt->start + opt->count;
    uint64_t first = opt->start / align, jobs = (end + align - 1) / align - first;
    uint64_t s = (first + jobs * (k - 1) / n) * align, e = (first + jobs * k / n) * align;
    s = s > opt->start ? s : opt->start;
    e = e < end ? e : end;
    if (e <= s)
        return yima_err_set(err, YIMA_E_USAGE,
                            "shard %u/%u is empty: the range spans only %llu jobs of %llu codes",
                            k, n, (unsigned long long)jobs, (unsigned long long)align);
    opt->start = s;
    opt->count = e - s;
    return YIMA_OK;
}

typedef struct gen_run {
    const yima_gen_options *opt;
    yima_rowfmt_state rows;
    yima_out *out;
    uint64_t next, end, block, written;
} gen_run;

static int gen_read(void *ctx, yima_job *job, yima_err *err)
{
    gen_run *g = ctx;
    (void)err;
    if (g->next >= g->end)
        return YIMA_OK; /* an empty job: the end */
    uint64_t stop = (g->next / g->block + 1) * g->block;
    job->start = g->next;
    job->count = (stop < g->end ? stop : g->end) - g->next;
    g->next += job->count;
    return YIMA_OK;
}

static int gen_work(void *ctx, void *worker, yima_job *job, yima_err *err)
{
    gen_run *g = ctx;
    (void)worker;
    int rc = yima_gen_rows(&g->rows, job->start, job->count, &job->out, &job->stat[0], err);
    if (rc || !g->rows.gzip)
        return rc;
    rc = yima_gzip_member(job->out.data, job->out.len, g->opt->gzip_level, &job->aux, err);
    yima_buf swap = job->out;
    job->out = job->aux;
    job->aux = swap;
    return rc;
}

static int gen_write(void *ctx, yima_job *job, yima_err *err)
{
    gen_run *g = ctx;
    int rc = yima_out_write(g->out, job->out.data, job->out.len, err);
    g->written += job->stat[0];
    if (!rc && g->opt->progress)
        g->opt->progress(g->opt->progress_ctx, job->start + job->count - g->opt->start);
    return rc;
}

/* Items (compact codes of any level, or SGTINs): the serial space stays
 * 10^4 times the codes a batch can hold, so a guess hits one in 10^4. */
static int check_serial_space(const yima_gen_options *opt, yima_err *err)
{
    uint64_t cap = yima_codec_capacity(opt->codec, opt->batch);
    if (opt->start >= cap || opt->count > cap - opt->start)
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "batch %u holds %llu codes in this format (serial space >= 10^4 x "
                            "codes); indexes %llu..%llu do not fit (use a longer serial or "
                            "another batch)",
                            opt->batch, (unsigned long long)cap, (unsigned long long)opt->start,
                            (unsigned long long)(opt->start + opt->count - 1));
    return YIMA_OK;
}

/* SSCCs: cases or pallets [first, first+n) of the batch within the serial
 * references under the company prefix. */
static int check_sscc(const yima_gen_options *opt, yima_level level, uint64_t first, uint64_t n,
                      yima_err *err)
{
    const yima_gs1_params *p = yima_codec_gs1(opt->codec);
    uint64_t cap = yima_codec_sscc_capacity(opt->codec);
    uint32_t bmax = yima_codec_sscc_batch_max(opt->codec);
    int g = (int)strlen(p->gcp);
    if (!cap)
        return yima_err_set(err, YIMA_E_USAGE, "%ss are SSCCs: they need a GS1 company prefix",
                            yima_level_name(level));
    if (opt->batch > bmax)
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "SSCCs under company prefix %s (%d digits) carry batches 0..%u; "
                            "batch %u does not fit",
                            p->gcp, g, bmax, opt->batch);
    if (first >= cap || n > cap - first)
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "SSCCs under company prefix %s (%d digits) hold %llu cases and %llu "
                            "pallets per batch; %ss %llu..%llu of batch %u do not fit",
                            p->gcp, g, (unsigned long long)cap, (unsigned long long)cap,
                            yima_level_name(level), (unsigned long long)first,
                            (unsigned long long)(first + n - 1), opt->batch);
    return YIMA_OK;
}

/* In GS1 mode items are SGTINs (serial space) and cases and pallets SSCCs,
 * also the cases and pallets a hierarchy implies. */
static int check_codes_fit(const yima_gen_options *opt, yima_err *err)
{
    if (!yima_codec_gs1(opt->codec))
        return check_serial_space(opt, err);
    if (opt->level != YIMA_LEVEL_ITEM)
        return check_sscc(opt, opt->level, opt->start, opt->count, err);
    int rc = check_serial_space(opt, err);
    if (rc || !opt->pack_case || !opt->pack_pallet)
        return rc;
    uint64_t end = opt->start + opt->count, pc = opt->pack_case;
    return check_sscc(opt, YIMA_LEVEL_CASE, opt->start / pc, (end + pc - 1) / pc - opt->start / pc,
                      err);
}

static int check_capacity(const yima_gen_options *opt, yima_err *err)
{
    if (opt->count == 0)
        return yima_err_set(err, YIMA_E_USAGE, "nothing to generate: count is 0");
    int rc = check_codes_fit(opt, err);
    if (rc)
        return rc;
    if (opt->inner && opt->level != YIMA_LEVEL_ITEM)
        return yima_err_set(err, YIMA_E_USAGE,
                            "inner codes belong to items: %s rows cannot carry them",
                            yima_level_name(opt->level));
    if (opt->pack_case && (opt->level != YIMA_LEVEL_ITEM || !opt->pack_pallet))
        return yima_err_set(err, YIMA_E_USAGE,
                            "a packing hierarchy needs item level and case and pallet sizes");
    if (opt->pack_case && opt->start % (opt->pack_case * opt->pack_pallet))
        return yima_err_set(err, YIMA_E_USAGE,
                            "with a packing hierarchy, the start index must be a multiple of "
                            "the pallet size %llu",
                            (unsigned long long)(opt->pack_case * opt->pack_pallet));
    return YIMA_OK;
}

/* The item range plus the case and pallet ranges a hierarchy implies. */
static int ledger_ranges(const yima_gen_options *opt, yima_ledger_range r[3])
{
    uint64_t end = opt->start + opt->count;
    r[0] = (yima_ledger_range){opt->batch, (int)opt->level, opt->start, opt->count};
    if (!opt->pack_case)
        return 1;
    uint64_t pc = opt->pack_case, pp = opt->pack_case * opt->pack_pallet;
    r[1] = (yima_ledger_range){opt->batch, YIMA_LEVEL_CASE, opt->start / pc,
                               (end + pc - 1) / pc - opt->start / pc};
    r[2] = (yima_ledger_range){opt->batch, YIMA_LEVEL_PALLET, opt->start / pp,
                               (end + pp - 1) / pp - opt->start / pp};
    return 3;
}

static int gen_stream(gen_run *g, int header, yima_gen_result *res, yima_err *err)
{
    const yima_gen_options *opt = g->opt;
    yima_pipeline_ops ops = {gen_read, gen_work, gen_write, NULL, NULL};
    int rc = YIMA_OK;
    if (header) {
        yima_buf hb = {0}, gz = {0};
        rc = yima_gen_header(&g->rows, &hb, err);
        if (!rc && g->rows.gzip)
            rc = yima_gzip_member(hb.data, hb.len, opt->gzip_level, &gz, err);
        if (!rc)
            rc = g->rows.gzip ? yima_out_write(g->out, gz.data, gz.len, err)
                              : yima_out_write(g->out, hb.data, hb.len, err);
        yima_buf_free(&hb);
        yima_buf_free(&gz);
    }
    if (!rc)
        rc = yima_pipeline_run(&ops, g, opt->threads, err);
    res->rows = g->written;
    res->bytes = yima_out_bytes(g->out);
    if (rc) {
        yima_out_abort(g->out);
        return rc;
    }
    return yima_out_commit(g->out, res->blake2b, err);
}

static int is_path(const char *p) { return p && strcmp(p, "-") != 0; }

/* Outputs may not replace the ledger in use, nor each other. */
static int check_outputs(const yima_gen_options *opt, const char *manifest, yima_err *err)
{
    const char *out = is_path(opt->output) ? opt->output : NULL;
    const char *what = NULL, *path = NULL;
    if (opt->ledger && out && yima_same_file(out, opt->ledger))
        what = "the output", path = out;
    else if (opt->ledger && manifest && yima_same_file(manifest, opt->ledger))
        what = "the manifest", path = manifest;
    if (what)
        return yima_err_set(err, YIMA_E_USAGE,
                            "%s: %s would replace the ledger this run records in (%s)", path,
                            what, opt->ledger);
    if (out && manifest && yima_same_file(out, manifest))
        return yima_err_set(err, YIMA_E_USAGE, "%s: the manifest would replace the output",
                            manifest);
    return YIMA_OK;
}

/* A device or a pipe (a printer, a FIFO) gets no manifest beside it unless
 * one is named: "/dev/lp0.manifest" is nobody's wish. */
static int manifest_path(const yima_gen_options *opt, char **path, yima_err *err)
{
    struct stat st;
    *path = NULL;
    if (opt->manifest)
        *path = strdup(opt->manifest);
    else if (!is_path(opt->output) || (stat(opt->output, &st) == 0 && !S_ISREG(st.st_mode)))
        return YIMA_OK;
    else if ((*path = malloc(strlen(opt->output) + 10)))
        sprintf(*path, "%s.manifest", opt->output);
    return *path ? YIMA_OK : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
}

int yima_gen_run(const yima_gen_options *opt, yima_gen_result *res, yima_err *err)
{
    int header = opt->header && (opt->format == YIMA_OUT_CSV || opt->format == YIMA_OUT_TSV);
    gen_run g = {.opt = opt, .next = opt->start, .end = opt->start + opt->count};
    yima_ledger_range ranges[3];
    char reservation[17];
    memset(res, 0, sizeof *res);
    g.block = block_items(opt);
    /* Decided before the output exists: a regular file or not. */
    char *mpath;
    int rc = manifest_path(opt, &mpath, err);
    if (!rc)
        rc = check_capacity(opt, err);
    if (!rc)
        rc = check_outputs(opt, mpath, err);
    if (!rc)
        rc = yima_gen_rows_init(&g.rows, opt, err);
    if (!rc)
        rc = yima_out_open(&g.out, opt->output, opt->force, 0, err);
    /* Reserve once the output is open, so a refused output costs no range. */
    if (!rc && opt->ledger &&
        (rc = yima_ledger_reserve(opt->ledger, ranges, ledger_ranges(opt, ranges),
                                  yima_out_path(g.out), opt->force, reservation, err)))
        yima_out_abort(g.out);
    if (!rc)
        rc = gen_stream(&g, header, res, err);
    if (!rc && mpath)
        rc = yima_manifest_write(mpath, yima_codec_key(opt->codec), opt, res, header, err);
    if (!rc && opt->ledger)
        rc = yima_ledger_complete(opt->ledger, reservation, err);
    free(mpath);
    return rc;
}
