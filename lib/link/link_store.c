/* SPDX-License-Identifier: MIT */
/* The store: opening, schema and its upgrades, statements, transactions, over
 * its engine's backend (link_db.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>
#include "link_internal.h"
#include "link_db_pg.h"

/* The codes table and its indexes, shared by the schema and its upgrade.
 * h is lk_code_hash(code): codes are found by it (then the text compared)
 * rather than by a UNIQUE index on the 27-character text, because that
 * index, twice as wide and hit at random by every new code, was most of a
 * bulk import's B-tree work and commit traffic. The writer keeps code
 * unique: it looks a code up before adding it. */
#define CODES_TABLE(name)                                                                   \
    "CREATE TABLE " name "("                                                                \
    " id INTEGER PRIMARY KEY,"                                                              \
    " code TEXT NOT NULL,"             /* canonical text: upper case, no aliases */         \
    " level INTEGER NOT NULL,"         /* 0 item, 1 case, 2 pallet */                       \
    " state INTEGER NOT NULL DEFAULT 0," /* 0 seen 1 commissioned 2 decommissioned 3 replaced */ \
    " parent INTEGER REFERENCES codes(id),"                                                 \
    " product TEXT, lot TEXT, expiry TEXT,"                                                 \
    " payload TEXT,"                   /* as first read, when given as a payload */         \
    " replaced_by INTEGER REFERENCES codes(id),"                                            \
    " h INTEGER NOT NULL);"            /* lk_code_hash(code), the lookup key */
#define CODES_INDEXES                                                                       \
    "CREATE INDEX codes_h ON codes(h);"                                                     \
    "CREATE INDEX codes_parent ON codes(parent) WHERE parent IS NOT NULL;"                  \
    "CREATE INDEX codes_lot ON codes(lot) WHERE lot IS NOT NULL;"

/* Schema 3 to 4 (GS1): a code's company prefix length, an event's read
 * point and business location (SGLN URIs), and the store's own random id,
 * which names its EPCIS events (yima-link(1), EPCIS). */
#define UPGRADE_4                                                                           \
    "ALTER TABLE codes ADD COLUMN gcp INTEGER;" /* GS1 company prefix length, or NULL */   \
    "ALTER TABLE events ADD COLUMN read_point TEXT;"                                        \
    "ALTER TABLE events ADD COLUMN location TEXT;"                                          \
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"                         \
    "INSERT INTO meta VALUES('store_id', randomblob(16));"

/* Schema 4 to 5 (the full lifecycle): who and where of every event (user,
 * station), what a SHIP names (party, ship-to location, shipment), the SHIP
 * that sealed a code until it is received or returned, and the packing
 * plan loaded from gen's pre-assigned hierarchy (yima-link(1), SCHEMA). */
#define UPGRADE_5                                                                           \
    "ALTER TABLE codes ADD COLUMN shipped INTEGER;" /* seq of the SHIP sealing it, or NULL */ \
    "ALTER TABLE events ADD COLUMN user_name TEXT;"                                         \
    "ALTER TABLE events ADD COLUMN station TEXT;"                                           \
    "ALTER TABLE events ADD COLUMN party TEXT;"                                             \
    "ALTER TABLE events ADD COLUMN ship_to TEXT;"                                           \
    "ALTER TABLE events ADD COLUMN shipment TEXT;"                                          \
    "CREATE TABLE plan(code TEXT PRIMARY KEY, parent TEXT NOT NULL) WITHOUT ROWID;"

/* Schema 5 to 6 (the audit trail): each event's content hash and chain hash
 * (link_chain.c; yima-link(1), AUDIT TRAIL). The hashes of events already
 * there are computed by upgrade_from in the same transaction; the chain's
 * head goes to meta.chain_head. */
#define UPGRADE_6                                                                           \
    "ALTER TABLE events ADD COLUMN hash BLOB;"  /* BLAKE2b-256 of the event's content */   \
    "ALTER TABLE events ADD COLUMN chain BLOB;" /* BLAKE2b-256 of the previous chain + hash */

/* Schema 6 to 7 (yima serve): the bearer tokens of the HTTP interface, by
 * name, kept only as their BLAKE2b-256 hashes (lib/serve/serve_token.c;
 * yima-serve(1), TOKENS). IF NOT EXISTS: a store whose version was set back
 * by hand (as tests make older stores) may keep the table. */
#define UPGRADE_7                                                                           \
    "CREATE TABLE IF NOT EXISTS tokens("                                                    \
    " name TEXT PRIMARY KEY,"                                                               \
    " role TEXT NOT NULL,"             /* capture, query or admin */                        \
    " hash BLOB NOT NULL UNIQUE,"      /* BLAKE2b-256 of the token; never the token */      \
    " created INTEGER NOT NULL,"       /* ms since 1970 UTC */                              \
    " revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"

/* Schema 7 to 8 (EPCIS capture): each POST /capture's outcome, for GET
 * /capture/ID (lib/link/link_epcis_in.c; yima-serve(1), ENDPOINTS). */
#define UPGRADE_8                                                                           \
    "CREATE TABLE IF NOT EXISTS captures("                                                  \
    " id TEXT PRIMARY KEY,"            /* 32 hex digits */                                  \
    " token TEXT NOT NULL,"            /* the name of the token that sent it */             \
    " received INTEGER NOT NULL,"      /* ms since 1970 UTC */                              \
    " state TEXT NOT NULL,"            /* applied, or refused (nothing applied) */          \
    " events INTEGER NOT NULL,"        /* EPCIS events in the document */                   \
    " applied INTEGER NOT NULL, skipped INTEGER NOT NULL, refused INTEGER NOT NULL,"        \
    " errors TEXT NOT NULL) WITHOUT ROWID;" /* JSON array of the refused events */

