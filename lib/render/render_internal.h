/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared by the lib/render/ files (library-private).
 *
 * A run turns each row into a yr_symbol (render_qr.c, render_dmtx.c) and a
 * yr_plan (render_label.c: where the symbol and each text line go on the
 * label, in mm), then hands both to one drawer: raster (PNG, PBM, PNG
 * pages), SVG, PDF pages or ZPL. Text is shaped and drawn by one font
 * engine (render_font.c: FreeType through fontconfig), as vector outlines
 * in PDF and SVG and as 1-bit glyphs in rasters and ZPL graphics.
 *
 * Coordinates: mm, x to the right and y DOWN from the label's trim
 * top-left corner. Drawers convert to their own units (PDF points with y
 * up, SVG user units, dots).
 */
#ifndef YIMA_RENDER_INTERNAL_H
#define YIMA_RENDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "rows.h"
#include "yima/gs1.h"
#include "yima/render.h"

#define YR_MM_PER_PT (25.4 / 72.0)

/* A 1-bit image, rows packed MSB first, padded to whole bytes; 1 = dark. */
typedef struct yr_bitmap {
    int w, h;
    size_t stride;
    unsigned char *px;
    size_t cap; /* bytes allocated: the bitmap is reused between symbols */
} yr_bitmap;

/* A symbol of any symbology: w x h modules, mod[y * w + x] bit 0 set for
 * dark. size is the QR version (1..40), the Micro QR version (1..4 for
 * M1..M4) or the DataMatrix size number (libdmtx's symbol index + 1, so
 * 1..24 square, 25..30 rectangular). cap is the bytes mod holds: a symbol
 * is reused between rows. */
typedef struct yr_symbol {
    int w, h, size;
    unsigned char *mod;
    size_t cap;
} yr_symbol;
void yr_symbol_free(yr_symbol *s);
/* Makes *mem (*cap bytes allocated) hold need zero bytes, reusing it when
 * it is large enough: symbols and bitmaps are reused row after row. */
int yr_zeroed(unsigned char **mem, size_t *cap, size_t need);
/* Sizes s to w x h modules, all light; YIMA_E_NOMEM. */
int yr_symbol_reset(yr_symbol *s, int w, int h);
/* dst = src turned deg (0, 90, 180, 270) clockwise; dst != src. */
int yr_symbol_rotate(const yr_symbol *src, int deg, yr_symbol *dst);

/* render_gs1.c: a payload made ready for a symbol. A GS1 element string
 * becomes its RAW form (gs1 = 1: FNC1 first, GS as FNC1) and its HRI form
 * for the readable line; anything else is encoded as it is. */
typedef struct yr_payload {
    const char *data;
    size_t len;
    int gs1;
    char raw[YIMA_GS1_TEXT_MAX];
    char hri[YIMA_GS1_TEXT_MAX];
    size_t hri_len;
} yr_payload;
/* 1 if payload is to be read as a GS1 element string. */
int yr_is_gs1(const char *payload, size_t len);
/* Fills p (which keeps pointing into payload for plain data). YIMA_E_DATA
 * with yima_gs1_parse's message, prefixed with src:line. */
int yr_payload_prepare(const char *payload, size_t len, yr_payload *p, const char *src,
                       uint64_t lineno, yima_err *err);
/* YIMA_E_DATA naming src:line if opt's symbology cannot carry p (GS1 in QR). */
int yr_check_symbol(const yima_render_options *opt, const yr_payload *p, const char *src,
                    uint64_t lineno, yima_err *err);

/* ---- symbols: render_qr.c, render_dmtx.c ------------------------------- */

/* An encoder kept by one worker thread between rows (libdmtx's encoder). */
typedef struct yr_encoder yr_encoder;
int yr_encoder_create(const yima_render_options *opt, yr_encoder **enc);
void yr_encoder_free(yr_encoder *enc);
/* Encodes p in opt's symbology at exactly size (0 = the smallest that
 * fits) into sym. YIMA_OK, YIMA_E_DATA when it does not fit (no message:
 * the caller names the row), YIMA_E_NOMEM. */
int yr_encode(yr_encoder *enc, const yima_render_options *opt, const yr_payload *p, int size,
              yr_symbol *sym);
/* The size every symbol of a run gets, from its first payload: QR: the
 * version asked for, or the smallest that holds p; Micro QR: the smallest
 * that holds p; DataMatrix: the smallest of opt->dm_shape that holds ANY
 * payload of p's length and byte classes (so codes of one shape, whose
 * digits pair up differently, share a size). 0 if none holds it. */
int yr_run_size(const yima_render_options *opt, const yr_payload *p);
/* "QR version 5-M", "Micro QR M3-L", "DataMatrix 22x22" into buf. */
const char *yr_size_name(const yima_render_options *opt, int size, char *buf, size_t cap);
/* Why the first payload fits nothing, with the largest capacity: "payload
 * of 40 bytes is too long for Micro QR (M4-L holds at most 21 bytes or
 * 35 digits)". */
