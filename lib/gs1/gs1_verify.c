/* SPDX-License-Identifier: MIT */
/*
 * GS1 mode's verifier: any spelling of a yima GS1 code (Digital Link URI,
 * element string with or without parentheses, scanner output with GS and a
 * symbology identifier) checked like a compact code, with the same statuses.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "gs1/gs1_codes.h"

/* What the code says of itself before any key is tried. */
typedef struct parsed {
    yima_gs1 g;
    const char *auth_value;   /* AI 8030 or 92 */
    yima_gs1_hdr hdr;
    int serial_len;           /* SGTIN: permuted characters of AI 21 */
    yima_u128 serial;         /* SGTIN: their value; SSCC: extension + serial reference */
} parsed;

static void copy_value(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void set_identity(yima_code_info *info)
{
    char id[64];
    int n = info->sscc[0] ? snprintf(id, sizeof id, "GS1 00%s", info->sscc)
                          : snprintf(id, sizeof id, "GS1 01%s21%s", info->gtin, info->serial);
    crypto_generichash(info->identity, sizeof info->identity, (const unsigned char *)id,
                       (size_t)n, NULL, 0);
}

static void fill_ids(const yima_gs1 *g, yima_code_info *info)
{
    copy_value(info->gtin, sizeof info->gtin, yima_gs1_get(g, "01"));
    copy_value(info->serial, sizeof info->serial, yima_gs1_get(g, "21"));
    copy_value(info->sscc, sizeof info->sscc, yima_gs1_get(g, "00"));
    copy_value(info->lot, sizeof info->lot, yima_gs1_get(g, "10"));
    copy_value(info->expiry, sizeof info->expiry, yima_gs1_get(g, "17"));
}

/* AI 21 as yima writes it: kid(2) hdr(1) len(1) serial(L) check(1), in
 * canonical upper case: GS1 serials are case-sensitive, so no aliases. */
static yima_status read_serial(const char *s, parsed *p, yima_code_info *info)
{
    size_t n = strlen(s);
    yima_u128 kid, hdr, len;
    for (size_t i = 0; i < n; i++)
        if (yima_char_value(YIMA_ALPHABET_BASE32, (unsigned char)s[i]) < 0 ||
            yima_base32_chars[yima_char_value(YIMA_ALPHABET_BASE32, (unsigned char)s[i])] != s[i])
            return YIMA_S_MALFORMED;
    if (n < 5 + YIMA_GS1_SERIAL_MIN)
        return YIMA_S_MALFORMED;
    if (!yima_damm_valid(YIMA_ALPHABET_BASE32, s, n))
        return YIMA_S_BAD_CHECK;
    yima_read_u128(YIMA_ALPHABET_BASE32, s, 2, &kid);
    yima_read_u128(YIMA_ALPHABET_BASE32, s + 2, 1, &hdr);
    yima_read_u128(YIMA_ALPHABET_BASE32, s + 3, 1, &len);
    if ((int)kid != p->hdr.key_id || hdr != YIMA_GS1_SERIAL_HDR + (yima_u128)info->auth ||
        len < YIMA_GS1_SERIAL_MIN || len > YIMA_GS1_SERIAL_MAX || n != 5 + len)
        return YIMA_S_MALFORMED;
    p->serial_len = (int)len;
    yima_read_u128(YIMA_ALPHABET_BASE32, s + 4, (int)len, &p->serial);
    info->serial_len = (int)len;
    info->serial_offset = 4;
    return YIMA_S_OK;
}

/* The SSCC's extension digit and serial reference, as one number. */
static yima_status read_sscc(const char *s, parsed *p)
{
    int g = p->hdr.gcp_len;
    if (g < 7 || g > 11)
        return YIMA_S_MALFORMED;
    yima_u128 ref;
    yima_read_u128(YIMA_ALPHABET_DIGITS, s + 1 + g, 16 - g, &ref);
    p->serial = (yima_u128)(s[0] - '0') * yima_u128_pow(10, 16 - g) + ref;
    return YIMA_S_OK;
}

/* Which auth AI is there, its header, and the identifiers it must go with. */
static yima_status read_auth(parsed *p, yima_code_info *info)
{
    const char *sig = yima_gs1_get(&p->g, YIMA_GS1_AI_SIG), *mac = yima_gs1_get(&p->g, YIMA_GS1_AI_MAC);
    p->auth_value = sig ? sig : mac;
    if (!p->auth_value)
        return YIMA_S_UNKNOWN_KEY; /* a GS1 code, but no yima header names a key */
    size_t n = strlen(p->auth_value);
    if (n < YIMA_GS1_HDR_LEN || yima_gs1_hdr_read(p->auth_value, &p->hdr) != 0)
        return YIMA_S_MALFORMED;
    info->auth = sig ? YIMA_AUTH_SIG : n > YIMA_GS1_HDR_LEN ? YIMA_AUTH_MAC : YIMA_AUTH_NONE;
    info->tag_len = (int)n - YIMA_GS1_HDR_LEN;
    if ((sig && mac) || (sig && info->tag_len != YIMA_GS1_SIG_LEN) ||
        (info->auth == YIMA_AUTH_MAC &&
         (info->tag_len < YIMA_GS1_MAC_MIN || info->tag_len > YIMA_GS1_MAC_MAX)))
        return YIMA_S_MALFORMED;
    info->key_id = p->hdr.key_id;
    info->level = (yima_level)p->hdr.level;
    info->gcp_len = p->hdr.gcp_len;
    return YIMA_S_OK;
}

static yima_status parse_code(const char *text, size_t len, parsed *p, yima_code_info *info)
{
    yima_err err;
    memset(info, 0, sizeof *info);
    info->gs1 = 1;
    info->format = 2;
    info->key_id = -1; /* until a yima header names one */
    if (yima_gs1_parse(text, len, &p->g, &err) != YIMA_OK)
        /* The syntax layer words check-digit faults so; they are typos. */
        return strstr(err.msg, "check digit") ? YIMA_S_BAD_CHECK : YIMA_S_MALFORMED;
    fill_ids(&p->g, info);
    int item = info->gtin[0] && info->serial[0], sscc = info->sscc[0] != 0;
    if (item == sscc)
        return YIMA_S_MALFORMED; /* neither, or both: not one yima code */
    set_identity(info);
    yima_status st = read_auth(p, info);
    if (st != YIMA_S_OK)
        return st;
    if ((info->level == YIMA_LEVEL_ITEM) != item)
        return YIMA_S_MALFORMED;
    return item ? read_serial(info->serial, p, info) : read_sscc(info->sscc, p);
}

yima_status yima_gs1_code_parse(const char *text, size_t len, yima_code_info *info)
{
    parsed p;
    return parse_code(text, len, &p, info);
}

static yima_status check_sig(const yima_key *key, const parsed *p, const unsigned char *msg,
                             size_t n)
{
    unsigned char sig[YIMA_SIG_BYTES];
    size_t got = 0;
    if (sodium_base642bin(sig, sizeof sig, p->auth_value + YIMA_GS1_HDR_LEN, YIMA_GS1_SIG_LEN,
                          NULL, &got, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got != sizeof sig)
        return YIMA_S_BAD_SIGNATURE;
    return crypto_sign_verify_detached(sig, msg, n, key->sign_pk) == 0 ? YIMA_S_OK
                                                                      : YIMA_S_BAD_SIGNATURE;
}

/* Inverts the serial (SGTIN) or SSCC number to its position; *check gets an
 * SGTIN's check value. */
static yima_status recover_position(const yima_key *key, const parsed *p, yima_code_info *info,
                                    unsigned *check, yima_perm *perm)
{
    *check = 0;
    if (info->level == YIMA_LEVEL_ITEM) {
        yima_gs1_item_perm(key->perm_key, p->serial_len, perm);
        yima_u128 v = yima_perm_decrypt(perm, p->serial), x = v / YIMA_GUESS_FACTOR;
        *check = (unsigned)(v % YIMA_GUESS_FACTOR);
        if (x >= perm->domain / YIMA_GUESS_FACTOR || (x >> YIMA_BATCH_SHIFT) > UINT32_MAX)
            return YIMA_S_BAD_SERIAL;
        info->batch = (uint32_t)(x >> YIMA_BATCH_SHIFT);
        info->index = (uint64_t)(x & 0xffffffffu);
    } else {
        yima_gs1_sscc_perm(key->perm_key, p->hdr.gcp_len, perm);
        yima_u128 slots = yima_gs1_sscc_slots(p->hdr.gcp_len), x = yima_perm_decrypt(perm, p->serial);
        if ((int)(x % slots % 2) != (info->level == YIMA_LEVEL_PALLET))
            return YIMA_S_BAD_SERIAL; /* a case number in a pallet's header, or back */
        info->batch = (uint32_t)(x / slots);
        info->index = (uint64_t)(x % slots / 2);
    }
    info->position_known = 1;
    return YIMA_S_OK;
}

/* With the batch's key: the MAC of a mac code, the check value of a none item. */
static yima_status check_batch(const yima_key *key, const parsed *p, yima_code_info *info,
                               const unsigned char *msg, size_t n, unsigned check,
                               const yima_perm *perm)
{
    unsigned char bk[YIMA_SIPHASH_KEY];
    char want[YIMA_GS1_MAC_MAX + 1];
    yima_status st = YIMA_S_OK;
    if (yima_key_batch_key(key, info->batch, bk) != 0)
        return YIMA_S_OUT_OF_SCOPE;
    if (info->auth == YIMA_AUTH_MAC) {
        yima_gs1_mac_text(bk, msg, n, info->tag_len, want);
        if (sodium_memcmp(want, p->auth_value + YIMA_GS1_HDR_LEN, (size_t)info->tag_len) != 0)
            st = YIMA_S_BAD_MAC;
        else if (check != 0)
            st = YIMA_S_BAD_SERIAL;
    } else if (info->level == YIMA_LEVEL_ITEM) {
        uint64_t x = (uint64_t)info->batch << YIMA_BATCH_SHIFT | info->index;
        if (yima_check_value(bk, perm->tweak, x) != check)
            st = YIMA_S_BAD_SERIAL;
    }
    sodium_memzero(bk, sizeof bk);
    return st;
}

static yima_status verify_with_key(const yima_key *key, const parsed *p, yima_code_info *info,
                                   const unsigned char *msg, size_t n)
{
    int sig = info->auth == YIMA_AUTH_SIG;
    if (sig && check_sig(key, p, msg, n) != YIMA_S_OK)
        return YIMA_S_BAD_SIGNATURE;
    if (!key->has_perm)
        return sig ? YIMA_S_OK : YIMA_S_NEED_SECRET;
    unsigned check;
    yima_perm perm;
    yima_status st = recover_position(key, p, info, &check, &perm);
    if (st != YIMA_S_OK)
        return st;
    if (sig)
        return check == 0 ? YIMA_S_OK : YIMA_S_BAD_SERIAL;
    return check_batch(key, p, info, msg, n, check, &perm);
}

/* A parsed GS1 code and its signed message, for the key loop. */
typedef struct gs1_text {
    const parsed *p;
    const unsigned char *msg;
    size_t n;
} gs1_text;

static yima_status gs1_check(const yima_key *key, yima_code_info *info, void *ctx)
{
    const gs1_text *t = ctx;
    return verify_with_key(key, t->p, info, t->msg, t->n);
}

yima_status yima_gs1_code_verify(const yima_keyring *ring, const char *text, size_t len,
                                 int want_level, yima_code_info *info)
{
    parsed p;
    unsigned char msg[YIMA_GS1_MSG_MAX];
    yima_status st = parse_code(text, len, &p, info);
    if (st != YIMA_S_OK)
        return st;
    gs1_text t = {&p, msg, yima_gs1_auth_message(p.auth_value, info->tag_len, &p.g, msg)};
    if (!t.n)
        return YIMA_S_MALFORMED;
    yima_key_check check = {gs1_check, NULL, &t}; /* identity came with the parse */
    return yima_verify_keys(ring, want_level, info, &check);
}
