/* SPDX-License-Identifier: MIT */
/* The code format: check characters, radix numbers, frozen known-answer
 * vectors, tampering, levels, inner pairing and capacity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "testutil.h"

static void test_damm_known_answers(void **state)
{
    (void)state;
    /* Damm's worked example: 572 gets check digit 4. */
    assert_int_equal(yima_damm_check(YIMA_ALPHABET_DIGITS, "572", 3), '4');
    assert_true(yima_damm_valid(YIMA_ALPHABET_DIGITS, "5724", 4));
    assert_false(yima_damm_valid(YIMA_ALPHABET_DIGITS, "5734", 4));
    /* GF(32): one step from zero gives the character itself, so "1" checks with 2*1 = "2". */
    assert_int_equal(yima_damm_check(YIMA_ALPHABET_BASE32, "1", 1), '2');
    assert_true(yima_damm_valid(YIMA_ALPHABET_BASE32, "12", 2));
}

/* Every single substitution and adjacent transposition is caught. */
static void test_damm_detects_typos(void **state)
{
    (void)state;
    srand(7);
    for (int a = 0; a < 2; a++) {
        yima_alphabet alpha = (yima_alphabet)a;
        int radix = yima_radix(alpha);
        for (int trial = 0; trial < 200; trial++) {
            char s[24];
            for (int i = 0; i < 20; i++)
                yima_write_u128(alpha, (yima_u128)(rand() % radix), 1, s + i);
            s[20] = yima_damm_check(alpha, s, 20);
            assert_true(yima_damm_valid(alpha, s, 21));
            for (int i = 0; i < 21; i++) {
                char keep = s[i];
                for (int v = 0; v < radix; v++) {
                    yima_write_u128(alpha, (yima_u128)v, 1, s + i);
                    if (s[i] != keep)
                        assert_false(yima_damm_valid(alpha, s, 21));
                }
                s[i] = keep;
                if (i < 20 && s[i] != s[i + 1]) {
                    char t = s[i];
                    s[i] = s[i + 1];
                    s[i + 1] = t;
                    assert_false(yima_damm_valid(alpha, s, 21));
                    s[i + 1] = s[i];
                    s[i] = t;
                }
            }
        }
    }
}

static void test_radix_round_trip(void **state)
{
    (void)state;
    unsigned char bytes[64], back[64];
    char text[200];
    for (int a = 0; a < 2; a++) {
        yima_alphabet alpha = (yima_alphabet)a;
        int w = yima_bytes_width(alpha, 64);
        assert_int_equal(w, a ? 155 : 103);
        for (int trial = 0; trial < 100; trial++) {
            for (int i = 0; i < 64; i++)
                bytes[i] = (unsigned char)(trial == 0 ? 0xff : rand());
            yima_write_bytes(alpha, bytes, 64, w, text);
            assert_int_equal(yima_read_bytes(alpha, text, w, back, 64), 0);
            assert_memory_equal(bytes, back, 64);
        }
        /* The all-ones maximum plus one no longer fits: one number, one text. */
        memset(text, a ? '9' : 'Z', (size_t)w);
        assert_int_equal(yima_read_bytes(alpha, text, w, back, 64), -1);
    }
    yima_u128 v;
    assert_int_equal(yima_read_u128(YIMA_ALPHABET_BASE32, "ZZ", 2, &v), 0);
    assert_true(v == 1023);
    assert_int_equal(yima_read_u128(YIMA_ALPHABET_BASE32, "oL", 2, &v), 0); /* O=0, L=1 */
    assert_true(v == 1);
    assert_int_equal(yima_read_u128(YIMA_ALPHABET_BASE32, "U0", 2, &v), -1);
}

