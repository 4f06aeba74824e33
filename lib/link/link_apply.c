/* SPDX-License-Identifier: MIT */
/* Applying one verified event to the store: the rules that need the
 * database, then the writes, inside a savepoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "link_internal.h"

/* What the store knows about one code of the event. */
typedef struct known {
    int64_t id;      /* 0: not in the store yet */
    int level, state;
    int64_t parent;  /* 0: none */
    int64_t shipped; /* seq of the SHIP that sealed it, 0: not shipped */
    int64_t h;       /* lk_code_hash of the text */
} known;

typedef struct applier {
    yima_link *s;
    const yima_link_rules *rules;
    const lk_event *ev;
    known *k;        /* one per code of ev */
    yima_err *err;   /* a refusal's reason or a store error */
    int64_t seq;     /* the event's, once added */
    int64_t ms;      /* its time as stored */
    int tz;
    /* sealed_by's last walk up from a container, and what it found: on
     * many writers the children of one case take one walk, not one each
     * (the event writes nothing before its checks are done). */
    int64_t walked, walked_by;
} applier;

/* The rules refuse the event: YIMA_E_DATA with the reason. */
#define REFUSE(a, ...) yima_err_set((a)->err, YIMA_E_DATA, __VA_ARGS__)

static int db_fail(applier *a, const char *what)
{
    return lk_db_error(a->s, what, a->err);
}

static int step_done(applier *a, lk_st *st, const char *what)
{
    return lk_step(st) == LK_DONE ? YIMA_OK : db_fail(a, what);
}

/* Many writers: a write nothing waits for, sent with the next statement
 * that waits (lk_step_ahead). */
static int step_ahead(applier *a, lk_st *st, const char *what)
{
    return lk_step_ahead(st) == LK_OK ? YIMA_OK : db_fail(a, what);
}

/* Runs an INSERT and gives its new row's id in *id: the row its RETURNING
 * gives, or without one (the SQLite dialect) the engine's last id. */
static int step_id(applier *a, lk_st *st, int64_t *id, const char *what)
{
    int step = lk_step(st);
    int rc = step == LK_ROW || step == LK_DONE ? YIMA_OK : db_fail(a, what);
    /* A RETURNING insert without a row added none (ON CONFLICT): id 0. */
    if (!rc)
        *id = step == LK_ROW ? lk_column_int64(st, 0)
              : a->s->dialect->code_add ? 0 : a->s->be->last_id(a->s->db);
    lk_reset(st); /* the INSERT is done: it holds nothing open */
    return rc;
}

static int no_memory(applier *a)
{
    return yima_err_set(a->err, YIMA_E_NOMEM, "out of memory");
}

/* What the store knows of code c before the lookup: nothing. */
static void unknown(const lk_code *c, known *k)
{
    memset(k, 0, sizeof *k);
    k->level = c->level;
    k->h = lk_code_hash(c->text, c->len);
}

/* The codes row of Q_CODE_GET's columns, from column col on. */
static void known_read(lk_st *st, int col, known *k)
{
    k->id = lk_column_int64(st, col);
    k->level = lk_column_int(st, col + 1);
    k->state = lk_column_int(st, col + 2);
    k->parent = lk_column_int64(st, col + 3);
    k->shipped = lk_column_int64(st, col + 4);
}

static int lookup(applier *a, const lk_code *c, known *k)
{
    unknown(c, k);
    if (!lk_filter_may_hold(a->s, k->h))
        return YIMA_OK; /* no code in the store has its key */
    lk_st *st = lk_stmt(a->s, Q_CODE_GET);
    lk_bind_text(st, 1, c->text, (int)c->len);
    lk_bind_int64(st, 2, k->h);
    int rc = lk_step(st);
    if (rc == LK_ROW)
        known_read(st, 0, k);
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK : db_fail(a, "looking up a code");
}

/* An array text ("{1,2}"; lk_seal_set_sql binds them too) for the
 * many-writers statements of an event's codes: elements added, then ended. */
typedef struct array_text {
    yima_buf buf;
    int n, oom;
} array_text;

static void array_raw(array_text *t, const char *text, size_t len)
{
    t->oom = t->oom || yima_buf_append(&t->buf, text, len);
}

static void array_int(array_text *t, int64_t v)
{
    char num[24];
    array_raw(t, t->n++ ? "," : "{", 1);
    array_raw(t, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v));
}

/* A text element, double-quoted with its " and \ escaped, so PostgreSQL
 * reads it back whatever it holds (commas, braces, spaces). */
static void array_quoted(array_text *t, const char *text, size_t len)
{
    array_raw(t, t->n++ ? ",\"" : "{\"", 2);
    for (size_t i = 0, from = 0; i <= len; i++) {
        if (i < len && text[i] != '"' && text[i] != '\\')
            continue;
        array_raw(t, text + from, i - from);
        array_raw(t, "\\", i < len); /* the quote or backslash follows */
        from = i;
    }
    array_raw(t, "\"", 1);
}

