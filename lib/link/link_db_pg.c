/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend (link_db.h) over libpq: one connection per handle.
 *
 * Every statement is prepared on the server under a name of its own, its
 * ?N parameters rewritten to $N. A step runs it once and keeps the whole
 * result, in binary (bytea exact, integers decoded by type), then walks it
 * row by row: the connection is free again at once, so another statement
 * may run while this one is on a row, as on SQLite. A STREAM statement
 * inside a transaction runs as a cursor fetched FETCH_ROWS at a time
 * instead, so a walk over millions of rows holds one chunk.
 *
 * Writers run READ COMMITTED and never take turns (no writers' gate): two
 * transactions that conflict fail one of them with 40001 or 40P01, which
 * retryable() reports. The database must exist; this backend never
 * creates one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "link_db_pg.h"

/* A writer's transaction, its BEGIN and COMMIT prepared under these names
 * (statements are yq<n> and yd<n>). */
#define BEGIN_WRITER "BEGIN ISOLATION LEVEL READ COMMITTED"
#define BEGIN_NAME "yb"
#define COMMIT_NAME "ye"
/* Statements sent ahead before their results are read anyway: libpq keeps
 * the results that come back meanwhile, so memory stays bounded. */
#define AHEAD_MAX 256
/* Rows a cursor fetches at a time: memory per stream stays this small. */
#define FETCH_ROWS 1000
/* Type oids (pg_type.dat): the ones a column or parameter is read as. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

/* Ad hoc statements (prepared, run once, finalized) stay prepared, the
 * CACHE_MAX used last on a connection: a prepare, its description and its
 * DEALLOCATE are three round trips and a plan more for each run, and a
 * server's capture ran several such statements. */
#define CACHE_MAX 64

typedef struct pg_st pg_st;

typedef struct pg_db {
    lk_db base;
    PGconn *conn;
    char *name;          /* the target, password hidden, to lead messages */
    unsigned next_name;  /* statements and cursors are named yq<n>, yc<n> */
    int64_t last_id;
    char sqlstate[6];    /* of the last error; "" when none */
    char msg[512];       /* the last error's first line, SQLSTATE kept */
    pg_st *cache[CACHE_MAX]; /* ad hoc statements kept prepared */
    int ncache;
    unsigned long uses;  /* cache_take's clock */
    int ahead;           /* statements sent ahead, their results not yet read */
} pg_db;

/* A statement's state between steps. */
enum { ST_IDLE, ST_ROWS, ST_DONE };

struct pg_st {
    lk_st base;
    pg_db *db;
    unsigned name;       /* yq<name>; a stream also yd<name> (DECLARE yc<name>) */
    int stream;
    int nparams;
    Oid *types;          /* of each parameter, as the server inferred it */
    const char **values; /* NULL: SQL NULL */
    int *lengths, *formats;
    char **own;          /* copies of text and integers, grown as needed */
    size_t *own_cap;
    PGresult *res;
    int state, row, rows;
    int cursor_open, chunk_full;
    char (*num)[24];     /* integer columns read as text */
    int num_cols;
    char *sql;           /* a cached statement's text, as asked for; else NULL */
    int busy;            /* a cached statement in use */
    unsigned long used;  /* when it was last taken */
};

#define DB(d) ((pg_db *)(d))
#define ST(s) ((pg_st *)(s))

/* ---- names and messages ---- */

int lk_pg_target(const char *target)
{
    return !strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11) ||
           strchr(target, '=') != NULL;
}

/* Length of the password value starting at p: quoted '...' (key=value
 * form), else up to a space, '&' or the end. */
static size_t secret_len(const char *p)
{
    size_t n = 0;
    if (*p == '\'') {
        for (n = 1; p[n] && p[n] != '\''; n++)
            if (p[n] == '\\' && p[n + 1])
                n++;
        return p[n] ? n + 1 : n;
    }
    while (p[n] && p[n] != '&' && !isspace((unsigned char)p[n]))
        n++;
    return n;
}

/* Appends s[0..n) to out at *at (out has room: the result never grows
 * past the input plus a few "***"). */
static void put(char *out, size_t *at, const char *s, size_t n)
{
    memcpy(out + *at, s, n);
    *at += n;
}

/* The user:password@ of a URI, its password hidden: the span after
 * "scheme://" up to the first '/', '?' or the end. */
