/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "internal.h"



static const yima_bounds bounds_table[2][YIMA_P__COUNT] = {
    /* base32 */ {{0, 1}, {0, 2}, {8, 24}, {8, 25}, {1, 2}},
    /* digits */ {{0, 1}, {0, 2}, {12, 36}, {13, 38}, {1, 2}},
};
static const int default_table[2][YIMA_P__COUNT] = {
    {YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG, 14, 8, 2},
    {YIMA_ALPHABET_DIGITS, YIMA_AUTH_SIG, 20, 13, 2},
};

yima_bounds yima_param_bounds(yima_param param, yima_alphabet alphabet)
{
    return bounds_table[alphabet == YIMA_ALPHABET_DIGITS][param];
}

int yima_param_default(yima_param param, yima_alphabet alphabet)
{
    return default_table[alphabet == YIMA_ALPHABET_DIGITS][param];
}

int yima_kid_width(yima_alphabet a) { return a == YIMA_ALPHABET_DIGITS ? 3 : 2; }
int yima_len_width(yima_alphabet a) { return a == YIMA_ALPHABET_DIGITS ? 2 : 1; }
static int sig_width(yima_alphabet a) { return yima_bytes_width(a, YIMA_SIG_BYTES); }

void yima_serial_tweak(int format, int inner, int level, yima_alphabet alphabet, int serial_len,
                       unsigned char tweak[8])
{
    /* Format 1's tweak has 0 where format 2's has its number (and GS1's
     * serials and SSCCs their letters), so the permutations are unrelated. */
    unsigned char t[8] = {'Y', (unsigned char)inner, (unsigned char)level, (unsigned char)alphabet,
                          (unsigned char)serial_len, (unsigned char)(format == 1 ? 0 : format), 0, 0};
    memcpy(tweak, t, 8);
}

static void codec_refresh(yima_codec *c)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    int len = c->param[YIMA_P_SERIAL_LEN], format = c->param[YIMA_P_FORMAT];
    unsigned char tweak[8];
    c->space = yima_u128_pow((unsigned)yima_radix(a), len);
    c->capacity = c->space / YIMA_GUESS_FACTOR;
    for (int level = 0; level < 3; level++) {
        yima_serial_tweak(format, 0, level, a, len, tweak);
        yima_perm_init(&c->outer[level], c->key->perm_key, c->space, tweak);
    }
    /* inner codes: own key and tweak, so outer and inner serials are unrelated */
    yima_serial_tweak(format, 1, 0, a, len, tweak);
    yima_perm_init(&c->inner, c->key->inner_key, c->space, tweak);
    if (c->gs1)
        yima_gs1_codec_refresh(c);
}

yima_codec *yima_codec_create(const yima_key *key)
{
    if (sodium_init() < 0)
        return NULL;
    yima_codec *c = sodium_malloc(sizeof *c); /* holds a batch key */
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->key = key;
    memcpy(c->param, default_table[0], sizeof c->param);
    codec_refresh(c);
    return c;
}

void yima_codec_free(yima_codec *codec)
{
    if (codec)
        sodium_free(codec);
}

static const char *param_name(yima_param p)
{
    static const char *names[] = {"alphabet", "auth", "serial length", "mac length", "format"};
    return names[p];
}

int yima_codec_set(yima_codec *c, yima_param param, int value, yima_err *err)
{
    if ((unsigned)param >= YIMA_P__COUNT)
        return yima_err_set(err, YIMA_E_USAGE, "unknown codec parameter %d", (int)param);
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    if (param == YIMA_P_ALPHABET)
        a = (yima_alphabet)value;
    yima_bounds b = c->gs1 ? yima_gs1_param_bounds(param) : yima_param_bounds(param, a);
    if (value < b.min || value > b.max)
        return yima_err_set(err, YIMA_E_USAGE, "%s %d out of range %d..%d for %s codes",
                            param_name(param), value, b.min, b.max,
                            c->gs1 ? "GS1" : yima_alphabet_name(a));
    if (param == YIMA_P_ALPHABET && value != c->param[param]) {
        c->param[YIMA_P_SERIAL_LEN] = default_table[value][YIMA_P_SERIAL_LEN];
        c->param[YIMA_P_MAC_LEN] = default_table[value][YIMA_P_MAC_LEN];
    }
    c->param[param] = value;
    codec_refresh(c);
    return YIMA_OK;
}

