/* SPDX-License-Identifier: MIT */
/* The SQLite backend (link_db.h): one store file in WAL mode, its writers
 * taking turns at the writers' gate (link_gate.c). */
#include <stdlib.h>
#include <string.h>
#include "link_db_sqlite.h"
#include "link_gate.h"
#include "link_internal.h"

/* How long opening waits for another process's lock to switch to WAL. */
#define BUSY_MS 10000
/* WAL frames after which a writer copies them back into the store (as
 * SQLite's own autocheckpoint would), once out of its turn. */
#define CHECKPOINT_FRAMES 1000
/* A bulk import's: its commits rewrite the same index pages many times
 * over, and a page is copied once per checkpoint however often the WAL
 * has it (a quick A/B, 1.2M links beside two stations: 9.7 s at 1,000,
 * 8.2 s at 100,000). */
#define BULK_CHECKPOINT_FRAMES 65536
/* A bulk import's handle maps the store into memory, which alone beats
 * reading pages into its cache, but not while others write: each commit of
 * another handle makes SQLite unmap the store from this one, and every page
 * touched next faults in again, with a TLB shootdown across the import's
 * threads (2,400,000 links beside two stations writing every 50 ms: 37 s
 * mapped, 33 s not; alone 19.5 s mapped, 24.5 s not). Alone again means no
 * other commit for ALONE_MS. */
#define BULK_MAP "PRAGMA mmap_size=1073741824"
#define ALONE_MS 1000

typedef struct sq_db {
    lk_db base;
    sqlite3 *db;
    char *path;     /* to lead messages */
    lk_gate gate;
    int wal_frames; /* the WAL's size after this handle's last commit */
    int checkpoint_frames; /* wal_frames that make a checkpoint */
    sqlite3_stmt *data_version; /* PRAGMA data_version, once asked */
    int64_t version;            /* its last answer, for sq_others_wrote */
    int bulk;                   /* tuned for a bulk import: maps when alone */
    int mapped;                 /* bulk: the store is mapped (BULK_MAP) */
    int64_t map_version;        /* bulk: data_version when it last looked */
    int64_t others_ms;          /* bulk: when it last saw another's commit */
} sq_db;

typedef struct sq_st {
    lk_st base;
    sqlite3_stmt *st;
} sq_st;

#define DB(d) ((sq_db *)(d))
#define ST(s) (((sq_st *)(s))->st)

static int db_error(sq_db *d, const char *what, yima_err *err)
{
    return yima_err_set(err, YIMA_E_STORE, "%s: %s: %s", d->path, what, sqlite3_errmsg(d->db));
}

static int exec_as(sq_db *d, const char *sql, const char *what, yima_err *err)
{
    if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(d, what, err);
    return YIMA_OK;
}

/* yima_code_hash(text) in SQL, for the upgrade and lookups by code text. */
static void sql_code_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (text)
        sqlite3_result_int64(ctx, lk_code_hash(text, (size_t)sqlite3_value_bytes(argv[0])));
}

/* Every writer waits for its turn rather than fail: yima writers queue at
 * the gate, so SQLite's lock is busy only while another program writes (or
 * a reader recovers the WAL). Polled at 1 ms, then 10 ms. */
static int wait_busy(void *ctx, int tries)
{
    (void)ctx;
    sqlite3_sleep(tries < 50 ? 1 : 10);
    return 1;
}

/* Records the WAL's size after each commit, in place of SQLite's
 * autocheckpoint (see sq_checkpoint_due). */
static int note_wal(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((sq_db *)ctx)->wal_frames = frames;
    return SQLITE_OK;
}

/* A new file's switch to WAL needs an exclusive lock, and SQLite fails at
 * once rather than call the busy handler when another process holds the
 * file (two stations creating one store): retry for as long as the busy
 * timeout would wait. */
static int set_wal(sq_db *d, yima_err *err)
{
    for (int waited = 0;; waited += 10) {
        int rc = sqlite3_exec(d->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return YIMA_OK;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_MS)
            return db_error(d, "switching to WAL mode", err);
        sqlite3_sleep(10);
    }
}

static const char writer_pragmas[] = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                                     "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF";

/* The connection's settings, and a writer's gate and WAL. */
static int set_up(sq_db *d, int write, yima_err *err)
{
    sqlite3_busy_handler(d->db, wait_busy, NULL);
    sqlite3_create_function(d->db, "yima_code_hash", 1,
                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                            sql_code_hash, NULL, NULL);
    sqlite3_extended_result_codes(d->db, 1);
    /* More and larger lookaside slots: fewer trips to malloc per row. */
    sqlite3_db_config(d->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 512, 2048);
    int rc = YIMA_OK;
    if (write &&
        ((rc = lk_gate_open(&d->gate, d->path, err)) || (rc = set_wal(d, err)) ||
         (rc = exec_as(d, writer_pragmas, writer_pragmas, err))))
        return rc;
    if (!rc && write)
        sqlite3_wal_hook(d->db, note_wal, d);
    return rc;
}

