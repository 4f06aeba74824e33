/* SPDX-License-Identifier: MIT */
/*
 * The code parser and verifier. Oracles:
 *  - yima_code_parse and yima_code_verify agree on structure: a code parse
 *    refuses is never verified, and a verified code parses to the same fields;
 *  - a code the secret ring accepts decodes to a position, and the genuine
 *    code the codec makes for that position verifies to the same key, level,
 *    batch, index and identity: no spelling is accepted for a code that was
 *    never made;
 *    GS1 codes are compared with the GS1 code the codec makes from the GTIN,
 *    lot, expiry and company prefix they carry;
 *  - the level filter, the public-key ring and a scoped ring (a line key of
 *    batches 3 and 5) agree with the secret ring; the scoped ring accepts a
 *    mac, none or inner code only of format 2 and of its own batches.
 */
#include <string.h>
#include "yima/code.h"
#include "fuzz_common.h"

static const char *st(yima_status s)
{
    return yima_status_name(s);
}

static int structural(yima_status s)
{
    return s == YIMA_S_MALFORMED || s == YIMA_S_BAD_CHECK;
}

static void check_structure(yima_status ps, const yima_code_info *pi, yima_status vs,
                            const yima_code_info *vi)
{
    FZ_ASSERT(!structural(ps) || structural(vs), "parse says %s, verify says %s", st(ps), st(vs));
    if (vs != YIMA_S_OK)
        return;
    FZ_ASSERT(ps == YIMA_S_OK, "verified, but parse says %s", st(ps));
    if (pi->alphabet != vi->alphabet)
        return; /* an all-digit text read both ways */
    FZ_ASSERT(pi->key_id == vi->key_id && pi->inner == vi->inner && pi->level == vi->level &&
                  pi->auth == vi->auth && pi->serial_len == vi->serial_len &&
                  pi->tag_len == vi->tag_len && pi->serial_offset == vi->serial_offset &&
                  pi->format == vi->format,
              "parse and verify disagree on structure");
}

static void check_levels(const char *text, size_t len, const yima_code_info *vi)
{
    yima_code_info info;
    int other = ((int)vi->level + 1) % 3;
    yima_status s = yima_code_verify(fz_ring(), text, len, (int)vi->level, &info);
    FZ_ASSERT(s == YIMA_S_OK, "OK at any level, %s at its own level %d", st(s), vi->level);
    s = yima_code_verify(fz_ring(), text, len, other, &info);
    FZ_ASSERT(s == YIMA_S_WRONG_LEVEL, "level %d code at level %d: %s", vi->level, other, st(s));
}

static void check_public(const char *text, size_t len, yima_status vs, const yima_code_info *vi)
{
    yima_code_info pi;
    yima_status ps = yima_code_verify(fz_public_ring(), text, len, -1, &pi);
    if (ps == YIMA_S_OK) {
        FZ_ASSERT(vs == YIMA_S_OK, "public key says OK, secret key says %s", st(vs));
        FZ_ASSERT(pi.key_id == vi->key_id && pi.level == vi->level && pi.auth == vi->auth &&
                      !pi.inner,
                  "public and secret rings read the code differently");
    }
    if (vs == YIMA_S_OK && vi->auth == YIMA_AUTH_SIG && !vi->inner)
        FZ_ASSERT(ps == YIMA_S_OK, "sig code OK with the secret key, %s with the public key",
                  st(ps));
}

static const yima_keyring *scoped_ring(void)
{
    static yima_keyring *ring;
    static const uint32_t batches[] = {3, 5};
    yima_key *key = NULL;
    yima_err err = {0};
    if (ring)
        return ring;
    ring = yima_keyring_create();
    FZ_ASSERT(ring && yima_key_scope_create(&key, fz_secret(), batches, 2, &err) == 0 &&
                  yima_keyring_add(ring, key, &err) == 0,
              "scoped test key: %s", err.msg);
    return ring;
}

static void check_scoped(const char *text, size_t len, yima_status vs, const yima_code_info *vi)
{
    yima_code_info si;
    yima_status ss = yima_code_verify(scoped_ring(), text, len, -1, &si);
    int sig = vi->auth == YIMA_AUTH_SIG && !vi->inner;
    if (ss == YIMA_S_OK) {
        FZ_ASSERT(vs == YIMA_S_OK, "scoped key says OK, secret key says %s", st(vs));
        FZ_ASSERT(sig || (vi->format == 2 && (vi->batch == 3 || vi->batch == 5)),
                  "a line key of batches 3 and 5 accepts a %s code of format %d, batch %u",
                  yima_auth_name(vi->auth), vi->format, vi->batch);
        FZ_ASSERT(si.level == vi->level && si.inner == vi->inner &&
                      (!si.position_known ||
                       (si.batch == vi->batch && si.index == vi->index &&
                        memcmp(si.identity, vi->identity, sizeof si.identity) == 0)),
                  "scoped and secret rings read the code differently");
    } else if (vs == YIMA_S_OK) {
        FZ_ASSERT(!sig && !(vi->format == 2 && (vi->batch == 3 || vi->batch == 5)),
                  "a code the line key covers is OK with the secret key, %s with the line key",
                  st(ss));
    }
}

