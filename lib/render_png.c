/* SPDX-License-Identifier: MIT */
/*
 * Raster image files: PNG (1-bit grayscale, written here with zlib) and
 * PBM (P4).
 *
 * The bytes are those libpng wrote before (tests/vectors/render holds
 * them): unfiltered rows, inverted (PNG gray 1 is white), deflated at the
 * same zlib settings (level 6, default strategy, memLevel 8, the window
 * narrowed to the image as libpng narrows it) and cut into IDAT chunks of
 * libpng's 8 KiB. What changed is the cost: the rows are deflated in one
 * call, through one zlib state per worker (yr_png_ctx) reset between
 * images, instead of a libpng writer and a zlib state built for each.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "render_internal.h"

#define PNG_FILTER_BYTE_NONE 0
#define IDAT_MAX 8192 /* libpng's PNG_ZBUF_SIZE: where it cut IDAT chunks */

struct yr_png_ctx {
    z_stream z;
    int wbits;       /* the window of the live zlib state; 0 = none */
    yima_buf rows;   /* filtered, inverted rows: the IDAT's uncompressed data */
    yima_buf zout;   /* the deflated rows */
};

yr_png_ctx *yr_png_ctx_create(void)
{
    return calloc(1, sizeof(yr_png_ctx));
}

void yr_png_ctx_free(yr_png_ctx *c)
{
    if (!c)
        return;
    if (c->wbits)
        deflateEnd(&c->z);
    yima_buf_free(&c->rows);
    yima_buf_free(&c->zout);
    free(c);
}

/* libpng's choice for an IDAT of size bytes: the smallest window, down
 * from 32 KiB, that still sees the whole of it plus zlib's 262-byte margin. */
static int window_bits(size_t size)
{
    int wbits = 15;
    if (size <= 16384) {
        size_t half = (size_t)1 << (wbits - 1);
        while (size + 262 <= half) {
            half >>= 1;
            wbits--;
        }
    }
    return wbits;
}

static int zlib_ready(yr_png_ctx *c, int wbits)
{
    if (c->wbits == wbits)
        return deflateReset(&c->z) == Z_OK;
    if (c->wbits)
        deflateEnd(&c->z);
    c->wbits = 0;
    memset(&c->z, 0, sizeof c->z);
    if (deflateInit2(&c->z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    c->wbits = wbits;
    return 1;
}

/* Our 1 is dark and PNG gray 1 is white: rows go out inverted, padding
 * bits included (as libpng's png_set_invert_mono wrote them). */
static int filter_rows(yr_png_ctx *c, const yr_bitmap *bm)
{
    size_t line = bm->stride + 1;
    c->rows.len = 0;
    if (yima_buf_reserve(&c->rows, line * (size_t)bm->h))
        return 0;
    unsigned char *o = c->rows.data;
    for (int y = 0; y < bm->h; y++, o += line) {
        const unsigned char *row = bm->px + (size_t)y * bm->stride;
        o[0] = PNG_FILTER_BYTE_NONE;
        for (size_t i = 0; i < bm->stride; i++)
            o[1 + i] = (unsigned char)~row[i];
    }
    c->rows.len = line * (size_t)bm->h;
    return 1;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A chunk whose data (len bytes) is already in out at its offset at + 8;
 * fills in length, type and CRC. */
static int chunk_close(yima_buf *out, size_t at, const char *type, size_t len)
{
    unsigned char *p = out->data + at;
    put32(p, (uint32_t)len);
    memcpy(p + 4, type, 4);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), p + 4, (uInt)(len + 4));
    unsigned char tail[4];
    put32(tail, (uint32_t)crc);
    out->len = at + 8 + len;
    return yima_buf_append(out, tail, 4);
}

static int chunk(yima_buf *out, const char *type, const unsigned char *data, size_t len)
{
    size_t at = out->len;
    if (yima_buf_reserve(out, 12 + len))
        return 1;
    if (len)
        memcpy(out->data + at + 8, data, len);
    return chunk_close(out, at, type, len);
}

static int write_head(const yr_bitmap *bm, int dpi, yima_buf *out)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13] = {0}, phys[9];
    put32(ihdr, (uint32_t)bm->w);
    put32(ihdr + 4, (uint32_t)bm->h);
    ihdr[8] = 1; /* bit depth; colour type 0 (gray), deflate, adaptive filters, no interlace */
    if (yima_buf_append(out, sig, sizeof sig) || chunk(out, "IHDR", ihdr, sizeof ihdr))
        return 1;
    if (dpi <= 0)
        return 0;
    uint32_t ppm = (uint32_t)lround(dpi / 0.0254);
    put32(phys, ppm);
    put32(phys + 4, ppm);
    phys[8] = 1; /* unit: metre */
    return chunk(out, "pHYs", phys, sizeof phys);
}

