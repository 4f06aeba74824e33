/* SPDX-License-Identifier: MIT */
/* yima render library: symbols, raster geometry read back with libpng,
 * option checks (table-driven), tar members, and run determinism. */
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
#include <png.h>
#include <qrencode.h>
#include "yima/render.h"

#define URL "HTTPS://V.EXAMPLE.CN/GV3EZR9SCY98MGTDYBK47K7W4XB"

/* ---- decoding PNG with libpng's simplified API -------------------------- */

typedef struct gray {
    png_image img;
    unsigned char *px; /* 8-bit gray, 0 = black */
} gray;

static void png_decode(const yima_buf *b, gray *g)
{
    memset(g, 0, sizeof *g);
    g->img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&g->img, b->data, b->len));
    g->img.format = PNG_FORMAT_GRAY;
    g->px = malloc(PNG_IMAGE_SIZE(g->img));
    assert_non_null(g->px);
    assert_true(png_image_finish_read(&g->img, NULL, g->px, 0, NULL));
}

/* pHYs via the classic reader (the simplified API does not expose it). */
typedef struct mem_src {
    const yima_buf *b;
    size_t at;
} mem_src;

static void mem_read(png_structp png, png_bytep out, size_t n)
{
    mem_src *m = png_get_io_ptr(png);
    if (m->at + n > m->b->len)
        png_error(png, "short read");
    memcpy(out, m->b->data + m->at, n);
    m->at += n;
}

static png_uint_32 png_ppm(const yima_buf *b)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    mem_src m = {b, 0};
    png_uint_32 x = 0, y = 0;
    int unit = 0;
    png_set_read_fn(png, &m, mem_read);
    if (!setjmp(png_jmpbuf(png))) {
        png_read_info(png, info);
        png_get_pHYs(png, info, &x, &y, &unit);
    }
    png_destroy_read_struct(&png, &info, NULL);
    return unit == PNG_RESOLUTION_METER && x == y ? x : 0;
}

static void render_png(const yima_render_options *o, const char *payload, const char *text,
                       yima_buf *out)
{
    yima_err err = {0};
    out->len = 0;
    int rc = yima_render_image(o, payload, strlen(payload), text, out, &err);
    if (rc)
        fail_msg("render failed: %s", err.msg);
}

/* Renders URL as PNG into b and decodes it into g. */
static void render_decoded(const yima_render_options *o, const char *text, yima_buf *b, gray *g)
{
    render_png(o, URL, text, b);
    png_decode(b, g);
}

/* Every module of the PNG equals libqrencode's own symbol for the payload. */
static void test_png_matches_symbol(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    o.scale = 3;
    o.margin = 2;
    yima_buf b = {0};
    gray g;
    render_decoded(&o, NULL, &b, &g);
    QRcode *qr = QRcode_encodeString(URL, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    int side = (qr->width + 4) * 3;
    assert_int_equal(g.img.width, side);
    assert_int_equal(g.img.height, side);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int mx = x / 3 - 2, my = y / 3 - 2, dark = 0;
            if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width)
                dark = qr->data[my * qr->width + mx] & 1;
            if ((g.px[y * side + x] == 0) != dark)
                fail_msg("pixel %d,%d", x, y);
        }
    assert_int_equal(png_ppm(&b), 0); /* no dpi, no pHYs */
    QRcode_free(qr);
    free(g.px);
    yima_buf_free(&b);
}

static void test_png_dpi_and_text(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    o.dpi = 600;
    o.text = 1;
    yima_buf b = {0};
    gray g;
    render_decoded(&o, "GV3EZR9SCY98MGTDYBK47K7W4XB", &b, &g);
    assert_int_equal(png_ppm(&b), 23622); /* 600 / 0.0254 */
    png_uint_32 side = (29 + 8) * 4; /* version 3 and the quiet zone */
    assert_true(g.img.height > side); /* the text band */
    int dark = 0;
    for (png_uint_32 y = side; y < g.img.height; y++)
        for (png_uint_32 x = 0; x < g.img.width; x++)
            dark += g.px[y * g.img.width + x] == 0;
    assert_true(dark > 100);
    free(g.px);
    yima_buf_free(&b);
}

