/* SPDX-License-Identifier: MIT */
/*
 * Shared plumbing of the libFuzzer targets: a per-process scratch directory,
 * the fixed test key (seed 32 x 0x42, id 7) and the oracle's abort.
 * Nothing here is secret: the seed is a published test vector.
 */
#ifndef YIMA_FUZZ_COMMON_H
#define YIMA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include "yima/key.h"

#define FZ_KEY_ID 7
#define FZ_SEED_BYTE 0x42

/* An oracle failure: libFuzzer treats the abort as a crash and saves the
 * input as the reproducer. */
#define FZ_ASSERT(cond, ...)                                                        \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "ORACLE FAILURE %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* The scratch directory of this process (made on first use, removed at
 * exit). Prefers /dev/shm: the ledger and key targets fsync every run. */
const char *fz_dir(void);
/* fz_dir()/name into a static slot: slot 0..7 keeps up to 8 paths alive. */
const char *fz_path(int slot, const char *name);
/* Writes data to path (truncating) with mode; aborts on an I/O error, which
 * is the machine's fault, not the input's. */
void fz_write(const char *path, const void *data, size_t size, mode_t mode);

/* The test key: a fresh secret key from the fixed seed (caller frees), its
 * public half (loaded from a .pub file the way a verifier would), and rings
 * holding one of each. Rings and the shared keys live until exit. */
yima_key *fz_secret_key(void);
const yima_key *fz_secret(void);
const yima_keyring *fz_ring(void);
const yima_keyring *fz_public_ring(void);

/* FNV-1a: picks deterministic per-input choices (rules, ranges). */
uint64_t fz_hash(const void *data, size_t size);

/* A heap copy of exactly size bytes and no terminating NUL, so ASan sees
 * any read past the end of a line. */
char *fz_dup(const void *data, size_t size);

#endif
