/* SPDX-License-Identifier: MIT */
/*
 * GS1 mode's encoder: SGTINs (AI 01 + 21) for items and SSCCs (AI 00) for
 * cases and pallets, authenticated through AI 8030 or AI 92. The layout is
 * in gs1_codes.h and yima-codes(5).
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "gs1/gs1_codes.h"

void yima_gs1_hdr_write(const yima_gs1_hdr *h, char out[YIMA_GS1_HDR_LEN])
{
    unsigned kid = (unsigned)h->key_id;
    unsigned char b[3] = {(unsigned char)(YIMA_GS1_VERSION << 4 | kid >> 6),
                          (unsigned char)((kid & 63u) << 2 | (unsigned)h->level),
                          (unsigned char)((unsigned)h->gcp_len << 4)};
    char tmp[8];
    sodium_bin2base64(tmp, sizeof tmp, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memcpy(out, tmp, YIMA_GS1_HDR_LEN);
}

int yima_gs1_hdr_read(const char *in, yima_gs1_hdr *h)
{
    unsigned char b[3];
    size_t n = 0;
    if (sodium_base642bin(b, sizeof b, in, YIMA_GS1_HDR_LEN, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != sizeof b)
        return -1;
    h->key_id = (b[0] & 15) << 6 | b[1] >> 2;
    h->level = b[1] & 3;
    h->gcp_len = b[2] >> 4;
    if (b[0] >> 4 != YIMA_GS1_VERSION || (b[2] & 15) != 0 || h->key_id > YIMA_KEY_ID_MAX ||
        h->level > YIMA_LEVEL_PALLET || (h->gcp_len && (h->gcp_len < 6 || h->gcp_len > 12)))
        return -1;
    return 0;
}

size_t yima_gs1_auth_message(const char hdr[YIMA_GS1_HDR_LEN], int tag_len, const yima_gs1 *g,
                             unsigned char msg[YIMA_GS1_MSG_MAX])
{
    size_t head = sizeof YIMA_GS1_MSG_PREFIX - 1;
    memcpy(msg, YIMA_GS1_MSG_PREFIX, head);
    memcpy(msg + head, hdr, YIMA_GS1_HDR_LEN);
    head += YIMA_GS1_HDR_LEN;
    msg[head++] = (unsigned char)tag_len;
    size_t n = yima_gs1_format(g, YIMA_GS1_CANONICAL, (char *)msg + head, YIMA_GS1_TEXT_MAX);
    return n ? head + n : 0;
}

void yima_gs1_mac_text(const unsigned char key[YIMA_SIPHASH_KEY], const unsigned char *msg,
                       size_t n, int width, char *out)
{
    unsigned char mac[YIMA_MAC_BYTES + 2] = {0};
    char b64[32];
    /* libsodium's constant-time encoder: a verifier computes the expected
     * MAC of a message an attacker chose, so no table lookups on it. Whole
     * 3-byte groups encode to a prefix of the whole tag's base64url: only
     * the groups the width needs are encoded. */
    size_t bytes = ((size_t)width + 3) / 4 * 3;
    crypto_shorthash_siphashx24(mac, msg, n, key);
    sodium_bin2base64(b64, sizeof b64, mac, bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memcpy(out, b64, (size_t)width);
    sodium_memzero(mac, sizeof mac);
    sodium_memzero(b64, sizeof b64);
}

void yima_gs1_item_perm(const unsigned char *perm_key, int serial_len, yima_perm *perm)
{
    unsigned char tweak[8];
    yima_serial_tweak('G', 0, YIMA_LEVEL_ITEM, YIMA_ALPHABET_BASE32, serial_len, tweak);
    yima_perm_init(perm, perm_key, yima_u128_pow(32, serial_len), tweak);
}

void yima_gs1_sscc_perm(const unsigned char *perm_key, int gcp_len, yima_perm *perm)
{
    unsigned char tweak[8];
    yima_serial_tweak('S', 0, YIMA_LEVEL_CASE, YIMA_ALPHABET_DIGITS, 17 - gcp_len, tweak);
    yima_perm_init(perm, perm_key, yima_u128_pow(10, 17 - gcp_len), tweak);
}

yima_u128 yima_gs1_sscc_slots(int gcp_len)
{
    return yima_u128_pow(10, 17 - gcp_len) / YIMA_GS1_SSCC_BATCHES;
}