/* libpng's optimize_cmf: the zlib header names the smallest window that
 * holds the data (without deflate's margin), a valid and smaller claim
 * than the window deflate used; the check bits are recomputed. */
static void narrow_header(unsigned char *z, size_t size)
{
    unsigned cmf = z[0], cinfo = cmf >> 4;
    if (size > 16384 || (cmf & 0x0f) != 8 || cinfo > 7)
        return;
    unsigned half = 1u << (cinfo + 7);
    if (size > half)
        return;
    do {
        half >>= 1;
        cinfo--;
    } while (cinfo > 0 && size <= half);
    cmf = (cmf & 0x0f) | cinfo << 4;
    unsigned flg = z[1] & 0xe0u;
    flg += 0x1f - ((cmf << 8) + flg) % 0x1f;
    z[0] = (unsigned char)cmf;
    z[1] = (unsigned char)flg;
}

/* The IDAT chunks: the rows deflated in one call, cut where libpng cut. */
static int write_idat(yr_png_ctx *c, yima_buf *out)
{
    if (!zlib_ready(c, window_bits(c->rows.len)))
        return YIMA_E_NOMEM;
    uLong bound = deflateBound(&c->z, (uLong)c->rows.len);
    c->zout.len = 0;
    if (yima_buf_reserve(&c->zout, bound))
        return YIMA_E_NOMEM;
    c->z.next_in = c->rows.data;
    c->z.avail_in = (uInt)c->rows.len;
    c->z.next_out = c->zout.data;
    c->z.avail_out = (uInt)bound;
    if (deflate(&c->z, Z_FINISH) != Z_STREAM_END)
        return YIMA_E_INTERNAL;
    narrow_header(c->zout.data, c->rows.len);
    for (size_t at = 0, n; at < c->z.total_out; at += n) {
        n = c->z.total_out - at < IDAT_MAX ? c->z.total_out - at : IDAT_MAX;
        if (chunk(out, "IDAT", c->zout.data + at, n))
            return YIMA_E_NOMEM;
    }
    return YIMA_OK;
}

int yr_png_with(yr_png_ctx *c, const yr_bitmap *bm, int dpi, yima_buf *out, yima_err *err)
{
    int rc = filter_rows(c, bm) ? YIMA_OK : YIMA_E_NOMEM;
    if (!rc)
        rc = write_head(bm, dpi, out) ? YIMA_E_NOMEM : write_idat(c, out);
    if (!rc && chunk(out, "IEND", NULL, 0))
        rc = YIMA_E_NOMEM;
    if (rc)
        return yima_err_set(err, rc, "zlib: cannot encode a %dx%d image as PNG%s", bm->w, bm->h,
                            rc == YIMA_E_NOMEM ? ": out of memory" : "");
    return YIMA_OK;
}

int yr_png(const yr_bitmap *bm, int dpi, yima_buf *out, yima_err *err)
{
    yr_png_ctx *c = yr_png_ctx_create();
    if (!c)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a PNG image");
    int rc = yr_png_with(c, bm, dpi, out, err);
    yr_png_ctx_free(c);
    return rc;
}

int yr_pbm(const yr_bitmap *bm, yima_buf *out, yima_err *err)
{
    char head[64];
    int n = snprintf(head, sizeof head, "P4\n%d %d\n", bm->w, bm->h);
    /* P4 rows are packed MSB first with 1 = black: exactly our layout. */
    if (yima_buf_append(out, head, (size_t)n) ||
        yima_buf_append(out, bm->px, bm->stride * (size_t)bm->h))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a PBM image");
    return YIMA_OK;
}
