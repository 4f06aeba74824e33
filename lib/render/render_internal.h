/* SPDX-License-Identifier: MIT */
/* Declarations shared by the lib/render_*.c files (library-private). */
#ifndef YIMA_RENDER_INTERNAL_H
#define YIMA_RENDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <qrencode.h>
#include "yima/gs1.h"
#include "yima/render.h"

/* A 1-bit image, rows packed MSB first, padded to whole bytes; 1 = dark. */
typedef struct yr_bitmap {
    int w, h;
    size_t stride;
    unsigned char *px;
    size_t cap; /* bytes allocated: the bitmap is reused between symbols */
} yr_bitmap;

/* Symbols of both symbologies travel in libqrencode's QRcode struct, so
 * every drawer serves both: width x width modules, bit 0 of
 * data[y * width + x] set for dark, version = QR version or DataMatrix size
 * number (1 = 10x10 .. 24 = 144x144). QRcode_free frees either. */

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

/* render_qr.c */
/* Encodes p in opt's symbology at exactly size (QR version or DataMatrix
 * size number; 0 = smallest). Sets *sym (free with QRcode_free) and returns
 * YIMA_OK, or YIMA_E_DATA when it does not fit, YIMA_E_NOMEM. */
int yr_encode(const yima_render_options *opt, const yr_payload *p, int size, QRcode **sym);
/* "QR version 5-M" or "DataMatrix 22x22" into buf. */
const char *yr_size_name(const yima_render_options *opt, int size, char *buf, size_t cap);

/* render_dmtx.c: DataMatrix ECC 200, square. */
int yr_dmtx_encode(const char *data, size_t len, int gs1, int size, QRcode **sym);
/* A libdmtx encoder kept between symbols (one per worker thread). */
typedef struct yr_dmtx yr_dmtx;
yr_dmtx *yr_dmtx_create(void);
void yr_dmtx_free(yr_dmtx *d);
/* The modules of the largest symbol, 144 x 144. */
#define YR_DMTX_MAX_MODULES (144 * 144)
/* As yr_dmtx_encode, into sym, whose data holds YR_DMTX_MAX_MODULES bytes. */
int yr_dmtx_encode_into(yr_dmtx *d, const char *data, size_t len, int gs1, int size, QRcode *sym);
/* The smallest size that holds ANY payload of data's length and byte
 * classes (digit pairs not counted on), so that codes of one shape, whose
 * digits fall differently, share a size; 0 if none. */
int yr_dmtx_fit(const char *data, size_t len, int gs1);
/* Modules per side of size number 1..24. */
int yr_dmtx_side(int size);
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

/* render_zpl.c: one ^XA..^XZ label; the printer draws the symbol. */
int yr_zpl_label(const yima_render_options *opt, const yr_payload *p, int size, const char *text,
                 size_t tlen, yima_buf *out, yima_err *err);

/* render_opts.c: sheet geometry. Physical outputs (PDF, ZPL, pages) take
 * the module size in mm from scale dots at this dpi (300 when unset). */
int yr_physical_dpi(const yima_render_options *opt);
/* Position of label k (0-based on its page) in mm from the top-left. */
void yr_label_origin(const yima_sheet *s, unsigned k, double *x, double *y);
void yr_sheet_origin(const yima_sheet *s, double *left, double *top);
/* YIMA_E_USAGE if a symbol of size (width modules) does not fit the label pitch. */
int yr_check_label(const yima_render_options *opt, int size, int width, yima_err *err);
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
