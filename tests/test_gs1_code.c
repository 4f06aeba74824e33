/* SPDX-License-Identifier: MIT */
/* GS1 mode's codes: SGTINs and SSCCs made by the codec, verified in every
 * spelling, tampering caught, capacity and scope enforced, vectors frozen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "internal.h"
#include "gen_gs1.h"
#include "testutil.h"

#define GTIN "09506000134352"
#define GCP "9506000"

static yima_codec *gs1_codec(const yima_key *key, yima_auth auth, const char *lot,
                             const char *expiry)
{
    yima_err err = {0};
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, auth);
    yima_gs1_params p = {GTIN, GCP, "", ""};
    snprintf(p.lot, sizeof p.lot, "%s", lot ? lot : "");
    snprintf(p.expiry, sizeof p.expiry, "%s", expiry ? expiry : "");
    assert_int_equal(yima_codec_set_gs1(c, &p, &err), YIMA_OK);
    return c;
}

static void encode(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                   yima_gs1_form form, char *out)
{
    yima_err err = {0};
    yima_gs1 g;
    assert_int_equal(yima_codec_encode_gs1(c, level, batch, index, &g, &err), YIMA_OK);
    assert_true(yima_gs1_format(&g, form, out, YIMA_GS1_TEXT_MAX) > 0);
}

static yima_status verify(const yima_keyring *ring, const char *text, yima_code_info *info)
{
    return yima_code_verify(ring, text, strlen(text), -1, info);
}

/* Items of every auth mode verify in HRI, RAW, scanner output with a
 * symbology identifier, and unbracketed form, and tell their position. */
