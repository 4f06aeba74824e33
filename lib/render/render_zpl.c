/* SPDX-License-Identifier: MIT */
/*
 * Zebra ZPL II labels, one ^XA..^XZ format per code. The printer draws the
 * symbol itself (^BQ for QR, ^BX quality 200 for DataMatrix) where the
 * label plan puts it; each text line is drawn by the font engine into a
 * 1-bit graphic field (^GF, Z64: zlib, base64 and a CRC), so any script
 * prints whatever fonts the printer has, and nothing lands where the plan
 * does not say. Settings a printer keeps between formats (units, home,
 * orientation, reverse print, ^BY) are set in every format, so a label
 * prints the same after any other job. Sizes the printer cannot make are
 * refused, never clamped.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>
#include <zlib.h>
#include "render_internal.h"

#define ZPL_QR_MAG_MAX 10         /* ^BQ magnification: 1..10 dots a module */
#define ZPL_WIDTH_MAX_MM 216.0    /* 8.5 in: the widest Zebra print head (220Xi4) */
#define ZPL_DOTS_MAX 32000        /* ^LL and ^FO coordinates */
#define ZPL_COPIES_MAX 99999999u  /* ^PQ quantity */
#define ZPL_GF_BYTES_MAX 99999    /* ^GF byte counts */
#define ZPL_BY_HEIGHT 10          /* ^BY bar height at power-up */
#define DM_ESC '`' /* ^BX escape: GS1's character set 82 has no backquote */

/* Zebra print heads have whole dots per mm: a "300 dpi" printer makes 12
 * dots a mm (304.8 dpi). Positions go to the dot nearest their mm, so a
 * label fills the printer's own ^PW and ^LL; a module stays opt->scale
 * dots. 0: not a resolution a Zebra printer has. */
static int zpl_dpmm(int dpi)
{
    return dpi == 152 ? 6 : dpi == 203 ? 8 : dpi == 300 ? 12 : dpi == 600 ? 24 : 0;
}

static int zpl_dots(double mm, int dpmm)
{
    return (int)lround(mm * dpmm);
}

/* The label's size, when known before the first row. */
static int check_label(const yima_render_options *opt, int dpmm, yima_err *err)
{
    const yima_label *l = opt->label;
    if (!l || l->w <= 0)
        return YIMA_OK;
    if (l->w > ZPL_WIDTH_MAX_MM + 1e-9)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a label %g mm wide is wider than any Zebra printer prints (%g mm)",
                            l->w, ZPL_WIDTH_MAX_MM);
    if (zpl_dots(l->h, dpmm) > ZPL_DOTS_MAX)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a label %g mm long is longer than ZPL's ^LL allows (%d dots: %d mm at "
                            "%d dots a mm)", l->h, ZPL_DOTS_MAX, ZPL_DOTS_MAX / dpmm, dpmm);
    if (opt->symbol == YIMA_SYM_DATAMATRIX && opt->scale > zpl_dots(l->w, dpmm))
        return yima_err_set(err, YIMA_E_USAGE,
                            "a DataMatrix module of %d dots is wider than the %g mm label",
                            opt->scale, l->w);
    return YIMA_OK;
}

static int check_qr(const yima_render_options *opt, yima_err *err)
{
    if (opt->scale > ZPL_QR_MAG_MAX)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a QR module of %d dots is more than ZPL's ^BQ allows (1..%d); use a "
                            "lower module size", opt->scale, ZPL_QR_MAG_MAX);
    if (opt->label && opt->label->rotate)
        return yima_err_set(err, YIMA_E_USAGE,
                            "ZPL's ^BQ prints a QR symbol upright only, not turned %d degrees",
                            opt->label->rotate);
    return YIMA_OK;
}

int yr_zpl_check(const yima_render_options *opt, yima_err *err)
{
    int dpi = yr_physical_dpi(opt);
    if (opt->format != YIMA_IMG_PNG)
        return yima_err_set(err, YIMA_E_USAGE,
                            "an image format does not apply to ZPL: the printer draws the label");
    if (!zpl_dpmm(dpi))
        return yima_err_set(err, YIMA_E_USAGE,
                            "no Zebra printer prints at %d dpi: ZPL labels are for 152, 203, 300 "
                            "or 600 dpi", dpi);
    if (opt->symbol == YIMA_SYM_MICROQR)
        return yima_err_set(err, YIMA_E_USAGE,
                            "ZPL has no Micro QR (^BQ prints QR Model 2); render QR or DataMatrix");
    if (opt->copies > ZPL_COPIES_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "%u copies: ZPL's ^PQ prints 1..%u of a label",
                            opt->copies, ZPL_COPIES_MAX);
    int rc = opt->symbol == YIMA_SYM_QR ? check_qr(opt, err) : YIMA_OK;
    return rc ? rc : check_label(opt, zpl_dpmm(dpi), err);
}

