/* SPDX-License-Identifier: MIT */
/*
 * The code index and its stage (schema 8, UPGRADE_8 in link_store.c).
 *
 * Codes are found by lk_code_hash, which spreads new codes at random over
 * the whole index; a commit then writes every index page its codes
 * touched. Alone, a bulk import commits rarely and writes each page once
 * per batch. Beside other writers it must commit often, to let them in,
 * and each commit would rewrite most of the index. So while others write,
 * its new codes go to code_stage, small, whose pages are few; and the stage
 * moves to code_index one key range at a time, once it is large enough that
 * a range holds many codes per index page it touches.
 */
#include "link_internal.h"

int lk_code_file(yima_link *s, int64_t h, int64_t id, yima_err *err)
{
    /* Many writers at once (PostgreSQL) index a code straight away: the
     * stage spares SQLite's one writer at a time rewriting index pages, and
     * there two writers merging it at once would meet on its keys, or one
     * would drop a code another had staged meanwhile. */
    int stage = s->staging && !s->dialect->seal;
    lk_st *st = lk_stmt(s, stage ? Q_STAGE_ADD : Q_INDEX_ADD);
    lk_bind_int64(st, 1, h);
    lk_bind_int64(st, 2, id);
    int rc = lk_step_ahead(st);
    lk_reset(st);
    s->staged += stage;
    lk_filter_add(s, h);
    return rc == LK_OK ? YIMA_OK : lk_db_error(s, "indexing a code", err);
}

/* Range part of parts (a power of two) of the keys, in key order: the
 * unsigned space split evenly, then mapped in order onto int64. */
static void key_range(unsigned part, unsigned parts, int64_t *lo, int64_t *hi)
{
    unsigned shift = 0;
    while ((1u << shift) < parts)
        shift++;
    uint64_t span = shift ? (uint64_t)1 << (64 - shift) : 0;
    uint64_t first = part * span, last = first + (span - 1);
    const uint64_t sign = (uint64_t)1 << 63;
    *lo = (int64_t)(first ^ sign);
    *hi = (int64_t)(last ^ sign);
}

static int run_range(yima_link *s, int q, int64_t lo, int64_t hi, yima_err *err)
{
    lk_st *st = lk_stmt(s, q);
    lk_bind_int64(st, 1, lo);
    lk_bind_int64(st, 2, hi);
    int rc = lk_step(st);
    lk_reset(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "merging the code stage", err);
}

static int merge_range(yima_link *s, unsigned part, unsigned parts, yima_err *err)
{
    int64_t lo, hi;
    key_range(part, parts, &lo, &hi);
    int rc = run_range(s, Q_STAGE_MERGE, lo, hi, err);
    return rc ? rc : run_range(s, Q_STAGE_DROP, lo, hi, err);
}

int lk_stage_merge(yima_link *s, unsigned part, unsigned parts, yima_err *err)
{
    int rc = merge_range(s, part, parts, err);
    return rc ? rc : lk_stage_count(s, &s->staged, err);
}

/* A commit moves 1/16 of the stage, 1/64 at a time: a writer that comes
 * meanwhile waits for the range in hand only (one of 1/16 made a station
 * wait 10 ms at 100,000 staged codes; one of 1/64 takes 2 ms). The count,
 * a scan of the stage, once at the end. */
int lk_stage_merge_some(yima_link *s, unsigned *last, yima_err *err)
{
    int rc = YIMA_OK;
    for (int i = 0; !rc && i < LK_STAGE_RUN && !lk_gate_wanted(s); i++) {
        *last = (*last + 1) % LK_STAGE_PARTS;
        rc = merge_range(s, *last, LK_STAGE_PARTS, err);
    }
    return rc ? rc : lk_stage_count(s, &s->staged, err);
}

int lk_stage_count(yima_link *s, int64_t *n, yima_err *err)
{
    lk_st *st;
    *n = 0;
    if (lk_prepare(s, "SELECT count(*) FROM code_stage", &st) != LK_OK)
        return lk_db_error(s, "counting staged codes", err);
    int rc = lk_step(st);
    if (rc == LK_ROW)
        *n = lk_column_int64(st, 0);
    lk_finalize(st);
    return rc == LK_ROW ? YIMA_OK : lk_db_error(s, "counting staged codes", err);
}
