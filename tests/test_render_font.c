/* SPDX-License-Identifier: MIT */
/*
 * The text engine (render_font.c) and the drawers on it (render_raster.c,
 * render_svg.c): fontconfig lookup, glyph checks, measuring and wrapping,
 * outlines as path operators, 1-bit glyphs; read back by independent tools:
 * tesseract (eng, chi_sim) for the text, zbarimg for the symbols,
 * rsvg-convert for SVG.
 *
 * Standalone (before the library builds): compile with -DYR_FONT_TEST_STUBS,
 * which supplies the three option and page helpers of other files.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <png.h>
#include <pthread.h>
#include <qrencode.h>
#include "render/render_internal.h"

#define URL "HTTPS://V.EXAMPLE.CN/GV3EZR9SCY98MGTDYBK47K7W4XB"
#define LOT "LOT A1234 EXP 2027-05-31"
#define CHINESE "\xE4\xBA\xA7\xE5\x93\x81\xE6\x89\xB9\xE5\x8F\xB7" /* 产品批号 */
#define MIXED "\xE4\xBA\xA7\xE5\x93\x81 LOT 123"                  /* 产品 LOT 123 */

/* Fontconfig 2.14 leaks a block while it parses its configuration (inside
 * libfontconfig, once a process); not ours to free. Weak, so a shared
 * definition (testutil) takes over. */
const char *__lsan_default_suppressions(void);
__attribute__((weak)) const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

#ifdef YR_FONT_TEST_STUBS
int yr_physical_dpi(const yima_render_options *opt)
{
    return opt->dpi > 0 ? opt->dpi : 300;
}

void yr_page_geometry(const yima_render_options *opt, yr_page_geom *g)
{
    memset(g, 0, sizeof *g);
    g->media_w = opt->sheet->page_w;
    g->media_h = opt->sheet->page_h;
}

void yr_label_origin(const yima_render_options *opt, unsigned k, double *x, double *y)
{
    const yima_sheet *s = opt->sheet;
    *x = s->left + (k % s->cols) * s->pitch_x;
    *y = s->top + (k / s->cols) * s->pitch_y;
}
#endif

static yr_font *font;
static char tmpdir[] = "/tmp/yima-font-XXXXXX";

static int setup(void **state)
{
    yima_err err = {0};
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    return yr_font_open(NULL, &font, &err);
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    yr_font_free(font);
    if (getenv("YIMA_KEEP_TMP"))
        return 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) ? -1 : 0;
}

/* ---- helpers ------------------------------------------------------------ */

static const char *tmp_path(const char *name)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ & 3];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const yima_buf *b)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    assert_int_equal(fclose(f), 0);
}

/* A command's stdout with runs of white space made one space, trimmed. */
static void run_words(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    int c, space = 0;
    assert_non_null(p);
    while ((c = fgetc(p)) != EOF && n + 1 < cap) {
        if (isspace(c)) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = 0;
        out[n++] = (char)c;
    }
    out[n] = 0;
    pclose(p);
}

static void strip_spaces(char *s)
{
    char *d = s;
    for (; *s; s++)
        if (*s != ' ')
            *d++ = *s;
    *d = 0;
}

/* A QR symbol made by libqrencode directly, independent of render_qr.c. */
static void qr_symbol(const char *payload, yr_symbol *s)
{
    QRcode *qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    memset(s, 0, sizeof *s);
    s->w = s->h = qr->width;
    s->size = qr->version;
    s->cap = (size_t)qr->width * (size_t)qr->width;
    s->mod = malloc(s->cap);
    assert_non_null(s->mod);
    for (size_t i = 0; i < s->cap; i++)
        s->mod[i] = qr->data[i] & 1;
    QRcode_free(qr);
}

/* A lone image's plan made by hand: the symbol with its quiet zone, centred
 * over one text line (the image widened for the text if need be). */
static void lone_plan(const yima_render_options *opt, const yr_symbol *sym, const char *text,
                      double pt, yr_plan *p)
{
    double m = opt->scale * 25.4 / (opt->dpi > 0 ? opt->dpi : 300), qz = opt->margin * m;
    memset(p, 0, sizeof *p);
    p->module = m;
    p->w = sym->w * m + 2 * qz;
    p->h = sym->h * m + 2 * qz;
    if (text) {
        double asc, desc, pitch, w = yr_font_width(font, text, strlen(text), pt);
        yr_font_metrics(font, pt, &asc, &desc, &pitch);
        if (w + 2 * m > p->w)
            p->w = w + 2 * m;
        p->lines[0] = (yr_textline){text, strlen(text), pt, (p->w - w) / 2, p->h + asc, w};
        p->nlines = 1;
        p->h += pitch + m;
    }
    p->sym_x = (p->w - sym->w * m) / 2;
    p->sym_y = qz;
}