/* A GS1 codec with the parameters a GS1 code carries: its GTIN, lot and
 * expiry, and the company prefix its header's length cuts from the GTIN
 * or the SSCC. */
static int set_gs1(yima_codec *c, const yima_code_info *vi, yima_err *err)
{
    yima_gs1_params p;
    const char *digits = vi->sscc[0] ? vi->sscc : vi->gtin;
    memset(&p, 0, sizeof p);
    memcpy(p.gtin, vi->gtin, sizeof p.gtin);
    memcpy(p.lot, vi->lot, sizeof p.lot);
    memcpy(p.expiry, vi->expiry, sizeof p.expiry);
    if (vi->gcp_len >= 7 && vi->gcp_len <= 11)
        memcpy(p.gcp, digits + 1, (size_t)vi->gcp_len);
    return yima_codec_set_gs1(c, &p, err);
}

/* The code the codec itself makes for the position the input decoded to. */
static void check_genuine(const yima_code_info *vi)
{
    char genuine[YIMA_CODE_MAX];
    yima_err err = {0};
    yima_code_info gi;
    FZ_ASSERT(vi->position_known, "OK with the secret key but no position");
    FZ_ASSERT(vi->key_id == FZ_KEY_ID, "OK under key id %d, only %d is loaded", vi->key_id,
              FZ_KEY_ID);
    yima_codec *c = yima_codec_create(fz_secret());
    FZ_ASSERT(c, "out of memory");
    int rc = yima_codec_set(c, YIMA_P_ALPHABET, (int)vi->alphabet, &err);
    rc = rc ? rc : yima_codec_set(c, YIMA_P_AUTH, (int)vi->auth, &err);
    rc = rc ? rc : yima_codec_set(c, YIMA_P_FORMAT, vi->format, &err);
    rc = rc || !vi->gs1 ? rc : set_gs1(c, vi, &err); /* GS1 bounds for the lengths */
    if (!rc && !vi->sscc[0]) /* an SSCC's number has no serial length */
        rc = yima_codec_set(c, YIMA_P_SERIAL_LEN, vi->serial_len, &err);
    if (!rc && (vi->inner || vi->auth == YIMA_AUTH_MAC))
        rc = yima_codec_set(c, YIMA_P_MAC_LEN, vi->tag_len, &err);
    FZ_ASSERT(rc == 0, "accepted code has parameters the codec refuses: %s", err.msg);
    size_t n = vi->inner ? yima_codec_encode_inner(c, vi->batch, vi->index, genuine, &err)
                         : yima_codec_encode(c, vi->level, vi->batch, vi->index, genuine, &err);
    FZ_ASSERT(n > 0, "no genuine code for batch %u index %llu level %d: %s", vi->batch,
              (unsigned long long)vi->index, vi->level, err.msg);
    yima_status gs = yima_code_verify(fz_ring(), genuine, n, -1, &gi);
    FZ_ASSERT(gs == YIMA_S_OK, "genuine code %s: %s", genuine, st(gs));
    FZ_ASSERT(gi.key_id == vi->key_id && gi.inner == vi->inner && gi.level == vi->level &&
                  gi.batch == vi->batch && gi.index == vi->index,
              "accepted code decodes to level %d batch %u index %llu, genuine %s to level %d "
              "batch %u index %llu",
              vi->level, vi->batch, (unsigned long long)vi->index, genuine, gi.level, gi.batch,
              (unsigned long long)gi.index);
    FZ_ASSERT(gi.format == vi->format, "format %d code, genuine %s is format %d", vi->format,
              genuine, gi.format);
    FZ_ASSERT(memcmp(gi.identity, vi->identity, sizeof gi.identity) == 0,
              "accepted code and genuine code %s have different identities", genuine);
    FZ_ASSERT(gi.gs1 == vi->gs1 && strcmp(gi.lot, vi->lot) == 0 &&
                  strcmp(gi.expiry, vi->expiry) == 0,
              "accepted code and genuine code %s carry different GS1 data", genuine);
    yima_codec_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * YIMA_CODE_MAX)
        return 0;
    char *text = fz_dup(data, size);
    yima_code_info pi, vi;
    yima_status ps = yima_code_parse(text, size, &pi);
    yima_status vs = yima_code_verify(fz_ring(), text, size, -1, &vi);
    check_structure(ps, &pi, vs, &vi);
    check_public(text, size, vs, &vi);
    check_scoped(text, size, vs, &vi);
    if (vs == YIMA_S_OK) {
        check_levels(text, size, &vi);
        check_genuine(&vi);
    }
    free(text);
    return 0;
}
