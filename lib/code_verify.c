/* SPDX-License-Identifier: MIT */
/* Parsing and verifying codes: the auditor's half of code.c. */
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "internal.h"


static int in_bounds(yima_param p, yima_alphabet a, int v)
{
    yima_bounds b = yima_param_bounds(p, a);
    return v >= b.min && v <= b.max;
}

static yima_status tag_shape_ok(const yima_code_info *info)
{
    yima_alphabet a = info->alphabet;
    if (info->inner || info->auth == YIMA_AUTH_MAC)
        return in_bounds(YIMA_P_MAC_LEN, a, info->tag_len) ? YIMA_S_OK : YIMA_S_MALFORMED;
    if (info->auth == YIMA_AUTH_SIG)
        return info->tag_len == yima_bytes_width(a, YIMA_SIG_BYTES) ? YIMA_S_OK : YIMA_S_MALFORMED;
    return info->tag_len == 0 ? YIMA_S_OK : YIMA_S_MALFORMED;
}

static yima_status parse_as(yima_alphabet a, const char *t, size_t n, yima_code_info *info)
{
    int kw = yima_kid_width(a), lw = yima_len_width(a);
    yima_u128 kid, hdr, len;
    memset(info, 0, sizeof *info);
    info->alphabet = a;
    if (n < (size_t)(kw + 1 + lw + 1) || n >= YIMA_CODE_MAX)
        return YIMA_S_MALFORMED;
    for (size_t i = 0; i < n; i++)
        if (yima_char_value(a, (unsigned char)t[i]) < 0)
            return YIMA_S_MALFORMED;
    if (!yima_damm_valid(a, t, n))
        return YIMA_S_BAD_CHECK;
    yima_read_u128(a, t, kw, &kid);
    yima_read_u128(a, t + kw, 1, &hdr);
    yima_read_u128(a, t + kw + 1, lw, &len);
    if (kid > YIMA_KEY_ID_MAX || hdr > YIMA_HDR_INNER || !in_bounds(YIMA_P_SERIAL_LEN, a, (int)len))
        return YIMA_S_MALFORMED;
    info->key_id = (int)kid;
    info->inner = hdr == YIMA_HDR_INNER;
    info->level = info->inner ? YIMA_LEVEL_ITEM : (yima_level)(hdr % 3);
    info->auth = info->inner ? YIMA_AUTH_MAC : (yima_auth)(hdr / 3);
    info->serial_len = (int)len;
    info->serial_offset = (unsigned)(kw + 1 + lw);
    long tag = (long)n - (long)(info->serial_offset + len + 1);
    if (tag < 0)
        return YIMA_S_MALFORMED;
    info->tag_len = (int)tag;
    return tag_shape_ok(info);
}

static int all_digits(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

yima_status yima_code_parse(const char *text, size_t len, yima_code_info *info)
{
    if (!all_digits(text, len))
        return parse_as(YIMA_ALPHABET_BASE32, text, len, info);
    yima_status st = parse_as(YIMA_ALPHABET_DIGITS, text, len, info);
    if (st != YIMA_S_OK) {
        /* An all-digit text may still be a base32 code. */
        yima_code_info alt;
        if (parse_as(YIMA_ALPHABET_BASE32, text, len, &alt) == YIMA_S_OK) {
            *info = alt;
            return YIMA_S_OK;
        }
    }
    return st;
}

/* Canonical upper-case copy, so typed lower case or O/I/L aliases verify. */
static void canonical(yima_alphabet a, const char *t, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        int v = yima_char_value(a, (unsigned char)t[i]);
        out[i] = a == YIMA_ALPHABET_DIGITS ? (char)('0' + v) : yima_base32_chars[v];
    }
}

static yima_status check_sig(const yima_key *key, const yima_code_info *info, const char *canon,
                             size_t body_len)
{
    unsigned char msg[YIMA_MSG_PREFIX_LEN + YIMA_CODE_MAX], sig[YIMA_SIG_BYTES];
    if (yima_read_bytes(info->alphabet, canon + body_len, info->tag_len, sig, YIMA_SIG_BYTES) != 0)
        return YIMA_S_BAD_SIGNATURE;
    memcpy(msg, YIMA_MSG_PREFIX, YIMA_MSG_PREFIX_LEN);
    memcpy(msg + YIMA_MSG_PREFIX_LEN, canon, body_len);
    if (yima_key_verify(key, msg, YIMA_MSG_PREFIX_LEN + body_len, sig) != 0)
        return YIMA_S_BAD_SIGNATURE;
    return YIMA_S_OK;
}

static yima_status check_mac(const yima_key *key, const yima_code_info *info, const char *canon,
                             size_t body_len)
{
    char want[YIMA_CODE_MAX];
    yima_mac_text(key->mac_key, info->alphabet, canon, body_len, info->tag_len, want);
    return sodium_memcmp(want, canon + body_len, (size_t)info->tag_len) == 0 ? YIMA_S_OK
                                                                            : YIMA_S_BAD_MAC;
}