static void options(yima_render_options *opt, int dpi, int scale, yima_imgfmt fmt)
{
    memset(opt, 0, sizeof *opt);
    opt->scale = scale;
    opt->margin = 4;
    opt->dpi = dpi;
    opt->format = fmt;
}

static int px(const yr_bitmap *bm, int x, int y)
{
    return (bm->px[(size_t)y * bm->stride + (size_t)(x >> 3)] >> (7 - (x & 7))) & 1;
}

/* The dark pixels' count and bounding box. */
static long ink(const yr_bitmap *bm, int *x0, int *y0, int *x1, int *y1)
{
    long n = 0;
    *x0 = *y0 = INT32_MAX;
    *x1 = *y1 = -1;
    for (int y = 0; y < bm->h; y++)
        for (int x = 0; x < bm->w; x++)
            if (px(bm, x, y)) {
                n++;
                *x0 = x < *x0 ? x : *x0;
                *x1 = x > *x1 ? x : *x1;
                *y0 = y < *y0 ? y : *y0;
                *y1 = y > *y1 ? y : *y1;
            }
    return n;
}

/* ---- opening and checking ------------------------------------------------ */

static void test_open(void **state)
{
    yima_err err = {0};
    yr_font *f = NULL;
    (void)state;
    assert_string_equal(yr_font_family(font), YIMA_RENDER_FONT);
    /* Any of the family's names, in any case. */
    assert_int_equal(yr_font_open("wenquanyi MICRO hei", &f, &err), YIMA_OK);
    assert_string_equal(yr_font_family(f), "WenQuanYi Micro Hei");
    yr_font_free(f);
    assert_int_equal(yr_font_open("\xE6\x96\x87\xE6\xB3\x89\xE9\xA9\xBF\xE5\xBE\xAE\xE7\xB1\xB3\xE9\xBB\x91",
                                  &f, &err), YIMA_OK);
    yr_font_free(f);
    yr_font_free(NULL);
}

static void test_wrong_family(void **state)
{
    static const char *const bad[] = {"No Such Family 42", "WenQuanYi Micro", ""};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        yima_err err = {0};
        yr_font *f = (yr_font *)&err; /* must come back NULL */
        char want[96];
        assert_int_equal(yr_font_open(bad[i], &f, &err), YIMA_E_USAGE);
        assert_null(f);
        snprintf(want, sizeof want, "font '%s' not found", bad[i]);
        assert_non_null(strstr(err.msg, want));
    }
}

static void test_missing_glyph(void **state)
{
    static const struct {
        const char *s, *want;
    } rows[] = {
        {"LOT \xF0\x9F\x98\x80", "no glyph for U+1F600 '\xF0\x9F\x98\x80' in font 'WenQuanYi Micro Hei'"},
        {"\xEE\x80\x80", "no glyph for U+E000"},
        {"A\tB", "no glyph for U+0009 in font 'WenQuanYi Micro Hei'"},
    };
    yima_err err = {0};
    yima_buf b = {0};
    yr_bitmap bm = {0};
    yr_xform id = {1, 1, 0, 0};
    (void)state;
    assert_int_equal(yr_font_check(font, MIXED, strlen(MIXED), &err), YIMA_OK);
    assert_int_equal(yr_bitmap_reset(&bm, 64, 64), YIMA_OK);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        size_t len = strlen(rows[i].s);
        assert_int_equal(yr_font_check(font, rows[i].s, len, &err), YIMA_E_DATA);
        assert_non_null(strstr(err.msg, rows[i].want));
        /* The drawers refuse it too, never a box. */
        assert_int_equal(yr_font_path(font, rows[i].s, len, 8, 0, 0, &id, YR_PATH_PDF, &b), YIMA_E_DATA);
        assert_int_equal(yr_font_raster(font, rows[i].s, len, 8, 300, 0, 40, &bm), YIMA_E_DATA);
    }
    yima_buf_free(&b);
    yr_bitmap_free(&bm);
}