/* The text to bind (NUL-terminated), or NULL if out of memory. */
static const char *array_end(array_text *t)
{
    array_raw(t, t->n ? "}" : "{}", t->n ? 2 : 3);
    return t->oom ? NULL : (const char *)t->buf.data;
}

/* Many writers: every code of the event read and locked in one statement,
 * not one round trip a code; k[] as lookup() fills it. */
static int lookup_many(applier *a)
{
    const lk_event *ev = a->ev;
    array_text codes = {0};
    for (int i = 0; i < ev->ncodes; i++) {
        unknown(&ev->codes[i], &a->k[i]);
        array_quoted(&codes, ev->codes[i].text, ev->codes[i].len);
    }
    const char *text = array_end(&codes);
    if (!text) {
        yima_buf_free(&codes.buf);
        return no_memory(a);
    }
    lk_st *st = lk_stmt(a->s, Q_CODES_GET);
    lk_bind_text(st, 1, text, -1);
    int rc;
    while ((rc = lk_step(st)) == LK_ROW) {
        int64_t i = lk_column_int64(st, 0) - 1; /* ordinality counts from 1 */
        if (i >= 0 && i < ev->ncodes)
            known_read(st, 1, &a->k[i]);
    }
    rc = rc == LK_DONE ? YIMA_OK : db_fail(a, "looking up codes");
    lk_reset(st); /* done with text */
    yima_buf_free(&codes.buf);
    return rc;
}

/* A GS1 code's company prefix length, learnt after the code was first seen. */
static int learn_gcp(applier *a, const lk_code *c, const known *k)
{
    if (!c->gcp)
        return YIMA_OK;
    lk_st *st = lk_stmt(a->s, Q_CODE_GCP);
    lk_bind_int64(st, 1, k->id);
    lk_bind_int64(st, 2, c->gcp);
    return step_done(a, st, "recording a company prefix length");
}

/* Another writer added code c between its lookup and our insert (many
 * writers, PostgreSQL: the insert gave no row). What the event decided
 * on "not in the store" no longer holds: the row is read and locked (once
 * the other writer committed), and the transaction runs again. */
static int lost_race(applier *a, const lk_code *c, known *k)
{
    int rc = lookup(a, c, k);
    if (rc)
        return rc;
    a->s->conflict = 1;
    return yima_err_set(a->err, YIMA_E_STORE, "%s: code '%s' was added by another writer at "
                        "the same time", a->s->path, c->text);
}

/* Inserts the code if new (with parent), else records a payload or a
 * company prefix length seen first now. */
static int ensure(applier *a, const lk_code *c, known *k, int64_t parent)
{
    lk_st *st;
    if (k->id) {
        int rc = learn_gcp(a, c, k);
        if (rc || !c->payload)
            return rc;
        st = lk_stmt(a->s, Q_PAYLOAD);
        lk_bind_int64(st, 1, k->id);
        lk_bind_text(st, 2, c->payload, (int)c->payload_len);
        return step_done(a, st, "recording a payload");
    }
    st = lk_stmt(a->s, Q_CODE_ADD);
    lk_bind_text(st, 1, c->text, (int)c->len);
    lk_bind_int64(st, 2, c->level);
    lk_bind_int64(st, 5, k->h);
    if (parent)
        lk_bind_int64(st, 3, parent);
    if (c->payload)
        lk_bind_text(st, 4, c->payload, (int)c->payload_len);
    if (c->gcp)
        lk_bind_int64(st, 6, c->gcp);
    int rc = step_id(a, st, &k->id, "adding a code");
    if (rc)
        return rc;
    if (!k->id)
        return lost_race(a, c, k);
    if ((rc = lk_code_file(a->s, k->h, k->id, a->err)))
        return rc;
    k->parent = parent;
    return YIMA_OK;
}

static int set_parent(applier *a, int64_t id, int64_t parent)
{
    lk_st *st = lk_stmt(a->s, Q_CODE_PARENT);
    lk_bind_int64(st, 1, id);
    if (parent)
        lk_bind_int64(st, 2, parent);
    return step_done(a, st, "setting a parent");
}

static int child_count(applier *a, int64_t parent, int64_t *n)
{
    lk_st *st = lk_stmt(a->s, Q_CHILD_COUNT);
    lk_bind_int64(st, 1, parent);
    if (lk_step(st) != LK_ROW)
        return db_fail(a, "counting children");
    *n = lk_column_int64(st, 0);
    return YIMA_OK;
}

static const char *code_text(applier *a, int i)
{
    return a->ev->codes[i].text;
}

