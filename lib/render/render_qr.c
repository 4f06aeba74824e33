/* SPDX-License-Identifier: MIT */
/* QR symbols (libqrencode) and their raster layout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

static const char qr_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The single mode the payload is written in: numeric, alphanumeric or 8-bit. */
static QRencodeMode payload_mode(const char *p, size_t len)
{
    int digits = 1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            digits = 0;
        if (!p[i] || !strchr(qr_alnum, p[i]))
            return QR_MODE_8;
    }
    return digits ? QR_MODE_NUM : QR_MODE_AN;
}

static int qr_encode(const yr_payload *p, int version, yima_ecc ecc, QRcode **qr)
{
    *qr = NULL;
    if (p->len == 0 || p->len > 7089)
        return YIMA_E_DATA;
    QRinput *in = QRinput_new2(version, (QRecLevel)ecc);
    if (!in)
        return errno == ENOMEM ? YIMA_E_NOMEM : YIMA_E_DATA;
    /* GS1 needs FNC1 in first position, which libqrencode cannot write
     * (yr_check_symbol refuses it before). */
    int rc = p->gs1 || QRinput_append(in, payload_mode(p->data, p->len), (int)p->len,
                                      (const unsigned char *)p->data) ? YIMA_E_DATA : YIMA_OK;
    /* libqrencode quietly grows a version that is too small: refuse that. */
    QRcode *code = rc ? NULL : QRcode_encodeInput(in);
    QRinput_free(in);
    if (!code)
        return rc ? rc : errno == ENOMEM ? YIMA_E_NOMEM : YIMA_E_DATA;
    if (version && code->version != version) {
        QRcode_free(code);
        return YIMA_E_DATA;
    }
    *qr = code;
    return YIMA_OK;
}

int yr_encode(const yima_render_options *opt, const yr_payload *p, int size, QRcode **sym)
{
    if (opt->symbol == YIMA_SYM_DATAMATRIX)
        return yr_dmtx_encode(p->data, p->len, p->gs1, size, sym);
    return qr_encode(p, size, opt->ecc, sym);
}

const char *yr_size_name(const yima_render_options *opt, int size, char *buf, size_t cap)
{
    if (opt->symbol == YIMA_SYM_DATAMATRIX)
        snprintf(buf, cap, "DataMatrix %dx%d", yr_dmtx_side(size), yr_dmtx_side(size));
    else
        snprintf(buf, cap, "QR version %d-%s", size, yima_ecc_name(opt->ecc));
    return buf;
}

int yima_render_fit_version(const char *payload, size_t len, yima_ecc ecc)
{
    yr_payload p = {.data = payload, .len = len};
    QRcode *qr;
    if (qr_encode(&p, 0, ecc, &qr))
        return 0;
    int v = qr->version;
    QRcode_free(qr);
    return v;
}

/* Text pixels are the largest scale that fits the symbol's width, at most
 * the module size; a text too long even at 1 widens the image. */
void yr_layout(const yima_render_options *opt, int width, size_t tlen, int *w, int *h,
               int *text_scale)
{
    int side = (width + 2 * opt->margin) * opt->scale;
    int t = 0;
    *w = *h = side;
    if (opt->text && tlen) {
        int avail = side - 2 * opt->scale;
        t = avail / (int)(tlen * YR_GLYPH_W);
        t = t < 1 ? 1 : t > opt->scale ? opt->scale : t;
        int tw = (int)tlen * YR_GLYPH_W * t + 2 * t;
        if (tw > *w)
            *w = tw;
        *h += (YR_GLYPH_H + 2) * t;
    }
    *text_scale = t;
}

void yr_bitmap_free(yr_bitmap *bm)
{
    free(bm->px);
    memset(bm, 0, sizeof *bm);
}

int yr_bitmap_reset(yr_bitmap *bm, int w, int h)
{
    size_t stride = ((size_t)w + 7) / 8, need = stride * (size_t)h;
    if (need > bm->cap) {
        unsigned char *p = realloc(bm->px, need);
        if (!p)
            return YIMA_E_NOMEM;
        bm->px = p;
        bm->cap = need;
    }
    bm->w = w;
    bm->h = h;
    bm->stride = stride;
    memset(bm->px, 0, need);
    return YIMA_OK;
}