static void test_permutation_inverts(void **state)
{
    (void)state;
    unsigned char key[16] = "0123456789abcdef", tweak[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    yima_u128 domains[] = {1000, (yima_u128)1 << 70, yima_u128_pow(10, 20), 37};
    for (size_t d = 0; d < sizeof domains / sizeof *domains; d++) {
        yima_perm perm;
        yima_perm_init(&perm, key, domains[d], tweak);
        for (yima_u128 x = 0; x < 2000 && x < domains[d]; x++) {
            yima_u128 y = yima_perm_encrypt(&perm, x);
            assert_true(y < domains[d]);
            assert_true(yima_perm_decrypt(&perm, y) == x);
        }
    }
    /* A permutation of a small domain hits every value once. */
    yima_perm perm;
    unsigned char hit[1000] = {0};
    yima_perm_init(&perm, key, 1000, tweak);
    for (int x = 0; x < 1000; x++)
        hit[(int)yima_perm_encrypt(&perm, (yima_u128)x)]++;
    for (int y = 0; y < 1000; y++)
        assert_int_equal(hit[y], 1);
}

/* Frozen vectors: the fixed key must reproduce these codes exactly, and
 * verify them. A key that cannot sign (scoped) verifies the sig rows instead. */
static int check_vectors(const char *file, int format, const yima_key *key, yima_keyring *ring)
{
    char path[512], line[1024], alpha[16], auth[8], level[8], kind[8], want[YIMA_CODE_MAX];
    unsigned batch;
    unsigned long long index;
    snprintf(path, sizeof path, "%s/%s", getenv("YIMA_VECTORS"), file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    yima_err err = {0};
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%15s %7s %7s %u %llu %7s %255s", alpha, auth, level, &batch,
                                &index, kind, want),
                         7);
        yima_codec *c = test_codec(key, (yima_alphabet)yima_alphabet_parse(alpha),
                                   (yima_auth)yima_auth_parse(auth));
        assert_int_equal(yima_codec_set(c, YIMA_P_FORMAT, format, &err), YIMA_OK);
        char got[YIMA_CODE_MAX];
        int inner = strcmp(kind, "inner") == 0;
        size_t len = inner ? yima_codec_encode_inner(c, batch, index, got, &err)
                           : yima_codec_encode(c, (yima_level)yima_level_parse(level), batch,
                                               index, got, &err);
        if (len == 0 && !inner && strcmp(auth, "sig") == 0 && !yima_key_has_secret(key))
            assert_int_equal(err.code, YIMA_E_KEY_NEED);
        else
            assert_string_equal(got, want);
        yima_code_info info;
        assert_int_equal(yima_code_verify(ring, want, strlen(want), -1, &info), YIMA_S_OK);
        assert_int_equal(info.format, format);
        assert_true(info.position_known);
        assert_int_equal(info.batch, batch);
        assert_int_equal(info.index, index);
        yima_codec_free(c);
        n++;
    }
    fclose(f);
    yima_keyring_free(ring);
    return n;
}

static void test_known_answer_vectors(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    assert_true(check_vectors("codes.tsv", 1, key, test_ring(0x42, 7, 1)) >= 36);
    assert_true(check_vectors("codes2.tsv", 2, key, test_ring(0x42, 7, 1)) >= 48);
    yima_key_free(key);
}

/* The frozen scoped key file (batches 1 and 1048575 of the fixed key) loads,
 * makes the same format-2 mac, none and inner codes and verifies all. */
static void test_scoped_key_vectors(void **state)
{
    (void)state;
    yima_key *key = test_vector_scoped_key();
    yima_keyring *ring = yima_keyring_create();
    yima_err err = {0};
    assert_int_equal(yima_keyring_add(ring, test_vector_scoped_key(), &err), YIMA_OK);
    assert_true(yima_key_is_scoped(key));
    assert_false(yima_key_has_secret(key));
    assert_int_equal(yima_key_scope_count(key), 2);
    assert_int_equal(yima_key_scope_batch(key, 1), 1048575);
    assert_true(check_vectors("codes2.tsv", 2, key, ring) >= 48);
    yima_key_free(key);
}

/* Every single-character change fails the check character. A forger who
 * also fixes the check meets the cryptography: sig and mac codes never pass;
 * none codes rely on sparsity alone, so about 1 in 10^4 may. Returns forgeries
 * tried and counts the ones that passed. */
