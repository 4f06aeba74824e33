/* SPDX-License-Identifier: MIT */
/*
 * The writer threads of yima serve. A request that applies events runs on
 * one of them, in the order the requests came, while its connection is
 * suspended: the worker thread that read it goes on serving its other
 * connections. A worker that applied the events itself held up every
 * request on its connections for as long as it waited for the store (on
 * SQLite, for every writer ahead of it).
 *
 * On PostgreSQL there are as many writer threads as cores (writer_count),
 * each with its own handle. SQLite lets one writer in at a time, and a handle's page cache is
 * thrown away whenever another handle has written: there is one writer
 * thread, whose handle's cache stays warm. Copying SQLite's write-ahead log
 * back into the store (a checkpoint, with its fsync) would delay the
 * request after the one whose commit made it due: it is copied aside
 * (yima_link_copy_aside), beside the writer.
 */
#include <stdlib.h>
#include <microhttpd.h>
#include "serve_internal.h"

typedef struct sv_writer {
    yima_serve *srv;
    yima_link *store;
    pthread_t thread;
    int started;
} sv_writer;

/* The calling writer thread's handle (every writing route runs on one). */
static _Thread_local yima_link *writing;

yima_link *sv_events_store(const sv_request *rq, sv_reply *out)
{
    if (!rq->srv->opt.import.ring) {
        sv_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "this server has no keys to verify codes "
                 "with, so it takes no events");
        return NULL;
    }
    return writing;
}

int sv_writer_queue(yima_serve *srv, sv_job *job)
{
    pthread_mutex_lock(&srv->writer_lock);
    int taken = !srv->closing;
    if (taken) {
        /* Suspended before it is queued, so never resumed before. */
        MHD_suspend_connection(job->c);
        job->next = NULL;
        *srv->jobs_end = job;
        srv->jobs_end = &job->next;
        pthread_cond_signal(&srv->writer_wake);
    }
    pthread_mutex_unlock(&srv->writer_lock);
    return taken ? 0 : -1;
}

static void *writer(void *arg)
{
    sv_writer *w = arg;
    yima_serve *srv = w->srv;
    writing = w->store;
    pthread_mutex_lock(&srv->writer_lock);
    for (;;) {
        while (!srv->jobs && !srv->stopping)
            pthread_cond_wait(&srv->writer_wake, &srv->writer_lock);
        if (!srv->jobs)
            break;
        sv_job *job = srv->jobs;
        if (!(srv->jobs = job->next))
            srv->jobs_end = &srv->jobs;
        srv->writers_busy++;
        pthread_mutex_unlock(&srv->writer_lock);
        struct MHD_Connection *c = job->c;
        job->run(job); /* job belongs to its connection: not used after */
        MHD_resume_connection(c);
        pthread_mutex_lock(&srv->writer_lock);
        srv->writers_busy--;
        pthread_cond_broadcast(&srv->writer_idle);
    }
    pthread_mutex_unlock(&srv->writer_lock);
    return NULL;
}

void sv_writer_drain(yima_serve *srv)
{
    pthread_mutex_lock(&srv->writer_lock);
    srv->closing = 1;
    while (srv->jobs || srv->writers_busy)
        pthread_cond_wait(&srv->writer_idle, &srv->writer_lock);
    pthread_mutex_unlock(&srv->writer_lock);
}

/* The writers' handles (first the first's); the first copies aside (on
 * SQLite: PostgreSQL needs no copier). */
static int open_handles(yima_serve *srv, yima_link *first, yima_err *err)
{
    int rc = YIMA_OK;
    srv->writers[0].store = first;
    for (int i = 1; !rc && i < srv->nwriters; i++)
        rc = yima_link_open(&srv->writers[i].store, srv->opt.store, YIMA_LINK_WRITE, err);
    return rc ? rc : yima_link_copy_aside(first, err);
}

/* PostgreSQL's writer threads: one per core, as far as there are workers.
 * The writers of a store take turns at its chain head as they commit, so
 * more of them only wait longer there (sixteen writers on 2 cores: 250 PACKs
 * of 24 a second, p99 240 ms; two: 360 a second, p99 70-90 ms). */
static int writer_count(int threads)
{
    int cores = yima_cpu_count();
    return threads < 1 ? 1 : threads < cores ? threads : cores;
}

int sv_writer_start(yima_serve *srv, yima_link *first, yima_err *err)
{
    pthread_mutex_init(&srv->writer_lock, NULL);
    pthread_cond_init(&srv->writer_wake, NULL);
    pthread_cond_init(&srv->writer_idle, NULL);
    srv->jobs_end = &srv->jobs;
    int n = yima_link_one_writer(first) ? 1 : writer_count(srv->opt.threads);
    if (!(srv->writers = calloc((size_t)n, sizeof *srv->writers))) {
        yima_link_close(first);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    srv->nwriters = n;
    int rc = open_handles(srv, first, err);
    if (rc)
        return rc;
    int ok = 1;
    for (int i = 0; ok && i < n; i++) {
        sv_writer *w = &srv->writers[i];
        w->srv = srv;
        ok = w->started = !pthread_create(&w->thread, NULL, writer, w);
    }
    return ok ? YIMA_OK : yima_err_set(err, YIMA_E_NOMEM, "cannot start a thread");
}

void sv_writer_stop(yima_serve *srv)
{
    sv_writer_drain(srv);
    pthread_mutex_lock(&srv->writer_lock);
    srv->stopping = 1;
    pthread_cond_broadcast(&srv->writer_wake);
    pthread_mutex_unlock(&srv->writer_lock);
    for (int i = 0; i < srv->nwriters; i++) {
        if (srv->writers[i].started)
            pthread_join(srv->writers[i].thread, NULL);
        yima_link_close(srv->writers[i].store);
    }
    free(srv->writers);
    srv->writers = NULL;
    srv->nwriters = 0;
    pthread_cond_destroy(&srv->writer_idle);
    pthread_cond_destroy(&srv->writer_wake);
    pthread_mutex_destroy(&srv->writer_lock);
}
