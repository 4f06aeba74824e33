/* SPDX-License-Identifier: MIT */
/*
 * The audit trail: every applied event holds a BLAKE2b-256 hash of its
 * content (events.hash) and one of that hash chained to the previous
 * event's (events.chain), so a hand edit of the file shows. The encoding
 * is specified in yima-link(1), AUDIT TRAIL; keep the two in step.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "link_internal.h"

#define CONTENT_DOMAIN "yima-link-event"
#define CHAIN_DOMAIN "yima-link-chain"
#define ENCODING_VERSION 1

/* The stored fields of an event, in encoding order. The ILMD (product,
 * lot, expiry) a COMMISSION or REPLACE gave lives with the subject code. */
/* An event's content, its codes' texts (and the subject's ILMD) given by
 * the SQL expressions s_code, o_code and ilmd(column). */
#define EVENT_FIELDS(s_code, o_code, ilmd)                                                  \
    "SELECT e.seq, e.id, e.digest, e.type, e.time, e.tz, " s_code ", " o_code ", e.info,"   \
    " e.read_point, e.location, e.user_name, e.station, e.party, e.ship_to, e.shipment,"    \
    " CASE WHEN e.type IN (1, 4) THEN " ilmd("product") " END,"                             \
    " CASE WHEN e.type IN (1, 4) THEN " ilmd("lot") " END,"                                 \
    " CASE WHEN e.type IN (1, 4) THEN " ilmd("expiry") " END, e.hash, e.chain FROM events e"
#define JOINED_ILMD(column) "s." column
#define EVENT_COLUMNS                                                                       \
    EVENT_FIELDS("s.code", "o.code", JOINED_ILMD)                                           \
    " LEFT JOIN codes s ON s.id = e.subject LEFT JOIN codes o ON o.id = e.other"
enum { F_SEQ, F_ID, F_DIGEST, F_TYPE, F_TIME, F_TZ, F__CONTENT = LK_CHAIN_FIELDS,
       F_HASH = F__CONTENT, F_CHAIN };
/* Integer fields; the others are text (or NULL). */
#define INT_FIELD(i) ((i) == F_SEQ || (i) == F_DIGEST || (i) == F_TYPE || (i) == F_TIME || \
                      (i) == F_TZ)

const char lk_chain_event_sql[] = EVENT_COLUMNS " WHERE e.seq = ?1";
static const char all_events_sql[] = EVENT_COLUMNS " ORDER BY e.seq";
const char lk_chain_codes_sql[] =
    "SELECT c.code, p.code FROM event_codes ec LEFT JOIN codes c ON c.id = ec.code"
    " LEFT JOIN codes p ON p.id = ec.prev_parent WHERE ec.seq = ?1 ORDER BY ec.code";
const char lk_chain_set_sql[] = "UPDATE events SET hash = ?2, chain = ?3 WHERE seq = ?1";
static const char head_get_sql[] = "SELECT value FROM meta WHERE key = 'chain_head'";
/* The seal (many writers): the head's row, locked to the commit; the
 * transaction's own events (no other's provisional seq is visible) in the
 * order they were added, and their codes; an event's final seq. */
const char lk_head_lock_sql[] = "SELECT value FROM meta WHERE key = 'chain_head' FOR UPDATE";
/* The events' and their codes' rows read each code by its id, not joined:
 * before the table's first ANALYZE the planner hash-joined every code to a
 * seal's few rows (a scan of codes at every commit), and after it so did
 * the generic plan it kept for the events. */
#define CODE_OF(column, id) "(SELECT " column " FROM codes WHERE id = e." id ")"
#define SUBJECT_ILMD(column) CODE_OF(column, "subject")
const char lk_seal_events_sql[] =
    EVENT_FIELDS(CODE_OF("code", "subject"), CODE_OF("code", "other"), SUBJECT_ILMD)
    " WHERE e.seq BETWEEN ?1 AND ?2 ORDER BY e.seq DESC";
