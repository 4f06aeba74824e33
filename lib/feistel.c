/* SPDX-License-Identifier: MIT */
/*
 * Keyed permutation of [0, domain): a balanced Feistel network over
 * 2^(2h) >= domain with SipHash-2-4 as round function, and cycle-walking
 * back into the domain (Black and Rogaway). Eight rounds: Luby-Rackoff needs
 * four for a strong PRP; the margin is cheap at SipHash speed.
 */
#include <string.h>
#include <sodium.h>
#include "internal.h"

#define FEISTEL_ROUNDS 8

static int bit_length(yima_u128 v)
{
    int n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

void yima_perm_init(yima_perm *perm, const unsigned char *key, yima_u128 domain,
                    const unsigned char tweak[8])
{
    int bits = bit_length(domain - 1);
    perm->key = key;
    perm->domain = domain;
    perm->half_bits = bits < 2 ? 1 : (bits + 1) / 2;
    memcpy(perm->tweak, tweak, 8);
}

/* Byte order spelled out so that hosts agree; compilers merge these into
 * single loads and stores. */
static void store_le64(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24), p[4] = (unsigned char)(v >> 32);
    p[5] = (unsigned char)(v >> 40), p[6] = (unsigned char)(v >> 48);
    p[7] = (unsigned char)(v >> 56);
}

static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* F_r(half) = SipHash-2-4(key, tweak || r || half as 8 bytes little-endian). */
static uint64_t round_function(const yima_perm *perm, int round, uint64_t half)
{
    unsigned char in[17], out[8];
    memcpy(in, perm->tweak, 8);
    in[8] = (unsigned char)round;
    store_le64(in + 9, half);
    crypto_shorthash_siphash24(out, in, sizeof in, perm->key);
    return load_le64(out);
}

static yima_u128 feistel_forward(const yima_perm *perm, yima_u128 x)
{
    int h = perm->half_bits;
    uint64_t mask = h >= 64 ? ~0ull : (1ull << h) - 1;
    uint64_t left = (uint64_t)(x >> h) & mask, right = (uint64_t)x & mask;
    for (int r = 0; r < FEISTEL_ROUNDS; r++) {
        uint64_t next = left ^ (round_function(perm, r, right) & mask);
        left = right;
        right = next;
    }
    return (yima_u128)left << h | right;
}

static yima_u128 feistel_backward(const yima_perm *perm, yima_u128 y)
{
    int h = perm->half_bits;
    uint64_t mask = h >= 64 ? ~0ull : (1ull << h) - 1;
    uint64_t left = (uint64_t)(y >> h) & mask, right = (uint64_t)y & mask;
    for (int r = FEISTEL_ROUNDS - 1; r >= 0; r--) {
        uint64_t prev = right ^ (round_function(perm, r, left) & mask);
        right = left;
        left = prev;
    }
    return (yima_u128)left << h | right;
}

yima_u128 yima_perm_encrypt(const yima_perm *perm, yima_u128 x)
{
    do
        x = feistel_forward(perm, x);
    while (x >= perm->domain);
    return x;
}

yima_u128 yima_perm_decrypt(const yima_perm *perm, yima_u128 y)
{
    do
        y = feistel_backward(perm, y);
    while (y >= perm->domain);
    return y;
}