/* Same payload and options, same bytes; different ECC, different bytes. */
static void test_deterministic(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    yima_buf a = {0}, b = {0};
    for (int f = YIMA_IMG_PNG; f <= YIMA_IMG_PBM; f++) {
        o.format = (yima_imgfmt)f;
        o.ecc = YIMA_ECC_M;
        render_png(&o, URL, NULL, &a);
        render_png(&o, URL, NULL, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        o.ecc = YIMA_ECC_H;
        render_png(&o, URL, NULL, &b);
        assert_true(a.len != b.len || memcmp(a.data, b.data, a.len));
    }
    yima_buf_free(&a);
    yima_buf_free(&b);
}

/* Alphanumeric-mode payloads get smaller symbols than 8-bit ones. */
static void test_modes_and_versions(void **state)
{
    (void)state;
    static const struct {
        const char *payload;
        yima_ecc ecc;
        int version;
    } rows[] = {
        {"GV3EZR9SCY98MGTDYBK47K7W4XB", YIMA_ECC_M, 2},
        {"gv3ezr9scy98mgtdybk47k7w4xb", YIMA_ECC_M, 3},
        {URL, YIMA_ECC_L, 3},
        {URL, YIMA_ECC_M, 3},
        {"https://v.example.cn/gv3ezr9scy98mgtdybk47k7w4xb", YIMA_ECC_M, 4},
        {"1234567890123456789012345678901234", YIMA_ECC_M, 1}, /* numeric mode */
        {URL, YIMA_ECC_H, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int v = yima_render_fit_version(rows[i].payload, strlen(rows[i].payload), rows[i].ecc);
        if (v != rows[i].version)
            fail_msg("row %zu: version %d, want %d", i, v, rows[i].version);
    }
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(yima_render_fit_version(big, strlen(big), YIMA_ECC_H), 0);
}

static void test_fixed_version_too_small(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    o.version = 1;
    yima_buf b = {0};
    yima_err err = {0};
    assert_int_equal(yima_render_image(&o, URL, strlen(URL), NULL, &b, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "too long for QR version 1-M"));
    yima_buf_free(&b);
}

static void test_option_checks(void **state)
{
    (void)state;
    yima_sheet fits = {3, 8, 210, 297, 70, 37, -1, -1};
    yima_sheet wide = {3, 8, 210, 297, 80, 37, -1, -1};
    yima_sheet placed = {3, 8, 210, 297, 70, 37, 5, 0};
    const struct {
        int field, value;
        const yima_sheet *sheet;
        int pack, rc;
        const char *msg;
    } rows[] = {
        {0, 0, NULL, YIMA_PACK_SINGLE, YIMA_OK, NULL},
        {1, 41, NULL, YIMA_PACK_SINGLE, YIMA_E_USAGE, "QR version 41"},
        {2, 0, NULL, YIMA_PACK_SINGLE, YIMA_E_USAGE, "scale 0"},
        {3, 101, NULL, YIMA_PACK_SINGLE, YIMA_E_USAGE, "margin 101"},
        {4, 7, NULL, YIMA_PACK_SINGLE, YIMA_E_USAGE, "error correction"},
        {0, 0, NULL, YIMA_PACK_PDF, YIMA_E_USAGE, "needs a sheet layout"},
        {0, 0, NULL, YIMA_PACK_DIR, YIMA_E_USAGE, "needs a directory name"},
        {0, 0, &fits, YIMA_PACK_PDF, YIMA_OK, NULL},
        {0, 0, &wide, YIMA_PACK_PDF, YIMA_E_USAGE, "needs 240.0x296.0 mm"},
        {0, 0, &placed, YIMA_PACK_PDF, YIMA_E_USAGE, "needs 215.0x296.0 mm"},
        {0, 0, &fits, YIMA_PACK_ZPL, YIMA_E_USAGE, "no sheet or roll"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        yima_render_options o;
        yima_render_options_init(&o);
        int *fields[] = {NULL, &o.version, &o.scale, &o.margin, (int *)&o.ecc};
        if (rows[i].field)
            *fields[rows[i].field] = rows[i].value;
        o.sheet = rows[i].sheet;
        o.pack = (yima_pack)rows[i].pack;
        yima_err err = {0};
        int rc = yima_render_check(&o, &err);
        if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)))
            fail_msg("row %zu: rc %d, message '%s'", i, rc, err.msg);
    }
}