static void test_sgtin_round_trip(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    char text[YIMA_GS1_TEXT_MAX], scanned[YIMA_GS1_TEXT_MAX + 4];
    for (int auth = 0; auth < 3; auth++) {
        yima_codec *c = gs1_codec(key, (yima_auth)auth, "LOT-7A", "271231");
        for (int form = YIMA_GS1_HRI; form <= YIMA_GS1_RAW; form++) {
            encode(c, YIMA_LEVEL_ITEM, 5, 1234, (yima_gs1_form)form, text);
            yima_code_info info;
            assert_int_equal(verify(ring, text, &info), YIMA_S_OK);
            assert_true(info.gs1 && info.position_known);
            assert_int_equal(info.batch, 5);
            assert_int_equal(info.index, 1234);
            assert_int_equal((int)info.auth, auth);
            assert_string_equal(info.gtin, GTIN);
            assert_string_equal(info.lot, "LOT-7A");
            assert_string_equal(info.expiry, "271231");
            assert_int_equal(info.gcp_len, 7);
            assert_true(strlen(info.serial) <= 20);
            if (form == YIMA_GS1_RAW) {
                snprintf(scanned, sizeof scanned, "]d2%s", text);
                assert_int_equal(verify(ring, scanned, &info), YIMA_S_OK);
            }
        }
        yima_codec_free(c);
    }
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* The codec writes its signed message straight from the parts; verifiers
 * rebuild it from the element string: every shape of item (lot or not,
 * expiry or not, lots with CSET 82 punctuation) must agree. */
static void test_message_shapes_agree(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    const char *lots[] = {NULL, "L", "A,B/C-7%20", "12345678901234567890"};
    const char *expiries[] = {NULL, "271231", "270200"};
    char text[YIMA_GS1_TEXT_MAX];
    for (int auth = 1; auth < 3; auth++)
        for (size_t l = 0; l < 4; l++)
            for (size_t e = 0; e < 3; e++) {
                yima_codec *c = gs1_codec(key, (yima_auth)auth, lots[l], expiries[e]);
                for (int form = YIMA_GS1_HRI; form <= YIMA_GS1_RAW; form++) {
                    yima_code_info info;
                    encode(c, YIMA_LEVEL_ITEM, 1, l * 3 + e, (yima_gs1_form)form, text);
                    assert_int_equal(verify(ring, text, &info), YIMA_S_OK);
                }
                yima_codec_free(c);
            }
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* Serials: GS1's 20 characters at most, base32 upper case (inside CSET 82),
 * unique, and not in index order. */
static void test_serials_unique_and_unordered(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_codec *c = gs1_codec(key, YIMA_AUTH_NONE, NULL, NULL);
    enum { N = 2000 };
    char (*serials)[21] = calloc(N, 21);
    int ordered = 0;
    for (uint64_t i = 0; i < N; i++) {
        yima_err err = {0};
        yima_gs1 g;
        assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_ITEM, 1, i, &g, &err), YIMA_OK);
        const char *s = yima_gs1_get(&g, "21");
        assert_non_null(s);
        assert_true(strlen(s) <= 20 && strspn(s, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == strlen(s));
        strcpy(serials[i], s);
        ordered += i > 0 && strcmp(serials[i - 1], serials[i]) < 0;
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(serials[i], serials[j]);
    assert_true(ordered > N / 4 && ordered < 3 * N / 4); /* about half: no order */
    free(serials);
    yima_codec_free(c);
    yima_key_free(key);
}

/* Replaces the first occurrence of from by to in s. */
static void replace(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from), rest[YIMA_GS1_TEXT_MAX];
    assert_non_null(p);
    strcpy(rest, p + strlen(from));
    strcpy(p, to);
    strcat(p, rest);
}

/* Lot, expiry and GTIN are signed with the serial: changing any one fails. */
static void test_every_element_authenticated(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    const yima_status want[3] = {YIMA_S_OK, YIMA_S_BAD_MAC, YIMA_S_BAD_SIGNATURE};
    for (int auth = 1; auth < 3; auth++) {
        yima_codec *c = gs1_codec(key, (yima_auth)auth, "LOT1", "271231");
        char text[YIMA_GS1_TEXT_MAX];
        yima_code_info info;
        encode(c, YIMA_LEVEL_ITEM, 2, 77, YIMA_GS1_HRI, text);
        replace(text, "(10)LOT1", "(10)LOT2");
        assert_int_equal(verify(ring, text, &info), want[auth]);
        encode(c, YIMA_LEVEL_ITEM, 2, 77, YIMA_GS1_HRI, text);
        replace(text, "(17)271231", "(17)281231");
        assert_int_equal(verify(ring, text, &info), want[auth]);
        encode(c, YIMA_LEVEL_ITEM, 2, 77, YIMA_GS1_HRI, text);
        replace(text, "(10)LOT1", ""); /* a dropped lot is a change too */
        assert_int_equal(verify(ring, text, &info), want[auth]);
        encode(c, YIMA_LEVEL_ITEM, 2, 77, YIMA_GS1_HRI, text);
        replace(text, "(01)09506000134352", "(01)09506000134345"); /* valid check digit */
        assert_int_equal(verify(ring, text, &info), want[auth]);
        yima_codec_free(c);
    }
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* The tag length is signed too: a MAC cut short (down to the 7 characters
 * GS1 mode allows) never verifies. */
static void test_mac_length_authenticated(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_err err = {0};
    yima_codec *c = gs1_codec(key, YIMA_AUTH_MAC, NULL, NULL);
    assert_int_equal(yima_codec_set(c, YIMA_P_MAC_LEN, 12, &err), YIMA_OK);
    for (int level = 0; level < 3; level++) {
        char text[YIMA_GS1_TEXT_MAX];
        yima_code_info info;
        encode(c, (yima_level)level, 4, 4, YIMA_GS1_HRI, text);
        assert_int_equal(verify(ring, text, &info), YIMA_S_OK);
        for (int cut = 1; cut <= 5; cut++) {
            text[strlen(text) - 1] = '\0';
            assert_int_equal(verify(ring, text, &info), YIMA_S_BAD_MAC);
        }
    }
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* A none item's serial carries the batch's check value: of serials guessed
 * with a right Damm character, about 1 in 10^4 passes. */
static void test_none_serial_guesses_fail(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_codec *c = gs1_codec(key, YIMA_AUTH_NONE, NULL, NULL);
    char text[YIMA_GS1_TEXT_MAX];
    encode(c, YIMA_LEVEL_ITEM, 0, 9, YIMA_GS1_HRI, text);
    char *serial = strstr(text, "(21)") + 4;
    int passed = 0;
    for (int t = 0; t < 2000; t++) {
        serial[6 + t % 12] = yima_base32_chars[(t * 7 + 3) % 32];
        serial[18] = yima_damm_check(YIMA_ALPHABET_BASE32, serial, 18);
        yima_code_info info;
        passed += verify(ring, text, &info) == YIMA_S_OK;
    }
    assert_true(passed < 5);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* The public key checks signatures; mac and none codes need the secret. */
static void test_public_key_verdicts(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *pub = test_ring(0x42, 7, 0);
    const yima_status want[3] = {YIMA_S_NEED_SECRET, YIMA_S_NEED_SECRET, YIMA_S_OK};
    for (int auth = 0; auth < 3; auth++) {
        yima_codec *c = gs1_codec(key, (yima_auth)auth, NULL, NULL);
        char text[YIMA_GS1_TEXT_MAX];
        yima_code_info info;
        encode(c, YIMA_LEVEL_PALLET, 3, 4, YIMA_GS1_HRI, text);
        assert_int_equal(verify(pub, text, &info), want[auth]);
        encode(c, YIMA_LEVEL_ITEM, 3, 4, YIMA_GS1_HRI, text);
        assert_int_equal(verify(pub, text, &info), want[auth]);
        yima_codec_free(c);
    }
    yima_keyring_free(pub);
    yima_key_free(key);
}

/* SSCCs: 18 digits with a valid check digit under the company prefix;
 * case and pallet told apart; position recovered; all distinct. */
static void test_sscc_levels_and_positions(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_codec *c = gs1_codec(key, YIMA_AUTH_MAC, NULL, NULL);
    char seen[400][19];
    int n = 0;
    for (uint32_t batch = 0; batch < 999; batch += 450)
        for (int level = 1; level <= 2; level++)
            for (uint64_t i = 0; i < 60; i++) {
                char text[YIMA_GS1_TEXT_MAX];
                yima_code_info info;
                encode(c, (yima_level)level, batch, i, YIMA_GS1_RAW, text);
                assert_int_equal(yima_code_verify(ring, text, strlen(text), level, &info),
                                 YIMA_S_OK);
                assert_int_equal(strlen(info.sscc), 18);
                assert_memory_equal(info.sscc + 1, GCP, 7);
                assert_int_equal(info.sscc[17] - '0', yima_gs1_check_digit(info.sscc, 17));
                assert_int_equal(info.batch, batch);
                assert_int_equal(info.index, i);
                for (int k = 0; k < n; k++)
                    assert_string_not_equal(seen[k], info.sscc);
                strcpy(seen[n++], info.sscc);
                assert_int_equal(yima_code_verify(ring, text, strlen(text), 0, &info),
                                 YIMA_S_WRONG_LEVEL);
            }
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* Capacity: batches 0..999, 10^(n-3)/2 cases each; the message names it. */
static void test_sscc_capacity_refused(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_codec *c = gs1_codec(key, YIMA_AUTH_SIG, NULL, NULL);
    yima_err err = {0};
    yima_gs1 g;
    assert_int_equal(yima_codec_sscc_capacity(c), 5000000);
    assert_int_equal(yima_codec_sscc_batch_max(c), 999);
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_CASE, 999, 4999999, &g, &err), YIMA_OK);
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_CASE, 1000, 0, &g, &err),
                     YIMA_E_CAPACITY);
    assert_non_null(strstr(err.msg, "5000000 cases"));
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_PALLET, 0, 5000000, &g, &err),
                     YIMA_E_CAPACITY);
    yima_codec_free(c);
    yima_key_free(key);
}

