/* SPDX-License-Identifier: MIT */
/*
 * Library-private declarations shared between lib/ files.
 *
 * Return conventions inside lib/ (one for every file):
 *  - A function that can fail returns YIMA_OK (0) or a yima_errno code and
 *    fills its yima_err. Never -1, a negated code, or 1/2/3 for outcomes.
 *    A static helper whose only failure is out of memory, or whose caller
 *    words the message, may return the code and leave err to the caller.
 *  - Results and outcomes go through out-parameters, not the return value.
 *  - A pure predicate returns 0/1 and is named for it: is_..., has_...,
 *    ..._valid.
 *  - A lookup returning an index or enum value may return -1 for "not
 *    found", and says so where it is declared.
 *  - "More / done" is an out-parameter (or an empty result, e.g. a job of
 *    count 0), never a "1, 0 or an error code" return. A 1/0 iterator is
 *    fine only where it cannot fail, or where its errors go elsewhere.
 *  - The library never prints and never names a command-line option in a
 *    message: cmd/ turns errors into messages and may add a hint.
 */
#ifndef YIMA_INTERNAL_H
#define YIMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "yima/code.h"
#include "yima/key.h"

typedef unsigned __int128 yima_u128;

#define YIMA_SIPHASH_KEY 16

/* A batch's own key (format 2): its mac tags and serial check values. */
typedef struct yima_batch_key {
    uint32_t batch;
    unsigned char key[YIMA_SIPHASH_KEY];
} yima_batch_key;

/* What a key can do follows from what it holds:
 *   public   sign_pk only: verifies sig codes.
 *   scoped   sign_pk, perm_key, inner_key and the keys of its batches: decodes
 *            every serial, verifies and makes mac, none and inner codes of
 *            its batches (format 2 only); cannot sign.
 *   secret   the seed and everything derived from it. */
struct yima_key {
    int id;
    int has_secret;           /* master seed present */
    int has_perm;             /* perm_key and inner_key present (secret or scoped) */
    unsigned char seed[32];
    unsigned char sign_sk[64];
    unsigned char sign_pk[32];
    unsigned char perm_key[YIMA_SIPHASH_KEY];
    unsigned char mac_key[YIMA_SIPHASH_KEY];    /* format 1 mac tags */
    unsigned char inner_key[YIMA_SIPHASH_KEY];
    unsigned char batch_root[YIMA_SIPHASH_KEY]; /* format 2 batch keys derive from it */
    struct yima_key *next_same_id;            /* keyring chain; owned by the ring */
    size_t nscope;                            /* scoped keys: batches, sorted */
    yima_batch_key scope[YIMA_SCOPE_MAX];
};

/* key.c: helpers shared with key_file.c. */
yima_key *yima_key_alloc(yima_err *err);  /* zeroed, in sodium_malloc memory */
int yima_key_set_id(yima_key *key, int key_id, yima_err *err);
void yima_key_derive(yima_key *key);     /* everything from key->seed */
void yima_key_scope_sort(yima_key *key); /* sorts the scope, drops repeats */

/* key_file.c: 1 if a text line is part of a yima key file (its first line,
 * or one of its key lines should the first be gone), so that readers of
 * codes can refuse key material rather than echo it. */
int yima_key_text_line(const char *s, size_t n);

/* key.c: the format-2 key of batch, from the root (secret keys) or the scope
 * (scoped keys). 0 on success, -1 if the key holds no key for batch. */
int yima_key_batch_key(const yima_key *key, uint32_t batch, unsigned char out[YIMA_SIPHASH_KEY]);

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
#define YIMA_MSG_PREFIX2 "YIMA2"
#define YIMA_MSG_PREFIX_LEN 5
#define YIMA_MSG2_HEAD 8          /* "YIMA2", alphabet, L, M */
#define YIMA_HDR_INNER 9
#define YIMA_HDR2_BASE32 16       /* format 2, base32: hdr = 16 + format-1 hdr */
#define YIMA_LEN2_DIGITS 50       /* format 2, digits: len field = 50 + L */
#define YIMA_SIG_BYTES 64
#define YIMA_MAC_BYTES 16
int yima_kid_width(yima_alphabet alphabet);
int yima_len_width(yima_alphabet alphabet);
/* Writes the width-character mac tag of msg (SipHash-128, as a number mod R^width). */
void yima_mac_text(const unsigned char *mac_key, yima_alphabet alphabet, const unsigned char *msg,
                   size_t msg_len, int width, char *out);
