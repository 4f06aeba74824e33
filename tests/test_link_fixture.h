/* SPDX-License-Identifier: MIT */
/*
 * Codes and event streams for the link tests, made with the library itself
 * (seed 0x42, mac codes), so the tests need no other yima command.
 */
#ifndef TEST_LINK_FIXTURE_H
#define TEST_LINK_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yima/yima.h"
#include "yima/link.h"

typedef struct fixture {
    yima_key *key;     /* owned by ring */
    yima_keyring *ring;
    yima_codec *codec;
    char buf[32][YIMA_CODE_MAX];
    int next;
} fixture;

static inline void fixture_init(fixture *f, unsigned char seed_byte, int auth)
{
    unsigned char seed[32];
    yima_err err;
    memset(f, 0, sizeof *f);
    memset(seed, seed_byte, sizeof seed);
    if (yima_key_from_seed(&f->key, seed, 7, &err) || !(f->codec = yima_codec_create(f->key)) ||
        yima_codec_set(f->codec, YIMA_P_AUTH, auth, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        abort();
    }
    f->ring = yima_keyring_create();
    yima_keyring_add(f->ring, f->key, &err);
}

static inline void fixture_free(fixture *f)
{
    yima_codec_free(f->codec);
    yima_keyring_free(f->ring);
}

/* A code in a small ring of buffers, so a few can be used at once. */
static inline const char *fx_code(fixture *f, yima_level level, uint64_t index)
{
    yima_err err;
    char *out = f->buf[f->next++ % 32];
    if (!yima_codec_encode(f->codec, level, 1, index, out, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        abort();
    }
    return out;
}

/*
 * A line's day: per case, COMMISSION each of its items and PACK them; per
 * pallet of `per_pallet` cases, PACK the cases. Returns the event count.
 */
static inline uint64_t fixture_stream(fixture *f, FILE *to, uint64_t cases, int per_case,
                                      int per_pallet)
{
    uint64_t events = 0;
    for (uint64_t c = 0; c < cases; c++) {
        for (int i = 0; i < per_case; i++, events++)
            fprintf(to, "COMMISSION\t%s\tWINE-750\tL%llu\t2030-12-31\n",
                    fx_code(f, YIMA_LEVEL_ITEM, c * (uint64_t)per_case + (uint64_t)i),
                    (unsigned long long)(c / 100));
        fprintf(to, "PACK\t%s", fx_code(f, YIMA_LEVEL_CASE, c));
        for (int i = 0; i < per_case; i++)
            fprintf(to, "\t%s", fx_code(f, YIMA_LEVEL_ITEM, c * (uint64_t)per_case + (uint64_t)i));
        fputc('\n', to);
        events++;
        if ((c + 1) % (uint64_t)per_pallet == 0) {
            fprintf(to, "PACK\t%s", fx_code(f, YIMA_LEVEL_PALLET, c / (uint64_t)per_pallet));
            for (uint64_t k = c + 1 - (uint64_t)per_pallet; k <= c; k++)
                fprintf(to, "\t%s", fx_code(f, YIMA_LEVEL_CASE, k));
            fputc('\n', to);
            events++;
        }
    }
    return events;
}

#endif
