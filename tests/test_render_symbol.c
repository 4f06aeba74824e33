/* SPDX-License-Identifier: MIT */
/*
 * Symbols (render_symbol.c, render_qr.c, render_dmtx.c): QR, Micro QR and
 * DataMatrix square and rectangular, their run sizes, refusals, names and
 * rotation. Symbols are written as PGM images and read back by independent
 * decoders: zbarimg (QR), dmtxread (DataMatrix, GS1 with -G 29) and, for
 * Micro QR, which zbar 0.23 cannot read, ZXingReader (zxing-cpp-tools;
 * without it that test fails); Micro QR is also checked against its
 * structure (finder, separator, timing, size).
 *
 * Capacities are checked against ISO/IEC 18004 (table 7) and ISO/IEC 16022
 * (table 7) as literals, not against the libraries that compute them.
 *
 * Standalone (before the library builds): compile with
 * -DYR_SYMBOL_TEST_STUBS, which supplies the option helper of another file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <dmtx.h>
#include "render/render_internal.h"

#ifdef YR_SYMBOL_TEST_STUBS
int yr_zpl_check(const yima_render_options *opt, yima_err *err)
{
    (void)opt;
    (void)err;
    return YIMA_OK;
}
#endif

#define CODE_NONE "07GEAACE3T5M6GJ2HQW"         /* gen -a none: 19 base32 */
#define CODE_MAC "07KESQK97CRV9PREYWJVZTDHGX5"  /* gen -a mac: 27 base32 */
#define URL "https://id.example.com/07PESQK97CRV9PREYW0XSYN8S2ACCDH385VY7HV1088MA6FM0PF"
#define GS1_HRI "(01)09506000134352(10)A1B2C3(17)271231(21)07WEVDTJPFFAEHW5T7Q"
/* RAW form: fixed-length elements first, GS after a variable one */
#define GS1_RAW "0109506000134352" "17271231" "10A1B2C3\x1d" "2107WEVDTJPFFAEHW5T7Q"
#define GS1_SHORT_HRI "(01)09506000134352(21)ABC123"
#define GS1_SHORT_RAW "0109506000134352" "21ABC123"

static char tmpdir[] = "/tmp/yima-symbol-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    if (getenv("YIMA_KEEP_TMP"))
        return 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) ? -1 : 0;
}

/* ---- helpers ------------------------------------------------------------ */

static yima_render_options options(yima_symbology sym, yima_ecc ecc)
{
    yima_render_options opt;
    yima_render_options_init(&opt);
    opt.symbol = sym;
    opt.ecc = ecc;
    return opt;
}

static yr_payload *payload(const char *s)
{
    static yr_payload p;
    yima_err err = {0};
    assert_int_equal(yr_payload_prepare(s, strlen(s), &p, "test", 1, &err), YIMA_OK);
    return &p;
}

/* A payload of n copies of c (c = 0: digits 0..9 cycling). */
static yr_payload *filled(char c, size_t n)
{
    static char buf[8192];
    assert_true(n < sizeof buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = c ? c : (char)('0' + i % 10);
    buf[n] = 0;
    return payload(buf);
}

static int mod(const yr_symbol *s, int x, int y)
{
    return s->mod[(size_t)y * (size_t)s->w + (size_t)x] & 1;
}

/* sym as an 8-bit PGM, scale pixels a module, quiet zone of margin modules. */
static const char *write_pgm(const yr_symbol *sym, int margin, int scale, const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.pgm", tmpdir, name);
    int w = (sym->w + 2 * margin) * scale, h = (sym->h + 2 * margin) * scale;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P5\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int mx = x / scale - margin, my = y / scale - margin;
            int dark = mx >= 0 && my >= 0 && mx < sym->w && my < sym->h && mod(sym, mx, my);
            fputc(dark ? 0 : 255, f);
        }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A command's whole stdout (a trailing newline dropped); -1 if it failed. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    if (n && out[n - 1] == '\n')
        out[n - 1] = 0;
    return pclose(p) ? -1 : 0;
}

static int have(const char *tool)
{
    char cmd[128], out[256];
    snprintf(cmd, sizeof cmd, "command -v %s", tool);
    return run(cmd, out, sizeof out) == 0;
}

static void zbar_reads(const yr_symbol *sym, const char *want)
{
    char cmd[512], got[4096];
    const char *path = write_pgm(sym, 4, 3, "qr");
    snprintf(cmd, sizeof cmd, "zbarimg -q --raw -Sdisable -Sqrcode.enable '%s' 2>/dev/null",
             path);
    assert_int_equal(run(cmd, got, sizeof got), 0);
    assert_string_equal(got, want);
}

