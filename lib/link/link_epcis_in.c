/* SPDX-License-Identifier: MIT */
/*
 * EPCIS 2.0 JSON-LD into the store: the inverse of link_export.c's EPCIS.
 * Each event of a document's eventList becomes a yima event line's fields
 * (verified and applied as `link import` does), the whole document in one
 * transaction that is rolled back if any event is refused; the outcome is
 * kept in the table captures (yima-serve(1), POST /capture).
 *
 * The export writes one yima event as several EPCIS events sharing its
 * "yima:eventID" (a PACK that moves children: a DELETE per old case, then
 * the ADD), so a run of events with one yima:eventID is read back as one
 * event: the one that says what happened, the others being what follows
 * from it (yima-link(1), EPCIS).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include "link_internal.h"

/* What one EPCIS event says, as far as yima is concerned. */
enum {
    K_NONE,      /* nothing yima can represent: the capture is refused */
    K_DERIVED,   /* follows from its group's main event (a removal, a relabel's moves) */
    K_COMMISSION, K_PACK, K_UNPACK, K_REPLACE, K_DECOMMISSION, K_SHIP, K_RECEIVE, K_RETURN
};
static const char *const kind_type[] = {
    [K_COMMISSION] = "COMMISSION", [K_PACK] = "PACK", [K_UNPACK] = "UNPACK",
    [K_REPLACE] = "REPLACE", [K_DECOMMISSION] = "DECOMMISSION", [K_SHIP] = "SHIP",
    [K_RECEIVE] = "RECEIVE", [K_RETURN] = "RETURN"};

/* The fields of a yima event line being built (lk_parse_fields). */
typedef struct fields {
    char **v;
    int n, cap;
    int oom;
} fields;

typedef struct capture {
    yima_link *s;
    const yima_link_import_options *opt;
    lk_parser *p;
    json_t *list;         /* the eventList */
    json_t *errors;       /* the refusals */
    yima_link_capture *out;
} capture;