/* Schema 8 to 9 (many writers): codes are found through two tables of
 * (h, id) instead of the index codes_h. code_index holds every code but the
 * newest codes of a bulk import that runs beside other writers: those go
 * to code_stage, kept small, and move to code_index a key range at a time
 * (link_stage.c). New codes land at random all over an index of their
 * hashes, so a commit writes nearly every index page it touched; with the
 * stage, a commit that lets a station in writes a few hundred pages, not
 * the whole index. IF NOT EXISTS and OR IGNORE: as for UPGRADE_7. */
#define CODE_KEYS(name)                                                                     \
    "CREATE TABLE IF NOT EXISTS " name "("                                                  \
    " h INTEGER NOT NULL, id INTEGER NOT NULL REFERENCES codes(id),"                        \
    " PRIMARY KEY(h, id)) WITHOUT ROWID;"
#define UPGRADE_9                                                                           \
    CODE_KEYS("code_index") CODE_KEYS("code_stage")                                         \
    "INSERT OR IGNORE INTO code_index SELECT h, id FROM codes ORDER BY h, id;"             \
    "DROP INDEX IF EXISTS codes_h;"

/* The current schema (9): schema 3 plus UPGRADE_4 to UPGRADE_9. Documented in
 * yima-link(1), SCHEMA; keep the two in step. */
static const char schema_now[] =
    CODES_TABLE("codes") CODES_INDEXES
    "CREATE TABLE events("
    " seq INTEGER PRIMARY KEY,"        /* order of application */
    " id TEXT NOT NULL UNIQUE,"        /* @ID, JSON id, or SOURCE:LINE */
    " digest INTEGER NOT NULL,"        /* content hash: a re-run vs. an id clash */
    " type INTEGER NOT NULL,"          /* 1 COMMISSION 2 PACK 3 UNPACK 4 REPLACE 5 DECOMMISSION */
    " time INTEGER NOT NULL,"          /* ms since 1970 UTC */
    " tz INTEGER NOT NULL,"            /* minutes east of UTC */
    " subject INTEGER NOT NULL REFERENCES codes(id)," /* code, parent or old */
    " other INTEGER REFERENCES codes(id),"            /* REPLACE: new */
    " info TEXT);"                     /* DECOMMISSION reason */
    "CREATE INDEX events_subject ON events(subject);"
    "CREATE INDEX events_time ON events(time);"
    "CREATE INDEX events_other ON events(other) WHERE other IS NOT NULL;"
    "CREATE TABLE event_codes("        /* children of PACK/UNPACK; REPLACE: old code and
                                        * the children it handed over */
    " seq INTEGER NOT NULL REFERENCES events(seq),"
    " code INTEGER NOT NULL REFERENCES codes(id),"
    " prev_parent INTEGER REFERENCES codes(id),"      /* parent before the event */
    " PRIMARY KEY(seq, code)) WITHOUT ROWID;"
    "CREATE INDEX event_codes_code ON event_codes(code);"
    "CREATE TABLE rejects("            /* refused event ids, so a re-run skips them */
    " id TEXT PRIMARY KEY, digest INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;"
    UPGRADE_4 UPGRADE_5 UPGRADE_6 UPGRADE_7 UPGRADE_8 UPGRADE_9;

/* Upgrade steps; upgrade[v] takes a store from schema v to v + 1. */
static const char *const upgrade[] = {
    [0] = schema_now, /* an empty file: the current schema at once */
    [1] = "CREATE INDEX events_other ON events(other) WHERE other IS NOT NULL;", /* trace */
    /* SQLite cannot drop a UNIQUE constraint: rebuild codes, same ids. */
    [2] = CODES_TABLE("codes_v3")
          "INSERT INTO codes_v3(id, code, level, state, parent, product, lot, expiry, payload,"
          " replaced_by, h) SELECT id, code, level, state, parent, product, lot, expiry,"
          " payload, replaced_by, yima_code_hash(code) FROM codes;"
          "DROP TABLE codes;"
          "ALTER TABLE codes_v3 RENAME TO codes;" CODES_INDEXES,
    [3] = UPGRADE_4,
    [4] = UPGRADE_5,
    [5] = UPGRADE_6,
    [6] = UPGRADE_7,
    [7] = UPGRADE_8,
    [8] = UPGRADE_9,
    [9] = "", /* schema 10 changed PostgreSQL's stores only */
};

/* The current schema on PostgreSQL, the tables and columns of schema_now
 * in PostgreSQL's types: identities for the row ids, bigint for every
 * integer, bytea for hashes and meta's values. Codes are UNIQUE: writers
 * on other connections add codes at once. The version lives in yima_store
 * (one row), as SQLite keeps it in the file's header. PostgreSQL stores
 * began at schema 9: upgrades start from there. Store id: pg_schema_mark.
 * Many writers: an event is added with a provisional seq (negative, from
 * events_provisional) and renumbered at its commit (link_chain.c, the
 * seal), with the event_codes.seq and codes.shipped that point at it
 * (codes_shipped finds a SHIP's code). No foreign keys, as SQLite enforces
 * none (schema 10): the writer keeps every reference, and checking them
 * cost a PACK of 24 some 120 lookups of codes and events (its statements
 * took 2.4 ms in PostgreSQL with them, 1.3-1.6 without). */
#define PG_KEYS(name)                                                                       \
    "CREATE TABLE " name "(h bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY(h, id));"