/* dmtxread's text; gs1: FNC1 shown as GS (-G 29), as scanners send it. */
static void dmtx_reads(const yr_symbol *sym, int gs1, const char *want)
{
    char cmd[512], got[4096];
    const char *path = write_pgm(sym, 2, 3, "dm");
    snprintf(cmd, sizeof cmd, "dmtxread -n -N1 %s '%s' 2>/dev/null", gs1 ? "-G 29" : "", path);
    assert_int_equal(run(cmd, got, sizeof got), 0);
    assert_string_equal(got, want);
}

static void zxing_reads_mqr(const yr_symbol *sym, const char *want)
{
    char cmd[512], got[256];
    const char *path = write_pgm(sym, 2, 4, "mqr");
    snprintf(cmd, sizeof cmd, "ZXingReader -format MicroQRCode -bytes '%s' 2>/dev/null", path);
    assert_int_equal(run(cmd, got, sizeof got), 0);
    assert_string_equal(got, want);
}

static void encode(const yima_render_options *opt, const yr_payload *p, int size,
                   yr_symbol *sym)
{
    assert_int_equal(yr_encode(NULL, opt, p, size, sym), YIMA_OK);
}

/* ---- the module matrix -------------------------------------------------- */

static void test_symbol_reset_reuses(void **state)
{
    yr_symbol s = {0};
    (void)state;
    assert_int_equal(yr_symbol_reset(&s, 21, 21), YIMA_OK);
    memset(s.mod, 1, 21 * 21);
    unsigned char *mem = s.mod;
    assert_int_equal(yr_symbol_reset(&s, 18, 8), YIMA_OK);
    assert_ptr_equal(s.mod, mem); /* smaller: the same memory */
    assert_int_equal(s.cap, 21 * 21);
    assert_int_equal(s.w, 18);
    assert_int_equal(s.h, 8);
    for (int i = 0; i < 18 * 8; i++)
        assert_int_equal(s.mod[i], 0);
    assert_int_equal(yr_symbol_reset(&s, 0, 5), YIMA_E_DATA);
    yr_symbol_free(&s);
    assert_null(s.mod);
    assert_int_equal(s.cap, 0);
}

/* A 3 x 2 symbol with every module different, turned by hand. */
static void test_rotate_moves_modules(void **state)
{
    yr_symbol a = {0}, b = {0}, c = {0};
    (void)state;
    assert_int_equal(yr_symbol_reset(&a, 3, 2), YIMA_OK);
    for (int i = 0; i < 6; i++)
        a.mod[i] = (unsigned char)(i + 1); /* row 0: 1 2 3, row 1: 4 5 6 */
    a.size = 7;
    static const unsigned char want90[] = {4, 1, 5, 2, 6, 3};  /* 2 wide, 3 high */
    static const unsigned char want180[] = {6, 5, 4, 3, 2, 1};
    static const unsigned char want270[] = {3, 6, 2, 5, 1, 4};
    assert_int_equal(yr_symbol_rotate(&a, 90, &b), YIMA_OK);
    assert_int_equal(b.w, 2);
    assert_int_equal(b.h, 3);
    assert_int_equal(b.size, 7);
    assert_memory_equal(b.mod, want90, 6);
    assert_int_equal(yr_symbol_rotate(&a, 180, &b), YIMA_OK);
    assert_int_equal(b.w, 3);
    assert_memory_equal(b.mod, want180, 6);
    assert_int_equal(yr_symbol_rotate(&a, 270, &b), YIMA_OK);
    assert_int_equal(b.w, 2);
    assert_memory_equal(b.mod, want270, 6);
    assert_int_equal(yr_symbol_rotate(&a, 0, &b), YIMA_OK);
    assert_memory_equal(b.mod, a.mod, 6);
    assert_int_equal(yr_symbol_rotate(&a, 45, &b), YIMA_E_USAGE);
    /* 90 then 270, and 180 twice, give the symbol back. */
    assert_int_equal(yr_symbol_rotate(&a, 90, &b), YIMA_OK);
    assert_int_equal(yr_symbol_rotate(&b, 270, &c), YIMA_OK);
    assert_int_equal(c.w, 3);
    assert_memory_equal(c.mod, a.mod, 6);
    assert_int_equal(yr_symbol_rotate(&a, 180, &b), YIMA_OK);
    assert_int_equal(yr_symbol_rotate(&b, 180, &c), YIMA_OK);
    assert_memory_equal(c.mod, a.mod, 6);
    yr_symbol_free(&a);
    yr_symbol_free(&b);
    yr_symbol_free(&c);
}