static void test_module_dots(void **state)
{
    (void)state;
    int dots;
    double real;
    assert_int_equal(yima_render_module_dots(0.25, 600, &dots, &real), 1);
    assert_int_equal(dots, 6);
    assert_true(real > 0.2539 && real < 0.2541);
    assert_int_equal(yima_render_module_dots(0.254, 600, &dots, &real), 0);
    assert_int_equal(dots, 6);
    assert_int_equal(yima_render_module_dots(0.01, 300, &dots, &real), 1);
    assert_int_equal(dots, 1);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(yima_ecc_parse("q"), YIMA_ECC_Q);
    assert_int_equal(yima_ecc_parse("X"), -1);
    assert_string_equal(yima_ecc_name(YIMA_ECC_H), "H");
    assert_int_equal(yima_imgfmt_parse("SVG"), YIMA_IMG_SVG);
    assert_int_equal(yima_imgfmt_parse("gif"), -1);
    assert_int_equal(yima_naming_parse("serial"), YIMA_NAME_SERIAL);
    assert_int_equal(yima_symbology_parse("DataMatrix"), YIMA_SYM_DATAMATRIX);
    assert_int_equal(yima_symbology_parse("aztec"), -1);
    assert_string_equal(yima_symbology_name(YIMA_SYM_QR), "qr");
}

/* ---- DataMatrix and GS1 ------------------------------------------------------ */

/* Decodes the DataMatrix in a PNG with libdmtx; FNC1 comes back as GS. */
static char *dmtx_decode(const yima_buf *b)
{
    gray g;
    png_decode(b, &g);
    DmtxImage *img = dmtxImageCreate(g.px, (int)g.img.width, (int)g.img.height, DmtxPack8bppK);
    assert_non_null(img);
    DmtxDecode *dec = dmtxDecodeCreate(img, 1);
    dmtxDecodeSetProp(dec, DmtxPropFnc1, 0x1d);
    DmtxRegion *reg = dmtxRegionFindNext(dec, NULL);
    assert_non_null(reg);
    DmtxMessage *msg = dmtxDecodeMatrixRegion(dec, reg, DmtxUndefined);
    assert_non_null(msg);
    char *text = strndup((const char *)msg->output, msg->outputIdx);
    dmtxMessageDestroy(&msg);
    dmtxRegionDestroy(&reg);
    dmtxDecodeDestroy(&dec);
    dmtxImageDestroy(&img);
    free(g.px);
    return text;
}

static void test_datamatrix_round_trip(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    o.symbol = YIMA_SYM_DATAMATRIX;
    yima_buf b = {0};
    render_png(&o, URL, NULL, &b);
    char *got = dmtx_decode(&b);
    assert_string_equal(got, URL);
    free(got);
    gray g;
    png_decode(&b, &g); /* 48 ASCII codewords: 32x32, square */
    assert_int_equal(g.img.width, (32 + 8) * 4);
    assert_int_equal(g.img.height, (32 + 8) * 4);
    free(g.px);
    yima_buf_free(&b);
}

/* A GS1 element string: FNC1 first, fixed-length AIs first, GS after a
 * variable-length value, no parentheses; the text band shows the HRI. */