static const char pg_schema_now[] =
    "CREATE TABLE yima_store(app_id bigint NOT NULL, version bigint NOT NULL);"
    "CREATE TABLE codes("
    " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " code text NOT NULL UNIQUE, level bigint NOT NULL, state bigint NOT NULL DEFAULT 0,"
    " parent bigint, product text, lot text, expiry text,"
    " payload text, replaced_by bigint, h bigint NOT NULL,"
    " gcp bigint,"
    " shipped bigint);"
    "CREATE INDEX codes_parent ON codes(parent) WHERE parent IS NOT NULL;"
    "CREATE INDEX codes_lot ON codes(lot) WHERE lot IS NOT NULL;"
    "CREATE SEQUENCE events_provisional;"
    "CREATE TABLE events("
    " seq bigint PRIMARY KEY DEFAULT -nextval('events_provisional'),"
    " id text NOT NULL UNIQUE, digest bigint NOT NULL, type bigint NOT NULL,"
    " time bigint NOT NULL, tz bigint NOT NULL,"
    " subject bigint NOT NULL, other bigint,"
    " info text, read_point text, location text, user_name text, station text, party text,"
    " ship_to text, shipment text, hash bytea, chain bytea);"
    "CREATE INDEX events_subject ON events(subject);"
    "CREATE INDEX events_time ON events(time);"
    "CREATE INDEX events_other ON events(other) WHERE other IS NOT NULL;"
    "CREATE INDEX codes_shipped ON codes(shipped) WHERE shipped IS NOT NULL;"
    "CREATE TABLE event_codes("
    " seq bigint NOT NULL, code bigint NOT NULL, prev_parent bigint, PRIMARY KEY(seq, code));"
    "CREATE INDEX event_codes_code ON event_codes(code);"
    "CREATE TABLE rejects(id text PRIMARY KEY, digest bigint NOT NULL, reason text NOT NULL);"
    "CREATE TABLE meta(key text PRIMARY KEY, value bytea);"
    "CREATE TABLE plan(code text PRIMARY KEY, parent text NOT NULL);"
    "CREATE TABLE tokens(name text PRIMARY KEY, role text NOT NULL, hash bytea NOT NULL UNIQUE,"
    " created bigint NOT NULL, revoked bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE captures(id text PRIMARY KEY, token text NOT NULL, received bigint NOT NULL,"
    " state text NOT NULL, events bigint NOT NULL, applied bigint NOT NULL,"
    " skipped bigint NOT NULL, refused bigint NOT NULL, errors text NOT NULL);"
    PG_KEYS("code_index") PG_KEYS("code_stage");
/* Schema 10: the foreign keys go (constraint names as PostgreSQL made them). */
static const char pg_upgrade_10[] =
    "ALTER TABLE codes DROP CONSTRAINT IF EXISTS codes_parent_fkey,"
    " DROP CONSTRAINT IF EXISTS codes_replaced_by_fkey,"
    " DROP CONSTRAINT IF EXISTS codes_shipped_fkey;"
    "ALTER TABLE events DROP CONSTRAINT IF EXISTS events_subject_fkey,"
    " DROP CONSTRAINT IF EXISTS events_other_fkey;"
    "ALTER TABLE event_codes DROP CONSTRAINT IF EXISTS event_codes_seq_fkey,"
    " DROP CONSTRAINT IF EXISTS event_codes_code_fkey,"
    " DROP CONSTRAINT IF EXISTS event_codes_prev_parent_fkey;"
    "ALTER TABLE code_index DROP CONSTRAINT IF EXISTS code_index_id_fkey;"
    "ALTER TABLE code_stage DROP CONSTRAINT IF EXISTS code_stage_id_fkey;";
static const char *const pg_upgrade[] = {[0] = pg_schema_now, [9] = pg_upgrade_10};

/* The INSERTs whose new row's id the writer needs: PostgreSQL returns it
 * (RETURNING); SQLite gives it as the last rowid, since its RETURNING made
 * a bulk import 20% slower. ?16 is 32 zero bytes: lk_chain_append hashes. */
#define CODE_ADD                                                                            \
    "INSERT INTO codes(code, level, parent, payload, h, gcp) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
#define EVENT_ADD                                                                           \
    "INSERT INTO events(id, digest, type, time, tz, subject, other, info, read_point, "      \
    "location, user_name, station, party, ship_to, shipment, hash, chain) VALUES(?1, ?2, "  \
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"

const lk_dialect lk_dialect_sqlite = {
    .upgrade = upgrade,
    .upgrades = (int)(sizeof upgrade / sizeof *upgrade),
    .export_filtered = lk_export_filtered_sql,
    .trace_down = lk_trace_down_sql,
};
const lk_dialect lk_dialect_pg = {
    .upgrade = pg_upgrade,
    .upgrades = (int)(sizeof pg_upgrade / sizeof *pg_upgrade),
    .export_filtered = lk_export_filtered_pg_sql,
    /* PostgreSQL guesses a recursive CTE ten times larger per step, so it
     * took the lot's few thousand codes for a million and hashed whole
     * tables (1.2 s for what index lookups from the codes do in 0.3 s): the
     * filtered export is nested index lookups, with a cost that follows
     * what it returns, whatever the guess. A trace's recursion and its
     * history likewise. */
    .by_index = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
    .trace_down = lk_trace_down_pg_sql,
    /* No row: another writer added the code first (link_apply.c ensure). */
    .code_add = CODE_ADD " ON CONFLICT(code) DO NOTHING RETURNING id",
    .event_add = EVENT_ADD " RETURNING seq",
    /* codes.code is UNIQUE here: one row, locked until the commit. */
    .code_get = "SELECT id, level, state, parent, shipped FROM codes "
                "WHERE code = ?1 AND h = ?2 FOR UPDATE",
    .code_up = "SELECT parent, shipped FROM codes WHERE id = ?1 FOR UPDATE",
    .seal = 1,
};

/* The writer's lookup of a code (?1, its key ?2), the hottest statement:
 * one join per table rather than LK_CODE_KEYED, whose IN list is a
 * temporary table made afresh for each lookup (20% of a bulk import's
 * time). The stage is read only when the index has no row. */