void yima_gs1_codec_refresh(yima_codec *c)
{
    for (int level = 0; level < 3; level++) {
        yima_gs1_hdr h = {c->key->id, level, c->gcp_len};
        yima_gs1_hdr_write(&h, c->gs1_hdr[level]);
    }
    yima_gs1_item_perm(c->key->perm_key, c->param[YIMA_P_SERIAL_LEN], &c->gs1_item);
    if (c->gcp_len) {
        yima_gs1_sscc_perm(c->key->perm_key, c->gcp_len, &c->sscc);
        c->sscc_slots = yima_gs1_sscc_slots(c->gcp_len);
    }
}

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n >= min && n <= max;
}

yima_bounds yima_gs1_param_bounds(yima_param param)
{
    switch (param) {
    case YIMA_P_ALPHABET: return (yima_bounds){YIMA_ALPHABET_BASE32, YIMA_ALPHABET_BASE32};
    case YIMA_P_SERIAL_LEN: return (yima_bounds){YIMA_GS1_SERIAL_MIN, YIMA_GS1_SERIAL_MAX};
    case YIMA_P_MAC_LEN: return (yima_bounds){YIMA_GS1_MAC_MIN, YIMA_GS1_MAC_MAX};
    case YIMA_P_FORMAT: return (yima_bounds){2, 2};
    default: return yima_param_bounds(param, YIMA_ALPHABET_BASE32);
    }
}

/* The codec's format parameters must fit GS1's 20-character serial. */
static int check_codec_params(const yima_codec *c, yima_err *err)
{
    int len = c->param[YIMA_P_SERIAL_LEN], mac = c->param[YIMA_P_MAC_LEN];
    if (c->param[YIMA_P_ALPHABET] != YIMA_ALPHABET_BASE32 || c->param[YIMA_P_FORMAT] != 2)
        return yima_err_set(err, YIMA_E_USAGE,
                            "GS1 mode makes format-2 base32 serials (a subset of GS1's "
                            "character set 82)");
    if (len < YIMA_GS1_SERIAL_MIN || len > YIMA_GS1_SERIAL_MAX)
        return yima_err_set(err, YIMA_E_USAGE,
                            "serial length %d out of range %d..%d in GS1 mode (AI 21 holds at "
                            "most 20 characters: 5 of them name the key, mode and length)",
                            len, YIMA_GS1_SERIAL_MIN, YIMA_GS1_SERIAL_MAX);
    if (c->param[YIMA_P_AUTH] == YIMA_AUTH_MAC && (mac < YIMA_GS1_MAC_MIN || mac > YIMA_GS1_MAC_MAX))
        return yima_err_set(err, YIMA_E_USAGE,
                            "mac length %d out of range %d..%d base64url characters in GS1 mode",
                            mac, YIMA_GS1_MAC_MIN, YIMA_GS1_MAC_MAX);
    return YIMA_OK;
}

/* Lot and expiry are checked by the AI table, as a reader would check them. */
static int check_attributes(const yima_gs1_params *p, yima_err *err)
{
    yima_gs1 g;
    yima_gs1_init(&g);
    if ((p->lot[0] && yima_gs1_add(&g, "10", p->lot, strlen(p->lot), err)) ||
        (p->expiry[0] && yima_gs1_add(&g, "17", p->expiry, strlen(p->expiry), err)))
        return err->code = YIMA_E_USAGE; /* the caller's parameter, not its data */
    return YIMA_OK;
}

static int check_prefix(const yima_gs1_params *p, char gtin[15], yima_err *err)
{
    if (p->gtin[0] && yima_gtin_normalize(p->gtin, gtin, err)) {
        err->code = YIMA_E_USAGE;
        return YIMA_E_USAGE;
    }
    if (p->gcp[0] && !all_digits(p->gcp, 7, 11))
        return yima_err_set(err, YIMA_E_USAGE,
                            "GS1 company prefix '%s' must be 7 to 11 digits", p->gcp);
    if (p->gcp[0] && p->gtin[0] && memcmp(gtin + 1, p->gcp, strlen(p->gcp)) != 0)
        return yima_err_set(err, YIMA_E_USAGE,
                            "GTIN %s does not carry company prefix %s (its digits 2 to %zu)", gtin,
                            p->gcp, strlen(p->gcp) + 1);
    return YIMA_OK;
}

