/* SPDX-License-Identifier: MIT */
/*
 * GS1 Digital Link URIs (yima_gs1_dl_parse, yima_gs1_dl_format) and EPC URIs
 * (yima_gs1_epc_uri, yima_epc_sgln_valid), against the examples the standards
 * publish. Sources, cited per row:
 *   [DL]  GS1 Digital Link Standard: URI Syntax, release 1.2 (Jan 2021), its
 *         worked examples (GTIN 09520123456788, SSCC 952012345678912345, GLN
 *         9520123456788); the same list is kept as "Examples from DL
 *         specification" in GS1's syntax engine (gs1/gs1-syntax-engine,
 *         src/c-lib/dl.c), which we used to check our reading.
 *   [DICT] GS1 Barcode Syntax Dictionary, its dlpkey attribute documentation
 *         (01: dlpkey=22,10,21|235; "don't mix" the alternatives).
 *   [TDS] GS1 EPC Tag Data Standard: section 6.3 (EPC URI syntax and its
 *         examples urn:epc:id:sscc:0614141.1234567890 and
 *         urn:epc:id:sgln:0614141.12345.400), section 7 (GS1 key <-> EPC:
 *         (01)80614141123458(21)6789AB -> urn:epc:id:sgtin:0614141.812345.6789AB,
 *         (00)106141411234567897 -> urn:epc:id:sscc:0614141.1123456789) and
 *         table A-1 (the 7 characters of set 82 written %-escaped).
 *   [I8]  yima's issue 8: GTIN 09506000134352, SSCC 106141411234567897.
 */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "yima/gs1.h"

/* g as "ai=value;..." in element order, to compare without yima_gs1_format. */
static const char *elements(const yima_gs1 *g, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < g->count; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s=%s;", g->el[i].ai, g->el[i].value);
    return buf;
}

typedef struct dl_ok {
    const char *src, *uri, *want;
} dl_ok;

static const dl_ok accepted[] = {
    {"DL", "https://id.gs1.org/01/09520123456788", "01=09520123456788;"},
    {"DL GTIN-13 padded", "https://brand.example.com/01/9520123456788", "01=09520123456788;"},
    {"DL path prefix", "https://brand.example.com/some-extra/pathinfo/01/9520123456788",
     "01=09520123456788;"},
    {"DL", "https://id.gs1.org/01/09520123456788/22/2A", "01=09520123456788;22=2A;"},
    {"DL", "https://id.gs1.org/01/09520123456788/10/ABC123", "01=09520123456788;10=ABC123;"},
    {"DL", "https://id.gs1.org/01/09520123456788/21/12345", "01=09520123456788;21=12345;"},
    {"DL", "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426",
     "01=09520123456788;10=ABC1;21=12345;17=180426;"},
    {"DL", "https://id.gs1.org/01/09520123456788?3103=000195", "01=09520123456788;3103=000195;"},
    {"DL", "https://example.com/01/09520123456788?3103=000195&3922=0299&17=201225",
     "01=09520123456788;3103=000195;3922=0299;17=201225;"},
    {"DL", "https://id.gs1.org/00/952012345678912345", "00=952012345678912345;"},
    {"DL", "https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123",
     "00=952012345678912345;02=09520123456788;37=25;10=ABC123;"},
    {"DL", "https://id.gs1.org/414/9520123456788", "414=9520123456788;"},
    {"DL", "https://id.gs1.org/414/9520123456788/254/32a%2Fb", "414=9520123456788;254=32a/b;"},
    {"DL 235 chosen, 10 may be a query", "https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123",
     "01=09520123456788;235=XYZ;10=ABC123;"},
    {"DICT 22,10,21 with 10 left out", "https://a.example/01/09520123456788/22/2A/21/X",
     "01=09520123456788;22=2A;21=X;"},
    {"I8", "https://id.example.com/01/09506000134352/10/L1/21/Y2A?17=271231",
     "01=09506000134352;10=L1;21=Y2A;17=271231;"},
    {"I8", "https://id.gs1.org/00/106141411234567897", "00=106141411234567897;"},
    {"I8 http, upper-case scheme and host", "HTTP://ID.EXAMPLE.COM/01/09506000134352",
     "01=09506000134352;"},
    {"DL non-AI query parameters ignored",
     "https://id.gs1.org/01/09506000134352/21/ABC?linkType=gs1:pip&17=271231&flag&=x",
     "01=09506000134352;21=ABC;17=271231;"},
    {"fragment ignored", "https://id.gs1.org/01/09506000134352/21/ABC#x?17=991399",
     "01=09506000134352;21=ABC;"},
    {"GTIN-8 padded", "https://a.example/01/02345673", "01=00000002345673;"},
    {"GTIN-12 padded", "https://a.example/01/416000336108", "01=00416000336108;"},
    {"lower-case percent escape", "https://a.example/01/09506000134352/22/ABC%2d123",
     "01=09506000134352;22=ABC-123;"},
    {"'+' is itself in the path", "https://a.example/01/09506000134352/21/A+B",
     "01=09506000134352;21=A+B;"},
    {"empty and repeated '&'", "https://a.example/01/09506000134352?&&17=271231&&",
     "01=09506000134352;17=271231;"},
    {"last primary key wins", "https://a.example/00/faux/00/106141411234567897",
     "00=106141411234567897;"},
};