const char *yr_too_long(const yima_render_options *opt, size_t len, char *buf, size_t cap);
/* Modules across and down of a DataMatrix size number. */
int yr_dmtx_cols(int size);
int yr_dmtx_rows(int size);

/* ---- text: render_font.c ---------------------------------------------- */

/* The character at s[*i], moving *i past it; -1 for bytes that are not
 * UTF-8 (stray or missing continuations, overlong forms, surrogates,
 * beyond U+10FFFF), moving *i one byte. */
int32_t yr_utf8_next(const unsigned char *s, size_t len, size_t *i);

/* A font face opened through fontconfig by family name. One per worker
 * thread: FreeType faces are not shared between threads. */
typedef struct yr_font yr_font;
/* Opens family (NULL = YIMA_RENDER_FONT). YIMA_E_USAGE naming the family
 * when fontconfig has no font of that family (never a silent substitute). */
int yr_font_open(const char *family, yr_font **font, yima_err *err);
void yr_font_free(yr_font *font);
const char *yr_font_family(const yr_font *font);
/* Checks that s is UTF-8 and that the font has a glyph for every
 * character: YIMA_E_DATA "no glyph for U+4EA7 '产' in font 'X'" or
 * "invalid UTF-8"; the caller prefixes the row. */
int yr_font_check(yr_font *font, const char *s, size_t len, yima_err *err);
/* Width of s (checked) at pt points, in mm. */
double yr_font_width(yr_font *font, const char *s, size_t len, double pt);
/* Ascent and descent (both >= 0) and line pitch of pt points, in mm. */
void yr_font_metrics(yr_font *font, double pt, double *ascent, double *descent, double *pitch);
/* Breaks s into lines no wider than max_mm at pt: at spaces, and a word
 * wider than a line between characters. Line i is s[start[i], start[i] +
 * len[i]) with its spaces at the break dropped. Returns the line count,
 * or more than max_lines when they do not all fit in the arrays. */
int yr_font_wrap(yr_font *font, const char *s, size_t len, double pt, double max_mm,
                 size_t *start, size_t *len_out, int max_lines);

/* An affine map from label mm (y down) to a drawer's units. */
typedef struct yr_xform {
    double sx, sy, tx, ty; /* X = sx * x + tx, Y = sy * y + ty */
} yr_xform;
typedef enum { YR_PATH_PDF = 0, YR_PATH_SVG = 1 } yr_pathfmt;
/* Appends the glyph outlines of s (checked) at pt, baseline starting at
 * (x, y) mm, as path operators (PDF: m l c h; SVG: M L C Z, absolute),
 * mapped through xf; the caller fills them (nonzero rule). */
int yr_font_path(yr_font *font, const char *s, size_t len, double pt, double x, double y,
                 const yr_xform *xf, yr_pathfmt fmt, yima_buf *out);
/* Calls fn for each glyph of s (checked) that draws something, in order:
 * its glyph index and the x of its origin in font units from the start of
 * the line. Stops at fn's first non-zero return and returns it. */
typedef int (*yr_glyph_fn)(void *ctx, uint32_t gid, int64_t x);
int yr_font_glyphs(yr_font *font, const char *s, size_t len, yr_glyph_fn fn, void *ctx);
/* Font units per em. */
double yr_font_upem(const yr_font *font);
/* Appends glyph gid's outline as PDF path operators (m l c h) in thirds of
 * a font unit, y up, unfilled; box gets its bounds [x0 y0 x1 y1] in the
 * same units. */
int yr_font_glyph_pdf(yr_font *font, uint32_t gid, yima_buf *out, int32_t box[4]);
/* Draws s (checked) at pt into bm, 1-bit without anti-aliasing, baseline
 * starting at pixel (x, y), at dpi dots per inch. */
int yr_font_raster(yr_font *font, const char *s, size_t len, double pt, int dpi, int x, int y,
                   yr_bitmap *bm);

/* ---- layout: render_label.c -------------------------------------------- */

/* One line of text placed on a label: left end of its baseline at (x, y). */
typedef struct yr_textline {
    const char *s;
    size_t len;
    double pt, x, y, w;
} yr_textline;

#define YR_PLAN_LINES_MAX 64 /* wrapped lines on one label */

/* Where everything of one label goes, in mm from the trim's top-left. */
typedef struct yr_plan {
    double w, h;           /* trim size (a lone image: its whole size) */
    double bleed;
    double module;         /* module size */
    double sym_x, sym_y;   /* top-left corner of the first module (inside the quiet zone) */
    int nlines;
    yr_textline lines[YR_PLAN_LINES_MAX];
} yr_plan;

