/* SPDX-License-Identifier: MIT */
/*
 * Label layout: where the symbol and each line of text go, in mm from the
 * trim's top-left corner, before any drawer sees them.
 *
 * The symbol's modules stay inside the safe area and its quiet zone inside
 * the trim; text stays inside the safe area and out of the quiet zone. The
 * anchor places the symbol; the text takes the side away from it: right of
 * a left-anchored symbol, left of a right-anchored one, under a centred one
 * (over it when anchored at the bottom). Text is never shrunk below its size
 * or dropped: a label it does not fit is an error saying by how much.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "render_internal.h"

#define FIT_EPS 1e-6 /* mm: rounding, not room */

double yr_module_mm(const yima_render_options *opt)
{
    return opt->scale * 25.4 / yr_physical_dpi(opt);
}

/* Anchor as -1/0/+1 across (left, centre, right) and down (top, middle, bottom). */
static void anchor_axes(yima_anchor a, int *hx, int *vy)
{
    static const signed char h[] = {0, -1, 0, 1, -1, 1, -1, 0, 1};
    static const signed char v[] = {0, -1, -1, -1, 0, 0, 1, 1, 1};
    unsigned i = (unsigned)a < sizeof h ? (unsigned)a : 0;
    *hx = h[i];
    *vy = v[i];
}

/* Position of a span of size len in [lo, hi] by side -1/0/+1. */
static double place(double lo, double hi, double len, int side)
{
    return side < 0 ? lo : side > 0 ? hi - len : lo + (hi - lo - len) / 2;
}

typedef struct block {
    double x, w;  /* region the lines are aligned in */
    int align;    /* -1 left, 0 centre, +1 right */
    double h;     /* height of all lines */
} block;

/* Wraps every text into plan->lines at width w (positions set later);
 * the block's height goes to b->h. */
static int wrap_lines(const yima_render_options *opt, yr_font *font, const char *const *texts,
                      const size_t *tlens, int ntexts, double w, yr_plan *plan, block *b,
                      yima_err *err)
{
    size_t start[YR_PLAN_LINES_MAX], len[YR_PLAN_LINES_MAX];
    b->h = 0;
    plan->nlines = 0;
    for (int i = 0; i < ntexts; i++) {
        double pt = opt->ntext > i && opt->text_lines[i].pt > 0 ? opt->text_lines[i].pt
                                                               : YIMA_TEXT_PT_MIN;
        double asc, desc, pitch;
        if (!tlens[i])
            continue;
        int rc = yr_font_check(font, texts[i], tlens[i], err);
        if (rc)
            return rc;
        int room = YR_PLAN_LINES_MAX - plan->nlines;
        int n = yr_font_wrap(font, texts[i], tlens[i], pt, w, start, len, room);
        if (n > room)
            return yima_err_set(err, YIMA_E_DATA,
                                "the text wraps into more than %d lines %.1f mm wide at %g pt",
                                YR_PLAN_LINES_MAX, w, pt);
        yr_font_metrics(font, pt, &asc, &desc, &pitch);
        for (int k = 0; k < n; k++) {
            yr_textline *l = &plan->lines[plan->nlines++];
            l->s = texts[i] + start[k];
            l->len = len[k];
            l->pt = pt;
            l->w = yr_font_width(font, l->s, l->len, pt);
            l->y = b->h + asc; /* relative to the block's top for now */
            b->h += pitch;
        }
    }
    return YIMA_OK;
}

/* Moves the block's lines to their place, its top at y. */
static void set_lines(yr_plan *plan, const block *b, double y)
{
    for (int i = 0; i < plan->nlines; i++) {
        yr_textline *l = &plan->lines[i];
        l->x = place(b->x, b->x + b->w, l->w, b->align);
        l->y += y;
    }
}

static int too_small(const char *what, double need, double have, yima_err *err)
{
    return yima_err_set(err, YIMA_E_DATA, "%s needs %.1f mm but the label has %.1f mm", what, need,
                        have);
}

/* A lone image: the symbol with its quiet zone, the text under it. */
static int plan_image(const yima_render_options *opt, yr_font *font, const yr_symbol *sym,
                      const char *const *texts, const size_t *tlens, int ntexts, yr_plan *plan,
                      yima_err *err)
{
    double m = plan->module, qz = opt->margin * m;
    block b = {.x = m, .align = 0};
    plan->w = sym->w * m + 2 * qz;
    plan->h = sym->h * m + 2 * qz;
    plan->sym_x = plan->sym_y = qz;
    b.w = plan->w - 2 * m;
    int rc = wrap_lines(opt, font, texts, tlens, ntexts, b.w, plan, &b, err);
    if (rc || !plan->nlines)
        return rc;
    set_lines(plan, &b, plan->h);
    plan->h += b.h + m;
    return YIMA_OK;
}

/* The label's size: its own, else the sheet's pitch less the gap. */
static void label_size(const yima_render_options *opt, double *w, double *h)
{
    const yima_label *l = opt->label;
    *w = l->w;
    *h = l->h;
    if ((*w <= 0 || *h <= 0) && opt->sheet) {
        *w = opt->sheet->pitch_x - l->gap;
        *h = opt->sheet->pitch_y - l->gap;
    }
}

