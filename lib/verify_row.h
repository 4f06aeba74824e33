/* SPDX-License-Identifier: MIT */
/*
 * One row of verify input judged as a whole: the code and every other code
 * column of a gen row (inner, case, pallet), the level column, the payload
 * and the ledger. The rules and their statuses are in yima-verify(1).
 * Private to lib/.
 */
#ifndef YIMA_VERIFY_ROW_H
#define YIMA_VERIFY_ROW_H

#include <stddef.h>
#include "rows.h"
#include "yima/code.h"

struct yima_ledger_set;

/* What every row of a run is checked against; read-only, shared by threads. */
typedef struct yima_rowcheck {
    const yima_keyring *ring;
    int want_level;                       /* -1: any */
    const struct yima_ledger_set *ledger; /* NULL: no ledger check */
} yima_rowcheck;

/* One worker's memory of the last case and pallet codes it checked:
 * consecutive item rows share them, so each is verified once, not per item.
 * A zeroed struct is empty. */
typedef struct yima_rowcheck_memo {
    size_t len; /* 0: empty */
    char text[YIMA_CODE_MAX];
    yima_status status;
    yima_code_info info;
} yima_rowcheck_memo;
typedef struct yima_rowcheck_cache {
    yima_rowcheck_memo col[2]; /* case, pallet */
} yima_rowcheck_cache;

#define YIMA_ROW_DETAIL_MAX 96

/* The row's status. info describes the row's own code (its identity is the
 * row's for the clone check); detail receives which column is at fault, or
 * "" when the code's own status says it all. */
yima_status yima_rowcheck_run(const yima_rowcheck *check, yima_rowcheck_cache *cache,
                              const yima_row *row, yima_code_info *info,
                              char detail[YIMA_ROW_DETAIL_MAX]);

#endif