/* Parameters: GTIN check digit, prefix digits, GTIN under the prefix,
 * expiry date, serial length that would pass 20 characters. */
static void test_params_refused(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    yima_err err = {0};
    yima_gs1_params bad_check = {"09506000134353", "", "", ""};
    assert_int_equal(yima_codec_set_gs1(c, &bad_check, &err), YIMA_E_USAGE);
    assert_non_null(strstr(err.msg, "2"));
    yima_gs1_params other_prefix = {GTIN, "9506001", "", ""};
    assert_int_equal(yima_codec_set_gs1(c, &other_prefix, &err), YIMA_E_USAGE);
    yima_gs1_params short_prefix = {GTIN, "950600", "", ""};
    assert_int_equal(yima_codec_set_gs1(c, &short_prefix, &err), YIMA_E_USAGE);
    yima_gs1_params bad_date = {GTIN, "", "", "270230"};
    assert_int_equal(yima_codec_set_gs1(c, &bad_date, &err), YIMA_E_USAGE);
    yima_gs1_params ok = {GTIN, "", "", ""};
    assert_int_equal(yima_codec_set(c, YIMA_P_SERIAL_LEN, 16, &err), YIMA_OK);
    assert_int_equal(yima_codec_set_gs1(c, &ok, &err), YIMA_E_USAGE);
    assert_int_equal(yima_codec_set(c, YIMA_P_SERIAL_LEN, 15, &err), YIMA_OK);
    assert_int_equal(yima_codec_set_gs1(c, &ok, &err), YIMA_OK);
    yima_codec_free(c);
    yima_key_free(key);
}

