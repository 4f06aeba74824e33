/* SPDX-License-Identifier: MIT */
/*
 * Zebra ZPL II labels: the printer draws the symbol itself (^BQ for QR,
 * ^BX quality 200 for DataMatrix), so the stream carries only text. One
 * ^XA..^XZ label per code, with the code printed under the symbol. The
 * printer chooses the QR version (the layout reserves room for the run's);
 * DataMatrix labels name the run's size.
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

/* ^BX field data: ^FH hex first, then the symbol's own escapes after the
 * escape character DM_ESC (a backquote, which GS1's character set 82 does
 * not have): DM_ESC "1" is FNC1, a literal DM_ESC is doubled. */
#define DM_ESC '`'

static int zpl_dmtx_field(yima_buf *out, const yr_payload *p)
{
    int rc = yr_printf(out, "^FH_^FD%s", p->gs1 ? "`1" : "");
    for (size_t i = 0; i < p->len && !rc; i++) {
        unsigned char c = (unsigned char)p->data[i];
        rc = p->gs1 && c == YIMA_GS1_GS ? yr_printf(out, "%c1", DM_ESC)
             : c == DM_ESC ? yr_printf(out, "%c%c", DM_ESC, DM_ESC)
             : c == '^' || c == '~' || c == '_' || c < 0x20 ? yr_printf(out, "_%02X", c)
                                                           : yima_buf_append(out, &c, 1);
    }
    return rc ? rc : yr_printf(out, "^FS\n");
}

/* The symbol command and its field; *side gets its size in dots. */
static int zpl_symbol(const yima_render_options *opt, const yr_payload *p, int size, int s, int q,
                      int *side, yima_buf *out)
{
    if (opt->symbol == YIMA_SYM_DATAMATRIX) {
        int n = yr_dmtx_side(size);
        *side = n * s;
        int rc = yr_printf(out, "^XA\n^FO%d,%d^BXN,%d,200,%d,%d,,%c\n", q, q, s, n, n, DM_ESC);
        return rc ? rc : zpl_dmtx_field(out, p);
    }
    /* ^BQ's field data starts with the ECC level and A (automatic mode). */
    char head[4] = {yima_ecc_name(opt->ecc)[0], 'A', ',', '\0'};
    *side = (17 + 4 * size) * s;
    int rc = yr_printf(out, "^XA\n^FO%d,%d^BQN,2,%d\n", q, q, s);
    return rc ? rc : zpl_field(out, head, p->data, p->len);
}

int yr_zpl_label(const yima_render_options *opt, const yr_payload *p, int size, const char *text,
                 size_t tlen, yima_buf *out, yima_err *err)
{
    int s = opt->scale > 10 ? 10 : opt->scale; /* ^BQ magnifies 1..10 */
    int q = opt->margin * s, side;
    int rc = zpl_symbol(opt, p, size, s, q, &side, out);
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
