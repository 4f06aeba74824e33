/* SPDX-License-Identifier: MIT */
/*
 * The importer on the ordered engine: read blocks of lines, parse and verify
 * them on every core, apply them to the store in input order, in batched
 * transactions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "link_internal.h"
#include "link_watch.h"
#include "io.h"

#define BLOCK_BYTES (256 * 1024)
#define STAT_INPUT 7 /* job->stat slot: which input the job came from */
/* A bulk import that commits because another writer waits stands back this
 * long at most while the waiters take their turns. */
#define LET_PASS_MS 50
/* Beside other writers (one waited for the store, or wrote it, within
 * OTHERS_MS), a bulk import commits at least every SHARED_COMMIT_MS, so
 * that a station waits for a small commit, and files its new codes in the
 * code stage (link_stage.c; also for its first OTHERS_MS, until it is seen
 * whether others write, so the first one waits for no whole index),
 * which moves to the code index, some key ranges a commit, once it holds
 * STAGE_MERGE_AT codes: a range then brings many codes to each index page
 * it touches. */
#define OTHERS_MS 1000
#define SHARED_COMMIT_MS 25
#define STAGE_MERGE_AT 100000

/* What a line became in the work stage; blank and comment lines leave no record. */
enum {
    REC_EVENT = 1,   /* an event to apply */
    REC_REFUSED = 2, /* refused by parsing or verification, with its reason */
    REC_TOO_LONG = 3 /* a line over YIMA_LINE_MAX: stops the import there */
};

/* One limit for both modes: the line reader's, as link.h documents it. */
_Static_assert(YIMA_LINK_LINE_MAX == YIMA_LINE_MAX, "link's line limit is the line reader's");

/* A work-stage result, laid out in job->out: this header, then the id, the
 * three args, the who-and-where values (lk_event.ctx), the reason, then per
 * code a code_rec with its text and payload, each followed by a NUL. */
typedef struct rec {
    uint32_t size;  /* whole record, 8-byte aligned */
    int32_t kind;   /* REC_EVENT, REC_REFUSED or REC_TOO_LONG */
    uint64_t line;
    uint32_t raw_off, raw_len; /* the input line in job->in */
    int32_t type, has_time, tz, ncodes;
    int64_t time_ms;
    uint64_t digest;
    uint32_t id_len, arg_len[3], reason_len, has_arg;
    uint32_t ctx_len[LK_CTX__COUNT], has_ctx;
} rec;

typedef struct code_rec {
    uint32_t len, payload_len;
    int32_t level, has_payload;
    int32_t gs1, gcp;
} code_rec;

/* A refused line, reported once its batch commits: a batch that another
 * writer made fail runs again, and must not report it twice. */
typedef struct pending_reject {
    const char *src;
    uint64_t line;
    char *reason, *raw; /* copies */
    size_t raw_len;
} pending_reject;

/* An event line whose outcome waits for the commit to be acknowledged. */
typedef struct pending_ack {
    const char *src;
    uint64_t line;
    yima_link_outcome outcome;
} pending_ack;

typedef struct importer {
    yima_link *s;
    const yima_link_import_options *opt;
    const char *const *inputs;
    int ninputs, cur, realtime, fd;
    yima_lines *lines;
    yima_buf carry;       /* realtime: the unfinished last line */
    uint64_t next_line;   /* realtime: number of the next line (1-based, as in bulk) */
    char **names;         /* event-id source name of each input */
    lk_rejects *rejects;
    yima_link_summary *sum;
    uint64_t in_batch;
    uint64_t applied;     /* events applied in the open transaction, not yet in sum */
    lk_event ev;          /* writer's decoded event */
    lk_code *codes;
    int codes_cap;
    pending_ack *acks;    /* outcomes of the open transaction, for on_ack */
    size_t nacks, acks_cap;
    pending_reject *rejs; /* refusals of the open transaction */
    size_t nrejs, rejs_cap;
    uint64_t commits;     /* batches committed so far */
    lk_watch watch;       /* bulk: commits for a waiting writer while we are idle */
    int64_t others_until; /* bulk: others write until then (ms), so we stage */
    int others_seen;      /* bulk: another writer came during the import */
    int own_copier;       /* realtime: the copier (copy_aside) is this import's */
    int64_t txn_ms;       /* bulk: when the open transaction began (ms) */
    unsigned merge_part;  /* bulk: the key range of the stage moved last */
} importer;

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int is_stdin(const char *path)
{
    return !path || strcmp(path, "-") == 0;
}

