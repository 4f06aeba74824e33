/* SPDX-License-Identifier: MIT */
/* Code format 2 and the keys behind it: every parameter authenticated, the
 * batch range, scoped line keys, shared key ids, identity of spellings. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "testutil.h"

static yima_codec *codec_f(const yima_key *key, yima_alphabet a, yima_auth auth, int format)
{
    yima_err err = {0};
    yima_codec *c = test_codec(key, a, auth);
    assert_int_equal(yima_codec_set(c, YIMA_P_FORMAT, format, &err), YIMA_OK);
    return c;
}

/* Replaces the check character of code (length n) with the right one. */
static void fix_check(yima_alphabet a, char *code, size_t n)
{
    code[n - 1] = yima_damm_check(a, code, n - 1);
    code[n] = '\0';
}

/* A --mac-len 25 code with its tag cut to every shorter length (the tag is
 * the mac mod 32^M, so a shorter tag is its last characters; check fixed). */
static int truncations_passing(const yima_keyring *ring, const char *code)
{
    char t[YIMA_CODE_MAX];
    size_t n = strlen(code), body = n - 1 - 25;
    int ok = 0;
    for (size_t cut = 1; cut <= 25 - 8; cut++) {
        memcpy(t, code, body);
        memcpy(t + body, code + body + cut, 25 - cut);
        fix_check(YIMA_ALPHABET_BASE32, t, n - cut);
        yima_code_info info;
        ok += yima_code_verify(ring, t, n - cut, -1, &info) == YIMA_S_OK;
    }
    return ok;
}

/* Format 1 let a mac code's truncations pass (17 for --mac-len 25); format 2
 * authenticates the tag length, so none does. */