/* Text of a code by row id, for messages. */
static void text_of(applier *a, int64_t id, char *out, size_t size)
{
    lk_st *st;
    snprintf(out, size, "#%lld", (long long)id);
    if (lk_prepare(a->s, "SELECT code FROM codes WHERE id = ?1", &st))
        return;
    lk_bind_int64(st, 1, id);
    if (lk_step(st) == LK_ROW)
        snprintf(out, size, "%s", lk_column_text(st, 0));
    lk_finalize(st);
}

/* Adds the event row; *seq is its number. */
static int add_event(applier *a, int64_t subject, int64_t other, const char *id, size_t id_len,
                     int64_t *seq)
{
    const lk_event *ev = a->ev;
    int64_t ms = ev->time_ms;
    int tz = ev->tz;
    if (!ev->has_time) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        localtime_r(&ts.tv_sec, &tm);
        tz = (int)(tm.tm_gmtoff / 60);
    }
    a->ms = ms;
    a->tz = tz;
    lk_st *st = lk_stmt(a->s, Q_EVENT_ADD);
    lk_bind_text(st, 1, id, (int)id_len);
    lk_bind_int64(st, 2, (int64_t)ev->digest);
    lk_bind_int64(st, 3, ev->type);
    lk_bind_int64(st, 4, ms);
    lk_bind_int64(st, 5, tz);
    lk_bind_int64(st, 6, subject);
    if (other)
        lk_bind_int64(st, 7, other);
    if (ev->type == LK_DECOMMISSION && ev->arg[0])
        lk_bind_text(st, 8, ev->arg[0], (int)ev->arg_len[0]);
    /* read_point, location, user_name, station: columns 9 to 12 */
    static const int ctx_col[LK_CTX__COUNT] = {11, 12, 9, 10};
    for (int i = 0; i < LK_CTX__COUNT; i++)
        if (ev->ctx[i])
            lk_bind_text(st, ctx_col[i], ev->ctx[i], (int)ev->ctx_len[i]);
    for (int i = 0; ev->type == LK_SHIP && i < 3; i++) /* party, ship_to, shipment */
        lk_bind_text(st, 13 + i, ev->arg[i], (int)ev->arg_len[i]);
    /* The hashes, zeros until lk_chain_append sets them. */
    static const unsigned char unset[LK_HASH_BYTES];
    lk_bind_blob(st, 16, unset, LK_HASH_BYTES);
    int rc = step_id(a, st, &a->seq, "adding an event");
    if (!rc)
        *seq = a->seq;
    return rc;
}

/* Runs statement q on (x, y, z), z 0 meaning NULL. */
static int run_ids(applier *a, int q, int64_t x, int64_t y, int64_t z, const char *what)
{
    lk_st *st = lk_stmt(a->s, q);
    lk_bind_int64(st, 1, x);
    lk_bind_int64(st, 2, y);
    if (z)
        lk_bind_int64(st, 3, z);
    return step_done(a, st, what);
}

static int add_evcode(applier *a, int64_t seq, int64_t code, int64_t prev_parent)
{
    return run_ids(a, Q_EVCODE_ADD, seq, code, prev_parent, "adding an event's code");
}

/* Refuses a code that is out of use. */
static int check_alive(applier *a, int i, const char *role)
{
    if (a->k[i].state == LK_DECOMMISSIONED || a->k[i].state == LK_REPLACED)
        return REFUSE(a, "%s '%s' is %s", role, code_text(a, i), lk_state_name(a->k[i].state));
    return YIMA_OK;
}

/* The code that seals code i: itself or the container above it that was
 * shipped and not yet received or returned; 0 if none. */
static int sealed_by(applier *a, int i, int64_t *by)
{
    int64_t from = a->k[i].parent, id = from;
    *by = a->k[i].shipped ? a->k[i].id : 0;
    if (*by || !from)
        return YIMA_OK;
    if (a->s->dialect->seal && from == a->walked) {
        *by = a->walked_by;
        return YIMA_OK;
    }
    for (int depth = 0; !*by && id && depth < 8; depth++) {
        lk_st *st = lk_stmt(a->s, Q_CODE_UP);
        lk_bind_int64(st, 1, id);
        if (lk_step(st) != LK_ROW)
            return db_fail(a, "looking up a container");
        if (lk_column_int64(st, 1))
            *by = id;
        id = lk_column_int64(st, 0);
    }
    a->walked = from;
    a->walked_by = *by;
    return YIMA_OK;
}

/* A shipped container is sealed: what it holds does not change until it
 * is received back or returned. */
static int check_unsealed(applier *a, int i, const char *role)
{
    char other[YIMA_CODE_MAX];
    int64_t by;
    int rc = sealed_by(a, i, &by);
    if (rc || !by)
        return rc;
    if (by == a->k[i].id)
        return REFUSE(a, "%s '%s' is shipped (sealed until RECEIVE or RETURN)", role,
                      code_text(a, i));
    text_of(a, by, other, sizeof other);
    return REFUSE(a, "%s '%s' is inside shipped '%s' (sealed until RECEIVE or RETURN)", role,
                  code_text(a, i), other);
}

