/* SPDX-License-Identifier: MIT */
/*
 * Press-ready PDF (render_pdf.c): sheet and roll pages checked by
 * independent tools. qpdf --check validates the structure, pdfinfo the
 * boxes and metadata, pdffonts and pdfimages that everything is vector
 * paths, and pdftoppm + zbarimg that every symbol decodes to its payload
 * at 300 and 600 dpi. The writer streams: a 200,000-page file is written
 * in constant memory.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>
#include <inttypes.h>
#include <malloc.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "render/render_internal.h"
#include "yima/version.h"

#define PT_PER_MM (72.0 / 25.4)

static char dir[256];
static yr_font *font;

/* ---- helpers ----------------------------------------------------------- */

/* Runs a shell command; its standard output (malloc'd), and the exit status. */
static char *run(int *status, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, p)) > 0)
        if ((len += n) + 1 == cap)
            buf = realloc(buf, cap *= 2);
    assert_non_null(buf);
    buf[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

/* Output of a command that must succeed. */
static char *run_ok(const char *fmt, const char *path)
{
    int st;
    char *out = run(&st, fmt, path);
    if (st != 0)
        fprintf(stderr, "failed (%d): %s\n%s", st, fmt, out);
    assert_int_equal(st, 0);
    return out;
}

static void qpdf_check(const char *path)
{
    char *out = run_ok("qpdf --check '%s' 2>&1", path);
    assert_non_null(strstr(out, "No syntax or stream encoding errors found"));
    free(out);
}

/* A QR symbol of payload as the encoders hand it to drawers. */
static void make_qr(const char *payload, int version, yr_symbol *sym)
{
    QRcode *qr = QRcode_encodeString(payload, version, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    sym->w = sym->h = qr->width;
    sym->size = qr->version;
    sym->cap = (size_t)qr->width * (size_t)qr->width;
    sym->mod = malloc(sym->cap);
    assert_non_null(sym->mod);
    memcpy(sym->mod, qr->data, sym->cap);
    QRcode_free(qr);
}

/* A label of w x h mm: the symbol centred at the top (3 mm down), the
 * line under it. */
static void make_plan(yr_plan *p, const yr_symbol *sym, double w, double h, double module,
                      const char *text)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    p->h = h;
    p->module = module;
    p->sym_x = (w - sym->w * module) / 2;
    p->sym_y = 4 * module + 1;
    if (text) {
        p->nlines = 1;
        p->lines[0] = (yr_textline){.s = text, .len = strlen(text), .pt = 8,
                                    .x = p->sym_x, .y = p->sym_y + (sym->w + 4) * module + 3};
    }
}

static void opts_init(yima_render_options *opt, const char *path)
{
    yima_render_options_init(opt);
    opt->pack = YIMA_PACK_PDF;
    opt->output = path;
    opt->force = 1;
}

/* Draws labels [0, n) as page `page` of the job and hands the page to w:
 * yr_pdfw_page's result. */
static int add_page(yr_pdfw *w, const yima_render_options *opt, const yr_plan *plans,
                    const yr_symbol *syms, unsigned n, yr_font *font, uint64_t page)
{
    yima_buf buf = {0}, gids = {0};
    uint64_t offs[YR_PDF_OBJS_PER_PAGE];
    yima_err err;
    assert_int_equal(yr_pdf_page(opt, plans, syms, n, font, yr_pdfw_first_obj(opt, page), &buf,
                                 offs, &gids, &err),
                     YIMA_OK);
    int rc = yr_pdfw_page(w, buf.data, buf.len, offs, (const uint32_t *)(void *)gids.data,
                          gids.len / sizeof(uint32_t), &err);
    yima_buf_free(&buf);
    yima_buf_free(&gids);
    return rc;
}

/* Writes pages of per_page labels (the last page may hold fewer), label
 * i carrying payloads[i] and text (NULL: none). */
static void write_job(const yima_render_options *opt, const yr_pdf_meta *meta, char **payloads,
                      unsigned nlabels, int version, double module, const char *text)
{
    unsigned per_page = yr_labels_per_page(opt);
    yr_plan *plans = calloc(per_page, sizeof *plans);
    yr_symbol *syms = calloc(per_page, sizeof *syms);
    yr_pdfw *w;
    yima_err err = {0};
    yr_page_geom g;
    double lw = opt->label->w, lh = opt->label->h;
    yr_page_geometry(opt, &g);
    assert_int_equal(yr_pdfw_open(&w, opt, meta, &err), YIMA_OK);
    for (unsigned first = 0, page = 0; first < nlabels; first += per_page, page++) {
        unsigned n = nlabels - first < per_page ? nlabels - first : per_page;
        for (unsigned k = 0; k < n; k++) {
            make_qr(payloads[first + k], version, &syms[k]);
            make_plan(&plans[k], &syms[k], lw, lh, module, text);
        }
        assert_int_equal(add_page(w, opt, plans, syms, n, font, page), YIMA_OK);
        for (unsigned k = 0; k < n; k++)
            free(syms[k].mod);
    }
    assert_int_equal(yr_pdfw_finish(w, &err), YIMA_OK);
    free(plans);
    free(syms);
}

static char **payload_list(const char *fmt, unsigned n)
{
    char **p = calloc(n, sizeof *p);
    for (unsigned i = 0; i < n; i++) {
        p[i] = malloc(64);
        snprintf(p[i], 64, fmt, i);
    }
    return p;
}

static void payloads_free(char **p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rasterises page `page` (1-based) at dpi and checks that zbar reads
 * exactly payloads[0..n) from it, in any order. */
static void assert_page_decodes(const char *pdf, int page, int dpi, char **payloads, unsigned n)
{
    char cmd[1024], *want[16], *got[16];
    int st;
    snprintf(cmd, sizeof cmd,
             "pdftoppm -r %d -gray -f %d -l %d -singlefile '%%s' %s/page && "
             "zbarimg -q --raw -Sdisable -Sqrcode.enable %s/page.pgm 2>/dev/null",
             dpi, page, page, dir, dir);
    char *out = run(&st, cmd, pdf);
    if (st != 0)
        fprintf(stderr, "page %d at %d dpi: zbarimg status %d\n", page, dpi, st);
    assert_int_equal(st, 0);
    unsigned ngot = 0;
    for (char *save, *line = strtok_r(out, "\n", &save); line && ngot < 16;
         line = strtok_r(NULL, "\n", &save))
        got[ngot++] = line;
    assert_int_equal(ngot, n);
    memcpy(want, payloads, n * sizeof *want);
    qsort(want, n, sizeof *want, cmp_str);
    qsort(got, n, sizeof *got, cmp_str);
    for (unsigned i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    free(out);
}

/* The four numbers of box `name` of page 1 in pdfinfo -box output. */
static void pdf_box(const char *info, const char *name, double box[4])
{
    char key[32];
    snprintf(key, sizeof key, "%s:", name);
    const char *at = strstr(info, key);
    assert_non_null(at);
    assert_int_equal(sscanf(at + strlen(key), "%lf %lf %lf %lf", &box[0], &box[1], &box[2],
                            &box[3]),
                     4);
}

/* 1 if pdfinfo's line `key:` holds value (up to the line's end). */
static int info_is(const char *info, const char *key, const char *value)
{
    size_t n = strlen(key), vn = strlen(value);
    for (const char *line = info; *line;) {
        if (!strncmp(line, key, n) && line[n] == ':') {
            const char *v = line + n + 1 + strspn(line + n + 1, " ");
            return !strncmp(v, value, vn) && v[vn] == '\n';
        }
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    return 0;
}

/* The page count pdfinfo prints. */
static long pdf_pages(const char *info)
{
    const char *at = strstr(info, "Pages:");
    long n = -1;
    assert_non_null(at);
    assert_int_equal(sscanf(at + 6, "%ld", &n), 1);
    return n;
}

static void assert_box_mm(const char *info, const char *name, double x0, double y0, double x1,
                          double y1)
{
    double b[4], want[4] = {x0, y0, x1, y1};
    pdf_box(info, name, b);
    for (int i = 0; i < 4; i++)
        if (b[i] < want[i] * PT_PER_MM - 0.006 || b[i] > want[i] * PT_PER_MM + 0.006) {
            fprintf(stderr, "%s[%d] = %g pt, want %g mm = %g pt\n", name, i, b[i], want[i],
                    want[i] * PT_PER_MM);
            fail();
        }
}

/* No fonts, no images: pdffonts and pdfimages print their header only. */
static void assert_vector_only(const char *pdf)
{
    char *fonts = run_ok("pdffonts '%s'", pdf), *images = run_ok("pdfimages -list '%s'", pdf);
    int lines = 0;
    for (char *c = fonts; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    lines = 0;
    for (char *c = images; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    free(fonts);
    free(images);
}

/* The file with every stream uncompressed (qpdf's QDF form). */
static char *qdf_text(const char *pdf)
{
    char path[512];
    snprintf(path, sizeof path, "%s/qdf.pdf", dir);
    int st;
    char *out = run(&st, "qpdf --qdf --object-streams=disable '%s' '%s/qdf.pdf' 2>&1", pdf, dir);
    assert_int_equal(st, 0);
    free(out);
    return run_ok("cat '%s'", path);
}

/* 1 if op occurs in text as a PDF operator (a whole token). */
static int has_operator(const char *text, const char *op)
{
    size_t n = strlen(op);
    for (const char *p = text; (p = strstr(p, op)); p++) {
        int before = p == text || strchr(" \n\r\t", p[-1]);
        int after = strchr(" \n\r\t", p[n]) != NULL && p[n];
        if (before && after)
            return 1;
    }
    return 0;
}

static void assert_no_rgb(const char *text)
{
    assert_false(has_operator(text, "rg"));
    assert_false(has_operator(text, "RG"));
    assert_false(has_operator(text, "k"));
    assert_false(has_operator(text, "K"));
    assert_null(strstr(text, "DeviceRGB"));
    assert_null(strstr(text, "DeviceCMYK"));
}

static char *path_in_dir(const char *name)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

/* ---- geometry ------------------------------------------------------------ */

static void test_geometry(void **state)
{
    (void)state;
    yima_render_options opt;
    yima_sheet sheet = {.cols = 2, .rows = 3, .page_w = 100, .page_h = 200, .pitch_x = 40,
                        .pitch_y = 50, .left = -1, .top = -1};
    yima_label label = {.w = 36, .h = 44, .gap = 4, .bleed = 3, .safe = 1};
    yr_page_geom g;
    double x, y;
    opts_init(&opt, "-");
    opt.sheet = &sheet;
    opt.label = &label;
    assert_int_equal(yr_labels_per_page(&opt), 6);
    yr_page_geometry(&opt, &g);
    /* A sheet is trimmed as a whole: all boxes are the page. */
    assert_true(g.media_w == 100 && g.media_h == 200 && g.trim_w == 100 && g.trim_h == 200);
    assert_true(g.trim_x == 0 && g.trim_y == 0 && g.bleed == 0);
    /* The labels (not the cells) are centred: 40 + 36 = 76 mm across, 144
     * down; origins fall on whole dots (1/300 in), at most one dot short. */
    const double dot = 25.4 / 300;
    yr_label_origin(&opt, 0, &x, &y);
    assert_true(x <= 12 + 1e-9 && x > 12 - dot && y <= 28 + 1e-9 && y > 28 - dot);
    assert_float_equal(fmod(x / dot + 1e-6, 1), 0, 1e-5);
    yr_label_origin(&opt, 5, &x, &y);
    assert_true(x <= 52 + 1e-9 && x > 52 - dot && y <= 128 + 1e-9 && y > 128 - dot);
    sheet.left = 5;
    sheet.top = 7;
    yr_label_origin(&opt, 3, &x, &y);
    assert_true(x <= 45 + 1e-9 && x > 45 - dot && y <= 57 + 1e-9 && y > 57 - dot);

    /* A roll: the page is the label grown by the bleed, and by the crop
     * marks' margin when asked. */
    opt.sheet = NULL;
    opt.roll = 1;
    assert_int_equal(yr_labels_per_page(&opt), 1);
    yr_page_geometry(&opt, &g);
    assert_true(g.media_w == 42 && g.media_h == 50 && g.trim_x == 3 && g.trim_y == 3);
    assert_true(g.trim_w == 36 && g.trim_h == 44 && g.bleed == 3);
    opt.crop_marks = 1;
    yr_page_geometry(&opt, &g);
    assert_true(g.media_w == 54 && g.media_h == 62 && g.trim_x == 9 && g.trim_y == 9);
    yr_label_origin(&opt, 0, &x, &y);
    assert_true(x == 9 && y == 9);
}

static void test_object_numbers(void **state)
{
    (void)state;
    yima_render_options opt;
    opts_init(&opt, "x.pdf");
    /* Page 0's objects follow the shared resources (5) and the first
     * page-tree node (6). */
    assert_int_equal(yr_pdfw_first_obj(&opt, 0), 7);
    assert_int_equal(yr_pdfw_first_obj(&opt, 1), 9);
    assert_int_equal(yr_pdfw_first_obj(&opt, 999), 2005);
    assert_int_equal(yr_pdfw_first_obj(&opt, 1000), 2008); /* node 2007 before it */
    opt.split_pages = 1000;
    assert_int_equal(yr_pdfw_first_obj(&opt, 1000), 7);
    assert_int_equal(yr_pdfw_first_obj(&opt, 2001), 9);
}

/* ---- sheets ---------------------------------------------------------------- */

static void test_sheet(void **state)
{
    (void)state;
    yima_render_options opt;
    yima_sheet sheet = {.cols = 2, .rows = 2, .page_w = 105, .page_h = 148, .pitch_x = 50,
                        .pitch_y = 60, .left = -1, .top = -1};
    yima_label label = {.w = 45, .h = 55, .gap = 5, .safe = 1};
    const char *pdf = path_in_dir("sheet.pdf"), *again = path_in_dir("sheet2.pdf");
    const char *hash = "5f0c6fd2c2b0b3b1a0f6a4f5c8d2e1b9c7a6d5e4f3a2b1c0d9e8f7a6b5c4d3e2";
    yr_pdf_meta meta = {.title = "Sheet <test> & co", .manifest_hash = hash,
                        .manifest_name = "codes.csv.manifest"};
    char **payloads = payload_list("https://example.com/s/%04u", 7);
    opts_init(&opt, pdf);
    opt.sheet = &sheet;
    opt.label = &label;
    write_job(&opt, &meta, payloads, 7, 3, 0.8, "LOT 42 产品");
    opt.output = again;
    write_job(&opt, &meta, payloads, 7, 3, 0.8, "LOT 42 产品");

    qpdf_check(pdf);
    char *info = run_ok("pdfinfo -box '%s'", pdf);
    assert_int_equal(pdf_pages(info), 2);
    assert_true(info_is(info, "Title", "Sheet <test> & co"));
    char producer[32];
    snprintf(producer, sizeof producer, "yima %s", yima_version_string());
    assert_true(info_is(info, "Producer", producer));
    assert_null(strstr(info, "CreationDate")); /* no date without SOURCE_DATE_EPOCH */
    assert_box_mm(info, "MediaBox", 0, 0, 105, 148);
    assert_box_mm(info, "TrimBox", 0, 0, 105, 148);
    assert_box_mm(info, "BleedBox", 0, 0, 105, 148);
    free(info);
    assert_vector_only(pdf);

    /* Same job, same bytes. */
    int st;
    free(run(&st, "cmp '%s' '%s'", pdf, again));
    assert_int_equal(st, 0);

    char *text = qdf_text(pdf);
    assert_no_rgb(text);
    assert_non_null(strstr(text, "0 g 0 G"));
    assert_non_null(strstr(text, " re\n"));
    assert_non_null(strstr(text, "/YimaManifest (5f0c6fd2"));
    assert_non_null(strstr(text, "<yima:ManifestHash>5f0c6fd2"));
    assert_non_null(strstr(text, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Sheet "
                                 "&lt;test&gt; &amp; co</rdf:li>"));
    free(text);

    /* The XMP is well-formed XML. */
    char *xmp = run_ok("pdfinfo -meta '%s' | xmllint --noout - && echo wellformed", pdf);
    assert_non_null(strstr(xmp, "wellformed"));
    free(xmp);

    assert_page_decodes(pdf, 1, 300, payloads, 4);
    assert_page_decodes(pdf, 1, 600, payloads, 4);
    assert_page_decodes(pdf, 2, 300, payloads + 4, 3);
    assert_page_decodes(pdf, 2, 600, payloads + 4, 3);
    payloads_free(payloads, 7);
}

/* ---- rolls ------------------------------------------------------------------ */

static void test_roll(void **state)
{
    (void)state;
    yima_render_options opt;
    yima_label label = {.w = 40, .h = 30, .bleed = 2, .safe = 1};
    const char *pdf = path_in_dir("roll.pdf");
    yr_pdf_meta meta = {.title = "卷 roll"};
    char **payloads = payload_list("ROLL-%06u", 3);
    opts_init(&opt, pdf);
    opt.roll = 1;
    opt.label = &label;
    opt.crop_marks = 1;
    opt.spot = "Black Varnish";
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    write_job(&opt, &meta, payloads, 3, 2, 0.6, "ROLL 产品");
    unsetenv("SOURCE_DATE_EPOCH");

    qpdf_check(pdf);
    char *info = run_ok("TZ=UTC pdfinfo -isodates -box '%s'", pdf);
    assert_int_equal(pdf_pages(info), 3);
    assert_true(info_is(info, "Title", "卷 roll"));
    assert_true(info_is(info, "CreationDate", "2023-11-14T22:13:20Z") ||
                info_is(info, "CreationDate", "2023-11-14T22:13:20+00"));
    /* 40 x 30 mm trim, 2 mm bleed, 6 mm for the crop marks. */
    assert_box_mm(info, "MediaBox", 0, 0, 56, 46);
    assert_box_mm(info, "BleedBox", 6, 6, 50, 40);
    assert_box_mm(info, "TrimBox", 8, 8, 48, 38);
    free(info);
    assert_vector_only(pdf);

    char *text = qdf_text(pdf);
    assert_no_rgb(text);
    assert_null(strstr(text, "0 g"));
    assert_non_null(strstr(text, "/CS0 cs 1 scn"));
    /* The resources every page shares are written uncompressed: the raw
     * file shows the space once, and each page names it. */
    char *spots = run_ok("grep -a -c -F '[/Separation /Black#20Varnish /DeviceGray <<' '%s'", pdf);
    assert_string_equal(spots, "1\n");
    free(spots);
    spots = run_ok("grep -a -c -F '/Resources 5 0 R' '%s'", pdf);
    assert_string_equal(spots, "3\n");
    free(spots);
    assert_non_null(strstr(text, "0.25 w"));
    assert_non_null(strstr(text, "<xmp:CreateDate>2023-11-14T22:13:20Z</xmp:CreateDate>"));
    free(text);

    for (int p = 1; p <= 3; p++) {
        assert_page_decodes(pdf, p, 300, payloads + p - 1, 1);
        assert_page_decodes(pdf, p, 600, payloads + p - 1, 1);
    }
    payloads_free(payloads, 3);
}

static void test_bad_date(void **state)
{
    (void)state;
    yima_render_options opt;
    yima_label label = {.w = 20, .h = 20};
    yr_pdfw *w = NULL;
    yima_err err = {0};
    opts_init(&opt, path_in_dir("date.pdf"));
    opt.roll = 1;
    opt.label = &label;
    setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    assert_int_equal(yr_pdfw_open(&w, &opt, NULL, &err), YIMA_E_USAGE);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_null(w);
    assert_int_not_equal(access(path_in_dir("date.pdf"), F_OK), 0);
}

/* ---- split files ------------------------------------------------------------ */

static void test_split(void **state)
{
    (void)state;
    yima_render_options opt;
    yima_label label = {.w = 30, .h = 30};
    char **payloads = payload_list("SPLIT-%u", 5);
    yr_pdfw *w = NULL;
    yima_err err = {0};
    opts_init(&opt, path_in_dir("job.pdf"));
    opt.roll = 1;
    opt.label = &label;
    opt.split_pages = 2;
    write_job(&opt, NULL, payloads, 5, 1, 0.5, NULL);
    assert_int_not_equal(access(path_in_dir("job.pdf"), F_OK), 0);
    const long want[] = {2, 2, 1};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "job-%04d.pdf", i + 1);
        const char *path = path_in_dir(name);
        qpdf_check(path);
        char *info = run_ok("pdfinfo '%s'", path);
        assert_int_equal(pdf_pages(info), want[i]);
        free(info);
        for (int p = 0; p < (i < 2 ? 2 : 1); p++)
            assert_page_decodes(path, p + 1, 300, payloads + 2 * i + p, 1);
    }
    assert_int_not_equal(access(path_in_dir("job-0004.pdf"), F_OK), 0);

    /* Standard output cannot be split. */
    opt.output = "-";
    assert_int_equal(yr_pdfw_open(&w, &opt, NULL, &err), YIMA_E_USAGE);
    payloads_free(payloads, 5);
}

/* A roll job of one square label, a QR version 1 symbol, no text. */
typedef struct one_label {
    yima_render_options opt;
    yima_label label;
    yr_symbol sym;
    yr_plan plan;
} one_label;

static void one_label_init(one_label *l, const char *path, const char *payload, double mm,
                           double module)
{
    opts_init(&l->opt, path);
    l->opt.roll = 1;
    l->label = (yima_label){.w = mm, .h = mm};
    l->opt.label = &l->label;
    make_qr(payload, 1, &l->sym);
    make_plan(&l->plan, &l->sym, mm, mm, module, NULL);
}

/* Adds page `page` of the one-label job l to w: yr_pdfw_page's result. */
static int add_one(yr_pdfw *w, one_label *l, uint64_t page)
{
    return add_page(w, &l->opt, &l->plan, &l->sym, 1, NULL, page);
}

/* An aborted split job keeps its finished files and drops the open one. */
static void test_abort(void **state)
{
    (void)state;
    one_label l;
    yr_pdfw *w;
    yima_err err = {0};
    one_label_init(&l, path_in_dir("cut"), "CUT", 30, 0.5);
    l.opt.split_pages = 1;
    assert_int_equal(yr_pdfw_open(&w, &l.opt, NULL, &err), YIMA_OK);
    assert_int_equal(add_one(w, &l, 0), YIMA_OK);
    assert_int_equal(add_one(w, &l, 1), YIMA_OK);
    yr_pdfw_abort(w);
    qpdf_check(path_in_dir("cut-0001"));
    qpdf_check(path_in_dir("cut-0002"));
    assert_int_not_equal(access(path_in_dir("cut-0003"), F_OK), 0);
    char *left = run_ok("ls -A '%s' | grep -c '^\\.cut' || true", dir);
    assert_string_equal(left, "0\n");
    free(left);
    free(l.sym.mod);
}

/* A page built for another position is refused, not written. */
static void test_out_of_place(void **state)
{
    (void)state;
    one_label l;
    yr_pdfw *w;
    yima_err err = {0};
    one_label_init(&l, path_in_dir("misplaced.pdf"), "X", 30, 0.5);
    assert_int_equal(yr_pdfw_open(&w, &l.opt, NULL, &err), YIMA_OK);
    assert_int_equal(add_one(w, &l, 1), YIMA_E_INTERNAL);
    yr_pdfw_abort(w);
    assert_int_not_equal(access(path_in_dir("misplaced.pdf"), F_OK), 0);
    free(l.sym.mod);
}

/* ---- constant memory ---------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Writes pages one-label pages of a QR version 1 symbol to pdf; the heap
 * in use (mallinfo2) after 10,000 pages and at the end, before finishing. */
static void write_many(const char *pdf, unsigned pages, size_t *heap_early, size_t *heap_late)
{
    one_label l;
    yr_pdfw *w;
    yima_err err = {0};
    one_label_init(&l, pdf, "M", 12, 0.3);
    assert_int_equal(yr_pdfw_open(&w, &l.opt, NULL, &err), YIMA_OK);
    for (unsigned page = 0; page < pages; page++) {
        assert_int_equal(add_one(w, &l, page), YIMA_OK);
        if (page == 10000)
            *heap_early = mallinfo2().uordblks;
    }
    *heap_late = mallinfo2().uordblks;
    assert_int_equal(yr_pdfw_finish(w, &err), YIMA_OK);
    free(l.sym.mod);
}

/* 200,000 pages: the heap in use is the same after 10,000 and after
 * 200,000 pages (ASan's allocator hides the heap from mallinfo2), and the
 * page tree leads to the last page. qpdf --check reads every object, so it
 * checks a 50,000-page file (root, 50 intermediate nodes, their pages, xref:
 * written the same way) to stay within a minute. */
static void test_constant_memory(void **state)
{
    (void)state;
    const char *pdf = path_in_dir("many.pdf");
    const unsigned pages = 200000;
    size_t early = 0, late = 0;
    write_many(pdf, pages, &early, &late);
#ifndef UNDER_ASAN
    fprintf(stderr, "heap in use after 10,000 pages %zu bytes, after %u pages %zu bytes\n",
            early, pages, late);
    assert_true(late <= early + 4096);
#endif
    char *info = run_ok("pdfinfo '%s'", pdf);
    assert_int_equal(pdf_pages(info), pages);
    free(info);
    char *last[] = {"M"};
    assert_page_decodes(pdf, (int)pages, 300, last, 1);
    assert_page_decodes(pdf, 1001, 300, last, 1);
    unlink(pdf);

    write_many(pdf, 50000, &early, &late);
    qpdf_check(pdf);
    unlink(pdf);
}

/* ---- setup ---------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    yima_err err = {0};
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_render_pdf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir) || yr_font_open(NULL, &font, &err) != YIMA_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int st;
    yr_font_free(font);
    if (!getenv("YIMA_KEEP_TEST_FILES"))
        free(run(&st, "rm -rf '%s'", dir));
    return 0;
}

/* ---- streams qpdf reads without a warning ------------------------------------ */

/* A page's content that, deflated at the writer's level, ends a piece of
 * qpdf's input just as its output buffer fills (found in a 1,000,000-label
 * job: qpdf --check warned "input stream is complete but output may still
 * be valid" on 3 of 25,000 pages). */
static void read_boundary_page(yima_buf *page)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/render/qpdf-boundary-page.gz", getenv("YIMA_VECTORS"));
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    unsigned char chunk[65536];
    int n;
    while ((n = gzread(gz, chunk, sizeof chunk)) > 0)
        assert_int_equal(yima_buf_append(page, chunk, (size_t)n), YIMA_OK);
    gzclose(gz);
    assert_int_equal(page->len, 159076);
}

static void test_qpdf_boundary(void **state)
{
    (void)state;
    yima_buf page = {0}, obj = {0};
    read_boundary_page(&page);
    /* Plain deflate at level 3 lands on qpdf's boundary... */
    uLong cap = compressBound((uLong)page.len);
    unsigned char *plain = malloc(cap);
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 3, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = page.data;
    z.avail_in = (uInt)page.len;
    z.next_out = plain;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    assert_true(yr_qpdf_would_warn(plain, cap - z.avail_out));
    deflateEnd(&z);
    /* ...and the writer's stream does not, and still holds the page. */
    assert_int_equal(yr_pdf_stream(&obj, 7, "", &page), YIMA_OK);
    const char *start = strstr((const char *)obj.data, "stream\n") + 7;
    size_t zlen = strtoul(strstr((const char *)obj.data, "/Length ") + 8, NULL, 10);
    assert_false(yr_qpdf_would_warn((const unsigned char *)start, zlen));
    uLongf got = (uLongf)page.len + 16;
    unsigned char *back = malloc(got);
    assert_int_equal(uncompress(back, &got, (const unsigned char *)start, zlen), Z_OK);
    size_t lead = got - page.len;
    assert_true(lead >= 1 && lead <= 4);
    for (size_t i = 0; i < lead; i++)
        assert_int_equal(back[i], '\n');
    assert_memory_equal(back + lead, page.data, page.len);
    free(back);
    free(plain);
    yima_buf_free(&obj);
    yima_buf_free(&page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry),    cmocka_unit_test(test_object_numbers),
        cmocka_unit_test(test_sheet),       cmocka_unit_test(test_roll),
        cmocka_unit_test(test_bad_date),    cmocka_unit_test(test_split),
        cmocka_unit_test(test_abort),       cmocka_unit_test(test_out_of_place),
        cmocka_unit_test(test_constant_memory), cmocka_unit_test(test_qpdf_boundary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
