/* SPDX-License-Identifier: MIT */
/*
 * SVG labels. One user unit is one module (the viewBox is the label in
 * modules), so the symbol's runs lie on whole units. The symbol is one path,
 * each row's adjacent dark modules merged into one run; each text line is
 * one path of glyph outlines from the font engine (no <text>: nothing
 * depends on the viewer's fonts). With a known dpi the image has its
 * physical size in mm; else a module is opt->scale px.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "render_internal.h"

int yr_printf(yima_buf *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || yima_buf_reserve(out, (size_t)n + 1))
        return YIMA_E_NOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)out->data + out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len += (size_t)n;
    return YIMA_OK;
}

/* v with at most 3 decimals, trailing zeros dropped: "29", "33.5". */
static const char *num(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.3f", v);
    char *end = buf + strlen(buf);
    if (strchr(buf, '.')) {
        while (end[-1] == '0')
            *--end = 0;
        if (end[-1] == '.')
            *--end = 0;
    }
    return strcmp(buf, "-0") ? buf : "0";
}

static int svg_head(yima_buf *out, const yima_render_options *opt, double vw, double vh,
                    double w_mm, double h_mm)
{
    char a[32], b[32], c[32], d[32];
    const char *unit = opt->dpi > 0 ? "mm" : "";
    double w = opt->dpi > 0 ? w_mm : vw * opt->scale, h = opt->dpi > 0 ? h_mm : vh * opt->scale;
    return yr_printf(out,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s%s\" height=\"%s%s\" "
                     "viewBox=\"0 0 %s %s\">\n"
                     "<rect width=\"%s\" height=\"%s\" fill=\"#fff\"/>\n",
                     num(a, sizeof a, w), unit, num(b, sizeof b, h), unit, num(c, sizeof c, vw),
                     num(d, sizeof d, vh), c, d);
}

/* The symbol's runs, its first module's corner at (ox, oy) modules. */
static int svg_symbol(yima_buf *out, const yr_symbol *sym, double ox, double oy)
{
    char a[32], b[32];
    int rc = yr_printf(out, "<path shape-rendering=\"crispEdges\" d=\"");
    for (int y = 0; y < sym->h && !rc; y++) {
        const unsigned char *m = sym->mod + (size_t)y * (size_t)sym->w;
        int x = 0, start;
        while (!rc && yr_next_run(m, sym->w, &x, &start))
            rc = yr_printf(out, "M%s %sh%dv1h-%dz", num(a, sizeof a, ox + start),
                           num(b, sizeof b, oy + y), x - start, x - start);
    }
    return rc ? rc : yr_printf(out, "\" fill=\"#000\"/>\n");
}

static int svg_line(yima_buf *out, yr_font *font, const yr_textline *l, const yr_xform *xf)
{
    int rc = yr_printf(out, "<path d=\"");
    if (!rc)
        rc = yr_font_path(font, l->s, l->len, l->pt, l->x, l->y, xf, YR_PATH_SVG, out);
    return rc ? rc : yr_printf(out, "\" fill=\"#000\"/>\n");
}

int yr_svg(const yima_render_options *opt, const yr_plan *plan, const yr_symbol *sym,
           yr_font *font, yima_buf *out, yima_err *err)
{
    double m = plan->module;
    if (!(m > 0) || (plan->nlines && !font))
        return yima_err_set(err, YIMA_E_INTERNAL, "an SVG label without %s",
                            m > 0 ? "a font" : "a module size");
    yr_xform xf = {1 / m, 1 / m, 0, 0}; /* mm to modules */
    int rc = svg_head(out, opt, plan->w / m, plan->h / m, plan->w, plan->h);
    if (!rc)
        rc = svg_symbol(out, sym, plan->sym_x / m, plan->sym_y / m);
    for (int i = 0; i < plan->nlines && !rc; i++)
        rc = svg_line(out, font, &plan->lines[i], &xf);
    if (!rc)
        rc = yr_printf(out, "</svg>\n");
    if (rc == YIMA_E_DATA)
        return yima_err_set(err, rc, "the text has a character font '%s' cannot draw",
                            yr_font_family(font));
    if (rc == YIMA_E_INTERNAL)
        return yima_err_set(err, rc, "the font engine failed to draw text");
    return rc ? yima_err_set(err, YIMA_E_NOMEM, "out of memory for an SVG image") : YIMA_OK;
}
