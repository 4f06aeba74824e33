/* SPDX-License-Identifier: MIT */
/*
 * yima_link_migrate: a store copied into an empty one, SQLite or PostgreSQL
 * either way (yima-link(1), MIGRATE). Every table goes over verbatim, ids,
 * seqs and the audit trail's hashes included (never recomputed), so the
 * copy is the same store: its EPCIS event ids and signed checkpoints stay
 * valid. The source is read in one snapshot; the copy is one transaction
 * of the destination, committed only once its chain audits intact up to
 * the source's head, so a failed or killed migrate leaves it empty.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "link_internal.h"

/* Rows one INSERT carries: on PostgreSQL each statement is a round trip,
 * so one row at a time would copy a million events in an hour. At most
 * BATCH_PARAMS parameters: libpq refuses a statement's description (4
 * bytes a parameter) longer than 30,000 bytes. */
#define BATCH_ROWS 500
#define BATCH_PARAMS 6000

/* A table and how to read it. kinds: a letter per column, i integer, t
 * text, b bytes, m meta.value (text for the template, bytes otherwise,
 * as the store writes them). */
typedef struct table_spec {
    const char *name, *columns, *kinds;
    const char *from;  /* the source's rows, in key order */
    const char *sql;   /* NULL: a multi-row INSERT of columns; else run once a row */
} table_spec;

#define CODES_COLUMNS                                                                       \
    "id, code, level, state, parent, product, lot, expiry, payload, replaced_by, h, gcp"
#define EVENTS_COLUMNS                                                                      \
    "seq, id, digest, type, time, tz, subject, other, info, read_point, location, "         \
    "user_name, station, party, ship_to, shipment, hash, chain"
#define TOKENS_COLUMNS "name, role, hash, created, revoked"
#define CAPTURES_COLUMNS                                                                    \
    "id, token, received, state, events, applied, skipped, refused, errors"

/* In an order whose references point back: codes.parent and replaced_by
 * may point forward (deferred on PostgreSQL, unchecked by SQLite), and
 * codes.shipped, which names an event, is set once the events are in. */
static const table_spec tables[] = {
    {"meta", "key, value", "tm", "SELECT key, value FROM meta ORDER BY key", NULL},
    {"plan", "code, parent", "tt", "SELECT code, parent FROM plan ORDER BY code", NULL},
    {"codes", CODES_COLUMNS, "itiiittttiii", "SELECT " CODES_COLUMNS " FROM codes ORDER BY id",
     NULL},
    /* A bulk import's staged codes join the index: the copy stages none. */
    {"code_index", "h, id", "ii",
     "SELECT h, id FROM (SELECT h, id FROM code_index UNION ALL "
     "SELECT h, id FROM code_stage) k ORDER BY h, id", NULL},
    {"events", EVENTS_COLUMNS, "itiiiiiittttttttbb",
     "SELECT " EVENTS_COLUMNS " FROM events ORDER BY seq", NULL},
    {"event_codes", "seq, code, prev_parent", "iii",
     "SELECT seq, code, prev_parent FROM event_codes ORDER BY seq, code", NULL},
    /* The codes a SHIP seals now: few, so one at a time. */
    {"codes", "shipped", "ii",
     "SELECT shipped, id FROM codes WHERE shipped IS NOT NULL ORDER BY id",
     "UPDATE codes SET shipped = ?1 WHERE id = ?2"},
    {"rejects", "id, digest, reason", "tit", "SELECT id, digest, reason FROM rejects ORDER BY id",
     NULL},
    {"tokens", TOKENS_COLUMNS, "ttbii", "SELECT " TOKENS_COLUMNS " FROM tokens ORDER BY name",
     NULL},
    {"captures", CAPTURES_COLUMNS, "ttitiiiit",
     "SELECT " CAPTURES_COLUMNS " FROM captures ORDER BY id", NULL},
};
#define NTABLES ((int)(sizeof tables / sizeof *tables))

/* The tables a destination must have no row in. */
static const char *const data_tables[] = {"events", "codes", "plan", "tokens", "rejects",
                                          "captures"};

/* One value held until its INSERT runs: kind 0 is NULL. */
typedef struct cell {
    int kind;
    int64_t v;
    unsigned char *bytes;
    size_t len, cap;
} cell;

