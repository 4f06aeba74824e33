/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server of yima serve on libmicrohttpd: listening, the thread
 * pool, one store handle per worker thread, bearer tokens, body limits,
 * the access report, and a drain on stop. The routes are in
 * serve_routes.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include "serve_internal.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_BODY (1u << 20)
/* The largest TLS certificate or key file read. */
#define TLS_FILE_MAX (1u << 20)
/* A client that sends nothing for this long is dropped. */
#define IDLE_SECONDS 60

/* One connection's request, from its headers to its completion. */
typedef struct conn {
    int64_t start_ms;        /* wall clock, for the log */
    struct timespec t0;      /* monotonic, for its duration */
    char peer[64];
    char method[16];         /* a copy, for the log at completion */
    char *path;              /* a copy: MHD's url may not outlive the handler */
    const sv_route *route;
    int status;              /* decided before the body: a refusal; 0 none */
    char refusal[160];
    yima_link_token who;
    int authed;
    yima_buf body;
    uint64_t bytes;          /* response body sent */
    int sent_status;
    struct MHD_Connection *c; /* while its route runs */
    char *header_name, *header_value; /* sv_reply_header's, or NULL */
    char location[SV_LOCATION_MAX]; /* a Location header the route set, or empty */
    sv_job job;              /* a writing route's run on the writer thread */
    sv_reply reply;          /* that run's answer, once replied is set */
    int replied;
} conn;

void yima_serve_options_init(yima_serve_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->listen = DEFAULT_LISTEN;
    opt->threads = 1;
    opt->max_body = DEFAULT_MAX_BODY;
    yima_link_import_options_init(&opt->import);
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) ||
           (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* "HOST:PORT" or "[V6]:PORT" into *ss. */
static int parse_listen(const char *listen, int allow_remote, int tls, struct sockaddr_storage *ss,
                        socklen_t *len, yima_err *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':'), *h = listen;
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (hl && listen[0] == '[' && listen[hl - 1] == ']')
        h++, hl -= 2;
    if (!colon || hl == 0 || hl >= sizeof host || !colon[1] ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535)
        return yima_err_set(err, YIMA_E_USAGE, "listen address '%.80s' is not HOST:PORT",
                            listen);
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    int gai = getaddrinfo(host, colon + 1, &hints, &res);
    if (gai)
        return yima_err_set(err, YIMA_E_USAGE, "listen address '%.80s': %s", listen,
                            gai_strerror(gai));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    if (!allow_remote && !tls && !is_loopback((struct sockaddr *)ss))
        return yima_err_set(err, YIMA_E_USAGE, "listen address '%.80s' is not a loopback "
                            "address, and the server speaks plain HTTP (no TLS)", listen);
    return YIMA_OK;
}

/* A worker's handle, opened: it only reads, the writer threads write
 * (serve_writer.c). */
static int open_worker(yima_serve *srv, sv_worker **out, yima_err *err)
{
    sv_worker *w = *out = calloc(1, sizeof *w);
    if (!w)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = yima_link_open(&w->store, srv->opt.store, YIMA_LINK_READ, err);
    if (rc) {
        free(w);
        *out = NULL;
    }
    return rc;
}

/* libmicrohttpd's worker threads (opt.threads, at least one). */
static int pool_size(const yima_serve *srv)
{
    return srv->opt.threads > 1 ? srv->opt.threads : 1;
}

/* A handle for each worker thread, opened before the first request: on
 * PostgreSQL an open is a connection and some 90 round trips, and the
 * first request of each thread waited for them (200-300 ms at 16 threads
 * starting at once). */
static int open_spares(yima_serve *srv, yima_err *err)
{
    int rc = YIMA_OK;
    for (int i = 0; !rc && i < pool_size(srv); i++) {
        sv_worker *w;
        if (!(rc = open_worker(srv, &w, err))) {
            w->next = srv->spare;
            srv->spare = w;
        }
    }
    return rc;
}

static void close_workers(sv_worker *w)
{
    while (w) {
        sv_worker *next = w->next;
        yima_link_close(w->store);
        free(w);
        w = next;
    }
}

yima_link *sv_store_open(yima_serve *srv, yima_err *err)
{
    sv_worker *w = pthread_getspecific(srv->key);
    if (w)
        return w->store;
    pthread_mutex_lock(&srv->lock);
    if ((w = srv->spare))
        srv->spare = w->next;
    pthread_mutex_unlock(&srv->lock);
    if (!w && open_worker(srv, &w, err))
        return NULL;
    pthread_mutex_lock(&srv->lock);
    w->next = srv->workers;
    srv->workers = w;
    pthread_mutex_unlock(&srv->lock);
    pthread_setspecific(srv->key, w);
    return w->store;
}

