/* SPDX-License-Identifier: MIT */
/*
 * The event log out of the store: TSV in the import format, or an EPCIS 2.0
 * JSON-LD document. Events stream one at a time, so memory stays constant
 * however large the store.
 */
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include "link_internal.h"
#include "io.h"

/* The columns of an exported event, in E_ order. */
#define EVENT_COLUMNS                                                                       \
    "SELECT e.seq, e.id, e.type, e.time, e.tz, s.code, s.payload, o.code, o.payload, e.info,"  \
    " s.product, s.lot, s.expiry, e.subject, s.gcp, o.gcp, e.read_point, e.location,"       \
    " e.user_name, e.station, e.party, e.ship_to, e.shipment "
const char lk_export_columns[] = EVENT_COLUMNS;
/* ?1 from, ?2 to (times, 0: open), ?3 the last seq already sent. */
#define EVENT_BOUNDS                                                                        \
    "WHERE e.seq > ?3 AND (CAST(?1 AS bigint) = 0 OR e.time >= ?1) "                       \
    "AND (CAST(?2 AS bigint) = 0 OR e.time < ?2) ORDER BY e.seq"

/* Every event after seq ?3: a range of the rowid. */
const char lk_export_all_sql[] =
    EVENT_COLUMNS "FROM events e JOIN codes s ON s.id = e.subject "
    "LEFT JOIN codes o ON o.id = e.other " EVENT_BOUNDS;

/* ?4 lot, ?5 subtree code, ?6 lk_code_hash(?5). sel is the codes an event
 * must touch: the subtree (and, with a lot too, only its codes of that lot
 * or holding it), or the lot's codes and every container above them. The
 * events are found from sel through the indexes on events.subject,
 * events.other and event_codes.code, so the cost follows what is exported,
 * not the store. SQLite's text pins the join order with CROSS JOIN, which
 * PostgreSQL has no ON for; PostgreSQL must be told ?4 and ?5 are text. */
#define EXPORT_FILTERED(cross, lot, tree)                                                \
    "WITH RECURSIVE "                                                                       \
    " down(id) AS (SELECT id FROM codes WHERE " LK_CODE_KEYED("id", "?6")                   \
    "  AND code = ?5"                                                                       \
    "  UNION SELECT c.id FROM codes c JOIN down ON c.parent = down.id), "                   \
    " up(id) AS (SELECT id FROM codes WHERE lot = ?4 "                                      \
    "  UNION SELECT c.parent FROM codes c JOIN up ON c.id = up.id WHERE c.parent IS NOT NULL), " \
    " sel(id) AS MATERIALIZED (SELECT id FROM down WHERE " lot " IS NULL OR id IN "       \
    "  (SELECT id FROM up) UNION SELECT id FROM up WHERE " tree " IS NULL), "              \
    " hit(seq) AS MATERIALIZED (SELECT x.seq FROM sel " cross " events x ON x.subject = sel.id" \
    "  UNION SELECT x.seq FROM sel " cross " events x ON x.other = sel.id"                  \
    "  UNION SELECT ec.seq FROM sel " cross " event_codes ec ON ec.code = sel.id) "         \
    EVENT_COLUMNS "FROM hit " cross " events e ON e.seq = hit.seq "                         \
    "JOIN codes s ON s.id = e.subject LEFT JOIN codes o ON o.id = e.other " EVENT_BOUNDS
const char lk_export_filtered_sql[] = EXPORT_FILTERED("CROSS JOIN", "?4", "?5");
const char lk_export_filtered_pg_sql[] = EXPORT_FILTERED("JOIN", "CAST(?4 AS text)",
                                                         "CAST(?5 AS text)");
enum { E_SEQ, E_ID, E_TYPE, E_TIME, E_TZ, E_CODE, E_PAYLOAD, E_OTHER, E_OTHER_PAYLOAD, E_INFO,
       E_PRODUCT, E_LOT, E_EXPIRY, E_SUBJECT, E_GCP, E_OTHER_GCP, E_READ_POINT, E_LOCATION,
       E_USER, E_STATION, E_PARTY, E_SHIP_TO, E_SHIPMENT };