static size_t hide_userinfo(const char *t, char *out, size_t *at)
{
    const char *auth = strstr(t, "://") + 3;
    size_t end = strcspn(auth, "/?");
    const char *at_sign = memchr(auth, '@', end);
    const char *colon = at_sign ? memchr(auth, ':', (size_t)(at_sign - auth)) : NULL;
    put(out, at, t, (size_t)(auth - t));
    if (!colon) {
        put(out, at, auth, end);
    } else {
        put(out, at, auth, (size_t)(colon - auth) + 1);
        put(out, at, "***", 3);
        put(out, at, at_sign, end - (size_t)(at_sign - auth));
    }
    return (size_t)(auth - t) + end;
}

char *lk_pg_safe_name(const char *target)
{
    size_t len = strlen(target);
    char *out = malloc(len * 2 + 16);
    if (!out)
        return NULL;
    size_t at = 0, i = 0;
    if (strstr(target, "://"))
        i = hide_userinfo(target, out, &at);
    /* password=... as a key=value pair or a URI query parameter. */
    while (i < len) {
        int key = !strncmp(target + i, "password", 8) &&
                  (i == 0 || strchr(" \t?&", target[i - 1]));
        size_t j = i + 8;
        while (key && (target[j] == ' ' || target[j] == '\t'))
            j++;
        if (!key || target[j] != '=') {
            out[at++] = target[i++];
            continue;
        }
        for (j++; target[j] == ' ' || target[j] == '\t'; j++)
            ;
        put(out, &at, target + i, j - i);
        put(out, &at, "***", 3);
        i = j + secret_len(target + j);
    }
    out[at] = '\0';
    return out;
}

static void clear_error(pg_db *d)
{
    d->sqlstate[0] = '\0';
}

/* Keeps the first line of why r (or the connection) failed, with its
 * SQLSTATE: "duplicate key value violates ... (SQLSTATE 23505)". */
static void note_error(pg_db *d, const PGresult *r)
{
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *text = primary ? primary : PQerrorMessage(d->conn);
    if (!text || !*text)
        text = "unknown error";
    int n = (int)strcspn(text, "\n");
    snprintf(d->sqlstate, sizeof d->sqlstate, "%s", state ? state : "");
    if (state)
        snprintf(d->msg, sizeof d->msg, "%.*s (SQLSTATE %s)", n, text, state);
    else
        snprintf(d->msg, sizeof d->msg, "%.*s", n, text);
}

/* ---- statements sent ahead (libpq's pipeline mode) ---- */

/* One statement's result in a pipeline, the NULL that ends it read too
 * (NULL: the connection is lost). */
static PGresult *next_result(pg_db *d)
{
    PGresult *r = PQgetResult(d->conn);
    if (r)
        PQclear(PQgetResult(d->conn));
    return r;
}

/* The results of what was sent ahead, read after the pipeline's sync:
 * then (own not NULL) that of the statement sent last, given to the
 * caller; pipeline mode left. LK_ERROR, with the first failure noted, if
 * one sent ahead failed: the rest, own included, were not run (*own NULL). */
static int settle(pg_db *d, PGresult **own)
{
    int rc = LK_OK, n = d->ahead + (own != NULL);
    d->ahead = 0;
    if (own)
        *own = NULL;
    if (!PQpipelineSync(d->conn)) {
        note_error(d, NULL);
        return LK_ERROR;
    }
    for (int i = 0; i < n; i++) {
        PGresult *r = next_result(d);
        ExecStatusType st = PQresultStatus(r);
        if (!r && !rc)
            note_error(d, NULL);
        if (!r)
            return LK_ERROR;
        if (own && i == n - 1 && !rc) {
            *own = r;
            break;
        }
        if (!rc && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            note_error(d, r);
            rc = LK_ERROR;
        }
        PQclear(r);
    }
    PQclear(PQgetResult(d->conn)); /* the sync's */
    if (!PQexitPipelineMode(d->conn) && !rc) {
        note_error(d, NULL);
        rc = LK_ERROR;
    }
    return rc;
}

/* The connection free for a statement of its own: what was sent ahead
 * read first. */
static int settle_ahead(pg_db *d)
{
    return d->ahead ? settle(d, NULL) : LK_OK;
}