int yima_codec_get(const yima_codec *c, yima_param param)
{
    return c->param[param];
}

const yima_key *yima_codec_key(const yima_codec *c)
{
    return c->key;
}

size_t yima_codec_serial_offset(const yima_codec *c)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    return (size_t)(yima_kid_width(a) + 1 + yima_len_width(a));
}

uint64_t yima_codec_capacity(const yima_codec *c, uint32_t batch)
{
    yima_u128 first = (yima_u128)batch << YIMA_BATCH_SHIFT;
    if (first >= c->capacity)
        return 0;
    yima_u128 left = c->capacity - first;
    return left > ((yima_u128)1 << YIMA_BATCH_SHIFT) ? (uint64_t)1 << YIMA_BATCH_SHIFT
                                                     : (uint64_t)left;
}

static int tag_width(const yima_codec *c, int inner)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    if (inner || c->param[YIMA_P_AUTH] == YIMA_AUTH_MAC)
        return c->param[YIMA_P_MAC_LEN];
    return c->param[YIMA_P_AUTH] == YIMA_AUTH_SIG ? sig_width(a) : 0;
}

static size_t body_width(const yima_codec *c)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    return (size_t)(yima_kid_width(a) + 1 + yima_len_width(a) + c->param[YIMA_P_SERIAL_LEN]);
}

size_t yima_codec_code_len(const yima_codec *c)
{
    return body_width(c) + (size_t)tag_width(c, 0) + 1;
}

size_t yima_codec_inner_len(const yima_codec *c)
{
    return body_width(c) + (size_t)tag_width(c, 1) + 1;
}

size_t yima_tag_message(int format, yima_alphabet alphabet, int serial_len, int tag_len,
                        const char *body, size_t body_len, unsigned char *msg)
{
    if (format != 2) {
        memcpy(msg, YIMA_MSG_PREFIX, YIMA_MSG_PREFIX_LEN);
        memcpy(msg + YIMA_MSG_PREFIX_LEN, body, body_len);
        return YIMA_MSG_PREFIX_LEN + body_len;
    }
    memcpy(msg, YIMA_MSG_PREFIX2, YIMA_MSG_PREFIX_LEN);
    msg[5] = (unsigned char)alphabet;
    msg[6] = (unsigned char)serial_len;
    msg[7] = (unsigned char)tag_len;
    memcpy(msg + YIMA_MSG2_HEAD, body, body_len);
    return YIMA_MSG2_HEAD + body_len;
}

/* SipHash-128 of msg, as a number mod R^width. */
void yima_mac_text(const unsigned char *mac_key, yima_alphabet a, const unsigned char *msg,
                   size_t msg_len, int width, char *out)
{
    unsigned char mac[YIMA_MAC_BYTES];
    crypto_shorthash_siphashx24(mac, msg, msg_len, mac_key);
    yima_u128 v = 0;
    for (int i = 0; i < YIMA_MAC_BYTES; i++)
        v = v << 8 | mac[i];
    /* Base32 takes the low 5*width bits: the same as mod 32^width, no division. */
    if (a == YIMA_ALPHABET_BASE32)
        v &= ((yima_u128)1 << (5 * width)) - 1;
    else
        v %= yima_u128_pow(10, width);
    yima_write_u128(a, v, width, out);
}