/* The module size in mm: opt->scale dots at the physical resolution. */
double yr_module_mm(const yima_render_options *opt);
/* Places sym (already rotated) and the lines of texts[0..ntexts) (each at
 * opt->text_lines[i].pt, or the minimum) on a label: opt->label's, else an
 * image just large enough for the symbol with its quiet zone and the text
 * under it. YIMA_E_DATA, naming what does not fit by how much, when the
 * symbol or the text does not fit the label (the caller prefixes the
 * row). The plan's lines point into texts. */
int yr_plan_label(const yima_render_options *opt, yr_font *font, const yr_symbol *sym,
                  const char *const *texts, const size_t *tlens, int ntexts, yr_plan *plan,
                  yima_err *err);

/* ---- text templates: render_text.c ------------------------------------- */

/* Built-in fields of a template; named columns follow them. */
enum { YR_FIELD_CODE, YR_FIELD_SERIAL, YR_FIELD_INDEX, YR_FIELD_PAYLOAD, YR_FIELD_LEVEL,
       YR_FIELD__COUNT };
#define YR_TEMPLATE_PARTS_MAX 32
#define YR_TEMPLATE_COLUMNS_MAX 16
typedef struct yr_tpart {
    int field;        /* -1 for literal text */
    const char *lit;  /* points into the template */
    size_t len;
} yr_tpart;
typedef struct yr_template {
    const char *text;
    int nparts;
    yr_tpart parts[YR_TEMPLATE_PARTS_MAX];
} yr_template;
typedef struct yr_templates {
    int nlines;
    yr_template lines[YIMA_TEXT_LINES_MAX];
    char *columns[YR_TEMPLATE_COLUMNS_MAX]; /* named columns, in first-use order */
    size_t ncolumns;
} yr_templates;
/* The values of one row: the built-ins, then the named columns. */
typedef struct yr_fieldset {
    yima_field v[YR_FIELD__COUNT + YR_TEMPLATE_COLUMNS_MAX];
    char *const *names;  /* the named columns, for messages */
} yr_fieldset;
/* Parses opt's text lines (or "{code}" for opt->text alone). YIMA_E_USAGE
 * for a malformed template. */
int yr_templates_parse(const yima_render_options *opt, yr_templates *t, yima_err *err);
void yr_templates_free(yr_templates *t);
/* Appends line tl for the row f (code in groups of group when > 0).
 * YIMA_E_DATA when a field is missing or holds a control character. */
int yr_template_expand(const yr_template *tl, const yr_fieldset *f, int group, yima_buf *out,
                       yima_err *err);

/* ---- drawers ------------------------------------------------------------ */

/* render_raster.c: symbols as dots. */
void yr_bitmap_free(yr_bitmap *bm);
/* Sizes bm to w x h pixels, all light. */
int yr_bitmap_reset(yr_bitmap *bm, int w, int h);
/* Finds the next run of dark modules in row m from *x on: sets *start and
 * moves *x past the run; 0 when the row has no more. */
int yr_next_run(const unsigned char *m, int width, int *x, int *start);
/* Sets pixels [x0, x1) of row y. */
void yr_fill_span(yr_bitmap *bm, int y, int x0, int x1);
/* Draws the label of plan (symbol and text) into bm with its top-left at
 * pixel (x0, y0), at dpi; bm must be large enough. */
int yr_draw_label(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
                  yr_font *font, int dpi, int x0, int y0, yr_bitmap *bm);
/* A lone symbol image in opt->format (PNG, PBM or SVG). */
int yr_image(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
             yr_font *font, yr_bitmap *scratch, yima_buf *out, yima_err *err);
/* A PNG page of a sheet holding n labels. */
int yr_png_page(const yima_render_options *opt, const yr_plan *plans, const yr_symbol *syms,
                unsigned n, yr_font *font, yr_bitmap *bm, yima_buf *out, yima_err *err);

/* render_png.c */
int yr_png(const yr_bitmap *bm, int dpi, yima_buf *out, yima_err *err);
int yr_pbm(const yr_bitmap *bm, yima_buf *out, yima_err *err);

/* render_svg.c */
int yr_svg(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
           yr_font *font, yima_buf *out, yima_err *err);