static void test_dl_parse_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        yima_gs1 g;
        yima_err err = {0};
        char got[512];
        int rc = yima_gs1_dl_parse(accepted[i].uri, strlen(accepted[i].uri), &g, &err);
        if (rc != YIMA_OK)
            fail_msg("[%s] %s: %s", accepted[i].src, accepted[i].uri, err.msg);
        assert_string_equal(elements(&g, got, sizeof got), accepted[i].want);
    }
}

typedef struct dl_bad {
    const char *src, *uri, *msg; /* msg: part of the message, or NULL */
} dl_bad;

static const dl_bad refused[] = {
    {"I8 serial before lot", "https://id.gs1.org/01/09506000134352/21/ABC/10/L1",
     "Digital Link: /21 comes before /10; the path order is 22, 10, 21"},
    {"DICT 10 before 22", "https://id.gs1.org/01/09506000134352/10/L1/22/V",
     "/10 comes before /22"},
    {"DICT don't mix 22,10,21 and 235", "https://id.gs1.org/01/09506000134352/10/L1/235/T",
     "/10 and /235 do not qualify /01 together; the path order is 22, 10, 21 or 235"},
    {"DICT don't mix, named pair", "https://id.gs1.org/01/09506000134352/22/V/235/T/10/L1",
     "/22 and /235 do not qualify /01 together"},
    {"DICT qualifier twice", "https://id.gs1.org/01/09506000134352/10/L1/10/L1",
     "/10 appears twice in the path"},
    {"AI 17 in the path", "https://id.gs1.org/01/09506000134352/17/271231",
     "/17 is not a key qualifier of /01; the path order is 22, 10, 21 or 235"},
    {"qualifier of a key that takes none", "https://id.gs1.org/00/106141411234567897/10/L1",
     "/10 is not a key qualifier of /00, which takes none"},
    {"21 is not a primary key", "https://id.gs1.org/21/ABC", "no primary key"},
    {"10/21 without a key", "https://id.gs1.org/10/L1/21/ABC", "no primary key"},
    {"no AI at all", "https://example.com/products/rice", "no primary key"},
    {"unknown AI before the key's value", "https://example.com/89/ABC", "no primary key"},
    {"DL qualifier in the query", "https://example.com/01/09520123456788?10=ABC123",
     "AI (10) qualifies /01 and belongs in the path"},
    {"serial in the query", "https://example.com/01/09506000134352?21=ABC",
     "AI (21) is not permitted as a query attribute"},
    {"numeric non-AI query parameter", "https://a.example/01/09506000134352?999=x",
     "query parameter 999 is not a GS1 Application Identifier"},
    {"AI twice", "https://a.example/01/09506000134352/10/L1?99=A&99=A", "AI (99) appears twice"},
    {"trailing slash", "https://a.example/01/09506000134352/", "the path ends with '/'"},
    {"empty value", "https://a.example/01//09506000134352", "no primary key"},
    {"empty query value", "https://a.example/01/09506000134352?17=", "AI (17) has an empty value"},
    {"bad escape", "https://a.example/01/09506000134352/21/A%zz", "not followed by two hex digits"},
    {"short escape", "https://a.example/01/09506000134352/21/A%2",
     "not followed by two hex digits"},
    {"escaped NUL", "https://a.example/01/09506000134352/21/A%00B", "%00"},
    {"space in URI", "https://a.example/01/09506000134352/21/A B", "cannot appear in a URI"},
    {"ftp", "ftp://a.example/01/09506000134352", "does not start with https:// or http://"},
    {"no host", "https:///01/09506000134352", "no host"},
    {"no path", "https://a.example", "no host"},
    {"query before path", "https://a.example?01=09506000134352", "no host"},
    {"GTIN check digit", "https://id.gs1.org/01/09506000134353", NULL},
    {"GTIN-13 check digit", "https://id.gs1.org/01/9506000134353", NULL},
    {"lot too long", "https://id.gs1.org/01/09506000134352/10/123456789012345678901", NULL},
    {"'+' is a space in the query", "https://id.gs1.org/01/09506000134352/21/A?99=A+B", NULL},
    {"8030 needs 01 with 21 (pairs)", "https://id.gs1.org/01/09506000134352?8030=AAAA", NULL},
};