static void test_tag_length_is_authenticated(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_err err = {0};
    char code[YIMA_CODE_MAX];
    for (int format = 1; format <= 2; format++) {
        yima_codec *c = codec_f(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC, format);
        assert_int_equal(yima_codec_set(c, YIMA_P_MAC_LEN, 25, &err), YIMA_OK);
        assert_true(yima_codec_encode(c, YIMA_LEVEL_ITEM, 3, 42, code, &err) > 0);
        assert_int_equal(truncations_passing(ring, code), format == 1 ? 17 : 0);
        assert_true(yima_codec_encode_inner(c, 3, 42, code, &err) > 0);
        assert_int_equal(truncations_passing(ring, code), format == 1 ? 17 : 0);
        yima_codec_free(c);
    }
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* The signed message names alphabet, L and M: a sig code re-read with another
 * length split does not verify (it would need another signature). */
static void test_sig_message_binds_lengths(void **state)
{
    (void)state;
    unsigned char m1[64], m2[64];
    size_t n1 = yima_tag_message(2, YIMA_ALPHABET_BASE32, 14, 103, "07PE", 4, m1);
    size_t n2 = yima_tag_message(2, YIMA_ALPHABET_BASE32, 14, 102, "07PE", 4, m2);
    assert_int_equal(n1, n2);
    assert_memory_not_equal(m1, m2, n1);
    n2 = yima_tag_message(2, YIMA_ALPHABET_DIGITS, 14, 103, "07PE", 4, m2);
    assert_memory_not_equal(m1, m2, n1);
    assert_memory_equal(m1, "YIMA2", 5);
}

/* Builds a none code whose serial inverts to position x (any x < R^L). */
static size_t none_code_at(const yima_key *key, int format, yima_u128 y, char *out)
{
    yima_alphabet a = YIMA_ALPHABET_BASE32;
    int L = 24;
    unsigned char tweak[8];
    yima_perm perm;
    yima_serial_tweak(format, 0, 0, a, L, tweak);
    yima_perm_init(&perm, key->perm_key, yima_u128_pow(32, L), tweak);
    yima_write_u128(a, (yima_u128)key->id, 2, out);
    yima_write_u128(a, (yima_u128)(format == 2 ? YIMA_HDR2_BASE32 : 0), 1, out + 2);
    yima_write_u128(a, (yima_u128)L, 1, out + 3);
    yima_write_u128(a, yima_perm_encrypt(&perm, y), L, out + 4);
    fix_check(a, out, 4 + (size_t)L + 1);
    return 4 + (size_t)L + 1;
}

/* 0.1 reported batch 2^32 + 5 as batch 5: a batch the format cannot carry is
 * refused, in both formats. */
static void test_batch_beyond_32_bits_refused(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    char code[YIMA_CODE_MAX];
    yima_code_info info;
    yima_u128 x = ((yima_u128)1 << 64) + 5;
    size_t n = none_code_at(key, 1, x, code);
    assert_int_equal(yima_code_verify(ring, code, n, -1, &info), YIMA_S_BAD_SERIAL);
    n = none_code_at(key, 2, x * YIMA_GUESS_FACTOR, code);
    assert_int_equal(yima_code_verify(ring, code, n, -1, &info), YIMA_S_BAD_SERIAL);
    /* the largest batch the API carries still works */
    n = none_code_at(key, 1, ((yima_u128)UINT32_MAX << 32) + 9, code);
    assert_int_equal(yima_code_verify(ring, code, n, -1, &info), YIMA_S_OK);
    assert_int_equal(info.batch, UINT32_MAX);
    assert_int_equal(info.index, 9);
    yima_keyring_free(ring);
    yima_key_free(key);
}

static void test_alphabet_keeps_auth(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_err err = {0};
    yima_codec *c = codec_f(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC, 1);
    assert_int_equal(yima_codec_set(c, YIMA_P_SERIAL_LEN, 20, &err), YIMA_OK);
    assert_int_equal(yima_codec_set(c, YIMA_P_ALPHABET, YIMA_ALPHABET_DIGITS, &err), YIMA_OK);
    assert_int_equal(yima_codec_get(c, YIMA_P_AUTH), YIMA_AUTH_MAC);
    assert_int_equal(yima_codec_get(c, YIMA_P_FORMAT), 1);
    assert_int_equal(yima_codec_get(c, YIMA_P_SERIAL_LEN), 20); /* the digits default */
    assert_int_equal(yima_codec_get(c, YIMA_P_MAC_LEN), 13);
    yima_codec_free(c);
    yima_key_free(key);
}

/* yima_key_load_public of a .key file holds the public half only. */
static void test_load_public_of_secret_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/yima-f2-XXXXXX", base[64], path[80];
    assert_non_null(mkdtemp(dir));
    snprintf(base, sizeof base, "%s/b", dir);
    snprintf(path, sizeof path, "%s.key", base);
    yima_key *key = test_key(0x42, 7), *pub = NULL;
    yima_err err = {0};
    assert_int_equal(yima_key_save(key, base, 0, &err), YIMA_OK);
    assert_int_equal(yima_key_load_public(&pub, path, &err), YIMA_OK);
    assert_false(yima_key_has_secret(pub));
    assert_false(yima_key_is_scoped(pub));
    assert_memory_equal(yima_key_public(pub), yima_key_public(key), 32);
    static const unsigned char zero[32];
    assert_memory_equal(pub->seed, zero, 32);
    assert_memory_equal(pub->perm_key, zero, 16);
    char code[YIMA_CODE_MAX];
    yima_codec *c = test_codec(pub, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
    assert_int_equal(yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 0, code, &err), 0);
    assert_int_equal(err.code, YIMA_E_KEY_NEED);
    yima_codec_free(c);
    yima_key_free(pub);
    yima_key_free(key);
    unlink(path);
    snprintf(path, sizeof path, "%s.pub", base);
    unlink(path);
    rmdir(dir);
}

static yima_status verify_one(const yima_keyring *ring, const char *code, yima_code_info *info)
{
    return yima_code_verify(ring, code, strlen(code), -1, info);
}