/* A line key makes and checks mac and none codes of its batches only, and
 * cannot sign. */
static void test_line_key_scope(void **state)
{
    (void)state;
    yima_key *line = test_vector_scoped_key();
    yima_keyring *ring = yima_keyring_create();
    yima_err err = {0};
    yima_codec *c = test_codec(line, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
    yima_gs1_params p = {GTIN, GCP, "", ""};
    assert_int_equal(yima_codec_set_gs1(c, &p, &err), YIMA_OK);
    yima_gs1 g;
    char text[YIMA_GS1_TEXT_MAX];
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_ITEM, 1, 5, &g, &err), YIMA_OK);
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_ITEM, 2, 5, &g, &err), YIMA_E_KEY_SCOPE);
    assert_int_equal(yima_codec_set(c, YIMA_P_AUTH, YIMA_AUTH_SIG, &err), YIMA_OK);
    assert_int_equal(yima_codec_encode_gs1(c, YIMA_LEVEL_ITEM, 1, 5, &g, &err), YIMA_E_KEY_NEED);
    yima_codec_free(c);
    /* the brand's code of batch 2 is out of the line key's scope */
    yima_key *brand = test_key(0x42, 7);
    yima_codec *bc = gs1_codec(brand, YIMA_AUTH_MAC, NULL, NULL);
    encode(bc, YIMA_LEVEL_ITEM, 2, 5, YIMA_GS1_HRI, text);
    assert_int_equal(yima_keyring_add(ring, line, &err), YIMA_OK);
    yima_code_info info;
    yima_status st = verify(ring, text, &info);
    assert_true(st == YIMA_S_OUT_OF_SCOPE || st == YIMA_S_UNKNOWN_KEY);
    yima_codec_free(bc);
    yima_key_free(brand);
    yima_keyring_free(ring);
}

/* One code, one identity and one key text, whatever the spelling. */
static void test_identity_of_spellings(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_codec *c = gs1_codec(key, YIMA_AUTH_SIG, "L1", NULL);
    char hri[YIMA_GS1_TEXT_MAX], raw[YIMA_GS1_TEXT_MAX], k1[YIMA_CODE_MAX], k2[YIMA_CODE_MAX];
    yima_code_info a, b;
    encode(c, YIMA_LEVEL_ITEM, 8, 8, YIMA_GS1_HRI, hri);
    encode(c, YIMA_LEVEL_ITEM, 8, 8, YIMA_GS1_RAW, raw);
    assert_int_equal(verify(ring, hri, &a), YIMA_S_OK);
    assert_int_equal(verify(ring, raw, &b), YIMA_S_OK);
    assert_memory_equal(a.identity, b.identity, sizeof a.identity);
    assert_true(yima_code_key_text(&a, hri, strlen(hri), k1) > 0);
    assert_true(yima_code_key_text(&b, raw, strlen(raw), k2) > 0);
    assert_string_equal(k1, k2);
    assert_int_equal(strncmp(k1, "(01)" GTIN "(21)", 22), 0);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* GS1 codes written by 0.2 from the fixed test key: a change that breaks
 * them fails here. Lines: level auth batch index HRI. */
static void test_frozen_vectors(void **state)
{
    (void)state;
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/gs1.tsv", getenv("YIMA_VECTORS"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    yima_key *key = test_key(0x42, 7);
    yima_keyring *pub = test_ring(0x42, 7, 0);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char level[8], auth[8], hri[YIMA_GS1_TEXT_MAX], text[YIMA_GS1_TEXT_MAX];
        unsigned batch;
        unsigned long long index;
        if (line[0] == '#' || sscanf(line, "%7s %7s %u %llu %1023s", level, auth, &batch, &index,
                                     hri) != 5)
            continue;
        yima_codec *c = gs1_codec(key, (yima_auth)yima_auth_parse(auth), "LOT-7A", "271231");
        encode(c, (yima_level)yima_level_parse(level), batch, index, YIMA_GS1_HRI, text);
        assert_string_equal(text, hri);
        yima_code_info info;
        if (strcmp(auth, "sig") == 0)
            assert_int_equal(verify(pub, hri, &info), YIMA_S_OK);
        yima_codec_free(c);
        n++;
    }
    fclose(f);
    assert_true(n >= 9);
    yima_keyring_free(pub);
    yima_key_free(key);
}