static void test_dl_parse_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        yima_gs1 g;
        yima_err err = {0};
        int rc = yima_gs1_dl_parse(refused[i].uri, strlen(refused[i].uri), &g, &err);
        if (rc != YIMA_E_DATA)
            fail_msg("[%s] %s: accepted (%d)", refused[i].src, refused[i].uri, rc);
        if (refused[i].msg && !strstr(err.msg, refused[i].msg))
            fail_msg("[%s] %s: message '%s' lacks '%s'", refused[i].src, refused[i].uri, err.msg,
                     refused[i].msg);
    }
}

/* The length given is the URI: bytes after it are never read. */
static void test_dl_parse_length_bound(void **state)
{
    (void)state;
    const char text[] = "https://a.example/01/09506000134352/21/ABC/10/L1";
    yima_gs1 g;
    yima_err err = {0};
    size_t n = strlen("https://a.example/01/09506000134352/21/ABC");
    assert_int_equal(yima_gs1_dl_parse(text, n, &g, &err), YIMA_OK);
    assert_int_equal(g.count, 2);
    assert_int_equal(yima_gs1_dl_parse(text, 3, &g, &err), YIMA_E_DATA);
    assert_int_equal(yima_gs1_dl_parse(text, 0, &g, &err), YIMA_E_DATA);
}

static void add(yima_gs1 *g, const char *ai, const char *value)
{
    yima_err err = {0};
    if (yima_gs1_add(g, ai, value, strlen(value), &err) != YIMA_OK)
        fail_msg("(%s)%s: %s", ai, value, err.msg);
}

static void check_format(const yima_gs1 *g, const char *base, const char *want)
{
    char out[YIMA_GS1_TEXT_MAX];
    size_t n = yima_gs1_dl_format(g, base, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

/* The pharma carton: elements in label order come out in path order,
 * the data attributes by AI number. */
static void test_dl_format_order(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_gs1_init(&g);
    add(&g, "01", "09506000134352");
    add(&g, "17", "271231");
    add(&g, "21", "Y2A");
    add(&g, "10", "L1");
    check_format(&g, "https://id.example.com/",
                 "https://id.example.com/01/09506000134352/10/L1/21/Y2A?17=271231");
    check_format(&g, "https://id.example.com/p",
                 "https://id.example.com/p/01/09506000134352/10/L1/21/Y2A?17=271231");
    check_format(&g, NULL, "https://id.gs1.org/01/09506000134352/10/L1/21/Y2A?17=271231");
    add(&g, "92", "AAAAAAAAAAAA");
    add(&g, "22", "V-1");
    check_format(&g, "https://id.example.com",
                 "https://id.example.com/01/09506000134352/22/V-1/10/L1/21/Y2A?17=271231&92="
                 "AAAAAAAAAAAA");
}

static void test_dl_format_sscc_and_sig(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_gs1_init(&g);
    add(&g, "00", "106141411234567897");
    check_format(&g, "https://id.gs1.org", "https://id.gs1.org/00/106141411234567897");
    char sig[91];
    memset(sig, 'A', 90);
    sig[90] = '\0';
    sig[5] = '-';
    sig[6] = '_';
    add(&g, "8030", sig);
    char want[256];
    snprintf(want, sizeof want, "https://id.gs1.org/00/106141411234567897?8030=%s", sig);
    check_format(&g, "https://id.gs1.org", want);
}

/* Everything outside RFC 3986's unreserved set is %-encoded. */
static void test_dl_format_escapes(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_gs1_init(&g);
    add(&g, "01", "09506000134352");
    add(&g, "21", "A/B%C+D?E&F=G.H_I-J");
    add(&g, "99", "a=b&c+d");
    check_format(
        &g, "https://x.example",
        "https://x.example/01/09506000134352/21/A%2FB%25C%2BD%3FE%26F%3DG.H_I-J?99=a%3Db%26c%2Bd");
    /* and back again, '+' included (a bare '+' in a query would be a space) */
    char uri[YIMA_GS1_TEXT_MAX];
    yima_gs1 back;
    yima_err err = {0};
    size_t n = yima_gs1_dl_format(&g, "https://x.example", uri, sizeof uri);
    assert_int_equal(yima_gs1_dl_parse(uri, n, &back, &err), YIMA_OK);
    assert_string_equal(yima_gs1_get(&back, "21"), "A/B%C+D?E&F=G.H_I-J");
    assert_string_equal(yima_gs1_get(&back, "99"), "a=b&c+d");
}

/* [DICT] 01's second path, 235, when the data has a TPX; the lot then is a query. */
static void test_dl_format_alternative(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_gs1_init(&g);
    add(&g, "01", "09520123456788");
    add(&g, "10", "ABC123");
    add(&g, "235", "XYZ");
    check_format(&g, "https://id.gs1.org",
                 "https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123");
}

static void test_dl_format_refuses(void **state)
{
    (void)state;
    yima_gs1 g;
    char out[64];
    yima_gs1_init(&g);
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, sizeof out), 0);
    add(&g, "17", "271231");
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, sizeof out), 0); /* no key */
    yima_gs1_init(&g);
    add(&g, "01", "09506000134352");
    add(&g, "21", "ABC");
    const char *want = "https://a/01/09506000134352/21/ABC";
    size_t len = strlen(want);
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, len), 0); /* no room for NUL */
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, len + 1), len);
    assert_string_equal(out, want);
    assert_int_equal(yima_gs1_dl_format(NULL, "https://a", out, sizeof out), 0);
    g.count = YIMA_GS1_MAX_ELEMENTS + 1; /* a hand-made struct out of range */
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, sizeof out), 0);
    g.count = 2;
    memcpy(g.el[1].ai, "01", 3); /* the same AI twice */
    assert_int_equal(yima_gs1_dl_format(&g, "https://a", out, sizeof out), 0);
}