static void test_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong, 3 bytes */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xF4\x90\x80\x80", /* beyond U+10FFFF */
        "\xE4\xBA",         /* cut short */
        "A\x80",            /* stray continuation */
        "\xFF",
    };
    yima_err err = {0};
    yima_buf b = {0};
    yr_xform id = {1, 1, 0, 0};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(yr_font_check(font, bad[i], strlen(bad[i]), &err), YIMA_E_DATA);
        assert_non_null(strstr(err.msg, "invalid UTF-8"));
        assert_int_equal(yr_font_path(font, bad[i], strlen(bad[i]), 8, 0, 0, &id, YR_PATH_SVG, &b),
                         YIMA_E_DATA);
    }
    /* The largest and the 4-byte forms are fine where the font has them. */
    assert_int_equal(yr_font_check(font, "\xC2\xA9", 2, &err), YIMA_OK);
    yima_buf_free(&b);
}

/* ---- measuring and wrapping ----------------------------------------------- */

static void test_width(void **state)
{
    double asc, desc, pitch, w6 = yr_font_width(font, LOT, strlen(LOT), 6);
    (void)state;
    assert_true(w6 > 10 && w6 < 40);
    /* Linear in the size, exactly: font units times pt. */
    assert_true(fabs(yr_font_width(font, LOT, strlen(LOT), 12) - 2 * w6) < 1e-9);
    assert_true(fabs(yr_font_width(font, LOT, strlen(LOT), 9) - 1.5 * w6) < 1e-9);
    /* A CJK character is one em: 10 pt = 3.528 mm. */
    assert_true(fabs(yr_font_width(font, CHINESE, strlen(CHINESE), 10) - 4 * 10 * YR_MM_PER_PT) < 1e-6);
    assert_true(yr_font_width(font, "", 0, 10) == 0);
    yr_font_metrics(font, 10, &asc, &desc, &pitch);
    assert_true(asc > 2 && desc > 0.3 && pitch >= asc + desc);
    double asc2, desc2, pitch2;
    yr_font_metrics(font, 20, &asc2, &desc2, &pitch2);
    assert_true(fabs(asc2 - 2 * asc) < 1e-9 && fabs(pitch2 - 2 * pitch) < 1e-9);
}

static void test_wrap_long_word(void **state)
{
    size_t start[16], len[16];
    const double max = 15, pt = 8;
    const char *url = URL;
    (void)state;
    int n = yr_font_wrap(font, URL, strlen(URL), pt, max, start, len, 16);
    assert_true(n >= 3 && n <= 16);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(start[i], at); /* no space, so nothing dropped */
        assert_true(yr_font_width(font, url + start[i], len[i], pt) <= max + 1e-9);
        /* Each line but the last is as long as it can be. */
        if (i + 1 < n)
            assert_true(yr_font_width(font, url + start[i], len[i] + 1, pt) > max);
        at += len[i];
    }
    assert_int_equal(at, strlen(URL));
    /* Between characters, never inside one. */
    n = yr_font_wrap(font, CHINESE, strlen(CHINESE), 10, 7.5, start, len, 16);
    assert_int_equal(n, 2);
    assert_int_equal(len[0], 6);
    assert_int_equal(start[1], 6);
    /* A line narrower than one character still takes one. */
    n = yr_font_wrap(font, "AB", 2, 10, 0.01, start, len, 16);
    assert_int_equal(n, 2);
    assert_int_equal(len[0], 1);
}

static void test_wrap_spaces(void **state)
{
    size_t start[8], len[8];
    const char *s = "AAA BBB   CCC ";
    double pt = 10, two = yr_font_width(font, "AAA BBB", 7, pt);
    (void)state;
    int n = yr_font_wrap(font, s, strlen(s), pt, two, start, len, 8);
    assert_int_equal(n, 2);
    assert_int_equal(start[0], 0);
    assert_int_equal(len[0], 7);
    assert_int_equal(start[1], 10); /* the spaces at the break are dropped */
    assert_int_equal(len[1], 3);    /* and so are the trailing ones */
    n = yr_font_wrap(font, s, strlen(s), pt, two - 0.01, start, len, 8);
    assert_int_equal(n, 3);
    assert_int_equal(len[0], 3);
    assert_int_equal(start[1], 4);
    /* Everything on one line when it fits; nothing for nothing. */
    assert_int_equal(yr_font_wrap(font, LOT, strlen(LOT), 6, 100, start, len, 8), 1);
    assert_int_equal(len[0], strlen(LOT));
    assert_int_equal(yr_font_wrap(font, "   ", 3, 6, 100, start, len, 8), 0);
    /* More lines than the arrays hold: more than max_lines comes back. */
    assert_true(yr_font_wrap(font, URL, strlen(URL), 12, 5, start, len, 4) > 4);
}

/* ---- outlines --------------------------------------------------------------- */

typedef struct box {
    double x0, y0, x1, y1;
    int ops;
} box;

/* Checks a PDF path: numbers with at most 3 decimals and no trailing zero,
 * each operator after as many numbers as it takes; the points' box. */