typedef struct copier {
    yima_link *src, *dest;
    const table_spec *t;
    int cols, held, per;  /* columns of t; rows buffered; rows a statement takes */
    cell *cells;          /* BATCH_ROWS rows of the widest table */
    size_t ncells;
    lk_st *batch;         /* the statement of per rows into t */
    uint64_t rows;        /* of t */
    int head_found;       /* the source's meta.chain_head */
    int64_t head_seq;
    unsigned char head[LK_HASH_BYTES];
} copier;

/* "INSERT INTO t(columns) VALUES(?1, ?2), (?3, ?4)..." of rows rows. */
static char *insert_sql(const table_spec *t, int cols, int rows)
{
    /* A row: "(", ", " between rows, and per column ", ?NNNNN" at most. */
    size_t size = strlen(t->name) + strlen(t->columns) + 64 + (size_t)rows * (4 + cols * 9);
    char *sql = malloc(size);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, size, "INSERT INTO %s(%s) VALUES", t->name, t->columns);
    for (int r = 0, p = 1; r < rows; r++) {
        n += (size_t)snprintf(sql + n, size - n, "%s(", r ? ", " : "");
        for (int c = 0; c < cols; c++, p++)
            n += (size_t)snprintf(sql + n, size - n, "%s?%d", c ? ", " : "", p);
        n += (size_t)snprintf(sql + n, size - n, ")");
    }
    return sql;
}

static int prepare_insert(copier *k, int rows, lk_st **st, yima_err *err)
{
    char *sql = insert_sql(k->t, k->cols, rows);
    if (!sql)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = lk_prepare(k->dest, sql, st);
    free(sql);
    if (rc != LK_OK)
        return lk_db_error(k->dest, "preparing the copy", err);
    return YIMA_OK;
}

static int hold_bytes(cell *x, const void *p, size_t n)
{
    if (x->cap < n) {
        unsigned char *grown = realloc(x->bytes, n);
        if (!grown)
            return YIMA_E_NOMEM;
        x->bytes = grown;
        x->cap = n;
    }
    if (n)
        memcpy(x->bytes, p, n);
    x->len = n;
    return YIMA_OK;
}

/* meta's value: the template is text, the rest bytes; the chain head
 * (seq, 8 bytes big-endian, and its hash) is what the copy must reach. */
static int meta_kind(copier *k, const cell *key, const cell *value)
{
    if (key->kind && key->len == 8 && !memcmp(key->bytes, "template", 8))
        return 't';
    if (key->kind && key->len == 10 && !memcmp(key->bytes, "chain_head", 10) &&
        value->len == 8 + LK_HASH_BYTES) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | value->bytes[i];
        k->head_seq = (int64_t)v;
        memcpy(k->head, value->bytes + 8, LK_HASH_BYTES);
        k->head_found = 1;
    }
    return 'b';
}

/* The source's current row into the next buffered row. */
static int hold_row(copier *k, lk_st *st)
{
    cell *row = k->cells + (size_t)k->held * k->cols;
    for (int c = 0; c < k->cols; c++) {
        cell *x = &row[c];
        int kind = k->t->kinds[c];
        x->kind = lk_column_null(st, c) ? 0 : kind;
        if (x->kind == 'i') {
            x->v = lk_column_int64(st, c);
        } else if (x->kind == 't') {
            const char *text = lk_column_text(st, c);
            if (hold_bytes(x, text, (size_t)lk_column_bytes(st, c)))
                return YIMA_E_NOMEM;
        } else if (x->kind) {
            const void *b = lk_column_blob(st, c);
            if (hold_bytes(x, b, (size_t)lk_column_bytes(st, c)))
                return YIMA_E_NOMEM;
            if (kind == 'm')
                x->kind = meta_kind(k, &row[0], x);
        }
    }
    k->held++;
    return YIMA_OK;
}

/* Runs st (an INSERT of k->held rows) on the buffered rows. */
static int flush_rows(copier *k, lk_st *st, yima_err *err)
{
    static const char empty[1] = "";
    char what[64];
    for (int p = 0; p < k->held * k->cols; p++) {
        const cell *x = &k->cells[p];
        const void *b = x->len ? (const void *)x->bytes : empty; /* non-NULL: not NULL */
        if (x->kind == 'i')
            lk_bind_int64(st, p + 1, x->v);
        else if (x->kind == 't')
            lk_bind_text(st, p + 1, (const char *)b, (int)x->len);
        else if (x->kind == 'b')
            lk_bind_blob(st, p + 1, b, (int)x->len);
        else
            lk_bind_text(st, p + 1, NULL, 0);
    }
    int rc = lk_step(st);
    snprintf(what, sizeof what, "copying %s", k->t->name);
    rc = rc == LK_DONE ? YIMA_OK : lk_db_error(k->dest, what, err);
    lk_reset(st);
    k->rows += (uint64_t)k->held;
    k->held = 0;
    return rc;
}