unsigned yima_check_value(const unsigned char batch_key[YIMA_SIPHASH_KEY],
                          const unsigned char tweak[8], uint64_t x)
{
    unsigned char in[16], h[8];
    uint64_t v = 0;
    memcpy(in, tweak, 8);
    for (int i = 0; i < 8; i++)
        in[8 + i] = (unsigned char)(x >> (8 * i));
    crypto_shorthash_siphash24(h, in, sizeof in, batch_key);
    for (int i = 7; i >= 0; i--)
        v = v << 8 | h[i];
    return (unsigned)(v % YIMA_GUESS_FACTOR);
}

static int hdr_value(int format, yima_alphabet a, int hdr)
{
    return format == 2 && a == YIMA_ALPHABET_BASE32 ? YIMA_HDR2_BASE32 + hdr : hdr;
}

static int len_value(int format, yima_alphabet a, int len)
{
    return format == 2 && a == YIMA_ALPHABET_DIGITS ? YIMA_LEN2_DIGITS + len : len;
}

static size_t write_body(const yima_codec *c, int hdr, yima_u128 serial, char *out)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    int kw = yima_kid_width(a), lw = yima_len_width(a), len = c->param[YIMA_P_SERIAL_LEN];
    int format = c->param[YIMA_P_FORMAT];
    yima_write_u128(a, (yima_u128)c->key->id, kw, out);
    yima_write_u128(a, (yima_u128)hdr_value(format, a, hdr), 1, out + kw);
    yima_write_u128(a, (yima_u128)len_value(format, a, len), lw, out + kw + 1);
    yima_write_u128(a, serial, len, out + kw + 1 + lw);
    return (size_t)(kw + 1 + lw + len);
}

static size_t finish_code(yima_alphabet a, char *out, size_t len)
{
    out[len] = yima_damm_check(a, out, len);
    out[len + 1] = '\0';
    return len + 1;
}

/* What the key must hold to make codes of this format and auth mode. */
static int key_can_make(const yima_codec *c, int inner, yima_err *err)
{
    const yima_key *k = c->key;
    if (!inner && c->param[YIMA_P_AUTH] == YIMA_AUTH_SIG && !k->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "making sig codes needs the brand's secret key");
    if (c->param[YIMA_P_FORMAT] == 1 && !k->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED,
                            "making format-1 codes needs the brand's secret key");
    if (!k->has_perm)
        return yima_err_set(err, YIMA_E_KEY_NEED, "generating codes needs the secret key");
    return YIMA_OK;
}

static int scope_error(const yima_key *k, uint32_t batch, yima_err *err)
{
    char scope[128];
    yima_key_scope_describe(k, scope, sizeof scope);
    return yima_err_set(err, YIMA_E_KEY_SCOPE,
                        "batch %u is outside the scope of line key %d (batches %s)", batch, k->id,
                        scope);
}

int yima_codec_set_batch(yima_codec *c, uint32_t batch, yima_err *err)
{
    c->have_batch = 0;
    if (c->param[YIMA_P_FORMAT] != 2)
        return YIMA_OK;
    if (!c->key->has_perm)
        return yima_err_set(err, YIMA_E_KEY_NEED, "generating codes needs the secret key");
    if (yima_key_batch_key(c->key, batch, c->batch_key) != 0)
        return scope_error(c->key, batch, err);
    c->batch = batch;
    c->have_batch = 1;
    return YIMA_OK;
}

int yima_codec_position_check(const yima_codec *c, int inner, uint32_t batch, uint64_t index,
                          yima_err *err)
{
    int rc = key_can_make(c, inner, err);
    if (rc)
        return rc;
    if (c->param[YIMA_P_FORMAT] == 2 && !yima_key_covers_batch(c->key, batch))
        return scope_error(c->key, batch, err);
    if (index >= yima_codec_capacity(c, batch))
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "batch %u index %llu is beyond the capacity of %s codes with "
                            "%d-character serials",
                            batch, (unsigned long long)index,
                            yima_alphabet_name((yima_alphabet)c->param[YIMA_P_ALPHABET]),
                            c->param[YIMA_P_SERIAL_LEN]);
    return YIMA_OK;
}