static void pdf_path_box(const yima_buf *b, box *bx)
{
    char *s = strndup((const char *)b->data, b->len), *save, *tok;
    double nums[6];
    int n = 0;
    *bx = (box){1e9, 1e9, -1e9, -1e9, 0};
    assert_non_null(s);
    for (tok = strtok_r(s, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        if (strlen(tok) == 1 && strchr("mlch", tok[0])) {
            int want = tok[0] == 'c' ? 6 : tok[0] == 'h' ? 0 : 2;
            assert_int_equal(n, want);
            for (int k = 0; k < n; k += 2) {
                bx->x0 = fmin(bx->x0, nums[k]);
                bx->x1 = fmax(bx->x1, nums[k]);
                bx->y0 = fmin(bx->y0, nums[k + 1]);
                bx->y1 = fmax(bx->y1, nums[k + 1]);
            }
            n = 0;
            bx->ops++;
            continue;
        }
        char *dot = strchr(tok, '.'), *end;
        assert_true(n < 6);
        nums[n++] = strtod(tok, &end);
        assert_true(*end == 0);
        if (dot)
            assert_true(strlen(dot + 1) >= 1 && strlen(dot + 1) <= 3 && end[-1] != '0');
    }
    assert_int_equal(n, 0);
    free(s);
}

static void test_path_pdf(void **state)
{
    yima_buf a = {0}, b = {0};
    yr_xform id = {1, 1, 0, 0}, xf = {2, -3, 10, 200};
    box ba, bb;
    double pt = 10, asc, desc, pitch, w = yr_font_width(font, MIXED, strlen(MIXED), pt);
    (void)state;
    yr_font_metrics(font, pt, &asc, &desc, &pitch);
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), pt, 5, 20, &id, YR_PATH_PDF, &a), YIMA_OK);
    assert_true(a.len > 200);
    pdf_path_box(&a, &ba);
    assert_true(ba.ops > 20);
    /* Inside the advance box: x from the pen, y around the baseline (y down). */
    assert_true(ba.x0 >= 5 && ba.x0 < 5.5 && ba.x1 <= 5 + w && ba.x1 > 5 + w - 1);
    assert_true(ba.y0 >= 20 - asc && ba.y0 < 20 - asc / 2 && ba.y1 <= 20 + desc);
    /* Deterministic; the cached outlines give the same bytes. */
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), pt, 5, 20, &id, YR_PATH_PDF, &b), YIMA_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* Mapped through the transform (y flipped here, as PDF does). */
    b.len = 0;
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), pt, 5, 20, &xf, YR_PATH_PDF, &b), YIMA_OK);
    pdf_path_box(&b, &bb);
    assert_int_equal(ba.ops, bb.ops);
    assert_true(fabs(bb.x0 - (2 * ba.x0 + 10)) < 0.002 && fabs(bb.x1 - (2 * ba.x1 + 10)) < 0.002);
    assert_true(fabs(bb.y1 - (-3 * ba.y0 + 200)) < 0.004 && fabs(bb.y0 - (-3 * ba.y1 + 200)) < 0.004);
    /* A space has no outline; empty text no path. */
    b.len = 0;
    assert_int_equal(yr_font_path(font, "  ", 2, pt, 0, 0, &id, YR_PATH_PDF, &b), YIMA_OK);
    assert_int_equal(yr_font_path(font, "", 0, pt, 0, 0, &id, YR_PATH_PDF, &b), YIMA_OK);
    assert_int_equal(b.len, 0);
    yima_buf_free(&a);
    yima_buf_free(&b);
}

static void test_path_svg(void **state)
{
    yima_buf a = {0}, b = {0};
    yr_xform id = {1, 1, 0, 0};
    int m = 0, z = 0;
    (void)state;
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), 8, 1, 10, &id, YR_PATH_SVG, &a), YIMA_OK);
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), 8, 1, 10, &id, YR_PATH_SVG, &b), YIMA_OK);
    assert_true(a.len > 200 && a.data[0] == 'M' && a.data[a.len - 1] == 'Z');
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    for (size_t i = 0; i < a.len; i++) {
        assert_non_null(memchr("MLCZ0123456789.- ", a.data[i], 17));
        m += a.data[i] == 'M';
        z += a.data[i] == 'Z';
    }
    assert_true(m > 5);
    assert_int_equal(m, z); /* every contour closed */
    yima_buf_free(&a);
    yima_buf_free(&b);
}

/* The area an SVG path of absolute M L C Z encloses (outer contours and
 * holes wound opposite ways, as fonts have them): the shoelace formula
 * over the curves cut into 64 straight pieces each. */
