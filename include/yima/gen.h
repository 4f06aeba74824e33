/* SPDX-License-Identifier: MIT */
/*
 * Code generation runs: a batch range turned into ordered rows, written
 * through the ordered parallel engine, recorded in the ledger and sealed
 * by a signed manifest.
 *
 * With a GS1 codec (yima_codec_set_gs1) the rows are GS1 element strings:
 * SGTINs for items, SSCCs for cases and pallets; csv, tsv and jsonl gain
 * the columns raw, gtin, lot, expiry and sscc (yima-gen(1), "GS1 mode").
 */
#ifndef YIMA_GEN_H
#define YIMA_GEN_H

#include <stdint.h>
#include "yima/code.h"
#include "yima/common.h"
#include "yima/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { YIMA_OUT_TXT, YIMA_OUT_CSV, YIMA_OUT_TSV, YIMA_OUT_JSONL } yima_outfmt;

YIMA_API const char *yima_outfmt_name(yima_outfmt fmt);
YIMA_API int yima_outfmt_parse(const char *name); /* -1 if unknown */

typedef struct yima_gen_options {
    const yima_codec *codec;    /* key and format; must hold the secret key */
    yima_level level;           /* level of the rows asked for [item] */
    uint32_t batch;
    uint64_t start, count;      /* index range within the batch */
    uint64_t pack_case;         /* items per case, 0 = no hierarchy */
    uint64_t pack_pallet;       /* cases per pallet (with pack_case) */
    int inner;                  /* add companion inner codes to items */
    const char *template_text;  /* payload template with {code}, or NULL */
    const char *dl_base;        /* GS1 codec: Digital Link base ("https://id.example.com")
                                   for payloads, or NULL for HRI element strings */
    yima_outfmt format;
    int header;                 /* csv/tsv header row [1]; shards after the first omit it */
    const char *output;         /* path, or "-"/NULL for stdout */
    const char *manifest;       /* manifest path; NULL = "<output>.manifest" for files */
    const char *ledger;         /* ledger path; NULL = no ledger */
    int force;                  /* replace outputs; re-issue ledger ranges */
    int gzip;                   /* gzip the output even without a .gz name (pipes) */
    int gzip_level;             /* 1..9 for .gz outputs [6] */
    int threads;                /* >= 1 */
    yima_progress_fn progress;  /* called from the writer with rows written */
    void *progress_ctx;
} yima_gen_options;

/* Fills defaults (item level, txt, 1 thread, gzip level 6). */
YIMA_API void yima_gen_options_init(yima_gen_options *opt);

/* Narrows opt's range [start, start+count) to shard k of n (1-based). Shard
 * edges fall on job edges (and so on pallet edges with a hierarchy), so
 * that shards concatenate to the bytes of one run, gzip members included.
 * Returns YIMA_E_USAGE if k is out of range or the shard is empty. */
YIMA_API int yima_gen_shard(yima_gen_options *opt, unsigned k, unsigned n, yima_err *err);

typedef struct yima_gen_result {
    uint64_t rows;                /* data rows written (items, cases, pallets) */
    uint64_t bytes;
    unsigned char blake2b[32];
} yima_gen_result;

/* The default ledger beside a key: "brand.key" -> "brand.ledger". Caller frees. */
YIMA_API char *yima_ledger_path(const char *key_path);

/* Runs the job. Output appears at opt->output only when complete. */
YIMA_API int yima_gen_run(const yima_gen_options *opt, yima_gen_result *result, yima_err *err);

#ifdef __cplusplus
}
#endif
#endif
