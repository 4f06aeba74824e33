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
    int threads;
    yima_progress_fn progress;
    void *progress_ctx;
} yima_verify_options;

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
 * An inner column is checked against its outer code when the ring holds the
 * secret key. A code seen before gets DUPLICATE with the line of its first
 * sighting. With json, the last line is {"summary":{...}}.
 * Returns YIMA_OK when the run completed (bad codes are counted, not errors);
 * errors are I/O problems, unusable input (binary data, an empty input, a
 * line over YIMA_LINE_MAX) and the like.
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
 * (data_path, or the manifest's "file" beside the manifest) against its
 * BLAKE2b hash, size and row count. YIMA_E_MANIFEST with a precise message
 * when anything differs.
 */
YIMA_API int yima_manifest_check(const char *manifest_path, const yima_keyring *ring,
                                 const char *data_path, yima_manifest_report *report,
                                 yima_err *err);

#ifdef __cplusplus
}
#endif
#endif
