/* SPDX-License-Identifier: MIT */
/*
 * A bulk import's watch on the writers' gate while its writer is idle.
 *
 * The writer commits at once when it sees, between two events, that
 * another writer waits. But a bulk import of signed codes spends most of
 * its time waiting for its threads to verify the next block, its batch
 * open; the watch notices a waiting writer then, and commits the batch on
 * the writer's behalf, so the store is never held through that wait.
 */
#ifndef YIMA_LINK_WATCH_H
#define YIMA_LINK_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include "link_internal.h"

/* Commits what the writer holds and lets the waiting writers through;
 * called with the watch's lock held, in place of the writer. */
typedef int (*lk_yield_fn)(void *ctx, yima_err *err);

typedef struct lk_watch {
    yima_link *s;
    lk_yield_fn yield;
    void *ctx;
    pthread_mutex_t mu;  /* held by the writer while it uses the store */
    pthread_t thread;
    int started;
    atomic_int stop;
    int rc;              /* the first error of a yield, for the writer */
    yima_err err;
} lk_watch;

/* Starts the watch: YIMA_OK, or an error if no thread can be had. */
int lk_watch_start(lk_watch *w, yima_link *s, lk_yield_fn yield, void *ctx, yima_err *err);
/* The writer takes the store from the watch, and gets back any error a
 * yield met meanwhile (then err is set). */
int lk_watch_take(lk_watch *w, yima_err *err);
void lk_watch_give(lk_watch *w);
/* Stops the watch; safe on one never started. */
void lk_watch_stop(lk_watch *w);

#endif
