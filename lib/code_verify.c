/* SPDX-License-Identifier: MIT */
/* Parsing and verifying codes: the auditor's half of code.c. */
#include <stdio.h>
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

/* Reads hdr and len, telling format 1 from format 2 by their marks. */
static yima_status read_header(yima_alphabet a, yima_u128 hdr, yima_u128 len,
                               yima_code_info *info)
{
    info->format = 1;
    if (a == YIMA_ALPHABET_BASE32 && hdr >= YIMA_HDR2_BASE32) {
        info->format = 2;
        hdr -= YIMA_HDR2_BASE32;
    } else if (a == YIMA_ALPHABET_DIGITS && len >= YIMA_LEN2_DIGITS) {
        info->format = 2;
        len -= YIMA_LEN2_DIGITS;
    }
    if (hdr > YIMA_HDR_INNER || !in_bounds(YIMA_P_SERIAL_LEN, a, (int)len))
        return YIMA_S_MALFORMED;
    info->inner = hdr == YIMA_HDR_INNER;
    info->level = info->inner ? YIMA_LEVEL_ITEM : (yima_level)(hdr % 3);
    info->auth = info->inner ? YIMA_AUTH_MAC : (yima_auth)(hdr / 3);
    info->serial_len = (int)len;
    return YIMA_S_OK;
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
    if (kid > YIMA_KEY_ID_MAX || read_header(a, hdr, len, info) != YIMA_S_OK)
        return YIMA_S_MALFORMED;
    info->key_id = (int)kid;
    info->serial_offset = (unsigned)(kw + 1 + lw);
    long tag = (long)n - (long)(info->serial_offset + (unsigned)info->serial_len + 1);
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

static yima_status compact_parse(const char *text, size_t len, yima_code_info *info)
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

/* The message the code's tag authenticates, from its canonical body. */
static size_t tag_msg(const yima_code_info *info, const char *canon, size_t body_len,
                      unsigned char *msg)
{
    return yima_tag_message(info->format, info->alphabet, info->serial_len, info->tag_len, canon,
                            body_len, msg);
}

static yima_status check_sig(const yima_key *key, const yima_code_info *info, const char *canon,
                             size_t body_len)
{
    unsigned char msg[YIMA_MSG2_HEAD + YIMA_CODE_MAX], sig[YIMA_SIG_BYTES];
    if (yima_read_bytes(info->alphabet, canon + body_len, info->tag_len, sig, YIMA_SIG_BYTES) != 0)
        return YIMA_S_BAD_SIGNATURE;
    size_t mlen = tag_msg(info, canon, body_len, msg);
    return yima_key_verify(key, msg, mlen, sig) == 0 ? YIMA_S_OK : YIMA_S_BAD_SIGNATURE;
}

static yima_status check_mac(const unsigned char *mac_key, const yima_code_info *info,
                             const char *canon, size_t body_len)
{
    unsigned char msg[YIMA_MSG2_HEAD + YIMA_CODE_MAX];
    char want[YIMA_CODE_MAX];
    size_t mlen = tag_msg(info, canon, body_len, msg);
    yima_mac_text(mac_key, info->alphabet, msg, mlen, info->tag_len, want);
    return sodium_memcmp(want, canon + body_len, (size_t)info->tag_len) == 0 ? YIMA_S_OK
                                                                            : YIMA_S_BAD_MAC;
}

/* Inverts the serial to (batch, index) and, in format 2, its check value c.
 * A serial outside capacity is forged; so is a batch the API cannot carry. */
static yima_status recover_position(const yima_key *key, yima_code_info *info, const char *canon,
                                    unsigned *check, unsigned char tweak[8])
{
    yima_alphabet a = info->alphabet;
    yima_u128 space = yima_u128_pow((unsigned)yima_radix(a), info->serial_len), serial;
    yima_perm perm;
    yima_serial_tweak(info->format, info->inner, (int)info->level, a, info->serial_len, tweak);
    yima_perm_init(&perm, info->inner ? key->inner_key : key->perm_key, space, tweak);
    yima_read_u128(a, canon + info->serial_offset, info->serial_len, &serial);
    yima_u128 x = yima_perm_decrypt(&perm, serial);
    *check = 0;
    if (info->format == 2) {
        *check = (unsigned)(x % YIMA_GUESS_FACTOR);
        x /= YIMA_GUESS_FACTOR;
    }
    if (x >= space / YIMA_GUESS_FACTOR || (x >> YIMA_BATCH_SHIFT) > UINT32_MAX)
        return YIMA_S_BAD_SERIAL;
    info->batch = (uint32_t)(x >> YIMA_BATCH_SHIFT);
    info->index = (uint64_t)(x & 0xffffffffu);
    info->position_known = 1;
    return YIMA_S_OK;
}

/* Format 2, after the position is known: tagged codes carry check value 0
 * and their tag under the batch's key (mac and inner); none codes carry the
 * batch's check value. A sig code's signature already decided. */
static yima_status check_batch(const yima_key *key, yima_code_info *info, const char *canon,
                               size_t body_len, unsigned check, const unsigned char tweak[8])
{
    int sig = info->auth == YIMA_AUTH_SIG && !info->inner, none = info->auth == YIMA_AUTH_NONE;
    unsigned char bk[YIMA_SIPHASH_KEY];
    if (sig)
        return check == 0 ? YIMA_S_OK : YIMA_S_BAD_SERIAL;
    if (yima_key_batch_key(key, info->batch, bk) != 0)
        return YIMA_S_OUT_OF_SCOPE;
    uint64_t x = (uint64_t)info->batch << YIMA_BATCH_SHIFT | info->index;
    yima_status st = none ? (yima_check_value(bk, tweak, x) == check ? YIMA_S_OK : YIMA_S_BAD_SERIAL)
                          : check_mac(bk, info, canon, body_len);
    if (st == YIMA_S_OK && !none && check != 0)
        st = YIMA_S_BAD_SERIAL;
    sodium_memzero(bk, sizeof bk);
    return st;
}

/* Secret material: position, then the batch's checks (format 2) or the
 * brand-wide mac (format 1). */
static yima_status check_secret(const yima_key *key, yima_code_info *info, const char *canon,
                                size_t body_len, int sig_ok)
{
    unsigned check;
    unsigned char tweak[8];
    int tagged = info->auth == YIMA_AUTH_MAC || info->inner;
    if (info->format == 1 && !key->has_secret)
        return sig_ok ? YIMA_S_OK : YIMA_S_NEED_SECRET; /* scoped keys are format 2 only */
    if (info->format == 1 && tagged) {
        yima_status st = check_mac(key->mac_key, info, canon, body_len);
        if (st != YIMA_S_OK)
            return st;
    }
    yima_status st = recover_position(key, info, canon, &check, tweak);
    if (st != YIMA_S_OK || info->format == 1)
        return st;
    return check_batch(key, info, canon, body_len, check, tweak);
}

static yima_status verify_with_key(const yima_key *key, yima_code_info *info, const char *canon,
                                   size_t body_len)
{
    int sig = info->auth == YIMA_AUTH_SIG && !info->inner;
    if (sig) {
        yima_status st = check_sig(key, info, canon, body_len);
        if (st != YIMA_S_OK)
            return st;
    }
    if (!key->has_perm)
        return sig ? YIMA_S_OK : YIMA_S_NEED_SECRET;
    return check_secret(key, info, canon, body_len, sig);
}

/* Who the code is: its key and position when known, else its key and body. */
static void set_identity(const yima_key *key, yima_code_info *info, const char *canon)
{
    unsigned char in[64];
    size_t n = 0;
    memcpy(in, key->sign_pk, 32);
    n = 32;
    in[n++] = (unsigned char)info->inner;
    in[n++] = (unsigned char)info->level;
    if (info->position_known) {
        in[n++] = 'P';
        for (int i = 0; i < 4; i++)
            in[n++] = (unsigned char)(info->batch >> (8 * i));
        for (int i = 0; i < 8; i++)
            in[n++] = (unsigned char)(info->index >> (8 * i));
    } else {
        yima_u128 serial;
        yima_read_u128(info->alphabet, canon + info->serial_offset, info->serial_len, &serial);
        in[n++] = 'S';
        in[n++] = (unsigned char)info->format;
        in[n++] = (unsigned char)info->alphabet;
        in[n++] = (unsigned char)info->serial_len;
        for (int i = 0; i < 16; i++)
            in[n++] = (unsigned char)(serial >> (8 * i));
    }
    crypto_generichash(info->identity, sizeof info->identity, in, n, NULL, 0);
}

int yima_verdict_rank(yima_status st)
{
    switch (st) {
    case YIMA_S_OK: return 0;
    case YIMA_S_WRONG_LEVEL: return 1;
    case YIMA_S_NEED_SECRET: return 4;
    case YIMA_S_OUT_OF_SCOPE: return 3;
    default: return 2;
    }
}

yima_status yima_verify_keys(const yima_keyring *ring, int want_level, yima_code_info *info,
                             const yima_key_check *check)
{
    yima_status st, best_st = YIMA_S_UNKNOWN_KEY;
    yima_code_info parsed = *info, tried;
    for (const yima_key *key = yima_keyring_find(ring, parsed.key_id); key;
         key = yima_keyring_next(key)) {
        tried = parsed;
        st = check->verify(key, &tried, check->ctx);
        if (st == YIMA_S_OK && want_level >= 0 && (int)tried.level != want_level)
            st = YIMA_S_WRONG_LEVEL;
        if (best_st == YIMA_S_UNKNOWN_KEY || yima_verdict_rank(st) < yima_verdict_rank(best_st)) {
            if (check->keep)
                check->keep(key, &tried, check->ctx);
            best_st = st;
            *info = tried;
        }
        if (st == YIMA_S_OK)
            break;
    }
    return best_st;
}

/* A compact code's text, canonical, for the key loop. */
typedef struct compact_text {
    const char *canon;
    size_t body_len;
} compact_text;

static yima_status compact_check(const yima_key *key, yima_code_info *info, void *ctx)
{
    const compact_text *t = ctx;
    return verify_with_key(key, info, t->canon, t->body_len);
}

static void compact_keep(const yima_key *key, yima_code_info *info, void *ctx)
{
    set_identity(key, info, ((const compact_text *)ctx)->canon);
}

static yima_status verify_as(const yima_keyring *ring, yima_alphabet a, const char *text,
                             size_t n, int want_level, yima_code_info *info)
{
    char canon[YIMA_CODE_MAX];
    yima_status st = parse_as(a, text, n, info);
    if (st != YIMA_S_OK)
        return st;
    canonical(a, text, n, canon);
    compact_text t = {canon, info->serial_offset + (size_t)info->serial_len};
    yima_key_check check = {compact_check, compact_keep, &t};
    return yima_verify_keys(ring, want_level, info, &check);
}

static yima_status compact_verify(const yima_keyring *ring, const char *text, size_t len,
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

/* A text without GS1's markers may read both ways: an unbracketed element
 * string passes a compact code's Damm check one time in 32, and a compact
 * code may happen to spell AIs. The GS1 reading wins only when it found a
 * yima GS1 code (check digits, AI syntax and a yima header all right). */
static int gs1_wins(yima_status gs1_st, const yima_code_info *gs1_info)
{
    return gs1_st != YIMA_S_MALFORMED && gs1_st != YIMA_S_BAD_CHECK && gs1_info->key_id >= 0;
}

yima_status yima_code_parse(const char *text, size_t len, yima_code_info *info)
{
    if (yima_gs1_looks_like(text, len))
        return yima_gs1_code_parse(text, len, info);
    yima_status st = compact_parse(text, len, info), gst;
    yima_code_info alt;
    if (st != YIMA_S_OK && gs1_wins(gst = yima_gs1_code_parse(text, len, &alt), &alt)) {
        *info = alt;
        return gst;
    }
    return st;
}

yima_status yima_code_verify(const yima_keyring *ring, const char *text, size_t len,
                             int want_level, yima_code_info *info)
{
    if (yima_gs1_looks_like(text, len))
        return yima_gs1_code_verify(ring, text, len, want_level, info);
    yima_status st = compact_verify(ring, text, len, want_level, info), gst;
    yima_code_info alt;
    if (st != YIMA_S_OK &&
        gs1_wins(gst = yima_gs1_code_verify(ring, text, len, want_level, &alt), &alt)) {
        *info = alt;
        return gst;
    }
    return st;
}

size_t yima_code_key_text(const yima_code_info *info, const char *text, size_t len, char *out)
{
    int n;
    if (info->gs1 && info->sscc[0])
        n = snprintf(out, YIMA_CODE_MAX, "(00)%s", info->sscc);
    else if (info->gs1 && info->gtin[0] && info->serial[0])
        n = snprintf(out, YIMA_CODE_MAX, "(01)%s(21)%s", info->gtin, info->serial);
    else if (info->gs1 || len == 0 || len >= YIMA_CODE_MAX)
        return 0;
    else {
        canonical(info->alphabet, text, len, out);
        out[len] = '\0';
        n = (int)len;
    }
    return (size_t)n;
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
    if (oi.inner || !ii.inner || oi.key_id != ii.key_id || oi.format != ii.format ||
        oi.batch != ii.batch || oi.index != ii.index)
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