/* An event's codes (children, or REPLACE's old code and handed-over
 * children) with the parent each had before. */
static const char sql_codes[] =
    "SELECT c.code, c.payload, p.code, p.payload, ec.code, c.gcp, p.gcp FROM event_codes ec "
    "JOIN codes c ON c.id = ec.code LEFT JOIN codes p ON p.id = ec.prev_parent "
    "WHERE ec.seq = ?1 ORDER BY ec.code";
enum { C_CODE, C_PAYLOAD, C_PREV, C_PREV_PAYLOAD, C_ID, C_GCP, C_PREV_GCP };

typedef struct exporter {
    yima_link *s;
    const yima_link_export_options *opt;
    yima_out *out;
    lk_st *ev, *codes;
    uint64_t written; /* store events */
    uint64_t items;   /* JSON events, for the separators */
    char *prefix, *suffix; /* template around {code} */
    unsigned char store_id[16]; /* meta.store_id: names the EPCIS events */
    uint32_t sub;          /* EPCIS events made so far for the current store event */
    const lk_export_scan *scan; /* a query's: events go to its sink, not out */
    uint32_t put;          /* EPCIS events put so far for the current store event */
    int stopped;           /* the sink has what it wants */
    yima_buf line;
    yima_err *err;
} exporter;

static const char *col(lk_st *st, int i)
{
    return lk_column_text(st, i);
}

/* A company prefix length column (NULL: 0, unknown). */
#define GCP(st, i) lk_column_int(st, i)

static int emit(exporter *x, const void *p, size_t n)
{
    return yima_out_write(x->out, p, n, x->err);
}

/* ---- TSV ---- */

/* A tab and s ("-" for NULL): YIMA_OK or YIMA_E_NOMEM. */
static int field(yima_buf *b, const char *s)
{
    s = s ? s : "-";
    return yima_buf_append(b, "\t", 1) ? YIMA_E_NOMEM : yima_buf_append(b, s, strlen(s));
}

/* The who-and-where fields ("user=NAME") an event recorded, before its type. */
static int tsv_context(yima_buf *b, lk_st *e)
{
    static const int cols[LK_CTX__COUNT] = {E_USER, E_STATION, E_READ_POINT, E_LOCATION};
    int oom = 0;
    for (int i = 0; i < LK_CTX__COUNT && !oom; i++) {
        const char *v = col(e, cols[i]);
        if (v)
            oom = yima_buf_append(b, "\t", 1) ||
                  yima_buf_append(b, lk_ctx_names[i], strlen(lk_ctx_names[i])) ||
                  yima_buf_append(b, "=", 1) || yima_buf_append(b, v, strlen(v));
    }
    return oom;
}

static int tsv_event(exporter *x)
{
    lk_st *e = x->ev, *c = x->codes;
    int type = lk_column_int(e, E_TYPE), oom;
    char when[96];
    yima_buf *b = &x->line;
    b->len = 0;
    lk_format_time(lk_column_int64(e, E_TIME), lk_column_int(e, E_TZ), when);
    oom = yima_buf_append(b, "@", 1) || yima_buf_append(b, col(e, E_ID), strlen(col(e, E_ID))) ||
          field(b, when) || tsv_context(b, e) || field(b, lk_type_name(type)) ||
          field(b, col(e, E_CODE));
    if (type == LK_SHIP)
        oom = oom || field(b, col(e, E_PARTY)) || field(b, col(e, E_SHIP_TO)) ||
              field(b, col(e, E_SHIPMENT));
    else if (type == LK_COMMISSION)
        oom = oom || field(b, col(e, E_PRODUCT)) || field(b, col(e, E_LOT)) ||
              field(b, col(e, E_EXPIRY));
    else if (type == LK_REPLACE)
        oom = oom || field(b, col(e, E_OTHER));
    else if (type == LK_DECOMMISSION)
        oom = oom || field(b, col(e, E_INFO));
    else if (type == LK_PACK || type == LK_UNPACK)
        while (!oom && lk_step(c) == LK_ROW)
            oom = field(b, col(c, C_CODE)) != YIMA_OK;
    if (oom || yima_buf_append(b, "\n", 1))
        return yima_err_set(x->err, YIMA_E_NOMEM, "out of memory");
    return emit(x, b->data, b->len);
}