/* Sends prepared statement name ahead, with s's parameters (s NULL: none). */
static int send_ahead(pg_db *d, const char *name, const pg_st *s)
{
    int sent = PQpipelineStatus(d->conn) == PQ_PIPELINE_ON || PQenterPipelineMode(d->conn);
    if (sent)
        sent = PQsendQueryPrepared(d->conn, name, s ? s->nparams : 0, s ? s->values : NULL,
                                   s ? s->lengths : NULL, s ? s->formats : NULL, 1);
    if (sent)
        return ++d->ahead < AHEAD_MAX ? LK_OK : settle(d, NULL);
    note_error(d, NULL);
    if (PQpipelineStatus(d->conn) == PQ_PIPELINE_ON)
        settle(d, NULL);
    return LK_ERROR;
}

/* Runs prepared statement name with s's parameters (s NULL: none; name
 * NULL: sql, with none), in results of format binary; after what was sent
 * ahead, in the same round trip. NULL, the reason noted, if it (or one
 * sent ahead) failed to run. */
static PGresult *exec_after(pg_db *d, const char *name, const char *sql, const pg_st *s,
                            int binary)
{
    PGresult *r = NULL;
    int sent = 1, n = s ? s->nparams : 0;
    const char *const *v = s ? s->values : NULL;
    const int *len = s ? s->lengths : NULL, *fmt = s ? s->formats : NULL;
    if (!d->ahead && name)
        r = PQexecPrepared(d->conn, name, n, v, len, fmt, binary);
    else if (!d->ahead)
        r = PQexecParams(d->conn, sql, 0, NULL, NULL, NULL, NULL, binary);
    else if (name)
        sent = PQsendQueryPrepared(d->conn, name, n, v, len, fmt, binary);
    else
        sent = PQsendQueryParams(d->conn, sql, 0, NULL, NULL, NULL, NULL, binary);
    if (!sent) {
        note_error(d, NULL);
        settle(d, NULL);
        return NULL;
    }
    if (d->ahead)
        settle(d, &r); /* r NULL: one sent ahead failed, noted */
    else if (!r)
        note_error(d, NULL);
    return r;
}

/* Runs sql with no parameters: LK_OK, or LK_ERROR with the reason noted. */
static int run_sql(pg_db *d, const char *sql)
{
    if (settle_ahead(d) != LK_OK)
        return LK_ERROR;
    PGresult *r = PQexec(d->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    if (!ok)
        note_error(d, r);
    PQclear(r);
    return ok ? LK_OK : LK_ERROR;
}

/* Runs sql the backend chose, err set "NAME: what: reason" on failure. */
static int run_as(pg_db *d, const char *sql, yima_err *err)
{
    if (run_sql(d, sql) == LK_OK)
        return YIMA_OK;
    return yima_err_set(err, YIMA_E_STORE, "%s: %s: %s", d->name, sql, d->msg);
}

/* ---- connection ---- */

/* libpq prints notices (a NOTICE from the server) to stderr by default;
 * a library never prints. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void free_st(pg_st *s);

static void pg_close(lk_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < DB(db)->ncache; i++)
        free_st(DB(db)->cache[i]);
    PQfinish(DB(db)->conn);
    free(DB(db)->name);
    free(db);
}

/* A connected handle's settings: UTF-8 text, no stray output, no JIT, and
 * a reader that cannot write. The store's statements are short and run
 * often; JIT compiling only costs them (a filtered export, whose
 * recursive CTE the planner overestimates a hundredfold, spent 3.8 s
 * compiling for a 0.5 s query). */
static int server_prepare(pg_db *d, const char *name, const char *sql, PGresult **desc);

static int set_up(pg_db *d, int write, yima_err *err)
{
    PQsetNoticeProcessor(d->conn, quiet, NULL);
    if (PQsetClientEncoding(d->conn, "UTF8") != 0)
        return yima_err_set(err, YIMA_E_STORE, "%s: cannot use UTF-8: %s", d->name,
                            PQerrorMessage(d->conn));
    /* One round trip. A writer's commits are all durable, whatever the
     * server's default: set here once, not before each transaction. */
    int rc = run_as(d, write ? "SET jit = off; SET synchronous_commit = on"
                             : "SET jit = off; SET default_transaction_read_only = on", err);
    /* A writer's BEGIN and every COMMIT go with other statements
     * (send_ahead), prepared: parsed once, not at each transaction. */
    for (int i = 0; !rc && i < 2; i++)
        if (server_prepare(d, i ? COMMIT_NAME : BEGIN_NAME, i ? "COMMIT" : BEGIN_WRITER,
                           NULL) != LK_OK)
            rc = yima_err_set(err, YIMA_E_STORE, "%s: preparing its transactions: %s",
                              d->name, d->msg);
    return rc;
}

static int pg_open(lk_db **out, const char *target, int write, yima_err *err)
{
    pg_db *d = calloc(1, sizeof *d);
    if (!d || !(d->name = lk_pg_safe_name(target))) {
        free(d);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    d->base.be = &lk_pg;
    /* dbname with expand_dbname: target may be a URI or key=value pairs. */
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const vals[] = {target, "yima", NULL};
    d->conn = PQconnectdbParams(keys, vals, 1);
    int rc;
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
        const char *why = d->conn ? PQerrorMessage(d->conn) : "out of memory";
        rc = yima_err_set(err, YIMA_E_IO,
                          "%s: cannot connect to PostgreSQL: %.*s (the database must exist: "
                          "yima never creates one, make it with createdb)",
                          d->name, (int)strcspn(why, "\n"), why);
    } else {
        rc = set_up(d, write, err);
    }
    if (rc) {
        pg_close(&d->base);
        return rc;
    }
    *out = &d->base;
    return YIMA_OK;
}

/* ---- statements ---- */

/* sql with each ?N as $N (a bare ? is one more than the highest so far, as
 * in SQLite), outside '...' literals and "..." names; malloc'd. */
static char *rewrite(const char *sql)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 7 + 1); /* a bare ? grows to at most $NNNNN */
    if (!out)
        return NULL;
    size_t at = 0;
    long high = 0;
    char quote = 0;
    for (const char *p = sql; *p;) {
        if (quote) {
            quote = *p == quote ? 0 : quote; /* '' reopens at once: same text */
            out[at++] = *p++;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            out[at++] = *p++;
        } else if (*p == '?') {
            char *end = (char *)p + 1;
            long n = isdigit((unsigned char)p[1]) ? strtol(p + 1, &end, 10) : high + 1;
            high = n > high ? n : high;
            at += (size_t)sprintf(out + at, "$%ld", n);
            p = end;
        } else {
            out[at++] = *p++;
        }
    }
    out[at] = '\0';
    return out;
}

