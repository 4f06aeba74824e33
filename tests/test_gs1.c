/* SPDX-License-Identifier: MIT */
/*
 * GS1 syntax (yima/gs1.h, lib/gs1/gs1.c and gs1_ai.c): check digits,
 * GTIN padding, dates, element strings in every form a scanner or a person
 * gives, the dictionary's AI syntax and pairing rules, and the three
 * formatted forms as known answers.
 */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "yima/gs1.h"
#include "gs1/gs1_internal.h"

#define GS "\x1d"
#define GTIN "09506000134352" /* GS1's example GTIN (Digital Link standard) */
#define SSCC "106141411234567897" /* GS1's example SSCC (General Specifications) */

/* Parses text (a heap copy of exactly its length, so ASan sees overreads). */
static int parse(const char *text, yima_gs1 *g, yima_err *err)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    memset(err, 0, sizeof *err);
    int rc = yima_gs1_parse(copy, n, g, err);
    free(copy);
    return rc;
}

/* text must be refused with a message containing want. */
static void refused(const char *text, const char *want)
{
    yima_gs1 g;
    yima_err err;
    int rc = parse(text, &g, &err);
    if (rc != YIMA_E_DATA || !strstr(err.msg, want))
        fail_msg("'%s': rc %d, message '%s', wanted '%s'", text, rc, err.msg, want);
}

static void accepted(const char *text, yima_gs1 *g)
{
    yima_err err;
    int rc = parse(text, g, &err);
    if (rc != YIMA_OK)
        fail_msg("'%s' refused: %s", text, err.msg);
}

static void test_check_digit_gs1_examples(void **state)
{
    (void)state;
    assert_int_equal(yima_gs1_check_digit("0950600013435", 13), 2);
    assert_int_equal(yima_gs1_check_digit("10614141123456789", 17), 7);
    /* widely published GTIN-13, UPC-A (GTIN-12) and GTIN-8 examples */
    assert_int_equal(yima_gs1_check_digit("400638133393", 12), 1);
    assert_int_equal(yima_gs1_check_digit("03600029145", 11), 2);
    assert_int_equal(yima_gs1_check_digit("9638507", 7), 4);
    assert_int_equal(yima_gs1_check_digit("", 0), 0);
    assert_int_equal(yima_gs1_check_digit("12a4", 4), -1);
}

static void test_gtin_8_12_13_padded_to_14(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } rows[] = {
        {"96385074", "00000096385074"},
        {"036000291452", "00036000291452"},
        {"4006381333931", "04006381333931"},
        {GTIN, GTIN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char gtin[15];
        yima_err err = {0};
        assert_int_equal(yima_gtin_normalize(rows[i].in, gtin, &err), YIMA_OK);
        assert_string_equal(gtin, rows[i].out);
    }
}