const char lk_seal_codes_sql[] =
    "SELECT ec.seq, (SELECT c.code FROM codes c WHERE c.id = ec.code),"
    " (SELECT p.code FROM codes p WHERE p.id = ec.prev_parent) FROM event_codes ec"
    " WHERE ec.seq BETWEEN ?1 AND ?2 ORDER BY ec.seq DESC, ec.code";
/* Every event of the seal in one statement (one round trip, while the head
 * is held): ?1 their provisional seqs in order, ?2 and ?3 their hashes and
 * chains in hex, as array texts; the i-th becomes seq ?4 + i, and so do
 * the event_codes.seq and codes.shipped that pointed at it. ?5 and ?6 are
 * the provisional range, so that every plan reads index ranges: the plan
 * PostgreSQL cached once a table was analyzed (or guessed at before)
 * hash-joined the seal's few rows to every row of event_codes and codes.
 * ?7 is the new head. */
#define SEAL_CTE(ec_where, sh_where, head)                                                  \
    " ec AS (UPDATE event_codes x SET seq = " ec_where "),"                                  \
    " sh AS (UPDATE codes x SET shipped = " sh_where "),"                                    \
    " hd AS (UPDATE meta SET value = " head " WHERE key = 'chain_head')"
const char lk_seal_set_sql[] =
    "WITH v AS (SELECT p, CAST(?4 AS bigint) + i AS seq, h, c FROM unnest(CAST(?1 AS bigint[]),"
    " CAST(?2 AS text[]), CAST(?3 AS text[])) WITH ORDINALITY AS u(p, h, c, i)),"
    SEAL_CTE("v.seq FROM v WHERE x.seq = v.p AND x.seq BETWEEN ?5 AND ?6",
             "v.seq FROM v WHERE x.shipped = v.p AND x.shipped BETWEEN ?5 AND ?6", "?7")
    " UPDATE events e SET seq = v.seq, hash = decode(v.h, 'hex'), chain = decode(v.c, 'hex')"
    " FROM v WHERE e.seq = v.p AND e.seq BETWEEN ?5 AND ?6";
/* A seal of one event (a station's, a capture's): provisional seq ?1
 * becomes ?2, with hash ?3 and chain ?4; ?5 the new head. Unlike the
 * arrays, which it plans anew for each seal (0.24 ms of a PACK's, with the
 * head held), PostgreSQL plans this once. */
const char lk_seal_one_sql[] =
    "WITH" SEAL_CTE("?2 WHERE x.seq = ?1", "?2 WHERE x.shipped = ?1", "?5")
    " UPDATE events SET seq = ?2, hash = ?3, chain = ?4 WHERE seq = ?1";
static const char head_set_sql[] = "INSERT INTO meta(key, value) VALUES('chain_head', ?1) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

static void put_u32(crypto_generichash_state *h, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    crypto_generichash_update(h, b, 4);
}

/* One field: its length (4 bytes, big-endian; 0xFFFFFFFF for NULL), then
 * its bytes: integers as 8 bytes big-endian two's complement, text as
 * stored (UTF-8). */
static void put_int(crypto_generichash_state *h, int64_t value)
{
    uint64_t v = (uint64_t)value;
    unsigned char b[8];
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(v >> (56 - 8 * k));
    put_u32(h, 8);
    crypto_generichash_update(h, b, 8);
}

static void put_text(crypto_generichash_state *h, const void *text, size_t len)
{
    if (!text) {
        put_u32(h, 0xFFFFFFFFu);
        return;
    }
    put_u32(h, (uint32_t)len);
    crypto_generichash_update(h, text, len);
}

static void put_field(crypto_generichash_state *h, lk_st *st, int i, int integer)
{
    if (lk_column_null(st, i))
        put_text(h, NULL, 0);
    else if (integer)
        put_int(h, lk_column_int64(st, i));
    else
        put_text(h, lk_column_text(st, i), (size_t)lk_column_bytes(st, i));
}