yima_link *sv_store(const sv_request *rq, sv_reply *out)
{
    yima_err err;
    yima_link *store = sv_store_open(rq->srv, &err);
    if (!store)
        sv_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "the store cannot be opened");
    return store;
}

void sv_json(sv_reply *out, int status, void *json_object)
{
    json_t *o = json_object;
    out->status = status;
    out->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    out->len = out->body ? strlen(out->body) : 0;
    out->type = "application/json";
    json_decref(o);
    if (!out->body) {
        out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        out->len = 0;
    }
}

void sv_error(sv_reply *out, int status, const char *msg)
{
    sv_json(out, status, json_pack("{s:s}", "error", msg));
}

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void peer_name(struct MHD_Connection *c, char out[64])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
        port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
        port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    }
    snprintf(out, 64, sa && sa->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

/* The request this worker thread's route is answering, for the helpers
 * below: a route runs inside on_request, on the request's thread. */
static _Thread_local conn *serving;

typedef struct arg_walk {
    sv_arg_fn fn;
    void *ctx;
} arg_walk;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    arg_walk *w = cls;
    (void)kind;
    w->fn(w->ctx, key, value ? value : "");
    return MHD_YES;
}

void sv_query_args(sv_arg_fn fn, void *ctx)
{
    arg_walk w = {fn, ctx};
    if (serving)
        MHD_get_connection_values(serving->c, MHD_GET_ARGUMENT_KIND, each_arg, &w);
}

int sv_reply_header(const char *name, const char *value)
{
    if (!serving)
        return YIMA_E_USAGE;
    free(serving->header_name);
    free(serving->header_value);
    serving->header_name = strdup(name);
    serving->header_value = strdup(value);
    return serving->header_name && serving->header_value ? YIMA_OK : YIMA_E_NOMEM;
}

static const sv_route *find_route(const char *method, const char *path, int *known_path)
{
    *known_path = 0;
    for (const sv_route *r = sv_routes; r->method; r++) {
        size_t n = strlen(r->path);
        int match = r->path[n - 1] == '/' ? !strncmp(path, r->path, n) : !strcmp(path, r->path);
        *known_path |= match;
        if (match && !strcmp(method, r->method))
            return r;
    }
    return NULL;
}

static void refuse(conn *cn, int status, const char *msg)
{
    cn->status = status;
    snprintf(cn->refusal, sizeof cn->refusal, "%s", msg);
}

/* The bearer token of the request, checked against the store and the
 * route's roles: a refusal (401, 403, 503) in cn, or cn->authed. */
static void authenticate(yima_serve *srv, struct MHD_Connection *c, conn *cn)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    yima_err err;
    if (!auth || strncasecmp(auth, "Bearer ", 7)) {
        refuse(cn, MHD_HTTP_UNAUTHORIZED, "this needs an Authorization: Bearer token");
        return;
    }
    yima_link *store = sv_store_open(srv, &err);
    if (!store) {
        refuse(cn, MHD_HTTP_SERVICE_UNAVAILABLE, "the store cannot be opened");
        return;
    }
    int rc = yima_link_token_check(store, auth + 7, strlen(auth + 7), &cn->who, &err);
    if (rc == YIMA_E_DATA)
        refuse(cn, MHD_HTTP_UNAUTHORIZED, "the token is unknown or revoked");
    else if (rc)
        refuse(cn, MHD_HTTP_SERVICE_UNAVAILABLE, "the store cannot check tokens");
    else if (!(cn->route->roles & SV_ROLE(cn->who.role)))
        refuse(cn, MHD_HTTP_FORBIDDEN, "this token's role may not do this");
    cn->authed = rc == YIMA_OK;
}