static void test_gtin_bad_check_digit_names_expected_digit(void **state)
{
    (void)state;
    char gtin[15];
    yima_err err = {0};
    assert_int_equal(yima_gtin_normalize("09506000134353", gtin, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "GTIN 09506000134353: check digit should be 2, not 3");
    assert_int_equal(yima_gtin_normalize("96385075", gtin, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "should be 4, not 5"));
    assert_int_equal(yima_gtin_normalize("09506000134", gtin, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "GTIN 09506000134: 11 digits, a GTIN has 8, 12, 13 or 14");
    assert_int_equal(yima_gtin_normalize("095060001343521", gtin, &err), YIMA_E_DATA);
    assert_int_equal(yima_gtin_normalize("0950600013435X", gtin, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "character 14 is not a digit"));
}

static void test_dates_refuse_270230_allow_day_zero_only_when_asked(void **state)
{
    (void)state;
    assert_false(yima_gs1_date_valid("270230", 1));
    assert_false(yima_gs1_date_valid("270229", 1)); /* 2027 is not a leap year */
    assert_true(yima_gs1_date_valid("280229", 0));
    assert_true(yima_gs1_date_valid("271231", 0));
    assert_true(yima_gs1_date_valid("270200", 1));
    assert_false(yima_gs1_date_valid("270200", 0));
    assert_false(yima_gs1_date_valid("271301", 1));
    assert_false(yima_gs1_date_valid("270001", 1));
    assert_false(yima_gs1_date_valid("270431", 1));
    assert_false(yima_gs1_date_valid("27123", 1)); /* NUL before the sixth digit */
}

static void test_expiry_date_errors_name_the_ai(void **state)
{
    (void)state;
    yima_gs1 g;
    refused("(01)" GTIN "(17)270230", "AI (17): 270230 is not a valid date");
    accepted("(01)" GTIN "(17)270200", &g); /* AI 17 allows day 00 (yymmd0) */
    assert_string_equal(yima_gs1_get(&g, "17"), "270200");
    refused("(00)" SSCC "(4326)270200", "AI (4326): 270200 is not a valid date"); /* yymmdd */
    refused("(00)" SSCC "(4324)2701012460", "AI (4324): 2460 is not a valid time");
    accepted("(00)" SSCC "(4324)2701002359", &g);
}

/* Every form of one element string reads to the same elements. */
static void test_every_form_parses_to_the_same_elements(void **state)
{
    (void)state;
    static const char *forms[] = {
        "(01)" GTIN "(17)271231(10)L1(21)Y2A",
        "01" GTIN "17271231" "10L1" GS "21Y2A",
        GS "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]d2" "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]Q3" "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]C1" "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]e0" "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]J1" "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]d2" GS "01" GTIN "17271231" "10L1" GS "21Y2A",
        "]Q3" GS "01" GTIN GS "17271231" GS "10L1" GS "21Y2A" GS, /* superfluous GSs */
        /* Digital Link, handed to yima_gs1_dl_parse: any host, scheme in any case,
         * after the plain-data symbology ids of QR and DataMatrix */
        "https://id.example.com/01/" GTIN "/10/L1/21/Y2A?17=271231",
        "HTTP://ID.EXAMPLE.COM/01/" GTIN "/10/L1/21/Y2A?17=271231",
        "]Q1https://id.example.com/01/" GTIN "/10/L1/21/Y2A?17=271231",
        "]d1https://id.example.com/01/" GTIN "/10/L1/21/Y2A?17=271231",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        yima_gs1 g;
        accepted(forms[i], &g);
        assert_int_equal(g.count, 4);
        assert_string_equal(yima_gs1_get(&g, "01"), GTIN);
        assert_string_equal(yima_gs1_get(&g, "17"), "271231");
        assert_string_equal(yima_gs1_get(&g, "10"), "L1");
        assert_string_equal(yima_gs1_get(&g, "21"), "Y2A");
        assert_null(yima_gs1_get(&g, "22"));
    }
}

static void test_symbology_ids_other_than_gs1_refused(void **state)
{
    (void)state;
    refused("]Q1" "01" GTIN, "symbology identifier ]Q1 does not announce GS1 data");
    refused("]d1" "01" GTIN, "symbology identifier ]d1");
    refused("]X9" "01" GTIN, "symbology identifier ]X9");
    refused("]d", "symbology identifier ]d");
    refused("]d2", "empty GS1 element string");
    refused("", "empty GS1 element string");
}

static void test_length_and_charset_errors_name_the_ai(void **state)
{
    (void)state;
    refused("(01)0950600013435", "AI (01): 13 characters, should be 14");
    refused("(00)1061414112345678970", "AI (00): 19 characters, should be 18");
    refused("(01)" GTIN "(10)123456789012345678901", "AI (10): 21 characters, should be at most 20");
    refused("(01)" GTIN "(10)", "AI (10): empty value");
    refused("(01)" GTIN "(21)A~B", "AI (21): character '~' at position 2 is not in GS1 character set 82");
    refused("(01)" GTIN "(21)A B", "AI (21): character 0x20 at position 2");
    refused("(01)0950600013435A", "AI (01): character 'A' at position 14 is not a digit");
    refused("(00)" SSCC "(8030)AB+C", "AI (8030): character '+' at position 3 is not in GS1 character set 64");
    refused("(01)" GTIN "(23)AB", "AI (23) is not in the GS1 dictionary");
    refused("01" GTIN "23AB", "no GS1 AI at position 17: 23AB");
    refused("(01" GTIN, "expected an AI in parentheses at position 1");
    refused("(1)" GTIN, "expected an AI in parentheses at position 1");
    refused("01" GTIN "10L1" GS GS "21A", "no GS1 AI at position 22");
    /* a fixed-length AI cut short by the end of a RAW string */
    refused("]d2" "01" "0950600013", "AI (01): 10 characters, should be 14");
}

static void test_check_digit_errors_name_the_ai_and_digit(void **state)
{
    (void)state;
    refused("(01)09506000134353", "AI (01): check digit should be 2, not 3");
    refused("(00)106141411234567890", "AI (00): check digit should be 7, not 0");
    refused("0109506000134351", "AI (01): check digit should be 2, not 1");
}

static void test_dictionary_linters(void **state)
{
    (void)state;
    yima_gs1 g;
    accepted("(8013)1987654Ad4X4bL5ttr2310c2K", &g); /* GS1's GMN example */
    refused("(8013)1987654Ad4X4bL5ttr2310cXK", "AI (8013): check characters should be 2K, not XK");
    accepted("(8003)0" "0614141000012" "ABC", &g); /* GRAI: N1,zero N13,csum [X..16] */
    refused("(8003)1" "0614141000012", "AI (8003): digit 1 should be 0");
    refused("(8003)0" "0614141000013", "AI (8003): check digit should be 2, not 3");
    accepted("(00)" SSCC "(4330)001234", &g); /* optional [X1],hyphen left out */
    accepted("(00)" SSCC "(4330)001234-", &g);
    refused("(00)" SSCC "(4330)001234+", "AI (4330): + should be '-'");
    refused("(01)" GTIN "(423)12345", "AI (423): 5 characters do not fit its format");
    refused("(01)" GTIN "(8001)00001000000101", "AI (8001): a part is zero");
    accepted("(01)" GTIN "(99)" "anything_in_set_82", &g); /* unknown linters: none here */
}

static void test_pair_rules(void **state)
{
    (void)state;
    yima_gs1 g;
    refused("(21)Y2A", "AI (21) requires (01), (03) or (8006)");
    refused("(10)L1", "AI (10) requires (01), (02), (03), (8006) or (8026)");
    refused("(01)" GTIN "(8030)AAAA", "AI (8030) requires (00), (01)+(21), (03)+(21)");
    accepted("(01)" GTIN "(21)Y2A(8030)AAAA", &g);
    accepted("(00)" SSCC "(8030)AAAA", &g);
    accepted("(00)" SSCC "(92)AAAA", &g);
    refused("https://id.example.com/01/" GTIN "?8030=AAAA", "AI (8030) requires (00), (01)+(21)");
    refused("(01)" GTIN "(3100)000001(3101)000001", "AI (3100) cannot be used with (3101)");
    refused("(01)" GTIN "(255)0614141000012", "AI (01) cannot be used with (255)");
    refused("(01)" GTIN "(235)X(21)Y", "AI (21) cannot be used with (235)");
}

static void test_add_duplicates_and_capacity(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_err err = {0};
    yima_gs1_init(&g);
    assert_int_equal(yima_gs1_add(&g, "01", GTIN, 14, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(&g, "01", GTIN, 14, &err), YIMA_OK);
    assert_int_equal(g.count, 1);
    assert_int_equal(yima_gs1_add(&g, "01", "00000096385074", 14, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "AI (01) appears twice with different values");
    assert_int_equal(yima_gs1_add(&g, "17", "270230", 6, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "AI (17): 270230 is not a valid date");
    assert_int_equal(yima_gs1_add(&g, "1", "x", 1, &err), YIMA_E_DATA);
    static const char *more[] = {"10", "17", "21", "22", "240", "241", "90", "91", "92",
                                 "93", "94", "95", "96", "97", "98"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        const char *v = strcmp(more[i], "17") ? "V" : "271231";
        assert_int_equal(yima_gs1_add(&g, more[i], v, strlen(v), &err), YIMA_OK);
    }
    assert_int_equal(g.count, YIMA_GS1_MAX_ELEMENTS);
    assert_int_equal(yima_gs1_check_pairs(&g, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(&g, "400", "P", 1, &err), YIMA_E_DATA);
    assert_string_equal(err.msg, "more than 16 elements");
}

/* The elements of a carton added in an unusual order. */
static void carton(yima_gs1 *g)
{
    yima_err err = {0};
    yima_gs1_init(g);
    assert_int_equal(yima_gs1_add(g, "21", "Y2A", 3, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(g, "8030", "AAAA", 4, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(g, "10", "L(1", 3, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(g, "17", "271231", 6, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(g, "01", GTIN, 14, &err), YIMA_OK);
    assert_int_equal(yima_gs1_add(g, "92", "mac", 3, &err), YIMA_OK);
    assert_int_equal(yima_gs1_check_pairs(g, &err), YIMA_OK);
}

static void test_format_hri_raw_canonical_known_answers(void **state)
{
    (void)state;
    yima_gs1 g;
    char out[YIMA_GS1_TEXT_MAX];
    carton(&g);
    /* HRI: the order of g; a '(' inside a value is escaped */
    const char *hri = "(21)Y2A(8030)AAAA(10)L\\(1(17)271231(01)" GTIN "(92)mac";
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_HRI, out, sizeof out), strlen(hri));
    assert_string_equal(out, hri);
    /* RAW: predefined lengths first, GS after each variable value but the last */
    const char *raw = "17271231" "01" GTIN "21Y2A" GS "8030AAAA" GS "10L(1" GS "92mac";
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_RAW, out, sizeof out), strlen(raw));
    assert_string_equal(out, raw);
    /* CANONICAL: primary key, qualifiers in DL order, the rest by number; no 8030, 92 */
    const char *canon = "01" GTIN "10L(1" GS "21Y2A" GS "17271231";
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_CANONICAL, out, sizeof out), strlen(canon));
    assert_string_equal(out, canon);
}

static void test_format_canonical_sscc_and_no_primary_key(void **state)
{
    (void)state;
    yima_gs1 g;
    char out[YIMA_GS1_TEXT_MAX];
    accepted("(400)PO-7(00)" SSCC "(92)mac(8030)AAAA(403)R1", &g);
    yima_gs1_format(&g, YIMA_GS1_CANONICAL, out, sizeof out);
    assert_string_equal(out, "00" SSCC "400PO-7" GS "403R1");
    accepted("(400)PO-7(90)X(91)Y", &g); /* no primary key: all by AI number */
    yima_gs1_format(&g, YIMA_GS1_CANONICAL, out, sizeof out);
    assert_string_equal(out, "90X" GS "91Y" GS "400PO-7");
}

static void test_format_too_small_returns_zero(void **state)
{
    (void)state;
    yima_gs1 g;
    char out[64];
    accepted("(01)" GTIN "(21)Y2A", &g);
    size_t n = strlen("(01)" GTIN "(21)Y2A");
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_HRI, out, n), 0);
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_HRI, out, n + 1), n);
    assert_int_equal(yima_gs1_format(&g, YIMA_GS1_RAW, out, 0), 0);
}

