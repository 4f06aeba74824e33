/* SPDX-License-Identifier: MIT */
/* yima_verify_run: duplicates judged on identity, every column of a row
 * checked, output escaped, options that refuse (force, key files). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "testutil.h"

typedef struct run {
    char dir[64], out[96];
    yima_verify_summary sum;
    yima_err err;
    char text[1 << 16]; /* the results */
} run;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void setup_dir(run *r)
{
    snprintf(r->dir, sizeof r->dir, "/tmp/yima-test-verify-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->out, sizeof r->out, "%s/results", r->dir);
}

static void cleanup_dir(run *r)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
    assert_int_equal(system(cmd), 0);
}

/* Verifies input (text) as one file named "in" in r->dir; the results land
 * in r->text. Returns yima_verify_run's code. */
static int verify_text(run *r, const yima_keyring *ring, const char *input)
{
    char path[96];
    const char *inputs[] = {path};
    yima_verify_options opt;
    snprintf(path, sizeof path, "%s/in", r->dir);
    write_file(path, input);
    unlink(r->out);
    yima_verify_options_init(&opt);
    opt.ring = ring;
    opt.output = r->out;
    int rc = yima_verify_run(&opt, inputs, 1, &r->sum, &r->err);
    r->text[0] = '\0';
    FILE *f = fopen(r->out, "r");
    if (f) {
        r->text[fread(r->text, 1, sizeof r->text - 1, f)] = '\0';
        fclose(f);
    }
    return rc;
}

/* The status word of result line n (1-based) of r->text, in buf. */
static const char *status_of(const run *r, int n, char buf[32])
{
    const char *p = r->text;
    for (int i = 1; i < n && p; i++)
        if ((p = strchr(p, '\n')))
            p++;
    assert_non_null(p);
    p = strchr(p, '\t');
    assert_non_null(p);
    size_t len = strcspn(p + 1, "\t\n");
    assert_true(len < 32);
    memcpy(buf, p + 1, len);
    buf[len] = '\0';
    return buf;
}

static void encode(const yima_codec *c, yima_level level, uint32_t batch, uint64_t index,
                   char *out)
{
    yima_err err = {0};
    assert_true(yima_codec_encode(c, level, batch, index, out, &err) > 0);
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

/* A format-1 --mac-len 25 code and its tag cut by one character (the tag is
 * the mac mod 32^M: the shorter tag is its last characters; check fixed):
 * two spellings of one code, so the second is a DUPLICATE. */
static void test_duplicate_truncated_tag(void **state)
{
    (void)state;
    run r;
    char code[YIMA_CODE_MAX], cut[YIMA_CODE_MAX], input[600], st[32];
    yima_err err = {0};
    yima_key *key = test_key(0x42, 7);
    yima_keyring *ring = test_ring(0x42, 7, 1);
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_MAC);
    assert_int_equal(yima_codec_set(c, YIMA_P_FORMAT, 1, &err), YIMA_OK);
    assert_int_equal(yima_codec_set(c, YIMA_P_MAC_LEN, 25, &err), YIMA_OK);
    encode(c, YIMA_LEVEL_ITEM, 1, 5, code);
    size_t n = strlen(code), body = n - 1 - 25;
    memcpy(cut, code, body);
    memcpy(cut + body, code + body + 1, 24);
    cut[n - 2] = yima_damm_check(YIMA_ALPHABET_BASE32, cut, n - 2);
    cut[n - 1] = '\0';
    yima_code_info info;
    assert_int_equal(yima_code_verify(ring, cut, n - 1, -1, &info), YIMA_S_OK);
    setup_dir(&r);
    snprintf(input, sizeof input, "%s\n%s\n", code, cut);
    assert_int_equal(verify_text(&r, ring, input), YIMA_OK);
    assert_string_equal(status_of(&r, 1, st), "OK");
    assert_string_equal(status_of(&r, 2, st), "DUPLICATE");
    assert_non_null(strstr(r.text, "first seen at "));
    cleanup_dir(&r);
    yima_codec_free(c);
    yima_keyring_free(ring);
    yima_key_free(key);
}

/* Lower case and Crockford's aliases, for outer and inner codes, with the
 * secret key and (sig codes) the public key alone. */
static void test_duplicate_spellings(void **state)
{
    (void)state;
    run r;
    char code[YIMA_CODE_MAX], inner[YIMA_CODE_MAX], low[YIMA_CODE_MAX], ilow[YIMA_CODE_MAX];
    char input[2048], st[32];
    yima_err err = {0};
    yima_key *key = test_key(0x42, 7);
    yima_keyring *secret = test_ring(0x42, 7, 1), *pub = test_ring(0x42, 7, 0);
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    encode(c, YIMA_LEVEL_ITEM, 3, 9, code);
    assert_true(yima_codec_encode_inner(c, 3, 9, inner, &err) > 0);
    strcpy(low, code);
    lower(low);
    strcpy(ilow, inner);
    lower(ilow);
    for (char *p = ilow; *p; p++) /* an alias for every 0 and 1 */
        *p = *p == '0' ? 'o' : *p == '1' ? 'l' : *p;
    setup_dir(&r);
    snprintf(input, sizeof input, "%s\n%s\n%s\n%s\n", code, low, inner, ilow);
    assert_int_equal(verify_text(&r, secret, input), YIMA_OK);
    assert_string_equal(status_of(&r, 2, st), "DUPLICATE");
    assert_string_equal(status_of(&r, 3, st), "OK");
    assert_string_equal(status_of(&r, 4, st), "DUPLICATE");
    snprintf(input, sizeof input, "%s\n%s\n", code, low);
    assert_int_equal(verify_text(&r, pub, input), YIMA_OK);
    assert_string_equal(status_of(&r, 2, st), "DUPLICATE");
    cleanup_dir(&r);
    yima_codec_free(c);
    yima_keyring_free(secret);
    yima_keyring_free(pub);
    yima_key_free(key);
}