static void test_gs1_datamatrix(void **state)
{
    (void)state;
    yima_render_options o;
    yima_render_options_init(&o);
    o.symbol = YIMA_SYM_DATAMATRIX;
    yima_buf b = {0}, t = {0};
    gray g, gt;
    render_png(&o, "(01)09506000134352(10)L1(17)271231(21)ABC", NULL, &b);
    char *got = dmtx_decode(&b);
    assert_string_equal(got, "\x1d" "010950600013435217271231" "10L1\x1d" "21ABC");
    free(got);
    o.text = 1;
    render_png(&o, "(01)09506000134352(10)L1(17)271231(21)ABC", NULL, &t);
    png_decode(&b, &g);
    png_decode(&t, &gt);
    assert_true(gt.img.height > g.img.height); /* the HRI line */
    free(g.px);
    free(gt.px);
    yima_err err = {0};
    o.symbol = YIMA_SYM_QR; /* libqrencode cannot write FNC1 first */
    assert_int_equal(yima_render_image(&o, "(01)09506000134352", 18, NULL, &t, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "FNC1"));
    o.symbol = YIMA_SYM_DATAMATRIX; /* a wrong check digit names the AI */
    assert_int_equal(yima_render_image(&o, "(01)09506000134353", 18, NULL, &t, &err), YIMA_E_DATA);
    o.version = 3;
    assert_int_equal(yima_render_check(&o, &err), YIMA_E_USAGE);
    yima_buf_free(&b);
    yima_buf_free(&t);
}

/* The modules yima lays from libdmtx's mapping matrix equal the image
 * libdmtx paints itself (one pixel a module, no margin), for every square
 * size, plain and GS1: PBM at scale 1 is the module matrix. */
static void check_dmtx_matrix(const char *payload, int gs1)
{
    yima_render_options o;
    yima_render_options_init(&o);
    o.symbol = YIMA_SYM_DATAMATRIX;
    o.format = YIMA_IMG_PBM;
    o.scale = 1;
    o.margin = 0;
    yima_buf b = {0};
    yima_err err = {0};
    if (yima_render_image(&o, payload, strlen(payload), NULL, &b, &err))
        fail_msg("render failed: %s", err.msg);
    int w, h, n;
    assert_int_equal(sscanf((char *)b.data, "P4\n%d %d\n%n", &w, &h, &n), 2);
    unsigned char in[4096];
    size_t len = 0;
    if (gs1) { /* the RAW form the element string below has */
        static const char raw[] = "\x1d" "0109506000134352" "17271231" "10LOT42\x1d" "21";
        memcpy(in, raw, sizeof raw - 1);
        len = sizeof raw - 1;
        memcpy(in + len, strstr(payload, "(21)") + 4, strlen(strstr(payload, "(21)") + 4));
        len += strlen(strstr(payload, "(21)") + 4);
    } else {
        memcpy(in, payload, strlen(payload));
        len = strlen(payload);
    }
    DmtxEncode *enc = dmtxEncodeCreate();
    dmtxEncodeSetProp(enc, DmtxPropPixelPacking, DmtxPack8bppK);
    dmtxEncodeSetProp(enc, DmtxPropModuleSize, 1);
    dmtxEncodeSetProp(enc, DmtxPropMarginSize, 0);
    int size = 0; /* yima's size: one for any payload as long (digits not paired) */
    while (dmtxGetSymbolAttribute(DmtxSymAttribSymbolRows, size) != w)
        size++;
    dmtxEncodeSetProp(enc, DmtxPropSizeRequest, size);
    if (gs1)
        dmtxEncodeSetProp(enc, DmtxPropFnc1, 0x1d);
    assert_int_equal(dmtxEncodeDataMatrix(enc, (int)len, in), DmtxPass);
    assert_int_equal(dmtxImageGetProp(enc->image, DmtxPropWidth), w);
    assert_int_equal(dmtxImageGetProp(enc->image, DmtxPropHeight), h);
    int row = dmtxImageGetProp(enc->image, DmtxPropRowSizeBytes);
    const unsigned char *pbm = b.data + n;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int ours = pbm[y * ((w + 7) / 8) + x / 8] >> (7 - x % 8) & 1;
            if (ours != (enc->image->pxl[y * row + x] == 0))
                fail_msg("%dx%d module %d,%d differs", w, h, x, y);
        }
    dmtxEncodeDestroy(&enc);
    yima_buf_free(&b);
}

