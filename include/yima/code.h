/* SPDX-License-Identifier: MIT */
/*
 * The yima code format (fully specified in yima-codes(5)).
 *
 *   code   = kid hdr len serial tag check          (one alphabet throughout)
 *   kid    key id 0..999: 2 chars base32, 3 chars digits
 *   hdr    1 char: auth*3 + level for outer codes (0..8); 9 for inner codes;
 *          format 2 in base32 adds 16
 *   len    serial length L: 1 char base32, 2 chars digits; format 2 in
 *          digits adds 50
 *   serial L chars: format 1, the keyed permutation of x = batch * 2^32 + index;
 *          format 2, of x * 10^4 + c, c a check value under the batch's key
 *   tag    sig: Ed25519 signature, 512-bit big-endian integer, 103 base32 / 155 digits
 *          mac and inner: SipHash-128 tag as big-endian integer mod R^M, M chars
 *          none: empty
 *   check  1 char: Damm check over every character before it
 * Numbers are written big-endian in radix R (32 or 10), zero-padded to
 * their fixed width. Format 1 tags authenticate "YIMA1" || body; format 2
 * tags authenticate "YIMA2" || alphabet || L || M || body, so no length or
 * alphabet can change without the tag failing. Format 2 mac tags and check
 * values use a key of their batch, so a scoped key (a line PC's) can only
 * make and check codes of its own batches.
 *
 * A codec holds a key plus the format parameters of one batch. It is
 * immutable once configured and may be used from many threads at once.
 */
#ifndef YIMA_CODE_H
#define YIMA_CODE_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"
#include "yima/gs1.h"
#include "yima/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { YIMA_LEVEL_ITEM = 0, YIMA_LEVEL_CASE = 1, YIMA_LEVEL_PALLET = 2 } yima_level;
typedef enum { YIMA_AUTH_NONE = 0, YIMA_AUTH_MAC = 1, YIMA_AUTH_SIG = 2 } yima_auth;
typedef enum { YIMA_ALPHABET_BASE32 = 0, YIMA_ALPHABET_DIGITS = 1 } yima_alphabet;

#define YIMA_CODE_MAX 256        /* longest code text plus NUL */
#define YIMA_BATCH_SHIFT 32      /* x = batch << 32 | index */
#define YIMA_GUESS_FACTOR 10000  /* serial space >= 10^4 x capacity */

typedef enum {
    YIMA_P_ALPHABET,   /* yima_alphabet                  [default base32] */
    YIMA_P_AUTH,       /* yima_auth                      [default sig] */
    YIMA_P_SERIAL_LEN, /* serial chars                   [default 14 base32, 20 digits] */
    YIMA_P_MAC_LEN,    /* mac/inner tag chars, >= 40 bits [default 8 base32, 13 digits] */
    YIMA_P_FORMAT,     /* code format 1 or 2                [default 2] */
    YIMA_P__COUNT
} yima_param;

typedef struct yima_bounds {
    int min, max;
} yima_bounds;

/* Valid range of a parameter for an alphabet. */
YIMA_API yima_bounds yima_param_bounds(yima_param param, yima_alphabet alphabet);
/* Default of a parameter for an alphabet. */
YIMA_API int yima_param_default(yima_param param, yima_alphabet alphabet);

typedef struct yima_codec yima_codec;

/* The codec borrows key, which must outlive it. Returns NULL on no memory.
 * Parameters start at the defaults: base32, sig, format 2. */
YIMA_API yima_codec *yima_codec_create(const yima_key *key);
YIMA_API void yima_codec_free(yima_codec *codec);
/* Setting the alphabet resets the serial and mac lengths to that alphabet's
 * defaults; no other parameter changes another. */
YIMA_API int yima_codec_set(yima_codec *codec, yima_param param, int value, yima_err *err);
YIMA_API int yima_codec_get(const yima_codec *codec, yima_param param);
/* The key the codec was made with. */
YIMA_API const yima_key *yima_codec_key(const yima_codec *codec);
/* Where the serial sits in this codec's codes: offset and length. */
YIMA_API size_t yima_codec_serial_offset(const yima_codec *codec);

