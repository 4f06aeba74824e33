/* SPDX-License-Identifier: MIT */
/*
 * Press-ready PDF: page geometry, page objects and the streaming writer.
 *
 * Everything is drawn as filled vector paths in one ink: black as K only
 * (DeviceGray 0) or a named Separation (a spot colour), never RGB; no
 * images, no fonts (text arrives as outlines from the font engine).
 *
 * Object numbers are fixed by position, so workers build whole pages in
 * parallel and the writer only appends them and notes their offsets:
 *   1 catalog, 2 root of the page tree, 3 Info, 4 XMP metadata,
 *   5 the resources every page shares, then per group of PAGE_GROUP pages
 *   one intermediate /Pages node followed by each page's content stream
 *   and page dictionary, and last the glyphs.
 * Text is drawn by glyph: each glyph the file uses is one Form XObject,
 * written once at the end, and a page places it with "Do". Outlines
 * repeated on every label made a label with three lines of text weigh
 * some 20 KB (deflate's window is too short to find the repeats); placed
 * glyphs weigh a few bytes each.
 * A node's number is known before its pages (they name it as /Parent);
 * the node itself is written when the file is finished. So the page tree
 * is balanced (viewers open a million-page file without reading a million
 * /Kids), and the writer keeps no per-page state in memory: offsets spill
 * to a temporary file and the tree and xref stream out in pieces.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zlib.h>
#include "io.h"
#include "render_internal.h"
#include "yima/version.h"

#define PT_PER_MM (72.0 / 25.4)

/* Crop marks (roll pages only: sheet labels are die-cut on the sheet).
 * The page is the BleedBox grown by CROP_MARGIN_MM on each side; each trim
 * corner gets two 0.25 pt lines on the extended trim lines, from
 * CROP_GAP_MM beyond the bleed (at least CROP_MIN_MM from the trim) to
 * CROP_EDGE_MM short of the page edge, in the job's ink. */
#define CROP_MARGIN_MM 6.0
#define CROP_GAP_MM 1.0
#define CROP_MIN_MM 2.0
#define CROP_EDGE_MM 0.5
#define CROP_LINE_PT 0.25

/* Pages under one intermediate page-tree node, and the object numbers a
 * group spans (its node, then two objects per page). */
#define PAGE_GROUP 1000u
#define GROUP_OBJS (1 + YR_PDF_OBJS_PER_PAGE * PAGE_GROUP)

/* A classic xref entry holds a 10-digit offset. */
#define PDF_OFFSET_MAX UINT64_C(9999999999)

#define RESOURCES_OBJ 5 /* shared by every page */
#define DEFLATE_LEVEL 3 /* of content streams: see zstream_get */

#define CHUNK_BYTES (64 * 1024) /* the tail goes out in pieces of about this */
#define SPILL_READ 4096         /* offsets read back at a time */

/* ---- geometry ------------------------------------------------------------ */

/* Trim size of one label: the template's, else the sheet cell less the gap. */
static void label_size(const yima_render_options *opt, double *w, double *h)
{
    const yima_label *l = opt->label;
    double gap = l ? l->gap : 0;
    *w = l && l->w > 0 ? l->w : opt->sheet ? opt->sheet->pitch_x - gap : 0;
    *h = l && l->h > 0 ? l->h : opt->sheet ? opt->sheet->pitch_y - gap : 0;
}

static int is_sheet(const yima_render_options *opt)
{
    return opt->sheet && !opt->roll;
}

void yr_page_geometry(const yima_render_options *opt, yr_page_geom *g)
{
    memset(g, 0, sizeof *g);
    if (is_sheet(opt)) {
        /* The labels are die-cut on the sheet: the sheet is trimmed as a whole. */
        g->media_w = g->trim_w = opt->sheet->page_w;
        g->media_h = g->trim_h = opt->sheet->page_h;
        return;
    }
    label_size(opt, &g->trim_w, &g->trim_h);
    g->bleed = opt->label ? opt->label->bleed : 0;
    double margin = g->bleed + (opt->crop_marks ? CROP_MARGIN_MM : 0);
    g->trim_x = g->trim_y = margin;
    g->media_w = g->trim_w + 2 * margin;
    g->media_h = g->trim_h + 2 * margin;
}

void yr_label_origin(const yima_render_options *opt, unsigned k, double *x, double *y)
{
    if (!is_sheet(opt)) {
        yr_page_geom g;
        yr_page_geometry(opt, &g);
        *x = g.trim_x;
        *y = g.trim_y;
        return;
    }
    const yima_sheet *s = opt->sheet;
    double w, h;
    label_size(opt, &w, &h);
    /* A centred grid centres the labels themselves, not their cells plus
     * a trailing gap. */
    double left = s->left >= 0 ? s->left : (s->page_w - ((s->cols - 1) * s->pitch_x + w)) / 2;
    double top = s->top >= 0 ? s->top : (s->page_h - ((s->rows - 1) * s->pitch_y + h)) / 2;
    /* On whole printer dots, so that symbol modules (whole dots too: see
     * yr_plan_label) fall on the device's pixel grid and print sharp. */
    double dot = 25.4 / yr_physical_dpi(opt);
    *x = floor((left + (k % s->cols) * s->pitch_x) / dot + 1e-6) * dot;
    *y = floor((top + (k / s->cols) * s->pitch_y) / dot + 1e-6) * dot;
}

unsigned yr_labels_per_page(const yima_render_options *opt)
{
    return is_sheet(opt) ? opt->sheet->cols * opt->sheet->rows : 1;
}

/* ---- object numbers -------------------------------------------------------- */

/* Page p of a file: its content stream's number (its dictionary's is next). */
static uint64_t page_obj(uint64_t p)
{
    return YR_PDF_FIRST_PAGE_OBJ + p / PAGE_GROUP * GROUP_OBJS + 1 +
           YR_PDF_OBJS_PER_PAGE * (p % PAGE_GROUP);
}

static uint64_t node_obj(uint64_t group)
{
    return YR_PDF_FIRST_PAGE_OBJ + group * GROUP_OBJS;
}

/* The page-tree node above the page whose objects start at first_obj. */
static uint64_t parent_obj(uint64_t first_obj)
{
    return node_obj((first_obj - YR_PDF_FIRST_PAGE_OBJ) / GROUP_OBJS);
}

uint64_t yr_pdfw_first_obj(const yima_render_options *opt, uint64_t page)
{
    return page_obj(opt->split_pages ? page % opt->split_pages : page);
}

