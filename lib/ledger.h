/* SPDX-License-Identifier: MIT */
/*
 * The issue ledger: an append-only text file beside the key that records
 * every (batch, level, index range) handed out, so no range is issued twice.
 * Writers hold an exclusive flock while they check and append, so shards
 * on one machine coordinate safely; readers hold a shared one.
 *
 * Format 2 (new files):
 *
 *   yima-ledger 2
 *   R <id> <batch> <level> <start> <count> <unix-time> <output> *<crc>   reserved
 *   D <id> *<crc>                                                        completed
 *
 * <id> is 16 lowercase hex digits, <level> 0 item, 1 case, 2 pallet, and
 * <crc> the CRC-32 (zlib's) of the line's bytes before " *", 8 lowercase hex
 * digits. In <output>, control bytes, DEL and backslash are written as \xHH,
 * so a record is always exactly one line. Every line, the last included,
 * ends with a newline. Empty lines are ignored.
 *
 * Format 1 (0.1's files, still read and appended to in format 1, with the
 * output escaped the same way): the same lines without " *<crc>".
 *
 * Every reservation (all its R lines) is appended by one write() on an
 * O_APPEND descriptor under the lock, then fsynced; a failed write is cut
 * back off. A record cut short by a crash or a full disk therefore shows as
 * a last line without its newline (or, in format 2, with a wrong CRC): such
 * a "torn" ledger, or any line that does not parse, is refused (YIMA_E_DATA,
 * naming the file and line) by reads and writes alike, rather than guessed
 * at, so no reservation can be lost. Repair (yima-gen(1), "Repairing the
 * ledger"): a torn last line that is a whole record (format 2: its CRC
 * holds; the message says which) only lost its newline: add it. One cut
 * short belongs to a run that never wrote a code (the reservation is synced
 * before the first code), so delete it. Any other bad line needs a backup or
 * a hand correction; deleting a whole record would free its range.
 * A ledger is never reached through a symbolic link, and must be a regular
 * file.
 */
#ifndef YIMA_LEDGER_H
#define YIMA_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"

typedef struct yima_ledger_range {
    uint32_t batch;
    int level;
    uint64_t start, count;
} yima_ledger_range;

/* Reserves ranges (all or none). Refuses an overlap with any earlier
 * reservation (YIMA_E_LEDGER) unless force. Creates the ledger (0600, format
 * 2) if absent. Writes the reservation id to id[17]. */
int yima_ledger_reserve(const char *path, const yima_ledger_range *ranges, int n,
                        const char *output, int force, char id[17], yima_err *err);
/* Marks a reservation complete. */
int yima_ledger_complete(const char *path, const char id[17], yima_err *err);

/*
 * Read API, for verifiers: every reserved range, completed or not (a run
 * that crashed may have printed some of its codes), merged into sorted
 * disjoint ranges for O(log n) lookups.
 */
typedef struct yima_ledger_set yima_ledger_set;

/* Loads the ledger at path into *set (caller frees with
 * yima_ledger_set_free). A missing file is YIMA_E_IO; a torn or unparsable
 * one YIMA_E_DATA naming file and line; a symbolic link YIMA_E_IO. On
 * failure *set is NULL. */
int yima_ledger_load(yima_ledger_set **set, const char *path, yima_err *err);
/* 1 if (batch, level, index) lies in a reserved range, else 0. The set is
 * read-only after loading, so threads may share it. */
int yima_ledger_contains(const yima_ledger_set *set, uint32_t batch, int level, uint64_t index);
/* Number of disjoint ranges held (for tests and messages). */
size_t yima_ledger_set_size(const yima_ledger_set *set);
/* NULL is accepted. */
void yima_ledger_set_free(yima_ledger_set *set);

#endif