/* ---- EPCIS 2.0 ---- */

/* A GS1 code by its store key: an EPC URI when its company prefix length
 * is known (the store's, else the export's), else a GS1 Digital Link URI
 * on GS1's resolver, the form EPCIS 2.0 prefers. */
static json_t *gs1_uri(exporter *x, const char *code, int gcp)
{
    yima_gs1 g;
    yima_err e;
    char out[YIMA_GS1_TEXT_MAX];
    if (yima_gs1_parse(code, strlen(code), &g, &e) != YIMA_OK)
        return json_sprintf("urn:yima:code:%s", code); /* not written by this yima */
    gcp = gcp ? gcp : x->opt->gcp_len;
    if (gcp && yima_gs1_epc_uri(&g, gcp, out, sizeof out, &e))
        return json_string(out);
    if (yima_gs1_dl_format(&g, "https://id.gs1.org", out, sizeof out))
        return json_string(out);
    return json_sprintf("urn:yima:code:%s", code);
}

static int is_gs1_key(const char *code)
{
    return code[0] == '(';
}

static json_t *uri(exporter *x, const char *code, const char *payload, int gcp)
{
    if (is_gs1_key(code))
        return gs1_uri(x, code, gcp);
    if (x->prefix)
        return json_sprintf("%s%s%s", x->prefix, code, x->suffix);
    if (payload)
        return json_string(payload);
    /* No payload known: a URN still names the code unambiguously. */
    return json_sprintf("urn:yima:code:%s", code);
}

/* The eventID of the next EPCIS event of the current store event: a
 * name-based UUID (RFC 9562 version 8) of BLAKE2b-128 over the store's id,
 * the event's sequence number and its place among the EPCIS events made
 * from it. The same store exports the same ids every time; two stores
 * never share one. */
