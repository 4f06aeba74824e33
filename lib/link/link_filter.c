/* SPDX-License-Identifier: MIT */
/*
 * The code filter: which lookup keys (lk_code_hash) the store's codes
 * have, as a Bloom filter in memory, for a bulk import beside other
 * writers on SQLite.
 *
 * Each commit of another writer makes SQLite drop this handle's page
 * cache, and the import's next lookups of new codes, one at a random leaf
 * of code_index each, then read those leaves again: 2,400,000 links beside
 * two stations writing every 50 ms took 35 s, and 21.7 s with no lookups
 * at all (19.7 s alone). A code whose key the filter lacks is not in the
 * store, so its lookup is skipped; a key it holds is looked up as before,
 * a false hit costing only that lookup.
 *
 * The filter holds every code's key as of the transaction it is used in:
 * built from code_index and code_stage in a read snapshot, before the
 * writers' turn (a build reads the whole index: a station must not wait
 * for it), then, at each write transaction's start, the codes added since
 * (by id: a row's id is above every earlier one's, and no code is ever
 * deleted), and the handle's own new codes as it files them. That needs
 * one writer at a time, so no other writer adds a code inside the
 * transaction: never on PostgreSQL.
 */
#include <stdlib.h>
#include "link_internal.h"

/* Built with 16 to 32 bits a key (twice as many keys as the store has
 * codes, in a power of two), and again once down to BITS_PER_KEY: two
 * probes then answer a false hit for 0.4% to 5% of new codes. */
#define BITS_PER_KEY 8
#define MIN_KEYS (1 << 23) /* 16 MB: most stores never build it again */
/* A larger store goes without: the filter would take over 128 MB. */
#define MAX_BITS ((uint64_t)1 << 30)

struct lk_filter {
    uint64_t *words;
    uint64_t mask;   /* bits - 1, bits a power of two; 0: not built */
    int64_t keys;    /* keys added by build and refresh */
    int64_t last_id; /* every code up to this id is in */
};

static void set_bit(lk_filter *f, uint64_t i)
{
    f->words[(i & f->mask) >> 6] |= (uint64_t)1 << (i & 63);
}

static int has_bit(const lk_filter *f, uint64_t i)
{
    return (int)(f->words[(i & f->mask) >> 6] >> (i & 63) & 1);
}

/* The two probes: the key is a SipHash, its halves independent. */
static void add_key(lk_filter *f, int64_t h)
{
    set_bit(f, (uint64_t)h);
    set_bit(f, (uint64_t)h >> 32);
}

void lk_filter_add(yima_link *s, int64_t h)
{
    if (s->filter && s->filter->mask)
        add_key(s->filter, h);
}

int lk_filter_may_hold(const yima_link *s, int64_t h)
{
    const lk_filter *f = s->filter;
    if (!f || !f->mask)
        return 1;
    return has_bit(f, (uint64_t)h) && has_bit(f, (uint64_t)h >> 32);
}

void lk_filter_want(yima_link *s)
{
    if (!s->filter && !s->dialect->seal)
        s->filter = calloc(1, sizeof *s->filter); /* none if out of memory: looks up */
}

void lk_filter_drop(yima_link *s)
{
    if (s->filter)
        free(s->filter->words);
    free(s->filter);
    s->filter = NULL;
}

/* Adds the key h of each row of sql ("SELECT h, id ... WHERE id > ?1",
 * ?1 being last_id), raising last_id to the largest id. */
static int add_rows(yima_link *s, const char *sql, yima_err *err)
{
    lk_filter *f = s->filter;
    lk_st *st;
    if (lk_prepare(s, sql, &st) != LK_OK)
        return lk_db_error(s, "filling the code filter", err);
    lk_bind_int64(st, 1, f->last_id);
    int rc;
    while ((rc = lk_step(st)) == LK_ROW) {
        add_key(f, lk_column_int64(st, 0));
        f->keys++;
        int64_t id = lk_column_int64(st, 1);
        f->last_id = id > f->last_id ? id : f->last_id;
    }
    lk_finalize(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "filling the code filter", err);
}

/* The filter, sized for twice as many keys as the store has codes (the
 * largest id tells), then every code's key. */
static int build(yima_link *s, yima_err *err)
{
    lk_filter *f = s->filter;
    lk_st *st;
    if (lk_prepare(s, "SELECT max(id) FROM codes", &st) != LK_OK)
        return lk_db_error(s, "sizing the code filter", err);
    int rc = lk_step(st) == LK_ROW ? YIMA_OK : lk_db_error(s, "sizing the code filter", err);
    int64_t top = rc ? 0 : lk_column_int64(st, 0);
    lk_finalize(st);
    int64_t n = f->keys > top ? f->keys : top;
    n = n > MIN_KEYS ? n : MIN_KEYS;
    uint64_t bits = 64;
    while (bits < (uint64_t)n * 2 * BITS_PER_KEY && bits <= MAX_BITS)
        bits <<= 1;
    free(f->words);
    f->words = NULL;
    f->mask = 0;
    if (rc || bits > MAX_BITS || !(f->words = calloc(bits / 64, sizeof *f->words)))
        return rc ? rc : YIMA_E_NOMEM; /* too large to keep: the caller drops it */
    f->mask = bits - 1;
    f->keys = f->last_id = 0;
    /* Every code up to top is in one of the two tables; later ones are
     * added by id from codes, so last_id is top whatever the tables hold. */
    rc = add_rows(s, "SELECT h, id FROM code_index WHERE id > ?1", err);
    rc = rc ? rc : add_rows(s, "SELECT h, id FROM code_stage WHERE id > ?1", err);
    f->last_id = top;
    return rc;
}

/* Too full for its false hits to stay rare. */
static int due(const lk_filter *f)
{
    return !f->mask || f->keys > (int64_t)((f->mask + 1) / BITS_PER_KEY);
}

void lk_filter_ready(yima_link *s)
{
    lk_filter *f = s->filter;
    yima_err err;
    if (!f || !due(f))
        return;
    int rc = lk_snapshot_begin(s, &err);
    if (!rc) {
        rc = build(s, &err);
        lk_snapshot_end(s);
    }
    if (rc)
        lk_filter_drop(s); /* every lookup runs: slower, never wrong */
}

void lk_filter_refresh(yima_link *s)
{
    yima_err err;
    if (s->filter && s->filter->mask &&
        add_rows(s, "SELECT h, id FROM codes WHERE id > ?1", &err))
        lk_filter_drop(s);
}