/* Format then parse gives the same elements for the forms yima makes. */
static void test_dl_round_trip(void **state)
{
    (void)state;
    yima_gs1 g, back;
    char uri[YIMA_GS1_TEXT_MAX], b[512];
    yima_err err = {0};
    yima_gs1_init(&g);
    add(&g, "01", "09506000134352");
    add(&g, "10", "L(1)/2");
    add(&g, "21", "Y2A\"x'");
    add(&g, "17", "271231");
    add(&g, "92", "AAAABBBBCCCC");
    size_t n = yima_gs1_dl_format(&g, "https://id.example.com", uri, sizeof uri);
    assert_true(n > 0);
    assert_int_equal(yima_gs1_dl_parse(uri, n, &back, &err), YIMA_OK);
    assert_string_equal(elements(&back, b, sizeof b),
                        "01=09506000134352;10=L(1)/2;21=Y2A\"x';17=271231;92=AAAABBBBCCCC;");
}

/* ---- EPC URIs ---- */

static void check_epc(const char *gtin_or_sscc, const char *serial, int gcp, const char *want)
{
    yima_gs1 g;
    yima_err err = {0};
    char out[128];
    yima_gs1_init(&g);
    add(&g, serial ? "01" : "00", gtin_or_sscc);
    if (serial)
        add(&g, "21", serial);
    size_t n = yima_gs1_epc_uri(&g, gcp, out, sizeof out, &err);
    if (n == 0)
        fail_msg("%s/%s gcp %d: %s", gtin_or_sscc, serial ? serial : "-", gcp, err.msg);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_epc_sgtin(void **state)
{
    (void)state;
    check_epc("80614141123458", "6789AB", 7, "urn:epc:id:sgtin:0614141.812345.6789AB"); /* TDS 7 */
    check_epc("10614141123459", "400", 7, "urn:epc:id:sgtin:0614141.112345.400"); /* TDS 6.3 */
    check_epc("09506000134352", "Y2A", 7, "urn:epc:id:sgtin:9506000.013435.Y2A"); /* I8 */
    check_epc("80614141123458", "1", 12, "urn:epc:id:sgtin:061414112345.8.1");    /* 12-digit */
    check_epc("80614141123458", "1", 6, "urn:epc:id:sgtin:061414.8112345.1");     /* 6-digit */
    /* TDS table A-1: " % & / < > ? escaped, the rest of set 82 as is */
    check_epc("80614141123458", "a\"%&/<>?b", 7,
              "urn:epc:id:sgtin:0614141.812345.a%22%25%26%2F%3C%3E%3Fb");
    check_epc("80614141123458", "!'()*+,-.:;=_", 7,
              "urn:epc:id:sgtin:0614141.812345.!'()*+,-.:;=_");
}

static void test_epc_sscc(void **state)
{
    (void)state;
    check_epc("106141411234567897", NULL, 7, "urn:epc:id:sscc:0614141.1123456789"); /* TDS 7, I8 */
    check_epc("006141412345678901", NULL, 7, "urn:epc:id:sscc:0614141.0234567890");
    check_epc("106141411234567897", NULL, 12, "urn:epc:id:sscc:061414112345.16789");
    check_epc("106141411234567897", NULL, 6, "urn:epc:id:sscc:061414.11123456789");
}

static void test_epc_refuses(void **state)
{
    (void)state;
    yima_gs1 g;
    yima_err err = {0};
    char out[128];
    yima_gs1_init(&g);
    add(&g, "01", "80614141123458");
    assert_int_equal(yima_gs1_epc_uri(&g, 7, out, sizeof out, &err), 0); /* no serial */
    assert_int_equal(err.code, YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "AI (01) and (21)"));
    add(&g, "21", "6789AB");
    assert_int_equal(yima_gs1_epc_uri(&g, 5, out, sizeof out, &err), 0);
    assert_non_null(strstr(err.msg, "company prefix length 5"));
    assert_int_equal(yima_gs1_epc_uri(&g, 13, out, sizeof out, &err), 0);
    assert_int_equal(yima_gs1_epc_uri(&g, 7, out, 38, &err), 0); /* 38 + NUL needed */
    assert_int_equal(err.code, YIMA_E_USAGE);
    assert_int_equal(yima_gs1_epc_uri(&g, 7, out, 39, &err), 38);
    memcpy(g.el[0].value, "80614141123459", 15); /* hand-made: bad check digit */
    assert_int_equal(yima_gs1_epc_uri(&g, 7, out, sizeof out, &err), 0);
    assert_non_null(strstr(err.msg, "check digit"));
    memcpy(g.el[0].value, "80614141123458", 15);
    memcpy(g.el[1].value, "A B", 4); /* hand-made: space is not in set 82 */
    assert_int_equal(yima_gs1_epc_uri(&g, 7, out, sizeof out, &err), 0);
    assert_int_equal(yima_gs1_epc_uri(NULL, 7, out, sizeof out, &err), 0);
}

