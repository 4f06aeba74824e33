/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pipeline.h"

int yima_buf_reserve(yima_buf *buf, size_t extra)
{
    if (buf->cap - buf->len >= extra)
        return YIMA_OK;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap - buf->len < extra)
        cap *= 2;
    unsigned char *p = realloc(buf->data, cap);
    if (!p)
        return YIMA_E_NOMEM;
    buf->data = p;
    buf->cap = cap;
    return YIMA_OK;
}

int yima_buf_append(yima_buf *buf, const void *data, size_t len)
{
    if (len == 0)
        return YIMA_OK; /* data may be NULL then, which memcpy does not allow */
    if (yima_buf_reserve(buf, len))
        return YIMA_E_NOMEM;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return YIMA_OK;
}

void yima_buf_free(yima_buf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}

int yima_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

typedef struct slot {
    yima_job job;
    int ready;
} slot;

typedef struct run {
    const yima_pipeline_ops *ops;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *ring;
    uint64_t nslots, next_read, next_write;
    int eof, writing, failed;
    yima_err err;
} run;

static void run_fail(run *r, int rc, const yima_err *e)
{
    if (!r->failed) {
        r->failed = rc;
        r->err = *e;
        r->err.code = rc;
    }
    pthread_cond_broadcast(&r->cv);
}

static void job_reset(yima_job *job, uint64_t seq)
{
    job->seq = seq;
    job->start = job->count = 0;
    job->in.len = job->out.len = job->aux.len = 0;
    memset(job->stat, 0, sizeof job->stat);
}

/* Flushes every consecutive finished job; called with the lock held. */
static void drain_in_order(run *r)
{
    yima_err e = {0};
    r->writing = 1;
    while (!r->failed && r->next_write < r->next_read) {
        slot *s = &r->ring[r->next_write % r->nslots];
        if (!s->ready)
            break;
        pthread_mutex_unlock(&r->mu);
        int rc = r->ops->write(r->ctx, &s->job, &e);
        pthread_mutex_lock(&r->mu);
        if (rc) {
            run_fail(r, rc, &e);
            break;
        }
        s->ready = 0;
        r->next_write++;
        pthread_cond_broadcast(&r->cv);
    }
    r->writing = 0;
}

/* Takes the next job under the lock: 1 got one, 0 stop. */
static int claim_job(run *r, slot **out)
{
    yima_err e = {0};
    while (!r->failed && !r->eof && r->next_read - r->next_write >= r->nslots)
        pthread_cond_wait(&r->cv, &r->mu);
    if (r->failed || r->eof)
        return 0;
    slot *s = &r->ring[r->next_read % r->nslots];
    job_reset(&s->job, r->next_read);
    int rc = r->ops->read(r->ctx, &s->job, &e);
    if (rc) {
        run_fail(r, rc, &e);
        return 0;
    }
    if (s->job.count == 0) {
        r->eof = 1;
        pthread_cond_broadcast(&r->cv);
        return 0;
    }
    r->next_read++;
    *out = s;
    return 1;
}

static void *worker_main(void *arg)
{
    run *r = arg;
    void *state = r->ops->worker_init ? r->ops->worker_init(r->ctx) : NULL;
    yima_err e = {0};
    slot *s;
    pthread_mutex_lock(&r->mu);
    while (claim_job(r, &s)) {
        pthread_mutex_unlock(&r->mu);
        int rc = r->ops->work(r->ctx, state, &s->job, &e);
        pthread_mutex_lock(&r->mu);
        if (rc) {
            run_fail(r, rc, &e);
            break;
        }
        s->ready = 1;
        if (!r->writing)
            drain_in_order(r);
    }
    pthread_mutex_unlock(&r->mu);
    if (r->ops->worker_free)
        r->ops->worker_free(r->ctx, state);
    return NULL;
}

int yima_pipeline_run(const yima_pipeline_ops *ops, void *ctx, int threads, yima_err *err)
{
    run r = {.ops = ops, .ctx = ctx};
    if (threads < 1)
        threads = 1;
    r.nslots = 2 * (uint64_t)threads;
    r.ring = calloc(r.nslots, sizeof *r.ring);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!r.ring || !tids) {
        free(r.ring);
        free(tids);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for %d threads", threads);
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, worker_main, &r) != 0)
            break;
    if (started == 0)
        worker_main(&r); /* no threads to be had: run inline rather than fail */
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (uint64_t i = 0; i < r.nslots; i++) {
        yima_buf_free(&r.ring[i].job.in);
        yima_buf_free(&r.ring[i].job.out);
        yima_buf_free(&r.ring[i].job.aux);
    }
    free(r.ring);
    free(tids);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    if (r.failed && err)
        *err = r.err;
    return r.failed;
}