/* ---- QR ------------------------------------------------------------------ */

static void test_qr_decodes_at_every_level(void **state)
{
    static const char *const payloads[] = {CODE_MAC, URL,
                                           "0073704695737680636295350544174863596364",
                                           "\xE4\xBA\xA7\xE5\x93\x81 LOT 7"}; /* 产品 */
    yr_symbol sym = {0};
    (void)state;
    for (int ecc = YIMA_ECC_L; ecc <= YIMA_ECC_H; ecc++)
        for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
            yima_render_options opt = options(YIMA_SYM_QR, (yima_ecc)ecc);
            yr_payload *p = payload(payloads[i]);
            int size = yr_run_size(&opt, p);
            assert_true(size >= 1 && size <= 40);
            encode(&opt, p, size, &sym);
            assert_int_equal(sym.size, size);
            assert_int_equal(sym.w, 17 + 4 * size);
            assert_int_equal(sym.h, sym.w);
            zbar_reads(&sym, payloads[i]);
        }
    yr_symbol_free(&sym);
}

/* ISO/IEC 18004 table 7: digits, alphanumerics, bytes. */
static const struct {
    int version;
    yima_ecc ecc;
    int digits, alnum, bytes;
} qr_caps[] = {
    {1, YIMA_ECC_L, 41, 25, 17},      {1, YIMA_ECC_M, 34, 20, 14},
    {1, YIMA_ECC_Q, 27, 16, 11},      {1, YIMA_ECC_H, 17, 10, 7},
    {5, YIMA_ECC_M, 202, 122, 84},    {10, YIMA_ECC_Q, 364, 221, 151},
    {40, YIMA_ECC_L, 7089, 4296, 2953}, {40, YIMA_ECC_H, 3057, 1852, 1273},
};

/* The run size is the smallest version: a payload as long as a version
 * holds gets it, one more character the next. */
static void test_qr_run_size_is_smallest(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof qr_caps / sizeof *qr_caps; i++) {
        yima_render_options opt = options(YIMA_SYM_QR, qr_caps[i].ecc);
        int v = qr_caps[i].version, next = v < 40 ? v + 1 : 0;
        assert_int_equal(yr_run_size(&opt, filled(0, (size_t)qr_caps[i].digits)), v);
        assert_int_equal(yr_run_size(&opt, filled(0, (size_t)qr_caps[i].digits + 1)), next);
        assert_int_equal(yr_run_size(&opt, filled('K', (size_t)qr_caps[i].alnum)), v);
        assert_int_equal(yr_run_size(&opt, filled('K', (size_t)qr_caps[i].alnum + 1)), next);
        assert_int_equal(yr_run_size(&opt, filled('k', (size_t)qr_caps[i].bytes)), v);
        assert_int_equal(yr_run_size(&opt, filled('k', (size_t)qr_caps[i].bytes + 1)), next);
    }
}

/* A version asked for is kept exactly: libqrencode would grow it. */
static void test_qr_exact_version(void **state)
{
    yima_render_options opt = options(YIMA_SYM_QR, YIMA_ECC_M);
    yr_symbol sym = {0};
    char why[200];
    (void)state;
    opt.version = 7;
    assert_int_equal(yr_run_size(&opt, payload(CODE_MAC)), 7);
    encode(&opt, payload(CODE_MAC), 7, &sym);
    assert_int_equal(sym.w, 45);
    zbar_reads(&sym, CODE_MAC);
    opt.version = 1;
    assert_int_equal(yr_run_size(&opt, payload(URL)), 0);
    assert_int_equal(yr_encode(NULL, &opt, payload(URL), 1, &sym), YIMA_E_DATA);
    assert_string_equal(yr_too_long(&opt, strlen(URL), why, sizeof why),
                        "payload of 74 bytes is too long for QR version 1-M (it holds at most "
                        "34 digits, 20 upper-case alphanumerics or 14 bytes)");
    opt.version = 0;
    assert_string_equal(yr_too_long(&opt, 3000, why, sizeof why),
                        "payload of 3000 bytes is too long for QR (version 40-M holds at most "
                        "5596 digits, 3391 upper-case alphanumerics or 2331 bytes)");
    assert_int_equal(yr_run_size(&opt, payload(GS1_HRI)), 0); /* no FNC1 in QR */
    assert_int_equal(yima_render_fit_version(CODE_MAC, strlen(CODE_MAC), YIMA_ECC_M), 2);
    yr_symbol_free(&sym);
}