/* --require-plan: the plan loaded from gen's hierarchy puts child i in
 * this parent. */
static int check_plan(applier *a, int i)
{
    const lk_code *c = &a->ev->codes[i], *parent = &a->ev->codes[0];
    lk_st *st = lk_stmt(a->s, Q_PLAN_GET);
    lk_bind_text(st, 1, c->text, (int)c->len);
    int rc = lk_step(st);
    if (rc == LK_DONE)
        return REFUSE(a, "child %d '%s' is not in the plan", i, c->text);
    if (rc != LK_ROW)
        return db_fail(a, "looking up the plan");
    const char *planned = lk_column_text(st, 0);
    if (strcmp(planned, parent->text) == 0)
        return YIMA_OK;
    return REFUSE(a, "child %d '%s' belongs in %s '%s' by the plan, not in '%s'", i, c->text,
                  yima_level_name(parent->level), planned, parent->text);
}

static int check_capacity(applier *a, int64_t total)
{
    const yima_link_rules *r = a->rules;
    int level = a->ev->codes[0].level;
    uint64_t cap = level == YIMA_LEVEL_CASE ? r->pack_case : r->pack_pallet;
    if (cap == 0 || (r->capacity_max ? (uint64_t)total <= cap : (uint64_t)total == cap))
        return YIMA_OK;
    return REFUSE(a, "%s '%s' would hold %lld codes; the pack spec says %s %llu",
                  yima_level_name(level), code_text(a, 0), (long long)total,
                  r->capacity_max ? "at most" : "exactly", (unsigned long long)cap);
}

static int pack_check(applier *a)
{
    const lk_event *ev = a->ev;
    int64_t have = 0;
    int rc = check_alive(a, 0, "parent");
    rc = rc ? rc : check_unsealed(a, 0, "parent");
    for (int i = 1; !rc && i < ev->ncodes; i++) {
        known *k = &a->k[i];
        char role[32], other[YIMA_CODE_MAX];
        snprintf(role, sizeof role, "child %d", i);
        if ((rc = check_alive(a, i, role)) || (rc = check_unsealed(a, i, role)))
            return rc;
        if (a->rules->require_plan && (rc = check_plan(a, i)))
            return rc;
        if (a->rules->require_commissioned && k->state != LK_ACTIVE)
            return REFUSE(a, "child %d '%s' is not commissioned (required before packing)", i,
                          code_text(a, i));
        if (k->parent && k->parent == a->k[0].id)
            return REFUSE(a, "child %d '%s' is already in this %s", i, code_text(a, i),
                          yima_level_name(ev->codes[0].level));
        if (k->parent && !a->rules->move) {
            text_of(a, k->parent, other, sizeof other);
            return REFUSE(a, "child %d '%s' is already in %s '%s'; UNPACK it first, or allow moves",
                          i, code_text(a, i), yima_level_name(ev->codes[0].level), other);
        }
    }
    if (!rc && a->k[0].id)
        rc = child_count(a, a->k[0].id, &have);
    return rc ? rc : check_capacity(a, have + ev->ncodes - 1);
}

/* Many writers: codes ids (an array text) put in parent (0: none). */
static int set_parents(applier *a, const char *ids, int64_t parent)
{
    lk_st *st = lk_stmt(a->s, Q_CODES_PARENT);
    lk_bind_text(st, 1, ids, -1);
    if (parent)
        lk_bind_int64(st, 2, parent);
    int rc = step_ahead(a, st, "setting parents");
    lk_reset(st); /* done with ids */
    return rc;
}

/* Many writers: event seq's rows of codes ids, each with its parent
 * before in prevs (array texts, 0 for none). */
static int add_evcodes(applier *a, int64_t seq, const char *ids, const char *prevs)
{
    lk_st *st = lk_stmt(a->s, Q_EVCODES_ADD);
    lk_bind_int64(st, 1, seq);
    lk_bind_text(st, 2, ids, -1);
    lk_bind_text(st, 3, prevs, -1);
    int rc = step_ahead(a, st, "adding an event's codes");
    lk_reset(st);
    return rc;
}

/* Many writers: PACK's children in a few statements, not a few a child.
 * Those known before move in one, every child's event_codes row goes in
 * one more; a new child is added on its own (ensure: another writer may
 * add it at the same time), as is a payload or prefix length learnt. */