/* The one line limit of bulk and realtime input, worded as the line reader
 * (lib/lines.c) words it. */
static int too_long(yima_err *err, const char *input, uint64_t line)
{
    return yima_err_set(err, YIMA_E_DATA, "%s:%llu: line longer than %d bytes", input,
                        (unsigned long long)line, YIMA_LINE_MAX);
}

/* Realtime input: whatever whole lines have arrived, without waiting for a
 * full block, so a line station's event is applied as soon as it is sent.
 * The job stays empty at the end of input. */
static int read_realtime(importer *im, yima_job *job, yima_err *err)
{
    char tmp[65536];
    for (;;) {
        unsigned char *nl = im->carry.len ? memrchr(im->carry.data, '\n', im->carry.len) : NULL;
        if (nl || (im->fd < 0 && im->carry.len)) {
            size_t take = nl ? (size_t)(nl - im->carry.data) + 1 : im->carry.len;
            if (yima_buf_append(&job->in, im->carry.data, take))
                return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
            memmove(im->carry.data, im->carry.data + take, im->carry.len - take);
            im->carry.len -= take;
            uint64_t n = 0;
            for (size_t i = 0; i < take; i++)
                n += job->in.data[i] == '\n';
            job->start = im->next_line;
            job->count = n + (job->in.data[take - 1] != '\n');
            im->next_line += job->count;
            return YIMA_OK;
        }
        if (im->fd < 0)
            return YIMA_OK;
        /* No newline yet: a line over the limit is refused now, before it
         * is read to its end, so memory stays bounded whatever comes. */
        if (im->carry.len > YIMA_LINE_MAX)
            return too_long(err, "(stdin)", im->next_line);
        ssize_t got = read(im->fd, tmp, sizeof tmp);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return yima_err_set(err, YIMA_E_IO, "(stdin): read error: %s", strerror(errno));
        if (got == 0)
            im->fd = -1;
        else if (yima_buf_append(&im->carry, tmp, (size_t)got))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
}

/* The next block of lines; the job stays empty at the end of the inputs. */
static int next_job(void *ctx, yima_job *job, yima_err *err)
{
    importer *im = ctx;
    while (im->cur < im->ninputs) {
        job->stat[STAT_INPUT] = (uint64_t)im->cur;
        if (im->realtime)
            return read_realtime(im, job, err);
        int rc = im->lines ? YIMA_OK : yima_lines_open(&im->lines, im->inputs[im->cur], err);
        if (rc)
            return rc;
        /* The line reader's own convention: 1 lines read, 0 end, or an error. */
        rc = yima_lines_read(im->lines, &job->in, BLOCK_BYTES, &job->start, &job->count, err);
        if (rc == 1)
            return YIMA_OK;
        if (rc)
            return rc;
        yima_lines_close(im->lines);
        im->lines = NULL;
        im->cur++;
    }
    return YIMA_OK;
}

static int put(yima_buf *b, const void *p, size_t n)
{
    return yima_buf_append(b, p, n);
}

/* The fields a record and an event share by name, copied either way. */
#define SCALARS(COPY) COPY(type) COPY(has_time) COPY(tz) COPY(ncodes) COPY(time_ms) COPY(digest)
#define TO_REC(f) r->f = ev->f;
#define TO_EVENT(f) ev->f = r->f;

/* The record of an event: YIMA_OK or YIMA_E_NOMEM. */
static int put_event(yima_buf *out, rec *r, const lk_event *ev)
{
    SCALARS(TO_REC)
    r->id_len = (uint32_t)ev->id_len;
    for (int i = 0; i < 3; i++) {
        r->arg_len[i] = (uint32_t)ev->arg_len[i];
        r->has_arg |= ev->arg[i] ? 1u << i : 0;
    }
    for (int i = 0; i < LK_CTX__COUNT; i++) {
        r->ctx_len[i] = (uint32_t)ev->ctx_len[i];
        r->has_ctx |= ev->ctx[i] ? 1u << i : 0;
    }
    int oom = put(out, r, sizeof *r) || put(out, ev->id, ev->id_len);
    for (int i = 0; i < 3; i++)
        oom = oom || put(out, ev->arg[i], ev->arg_len[i]);
    for (int i = 0; i < LK_CTX__COUNT; i++)
        oom = oom || put(out, ev->ctx[i], ev->ctx_len[i]);
    for (int i = 0; i < ev->ncodes; i++) {
        const lk_code *c = &ev->codes[i];
        code_rec cr = {(uint32_t)c->len, (uint32_t)c->payload_len, c->level, c->payload != NULL,
                       c->gs1, c->gcp};
        /* Each with its NUL: lk_code's strings are C strings too. */
        oom = oom || put(out, &cr, sizeof cr) || put(out, c->text, c->len) || put(out, "", 1) ||
              put(out, c->payload, c->payload_len) || put(out, "", 1);
    }
    return oom ? YIMA_E_NOMEM : YIMA_OK;
}

/* Parses and verifies one line into its record (none for a blank line). */
static int put_line(lk_parser *p, yima_job *job, char *line, size_t len, uint64_t lineno,
                    yima_err *err)
{
    static const char pad[8];
    lk_event ev;
    yima_err why;
    int kind = REC_TOO_LONG, oom;
    if (len <= YIMA_LINE_MAX) {
        int rc = lk_parse_line(p, line, len, &ev, &why);
        if (rc && rc != YIMA_E_DATA)
            return yima_err_set(err, rc, "%s", why.msg);
        kind = rc ? REC_REFUSED : ev.type ? REC_EVENT : 0;
    }
    if (kind == 0)
        return YIMA_OK;
    rec r = {.kind = kind, .line = lineno, .raw_off = (uint32_t)(line - (char *)job->in.data),
             .raw_len = (uint32_t)len};
    size_t at = job->out.len;
    if (kind == REC_EVENT)
        oom = put_event(&job->out, &r, &ev) != YIMA_OK;
    else if (kind == REC_REFUSED)
        oom = put(&job->out, &r, sizeof r) || put(&job->out, why.msg, strlen(why.msg));
    else
        oom = put(&job->out, &r, sizeof r) != YIMA_OK;
    size_t size = job->out.len - at;
    if (oom || put(&job->out, pad, (8 - size % 8) % 8))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    rec *stored = (rec *)(job->out.data + at);
    stored->size = (uint32_t)(job->out.len - at);
    if (kind == REC_REFUSED)
        stored->reason_len = (uint32_t)strlen(why.msg);
    return YIMA_OK;
}

static int work_job(void *ctx, void *worker, yima_job *job, yima_err *err)
{
    (void)ctx;
    lk_parser *p = worker;
    char *s = (char *)job->in.data, *end = s + job->in.len;
    int rc = p ? YIMA_OK : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    for (uint64_t line = job->start; !rc && s < end; line++) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        rc = put_line(p, job, s, (size_t)((nl ? nl : end) - s), line, err);
        s = nl ? nl + 1 : end;
    }
    return rc;
}