#define CODE_GET_FROM(table)                                                                \
    "SELECT c.id, c.level, c.state, c.parent, c.shipped FROM " table " k "                  \
    "JOIN codes c ON c.id = k.id WHERE k.h = ?2 AND c.code = ?1"
const char lk_code_get_sql[] = CODE_GET_FROM("code_index") " UNION ALL "
                               CODE_GET_FROM("code_stage");

static const char *const stmt_sql[Q__COUNT] = {
    [Q_CODE_GET] = lk_code_get_sql,
    [Q_INDEX_ADD] = "INSERT INTO code_index(h, id) VALUES(?1, ?2)",
    [Q_STAGE_ADD] = "INSERT INTO code_stage(h, id) VALUES(?1, ?2)",
    [Q_STAGE_MERGE] = "INSERT INTO code_index SELECT h, id FROM code_stage "
                      "WHERE h BETWEEN ?1 AND ?2",
    [Q_STAGE_DROP] = "DELETE FROM code_stage WHERE h BETWEEN ?1 AND ?2",
    [Q_CODE_ADD] = CODE_ADD,
    [Q_CODE_GCP] = "UPDATE codes SET gcp = ?2 WHERE id = ?1 AND gcp IS NULL",
    [Q_CODE_PARENT] = "UPDATE codes SET parent = ?2 WHERE id = ?1",
    [Q_CODE_COMMISSION] = "UPDATE codes SET state = 1, product = ?2, lot = ?3, expiry = ?4 "
                          "WHERE id = ?1",
    [Q_CODE_STATE] = "UPDATE codes SET state = ?2, parent = NULL, replaced_by = ?3 WHERE id = ?1",
    [Q_CHILD_COUNT] = "SELECT count(*) FROM codes WHERE parent = ?1",
    [Q_CHILDREN] = "SELECT id FROM codes WHERE parent = ?1 ORDER BY id",
    [Q_REPARENT] = "UPDATE codes SET parent = ?2 WHERE parent = ?1",
    [Q_REPLACE_NEW] = "UPDATE codes SET (state, product, lot, expiry, parent) = "
                      "(SELECT state, product, lot, expiry, parent FROM codes WHERE id = ?2) "
                      "WHERE id = ?1",
    [Q_EVENT_GET] = "SELECT seq, digest FROM events WHERE id = ?1",
    [Q_EVENT_ADD] = EVENT_ADD,
    [Q_EVCODE_ADD] = "INSERT INTO event_codes(seq, code, prev_parent) VALUES(?1, ?2, ?3)",
    [Q_REJECT_GET] = "SELECT digest, reason FROM rejects WHERE id = ?1",
    [Q_REJECT_ADD] = "INSERT INTO rejects(id, digest, reason) VALUES(?1, ?2, ?3) ON CONFLICT(id) "
                    "DO UPDATE SET digest = excluded.digest, reason = excluded.reason",
    [Q_PAYLOAD] = "UPDATE codes SET payload = ?2 WHERE id = ?1 AND payload IS NULL",
    [Q_EVCODE_CHILDREN] = "INSERT INTO event_codes(seq, code, prev_parent) "
                          "SELECT CAST(?1 AS bigint), id, parent FROM codes WHERE parent = ?2",
    [Q_SAVEPOINT] = "SAVEPOINT ev",
    [Q_ROLLBACK_TO] = "ROLLBACK TO ev",
    [Q_RELEASE] = "RELEASE ev",
    [Q_CODE_UP] = "SELECT parent, shipped FROM codes WHERE id = ?1",
    [Q_CODE_SHIPPED] = "UPDATE codes SET shipped = ?2 WHERE id = ?1",
    [Q_PLAN_GET] = "SELECT parent FROM plan WHERE code = ?1",
    [Q_PLAN_ADD] = "INSERT INTO plan(code, parent) VALUES(?1, ?2)",
    [Q_CODE_ILMD] = "SELECT product, lot, expiry FROM codes WHERE id = ?1",
    [Q_CHAIN_EVENT] = lk_chain_event_sql,
    [Q_CHAIN_CODES] = lk_chain_codes_sql,
    [Q_CHAIN_SET] = lk_chain_set_sql,
    [Q_CHAIN_PREV] = "SELECT chain FROM events WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
    /* An event id's own lock (?1, ?2: the two halves of its lookup key;
     * the two-key form, apart from the schema's one-key lock): of two
     * writers sending one event, the second waits for the first's commit,
     * then finds it applied (or refused). */
    [Q_ID_LOCK] = "SELECT pg_advisory_xact_lock(CAST(?1 AS integer), CAST(?2 AS integer))",
    [Q_HEAD_LOCK] = lk_head_lock_sql,
    [Q_SEAL_EVENTS] = lk_seal_events_sql,
    [Q_SEAL_CODES] = lk_seal_codes_sql,
    [Q_SEAL_SET] = lk_seal_set_sql,
    [Q_SEAL_ONE] = lk_seal_one_sql,
    /* An event's codes in one round trip each (link_apply.c), bound as
     * array texts: ?1 the codes, each row giving its place in ?1 (from 1)
     * and the row Q_CODE_GET gives, locked in id order; */
    [Q_CODES_GET] = "SELECT v.i, c.id, c.level, c.state, c.parent, c.shipped FROM codes c"
                    " JOIN unnest(CAST(?1 AS text[])) WITH ORDINALITY AS v(code, i)"
                    " ON c.code = v.code ORDER BY c.id FOR UPDATE OF c",
    /* codes ?1 put in parent ?2 (NULL: none); */
    [Q_CODES_PARENT] = "UPDATE codes SET parent = CAST(?2 AS bigint)"
                       " WHERE id = ANY(CAST(?1 AS bigint[]))",
    /* event ?1's rows of codes ?2, each with its parent before in ?3 (0: none). */
    [Q_EVCODES_ADD] = "INSERT INTO event_codes(seq, code, prev_parent) SELECT CAST(?1 AS bigint),"
                      " v.code, NULLIF(v.prev, 0) FROM unnest(CAST(?2 AS bigint[]),"
                      " CAST(?3 AS bigint[])) AS v(code, prev)",
};

