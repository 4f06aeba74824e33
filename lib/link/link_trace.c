/* SPDX-License-Identifier: MIT */
/* Reading the store: trace one code up and down, and summary counts. */
#include <string.h>
#include <jansson.h>
#include "link_internal.h"

static const char sql_info[] =
    "SELECT c.id, c.code, c.level, c.state, c.product, c.lot, c.expiry, c.payload, r.code, "
    " (SELECT shipment FROM events WHERE seq = c.shipped) "
    "FROM codes c LEFT JOIN codes r ON r.id = c.replaced_by "
    "WHERE " LK_CODE_KEYED("c.id", "?2") " AND c.code = ?1"; /* ?2 lk_code_hash(?1) */
static const char sql_up[] =
    "WITH RECURSIVE up(id, depth) AS (SELECT parent, 1 FROM codes WHERE id = ?1 "
    " UNION ALL SELECT c.parent, up.depth + 1 FROM codes c JOIN up ON c.id = up.id) "
    "SELECT c.code, c.level FROM up JOIN codes c ON c.id = up.id ORDER BY depth";
/* Depth first, each code right after its container: the path of row ids
 * from the traced code, fixed-width so that text order is tree order, is
 * the sort key. (0.1 ordered the recursion's queue instead, which SQLite
 * need not keep through the join: a pallet's items came after all its
 * cases.) */
#define TRACE_DOWN(padded_id)                                                               \
    "WITH RECURSIVE down(id, depth, path) AS (SELECT CAST(?1 AS bigint), 0, CAST('' AS text) " \
    " UNION ALL SELECT c.id, down.depth + 1, down.path || " padded_id                         \
    " FROM down JOIN codes c ON c.parent = down.id) "                                         \
    "SELECT c.code, c.level, p.code, down.depth FROM down JOIN codes c ON c.id = down.id "   \
    "LEFT JOIN codes p ON p.id = c.parent WHERE down.depth > 0 ORDER BY down.path"
/* The padding is the one text that differs (the dialects, link_store.c). */
const char lk_trace_down_sql[] = TRACE_DOWN("printf('%019d', c.id)");
const char lk_trace_down_pg_sql[] = TRACE_DOWN("lpad(c.id::text, 19, '0')");
static const char sql_history[] =
    "SELECT e.seq, e.id, e.type, e.time, e.tz, s.code, o.code, e.info, e.party, e.ship_to, "
    " e.shipment, e.user_name, e.station FROM events e "
    "JOIN codes s ON s.id = e.subject LEFT JOIN codes o ON o.id = e.other "
    "WHERE e.seq IN (SELECT seq FROM events WHERE subject = ?1 UNION "
    " SELECT seq FROM events WHERE other = ?1 UNION "
    " SELECT seq FROM event_codes WHERE code = ?1) ORDER BY e.seq";

static const char *col(lk_st *st, int i)
{
    return lk_column_text(st, i);
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int prep(yima_link *s, const char *sql, int64_t id, lk_st **st, yima_err *err)
{
    if (lk_prepare(s, sql, st) != LK_OK)
        return lk_db_error(s, "trace", err);
    lk_bind_int64(*st, 1, id);
    return YIMA_OK;
}

/* Runs sql for row id and hands every row to fn (text or JSON writer). */
static int each_row(yima_link *s, const char *sql, int64_t id,
                    void (*fn)(lk_st *, void *), void *arg, yima_err *err)
{
    lk_st *st;
    int rc = prep(s, sql, id, &st, err);
    if (rc)
        return rc;
    while ((rc = lk_step(st)) == LK_ROW)
        fn(st, arg);
    lk_finalize(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "trace", err);
}

static void text_up(lk_st *st, void *to)
{
    fprintf(to, "in         %s %s\n", yima_level_name(lk_column_int(st, 1)), col(st, 0));
}

static void text_down(lk_st *st, void *to)
{
    fprintf(to, "%*s%s %s\n", 2 + 2 * lk_column_int(st, 3), "",
            yima_level_name(lk_column_int(st, 1)), col(st, 0));
}

/* " to PARTY at SHIP_TO, shipment ID" of a SHIP, " by USER at STATION". */
static void text_who_where(lk_st *st, FILE *to)
{
    if (col(st, 10))
        fprintf(to, "  to %s at %s, shipment %s", col(st, 8), col(st, 9), col(st, 10));
    if (col(st, 11))
        fprintf(to, "  by %s", col(st, 11));
    if (col(st, 12))
        fprintf(to, "  at %s", col(st, 12));
}

static void text_history(lk_st *st, void *to)
{
    char when[96];
    lk_format_time(lk_column_int64(st, 3), lk_column_int(st, 4), when);
    fprintf(to, "  %s  %-12s %s  %s%s%s%s%s", when, lk_type_name(lk_column_int(st, 2)),
            col(st, 1), col(st, 5), col(st, 6) ? " -> " : "", col(st, 6) ? col(st, 6) : "",
            col(st, 7) ? "  " : "", col(st, 7) ? col(st, 7) : "");
    text_who_where(st, to);
    fputc('\n', to);
}

static void json_up(lk_st *st, void *arr)
{
    json_array_append_new(arr, json_pack("{s:s,s:s}", "code", col(st, 0), "level",
                                         yima_level_name(lk_column_int(st, 1))));
}

static void json_down(lk_st *st, void *arr)
{
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "code", col(st, 0), "level",
                                         yima_level_name(lk_column_int(st, 1)), "parent",
                                         col(st, 2)));
}