int yima_codec_set_gs1(yima_codec *c, const yima_gs1_params *p, yima_err *err)
{
    char gtin[15] = "";
    int rc = check_codec_params(c, err);
    if (!rc)
        rc = check_prefix(p, gtin, err);
    if (!rc)
        rc = check_attributes(p, err);
    if (rc)
        return rc;
    c->gs1p = *p;
    memcpy(c->gs1p.gtin, gtin, sizeof gtin);
    c->gcp_len = (int)strlen(p->gcp);
    c->gs1 = 1;
    yima_gs1_codec_refresh(c);
    return YIMA_OK;
}

const yima_gs1_params *yima_codec_gs1(const yima_codec *c)
{
    return c->gs1 ? &c->gs1p : NULL;
}

uint64_t yima_codec_sscc_capacity(const yima_codec *c)
{
    return c->gs1 && c->gcp_len ? (uint64_t)(c->sscc_slots / 2) : 0;
}

uint32_t yima_codec_sscc_batch_max(const yima_codec *c)
{
    return c->gs1 && c->gcp_len ? YIMA_GS1_SSCC_BATCHES - 1 : 0;
}

/* Values the codec made or checked itself: copied without a second check. */
static void put(yima_gs1 *g, const char *ai, const char *value, size_t n)
{
    yima_gs1_element *e = &g->el[g->count++];
    memcpy(e->ai, ai, strlen(ai) + 1);
    memcpy(e->value, value, n);
    e->value[n] = '\0';
}

/* The low width base32 digits of v, as yima_write_u128 writes them, in
 * 64-bit steps: serials hold at most 75 bits. */
static void base32_digits(yima_u128 v, int width, char *out)
{
    uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 60);
    int i = width;
    for (int k = 0; k < 12 && i > 0; k++, lo >>= 5)
        out[--i] = yima_base32_chars[lo & 31u];
    for (; i > 0; hi >>= 5)
        out[--i] = yima_base32_chars[hi & 31u];
}

char yima_gs1_damm_lead(const char head[4])
{
    char want = yima_damm_check(YIMA_ALPHABET_BASE32, head, 4);
    /* The check character is a bijection of the interim: equal checks, equal interims. */
    for (int i = 0; i < 32; i++)
        if (yima_damm_check(YIMA_ALPHABET_BASE32, &yima_base32_chars[i], 1) == want)
            return yima_base32_chars[i];
    return 0;
}

/* The AI 21 value: key id, header, length, permuted serial, Damm check
 * (over the lead character in place of the fixed four: the same check). */
static size_t write_serial(const yima_gs1_encoder *e, yima_u128 serial, char *s)
{
    int len = e->c->param[YIMA_P_SERIAL_LEN];
    memcpy(s, e->serial_head, 4);
    base32_digits(serial, len, s + 4);
    if (e->damm_lead) {
        s[3] = e->damm_lead;
        s[4 + len] = yima_damm_check(YIMA_ALPHABET_BASE32, s + 3, (size_t)(1 + len));
        s[3] = e->serial_head[3];
    } else {
        s[4 + len] = yima_damm_check(YIMA_ALPHABET_BASE32, s, (size_t)(4 + len));
    }
    s[5 + len] = '\0';
    return (size_t)(5 + len);
}

static size_t write_sgtin_serial(const yima_gs1_encoder *e, const unsigned char *bk,
                                 uint32_t batch, uint64_t index, char *s)
{
    const yima_codec *c = e->c;
    int tagged = c->param[YIMA_P_AUTH] != YIMA_AUTH_NONE;
    uint64_t x = (uint64_t)batch << YIMA_BATCH_SHIFT | index;
    return write_serial(e, yima_codec_make_serial(c, &c->gs1_item, bk, tagged, x), s);
}

static int sscc_check(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                      yima_err *err)
{
    if (!c->gcp_len)
        return yima_err_set(err, YIMA_E_USAGE, "%s SSCCs need a GS1 company prefix",
                            yima_level_name(level));
    if (batch >= YIMA_GS1_SSCC_BATCHES || index >= yima_codec_sscc_capacity(c))
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "SSCC capacity: a %d-digit company prefix leaves %d digits for the "
                            "extension and serial reference, which hold batches 0..%d of %llu "
                            "cases and %llu pallets each; batch %u %s %llu is beyond it",
                            c->gcp_len, 17 - c->gcp_len, YIMA_GS1_SSCC_BATCHES - 1,
                            (unsigned long long)yima_codec_sscc_capacity(c),
                            (unsigned long long)yima_codec_sscc_capacity(c), batch,
                            yima_level_name(level), (unsigned long long)index);
    return YIMA_OK;
}