/* The batch key of a format-2 code: the prepared one, or derived now. */
const unsigned char *yima_codec_batch_key(const yima_codec *c, uint32_t batch,
                                          unsigned char scratch[YIMA_SIPHASH_KEY])
{
    if (c->have_batch && c->batch == batch)
        return c->batch_key;
    yima_key_batch_key(c->key, batch, scratch); /* covered: position_check said so */
    return scratch;
}

/* The serial of position x: format 1 permutes x, format 2 x * 10^4 + c,
 * where c is the batch's check value for none codes, which have no tag, and
 * 0 for the others, whose tag already authenticates the position. */
yima_u128 yima_codec_make_serial(const yima_codec *c, const yima_perm *perm, const unsigned char *bk,
                             int tagged, uint64_t x)
{
    if (c->param[YIMA_P_FORMAT] != 2)
        return yima_perm_encrypt(perm, x);
    unsigned check = tagged ? 0 : yima_check_value(bk, perm->tweak, x);
    return yima_perm_encrypt(perm, (yima_u128)x * YIMA_GUESS_FACTOR + check);
}

/* Appends the tag to the body in out[0..n) and the check character. */
static size_t add_tag(const yima_codec *c, yima_auth auth, const unsigned char *mac_key,
                      char *out, size_t n)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    int format = c->param[YIMA_P_FORMAT], width = tag_width(c, auth == YIMA_AUTH_MAC);
    unsigned char msg[YIMA_MSG2_HEAD + YIMA_CODE_MAX], sig[YIMA_SIG_BYTES];
    size_t mlen = yima_tag_message(format, a, c->param[YIMA_P_SERIAL_LEN], width, out, n, msg);
    if (auth == YIMA_AUTH_MAC) {
        yima_mac_text(mac_key, a, msg, mlen, width, out + n);
    } else if (auth == YIMA_AUTH_SIG) {
        crypto_sign_detached(sig, NULL, msg, mlen, c->key->sign_sk);
        yima_write_bytes(a, sig, YIMA_SIG_BYTES, width, out + n);
    }
    return finish_code(a, out, n + (size_t)width);
}

size_t yima_codec_encode(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                         char *out, yima_err *err)
{
    if (c->gs1)
        return yima_gs1_encode_text(c, level, batch, index, out, err);
    if (yima_codec_position_check(c, 0, batch, index, err))
        return 0;
    unsigned char scratch[YIMA_SIPHASH_KEY];
    int format = c->param[YIMA_P_FORMAT];
    yima_auth auth = (yima_auth)c->param[YIMA_P_AUTH];
    const unsigned char *bk = format == 2 ? yima_codec_batch_key(c, batch, scratch) : NULL;
    uint64_t x = (uint64_t)batch << YIMA_BATCH_SHIFT | index;
    yima_u128 serial = yima_codec_make_serial(c, &c->outer[level], bk, auth != YIMA_AUTH_NONE, x);
    size_t n = write_body(c, (int)auth * 3 + (int)level, serial, out);
    n = add_tag(c, auth, format == 2 ? bk : c->key->mac_key, out, n);
    sodium_memzero(scratch, sizeof scratch);
    return n;
}

size_t yima_codec_encode_inner(const yima_codec *c, uint32_t batch, uint64_t index, char *out,
                               yima_err *err)
{
    if (yima_codec_position_check(c, 1, batch, index, err))
        return 0;
    unsigned char scratch[YIMA_SIPHASH_KEY];
    int format = c->param[YIMA_P_FORMAT];
    const unsigned char *bk = format == 2 ? yima_codec_batch_key(c, batch, scratch) : NULL;
    uint64_t x = (uint64_t)batch << YIMA_BATCH_SHIFT | index;
    size_t n = write_body(c, YIMA_HDR_INNER, yima_codec_make_serial(c, &c->inner, bk, 1, x), out);
    n = add_tag(c, YIMA_AUTH_MAC, format == 2 ? bk : c->key->mac_key, out, n);
    sodium_memzero(scratch, sizeof scratch);
    return n;
}
