/* SPDX-License-Identifier: MIT */
/*
 * Symbols of any symbology: the module matrix (reused between rows), its
 * rotation, and the dispatch to the encoders of render_qr.c and
 * render_dmtx.c, with the run's size and the words for a size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_symbol.h"

void yr_symbol_free(yr_symbol *s)
{
    free(s->mod);
    memset(s, 0, sizeof *s);
}

int yr_zeroed(unsigned char **mem, size_t *cap, size_t need)
{
    if (need > *cap) {
        unsigned char *m = realloc(*mem, need);
        if (!m)
            return YIMA_E_NOMEM;
        *mem = m;
        *cap = need;
    }
    if (need)
        memset(*mem, 0, need);
    return YIMA_OK;
}

int yr_symbol_reset(yr_symbol *s, int w, int h)
{
    if (w < 1 || h < 1)
        return YIMA_E_DATA;
    if (yr_zeroed(&s->mod, &s->cap, (size_t)w * (size_t)h))
        return YIMA_E_NOMEM;
    s->w = w;
    s->h = h;
    return YIMA_OK;
}

/* The source module that lands on (x, y) of the turned symbol. */
static unsigned char turned_module(const yr_symbol *src, int deg, int x, int y)
{
    int sx = x, sy = y;
    if (deg == 90) {
        sx = y;
        sy = src->h - 1 - x;
    } else if (deg == 180) {
        sx = src->w - 1 - x;
        sy = src->h - 1 - y;
    } else if (deg == 270) {
        sx = src->w - 1 - y;
        sy = x;
    }
    return src->mod[(size_t)sy * (size_t)src->w + (size_t)sx];
}

int yr_symbol_rotate(const yr_symbol *src, int deg, yr_symbol *dst)
{
    if (deg != 0 && deg != 90 && deg != 180 && deg != 270)
        return YIMA_E_USAGE;
    int w = deg % 180 ? src->h : src->w, h = deg % 180 ? src->w : src->h;
    int rc = yr_symbol_reset(dst, w, h);
    if (rc)
        return rc;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst->mod[(size_t)y * (size_t)w + (size_t)x] = turned_module(src, deg, x, y);
    dst->size = src->size;
    return YIMA_OK;
}

/* QR and Micro QR need no state between rows; DataMatrix keeps libdmtx's. */
struct yr_encoder {
    yr_dmtx *dmtx;
};

int yr_encoder_create(const yima_render_options *opt, yr_encoder **enc)
{
    yr_encoder *e = calloc(1, sizeof *e);
    *enc = NULL;
    if (!e)
        return YIMA_E_NOMEM;
    if (opt->symbol == YIMA_SYM_DATAMATRIX && !(e->dmtx = yr_dmtx_create())) {
        free(e);
        return YIMA_E_NOMEM;
    }
    *enc = e;
    return YIMA_OK;
}

void yr_encoder_free(yr_encoder *enc)
{
    if (!enc)
        return;
    yr_dmtx_free(enc->dmtx);
    free(enc);
}

/* DataMatrix through enc's libdmtx encoder, made now if enc was created for
 * another symbology; without enc, through one made for this symbol. */
static int encode_dmtx(yr_encoder *enc, const yima_render_options *opt, const yr_payload *p,
                       int size, yr_symbol *sym)
{
    yr_dmtx *d = enc ? enc->dmtx : NULL;
    if (!d && !(d = yr_dmtx_create()))
        return YIMA_E_NOMEM;
    if (enc)
        enc->dmtx = d;
    int rc = yr_dmtx_encode(d, p, opt->dm_shape, size, sym);
    if (!enc)
        yr_dmtx_free(d);
    return rc;
}

int yr_encode(yr_encoder *enc, const yima_render_options *opt, const yr_payload *p, int size,
              yr_symbol *sym)
{
    switch (opt->symbol) {
    case YIMA_SYM_DATAMATRIX:
        return encode_dmtx(enc, opt, p, size, sym);
    case YIMA_SYM_MICROQR:
        return yr_qr_encode(p, 1, size, opt->ecc, sym);
    default:
        return yr_qr_encode(p, 0, size, opt->ecc, sym);
    }
}

int yr_run_size(const yima_render_options *opt, const yr_payload *p)
{
    switch (opt->symbol) {
    case YIMA_SYM_DATAMATRIX:
        return yr_dmtx_fit(p, opt->dm_shape);
    case YIMA_SYM_MICROQR:
        return yr_qr_fit(p, 1, 0, opt->ecc);
    default:
        return yr_qr_fit(p, 0, opt->version, opt->ecc);
    }
}

const char *yr_size_name(const yima_render_options *opt, int size, char *buf, size_t cap)
{
    const char *ecc = yima_ecc_name(opt->ecc);
    if (opt->symbol == YIMA_SYM_DATAMATRIX)
        snprintf(buf, cap, "DataMatrix %dx%d", yr_dmtx_rows(size), yr_dmtx_cols(size));
    else if (opt->symbol == YIMA_SYM_MICROQR && size == 1)
        snprintf(buf, cap, "Micro QR M1"); /* error detection only, no level */
    else if (opt->symbol == YIMA_SYM_MICROQR)
        snprintf(buf, cap, "Micro QR M%d-%s", size, ecc);
    else
        snprintf(buf, cap, "QR version %d-%s", size, ecc);
    return buf;
}

/* The largest (Micro) QR symbol at opt's level, or the version asked for. */
static int largest_qr(const yima_render_options *opt, int micro)
{
    if (!micro)
        return opt->version ? opt->version : YIMA_QR_VERSION_MAX;
    return yr_qr_capacity(1, YR_MQR_VERSION_MAX, opt->ecc, YR_CLASS_DIGITS)
               ? YR_MQR_VERSION_MAX : 0;
}

static const char *qr_too_long(const yima_render_options *opt, size_t len, char *buf,
                               size_t cap)
{
    int micro = opt->symbol == YIMA_SYM_MICROQR, v = largest_qr(opt, micro);
    char name[48];
    if (!v) {
        snprintf(buf, cap, "Micro QR has no error correction level %s",
                 yima_ecc_name(opt->ecc));
        return buf;
    }
    yr_size_name(opt, v, name, sizeof name);
    snprintf(buf, cap,
             "payload of %zu bytes is too long for %s (%s holds at most %d digits, %d "
             "upper-case alphanumerics or %d bytes)",
             len, opt->version ? name : micro ? "Micro QR" : "QR",
             opt->version ? "it" : name + (micro ? 9 : 3),
             yr_qr_capacity(micro, v, opt->ecc, YR_CLASS_DIGITS),
             yr_qr_capacity(micro, v, opt->ecc, YR_CLASS_ALNUM),
             yr_qr_capacity(micro, v, opt->ecc, YR_CLASS_BYTES));
    return buf;
}

const char *yr_too_long(const yima_render_options *opt, size_t len, char *buf, size_t cap)
{
    if (opt->symbol != YIMA_SYM_DATAMATRIX)
        return qr_too_long(opt, len, buf, cap);
    int last = yr_dmtx_last(opt->dm_shape);
    snprintf(buf, cap,
             "payload of %zu bytes is too long for %sDataMatrix (%dx%d holds at most %d "
             "bytes, a byte above 127 counting twice)",
             len, opt->dm_shape == YIMA_DM_RECT ? "rectangular " : "", yr_dmtx_rows(last),
             yr_dmtx_cols(last), yr_dmtx_words(last));
    return buf;
}