static double svg_area(const yima_buf *b)
{
    char *s = strndup((const char *)b->data, b->len), *p = s;
    double sum = 0, cx = 0, cy = 0, sx = 0, sy = 0;
    assert_non_null(s);
    while (*p) {
        char op = *p++;
        double v[6];
        int n = op == 'C' ? 6 : op == 'Z' ? 0 : 2;
        for (int k = 0; k < n; k++)
            v[k] = strtod(p, &p);
        if (op == 'M') {
            cx = sx = v[0], cy = sy = v[1];
            continue;
        }
        if (op == 'Z')
            v[0] = sx, v[1] = sy, op = 'L';
        double x0 = cx, y0 = cy;
        for (int i = 1; i <= (op == 'C' ? 64 : 1); i++) {
            double t = i / 64.0, u = 1 - t, x = v[0], y = v[1];
            if (op == 'C') {
                x = u * u * u * x0 + 3 * u * u * t * v[0] + 3 * u * t * t * v[2] + t * t * t * v[4];
                y = u * u * u * y0 + 3 * u * u * t * v[1] + 3 * u * t * t * v[3] + t * t * t * v[5];
            }
            sum += cx * y - x * cy;
            cx = x, cy = y;
        }
    }
    free(s);
    return fabs(sum) / 2;
}

/* The outlines enclose what FreeType's own rasteriser fills from the
 * font's quadratics: at 200 pt and 600 dpi the areas agree within 0.5 %
 * (hinting moves edges by a pixel), so every curve is where the font has
 * it. */
static void test_path_area(void **state)
{
    static const char *const texts[] = {"\xE2\x97\x8F", "O", "8", "\xE5\x93\x81"}; /* ●, 品 */
    const double pt = 200, dpi = 600, dot = dpi / 25.4;
    yr_xform to_px = {dot, dot, 0, 0};
    yima_buf path = {0};
    yr_bitmap bm = {0};
    int x0, y0, x1, y1;
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t len = strlen(texts[i]);
        path.len = 0;
        assert_int_equal(yr_font_path(font, texts[i], len, pt, 5, 72, &to_px, YR_PATH_SVG, &path),
                         YIMA_OK);
        assert_int_equal(yr_bitmap_reset(&bm, 2200, 2200), YIMA_OK);
        assert_int_equal(yr_font_raster(font, texts[i], len, pt, (int)dpi, (int)lround(5 * dot),
                                        (int)lround(72 * dot), &bm), YIMA_OK);
        double area = svg_area(&path), pixels = (double)ink(&bm, &x0, &y0, &x1, &y1);
        assert_true(pixels > 20000);
        assert_true(fabs(area - pixels) < 0.005 * pixels);
    }
    yima_buf_free(&path);
    yr_bitmap_free(&bm);
}

/* ---- 1-bit glyphs -------------------------------------------------------------- */

static void test_raster(void **state)
{
    yr_bitmap a = {0}, b = {0};
    yima_buf png = {0};
    yima_err err = {0};
    int x0, y0, x1, y1;
    const int dpi = 300, ox = 20, base = 60;
    double pt = 8, asc, desc, pitch, w = yr_font_width(font, MIXED, strlen(MIXED), pt);
    (void)state;
    yr_font_metrics(font, pt, &asc, &desc, &pitch);
    assert_int_equal(yr_bitmap_reset(&a, 400, 100), YIMA_OK);
    assert_int_equal(yr_font_raster(font, MIXED, strlen(MIXED), pt, dpi, ox, base, &a), YIMA_OK);
    long n = ink(&a, &x0, &y0, &x1, &y1);
    assert_true(n > 300);
    /* As wide as measured, on its baseline. */
    double wd = w * dpi / 25.4, ad = asc * dpi / 25.4, dd = desc * dpi / 25.4;
    assert_true(x0 >= ox && x0 <= ox + 3);
    assert_true(x1 <= ox + wd + 1 && x1 >= ox + wd - 12);
    assert_true(y0 >= base - ad - 1 && y1 <= base + dd + 1 && y1 >= base - 1);
    /* The same pixels again, and clipped at the edges without harm. */
    assert_int_equal(yr_bitmap_reset(&b, 400, 100), YIMA_OK);
    assert_int_equal(yr_font_raster(font, MIXED, strlen(MIXED), pt, dpi, ox, base, &b), YIMA_OK);
    assert_memory_equal(a.px, b.px, a.stride * (size_t)a.h);
    assert_int_equal(yr_font_raster(font, MIXED, strlen(MIXED), 30, dpi, -50, 10, &b), YIMA_OK);
    assert_int_equal(yr_font_raster(font, MIXED, strlen(MIXED), 30, dpi, 350, 120, &b), YIMA_OK);
    /* 1-bit: a PNG of bit depth 1 whose pixels are all black or white. */
    assert_int_equal(yr_png(&a, dpi, &png, &err), YIMA_OK);
    assert_int_equal(png.data[24], 1);
    png_image img = {.version = PNG_IMAGE_VERSION};
    assert_true(png_image_begin_read_from_memory(&img, png.data, png.len));
    img.format = PNG_FORMAT_GRAY;
    unsigned char *g = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(g);
    assert_true(png_image_finish_read(&img, NULL, g, 0, NULL));
    long black = 0;
    for (size_t i = 0; i < PNG_IMAGE_SIZE(img); i++) {
        assert_true(g[i] == 0 || g[i] == 255);
        black += g[i] == 0;
    }
    assert_int_equal(black, n);
    free(g);
    yima_buf_free(&png);
    yr_bitmap_free(&a);
    yr_bitmap_free(&b);
}