/* One gen tsv row: index level serial code payload inner case pallet. */
static void row(char *out, size_t n, const char *level, const char *code, const char *inner,
                const char *case_code, const char *pallet)
{
    snprintf(out, n, "0\t%s\tS\t%s\t%s\t%s\t%s\t%s\n", level, code, code, inner, case_code,
             pallet);
}

/* With the public key, an item row is NEED_SECRET while its inner pair is
 * unchecked; garbage in any column is bad with either key. */
static void test_row_columns(void **state)
{
    (void)state;
    run r;
    char item[YIMA_CODE_MAX], inner[YIMA_CODE_MAX], cs[YIMA_CODE_MAX], pl[YIMA_CODE_MAX];
    char input[8192], line[2048], st[32];
    yima_err err = {0};
    yima_key *key = test_key(0x42, 7);
    yima_keyring *secret = test_ring(0x42, 7, 1), *pub = test_ring(0x42, 7, 0);
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    encode(c, YIMA_LEVEL_ITEM, 4, 0, item);
    encode(c, YIMA_LEVEL_CASE, 4, 0, cs);
    encode(c, YIMA_LEVEL_PALLET, 4, 0, pl);
    assert_true(yima_codec_encode_inner(c, 4, 0, inner, &err) > 0);
    setup_dir(&r);
    strcpy(input, "index\tlevel\tserial\tcode\tpayload\tinner\tcase\tpallet\n");
    row(line, sizeof line, "item", item, inner, cs, pl);
    strcat(input, line);
    row(line, sizeof line, "item", item, "", cs, pl);
    strcat(input, line);
    row(line, sizeof line, "item", item, inner, "NOT-A-CODE", pl);
    strcat(input, line);
    row(line, sizeof line, "item", item, inner, cs, cs);
    strcat(input, line);
    assert_int_equal(verify_text(&r, secret, input), YIMA_OK);
    assert_string_equal(status_of(&r, 1, st), "OK");
    assert_string_equal(status_of(&r, 2, st), "MALFORMED");
    assert_string_equal(status_of(&r, 3, st), "MALFORMED");
    assert_string_equal(status_of(&r, 4, st), "WRONG_LEVEL");
    assert_int_equal(verify_text(&r, pub, input), YIMA_OK);
    assert_string_equal(status_of(&r, 1, st), "NEED_SECRET");
    assert_string_equal(status_of(&r, 2, st), "MALFORMED");
    assert_string_equal(status_of(&r, 3, st), "MALFORMED");
    assert_string_equal(status_of(&r, 4, st), "WRONG_LEVEL");
    cleanup_dir(&r);
    yima_codec_free(c);
    yima_keyring_free(secret);
    yima_keyring_free(pub);
    yima_key_free(key);
}

/* Input bytes cannot add lines or columns to the results. */
static void test_escaped_output(void **state)
{
    (void)state;
    run r;
    yima_keyring *pub = test_ring(0x42, 7, 0);
    setup_dir(&r);
    assert_int_equal(verify_text(&r, pub, "https://x/-\n-:7\tOK\tFAKE\n-\t\\\n"), YIMA_OK);
    assert_null(strstr(r.text, "\n-:7"));
    assert_non_null(strstr(r.text, "MALFORMED\t-\\t\\\\\t"));
    int lines = 0;
    for (const char *p = r.text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    cleanup_dir(&r);
    yima_keyring_free(pub);
}

/* An existing output is refused without force; a key file as input is
 * refused without echoing it. */
static void test_refusals(void **state)
{
    (void)state;
    run r;
    char code[YIMA_CODE_MAX], input[512];
    const char *inputs[1];
    yima_verify_options opt;
    yima_key *key = test_key(0x42, 7);
    yima_keyring *pub = test_ring(0x42, 7, 0);
    yima_codec *c = test_codec(key, YIMA_ALPHABET_BASE32, YIMA_AUTH_SIG);
    encode(c, YIMA_LEVEL_ITEM, 1, 1, code);
    setup_dir(&r);
    snprintf(input, sizeof input, "%s/in", r.dir);
    write_file(input, code);
    write_file(r.out, "keep me\n");
    inputs[0] = input;
    yima_verify_options_init(&opt);
    opt.ring = pub;
    opt.output = r.out;
    assert_int_equal(yima_verify_run(&opt, inputs, 1, &r.sum, &r.err), YIMA_E_EXISTS);
    opt.force = 1;
    assert_int_equal(yima_verify_run(&opt, inputs, 1, &r.sum, &r.err), YIMA_OK);
    assert_int_equal(r.sum.status[YIMA_S_OK], 1);
    opt.output = input; /* never an input, force or not */
    assert_int_equal(yima_verify_run(&opt, inputs, 1, &r.sum, &r.err), YIMA_E_USAGE);
    assert_int_equal(verify_text(&r, pub, "yima-secret-key 1\nid 7\nseed 4242\n"), YIMA_E_DATA);
    assert_non_null(strstr(r.err.msg, "key file"));
    assert_null(strstr(r.err.msg, "seed"));
    cleanup_dir(&r);
    yima_codec_free(c);
    yima_keyring_free(pub);
    yima_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_truncated_tag),
        cmocka_unit_test(test_duplicate_spellings),
        cmocka_unit_test(test_row_columns),
        cmocka_unit_test(test_escaped_output),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