static void test_epc_sgln(void **state)
{
    (void)state;
    static const char *good[] = {
        "urn:epc:id:sgln:0614141.12345.400",  /* TDS 6.3 */
        "urn:epc:id:sgln:0614141.12345.0",    /* no extension */
        "urn:epc:id:sgln:0614141.12345.5678", /* TDS 7: (414)0614141123452(254)5678 */
        "urn:epc:id:sgln:061414112345..0",    /* 12-digit prefix, empty location ref */
        "urn:epc:id:sgln:061414.123456.a%2Fb%25",
        "urn:epc:id:sgln:0614141.12345.12345678901234567890",
        "urn:epc:id:sgln:0614141.12345.x.y",
    };
    static const char *bad[] = {
        "urn:epc:id:sgln:0614141.123456.0", /* 13 digits */
        "urn:epc:id:sgln:0614141.1234.0",   /* 11 digits */
        "urn:epc:id:sgln:06141.1234567.0",  /* prefix of 5 */
        "urn:epc:id:sgln:0614141234567.0",  /* one part */
        "urn:epc:id:sgln:0614141.12345.",   /* empty extension */
        "urn:epc:id:sgln:0614141.12345",
        "urn:epc:id:sgln:0614141.12345.a b",
        "urn:epc:id:sgln:0614141.12345.a/b", /* '/' must be escaped */
        "urn:epc:id:sgln:0614141.12345.a%zz",
        "urn:epc:id:sgln:0614141.12345.a%2",
        "urn:epc:id:sgln:0614141.12345.a%20", /* an escaped space is still not set 82 */
        "urn:epc:id:sgln:0614141.12345.123456789012345678901",
        "urn:epc:id:sgtin:0614141.12345.400",
        "URN:EPC:ID:SGLN:0614141.12345.400",
        "urn:epc:id:sgln:061414a.12345.400",
        "",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!yima_epc_sgln_valid(good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (yima_epc_sgln_valid(bad[i]))
            fail_msg("accepted %s", bad[i]);
    assert_false(yima_epc_sgln_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dl_parse_accepts),
        cmocka_unit_test(test_dl_parse_refuses),
        cmocka_unit_test(test_dl_parse_length_bound),
        cmocka_unit_test(test_dl_format_order),
        cmocka_unit_test(test_dl_format_sscc_and_sig),
        cmocka_unit_test(test_dl_format_escapes),
        cmocka_unit_test(test_dl_format_alternative),
        cmocka_unit_test(test_dl_format_refuses),
        cmocka_unit_test(test_dl_round_trip),
        cmocka_unit_test(test_epc_sgtin),
        cmocka_unit_test(test_epc_sscc),
        cmocka_unit_test(test_epc_refuses),
        cmocka_unit_test(test_epc_sgln),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