/* Renders text alone at pt and 300 dpi into a PNG file with a margin. */
static const char *text_png(const char *name, const char *text, double pt)
{
    yr_bitmap bm = {0};
    yima_buf png = {0};
    yima_err err = {0};
    double asc, desc, pitch, w = yr_font_width(font, text, strlen(text), pt);
    int pad = 60;
    yr_font_metrics(font, pt, &asc, &desc, &pitch);
    assert_int_equal(yr_bitmap_reset(&bm, (int)(w * 300 / 25.4) + 2 * pad,
                                     (int)(pitch * 300 / 25.4) + 2 * pad), YIMA_OK);
    assert_int_equal(yr_font_raster(font, text, strlen(text), pt, 300, pad,
                                    pad + (int)lround(asc * 300 / 25.4), &bm), YIMA_OK);
    assert_int_equal(yr_png(&bm, 300, &png, &err), YIMA_OK);
    const char *path = tmp_path(name);
    write_file(path, &png);
    yima_buf_free(&png);
    yr_bitmap_free(&bm);
    return path;
}

static void test_ocr(void **state)
{
    char cmd[512], got[256];
    (void)state;
    snprintf(cmd, sizeof cmd, "tesseract '%s' stdout --psm 7 -l eng 2>/dev/null",
             text_png("lot.png", LOT, 12));
    run_words(cmd, got, sizeof got);
    assert_string_equal(got, LOT);
    snprintf(cmd, sizeof cmd, "tesseract '%s' stdout --psm 7 -l chi_sim 2>/dev/null",
             text_png("zh.png", CHINESE, 12));
    run_words(cmd, got, sizeof got);
    strip_spaces(got);
    assert_string_equal(got, CHINESE);
}

/* Each thread opens its own font (fontconfig's lookup is locked) and draws
 * the same bytes as the main thread. */
static void *draw_in_thread(void *arg)
{
    yima_buf *out = arg;
    yima_err err = {0};
    yr_font *f;
    yr_xform id = {1, 1, 0, 0};
    if (yr_font_open(NULL, &f, &err))
        return NULL;
    for (int i = 0; i < 50; i++) {
        out->len = 0;
        if (yr_font_path(f, MIXED, strlen(MIXED), 9 + i % 3, 1, 20, &id, YR_PATH_PDF, out))
            break;
    }
    yr_font_free(f);
    return out;
}

static void test_threads(void **state)
{
    pthread_t t[3];
    yima_buf out[3] = {{0}}, want = {0};
    yr_xform id = {1, 1, 0, 0};
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, draw_in_thread, &out[i]), 0);
    assert_int_equal(yr_font_path(font, MIXED, strlen(MIXED), 9 + 49 % 3, 1, 20, &id, YR_PATH_PDF, &want),
                     YIMA_OK);
    for (int i = 0; i < 3; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_ptr_equal(r, &out[i]);
        assert_int_equal(out[i].len, want.len);
        assert_memory_equal(out[i].data, want.data, want.len);
        yima_buf_free(&out[i]);
    }
    yima_buf_free(&want);
}

/* ---- drawers ---------------------------------------------------------------------- */