static int pack_many(applier *a, int64_t seq, int64_t parent)
{
    array_text moved = {0}, ids = {0}, prevs = {0};
    int rc = YIMA_OK;
    for (int i = 1; !rc && i < a->ev->ncodes; i++) {
        const lk_code *c = &a->ev->codes[i];
        known *k = &a->k[i];
        array_int(&prevs, k->id ? k->parent : 0);
        if (k->id)
            array_int(&moved, k->id);
        if (!k->id || c->payload || c->gcp)
            rc = ensure(a, c, k, k->id ? 0 : parent);
        array_int(&ids, k->id);
    }
    const char *m = array_end(&moved), *d = array_end(&ids), *p = array_end(&prevs);
    if (!rc && (!m || !d || !p))
        rc = no_memory(a);
    if (!rc && moved.n)
        rc = set_parents(a, m, parent);
    if (!rc && ids.n)
        rc = add_evcodes(a, seq, d, p);
    yima_buf_free(&moved.buf);
    yima_buf_free(&ids.buf);
    yima_buf_free(&prevs.buf);
    return rc;
}

static int apply_pack(applier *a, const char *id, size_t id_len)
{
    int64_t seq;
    int rc = pack_check(a);
    if (rc || (rc = ensure(a, &a->ev->codes[0], &a->k[0], 0)))
        return rc;
    int64_t parent = a->k[0].id;
    rc = add_event(a, parent, 0, id, id_len, &seq);
    if (!rc && a->s->dialect->seal)
        return pack_many(a, seq, parent);
    for (int i = 1; !rc && i < a->ev->ncodes; i++) {
        int64_t prev = a->k[i].id ? a->k[i].parent : 0;
        int known_before = a->k[i].id != 0;
        rc = known_before ? set_parent(a, a->k[i].id, parent)
                          : ensure(a, &a->ev->codes[i], &a->k[i], parent);
        if (!rc && known_before && (a->ev->codes[i].payload || a->ev->codes[i].gcp))
            rc = ensure(a, &a->ev->codes[i], &a->k[i], 0);
        if (!rc)
            rc = add_evcode(a, seq, a->k[i].id, prev);
    }
    return rc;
}

/* Many writers: codes ids (an array text, freed here) leave parent in two
 * statements, not two a code. */
static int unpack_many(applier *a, int64_t seq, int64_t parent, array_text *ids)
{
    array_text prevs = {0};
    for (int i = 0; i < ids->n; i++)
        array_int(&prevs, parent);
    const char *d = array_end(ids), *p = array_end(&prevs);
    int rc = !d || !p ? no_memory(a) : set_parents(a, d, 0);
    rc = rc ? rc : add_evcodes(a, seq, d, p);
    yima_buf_free(&ids->buf);
    yima_buf_free(&prevs.buf);
    return rc;
}

static int unpack_all(applier *a, int64_t seq, int64_t parent)
{
    lk_st *st = lk_stmt(a->s, Q_CHILDREN);
    lk_bind_int64(st, 1, parent);
    int rc;
    /* Collect first: updating rows under an open scan of the same index
     * is not something to rely on. */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = lk_step(st)) == LK_ROW) {
        if (n == cap) {
            int64_t *q = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof *ids);
            if (!q) {
                free(ids);
                return yima_err_set(a->err, YIMA_E_NOMEM, "out of memory");
            }
            ids = q;
        }
        ids[n++] = lk_column_int64(st, 0);
    }
    if (rc != LK_DONE) {
        free(ids);
        return db_fail(a, "listing children");
    }
    rc = n == 0 ? REFUSE(a, "%s '%s' holds nothing to unpack",
                         yima_level_name(a->ev->codes[0].level), code_text(a, 0))
                : YIMA_OK;
    if (!rc && a->s->dialect->seal) {
        array_text many = {0};
        for (size_t i = 0; i < n; i++)
            array_int(&many, ids[i]);
        rc = unpack_many(a, seq, parent, &many);
    }
    for (size_t i = 0; !rc && !a->s->dialect->seal && i < n; i++)
        if (!(rc = set_parent(a, ids[i], 0)))
            rc = add_evcode(a, seq, ids[i], parent);
    free(ids);
    return rc;
}

static int apply_unpack(applier *a, const char *id, size_t id_len)
{
    const lk_event *ev = a->ev;
    int64_t seq;
    if (!a->k[0].id)
        return REFUSE(a, "parent '%s' is not in the store", code_text(a, 0));
    int rc = check_unsealed(a, 0, "parent");
    if (rc)
        return rc;
    for (int i = 1; i < ev->ncodes; i++)
        if (!a->k[i].id || a->k[i].parent != a->k[0].id)
            return REFUSE(a, "child %d '%s' is not in %s '%s'", i, code_text(a, i),
                          yima_level_name(ev->codes[0].level), code_text(a, 0));
    rc = add_event(a, a->k[0].id, 0, id, id_len, &seq);
    if (!rc && ev->ncodes == 1)
        return unpack_all(a, seq, a->k[0].id);
    if (!rc && a->s->dialect->seal) {
        array_text ids = {0};
        for (int i = 1; i < ev->ncodes; i++)
            array_int(&ids, a->k[i].id);
        return unpack_many(a, seq, a->k[0].id, &ids);
    }
    for (int i = 1; !rc && i < ev->ncodes; i++)
        if (!(rc = set_parent(a, a->k[i].id, 0)))
            rc = add_evcode(a, seq, a->k[i].id, a->k[0].id);
    return rc;
}