static void content_start(crypto_generichash_state *h)
{
    const unsigned char version = ENCODING_VERSION;
    crypto_generichash_init(h, NULL, 0, LK_HASH_BYTES);
    crypto_generichash_update(h, (const unsigned char *)CONTENT_DOMAIN,
                              sizeof CONTENT_DOMAIN - 1);
    crypto_generichash_update(h, &version, 1);
}

/* The event's own fields of row ev (EVENT_COLUMNS), numbered seq. */
static void content_fields(crypto_generichash_state *h, lk_st *ev, int64_t seq)
{
    content_start(h);
    put_int(h, seq);
    for (int i = F_SEQ + 1; i < F__CONTENT; i++)
        put_field(h, ev, i, INT_FIELD(i));
}

/* The content hash of the event in row ev (EVENT_COLUMNS), its codes read
 * with codes (lk_chain_codes_sql). */
static int content_hash(yima_link *s, lk_st *ev, lk_st *codes,
                        unsigned char out[LK_HASH_BYTES], yima_err *err)
{
    crypto_generichash_state h;
    content_fields(&h, ev, lk_column_int64(ev, F_SEQ));
    lk_reset(codes);
    lk_bind_int64(codes, 1, lk_column_int64(ev, F_SEQ));
    /* The count last: the rows stream, so it is known only at the end. */
    uint32_t n = 0;
    int rc;
    while ((rc = lk_step(codes)) == LK_ROW) {
        put_field(&h, codes, 0, 0);
        put_field(&h, codes, 1, 0);
        n++;
    }
    lk_reset(codes);
    if (rc != LK_DONE)
        return lk_db_error(s, "reading an event's codes", err);
    put_u32(&h, n);
    crypto_generichash_final(&h, out, LK_HASH_BYTES);
    return YIMA_OK;
}

void lk_chain_link(const unsigned char prev[LK_HASH_BYTES],
                   const unsigned char content[LK_HASH_BYTES], unsigned char out[LK_HASH_BYTES])
{
    crypto_generichash_state h;
    const unsigned char version = ENCODING_VERSION;
    crypto_generichash_init(&h, NULL, 0, LK_HASH_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)CHAIN_DOMAIN, sizeof CHAIN_DOMAIN - 1);
    crypto_generichash_update(&h, &version, 1);
    crypto_generichash_update(&h, prev, LK_HASH_BYTES);
    crypto_generichash_update(&h, content, LK_HASH_BYTES);
    crypto_generichash_final(&h, out, LK_HASH_BYTES);
}

static int set_hashes(yima_link *s, lk_st *set, int64_t seq, const unsigned char *hash,
                      const unsigned char *chain, yima_err *err)
{
    lk_reset(set);
    lk_bind_int64(set, 1, seq);
    lk_bind_blob(set, 2, hash, LK_HASH_BYTES);
    lk_bind_blob(set, 3, chain, LK_HASH_BYTES);
    int rc = lk_step(set);
    int out = rc == LK_DONE ? YIMA_OK : lk_db_error(s, "recording an event's hash", err);
    lk_reset(set);
    return out;
}

/* The head in st's row (head_get_sql), if any: (0, zeros) for none. */
static int head_from(yima_link *s, lk_st *st, int64_t *seq, unsigned char head[LK_HASH_BYTES],
                     int *found, yima_err *err)
{
    *seq = 0;
    *found = 0;
    memset(head, 0, LK_HASH_BYTES);
    int rc = lk_step(st);
    if (rc == LK_ROW && lk_column_bytes(st, 0) == 8 + LK_HASH_BYTES) {
        const unsigned char *b = lk_column_blob(st, 0);
        uint64_t v = 0;
        for (int k = 0; k < 8; k++)
            v = v << 8 | b[k];
        *seq = (int64_t)v;
        memcpy(head, b + 8, LK_HASH_BYTES);
        *found = 1;
    } else if (rc == LK_ROW) {
        *found = -1; /* there, but not 40 bytes: altered */
    }
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK
                                         : lk_db_error(s, "reading the chain head", err);
}