/* Prepares sql on the server as statement name, and learns its
 * parameters' types: LK_OK, or LK_ERROR with the reason noted. */
static int server_prepare(pg_db *d, const char *name, const char *sql, PGresult **desc)
{
    if (settle_ahead(d) != LK_OK)
        return LK_ERROR;
    PGresult *r = PQprepare(d->conn, name, sql, 0, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        note_error(d, r);
    PQclear(r);
    if (!ok || !desc)
        return ok ? LK_OK : LK_ERROR;
    *desc = PQdescribePrepared(d->conn, name);
    if (PQresultStatus(*desc) == PGRES_COMMAND_OK)
        return LK_OK;
    note_error(d, *desc);
    PQclear(*desc);
    *desc = NULL;
    return LK_ERROR;
}

static void free_st(pg_st *s)
{
    free(s->sql);
    for (int i = 0; s->own && i < s->nparams; i++)
        free(s->own[i]);
    free(s->own);
    free(s->own_cap);
    free(s->types);
    free(s->values);
    free(s->lengths);
    free(s->formats);
    free(s->num);
    free(s);
}

/* Room for the parameters desc describes: all NULL, none bound. */
static int take_params(pg_st *s, const PGresult *desc)
{
    int n = s->nparams = PQnparams(desc);
    size_t k = n > 0 ? (size_t)n : 1;
    s->types = calloc(k, sizeof *s->types);
    s->values = calloc(k, sizeof *s->values);
    s->lengths = calloc(k, sizeof *s->lengths);
    s->formats = calloc(k, sizeof *s->formats);
    s->own = calloc(k, sizeof *s->own);
    s->own_cap = calloc(k, sizeof *s->own_cap);
    if (!s->types || !s->values || !s->lengths || !s->formats || !s->own || !s->own_cap)
        return LK_ERROR;
    for (int i = 0; i < n; i++)
        s->types[i] = PQparamtype(desc, i);
    return LK_OK;
}

/* A stream's cursor statement: DECLARE yc<n> ... FOR sql, same parameters. */
static int prepare_cursor(pg_st *s, const char *sql)
{
    size_t len = strlen(sql) + 64;
    char *declare = malloc(len), name[32];
    if (!declare)
        return LK_ERROR;
    snprintf(declare, len, "DECLARE yc%u NO SCROLL CURSOR FOR %s", s->name, sql);
    snprintf(name, sizeof name, "yd%u", s->name);
    int rc = server_prepare(s->db, name, declare, NULL);
    free(declare);
    return rc;
}

static void deallocate(pg_db *d, const char *kind, unsigned n)
{
    char sql[48];
    snprintf(sql, sizeof sql, "DEALLOCATE %s%u", kind, n);
    settle_ahead(d);
    PQclear(PQexec(d->conn, sql)); /* fails only in an aborted transaction: a leak till close */
}

/* A cached statement of this text not in use, now in use; or NULL. */
static pg_st *cache_take(pg_db *d, const char *sql)
{
    for (int i = 0; i < d->ncache; i++)
        if (!d->cache[i]->busy && !strcmp(d->cache[i]->sql, sql)) {
            d->cache[i]->busy = 1;
            d->cache[i]->used = ++d->uses;
            return d->cache[i];
        }
    return NULL;
}

/* Keeps s prepared, in use, in place of the statement used longest ago if
 * the cache is full (none if all are in use). */
static void cache_put(pg_db *d, pg_st *s, const char *sql)
{
    int at = d->ncache;
    for (int i = 0; at == CACHE_MAX && i < CACHE_MAX; i++)
        if (!d->cache[i]->busy && (at == CACHE_MAX || d->cache[i]->used < d->cache[at]->used))
            at = i;
    if (at == CACHE_MAX || !(s->sql = strdup(sql)))
        return;
    if (at < d->ncache) {
        deallocate(d, "yq", d->cache[at]->name);
        free_st(d->cache[at]);
    } else {
        d->ncache++;
    }
    s->busy = 1;
    s->used = ++d->uses;
    d->cache[at] = s;
}

static int pg_prepare(lk_db *db, const char *sql, unsigned flags, lk_st **out)
{
    pg_db *d = DB(db);
    pg_st *s = flags ? NULL : cache_take(d, sql);
    if (s) {
        *out = &s->base;
        return LK_OK;
    }
    s = calloc(1, sizeof *s);
    char *text = rewrite(sql), name[32];
    PGresult *desc = NULL;
    *out = NULL;
    if (!s || !text) {
        free(s);
        free(text);
        snprintf(d->msg, sizeof d->msg, "out of memory");
        return LK_ERROR;
    }
    s->base.be = &lk_pg;
    s->db = d;
    s->name = ++d->next_name;
    s->stream = !!(flags & LK_PREPARE_STREAM);
    snprintf(name, sizeof name, "yq%u", s->name);
    int rc = server_prepare(d, name, text, &desc);
    if (rc == LK_OK && take_params(s, desc) != LK_OK) {
        snprintf(d->msg, sizeof d->msg, "out of memory");
        rc = LK_ERROR;
    }
    if (rc == LK_OK && s->stream && (rc = prepare_cursor(s, text)) != LK_OK)
        deallocate(d, "yq", s->name);
    PQclear(desc);
    free(text);
    if (rc != LK_OK) {
        free_st(s);
        return LK_ERROR;
    }
    if (!flags)
        cache_put(d, s, sql);
    *out = &s->base;
    return LK_OK;
}

/* 1 if cursor yc<n> is open in this transaction. A stream reset after
 * its transaction ended (its cursor gone with it) must not CLOSE it: that
 * error would abort the transaction now open. */
static int cursor_exists(pg_st *s)
{
    settle_ahead(s->db);
    if (PQtransactionStatus(s->db->conn) != PQTRANS_INTRANS)
        return 0;
    char name[32];
    snprintf(name, sizeof name, "yc%u", s->name);
    const char *vals[] = {name};
    PGresult *r = PQexecParams(s->db->conn, "SELECT 1 FROM pg_cursors WHERE name = $1", 1,
                               NULL, vals, NULL, NULL, 0);
    int found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    return found;
}

static void close_cursor(pg_st *s, int known_open)
{
    if (!s->cursor_open)
        return;
    s->cursor_open = 0;
    if (known_open || cursor_exists(s)) {
        char sql[32];
        snprintf(sql, sizeof sql, "CLOSE yc%u", s->name);
        settle_ahead(s->db);
        PQclear(PQexec(s->db->conn, sql));
    }
}

static void pg_reset(lk_st *st)
{
    pg_st *s = ST(st);
    PQclear(s->res);
    s->res = NULL;
    close_cursor(s, 0);
    s->state = ST_IDLE;
    s->rows = s->row = 0;
    for (int i = 0; i < s->nparams; i++)
        s->values[i] = NULL;
}

static void pg_finalize(lk_st *st)
{
    pg_st *s = ST(st);
    pg_reset(st);
    if (s->sql) {
        s->busy = 0; /* kept prepared for the next of its text */
        return;
    }
    deallocate(s->db, "yq", s->name);
    if (s->stream)
        deallocate(s->db, "yd", s->name);
    free_st(s);
}

static void bind_null(pg_st *s, int i)
{
    if (i >= 1 && i <= s->nparams)
        s->values[i - 1] = NULL;
}

/* Parameter i (from 1) as a text-format copy of n bytes of v. */
static void bind_copy(pg_st *s, int i, const char *v, size_t n)
{
    if (i < 1 || i > s->nparams)
        return;
    i--;
    if (s->own_cap[i] < n + 1) {
        char *grown = realloc(s->own[i], n + 1);
        if (!grown) { /* binds NULL; the step's result is then wrong, not unsafe */
            s->values[i] = NULL;
            return;
        }
        s->own[i] = grown;
        s->own_cap[i] = n + 1;
    }
    memcpy(s->own[i], v, n);
    s->own[i][n] = '\0';
    s->values[i] = s->own[i];
    s->lengths[i] = (int)n;
    s->formats[i] = 0;
}

static void pg_bind_int64(lk_st *st, int i, int64_t v)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)v);
    bind_copy(ST(st), i, text, (size_t)n);
}