/* ---- Micro QR -------------------------------------------------------------- */

/* ISO/IEC 18004 table 7 for M1..M4 (M1 numeric only, M2 no bytes). */
static const struct {
    int version;
    yima_ecc ecc;
    int digits, alnum, bytes;
} mqr_caps[] = {
    {1, YIMA_ECC_L, 5, 0, 0},    {2, YIMA_ECC_L, 10, 6, 0},  {2, YIMA_ECC_M, 8, 5, 0},
    {3, YIMA_ECC_L, 23, 14, 9},  {3, YIMA_ECC_M, 18, 11, 7}, {4, YIMA_ECC_L, 35, 21, 15},
    {4, YIMA_ECC_M, 30, 18, 13}, {4, YIMA_ECC_Q, 21, 13, 9},
};

/* The smallest version at the level that holds n characters of fill. */
static int mqr_expected(yima_ecc ecc, int cls, int n)
{
    for (size_t i = 0; i < sizeof mqr_caps / sizeof *mqr_caps; i++) {
        int cap = cls == 0 ? mqr_caps[i].digits : cls == 1 ? mqr_caps[i].alnum : mqr_caps[i].bytes;
        if (mqr_caps[i].ecc == ecc && n <= cap)
            return mqr_caps[i].version;
    }
    return 0;
}

static void test_mqr_run_size_is_smallest(void **state)
{
    static const char fill[] = {0, 'K', 'k'};
    (void)state;
    for (int ecc = YIMA_ECC_L; ecc <= YIMA_ECC_Q; ecc++) {
        yima_render_options opt = options(YIMA_SYM_MICROQR, (yima_ecc)ecc);
        for (int cls = 0; cls < 3; cls++)
            for (int n = 1; n <= 36; n++)
                assert_int_equal(yr_run_size(&opt, filled(fill[cls], (size_t)n)),
                                 mqr_expected((yima_ecc)ecc, cls, n));
    }
    yima_render_options h = options(YIMA_SYM_MICROQR, YIMA_ECC_H);
    assert_int_equal(yr_run_size(&h, payload("1")), 0);
}

/* libqrencode's structure (ISO/IEC 18004 6.3): 11, 13, 15 or 17 modules,
 * one finder pattern at the top-left only, its separator, and timing
 * patterns along the top row and left column. */
static void check_mqr_structure(const yr_symbol *s, int version)
{
    assert_int_equal(s->w, 9 + 2 * version);
    assert_int_equal(s->h, s->w);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 7; x++) {
            int ring = x == 0 || y == 0 || x == 6 || y == 6;
            int core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            assert_int_equal(mod(s, x, y), ring || core);
        }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(mod(s, 7, i), 0); /* separator */
        assert_int_equal(mod(s, i, 7), 0);
    }
    for (int i = 8; i < s->w; i++) {
        assert_int_equal(mod(s, i, 0), !(i & 1));
        assert_int_equal(mod(s, 0, i), !(i & 1));
    }
    /* No second finder: the top-right and bottom-left corners are data. */
    int ring = 1;
    for (int i = 0; i < 7; i++)
        ring &= mod(s, s->w - 1, i) & mod(s, s->w - 7, i);
    assert_false(ring);
}

static void test_mqr_structure(void **state)
{
    static const char *const payloads[] = {"12345", "K7Q2X", "07GEAACE3T", CODE_NONE};
    yima_render_options opt = options(YIMA_SYM_MICROQR, YIMA_ECC_L);
    yr_symbol sym = {0};
    (void)state;
    for (int v = 1; v <= 4; v++) {
        yr_payload *p = payload(payloads[v - 1]);
        assert_int_equal(yr_run_size(&opt, p), v);
        encode(&opt, p, v, &sym);
        assert_int_equal(sym.size, v);
        check_mqr_structure(&sym, v);
        assert_int_equal(yr_encode(NULL, &opt, payload(CODE_MAC), v, &sym), YIMA_E_DATA);
    }
    yr_symbol_free(&sym);
}