static json_t *event_id(exporter *x)
{
    static const char domain[] = "yima-epcis-event";
    unsigned char in[sizeof domain - 1 + 16 + 8 + 4], h[16];
    uint64_t seq = (uint64_t)lk_column_int64(x->ev, E_SEQ);
    uint32_t sub = x->sub++;
    size_t n = sizeof domain - 1;
    memcpy(in, domain, n);
    memcpy(in + n, x->store_id, 16);
    n += 16;
    for (int i = 7; i >= 0; i--)
        in[n++] = (unsigned char)(seq >> (8 * i));
    for (int i = 3; i >= 0; i--)
        in[n++] = (unsigned char)(sub >> (8 * i));
    crypto_generichash(h, sizeof h, in, n, NULL, 0);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8 */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    return json_sprintf("urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                        "%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4], h[5], h[6],
                        h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

static json_t *base_event(exporter *x, const char *type, const char *action,
                          const char *biz_step, const char *disposition)
{
    lk_st *e = x->ev;
    char when[96], tz[8];
    lk_format_time(lk_column_int64(e, E_TIME), lk_column_int(e, E_TZ), when);
    lk_format_tz(lk_column_int(e, E_TZ), tz);
    json_t *ev = json_pack("{s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "eventID",
                           event_id(x), "eventTime", when, "eventTimeZoneOffset", tz, "action",
                           action, "bizStep", biz_step, "disposition", disposition,
                           "yima:eventID", col(e, E_ID));
    if (ev && col(e, E_READ_POINT))
        json_object_set_new(ev, "readPoint", json_pack("{s:s}", "id", col(e, E_READ_POINT)));
    if (ev && col(e, E_LOCATION))
        json_object_set_new(ev, "bizLocation", json_pack("{s:s}", "id", col(e, E_LOCATION)));
    /* Who and which station: EPCIS 2.0 has no field for them. */
    if (ev && col(e, E_USER))
        json_object_set_new(ev, "yima:user", json_string(col(e, E_USER)));
    if (ev && col(e, E_STATION))
        json_object_set_new(ev, "yima:station", json_string(col(e, E_STATION)));
    return ev;
}

static json_t *object_event(exporter *x, const char *action, const char *step,
                            const char *disposition, const char *code, const char *payload,
                            int gcp)
{
    json_t *ev = base_event(x, "ObjectEvent", action, step, disposition);
    json_object_set_new(ev, "epcList", json_pack("[o]", uri(x, code, payload, gcp)));
    return ev;
}

static json_t *aggregation(exporter *x, const char *action, const char *step,
                           const char *parent, const char *parent_payload, int gcp)
{
    json_t *ev = base_event(x, "AggregationEvent", action, step, "in_progress");
    json_object_set_new(ev, "parentID", uri(x, parent, parent_payload, gcp));
    json_object_set_new(ev, "childEPCs", json_array());
    return ev;
}

static int put_event(exporter *x, json_t *ev)
{
    if (x->scan && x->stopped) {
        json_decref(ev); /* the rest of the store event the sink stopped in */
        return YIMA_OK;
    }
    if (x->scan) {
        int64_t seq = lk_column_int64(x->ev, E_SEQ);
        int rc = ev ? x->scan->sink(x->scan->ctx, ev, seq, x->put++)
                    : yima_err_set(x->err, YIMA_E_NOMEM, "out of memory");
        x->stopped |= rc == LK_SCAN_STOP;
        return rc == LK_SCAN_STOP ? YIMA_OK : rc;
    }
    char *text = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(ev);
    if (!text)
        return yima_err_set(x->err, YIMA_E_NOMEM, "out of memory");
    int rc = x->items++ ? emit(x, ",\n", 2) : emit(x, "\n", 1);
    rc = rc ? rc : emit(x, text, strlen(text));
    free(text);
    return rc;
}

/* The subject's lot, expiry and product as ILMD: a commissioned code's, or
 * the old label's that a replacement carries on. */
static void add_ilmd(json_t *ev, lk_st *e)
{
    json_t *ilmd = json_object();
    /* A GS1 case or pallet (SSCC) may be commissioned without lot or product. */
    if (col(e, E_LOT))
        json_object_set_new(ilmd, "cbvmda:lotNumber", json_string(col(e, E_LOT)));
    if (col(e, E_EXPIRY))
        json_object_set_new(ilmd, "cbvmda:itemExpirationDate", json_string(col(e, E_EXPIRY)));
    if (col(e, E_PRODUCT))
        json_object_set_new(ilmd, "yima:product", json_string(col(e, E_PRODUCT)));
    if (json_object_size(ilmd))
        json_object_set_new(ev, "ilmd", ilmd);
    else
        json_decref(ilmd);
}

static json_t *commission(exporter *x)
{
    lk_st *e = x->ev;
    json_t *ev = object_event(x, "ADD", "commissioning", "active", col(e, E_CODE),
                              col(e, E_PAYLOAD), GCP(e, E_GCP));
    add_ilmd(ev, e);
    return ev;
}

/* SHIP: an ObjectEvent OBSERVE (shipping, in_transit) naming the despatch
 * advice and where it goes; RECEIVE and RETURN: receiving, in_progress or
 * returned. What a shipped pallet holds follows from the aggregation
 * events. */
static json_t *shipping(exporter *x, int type)
{
    lk_st *e = x->ev;
    const char *step = type == LK_SHIP ? "shipping" : "receiving";
    const char *disp = type == LK_SHIP ? "in_transit" : type == LK_RECEIVE ? "in_progress"
                                                                             : "returned";
    json_t *ev = object_event(x, "OBSERVE", step, disp, col(e, E_CODE), col(e, E_PAYLOAD),
                              GCP(e, E_GCP));
    if (type != LK_SHIP)
        return ev;
    json_object_set_new(ev, "bizTransactionList",
                        json_pack("[{s:s,s:s}]", "type", "desadv", "bizTransaction",
                                  col(e, E_SHIPMENT)));
    json_object_set_new(ev, "destinationList",
                        json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "owning_party",
                                  "destination", col(e, E_PARTY), "type", "location",
                                  "destination", col(e, E_SHIP_TO)));
    return ev;
}