static void sq_close(lk_db *db)
{
    if (!db)
        return;
    sqlite3_finalize(DB(db)->data_version);
    sqlite3_close(DB(db)->db);
    lk_gate_close(&DB(db)->gate);
    free(DB(db)->path);
    free(db);
}

static int sq_open(lk_db **out, const char *path, int write, yima_err *err)
{
    sq_db *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    d->base.be = &lk_sqlite;
    d->gate.fd = -1;
    d->checkpoint_frames = CHECKPOINT_FRAMES;
    int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    int rc;
    if (sqlite3_open_v2(path, &d->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = yima_err_set(err, YIMA_E_IO, "%s: cannot open store: %s", path,
                          d->db ? sqlite3_errmsg(d->db) : "out of memory");
    else
        rc = set_up(d, write, err);
    if (rc) {
        sq_close(&d->base);
        return rc;
    }
    *out = &d->base;
    return YIMA_OK;
}

static int sq_prepare(lk_db *db, const char *sql, unsigned flags, lk_st **out)
{
    sq_st *s = malloc(sizeof *s);
    *out = NULL;
    if (!s)
        return LK_ERROR;
    s->base.be = &lk_sqlite;
    unsigned keep = flags & LK_PREPARE_KEEP ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(DB(db)->db, sql, -1, keep, &s->st, NULL) != SQLITE_OK) {
        sqlite3_finalize(s->st);
        free(s);
        return LK_ERROR;
    }
    *out = &s->base;
    return LK_OK;
}

static void sq_finalize(lk_st *st)
{
    sqlite3_finalize(ST(st));
    free(st);
}

static void sq_reset(lk_st *st)
{
    sqlite3_reset(ST(st));
    sqlite3_clear_bindings(ST(st));
}

static void sq_bind_int64(lk_st *st, int i, int64_t v)
{
    sqlite3_bind_int64(ST(st), i, v);
}

static void sq_bind_text(lk_st *st, int i, const char *text, int len, int copy)
{
    sqlite3_bind_text(ST(st), i, text, len, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

static void sq_bind_blob(lk_st *st, int i, const void *data, int len)
{
    sqlite3_bind_blob(ST(st), i, data, len, SQLITE_STATIC);
}

static int sq_step(lk_st *st)
{
    int rc = sqlite3_step(ST(st));
    return rc == SQLITE_ROW ? LK_ROW : rc == SQLITE_DONE ? LK_DONE : LK_ERROR;
}

static int sq_column_null(lk_st *st, int i)
{
    return sqlite3_column_type(ST(st), i) == SQLITE_NULL;
}

static int64_t sq_column_int64(lk_st *st, int i)
{
    return sqlite3_column_int64(ST(st), i);
}

static const char *sq_column_text(lk_st *st, int i)
{
    return (const char *)sqlite3_column_text(ST(st), i);
}

static const void *sq_column_blob(lk_st *st, int i)
{
    return sqlite3_column_blob(ST(st), i);
}

static int sq_column_bytes(lk_st *st, int i)
{
    return sqlite3_column_bytes(ST(st), i);
}

static int64_t sq_last_id(lk_db *db)
{
    return sqlite3_last_insert_rowid(DB(db)->db);
}

static int sq_exec(lk_db *db, const char *sql)
{
    return sqlite3_exec(DB(db)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? LK_OK : LK_ERROR;
}

/* BEGIN IMMEDIATE, again while SQLite finds the lock busy without asking
 * the busy handler (it does so where waiting could deadlock, or while
 * another connection recovers the WAL): a writer waits, it never fails. */
static int begin_immediate(sq_db *d, yima_err *err)
{
    while (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        /* BUSY_SNAPSHOT: this connection reads an old snapshot (a statement
         * not reset); waiting would never end, so it is an error. */
        int code = sqlite3_extended_errcode(d->db);
        if ((code & 0xff) != SQLITE_BUSY || code == SQLITE_BUSY_SNAPSHOT)
            return db_error(d, "BEGIN IMMEDIATE", err);
        sqlite3_sleep(1);
    }
    return YIMA_OK;
}

/* 1 if another connection committed since *seen was taken (PRAGMA
 * data_version tells); 0 the first time, which only looks. */
static int version_changed(sq_db *d, int64_t *seen)
{
    if (!d->data_version &&
        sqlite3_prepare_v3(d->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                           &d->data_version, NULL) != SQLITE_OK)
        return 0;
    int64_t v = sqlite3_step(d->data_version) == SQLITE_ROW
                    ? sqlite3_column_int64(d->data_version, 0) : *seen;
    sqlite3_reset(d->data_version);
    int changed = *seen && v != *seen;
    *seen = v;
    return changed;
}

/* Before a bulk import's transaction: the store mapped only while no other
 * handle has committed for ALONE_MS (BULK_MAP). Best effort: unmapped or
 * not, the transaction's results are the same. */
static void map_if_alone(sq_db *d)
{
    int64_t now = lk_now_ms();
    if (version_changed(d, &d->map_version))
        d->others_ms = now;
    int alone = !d->others_ms || now - d->others_ms >= ALONE_MS;
    if (alone != d->mapped && sqlite3_exec(d->db, alone ? BULK_MAP : "PRAGMA mmap_size=0",
                                           NULL, NULL, NULL) == SQLITE_OK)
        d->mapped = alone;
}

/* A writer: its turn at the gate, then SQLite's write lock. IMMEDIATE
 * takes that lock now, so a writer outside the gate (another program) is
 * waited for before, not halfway through, a batch; a bulk import's
 * handle first maps the store or not (map_if_alone). A snapshot: a plain
 * BEGIN, whose first read fixes what the transaction sees. */
static int sq_begin(lk_db *db, int kind, yima_err *err)
{
    sq_db *d = DB(db);
    if (kind == LK_SNAPSHOT)
        return exec_as(d, "BEGIN", "BEGIN", err);
    int rc = lk_gate_enter(&d->gate, d->path, err);
    if (!rc && d->bulk)
        map_if_alone(d);
    rc = rc ? rc : begin_immediate(d, err);
    if (rc)
        lk_gate_leave(&d->gate);
    return rc;
}

/* 1 if the WAL has grown enough to be copied back into the store, after
 * the turn is given up (the copy then runs beside the next writer, not in
 * its way). Beside a bulk import the others leave that to it: the WAL is
 * then mostly the import's, and a station that copied it after each of its
 * events spent its fsyncs on the import's pages, so its next event waited
 * for them and the import lost its pace. Past twice the import's own
 * threshold anyone copies. */
static int sq_checkpoint_due(lk_db *db)
{
    sq_db *d = DB(db);
    int grown = d->wal_frames >= d->checkpoint_frames;
    int due = grown && (d->bulk || d->wal_frames >= 2 * BULK_CHECKPOINT_FRAMES ||
                        !lk_gate_bulk_elsewhere(&d->gate));
    d->wal_frames = 0;
    return due;
}

/* A passive checkpoint: what no reader still needs, beside the writers. */
static int sq_wal_checkpoint(lk_db *db, yima_err *err)
{
    sq_db *d = DB(db);
    int rc = sqlite3_wal_checkpoint_v2(d->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY ? YIMA_OK
                                                         : db_error(d, "copying the WAL back", err);
}

static int sq_commit(lk_db *db, yima_err *err)
{
    sq_db *d = DB(db);
    int rc = exec_as(d, "COMMIT", "COMMIT", err);
    if (rc)
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
    lk_gate_leave(&d->gate);
    return rc;
}

static void sq_rollback(lk_db *db)
{
    sqlite3_exec(DB(db)->db, "ROLLBACK", NULL, NULL, NULL);
    lk_gate_leave(&DB(db)->gate);
}

static const char *sq_errmsg(lk_db *db)
{
    return sqlite3_errmsg(DB(db)->db);
}

static int sq_set_sync(lk_db *db, int full, yima_err *err)
{
    const char *sql = full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    return exec_as(DB(db), sql, sql, err);
}

static int sq_others_wrote(lk_db *db)
{
    return version_changed(DB(db), &DB(db)->version);
}

static int sq_writer_waits(lk_db *db)
{
    return lk_gate_waiting(&DB(db)->gate);
}

/* Bulk: room for the code index's hot pages, which random codes touch
 * all over; pages are taken only as used. And the store mapped into
 * memory while the import writes alone (map_if_alone), which reads those
 * pages faster than a cache. Only for a bulk import: a handle's mapping is
 * dropped and its pages mapped again at its first read after another
 * handle wrote, so where many handles take turns (sixteen in a `yima
 * serve`) mapping cost more than it saved. */
static int sq_tune_bulk(lk_db *db, yima_err *err)
{
    static const char sql[] = "PRAGMA cache_size=-524288; " BULK_MAP;
    sq_db *d = DB(db);
    d->checkpoint_frames = BULK_CHECKPOINT_FRAMES;
    lk_gate_mark_bulk(&d->gate);
    d->bulk = d->mapped = 1;
    version_changed(d, &d->map_version);
    return exec_as(d, sql, sql, err);
}

sqlite3 *lk_sqlite_handle(lk_db *db)
{
    return db && db->be == &lk_sqlite ? DB(db)->db : NULL;
}

int lk_sqlite_gate_fd(lk_db *db)
{
    return db && db->be == &lk_sqlite ? DB(db)->gate.fd : -1;
}

const lk_backend lk_sqlite = {
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .column_null = sq_column_null,
    .column_int64 = sq_column_int64,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .column_bytes = sq_column_bytes,
    .last_id = sq_last_id,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .checkpoint_due = sq_checkpoint_due,
    .wal_checkpoint = sq_wal_checkpoint,
    .rollback = sq_rollback,
    .errmsg = sq_errmsg,
    .retryable = NULL, /* one writer at a time: no conflicts to retry */
    .set_sync = sq_set_sync,
    .writer_waits = sq_writer_waits,
    .others_wrote = sq_others_wrote,
    .tune_bulk = sq_tune_bulk,
};