/* The rows still held, fewer than a batch, by an INSERT of their own. */
static int flush_tail(copier *k, yima_err *err)
{
    lk_st *st;
    if (!k->held)
        return YIMA_OK;
    int rc = prepare_insert(k, k->held, &st, err);
    rc = rc ? rc : flush_rows(k, st, err);
    lk_finalize(st);
    return rc;
}

static int copy_rows(copier *k, lk_st *from, yima_err *err)
{
    int rc = YIMA_OK, step;
    char what[64];
    while (!rc && (step = lk_step(from)) == LK_ROW) {
        if (hold_row(k, from))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        if (k->held == k->per)
            rc = flush_rows(k, k->batch, err);
    }
    if (rc)
        return rc;
    snprintf(what, sizeof what, "reading %s", k->t->name);
    return step == LK_DONE ? flush_tail(k, err) : lk_db_error(k->src, what, err);
}

static int copy_table(copier *k, const table_spec *t, yima_err *err)
{
    lk_st *from = NULL;
    char what[64];
    k->t = t;
    k->cols = (int)strlen(t->kinds);
    k->held = 0;
    k->rows = 0;
    k->batch = NULL;
    k->per = t->sql ? 1 : BATCH_ROWS * k->cols > BATCH_PARAMS ? BATCH_PARAMS / k->cols
                                                              : BATCH_ROWS;
    snprintf(what, sizeof what, "reading %s", t->name);
    if (lk_prepare_stream(k->src, t->from, &from) != LK_OK)
        return lk_db_error(k->src, what, err);
    int rc = YIMA_OK;
    if (!t->sql)
        rc = prepare_insert(k, k->per, &k->batch, err);
    else if (lk_prepare(k->dest, t->sql, &k->batch) != LK_OK)
        rc = lk_db_error(k->dest, t->sql, err);
    rc = rc ? rc : copy_rows(k, from, err);
    lk_finalize(from);
    lk_finalize(k->batch);
    return rc;
}

static int query_int(yima_link *s, const char *sql, int64_t *v, yima_err *err)
{
    lk_st *st;
    if (lk_prepare(s, sql, &st) != LK_OK)
        return lk_db_error(s, sql, err);
    int rc = lk_step(st);
    *v = rc == LK_ROW ? lk_column_int64(st, 0) : 0;
    lk_finalize(st);
    return rc == LK_ROW ? YIMA_OK : lk_db_error(s, sql, err);
}

/* A destination holding anything of a store's own is refused: its rows
 * would mix with the copy's. */
static int dest_empty(yima_link *d, yima_err *err)
{
    char sql[96];
    int64_t any;
    for (size_t i = 0; i < sizeof data_tables / sizeof *data_tables; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x",
                 data_tables[i]);
        int rc = query_int(d, sql, &any, err);
        if (rc)
            return rc;
        if (any)
            return yima_err_set(err, YIMA_E_USAGE, "%s: the store holds %s already; a store "
                                "is copied only into an empty one (a new file or database)",
                                d->path, data_tables[i]);
    }
    return YIMA_OK;
}

/* PostgreSQL: the identities go on after the copied ids (a column that is
 * no identity has no sequence: setval(NULL, ...) does nothing). */
static int pg_identities(yima_link *d, yima_err *err)
{
    int64_t unused;
    int rc = query_int(d, "SELECT setval(pg_get_serial_sequence('codes', 'id'), max(id)) "
                       "FROM codes", &unused, err);
    return rc ? rc : query_int(d, "SELECT setval(pg_get_serial_sequence('events', 'seq'), "
                               "max(seq)) FROM events", &unused, err);
}

