/* SPDX-License-Identifier: MIT */
/* The endpoints of yima serve (yima-serve(1), ENDPOINTS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <microhttpd.h>
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
    yima_link *store = sv_store(rq->srv, &err);
    if (!store) {
        sv_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "the store cannot be opened");
        return;
    }
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

const sv_route sv_routes[] = {
    {"GET", "/health", 0, health},
    {"GET", "/trace/", SV_READERS, trace},
    {NULL, NULL, 0, NULL},
};