/* ---- field data ---------------------------------------------------------- */

/* After ^FH_, ^ and ~ are commands and _ is the escape itself, so those
 * (and control bytes) go as _XX hex. */
static int zpl_byte(yima_buf *out, unsigned char c)
{
    return c == '^' || c == '~' || c == '_' || c < 0x20 ? yr_printf(out, "_%02X", c)
                                                       : yima_buf_append(out, &c, 1);
}

/* The QR mode yima encodes in (render.h), named so that the printer makes
 * the same symbol: N digits, A the alphanumeric set, else B bytes. */
static char qr_mode(const char *s, size_t len)
{
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    int digits = 1;
    for (size_t i = 0; i < len; i++) {
        if (!s[i] || !strchr(alnum, s[i]))
            return 'B';
        digits &= s[i] >= '0' && s[i] <= '9';
    }
    return digits ? 'N' : 'A';
}

/* ^BQ field data in manual input: ECC level, M, the mode (bytes with
 * their count), then the data. */
static int qr_field(const yima_render_options *opt, const yr_payload *p, yima_buf *out)
{
    char mode = qr_mode(p->data, p->len);
    int rc = yr_printf(out, "^FH_^FD%cM,%c", yima_ecc_name(opt->ecc)[0], mode);
    if (!rc && mode == 'B')
        rc = yr_printf(out, "%04zu", p->len);
    for (size_t i = 0; i < p->len && !rc; i++)
        rc = zpl_byte(out, (unsigned char)p->data[i]);
    return rc ? rc : yr_printf(out, "^FS\n");
}

/* ^BX field data: ^FH hex first, then the symbol's own escapes after
 * DM_ESC: DM_ESC "1" is FNC1 (first, and for every GS of a GS1 element
 * string), a literal DM_ESC is doubled. */
static int dmtx_field(const yr_payload *p, yima_buf *out)
{
    int rc = p->gs1 ? yr_printf(out, "^FH_^FD%c1", DM_ESC) : yr_printf(out, "^FH_^FD");
    for (size_t i = 0; i < p->len && !rc; i++) {
        unsigned char c = (unsigned char)p->data[i];
        rc = p->gs1 && c == YIMA_GS1_GS ? yr_printf(out, "%c1", DM_ESC)
             : c == DM_ESC              ? yr_printf(out, "%c%c", DM_ESC, DM_ESC)
                                        : zpl_byte(out, c);
    }
    return rc ? rc : yr_printf(out, "^FS\n");
}

/* ---- the symbol ---------------------------------------------------------- */

/* A QR symbol at ^FO x,y prints h dots lower, h being ^BY's bar height
 * (Zebra firmware, Labelary and zebrash agree), so ^BY is pinned and the
 * field origin raised by it: the first module lands at the plan's place.
 * The ECC level goes in ^BQ and in the field data, which older firmware
 * reads it from. */
static int zpl_qr(const yima_render_options *opt, const yr_payload *p, int x, int y,
                  yima_buf *out, yima_err *err)
{
    int by = y < ZPL_BY_HEIGHT ? y : ZPL_BY_HEIGHT;
    if (by < 1)
        return yima_err_set(err, YIMA_E_USAGE,
                            "ZPL cannot place a QR symbol on the label's top edge (^BQ prints at "
                            "least a dot below its origin): give it a quiet zone");
    int rc = yr_printf(out, "^BY2,3,%d\n^FO%d,%d^BQN,2,%d,%c\n", by, x, y - by, opt->scale,
                       yima_ecc_name(opt->ecc)[0]);
    return rc ? rc : qr_field(opt, p, out);
}

/* The run's DataMatrix size is named (columns, rows; rectangular with
 * aspect 2), so every label of the run gets the symbol the plan reserved;
 * the label's rotation is ^BX's orientation, its origin the turned
 * symbol's top-left corner. */
static int zpl_dmtx(const yima_render_options *opt, const yr_payload *p, int size, int x, int y,
                    yima_buf *out)
{
    static const char turn[] = "NRIB"; /* 0, 90, 180, 270 degrees clockwise */
    int deg = opt->label ? opt->label->rotate : 0;
    int rc = yr_printf(out, "^BY2,3,%d\n^FO%d,%d^BX%c,%d,200,%d,%d,,%c%s\n", ZPL_BY_HEIGHT, x, y,
                       turn[(deg / 90) & 3], opt->scale, yr_dmtx_cols(size), yr_dmtx_rows(size),
                       DM_ESC, opt->dm_shape == YIMA_DM_RECT ? ",2" : "");
    return rc ? rc : dmtx_field(p, out);
}

/* ---- text as graphic fields ---------------------------------------------- */