/* The message a format's tag authenticates: format 1 "YIMA1" || body; format 2
 * "YIMA2" || alphabet || L || M || body. Returns its length. */
size_t yima_tag_message(int format, yima_alphabet alphabet, int serial_len, int tag_len,
                        const char *body, size_t body_len, unsigned char *msg);
/* The 8-byte tweak of a serial permutation and check value. */
void yima_serial_tweak(int format, int inner, int level, yima_alphabet alphabet, int serial_len,
                       unsigned char tweak[8]);
/* Format 2: the serial check value c in [0, 10^4) of position x. */
unsigned yima_check_value(const unsigned char batch_key[YIMA_SIPHASH_KEY],
                          const unsigned char tweak[8], uint64_t x);

/* code.c: a codec's state, shared with lib/gs1/gs1_code.c (GS1 mode). */
struct yima_codec {
    const yima_key *key;
    int param[YIMA_P__COUNT];
    /* Derived by codec_refresh whenever a parameter changes. */
    yima_u128 space;    /* R^L serials */
    yima_u128 capacity; /* valid positions x: space / 10^4 */
    yima_perm outer[3], inner;
    /* Format 2: the keys of the batch set with yima_codec_set_batch. */
    int have_batch;
    uint32_t batch;
    unsigned char batch_key[YIMA_SIPHASH_KEY];
    /* GS1 mode (gs1 = 1): parameters, item serial and SSCC permutations. */
    int gs1;
    yima_gs1_params gs1p;
    int gcp_len;          /* digits of gs1p.gcp, 0 if none */
    yima_perm gs1_item;   /* AI 21 serials: 32^L */
    yima_perm sscc;       /* extension digit and serial reference: 10^(17 - gcp_len) */
    yima_u128 sscc_slots; /* positions one batch has in the SSCC space */
    char gs1_hdr[3][4];   /* the AI 8030/92 header of each level (gs1_codes.h) */
};
/* Key, scope and capacity checks before making the code of (batch, index). */
int yima_codec_position_check(const yima_codec *c, int inner, uint32_t batch, uint64_t index,
                              yima_err *err);
/* The batch key of a format-2 code: the prepared one, or derived into scratch. */
const unsigned char *yima_codec_batch_key(const yima_codec *c, uint32_t batch,
                                          unsigned char scratch[YIMA_SIPHASH_KEY]);
/* The serial number of position x under perm (format 2: x * 10^4 + check). */
yima_u128 yima_codec_make_serial(const yima_codec *c, const yima_perm *perm,
                                 const unsigned char *bk, int tagged, uint64_t x);
/* gs1_code.c: derives the GS1 permutations after a parameter change;
 * yima_codec_encode of a GS1 codec (the HRI element string). */
void yima_gs1_codec_refresh(yima_codec *c);
/* A GS1 codec's parameter bounds: base32, format 2, AI 21's serial lengths,
 * base64url MAC lengths. */
yima_bounds yima_gs1_param_bounds(yima_param param);
size_t yima_gs1_encode_text(const yima_codec *c, yima_level level, uint32_t batch,
                            uint64_t index, char *out, yima_err *err);
/* code_verify.c: of two keys' verdicts on one code, the one to report ranks
 * lower: OK, then what a key that could check says, then OUT_OF_SCOPE, then
 * NEED_SECRET. */
int yima_verdict_rank(yima_status st);
/* Tries every key with info->key_id (info holds the parse) and keeps the
 * best verdict in info; verify checks one key, keep (may be NULL) completes
 * a verdict that became the best (compact codes: their identity). */
typedef struct yima_key_check {
    yima_status (*verify)(const yima_key *key, yima_code_info *info, void *ctx);
    void (*keep)(const yima_key *key, yima_code_info *info, void *ctx);
    void *ctx;
} yima_key_check;
yima_status yima_verify_keys(const yima_keyring *ring, int want_level, yima_code_info *info,
                             const yima_key_check *check);
/* gs1_verify.c: yima_code_parse and yima_code_verify for GS1 forms. */
yima_status yima_gs1_code_parse(const char *text, size_t len, yima_code_info *info);
yima_status yima_gs1_code_verify(const yima_keyring *ring, const char *text, size_t len,
                                 int want_level, yima_code_info *info);

/* Parses a decimal unsigned number with overflow checks; 0 on success. */
int yima_parse_u64(const char *text, uint64_t max, uint64_t *value);

#endif