/* Rebuilds the event of a record; its strings point into the record. */
static int decode(importer *im, const rec *r, lk_event *ev, yima_err *err)
{
    const char *p = (const char *)(r + 1);
    memset(ev, 0, sizeof *ev);
    SCALARS(TO_EVENT)
    ev->id = r->id_len ? p : NULL;
    ev->id_len = r->id_len;
    p += r->id_len;
    for (int i = 0; i < 3; i++) {
        ev->arg[i] = r->has_arg & (1u << i) ? p : NULL;
        ev->arg_len[i] = r->arg_len[i];
        p += r->arg_len[i];
    }
    for (int i = 0; i < LK_CTX__COUNT; i++) {
        ev->ctx[i] = r->has_ctx & (1u << i) ? p : NULL;
        ev->ctx_len[i] = r->ctx_len[i];
        p += r->ctx_len[i];
    }
    if (r->ncodes > im->codes_cap) {
        lk_code *c = realloc(im->codes, (size_t)r->ncodes * sizeof *c);
        if (!c)
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        im->codes = c;
        im->codes_cap = r->ncodes;
    }
    ev->codes = im->codes;
    for (int i = 0; i < r->ncodes; i++) {
        code_rec cr;
        memcpy(&cr, p, sizeof cr);
        p += sizeof cr;
        im->codes[i] = (lk_code){p, cr.len, cr.has_payload ? p + cr.len + 1 : NULL,
                                 cr.payload_len, cr.level, cr.gs1, cr.gcp};
        p += cr.len + 1 + cr.payload_len + 1;
    }
    return YIMA_OK;
}