static int apply_commission(applier *a, const char *id, size_t id_len)
{
    const lk_event *ev = a->ev;
    int64_t seq;
    int rc;
    if ((rc = check_alive(a, 0, "code")))
        return rc;
    if (a->k[0].state == LK_ACTIVE)
        return REFUSE(a, "code '%s' is already commissioned", code_text(a, 0));
    if ((rc = ensure(a, &ev->codes[0], &a->k[0], 0)))
        return rc;
    lk_st *st = lk_stmt(a->s, Q_CODE_COMMISSION);
    lk_bind_int64(st, 1, a->k[0].id);
    for (int i = 0; i < 3; i++)
        if (ev->arg[i])
            lk_bind_text(st, 2 + i, ev->arg[i], (int)ev->arg_len[i]);
    rc = step_done(a, st, "commissioning");
    return rc ? rc : add_event(a, a->k[0].id, 0, id, id_len, &seq);
}

static int set_state(applier *a, int64_t id, int state, int64_t replaced_by)
{
    return run_ids(a, Q_CODE_STATE, id, state, replaced_by, "changing a state");
}

static int apply_decommission(applier *a, const char *id, size_t id_len)
{
    int64_t held = 0, seq;
    int rc = check_alive(a, 0, "code");
    rc = rc ? rc : check_unsealed(a, 0, "code");
    rc = rc ? rc : ensure(a, &a->ev->codes[0], &a->k[0], 0);
    rc = rc ? rc : child_count(a, a->k[0].id, &held);
    if (!rc && held != 0)
        rc = REFUSE(a, "%s '%s' still holds %lld codes; UNPACK it first",
                    yima_level_name(a->k[0].level), code_text(a, 0), (long long)held);
    rc = rc ? rc : add_event(a, a->k[0].id, 0, id, id_len, &seq);
    rc = rc ? rc : set_state(a, a->k[0].id, LK_DECOMMISSIONED, 0);
    if (!rc && a->k[0].parent)
        rc = add_evcode(a, seq, a->k[0].id, a->k[0].parent);
    return rc;
}

/* The new code of a REPLACE must be unused: only seen, loose and empty. */
static int check_unused(applier *a, const known *n)
{
    int64_t held = 0;
    int rc = n->id && n->state == LK_SEEN && !n->parent ? child_count(a, n->id, &held) : YIMA_OK;
    if (rc || !n->id || (n->state == LK_SEEN && !n->parent && held == 0))
        return rc;
    return REFUSE(a, "new code '%s' is already in use (%s%s)", code_text(a, 1),
                  lk_state_name(n->state), n->parent ? ", packed" : "");
}

/* A GS1 new label says its own product, lot and expiry: they must be the
 * old label's, which the new one carries on. */
static int check_carried(applier *a)
{
    static const char *const what[] = {"product (GTIN)", "lot", "expiry"};
    const lk_event *ev = a->ev;
    lk_st *st = lk_stmt(a->s, Q_CODE_ILMD);
    lk_bind_int64(st, 1, a->k[0].id);
    if (lk_step(st) != LK_ROW)
        return db_fail(a, "reading the old label");
    for (int i = 0; i < 3; i++) {
        const char *had = lk_column_text(st, i);
        if (!ev->arg[i] || !had ||
            (strlen(had) == ev->arg_len[i] && !memcmp(had, ev->arg[i], ev->arg_len[i])))
            continue;
        return REFUSE(a, "new code '%s' carries %s '%.*s'; old code '%s' has '%s'",
                      code_text(a, 1), what[i], (int)ev->arg_len[i], ev->arg[i],
                      code_text(a, 0), had);
    }
    return YIMA_OK;
}

static int apply_replace(applier *a, const char *id, size_t id_len)
{
    int64_t seq;
    int rc;
    known *o = &a->k[0], *n = &a->k[1];
    if (!o->id)
        return REFUSE(a, "old code '%s' is not in the store", code_text(a, 0));
    if ((rc = check_alive(a, 0, "old code")) || (rc = check_unsealed(a, 0, "old code")) ||
        (rc = check_unused(a, n)) || (rc = check_carried(a)) ||
        (rc = ensure(a, &a->ev->codes[1], n, 0)) ||
        (rc = add_event(a, o->id, n->id, id, id_len, &seq)))
        return rc;
    rc = run_ids(a, Q_REPLACE_NEW, n->id, o->id, 0, "replacing");
    /* Record the handed-over children, so the export can move them. */
    rc = rc ? rc : run_ids(a, Q_EVCODE_CHILDREN, seq, o->id, 0, "recording children");
    rc = rc ? rc : run_ids(a, Q_REPARENT, o->id, n->id, 0, "moving children");
    rc = rc ? rc : set_state(a, o->id, LK_REPLACED, n->id);
    return rc ? rc : add_evcode(a, seq, o->id, o->parent);
}