/* Two brands' keys with one id: a verifier holding both tries each. */
static void test_shared_key_id(void **state)
{
    (void)state;
    yima_key *a = test_key(0x11, 5), *b = test_key(0x22, 5);
    yima_keyring *pubs = test_ring(0x11, 5, 0), *secrets = test_ring(0x11, 5, 1);
    yima_err err = {0};
    assert_int_equal(yima_keyring_add(pubs, test_public_key(0x22, 5), &err), YIMA_OK);
    assert_int_equal(yima_keyring_add(secrets, test_key(0x22, 5), &err), YIMA_OK);
    const yima_key *keys[] = {a, b};
    for (int i = 0; i < 2; i++) {
        char sig[YIMA_CODE_MAX], mac[YIMA_CODE_MAX];
        yima_code_info info;
        yima_codec *c = test_codec(keys[i], YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
        assert_true(yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 7, sig, &err) > 0);
        yima_codec_free(c);
        c = test_codec(keys[i], YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
        assert_true(yima_codec_encode(c, YIMA_LEVEL_CASE, 1, 7, mac, &err) > 0);
        yima_codec_free(c);
        assert_int_equal(verify_one(pubs, sig, &info), YIMA_S_OK);
        assert_int_equal(verify_one(secrets, sig, &info), YIMA_S_OK);
        assert_int_equal(verify_one(secrets, mac, &info), YIMA_S_OK);
        assert_int_equal(info.batch, 1);
        assert_int_equal(verify_one(pubs, mac, &info), YIMA_S_NEED_SECRET);
    }
    yima_keyring_free(pubs);
    yima_keyring_free(secrets);
    yima_key_free(a);
    yima_key_free(b);
}

/* A line key for batch 3: the brand's codes of batch 3, nothing else. */
static void test_scoped_key_limits(void **state)
{
    (void)state;
    yima_key *brand = test_key(0x42, 7), *line = NULL;
    yima_err err = {0};
    uint32_t scope[] = {3};
    assert_int_equal(yima_key_scope_create(&line, brand, scope, 1, &err), YIMA_OK);
    yima_keyring *ring = yima_keyring_create();
    yima_key *line2 = NULL;
    assert_int_equal(yima_key_scope_create(&line2, brand, scope, 1, &err), YIMA_OK);
    assert_int_equal(yima_keyring_add(ring, line2, &err), YIMA_OK);
    char want[YIMA_CODE_MAX], got[YIMA_CODE_MAX];
    yima_code_info info;
    for (int auth = YIMA_AUTH_NONE; auth <= YIMA_AUTH_MAC; auth++) {
        yima_codec *cb = codec_f(brand, YIMA_ALPHABET_BASE32, (yima_auth)auth, 2);
        yima_codec *cl = codec_f(line, YIMA_ALPHABET_BASE32, (yima_auth)auth, 2);
        assert_true(yima_codec_encode(cb, YIMA_LEVEL_ITEM, 3, 99, want, &err) > 0);
        assert_true(yima_codec_encode(cl, YIMA_LEVEL_ITEM, 3, 99, got, &err) > 0);
        assert_string_equal(got, want);
        assert_int_equal(verify_one(ring, want, &info), YIMA_S_OK);
        assert_int_equal(yima_codec_encode(cl, YIMA_LEVEL_ITEM, 4, 99, got, &err), 0);
        assert_int_equal(err.code, YIMA_E_KEY_SCOPE);
        assert_int_equal(yima_codec_set_batch(cl, 4, &err), YIMA_E_KEY_SCOPE);
        assert_true(yima_codec_encode(cb, YIMA_LEVEL_ITEM, 4, 99, want, &err) > 0);
        assert_int_equal(verify_one(ring, want, &info), YIMA_S_OUT_OF_SCOPE);
        assert_true(yima_codec_encode_inner(cb, 4, 99, want, &err) > 0);
        assert_int_equal(verify_one(ring, want, &info), YIMA_S_OUT_OF_SCOPE);
        yima_codec_free(cb);
        yima_codec_free(cl);
    }
    /* no signing, no format 1; the brand's sig codes of any batch verify */
    yima_codec *cl = codec_f(line, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG, 2);
    assert_int_equal(yima_codec_encode(cl, YIMA_LEVEL_ITEM, 3, 1, got, &err), 0);
    assert_int_equal(err.code, YIMA_E_KEY_NEED);
    yima_codec_free(cl);
    yima_codec *cb = codec_f(brand, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG, 2);
    assert_true(yima_codec_encode(cb, YIMA_LEVEL_ITEM, 8, 1, want, &err) > 0);
    assert_int_equal(verify_one(ring, want, &info), YIMA_S_OK);
    yima_codec_free(cb);
    cb = codec_f(brand, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC, 1);
    assert_true(yima_codec_encode(cb, YIMA_LEVEL_ITEM, 3, 1, want, &err) > 0);
    assert_int_equal(verify_one(ring, want, &info), YIMA_S_NEED_SECRET);
    yima_codec_free(cb);
    yima_keyring_free(ring);
    yima_key_free(line);
    yima_key_free(brand);
}

/* A stolen line key holds the serial permutation, so it can place any
 * position of another batch into a serial; without that batch's key it can
 * only guess the check value: about 1 in 10^4 passes. */
static void test_scoped_key_cannot_mint_none_codes(void **state)
{
    (void)state;
    yima_key *brand = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    const int tries = 50000;
    int passed = 0;
    char code[YIMA_CODE_MAX];
    yima_code_info info;
    for (int i = 0; i < tries; i++) {
        yima_u128 x = ((yima_u128)4 << 32) + (yima_u128)i;
        size_t n = none_code_at(brand, 2, x * YIMA_GUESS_FACTOR + (unsigned)(i * 7919) % 10000, code);
        passed += yima_code_verify(ring, code, n, -1, &info) == YIMA_S_OK;
    }
    assert_true(passed <= 25); /* expected 5 */
    yima_keyring_free(ring);
    yima_key_free(brand);
}

/* Spellings of one code share its identity; other codes do not. */
static void test_identity_of_spellings(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1), *pubs = test_ring(0x42, 7, 0);
    yima_err err = {0};
    char code[YIMA_CODE_MAX], alt[YIMA_CODE_MAX], other[YIMA_CODE_MAX];
    yima_code_info a, b, o;
    yima_codec *c = codec_f(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG, 2);
    assert_true(yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 5, code, &err) > 0);
    assert_true(yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 6, other, &err) > 0);
    for (size_t i = 0; code[i]; i++) /* lower case, 0 as o, 1 as l */
        alt[i] = code[i] == '0' ? 'o' : code[i] == '1' ? 'l' : (char)tolower((unsigned char)code[i]);
    alt[strlen(code)] = '\0';
    const yima_keyring *rings[] = {ring, pubs};
    for (int r = 0; r < 2; r++) {
        assert_int_equal(verify_one(rings[r], code, &a), YIMA_S_OK);
        assert_int_equal(verify_one(rings[r], alt, &b), YIMA_S_OK);
        assert_int_equal(verify_one(rings[r], other, &o), YIMA_S_OK);
        assert_memory_equal(a.identity, b.identity, 16);
        assert_memory_not_equal(a.identity, o.identity, 16);
    }
    yima_codec_free(c);
    /* a format-1 mac code and its truncation: one code */
    c = codec_f(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC, 1);
    assert_int_equal(yima_codec_set(c, YIMA_P_MAC_LEN, 12, &err), YIMA_OK);
    size_t n = yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 5, code, &err), body = n - 1 - 12;
    memcpy(alt, code, body); /* drop the tag's first character */
    memcpy(alt + body, code + body + 1, 11);
    fix_check(YIMA_ALPHABET_BASE32, alt, n - 1);
    assert_int_equal(verify_one(ring, code, &a), YIMA_S_OK);
    assert_int_equal(verify_one(ring, alt, &b), YIMA_S_OK);
    assert_memory_equal(a.identity, b.identity, 16);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_keyring_free(pubs);
    yima_key_free(key);
}

