/* SPDX-License-Identifier: MIT */
/*
 * Between the symbol files (library-private): render_symbol.c dispatches
 * on the symbology to the encoders of render_qr.c (QR, Micro QR through
 * libqrencode) and render_dmtx.c (DataMatrix ECC 200 through libdmtx).
 * Everything else in lib/render/ uses render_internal.h's yr_encode and
 * friends only.
 */
#ifndef YIMA_RENDER_SYMBOL_H
#define YIMA_RENDER_SYMBOL_H

#include "render_internal.h"

/* ---- render_qr.c --------------------------------------------------------- */

#define YR_MQR_VERSION_MAX 4 /* M4 */

/* Payload classes of a capacity: one QR mode each. */
typedef enum { YR_CLASS_DIGITS = 0, YR_CLASS_ALNUM = 1, YR_CLASS_BYTES = 2 } yr_class;

/* Encodes p into sym as QR (micro 0) or Micro QR (micro 1) at exactly
 * version, or at the smallest that holds p when version is 0. YIMA_E_DATA
 * when it does not fit, the level is impossible at that version (Micro QR:
 * M1 is L only, Q is M4 only, never H) or p is a GS1 element string;
 * YIMA_E_NOMEM. */
int yr_qr_encode(const yr_payload *p, int micro, int version, yima_ecc ecc, yr_symbol *sym);
/* The version yr_qr_encode would use for p (version 0: the smallest that
 * holds it), or 0 when none does. */
int yr_qr_fit(const yr_payload *p, int micro, int version, yima_ecc ecc);
/* The most characters of class c that one segment holds at version and
 * ecc, found by asking libqrencode; 0 when the level is impossible there. */
int yr_qr_capacity(int micro, int version, yima_ecc ecc, yr_class c);

/* ---- render_dmtx.c -------------------------------------------------------- */

#define YR_DM_SIZES 30      /* 24 square, then 6 rectangular */
#define YR_DM_RECT_FIRST 25 /* size number of 8x18 */

/* A libdmtx encoder kept between symbols (one per worker thread). */
typedef struct yr_dmtx yr_dmtx;
yr_dmtx *yr_dmtx_create(void);
void yr_dmtx_free(yr_dmtx *d);
/* Encodes p into sym at size number size (1..30), or the smallest of shape
 * that holds it when size is 0. YIMA_E_DATA when it does not fit. */
int yr_dmtx_encode(yr_dmtx *d, const yr_payload *p, yima_dm_shape shape, int size,
                   yr_symbol *sym);
/* The smallest size of shape that holds ANY payload of p's length and byte
 * classes (a codeword a byte, two above 127, one for GS1's FNC1), or 0. */
int yr_dmtx_fit(const yr_payload *p, yima_dm_shape shape);
/* First and last size numbers of shape. */
int yr_dmtx_first(yima_dm_shape shape);
int yr_dmtx_last(yima_dm_shape shape);
/* Data codewords of size number size. */
int yr_dmtx_words(int size);

#endif