/* Bytes sent as they are (binary format): bytea and text read them exactly. */
static void bind_raw(pg_st *s, int i, const void *data, int len)
{
    if (i < 1 || i > s->nparams)
        return;
    s->values[i - 1] = data;
    s->lengths[i - 1] = len;
    s->formats[i - 1] = 1;
}

/* Text goes in text format, so a parameter of another type (an integer, a
 * timestamp) parses it as SQLite would convert it; to a bytea parameter
 * its bytes go as they are, never read as bytea escapes. */
static void pg_bind_text(lk_st *st, int i, const char *text, int len, int copy)
{
    pg_st *s = ST(st);
    if (i < 1 || i > s->nparams || !text) {
        bind_null(s, i);
        return;
    }
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    int raw = s->types[i - 1] == OID_BYTEA;
    if (raw && !copy) {
        bind_raw(s, i, text, (int)n);
        return;
    }
    bind_copy(s, i, text, n); /* text format needs the NUL */
    if (raw)
        s->formats[i - 1] = 1;
}

static void pg_bind_blob(lk_st *st, int i, const void *data, int len)
{
    if (data)
        bind_raw(ST(st), i, data, len);
    else
        bind_null(ST(st), i); /* as SQLite binds a NULL pointer */
}

/* ---- results ---- */