/* Format 2: prepares the keys of batch, the batch a run encodes, so that
 * encoding it costs nothing extra (other batches still encode, deriving
 * their keys per code). YIMA_E_KEY_SCOPE if a scoped key does not cover
 * batch, YIMA_E_KEY_NEED if the key cannot make codes of this format. */
YIMA_API int yima_codec_set_batch(yima_codec *codec, uint32_t batch, yima_err *err);

/* Number of codes batch can hold at one level (0 if the batch is beyond
 * the format). Capacity: batch * 2^32 + index < R^L / 10^4. */
YIMA_API uint64_t yima_codec_capacity(const yima_codec *codec, uint32_t batch);

/* Length of codes this codec writes (outer and inner). */
YIMA_API size_t yima_codec_code_len(const yima_codec *codec);
YIMA_API size_t yima_codec_inner_len(const yima_codec *codec);

/* Writes the code of (level, batch, index) plus NUL into out[YIMA_CODE_MAX]
 * and returns its length, or 0 after setting err (capacity, no secret). */
YIMA_API size_t yima_codec_encode(const yima_codec *codec, yima_level level, uint32_t batch,
                                  uint64_t index, char *out, yima_err *err);
/* Same for the companion inner (redemption) code of an item. */
YIMA_API size_t yima_codec_encode_inner(const yima_codec *codec, uint32_t batch, uint64_t index,
                                        char *out, yima_err *err);

/* Per-code verification result. Values are pinned; names via yima_status_name. */
typedef enum {
    YIMA_S_OK = 0,
    YIMA_S_MALFORMED = 1,     /* wrong length or characters */
    YIMA_S_BAD_CHECK = 2,     /* check character wrong: a typo */
    YIMA_S_UNKNOWN_KEY = 3,   /* no key with this id */
    YIMA_S_BAD_SIGNATURE = 4, /* sig tag does not verify */
    YIMA_S_BAD_MAC = 5,       /* mac or inner tag does not verify */
    YIMA_S_BAD_SERIAL = 6,    /* serial decodes outside the format's capacity */
    YIMA_S_WRONG_LEVEL = 7,   /* valid, but not the level asked for */
    YIMA_S_NEED_SECRET = 8,   /* mac/none/inner code checked with a public key only */
    YIMA_S_PAIR_MISMATCH = 9, /* inner code does not belong to this outer code */
    YIMA_S_DUPLICATE = 10,    /* seen before in the same input */
    YIMA_S_OUT_OF_SCOPE = 11, /* a scoped key's code of a batch outside its scope */
    YIMA_S_NOT_ISSUED = 12,   /* genuine-looking, but the ledger never issued it */
    YIMA_S__COUNT
} yima_status;

YIMA_API const char *yima_status_name(yima_status status);

/* What a code says about itself, filled by parse and verify. */
typedef struct yima_code_info {
    int key_id;
    int inner;                /* 1 for an inner (redemption) code */
    yima_level level;
    yima_auth auth;
    yima_alphabet alphabet;
    int serial_len, tag_len;
    unsigned serial_offset;   /* where the serial starts in the text */
    int position_known;       /* batch and index decoded (secret key present) */
    uint32_t batch;
    uint64_t index;
    int format;               /* code format: 1 or 2 */
    /* Who the code is, whatever its spelling (case, aliases, tag length):
     * two codes with equal identity are the same code for clone and
     * redemption checks. Set by yima_code_verify when it returns OK (and for
     * any status after the key was found); zero otherwise. */
    unsigned char identity[16];
    /* GS1 codes (gs1 = 1): the identifiers read; "" where absent. An
     * SGTIN's identity is its GTIN and serial, an SSCC's its 18 digits,
     * whatever key made them. gcp_len is the company prefix length the
     * code's authentication header names (0 if none). */
    int gs1;
    char gtin[15], serial[21], sscc[19], lot[21], expiry[7];
    int gcp_len;
} yima_code_info;