static void test_mqr_decodes(void **state)
{
    static const struct {
        yima_ecc ecc;
        const char *payload;
        int version;
    } rows[] = {
        {YIMA_ECC_L, "12345", 1},        {YIMA_ECC_L, "K7Q2X", 2},
        {YIMA_ECC_M, "1234567", 2},      {YIMA_ECC_L, "07GEAACE3T", 3},
        {YIMA_ECC_M, "lot-7", 3},        {YIMA_ECC_L, CODE_NONE, 4},
        {YIMA_ECC_M, "K7Q2X8", 3},       {YIMA_ECC_Q, "12345", 4},
        {YIMA_ECC_L, "https://x.cn/7", 4},
    };
    yr_symbol sym = {0}, turned = {0};
    (void)state;
    if (!have("ZXingReader")) /* .ci/install installs zxing-cpp-tools: never skipped */
        fail_msg("ZXingReader (Debian zxing-cpp-tools) is needed to decode Micro QR");
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        yima_render_options opt = options(YIMA_SYM_MICROQR, rows[i].ecc);
        yr_payload *p = payload(rows[i].payload);
        assert_int_equal(yr_run_size(&opt, p), rows[i].version);
        encode(&opt, p, rows[i].version, &sym);
        zxing_reads_mqr(&sym, rows[i].payload);
        assert_int_equal(yr_symbol_rotate(&sym, 90, &turned), YIMA_OK);
        zxing_reads_mqr(&turned, rows[i].payload);
    }
    yr_symbol_free(&sym);
    yr_symbol_free(&turned);
}

static void test_mqr_refusals(void **state)
{
    yima_render_options opt = options(YIMA_SYM_MICROQR, YIMA_ECC_L);
    char why[200];
    yima_err err = {0};
    (void)state;
    assert_int_equal(yr_run_size(&opt, filled('k', 40)), 0);
    assert_string_equal(yr_too_long(&opt, 40, why, sizeof why),
                        "payload of 40 bytes is too long for Micro QR (M4-L holds at most 35 "
                        "digits, 21 upper-case alphanumerics or 15 bytes)");
    opt.ecc = YIMA_ECC_M;
    assert_int_equal(yr_run_size(&opt, payload(CODE_NONE)), 0); /* 19 > 18 at M */
    assert_string_equal(yr_too_long(&opt, 19, why, sizeof why),
                        "payload of 19 bytes is too long for Micro QR (M4-M holds at most 30 "
                        "digits, 18 upper-case alphanumerics or 13 bytes)");
    opt.ecc = YIMA_ECC_H;
    assert_string_equal(yr_too_long(&opt, 5, why, sizeof why),
                        "Micro QR has no error correction level H");
    opt.ecc = YIMA_ECC_L;
    yr_payload *p = payload(GS1_HRI);
    assert_true(p->gs1);
    assert_int_equal(yr_check_symbol(&opt, p, "in.csv", 3, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "in.csv:3: "));
    assert_non_null(strstr(err.msg, "Micro QR"));
    assert_int_equal(yr_run_size(&opt, p), 0);
}

/* ---- DataMatrix ---------------------------------------------------------- */

/* ISO/IEC 16022 table 7: rows, columns, data codewords of size 1..30. */
static const int dm_sizes[30][3] = {
    {10, 10, 3},     {12, 12, 5},     {14, 14, 8},     {16, 16, 12},    {18, 18, 18},
    {20, 20, 22},    {22, 22, 30},    {24, 24, 36},    {26, 26, 44},    {32, 32, 62},
    {36, 36, 86},    {40, 40, 114},   {44, 44, 144},   {48, 48, 174},   {52, 52, 204},
    {64, 64, 280},   {72, 72, 368},   {80, 80, 456},   {88, 88, 576},   {96, 96, 696},
    {104, 104, 816}, {120, 120, 1050}, {132, 132, 1304}, {144, 144, 1558}, {8, 18, 5},
    {8, 32, 10},     {12, 26, 16},    {12, 36, 22},    {16, 36, 32},    {16, 48, 49},
};

static void test_dmtx_geometry(void **state)
{
    (void)state;
    for (int s = 1; s <= 30; s++) {
        assert_int_equal(yr_dmtx_rows(s), dm_sizes[s - 1][0]);
        assert_int_equal(yr_dmtx_cols(s), dm_sizes[s - 1][1]);
    }
}