/* SHIP seals a loose code (a pallet, a case, an item) until RECEIVE or
 * RETURN: what is on a pallet ships with it. */
static int apply_ship(applier *a, const char *id, size_t id_len)
{
    char other[YIMA_CODE_MAX];
    int64_t seq;
    int rc;
    if (!a->k[0].id)
        return REFUSE(a, "code '%s' is not in the store", code_text(a, 0));
    if ((rc = check_alive(a, 0, "code")) || (rc = check_unsealed(a, 0, "code")))
        return rc;
    if (a->k[0].parent) {
        text_of(a, a->k[0].parent, other, sizeof other);
        return REFUSE(a, "code '%s' is in '%s': ship that, or UNPACK it first", code_text(a, 0),
                      other);
    }
    rc = add_event(a, a->k[0].id, 0, id, id_len, &seq);
    return rc ? rc : run_ids(a, Q_CODE_SHIPPED, a->k[0].id, seq, 0, "sealing a shipment");
}

/* RECEIVE (back, or at the ship-to location) and RETURN unseal a shipped code. */
static int apply_unseal(applier *a, const char *id, size_t id_len)
{
    int64_t seq;
    if (!a->k[0].id)
        return REFUSE(a, "code '%s' is not in the store", code_text(a, 0));
    if (!a->k[0].shipped)
        return REFUSE(a, "code '%s' is not shipped", code_text(a, 0));
    int rc = add_event(a, a->k[0].id, 0, id, id_len, &seq);
    lk_st *st = lk_stmt(a->s, Q_CODE_SHIPPED);
    lk_bind_int64(st, 1, a->k[0].id);
    return rc ? rc : step_done(a, st, "unsealing a shipment");
}

/* A COMMISSION's chain hash from what was just written (add_event and
 * Q_CODE_COMMISSION bound these very values): bulk imports are mostly
 * commissioning, and this spares reading each one back. */
static int chain_commission(applier *a, const char *id, size_t id_len)
{
    const lk_event *ev = a->ev;
    lk_chain_field f[LK_CHAIN_FIELDS] = {
        {.value = a->seq}, {id, id_len, 0}, {.value = (int64_t)ev->digest},
        {.value = ev->type}, {.value = a->ms}, {.value = a->tz},
        {ev->codes[0].text, ev->codes[0].len, 0}, /* other, info: NULL */
    };
    /* read_point, location, user_name, station: fields 9 to 12 */
    static const int ctx_field[LK_CTX__COUNT] = {11, 12, 9, 10};
    for (int i = 0; i < LK_CTX__COUNT; i++)
        f[ctx_field[i]] = (lk_chain_field){ev->ctx[i], ev->ctx_len[i], 0};
    for (int i = 0; i < 3; i++) /* product, lot, expiry; party.. shipment: NULL */
        f[16 + i] = (lk_chain_field){ev->arg[i], ev->arg_len[i], 0};
    return lk_chain_append_fields(a->s, a->seq, f, a->err);
}

/* Whether the store knows an event id: as an applied event (with this
 * event's content: a re-run, or another's: a clash), or as a recorded
 * refusal (the same two ways). */
enum { ID_NEW, ID_SAME, ID_TAKEN, ID_REFUSED };

/* Looks id up with statement q (digest in column digest_col); on a
 * refusal of this event its recorded reason goes to err. */
static int find_in(applier *a, int q, int digest_col, const char *id, size_t id_len, int *found)
{
    lk_st *st = lk_stmt(a->s, q);
    lk_bind_text(st, 1, id, (int)id_len);
    int rc = lk_step(st);
    if (rc == LK_DONE)
        return YIMA_OK;
    if (rc != LK_ROW)
        return db_fail(a, "looking up an event id");
    int same = (uint64_t)lk_column_int64(st, digest_col) == a->ev->digest;
    *found = !same ? ID_TAKEN : q == Q_EVENT_GET ? ID_SAME : ID_REFUSED;
    /* The reason as recorded: a re-run decides as the first run did. */
    if (*found == ID_REFUSED)
        yima_err_set(a->err, YIMA_E_DATA, "%s", lk_column_text(st, 1));
    return YIMA_OK;
}

/* Many writers: id is ours until the commit, so of two writers sending
 * one event the second waits, then finds it applied or refused. */
static int lock_id(applier *a, const char *id, size_t id_len)
{
    if (!a->s->dialect->seal)
        return YIMA_OK; /* one writer at a time */
    uint64_t h = (uint64_t)lk_code_hash(id, id_len);
    lk_st *st = lk_stmt(a->s, Q_ID_LOCK);
    lk_bind_int64(st, 1, (int32_t)(uint32_t)(h >> 32));
    lk_bind_int64(st, 2, (int32_t)(uint32_t)h);
    /* Sent ahead: the lookups after it run once it holds the lock. */
    int rc = step_ahead(a, st, "locking an event id");
    lk_reset(st);
    return rc;
}

