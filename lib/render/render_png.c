/* SPDX-License-Identifier: MIT */
/* Raster image files: PNG (libpng, 1-bit grayscale) and PBM (P4). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <png.h>
#include "render_internal.h"

typedef struct png_sink {
    yima_buf *out;
    int failed;
} png_sink;

static void sink_write(png_structp png, png_bytep data, size_t len)
{
    png_sink *s = png_get_io_ptr(png);
    if (!s->failed && yima_buf_append(s->out, data, len))
        s->failed = 1;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

/* libpng reports errors by longjmp; everything it touches stays in png's
 * own structures, so nothing local is clobbered. YIMA_E_INTERNAL if libpng
 * fails (the caller words it). */
static int png_encode(png_structp png, png_infop info, const yr_bitmap *bm, int dpi)
{
    if (setjmp(png_jmpbuf(png)))
        return YIMA_E_INTERNAL;
    png_set_IHDR(png, info, (png_uint_32)bm->w, (png_uint_32)bm->h, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (dpi > 0) {
        png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    /* Two-tone images compress best unfiltered, and filtering costs time. */
    png_set_filter(png, 0, PNG_FILTER_NONE);
    png_set_compression_level(png, 6); /* level 9 is slower and no smaller here */
    png_write_info(png, info);
    png_set_invert_mono(png); /* our 1 is dark; PNG gray 1 is white */
    for (int y = 0; y < bm->h; y++)
        png_write_row(png, bm->px + (size_t)y * bm->stride);
    png_write_end(png, NULL);
    return YIMA_OK;
}

int yr_png(const yr_bitmap *bm, int dpi, yima_buf *out, yima_err *err)
{
    png_sink sink = {out, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return yima_err_set(err, YIMA_E_NOMEM, "libpng: out of memory");
    }
    png_set_write_fn(png, &sink, sink_write, sink_flush);
    int rc = png_encode(png, info, bm, dpi);
    png_destroy_write_struct(&png, &info);
    if (rc || sink.failed)
        return yima_err_set(err, sink.failed ? YIMA_E_NOMEM : YIMA_E_INTERNAL,
                            "libpng: cannot encode a %dx%d image", bm->w, bm->h);
    return YIMA_OK;
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