/* Appends printf output to a buffer; YIMA_E_NOMEM. */
int yr_printf(yima_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes v rounded to `decimals` (0..9) places, halves away from zero and
 * trailing zeros dropped ("12.5", "-0.125", "3"); returns the end. Short,
 * the same bytes on every machine and locale, and many times faster than
 * printf, which drawing thousands of numbers a page cannot afford. At most
 * 27 bytes. */
char *yr_put_fixed(char *p, double v, int decimals);

/* render_tar.c: one ustar member (header, data, padding), and the end. */
int yr_tar_member(const char *name, const void *data, size_t len, yima_buf *out, yima_err *err);
int yr_tar_end(yima_buf *out, yima_err *err);

/* render_zpl.c: one ^XA..^XZ label; the printer draws the symbol, text
 * goes as ^GF graphics drawn by the font engine. size is the run's symbol
 * size (yr_run_size), which the label's layout reserves. */
int yr_zpl_check(const yima_render_options *opt, yima_err *err);
int yr_zpl_label(const yima_render_options *opt, const yr_plan *plan, const yr_payload *p,
                 int size, yr_font *font, yima_buf *out, yima_err *err);

/* ---- PDF: render_pdf.c -------------------------------------------------- */

/* Page geometry: a sheet of labels or a roll (one label a page). */
typedef struct yr_page_geom {
    double media_w, media_h;   /* MediaBox, mm */
    double trim_x, trim_y, trim_w, trim_h; /* TrimBox (from the top-left), mm */
    double bleed;              /* BleedBox = TrimBox grown by this, mm */
} yr_page_geom;
void yr_page_geometry(const yima_render_options *opt, yr_page_geom *g);
/* Top-left of label k's trim on its page, mm. */
void yr_label_origin(const yima_render_options *opt, unsigned k, double *x, double *y);
/* Labels a page holds: cols x rows, 1 on a roll. */
unsigned yr_labels_per_page(const yima_render_options *opt);

/* Objects a page uses (content stream and page dictionary), and the first
 * object number of a file's pages. Page p of a file (0-based within the
 * file) starts at YR_PDF_FIRST_PAGE_OBJ + 2 * p. */
#define YR_PDF_OBJS_PER_PAGE 2
#define YR_PDF_FIRST_PAGE_OBJ 6 /* 1 catalog, 2 pages, 3 info, 4 XMP, 5 resources */

/* One page's objects: labels [0, n) drawn at their places with plans[k]
 * and syms[k]; symbols as filled paths of merged module runs, text as
 * outline glyphs the writer adds once a file, all in K (DeviceGray 0) or
 * opt->spot's Separation. Offsets of its objects relative to the start of
 * the page's bytes go to offs; the glyph indices it uses, ascending and
 * each once, are appended to gids as uint32_t. */
int yr_pdf_page(const yima_render_options *opt, const yr_plan *plans, const yr_symbol *syms,
                unsigned n, yr_font *font, uint64_t first_obj, yima_buf *out,
                uint64_t offs[YR_PDF_OBJS_PER_PAGE], yima_buf *gids, yima_err *err);

/* 1 if qpdf (11) would warn "input stream is complete but output may still
 * be valid" on this zlib stream, though zlib reads it whole: a piece of its
 * input ends just as zlib fills qpdf's output buffer. The PDF writer
 * deflates such a stream again, shifted by a newline in front. */
int yr_qpdf_would_warn(const unsigned char *zdata, size_t zlen);
/* Appends object obj: a stream of data deflated (so that qpdf reads it
 * without a warning), dict entries (" /Key value...") before its /Length. */
int yr_pdf_stream(yima_buf *out, uint64_t obj, const char *dict, const yima_buf *data);

/* The writer of one or more PDF files (opt->split_pages): pages arrive in
 * order; object offsets spill to a temporary file, so memory stays the
 * same for any page count. Files appear only when complete (temp file
 * renamed into place); with split_pages, output "job.pdf" becomes
 * "job-0001.pdf", "job-0002.pdf", .... */
typedef struct yr_pdfw yr_pdfw;
typedef struct yr_pdf_meta {
    const char *title;         /* Info /Title and XMP dc:title */
    const char *manifest_hash; /* hex, or NULL: gen's manifest of the input */
    const char *manifest_name; /* that manifest's file name, or NULL */
} yr_pdf_meta;
int yr_pdfw_open(yr_pdfw **w, const yima_render_options *opt, const yr_pdf_meta *meta,
                 yima_err *err);
/* Page number (0-based in the whole job) -> its first object number. */
uint64_t yr_pdfw_first_obj(const yima_render_options *opt, uint64_t page);
/* Appends the next page, made by yr_pdf_page, with the glyphs it uses. */
int yr_pdfw_page(yr_pdfw *w, const void *bytes, size_t len,
                 const uint64_t offs[YR_PDF_OBJS_PER_PAGE], const uint32_t *gids, size_t ngids,
                 yima_err *err);
/* Writes the page tree, xref and trailer of the open file and commits it. */
int yr_pdfw_finish(yr_pdfw *w, yima_err *err);
/* Drops every file not yet finished; NULL is accepted. */
void yr_pdfw_abort(yr_pdfw *w);

/* ---- options: render_opts.c --------------------------------------------- */

/* Physical outputs (PDF, ZPL, pages, text) take the module size in mm from
 * scale dots at this dpi (300 when unset). */
int yr_physical_dpi(const yima_render_options *opt);

#endif