static uint64_t be_uint(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A binary numeric's integer part (sign, weight, base-10000 digits). */
static int64_t numeric_int(const unsigned char *p, int len)
{
    if (len < 8)
        return 0;
    int ndigits = (int16_t)be_uint(p, 2), weight = (int16_t)be_uint(p + 2, 2);
    unsigned sign = (unsigned)be_uint(p + 4, 2);
    int64_t v = 0;
    /* Digit i weighs 10000^(weight - i); past five, int64 overflows. */
    for (int i = 0; i <= weight && i < 5; i++) {
        int have = i < ndigits && 8 + 2 * i + 2 <= len;
        v = v * 10000 + (have ? (int64_t)be_uint(p + 8 + 2 * i, 2) : 0);
    }
    return sign == 0x4000 ? -v : v;
}

static int is_integer(Oid t)
{
    return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_BOOL || t == OID_OID;
}

/* Value (row, col) of r as an integer, decoded by its type. */
static int64_t decode_int64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    double f;
    switch (PQftype(r, col)) {
    case OID_BOOL: return len == 1 && p[0];
    case OID_INT2: return len == 2 ? (int16_t)be_uint(p, 2) : 0;
    case OID_INT4: return len == 4 ? (int32_t)be_uint(p, 4) : 0;
    case OID_OID: return len == 4 ? (int64_t)be_uint(p, 4) : 0;
    case OID_INT8: return len == 8 ? (int64_t)be_uint(p, 8) : 0;
    case OID_FLOAT8: {
        uint64_t u = be_uint(p, 8);
        memcpy(&f, &u, sizeof f);
        return (int64_t)f;
    }
    case OID_FLOAT4: {
        uint32_t u = (uint32_t)be_uint(p, 4);
        float g;
        memcpy(&g, &u, sizeof g);
        return (int64_t)g;
    }
    case OID_NUMERIC: return numeric_int(p, len);
    default: return strtoll((const char *)p, NULL, 10); /* text, as SQLite converts it */
    }
}

