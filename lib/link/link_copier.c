/* SPDX-License-Identifier: MIT */
/*
 * Copying an SQLite store's write-ahead log back into the store (a
 * checkpoint, with its fsync) on a thread of its own, on a handle of its
 * own. A handle that copies itself does it after the commit that made a
 * copy due, so its next commit waits for the copy: a line station sending
 * PACK after PACK saw a p99 of 24 ms against a p50 of 0.6. With a copier
 * the commit only wakes it; the copy runs beside the handle's next
 * transactions, as a passive checkpoint does beside any writer.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "link_internal.h"

struct lk_copier {
    yima_link *store; /* the copier's own handle */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int due, stopping;
    int held; /* lk_copier_hold */
};

/* A failed copy is simply tried again when the next one is due: the log
 * only grows meanwhile, and nothing committed is at risk. */
static void *copier_main(void *arg)
{
    lk_copier *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while ((!c->due || c->held) && !c->stopping)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping)
            break;
        c->due = 0;
        pthread_mutex_unlock(&c->lock);
        yima_link_wal_checkpoint(c->store, NULL);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Sets one of c's flags and wakes its thread. */
static void poke(lk_copier *c, int *flag, int value)
{
    pthread_mutex_lock(&c->lock);
    *flag = value;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static void free_copier(lk_copier *c)
{
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    yima_link_close(c->store);
    free(c);
}

int yima_link_copy_aside(yima_link *s, yima_err *err)
{
    /* PostgreSQL needs none, nor a store in memory (no log); or aside already. */
    if (!s->be->checkpoint_due || !strcmp(s->path, ":memory:") || s->copier)
        return YIMA_OK;
    lk_copier *c = calloc(1, sizeof *c);
    if (!c)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = yima_link_open(&c->store, s->path, YIMA_LINK_WRITE, err);
    if (rc) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, copier_main, c) != 0) {
        free_copier(c);
        return yima_err_set(err, YIMA_E_NOMEM, "cannot start a thread");
    }
    s->copier = c;
    return YIMA_OK;
}

void lk_copier_kick(lk_copier *c)
{
    poke(c, &c->due, 1);
}

void lk_copier_hold(lk_copier *c, int hold)
{
    poke(c, &c->held, hold);
}

void lk_copier_stop(yima_link *s)
{
    lk_copier *c = s->copier;
    if (!c)
        return;
    poke(c, &c->stopping, 1);
    pthread_join(c->thread, NULL);
    free_copier(c);
    s->copier = NULL;
}