static uint64_t check_all_single_changes(const yima_keyring *ring, const char *code, size_t len,
                                         yima_alphabet alpha, uint64_t *passed)
{
    char t[YIMA_CODE_MAX];
    yima_code_info info;
    uint64_t tried = 0;
    int radix = yima_radix(alpha);
    for (size_t i = 0; i < len; i++) {
        for (int v = 0; v < radix; v++) {
            memcpy(t, code, len);
            yima_write_u128(alpha, (yima_u128)v, 1, t + i);
            if (t[i] == code[i])
                continue;
            assert_int_equal(yima_code_verify(ring, t, len, -1, &info), YIMA_S_BAD_CHECK);
            if (i + 1 == len)
                continue;
            t[len - 1] = yima_damm_check(alpha, t, len - 1);
            tried++;
            *passed += yima_code_verify(ring, t, len, -1, &info) == YIMA_S_OK;
        }
    }
    return tried;
}

static void test_tamper_every_character(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_err err = {0};
    for (int a = 0; a < 2; a++) {
        for (int auth = 0; auth < 3; auth++) {
            yima_codec *c = test_codec(key, (yima_alphabet)a, (yima_auth)auth);
            int samples = auth == YIMA_AUTH_SIG ? 4 : 40;
            uint64_t tried = 0, passed = 0;
            for (int i = 0; i < samples; i++) {
                char code[YIMA_CODE_MAX];
                size_t len = yima_codec_encode(c, (yima_level)(i % 3), 5, (uint64_t)i * 7919, code,
                                               &err);
                yima_code_info info;
                assert_int_equal(yima_code_verify(ring, code, len, -1, &info), YIMA_S_OK);
                assert_true(info.position_known && info.batch == 5 && info.index == (uint64_t)i * 7919);
                tried += check_all_single_changes(ring, code, len, (yima_alphabet)a, &passed);
            }
            if (auth == YIMA_AUTH_NONE)
                assert_true(passed * 1000 < tried); /* expected 1e-4; 1e-3 leaves room */
            else
                assert_int_equal(passed, 0);
            yima_codec_free(c);
        }
    }
    yima_keyring_free(ring);
    yima_key_free(key);
}