/* The first call for a request: route, token, declared body size. */
static conn *begin(yima_serve *srv, struct MHD_Connection *c, const char *url,
                   const char *method)
{
    conn *cn = calloc(1, sizeof *cn);
    if (!cn || !(cn->path = strdup(url))) {
        free(cn);
        return NULL;
    }
    atomic_fetch_add(&srv->in_flight, 1);
    cn->start_ms = wall_ms();
    clock_gettime(CLOCK_MONOTONIC, &cn->t0);
    snprintf(cn->method, sizeof cn->method, "%s", method);
    peer_name(c, cn->peer);
    int known_path;
    cn->route = find_route(method, url, &known_path);
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cn->route)
        refuse(cn, known_path ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
               known_path ? "method not allowed here" : "no such endpoint");
    else if (cn->route->roles)
        authenticate(srv, c, cn);
    /* Refused before a byte of it is read. */
    if (!cn->status && length && strtoull(length, NULL, 10) > srv->opt.max_body)
        refuse(cn, MHD_HTTP_CONTENT_TOO_LARGE, "the request body is over the server's limit");
    return cn;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, conn *cn, sv_reply *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    if (r->type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    if (cn->location[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, cn->location);
    if (cn->header_name)
        MHD_add_response_header(resp, cn->header_name, cn->header_value);
    if (r->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    cn->bytes = r->len;
    cn->sent_status = r->status;
    return ok;
}

/* Takes a piece of the body; over the limit, the rest is dropped and the
 * request refused (a body sent without a Content-Length). */
static void take_body(yima_serve *srv, conn *cn, const char *data, size_t n)
{
    if (cn->status)
        return;
    if (cn->body.len + n > srv->opt.max_body) {
        refuse(cn, MHD_HTTP_CONTENT_TOO_LARGE, "the request body is over the server's limit");
        yima_buf_free(&cn->body);
    } else if (yima_buf_append(&cn->body, data, n)) {
        refuse(cn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
}

/* The request's route, on this thread. */
static void run_route(yima_serve *srv, conn *cn, sv_reply *r)
{
    sv_request rq = {srv, cn->path + strlen(cn->route->path), (const char *)cn->body.data,
                     cn->body.len, cn->authed ? &cn->who : NULL, cn->location};
    serving = cn;
    cn->route->fn(&rq, r);
    serving = NULL;
}

/* A writer thread's run of a writing route (serve_writer.c). */
static void run_job(sv_job *job)
{
    conn *cn = (conn *)((char *)job - offsetof(conn, job));
    run_route(job->srv, cn, &cn->reply);
    cn->replied = 1;
}

/* A writing route: queued for the writer threads with its connection
 * suspended, and answered once resumed. */
static enum MHD_Result queue_or_answer(yima_serve *srv, struct MHD_Connection *c, conn *cn)
{
    sv_reply r = {0};
    if (cn->replied)
        return send_reply(c, cn, &cn->reply);
    cn->job = (sv_job){run_job, srv, c, NULL};
    if (!sv_writer_queue(srv, &cn->job))
        return MHD_YES;
    sv_error(&r, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is stopping");
    return send_reply(c, cn, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    yima_serve *srv = cls;
    conn *cn = *state;
    sv_reply r = {0};
    (void)version;
    if (!cn) {
        if (!(*state = cn = begin(srv, c, url, method)))
            return MHD_NO;
        if (!cn->status)
            return MHD_YES; /* the body, if any, comes in the next calls */
        sv_error(&r, cn->status, cn->refusal);
        return send_reply(c, cn, &r);
    }
    if (*upload_size) {
        take_body(srv, cn, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->sent_status)
        return MHD_YES; /* refused on the first call; MHD drops the rest */
    cn->c = c;
    if (cn->status)
        sv_error(&r, cn->status, cn->refusal);
    else if (cn->route->writes)
        return queue_or_answer(srv, c, cn);
    else
        run_route(srv, cn, &r);
    return send_reply(c, cn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode how)
{
    yima_serve *srv = cls;
    conn *cn = *state;
    struct timespec t1;
    (void)c;
    if (!cn)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    yima_serve_access a = {
        cn->start_ms, cn->peer, cn->method, cn->path,
        how == MHD_REQUEST_TERMINATED_COMPLETED_OK ? cn->sent_status : 0, cn->bytes,
        (double)(t1.tv_sec - cn->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - cn->t0.tv_nsec) / 1e6,
        cn->authed ? cn->who.name : NULL};
    if (srv->opt.on_access)
        srv->opt.on_access(srv->opt.access_ctx, &a);
    yima_buf_free(&cn->body);
    free(cn->path);
    free(cn->header_name);
    free(cn->header_value);
    free(cn);
    *state = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* The port actually bound (port 0 picks one). */
static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!di || getsockname(di->listen_fd, (struct sockaddr *)&ss, &len))
        return 0;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

/* A TLS file, whole, NUL-terminated, into sodium_malloc'd memory (a key
 * is wiped when freed). A key must be its owner's alone, as ssh wants. */
static int read_tls_file(const char *path, int is_key, char **out, yima_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return yima_err_set(err, YIMA_E_IO, "%s: cannot read the TLS %s: %s", path,
                            is_key ? "key" : "certificate", strerror(e));
    }
    if (is_key && (st.st_mode & 077)) {
        close(fd);
        return yima_err_set(err, YIMA_E_USAGE, "TLS key %s is readable by group or others "
                            "(mode %04o): make it its owner's alone (chmod 600)", path,
                            (unsigned)(st.st_mode & 07777));
    }
    if (st.st_size > TLS_FILE_MAX || !(*out = sodium_malloc((size_t)st.st_size + 1))) {
        close(fd);
        return yima_err_set(err, YIMA_E_USAGE, "TLS %s %s is too large", is_key ? "key" :
                            "certificate", path);
    }
    size_t done = 0;
    ssize_t n = 1;
    while (done < (size_t)st.st_size && (n = read(fd, *out + done, (size_t)st.st_size - done)))
        if (n > 0)
            done += (size_t)n;
        else if (errno != EINTR)
            break;
    close(fd);
    (*out)[done] = '\0';
    if (n < 0)
        return yima_err_set(err, YIMA_E_IO, "%s: %s", path, strerror(errno));
    return YIMA_OK;
}

static void free_tls(char *pem)
{
    if (pem)
        sodium_memzero(pem, strlen(pem));
    sodium_free(pem);
}

static int start_daemon(yima_serve *srv, const struct sockaddr_storage *ss, const char *cert,
                        const char *key, yima_err *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (key)
        flags |= MHD_USE_TLS;
    /* The TLS options last: without TLS they end the list early. */
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)pool_size(srv),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_SECONDS, key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key,
        MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
    if (!srv->daemon && key)
        return yima_err_set(err, YIMA_E_USAGE, "TLS: cannot serve with certificate %s and "
                            "key %s (not PEM, not a pair, or the address is taken)",
                            srv->opt.tls_cert, srv->opt.tls_key);
    if (!srv->daemon)
        return yima_err_set(err, YIMA_E_IO, "cannot listen on %s: %s", srv->opt.listen,
                            errno ? strerror(errno) : "the HTTP server did not start");
    srv->port = bound_port(srv->daemon);
    return YIMA_OK;
}

/* The TLS files, checked before anything else starts. */
static int load_tls(const yima_serve_options *opt, char **cert, char **key, yima_err *err)
{
    *cert = *key = NULL;
    if (!opt->tls_cert != !opt->tls_key)
        return yima_err_set(err, YIMA_E_USAGE, "TLS needs both a certificate and its key");
    if (!opt->tls_key)
        return YIMA_OK;
    if (sodium_init() < 0)
        return yima_err_set(err, YIMA_E_NOMEM, "TLS: libsodium cannot start");
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
        return yima_err_set(err, YIMA_E_USAGE, "TLS: this libmicrohttpd was built without "
                            "it; put a TLS reverse proxy in front");
    int rc = read_tls_file(opt->tls_key, 1, key, err);
    return rc ? rc : read_tls_file(opt->tls_cert, 0, cert, err);
}

int yima_serve_start(yima_serve **out, const yima_serve_options *opt, yima_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    yima_link *first;
    char *cert, *key;
    int rc = load_tls(opt, &cert, &key, err);
    if (!rc)
        rc = parse_listen(opt->listen ? opt->listen : DEFAULT_LISTEN, opt->allow_remote,
                          key != NULL, &ss, &len, err);
    /* Opened (and created or upgraded) once here, so a bad store stops the
     * start rather than every request. */
    if (rc || (rc = yima_link_open(&first, opt->store, YIMA_LINK_WRITE, err))) {
        free_tls(cert);
        free_tls(key);
        return rc;
    }
    yima_serve *srv = calloc(1, sizeof *srv);
    if (!srv) {
        yima_link_close(first);
        free_tls(cert);
        free_tls(key);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    srv->opt = *opt;
    if (!srv->opt.listen)
        srv->opt.listen = DEFAULT_LISTEN;
    atomic_init(&srv->in_flight, 0);
    pthread_mutex_init(&srv->lock, NULL);
    if ((rc = sv_writer_start(srv, first, err))) {
        yima_serve_stop(srv, 0);
        free_tls(cert);
        free_tls(key);
        return rc;
    }
    if (pthread_key_create(&srv->key, NULL)) {
        yima_serve_stop(srv, 0);
        free_tls(cert);
        free_tls(key);
        return yima_err_set(err, YIMA_E_NOMEM, "out of thread keys");
    }
    srv->key_made = 1;
    if ((rc = open_spares(srv, err))) {
        yima_serve_stop(srv, 0);
        free_tls(cert);
        free_tls(key);
        return rc;
    }
    errno = 0;
    rc = start_daemon(srv, &ss, cert, key, err);
    /* GnuTLS holds its own copy once the daemon has started. */
    free_tls(cert);
    free_tls(key);
    if (rc) {
        yima_serve_stop(srv, 0);
        return rc;
    }
    *out = srv;
    return YIMA_OK;
}

int yima_serve_port(const yima_serve *srv)
{
    return srv->port;
}

void yima_serve_stop(yima_serve *srv, int drain_ms)
{
    if (!srv)
        return;
    if (srv->daemon) {
        /* No new connections; the requests under way get their answers. */
        MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        for (int waited = 0; atomic_load(&srv->in_flight) > 0 && waited < drain_ms;
             waited += 10)
            usleep(10 * 1000);
        /* MHD stops no suspended connection: every queued write runs. */
        sv_writer_drain(srv);
        MHD_stop_daemon(srv->daemon);
    }
    close_workers(srv->workers);
    close_workers(srv->spare);
    if (srv->key_made)
        pthread_key_delete(srv->key);
    sv_writer_stop(srv);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}