static void test_draw_label_exact(void **state)
{
    yima_render_options opt;
    yr_symbol sym;
    yr_plan plan;
    yr_bitmap bm = {0};
    (void)state;
    options(&opt, 300, 5, YIMA_IMG_PNG);
    qr_symbol(URL, &sym);
    memset(&plan, 0, sizeof plan);
    plan.module = 5 * 25.4 / 300;
    plan.w = plan.h = 60;
    plan.sym_x = 1.0; /* 11.8 dots: the symbol starts at dot 12 */
    plan.sym_y = 2.0; /* 23.6 dots: 24 */
    assert_int_equal(yr_bitmap_reset(&bm, 800, 800), YIMA_OK);
    assert_int_equal(yr_draw_label(&opt, &plan, &sym, NULL, 300, 7, 3, &bm), YIMA_OK);
    /* The finder's top row: 7 modules of exactly 5 dots, light around. */
    int x = 7 + 12, y = 3 + 24;
    assert_int_equal(px(&bm, x - 1, y), 0);
    assert_int_equal(px(&bm, x, y - 1), 0);
    for (int k = 0; k < 35; k++)
        assert_int_equal(px(&bm, x + k, y), 1);
    assert_int_equal(px(&bm, x + 35, y), 0);
    /* Row 1 of the finder: dark, light x 5 modules, dark. */
    assert_int_equal(px(&bm, x + 4, y + 5), 1);
    assert_int_equal(px(&bm, x + 5, y + 5), 0);
    assert_int_equal(px(&bm, x + 4, y + 4), 1);
    free(sym.mod);
    yr_bitmap_free(&bm);
}

static void zbar_file(const char *path, char *got, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>/dev/null", path);
    run_words(cmd, got, cap);
}