/* Inverts the serial to (batch, index); a serial outside capacity is forged. */
static yima_status recover_position(const yima_key *key, yima_code_info *info, const char *canon)
{
    yima_alphabet a = info->alphabet;
    yima_u128 space = yima_u128_pow((unsigned)yima_radix(a), info->serial_len), serial;
    unsigned char tweak[8] = {'Y', (unsigned char)info->inner, (unsigned char)info->level,
                              (unsigned char)a, (unsigned char)info->serial_len, 0, 0, 0};
    yima_perm perm;
    yima_perm_init(&perm, info->inner ? key->inner_key : key->perm_key, space, tweak);
    yima_read_u128(a, canon + info->serial_offset, info->serial_len, &serial);
    yima_u128 x = yima_perm_decrypt(&perm, serial);
    if (x >= space / YIMA_GUESS_FACTOR)
        return YIMA_S_BAD_SERIAL;
    info->batch = (uint32_t)(x >> YIMA_BATCH_SHIFT);
    info->index = (uint64_t)(x & 0xffffffffu);
    info->position_known = 1;
    return YIMA_S_OK;
}

static yima_status verify_as(const yima_keyring *ring, yima_alphabet a, const char *text,
                             size_t n, int want_level, yima_code_info *info)
{
    char canon[YIMA_CODE_MAX];
    yima_status st = parse_as(a, text, n, info);
    if (st != YIMA_S_OK)
        return st;
    const yima_key *key = yima_keyring_find(ring, info->key_id);
    if (!key)
        return YIMA_S_UNKNOWN_KEY;
    canonical(a, text, n, canon);
    size_t body_len = info->serial_offset + (size_t)info->serial_len;
    if (info->auth == YIMA_AUTH_SIG && !info->inner)
        st = check_sig(key, info, canon, body_len);
    else if (!key->has_secret)
        return YIMA_S_NEED_SECRET;
    else if (info->auth == YIMA_AUTH_MAC || info->inner)
        st = check_mac(key, info, canon, body_len);
    if (st == YIMA_S_OK && key->has_secret)
        st = recover_position(key, info, canon);
    if (st == YIMA_S_OK && want_level >= 0 && (int)info->level != want_level)
        st = YIMA_S_WRONG_LEVEL;
    return st;
}

yima_status yima_code_verify(const yima_keyring *ring, const char *text, size_t len,
                             int want_level, yima_code_info *info)
{
    if (!all_digits(text, len))
        return verify_as(ring, YIMA_ALPHABET_BASE32, text, len, want_level, info);
    yima_status st = verify_as(ring, YIMA_ALPHABET_DIGITS, text, len, want_level, info);
    if (st != YIMA_S_OK) {
        yima_code_info alt;
        if (verify_as(ring, YIMA_ALPHABET_BASE32, text, len, want_level, &alt) == YIMA_S_OK) {
            *info = alt;
            return YIMA_S_OK;
        }
    }
    return st;
}

yima_status yima_code_verify_pair(const yima_keyring *ring, const char *outer, size_t outer_len,
                                  const char *inner, size_t inner_len)
{
    yima_code_info oi, ii;
    yima_status st = yima_code_verify(ring, outer, outer_len, YIMA_LEVEL_ITEM, &oi);
    if (st != YIMA_S_OK)
        return st;
    if ((st = yima_code_verify(ring, inner, inner_len, -1, &ii)) != YIMA_S_OK)
        return st;
    if (!oi.position_known || !ii.position_known)
        return YIMA_S_NEED_SECRET;
    if (oi.inner || !ii.inner || oi.key_id != ii.key_id || oi.batch != ii.batch ||
        oi.index != ii.index)
        return YIMA_S_PAIR_MISMATCH;
    return YIMA_S_OK;
}

static const char *const status_names[YIMA_S__COUNT] = {
    "OK",          "MALFORMED",   "BAD_CHECK",   "UNKNOWN_KEY",   "BAD_SIGNATURE", "BAD_MAC",
    "BAD_SERIAL",  "WRONG_LEVEL", "NEED_SECRET", "PAIR_MISMATCH", "DUPLICATE", "OUT_OF_SCOPE",
    "NOT_ISSUED",
};
static const char *const level_names[] = {"item", "case", "pallet"};
static const char *const auth_names[] = {"none", "mac", "sig"};
static const char *const alphabet_names[] = {"base32", "digits"};

const char *yima_status_name(yima_status s)
{
    return (unsigned)s < YIMA_S__COUNT ? status_names[s] : "UNKNOWN";
}

const char *yima_level_name(yima_level l) { return (unsigned)l < 3 ? level_names[l] : "?"; }
const char *yima_auth_name(yima_auth a) { return (unsigned)a < 3 ? auth_names[a] : "?"; }
const char *yima_alphabet_name(yima_alphabet a) { return (unsigned)a < 2 ? alphabet_names[a] : "?"; }

static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return i;
    return -1;
}

int yima_level_parse(const char *name) { return name_index(level_names, 3, name); }
int yima_auth_parse(const char *name) { return name_index(auth_names, 3, name); }
int yima_alphabet_parse(const char *name) { return name_index(alphabet_names, 2, name); }
