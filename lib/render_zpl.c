/* SPDX-License-Identifier: MIT */
/*
 * Zebra ZPL II labels: the printer draws the QR symbol itself (^BQ), so the
 * stream carries only text. One ^XA..^XZ label per code, with the code
 * printed under the symbol. The printer chooses the QR version; the
 * layout below reserves room for the run's version.
 */
#include <string.h>
#include "render_internal.h"

/* Field data after ^FH: ^ and ~ are commands and _ is the escape itself,
 * so those (and control bytes) go as _XX hex. */
static int zpl_field(yima_buf *out, const char *prefix, const char *s, size_t len)
{
    int rc = yr_printf(out, "^FH_^FD%s", prefix);
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        rc = c == '^' || c == '~' || c == '_' || c < 0x20 ? yr_printf(out, "_%02X", c)
                                                          : yima_buf_append(out, &c, 1);
    }
    return rc ? rc : yr_printf(out, "^FS\n");
}

int yr_zpl_label(const yima_render_options *opt, const char *payload, size_t len, int version,
                 const char *text, size_t tlen, yima_buf *out, yima_err *err)
{
    int s = opt->scale > 10 ? 10 : opt->scale; /* ^BQ magnifies 1..10 */
    int q = opt->margin * s, side = (17 + 4 * version) * s;
    /* ^BQ's field data starts with the ECC level and A (automatic mode). */
    char head[4] = {yima_ecc_name(opt->ecc)[0], 'A', ',', '\0'};
    int rc = yr_printf(out, "^XA\n^FO%d,%d^BQN,2,%d\n", q, q, s);
    if (!rc)
        rc = zpl_field(out, head, payload, len);
    if (!rc && tlen) { /* ZPL labels always carry the readable code */
        /* Font 0 characters squeezed so the line fits under the symbol. */
        int h = 3 * s, cw = side / (int)tlen;
        cw = cw > h * 3 / 5 ? h * 3 / 5 : cw < 4 ? 4 : cw;
        rc = yr_printf(out, "^FO%d,%d^A0N,%d,%d^FB%d,1,0,C\n", q, q + side + s, h, cw, side);
        if (!rc)
            rc = zpl_field(out, "", text, tlen);
    }
    if (!rc)
        rc = yr_printf(out, "^XZ\n");
    return rc ? yima_err_set(err, YIMA_E_NOMEM, "out of memory for a ZPL label") : YIMA_OK;
}