/* A prepared batch and a derived one give the same codes. */
static void test_set_batch_same_codes(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_err err = {0};
    char a[YIMA_CODE_MAX], b[YIMA_CODE_MAX];
    yima_codec *c1 = codec_f(key, YIMA_ALPHABET_DIGITS, YIMA_AUTH_MAC, 2);
    yima_codec *c2 = codec_f(key, YIMA_ALPHABET_DIGITS, YIMA_AUTH_MAC, 2);
    assert_int_equal(yima_codec_set_batch(c2, 9, &err), YIMA_OK);
    for (uint32_t batch = 8; batch <= 10; batch++) {
        assert_true(yima_codec_encode(c1, YIMA_LEVEL_PALLET, batch, 1, a, &err) > 0);
        assert_true(yima_codec_encode(c2, YIMA_LEVEL_PALLET, batch, 1, b, &err) > 0);
        assert_string_equal(a, b);
    }
    yima_codec_free(c1);
    yima_codec_free(c2);
    yima_key_free(key);
}

/* A scoped key file is a secret: saved 0600, refused when others can read it. */
static void test_scoped_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/yima-f2-XXXXXX", base[64], path[80];
    assert_non_null(mkdtemp(dir));
    snprintf(base, sizeof base, "%s/line7", dir);
    snprintf(path, sizeof path, "%s.key", base);
    yima_key *brand = test_key(0x42, 7), *line = NULL, *back = NULL;
    yima_err err = {0};
    uint32_t scope[] = {9, 5, 9};
    assert_int_equal(yima_key_scope_create(&line, brand, scope, 3, &err), YIMA_OK);
    assert_int_equal(yima_key_scope_count(line), 2);
    mode_t old = umask(0);
    assert_int_equal(yima_key_save(line, base, 0, &err), YIMA_OK);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(yima_key_load_secret(&back, path, &err), YIMA_OK);
    assert_int_equal(yima_key_scope_batch(back, 0), 5);
    assert_int_equal(yima_key_scope_batch(back, 1), 9);
    assert_memory_equal(back->scope, line->scope, sizeof line->scope[0] * 2);
    yima_key_free(back);
    chmod(path, 0640);
    assert_int_equal(yima_key_load_secret(&back, path, &err), YIMA_E_KEY_PERM);
    unlink(path);
    rmdir(dir);
    yima_key_free(line);
    yima_key_free(brand);
}