/* The head recorded in meta: (0, zeros) for a store without events. */
static int head_read(yima_link *s, int64_t *seq, unsigned char head[LK_HASH_BYTES],
                     int *found, yima_err *err)
{
    lk_st *st;
    if (lk_prepare(s, head_get_sql, &st) != LK_OK)
        return lk_db_error(s, "reading the chain head", err);
    int rc = head_from(s, st, seq, head, found, err);
    lk_finalize(st);
    return rc;
}

/* The head as meta.chain_head holds it: seq (8 bytes, big-endian), chain. */
static void head_bytes(int64_t seq, const unsigned char head[LK_HASH_BYTES],
                       unsigned char b[8 + LK_HASH_BYTES])
{
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)((uint64_t)seq >> (56 - 8 * k));
    memcpy(b + 8, head, LK_HASH_BYTES);
}

/* One writer: the head it recorded (many writers' seal records its own). */
static int head_write(yima_link *s, int64_t seq, const unsigned char head[LK_HASH_BYTES],
                      yima_err *err)
{
    unsigned char b[8 + LK_HASH_BYTES];
    lk_st *st;
    head_bytes(seq, head, b);
    if (lk_prepare(s, head_set_sql, &st) != LK_OK)
        return lk_db_error(s, "recording the chain head", err);
    lk_bind_blob(st, 1, b, sizeof b);
    int rc = lk_step(st);
    lk_finalize(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "recording the chain head", err);
}

/* The chain hash of the event before seq, from the handle while it holds
 * the write lock (nobody else appends), else from the store. */
static int prev_chain(yima_link *s, int64_t seq, unsigned char prev[LK_HASH_BYTES],
                      yima_err *err)
{
    if (s->chain.known && s->chain.seq < seq) {
        memcpy(prev, s->chain.head, LK_HASH_BYTES);
        return YIMA_OK;
    }
    lk_st *st = lk_stmt(s, Q_CHAIN_PREV);
    lk_bind_int64(st, 1, seq);
    int rc = lk_step(st);
    memset(prev, 0, LK_HASH_BYTES);
    if (rc == LK_ROW && lk_column_bytes(st, 0) == LK_HASH_BYTES)
        memcpy(prev, lk_column_blob(st, 0), LK_HASH_BYTES);
    lk_reset(st);
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK
                                         : lk_db_error(s, "reading the chain", err);
}

/* Chains content hash of event seq to the one before and stores both. */
static int append_hash(yima_link *s, int64_t seq, const unsigned char hash[LK_HASH_BYTES],
                       yima_err *err)
{
    unsigned char prev[LK_HASH_BYTES], chain[LK_HASH_BYTES];
    int rc = prev_chain(s, seq, prev, err);
    if (rc)
        return rc;
    lk_chain_link(prev, hash, chain);
    if ((rc = set_hashes(s, s->q[Q_CHAIN_SET], seq, hash, chain, err)))
        return rc;
    s->chain.known = 1;
    s->chain.dirty = 1;
    s->chain.seq = seq;
    memcpy(s->chain.head, chain, LK_HASH_BYTES);
    return YIMA_OK;
}

/* Many writers: seq (provisional, negative; else not known, and the seal
 * reads every negative seq) is the open transaction's. */
static void note_provisional(yima_link *s, int64_t seq)
{
    int64_t lo = seq < 0 ? seq : INT64_MIN, hi = seq < 0 ? seq : -1;
    if (!s->chain.prov_lo || lo < s->chain.prov_lo)
        s->chain.prov_lo = lo;
    if (!s->chain.prov_hi || hi > s->chain.prov_hi)
        s->chain.prov_hi = hi;
}

/* The seal's range of provisional seqs, bound to st as ?i and ?i+1. */
static lk_st *provisional_range(yima_link *s, lk_st *st, int i)
{
    lk_bind_int64(st, i, s->chain.prov_lo ? s->chain.prov_lo : INT64_MIN);
    lk_bind_int64(st, i + 1, s->chain.prov_hi ? s->chain.prov_hi : -1);
    return st;
}

