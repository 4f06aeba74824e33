/* SPDX-License-Identifier: MIT */
/*
 * EPCIS 2.0 queries (the REST binding's GET /events): the store narrows the
 * events by sequence number, time, type and code through its indexes, the
 * export makes them EPCIS (link_export.c), and the EPCIS events that match
 * every filter fill a page of an EPCISQueryDocument. A page token names
 * where the next page starts, MAC'd with the store's id over the query's
 * filters, so another store's, another query's or a tampered one is told.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include "link_internal.h"

/* The SQL is one text for SQLite and PostgreSQL. Its parameters: ?1 from,
 * ?2 to (0: open), ?3 after this seq, ?4 a mask of the store event types
 * (1 << type) that can make a wanted event, then the MATCH_epc codes' ids
 * and the MATCH_parentID codes' ids, as far as the query has them (?5,
 * ?6; PostgreSQL must see every parameter it is given). CROSS JOIN pins
 * SQLite's join order; its terms stand in WHERE, since PostgreSQL takes
 * no ON after a CROSS JOIN. */
#define QUERY_BOUNDS                                                                        \
    "JOIN codes s ON s.id = e.subject LEFT JOIN codes o ON o.id = e.other "                  \
    "WHERE %se.seq > ?3 AND (CAST(?1 AS bigint) = 0 OR e.time >= ?1) "                        \
    "AND (CAST(?2 AS bigint) = 0 OR e.time < ?2) "                                          \
    "AND (CAST(?4 AS bigint) >> CAST(e.type AS integer)) & 1 = 1 ORDER BY e.seq"
/* The code ids of parameter ?%d: a JSON object keyed by them, which
 * json_each reads alike in both engines. */
#define IDS "SELECT CAST(key AS bigint) FROM json_each(?%d)"
/* Events naming a code of the ids as subject, other code or child. */
#define HIT_EPC                                                                             \
    "epc(id) AS MATERIALIZED (" IDS "), "                                                   \
    "hit_epc(seq) AS MATERIALIZED (SELECT x.seq FROM epc CROSS JOIN events x WHERE x.subject = epc.id" \
    " UNION SELECT x.seq FROM epc CROSS JOIN events x WHERE x.other = epc.id"                \
    " UNION SELECT ec.seq FROM epc CROSS JOIN event_codes ec WHERE ec.code = epc.id)"
/* Events where a code of the ids can be the parent: its own, and those of
 * every code that was ever its child (which name it as the parent they
 * left). */
#define HIT_PARENT                                                                          \
    "par(id) AS MATERIALIZED (" IDS "), "                                                   \
    "kid(id) AS MATERIALIZED (SELECT ec.code FROM par CROSS JOIN events x CROSS JOIN"        \
    " event_codes ec WHERE x.subject = par.id AND ec.seq = x.seq UNION SELECT ec.code FROM"  \
    " par CROSS JOIN events x CROSS JOIN event_codes ec WHERE x.other = par.id"              \
    " AND ec.seq = x.seq), "                                                                \
    "hit_par(seq) AS MATERIALIZED (SELECT x.seq FROM par CROSS JOIN events x WHERE x.subject = par.id" \
    " UNION SELECT x.seq FROM par CROSS JOIN events x WHERE x.other = par.id"                \
    " UNION SELECT ec.seq FROM kid CROSS JOIN event_codes ec WHERE ec.code = kid.id)"

#define TOKEN_MAC 16
#define TOKEN_RAW (8 + 4 + TOKEN_MAC)
#define EPC_PARAM 5
#define PARENT_PARAM(q) (EPC_PARAM + ((q)->epcs.text != NULL))

/* A comma list, split in place (items point into text). */
typedef struct list {
    char *text;
    char **item;
    int n;
} list;

typedef struct query {
    const yima_link_query_options *opt;
    yima_link *s;
    yima_err *err;
    list types, epcs, parents, steps, disps;
    unsigned mask;          /* store types that can make a wanted event */
    json_t *want_epc;       /* identifiers, as the export writes them: object of 1s */
    json_t *want_parent;
    int64_t start_seq;      /* the page starts at this store event's */
    uint32_t start_sub;     /* EPCIS event of this place */
    unsigned char fp[32];   /* the filters' fingerprint */
    unsigned char store_id[16];
    json_t *events;
    uint64_t per_page;
    yima_link_query_page *page;
} query;