/* Room in *arr (of *cap elements of elem bytes) for element n: doubled
 * when full, first elements at the start. */
static int room_for(void **arr, size_t *cap, size_t n, size_t elem, size_t first, yima_err *err)
{
    if (n < *cap)
        return YIMA_OK;
    size_t more = *cap ? 2 * *cap : first;
    void *p = realloc(*arr, more * elem);
    if (!p)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    *arr = p;
    *cap = more;
    return YIMA_OK;
}

/* Holds an outcome until its commit (on_ack only). */
static int note_outcome(importer *im, const char *src, uint64_t line, yima_link_outcome o,
                        yima_err *err)
{
    if (!im->opt->on_ack)
        return YIMA_OK;
    int rc = room_for((void **)&im->acks, &im->acks_cap, im->nacks, sizeof *im->acks, 256, err);
    if (rc)
        return rc;
    im->acks[im->nacks++] = (pending_ack){src, line, o};
    return YIMA_OK;
}

/* Forgets the refusals of a batch that is rolled back. */
static void drop_rejects(importer *im)
{
    for (size_t i = 0; i < im->nrejs; i++) {
        free(im->rejs[i].reason);
        free(im->rejs[i].raw);
    }
    im->nrejs = 0;
}

/* The refusals held for the commit go to the caller's callback and the
 * rejects file: the library itself never prints. */
static int flush_rejects(importer *im, yima_err *err)
{
    int rc = YIMA_OK;
    for (size_t i = 0; i < im->nrejs; i++) {
        pending_reject *p = &im->rejs[i];
        if (im->opt->on_reject) {
            yima_link_reject r = {p->src, p->line, p->reason, p->raw, p->raw_len};
            im->opt->on_reject(im->opt->reject_ctx, &r);
        }
        if (!rc && im->rejects)
            rc = lk_rejects_write(im->rejects, p->src, p->line, p->reason, p->raw, p->raw_len,
                                  err);
    }
    drop_rejects(im);
    return rc;
}