/* Text beside the symbol (left or right of it). */
static int text_beside(const yima_render_options *opt, yr_font *font, const char *const *texts,
                       const size_t *tlens, int ntexts, int hx, int vy, double sw, double sh,
                       yr_plan *plan, yima_err *err)
{
    double safe = opt->label->safe, qz = opt->margin * plan->module;
    block b = {.align = -hx};
    b.x = hx < 0 ? plan->sym_x + sw + qz : safe;
    b.w = hx < 0 ? plan->w - safe - b.x : plan->sym_x - qz - safe;
    if (b.w <= FIT_EPS)
        return yima_err_set(err, YIMA_E_DATA, "the label has no room beside the symbol for text");
    int rc = wrap_lines(opt, font, texts, tlens, ntexts, b.w, plan, &b, err);
    if (rc || !plan->nlines)
        return rc;
    double room = plan->h - 2 * safe;
    if (b.h > room + FIT_EPS)
        return too_small("the text beside the symbol", b.h, room, err);
    double top = place(plan->sym_y, plan->sym_y + sh, b.h, vy);
    top = top < safe ? safe : top + b.h > plan->h - safe ? plan->h - safe - b.h : top;
    set_lines(plan, &b, top);
    return YIMA_OK;
}

/* Text under (or, for a bottom anchor, over) the symbol: symbol and text
 * are placed as one group. */
static int text_under(const yima_render_options *opt, yr_font *font, const char *const *texts,
                      const size_t *tlens, int ntexts, int vy, double inset, double sh,
                      yr_plan *plan, yima_err *err)
{
    double safe = opt->label->safe, qz = opt->margin * plan->module;
    block b = {.x = safe, .w = plan->w - 2 * safe, .align = 0};
    int rc = wrap_lines(opt, font, texts, tlens, ntexts, b.w, plan, &b, err);
    if (rc || !plan->nlines)
        return rc;
    double group = sh + qz + b.h, lo = inset, hi = plan->h - safe;
    if (lo + group > hi + FIT_EPS)
        return too_small("the symbol with its text", group + inset + safe, plan->h, err);
    double top = place(lo, hi, group, vy); /* the group's top */
    if (vy > 0) { /* text first, then the symbol */
        set_lines(plan, &b, top);
        plan->sym_y = top + b.h + qz;
    } else {
        plan->sym_y = top;
        set_lines(plan, &b, top + sh + qz);
    }
    return YIMA_OK;
}

static int plan_on_label(const yima_render_options *opt, yr_font *font, const yr_symbol *sym,
                         const char *const *texts, const size_t *tlens, int ntexts,
                         yr_plan *plan, yima_err *err)
{
    const yima_label *l = opt->label;
    double m = plan->module, qz = opt->margin * m;
    double sw = sym->w * m, sh = sym->h * m;
    double inset = l->safe > qz ? l->safe : qz; /* modules in the safe area, quiet zone in the trim */
    int hx, vy;
    label_size(opt, &plan->w, &plan->h);
    plan->bleed = l->bleed;
    if (sw + 2 * inset > plan->w + FIT_EPS || sh + 2 * inset > plan->h + FIT_EPS)
        return yima_err_set(err, YIMA_E_USAGE,
                            "the symbol is %.1fx%.1f mm, with its quiet zone and the safe area "
                            "%.1fx%.1f mm, larger than the %gx%g mm label",
                            sw, sh, sw + 2 * inset, sh + 2 * inset, plan->w, plan->h);
    anchor_axes(l->anchor, &hx, &vy);
    plan->sym_x = place(inset, plan->w - inset, sw, hx);
    plan->sym_y = place(inset, plan->h - inset, sh, vy);
    if (hx)
        return text_beside(opt, font, texts, tlens, ntexts, hx, vy, sw, sh, plan, err);
    return text_under(opt, font, texts, tlens, ntexts, vy, inset, sh, plan, err);
}

/* A symbol on whole printer dots prints (and rasterises) sharp. */
static double on_dots(const yima_render_options *opt, double mm)
{
    double dot = 25.4 / yr_physical_dpi(opt);
    return floor(mm / dot + 0.5) * dot;
}

int yr_plan_label(const yima_render_options *opt, yr_font *font, const yr_symbol *sym,
                  const char *const *texts, const size_t *tlens, int ntexts, yr_plan *plan,
                  yima_err *err)
{
    memset(plan, 0, offsetof(yr_plan, lines));
    plan->module = yr_module_mm(opt);
    if (ntexts && !font)
        return yima_err_set(err, YIMA_E_USAGE, "text needs a font");
    int rc = opt->label ? plan_on_label(opt, font, sym, texts, tlens, ntexts, plan, err)
                        : plan_image(opt, font, sym, texts, tlens, ntexts, plan, err);
    plan->sym_x = on_dots(opt, plan->sym_x);
    plan->sym_y = on_dots(opt, plan->sym_y);
    return rc;
}