/* The parts gen asks for (yima_gs1_encode_parts) are the values of
 * yima_codec_encode_gs1's element string, and give that element string back
 * through yima_gs1_code_elements: every level, auth mode and shape. */
static void check_parts(const yima_codec *c, yima_level level, yima_auth auth, uint64_t i)
{
    yima_err err = {0};
    yima_gs1 g, from_parts;
    yima_gs1_parts p;
    yima_gs1_encoder e;
    char a[YIMA_GS1_TEXT_MAX], b[YIMA_GS1_TEXT_MAX];
    yima_gs1_encoder_init(&e, c);
    assert_int_equal(yima_codec_encode_gs1(c, level, 3, i, &g, &err), YIMA_OK);
    assert_int_equal(yima_gs1_encode_parts(&e, level, 3, i, &p, &err), YIMA_OK);
    const char *id = yima_gs1_get(&g, level ? "00" : "21");
    const char *av = yima_gs1_get(&g, auth == YIMA_AUTH_SIG ? "8030" : "92");
    assert_non_null(id);
    assert_non_null(av);
    assert_string_equal(p.id, id);
    assert_string_equal(p.auth, av);
    assert_int_equal(p.id_len, strlen(id));
    assert_int_equal(p.auth_len, strlen(av));
    /* the serial's check character over all of it (the encoder takes a shortcut) */
    if (level == YIMA_LEVEL_ITEM)
        assert_int_equal(p.id[p.id_len - 1],
                         yima_damm_check(YIMA_ALPHABET_BASE32, p.id, p.id_len - 1));
    yima_gs1_code_elements(c, level, &p, &from_parts);
    assert_true(yima_gs1_format(&g, YIMA_GS1_HRI, a, sizeof a) > 0);
    assert_true(yima_gs1_format(&from_parts, YIMA_GS1_HRI, b, sizeof b) > 0);
    assert_string_equal(a, b);
}

static void test_parts_are_the_code(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    const char *lots[] = {NULL, "A,B/C-7%20"}, *expiries[] = {NULL, "271231"};
    for (int auth = 0; auth < 3; auth++)
        for (int shape = 0; shape < 4; shape++) {
            yima_codec *c = gs1_codec(key, (yima_auth)auth, lots[shape & 1], expiries[shape >> 1]);
            for (int level = 0; level < 3; level++)
                for (uint64_t i = 0; i < 20; i++)
                    check_parts(c, (yima_level)level, (yima_auth)auth, i);
            /* and the same refusals */
            yima_gs1_parts p;
            yima_gs1_encoder e;
            yima_err e1 = {0}, e2 = {0};
            yima_gs1 g;
            yima_gs1_encoder_init(&e, c);
            assert_int_equal(yima_gs1_encode_parts(&e, YIMA_LEVEL_CASE, 1000, 0, &p, &e1),
                             yima_codec_encode_gs1(c, YIMA_LEVEL_CASE, 1000, 0, &g, &e2));
            assert_string_equal(e1.msg, e2.msg);
            yima_codec_free(c);
        }
    yima_key_free(key);
}

/* The serial's check character is worked out over one lead character in
 * place of its four fixed ones: the same check for every head and tail. */
static void test_damm_lead(void **state)
{
    (void)state;
    char a[24], b[24];
    for (int t = 0; t < 20000; t++) {
        unsigned char r[24];
        randombytes_buf(r, sizeof r);
        size_t n = 1 + r[0] % 18;
        for (size_t i = 0; i < 4 + n; i++)
            a[i] = yima_base32_chars[r[i + 1] & 31];
        char lead = yima_gs1_damm_lead(a);
        assert_true(lead != 0);
        b[0] = lead;
        memcpy(b + 1, a + 4, n);
        assert_int_equal(yima_damm_check(YIMA_ALPHABET_BASE32, b, n + 1),
                         yima_damm_check(YIMA_ALPHABET_BASE32, a, n + 4));
    }
}

/* The MAC text is the first characters of libsodium's base64url of the
 * SipHash-128 tag, for every width a code or a test may ask for. */