void yr_fill_span(yr_bitmap *bm, int y, int x0, int x1)
{
    unsigned char *row = bm->px + (size_t)y * bm->stride;
    while (x0 < x1 && (x0 & 7)) {
        row[x0 >> 3] |= (unsigned char)(0x80 >> (x0 & 7));
        x0++;
    }
    if (x1 - x0 >= 8) {
        memset(row + (x0 >> 3), 0xff, (size_t)((x1 - x0) >> 3));
        x0 += (x1 - x0) & ~7;
    }
    for (; x0 < x1; x0++)
        row[x0 >> 3] |= (unsigned char)(0x80 >> (x0 & 7));
}

int yr_next_run(const unsigned char *m, int width, int *x, int *start)
{
    while (*x < width && !(m[*x] & 1))
        (*x)++;
    if (*x >= width)
        return 0;
    *start = *x;
    while (*x < width && (m[*x] & 1))
        (*x)++;
    return 1;
}

/* Each module row is drawn once as runs, then copied scale - 1 times. */
void yr_draw_modules(yr_bitmap *bm, const QRcode *qr, int x0, int y0, int s)
{
    for (int my = 0; my < qr->width; my++) {
        const unsigned char *m = qr->data + (size_t)my * (size_t)qr->width;
        int y = y0 + my * s, x = 0, start;
        while (yr_next_run(m, qr->width, &x, &start))
            yr_fill_span(bm, y, x0 + start * s, x0 + x * s);
        unsigned char *first = bm->px + (size_t)y * bm->stride;
        for (int k = 1; k < s; k++)
            memcpy(first + (size_t)k * bm->stride, first, bm->stride);
    }
}

int yr_raster(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
              yr_bitmap *bm)
{
    int w, h, t;
    yr_layout(opt, qr->width, text ? tlen : 0, &w, &h, &t);
    if (yr_bitmap_reset(bm, w, h))
        return YIMA_E_NOMEM;
    int side = (qr->width + 2 * opt->margin) * opt->scale;
    int x0 = (w - side) / 2 + opt->margin * opt->scale, y0 = opt->margin * opt->scale;
    yr_draw_modules(bm, qr, x0, y0, opt->scale);
    if (t) {
        int tw = (int)tlen * YR_GLYPH_W * t - t; /* no gap after the last glyph */
        yr_draw_text(bm, (w - tw) / 2, side + t, t, text, tlen);
    }
    return YIMA_OK;
}

int yr_image(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
             yr_bitmap *scratch, yima_buf *out, yima_err *err)
{
    if (opt->format == YIMA_IMG_SVG)
        return yr_svg(opt, qr, text, tlen, out, err);
    if (yr_raster(opt, qr, text, tlen, scratch))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a %d-module image", qr->width);
    return opt->format == YIMA_IMG_PBM ? yr_pbm(scratch, out, err)
                                       : yr_png(scratch, opt->dpi, out, err);
}

int yima_render_image(const yima_render_options *opt, const char *payload, size_t len,
                      const char *text, yima_buf *out, yima_err *err)
{
    QRcode *qr;
    yr_bitmap bm = {0};
    yr_payload *p = malloc(sizeof *p);
    char name[64];
    int rc = p ? yima_render_check(opt, err) : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (!rc)
        rc = yr_payload_prepare(payload, len, p, "payload", 1, err);
    if (!rc)
        rc = yr_check_symbol(opt, p, "payload", 1, err);
    if (!rc && (rc = yr_encode(opt, p,
                               opt->symbol == YIMA_SYM_DATAMATRIX
                                   ? yr_dmtx_fit(p->data, p->len, p->gs1) : opt->version,
                               &qr)))
        rc = yima_err_set(err, rc, "payload of %zu bytes does not fit %s", len,
                          opt->version || opt->symbol == YIMA_SYM_DATAMATRIX
                              ? yr_size_name(opt, opt->version ? opt->version : 24, name,
                                             sizeof name)
                              : "any QR symbol");
    if (!rc) {
        if (!text && p->gs1)
            text = p->hri;
        rc = yr_image(opt, qr, text, text ? strlen(text) : 0, &bm, out, err);
        QRcode_free(qr);
    }
    yr_bitmap_free(&bm);
    free(p);
    return rc;
}

int yima_render_module_dots(double module_mm, int dpi, int *dots, double *real_mm)
{
    double exact = module_mm * dpi / 25.4;
    int d = (int)lround(exact);
    if (d < 1)
        d = 1;
    *dots = d;
    *real_mm = d * 25.4 / dpi;
    return fabs(*real_mm - module_mm) > module_mm * 0.001;
}
