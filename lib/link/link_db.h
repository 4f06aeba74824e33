/* SPDX-License-Identifier: MIT */
/*
 * The store's engine behind one small interface (private to lib/link).
 *
 * The link rules (link_apply.c, link_chain.c, ...) speak SQL through these
 * calls only; a backend (link_db_sqlite.c) turns them into its engine's
 * own. SQL text uses ?N parameters. The calls that run SQL given by the
 * caller (prepare, step, exec) return LK_OK (0) or LK_ERROR and leave the
 * reason in errmsg(db), and lk_db_error() in link_internal.h makes the
 * message; the calls whose SQL the backend chooses (open, begin, commit,
 * set_sync, tune_bulk) set err themselves, leading with the store's name.
 *
 * Both handles begin with their backend, so the inline calls below reach
 * it from a statement alone.
 */
#ifndef YIMA_LINK_DB_H
#define YIMA_LINK_DB_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"

typedef struct lk_backend lk_backend;
typedef struct lk_db {
    const lk_backend *be;
} lk_db;
typedef struct lk_st {
    const lk_backend *be;
} lk_st;

/* Results; step gives LK_ROW (a row to read), LK_DONE or LK_ERROR. */
enum { LK_OK = 0, LK_DONE = 0, LK_ROW = 1, LK_ERROR = -1 };
/* Transactions: a writer's (others wait for its commit), or a read-only
 * snapshot that sees one state of the store throughout. */
enum { LK_WRITE, LK_SNAPSHOT };
/* prepare: the statement lives as long as the handle, run many times.
 * STREAM: it may walk millions of rows; inside a transaction a backend
 * that would hold them all (PostgreSQL) fetches them in chunks instead, so
 * memory stays constant. SQLite steps row by row anyway and ignores it. */
enum { LK_PREPARE_KEEP = 1, LK_PREPARE_STREAM = 2 };

struct lk_backend {
    /* The store at target, created if write and missing: LK_OK with *out,
     * or a yima error code with err set (the message leads with target). */
    int (*open)(lk_db **out, const char *target, int write, yima_err *err);
    void (*close)(lk_db *db); /* NULL is accepted */
    int (*prepare)(lk_db *db, const char *sql, unsigned flags, lk_st **out);
    void (*finalize)(lk_st *st);
    /* Ready to run again, every parameter back to NULL. */
    void (*reset)(lk_st *st);
    void (*bind_int64)(lk_st *st, int i, int64_t v);
    /* text NULL binds NULL; len < 0: up to the NUL. Borrowed until the
     * next step or reset unless copy is set. */
    void (*bind_text)(lk_st *st, int i, const char *text, int len, int copy);
    void (*bind_blob)(lk_st *st, int i, const void *data, int len); /* borrowed */
    int (*step)(lk_st *st);
    /* Optional: runs st, whose rows are not wanted, without waiting for
     * it: LK_OK, or LK_ERROR if it could not be sent. It fails later, if
     * it does, as the next statement to run (or the commit), with its
     * reason; a transaction that fails is rolled back anyway. */
    int (*step_ahead)(lk_st *st);
    /* Columns of the current row; text and blob valid until the next step. */
    int (*column_null)(lk_st *st, int i);
    int64_t (*column_int64)(lk_st *st, int i);
    const char *(*column_text)(lk_st *st, int i); /* NUL-terminated; NULL for NULL */
    const void *(*column_blob)(lk_st *st, int i);
    int (*column_bytes)(lk_st *st, int i);
    /* The id the last INSERT gave its row (codes.id, events.seq).
     * PostgreSQL has no rowid: there it is the first column of the last
     * INSERT ... RETURNING row, so an INSERT whose id is wanted says
     * RETURNING (and its step gives LK_ROW, as on SQLite). */
    int64_t (*last_id)(lk_db *db);
    /* Several statements, no parameters, no rows. */
    int (*exec)(lk_db *db, const char *sql);
    int (*begin)(lk_db *db, int kind, yima_err *err);
    /* Ends the transaction; a failed commit is rolled back (err may be NULL). */
    int (*commit)(lk_db *db, yima_err *err);
    /* Optional: 1 if the last commit left work due, to be done out of the
     * writers' way (SQLite: copying a grown WAL back into the store); it
     * is then the caller's to do. */
    int (*checkpoint_due)(lk_db *db);
    /* Optional: that work now, whatever is due (err may be NULL). */
    int (*wal_checkpoint)(lk_db *db, yima_err *err);
    void (*rollback)(lk_db *db);
    const char *(*errmsg)(lk_db *db);
    /* Optional (NULL: never). 1 if the last error was a conflict between
     * concurrent transactions (PostgreSQL's 40001 serialization failure or
     * 40P01 deadlock): rolled back, the transaction may simply run again. */
    int (*retryable)(lk_db *db);
    /* How durable a commit is (yima_link_sync). */
    int (*set_sync)(lk_db *db, int full, yima_err *err);
    /* Optional (NULL: nothing to do). 1 if another writer waits for its
     * turn at the store (SQLite's writers' gate, link_gate.c). */
    int (*writer_waits)(lk_db *db);
    /* Optional: 1 if another handle committed since the last call (or the
     * open), which a writer that holds no transaction sees. */
    int (*others_wrote)(lk_db *db);
    /* A bulk import is about to run: room for its working set. */
    int (*tune_bulk)(lk_db *db, yima_err *err);
};

static inline void lk_finalize(lk_st *st)
{
    if (st)
        st->be->finalize(st);
}
static inline void lk_reset(lk_st *st) { st->be->reset(st); }
static inline void lk_bind_int64(lk_st *st, int i, int64_t v) { st->be->bind_int64(st, i, v); }
static inline void lk_bind_text(lk_st *st, int i, const char *text, int len)
{
    st->be->bind_text(st, i, text, len, 0);
}
/* Same, the text copied: the caller may change it before the step. */
static inline void lk_bind_text_copy(lk_st *st, int i, const char *text, int len)
{
    st->be->bind_text(st, i, text, len, 1);
}
static inline void lk_bind_blob(lk_st *st, int i, const void *data, int len)
{
    st->be->bind_blob(st, i, data, len);
}
static inline int lk_step(lk_st *st) { return st->be->step(st); }
/* Runs st, whose rows are not wanted, without waiting where the backend
 * can (PostgreSQL sends it with the next statement: a round trip less):
 * LK_OK or LK_ERROR. */
static inline int lk_step_ahead(lk_st *st)
{
    if (st->be->step_ahead)
        return st->be->step_ahead(st);
    return st->be->step(st) == LK_ERROR ? LK_ERROR : LK_OK;
}
static inline int lk_column_null(lk_st *st, int i) { return st->be->column_null(st, i); }
static inline int64_t lk_column_int64(lk_st *st, int i) { return st->be->column_int64(st, i); }
static inline int lk_column_int(lk_st *st, int i) { return (int)st->be->column_int64(st, i); }
static inline const char *lk_column_text(lk_st *st, int i) { return st->be->column_text(st, i); }
static inline const void *lk_column_blob(lk_st *st, int i) { return st->be->column_blob(st, i); }
static inline int lk_column_bytes(lk_st *st, int i) { return st->be->column_bytes(st, i); }

/* The backends. */
extern const lk_backend lk_sqlite;
extern const lk_backend lk_pg;

#endif
