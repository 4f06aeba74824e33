/* SPDX-License-Identifier: MIT */
/* Declarations shared by the lib/render_*.c files (library-private). */
#ifndef YIMA_RENDER_INTERNAL_H
#define YIMA_RENDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <qrencode.h>
#include "yima/render.h"

/* A 1-bit image, rows packed MSB first, padded to whole bytes; 1 = dark. */
typedef struct yr_bitmap {
    int w, h;
    size_t stride;
    unsigned char *px;
    size_t cap; /* bytes allocated: the bitmap is reused between symbols */
} yr_bitmap;

/* render_qr.c */
/* Encodes payload at exactly version (0 = smallest). Sets *qr (free with
 * QRcode_free) and returns YIMA_OK, or YIMA_E_DATA when it does not fit. */
int yr_encode(const char *payload, size_t len, int version, yima_ecc ecc, QRcode **qr);
/* Geometry of a raster image for a symbol of width modules with a text line
 * of tlen characters (0 = none). */
void yr_layout(const yima_render_options *opt, int width, size_t tlen, int *w, int *h,
               int *text_scale);
/* Draws symbol, quiet zone and text into bm (grown as needed). */
int yr_raster(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
              yr_bitmap *bm);
void yr_bitmap_free(yr_bitmap *bm);
/* Sizes bm to w x h pixels, all light. */
int yr_bitmap_reset(yr_bitmap *bm, int w, int h);
/* Finds the next run of dark modules in row m from *x on: sets *start and
 * moves *x past the run; 0 when the row has no more. */
int yr_next_run(const unsigned char *m, int width, int *x, int *start);
/* Draws qr's modules, s pixels each, with the top-left module at x0, y0. */
void yr_draw_modules(yr_bitmap *bm, const QRcode *qr, int x0, int y0, int s);
/* Sets pixels [x0, x1) of row y. */
void yr_fill_span(yr_bitmap *bm, int y, int x0, int x1);
/* Writes the image of qr in opt->format. */
int yr_image(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
             yr_bitmap *scratch, yima_buf *out, yima_err *err);

/* render_font.c: a 5x7 font in 6x8 cells, scaled by t. */
#define YR_GLYPH_W 6
#define YR_GLYPH_H 8
void yr_draw_text(yr_bitmap *bm, int x, int y, int t, const char *text, size_t len);

/* render_png.c */
int yr_png(const yr_bitmap *bm, int dpi, yima_buf *out, yima_err *err);
int yr_pbm(const yr_bitmap *bm, yima_buf *out, yima_err *err);

/* render_svg.c */
int yr_svg(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
           yima_buf *out, yima_err *err);
/* Appends printf output to a buffer. */
int yr_printf(yima_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* render_tar.c: one ustar member (header, data, padding), and the end. */
int yr_tar_member(const char *name, const void *data, size_t len, yima_buf *out, yima_err *err);
int yr_tar_end(yima_buf *out, yima_err *err);

/* render_zpl.c: one ^XA..^XZ label. */
int yr_zpl_label(const yima_render_options *opt, const char *payload, size_t len, int version,
                 const char *text, size_t tlen, yima_buf *out, yima_err *err);

/* render_opts.c: sheet geometry. Physical outputs (PDF, ZPL, pages) take
 * the module size in mm from scale dots at this dpi (300 when unset). */
int yr_physical_dpi(const yima_render_options *opt);
/* Position of label k (0-based on its page) in mm from the top-left. */
void yr_label_origin(const yima_sheet *s, unsigned k, double *x, double *y);
void yr_sheet_origin(const yima_sheet *s, double *left, double *top);
/* YIMA_E_USAGE if a symbol of width modules does not fit the label pitch. */
int yr_check_label(const yima_render_options *opt, int width, yima_err *err);
/* render_sheet.c: one PNG page holding labels [0, n) of qrs. */
int yr_png_page(const yima_render_options *opt, QRcode *const *qrs, char *const *texts,
                const size_t *tlens, unsigned n, yr_bitmap *bm, yima_buf *out, yima_err *err);

/* render_pdf.c: one page's objects starting at object number first_obj;
 * offsets (relative to the start of the page's bytes) of its objects go to
 * offs, in object order. Returns the number of objects via *nobj. */
int yr_pdf_page(const yima_render_options *opt, QRcode *const *qrs, char *const *texts,
                const size_t *tlens, unsigned n, uint64_t first_obj, yima_buf *out,
                uint64_t *offs, unsigned *nobj, yima_err *err);
/* Objects a page uses: one image per label, content, page. */
#define YR_PDF_OBJS_PER_PAGE(n) ((n) + 2)
#define YR_PDF_FIRST_PAGE_OBJ 4 /* 1 catalog, 2 pages, 3 font */
int yr_pdf_head(yima_buf *out, uint64_t *offs);
/* Pages tree, xref and trailer; offs holds every object's absolute offset
 * (offs[0] unused), pages the number of pages, per_page labels per page. */
int yr_pdf_tail(const uint64_t *offs, uint64_t nobjs, uint64_t pages, unsigned per_page,
                uint64_t at, yima_buf *out);

#endif