static int flush_group(exporter *x, json_t **group)
{
    int rc = *group ? put_event(x, *group) : YIMA_OK;
    *group = NULL;
    return rc;
}

/* PACK: DELETE from each previous parent (a move), then ADD. UNPACK and
 * the aggregation side of REPLACE and DECOMMISSION follow the same shape. */
static int aggregation_events(exporter *x, int type)
{
    lk_st *e = x->ev, *c = x->codes;
    const char *parent = col(e, E_CODE), *parent_payload = col(e, E_PAYLOAD);
    int64_t subject = lk_column_int64(e, E_SUBJECT);
    int pgcp = GCP(e, E_GCP);
    json_t *add = NULL, *del = NULL, *old_del = NULL, *new_add = NULL;
    int rc = YIMA_OK;
    if (type == LK_PACK)
        add = aggregation(x, "ADD", "packing", parent, parent_payload, pgcp);
    else if (type == LK_UNPACK)
        del = aggregation(x, "DELETE", "unpacking", parent, parent_payload, pgcp);
    while (!rc && lk_step(c) == LK_ROW) {
        json_t *child = uri(x, col(c, C_CODE), col(c, C_PAYLOAD), GCP(c, C_GCP));
        int is_subject = lk_column_int64(c, C_ID) == subject;
        if (type == LK_PACK && col(c, C_PREV)) {
            /* One DELETE per child is simple and still valid EPCIS. */
            json_t *d = aggregation(x, "DELETE", "unpacking", col(c, C_PREV),
                                    col(c, C_PREV_PAYLOAD), GCP(c, C_PREV_GCP));
            json_array_append(json_object_get(d, "childEPCs"), child);
            rc = put_event(x, d);
        }
        if (type == LK_PACK)
            json_array_append(json_object_get(add, "childEPCs"), child);
        else if (type == LK_UNPACK)
            json_array_append(json_object_get(del, "childEPCs"), child);
        else if (is_subject && col(c, C_PREV)) {
            /* The relabelled or decommissioned code leaves its container. */
            json_t *d = aggregation(x, "DELETE", "removing", col(c, C_PREV),
                                    col(c, C_PREV_PAYLOAD), GCP(c, C_PREV_GCP));
            json_array_append(json_object_get(d, "childEPCs"), child);
            rc = put_event(x, d);
            if (!rc && type == LK_REPLACE) {
                json_t *a = aggregation(x, "ADD", "replacing", col(c, C_PREV),
                                        col(c, C_PREV_PAYLOAD), GCP(c, C_PREV_GCP));
                json_array_append_new(json_object_get(a, "childEPCs"),
                                      uri(x, col(e, E_OTHER), col(e, E_OTHER_PAYLOAD),
                                          GCP(e, E_OTHER_GCP)));
                rc = put_event(x, a);
            }
        } else if (!is_subject && type == LK_REPLACE) {
            if (!old_del) {
                old_del = aggregation(x, "DELETE", "replacing", parent, parent_payload, pgcp);
                new_add = aggregation(x, "ADD", "replacing", col(e, E_OTHER),
                                      col(e, E_OTHER_PAYLOAD), GCP(e, E_OTHER_GCP));
            }
            json_array_append(json_object_get(old_del, "childEPCs"), child);
            json_array_append(json_object_get(new_add, "childEPCs"), child);
        }
        json_decref(child);
    }
    /* Deletions before additions: a reader replaying them must see the
     * child leave one container before it enters the next. */
    rc = rc ? rc : flush_group(x, &del);
    rc = rc ? rc : flush_group(x, &old_del);
    rc = rc ? rc : flush_group(x, &new_add);
    rc = rc ? rc : flush_group(x, &add);
    json_decref(add);
    json_decref(del);
    json_decref(old_del);
    json_decref(new_add);
    return rc;
}