int64_t lk_code_hash(const char *text, size_t len)
{
    /* SipHash-2-4 under a fixed, public key: an index key, not a secret.
     * Stored in codes.h, so key and byte order must never change. */
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "yima-link-code1";
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h = 0;
    crypto_shorthash(out, (const unsigned char *)text, len, key);
    for (int i = 7; i >= 0; i--)
        h = h << 8 | out[i];
    return (int64_t)h;
}

int lk_db_error(yima_link *s, const char *what, yima_err *err)
{
    /* Noted now: a ROLLBACK TO after it clears the engine's own. */
    if (s && s->db && s->be->retryable && s->be->retryable(s->db))
        s->conflict = 1;
    return yima_err_set(err, YIMA_E_STORE, "%s: %s: %s", s && s->path ? s->path : "store", what,
                        s && s->db ? s->be->errmsg(s->db) : "out of memory");
}

int lk_exec_as(yima_link *s, const char *sql, const char *what, yima_err *err)
{
    if (s->be->exec(s->db, sql) != LK_OK)
        return lk_db_error(s, what, err);
    return YIMA_OK;
}

int lk_exec(yima_link *s, const char *sql, yima_err *err)
{
    return lk_exec_as(s, sql, sql, err);
}

lk_st *lk_stmt(yima_link *s, int q)
{
    lk_reset(s->q[q]);
    return s->q[q];
}

int lk_prepare(yima_link *s, const char *sql, lk_st **st)
{
    return s->be->prepare(s->db, sql, 0, st);
}

int lk_prepare_stream(yima_link *s, const char *sql, lk_st **st)
{
    return s->be->prepare(s->db, sql, LK_PREPARE_STREAM, st);
}

int lk_run(yima_link *s, int q, const char *what, yima_err *err)
{
    int rc = lk_step(lk_stmt(s, q));
    /* The message first: a reset may replace the statement's error. */
    int out = rc == LK_DONE ? YIMA_OK : lk_db_error(s, what, err);
    lk_reset(s->q[q]);
    return out;
}

/* A statement left on a row since its last use keeps this handle on an
 * old snapshot: its reads miss what other handles commit, and a write
 * cannot begin there (a server's handles, a station beside a bulk import).
 * So none outlives a transaction, and none is pending when one begins. */
static void release_statements(yima_link *s)
{
    for (int i = 0; i < Q__COUNT; i++)
        if (s->q[i]) /* none yet while the schema is made */
            lk_reset(s->q[i]);
}

/* The head is read afresh at the next write, nothing is pending sealing. */
static void forget_chain(yima_link *s)
{
    s->chain.known = s->chain.dirty = 0;
    s->chain.prov_lo = s->chain.prov_hi = 0;
}

int lk_begin(yima_link *s, yima_err *err)
{
    if (s->in_txn)
        return YIMA_OK;
    release_statements(s);
    lk_filter_ready(s);
    s->conflict = 0;
    int rc = s->be->begin(s->db, LK_WRITE, err);
    if (!rc) {
        s->in_txn = 1;
        lk_filter_refresh(s);
    }
    forget_chain(s); /* another process may have appended since */
    return rc;
}

int lk_commit_only(yima_link *s, yima_err *err)
{
    if (!s->in_txn)
        return YIMA_OK;
    int rc = lk_chain_commit(s, err);
    if (rc)
        return rc; /* still in the transaction: the caller rolls it back */
    s->in_txn = 0;
    release_statements(s);
    rc = s->be->commit(s->db, err);
    if (rc && s->be->retryable && s->be->retryable(s->db))
        s->conflict = 1;
    return rc;
}

int lk_retry_wait(yima_link *s, int *tries)
{
    if (!s->conflict || ++*tries >= LK_RETRIES)
        return 0;
    lk_rollback(s);
    s->conflict = 0;
    /* Apart again at random, up to 2, 4, ... 128 ms: two writers that
     * met on a row do not meet on it again in step. */
    struct timespec pause = {0, (long)(1 + randombytes_uniform(2u << *tries)) * 1000000L};
    nanosleep(&pause, NULL);
    return 1;
}

void lk_checkpoint(yima_link *s)
{
    if (!s->be->checkpoint_due || !s->be->checkpoint_due(s->db))
        return;
    if (s->copier)
        lk_copier_kick(s->copier);
    else
        s->be->wal_checkpoint(s->db, NULL);
}

int yima_link_wal_checkpoint(yima_link *s, yima_err *err)
{
    return s->be->wal_checkpoint ? s->be->wal_checkpoint(s->db, err) : YIMA_OK;
}

int lk_commit(yima_link *s, yima_err *err)
{
    int rc = lk_commit_only(s, err);
    lk_checkpoint(s);
    return rc;
}

void lk_rollback(yima_link *s)
{
    release_statements(s);
    if (s->in_txn)
        s->be->rollback(s->db);
    s->in_txn = 0;
    forget_chain(s);
}

int lk_snapshot_begin(yima_link *s, yima_err *err)
{
    return s->be->begin(s->db, LK_SNAPSHOT, err);
}

void lk_snapshot_end(yima_link *s)
{
    s->be->commit(s->db, NULL); /* it wrote nothing: no outcome to report */
}

int64_t lk_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int lk_set_sync(yima_link *s, int sync, yima_err *err)
{
    return s->be->set_sync(s->db, sync == YIMA_LINK_SYNC_FULL, err);
}

int lk_tune_bulk(yima_link *s, yima_err *err)
{
    return s->be->tune_bulk ? s->be->tune_bulk(s->db, err) : YIMA_OK;
}