/* An inner code pairs only with the outer code of its own format. */
static void test_pair_needs_one_format(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_err err = {0};
    char outer[2][YIMA_CODE_MAX], inner[2][YIMA_CODE_MAX];
    for (int f = 0; f < 2; f++) {
        yima_codec *c = codec_f(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC, f + 1);
        assert_true(yima_codec_encode(c, YIMA_LEVEL_ITEM, 2, 77, outer[f], &err) > 0);
        assert_true(yima_codec_encode_inner(c, 2, 77, inner[f], &err) > 0);
        yima_codec_free(c);
    }
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < 2; i++)
            assert_int_equal(yima_code_verify_pair(ring, outer[o], strlen(outer[o]), inner[i],
                                                   strlen(inner[i])),
                             o == i ? YIMA_S_OK : YIMA_S_PAIR_MISMATCH);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* Writes text as a 0600 key file and loads it as a secret. */
static int load_text(const char *text, yima_key **key, yima_err *err)
{
    char path[] = "/tmp/yima-f2key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = yima_key_load_secret(key, path, err);
    unlink(path);
    return rc;
}

/* A scoped key file is read strictly: a batch listed twice (which key would
 * win?) or text after a batch key is refused, naming the line; CRLF is fine. */
static void test_scoped_key_file_strict(void **state)
{
    (void)state;
    static const char head[] = "yima-scoped-key 1\nid 7\ned25519 "
                               "5728bef59015cb3f9c4a8c70e660d574b84cb9eb8b0acce693fb33f83b64b38f\n"
                               "perm 1b128b9deac4baea7a4a90e7f0eb0cfa\n"
                               "inner 75fe7411b87030ec46b80512001af027\n";
    char text[1024];
    yima_key *key = NULL;
    yima_err err = {0};
    snprintf(text, sizeof text, "%sbatch 1 730ba346fa5235c724cb0d8c086635a2\n"
             "batch 1 00000000000000000000000000000000\n", head);
    assert_int_equal(load_text(text, &key, &err), YIMA_E_KEY);
    assert_non_null(strstr(err.msg, ":7: batch 1 is listed twice"));
    snprintf(text, sizeof text, "%sbatch 1 730ba346fa5235c724cb0d8c086635a2 junk\n", head);
    assert_int_equal(load_text(text, &key, &err), YIMA_E_KEY);
    assert_non_null(strstr(err.msg, ":6: expected 'batch N"));
    snprintf(text, sizeof text, "%sbatch 1 730ba346fa5235c724cb0d8c086635a2\n", head);
    for (char *p = text, *q; (q = strchr(p, '\n')); p = q + 2) { /* LF -> CRLF */
        memmove(q + 1, q, strlen(q) + 1);
        *q = '\r';
    }
    assert_int_equal(load_text(text, &key, &err), YIMA_OK);
    assert_int_equal(yima_key_scope_count(key), 1);
    yima_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_length_is_authenticated),
        cmocka_unit_test(test_sig_message_binds_lengths),
        cmocka_unit_test(test_batch_beyond_32_bits_refused),
        cmocka_unit_test(test_alphabet_keeps_auth),
        cmocka_unit_test(test_load_public_of_secret_file),
        cmocka_unit_test(test_shared_key_id),
        cmocka_unit_test(test_scoped_key_limits),
        cmocka_unit_test(test_scoped_key_cannot_mint_none_codes),
        cmocka_unit_test(test_identity_of_spellings),
        cmocka_unit_test(test_set_batch_same_codes),
        cmocka_unit_test(test_scoped_key_file),
        cmocka_unit_test(test_scoped_key_file_strict),
        cmocka_unit_test(test_pair_needs_one_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