/* The AI 00 value: extension digit, company prefix, serial reference, check digit. */
static size_t write_sscc(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                         char *s)
{
    int ref_digits = 16 - c->gcp_len;
    yima_u128 x = batch * c->sscc_slots + 2 * (yima_u128)index + (level == YIMA_LEVEL_PALLET);
    yima_u128 y = yima_perm_encrypt(&c->sscc, x), scale = yima_u128_pow(10, ref_digits);
    s[0] = (char)('0' + (int)(y / scale));
    memcpy(s + 1, c->gs1p.gcp, (size_t)c->gcp_len);
    yima_write_u128(YIMA_ALPHABET_DIGITS, y % scale, ref_digits, s + 1 + c->gcp_len);
    s[17] = (char)('0' + yima_gs1_check_digit(s, 17));
    s[18] = '\0';
    return 18;
}

/* The canonical element string of a code the codec made, written straight
 * from its parts: the hot path of generation. It must equal
 * yima_gs1_format(YIMA_GS1_CANONICAL), which verifiers use (the tests hold
 * the two together): the key (01 or 00), then 10 and 21 in Digital Link
 * order, then 17; a GS ends every variable-length value but the last. The
 * signed message is "YIMA2G" || header || byte(tag length) || that string:
 * here its part before the id (serial or SSCC) of each level, and after it. */
static size_t message_head(const yima_codec *c, yima_level level, int tag_len, unsigned char *msg)
{
    char *p = (char *)msg;
#define PUT(s, n) (memcpy(p, (s), (n)), p += (n))
    PUT(YIMA_GS1_MSG_PREFIX, sizeof YIMA_GS1_MSG_PREFIX - 1);
    PUT(c->gs1_hdr[level], YIMA_GS1_HDR_LEN);
    *p++ = (char)tag_len;
    if (level != YIMA_LEVEL_ITEM) {
        PUT("00", 2);
        return (size_t)(p - (char *)msg);
    }
    PUT("01", 2);
    PUT(c->gs1p.gtin, 14);
    if (c->gs1p.lot[0]) {
        PUT("10", 2);
        PUT(c->gs1p.lot, strlen(c->gs1p.lot));
        *p++ = YIMA_GS1_GS;
    }
    PUT("21", 2);
    return (size_t)(p - (char *)msg);
}

static size_t message_tail(const yima_codec *c, unsigned char *msg)
{
    char *p = (char *)msg;
    if (c->gs1p.expiry[0]) {
        *p++ = YIMA_GS1_GS;
        PUT("17", 2);
        PUT(c->gs1p.expiry, 6);
    }
#undef PUT
    return (size_t)(p - (char *)msg);
}

void yima_gs1_encoder_init(yima_gs1_encoder *e, const yima_codec *c)
{
    yima_auth auth = (yima_auth)c->param[YIMA_P_AUTH];
    int len = c->param[YIMA_P_SERIAL_LEN];
    e->c = c;
    e->width = auth == YIMA_AUTH_SIG ? YIMA_GS1_SIG_LEN
               : auth == YIMA_AUTH_MAC ? c->param[YIMA_P_MAC_LEN] : 0;
    yima_write_u128(YIMA_ALPHABET_BASE32, (yima_u128)c->key->id, 2, e->serial_head);
    yima_write_u128(YIMA_ALPHABET_BASE32, (yima_u128)(YIMA_GS1_SERIAL_HDR + (int)auth), 1,
                    e->serial_head + 2);
    yima_write_u128(YIMA_ALPHABET_BASE32, (yima_u128)len, 1, e->serial_head + 3);
    e->damm_lead = yima_gs1_damm_lead(e->serial_head);
    for (int level = 0; level < 3; level++)
        e->head_len[level] = message_head(c, (yima_level)level, e->width, e->head[level]);
    e->tail_len = message_tail(c, e->tail);
}

