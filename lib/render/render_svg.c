/* SPDX-License-Identifier: MIT */
/*
 * SVG symbols: one path per symbol in module units, each row's adjacent dark
 * modules merged into one horizontal run, so files stay small.
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

static int svg_runs(yima_buf *out, const QRcode *qr, int margin)
{
    int rc = 0;
    for (int y = 0; y < qr->width && !rc; y++) {
        const unsigned char *m = qr->data + (size_t)y * (size_t)qr->width;
        int x = 0, start;
        while (!rc && yr_next_run(m, qr->width, &x, &start))
            rc = yr_printf(out, "M%d %dh%dv1h-%dz", start + margin, y + margin, x - start,
                           x - start);
    }
    return rc;
}

/* XML-escapes text into out. */
static int svg_escape(yima_buf *out, const char *text, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        char c = text[i];
        rc = c == '<' ? yr_printf(out, "&lt;")
             : c == '>' ? yr_printf(out, "&gt;")
             : c == '&' ? yr_printf(out, "&amp;")
             : c == '"' ? yr_printf(out, "&quot;")
                        : yima_buf_append(out, &c, 1);
    }
    return rc;
}

/* The text band is 3 modules high; the line is squeezed to the symbol's
 * width so the image size never depends on the text. */
static int svg_text(yima_buf *out, int side, const char *text, size_t tlen)
{
    int rc = yr_printf(out,
                       "<text x=\"%g\" y=\"%d\" font-family=\"monospace\" font-size=\"2\" "
                       "text-anchor=\"middle\" textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\">",
                       side / 2.0, side + 2, side - 2);
    if (!rc)
        rc = svg_escape(out, text, tlen);
    return rc ? rc : yr_printf(out, "</text>\n");
}

int yr_svg(const yima_render_options *opt, const QRcode *qr, const char *text, size_t tlen,
           yima_buf *out, yima_err *err)
{
    int side = qr->width + 2 * opt->margin;
    int h = side + (opt->text && tlen ? 3 : 0);
    int rc;
    /* With a known dpi the image has its physical size; else one module is scale px. */
    if (opt->dpi > 0) {
        double mm = opt->scale * 25.4 / opt->dpi;
        rc = yr_printf(out,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.4fmm\" "
                       "height=\"%.4fmm\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n",
                       side * mm, h * mm, side, h);
    } else {
        rc = yr_printf(out,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                       "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n",
                       side * opt->scale, h * opt->scale, side, h);
    }
    if (!rc)
        rc = yr_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path d=\"", side,
                       h);
    if (!rc)
        rc = svg_runs(out, qr, opt->margin);
    if (!rc)
        rc = yr_printf(out, "\" fill=\"#000\"/>\n");
    if (!rc && opt->text && tlen)
        rc = svg_text(out, side, text, tlen);
    if (!rc)
        rc = yr_printf(out, "</svg>\n");
    return rc ? yima_err_set(err, YIMA_E_NOMEM, "out of memory for an SVG image") : YIMA_OK;
}