/* Worst case: a codeword a byte; the smallest size of the shape holding it. */
static void test_dmtx_run_size_is_smallest(void **state)
{
    (void)state;
    for (int shape = YIMA_DM_SQUARE; shape <= YIMA_DM_RECT; shape++) {
        yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
        int first = shape ? 25 : 1, last = shape ? 30 : 24;
        opt.dm_shape = (yima_dm_shape)shape;
        for (int s = first; s <= last; s++) {
            size_t words = (size_t)dm_sizes[s - 1][2];
            assert_int_equal(yr_run_size(&opt, filled(0, words)), s);
            assert_int_equal(yr_run_size(&opt, filled(0, words + 1)), s < last ? s + 1 : 0);
        }
    }
    /* A byte above 127 takes two codewords, GS1's FNC1 one. */
    yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    assert_int_equal(yr_run_size(&opt, payload("\xC3\xA9\xC3\xA9")), 3); /* 8 words: 14x14 */
    size_t gs1_words = strlen(GS1_RAW) + 1;
    int s = 1;
    while (dm_sizes[s - 1][2] < (int)gs1_words)
        s++;
    assert_int_equal(yr_run_size(&opt, payload(GS1_HRI)), s);
}

/* Every size of both shapes, filled to the worst case, decodes with
 * dmtxread, at its size and with its dimensions. */
static void test_dmtx_every_size_decodes(void **state)
{
    yr_encoder *enc;
    yr_symbol sym = {0};
    (void)state;
    for (int shape = YIMA_DM_SQUARE; shape <= YIMA_DM_RECT; shape++) {
        yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
        opt.dm_shape = (yima_dm_shape)shape;
        assert_int_equal(yr_encoder_create(&opt, &enc), YIMA_OK);
        for (int s = shape ? 25 : 1; s <= (shape ? 30 : 24); s++) {
            yr_payload *p = filled(s & 1 ? 0 : 'Q', (size_t)dm_sizes[s - 1][2]);
            int size = yr_run_size(&opt, p);
            assert_int_equal(size, s);
            assert_int_equal(yr_encode(enc, &opt, p, size, &sym), YIMA_OK);
            assert_int_equal(sym.size, s);
            assert_int_equal(sym.h, dm_sizes[s - 1][0]);
            assert_int_equal(sym.w, dm_sizes[s - 1][1]);
            if (s <= 12 || s >= 22) /* the middle sizes only cost time */
                dmtx_reads(&sym, 0, p->data);
        }
        yr_encoder_free(enc);
    }
    yr_symbol_free(&sym);
}

/* The modules laid from libdmtx's mapping matrix equal the image libdmtx
 * paints itself, for every size of both shapes. */
static void test_dmtx_modules_match_libdmtx(void **state)
{
    yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    yr_symbol sym = {0};
    (void)state;
    for (int s = 1; s <= 30; s++) {
        yr_payload *p = filled(0, (size_t)dm_sizes[s - 1][2] / 2 + 1);
        opt.dm_shape = s > 24 ? YIMA_DM_RECT : YIMA_DM_SQUARE;
        encode(&opt, p, s, &sym);
        DmtxEncode *enc = dmtxEncodeCreate();
        assert_non_null(enc);
        dmtxEncodeSetProp(enc, DmtxPropPixelPacking, DmtxPack8bppK);
        dmtxEncodeSetProp(enc, DmtxPropModuleSize, 1);
        dmtxEncodeSetProp(enc, DmtxPropMarginSize, 0);
        dmtxEncodeSetProp(enc, DmtxPropSizeRequest, s - 1);
        assert_int_equal(dmtxEncodeDataMatrix(enc, (int)p->len, (unsigned char *)p->data),
                         DmtxPass);
        int w = dmtxImageGetProp(enc->image, DmtxPropWidth);
        int h = dmtxImageGetProp(enc->image, DmtxPropHeight);
        int row = dmtxImageGetProp(enc->image, DmtxPropRowSizeBytes);
        assert_int_equal(w, sym.w);
        assert_int_equal(h, sym.h);
        /* libdmtx's image: rows top down, 0 dark. */
        int diff = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int dark = enc->image->pxl[(size_t)y * (size_t)row + (size_t)x] == 0;
                diff += mod(&sym, x, y) != dark;
            }
        if (diff)
            fprintf(stderr, "size %d: %d modules differ\n", s, diff);
        assert_int_equal(diff, 0);
        dmtxEncodeDestroy(&enc);
    }
    yr_symbol_free(&sym);
}

