/* SPDX-License-Identifier: MIT */
/* GS1 element strings in symbols: which payloads are, and their RAW and HRI forms. */
#include <stdio.h>
#include <strings.h>
#include "render_internal.h"

/* A Digital Link URI is plain data (a URL a phone opens); every other GS1
 * form is an element string for FNC1 encoding. */
int yr_is_gs1(const char *payload, size_t len)
{
    if (!yima_gs1_looks_like(payload, len))
        return 0;
    int uri = (len >= 7 && !strncasecmp(payload, "http://", 7)) ||
              (len >= 8 && !strncasecmp(payload, "https://", 8));
    return !uri;
}

int yr_payload_prepare(const char *payload, size_t len, yr_payload *p, const char *src,
                       uint64_t lineno, yima_err *err)
{
    yima_gs1 g;
    yima_err e = {0};
    p->data = payload;
    p->len = len;
    p->gs1 = 0;
    p->hri_len = 0;
    if (!yr_is_gs1(payload, len))
        return YIMA_OK;
    if (yima_gs1_parse(payload, len, &g, &e))
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: %s", src, (unsigned long long)lineno,
                            e.msg);
    size_t n = yima_gs1_format(&g, YIMA_GS1_RAW, p->raw, sizeof p->raw);
    p->hri_len = yima_gs1_format(&g, YIMA_GS1_HRI, p->hri, sizeof p->hri);
    if (!n || !p->hri_len)
        return yima_err_set(err, YIMA_E_DATA, "%s:%llu: GS1 element string too long", src,
                            (unsigned long long)lineno);
    p->data = p->raw;
    p->len = n;
    p->gs1 = 1;
    return YIMA_OK;
}

int yr_check_symbol(const yima_render_options *opt, const yr_payload *p, const char *src,
                    uint64_t lineno, yima_err *err)
{
    if (!p->gs1 || opt->symbol == YIMA_SYM_DATAMATRIX)
        return YIMA_OK;
    /* Micro QR has no FNC1 mode at all (ISO/IEC 18004 leaves it out). */
    if (opt->symbol == YIMA_SYM_MICROQR)
        return yima_err_set(err, YIMA_E_DATA,
                            "%s:%llu: a GS1 element string needs FNC1 in first position, which "
                            "Micro QR does not have; render it as DataMatrix",
                            src, (unsigned long long)lineno);
    /* libqrencode 4.1.1 has the call (QRinput_setFNC1First) but refuses the
     * indicator when it encodes (upstream pull request 145, open since 2019). */
    return yima_err_set(err, YIMA_E_DATA,
                        "%s:%llu: a GS1 element string needs FNC1 in first position, which "
                        "libqrencode cannot write in a QR symbol; render it as DataMatrix, or "
                        "encode a GS1 Digital Link URI in QR", src, (unsigned long long)lineno);
}