static int epcis_event(exporter *x)
{
    lk_st *e = x->ev;
    int type = lk_column_int(e, E_TYPE);
    int rc = YIMA_OK;
    if (type == LK_COMMISSION)
        return put_event(x, commission(x));
    if (type == LK_SHIP || type == LK_RECEIVE || type == LK_RETURN)
        return put_event(x, shipping(x, type));
    if (type == LK_REPLACE) {
        json_t *del = object_event(x, "DELETE", "decommissioning", "inactive", col(e, E_CODE),
                                   col(e, E_PAYLOAD), GCP(e, E_GCP));
        json_t *add = object_event(x, "ADD", "replacing", "active", col(e, E_OTHER),
                                   col(e, E_OTHER_PAYLOAD), GCP(e, E_OTHER_GCP));
        json_object_set_new(add, "yima:replaces",
                            uri(x, col(e, E_CODE), col(e, E_PAYLOAD), GCP(e, E_GCP)));
        add_ilmd(add, e); /* the old label's, carried over */
        rc = put_event(x, del);
        rc = rc ? rc : put_event(x, add);
    }
    rc = rc ? rc : aggregation_events(x, type);
    if (!rc && type == LK_DECOMMISSION) {
        const char *step, *disp, *reason = col(e, E_INFO);
        lk_reason_cbv(reason ? lk_reason_parse(reason, strlen(reason)) : NULL, &step, &disp);
        json_t *ev = object_event(x, "DELETE", step, disp, col(e, E_CODE), col(e, E_PAYLOAD),
                                  GCP(e, E_GCP));
        if (reason)
            json_object_set_new(ev, "yima:reason", json_string(reason));
        rc = put_event(x, ev);
    }
    return rc;
}

static int epcis_head(exporter *x)
{
    char now[96], head[512];
    lk_format_time((int64_t)time(NULL) * 1000, 0, now);
    int n = snprintf(head, sizeof head,
                     "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/"
                     "epcis-context.jsonld\",{\"yima\":\"urn:yima:\"}],"
                     "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
                     "\"creationDate\":\"%s\",\"epcisBody\":{\"eventList\":[", now);
    return emit(x, head, (size_t)n);
}

static int run(exporter *x)
{
    const yima_link_export_options *o = x->opt;
    int epcis = o->format == YIMA_LINK_EXPORT_EPCIS, rc = YIMA_OK, step;
    uint64_t events = 0;
    lk_bind_int64(x->ev, 1, o->time_from);
    lk_bind_int64(x->ev, 2, o->time_to);
    lk_bind_int64(x->ev, 3, o->after);
    if (o->lot)
        lk_bind_text(x->ev, 4, o->lot, -1);
    if (o->subtree) {
        lk_bind_text(x->ev, 5, o->subtree, -1);
        lk_bind_int64(x->ev, 6, lk_code_hash(o->subtree, strlen(o->subtree)));
    }
    if (epcis)
        rc = epcis_head(x);
    while (!rc && (step = lk_step(x->ev)) == LK_ROW) {
        lk_reset(x->codes);
        lk_bind_int64(x->codes, 1, lk_column_int64(x->ev, E_SEQ));
        x->sub = 0;
        rc = epcis ? epcis_event(x) : tsv_event(x);
        events++;
    }
    if (!rc && step != LK_DONE)
        rc = lk_db_error(x->s, "export", x->err);
    if (!rc && epcis)
        rc = emit(x, "\n]}}\n", 5);
    x->written = events;
    return rc;
}