static int copy_all(copier *k, yima_link_migrate_summary *sum, yima_err *err)
{
    int pg = k->dest->dialect == &lk_dialect_pg;
    /* The destination's own store id goes: the copy is the source's store. */
    int rc = lk_exec(k->dest, "DELETE FROM meta", err);
    if (!rc && pg) /* codes.parent may name a code copied after it */
        rc = lk_exec(k->dest, "SET CONSTRAINTS ALL DEFERRED", err);
    for (int i = 0; !rc && i < NTABLES; i++) {
        rc = copy_table(k, &tables[i], err);
        if (tables[i].sql) /* more of a table copied before */
            continue;
        sum->tables++;
        sum->rows += k->rows;
        if (!strcmp(tables[i].name, "events"))
            sum->events = k->rows;
        else if (!strcmp(tables[i].name, "codes"))
            sum->codes = k->rows;
    }
    if (!rc && pg)
        rc = lk_exec_as(k->dest, "SET CONSTRAINTS ALL IMMEDIATE",
                        "checking the copy's references", err);
    rc = rc || !pg ? rc : pg_identities(k->dest, err);
    /* Statistics of the new rows, or the audit's per-event statements
     * (and the first commands after) plan for empty tables: hash joins
     * over every code, a million times. */
    return rc || !pg ? rc : lk_exec(k->dest, "ANALYZE", err);
}

/* The copy's chain, audited inside its transaction: intact, and up to the
 * source's recorded head, or nothing is kept. */
static int audit_copy(copier *k, yima_link_migrate_summary *sum, yima_err *err)
{
    static const char *const what[] = {"intact", "content", "link", "head", "checkpoint"};
    yima_link_audit_report r;
    unsigned char head[LK_HASH_BYTES];
    memset(&r, 0, sizeof r);
    int rc = lk_chain_audit(k->dest, &r, head, err);
    if (rc)
        return rc;
    if (r.status != YIMA_LINK_AUDIT_INTACT)
        return yima_err_set(err, YIMA_E_DATA, "%s: the copy does not audit intact: broken (%s) "
                            "at seq %lld%s%s%s: %s; nothing was copied", k->src->path,
                            what[r.status], (long long)r.seq, r.id[0] ? ", event '" : "",
                            r.id, r.id[0] ? "'" : "", r.detail);
    int64_t want = k->head_found ? k->head_seq : 0;
    if (r.head_seq != want || (k->head_found && sodium_memcmp(head, k->head, LK_HASH_BYTES)))
        return yima_err_set(err, YIMA_E_DATA, "%s: the copy's chain ends at seq %lld, the "
                            "source's head is seq %lld; nothing was copied", k->src->path,
                            (long long)r.head_seq, (long long)want);
    sum->head_seq = r.head_seq;
    memcpy(sum->head, head, LK_HASH_BYTES);
    return YIMA_OK;
}

static void copier_free(copier *k)
{
    for (size_t i = 0; i < k->ncells; i++)
        free(k->cells[i].bytes);
    free(k->cells);
}

/* Inside the source's snapshot: the destination's one transaction. */
static int migrate_in_snapshot(copier *k, yima_link_migrate_summary *sum, yima_err *err)
{
    int rc = lk_tune_bulk(k->dest, err);
    rc = rc ? rc : lk_begin(k->dest, err);
    if (rc)
        return rc;
    rc = dest_empty(k->dest, err);
    rc = rc ? rc : copy_all(k, sum, err);
    rc = rc ? rc : audit_copy(k, sum, err);
    if (!rc)
        return lk_commit(k->dest, err);
    lk_rollback(k->dest);
    return rc;
}

int yima_link_migrate(yima_link *dest, yima_link *source, yima_link_migrate_summary *sum,
                      yima_err *err)
{
    copier k;
    size_t widest = 0;
    memset(sum, 0, sizeof *sum);
    memset(&k, 0, sizeof k);
    if (!strcmp(dest->path, source->path))
        return yima_err_set(err, YIMA_E_USAGE, "%s: the source and the destination are one "
                            "store", dest->path);
    for (int i = 0; i < NTABLES; i++)
        widest = strlen(tables[i].kinds) > widest ? strlen(tables[i].kinds) : widest;
    k.src = source;
    k.dest = dest;
    k.ncells = widest * BATCH_ROWS;
    if (!(k.cells = calloc(k.ncells, sizeof *k.cells)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int rc = lk_snapshot_begin(source, err);
    if (!rc) {
        rc = migrate_in_snapshot(&k, sum, err);
        lk_snapshot_end(source);
    }
    copier_free(&k);
    return rc;
}