static void test_mac_text_is_base64url(void **state)
{
    (void)state;
    unsigned char key[YIMA_SIPHASH_KEY], msg[80], mac[YIMA_MAC_BYTES];
    char want[32], got[YIMA_GS1_MAC_MAX + 1];
    for (int t = 0; t < 2000; t++) {
        size_t n = (size_t)t % sizeof msg;
        randombytes_buf(key, sizeof key);
        randombytes_buf(msg, n);
        crypto_shorthash_siphashx24(mac, msg, n, key);
        sodium_bin2base64(want, sizeof want, mac, sizeof mac,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        for (int width = 1; width <= YIMA_GS1_MAC_MAX; width++) {
            memset(got, 0, sizeof got);
            yima_gs1_mac_text(key, msg, n, width, got);
            assert_memory_equal(got, want, (size_t)width);
            assert_int_equal(got[width], 0); /* writes width characters, no more */
        }
    }
}

/* gen's forms: later codes of a level patch their parts into the first
 * code's forms; each must equal the code formatted in full, also where the
 * layout cannot be used (a Digital Link base that holds a header's text). */
static int check_gen_forms(const yima_codec *c, const char *dl_base, yima_level level)
{
    yima_gen_options o;
    yima_gen_options_init(&o);
    o.codec = c;
    o.batch = 2;
    o.dl_base = dl_base;
    static yima_gs1_layouts lay;
    static yima_gs1_text t;
    memset(&lay, 0, sizeof lay);
    unsigned forms = 1u << YIMA_GS1_F_HRI | 1u << YIMA_GS1_F_RAW | 1u << YIMA_GS1_F_DL;
    for (uint64_t i = 0; i < 300; i++) {
        yima_err err = {0};
        yima_gs1 g;
        char want[YIMA_GS1_TEXT_MAX];
        assert_int_equal(yima_gen_gs1_encode(&o, forms, &lay, level, i, &t, &err), YIMA_OK);
        assert_int_equal(yima_codec_encode_gs1(c, level, 2, i, &g, &err), YIMA_OK);
        for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
            yima_gs1_form form = f == YIMA_GS1_F_HRI ? YIMA_GS1_HRI : YIMA_GS1_RAW;
            size_t n = f == YIMA_GS1_F_DL ? yima_gs1_dl_format(&g, dl_base, want, sizeof want)
                                          : yima_gs1_format(&g, form, want, sizeof want);
            assert_true(n > 0);
            assert_string_equal(t.form[f], want);
            assert_int_equal(t.len[f], n);
        }
    }
    return lay.level[level].state;
}

static void test_gen_forms_equal_full_format(void **state)
{
    (void)state;
    yima_key *key = test_key(0x42, 7);
    for (int auth = 0; auth < 3; auth++) {
        yima_codec *c = gs1_codec(key, (yima_auth)auth, "L-1", "271231");
        char base[64];
        snprintf(base, sizeof base, "https://%.4s.%.4s.%.4s.example", c->gs1_hdr[0],
                 c->gs1_hdr[1], c->gs1_hdr[2]);
        for (int level = 0; level < 3; level++) {
            assert_int_equal(check_gen_forms(c, "https://id.example.com/p", (yima_level)level), 1);
            /* the auth value of a none code (its header) is in the base: no layout */
            assert_int_equal(check_gen_forms(c, base, (yima_level)level), auth ? 1 : -1);
        }
        yima_codec_free(c);
    }
    yima_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgtin_round_trip),
        cmocka_unit_test(test_message_shapes_agree),
        cmocka_unit_test(test_serials_unique_and_unordered),
        cmocka_unit_test(test_every_element_authenticated),
        cmocka_unit_test(test_mac_length_authenticated),
        cmocka_unit_test(test_none_serial_guesses_fail),
        cmocka_unit_test(test_public_key_verdicts),
        cmocka_unit_test(test_sscc_levels_and_positions),
        cmocka_unit_test(test_sscc_capacity_refused),
        cmocka_unit_test(test_params_refused),
        cmocka_unit_test(test_line_key_scope),
        cmocka_unit_test(test_identity_of_spellings),
        cmocka_unit_test(test_frozen_vectors),
        cmocka_unit_test(test_parts_are_the_code),
        cmocka_unit_test(test_mac_text_is_base64url),
        cmocka_unit_test(test_damm_lead),
        cmocka_unit_test(test_gen_forms_equal_full_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
