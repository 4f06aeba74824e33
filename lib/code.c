/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "internal.h"


struct yima_codec {
    const yima_key *key;
    int param[YIMA_P__COUNT];
    /* Derived by codec_refresh whenever a parameter changes. */
    yima_u128 space;    /* R^L serials */
    yima_u128 capacity; /* valid permutation inputs: space / 10^4 */
    yima_perm outer[3], inner;
};

static const yima_bounds bounds_table[2][YIMA_P__COUNT] = {
    /* base32 */ {{0, 1}, {0, 2}, {8, 24}, {8, 25}},
    /* digits */ {{0, 1}, {0, 2}, {12, 36}, {13, 38}},
};
static const int default_table[2][YIMA_P__COUNT] = {
    {YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG, 14, 8},
    {YIMA_ALPHABET_DIGITS, YIMA_AUTH_SIG, 20, 13},
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

static void codec_refresh(yima_codec *c)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    int len = c->param[YIMA_P_SERIAL_LEN];
    unsigned char tweak[8] = {'Y', 0, 0, (unsigned char)a, (unsigned char)len, 0, 0, 0};
    c->space = yima_u128_pow((unsigned)yima_radix(a), len);
    c->capacity = c->space / YIMA_GUESS_FACTOR;
    for (int level = 0; level < 3; level++) {
        tweak[2] = (unsigned char)level;
        yima_perm_init(&c->outer[level], c->key->perm_key, c->space, tweak);
    }
    tweak[1] = 1; /* inner codes: own key and tweak, so outer and inner serials are unrelated */
    tweak[2] = 0;
    yima_perm_init(&c->inner, c->key->inner_key, c->space, tweak);
}

yima_codec *yima_codec_create(const yima_key *key)
{
    yima_codec *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->key = key;
    memcpy(c->param, default_table[0], sizeof c->param);
    codec_refresh(c);
    return c;
}

void yima_codec_free(yima_codec *codec)
{
    free(codec);
}

static const char *param_name(yima_param p)
{
    static const char *names[] = {"alphabet", "auth", "serial length", "mac length"};
    return names[p];
}

int yima_codec_set(yima_codec *c, yima_param param, int value, yima_err *err)
{
    if ((unsigned)param >= YIMA_P__COUNT)
        return yima_err_set(err, YIMA_E_USAGE, "unknown codec parameter %d", (int)param);
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    if (param == YIMA_P_ALPHABET)
        a = (yima_alphabet)value;
    yima_bounds b = yima_param_bounds(param, a);
    if (value < b.min || value > b.max)
        return yima_err_set(err, YIMA_E_USAGE, "%s %d out of range %d..%d for %s codes",
                            param_name(param), value, b.min, b.max,
                            yima_alphabet_name(a));
    if (param == YIMA_P_ALPHABET && value != c->param[param])
        memcpy(c->param, default_table[value], sizeof c->param);
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

/* SipHash-128 of "YIMA1" || body, as a number mod R^width. */
void yima_mac_text(const unsigned char *mac_key, yima_alphabet a, const char *body,
                    size_t body_len, int width, char *out)
{
    unsigned char msg[YIMA_MSG_PREFIX_LEN + YIMA_CODE_MAX], mac[YIMA_MAC_BYTES];
    memcpy(msg, YIMA_MSG_PREFIX, YIMA_MSG_PREFIX_LEN);
    memcpy(msg + YIMA_MSG_PREFIX_LEN, body, body_len);
    crypto_shorthash_siphashx24(mac, msg, YIMA_MSG_PREFIX_LEN + body_len, mac_key);
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

static size_t write_body(const yima_codec *c, int hdr, yima_u128 serial, char *out)
{
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    int kw = yima_kid_width(a), lw = yima_len_width(a), len = c->param[YIMA_P_SERIAL_LEN];
    yima_write_u128(a, (yima_u128)c->key->id, kw, out);
    yima_write_u128(a, (yima_u128)hdr, 1, out + kw);
    yima_write_u128(a, (yima_u128)len, lw, out + kw + 1);
    yima_write_u128(a, serial, len, out + kw + 1 + lw);
    return (size_t)(kw + 1 + lw + len);
}

static size_t finish_code(yima_alphabet a, char *out, size_t len)
{
    out[len] = yima_damm_check(a, out, len);
    out[len + 1] = '\0';
    return len + 1;
}

static int position_check(const yima_codec *c, uint32_t batch, uint64_t index, yima_err *err)
{
    if (!c->key->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "generating codes needs the secret key");
    if (index >= yima_codec_capacity(c, batch))
        return yima_err_set(err, YIMA_E_CAPACITY,
                            "batch %u index %llu is beyond the capacity of %s codes with "
                            "%d-character serials",
                            batch, (unsigned long long)index,
                            yima_alphabet_name((yima_alphabet)c->param[YIMA_P_ALPHABET]),
                            c->param[YIMA_P_SERIAL_LEN]);
    return YIMA_OK;
}

size_t yima_codec_encode(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                         char *out, yima_err *err)
{
    if (position_check(c, batch, index, err))
        return 0;
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    yima_auth auth = (yima_auth)c->param[YIMA_P_AUTH];
    yima_u128 x = (yima_u128)batch << YIMA_BATCH_SHIFT | index;
    size_t n = write_body(c, (int)auth * 3 + (int)level, yima_perm_encrypt(&c->outer[level], x),
                          out);
    if (auth == YIMA_AUTH_MAC) {
        yima_mac_text(c->key->mac_key, a, out, n, c->param[YIMA_P_MAC_LEN], out + n);
        n += (size_t)c->param[YIMA_P_MAC_LEN];
    } else if (auth == YIMA_AUTH_SIG) {
        unsigned char msg[YIMA_MSG_PREFIX_LEN + YIMA_CODE_MAX], sig[YIMA_SIG_BYTES];
        memcpy(msg, YIMA_MSG_PREFIX, YIMA_MSG_PREFIX_LEN);
        memcpy(msg + YIMA_MSG_PREFIX_LEN, out, n);
        crypto_sign_detached(sig, NULL, msg, YIMA_MSG_PREFIX_LEN + n, c->key->sign_sk);
        yima_write_bytes(a, sig, YIMA_SIG_BYTES, sig_width(a), out + n);
        n += (size_t)sig_width(a);
    }
    return finish_code(a, out, n);
}

size_t yima_codec_encode_inner(const yima_codec *c, uint32_t batch, uint64_t index, char *out,
                               yima_err *err)
{
    if (position_check(c, batch, index, err))
        return 0;
    yima_alphabet a = (yima_alphabet)c->param[YIMA_P_ALPHABET];
    yima_u128 x = (yima_u128)batch << YIMA_BATCH_SHIFT | index;
    size_t n = write_body(c, YIMA_HDR_INNER, yima_perm_encrypt(&c->inner, x), out);
    yima_mac_text(c->key->mac_key, a, out, n, c->param[YIMA_P_MAC_LEN], out + n);
    return finish_code(a, out, n + (size_t)c->param[YIMA_P_MAC_LEN]);
}