static void json_history(lk_st *st, void *arr)
{
    char when[96];
    lk_format_time(lk_column_int64(st, 3), lk_column_int(st, 4), when);
    json_t *e = json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)lk_column_int64(st, 0),
                          "id", col(st, 1), "type", lk_type_name(lk_column_int(st, 2)),
                          "time", when, "subject", col(st, 5));
    if (col(st, 6))
        json_object_set_new(e, "new", json_string(col(st, 6)));
    static const char *const names[] = {"reason", "party", "ship_to", "shipment", "user",
                                         "station"};
    for (int i = 0; i < 6; i++)
        if (col(st, 7 + i))
            json_object_set_new(e, names[i], json_string(col(st, 7 + i)));
    json_array_append_new(arr, e);
}

static void text_info(lk_st *st, FILE *to)
{
    static const char *const names[] = {"product", "lot", "expiry", "payload", "replaced by",
                                         "shipped"};
    fprintf(to, "code       %s\nlevel      %s\nstate      %s\n", col(st, 1),
            yima_level_name(lk_column_int(st, 2)), lk_state_name(lk_column_int(st, 3)));
    for (int i = 0; i < 6; i++)
        if (col(st, 4 + i))
            fprintf(to, "%-10s %s\n", names[i], col(st, 4 + i));
}

static json_t *json_info(lk_st *st)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "code", col(st, 1), "level",
                     yima_level_name(lk_column_int(st, 2)), "state",
                     lk_state_name(lk_column_int(st, 3)), "product", jstr(col(st, 4)), "lot",
                     jstr(col(st, 5)), "expiry", jstr(col(st, 6)), "payload", jstr(col(st, 7)),
                     "replaced_by", jstr(col(st, 8)), "shipped", jstr(col(st, 9)));
}

static int trace_json(yima_link *s, lk_st *info, int64_t id, FILE *to, yima_err *err)
{
    json_t *obj = json_info(info), *up = json_array(), *down = json_array(), *hist = json_array();
    json_object_set_new(obj, "up", up);
    json_object_set_new(obj, "down", down);
    json_object_set_new(obj, "history", hist);
    int rc = each_row(s, sql_up, id, json_up, up, err);
    rc = rc ? rc : each_row(s, s->dialect->trace_down, id, json_down, down, err);
    rc = rc ? rc : each_row(s, sql_history, id, json_history, hist, err);
    if (!rc && (json_dumpf(obj, to, JSON_COMPACT) || fputc('\n', to) == EOF))
        rc = yima_err_set(err, YIMA_E_IO, "writing the trace failed");
    json_decref(obj);
    return rc;
}

static int trace_text(yima_link *s, lk_st *info, int64_t id, FILE *to, yima_err *err)
{
    text_info(info, to);
    int rc = each_row(s, sql_up, id, text_up, to, err);
    fprintf(to, "contents\n");
    rc = rc ? rc : each_row(s, s->dialect->trace_down, id, text_down, to, err);
    fprintf(to, "history\n");
    return rc ? rc : each_row(s, sql_history, id, text_history, to, err);
}

static int trace_code(yima_link *s, const lk_code *c, int json, FILE *to, yima_err *err)
{
    lk_st *st = NULL;
    int rc = YIMA_OK;
    if (lk_prepare(s, sql_info, &st) != LK_OK)
        return lk_db_error(s, "trace", err);
    lk_bind_text(st, 1, c->text, (int)c->len);
    lk_bind_int64(st, 2, lk_code_hash(c->text, c->len));
    int step = lk_step(st);
    if (step == LK_DONE)
        rc = yima_err_set(err, YIMA_E_DATA, "code '%s' is not in the store", c->text);
    else if (step != LK_ROW)
        rc = lk_db_error(s, "trace", err);
    else
        rc = (json ? trace_json : trace_text)(s, st, lk_column_int64(st, 0), to, err);
    lk_finalize(st);
    return rc;
}

