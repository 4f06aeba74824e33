/* SPDX-License-Identifier: MIT */
/*
 * DataMatrix ECC 200 symbols through libdmtx, square sizes only. libdmtx
 * draws into an image; at one pixel per module and no margin, that image
 * is the module matrix, which is copied into a QRcode struct for the
 * drawers (render_internal.h).
 */
#include <dmtx.h>
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

#define DM_MAX_INPUT 3116 /* the most digits a 144x144 symbol holds */

int yr_dmtx_side(int size)
{
    return dmtxGetSymbolAttribute(DmtxSymAttribSymbolRows, size - 1);
}

int yr_dmtx_fit(const char *data, size_t len, int gs1)
{
    /* Worst case in ASCII encodation: no digit pairs, 2 codewords above 127. */
    size_t need = (size_t)(gs1 != 0);
    for (size_t i = 0; i < len; i++)
        need += (unsigned char)data[i] > 127 ? 2 : 1;
    for (int size = 1; size <= YIMA_DM_SQUARE_SIZES; size++)
        if ((size_t)dmtxGetSymbolAttribute(DmtxSymAttribSymbolDataWords, size - 1) >= need)
            return size;
    return 0;
}

/* Copies the 8-bit image (0 = dark, top row first without a flip) into a
 * QRcode struct. */
static int to_symbol(DmtxEncode *enc, QRcode **sym)
{
    int w = dmtxImageGetProp(enc->image, DmtxPropWidth);
    int h = dmtxImageGetProp(enc->image, DmtxPropHeight);
    int row = dmtxImageGetProp(enc->image, DmtxPropRowSizeBytes);
    QRcode *s = malloc(sizeof *s);
    unsigned char *m = malloc((size_t)w * (size_t)w);
    if (!s || !m || w != h) {
        free(s);
        free(m);
        return w != h ? YIMA_E_DATA : YIMA_E_NOMEM;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            m[y * w + x] = enc->image->pxl[(size_t)y * (size_t)row + (size_t)x] == 0;
    s->version = enc->region.sizeIdx + 1;
    s->width = w;
    s->data = m;
    *sym = s;
    return YIMA_OK;
}

int yr_dmtx_encode(const char *data, size_t len, int gs1, int size, QRcode **sym)
{
    unsigned char in[DM_MAX_INPUT + 1];
    size_t n = 0;
    *sym = NULL;
    if (len == 0 || len > DM_MAX_INPUT || size < 0 || size > YIMA_DM_SQUARE_SIZES)
        return YIMA_E_DATA;
    /* FNC1 in first position: libdmtx writes codeword 232 for every byte
     * equal to its FNC1 character, so a leading GS becomes the first FNC1
     * and each GS inside a separator FNC1. */
    if (gs1)
        in[n++] = YIMA_GS1_GS;
    memcpy(in + n, data, len);
    n += len;
    DmtxEncode *enc = dmtxEncodeCreate();
    if (!enc)
        return YIMA_E_NOMEM;
    dmtxEncodeSetProp(enc, DmtxPropPixelPacking, DmtxPack8bppK);
    dmtxEncodeSetProp(enc, DmtxPropModuleSize, 1);
    dmtxEncodeSetProp(enc, DmtxPropMarginSize, 0);
    dmtxEncodeSetProp(enc, DmtxPropSizeRequest, size ? size - 1 : DmtxSymbolSquareAuto);
    if (gs1)
        dmtxEncodeSetProp(enc, DmtxPropFnc1, YIMA_GS1_GS);
    /* libdmtx fails alike for "does not fit" and for memory: call it data. */
    int rc = dmtxEncodeDataMatrix(enc, (int)n, in) == DmtxPass ? to_symbol(enc, sym)
                                                               : YIMA_E_DATA;
    dmtxEncodeDestroy(&enc);
    return rc;
}