/* ---- one page ---------------------------------------------------------------- */

/* Selects the ink for fills and strokes: K, or tint 1 of the spot colour. */
static int pdf_ink(yima_buf *cs, const yima_render_options *opt)
{
    return opt->spot ? yr_printf(cs, "/CS0 cs 1 scn /CS0 CS 1 SCN\n") : yr_printf(cs, "0 g 0 G\n");
}

/* 1 if row y of sym holds a dark run of exactly [x0, x1). */
static int is_run(const yr_symbol *sym, int y, int x0, int x1)
{
    const unsigned char *m = sym->mod + (size_t)y * (size_t)sym->w;
    if ((x0 > 0 && (m[x0 - 1] & 1)) || (x1 < sym->w && (m[x1] & 1)))
        return 0;
    for (int x = x0; x < x1; x++)
        if (!(m[x] & 1))
            return 0;
    return 1;
}

/* Writes v in decimal at p; returns the end. Symbols and text place
 * thousands of numbers a page, and printf was most of a page's time. */
static char *put_int(char *p, int64_t v)
{
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do
        digits[n++] = (char)('0' + u % 10);
    while (u /= 10);
    while (n)
        *p++ = digits[--n];
    return p;
}

/* Appends "x y w h re" of module counts. */
static int put_rect(yima_buf *cs, int x, int y, int w, int h)
{
    if (yima_buf_reserve(cs, 4 * 12 + 4))
        return YIMA_E_NOMEM;
    char *p = (char *)cs->data + cs->len;
    const int v[4] = {x, y, w, h};
    for (int i = 0; i < 4; i++) {
        p = put_int(p, v[i]);
        *p++ = ' ';
    }
    memcpy(p, "re\n", 3);
    cs->len = (size_t)(p + 3 - (char *)cs->data);
    return YIMA_OK;
}

/* Appends "q a 0 0 d e f cm\n": a scale (a, d, to `decimals` places) and a
 * move (e, f points, to 3 places) in a new graphics state. */
static int put_cm(yima_buf *cs, double a, double d, int decimals, double e, double f)
{
    if (yima_buf_reserve(cs, 4 * 28 + 16))
        return YIMA_E_NOMEM;
    char *start = (char *)cs->data + cs->len, *p = start;
    memcpy(p, "q ", 2);
    p = yr_put_fixed(p + 2, a, decimals);
    memcpy(p, " 0 0 ", 5);
    p = yr_put_fixed(p + 5, d, decimals);
    *p++ = ' ';
    p = yr_put_fixed(p, e, 3);
    *p++ = ' ';
    p = yr_put_fixed(p, f, 3);
    memcpy(p, " cm\n", 4);
    cs->len += (size_t)(p + 4 - start);
    return YIMA_OK;
}

/* The dark modules as one path of rectangles: horizontal runs, and a run
 * repeated on the rows below as one taller rectangle. Coordinates are
 * whole modules under a matrix that puts the symbol's top-left at
 * (x, y) points with y running down, so edges meet exactly. */
static int pdf_symbol(yima_buf *cs, const yr_symbol *sym, double mod, double x, double y)
{
    int rc = put_cm(cs, mod, -mod, 5, x, y);
    for (int row = 0; row < sym->h && !rc; row++) {
        const unsigned char *m = sym->mod + (size_t)row * (size_t)sym->w;
        int at = 0, start;
        while (!rc && yr_next_run(m, sym->w, &at, &start)) {
            if (row > 0 && is_run(sym, row - 1, start, at))
                continue; /* drawn with the rectangle that started above */
            int h = 1;
            while (row + h < sym->h && is_run(sym, row + h, start, at))
                h++;
            rc = put_rect(cs, start, row, at - start, h);
        }
    }
    return rc ? rc : yr_printf(cs, "f Q\n");
}

/* The glyphs a page uses: a bit per glyph index. */
#define GLYPHS_MAX 65536u /* glyph indices are 16-bit in TrueType and CFF */
typedef struct glyph_set {
    unsigned char bits[GLYPHS_MAX / 8];
} glyph_set;

static int glyph_add(glyph_set *set, uint32_t gid)
{
    if (gid >= GLYPHS_MAX)
        return YIMA_E_INTERNAL;
    set->bits[gid >> 3] |= (unsigned char)(1u << (gid & 7));
    return YIMA_OK;
}

static int glyph_has(const glyph_set *set, uint32_t gid)
{
    return set->bits[gid >> 3] >> (gid & 7) & 1;
}

/* A line being placed: the previous glyph's x, in thirds of a font unit. */
typedef struct line_pen {
    yima_buf *cs;
    glyph_set *used;
    int64_t x;
} line_pen;

/* "1 0 0 1 dx 0 cm" moves to the glyph, then "/gN Do" draws it: offsets
 * are whole thirds of a font unit, so placing adds no rounding error. */
static int place_glyph(void *ctx, uint32_t gid, int64_t x)
{
    line_pen *pen = ctx;
    int64_t dx = 3 * x - pen->x;
    pen->x = 3 * x;
    int rc = glyph_add(pen->used, gid);
    if (rc || yima_buf_reserve(pen->cs, 64))
        return rc ? rc : YIMA_E_NOMEM;
    char *start = (char *)pen->cs->data + pen->cs->len, *p = start;
    if (dx) {
        memcpy(p, "1 0 0 1 ", 8);
        p = put_int(p + 8, dx);
        memcpy(p, " 0 cm ", 6);
        p += 6;
    }
    memcpy(p, "/g", 2);
    p = put_int(p + 2, gid);
    memcpy(p, " Do\n", 4);
    pen->cs->len += (size_t)(p + 4 - start);
    return YIMA_OK;
}

/* Text lines by glyph: label mm (y down) to page points (y up), the line's
 * matrix scaling thirds of a font unit to its size. */
static int pdf_text(yima_buf *cs, const yr_plan *plan, yr_font *font, double ox, double oy,
                    double media_h, glyph_set *used)
{
    int rc = YIMA_OK;
    for (int i = 0; i < plan->nlines && !rc; i++) {
        const yr_textline *t = &plan->lines[i];
        double scale = t->pt / (3 * yr_font_upem(font));
        line_pen pen = {cs, used, 0};
        rc = put_cm(cs, scale, scale, 9, PT_PER_MM * (ox + t->x),
                    PT_PER_MM * (media_h - oy - t->y));
        rc = rc ? rc : yr_font_glyphs(font, t->s, t->len, place_glyph, &pen);
        rc = rc ? rc : yr_printf(cs, "Q\n");
    }
    return rc;
}

