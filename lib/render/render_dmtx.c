/* SPDX-License-Identifier: MIT */
/*
 * DataMatrix ECC 200 symbols through libdmtx, square (10x10 .. 144x144,
 * size numbers 1..24) and rectangular (8x18 .. 16x48, 25..30): the size
 * number is libdmtx's symbol index + 1. libdmtx chooses the codewords,
 * computes Reed-Solomon and places the codeword bits in its mapping matrix
 * (message->array); the finder and alignment patterns around the data
 * regions are fixed, and are laid here while copying that matrix into a
 * yr_symbol.
 *
 * libdmtx would also paint a pixel image of the symbol, module by module
 * through a transform matrix, which cost more than the encoding itself. It
 * paints only for a pixel packing it knows, and places the modules before
 * it checks the packing, so the encoder is given DmtxPackCustom: the call
 * then "fails" after placement, and a message present means it encoded.
 */
#include <dmtx.h>
#include <stdlib.h>
#include <string.h>
#include "render_symbol.h"

#define DM_MAX_INPUT 3116 /* the most digits a 144x144 symbol holds */

struct yr_dmtx {
    DmtxEncode *enc;
};

int yr_dmtx_cols(int size)
{
    return dmtxGetSymbolAttribute(DmtxSymAttribSymbolCols, size - 1);
}

int yr_dmtx_rows(int size)
{
    return dmtxGetSymbolAttribute(DmtxSymAttribSymbolRows, size - 1);
}

int yr_dmtx_words(int size)
{
    return dmtxGetSymbolAttribute(DmtxSymAttribSymbolDataWords, size - 1);
}

int yr_dmtx_first(yima_dm_shape shape)
{
    return shape == YIMA_DM_RECT ? YR_DM_RECT_FIRST : 1;
}

int yr_dmtx_last(yima_dm_shape shape)
{
    return shape == YIMA_DM_RECT ? YR_DM_SIZES : YIMA_DM_SQUARE_SIZES;
}

int yr_dmtx_fit(const yr_payload *p, yima_dm_shape shape)
{
    /* Worst case in ASCII encodation: no digit pairs, 2 codewords above 127. */
    size_t need = (size_t)(p->gs1 != 0);
    for (size_t i = 0; i < p->len; i++)
        need += (unsigned char)p->data[i] > 127 ? 2 : 1;
    /* Data codewords grow with the size number within each shape. */
    for (int size = yr_dmtx_first(shape); size <= yr_dmtx_last(shape); size++)
        if ((size_t)yr_dmtx_words(size) >= need)
            return size;
    return 0;
}

yr_dmtx *yr_dmtx_create(void)
{
    yr_dmtx *d = malloc(sizeof *d);
    if (!d || !(d->enc = dmtxEncodeCreate())) {
        free(d);
        return NULL;
    }
    dmtxEncodeSetProp(d->enc, DmtxPropModuleSize, 1);
    dmtxEncodeSetProp(d->enc, DmtxPropMarginSize, 0);
    dmtxEncodeSetProp(d->enc, DmtxPropPixelPacking, DmtxPackCustom);
    return d;
}

/* dmtxEncodeDataMatrix does not free what a previous call left. */
static void drop_last(DmtxEncode *enc)
{
    if (enc->message)
        dmtxMessageDestroy(&enc->message);
    if (enc->image) { /* a libdmtx that painted after all */
        free(enc->image->pxl);
        dmtxImageDestroy(&enc->image);
    }
}

void yr_dmtx_free(yr_dmtx *d)
{
    if (!d)
        return;
    drop_last(d->enc);
    dmtxEncodeDestroy(&d->enc);
    free(d);
}

/* One module row, top row first, of a symbol whose data regions are
 * dr x dc modules inside their patterns (ISO/IEC 16022 5.3): each region's
 * bottom row and left column are solid, its top row and right column
 * alternate, starting dark at the top-left and bottom-right corners. The
 * same for both shapes: a rectangle has its regions side by side. */
static void symbol_row(const DmtxMessage *msg, int y, int cols, int dr, int dc, int mcols,
                       unsigned char *out)
{
    int ry = y % (dr + 2);
    if (ry == dr + 1) {
        memset(out, 1, (size_t)cols);
        return;
    }
    if (ry == 0) {
        for (int x = 0; x < cols; x++)
            out[x] = x % (dc + 2) == 0 || !(x & 1);
        return;
    }
    const unsigned char *m = msg->array + (size_t)(y - 1 - 2 * (y / (dr + 2))) * (size_t)mcols;
    for (int x = 0; x < cols; x++) {
        int rx = x % (dc + 2);
        if (rx == 0)
            out[x] = 1;
        else if (rx == dc + 1)
            out[x] = y & 1;
        else
            out[x] = (m[x - 1 - 2 * (x / (dc + 2))] & DmtxModuleOnRed) != 0;
    }
}

/* Lays the patterns and the placed codewords of enc's last symbol into sym. */
static int copy_symbol(const DmtxEncode *enc, yr_symbol *sym)
{
    int idx = enc->region.sizeIdx, rows = enc->region.symbolRows, cols = enc->region.symbolCols;
    int dr = dmtxGetSymbolAttribute(DmtxSymAttribDataRegionRows, idx);
    int dc = dmtxGetSymbolAttribute(DmtxSymAttribDataRegionCols, idx);
    int rc = yr_symbol_reset(sym, cols, rows);
    if (rc)
        return rc;
    for (int y = 0; y < rows; y++)
        symbol_row(enc->message, y, cols, dr, dc, enc->region.mappingCols,
                   sym->mod + (size_t)y * (size_t)cols);
    sym->size = idx + 1;
    return YIMA_OK;
}

int yr_dmtx_encode(yr_dmtx *d, const yr_payload *p, yima_dm_shape shape, int size,
                   yr_symbol *sym)
{
    unsigned char in[DM_MAX_INPUT + 1];
    size_t n = 0;
    if (p->len == 0 || p->len > DM_MAX_INPUT || size < 0 || size > YR_DM_SIZES)
        return YIMA_E_DATA;
    /* FNC1 in first position: libdmtx writes codeword 232 for every byte
     * equal to its FNC1 character, so a leading GS becomes the first FNC1
     * and each GS inside a separator FNC1. */
    if (p->gs1)
        in[n++] = YIMA_GS1_GS;
    memcpy(in + n, p->data, p->len);
    n += p->len;
    DmtxEncode *enc = d->enc;
    drop_last(enc);
    int request = size ? size - 1
                  : shape == YIMA_DM_RECT ? DmtxSymbolRectAuto : DmtxSymbolSquareAuto;
    dmtxEncodeSetProp(enc, DmtxPropSizeRequest, request);
    dmtxEncodeSetProp(enc, DmtxPropFnc1, p->gs1 ? YIMA_GS1_GS : DmtxUndefined);
    /* The result only says whether it painted (see the top); libdmtx fails
     * alike for "does not fit" and for memory: call it data. */
    dmtxEncodeDataMatrix(enc, (int)n, in);
    if (!enc->message)
        return YIMA_E_DATA;
    return copy_symbol(enc, sym);
}
