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

static uint64_t round_function(const yima_perm *perm, int round, uint64_t half)
{
    unsigned char in[17], out[8];
    uint64_t v = 0;
    memcpy(in, perm->tweak, 8);
    in[8] = (unsigned char)round;
    for (int i = 0; i < 8; i++)
        in[9 + i] = (unsigned char)(half >> (8 * i));
    crypto_shorthash_siphash24(out, in, sizeof in, perm->key);
    for (int i = 7; i >= 0; i--) /* output read little-endian, as SipHash defines it */
        v = v << 8 | out[i];
    return v;
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