/* The AI 8030 or 92 value over everything else into p->auth. */
static void write_auth(const yima_gs1_encoder *e, yima_level level, const unsigned char *bk,
                       yima_gs1_parts *p)
{
    const yima_codec *c = e->c;
    yima_auth auth = (yima_auth)c->param[YIMA_P_AUTH];
    unsigned char msg[YIMA_GS1_MSG_MAX], sig[YIMA_SIG_BYTES];
    char *value = p->auth;
    memcpy(value, c->gs1_hdr[level], YIMA_GS1_HDR_LEN);
    size_t n = e->head_len[level];
    if (auth != YIMA_AUTH_NONE) {
        memcpy(msg, e->head[level], n);
        memcpy(msg + n, p->id, p->id_len);
        n += p->id_len;
        if (level == YIMA_LEVEL_ITEM) {
            memcpy(msg + n, e->tail, e->tail_len);
            n += e->tail_len;
        }
    }
    if (auth == YIMA_AUTH_SIG) {
        crypto_sign_detached(sig, NULL, msg, n, c->key->sign_sk);
        sodium_bin2base64(value + YIMA_GS1_HDR_LEN, sizeof p->auth - YIMA_GS1_HDR_LEN, sig,
                          sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } else if (auth == YIMA_AUTH_MAC) {
        yima_gs1_mac_text(bk, msg, n, e->width, value + YIMA_GS1_HDR_LEN);
    }
    p->auth_len = (size_t)(YIMA_GS1_HDR_LEN + e->width);
    value[p->auth_len] = '\0';
}

int yima_gs1_encode_parts(const yima_gs1_encoder *e, yima_level level, uint32_t batch,
                          uint64_t index, yima_gs1_parts *p, yima_err *err)
{
    const yima_codec *c = e->c;
    if (!c->gs1)
        return yima_err_set(err, YIMA_E_USAGE, "the codec is not in GS1 mode");
    if (level == YIMA_LEVEL_ITEM && !c->gs1p.gtin[0])
        return yima_err_set(err, YIMA_E_USAGE, "GS1 items need a GTIN");
    int rc = yima_codec_position_check(c, 0, batch, index, err);
    if (!rc && level != YIMA_LEVEL_ITEM)
        rc = sscc_check(c, level, batch, index, err);
    if (rc)
        return rc;
    unsigned char scratch[YIMA_SIPHASH_KEY];
    const unsigned char *bk = yima_codec_batch_key(c, batch, scratch);
    p->id_len = level == YIMA_LEVEL_ITEM ? write_sgtin_serial(e, bk, batch, index, p->id)
                                         : write_sscc(c, level, batch, index, p->id);
    write_auth(e, level, bk, p);
    if (bk == scratch)
        sodium_memzero(scratch, sizeof scratch);
    return YIMA_OK;
}

void yima_gs1_code_elements(const yima_codec *c, yima_level level, const yima_gs1_parts *p,
                            yima_gs1 *g)
{
    g->count = 0; /* put() writes whole elements: no need to clear 1.5 KB */
    if (level == YIMA_LEVEL_ITEM) {
        put(g, "01", c->gs1p.gtin, 14);
        if (c->gs1p.lot[0])
            put(g, "10", c->gs1p.lot, strlen(c->gs1p.lot));
        if (c->gs1p.expiry[0])
            put(g, "17", c->gs1p.expiry, 6);
        put(g, "21", p->id, p->id_len);
    } else {
        put(g, "00", p->id, p->id_len);
    }
    put(g, (yima_auth)c->param[YIMA_P_AUTH] == YIMA_AUTH_SIG ? YIMA_GS1_AI_SIG : YIMA_GS1_AI_MAC,
        p->auth, p->auth_len);
}

int yima_codec_encode_gs1(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                          yima_gs1 *out, yima_err *err)
{
    yima_gs1_encoder e;
    yima_gs1_parts p;
    yima_gs1_encoder_init(&e, c);
    int rc = yima_gs1_encode_parts(&e, level, batch, index, &p, err);
    if (rc)
        return rc;
    yima_gs1_code_elements(c, level, &p, out);
    return YIMA_OK;
}

size_t yima_gs1_encode_text(const yima_codec *c, yima_level level, uint32_t batch,
                            uint64_t index, char *out, yima_err *err)
{
    yima_gs1 g;
    if (yima_codec_encode_gs1(c, level, batch, index, &g, err))
        return 0;
    size_t n = yima_gs1_format(&g, YIMA_GS1_HRI, out, YIMA_CODE_MAX);
    if (!n)
        yima_err_set(err, YIMA_E_INTERNAL, "GS1 element string longer than %d characters",
                     YIMA_CODE_MAX - 1);
    return n;
}
