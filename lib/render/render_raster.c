/* SPDX-License-Identifier: MIT */
/*
 * Labels as dots: 1-bit bitmaps, lone images (PNG, PBM; SVG is handed to
 * render_svg.c) and PNG pages of a sheet.
 *
 * A plan is in mm; here it becomes dots at the physical dpi. The symbol is
 * never resampled: its top-left corner is rounded to a whole dot and every
 * module is exactly opt->scale dots, so a module is the size the layout
 * computed (yr_module_mm). Text lines are drawn by the font engine, 1-bit,
 * with their baselines rounded to whole dots.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

#define DOTS_MAX (1 << 20) /* a side of any image; the caller's checks keep far below */
#define ROUNDING 1e-6      /* mm * dpi / 25.4 of an exact size lands a hair off */

void yr_bitmap_free(yr_bitmap *bm)
{
    free(bm->px);
    memset(bm, 0, sizeof *bm);
}

int yr_bitmap_reset(yr_bitmap *bm, int w, int h)
{
    size_t stride = ((size_t)w + 7) / 8;
    if (yr_zeroed(&bm->px, &bm->cap, stride * (size_t)h))
        return YIMA_E_NOMEM;
    bm->w = w;
    bm->h = h;
    bm->stride = stride;
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

/* mm to the nearest dot at dpi. */
static int dots(double mm, int dpi)
{
    return (int)lround(mm * dpi / 25.4);
}

/* Whole dots that cover mm at dpi. */
static int dots_up(double mm, int dpi)
{
    return (int)ceil(mm * dpi / 25.4 - ROUNDING);
}

/* Dark dots [x0, x1) of rows [y0, y1), clipped to bm. */
static void fill_rect(yr_bitmap *bm, int x0, int x1, int y0, int y1)
{
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 > bm->w ? bm->w : x1;
    y0 = y0 < 0 ? 0 : y0;
    y1 = y1 > bm->h ? bm->h : y1;
    for (int y = y0; y < y1 && x0 < x1; y++)
        yr_fill_span(bm, y, x0, x1);
}

/* Each run of dark modules in a row becomes one s-dot-high rectangle. */
static void draw_modules(yr_bitmap *bm, const yr_symbol *sym, int x0, int y0, int s)
{
    for (int my = 0; my < sym->h; my++) {
        const unsigned char *m = sym->mod + (size_t)my * (size_t)sym->w;
        int y = y0 + my * s, x = 0, start;
        while (yr_next_run(m, sym->w, &x, &start))
            fill_rect(bm, x0 + start * s, x0 + x * s, y, y + s);
    }
}

int yr_draw_label(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
                  yr_font *font, int dpi, int x0, int y0, yr_bitmap *bm)
{
    draw_modules(bm, sym, x0 + dots(plan->sym_x, dpi), y0 + dots(plan->sym_y, dpi), opt->scale);
    for (int i = 0; i < plan->nlines; i++) {
        const yr_textline *l = &plan->lines[i];
        int rc = font ? yr_font_raster(font, l->s, l->len, l->pt, dpi, x0 + dots(l->x, dpi),
                                       y0 + dots(l->y, dpi), bm)
                      : YIMA_E_INTERNAL;
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

static int text_failed(int rc, const yr_font *font, yima_err *err)
{
    if (rc == YIMA_E_DATA)
        return yima_err_set(err, rc, "the text has a character font '%s' cannot draw",
                            yr_font_family(font));
    return yima_err_set(err, rc, "%s", rc == YIMA_E_NOMEM ? "out of memory drawing text"
                                                          : "the font engine failed to draw text");
}

/* Sizes bm to w x h mm at dpi. */
static int bitmap_mm(yr_bitmap *bm, double w, double h, int dpi, yima_err *err)
{
    int wd = dots_up(w, dpi), hd = dots_up(h, dpi);
    if (wd < 1 || hd < 1 || wd > DOTS_MAX || hd > DOTS_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "a %gx%g mm image at %d dpi is out of range", w, h,
                            dpi);
    if (yr_bitmap_reset(bm, wd, hd))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a %dx%d image", wd, hd);
    return YIMA_OK;
}

int yr_image(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
             yr_font *font, yr_bitmap *scratch, yima_buf *out, yima_err *err)
{
    if (opt->format == YIMA_IMG_SVG)
        return yr_svg(opt, plan, sym, font, out, err);
    int dpi = yr_physical_dpi(opt);
    int rc = bitmap_mm(scratch, plan->w, plan->h, dpi, err);
    if (rc)
        return rc;
    if ((rc = yr_draw_label(opt, plan, sym, font, dpi, 0, 0, scratch)))
        return text_failed(rc, font, err);
    /* pHYs only for a dpi the user gave: 300 is an assumption, not a fact. */
    return opt->format == YIMA_IMG_PBM ? yr_pbm(scratch, out, err)
                                       : yr_png(scratch, opt->dpi, out, err);
}

int yr_png_page(const yima_render_options *opt, const yr_plan *plans, const yr_symbol *syms,
                unsigned n, yr_font *font, yr_bitmap *bm, yima_buf *out, yima_err *err)
{
    yr_page_geom g;
    int dpi = yr_physical_dpi(opt);
    yr_page_geometry(opt, &g);
    /* The page rounds up and label origins down, so labels that fit the page
     * in mm fit it in dots. */
    int rc = bitmap_mm(bm, g.media_w, g.media_h, dpi, err);
    for (unsigned k = 0; k < n && !rc; k++) {
        double x, y;
        yr_label_origin(opt, k, &x, &y);
        int x0 = (int)floor(x * dpi / 25.4 + ROUNDING), y0 = (int)floor(y * dpi / 25.4 + ROUNDING);
        if ((rc = yr_draw_label(opt, &plans[k], &syms[k], font, dpi, x0, y0, bm)))
            rc = text_failed(rc, font, err);
    }
    return rc ? rc : yr_png(bm, dpi, out, err);
}