static int find_id(applier *a, const char *id, size_t id_len, int *found)
{
    *found = ID_NEW;
    int rc = lock_id(a, id, id_len);
    rc = rc ? rc : find_in(a, Q_EVENT_GET, 1, id, id_len, found);
    return rc || *found != ID_NEW ? rc : find_in(a, Q_REJECT_GET, 0, id, id_len, found);
}

/* Reads what the store knows of each code of the event into a->k (many
 * writers: and locks the rows to the commit). */
static int lookup_codes(applier *a)
{
    if (a->s->dialect->seal && a->ev->ncodes > 1)
        return lookup_many(a);
    for (int i = 0; i < a->ev->ncodes; i++) {
        int rc = lookup(a, &a->ev->codes[i], &a->k[i]);
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

static int dispatch(applier *a, const char *id, size_t id_len)
{
    int rc = lookup_codes(a);
    if (rc)
        return rc;
    switch (a->ev->type) {
    case LK_COMMISSION: return apply_commission(a, id, id_len);
    case LK_PACK: return apply_pack(a, id, id_len);
    case LK_UNPACK: return apply_unpack(a, id, id_len);
    case LK_REPLACE: return apply_replace(a, id, id_len);
    case LK_SHIP: return apply_ship(a, id, id_len);
    case LK_RECEIVE: case LK_RETURN: return apply_unseal(a, id, id_len);
    default: return apply_decommission(a, id, id_len);
    }
}

/* Records a refused event id, so that a re-run skips it too. */
static int record_refusal(applier *a, const char *id, size_t id_len)
{
    lk_st *st = lk_stmt(a->s, Q_REJECT_ADD);
    lk_bind_text(st, 1, id, (int)id_len);
    lk_bind_int64(st, 2, (int64_t)a->ev->digest);
    /* A copy: the reason in err gives way to a store error. */
    lk_bind_text_copy(st, 3, a->err->msg, -1);
    return lk_step(st) == LK_DONE ? YIMA_E_DATA : db_fail(a, "recording a reject");
}

/* A new event id: the event, all or nothing, or its recorded refusal. */
static int apply_new(applier *a, const char *id, size_t id_len)
{
    /* The savepoint makes the event all or nothing inside the batch.
     * PACK and COMMISSION check everything before their first write,
     * so only an error, which rolls back the whole batch, can stop
     * them halfway: they go without, sparing SQLite a copy of every
     * page they touch (the index pages of random codes, mostly). */
    int sp = a->ev->type != LK_PACK && a->ev->type != LK_COMMISSION;
    int rc = sp ? lk_run(a->s, Q_SAVEPOINT, "SAVEPOINT", a->err) : YIMA_OK;
    if (!rc)
        rc = dispatch(a, id, id_len);
    /* Hashed once whole: the event row and every code row it wrote. */
    if (!rc)
        rc = a->ev->type == LK_COMMISSION ? chain_commission(a, id, id_len)
                                          : lk_chain_append(a->s, a->seq, a->err);
    if (sp && rc)
        lk_run(a->s, Q_ROLLBACK_TO, "ROLLBACK TO", NULL);
    if (sp) {
        /* A store error already stands; a refusal gives way to one. */
        int refused_or_ok = !rc || rc == YIMA_E_DATA;
        int released = lk_run(a->s, Q_RELEASE, "RELEASE", refused_or_ok ? a->err : NULL);
        if (released && refused_or_ok)
            rc = released;
    }
    return rc == YIMA_E_DATA ? record_refusal(a, id, id_len) : rc;
}

int lk_apply(yima_link *s, const yima_link_rules *rules, const lk_event *ev, const char *id,
             size_t id_len, int *skipped, yima_err *err)
{
    known stack[64];
    yima_err local;
    applier a = {s, rules, ev, stack, err ? err : &local, 0, 0, 0, 0, 0};
    int found = ID_NEW, rc;
    *skipped = 0;
    if (ev->ncodes > 64 && !(a.k = malloc((size_t)ev->ncodes * sizeof *a.k)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    rc = find_id(&a, id, id_len, &found);
    if (!rc && found == ID_NEW)
        rc = apply_new(&a, id, id_len);
    else if (!rc && found == ID_REFUSED) /* err holds the recorded reason */
        rc = YIMA_E_DATA;
    else if (!rc && found == ID_TAKEN) /* not recorded: the id is another event's */
        rc = REFUSE(&a, "event id '%.*s' was already used by a different event", (int)id_len, id);
    *skipped = !rc && found == ID_SAME;
    if (a.k != stack)
        free(a.k);
    return rc;
}