/* ZPL's Z64 check: CRC-16/CCITT (polynomial 0x1021, start 0) of the base64 text. */
static unsigned zpl_crc16(const char *s, size_t len)
{
    unsigned crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)(unsigned char)s[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000 ? crc << 1 ^ 0x1021 : crc << 1) & 0xffff;
    }
    return crc;
}

/* Scratch of one label's graphic fields. */
typedef struct gf_scratch {
    yr_bitmap bm;
    z_stream z;
    int z_ready;
    yima_buf zbuf, b64; /* the deflated rows, their base64 text */
} gf_scratch;

static void gf_free(gf_scratch *g)
{
    if (g->z_ready)
        deflateEnd(&g->z);
    yr_bitmap_free(&g->bm);
    yima_buf_free(&g->zbuf);
    yima_buf_free(&g->b64);
}

/* The inked part of a bitmap: rows [r0, r1), bytes [b0, b1) of each row. */
typedef struct gf_box {
    int r0, r1;
    size_t b0, b1;
} gf_box;

/* Deflates rows [r, r + n) of box k into g->zbuf (bytes not counted in its len). */
static int gf_deflate(gf_scratch *g, const gf_box *k, int r, int n, size_t *zlen)
{
    size_t bpr = k->b1 - k->b0;
    if (!g->z_ready) {
        if (deflateInit(&g->z, Z_DEFAULT_COMPRESSION) != Z_OK)
            return YIMA_E_NOMEM;
        g->z_ready = 1;
    } else if (deflateReset(&g->z) != Z_OK) {
        return YIMA_E_NOMEM;
    }
    size_t bound = deflateBound(&g->z, (uLong)(bpr * (size_t)n));
    g->zbuf.len = 0;
    if (yima_buf_reserve(&g->zbuf, bound))
        return YIMA_E_NOMEM;
    g->z.next_out = g->zbuf.data;
    g->z.avail_out = (uInt)bound;
    for (int i = r; i < r + n; i++) {
        g->z.next_in = g->bm.px + (size_t)i * g->bm.stride + k->b0;
        g->z.avail_in = (uInt)bpr;
        if (deflate(&g->z, i + 1 < r + n ? Z_NO_FLUSH : Z_FINISH) == Z_STREAM_ERROR)
            return YIMA_E_NOMEM;
    }
    *zlen = bound - g->z.avail_out;
    return g->z.avail_in ? YIMA_E_NOMEM : YIMA_OK;
}

/* One ^GF of rows [r, r + n) of box k, its top-left at (x, y) dots. */
static int gf_band(gf_scratch *g, const gf_box *k, int r, int n, int x, int y, yima_buf *out)
{
    size_t zlen, bpr = k->b1 - k->b0, total = bpr * (size_t)n;
    int rc = gf_deflate(g, k, r, n, &zlen);
    size_t blen = sodium_base64_ENCODED_LEN(zlen, sodium_base64_VARIANT_ORIGINAL);
    g->b64.len = 0;
    if (rc || yima_buf_reserve(&g->b64, blen))
        return YIMA_E_NOMEM;
    char *b64 = (char *)g->b64.data;
    sodium_bin2base64(b64, blen, g->zbuf.data, zlen, sodium_base64_VARIANT_ORIGINAL);
    blen = strlen(b64);
    rc = yr_printf(out, "^FO%d,%d^GFA,%zu,%zu,%zu,:Z64:", x, y, total, total, bpr);
    if (!rc)
        rc = yima_buf_append(out, b64, blen);
    return rc ? rc : yr_printf(out, ":%04X^FS\n", zpl_crc16(b64, blen));
}

/* The rows and whole bytes of bm that hold ink; r0 == r1 when none does.
 * Bytes left of dot column 0 of the label (x0 + 8 * b < 0) are dropped:
 * the printer has no dots there. */
static void gf_ink(const yr_bitmap *bm, int x0, gf_box *k)
{
    size_t bytes = ((size_t)bm->w + 7) / 8, skip = x0 < 0 ? ((size_t)-x0 + 7) / 8 : 0;
    k->r0 = bm->h;
    k->r1 = 0;
    k->b0 = bytes;
    k->b1 = 0;
    for (int r = 0; r < bm->h; r++) {
        const unsigned char *row = bm->px + (size_t)r * bm->stride;
        for (size_t b = skip; b < bytes; b++) {
            if (!row[b])
                continue;
            k->r0 = r < k->r0 ? r : k->r0;
            k->r1 = r + 1;
            k->b0 = b < k->b0 ? b : k->b0;
            k->b1 = b + 1 > k->b1 ? b + 1 : k->b1;
        }
    }
    if (k->r1 <= k->r0)
        k->r0 = k->r1 = 0;
}

/* The inked part of the bitmap whose top-left is at (x, y) dots, in bands
 * that keep ^GF's byte counts in range. */