static void test_image_png_pbm(void **state)
{
    yima_render_options opt;
    yr_symbol sym;
    yr_plan plan;
    yr_bitmap bm = {0};
    yima_buf a = {0}, b = {0};
    yima_err err = {0};
    char got[512], cmd[512];
    (void)state;
    options(&opt, 300, 6, YIMA_IMG_PNG);
    qr_symbol(URL, &sym);
    /* Symbol alone: (w + 2 margin) x scale dots, as ever. */
    lone_plan(&opt, &sym, NULL, 0, &plan);
    assert_int_equal(yr_image(&opt, &plan, &sym, NULL, &bm, &a, &err), YIMA_OK);
    assert_int_equal(bm.w, (sym.w + 8) * 6);
    assert_int_equal(bm.h, (sym.w + 8) * 6);
    /* With a line of text under it: decodes, and the line reads back. */
    lone_plan(&opt, &sym, LOT, 12, &plan);
    a.len = 0;
    assert_int_equal(yr_image(&opt, &plan, &sym, font, &bm, &a, &err), YIMA_OK);
    assert_int_equal(bm.w, (int)ceil(plan.w * 300 / 25.4 - 1e-6));
    assert_int_equal(bm.h, (int)ceil(plan.h * 300 / 25.4 - 1e-6));
    write_file(tmp_path("label.png"), &a);
    zbar_file(tmp_path("label.png"), got, sizeof got);
    assert_string_equal(got, URL);
    snprintf(cmd, sizeof cmd, "tesseract '%s' stdout --psm 11 -l eng 2>/dev/null",
             tmp_path("label.png"));
    run_words(cmd, got, sizeof got);
    assert_non_null(strstr(got, LOT));
    /* Deterministic bytes. */
    assert_int_equal(yr_image(&opt, &plan, &sym, font, &bm, &b, &err), YIMA_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* PBM: the same pixels behind a P4 header. */
    opt.format = YIMA_IMG_PBM;
    b.len = 0;
    assert_int_equal(yr_image(&opt, &plan, &sym, font, &bm, &b, &err), YIMA_OK);
    snprintf(cmd, sizeof cmd, "P4\n%d %d\n", bm.w, bm.h);
    assert_memory_equal(b.data, cmd, strlen(cmd));
    assert_int_equal(b.len, strlen(cmd) + bm.stride * (size_t)bm.h);
    free(sym.mod);
    yr_bitmap_free(&bm);
    yima_buf_free(&a);
    yima_buf_free(&b);
}

static void test_svg(void **state)
{
    yima_render_options opt;
    yr_symbol sym, blank = {.w = 1, .h = 1};
    unsigned char none = 0;
    yr_plan plan;
    yima_buf svg = {0};
    yima_err err = {0};
    char got[512], cmd[768];
    (void)state;
    blank.mod = &none;
    options(&opt, 300, 4, YIMA_IMG_SVG);
    qr_symbol(URL, &sym);
    lone_plan(&opt, &sym, LOT, 10, &plan);
    assert_int_equal(yr_svg(&opt, &plan, &sym, font, &svg, &err), YIMA_OK);
    assert_int_equal(svg.data[svg.len - 1], '\n');
    char *s = strndup((const char *)svg.data, svg.len);
    assert_non_null(s);
    assert_null(strstr(s, "<text"));
    assert_non_null(strstr(s, "mm\" height=\""));
    assert_non_null(strstr(s, "fill=\"#fff\""));
    free(s);
    write_file(tmp_path("label.svg"), &svg);
    snprintf(cmd, sizeof cmd, "rsvg-convert -d 300 -p 300 -b white -o '%s' '%s'",
             tmp_path("svg.png"), tmp_path("label.svg"));
    assert_int_equal(system(cmd), 0);
    zbar_file(tmp_path("svg.png"), got, sizeof got);
    assert_string_equal(got, URL);
    /* The outlined text reads back from rsvg's rendering. */
    lone_plan(&opt, &blank, LOT, 12, &plan);
    plan.w += 10, plan.lines[0].x += 5; /* room for the OCR */
    svg.len = 0;
    assert_int_equal(yr_svg(&opt, &plan, &blank, font, &svg, &err), YIMA_OK);
    write_file(tmp_path("text.svg"), &svg);
    snprintf(cmd, sizeof cmd,
             "rsvg-convert -d 300 -p 300 -b white -o '%s' '%s' && "
             "tesseract '%s' stdout --psm 7 -l eng 2>/dev/null",
             tmp_path("text.png"), tmp_path("text.svg"), tmp_path("text.png"));
    run_words(cmd, got, sizeof got);
    assert_string_equal(got, LOT);
    /* Without a dpi: px, a module is scale px. */
    opt.dpi = 0;
    lone_plan(&opt, &sym, NULL, 0, &plan);
    svg.len = 0;
    assert_int_equal(yr_svg(&opt, &plan, &sym, NULL, &svg, &err), YIMA_OK);
    snprintf(cmd, sizeof cmd, "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"", (sym.w + 8) * 4,
             (sym.w + 8) * 4, sym.w + 8, sym.w + 8);
    s = strndup((const char *)svg.data, svg.len);
    assert_non_null(strstr(s, cmd));
    assert_non_null(strstr(s, "<path shape-rendering=\"crispEdges\" d=\"M4 4h7v1h-7z"));
    free(s);
    free(sym.mod);
    yima_buf_free(&svg);
}

static void test_png_page(void **state)
{
    yima_render_options opt;
    yima_sheet sheet = {.cols = 2, .rows = 1, .page_w = 70, .page_h = 40, .pitch_x = 35,
                        .pitch_y = 40, .left = 0, .top = 0};
    yima_label label = {.w = 35, .h = 40, .safe = 1};
    static const char *const pay[2] = {"PAGE-LABEL-ONE", "PAGE-LABEL-TWO"};
    yr_symbol syms[2];
    yr_plan plans[2];
    yr_bitmap bm = {0};
    yima_buf png = {0};
    yima_err err = {0};
    yr_page_geom g;
    char got[512];
    (void)state;
    options(&opt, 300, 6, YIMA_IMG_PNG);
    opt.sheet = &sheet;
    opt.label = &label;
    for (int k = 0; k < 2; k++) {
        qr_symbol(pay[k], &syms[k]);
        lone_plan(&opt, &syms[k], "LOT 1", 8, &plans[k]);
    }
    assert_int_equal(yr_png_page(&opt, plans, syms, 2, font, &bm, &png, &err), YIMA_OK);
    yr_page_geometry(&opt, &g);
    assert_int_equal(bm.w, (int)ceil(g.media_w * 300 / 25.4 - 1e-6));
    assert_int_equal(bm.h, (int)ceil(g.media_h * 300 / 25.4 - 1e-6));
    write_file(tmp_path("page.png"), &png);
    zbar_file(tmp_path("page.png"), got, sizeof got);
    assert_true(!strcmp(got, "PAGE-LABEL-ONE PAGE-LABEL-TWO") ||
                !strcmp(got, "PAGE-LABEL-TWO PAGE-LABEL-ONE"));
    for (int k = 0; k < 2; k++)
        free(syms[k].mod);
    yr_bitmap_free(&bm);
    yima_buf_free(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_wrong_family),
        cmocka_unit_test(test_missing_glyph),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_wrap_long_word),
        cmocka_unit_test(test_wrap_spaces),
        cmocka_unit_test(test_path_pdf),
        cmocka_unit_test(test_path_svg),
        cmocka_unit_test(test_path_area),
        cmocka_unit_test(test_raster),
        cmocka_unit_test(test_ocr),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_draw_label_exact),
        cmocka_unit_test(test_image_png_pbm),
        cmocka_unit_test(test_svg),
        cmocka_unit_test(test_png_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
