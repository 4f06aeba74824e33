/* SPDX-License-Identifier: MIT */
/* Library-private declarations shared between lib/ files. */
#ifndef YIMA_INTERNAL_H
#define YIMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "yima/code.h"
#include "yima/key.h"

typedef unsigned __int128 yima_u128;

#define YIMA_SIPHASH_KEY 16

struct yima_key {
    int id;
    int has_secret;
    unsigned char seed[32];
    unsigned char sign_sk[64];
    unsigned char sign_pk[32];
    unsigned char perm_key[YIMA_SIPHASH_KEY];
    unsigned char mac_key[YIMA_SIPHASH_KEY];
    unsigned char inner_key[YIMA_SIPHASH_KEY];
};

/* radix.c: fixed-width big-endian numbers in an alphabet, and Damm checks. */
extern const char yima_base32_chars[32];
int yima_radix(yima_alphabet alphabet);
/* Value of character c in alphabet, or -1. Base32 accepts lower case and
 * Crockford's O/I/L aliases. */
int yima_char_value(yima_alphabet alphabet, unsigned char c);
void yima_write_u128(yima_alphabet alphabet, yima_u128 value, int width, char *out);
/* 0 on success; -1 on a bad character or a value that overflows. */
int yima_read_u128(yima_alphabet alphabet, const char *text, int width, yima_u128 *value);
/* Writes a big-endian byte string as a width-character number. */
void yima_write_bytes(yima_alphabet alphabet, const unsigned char *bytes, size_t n, int width,
                      char *out);
/* Reads it back; -1 if a character is bad or the value needs more bytes. */
int yima_read_bytes(yima_alphabet alphabet, const char *text, int width, unsigned char *bytes,
                    size_t n);
/* Characters needed for n bytes. */
int yima_bytes_width(yima_alphabet alphabet, size_t n);
char yima_damm_check(yima_alphabet alphabet, const char *text, size_t len);
int yima_damm_valid(yima_alphabet alphabet, const char *text, size_t len);
yima_u128 yima_u128_pow(unsigned base, int exp);

/* feistel.c: keyed permutation of [0, domain) by a balanced Feistel network
 * over 2^(2*half_bits) with cycle-walking. */
typedef struct yima_perm {
    const unsigned char *key;  /* 16-byte SipHash key */
    yima_u128 domain;
    int half_bits;
    unsigned char tweak[8];
} yima_perm;
void yima_perm_init(yima_perm *perm, const unsigned char *key, yima_u128 domain,
                    const unsigned char tweak[8]);
yima_u128 yima_perm_encrypt(const yima_perm *perm, yima_u128 x);
yima_u128 yima_perm_decrypt(const yima_perm *perm, yima_u128 y);

/* code.c: pieces of the format shared by encoder and verifier. */
#define YIMA_MSG_PREFIX "YIMA1"
#define YIMA_MSG_PREFIX_LEN 5
#define YIMA_HDR_INNER 9
#define YIMA_SIG_BYTES 64
#define YIMA_MAC_BYTES 16
int yima_kid_width(yima_alphabet alphabet);
int yima_len_width(yima_alphabet alphabet);
/* Writes the width-character mac tag of body (SipHash-128 of prefix || body). */
void yima_mac_text(const unsigned char *mac_key, yima_alphabet alphabet, const char *body,
                   size_t body_len, int width, char *out);

/* Parses a decimal unsigned number with overflow checks; 0 on success. */
int yima_parse_u64(const char *text, uint64_t max, uint64_t *value);

#endif