static void test_dmtx_matrix_matches_libdmtx(void **state)
{
    (void)state;
    char p[2048];
    int last = 0;
    /* Letters take one ASCII codeword each: 3 .. 1558 of them reach every
     * square size from 10x10 to 144x144. */
    for (int size = 0; size < 24; size++) {
        int words = dmtxGetSymbolAttribute(DmtxSymAttribSymbolDataWords, size);
        for (int i = 0; i < words; i++)
            p[i] = (char)('A' + (i * 7 + size) % 26);
        p[words] = '\0';
        check_dmtx_matrix(p, 0);
        last = words;
    }
    assert_int_equal(last, 1558);
    check_dmtx_matrix("(01)09506000134352(17)271231(10)LOT42(21)M9S346Q3D25VTK7W4XB", 1);
    check_dmtx_matrix("(01)09506000134352(17)271231(10)LOT42(21)7", 1);
}

/* ---- whole runs ----------------------------------------------------------- */

static char *write_input(int n)
{
    char *path = strdup("/tmp/yima-render-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "index\tlevel\tserial\tcode\tpayload\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%d\titem\tX\tC%07d\tHTTPS://V.EXAMPLE.CN/C%07d\n", i, i, i);
    fclose(f);
    return path;
}

static void run_to(const yima_render_options *base, const char *in, int threads,
                   const char *out, yima_render_result *res)
{
    yima_render_options o = *base;
    yima_err err = {0};
    o.threads = threads;
    o.output = out;
    o.force = 1;
    const char *inputs[] = {in};
    int rc = yima_render_run(&o, inputs, 1, res, &err);
    if (rc)
        fail_msg("run failed: %s", err.msg);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa && fb;
    while (same && (ca = getc(fa)) == (cb = getc(fb)) && ca != EOF)
        ;
    same = same && ca == cb;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* tar, PDF and ZPL runs are byte-identical for 1, 2 and 5 threads; the tar
 * members are well formed. */
static void test_run_deterministic(void **state)
{
    (void)state;
    char *in = write_input(700);
    yima_sheet sheet = {3, 8, 210, 297, 70, 37, -1, -1};
    const yima_pack packs[] = {YIMA_PACK_TAR, YIMA_PACK_PDF, YIMA_PACK_ZPL};
    for (size_t p = 0; p < 3; p++) {
        yima_render_options o;
        yima_render_options_init(&o);
        o.pack = packs[p];
        o.sheet = packs[p] == YIMA_PACK_PDF ? &sheet : NULL;
        o.text = 1;
        char a[64], b[64];
        snprintf(a, sizeof a, "%s.a", in);
        snprintf(b, sizeof b, "%s.b", in);
        yima_render_result ra, rb;
        run_to(&o, in, 1, a, &ra);
        assert_int_equal(ra.symbols, 700);
        assert_int_equal(ra.version, 2);
        for (int t = 2; t <= 5; t += 3) {
            run_to(&o, in, t, b, &rb);
            assert_true(same_file(a, b));
            assert_int_equal(rb.files, ra.files);
        }
        if (packs[p] == YIMA_PACK_PDF)
            assert_int_equal(ra.files, 30); /* ceil(700 / 24) pages */
        unlink(a);
        unlink(b);
    }
    unlink(in);
    free(in);
}

/* A DataMatrix run reuses one encoder, symbol and zlib state per worker:
 * every tar member still equals the image of its payload alone, and the
 * stream is the same for 1 and 2 threads. */
static void test_dmtx_run_matches_images(void **state)
{
    (void)state;
    char path[] = "/tmp/yima-render-dm-XXXXXX", p[300][64];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    for (int i = 0; i < 300; i++) {
        if (i % 3)
            snprintf(p[i], sizeof p[i], "(01)09506000134352(17)271231(10)LOT%d(21)S%08d", i % 7,
                     i * 7919);
        else /* plain: as many codewords as the RAW element strings */
            snprintf(p[i], sizeof p[i], "HTTPS://V.EXAMPLE.CN/%022d", i * 104729);
        dprintf(fd, "%s\n", p[i]);
    }
    close(fd);
    yima_render_options o;
    yima_render_options_init(&o);
    o.symbol = YIMA_SYM_DATAMATRIX;
    o.pack = YIMA_PACK_TAR;
    o.margin = 1;
    char a[64], b[64];
    snprintf(a, sizeof a, "%s.a", path);
    snprintf(b, sizeof b, "%s.b", path);
    yima_render_result ra, rb;
    run_to(&o, path, 1, a, &ra);
    run_to(&o, path, 2, b, &rb);
    assert_int_equal(ra.symbols, 300);
    assert_true(same_file(a, b));
    FILE *f = fopen(a, "rb");
    yima_buf img = {0};
    unsigned char h[512], data[8192];
    for (int i = 0; i < 300; i++) {
        assert_int_equal(fread(h, 1, 512, f), 512);
        size_t n = strtoul((char *)h + 124, NULL, 8);
        assert_true(n <= sizeof data);
        assert_int_equal(fread(data, 1, (n + 511) / 512 * 512, f), (n + 511) / 512 * 512);
        o.pack = YIMA_PACK_SINGLE;
        render_png(&o, p[i], NULL, &img);
        assert_int_equal(img.len, n);
        assert_memory_equal(img.data, data, n);
    }
    fclose(f);
    yima_buf_free(&img);
    unlink(a);
    unlink(b);
    unlink(path);
}

static void test_tar_header(void **state)
{
    (void)state;
    char *in = write_input(3);
    char out[64];
    snprintf(out, sizeof out, "%s.tar", in);
    yima_render_options o;
    yima_render_options_init(&o);
    o.pack = YIMA_PACK_TAR;
    yima_render_result res;
    run_to(&o, in, 2, out, &res);
    FILE *f = fopen(out, "rb");
    unsigned char h[512];
    assert_int_equal(fread(h, 1, 512, f), 512);
    fclose(f);
    assert_string_equal((char *)h, "00000000.png");
    assert_memory_equal(h + 257, "ustar\0" "00", 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    assert_int_equal(strtoul((char *)h + 148, NULL, 8), sum);
    unlink(out);
    unlink(in);
    free(in);
}

static void test_run_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/yima-render-bad-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    dprintf(fd, "ABC\nDEF\n%s\n", URL);
    close(fd);
    yima_render_options o;
    yima_render_options_init(&o);
    o.pack = YIMA_PACK_ZPL;
    o.output = "/dev/null";
    o.force = 1;
    const char *inputs[] = {path};
    yima_err err = {0};
    assert_int_equal(yima_render_run(&o, inputs, 1, NULL, &err), YIMA_E_DATA);
    char want[64];
    snprintf(want, sizeof want, "%s:3: payload of", path);
    assert_non_null(strstr(err.msg, want));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_matches_symbol),
        cmocka_unit_test(test_png_dpi_and_text),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_modes_and_versions),
        cmocka_unit_test(test_fixed_version_too_small),
        cmocka_unit_test(test_option_checks),
        cmocka_unit_test(test_module_dots),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_run_deterministic),
        cmocka_unit_test(test_tar_header),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_datamatrix_round_trip),
        cmocka_unit_test(test_gs1_datamatrix),
        cmocka_unit_test(test_dmtx_matrix_matches_libdmtx),
        cmocka_unit_test(test_dmtx_run_matches_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