/* A result of the statement's own: its rows walked from the first. */
static int take_result(pg_st *s, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        note_error(s->db, r);
        PQclear(r);
        s->state = ST_IDLE;
        return LK_ERROR;
    }
    PQclear(s->res);
    s->res = r;
    s->rows = PQntuples(r);
    s->row = 0;
    if (s->rows > 0 && PQnfields(r) > 0 && !strncmp(PQcmdStatus(r), "INSERT", 6))
        s->db->last_id = decode_int64(r, 0, 0);
    int cols = PQnfields(r);
    if (cols > s->num_cols) {
        free(s->num);
        s->num = calloc((size_t)cols, sizeof *s->num);
        s->num_cols = s->num ? cols : 0;
    }
    s->state = s->rows > 0 ? ST_ROWS : ST_DONE;
    return s->rows > 0 ? LK_ROW : LK_DONE;
}

/* The next chunk of an open cursor; the cursor is closed once drained. */
static int fetch(pg_st *s)
{
    char sql[48];
    snprintf(sql, sizeof sql, "FETCH %d FROM yc%u", FETCH_ROWS, s->name);
    PGresult *r = exec_after(s->db, NULL, sql, NULL, 1);
    int rc = r ? take_result(s, r) : LK_ERROR;
    if (rc == LK_ERROR)
        s->cursor_open = 0; /* the transaction is aborted: the cursor goes with it */
    s->chunk_full = rc == LK_ROW && s->rows == FETCH_ROWS;
    if (rc != LK_ROW || !s->chunk_full)
        close_cursor(s, rc != LK_ERROR); /* drained: it may be declared again */
    return rc;
}

/* Runs the statement: in a transaction, a stream as a cursor. */
static int run(pg_st *s)
{
    pg_db *d = s->db;
    char name[32];
    clear_error(d);
    PQclear(s->res);
    s->res = NULL;
    s->state = ST_IDLE;
    if (s->stream && settle_ahead(d) != LK_OK)
        return LK_ERROR;
    int cursor = s->stream && PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
    snprintf(name, sizeof name, "%s%u", cursor ? "yd" : "yq", s->name);
    PGresult *r = exec_after(d, name, NULL, s, cursor ? 0 : 1);
    if (!r)
        return LK_ERROR;
    if (!cursor)
        return take_result(s, r);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        note_error(d, r);
        PQclear(r);
        return LK_ERROR;
    }
    PQclear(r);
    s->cursor_open = 1;
    return fetch(s);
}

static int pg_step(lk_st *st)
{
    pg_st *s = ST(st);
    if (s->state != ST_ROWS) /* not run yet, or done: runs (again, as SQLite would) */
        return run(s);
    if (++s->row < s->rows)
        return LK_ROW;
    if (s->cursor_open)
        return fetch(s);
    s->state = ST_DONE;
    return LK_DONE;
}

/* Sends st ahead: its result is read, and a failure reported, by the next
 * statement that waits for its own (or the commit). A stream runs now. */
static int pg_step_ahead(lk_st *st)
{
    pg_st *s = ST(st);
    char name[32];
    if (s->stream)
        return pg_step(st) == LK_ERROR ? LK_ERROR : LK_OK;
    clear_error(s->db);
    PQclear(s->res);
    s->res = NULL;
    s->state = ST_DONE;
    snprintf(name, sizeof name, "yq%u", s->name);
    return send_ahead(s->db, name, s);
}

static int on_row(pg_st *s, int i)
{
    return s->state == ST_ROWS && s->res && i >= 0 && i < PQnfields(s->res);
}

static int pg_column_null(lk_st *st, int i)
{
    pg_st *s = ST(st);
    return !on_row(s, i) || PQgetisnull(s->res, s->row, i);
}

static int64_t pg_column_int64(lk_st *st, int i)
{
    pg_st *s = ST(st);
    return on_row(s, i) ? decode_int64(s->res, s->row, i) : 0;
}

/* Text, bytea and other types as their binary value (which for text is
 * the text); an integer as its decimal text, as SQLite converts it. */