void yima_link_query_options_init(yima_link_query_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->per_page = YIMA_LINK_PAGE_DEFAULT;
}

static int split(const char *text, list *l, yima_err *err)
{
    if (!text)
        return YIMA_OK;
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    if (!(l->text = strdup(text)) || !(l->item = calloc(n, sizeof *l->item)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    for (char *p = l->text, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        if (*p)
            l->item[l->n++] = p;
    }
    return YIMA_OK;
}

static void list_free(list *l)
{
    free(l->text);
    free(l->item);
}

/* A CBV name without its URI prefix, for bizStep and disposition. */
static const char *cbv_bare(const char *v, const char *urn, const char *web)
{
    size_t nu = strlen(urn), nw = strlen(web);
    if (!strncmp(v, urn, nu))
        return v + nu;
    if (!strncmp(v, web, nw))
        return v + nw;
    return v;
}

static int in_list(const list *l, const char *v, const char *urn, const char *web)
{
    for (int i = 0; i < l->n; i++)
        if (v && !strcmp(cbv_bare(l->item[i], urn, web), v))
            return 1;
    return 0;
}

/* The store types an EPCIS type comes from (link_export.c). */
static unsigned type_mask(const list *types)
{
    unsigned object = 1u << LK_COMMISSION | 1u << LK_SHIP | 1u << LK_RECEIVE |
                      1u << LK_RETURN | 1u << LK_REPLACE | 1u << LK_DECOMMISSION;
    unsigned aggregation = 1u << LK_PACK | 1u << LK_UNPACK | 1u << LK_REPLACE |
                           1u << LK_DECOMMISSION;
    unsigned m = 0;
    if (!types->text)
        return object | aggregation;
    for (int i = 0; i < types->n; i++)
        m |= !strcmp(types->item[i], "ObjectEvent")        ? object
             : !strcmp(types->item[i], "AggregationEvent") ? aggregation
                                                           : 0;
    return m;
}

/* The filters' fingerprint, which a page token carries. */
static void fingerprint(query *q)
{
    const yima_link_query_options *o = q->opt;
    const char *v[] = {o->event_types, o->epcs, o->parents, o->biz_steps, o->dispositions};
    int64_t t[] = {o->has_from ? o->time_from : INT64_MIN, o->has_to ? o->time_to : INT64_MIN};
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof q->fp);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        /* A length before each value, so no two filter sets hash alike. */
        uint64_t n = v[i] ? strlen(v[i]) + 1 : 0;
        crypto_generichash_update(&st, (const unsigned char *)&n, sizeof n);
        if (v[i])
            crypto_generichash_update(&st, (const unsigned char *)v[i], n - 1);
    }
    crypto_generichash_update(&st, (const unsigned char *)t, sizeof t);
    crypto_generichash_final(&st, q->fp, sizeof q->fp);
}

static void token_mac(const query *q, const unsigned char pos[12], unsigned char mac[TOKEN_MAC])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, q->store_id, sizeof q->store_id, TOKEN_MAC);
    crypto_generichash_update(&st, (const unsigned char *)"yima-page", 9);
    crypto_generichash_update(&st, pos, 12);
    crypto_generichash_update(&st, q->fp, sizeof q->fp);
    crypto_generichash_final(&st, mac, TOKEN_MAC);
}