/* A refused event, reported once its batch commits. */
static int report_reject(importer *im, const char *src, uint64_t line, const char *reason,
                         const char *raw, size_t raw_len, yima_err *err)
{
    im->sum->rejected++;
    int rc = room_for((void **)&im->rejs, &im->rejs_cap, im->nrejs, sizeof *im->rejs, 16, err);
    if (rc)
        return rc;
    pending_reject *p = &im->rejs[im->nrejs];
    *p = (pending_reject){src, line, strdup(reason), malloc(raw_len + 1), raw_len};
    if (!p->reason || !p->raw) {
        free(p->reason);
        free(p->raw);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    memcpy(p->raw, raw, raw_len);
    p->raw[raw_len] = '\0';
    im->nrejs++;
    return note_outcome(im, src, line, YIMA_LINK_REJECTED, err);
}

/* Before a bulk commit: while others write, one key range of a large
 * stage moves to the code index; once they stopped, the whole stage, and
 * new codes go to the index again. */
static int tend_stage(importer *im, yima_err *err)
{
    yima_link *s = im->s;
    if (s->staging && lk_now_ms() > im->others_until)
        s->staging = 0;
    int all = !s->staging; /* also what an import killed beside others left */
    /* A key range moves in a commit no writer waits for (it doubled a
     * station's wait). */
    if (!s->staged || (!all && (s->staged < STAGE_MERGE_AT || lk_gate_wanted(s))))
        return YIMA_OK;
    int rc = s->in_txn ? YIMA_OK : lk_begin(s, err);
    if (rc || all)
        return rc ? rc : lk_stage_merge(s, 0, 1, err);
    return lk_stage_merge_some(s, &im->merge_part, err);
}

/* Commits the open batch: only now do its events count as applied, and are
 * they acknowledged, since an error before this rolls them back. The
 * acknowledgements go before the checkpoint: a station's must not wait
 * for the copy of what a bulk import wrote since the last one. */
static int commit(importer *im, yima_err *err)
{
    int rc = im->realtime ? YIMA_OK : tend_stage(im, err);
    rc = rc ? rc : lk_commit_only(im->s, err);
    im->in_batch = 0;
    if (!rc) {
        im->sum->applied += im->applied;
        im->commits++;
        rc = flush_rejects(im, err);
    }
    im->applied = 0;
    for (size_t i = 0; !rc && i < im->nacks; i++)
        im->opt->on_ack(im->opt->ack_ctx, im->acks[i].src, im->acks[i].line,
                        im->acks[i].outcome);
    im->nacks = 0;
    lk_checkpoint(im->s);
    im->txn_ms = lk_now_ms();
    return rc;
}

/* Another writer came: a bulk import shares the store for a while. */
static void note_others(importer *im)
{
    im->others_until = lk_now_ms() + OTHERS_MS;
    im->others_seen = 1;
    im->s->staging = !im->realtime;
    if (!im->realtime) /* its lookups of new codes would read the index again */
        lk_filter_want(im->s);
}

/* Commits what the batch holds and stands back until the writers waiting
 * for the store are through. */
static int yield_store(void *ctx, yima_err *err)
{
    importer *im = ctx;
    note_others(im);
    if (!im->in_batch && !im->nacks)
        return YIMA_OK; /* nothing held: the waiter is not waiting for us */
    int rc = commit(im, err);
    lk_gate_let_pass(im->s, LET_PASS_MS);
    return rc;
}

/* Ends the batch when it is full, or at once when another writer waits
 * for the store, so no station waits for a bulk import's whole batch. */
static int end_batch_if_due(importer *im, yima_err *err)
{
    if (im->opt->sync == YIMA_LINK_SYNC_FULL || ++im->in_batch >= im->opt->batch)
        return commit(im, err);
    if (lk_gate_wanted(im->s))
        return yield_store(im, err);
    int shared = im->s->staging && im->others_seen;
    return shared && lk_now_ms() - im->txn_ms >= SHARED_COMMIT_MS ? commit(im, err) : YIMA_OK;
}

static int apply_record(importer *im, const rec *r, const char *src, const char *raw,
                        yima_err *err)
{
    char reason[sizeof err->msg], pos[300];
    lk_event *ev = &im->ev;
    yima_err why;
    int skipped;
    im->sum->events++;
    if (r->kind == REC_REFUSED) {
        snprintf(reason, sizeof reason, "%.*s", (int)r->reason_len, (const char *)(r + 1));
        return report_reject(im, src, r->line, reason, raw, r->raw_len, err);
    }
    int rc = decode(im, r, ev, err);
    if (im->opt->station_fixed && im->opt->station) {
        /* The sender's name, not what its line claims (not in the digest). */
        ev->ctx[LK_CTX_STATION] = im->opt->station;
        ev->ctx_len[LK_CTX_STATION] = strlen(im->opt->station);
    }
    const char *id = ev->id;
    size_t id_len = ev->id_len;
    if (!id) {
        id_len = (size_t)snprintf(pos, sizeof pos, "%s:%llu", src, (unsigned long long)r->line);
        id = pos;
    }
    if (rc)
        return rc;
    if (!im->s->in_txn && lk_others_wrote(im->s)) /* one came while we held nothing */
        note_others(im);
    if ((rc = lk_begin(im->s, err)))
        return rc;
    rc = lk_apply(im->s, &im->opt->rules, ev, id, id_len, &skipped, &why);
    if (rc == YIMA_E_DATA)
        rc = report_reject(im, src, r->line, why.msg, raw, r->raw_len, err);
    else if (rc)
        return yima_err_set(err, rc, "%s", why.msg);
    else {
        im->sum->skipped += skipped;
        im->applied += !skipped;
        rc = note_outcome(im, src, r->line, skipped ? YIMA_LINK_SKIPPED : YIMA_LINK_APPLIED,
                          err);
    }
    return rc ? rc : end_batch_if_due(im, err);
}

/* Where a failed batch runs again from: the first record after the last
 * commit, and the summary as it stood there. */
typedef struct replay {
    size_t at;
    uint64_t commits;
    yima_link_summary sum;
    int tries;
} replay;

/* Records applied up to at: if a batch was committed meanwhile, a replay
 * starts at at. */
static void replay_mark(importer *im, replay *p, size_t at)
{
    if (p->commits == im->commits)
        return;
    p->at = at;
    p->commits = im->commits;
    p->sum = *im->sum;
    p->tries = 0;
}

/* Many writers: a batch that failed only because another writer got in
 * its way is rolled back and runs again from p->at, forgetting what it
 * had counted and held for its commit: 1 if so. */
static int replay_batch(importer *im, replay *p)
{
    if (!lk_retry_wait(im->s, &p->tries))
        return 0;
    *im->sum = p->sum;
    im->in_batch = im->applied = 0;
    im->nacks = 0;
    drop_rejects(im);
    return 1;
}

/* The records from at, and the commit at the end where one is due: a
 * station waits for its event, so it commits once its input has gone
 * quiet; with many writers (PostgreSQL) every block ends its batch, so a
 * batch that runs again has its records still at hand. */
static int write_from(importer *im, yima_job *job, replay *p, size_t at, yima_err *err)
{
    const char *src = im->names[job->stat[STAT_INPUT]];
    const char *input = im->inputs[job->stat[STAT_INPUT]];
    for (; at < job->out.len; replay_mark(im, p, at)) {
        const rec *r = (const rec *)(job->out.data + at);
        if (r->kind == REC_TOO_LONG) {
            /* A station's earlier lines stay applied, as if read apart. */
            int rc = im->realtime ? commit(im, err) : YIMA_OK;
            return rc ? rc : too_long(err, is_stdin(input) ? "(stdin)" : input, r->line);
        }
        int rc = apply_record(im, r, src, (const char *)job->in.data + r->raw_off, err);
        if (rc)
            return rc;
        at += r->size;
    }
    int due = im->realtime || im->s->dialect->seal;
    return due && (im->in_batch || im->nacks || im->nrejs) ? commit(im, err) : YIMA_OK;
}

static int write_events(importer *im, yima_job *job, yima_err *err)
{
    replay p = {0, im->commits, *im->sum, 0};
    int rc;
    while ((rc = write_from(im, job, &p, p.at, err)) && replay_batch(im, &p))
        ;
    if (rc)
        return rc;
    im->sum->lines += job->count;
    if (im->opt->progress)
        im->opt->progress(im->opt->progress_ctx, im->sum->lines);
    return YIMA_OK;
}

/* Applies a block's events with the store taken from the watch, which
 * meanwhile may have committed for a waiting writer. */
static int write_job(void *ctx, yima_job *job, yima_err *err)
{
    importer *im = ctx;
    int rc = lk_watch_take(&im->watch, err);
    rc = rc ? rc : write_events(im, job, err);
    lk_watch_give(&im->watch);
    return rc;
}

/* The offset of event times that name none: the station's, or none. */
static int default_tz(const yima_link_import_options *opt)
{
    int tz;
    return opt->tz && yima_link_parse_tz(opt->tz, &tz) == YIMA_OK ? tz : YIMA_LINK_TZ_NONE;
}

/* What every event of this import or hand station takes from its options. */
static void parser_context(lk_parser *p, const yima_link_import_options *opt)
{
    const char *ctx[LK_CTX__COUNT] = {opt->user, opt->station, opt->read_point, opt->location};
    lk_parser_context(p, opt->gcp_len, ctx);
    lk_parser_tz(p, default_tz(opt));
}

static void *worker_init(void *ctx)
{
    importer *im = ctx;
    lk_parser *p = NULL;
    yima_err e;
    if (lk_parser_create(&p, im->opt->ring, im->opt->template_text, &e) == YIMA_OK)
        parser_context(p, im->opt);
    return p;
}

static void worker_free(void *ctx, void *worker)
{
    (void)ctx;
    lk_parser_free(worker);
}

void yima_link_import_options_init(yima_link_import_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->realtime = -1;
    /* Every commit rewrites each index page its batch dirtied, and new
     * codes dirty pages of the code index all over: 10,000 events a commit
     * spent a quarter of a 10M-link import on that; 30,000 to 300,000
     * measured the same, 100,000 leaves room for larger stores. */
    opt->batch = 100000;
    opt->threads = 1;
}

static int wants_realtime(const yima_link_import_options *opt, const char *const *inputs, int n)
{
    struct stat st;
    if (opt->realtime >= 0)
        return opt->realtime;
    /* A pipe or terminal on stdin is a live station; a redirected file is bulk. */
    return n == 1 && is_stdin(inputs[0]) && fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode);
}