int lk_others_wrote(yima_link *s)
{
    return s->be->others_wrote && s->be->others_wrote(s->db);
}

int lk_gate_wanted(yima_link *s)
{
    return s->be->writer_waits && s->be->writer_waits(s->db);
}

/* Waits, out of turn, until no writer waits, or for at most max_ms: the
 * waiters woken by our leaving take their turns before we ask for ours. */
void lk_gate_let_pass(yima_link *s, int max_ms)
{
    const struct timespec step = {0, 200 * 1000};
    for (int i = 0; i < max_ms * 5 && lk_gate_wanted(s); i++)
        nanosleep(&step, NULL);
}

int lk_template_get(yima_link *s, char **out, yima_err *err)
{
    lk_st *st;
    *out = NULL;
    if (lk_prepare(s, "SELECT value FROM meta WHERE key = 'template'", &st) != LK_OK)
        return lk_db_error(s, "reading the store's template", err);
    int rc = lk_step(st);
    if (rc == LK_ROW && lk_column_text(st, 0))
        *out = strdup(lk_column_text(st, 0));
    lk_finalize(st);
    if (rc != LK_ROW && rc != LK_DONE)
        return lk_db_error(s, "reading the store's template", err);
    return rc == LK_ROW && !*out ? yima_err_set(err, YIMA_E_NOMEM, "out of memory") : YIMA_OK;
}

int lk_template_conflict(yima_link *s, const char *kept, const char *given, yima_err *err)
{
    return yima_err_set(err, YIMA_E_USAGE, "%s: the store keeps the payload template '%s'; "
                        "'%s' differs (a store keeps its first template, so its identifiers "
                        "never change)", s->path, kept, given);
}

int lk_template_bind(yima_link *s, const char *template_text, yima_err *err)
{
    lk_st *st;
    char *kept;
    if (!template_text)
        return YIMA_OK;
    /* DO NOTHING: of two first writers, the one that commits first decides. */
    if (lk_prepare(s, "INSERT INTO meta(key, value) VALUES('template', ?1) "
                   "ON CONFLICT(key) DO NOTHING", &st) != LK_OK)
        return lk_db_error(s, "recording the store's template", err);
    lk_bind_text(st, 1, template_text, -1);
    int rc = lk_step(st);
    lk_finalize(st);
    if (rc != LK_DONE)
        return lk_db_error(s, "recording the store's template", err);
    if ((rc = lk_template_get(s, &kept, err)))
        return rc;
    if (kept && strcmp(kept, template_text))
        rc = lk_template_conflict(s, kept, template_text, err);
    free(kept);
    return rc;
}

static int pragma_int(yima_link *s, const char *sql, int *value, yima_err *err)
{
    lk_st *st;
    if (lk_prepare(s, sql, &st) != LK_OK)
        return lk_db_error(s, sql, err);
    int rc = lk_step(st);
    *value = rc == LK_ROW ? lk_column_int(st, 0) : 0;
    lk_finalize(st);
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK : lk_db_error(s, sql, err);
}

/* The same from a PostgreSQL schema: its yima_store row, if it has one. */
static int read_pg_header(yima_link *s, int *version, int *app, int *tables, yima_err *err)
{
    int marked = 0;
    *version = *app = 0;
    int rc = pragma_int(s, "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = current_schema()", tables, err);
    rc = rc ? rc : pragma_int(s, "SELECT to_regclass('yima_store') IS NOT NULL", &marked, err);
    if (rc || !marked)
        return rc;
    rc = pragma_int(s, "SELECT version FROM yima_store", version, err);
    return rc ? rc : pragma_int(s, "SELECT app_id FROM yima_store", app, err);
}

/* What the store holds: schema version, application id, table count. */
static int read_header(yima_link *s, int *version, int *app, int *tables, yima_err *err)
{
    if (s->dialect == &lk_dialect_pg)
        return read_pg_header(s, version, app, tables, err);
    int rc = pragma_int(s, "PRAGMA user_version", version, err);
    rc = rc ? rc : pragma_int(s, "PRAGMA application_id", app, err);
    return rc ? rc : pragma_int(s, "SELECT count(*) FROM sqlite_schema", tables, err);
}

static int check_header(yima_link *s, int version, int app, int tables, yima_err *err)
{
    if (tables > 0 && app != YIMA_LINK_APP_ID)
        return yima_err_set(err, YIMA_E_STORE, "%s: %s, but not a yima store", s->path,
                            s->dialect == &lk_dialect_pg ? "a PostgreSQL schema with tables"
                                                         : "an SQLite database");
    if (version > YIMA_LINK_SCHEMA)
        return yima_err_set(err, YIMA_E_STORE,
                            "%s: store schema %d is newer than this yima understands (%d); "
                            "use yima %s or later", s->path, version, YIMA_LINK_SCHEMA,
                            "with that schema");
    if (version < YIMA_LINK_SCHEMA && s->mode == YIMA_LINK_READ)
        return yima_err_set(err, YIMA_E_STORE, tables ? "%s: store schema %d needs an upgrade; "
                            "open it for writing (import) once" : "%s: not a yima store (empty)",
                            s->path, version);
    return YIMA_OK;
}

/* A new PostgreSQL store's own rows: its random id (which names its EPCIS
 * events) and its version. */
static int pg_schema_mark(yima_link *s, int version, yima_err *err)
{
    char sql[96];
    unsigned char id[16];
    lk_st *st;
    if (version == 0) {
        randombytes_buf(id, sizeof id);
        if (lk_prepare(s, "INSERT INTO meta(key, value) VALUES('store_id', ?1)", &st) != LK_OK)
            return lk_db_error(s, "creating the store id", err);
        lk_bind_blob(st, 1, id, sizeof id);
        int rc = lk_step(st);
        lk_finalize(st);
        if (rc != LK_DONE)
            return lk_db_error(s, "creating the store id", err);
    }
    if (version)
        snprintf(sql, sizeof sql, "UPDATE yima_store SET version = %d", YIMA_LINK_SCHEMA);
    else
        snprintf(sql, sizeof sql, "INSERT INTO yima_store(app_id, version) VALUES(%d, %d)",
                 YIMA_LINK_APP_ID, YIMA_LINK_SCHEMA);
    return lk_exec(s, sql, err);
}