void yima_link_export_options_init(yima_link_export_options *opt)
{
    memset(opt, 0, sizeof *opt);
}

/* The subtree root as stored: canonical text, from a code or payload. */
static int subtree_code(const yima_link_export_options *opt, char *out, size_t size,
                        yima_err *err)
{
    lk_parser *p;
    lk_code c;
    yima_err why;
    int rc = lk_parser_create(&p, NULL, opt->template_text, err);
    if (rc)
        return rc;
    if ((rc = lk_code_lookup_text(p, opt->subtree, strlen(opt->subtree), &c, &why)))
        rc = rc == YIMA_E_DATA ? yima_err_set(err, YIMA_E_USAGE, "subtree root: %s", why.msg)
                               : yima_err_set(err, rc, "%s", why.msg);
    else
        snprintf(out, size, "%.*s", (int)c.len, c.text);
    lk_parser_free(p);
    return rc;
}

static int load_store_id(exporter *x)
{
    lk_st *st;
    int rc = YIMA_E_STORE;
    if (lk_prepare(x->s, "SELECT value FROM meta WHERE key = 'store_id'", &st) != LK_OK)
        return rc;
    if (lk_step(st) == LK_ROW && lk_column_bytes(st, 0) == 16) {
        memcpy(x->store_id, lk_column_blob(st, 0), 16);
        rc = YIMA_OK;
    }
    lk_finalize(st);
    return rc;
}

/* The identifiers' template: the store's, which a given one must match,
 * else the given one (NULL: payloads, or urn:yima:code:). */
static int pick_template(exporter *x, yima_err *err)
{
    char *kept;
    const char *given = x->opt->template_text;
    int rc = lk_template_get(x->s, &kept, err);
    if (!rc && kept && given && strcmp(kept, given))
        rc = lk_template_conflict(x->s, kept, given, err);
    const char *t = kept ? kept : given;
    if (!rc && t) {
        const char *slot = strstr(t, "{code}");
        x->prefix = slot ? strndup(t, (size_t)(slot - t)) : NULL;
        x->suffix = slot ? strdup(slot + 6) : NULL;
        if (!x->prefix || !x->suffix)
            rc = slot ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
                      : yima_err_set(err, YIMA_E_STORE, "%s: the store's template '%s' has no "
                                     "{code}", x->s->path, t);
    }
    free(kept);
    return rc;
}

/* The feed's bookmark: written only after the export itself, so a crash
 * between the two sends events twice, never misses one. */
static int write_seq(const char *path, int64_t seq, yima_err *err)
{
    yima_out *out;
    char line[32];
    int n = snprintf(line, sizeof line, "%lld\n", (long long)seq);
    int rc = yima_out_open(&out, path, 1, 0, err);
    if (rc)
        return rc;
    if ((rc = yima_out_write(out, line, (size_t)n, err))) {
        yima_out_abort(out);
        return rc;
    }
    return yima_out_commit(out, NULL, err);
}

/* The last event in the snapshot: everything up to it was considered. */
static int last_seq(exporter *x, int64_t *seq)
{
    lk_st *st;
    *seq = 0;
    if (lk_prepare(x->s, "SELECT max(seq) FROM events", &st) != LK_OK)
        return lk_db_error(x->s, "export", x->err);
    if (lk_step(st) == LK_ROW)
        *seq = lk_column_int64(st, 0);
    lk_finalize(st);
    return YIMA_OK;
}