/* GS1 element strings as GS1 DataMatrix (FNC1 first): square and rectangular. */
static void test_dmtx_gs1_decodes(void **state)
{
    static const struct {
        const char *hri, *raw;
        yima_dm_shape shape;
    } rows[] = {
        {GS1_HRI, GS1_RAW, YIMA_DM_SQUARE},
        {GS1_SHORT_HRI, GS1_SHORT_RAW, YIMA_DM_SQUARE},
        {GS1_SHORT_HRI, GS1_SHORT_RAW, YIMA_DM_RECT},
    };
    yr_symbol sym = {0};
    char want[128];
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
        opt.dm_shape = rows[i].shape;
        yr_payload *p = payload(rows[i].hri);
        assert_true(p->gs1);
        assert_string_equal(p->data, rows[i].raw);
        assert_int_equal(yr_check_symbol(&opt, p, "x", 1, &(yima_err){0}), YIMA_OK);
        int size = yr_run_size(&opt, p);
        assert_int_not_equal(size, 0);
        encode(&opt, p, size, &sym);
        assert_int_equal(sym.w, yr_dmtx_cols(size));
        snprintf(want, sizeof want, "\x1d%s", rows[i].raw);
        dmtx_reads(&sym, 1, want);
    }
    yr_symbol_free(&sym);
}

/* Rotated symbols still decode: QR with zbar, DataMatrix with dmtxread. */
static void test_rotated_symbols_decode(void **state)
{
    yr_symbol sym = {0}, turned = {0};
    yima_render_options qr = options(YIMA_SYM_QR, YIMA_ECC_Q);
    yima_render_options dm = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    (void)state;
    dm.dm_shape = YIMA_DM_RECT;
    for (int deg = 90; deg <= 270; deg += 90) {
        encode(&qr, payload(CODE_MAC), yr_run_size(&qr, payload(CODE_MAC)), &sym);
        assert_int_equal(yr_symbol_rotate(&sym, deg, &turned), YIMA_OK);
        assert_memory_not_equal(turned.mod, sym.mod, (size_t)sym.w * (size_t)sym.h);
        zbar_reads(&turned, CODE_MAC);
        encode(&dm, payload(CODE_MAC), yr_run_size(&dm, payload(CODE_MAC)), &sym);
        assert_int_equal(yr_symbol_rotate(&sym, deg, &turned), YIMA_OK);
        assert_int_equal(turned.w, deg == 180 ? sym.w : sym.h);
        dmtx_reads(&turned, 0, CODE_MAC);
    }
    yr_symbol_free(&sym);
    yr_symbol_free(&turned);
}

static void test_dmtx_refusals(void **state)
{
    yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    yr_symbol sym = {0};
    char why[200];
    (void)state;
    opt.dm_shape = YIMA_DM_RECT;
    assert_int_equal(yr_run_size(&opt, filled(0, 50)), 0);
    assert_string_equal(yr_too_long(&opt, 50, why, sizeof why),
                        "payload of 50 bytes is too long for rectangular DataMatrix (16x48 holds "
                        "at most 49 bytes, a byte above 127 counting twice)");
    /* An exact size is kept: a payload too long for it is refused. */
    assert_int_equal(yr_encode(NULL, &opt, filled('Q', 6), 25, &sym), YIMA_E_DATA);
    opt.dm_shape = YIMA_DM_SQUARE;
    assert_int_equal(yr_run_size(&opt, filled('Q', 1559)), 0);
    assert_string_equal(yr_too_long(&opt, 1559, why, sizeof why),
                        "payload of 1559 bytes is too long for DataMatrix (144x144 holds at most "
                        "1558 bytes, a byte above 127 counting twice)");
    yr_symbol_free(&sym);
}

/* One encoder and one symbol for a run: each payload gets its own symbol,
 * the same as a fresh encoder makes, whatever came before. */
static void test_encoder_reuse(void **state)
{
    static const char *const payloads[] = {CODE_MAC, URL, "7", GS1_HRI, CODE_NONE};
    yima_render_options opt = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    yr_encoder *enc;
    yr_symbol kept = {0}, fresh = {0};
    (void)state;
    assert_int_equal(yr_encoder_create(&opt, &enc), YIMA_OK);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
            opt.dm_shape = (yima_dm_shape)((i + (size_t)round) & 1);
            yr_payload *p = payload(payloads[i]);
            int size = yr_run_size(&opt, p);
            if (!size)
                continue;
            assert_int_equal(yr_encode(enc, &opt, p, size, &kept), YIMA_OK);
            encode(&opt, p, size, &fresh);
            assert_int_equal(kept.w, fresh.w);
            assert_int_equal(kept.h, fresh.h);
            assert_memory_equal(kept.mod, fresh.mod, (size_t)kept.w * (size_t)kept.h);
        }
    assert_true(kept.cap >= 26 * 26);
    yr_encoder_free(enc);
    yr_encoder_free(NULL);
    /* An encoder made for QR takes a DataMatrix too. */
    yima_render_options qr = options(YIMA_SYM_QR, YIMA_ECC_M);
    assert_int_equal(yr_encoder_create(&qr, &enc), YIMA_OK);
    assert_int_equal(yr_encode(enc, &opt, payload(CODE_MAC), 0, &kept), YIMA_OK);
    dmtx_reads(&kept, 0, CODE_MAC);
    yr_encoder_free(enc);
    yr_symbol_free(&kept);
    yr_symbol_free(&fresh);
}