int yima_link_trace(yima_link *s, const char *code, const char *template_text, int json,
                    FILE *to, yima_err *err)
{
    lk_parser *p;
    lk_code c;
    int rc = lk_parser_create(&p, NULL, template_text, err);
    if (rc)
        return rc;
    rc = lk_code_lookup_text(p, code, strlen(code), &c, err);
    if (rc == YIMA_E_DATA)
        lk_escape_controls(err); /* one line, whatever was typed */
    /* Where the dialect says so (PostgreSQL) in one read transaction whose
     * rows are found by index: the recursion down hash-joined every code
     * otherwise. SQLite reads statement by statement (a transaction round
     * it cost a fifth of a pallet's trace). */
    const char *plan = s->dialect->by_index;
    if (!rc && plan && !(rc = lk_snapshot_begin(s, err))) {
        rc = lk_exec(s, plan, err);
        rc = rc ? rc : trace_code(s, &c, json, to, err);
        lk_snapshot_end(s);
    } else if (!rc) {
        rc = trace_code(s, &c, json, to, err);
    }
    lk_parser_free(p);
    return rc;
}

/* Fills counts[level][state] and events[type]. */
static int count(yima_link *s, const char *sql, int64_t *cells, int cols, int rows,
                 yima_err *err)
{
    lk_st *st;
    int rc;
    if (lk_prepare(s, sql, &st) != LK_OK)
        return lk_db_error(s, "stats", err);
    while ((rc = lk_step(st)) == LK_ROW) {
        int r = lk_column_int(st, 0), c = cols > 1 ? lk_column_int(st, 1) : 0;
        if (r >= 0 && r < rows && c >= 0 && c < cols)
            cells[r * cols + c] = lk_column_int64(st, cols > 1 ? 2 : 1);
    }
    lk_finalize(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "stats", err);
}

static int last_event(yima_link *s, json_t *obj, yima_err *err)
{
    lk_st *st;
    if (lk_prepare(s, "SELECT seq, id, type, time, tz FROM events ORDER BY seq DESC LIMIT 1",
                   &st) != LK_OK)
        return lk_db_error(s, "stats", err);
    int rc = lk_step(st);
    if (rc == LK_ROW) {
        char when[96];
        lk_format_time(lk_column_int64(st, 3), lk_column_int(st, 4), when);
        json_object_set_new(obj, "last_event",
                            json_pack("{s:I,s:s,s:s,s:s}", "seq",
                                      (json_int_t)lk_column_int64(st, 0), "id", col(st, 1),
                                      "type", lk_type_name(lk_column_int(st, 2)), "time",
                                      when));
    }
    lk_finalize(st);
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK : lk_db_error(s, "stats", err);
}

static void stats_text(json_t *o, const int64_t codes[3][4], FILE *to)
{
    fprintf(to, "%-16s %12s %12s %12s\n", "codes", "item", "case", "pallet");
    for (int st = 0; st < 4; st++)
        fprintf(to, "%-16s %12lld %12lld %12lld\n", lk_state_name(st), (long long)codes[0][st],
                (long long)codes[1][st], (long long)codes[2][st]);
    json_t *ev = json_object_get(o, "events"), *v;
    const char *k;
    fprintf(to, "events");
    json_object_foreach(ev, k, v)
        fprintf(to, "  %s %lld", k, (long long)json_integer_value(v));
    fprintf(to, "\nrejected         %lld\n", (long long)json_integer_value(json_object_get(o,
                                                                            "rejected")));
    json_t *last = json_object_get(o, "last_event");
    if (last)
        fprintf(to, "last event       %s %s %s (seq %lld)\n",
                json_string_value(json_object_get(last, "time")),
                json_string_value(json_object_get(last, "type")),
                json_string_value(json_object_get(last, "id")),
                (long long)json_integer_value(json_object_get(last, "seq")));
}

int yima_link_stats(yima_link *s, int json, FILE *to, yima_err *err)
{
    int64_t codes[3][4] = {{0}}, events[LK__TYPES] = {0}, rejected = 0;
    int rc = count(s, "SELECT level, state, count(*) FROM codes GROUP BY 1, 2", &codes[0][0], 4,
                   3, err);
    rc = rc ? rc : count(s, "SELECT type, count(*) FROM events GROUP BY 1", events, 1, LK__TYPES,
                         err);
    rc = rc ? rc : count(s, "SELECT 0, count(*) FROM rejects", &rejected, 1, 1, err);
    json_t *o = json_object(), *c = json_object(), *e = json_object();
    for (int l = 0; l < 3; l++) {
        json_t *row = json_object();
        for (int st = 0; st < 4; st++)
            json_object_set_new(row, lk_state_name(st), json_integer(codes[l][st]));
        json_object_set_new(c, yima_level_name(l), row);
    }
    for (int t = LK_COMMISSION; t < LK__TYPES; t++)
        json_object_set_new(e, lk_type_name(t), json_integer(events[t]));
    json_object_set_new(o, "schema", json_integer(YIMA_LINK_SCHEMA));
    json_object_set_new(o, "codes", c);
    json_object_set_new(o, "events", e);
    json_object_set_new(o, "rejected", json_integer(rejected));
    rc = rc ? rc : last_event(s, o, err);
    if (!rc && json) {
        json_dumpf(o, to, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', to);
    } else if (!rc) {
        stats_text(o, (const int64_t(*)[4])codes, to);
    }
    json_decref(o);
    return rc;
}
