/* SPDX-License-Identifier: MIT */
/*
 * Label sheets: PDF pages (hand-written objects, 1-bit image XObjects and
 * content streams compressed with FlateDecode) and PNG pages.
 *
 * PDF object numbers are fixed by position: 1 catalog, 2 page tree (written
 * last, when the page count is known), 3 font, then per page one image per
 * label, the content stream and the page. So workers can write whole pages
 * in parallel, and the writer only adds the offsets for the xref table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "render_internal.h"

#define PT_PER_MM (72.0 / 25.4)
#define COURIER_ADVANCE 0.6 /* Courier glyph width per point of size */

/* Appends object obj: a stream of data deflated, with dict's entries. */
static int pdf_stream(yima_buf *out, uint64_t obj, const char *dict, const void *data,
                      size_t len, yima_buf *z)
{
    uLongf zlen = compressBound((uLong)len);
    z->len = 0;
    if (yima_buf_reserve(z, zlen) || compress2(z->data, &zlen, data, (uLong)len, 6) != Z_OK)
        return YIMA_E_NOMEM;
    if (yr_printf(out, "%llu 0 obj\n<<%s /Filter /FlateDecode /Length %lu>>\nstream\n",
                  (unsigned long long)obj, dict, (unsigned long)zlen) ||
        yima_buf_append(out, z->data, zlen) || yr_printf(out, "\nendstream\nendobj\n"))
        return YIMA_E_NOMEM;
    return YIMA_OK;
}

/* One bit per module, rows padded to bytes, 1 = dark (Decode [1 0]). */
static int pdf_image(yima_buf *out, uint64_t obj, const QRcode *qr, yima_buf *raw, yima_buf *z)
{
    size_t stride = ((size_t)qr->width + 7) / 8;
    char dict[160];
    raw->len = 0;
    if (yima_buf_reserve(raw, stride * (size_t)qr->width))
        return YIMA_E_NOMEM;
    memset(raw->data, 0, stride * (size_t)qr->width);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                raw->data[(size_t)y * stride + (size_t)(x >> 3)] |= (unsigned char)(0x80 >> (x & 7));
    raw->len = stride * (size_t)qr->width;
    snprintf(dict, sizeof dict,
             "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             "/BitsPerComponent 1 /Decode [1 0]",
             qr->width, qr->width);
    return pdf_stream(out, obj, dict, raw->data, raw->len, z);
}

/* A PDF string literal with ( ) \ escaped. */
static int pdf_string(yima_buf *out, const char *s, size_t len)
{
    int rc = yr_printf(out, "(");
    for (size_t i = 0; i < len && !rc; i++)
        rc = strchr("()\\", s[i]) ? yr_printf(out, "\\%c", s[i])
                                  : yr_printf(out, "%c", (unsigned char)s[i] < 0x20 ? '?' : s[i]);
    return rc ? rc : yr_printf(out, ")");
}

/* Drawing commands of label k: its image, and the text line centred under
 * the symbol in a band 3 modules high, squeezed to the symbol's width. */
static int pdf_label(yima_buf *cs, const yima_render_options *opt, const QRcode *qr, unsigned k,
                     const char *text, size_t tlen)
{
    const yima_sheet *s = opt->sheet;
    double x, y, mod = opt->scale * 25.4 / yr_physical_dpi(opt) * PT_PER_MM;
    yr_label_origin(s, k, &x, &y);
    x *= PT_PER_MM;
    y = s->page_h * PT_PER_MM - y * PT_PER_MM; /* PDF's y grows upwards */
    double side = (qr->width + 2 * opt->margin) * mod, sym = qr->width * mod;
    int rc = yr_printf(cs, "q %.3f 0 0 %.3f %.3f %.3f cm /Im%u Do Q\n", sym, sym,
                       x + opt->margin * mod, y - (opt->margin + qr->width) * mod, k);
    if (rc || !tlen)
        return rc;
    double size = 2 * mod, fit = (side - 2 * mod) / (COURIER_ADVANCE * (double)tlen);
    if (fit < size)
        size = fit;
    rc = yr_printf(cs, "BT /F1 %.3f Tf %.3f %.3f Td ", size,
                   x + (side - COURIER_ADVANCE * size * (double)tlen) / 2, y - side - 2 * mod);
    if (!rc)
        rc = pdf_string(cs, text, tlen);
    return rc ? rc : yr_printf(cs, " Tj ET\n");
}

static int pdf_page_dict(yima_buf *out, const yima_sheet *s, uint64_t first, unsigned n)
{
    int rc = yr_printf(out,
                       "%llu 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
                       "/Resources <</Font <</F1 3 0 R>> /XObject <<",
                       (unsigned long long)(first + n + 1), s->page_w * PT_PER_MM,
                       s->page_h * PT_PER_MM);
    for (unsigned k = 0; k < n && !rc; k++)
        rc = yr_printf(out, "/Im%u %llu 0 R ", k, (unsigned long long)(first + k));
    return rc ? rc
              : yr_printf(out, ">>>> /Contents %llu 0 R>>\nendobj\n",
                          (unsigned long long)(first + n));
}