static const char *pg_column_text(lk_st *st, int i)
{
    pg_st *s = ST(st);
    if (pg_column_null(st, i))
        return NULL;
    if (!is_integer(PQftype(s->res, i)) || i >= s->num_cols)
        return PQgetvalue(s->res, s->row, i); /* libpq ends every value with a NUL */
    snprintf(s->num[i], sizeof s->num[i], "%lld", (long long)decode_int64(s->res, s->row, i));
    return s->num[i];
}

static const void *pg_column_blob(lk_st *st, int i)
{
    pg_st *s = ST(st);
    return pg_column_null(st, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

static int pg_column_bytes(lk_st *st, int i)
{
    pg_st *s = ST(st);
    if (pg_column_null(st, i))
        return 0;
    if (is_integer(PQftype(s->res, i)))
        return (int)strlen(pg_column_text(st, i));
    return PQgetlength(s->res, s->row, i);
}

int lk_pg_rows_held(lk_st *st)
{
    return st && st->be == &lk_pg ? (ST(st)->res ? PQntuples(ST(st)->res) : 0) : -1;
}

/* ---- transactions ---- */

static int64_t pg_last_id(lk_db *db)
{
    return DB(db)->last_id;
}

static int pg_exec(lk_db *db, const char *sql)
{
    clear_error(DB(db));
    return run_sql(DB(db), sql);
}

/* A writer: READ COMMITTED, others write beside it (row locks decide). A
 * snapshot: one state of the store throughout, and nothing written. */
static int pg_begin(lk_db *db, int kind, yima_err *err)
{
    pg_db *d = DB(db);
    clear_error(d);
    if (kind == LK_SNAPSHOT)
        return run_as(d, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
    /* Sent ahead, with the transaction's first statement. */
    if (send_ahead(d, BEGIN_NAME, NULL) == LK_OK)
        return YIMA_OK;
    return yima_err_set(err, YIMA_E_STORE, "%s: %s: %s", d->name, BEGIN_WRITER, d->msg);
}

/* COMMIT of a transaction an error has aborted succeeds as a ROLLBACK:
 * that is a failure here, its reason (and SQLSTATE) the earlier error's. */
static int pg_commit(lk_db *db, yima_err *err)
{
    pg_db *d = DB(db);
    int ahead = d->ahead;
    PGresult *r = exec_after(d, COMMIT_NAME, NULL, NULL, 0);
    /* No result but an error sent ahead: the transaction was aborted. */
    int failed = !(ahead && !r) && PQresultStatus(r) != PGRES_COMMAND_OK;
    int ok = r && !failed && !strcmp(PQcmdStatus(r), "COMMIT");
    if (failed)
        note_error(d, r);
    PQclear(r);
    if (ok)
        return YIMA_OK;
    if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
        PQclear(PQexec(d->conn, "ROLLBACK"));
    if (failed)
        return yima_err_set(err, YIMA_E_STORE, "%s: COMMIT: %s", d->name, d->msg);
    return yima_err_set(err, YIMA_E_STORE, "%s: COMMIT: rolled back after an error: %s",
                        d->name, d->msg[0] ? d->msg : "unknown");
}

static void pg_rollback(lk_db *db)
{
    settle_ahead(DB(db));
    PQclear(PQexec(DB(db)->conn, "ROLLBACK")); /* keeps the error that led here */
}

static const char *pg_errmsg(lk_db *db)
{
    pg_db *d = DB(db);
    if (!d->msg[0])
        return PQstatus(d->conn) == CONNECTION_OK ? "no error" : "connection lost";
    return d->msg;
}

static int pg_retryable(lk_db *db)
{
    const char *s = DB(db)->sqlstate;
    return !strcmp(s, "40001") || !strcmp(s, "40P01");
}

/* Every commit is durable on PostgreSQL: both settings ask what set_up
 * set for the connection. */
static int pg_set_sync(lk_db *db, int full, yima_err *err)
{
    (void)db;
    (void)full;
    (void)err;
    return YIMA_OK;
}

const lk_backend lk_pg = {
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .step_ahead = pg_step_ahead,
    .column_null = pg_column_null,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .column_bytes = pg_column_bytes,
    .last_id = pg_last_id,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .errmsg = pg_errmsg,
    .retryable = pg_retryable,
    .set_sync = pg_set_sync,
    .writer_waits = NULL, /* PostgreSQL writers never take turns */
    .tune_bulk = NULL,
};