/* All steps from version to the current schema, and the version bump. */
static int upgrade_from(yima_link *s, int version, yima_err *err)
{
    char sql[96], what[64];
    int rc = YIMA_OK, pg = s->dialect == &lk_dialect_pg;
    for (int v = version; !rc && v < YIMA_LINK_SCHEMA; v = v ? v + 1 : YIMA_LINK_SCHEMA) {
        /* Name the step, not its SQL: schema text makes no message. */
        if (v)
            snprintf(what, sizeof what, "upgrading the store schema from %d", v);
        if (v >= s->dialect->upgrades || !s->dialect->upgrade[v])
            return yima_err_set(err, YIMA_E_STORE, "%s: store schema %d has no upgrade here",
                                s->path, v);
        rc = lk_exec_as(s, s->dialect->upgrade[v], v ? what : "creating the store schema", err);
    }
    if (pg)
        return rc ? rc : pg_schema_mark(s, version, err);
    /* Events applied before the audit trail get their hashes now. */
    if (!rc && version < 6)
        rc = lk_chain_rebuild(s, err);
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d; PRAGMA application_id=%d;",
             YIMA_LINK_SCHEMA, YIMA_LINK_APP_ID);
    return rc ? rc : lk_exec(s, sql, err);
}

/* The schema's lock on PostgreSQL, held to the transaction's end: of two
 * processes opening one new store, the second waits here, then finds the
 * schema made (SQLite: BEGIN IMMEDIATE is that lock). */
static int schema_lock(yima_link *s, yima_err *err)
{
    int unused;
    char sql[64];
    if (s->dialect != &lk_dialect_pg)
        return YIMA_OK;
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", YIMA_LINK_APP_ID);
    return pragma_int(s, sql, &unused, err);
}

/* Creates or upgrades the schema in one transaction with the version bump,
 * so a crash leaves either the old or the new schema. Two processes may
 * open one new store at once: the version that decides is read under the
 * write lock (BEGIN IMMEDIATE), so the second waits for the first and then
 * finds the schema made. */
static int migrate(yima_link *s, yima_err *err)
{
    int version = 0, app = 0, tables = 0;
    int rc = read_header(s, &version, &app, &tables, err);
    if (!rc && s->mode == YIMA_LINK_WRITE && version != YIMA_LINK_SCHEMA) {
        rc = lk_begin(s, err);
        rc = rc ? rc : schema_lock(s, err);
        rc = rc ? rc : read_header(s, &version, &app, &tables, err);
    }
    s->schema_found = version;
    rc = rc ? rc : check_header(s, version, app, tables, err);
    if (!rc && version < YIMA_LINK_SCHEMA)
        rc = upgrade_from(s, version, err);
    if (!rc)
        return lk_commit(s, err);
    lk_rollback(s);
    return rc;
}

static int prepare_all(yima_link *s, yima_err *err)
{
    const lk_dialect *d = s->dialect;
    for (int i = 0; i < Q__COUNT; i++) {
        const char *sql = i == Q_CODE_ADD && d->code_add     ? d->code_add
                          : i == Q_EVENT_ADD && d->event_add ? d->event_add
                          : i == Q_CODE_GET && d->code_get   ? d->code_get
                          : i == Q_CODE_UP && d->code_up     ? d->code_up
                                                             : stmt_sql[i];
        if (i >= Q__MANY_WRITERS && !d->seal)
            continue; /* one writer at a time: none needed */
        if (s->be->prepare(s->db, sql, LK_PREPARE_KEEP, &s->q[i]) != LK_OK)
            return lk_db_error(s, sql, err);
    }
    return YIMA_OK;
}

