/* SPDX-License-Identifier: MIT */
/* A bulk import's watch on the writers' gate while its writer is idle. */
#include <time.h>
#include "link_watch.h"

/* How often the watch looks at the gate: a waiting writer's extra wait. */
#define WATCH_US 1000

static void *watch_main(void *arg)
{
    lk_watch *w = arg;
    const struct timespec tick = {0, WATCH_US * 1000L};
    while (!w->stop) {
        nanosleep(&tick, NULL);
        /* trylock: while the writer applies events it sees waiters itself. */
        if (!lk_gate_wanted(w->s) || pthread_mutex_trylock(&w->mu) != 0)
            continue;
        if (!w->rc)
            w->rc = w->yield(w->ctx, &w->err);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

int lk_watch_start(lk_watch *w, yima_link *s, lk_yield_fn yield, void *ctx, yima_err *err)
{
    *w = (lk_watch){.s = s, .yield = yield, .ctx = ctx};
    pthread_mutex_init(&w->mu, NULL);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        return yima_err_set(err, YIMA_E_NOMEM, "cannot start a thread");
    }
    w->started = 1;
    return YIMA_OK;
}

int lk_watch_take(lk_watch *w, yima_err *err)
{
    if (!w->started)
        return YIMA_OK;
    pthread_mutex_lock(&w->mu);
    if (w->rc && err)
        *err = w->err;
    return w->rc;
}

void lk_watch_give(lk_watch *w)
{
    if (w->started)
        pthread_mutex_unlock(&w->mu);
}

void lk_watch_stop(lk_watch *w)
{
    if (!w->started)
        return;
    w->stop = 1;
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    w->started = 0;
}