/* Structural parse: alphabet, lengths, check character. No key needed. */
YIMA_API yima_status yima_code_parse(const char *text, size_t len, yima_code_info *info);

/* Full verification against a keyring. want_level < 0 accepts any level.
 * Secret keys in the ring also verify mac, none and inner codes and
 * recover batch and index. */
YIMA_API YIMA_NODISCARD yima_status yima_code_verify(const yima_keyring *ring, const char *text,
                                                     size_t len, int want_level,
                                                     yima_code_info *info);

/* Verifies that inner is the redemption code of outer (needs secret). */
YIMA_API YIMA_NODISCARD yima_status yima_code_verify_pair(const yima_keyring *ring,
                                                          const char *outer, size_t outer_len,
                                                          const char *inner, size_t inner_len);

/*
 * GS1 mode (yima-codes(5), "GS1 mode"). Items are SGTINs: AI 01 (GTIN),
 * AI 21 (serial: a format-2 code body without its tag), optional AI 10 and
 * AI 17; cases and pallets are SSCCs (AI 00) under the company prefix.
 * Sig codes carry AI 8030, mac codes AI 92, both over the canonical element
 * string. A GS1 codec encodes with yima_codec_encode_gs1; yima_codec_encode
 * on it writes the element string in HRI form.
 */
typedef struct yima_gs1_params {
    char gtin[15];  /* GTIN-14 of the items; "" if the run makes no items */
    char gcp[13];   /* GS1 company prefix for SSCCs, 7 to 11 digits; "" if none */
    char lot[21];   /* AI 10, "" = none */
    char expiry[7]; /* AI 17, YYMMDD, "" = none */
} yima_gs1_params;

/* Switches codec to GS1 mode after checking p (GTIN check digit, company
 * prefix, lot characters, expiry date). The serial length (YIMA_P_SERIAL_LEN)
 * must leave the AI 21 value within 20 characters. YIMA_E_USAGE naming the fault. */
YIMA_API int yima_codec_set_gs1(yima_codec *codec, const yima_gs1_params *p, yima_err *err);
/* The GS1 parameters, or NULL for a compact codec. */
YIMA_API const yima_gs1_params *yima_codec_gs1(const yima_codec *codec);
/* Cases that one batch can hold in SSCCs (pallets: the same), and the
 * highest batch number SSCCs can carry; 0 if the codec has no company prefix. */
YIMA_API uint64_t yima_codec_sscc_capacity(const yima_codec *codec);
YIMA_API uint32_t yima_codec_sscc_batch_max(const yima_codec *codec);
/* The element string of (level, batch, index): an SGTIN for items, an SSCC
 * for cases and pallets, with AI 8030 or 92 for sig and mac codes. */
YIMA_API int yima_codec_encode_gs1(const yima_codec *codec, yima_level level, uint32_t batch,
                                   uint64_t index, yima_gs1 *out, yima_err *err);

/* The text a store keys a verified code by, plus NUL, into out[YIMA_CODE_MAX]:
 * a compact code upper-cased (aliases resolved), a GS1 code as its identity
 * element string in HRI form: "(01)GTIN(21)SERIAL" or "(00)SSCC". Returns
 * the length (0 if info is not of a parsed code). */
YIMA_API size_t yima_code_key_text(const yima_code_info *info, const char *text, size_t len,
                                   char *out);

YIMA_API const char *yima_level_name(yima_level level);
YIMA_API const char *yima_auth_name(yima_auth auth);
YIMA_API const char *yima_alphabet_name(yima_alphabet alphabet);
/* Parse names back ("item", "case", "pallet", ...); -1 if unknown. */
YIMA_API int yima_level_parse(const char *name);
YIMA_API int yima_auth_parse(const char *name);
YIMA_API int yima_alphabet_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
