/* SPDX-License-Identifier: MIT */
/*
 * DataMatrix ECC 200 symbols through libdmtx, square sizes only. libdmtx
 * chooses the codewords, computes Reed-Solomon and places the codeword bits
 * in its mapping matrix (message->array); the finder and alignment patterns
 * around the data regions are fixed, and are laid here while copying that
 * matrix into a QRcode struct for the drawers (render_internal.h).
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
#include "render_internal.h"

#define DM_MAX_INPUT 3116 /* the most digits a 144x144 symbol holds */

struct yr_dmtx {
    DmtxEncode *enc;
};

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
 * alternate, starting dark at the top-left and bottom-right corners. */
static void symbol_row(const DmtxMessage *msg, int y, int width, int dr, int dc, int mcols,
                       unsigned char *out)
{
    int ry = y % (dr + 2);
    if (ry == dr + 1) {
        memset(out, 1, (size_t)width);
        return;
    }
    if (ry == 0) {
        for (int x = 0; x < width; x++)
            out[x] = x % (dc + 2) == 0 || !(x & 1);
        return;
    }
    const unsigned char *m = msg->array + (size_t)(y - 1 - 2 * (y / (dr + 2))) * (size_t)mcols;
    for (int x = 0; x < width; x++) {
        int rx = x % (dc + 2);
        if (rx == 0)
            out[x] = 1;
        else if (rx == dc + 1)
            out[x] = y & 1;
        else
            out[x] = (m[x - 1 - 2 * (x / (dc + 2))] & DmtxModuleOnRed) != 0;
    }
}

int yr_dmtx_encode_into(yr_dmtx *d, const char *data, size_t len, int gs1, int size, QRcode *sym)
{
    unsigned char in[DM_MAX_INPUT + 1];
    size_t n = 0;
    if (len == 0 || len > DM_MAX_INPUT || size < 0 || size > YIMA_DM_SQUARE_SIZES)
        return YIMA_E_DATA;
    /* FNC1 in first position: libdmtx writes codeword 232 for every byte
     * equal to its FNC1 character, so a leading GS becomes the first FNC1
     * and each GS inside a separator FNC1. */
    if (gs1)
        in[n++] = YIMA_GS1_GS;
    memcpy(in + n, data, len);
    n += len;
    DmtxEncode *enc = d->enc;
    drop_last(enc);
    dmtxEncodeSetProp(enc, DmtxPropSizeRequest, size ? size - 1 : DmtxSymbolSquareAuto);
    dmtxEncodeSetProp(enc, DmtxPropFnc1, gs1 ? YIMA_GS1_GS : DmtxUndefined);
    /* The result only says whether it painted (see the top); libdmtx fails
     * alike for "does not fit" and for memory: call it data. */
    dmtxEncodeDataMatrix(enc, (int)n, in);
    if (!enc->message)
        return YIMA_E_DATA;
    int idx = enc->region.sizeIdx, width = enc->region.symbolRows;
    if (width != enc->region.symbolCols)
        return YIMA_E_DATA;
    int dr = dmtxGetSymbolAttribute(DmtxSymAttribDataRegionRows, idx);
    int dc = dmtxGetSymbolAttribute(DmtxSymAttribDataRegionCols, idx);
    for (int y = 0; y < width; y++)
        symbol_row(enc->message, y, width, dr, dc, enc->region.mappingCols,
                   sym->data + (size_t)y * (size_t)width);
    sym->version = idx + 1;
    sym->width = width;
    return YIMA_OK;
}

int yr_dmtx_encode(const char *data, size_t len, int gs1, int size, QRcode **sym)
{
    yr_dmtx *d = yr_dmtx_create();
    QRcode *s = malloc(sizeof *s);
    unsigned char *m = malloc(YR_DMTX_MAX_MODULES);
    int rc = d && s && m ? YIMA_OK : YIMA_E_NOMEM;
    *sym = NULL;
    if (!rc) {
        s->data = m;
        rc = yr_dmtx_encode_into(d, data, len, gs1, size, s);
    }
    yr_dmtx_free(d);
    if (rc) {
        free(s);
        free(m);
        return rc;
    }
    *sym = s;
    return YIMA_OK;
}
