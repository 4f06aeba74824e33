/* SPDX-License-Identifier: MIT */
/*
 * GS1 mode's pieces of the code format (yima-codes(5), "GS1 mode"), shared
 * by the encoder (gs1_code.c) and the verifier (gs1_verify.c).
 *
 * Every yima GS1 code carries a 4-character header in AI 8030 (sig) or AI
 * 92 (mac and none): 24 bits, big-endian, as base64url:
 *   version 2 (4 bits) | key id (10) | level (2) | company prefix length or 0 (4) | 0 (4)
 * AI 8030 = header + base64url(Ed25519 signature): 4 + 86 = 90 characters.
 * AI 92   = header + the first M base64url characters of SipHash-128 under
 *           the batch key (mac), or the header alone (none).
 * Both authenticate "YIMA2G" || header || byte(tag length in characters) ||
 * the canonical element string, so no tag can be cut short.
 */
#ifndef YIMA_GS1_CODES_H
#define YIMA_GS1_CODES_H

#include "internal.h"
#include "yima/gs1.h"

#define YIMA_GS1_VERSION 2
#define YIMA_GS1_HDR_LEN 4         /* base64url characters of the header */
#define YIMA_GS1_SIG_LEN 86        /* base64url characters of 64 bytes */
#define YIMA_GS1_MAC_MIN 7         /* 42 bits */
#define YIMA_GS1_MAC_MAX 21        /* 126 bits */
#define YIMA_GS1_SERIAL_HDR 26     /* AI 21 serial's hdr character: 26 + auth */
#define YIMA_GS1_SERIAL_MIN 8      /* permuted characters in AI 21 */
#define YIMA_GS1_SERIAL_MAX 15     /* kid 2 + hdr 1 + len 1 + 15 + check 1 = 20 */
#define YIMA_GS1_SSCC_BATCHES 1000 /* SSCC batches: slots are 10^(n-3) each */
#define YIMA_GS1_MSG_PREFIX "YIMA2G"
#define YIMA_GS1_MSG_MAX (6 + YIMA_GS1_HDR_LEN + 1 + YIMA_GS1_TEXT_MAX)

typedef struct yima_gs1_hdr {
    int key_id, level, gcp_len;
} yima_gs1_hdr;

void yima_gs1_hdr_write(const yima_gs1_hdr *h, char out[YIMA_GS1_HDR_LEN]);
/* 0 on success; -1 if the characters, the version or the fields are bad. */
int yima_gs1_hdr_read(const char *in, yima_gs1_hdr *h);

/* The message a code's signature or MAC of tag_len characters covers; 0 if
 * g does not format. */
size_t yima_gs1_auth_message(const char hdr[YIMA_GS1_HDR_LEN], int tag_len, const yima_gs1 *g,
                             unsigned char msg[YIMA_GS1_MSG_MAX]);
/* The width-character MAC text of msg under a batch key. */
void yima_gs1_mac_text(const unsigned char key[YIMA_SIPHASH_KEY], const unsigned char *msg,
                       size_t n, int width, char *out);

/* What changes from code to code: the AI 21 serial of an item or the AI 00
 * SSCC of a case or pallet (id), and the AI 8030 or AI 92 value (auth). A
 * code's element string is the codec's fixed elements with these
 * (yima_gs1_code_elements), so gen can ask for these parts alone. */
#define YIMA_GS1_ID_MAX 20 /* AI 21 serials: 20 characters at most; SSCCs 18 */
typedef struct yima_gs1_parts {
    char id[YIMA_GS1_ID_MAX + 1];
    char auth[YIMA_GS1_VALUE_MAX + 8]; /* room for libsodium's base64 and NUL */
    size_t id_len, auth_len;
} yima_gs1_parts;

/* A GS1 codec's constants for its codes, worked out once so that each code
 * costs only its own values. The codec must not change while it is used. */
#define YIMA_GS1_HEAD_MAX 64
typedef struct yima_gs1_encoder {
    const yima_codec *c;
    int width;           /* tag characters: 86 (sig), the mac length, 0 (none) */
    char serial_head[4]; /* AI 21's fixed characters: key id, header, length */
    char damm_lead;      /* one character of serial_head's Damm interim (0: none found) */
    unsigned char head[3][YIMA_GS1_HEAD_MAX]; /* per level, the signed message before the id */
    size_t head_len[3];
    unsigned char tail[16]; /* items: the signed message after the serial */
    size_t tail_len;
} yima_gs1_encoder;

void yima_gs1_encoder_init(yima_gs1_encoder *e, const yima_codec *c);
/* The parts of (level, batch, index): the checks and values of
 * yima_codec_encode_gs1, which is this followed by yima_gs1_code_elements. */
int yima_gs1_encode_parts(const yima_gs1_encoder *e, yima_level level, uint32_t batch,
                          uint64_t index, yima_gs1_parts *p, yima_err *err);
/* A base32 character x with Damm(x || t) = Damm(head || t) for every t, or
 * 0 if there is none (the Damm quasigroup's first row is a permutation, so
 * there is one). */
char yima_gs1_damm_lead(const char head[4]);
/* The element string of a level's code with parts p: items 01, 10, 17
 * (those the codec has), 21, then 92 or 8030; cases and pallets 00, then 92
 * or 8030. */
void yima_gs1_code_elements(const yima_codec *c, yima_level level, const yima_gs1_parts *p,
                            yima_gs1 *g);

/* Permutations: AI 21 serials (32^L), and SSCC numbers (10^(17 - gcp_len)). */
void yima_gs1_item_perm(const unsigned char *perm_key, int serial_len, yima_perm *perm);
void yima_gs1_sscc_perm(const unsigned char *perm_key, int gcp_len, yima_perm *perm);
/* Positions one batch has among the SSCCs of a gcp_len-digit company prefix. */
yima_u128 yima_gs1_sscc_slots(int gcp_len);

#endif