/* The station's context (GS1, time zone): checked once, before any event. */
static int check_context(const yima_link_import_options *opt, yima_err *err)
{
    int tz;
    if (opt->tz && yima_link_parse_tz(opt->tz, &tz))
        return yima_err_set(err, YIMA_E_USAGE, "UTC offset '%.40s' is not Z or +HH:MM",
                            opt->tz);
    if (opt->gcp_len != 0 && (opt->gcp_len < 6 || opt->gcp_len > 12))
        return yima_err_set(err, YIMA_E_USAGE, "company prefix length %d is not 6 to 12",
                            opt->gcp_len);
    if (opt->read_point && !yima_epc_sgln_valid(opt->read_point))
        return yima_err_set(err, YIMA_E_USAGE, "read point '%.80s' is not an SGLN EPC URI "
                            "(urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension)",
                            opt->read_point);
    for (int i = 0; i < 2; i++) {
        const char *v = i ? opt->station : opt->user, *what = i ? "station" : "user";
        char byte[24];
        for (const char *c = v; c && *c; c++)
            if (lk_control_name((unsigned char)*c, byte)) {
                int rc = yima_err_set(err, YIMA_E_USAGE, "%s '%.60s' holds %s", what, v,
                                      lk_control_name((unsigned char)*c, byte));
                lk_escape_controls(err);
                return rc;
            }
        if (v && !*v)
            return yima_err_set(err, YIMA_E_USAGE, "%s is empty", what);
    }
    if (opt->location && !yima_epc_sgln_valid(opt->location))
        return yima_err_set(err, YIMA_E_USAGE, "business location '%.80s' is not an SGLN EPC "
                            "URI (urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension)",
                            opt->location);
    return YIMA_OK;
}