/* Eight crop lines, two at each trim corner, outside the bleed. */
static int pdf_crop_marks(yima_buf *cs, const yr_page_geom *g)
{
    double near = g->bleed + CROP_GAP_MM > CROP_MIN_MM ? g->bleed + CROP_GAP_MM : CROP_MIN_MM;
    double far = g->bleed + CROP_MARGIN_MM - CROP_EDGE_MM;
    double xs[2] = {g->trim_x, g->trim_x + g->trim_w}, ys[2] = {g->trim_y, g->trim_y + g->trim_h};
    int rc = yr_printf(cs, "%.2f w 0 J\n", CROP_LINE_PT);
    for (int i = 0; i < 4 && !rc; i++) {
        double x = xs[i & 1], y = ys[i >> 1];
        double out_x = i & 1 ? 1 : -1, out_y = i >> 1 ? 1 : -1; /* away from the label */
        double px = x * PT_PER_MM, py = (g->media_h - y) * PT_PER_MM;
        rc = yr_printf(cs, "%.3f %.3f m %.3f %.3f l %.3f %.3f m %.3f %.3f l\n",
                       (x + out_x * near) * PT_PER_MM, py, (x + out_x * far) * PT_PER_MM, py, px,
                       (g->media_h - y - out_y * near) * PT_PER_MM, px,
                       (g->media_h - y - out_y * far) * PT_PER_MM);
    }
    return rc ? rc : yr_printf(cs, "S\n");
}

/* The drawing of a page, uncompressed. */
static int page_content(const yima_render_options *opt, const yr_page_geom *g,
                        const yr_plan *plans, const yr_symbol *syms, unsigned n, yr_font *font,
                        glyph_set *used, yima_buf *cs)
{
    int rc = pdf_ink(cs, opt);
    for (unsigned k = 0; k < n && !rc; k++) {
        double ox, oy;
        yr_label_origin(opt, k, &ox, &oy);
        const yr_plan *p = &plans[k];
        rc = pdf_symbol(cs, &syms[k], p->module * PT_PER_MM, (ox + p->sym_x) * PT_PER_MM,
                        (g->media_h - oy - p->sym_y) * PT_PER_MM);
        if (!rc && p->nlines)
            rc = pdf_text(cs, p, font, ox, oy, g->media_h, used);
    }
    if (!rc && opt->crop_marks && !is_sheet(opt))
        rc = pdf_crop_marks(cs, g);
    return rc;
}

/* A PDF name token: bytes outside '!'..'~', delimiters and '#' as #xx. */
static int pdf_name(yima_buf *out, const char *s)
{
    int rc = yr_printf(out, "/");
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++)
        rc = *p < 0x21 || *p > 0x7e || strchr("()<>[]{}/%#", *p)
                 ? yr_printf(out, "#%02X", *p)
                 : yr_printf(out, "%c", *p);
    return rc;
}

/* [llx lly urx ury] in points of a box given from the page's top-left in mm. */
static int pdf_box(yima_buf *out, const char *key, const yr_page_geom *g, double x, double y,
                   double w, double h)
{
    double bottom = g->media_h - y - h;
    return yr_printf(out, " /%s [%.3f %.3f %.3f %.3f]", key, x * PT_PER_MM, bottom * PT_PER_MM,
                     (x + w) * PT_PER_MM, (bottom + h) * PT_PER_MM);
}

static int page_dict(const yr_page_geom *g, uint64_t first_obj, yima_buf *out)
{
    int rc = yr_printf(out, "%" PRIu64 " 0 obj\n<</Type /Page /Parent %" PRIu64 " 0 R",
                       first_obj + 1, parent_obj(first_obj));
    rc = rc ? rc : pdf_box(out, "MediaBox", g, 0, 0, g->media_w, g->media_h);
    rc = rc ? rc
            : pdf_box(out, "BleedBox", g, g->trim_x - g->bleed, g->trim_y - g->bleed,
                      g->trim_w + 2 * g->bleed, g->trim_h + 2 * g->bleed);
    rc = rc ? rc : pdf_box(out, "TrimBox", g, g->trim_x, g->trim_y, g->trim_w, g->trim_h);
    return rc ? rc
              : yr_printf(out, "\n/Resources %d 0 R /Contents %" PRIu64 " 0 R>>\nendobj\n",
                          RESOURCES_OBJ, first_obj);
}

/* One deflate state per thread, reset for each stream: a fresh state a
 * page (compress2) costs a quarter megabyte of allocation and clearing,
 * more than the page itself. Freed when its thread ends. */
static pthread_key_t zkey;
static pthread_once_t zonce = PTHREAD_ONCE_INIT;
static int zkey_ok;

static void zstream_free(void *p)
{
    deflateEnd(p);
    free(p);
}

static void zkey_init(void)
{
    zkey_ok = pthread_key_create(&zkey, zstream_free) == 0;
}