int lk_chain_append(yima_link *s, int64_t seq, yima_err *err)
{
    unsigned char hash[LK_HASH_BYTES];
    if (s->dialect->seal) { /* hashed at the commit, with its final seq */
        note_provisional(s, seq);
        s->chain.dirty = 1;
        return YIMA_OK;
    }
    lk_st *ev = lk_stmt(s, Q_CHAIN_EVENT);
    lk_bind_int64(ev, 1, seq);
    if (lk_step(ev) != LK_ROW) {
        int rc = lk_db_error(s, "reading an event back", err);
        lk_reset(ev);
        return rc;
    }
    int rc = content_hash(s, ev, s->q[Q_CHAIN_CODES], hash, err);
    lk_reset(ev);
    return rc ? rc : append_hash(s, seq, hash, err);
}

int lk_chain_append_fields(yima_link *s, int64_t seq, const lk_chain_field f[LK_CHAIN_FIELDS],
                           yima_err *err)
{
    crypto_generichash_state h;
    unsigned char hash[LK_HASH_BYTES];
    if (s->dialect->seal) /* read back at the commit instead */
        return lk_chain_append(s, seq, err);
    content_start(&h);
    for (int i = 0; i < LK_CHAIN_FIELDS; i++) {
        if (INT_FIELD(i))
            put_int(&h, f[i].value);
        else
            put_text(&h, f[i].text, f[i].len);
    }
    put_u32(&h, 0); /* no event_codes rows */
    crypto_generichash_final(&h, hash, LK_HASH_BYTES);
    return append_hash(s, seq, hash, err);
}

/* The chain head's row, locked until the commit: the one step writers
 * take in turn, and only to seal. A store made before any event may have
 * no row yet: it is added (of two first sealers, one adds it). */
static int head_lock(yima_link *s, int64_t *seq, unsigned char head[LK_HASH_BYTES],
                     yima_err *err)
{
    static const unsigned char none[8 + LK_HASH_BYTES];
    int found, rc;
    for (int tries = 0;; tries++) {
        rc = head_from(s, lk_stmt(s, Q_HEAD_LOCK), seq, head, &found, err);
        lk_reset(s->q[Q_HEAD_LOCK]);
        if (rc || found || tries)
            break;
        lk_st *st;
        if (lk_prepare(s, "INSERT INTO meta(key, value) VALUES('chain_head', ?1) "
                       "ON CONFLICT(key) DO NOTHING", &st) != LK_OK)
            return lk_db_error(s, "recording the chain head", err);
        lk_bind_blob(st, 1, none, sizeof none);
        rc = lk_step(st);
        lk_finalize(st);
        if (rc != LK_DONE)
            return lk_db_error(s, "recording the chain head", err);
    }
    if (!rc && found != 1)
        rc = yima_err_set(err, YIMA_E_STORE, "%s: the recorded chain head is missing or "
                          "malformed (run audit)", s->path);
    return rc;
}

static void hex(const unsigned char *b, size_t n, char *out);

/* The seal's walk: the transaction's events, and their codes a step
 * ahead; what it sets, as the array texts of lk_seal_set_sql. */
typedef struct sealer {
    yima_link *s;
    lk_st *ev, *codes;
    int code_row; /* codes' last step: LK_ROW while a row waits to be read */
    yima_buf prov, hash, chain;
    int oom;
} sealer;

/* Appends one element to array text b ("{" first, "}" by seal_set). */
static void seal_put(sealer *w, yima_buf *b, const char *text)
{
    w->oom = w->oom || yima_buf_append(b, b->len ? "," : "{", 1) ||
             yima_buf_append(b, text, strlen(text));
}

static void seal_add(sealer *w, int64_t prov, const unsigned char *hash,
                     const unsigned char *chain)
{
    char num[24], h[2 * LK_HASH_BYTES + 1];
    snprintf(num, sizeof num, "%lld", (long long)prov);
    seal_put(w, &w->prov, num);
    hex(hash, LK_HASH_BYTES, h);
    seal_put(w, &w->hash, h);
    hex(chain, LK_HASH_BYTES, h);
    seal_put(w, &w->chain, h);
}