int yr_pdf_page(const yima_render_options *opt, QRcode *const *qrs, char *const *texts,
                const size_t *tlens, unsigned n, uint64_t first_obj, yima_buf *out,
                uint64_t *offs, unsigned *nobj, yima_err *err)
{
    yima_buf cs = {0}, raw = {0}, z = {0};
    int rc = YIMA_OK;
    for (unsigned k = 0; k < n && !rc; k++) {
        offs[k] = out->len;
        rc = pdf_image(out, first_obj + k, qrs[k], &raw, &z);
        if (!rc)
            rc = pdf_label(&cs, opt, qrs[k], k, texts[k], tlens[k]);
    }
    offs[n] = out->len;
    if (!rc)
        rc = pdf_stream(out, first_obj + n, "", cs.data, cs.len, &z);
    offs[n + 1] = out->len;
    if (!rc)
        rc = pdf_page_dict(out, opt->sheet, first_obj, n);
    *nobj = n + 2;
    yima_buf_free(&cs);
    yima_buf_free(&raw);
    yima_buf_free(&z);
    return rc ? yima_err_set(err, YIMA_E_NOMEM, "out of memory for a PDF page") : YIMA_OK;
}

int yr_pdf_head(yima_buf *out, uint64_t *offs)
{
    /* The binary comment marks the file as binary for transfer tools. */
    int oom = yr_printf(out, "%%PDF-1.4\n%%\xE2\xE3\xCF\xD3\n") != YIMA_OK;
    offs[0] = offs[2] = 0;
    offs[1] = out->len;
    oom = oom || yr_printf(out, "1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n");
    offs[3] = out->len;
    oom = oom || yr_printf(out, "3 0 obj\n<</Type /Font /Subtype /Type1 /BaseFont /Courier "
                                "/Encoding /WinAnsiEncoding>>\nendobj\n");
    return oom ? YIMA_E_NOMEM : YIMA_OK;
}

int yr_pdf_tail(const uint64_t *offs, uint64_t nobjs, uint64_t pages, unsigned per_page,
                uint64_t at, yima_buf *out)
{
    uint64_t labels = nobjs - YR_PDF_FIRST_PAGE_OBJ - 2 * pages;
    int oom = yr_printf(out, "2 0 obj\n<</Type /Pages /Count %llu /Kids [",
                        (unsigned long long)pages) != YIMA_OK;
    for (uint64_t p = 0; p < pages && !oom; p++) {
        uint64_t n = p + 1 < pages ? per_page : labels - p * per_page;
        uint64_t first = YR_PDF_FIRST_PAGE_OBJ + p * YR_PDF_OBJS_PER_PAGE(per_page);
        oom = yr_printf(out, "%llu 0 R ", (unsigned long long)(first + n + 1)) != YIMA_OK;
    }
    oom = oom || yr_printf(out, "]>>\nendobj\n");
    uint64_t xref = at + out->len;
    oom = oom || yr_printf(out, "xref\n0 %llu\n0000000000 65535 f \n", (unsigned long long)nobjs);
    for (uint64_t i = 1; i < nobjs && !oom; i++)
        oom = yr_printf(out, "%010llu 00000 n \n", (unsigned long long)(i == 2 ? at : offs[i])) !=
              YIMA_OK;
    oom = oom || yr_printf(out, "trailer\n<</Size %llu /Root 1 0 R>>\nstartxref\n%llu\n%%%%EOF\n",
                           (unsigned long long)nobjs, (unsigned long long)xref);
    return oom ? YIMA_E_NOMEM : YIMA_OK;
}

/* ---- PNG pages ----------------------------------------------------------- */

int yr_png_page(const yima_render_options *opt, QRcode *const *qrs, char *const *texts,
                const size_t *tlens, unsigned n, yr_bitmap *bm, yima_buf *out, yima_err *err)
{
    const yima_sheet *s = opt->sheet;
    int dpi = yr_physical_dpi(opt), sc = opt->scale;
    double dots = dpi / 25.4;
    /* Page size rounds up and label origins down, so a grid that fits in mm
     * fits in dots. */
    if (yr_bitmap_reset(bm, (int)ceil(s->page_w * dots), (int)ceil(s->page_h * dots)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a %gx%g mm page at %d dpi",
                            s->page_w, s->page_h, dpi);
    for (unsigned k = 0; k < n; k++) {
        double x, y;
        yr_label_origin(s, k, &x, &y);
        int x0 = (int)floor(x * dots), y0 = (int)floor(y * dots);
        int side = (qrs[k]->width + 2 * opt->margin) * sc;
        yr_draw_modules(bm, qrs[k], x0 + opt->margin * sc, y0 + opt->margin * sc, sc);
        if (!tlens[k])
            continue;
        /* The label leaves a band of 3 modules for the text. */
        int t = side / (int)(tlens[k] * YR_GLYPH_W), tmax = 3 * sc / YR_GLYPH_H;
        t = t > tmax ? tmax : t;
        t = t < 1 ? 1 : t;
        int tw = (int)tlens[k] * YR_GLYPH_W * t - t;
        if (tw <= side && y0 + side + 8 * t <= bm->h)
            yr_draw_text(bm, x0 + (side - tw) / 2, y0 + side, t, texts[k], tlens[k]);
    }
    return yr_png(bm, dpi, out, err);
}