static void token_make(const query *q, int64_t seq, uint32_t sub, char out[YIMA_LINK_PAGE_TOKEN])
{
    unsigned char raw[TOKEN_RAW];
    for (int i = 0; i < 8; i++)
        raw[i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        raw[8 + i] = (unsigned char)(sub >> (24 - 8 * i));
    token_mac(q, raw, raw + 12);
    sodium_bin2base64(out, YIMA_LINK_PAGE_TOKEN, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Where the page starts: the token's place, once its MAC checks. */
static int token_read(query *q)
{
    unsigned char raw[TOKEN_RAW], mac[TOKEN_MAC];
    size_t n = 0;
    const char *t = q->opt->page_token;
    if (sodium_base642bin(raw, sizeof raw, t, strlen(t), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) || n != sizeof raw)
        return yima_err_set(q->err, YIMA_E_USAGE, "the page token is malformed");
    token_mac(q, raw, mac);
    if (sodium_memcmp(mac, raw + 12, TOKEN_MAC))
        return yima_err_set(q->err, YIMA_E_USAGE, "the page token is not one this store "
                            "gave for this query");
    uint64_t seq = 0;
    uint32_t sub = 0;
    for (int i = 0; i < 8; i++)
        seq = seq << 8 | raw[i];
    for (int i = 0; i < 4; i++)
        sub = sub << 8 | raw[8 + i];
    q->start_seq = (int64_t)seq;
    q->start_sub = sub;
    return YIMA_OK;
}

/* GS1's check digit of digits (without it). */
static char gs1_check(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (digits[n - 1 - i] - '0') * (i % 2 ? 1 : 3);
    return (char)('0' + (10 - sum % 10) % 10);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/* An SGTIN or SSCC EPC URI as the store's GS1 key, "(01)GTIN(21)SERIAL"
 * or "(00)SSCC", into out; 0 if uri is none. */
static int epc_key(const char *uri, char *out, size_t size)
{
    int sgtin = !strncmp(uri, "urn:epc:id:sgtin:", 17);
    if (!sgtin && strncmp(uri, "urn:epc:id:sscc:", 16))
        return 0;
    const char *cp = uri + (sgtin ? 17 : 16), *dot = strchr(cp, '.');
    const char *ref = dot ? dot + 1 : NULL, *dot2 = ref ? strchr(ref, '.') : NULL;
    size_t ncp = dot ? (size_t)(dot - cp) : 0;
    size_t nref = ref ? (dot2 ? (size_t)(dot2 - ref) : strlen(ref)) : 0;
    char d[19];
    if (!all_digits(cp, ncp) || !all_digits(ref, nref) || ncp + nref != (sgtin ? 13u : 17u) ||
        (sgtin != !!dot2))
        return 0;
    d[0] = ref[0]; /* the indicator or extension digit leads */
    memcpy(d + 1, cp, ncp);
    memcpy(d + 1 + ncp, ref + 1, nref - 1);
    d[ncp + nref] = gs1_check(d, ncp + nref);
    d[ncp + nref + 1] = '\0';
    if (!sgtin)
        return snprintf(out, size, "(00)%s", d) < (int)size;
    /* The serial, its %XX escapes undone. */
    char serial[64];
    size_t k = 0;
    for (const char *p = dot2 + 1; *p && k + 1 < sizeof serial; p++) {
        unsigned hi, lo;
        if (p[0] == '%' && sscanf(p + 1, "%1x%1x", &hi, &lo) == 2) {
            serial[k++] = (char)(hi << 4 | lo);
            p += 2;
        } else {
            serial[k++] = *p;
        }
    }
    serial[k] = '\0';
    return snprintf(out, size, "(01)%s(21)%s", d, serial) < (int)size;
}

/* An identifier as the code text the store keeps, into out: "" if it
 * names no code this store could hold. */
static void code_of(lk_parser *p, const char *v, char *out, size_t size)
{
    lk_code c;
    yima_err why;
    out[0] = '\0';
    if (!strncmp(v, "urn:yima:code:", 14))
        snprintf(out, size, "%s", v + 14);
    else if (!epc_key(v, out, size) && lk_code_lookup_text(p, v, strlen(v), &c, &why) == YIMA_OK)
        snprintf(out, size, "%.*s", (int)c.len, c.text);
}

/* The codes of l the store knows: their ids into ids (a JSON object keyed by
 * them, for the SQL), their identifiers as the export writes them into want. */
static int resolve(query *q, lk_exporter *x, const list *l, json_t *ids, json_t *want)
{
    lk_parser *p;
    lk_st *st;
    char code[YIMA_CODE_MAX + 64];
    int rc = lk_parser_create(&p, NULL, q->opt->template_text, q->err);
    if (rc)
        return rc;
    /* By the code index (schema 9), never a scan of codes. */
    if (lk_prepare(q->s, "SELECT id, code, payload, gcp FROM codes WHERE "
                   LK_CODE_KEYED("id", "?1") " AND code = ?2", &st) != LK_OK) {
        lk_parser_free(p);
        return lk_db_error(q->s, "query", q->err);
    }
    for (int i = 0; i < l->n; i++) {
        code_of(p, l->item[i], code, sizeof code);
        if (!*code)
            continue;
        lk_reset(st);
        lk_bind_int64(st, 1, lk_code_hash(code, strlen(code)));
        lk_bind_text(st, 2, code, -1);
        if (lk_step(st) != LK_ROW)
            continue;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)lk_column_int64(st, 0));
        json_object_set_new(ids, id, json_true());
        json_t *u = lk_export_uri(x, lk_column_text(st, 1), lk_column_text(st, 2),
                                  lk_column_int(st, 3));
        if (u)
            json_object_set_new(want, json_string_value(u), json_true());
        json_decref(u);
    }
    lk_finalize(st);
    lk_parser_free(p);
    return YIMA_OK;
}

static int bind_ids(query *q, lk_st *ev, int i, json_t *ids)
{
    char *text = json_dumps(ids, JSON_COMPACT);
    if (!text)
        return yima_err_set(q->err, YIMA_E_NOMEM, "out of memory");
    lk_bind_text_copy(ev, i, text, -1);
    free(text);
    return YIMA_OK;
}

static int begin(void *ctx, lk_exporter *x, lk_st *ev, const unsigned char store_id[16])
{
    query *q = ctx;
    int rc = YIMA_OK;
    memcpy(q->store_id, store_id, sizeof q->store_id);
    if (q->opt->page_token && (rc = token_read(q)))
        return rc;
    json_t *epc_ids = json_object(), *par_ids = json_object();
    if (q->epcs.text)
        rc = resolve(q, x, &q->epcs, epc_ids, q->want_epc);
    if (!rc && q->parents.text)
        rc = resolve(q, x, &q->parents, par_ids, q->want_parent);
    lk_bind_int64(ev, 1, q->opt->has_from ? q->opt->time_from : 0);
    lk_bind_int64(ev, 2, q->opt->has_to ? q->opt->time_to : 0);
    lk_bind_int64(ev, 3, q->start_seq > 0 ? q->start_seq - 1 : 0);
    lk_bind_int64(ev, 4, q->mask);
    if (!rc && q->epcs.text)
        rc = bind_ids(q, ev, EPC_PARAM, epc_ids);
    if (!rc && q->parents.text)
        rc = bind_ids(q, ev, PARENT_PARAM(q), par_ids);
    /* A code the store never saw matches nothing: no pass at all. */
    int none = !q->mask || (q->epcs.text && !json_object_size(epc_ids)) ||
               (q->parents.text && !json_object_size(par_ids));
    json_decref(epc_ids);
    json_decref(par_ids);
    return rc ? rc : none ? LK_SCAN_STOP : YIMA_OK;
}

static int wanted_in(json_t *want, json_t *array)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
        if (json_object_get(want, json_string_value(v)))
            return 1;
    return 0;
}

/* Whether an EPCIS event passes the filters the SQL cannot apply. */
static int matches(const query *q, json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (q->types.text && !in_list(&q->types, type, "", ""))
        return 0;
    if (q->steps.text && !in_list(&q->steps, json_string_value(json_object_get(ev, "bizStep")),
                                  "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"))
        return 0;
    if (q->disps.text &&
        !in_list(&q->disps, json_string_value(json_object_get(ev, "disposition")),
                 "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"))
        return 0;
    if (q->epcs.text && !wanted_in(q->want_epc, json_object_get(ev, "epcList")) &&
        !wanted_in(q->want_epc, json_object_get(ev, "childEPCs")))
        return 0;
    if (q->parents.text) {
        json_t *p = json_object_get(ev, "parentID");
        if (!p || !json_object_get(q->want_parent, json_string_value(p)))
            return 0;
    }
    return 1;
}

static int sink(void *ctx, json_t *ev, int64_t seq, uint32_t sub)
{
    query *q = ctx;
    int before = seq == q->start_seq && sub < q->start_sub;
    if (before || !matches(q, ev)) {
        json_decref(ev);
        return YIMA_OK;
    }
    if (json_array_size(q->events) == q->per_page) {
        /* One more: the next page starts here. */
        token_make(q, seq, sub, q->page->next);
        json_decref(ev);
        return LK_SCAN_STOP;
    }
    if (json_array_append_new(q->events, ev))
        return yima_err_set(q->err, YIMA_E_NOMEM, "out of memory");
    return YIMA_OK;
}

/* The SQL of q: the events table alone, or the events naming its codes. */
static char *query_sql(const query *q)
{
    int epc = q->epcs.text != NULL, par = q->parents.text != NULL;
    const char *from = epc && par ? "FROM (SELECT seq FROM hit_epc INTERSECT SELECT seq FROM "
                                    "hit_par) hit CROSS JOIN events e "
                       : epc ? "FROM hit_epc hit CROSS JOIN events e "
                       : par ? "FROM hit_par hit CROSS JOIN events e "
                             : "FROM events e ";
    char *hit_epc = NULL, *hit_par = NULL, *sql = NULL;
    if ((epc && asprintf(&hit_epc, HIT_EPC "%s", EPC_PARAM, par ? ", " : " ") < 0) ||
        (par && asprintf(&hit_par, HIT_PARENT " ", PARENT_PARAM(q)) < 0) ||
        asprintf(&sql, "%s%s%s%s%s" QUERY_BOUNDS, epc || par ? "WITH " : "",
                 hit_epc ? hit_epc : "", hit_par ? hit_par : "", lk_export_columns, from,
                 epc || par ? "e.seq = hit.seq AND " : "") < 0)
        sql = NULL;
    free(hit_epc);
    free(hit_par);
    return sql;
}

static int write_document(query *q, FILE *to)
{
    char now[96];
    lk_format_time((int64_t)time(NULL) * 1000, 0, now);
    json_t *doc = json_pack(
        "{s:[s,{s:s}],s:s,s:s,s:s,s:{s:{s:s,s:{s:O}}}}", "@context",
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", "yima", "urn:yima:",
        "type", "EPCISQueryDocument", "schemaVersion", "2.0", "creationDate", now, "epcisBody",
        "queryResults", "queryName", "SimpleEventQuery", "resultsBody", "eventList", q->events);
    int failed = !doc || json_dumpf(doc, to, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
                 fputc('\n', to) == EOF;
    json_decref(doc);
    return failed ? yima_err_set(q->err, YIMA_E_IO, "cannot write the query's answer")
                  : YIMA_OK;
}

static int split_all(query *q)
{
    const yima_link_query_options *o = q->opt;
    int rc = split(o->event_types, &q->types, q->err);
    rc = rc ? rc : split(o->epcs, &q->epcs, q->err);
    rc = rc ? rc : split(o->parents, &q->parents, q->err);
    rc = rc ? rc : split(o->biz_steps, &q->steps, q->err);
    return rc ? rc : split(o->dispositions, &q->disps, q->err);
}

int yima_link_query(yima_link *s, const yima_link_query_options *opt, FILE *to,
                    yima_link_query_page *page, yima_err *err)
{
    query q = {.opt = opt, .s = s, .err = err, .per_page = opt->per_page, .page = page};
    char *sql = NULL;
    memset(page, 0, sizeof *page);
    if (opt->per_page < 1 || opt->per_page > YIMA_LINK_PAGE_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "a page holds 1 to %d events, not %llu",
                            YIMA_LINK_PAGE_MAX, (unsigned long long)opt->per_page);
    int rc = split_all(&q);
    q.mask = type_mask(&q.types);
    fingerprint(&q);
    q.want_epc = json_object();
    q.want_parent = json_object();
    q.events = json_array();
    if (!rc && (!q.want_epc || !q.want_parent || !q.events || !(sql = query_sql(&q))))
        rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (!rc) {
        lk_export_scan scan = {sql, opt->template_text, opt->gcp_len, begin, sink, &q};
        rc = lk_export_scan_run(s, &scan, err);
    }
    page->events = json_array_size(q.events);
    rc = rc ? rc : write_document(&q, to);
    free(sql);
    json_decref(q.want_epc);
    json_decref(q.want_parent);
    json_decref(q.events);
    list_free(&q.types);
    list_free(&q.epcs);
    list_free(&q.parents);
    list_free(&q.steps);
    list_free(&q.disps);
    return rc;
}
