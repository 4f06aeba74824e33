/* SPDX-License-Identifier: MIT */
/* The endpoints of yima serve (yima-serve(1), ENDPOINTS). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include "serve_internal.h"

static void health(const sv_request *rq, sv_reply *out)
{
    (void)rq;
    sv_json(out, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

/* What `yima link trace --json CODE` prints, from the worker's handle. */
static void trace(const sv_request *rq, sv_reply *out)
{
    yima_err err;
    char *text = NULL;
    size_t len = 0;
    yima_link *store = sv_store(rq, out);
    if (!store)
        return;
    if (!*rq->rest) {
        sv_error(out, MHD_HTTP_BAD_REQUEST, "no code: GET /trace/CODE");
        return;
    }
    FILE *to = open_memstream(&text, &len);
    if (!to) {
        sv_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    int rc = yima_link_trace(store, rq->rest, rq->srv->opt.import.template_text, 1, to, &err);
    if (fclose(to) && !rc)
        rc = yima_err_set(&err, YIMA_E_NOMEM, "out of memory");
    if (rc) {
        free(text);
        /* YIMA_E_DATA: a code the store has never seen, or no code at all. */
        sv_error(out, rc == YIMA_E_DATA ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                 err.msg);
        return;
    }
    *out = (sv_reply){MHD_HTTP_OK, text, len, "application/json"};
}

/* Each refused line of a capture, for its answer. */
static void note_reject(void *ctx, const yima_link_reject *r)
{
    json_array_append_new(ctx, json_pack("{s:I,s:s}", "line", (json_int_t)r->line, "reason",
                                         r->reason));
}

/* The body into a new file under TMPDIR for the importer, which reads
 * files; path gets its name. The caller removes it. */
static int body_file(const sv_request *rq, char *path, size_t size, yima_err *err)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/yima-serve.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return yima_err_set(err, YIMA_E_IO, "cannot make a temporary file in %s: %s",
                            dir && *dir ? dir : "/tmp", strerror(errno));
    size_t done = 0;
    while (done < rq->body_len) {
        ssize_t n = write(fd, rq->body + done, rq->body_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        done += (size_t)n;
    }
    int failed = close(fd) || done < rq->body_len;
    if (failed)
        unlink(path);
    return failed ? yima_err_set(err, YIMA_E_IO, "cannot write a temporary file: %s",
                                 strerror(errno)) : YIMA_OK;
}

/* A message naming the temporary file names the request body instead. */
static void name_body(yima_err *err, const char *path)
{
    char *at = strstr(err->msg, path);
    if (at) {
        size_t n = strlen(path);
        memmove(at + 4, at + n, strlen(at + n) + 1);
        memcpy(at, "body", 4);
    }
}

/* The capture's event-id prefix for lines without @ID: the token's name
 * and a random request id, so no two requests' SOURCE:LINE ids meet. */
static void capture_source(const sv_request *rq, char *out, size_t size)
{
    unsigned char rnd[6];
    char hex[sizeof rnd * 2 + 1];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(out, size, "%s.%s", rq->who->name, hex);
}

static void capture_answer(sv_reply *out, const yima_link_summary *sum, json_t *rejects,
                           const char *source)
{
    sv_json(out, MHD_HTTP_OK,
            json_pack("{s:I,s:I,s:I,s:I,s:o,s:s}", "events", (json_int_t)sum->events, "applied",
                      (json_int_t)sum->applied, "skipped", (json_int_t)sum->skipped,
                      "rejected", (json_int_t)sum->rejected, "rejects", rejects, "source",
                      source));
}

/* POST /events/tsv: event lines as `yima link import` reads them, applied
 * by its rules and committed before the answer, the token's name as each
 * event's station. */
static void capture_tsv(const sv_request *rq, sv_reply *out)
{
    yima_err err;
    yima_link_summary sum;
    char path[4096], source[YIMA_TOKEN_NAME_MAX + 16];
    const char *inputs[1] = {path};
    if (body_file(rq, path, sizeof path, &err)) {
        sv_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
        return;
    }
    yima_link *store = sv_events_store(rq, out);
    if (!store) {
        unlink(path);
        return;
    }
    json_t *rejects = json_array();
    yima_link_import_options o = rq->srv->opt.import;
    capture_source(rq, source, sizeof source);
    o.source = source;
    o.station = rq->who->name;
    o.station_fixed = 1; /* the token's name, whatever a line says */
    o.realtime = 0; /* the whole body is here: one bulk run, one commit */
    o.threads = 1;  /* the server's workers are the parallelism */
    o.rejects = NULL;
    o.on_reject = note_reject;
    o.reject_ctx = rejects;
    o.on_ack = NULL;
    o.progress = NULL;
    int rc = yima_link_import(store, &o, inputs, 1, &sum, &err);
    unlink(path);
    if (rc) {
        json_decref(rejects);
        name_body(&err, path);
        sv_error(out, rc == YIMA_E_DATA || rc == YIMA_E_USAGE ? MHD_HTTP_BAD_REQUEST
                                                              : MHD_HTTP_INTERNAL_SERVER_ERROR,
                 err.msg);
        return;
    }
    capture_answer(out, &sum, rejects, source);
}

const sv_route sv_routes[] = {
    {"GET", "/health", 0, health, 0},
    {"GET", "/trace/", SV_READERS, trace, 0},
    {"POST", "/events/tsv", SV_WRITERS, capture_tsv, 1},
    {"GET", "/events", SV_READERS, sv_events_query, 0},
    {"POST", "/capture", SV_WRITERS, sv_capture_post, 1},
    {"GET", "/capture/", SV_WRITERS | SV_READERS, sv_capture_get, 0},
    {NULL, NULL, 0, NULL, 0},
};