static const char *member(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A CBV term without its namespace: "packing" of "packing",
 * "urn:epcglobal:cbv:bizstep:packing" or "https://ref.gs1.org/cbv/BizStep-packing". */
static const char *cbv_term(const char *v)
{
    static const char urn[] = "urn:epcglobal:cbv:", web[] = "https://ref.gs1.org/cbv/";
    if (v && !strncmp(v, urn, sizeof urn - 1) && strrchr(v, ':'))
        return strrchr(v, ':') + 1;
    if (v && !strncmp(v, web, sizeof web - 1) && strchr(v + sizeof web - 1, '-'))
        return strchr(v + sizeof web - 1, '-') + 1;
    return v;
}

static int is_term(const char *v, const char *term)
{
    v = cbv_term(v);
    return v && !strcmp(v, term);
}

static void push(fields *f, char *s)
{
    if (s && f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 16;
        char **v = realloc(f->v, (size_t)cap * sizeof *v);
        if (v) {
            f->v = v;
            f->cap = cap;
        }
    }
    if (!s || f->n == f->cap) {
        f->oom = 1;
        free(s);
        return;
    }
    f->v[f->n++] = s;
}

static void pushf(fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(fields *f, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    push(f, s);
}

static void fields_free(fields *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->v[i]);
    free(f->v);
}

/* The 14-digit GTIN or 18-digit SSCC of an EPC URI's company prefix and
 * reference (the reference's first digit leads), with its check digit. */
static int gs1_key(const char *cp, size_t cpl, const char *ref, size_t refl, size_t digits,
                   char *out)
{
    if (cpl + refl + 1 != digits || refl == 0)
        return 0;
    out[0] = ref[0];
    memcpy(out + 1, cp, cpl);
    memcpy(out + 1 + cpl, ref + 1, refl - 1);
    int check = yima_gs1_check_digit(out, digits - 1);
    out[digits - 1] = (char)('0' + check);
    out[digits] = '\0';
    return check >= 0;
}

/* An EPC pure identity URI (SGTIN, SSCC) as its GS1 element string, which
 * verification reads: "(01)GTIN(21)SERIAL" or "(00)SSCC"; NULL if it is none. */
static char *epc_code(const char *uri)
{
    static const char sgtin[] = "urn:epc:id:sgtin:", sscc[] = "urn:epc:id:sscc:";
    int is_sgtin = !strncmp(uri, sgtin, sizeof sgtin - 1);
    const char *cp = uri + (is_sgtin ? sizeof sgtin : sizeof sscc) - 1;
    if (!is_sgtin && strncmp(uri, sscc, sizeof sscc - 1))
        return NULL;
    const char *dot = strchr(cp, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
    char key[19], *out = NULL;
    if (!dot || (is_sgtin != (dot2 != NULL)))
        return NULL;
    const char *ref = dot + 1, *end = dot2 ? dot2 : ref + strlen(ref);
    if (!gs1_key(cp, (size_t)(dot - cp), ref, (size_t)(end - ref), is_sgtin ? 14 : 18, key))
        return NULL;
    if (!is_sgtin)
        return asprintf(&out, "(00)%s", key) < 0 ? NULL : out;
    /* The serial is escaped (%XX) in the URI. */
    char serial[64];
    size_t n = 0;
    for (const char *c = dot2 + 1; *c && n + 1 < sizeof serial; c++) {
        unsigned hex;
        if (*c == '%' && sscanf(c + 1, "%2x", &hex) == 1) {
            serial[n++] = (char)hex;
            c += 2;
        } else {
            serial[n++] = *c;
        }
    }
    serial[n] = '\0';
    return asprintf(&out, "(01)%s(21)%s", key, serial) < 0 ? NULL : out;
}

/* An EPCIS identifier as the code field import reads: an EPC URI's GS1
 * code, a "urn:yima:code:" URN's code, anything else (a Digital Link URI,
 * a payload URL) as it is. */
static void push_code(fields *f, const char *uri)
{
    static const char yima_urn[] = "urn:yima:code:";
    char *gs1 = epc_code(uri);
    if (gs1)
        push(f, gs1);
    else if (!strncmp(uri, yima_urn, sizeof yima_urn - 1))
        pushf(f, "%s", uri + sizeof yima_urn - 1);
    else
        pushf(f, "%s", uri);
}

/* What event e says; *why gets the reason for K_NONE. */
static int classify(json_t *e, const char **why)
{
    const char *type = member(e, "type"), *action = member(e, "action");
    const char *step = cbv_term(member(e, "bizStep")), *disp = cbv_term(member(e, "disposition"));
    *why = NULL;
    if (!json_is_object(e))
        return *why = "not a JSON object", K_NONE;
    if (!type || !action)
        return *why = "no \"type\" or no \"action\"", K_NONE;
    if (!strcmp(type, "ObjectEvent") && !strcmp(action, "ADD")) {
        if (json_object_get(e, "yima:replaces"))
            return K_REPLACE;
        if (!step || !strcmp(step, "commissioning"))
            return K_COMMISSION;
    } else if (!strcmp(type, "ObjectEvent") && !strcmp(action, "OBSERVE")) {
        if (step && !strcmp(step, "shipping"))
            return K_SHIP;
        if (step && !strcmp(step, "receiving"))
            return disp && !strcmp(disp, "returned") ? K_RETURN : K_RECEIVE;
    } else if (!strcmp(type, "ObjectEvent") && !strcmp(action, "DELETE")) {
        return K_DECOMMISSION;
    } else if (!strcmp(type, "AggregationEvent") && !strcmp(action, "ADD")) {
        return !step || !strcmp(step, "packing") ? K_PACK : K_DERIVED;
    } else if (!strcmp(type, "AggregationEvent") && !strcmp(action, "DELETE")) {
        return !step || !strcmp(step, "unpacking") ? K_UNPACK : K_DERIVED;
    } else if (strcmp(type, "ObjectEvent") && strcmp(type, "AggregationEvent")) {
        return *why = "yima represents ObjectEvent and AggregationEvent only", K_NONE;
    }
    return *why = "yima cannot represent this action with this bizStep (commissioning, "
                  "shipping, receiving, packing, unpacking, decommissioning)", K_NONE;
}

/* The end (exclusive) of the group of events from i: the run sharing its
 * "yima:eventID", or i alone. */
static size_t group_end(json_t *list, size_t i)
{
    const char *key = member(json_array_get(list, i), "yima:eventID"), *k;
    size_t j = i + 1;
    while (key && j < json_array_size(list) &&
           (k = member(json_array_get(list, j), "yima:eventID")) && !strcmp(k, key))
        j++;
    return j;
}

/* Notes event index's refusal (index from 0; reported from 1). */
static void refuse(capture *c, size_t index, const char *reason)
{
    json_t *e = json_array_get(c->list, index);
    json_t *r = json_pack("{s:I}", "eventIndex", (json_int_t)index + 1);
    const char *id = member(e, "eventID");
    if (id)
        json_object_set_new(r, "eventID", json_string(id));
    json_object_set_new(r, "reason", json_string(reason));
    json_array_append_new(c->errors, r);
    c->out->refused++;
}

/* The main event of the group [from, to): its index, or -1 with the
 * refusal noted. */
static long group_main(capture *c, size_t from, size_t to)
{
    int count[K_RETURN + 1] = {0};
    long at[K_RETURN + 1] = {0};
    const char *why;
    for (size_t i = from; i < to; i++) {
        int k = classify(json_array_get(c->list, i), &why);
        if (k == K_NONE) {
            refuse(c, i, why);
            return -1;
        }
        count[k]++;
        at[k] = (long)i;
    }
    /* A relabel's DELETE of the old code, a move's DELETE from the old case. */
    if (count[K_REPLACE])
        count[K_DECOMMISSION] = 0;
    if (count[K_PACK])
        count[K_UNPACK] = 0;
    int mains = 0;
    long main = -1;
    for (int k = K_COMMISSION; k <= K_RETURN; k++)
        if (count[k]) {
            mains += count[k];
            main = at[k];
        }
    if (mains == 1)
        return main;
    if (mains == 0)
        refuse(c, from, "an aggregation with this bizStep alone (removing, replacing) is "
               "not an event yima can represent");
    else
        refuse(c, from, "these events share one yima:eventID but say more than one event");
    return -1;
}

/* The string of list's object whose "type" is type (a CBV term), member key. */
static const char *typed(json_t *list, const char *type, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (is_term(member(v, "type"), type))
            return member(v, key);
    }
    return NULL;
}

/* The event's time in its own offset ("eventTimeZoneOffset", else the
 * eventTime's own), as import reads it. */
static int push_time(fields *f, json_t *e, const char **why)
{
    const char *when = member(e, "eventTime"), *zone = member(e, "eventTimeZoneOffset");
    int64_t ms;
    int tz;
    char text[96];
    if (!when)
        return *why = "no \"eventTime\"", YIMA_E_DATA;
    if (yima_link_parse_time(when, strlen(when), YIMA_LINK_TZ_NONE, &ms, &tz, NULL))
        return *why = "\"eventTime\" is not an RFC 3339 time with a UTC offset", YIMA_E_DATA;
    if (zone && yima_link_parse_tz(zone, &tz))
        return *why = "\"eventTimeZoneOffset\" is not Z or +HH:MM", YIMA_E_DATA;
    lk_format_time(ms, tz, text);
    pushf(f, "%s", text);
    return YIMA_OK;
}

/* The single EPC of an ObjectEvent's epcList. */
static const char *only_epc(json_t *e, const char **why)
{
    json_t *l = json_object_get(e, "epcList");
    const char *v = json_array_size(l) == 1 ? json_string_value(json_array_get(l, 0)) : NULL;
    if (!v)
        *why = "an ObjectEvent must name one code in \"epcList\" (yima takes one code an event)";
    return v;
}

/* The type and arguments of the event of kind k that e says. */
static int push_args(fields *f, json_t *e, int k, const char **why)
{
    json_t *ilmd = json_object_get(e, "ilmd"), *v;
    const char *code = NULL, *a[3] = {0};
    size_t i;
    pushf(f, "%s", kind_type[k]);
    if (k == K_PACK || k == K_UNPACK) {
        json_t *kids = json_object_get(e, "childEPCs");
        if (!member(e, "parentID") || !json_array_size(kids))
            return *why = "an AggregationEvent needs \"parentID\" and \"childEPCs\"", YIMA_E_DATA;
        push_code(f, member(e, "parentID"));
        json_array_foreach(kids, i, v) {
            if (!json_is_string(v))
                return *why = "\"childEPCs\" must be strings", YIMA_E_DATA;
            push_code(f, json_string_value(v));
        }
        return YIMA_OK;
    }
    if (!(code = only_epc(e, why)))
        return YIMA_E_DATA;
    if (k == K_REPLACE) {
        if (!member(e, "yima:replaces"))
            return *why = "\"yima:replaces\" must be a string", YIMA_E_DATA;
        push_code(f, member(e, "yima:replaces"));
    }
    push_code(f, code);
    if (k == K_COMMISSION) {
        a[0] = member(ilmd, "yima:product");
        a[1] = member(ilmd, "cbvmda:lotNumber");
        a[2] = member(ilmd, "cbvmda:itemExpirationDate");
        for (int j = 0; j < 3; j++)
            pushf(f, "%s", a[j] ? a[j] : "-");
    } else if (k == K_SHIP) {
        json_t *dest = json_object_get(e, "destinationList");
        a[0] = typed(dest, "owning_party", "destination");
        a[1] = typed(dest, "location", "destination");
        a[2] = typed(json_object_get(e, "bizTransactionList"), "desadv", "bizTransaction");
        if (!a[0] || !a[1] || !a[2])
            return *why = "a shipping event needs an owning_party and a location in "
                          "\"destinationList\" and a desadv in \"bizTransactionList\"",
                   YIMA_E_DATA;
        for (int j = 0; j < 3; j++)
            pushf(f, "%s", a[j]);
    } else if (k == K_DECOMMISSION) {
        const char *reason = member(e, "yima:reason"), *disp = member(e, "disposition");
        if (!reason && is_term(member(e, "bizStep"), "sampling"))
            reason = "sampled";
        if (!reason && disp)
            reason = lk_reason_parse(cbv_term(disp), strlen(cbv_term(disp)));
        if (reason)
            pushf(f, "%s", reason);
    }
    return YIMA_OK;
}

/* The fields of the yima event that event index says: "@ID", TIME,
 * user=, read_point=, location=, TYPE and its arguments. The station is
 * the parser's (the sender's), whatever the document says. */
static int event_fields(capture *c, size_t index, fields *f, const char **why)
{
    json_t *e = json_array_get(c->list, index);
    const char *id = member(e, "yima:eventID"), *v;
    if (!id)
        id = member(e, "eventID");
    if (id && *id)
        pushf(f, "@%s", id);
    else /* no id: named by the capture, so a re-send is a new capture */
        pushf(f, "@%s:%zu", c->out->id, index + 1);
    int rc = push_time(f, e, why);
    if (!rc && (v = member(e, "yima:user")))
        pushf(f, "user=%s", v);
    if (!rc && (v = member(json_object_get(e, "readPoint"), "id")))
        pushf(f, "read_point=%s", v);
    if (!rc && (v = member(json_object_get(e, "bizLocation"), "id")))
        pushf(f, "location=%s", v);
    return rc ? rc : push_args(f, e, classify(e, &v), why);
}

/* Parses, verifies and applies the group [from, to) as one event inside
 * the open transaction: YIMA_OK (applied, skipped or refused and noted),
 * or a store error. */
static int capture_group(capture *c, size_t from, size_t to, yima_err *err)
{
    long main = group_main(c, from, to);
    fields f = {0};
    const char *why = NULL;
    lk_event ev;
    yima_err e;
    int skipped, rc;
    if (main < 0)
        return YIMA_OK;
    rc = event_fields(c, (size_t)main, &f, &why);
    if (f.oom)
        rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    else if (rc == YIMA_E_DATA)
        refuse(c, (size_t)main, why), rc = YIMA_OK;
    else if ((rc = lk_parse_fields(c->p, (const char *const *)f.v, f.n, &ev, &e)) == YIMA_E_DATA)
        refuse(c, (size_t)main, e.msg), rc = YIMA_OK;
    else if (rc)
        yima_err_set(err, rc, "%s", e.msg);
    else if ((rc = lk_apply(c->s, &c->opt->rules, &ev, ev.id, ev.id_len, &skipped, &e)) ==
             YIMA_E_DATA)
        refuse(c, (size_t)main, e.msg), rc = YIMA_OK;
    else if (rc)
        yima_err_set(err, rc, "%s", e.msg);
    else if (skipped)
        c->out->skipped++;
    else
        c->out->applied++;
    fields_free(&f);
    return rc;
}

/* The document's eventList, or YIMA_E_DATA saying what is wrong. */
static int event_list(json_t *doc, json_t **list, yima_err *err)
{
    const char *type = member(doc, "type");
    json_t *body = json_object_get(doc, "epcisBody");
    if (!json_is_object(doc))
        return yima_err_set(err, YIMA_E_DATA, "not an EPCIS document: the body is a JSON %s, "
                            "not an object", json_is_array(doc) ? "array" : "value");
    if (!type || strcmp(type, "EPCISDocument"))
        return yima_err_set(err, YIMA_E_DATA, "not an EPCIS document: \"type\" is %s%.40s%s, "
                            "not \"EPCISDocument\"", type ? "\"" : "", type ? type : "missing",
                            type ? "\"" : "");
    if (!json_is_object(body))
        return yima_err_set(err, YIMA_E_DATA, "not an EPCIS document: no \"epcisBody\" object");
    *list = json_object_get(body, "eventList");
    if (!json_is_array(*list))
        return yima_err_set(err, YIMA_E_DATA, "not an EPCIS document: \"epcisBody\" has no "
                            "\"eventList\" array");
    return YIMA_OK;
}

static void new_id(char out[YIMA_LINK_CAPTURE_ID])
{
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(out, YIMA_LINK_CAPTURE_ID, rnd, sizeof rnd);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The capture's row, inside the open transaction. */
static int record(capture *c, yima_err *err)
{
    yima_link_capture *o = c->out;
    lk_st *st;
    if (!(o->errors = json_dumps(c->errors, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (lk_prepare(c->s, "INSERT INTO captures(id, token, received, state, events, applied,"
                   " skipped, refused, errors) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                   &st) != LK_OK)
        return lk_db_error(c->s, "recording a capture", err);
    lk_bind_text(st, 1, o->id, -1);
    lk_bind_text(st, 2, o->who, -1);
    lk_bind_int64(st, 3, o->received_ms);
    lk_bind_text(st, 4, o->success ? "applied" : "refused", -1);
    lk_bind_int64(st, 5, (int64_t)o->events);
    lk_bind_int64(st, 6, (int64_t)o->applied);
    lk_bind_int64(st, 7, (int64_t)o->skipped);
    lk_bind_int64(st, 8, (int64_t)o->refused);
    lk_bind_text(st, 9, o->errors, -1);
    int rc = lk_step_ahead(st) == LK_OK ? YIMA_OK : lk_db_error(c->s, "recording a capture", err);
    lk_finalize(st);
    return rc;
}

/* Every event in one transaction; any refusal rolls them all back, their
 * rejects rows too (a corrected re-send is applied, not refused again),
 * and the refusal alone is recorded. */
static int run(capture *c, yima_err *err)
{
    size_t n = json_array_size(c->list);
    int rc = lk_begin(c->s, err);
    for (size_t i = 0; !rc && i < n;) {
        size_t end = group_end(c->list, i);
        rc = capture_group(c, i, end, err);
        i = end;
    }
    c->out->success = !c->out->refused;
    if (!rc && !c->out->success) {
        lk_rollback(c->s);
        c->out->applied = c->out->skipped = 0;
        rc = lk_begin(c->s, err);
    }
    rc = rc ? rc : record(c, err);
    rc = rc ? rc : lk_commit(c->s, err);
    if (rc)
        lk_rollback(c->s);
    return rc;
}

/* run, again while another writer got in its way (many writers), from
 * nothing counted and no refusal noted. */
static int run_retried(capture *c, yima_err *err)
{
    int rc, tries = 0;
    while ((rc = run(c, err)) && lk_retry_wait(c->s, &tries)) {
        yima_link_capture *o = c->out;
        o->applied = o->skipped = o->refused = 0;
        o->success = 0;
        free(o->errors);
        o->errors = NULL;
        if (json_array_clear(c->errors))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    return rc;
}

static int start(capture *c, const char *who, yima_err *err)
{
    const yima_link_import_options *opt = c->opt;
    const char *ctx[LK_CTX__COUNT] = {opt->user, who, opt->read_point, opt->location};
    int tz;
    if (c->s->mode != YIMA_LINK_WRITE)
        return yima_err_set(err, YIMA_E_USAGE, "store opened read-only");
    if (!who || !*who || strlen(who) >= sizeof c->out->who)
        return yima_err_set(err, YIMA_E_USAGE, "a capture needs the name of its sender");
    int rc = lk_import_check_context(opt, err);
    rc = rc ? rc : lk_parser_create(&c->p, opt->ring, opt->template_text, err);
    rc = rc ? rc : lk_template_bind(c->s, opt->template_text, err);
    rc = rc ? rc : lk_set_sync(c->s, opt->sync, err);
    if (rc)
        return rc;
    lk_parser_context(c->p, opt->gcp_len, ctx);
    lk_parser_tz(c->p, opt->tz && !yima_link_parse_tz(opt->tz, &tz) ? tz : YIMA_LINK_TZ_NONE);
    if (!(c->errors = json_array()))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return YIMA_OK;
}

int yima_link_capture_epcis(yima_link *s, const yima_link_import_options *opt, const char *who,
                            const char *doc, size_t len, yima_link_capture *out, yima_err *err)
{
    json_error_t je;
    capture c = {.s = s, .opt = opt, .out = out};
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(doc ? doc : "", doc ? len : 0, JSON_REJECT_DUPLICATES, &je);
    int rc = root ? event_list(root, &c.list, err)
                  : yima_err_set(err, YIMA_E_DATA, "malformed JSON at line %d, column %d: %s",
                                 je.line, je.column, je.text);
    rc = rc ? rc : start(&c, who, err);
    if (!rc) {
        new_id(out->id);
        snprintf(out->who, sizeof out->who, "%s", who);
        out->received_ms = now_ms();
        out->events = json_array_size(c.list);
        rc = run_retried(&c, err);
    }
    json_decref(root);
    json_decref(c.errors);
    lk_parser_free(c.p);
    if (rc)
        yima_link_capture_free(out);
    return rc;
}

int yima_link_capture_get(yima_link *s, const char *id, yima_link_capture *out, yima_err *err)
{
    lk_st *st;
    memset(out, 0, sizeof *out);
    if (lk_prepare(s, "SELECT token, received, state, events, applied, skipped, refused, errors"
                   " FROM captures WHERE id = ?1", &st) != LK_OK)
        return lk_db_error(s, "reading a capture", err);
    lk_bind_text(st, 1, id, -1);
    int step = lk_step(st), rc = YIMA_OK;
    if (step == LK_ROW) {
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->who, sizeof out->who, "%s", lk_column_text(st, 0));
        out->received_ms = lk_column_int64(st, 1);
        out->success = !strcmp(lk_column_text(st, 2), "applied");
        out->events = (uint64_t)lk_column_int64(st, 3);
        out->applied = (uint64_t)lk_column_int64(st, 4);
        out->skipped = (uint64_t)lk_column_int64(st, 5);
        out->refused = (uint64_t)lk_column_int64(st, 6);
        if (!(out->errors = strdup(lk_column_text(st, 7))))
            rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    } else if (step == LK_DONE) {
        rc = yima_err_set(err, YIMA_E_DATA, "no capture '%.40s'", id);
    } else {
        rc = lk_db_error(s, "reading a capture", err);
    }
    lk_finalize(st);
    return rc;
}

void yima_link_capture_free(yima_link_capture *c)
{
    if (!c)
        return;
    free(c->errors);
    c->errors = NULL;
}