/* Hashes the event on w->ev (provisional seq prov) as event seq. */
static int seal_hash(sealer *w, int64_t prov, int64_t seq, unsigned char out[LK_HASH_BYTES],
                     yima_err *err)
{
    crypto_generichash_state h;
    uint32_t n = 0;
    content_fields(&h, w->ev, seq);
    while (w->code_row == LK_ROW && lk_column_int64(w->codes, 0) == prov) {
        put_field(&h, w->codes, 1, 0);
        put_field(&h, w->codes, 2, 0);
        n++;
        w->code_row = lk_step(w->codes);
    }
    if (w->code_row != LK_ROW && w->code_row != LK_DONE)
        return lk_db_error(w->s, "reading an event's codes", err);
    put_u32(&h, n);
    crypto_generichash_final(&h, out, LK_HASH_BYTES);
    return YIMA_OK;
}

/* The one event's seq, hash and chain, for lk_seal_one_sql. */
static lk_st *seal_one(yima_link *s, int64_t prov, int64_t seq,
                       const unsigned char hash[LK_HASH_BYTES])
{
    lk_st *set = lk_stmt(s, Q_SEAL_ONE);
    lk_bind_int64(set, 1, prov);
    lk_bind_int64(set, 2, seq);
    lk_bind_blob(set, 3, hash, LK_HASH_BYTES);
    lk_bind_blob(set, 4, s->chain.head, LK_HASH_BYTES);
    return set;
}

/* The arrays of every event, for lk_seal_set_sql. */
static lk_st *seal_many(sealer *w, int64_t head)
{
    yima_buf *text[3] = {&w->prov, &w->hash, &w->chain};
    for (int i = 0; i < 3; i++)
        w->oom = w->oom || yima_buf_append(text[i], "}", 2); /* with the NUL */
    if (w->oom)
        return NULL;
    lk_st *set = lk_stmt(w->s, Q_SEAL_SET);
    for (int i = 0; i < 3; i++)
        lk_bind_text(set, i + 1, (const char *)text[i]->data, -1);
    lk_bind_int64(set, 4, head);
    return provisional_range(w->s, set, 5);
}

/* Gives the events their seqs after head, up to seq, their hashes and
 * chains, and records the new head; the last event is prov, with hash. */
static int seal_set(sealer *w, int64_t head, int64_t seq, int64_t prov,
                    const unsigned char hash[LK_HASH_BYTES], yima_err *err)
{
    yima_link *s = w->s;
    unsigned char b[8 + LK_HASH_BYTES];
    head_bytes(seq, s->chain.head, b);
    lk_st *set = seq == head + 1 ? seal_one(s, prov, seq, hash) : seal_many(w, head);
    if (!set)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    lk_bind_blob(set, seq == head + 1 ? 5 : 7, b, sizeof b);
    /* Sent with the COMMIT, which follows. */
    int rc = lk_step_ahead(set) == LK_OK ? YIMA_OK : lk_db_error(s, "sealing the events", err);
    lk_reset(set);
    return rc;
}

/* Many writers: numbers the transaction's events after the head, in the
 * order they were added, and chains them; their codes' rows follow the
 * new seqs. The head stays locked until COMMIT, so seqs are in commit
 * order and a feed reading past seq N never misses an event committed
 * later with a lower number. The transaction's own rows are read before
 * the head is locked: while it is held, only the hashing and one
 * statement wait for it. */