static z_stream *zstream_get(void)
{
    pthread_once(&zonce, zkey_init);
    z_stream *z = zkey_ok ? pthread_getspecific(zkey) : NULL;
    if (z)
        return deflateReset(z) == Z_OK ? z : NULL;
    if (!zkey_ok || !(z = calloc(1, sizeof *z)))
        return NULL;
    /* Level 3: at 6 (zlib's default) deflate took a third of a labelled
     * page's time; 3 takes half that for files a third larger (2,000 labels
     * with three text lines: 1.2 MB against 0.9 MB), and 1 saves little
     * more time for files a third larger again. */
    if (deflateInit2(z, DEFLATE_LEVEL, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    if (pthread_setspecific(zkey, z) != 0) {
        zstream_free(z);
        return NULL;
    }
    return z;
}

#define QPDF_IN_CHUNK 1024    /* qpdf 11 feeds a stream to zlib in pieces of this */
#define QPDF_OUT_BUF 65536    /* and takes zlib's output in buffers of this */

int yr_qpdf_would_warn(const unsigned char *zdata, size_t zlen)
{
    z_stream s = {0};
    static __thread unsigned char out[QPDF_OUT_BUF];
    int rc = Z_OK, hit = 0;
    if (inflateInit(&s) != Z_OK)
        return 0;
    s.next_out = out;
    s.avail_out = sizeof out;
    for (size_t at = 0; at < zlen && rc == Z_OK && !hit; at += QPDF_IN_CHUNK) {
        s.next_in = (unsigned char *)(uintptr_t)(zdata + at);
        s.avail_in = (uInt)(zlen - at < QPDF_IN_CHUNK ? zlen - at : QPDF_IN_CHUNK);
        while (s.avail_in && rc == Z_OK && !hit) {
            rc = inflate(&s, Z_NO_FLUSH);
            hit = rc == Z_OK && !s.avail_in && !s.avail_out;
            if (!s.avail_out) {
                s.next_out = out;
                s.avail_out = sizeof out;
            }
        }
    }
    inflateEnd(&s);
    return hit;
}

/* data deflated into out at `at` (room for bound bytes): its length, or 0. */
static size_t deflate_into(unsigned char *at, uLong bound, const yima_buf *data)
{
    z_stream *z = zstream_get();
    if (!z)
        return 0;
    z->next_in = data->data;
    z->avail_in = (uInt)data->len;
    z->next_out = at;
    z->avail_out = (uInt)bound;
    return deflate(z, Z_FINISH) == Z_STREAM_END ? bound - z->avail_out : 0;
}

/* Deflates data, and again with a newline in front while qpdf would warn:
 * when a piece of input ends just as zlib fills qpdf's output buffer
 * (about one page in 8,000 of labels), qpdf --check reports "input stream
 * is complete but output may still be valid" for a stream every zlib
 * reads whole. A leading newline changes nothing on the page. */
static size_t deflate_for_qpdf(unsigned char *at, uLong bound, const yima_buf *data, int *rc)
{
    size_t zlen = deflate_into(at, bound, data);
    yima_buf shifted = {0};
    *rc = YIMA_OK;
    for (size_t k = 1; zlen && data->len >= QPDF_OUT_BUF && k <= 4 &&
                       yr_qpdf_would_warn(at, zlen);
         k++) {
        shifted.len = 0;
        if (yima_buf_append(&shifted, "\n\n\n\n", k) ||
            yima_buf_append(&shifted, data->data, data->len)) {
            *rc = YIMA_E_NOMEM;
            break;
        }
        zlen = deflate_into(at, bound, &shifted);
    }
    yima_buf_free(&shifted);
    if (!*rc && !zlen)
        *rc = YIMA_E_NOMEM;
    return zlen;
}

int yr_pdf_stream(yima_buf *out, uint64_t obj, const char *dict, const yima_buf *data)
{
    z_stream *z = zstream_get();
    char head[192];
    if (!z)
        return YIMA_E_NOMEM;
    /* Room for a few newlines more, in case qpdf needs them. */
    uLong bound = deflateBound(z, (uLong)data->len + 8);
    /* The dictionary goes in front once the length is known: leave room. */
    if (yima_buf_reserve(out, sizeof head + bound + 32))
        return YIMA_E_NOMEM;
    unsigned char *at = out->data + out->len + sizeof head;
    int rc;
    size_t zlen = deflate_for_qpdf(at, bound, data, &rc);
    if (rc)
        return rc;
    int n = snprintf(head, sizeof head,
                     "%" PRIu64 " 0 obj\n<<%s /Length %zu /Filter /FlateDecode>>\nstream\n",
                     obj, dict, zlen);
    memmove(out->data + out->len + n, at, zlen);
    memcpy(out->data + out->len, head, (size_t)n);
    out->len += (size_t)n + zlen;
    return yr_printf(out, "\nendstream\nendobj\n");
}

/* Appends the glyph indices of set, ascending, as uint32_t. */
static int glyph_list(const glyph_set *set, yima_buf *gids)
{
    for (uint32_t byte = 0; byte < sizeof set->bits; byte++)
        for (uint32_t gid = 8 * byte; set->bits[byte] && gid < 8 * byte + 8; gid++)
            if (glyph_has(set, gid) && yima_buf_append(gids, &gid, sizeof gid))
                return YIMA_E_NOMEM;
    return YIMA_OK;
}

int yr_pdf_page(const yima_render_options *opt, const yr_plan *plans, const yr_symbol *syms,
                unsigned n, yr_font *font, uint64_t first_obj, yima_buf *out,
                uint64_t offs[YR_PDF_OBJS_PER_PAGE], yima_buf *gids, yima_err *err)
{
    yr_page_geom g;
    yima_buf cs = {0};
    size_t start = out->len;
    glyph_set *used = calloc(1, sizeof *used);
    if (!used)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a PDF page");
    for (unsigned k = 0; k < n && !font; k++)
        if (plans[k].nlines) {
            free(used);
            return yima_err_set(err, YIMA_E_INTERNAL, "a PDF page with text needs a font");
        }
    yr_page_geometry(opt, &g);
    int rc = page_content(opt, &g, plans, syms, n, font, used, &cs);
    rc = rc ? rc : glyph_list(used, gids);
    free(used);
    offs[0] = 0;
    rc = rc ? rc : yr_pdf_stream(out, first_obj, "", &cs);
    offs[1] = out->len - start;
    rc = rc ? rc : page_dict(&g, first_obj, out);
    yima_buf_free(&cs);
    if (rc == YIMA_E_NOMEM)
        return yima_err_set(err, rc, "out of memory for a PDF page");
    return rc ? yima_err_set(err, rc, "cannot draw the text of a PDF page") : YIMA_OK;
}

/* ---- strings of the Info dictionary and XMP -------------------------------- */

/* The next code point of UTF-8 text; a malformed sequence reads as U+FFFD
 * (titles are file names and arguments: anything may come). */
static uint32_t next_cp(const unsigned char **p, const unsigned char *end)
{
    size_t i = 0;
    int32_t cp = yr_utf8_next(*p, (size_t)(end - *p), &i);
    *p += i;
    return cp < 0 ? 0xfffd : (uint32_t)cp;
}

static int is_plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* A PDF text string: a literal for printable ASCII, else UTF-16BE hex. */
static int pdf_text_string(yima_buf *out, const char *s)
{
    int rc;
    if (is_plain_ascii(s)) {
        rc = yr_printf(out, "(");
        for (; *s && !rc; s++)
            rc = strchr("()\\", *s) ? yr_printf(out, "\\%c", *s) : yr_printf(out, "%c", *s);
        return rc ? rc : yr_printf(out, ")");
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    rc = yr_printf(out, "<FEFF");
    while (p < end && !rc) {
        uint32_t cp = next_cp(&p, end);
        cp = cp < 0x20 ? ' ' : cp;
        rc = cp < 0x10000 ? yr_printf(out, "%04X", (unsigned)cp)
                          : yr_printf(out, "%04X%04X", (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
                                      (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
    }
    return rc ? rc : yr_printf(out, ">");
}

/* XML character data, UTF-8, with markup characters as entities. */
static int xml_text(yima_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    int rc = YIMA_OK;
    while (p < end && !rc) {
        uint32_t cp = next_cp(&p, end);
        const char *ent = cp == '<' ? "&lt;" : cp == '>' ? "&gt;" : cp == '&' ? "&amp;"
                        : cp == '"' ? "&quot;" : cp == '\'' ? "&apos;" : NULL;
        unsigned char u[4];
        size_t n = 0;
        cp = cp < 0x20 ? ' ' : cp; /* no control characters in XML 1.0 */
        if (cp < 0x80) {
            u[n++] = (unsigned char)cp;
        } else if (cp < 0x800) {
            u[n++] = (unsigned char)(0xc0 | cp >> 6);
        } else if (cp < 0x10000) {
            u[n++] = (unsigned char)(0xe0 | cp >> 12);
            u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        } else {
            u[n++] = (unsigned char)(0xf0 | cp >> 18);
            u[n++] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
            u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        }
        if (cp >= 0x80)
            u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
        rc = ent ? yr_printf(out, "%s", ent) : yima_buf_append(out, u, n);
    }
    return rc;
}

/* ---- the writer -------------------------------------------------------------- */

struct yr_pdfw {
    char *path;                 /* as given; NULL = standard output */
    int force;
    uint64_t split;             /* pages a file, 0 = one file */
    char *title, *manifest_hash, *manifest_name;
    char date_pdf[32], date_xmp[32]; /* from SOURCE_DATE_EPOCH, else empty */
    yima_out *out;              /* the open file; NULL between split files */
    unsigned part;              /* number of the last file opened, from 1 */
    uint64_t pages;             /* pages in the open file */
    uint64_t head[YR_PDF_FIRST_PAGE_OBJ]; /* offsets of objects 1..5 */
    char *font_family, *spot;
    glyph_set *used;            /* glyphs the open file's pages use */
    uint64_t *glyph_off;        /* offsets of their objects, when written */
    uint64_t nglyphs;
    yr_font *font;              /* the writer's own, opened for the first glyph */
    FILE *spill;                /* page object offsets, then the nodes' (8 bytes each) */
    crypto_generichash_state id; /* of the file's bytes, for the trailer's /ID */
    yima_buf chunk;             /* tail bytes not yet written */
};

static uint64_t pdfw_at(const yr_pdfw *w)
{
    return yima_out_bytes(w->out) + w->chunk.len;
}

static int pdfw_put(yr_pdfw *w, const void *data, size_t len, yima_err *err)
{
    crypto_generichash_update(&w->id, data, len);
    return yima_out_write(w->out, data, len, err);
}

/* Writes the chunk when it holds CHUNK_BYTES, or always with all set. */
static int pdfw_flush(yr_pdfw *w, int all, yima_err *err)
{
    if (!w->chunk.len || (!all && w->chunk.len < CHUNK_BYTES))
        return YIMA_OK;
    int rc = pdfw_put(w, w->chunk.data, w->chunk.len, err);
    w->chunk.len = 0;
    return rc;
}

static int nomem(yima_err *err)
{
    return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a PDF file");
}

/* The dates of a reproducible build, when SOURCE_DATE_EPOCH asks for them. */
static int pdfw_dates(yr_pdfw *w, yima_err *err)
{
    const char *env = getenv("SOURCE_DATE_EPOCH");
    char *end;
    if (!env || !*env)
        return YIMA_OK;
    errno = 0;
    unsigned long long secs = strtoull(env, &end, 10);
    time_t t = (time_t)secs;
    struct tm tm;
    if (*end || errno || env[0] == '-' || (unsigned long long)t != secs || !gmtime_r(&t, &tm) ||
        tm.tm_year + 1900 > 9999)
        return yima_err_set(err, YIMA_E_USAGE,
                            "SOURCE_DATE_EPOCH '%s' is not a count of seconds since 1970", env);
    strftime(w->date_pdf, sizeof w->date_pdf, "D:%Y%m%d%H%M%SZ", &tm);
    strftime(w->date_xmp, sizeof w->date_xmp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return YIMA_OK;
}

static int pdfw_info(yr_pdfw *w)
{
    yima_buf *o = &w->chunk;
    int rc = yr_printf(o, "3 0 obj\n<</Title ");
    rc = rc ? rc : pdf_text_string(o, w->title);
    rc = rc ? rc
            : yr_printf(o, " /Producer (yima %s) /Creator (yima %s)", yima_version_string(),
                        yima_version_string());
    if (!rc && w->date_pdf[0])
        rc = yr_printf(o, " /CreationDate (%s) /ModDate (%s)", w->date_pdf, w->date_pdf);
    if (!rc && w->manifest_hash) {
        rc = yr_printf(o, "\n/YimaManifest ");
        rc = rc ? rc : pdf_text_string(o, w->manifest_hash);
    }
    if (!rc && w->manifest_name) {
        rc = yr_printf(o, " /YimaManifestName ");
        rc = rc ? rc : pdf_text_string(o, w->manifest_name);
    }
    return rc ? rc : yr_printf(o, ">>\nendobj\n");
}

/* One XMP property element holding text. */
static int xmp_prop(yima_buf *o, const char *name, const char *value)
{
    int rc = yr_printf(o, "   <%s>", name);
    rc = rc ? rc : xml_text(o, value);
    return rc ? rc : yr_printf(o, "</%s>\n", name);
}

/* The XMP packet: the Info dictionary's entries in their XMP properties,
 * plus the manifest in yima's own namespace. */
static int xmp_packet(const yr_pdfw *w, yima_buf *x)
{
    char producer[64];
    snprintf(producer, sizeof producer, "yima %s", yima_version_string());
    int rc = yr_printf(
        x, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
           " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
           "  <rdf:Description rdf:about=\"\"\n"
           "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
           "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n"
           "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
           "    xmlns:yima=\"urn:yima:render:1.0/\">\n"
           "   <dc:format>application/pdf</dc:format>\n"
           "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    rc = rc ? rc : xml_text(x, w->title);
    rc = rc ? rc : yr_printf(x, "</rdf:li></rdf:Alt></dc:title>\n");
    rc = rc ? rc : xmp_prop(x, "pdf:Producer", producer);
    rc = rc ? rc : xmp_prop(x, "xmp:CreatorTool", producer);
    if (!rc && w->date_xmp[0]) {
        rc = xmp_prop(x, "xmp:CreateDate", w->date_xmp);
        rc = rc ? rc : xmp_prop(x, "xmp:ModifyDate", w->date_xmp);
        rc = rc ? rc : xmp_prop(x, "xmp:MetadataDate", w->date_xmp);
    }
    if (!rc && w->manifest_hash) /* BLAKE2b-256 of gen's manifest, hex */
        rc = xmp_prop(x, "yima:ManifestHash", w->manifest_hash);
    if (!rc && w->manifest_name)
        rc = xmp_prop(x, "yima:ManifestName", w->manifest_name);
    return rc ? rc
              : yr_printf(x, "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
                             "<?xpacket end=\"w\"?>");
}

/* Header, catalog, Info and XMP: the objects before the pages. */
static int pdfw_head(yr_pdfw *w, yima_err *err)
{
    yima_buf xmp = {0};
    /* The binary comment marks the file as binary for transfer tools. */
    int rc = yr_printf(&w->chunk, "%%PDF-1.7\n%%\xE2\xE3\xCF\xD3\n");
    w->head[1] = pdfw_at(w);
    rc = rc ? rc
            : yr_printf(&w->chunk,
                        "1 0 obj\n<</Type /Catalog /Pages 2 0 R /Metadata 4 0 R>>\nendobj\n");
    w->head[3] = pdfw_at(w);
    rc = rc ? rc : pdfw_info(w);
    w->head[4] = pdfw_at(w);
    rc = rc ? rc : xmp_packet(w, &xmp);
    /* Uncompressed, so preflight tools and grep find it. */
    rc = rc ? rc
            : yr_printf(&w->chunk,
                        "4 0 obj\n<</Type /Metadata /Subtype /XML /Length %zu>>\nstream\n",
                        xmp.len);
    rc = rc ? rc : yima_buf_append(&w->chunk, xmp.data, xmp.len);
    rc = rc ? rc : yr_printf(&w->chunk, "\nendstream\nendobj\n");
    yima_buf_free(&xmp);
    return rc ? nomem(err) : pdfw_flush(w, 1, err);
}

/* "job.pdf" -> "job-0001.pdf" (part 1); without ".pdf", the number ends it. */
static char *part_name(const char *path, unsigned part)
{
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t stem = strlen(base) > 4 && !strcasecmp(path + n - 4, ".pdf") ? n - 4 : n;
    size_t cap = n + 16;
    char *name = malloc(cap);
    if (name)
        snprintf(name, cap, "%.*s-%04u%s", (int)stem, path, part, path + stem);
    return name;
}

static int part_open(yr_pdfw *w, yima_err *err)
{
    char *name = w->split ? part_name(w->path, w->part + 1) : NULL;
    if (w->split && !name)
        return nomem(err);
    int rc = yima_out_open(&w->out, w->split ? name : w->path, w->force, 0, err);
    free(name);
    if (rc)
        return rc;
    w->part++;
    w->pages = 0;
    memset(w->used, 0, sizeof *w->used);
    crypto_generichash_init(&w->id, NULL, 0, 16);
    rewind(w->spill);
    if (ftruncate(fileno(w->spill), 0) != 0)
        return yima_err_set(err, YIMA_E_IO, "cannot reset the PDF offsets file: %s",
                            strerror(errno));
    return pdfw_head(w, err);
}

/* A temporary file that vanishes when closed: in TMPDIR, else /tmp. */
static FILE *spill_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/yima-pdf-offsets.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

static void pdfw_free(yr_pdfw *w)
{
    if (w->spill)
        fclose(w->spill);
    yima_buf_free(&w->chunk);
    yr_font_free(w->font);
    free(w->used);
    free(w->glyph_off);
    free(w->font_family);
    free(w->spot);
    free(w->path);
    free(w->title);
    free(w->manifest_hash);
    free(w->manifest_name);
    free(w);
}

static int copy_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst;
}

int yr_pdfw_open(yr_pdfw **wp, const yima_render_options *opt, const yr_pdf_meta *meta,
                 yima_err *err)
{
    int to_stdout = !opt->output || !strcmp(opt->output, "-");
    if (opt->split_pages && to_stdout)
        return yima_err_set(err, YIMA_E_USAGE,
                            "split PDF files need an output file name, not standard output");
    yr_pdfw *w = calloc(1, sizeof *w);
    if (!w || sodium_init() < 0) {
        free(w);
        return nomem(err);
    }
    w->force = opt->force;
    w->split = opt->split_pages;
    int rc = copy_str(&w->path, to_stdout ? NULL : opt->output) ||
                     copy_str(&w->title, meta && meta->title ? meta->title : "yima labels") ||
                     copy_str(&w->manifest_hash, meta ? meta->manifest_hash : NULL) ||
                     copy_str(&w->manifest_name, meta ? meta->manifest_name : NULL) ||
                     copy_str(&w->font_family, opt->font) || copy_str(&w->spot, opt->spot) ||
                     !(w->used = malloc(sizeof *w->used))
                 ? nomem(err)
                 : pdfw_dates(w, err);
    if (!rc && !(w->spill = spill_open()))
        rc = yima_err_set(err, YIMA_E_IO, "cannot create a temporary file for PDF offsets: %s",
                          strerror(errno));
    rc = rc ? rc : part_open(w, err);
    if (rc) {
        yr_pdfw_abort(w);
        return rc;
    }
    *wp = w;
    return YIMA_OK;
}

/* 1 if bytes start with object obj, as the page of this position must. */
static int starts_with_obj(const void *bytes, size_t len, uint64_t obj)
{
    char want[32];
    int n = snprintf(want, sizeof want, "%" PRIu64 " 0 obj", obj);
    return len >= (size_t)n && !memcmp(bytes, want, (size_t)n);
}

static int spill_fail(yima_err *err)
{
    return yima_err_set(err, YIMA_E_IO, "cannot use the temporary file of PDF offsets: %s",
                        strerror(errno));
}

static int part_finish(yr_pdfw *w, yima_err *err);

int yr_pdfw_page(yr_pdfw *w, const void *bytes, size_t len,
                 const uint64_t offs[YR_PDF_OBJS_PER_PAGE], const uint32_t *gids, size_t ngids,
                 yima_err *err)
{
    int rc = w->out ? YIMA_OK : part_open(w, err);
    if (rc)
        return rc;
    if (!starts_with_obj(bytes, len, page_obj(w->pages)))
        return yima_err_set(err, YIMA_E_INTERNAL, "PDF page %" PRIu64 " of %s is out of place",
                            w->pages, yima_out_path(w->out));
    uint64_t base = pdfw_at(w), rec[YR_PDF_OBJS_PER_PAGE];
    if (base + len > PDF_OFFSET_MAX)
        return yima_err_set(err, YIMA_E_USAGE,
                            "%s: a PDF file holds at most 10 GB; split the pages into files",
                            yima_out_path(w->out));
    for (int i = 0; i < YR_PDF_OBJS_PER_PAGE; i++)
        rec[i] = base + offs[i];
    if (fwrite(rec, sizeof rec[0], YR_PDF_OBJS_PER_PAGE, w->spill) != YR_PDF_OBJS_PER_PAGE)
        return spill_fail(err);
    if ((rc = pdfw_put(w, bytes, len, err)))
        return rc;
    for (size_t i = 0; i < ngids; i++)
        if (glyph_add(w->used, gids[i]))
            return yima_err_set(err, YIMA_E_INTERNAL, "PDF glyph %" PRIu32 " is out of range",
                                gids[i]);
    w->pages++;
    return w->split && w->pages == w->split ? part_finish(w, err) : YIMA_OK;
}

/* Object 5, the resources of every page: the spot colour and the glyphs,
 * numbered from first_glyph in glyph order. */
static int write_resources(yr_pdfw *w, uint64_t first_glyph, yima_err *err)
{
    w->head[RESOURCES_OBJ] = pdfw_at(w);
    int rc = yr_printf(&w->chunk, "%d 0 obj\n<<", RESOURCES_OBJ);
    if (!rc && w->spot) {
        /* Tint 1 is full ink; the alternate shows it as black on screen. */
        rc = yr_printf(&w->chunk, "/ColorSpace <</CS0 [/Separation ");
        rc = rc ? rc : pdf_name(&w->chunk, w->spot);
        rc = rc ? rc
                : yr_printf(&w->chunk, " /DeviceGray <</FunctionType 2 /Domain [0 1] /C0 [1] "
                                       "/C1 [0] /N 1>>]>>\n");
    }
    rc = rc ? rc : yr_printf(&w->chunk, "/XObject <<");
    uint64_t obj = first_glyph;
    for (uint32_t gid = 0; gid < GLYPHS_MAX && !rc; gid++) {
        if (!glyph_has(w->used, gid))
            continue;
        rc = yr_printf(&w->chunk, "/g%" PRIu32 " %" PRIu64 " 0 R%s", gid, obj,
                       (obj - first_glyph) % 8 == 7 ? "\n" : " ");
        obj++;
    }
    rc = rc ? rc : yr_printf(&w->chunk, ">>>>\nendobj\n");
    w->nglyphs = obj - first_glyph;
    return rc ? nomem(err) : pdfw_flush(w, 0, err);
}

/* One glyph: its outline in thirds of a font unit, filled. */
static int write_glyph(yr_pdfw *w, uint32_t gid, uint64_t obj, yima_buf *path, yima_err *err)
{
    int32_t box[4];
    char dict[128];
    path->len = 0;
    int rc = yr_font_glyph_pdf(w->font, gid, path, box);
    rc = rc ? rc : yr_printf(path, "f\n");
    if (rc)
        return rc == YIMA_E_NOMEM ? nomem(err)
                                  : yima_err_set(err, rc, "cannot read glyph %" PRIu32
                                                          " of font '%s'", gid,
                                                 yr_font_family(w->font));
    snprintf(dict, sizeof dict, " /Type /XObject /Subtype /Form /BBox [%d %d %d %d]",
             (int)box[0], (int)box[1], (int)box[2], (int)box[3]);
    return yr_pdf_stream(&w->chunk, obj, dict, path) ? nomem(err) : pdfw_flush(w, 0, err);
}

/* The glyphs of the resources, numbered from first_glyph; a font of the
 * writer's own draws them (the workers' are theirs). */
static int write_glyphs(yr_pdfw *w, uint64_t first_glyph, yima_err *err)
{
    yima_buf path = {0};
    free(w->glyph_off);
    w->glyph_off = NULL;
    if (!w->nglyphs)
        return YIMA_OK;
    int rc = w->font ? YIMA_OK : yr_font_open(w->font_family, &w->font, err);
    if (!rc && !(w->glyph_off = malloc(w->nglyphs * sizeof *w->glyph_off)))
        rc = nomem(err);
    uint64_t k = 0;
    for (uint32_t gid = 0; gid < GLYPHS_MAX && !rc; gid++) {
        if (!glyph_has(w->used, gid))
            continue;
        w->glyph_off[k] = pdfw_at(w);
        rc = write_glyph(w, gid, first_glyph + k, &path, err);
        k++;
    }
    yima_buf_free(&path);
    return rc;
}

/* The intermediate page-tree nodes, each with its group's pages; their
 * offsets go to the spill file after the pages'. */
static int write_nodes(yr_pdfw *w, uint64_t groups, yima_err *err)
{
    int rc = YIMA_OK;
    for (uint64_t g = 0; g < groups && !rc; g++) {
        uint64_t off = pdfw_at(w), first = g * PAGE_GROUP;
        uint64_t n = w->pages - first < PAGE_GROUP ? w->pages - first : PAGE_GROUP;
        if (fwrite(&off, sizeof off, 1, w->spill) != 1)
            return spill_fail(err);
        rc = yr_printf(&w->chunk,
                       "%" PRIu64 " 0 obj\n<</Type /Pages /Parent 2 0 R /Count %" PRIu64
                       " /Kids [",
                       node_obj(g), n);
        for (uint64_t p = first; p < first + n && !rc; p++)
            rc = yr_printf(&w->chunk, "%" PRIu64 " 0 R%s", page_obj(p) + 1,
                           (p - first) % 10 == 9 ? "\n" : " ");
        rc = rc ? nomem(err) : yr_printf(&w->chunk, "]>>\nendobj\n") ? nomem(err) : YIMA_OK;
        rc = rc ? rc : pdfw_flush(w, 0, err);
    }
    return rc;
}

static int write_root(yr_pdfw *w, uint64_t groups, yima_err *err)
{
    w->head[2] = pdfw_at(w);
    int rc = yr_printf(&w->chunk, "2 0 obj\n<</Type /Pages /Count %" PRIu64 " /Kids [", w->pages)
                 ? nomem(err)
                 : YIMA_OK;
    for (uint64_t g = 0; g < groups && !rc; g++) {
        rc = yr_printf(&w->chunk, "%" PRIu64 " 0 R%s", node_obj(g), g % 10 == 9 ? "\n" : " ")
                 ? nomem(err)
                 : pdfw_flush(w, 0, err);
    }
    return rc ? rc : yr_printf(&w->chunk, "]>>\nendobj\n") ? nomem(err) : YIMA_OK;
}

/* Reads offsets [at, at + n) of the spill file. */
static int spill_read(yr_pdfw *w, uint64_t at, uint64_t *buf, size_t n, yima_err *err)
{
    size_t bytes = n * sizeof *buf;
    ssize_t got = pread(fileno(w->spill), buf, bytes, (off_t)(at * sizeof *buf));
    return got == (ssize_t)bytes ? YIMA_OK : spill_fail(err);
}

/* The offset of object obj (>= YR_PDF_FIRST_PAGE_OBJ): a page's come in
 * order from buf, refilled from the spill file; a node's is read alone. */
static int object_offset(yr_pdfw *w, uint64_t obj, uint64_t *buf, uint64_t *next, size_t *have,
                         uint64_t *off, yima_err *err)
{
    uint64_t q = obj - YR_PDF_FIRST_PAGE_OBJ, page_recs = YR_PDF_OBJS_PER_PAGE * w->pages;
    if (q % GROUP_OBJS == 0)
        return spill_read(w, page_recs + q / GROUP_OBJS, off, 1, err);
    if (*have == 0) {
        size_t n = page_recs - *next < SPILL_READ ? (size_t)(page_recs - *next) : SPILL_READ;
        int rc = spill_read(w, *next, buf, n, err);
        if (rc)
            return rc;
        *have = n;
    }
    *off = buf[*next % SPILL_READ]; /* refills start at multiples of SPILL_READ */
    (*next)++;
    (*have)--;
    return YIMA_OK;
}

static int write_xref(yr_pdfw *w, uint64_t glyphs_at, uint64_t size, yima_err *err)
{
    uint64_t *buf = malloc(SPILL_READ * sizeof *buf), next = 0;
    size_t have = 0;
    if (!buf || fflush(w->spill) != 0) {
        free(buf);
        return buf ? spill_fail(err) : nomem(err);
    }
    int rc = yr_printf(&w->chunk, "xref\n0 %" PRIu64 "\n0000000000 65535 f \n", size) ? nomem(err)
                                                                                     : YIMA_OK;
    for (uint64_t obj = 1; obj < size && !rc; obj++) {
        uint64_t off = obj < YR_PDF_FIRST_PAGE_OBJ ? w->head[obj]
                       : obj >= glyphs_at           ? w->glyph_off[obj - glyphs_at]
                                                    : 0;
        if (obj >= YR_PDF_FIRST_PAGE_OBJ && obj < glyphs_at)
            rc = object_offset(w, obj, buf, &next, &have, &off, err);
        if (!rc)
            rc = yr_printf(&w->chunk, "%010" PRIu64 " 00000 n \n", off) ? nomem(err)
                                                                         : pdfw_flush(w, 0, err);
    }
    free(buf);
    return rc;
}

static int write_trailer(yr_pdfw *w, uint64_t size, uint64_t xref, yima_err *err)
{
    unsigned char id[16];
    char hex[2 * sizeof id + 1];
    int rc = pdfw_flush(w, 1, err);
    if (rc)
        return rc;
    crypto_generichash_final(&w->id, id, sizeof id);
    sodium_bin2hex(hex, sizeof hex, id, sizeof id);
    /* The ID is a hash of the file before it: the same job, the same file. */
    rc = yr_printf(&w->chunk,
                   "trailer\n<</Size %" PRIu64 " /Root 1 0 R /Info 3 0 R /ID [<%s> <%s>]>>\n"
                   "startxref\n%" PRIu64 "\n%%%%EOF\n",
                   size, hex, hex, xref);
    return rc ? nomem(err) : pdfw_flush(w, 1, err);
}

/* Page tree, xref and trailer of the open file, then commits it. */
static int part_finish(yr_pdfw *w, yima_err *err)
{
    uint64_t groups = (w->pages + PAGE_GROUP - 1) / PAGE_GROUP;
    uint64_t glyphs_at = w->pages ? page_obj(w->pages - 1) + YR_PDF_OBJS_PER_PAGE
                                  : YR_PDF_FIRST_PAGE_OBJ;
    int rc = write_resources(w, glyphs_at, err);
    rc = rc ? rc : write_glyphs(w, glyphs_at, err);
    uint64_t size = glyphs_at + w->nglyphs;
    rc = rc ? rc : write_nodes(w, groups, err);
    rc = rc ? rc : write_root(w, groups, err);
    uint64_t xref = pdfw_at(w);
    if (!rc && xref > PDF_OFFSET_MAX)
        rc = yima_err_set(err, YIMA_E_USAGE,
                          "%s: a PDF file holds at most 10 GB; split the pages into files",
                          yima_out_path(w->out));
    rc = rc ? rc : write_xref(w, glyphs_at, size, err);
    rc = rc ? rc : write_trailer(w, size, xref, err);
    if (rc)
        return rc;
    yima_out *out = w->out;
    w->out = NULL;
    return yima_out_commit(out, NULL, err);
}

int yr_pdfw_finish(yr_pdfw *w, yima_err *err)
{
    /* Split files end when full; only a partly filled (or the empty first)
     * file is still open here. */
    int rc = w->out ? part_finish(w, err) : YIMA_OK;
    if (rc)
        yr_pdfw_abort(w);
    else
        pdfw_free(w);
    return rc;
}

/* Files already committed (earlier parts of a split job) stay: they are
 * complete PDFs, and a resumed run (a range) can start after them. */
void yr_pdfw_abort(yr_pdfw *w)
{
    if (!w)
        return;
    yima_out_abort(w->out);
    pdfw_free(w);
}
