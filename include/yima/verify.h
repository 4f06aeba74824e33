/* SPDX-License-Identifier: MIT */
/*
 * Verification runs over streams of codes, and manifest checks.
 */
#ifndef YIMA_VERIFY_H
#define YIMA_VERIFY_H

#include <stdint.h>
#include <stdio.h>
#include "yima/code.h"
#include "yima/errors.h"
#include "yima/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yima_verify_options {
    const yima_keyring *ring;
    int want_level;            /* -1: any level */
    const char *template_text; /* payload template, or NULL to guess */
    int json;                  /* one JSON object a line instead of TSV */
    int bad_only;              /* print only lines that are not OK */
    int duplicates;            /* report codes seen twice [1]; costs 16 bytes a code */
    const char *output;        /* results, "-" for stdout */
    int threads;               /* worker threads; at most YIMA_VERIFY_THREADS_MAX are used */
    yima_progress_fn progress;
    void *progress_ctx;
    int force;                 /* replace an existing output file */
    const char *ledger;        /* issue ledger: OK codes it never issued become NOT_ISSUED */
} yima_verify_options;

/* Threads beyond this add nothing but memory. */
#define YIMA_VERIFY_THREADS_MAX 64

YIMA_API void yima_verify_options_init(yima_verify_options *opt);

typedef struct yima_verify_summary {
    uint64_t lines;                   /* data lines (headers excluded) */
    uint64_t status[YIMA_S__COUNT];   /* lines by result */
    uint64_t bad;                     /* lines not OK */
} yima_verify_summary;

/*
 * Verifies every line of the inputs (paths; "-" is stdin) and writes one
 * result line per input line, in input order:
 *   SOURCE:LINE <TAB> STATUS <TAB> CODE [<TAB> detail]
 * Input bytes that are not printable ASCII (and backslash) are written
 * escaped (\t, \\, \xNN), so no input can forge a result line.
 *
 * Every code column of a gen row is checked: the code at its own level (and
 * the row's level column), the inner code paired with its item, the case
 * and pallet columns as case and pallet codes of the same key (and batch,
 * when known). A row is OK only when all of them are; see yima-verify(1)
 * for which status a row gets when one column is bad. An inner pair that
 * the ring cannot check (public keys only) makes the row NEED_SECRET.
 *
 * A valid code seen before gets DUPLICATE, naming the source and line of
 * its first sighting; codes are the same when their identity is
 * (yima_code_info.identity), whatever their spelling. With a ledger, an
 * otherwise valid code whose position is known but was never reserved there
 * gets NOT_ISSUED (inner codes count as items). With json, the last line is
 * {"summary":{...}}.
 *
 * Memory is bounded by a constant (whatever the input and thread count),
 * apart from the duplicate set (16 bytes a code at half load).
 *
 * Returns YIMA_OK when the run completed (bad codes are counted, not errors);
 * errors are I/O problems, an output that exists (YIMA_E_EXISTS without
 * force) or is the ledger or an input (YIMA_E_USAGE, force or not), unusable
 * input (binary data, an empty input, a line over 64 KiB, a yima key file
 * given as input), an unreadable or torn ledger, and the like. On error a
 * file output is not created.
 */
YIMA_API int yima_verify_run(const yima_verify_options *opt, const char *const *inputs,
                             int ninputs, yima_verify_summary *summary, yima_err *err);

/* One line of summary for people ("N lines: N OK, N bad, ..."). */
YIMA_API void yima_verify_summary_print(const yima_verify_summary *s, FILE *to);

typedef struct yima_manifest_report {
    int key_id;
    uint64_t rows, bytes;
    char data_path[4096];
} yima_manifest_report;

/*
 * Checks a manifest: its signature under a key of ring, then the data file
 * against its BLAKE2b hash, size and row count. The data file is data_path
 * when given (the file the caller is about to use: this is what gets
 * hashed and counted); only without one is it the manifest's "file" beside
 * the manifest. YIMA_E_MANIFEST with a message naming the data file, the
 * manifest and the file the manifest describes when anything differs.
 */
YIMA_API int yima_manifest_check(const char *manifest_path, const yima_keyring *ring,
                                 const char *data_path, yima_manifest_report *report,
                                 yima_err *err);

#ifdef __cplusplus
}
#endif
#endif