int yima_link_export(yima_link *s, const yima_link_export_options *opt,
                     yima_link_export_summary *sum, yima_err *err)
{
    exporter x = {.s = s, .opt = opt, .err = err};
    yima_link_export_options o = *opt;
    char root[YIMA_CODE_MAX];
    int64_t last = 0;
    int rc = YIMA_OK;
    if (opt->subtree && (rc = subtree_code(opt, root, sizeof root, err)))
        return rc;
    if (opt->subtree)
        o.subtree = root;
    x.opt = &o;
    if (opt->template_text && (rc = yima_template_check(opt->template_text, err)))
        return rc;
    const char *sql = o.lot || o.subtree ? s->dialect->export_filtered : lk_export_all_sql;
    /* One read transaction: the document is one consistent snapshot even
     * while the line keeps importing. */
    const char *plan = sql == lk_export_all_sql ? NULL : s->dialect->by_index;
    if (!(rc = lk_snapshot_begin(s, err))) {
        if ((plan && lk_exec(s, plan, err)) || load_store_id(&x) != YIMA_OK ||
            lk_prepare_stream(s, sql, &x.ev) != LK_OK ||
            lk_prepare(s, sql_codes, &x.codes) != LK_OK)
            rc = lk_db_error(s, "export", err);
        rc = rc ? rc : pick_template(&x, err);
        rc = rc ? rc : last_seq(&x, &last);
        if (!rc && !(rc = yima_out_open(&x.out, opt->output, opt->force, 0, err)))
            rc = run(&x);
        lk_snapshot_end(s);
    }
    if (!rc) {
        rc = yima_out_commit(x.out, NULL, err);
        x.out = NULL;
    }
    yima_out_abort(x.out);
    lk_finalize(x.ev);
    lk_finalize(x.codes);
    yima_buf_free(&x.line);
    free(x.prefix);
    free(x.suffix);
    last = last > o.after ? last : o.after;
    if (!rc && opt->seq_output)
        rc = write_seq(opt->seq_output, last, err);
    if (sum) {
        sum->events = x.written;
        sum->last_seq = last;
    }
    return rc;
}

json_t *lk_export_uri(lk_exporter *x, const char *code, const char *payload, int gcp)
{
    return uri(x, code, payload, gcp);
}

/* A store event's EPCIS events to the scan's sink, until it stops: the
 * rest of this store event's are made (and dropped) first. */
static int scan_rows(exporter *x)
{
    int rc = YIMA_OK, step = LK_DONE;
    while (!rc && !x->stopped && (step = lk_step(x->ev)) == LK_ROW) {
        lk_reset(x->codes);
        lk_bind_int64(x->codes, 1, lk_column_int64(x->ev, E_SEQ));
        x->sub = 0;
        x->put = 0;
        rc = epcis_event(x);
        x->written++;
    }
    if (!rc && !x->stopped && step != LK_DONE)
        rc = lk_db_error(x->s, "query", x->err);
    return rc;
}

int lk_export_scan_run(yima_link *s, const lk_export_scan *scan, yima_err *err)
{
    yima_link_export_options o;
    yima_link_export_options_init(&o);
    o.format = YIMA_LINK_EXPORT_EPCIS;
    o.template_text = scan->template_text;
    o.gcp_len = scan->gcp_len;
    exporter x = {.s = s, .opt = &o, .err = err, .scan = scan};
    int rc = scan->template_text ? yima_template_check(scan->template_text, err) : YIMA_OK;
    if (rc || (rc = lk_snapshot_begin(s, err)))
        return rc;
    if (load_store_id(&x) != YIMA_OK || lk_prepare_stream(s, scan->sql, &x.ev) != LK_OK ||
        lk_prepare(s, sql_codes, &x.codes) != LK_OK)
        rc = lk_db_error(s, "query", err);
    rc = rc ? rc : pick_template(&x, err);
    rc = rc ? rc : scan->begin(scan->ctx, &x, x.ev, x.store_id);
    rc = rc == LK_SCAN_STOP ? YIMA_OK : rc ? rc : scan_rows(&x);
    lk_snapshot_end(s);
    lk_finalize(x.ev);
    lk_finalize(x.codes);
    free(x.prefix);
    free(x.suffix);
    return rc;
}
