/* SPDX-License-Identifier: MIT */
/*
 * The issue ledger: an append-only text file beside the key that records
 * every (batch, level, index range) handed out, so no range is issued twice.
 * Writers hold an exclusive flock while they check and append, so shards
 * on one machine coordinate safely.
 *
 *   yima-ledger 1
 *   R <id> <batch> <level> <start> <count> <unix-time> <output>   reserved
 *   D <id>                                                        completed
 */
#ifndef YIMA_LEDGER_H
#define YIMA_LEDGER_H

#include <stdint.h>
#include "yima/errors.h"

typedef struct yima_ledger_range {
    uint32_t batch;
    int level;
    uint64_t start, count;
} yima_ledger_range;

/* Reserves ranges (all or none). Refuses an overlap with any earlier
 * reservation unless force. Writes the reservation id to id[17]. */
int yima_ledger_reserve(const char *path, const yima_ledger_range *ranges, int n,
                        const char *output, int force, char id[17], yima_err *err);
/* Marks a reservation complete. */
int yima_ledger_complete(const char *path, const char id[17], yima_err *err);

#endif
