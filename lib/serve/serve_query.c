/* SPDX-License-Identifier: MIT */
/* GET /events: the EPCIS 2.0 REST binding's event query, one page of an
 * EPCISQueryDocument from yima_link_query, the next page in a Link header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "serve_internal.h"

/* The query parameters taken, in the order the next page's link names them. */
enum { P_TYPE, P_GE_TIME, P_LT_TIME, P_EPC, P_PARENT, P_STEP, P_DISP, P_PER_PAGE, P_TOKEN,
       P__COUNT };
static const char *const param_names[P__COUNT] = {
    "eventType", "GE_eventTime", "LT_eventTime", "MATCH_epc", "MATCH_parentID",
    "EQ_bizStep", "EQ_disposition", "perPage", "nextPageToken"};

typedef struct params {
    char *value[P__COUNT];
    char bad[160];    /* the first refusal, or empty */
} params;

static void take_arg(void *ctx, const char *key, const char *value)
{
    params *p = ctx;
    int i = 0;
    while (i < P__COUNT && strcmp(key, param_names[i]))
        i++;
    if (p->bad[0])
        return;
    if (i == P__COUNT)
        snprintf(p->bad, sizeof p->bad, "unknown query parameter '%.80s'", key);
    else if (p->value[i])
        snprintf(p->bad, sizeof p->bad, "query parameter '%s' given twice", key);
    else if (!(p->value[i] = strdup(value)))
        snprintf(p->bad, sizeof p->bad, "out of memory");
}

/* An RFC 3339 time with its offset. A '+' that a client left unescaped
 * arrives as a space (form encoding): it can only have been a '+'. */
static int parse_time(params *p, int i, int64_t *ms, int *has)
{
    yima_err err;
    char *t = p->value[i];
    if (!t)
        return 0;
    for (char *c = t; *c; c++)
        if (*c == ' ')
            *c = '+';
    if (yima_link_parse_time(t, strlen(t), YIMA_LINK_TZ_NONE, ms, NULL, &err)) {
        snprintf(p->bad, sizeof p->bad, "%s: '%.40s'%.100s", param_names[i], t,
                 err.msg + strcspn(err.msg, " "));
        return -1;
    }
    *has = 1;
    return 0;
}

static int parse_per_page(params *p, uint64_t *n)
{
    const char *v = p->value[P_PER_PAGE];
    if (!v)
        return 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || *v == '-' || *v == '+' || x < 1 || x > YIMA_LINK_PAGE_MAX) {
        snprintf(p->bad, sizeof p->bad, "perPage: '%.40s' is not a number from 1 to %d", v,
                 YIMA_LINK_PAGE_MAX);
        return -1;
    }
    *n = x;
    return 0;
}

static int options(params *p, const yima_serve *srv, yima_link_query_options *o)
{
    yima_link_query_options_init(o);
    o->event_types = p->value[P_TYPE];
    o->epcs = p->value[P_EPC];
    o->parents = p->value[P_PARENT];
    o->biz_steps = p->value[P_STEP];
    o->dispositions = p->value[P_DISP];
    o->page_token = p->value[P_TOKEN];
    o->template_text = srv->opt.import.template_text;
    o->gcp_len = srv->opt.import.gcp_len;
    if (parse_time(p, P_GE_TIME, &o->time_from, &o->has_from) ||
        parse_time(p, P_LT_TIME, &o->time_to, &o->has_to))
        return -1;
    return parse_per_page(p, &o->per_page);
}

/* s percent-encoded as a query value (RFC 3986 unreserved kept). */
static void put_escaped(FILE *to, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            fputc(c, to);
        else
            fprintf(to, "%%%02X", c);
    }
}

/* Link: </events?...&nextPageToken=T>; rel="next": the same query, the next page. */
static int next_link(const params *p, const char *token)
{
    char *text = NULL;
    size_t len = 0;
    FILE *to = open_memstream(&text, &len);
    if (!to)
        return YIMA_E_NOMEM;
    fputs("</events?", to);
    for (int i = 0; i < P_TOKEN; i++) {
        if (!p->value[i])
            continue;
        fprintf(to, "%s=", param_names[i]);
        put_escaped(to, p->value[i]);
        fputc('&', to);
    }
    fprintf(to, "nextPageToken=%s>; rel=\"next\"", token);
    int rc = fclose(to) ? YIMA_E_NOMEM : sv_reply_header("Link", text);
    free(text);
    return rc;
}

static void answer(const sv_request *rq, params *p, sv_reply *out)
{
    yima_err err;
    yima_link_query_options o;
    yima_link_query_page page;
    char *text = NULL;
    size_t len = 0;
    yima_link *store = sv_store(rq, out);
    if (!store)
        return;
    if (options(p, rq->srv, &o)) {
        sv_error(out, MHD_HTTP_BAD_REQUEST, p->bad);
        return;
    }
    FILE *to = open_memstream(&text, &len);
    if (!to) {
        sv_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    int rc = yima_link_query(store, &o, to, &page, &err);
    if (fclose(to) && !rc)
        rc = yima_err_set(&err, YIMA_E_NOMEM, "out of memory");
    if (!rc && page.next[0] && next_link(p, page.next))
        rc = yima_err_set(&err, YIMA_E_NOMEM, "out of memory");
    if (rc) {
        free(text);
        /* YIMA_E_USAGE: a page token that is not this query's. */
        sv_error(out, rc == YIMA_E_USAGE ? MHD_HTTP_BAD_REQUEST
                                         : MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
        return;
    }
    *out = (sv_reply){MHD_HTTP_OK, text, len, "application/ld+json"};
}

void sv_events_query(const sv_request *rq, sv_reply *out)
{
    params p = {0};
    sv_query_args(take_arg, &p);
    if (p.bad[0])
        sv_error(out, MHD_HTTP_BAD_REQUEST, p.bad);
    else
        answer(rq, &p, out);
    for (int i = 0; i < P__COUNT; i++)
        free(p.value[i]);
}