int yima_link_open(yima_link **out, const char *path, yima_link_mode mode, yima_err *err)
{
    yima_link *s = calloc(1, sizeof *s);
    if (!s)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    s->mode = mode;
    int pg = lk_pg_target(path); /* a libpq URI or key=value string; else a file */
    /* Messages name the store: never with its password. */
    if (!(s->path = pg ? lk_pg_safe_name(path) : strdup(path))) {
        free(s);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    s->be = pg ? &lk_pg : &lk_sqlite;
    s->dialect = pg ? &lk_dialect_pg : &lk_dialect_sqlite;
    int rc = s->be->open(&s->db, path, mode == YIMA_LINK_WRITE, err);
    if (rc)
        goto fail;
    if ((rc = migrate(s, err)) || (rc = prepare_all(s, err)))
        goto fail;
    *out = s;
    return YIMA_OK;
fail:
    if (!pg && rc == YIMA_E_STORE && err && strstr(err->msg, "file is not a database"))
        yima_err_set(err, YIMA_E_STORE, "%s: not an SQLite database", path);
    yima_link_close(s);
    return rc;
}

void yima_link_close(yima_link *s)
{
    if (!s)
        return;
    lk_copier_stop(s);
    lk_rollback(s);
    lk_filter_drop(s);
    for (int i = 0; i < Q__COUNT; i++)
        lk_finalize(s->q[i]);
    s->be->close(s->db);
    free(s->path);
    free(s);
}

int yima_link_schema_found(const yima_link *s)
{
    return s->schema_found;
}

int yima_link_one_writer(const yima_link *s)
{
    return s->dialect == &lk_dialect_sqlite;
}

static const char *const type_names[LK__TYPES] = {NULL, "COMMISSION", "PACK", "UNPACK",
                                                  "REPLACE", "DECOMMISSION", "SHIP", "RECEIVE",
                                                  "RETURN"};
static const char *const state_names[] = {"seen", "commissioned", "decommissioned", "replaced"};

const char *lk_type_name(int type)
{
    return type >= LK_COMMISSION && type < LK__TYPES ? type_names[type] : "?";
}

int lk_type_parse(const char *name, size_t len)
{
    for (int t = LK_COMMISSION; t < LK__TYPES; t++)
        if (strlen(type_names[t]) == len && strncasecmp(name, type_names[t], len) == 0)
            return t;
    return -1;
}

const char *lk_state_name(int state)
{
    return state >= 0 && state <= LK_REPLACED ? state_names[state] : "?";
}

void lk_format_tz(int tz, char out[8])
{
    int a = tz < 0 ? -tz : tz;
    snprintf(out, 8, "%c%02d:%02d", tz < 0 ? '-' : '+', (a / 60) % 100, a % 60);
}

void lk_format_time(int64_t ms, int tz, char out[96])
{
    time_t t = (time_t)((ms - (ms % 1000 + 1000) % 1000) / 1000) + (time_t)tz * 60;
    struct tm tm;
    char zone[8];
    gmtime_r(&t, &tm);
    lk_format_tz(tz, zone);
    snprintf(out, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((ms % 1000 + 1000) % 1000),
             tz == 0 ? "Z" : zone);
}

/* n decimal digits into *v; YIMA_E_DATA if any is not a digit. */
static int digits(const char *p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return YIMA_E_DATA;
        *v = *v * 10 + (p[i] - '0');
    }
    return YIMA_OK;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* "YYYY-MM-DD" at p (10 bytes): 0 a date that exists, 1 shaped like one
 * but not in the calendar (2026-02-30), -1 not shaped like one. */
static int read_date(const char *p, int *y, int *m, int *d)
{
    if (digits(p, 4, y) || p[4] != '-' || digits(p + 5, 2, m) || p[7] != '-' ||
        digits(p + 8, 2, d))
        return -1;
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m) ? 0 : 1;
}

int lk_is_date(const char *text, size_t len)
{
    int y, m, d;
    return len == 10 && read_date(text, &y, &m, &d) == 0;
}

int yima_link_parse_tz(const char *text, int *minutes)
{
    int oh, om;
    size_t n = strlen(text);
    if (n == 1 && (text[0] == 'Z' || text[0] == 'z')) {
        *minutes = 0;
        return YIMA_OK;
    }
    if (n != 6 || (text[0] != '+' && text[0] != '-') || digits(text + 1, 2, &oh) ||
        text[3] != ':' || digits(text + 4, 2, &om) || oh > 14 || om > 59)
        return YIMA_E_DATA;
    *minutes = (text[0] == '-' ? -1 : 1) * (oh * 60 + om);
    return YIMA_OK;
}

/* "THH:MM:SS[.frac]" at *p, moving *p past it. */
static int read_clock(const char **p, const char *end, int *h, int *mi, int *sec, int *frac)
{
    const char *s = *p;
    if ((*s != 'T' && *s != 't' && *s != ' ') || end - s < 9 || digits(s + 1, 2, h) ||
        s[3] != ':' || digits(s + 4, 2, mi) || s[6] != ':' || digits(s + 7, 2, sec) ||
        *h > 23 || *mi > 59 || *sec > 60)
        return YIMA_E_DATA;
    s += 9;
    *frac = 0;
    if (s < end && *s == '.') {
        int n = 0;
        for (s++; s < end && *s >= '0' && *s <= '9'; s++, n++)
            if (n < 3)
                *frac = *frac * 10 + (*s - '0');
        if (n == 0)
            return YIMA_E_DATA;
        for (; n < 3; n++)
            *frac *= 10;
    }
    *p = s;
    return YIMA_OK;
}

/* "Z" or "+08:00" at *p, moving *p past it; *has 0 if there is none. */
static int read_offset(const char **p, const char *end, int *off, int *has)
{
    char zone[7];
    size_t n = (size_t)(end - *p);
    *has = 0;
    if (n == 0)
        return YIMA_OK;
    n = **p == 'Z' || **p == 'z' ? 1 : n < 6 ? n : 6;
    memcpy(zone, *p, n);
    zone[n] = '\0';
    if (yima_link_parse_tz(zone, off))
        return YIMA_E_DATA;
    *p += n;
    *has = 1;
    return YIMA_OK;
}

int yima_link_parse_time(const char *text, size_t len, int default_tz, int64_t *ms, int *tz,
                         yima_err *err)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0, has_off = 0;
    const char *p = text + 10, *end = text + len;
    int shown = len > 40 ? 40 : (int)len, date = len < 10 ? -1 : read_date(text, &y, &mo, &d);
    int shaped = date >= 0;
    if (shaped && p < end) /* a date alone has no clock and no offset */
        shaped = !read_clock(&p, end, &h, &mi, &sec, &frac) &&
                 !read_offset(&p, end, &off, &has_off) && p == end;
    if (!shaped)
        return yima_err_set(err, YIMA_E_DATA, "'%.*s' is not RFC 3339 (2024-05-01T08:00:00+08:00)",
                            shown, text);
    if (date > 0)
        return yima_err_set(err, YIMA_E_DATA, "'%.*s': %.10s is not a calendar date", shown,
                            text, text);
    if (!has_off && default_tz == YIMA_LINK_TZ_NONE)
        return yima_err_set(err, YIMA_E_DATA, "'%.*s' has no UTC offset (Z or +08:00)", shown,
                            text);
    if (!has_off)
        off = default_tz;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *ms = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000 + frac;
    if (tz)
        *tz = off;
    return YIMA_OK;
}
