/* SPDX-License-Identifier: MIT */
/* EPCIS 2.0 capture (yima-serve(1), ENDPOINTS): POST /capture applies a
 * document all or nothing and answers 202 once its outcome is committed;
 * GET /capture/ID gives that outcome. The mapping is the library's
 * (yima_link_capture_epcis). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <microhttpd.h>
#include "serve_internal.h"

/* A capture's status in the spirit of the EPCIS 2.0 REST binding's
 * capture job: applied or refused, never running, each refusal listed. */
static json_t *status_json(const yima_link_capture *c)
{
    char when[32];
    time_t t = (time_t)(c->received_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03dZ", (int)(c->received_ms % 1000));
    json_t *errors = json_loads(c->errors ? c->errors : "[]", 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:o,s:I,s:I,s:I,s:I}", "captureID", c->id,
                     "createdAt", when, "finishedAt", when, "running", 0, "success",
                     c->success, "captureErrorBehaviour", "rollback", "errors",
                     errors ? errors : json_array(), "events", (json_int_t)c->events,
                     "applied", (json_int_t)c->applied, "skipped", (json_int_t)c->skipped,
                     "refused", (json_int_t)c->refused);
}

void sv_capture_post(const sv_request *rq, sv_reply *out)
{
    yima_err err;
    yima_link_capture cap;
    yima_link *store = sv_events_store(rq, out);
    if (!store)
        return;
    yima_link_import_options o = rq->srv->opt.import;
    o.station = rq->who->name;
    o.station_fixed = 1;
    int rc = yima_link_capture_epcis(store, &o, rq->who->name, rq->body, rq->body_len, &cap,
                                     &err);
    if (rc) {
        sv_error(out, rc == YIMA_E_DATA || rc == YIMA_E_USAGE ? MHD_HTTP_BAD_REQUEST
                                                              : MHD_HTTP_INTERNAL_SERVER_ERROR,
                 err.msg);
        return;
    }
    /* Committed, applied or refused: the status is kept under its id. */
    sv_json(out, MHD_HTTP_ACCEPTED, status_json(&cap));
    snprintf(rq->location, SV_LOCATION_MAX, "/capture/%s", cap.id);
    yima_link_capture_free(&cap);
}

void sv_capture_get(const sv_request *rq, sv_reply *out)
{
    yima_err err;
    yima_link_capture cap;
    yima_link *store = sv_store(rq, out);
    if (!store)
        return;
    /* Only ids as the store makes them: 32 hex digits. */
    if (strlen(rq->rest) != YIMA_LINK_CAPTURE_ID - 1 ||
        strspn(rq->rest, "0123456789abcdef") != YIMA_LINK_CAPTURE_ID - 1) {
        sv_error(out, MHD_HTTP_NOT_FOUND, "no such capture");
        return;
    }
    int rc = yima_link_capture_get(store, rq->rest, &cap, &err);
    if (rc)
        sv_error(out, rc == YIMA_E_DATA ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                 rc == YIMA_E_DATA ? "no such capture" : err.msg);
    else
        sv_json(out, MHD_HTTP_OK, status_json(&cap));
    yima_link_capture_free(&cap);
}