/* ---- names ------------------------------------------------------------- */

static void test_size_names(void **state)
{
    char buf[64];
    yima_render_options qr = options(YIMA_SYM_QR, YIMA_ECC_M);
    yima_render_options mqr = options(YIMA_SYM_MICROQR, YIMA_ECC_L);
    yima_render_options dm = options(YIMA_SYM_DATAMATRIX, YIMA_ECC_M);
    (void)state;
    assert_string_equal(yr_size_name(&qr, 5, buf, sizeof buf), "QR version 5-M");
    assert_string_equal(yr_size_name(&mqr, 3, buf, sizeof buf), "Micro QR M3-L");
    assert_string_equal(yr_size_name(&mqr, 1, buf, sizeof buf), "Micro QR M1");
    assert_string_equal(yr_size_name(&dm, 7, buf, sizeof buf), "DataMatrix 22x22");
    assert_string_equal(yr_size_name(&dm, 30, buf, sizeof buf), "DataMatrix 16x48");
    assert_string_equal(yr_size_name(&dm, 25, buf, sizeof buf), "DataMatrix 8x18");
}

static void test_option_names(void **state)
{
    static const char *const anchors[] = {"center",      "top-left", "top",
                                          "top-right",   "left",     "right",
                                          "bottom-left", "bottom",   "bottom-right"};
    (void)state;
    assert_int_equal(yima_symbology_parse("microqr"), YIMA_SYM_MICROQR);
    assert_int_equal(yima_symbology_parse("DataMatrix"), YIMA_SYM_DATAMATRIX);
    assert_int_equal(yima_symbology_parse("qr"), YIMA_SYM_QR);
    assert_int_equal(yima_symbology_parse("aztec"), -1);
    assert_string_equal(yima_symbology_name(YIMA_SYM_MICROQR), "microqr");
    assert_string_equal(yima_symbology_name(YIMA_SYM_DATAMATRIX), "datamatrix");
    assert_int_equal(yima_dm_shape_parse("square"), YIMA_DM_SQUARE);
    assert_int_equal(yima_dm_shape_parse("rect"), YIMA_DM_RECT);
    assert_int_equal(yima_dm_shape_parse("rectangular"), YIMA_DM_RECT);
    assert_int_equal(yima_dm_shape_parse("round"), -1);
    assert_int_equal(yima_dm_shape_parse(NULL), -1);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(yima_anchor_parse(anchors[i]), i);
        assert_string_equal(yima_anchor_name((yima_anchor)i), anchors[i]);
    }
    assert_int_equal(yima_anchor_parse("middle"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbol_reset_reuses),
        cmocka_unit_test(test_rotate_moves_modules),
        cmocka_unit_test(test_qr_decodes_at_every_level),
        cmocka_unit_test(test_qr_run_size_is_smallest),
        cmocka_unit_test(test_qr_exact_version),
        cmocka_unit_test(test_mqr_run_size_is_smallest),
        cmocka_unit_test(test_mqr_structure),
        cmocka_unit_test(test_mqr_decodes),
        cmocka_unit_test(test_mqr_refusals),
        cmocka_unit_test(test_dmtx_geometry),
        cmocka_unit_test(test_dmtx_run_size_is_smallest),
        cmocka_unit_test(test_dmtx_every_size_decodes),
        cmocka_unit_test(test_dmtx_modules_match_libdmtx),
        cmocka_unit_test(test_dmtx_gs1_decodes),
        cmocka_unit_test(test_rotated_symbols_decode),
        cmocka_unit_test(test_dmtx_refusals),
        cmocka_unit_test(test_encoder_reuse),
        cmocka_unit_test(test_size_names),
        cmocka_unit_test(test_option_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