static int seal(yima_link *s, yima_err *err)
{
    unsigned char hash[LK_HASH_BYTES];
    int64_t head, seq, prov = 0;
    sealer w = {.s = s, .ev = provisional_range(s, lk_stmt(s, Q_SEAL_EVENTS), 1),
                .codes = provisional_range(s, lk_stmt(s, Q_SEAL_CODES), 1)};
    w.code_row = lk_step(w.codes);
    int step = lk_step(w.ev);
    int rc = head_lock(s, &head, s->chain.head, err);
    for (seq = head; !rc && step == LK_ROW; step = lk_step(w.ev)) {
        prov = lk_column_int64(w.ev, F_SEQ);
        rc = seal_hash(&w, prov, ++seq, hash, err);
        lk_chain_link(s->chain.head, hash, s->chain.head);
        seal_add(&w, prov, hash, s->chain.head);
    }
    if (!rc && step != LK_DONE)
        rc = lk_db_error(s, "reading the events to seal", err);
    lk_reset(w.ev);
    lk_reset(w.codes);
    rc = rc || seq == head ? rc : seal_set(&w, head, seq, prov, hash, err);
    free(w.prov.data);
    free(w.hash.data);
    free(w.chain.data);
    return rc;
}

int lk_chain_commit(yima_link *s, yima_err *err)
{
    if (!s->chain.dirty)
        return YIMA_OK;
    s->chain.dirty = 0;
    if (s->dialect->seal)
        return seal(s, err);
    return head_write(s, s->chain.seq, s->chain.head, err);
}

/* A walk over every event in order, for the upgrade and the audit. */
typedef struct walk {
    yima_link *s;
    lk_st *ev, *codes, *set;
    unsigned char prev[LK_HASH_BYTES];
} walk;

static int walk_open(walk *w, yima_link *s, int writes, yima_err *err)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    if (lk_prepare_stream(s, all_events_sql, &w->ev) != LK_OK ||
        lk_prepare(s, lk_chain_codes_sql, &w->codes) != LK_OK ||
        (writes && lk_prepare(s, lk_chain_set_sql, &w->set) != LK_OK))
        return lk_db_error(s, "reading the chain", err);
    return YIMA_OK;
}

static void walk_close(walk *w)
{
    lk_finalize(w->ev);
    lk_finalize(w->codes);
    lk_finalize(w->set);
}