static void test_other_key_and_levels(void **state)
{
    (void)state;
    yima_key *mine = test_key(0x42, 7), *other = test_key(0x43, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1), *pub = test_ring(0x42, 7, 0);
    yima_err err = {0};
    yima_code_info info;
    char code[YIMA_CODE_MAX];
    for (int auth = 0; auth < 3; auth++) {
        yima_codec *c = test_codec(other, YIMA_ALPHABET_BASE32, (yima_auth)auth);
        size_t len = yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 99, code, &err);
        yima_status st = yima_code_verify(ring, code, len, -1, &info);
        assert_int_equal(st, auth == YIMA_AUTH_SIG ? YIMA_S_BAD_SIGNATURE
                             : auth == YIMA_AUTH_MAC ? YIMA_S_BAD_MAC : YIMA_S_BAD_SERIAL);
        yima_codec_free(c);
    }
    yima_codec *c = test_codec(mine, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    size_t len = yima_codec_encode(c, YIMA_LEVEL_CASE, 1, 3, code, &err);
    assert_int_equal(yima_code_verify(pub, code, len, YIMA_LEVEL_ITEM, &info), YIMA_S_WRONG_LEVEL);
    assert_int_equal(yima_code_verify(pub, code, len, YIMA_LEVEL_CASE, &info), YIMA_S_OK);
    assert_false(info.position_known); /* the public key cannot invert serials */
    yima_keyring *stranger = test_ring(0x42, 8, 0);
    assert_int_equal(yima_code_verify(stranger, code, len, -1, &info), YIMA_S_UNKNOWN_KEY);
    yima_codec_free(c);
    c = test_codec(mine, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
    len = yima_codec_encode(c, YIMA_LEVEL_ITEM, 1, 3, code, &err);
    assert_int_equal(yima_code_verify(pub, code, len, -1, &info), YIMA_S_NEED_SECRET);
    yima_codec_free(c);
    yima_keyring_free(stranger);
    yima_keyring_free(ring);
    yima_keyring_free(pub);
    yima_key_free(mine);
    yima_key_free(other);
}

static void test_inner_pairing(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_err err = {0};
    char outer[YIMA_CODE_MAX], inner[YIMA_CODE_MAX], other[YIMA_CODE_MAX];
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    size_t ol = yima_codec_encode(c, YIMA_LEVEL_ITEM, 2, 10, outer, &err);
    size_t il = yima_codec_encode_inner(c, 2, 10, inner, &err);
    size_t xl = yima_codec_encode_inner(c, 2, 11, other, &err);
    assert_int_equal(yima_code_verify_pair(ring, outer, ol, inner, il), YIMA_S_OK);
    assert_int_equal(yima_code_verify_pair(ring, outer, ol, other, xl), YIMA_S_PAIR_MISMATCH);
    assert_int_equal(yima_code_verify_pair(ring, outer, ol, outer, ol), YIMA_S_PAIR_MISMATCH);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

static void test_capacity_and_bounds(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_err err = {0};
    char code[YIMA_CODE_MAX];
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
    /* The defaults promise 2^32 codes per batch and 2^20 batches. */
    assert_true(yima_codec_capacity(c, 0) == (uint64_t)1 << 32);
    assert_true(yima_codec_capacity(c, (1u << 20) - 1) == (uint64_t)1 << 32);
    assert_int_equal(yima_codec_set(c, YIMA_P_ALPHABET, YIMA_ALPHABET_DIGITS, &err), YIMA_OK);
    assert_true(yima_codec_capacity(c, (1u << 20) - 1) == (uint64_t)1 << 32);
    assert_int_equal(yima_codec_set(c, YIMA_P_SERIAL_LEN, 12, &err), YIMA_OK);
    assert_true(yima_codec_capacity(c, 0) == 100000000u); /* 10^12 / 10^4 */
    assert_true(yima_codec_capacity(c, 1) == 0);
    assert_int_equal(yima_codec_encode(c, YIMA_LEVEL_ITEM, 0, 100000000u, code, &err), 0);
    assert_int_equal(err.code, YIMA_E_CAPACITY);
    assert_int_equal(yima_codec_set(c, YIMA_P_MAC_LEN, 12, &err), YIMA_E_USAGE); /* < 40 bits */
    assert_int_equal(yima_codec_set(c, YIMA_P_SERIAL_LEN, 99, &err), YIMA_E_USAGE);
    yima_codec_free(c);
    yima_key_free(key);
}

static void test_lower_case_and_aliases_verify(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 0);
    yima_err err = {0};
    yima_code_info info;
    char code[YIMA_CODE_MAX];
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    size_t len = yima_codec_encode(c, YIMA_LEVEL_ITEM, 0, 1, code, &err);
    for (size_t i = 0; i < len; i++)
        code[i] = code[i] == '0' ? 'o' : code[i] == '1' ? 'l' : (char)(code[i] | 0x20);
    assert_int_equal(yima_code_verify(ring, code, len, -1, &info), YIMA_S_OK);
    assert_int_equal(yima_code_verify(ring, code, len - 1, -1, &info), YIMA_S_BAD_CHECK);
    assert_int_equal(yima_code_verify(ring, "", 0, -1, &info), YIMA_S_MALFORMED);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_damm_known_answers),
        cmocka_unit_test(test_damm_detects_typos),
        cmocka_unit_test(test_radix_round_trip),
        cmocka_unit_test(test_permutation_inverts),
        cmocka_unit_test(test_known_answer_vectors),
        cmocka_unit_test(test_scoped_key_vectors),
        cmocka_unit_test(test_tamper_every_character),
        cmocka_unit_test(test_other_key_and_levels),
        cmocka_unit_test(test_inner_pairing),
        cmocka_unit_test(test_capacity_and_bounds),
        cmocka_unit_test(test_lower_case_and_aliases_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