static int gf_fields(gf_scratch *g, int x, int y, yima_buf *out)
{
    gf_box k;
    gf_ink(&g->bm, x, &k);
    if (k.r0 == k.r1)
        return YIMA_OK; /* a line of spaces */
    size_t bpr = k.b1 - k.b0;
    int band = bpr < ZPL_GF_BYTES_MAX ? (int)(ZPL_GF_BYTES_MAX / bpr) : 1, rc = YIMA_OK;
    for (int r = k.r0; r < k.r1 && !rc; r += band) {
        int n = k.r1 - r < band ? k.r1 - r : band;
        rc = gf_band(g, &k, r, n, x + 8 * (int)k.b0, y + r, out);
    }
    return rc;
}

/* Line l drawn by the font engine into a bitmap as tall as the font's
 * ascent and descent and as wide as the line, with room on both sides for
 * glyphs that reach past their advance (and whole-pixel advances adding
 * up), placed with its baseline where the plan says. */
static int zpl_text(const yr_textline *l, yr_font *font, int dpmm, gf_scratch *g, yima_buf *out)
{
    double asc, desc, pitch;
    yr_font_metrics(font, l->pt, &asc, &desc, &pitch);
    int a = (int)ceil(asc * dpmm), d = (int)ceil(desc * dpmm), pad = a / 2 + 1;
    int w = (int)ceil(l->w * dpmm) + 2 * pad;
    int rc = yr_bitmap_reset(&g->bm, w, a + d);
    if (!rc)
        rc = yr_font_raster(font, l->s, l->len, l->pt, (int)lround(dpmm * 25.4), pad, a, &g->bm);
    if (rc)
        return rc;
    return gf_fields(g, zpl_dots(l->x, dpmm) - pad, zpl_dots(l->y, dpmm) - a, out);
}

/* ---- the label ------------------------------------------------------------ */

static int check_plan(const yr_plan *plan, int dpmm, yima_err *err)
{
    if (!dpmm)
        return yima_err_set(err, YIMA_E_USAGE, "ZPL labels are for 152, 203, 300 or 600 dpi");
    if (plan->w > ZPL_WIDTH_MAX_MM + 1e-9)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a label %.1f mm wide is wider than any Zebra printer prints (%g mm)",
                            plan->w, ZPL_WIDTH_MAX_MM);
    if (zpl_dots(plan->h, dpmm) > ZPL_DOTS_MAX)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a label %.1f mm long is longer than ZPL's ^LL allows (%d dots)",
                            plan->h, ZPL_DOTS_MAX);
    return YIMA_OK;
}

/* ^CI28: field data is UTF-8. ^MUD, ^LH0,0, ^PON, ^LRN and ^FWN undo what
 * an earlier format may have left in the printer. */
static int zpl_head(const yr_plan *plan, int dpmm, yima_buf *out)
{
    return yr_printf(out, "^XA\n^CI28^MUD^LH0,0^PON^LRN^FWN\n^PW%d\n^LL%d\n",
                     zpl_dots(plan->w, dpmm), zpl_dots(plan->h, dpmm));
}

/* The symbol and the text lines; YIMA_E_NOMEM or the font engine's code
 * without a message, YIMA_E_USAGE with one. */
static int zpl_body(const yima_render_options *opt, const yr_plan *plan, const yr_payload *p,
                    int size, yr_font *font, int dpmm, yima_buf *out, yima_err *err)
{
    gf_scratch g = {0};
    int x = zpl_dots(plan->sym_x, dpmm), y = zpl_dots(plan->sym_y, dpmm);
    int rc = opt->symbol == YIMA_SYM_QR ? zpl_qr(opt, p, x, y, out, err)
                                        : zpl_dmtx(opt, p, size, x, y, out);
    for (int i = 0; i < plan->nlines && !rc; i++)
        rc = zpl_text(&plan->lines[i], font, dpmm, &g, out);
    gf_free(&g);
    return rc;
}

int yr_zpl_label(const yima_render_options *opt, const yr_plan *plan, const yr_payload *p,
                 int size, yr_font *font, yima_buf *out, yima_err *err)
{
    int dpmm = zpl_dpmm(yr_physical_dpi(opt));
    size_t mark = out->len;
    int rc = check_plan(plan, dpmm, err);
    if (rc)
        return rc;
    if ((rc = zpl_head(plan, dpmm, out)) ||
        (rc = zpl_body(opt, plan, p, size, font, dpmm, out, err)) ||
        (rc = yr_printf(out, "^PQ%u\n^XZ\n", opt->copies ? opt->copies : 1))) {
        out->len = mark; /* no half label in the stream */
        if (rc == YIMA_E_NOMEM)
            return yima_err_set(err, rc, "out of memory for a ZPL label");
        if (rc != YIMA_E_USAGE)
            return yima_err_set(err, rc, "the font engine could not draw a text line");
    }
    return rc;
}