int lk_import_check_context(const yima_link_import_options *opt, yima_err *err)
{
    return check_context(opt, err);
}

static int setup(importer *im, yima_err *err)
{
    const yima_link_import_options *opt = im->opt;
    int rc = check_context(opt, err);
    if (rc)
        return rc;
    im->names = calloc((size_t)im->ninputs, sizeof *im->names);
    if (!im->names)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    for (int i = 0; i < im->ninputs; i++) {
        const char *name = opt->source ? opt->source
                           : is_stdin(im->inputs[i]) ? "stdin" : base_name(im->inputs[i]);
        if (!(im->names[i] = strdup(name)))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    if (im->realtime && (im->ninputs != 1 || !is_stdin(im->inputs[0])))
        return yima_err_set(err, YIMA_E_USAGE, "realtime import reads standard input only");
    im->fd = im->realtime ? STDIN_FILENO : -1;
    rc = lk_set_sync(im->s, opt->sync, err);
    if (!rc && im->realtime && !im->s->copier) { /* the next event waits for no copy */
        rc = yima_link_copy_aside(im->s, err);
        im->own_copier = 1;
    }
    if (!rc && !im->realtime)
        rc = lk_tune_bulk(im->s, err);
    if (!rc && !im->realtime) /* a killed import's stage: merged at our first commit */
        rc = lk_stage_count(im->s, &im->s->staged, err);
    if (!rc && !im->realtime) { /* shared until seen otherwise */
        lk_others_wrote(im->s);
        im->others_until = lk_now_ms() + OTHERS_MS;
        im->s->staging = 1;
    }
    if (!rc && opt->rejects)
        rc = lk_rejects_open(&im->rejects, opt->rejects, opt->force, err);
    return rc;
}

static void teardown(importer *im)
{
    yima_lines_close(im->lines);
    yima_buf_free(&im->carry);
    for (int i = 0; im->names && i < im->ninputs; i++)
        free(im->names[i]);
    free(im->names);
    free(im->codes);
    free(im->acks);
    drop_rejects(im);
    free(im->rejs);
    lk_rejects_close(im->rejects, NULL);
}

int yima_link_import(yima_link *s, const yima_link_import_options *opt,
                     const char *const *inputs, int ninputs, yima_link_summary *sum,
                     yima_err *err)
{
    static const char *const stdin_only[] = {"-"};
    yima_link_summary local;
    if (ninputs == 0) {
        inputs = stdin_only;
        ninputs = 1;
    }
    importer im = {.s = s, .opt = opt, .inputs = inputs, .ninputs = ninputs,
                   .sum = sum ? sum : &local, .next_line = 1};
    memset(im.sum, 0, sizeof *im.sum);
    if (s->mode != YIMA_LINK_WRITE)
        return yima_err_set(err, YIMA_E_USAGE, "store opened read-only");
    im.realtime = wants_realtime(opt, inputs, ninputs);
    int rc = setup(&im, err);
    rc = rc ? rc : lk_template_bind(s, opt->template_text, err);
    yima_pipeline_ops ops = {next_job, work_job, write_job, worker_init, worker_free};
    /* Realtime: one thread, since the reader blocks for input with the
     * engine's lock held, and a later line must not hold back this one. */
    /* Bulk: the writer waits for its threads with a batch open. */
    if (!rc && !im.realtime)
        rc = lk_watch_start(&im.watch, s, yield_store, &im, err);
    if (!rc)
        rc = yima_pipeline_run(&ops, &im, im.realtime ? 1 : opt->threads, err);
    lk_watch_stop(&im.watch);
    if (!im.others_seen)
        im.others_until = 0; /* alone throughout: the stage goes to the index */
    if (!rc)
        rc = commit(&im, err);
    s->staging = 0; /* a stage left beside others is merged by a later import */
    lk_filter_drop(s);
    if (im.own_copier)
        lk_copier_stop(s);
    if (rc) {
        lk_rollback(s); /* the open batch only: committed batches stay, and count */
        flush_rejects(&im, NULL); /* what it refused is reported all the same */
    }
    if (!rc) {
        rc = lk_rejects_close(im.rejects, err);
        im.rejects = NULL;
    }
    teardown(&im);
    return rc;
}

/* Applies ev as a hand event and commits: a refusal too is committed
 * (recorded), then reported as YIMA_E_DATA. */
static int apply_hand(yima_link *s, const yima_link_import_options *opt, const lk_event *ev,
                      const char *id, yima_err *err)
{
    yima_err why;
    int skipped, refused, tries = 0;
    int rc = lk_set_sync(s, opt->sync, err);
    do { /* again if another writer got in its way (many writers) */
        refused = 0;
        rc = rc ? rc : lk_begin(s, err);
        if (!rc && (rc = lk_apply(s, &opt->rules, ev, id, strlen(id), &skipped, &why))) {
            refused = rc == YIMA_E_DATA;
            rc = refused ? YIMA_OK : yima_err_set(err, rc, "%s", why.msg);
        }
        rc = rc ? rc : lk_commit(s, err);
    } while (rc && lk_retry_wait(s, &tries) && !(rc = YIMA_OK));
    if (rc)
        lk_rollback(s);
    else if (refused)
        rc = yima_err_set(err, YIMA_E_DATA, "rejected: %s", why.msg);
    return rc;
}

/* A hand event's id travels in TSV exports and rejects files. */
static int check_hand_id(const char *id, yima_err *err)
{
    char byte[24];
    for (const char *c = id; c && *c; c++) {
        const char *name = lk_control_name((unsigned char)*c, byte);
        if (name) {
            int rc = yima_err_set(err, YIMA_E_USAGE, "event id '%.60s' holds %s; an id may not "
                                  "hold a control character", id, name);
            lk_escape_controls(err);
            return rc;
        }
    }
    return YIMA_OK;
}

int yima_link_apply(yima_link *s, const yima_link_import_options *opt, const char *id,
                    const char *const *fields, int nfields, yima_err *err)
{
    lk_parser *p;
    lk_event ev;
    yima_err why;
    char fresh[40];
    unsigned char rnd[8];
    if (s->mode != YIMA_LINK_WRITE)
        return yima_err_set(err, YIMA_E_USAGE, "store opened read-only");
    int rc = check_context(opt, err);
    if (rc || (rc = check_hand_id(id, err)) ||
        (rc = lk_parser_create(&p, opt->ring, opt->template_text, err)))
        return rc;
    if ((rc = lk_template_bind(s, opt->template_text, err))) {
        lk_parser_free(p);
        return rc;
    }
    parser_context(p, opt);
    if ((rc = lk_parse_fields(p, fields, nfields, &ev, &why))) {
        lk_parser_free(p);
        return rc == YIMA_E_DATA ? yima_err_set(err, rc, "rejected: %s", why.msg)
                                 : yima_err_set(err, rc, "%s", why.msg);
    }
    if (!id) {
        /* A hand event has no input position to name it by. */
        randombytes_buf(rnd, sizeof rnd);
        snprintf(fresh, sizeof fresh, "hand-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        id = fresh;
    }
    rc = apply_hand(s, opt, &ev, id, err);
    lk_parser_free(p);
    return rc;
}