/* What format writes, parse reads back to the same elements. */
static void test_formatted_forms_parse_back(void **state)
{
    (void)state;
    yima_gs1 g, back;
    char out[YIMA_GS1_TEXT_MAX];
    carton(&g);
    for (int form = YIMA_GS1_HRI; form <= YIMA_GS1_CANONICAL; form++) {
        assert_true(yima_gs1_format(&g, (yima_gs1_form)form, out, sizeof out) > 0);
        accepted(out, &back);
        int want = form == YIMA_GS1_CANONICAL ? g.count - 2 : g.count;
        assert_int_equal(back.count, want);
        for (int i = 0; i < g.count; i++) {
            const char *v = yima_gs1_get(&back, g.el[i].ai);
            if (form == YIMA_GS1_CANONICAL && (!strcmp(g.el[i].ai, "8030") || !strcmp(g.el[i].ai, "92")))
                assert_null(v);
            else
                assert_string_equal(v, g.el[i].value);
        }
    }
}

static void test_looks_like(void **state)
{
    (void)state;
    static const struct { const char *text; int want; } rows[] = {
        {"(01)" GTIN, 1}, {"]d2" "01" GTIN, 1}, {GS "01" GTIN, 1},
        {"https://id.gs1.org/01/" GTIN, 1}, {"HTTP://ID.GS1.ORG/01/" GTIN, 1},
        {"01" GTIN "10A" GS "21B", 1}, {"01" GTIN, 0}, {"7QK3M9ZP2XW4", 0}, {"", 0},
        {"httpx://a", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (yima_gs1_looks_like(rows[i].text, strlen(rows[i].text)) != rows[i].want)
            fail_msg("looks_like('%s') should be %d", rows[i].text, rows[i].want);
}

/* Every prefix of valid strings is read without reading past its end
 * (ASan, in the sanitizer build) and either parsed or refused with a message. */
static void test_prefixes_parse_safely(void **state)
{
    (void)state;
    static const char *texts[] = {
        "]d2" GS "01" GTIN "17271231" "10L1" GS "21Y2A" GS "8030AAAA",
        "(01)" GTIN "(10)L\\(1(21)Y2A(8030)AAAA",
        "(00)" SSCC "(4324)2701002359(8008)27010112",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (size_t n = 0; n <= strlen(texts[t]); n++) {
            char *copy = malloc(n ? n : 1);
            assert_non_null(copy);
            memcpy(copy, texts[t], n);
            yima_gs1 g;
            yima_err err = {0};
            int rc = yima_gs1_parse(copy, n, &g, &err);
            assert_true(rc == YIMA_OK || (rc == YIMA_E_DATA && err.msg[0]));
            assert_null(strchr(err.msg, '\n'));
            free(copy);
        }
    }
}

static void test_ai_table_lookups(void **state)
{
    (void)state;
    const yima_gs1_ai *e = yima_gs1_ai_find("01");
    assert_non_null(e);
    assert_true(e->fixed);
    assert_string_equal(e->dlpkey, "22,10,21|235");
    assert_string_equal(yima_gs1_ai_find("00")->dlpkey, "");
    assert_null(yima_gs1_ai_find("21")->dlpkey);
    assert_false(yima_gs1_ai_find("21")->fixed);
    assert_non_null(yima_gs1_ai_find("3105")); /* ranges expanded */
    assert_null(yima_gs1_ai_find("3106"));
    assert_null(yima_gs1_ai_find("01234"));
    assert_string_equal(yima_gs1_ai_prefix("8030AAAA", 8)->ai, "8030");
    assert_string_equal(yima_gs1_ai_prefix("92xyz", 5)->ai, "92");
    assert_null(yima_gs1_ai_prefix("2", 1));
    assert_null(yima_gs1_ai_prefix("23AB", 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_digit_gs1_examples),
        cmocka_unit_test(test_gtin_8_12_13_padded_to_14),
        cmocka_unit_test(test_gtin_bad_check_digit_names_expected_digit),
        cmocka_unit_test(test_dates_refuse_270230_allow_day_zero_only_when_asked),
        cmocka_unit_test(test_expiry_date_errors_name_the_ai),
        cmocka_unit_test(test_every_form_parses_to_the_same_elements),
        cmocka_unit_test(test_symbology_ids_other_than_gs1_refused),
        cmocka_unit_test(test_length_and_charset_errors_name_the_ai),
        cmocka_unit_test(test_check_digit_errors_name_the_ai_and_digit),
        cmocka_unit_test(test_dictionary_linters),
        cmocka_unit_test(test_pair_rules),
        cmocka_unit_test(test_add_duplicates_and_capacity),
        cmocka_unit_test(test_format_hri_raw_canonical_known_answers),
        cmocka_unit_test(test_format_canonical_sscc_and_no_primary_key),
        cmocka_unit_test(test_format_too_small_returns_zero),
        cmocka_unit_test(test_formatted_forms_parse_back),
        cmocka_unit_test(test_looks_like),
        cmocka_unit_test(test_prefixes_parse_safely),
        cmocka_unit_test(test_ai_table_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
