/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the lib/serve sources. */
#ifndef YIMA_SERVE_INTERNAL_H
#define YIMA_SERVE_INTERNAL_H

#include <stdatomic.h>
#include <pthread.h>
#include "yima/serve.h"

/* Who may call a route: a mask of role bits; 0 needs no token. */
#define SV_ROLE(r) (1u << (r))
#define SV_READERS (SV_ROLE(YIMA_TOKEN_QUERY) | SV_ROLE(YIMA_TOKEN_ADMIN))
#define SV_WRITERS (SV_ROLE(YIMA_TOKEN_CAPTURE) | SV_ROLE(YIMA_TOKEN_ADMIN))

/* A worker thread's own store handle (SQLite handles are not shared). */
typedef struct sv_worker {
    yima_link *store;
    struct sv_worker *next;
} sv_worker;

struct yima_serve {
    yima_serve_options opt;
    struct MHD_Daemon *daemon;
    int port;
    pthread_key_t key;       /* the calling thread's sv_worker */
    int key_made;
    pthread_mutex_t lock;    /* guards workers and spare */
    sv_worker *workers;
    sv_worker *spare;        /* opened at the start, for threads yet to serve */
    atomic_int in_flight;    /* requests begun and not yet completed */
    /* The writer threads, each with its own store handle (serve_writer.c). */
    struct sv_writer *writers;
    int nwriters;
    pthread_mutex_t writer_lock; /* guards what follows */
    pthread_cond_t writer_wake, writer_idle;
    struct sv_job *jobs, **jobs_end; /* queued for the writer threads, in order */
    int writers_busy; /* jobs running */
    int closing;      /* no more jobs are taken */
    int stopping;     /* the threads are to end */
};

/* A request's work for a writer thread: run on it while the request's
 * connection is suspended, which is then resumed. */
struct MHD_Connection;
typedef struct sv_job {
    void (*run)(struct sv_job *job);
    yima_serve *srv;
    struct MHD_Connection *c;
    struct sv_job *next;
} sv_job;

/* What a route answers: status, a malloc'd body and its type. */
typedef struct sv_reply {
    int status;
    char *body;
    size_t len;
    const char *type;
} sv_reply;

/* A request as the routes see it. */
typedef struct sv_request {
    yima_serve *srv;
    const char *rest;            /* the path after the route's prefix */
    const char *body;            /* the request body (not NUL-terminated) */
    size_t body_len;
    const yima_link_token *who;  /* the accepted token; NULL on a route without one */
    char *location;              /* SV_LOCATION_MAX bytes: a route may put a Location
                                  * header's value here (empty: none) */
} sv_request;

#define SV_LOCATION_MAX 96

/* A route: method, path (prefix when it ends in '/'), roles, handler. */
typedef struct sv_route {
    const char *method, *path;
    unsigned roles;
    void (*fn)(const sv_request *rq, sv_reply *out);
    int writes; /* applies events: runs on a writer thread (serve_writer.c) */
} sv_route;

/* The routes (serve_routes.c), ending with a NULL method. */
extern const sv_route sv_routes[];

/* EPCIS capture (serve_capture.c): POST /capture, GET /capture/ID. */
void sv_capture_post(const sv_request *rq, sv_reply *out);
void sv_capture_get(const sv_request *rq, sv_reply *out);

/* GET /events (serve_query.c): an EPCIS 2.0 query document. */
void sv_events_query(const sv_request *rq, sv_reply *out);

/* The query arguments of the request the calling thread answers (a route
 * runs on its request's thread), decoded: fn once for each, in order. */
typedef void (*sv_arg_fn)(void *ctx, const char *key, const char *value);
void sv_query_args(sv_arg_fn fn, void *ctx);
/* One more header for that request's answer (name and value are copied);
 * YIMA_OK or YIMA_E_NOMEM. */
int sv_reply_header(const char *name, const char *value);

/* The calling worker's store handle, opened on its first request. */
yima_link *sv_store_open(yima_serve *srv, yima_err *err);
/* The same for a route: NULL with out set to a 503 if it cannot be opened. */
yima_link *sv_store(const sv_request *rq, sv_reply *out);
/* The handle for a route that applies events: the calling writer thread's;
 * NULL with out set to a 503 if the server has no keys to verify codes with. */
yima_link *sv_events_store(const sv_request *rq, sv_reply *out);
/* Starts the writer threads, first (the store's handle opened at the
 * start) the first one's. sv_writer_stop undoes it, and is safe after a
 * start that failed. */
int sv_writer_start(yima_serve *srv, yima_link *first, yima_err *err);
/* Suspends job->c and queues job for the writer threads: 0, or -1 if they
 * take no more (the server is stopping). */
int sv_writer_queue(yima_serve *srv, sv_job *job);
/* Takes no more jobs and waits until every queued one has run. */
void sv_writer_drain(yima_serve *srv);
void sv_writer_stop(yima_serve *srv);

/* out = {"error": msg} with status. */
void sv_error(sv_reply *out, int status, const char *msg);
/* out = the JSON text of the object (which it takes) with status. */
void sv_json(sv_reply *out, int status, void *json_object);

#endif