int lk_chain_rebuild(yima_link *s, yima_err *err)
{
    walk w;
    unsigned char hash[LK_HASH_BYTES];
    int64_t seq = 0;
    int rc = walk_open(&w, s, 1, err), step;
    /* The rows are updated under the open scan: only hash and chain change,
     * which the scan (by rowid) does not read from an index. */
    while (!rc && (step = lk_step(w.ev)) == LK_ROW) {
        seq = lk_column_int64(w.ev, F_SEQ);
        rc = content_hash(s, w.ev, w.codes, hash, err);
        if (!rc) {
            lk_chain_link(w.prev, hash, w.prev);
            rc = set_hashes(s, w.set, seq, hash, w.prev, err);
        }
    }
    if (!rc && step != LK_DONE)
        rc = lk_db_error(s, "reading the events", err);
    rc = rc ? rc : head_write(s, seq, w.prev, err);
    walk_close(&w);
    return rc;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* Records the first break: seq, id and what differs. */
static void broken(yima_link_audit_report *r, int kind, lk_st *ev, const char *fmt,
                   const unsigned char *stored, const unsigned char *want)
{
    char a[2 * LK_HASH_BYTES + 1] = "none", b[2 * LK_HASH_BYTES + 1];
    const char *id = ev ? lk_column_text(ev, F_ID) : NULL;
    r->status = kind;
    r->seq = ev ? lk_column_int64(ev, F_SEQ) : r->head_seq;
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    if (stored)
        hex(stored, LK_HASH_BYTES, a);
    hex(want, LK_HASH_BYTES, b);
    snprintf(r->detail, sizeof r->detail, fmt, a, b);
}

/* The stored hash column i of ev, or NULL if it is not 32 bytes. */
static const unsigned char *stored(lk_st *ev, int i)
{
    return lk_column_bytes(ev, i) == LK_HASH_BYTES ? lk_column_blob(ev, i) : NULL;
}

/* Checks one event against the chain so far; 1 if it breaks it. */
static int audit_event(walk *w, yima_link_audit_report *r, yima_err *err, int *rc)
{
    unsigned char hash[LK_HASH_BYTES], chain[LK_HASH_BYTES];
    if ((*rc = content_hash(w->s, w->ev, w->codes, hash, err)))
        return 0;
    const unsigned char *h = stored(w->ev, F_HASH), *c = stored(w->ev, F_CHAIN);
    if (!h || sodium_memcmp(h, hash, LK_HASH_BYTES)) {
        broken(r, YIMA_LINK_AUDIT_CONTENT, w->ev,
               "content differs: stored hash %s, the event's fields hash to %s", h, hash);
        return 1;
    }
    lk_chain_link(w->prev, hash, chain);
    if (!c || sodium_memcmp(c, chain, LK_HASH_BYTES)) {
        broken(r, YIMA_LINK_AUDIT_LINK, w->ev,
               "link differs: stored chain %s, the previous event chains to %s (an event "
               "before it was removed, inserted or re-hashed)", c, chain);
        return 1;
    }
    memcpy(w->prev, c, LK_HASH_BYTES);
    r->head_seq = lk_column_int64(w->ev, F_SEQ);
    return 0;
}

/* The head the writer recorded must be the last event's chain: else events
 * at the end were removed (or the record altered). */
static int audit_head(yima_link *s, const walk *w, yima_link_audit_report *r, yima_err *err)
{
    int64_t seq;
    unsigned char head[LK_HASH_BYTES];
    int found, rc = head_read(s, &seq, head, &found, err);
    if (rc || (found == 0 && r->head_seq == 0))
        return rc;
    if (found == 1 && seq == r->head_seq && !sodium_memcmp(head, w->prev, LK_HASH_BYTES))
        return YIMA_OK;
    r->status = YIMA_LINK_AUDIT_HEAD;
    r->seq = found == 1 ? seq : r->head_seq;
    r->id[0] = '\0';
    if (found == 1)
        snprintf(r->detail, sizeof r->detail,
                 "the recorded head is seq %lld, the chain ends at seq %lld: events at the "
                 "end were removed or the head altered", (long long)seq, (long long)r->head_seq);
    else
        snprintf(r->detail, sizeof r->detail,
                 "the recorded chain head is missing or malformed (the chain ends at seq %lld)",
                 (long long)r->head_seq);
    return YIMA_OK;
}

int lk_chain_audit(yima_link *s, yima_link_audit_report *r, unsigned char head[LK_HASH_BYTES],
                   yima_err *err)
{
    walk w;
    int rc = walk_open(&w, s, 0, err), step = LK_DONE;
    while (!rc && r->status == YIMA_LINK_AUDIT_INTACT &&
           (step = lk_step(w.ev)) == LK_ROW) {
        r->events++;
        audit_event(&w, r, err, &rc);
    }
    if (!rc && step != LK_DONE && step != LK_ROW)
        rc = lk_db_error(s, "reading the events", err);
    if (!rc && r->status == YIMA_LINK_AUDIT_INTACT)
        rc = audit_head(s, &w, r, err);
    memcpy(head, w.prev, LK_HASH_BYTES);
    walk_close(&w);
    return rc;
}

int lk_chain_at(yima_link *s, int64_t seq, unsigned char chain[LK_HASH_BYTES], int *found,
                yima_err *err)
{
    lk_st *st;
    *found = 0;
    if (seq == 0) { /* the empty chain */
        memset(chain, 0, LK_HASH_BYTES);
        *found = 1;
        return YIMA_OK;
    }
    if (lk_prepare(s, "SELECT chain FROM events WHERE seq = ?1", &st))
        return lk_db_error(s, "reading the chain", err);
    lk_bind_int64(st, 1, seq);
    int rc = lk_step(st);
    if (rc == LK_ROW && lk_column_bytes(st, 0) == LK_HASH_BYTES) {
        memcpy(chain, lk_column_blob(st, 0), LK_HASH_BYTES);
        *found = 1;
    }
    lk_finalize(st);
    return rc == LK_ROW || rc == LK_DONE ? YIMA_OK
                                         : lk_db_error(s, "reading the chain", err);
}
