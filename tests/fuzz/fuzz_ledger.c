/* SPDX-License-Identifier: MIT */
/*
 * The issue ledger: the input is a ledger file's prior text. A range picked
 * from the input's hash is reserved. Oracles:
 *  - the writer and the reader agree: a ledger yima_ledger_load refuses as
 *    torn or unparsable is refused by yima_ledger_reserve too; one it loads
 *    is refused for an overlap exactly when the loaded set holds an index of
 *    the range;
 *  - once reserved, a range is in the loaded set, and reserving it again is
 *    refused with YIMA_E_LEDGER, as is a range overlapping its last index,
 *    also after the reservation is marked complete.
 * Issuing a range twice is the one thing a ledger must never do.
 * Bytes after a NUL in the input name the output recorded with the
 * reservation, so odd names (newlines, backslashes) are tried too.
 */
#include <string.h>
#include "ledger.h"
#include "fuzz_common.h"

static void refused(const char *path, const yima_ledger_range *r, const char *output,
                    const char *when)
{
    char id[17];
    yima_err err = {0};
    int rc = yima_ledger_reserve(path, r, 1, output, 0, id, &err);
    FZ_ASSERT(rc == YIMA_E_LEDGER,
              "%s: batch %u level %d indexes %llu+%llu issued twice (rc %d: %s)", when,
              r->batch, r->level, (unsigned long long)r->start, (unsigned long long)r->count, rc,
              err.msg);
}

static yima_err load_err;

/* -1 if the ledger does not load (with its error in *rc and load_err),
 * else 1 if the loaded set holds an index of r, 0 if none. */
static int loaded_overlap(const char *path, const yima_ledger_range *r, int *rc)
{
    yima_ledger_set *set = NULL;
    *rc = yima_ledger_load(&set, path, &load_err);
    if (*rc) {
        FZ_ASSERT(!set, "a failed load left a set");
        return -1;
    }
    int hit = 0;
    for (uint64_t i = r->start; i < r->start + r->count && !hit; i++)
        hit = yima_ledger_contains(set, r->batch, r->level, i);
    yima_ledger_set_free(set);
    return hit;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_path(1, "fuzz.ledger");
    const uint8_t *nul = memchr(data, 0, size);
    char output[256] = "codes.tsv", id[17];
    yima_err err = {0};
    int load_rc;
    if (size > 256 * 1024)
        return 0;
    if (nul) {
        size_t n = size - (size_t)(nul + 1 - data);
        n = n < sizeof output - 1 ? n : sizeof output - 1;
        memcpy(output, nul + 1, n);
        output[n] = '\0';
        size = (size_t)(nul - data);
    }
    fz_write(path, data, size, 0600);
    uint64_t h = fz_hash(data, size);
    yima_ledger_range r = {.batch = (uint32_t)(h % 4), .level = (int)((h >> 2) % 3),
                           .start = (h >> 4) % 1000, .count = 1 + (h >> 14) % 100};
    int before = loaded_overlap(path, &r, &load_rc);
    int rc = yima_ledger_reserve(path, &r, 1, output, 0, id, &err);
    if (before < 0 && load_rc == YIMA_E_DATA)
        FZ_ASSERT(rc != 0, "a ledger the reader refuses took a reservation: %s", load_err.msg);
    if (before == 1)
        FZ_ASSERT(rc == YIMA_E_LEDGER, "range already in the ledger, reserve says %d: %s", rc,
                  err.msg);
    if (before == 0 && size > 0)
        FZ_ASSERT(rc == 0, "the reader loads the ledger and finds no overlap, reserve says %d: %s",
                  rc, err.msg);
    if (rc != 0)
        return 0; /* overlaps what the input holds, or the input was refused */
    FZ_ASSERT(loaded_overlap(path, &r, &load_rc) == 1, "reserved, but not in the loaded ledger: %s",
              load_rc ? load_err.msg : "not found");
    refused(path, &r, output, "right after");
    yima_ledger_range tail = {r.batch, r.level, r.start + r.count - 1, 5};
    refused(path, &tail, output, "overlapping its last index");
    rc = yima_ledger_complete(path, id, &err);
    FZ_ASSERT(rc == 0, "cannot complete reservation %s: %s", id, err.msg);
    refused(path, &r, output, "after completion");
    return 0;
}
