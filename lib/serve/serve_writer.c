/* SPDX-License-Identifier: MIT */
/*
 * The writer of an SQLite store in yima serve. SQLite lets one writer in
 * at a time, and a handle's page cache is thrown away whenever another
 * handle has written, so sixteen workers writing through sixteen handles
 * each started cold. The workers therefore write through one shared handle
 * instead, whose cache stays warm, and take turns with it in the order
 * they asked (a ticket each): the kernel wakes every waiter of a lock and
 * lets any of them win, so one worker could lose many times over.
 *
 * Copying the write-ahead log back into the store (a checkpoint, with its
 * fsync) would hold the turn of whichever request's commit made it due:
 * the copier thread does it instead, on a handle of its own, beside the
 * writers, every COPY_MS. On PostgreSQL none of this applies: every worker
 * writes through its own handle.
 */
#include <errno.h>
#include <time.h>
#include <microhttpd.h>
#include "serve_internal.h"

/* How often the copier copies the log back: at 1,000 PACKs a second the
 * log then holds some 100 commits' pages. */
#define COPY_MS 100

yima_link *sv_writer_take(const sv_request *rq, sv_reply *out)
{
    yima_serve *srv = rq->srv;
    if (!srv->opt.import.ring) {
        sv_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "this server has no keys to verify codes "
                 "with, so it takes no events");
        return NULL;
    }
    if (!srv->writer)
        return sv_store(rq, out);
    pthread_mutex_lock(&srv->writer_lock);
    unsigned long ticket = srv->writer_next++;
    while (srv->writer_serving != ticket)
        pthread_cond_wait(&srv->writer_turn, &srv->writer_lock);
    pthread_mutex_unlock(&srv->writer_lock);
    return srv->writer;
}

void sv_writer_give(const sv_request *rq, yima_link *store)
{
    yima_serve *srv = rq->srv;
    if (!store || store != srv->writer)
        return;
    pthread_mutex_lock(&srv->writer_lock);
    srv->writer_serving++;
    pthread_cond_broadcast(&srv->writer_turn);
    pthread_mutex_unlock(&srv->writer_lock);
}

/* A failed copy is simply tried again at the next tick: the log only grows
 * meanwhile, and nothing committed is at risk. */
static void *copier(void *arg)
{
    yima_serve *srv = arg;
    yima_err err;
    pthread_mutex_lock(&srv->writer_lock);
    while (!srv->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += COPY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (pthread_cond_timedwait(&srv->copier_wake, &srv->writer_lock, &until) != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&srv->writer_lock);
        yima_link_wal_checkpoint(srv->copier, &err);
        pthread_mutex_lock(&srv->writer_lock);
    }
    pthread_mutex_unlock(&srv->writer_lock);
    return NULL;
}

int sv_writer_start(yima_serve *srv, yima_link *first, yima_err *err)
{
    pthread_mutex_init(&srv->writer_lock, NULL);
    pthread_cond_init(&srv->writer_turn, NULL);
    pthread_cond_init(&srv->copier_wake, NULL);
    if (!yima_link_one_writer(first)) {
        yima_link_close(first);
        return YIMA_OK;
    }
    srv->writer = first;
    int rc = yima_link_open(&srv->copier, srv->opt.store, YIMA_LINK_WRITE, err);
    if (rc)
        return rc;
    if (pthread_create(&srv->copier_thread, NULL, copier, srv)) {
        yima_link_close(srv->copier);
        srv->copier = NULL;
        return yima_err_set(err, YIMA_E_NOMEM, "cannot start a thread");
    }
    yima_link_defer_checkpoints(srv->writer);
    return YIMA_OK;
}

void sv_writer_stop(yima_serve *srv)
{
    if (srv->copier) {
        pthread_mutex_lock(&srv->writer_lock);
        srv->stopping = 1;
        pthread_cond_signal(&srv->copier_wake);
        pthread_mutex_unlock(&srv->writer_lock);
        pthread_join(srv->copier_thread, NULL);
        yima_link_close(srv->copier);
        srv->copier = NULL;
    }
    /* Closing the last handle copies the log back (SQLite does). */
    yima_link_close(srv->writer);
    srv->writer = NULL;
    pthread_cond_destroy(&srv->copier_wake);
    pthread_cond_destroy(&srv->writer_turn);
    pthread_mutex_destroy(&srv->writer_lock);
}
