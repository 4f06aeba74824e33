/* SPDX-License-Identifier: MIT */
/*
 * QR and Micro QR symbols through libqrencode: the payload goes as one
 * segment in its narrowest mode, at an exact version. Capacities are asked
 * of libqrencode by encoding, so no table here can drift from it.
 */
#include <errno.h>
#include <math.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include "render_symbol.h"

#define QR_MAX_INPUT 7089 /* the most digits a 40-L symbol holds */

static const char qr_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The single mode the payload is written in: numeric, alphanumeric or 8-bit. */
static QRencodeMode payload_mode(const char *p, size_t len)
{
    int digits = 1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            digits = 0;
        if (!p[i] || !strchr(qr_alnum, p[i]))
            return QR_MODE_8;
    }
    return digits ? QR_MODE_NUM : QR_MODE_AN;
}

static int failed(void)
{
    return errno == ENOMEM ? YIMA_E_NOMEM : YIMA_E_DATA;
}

/* libqrencode's symbol of data at exactly version (QR: 0 = the smallest;
 * Micro QR: 1..4, which libqrencode never chooses itself). */
static int qr_code(const char *data, size_t len, int micro, int version, yima_ecc ecc,
                   QRcode **qr)
{
    *qr = NULL;
    if (len == 0 || len > QR_MAX_INPUT)
        return YIMA_E_DATA;
    errno = 0;
    QRinput *in = micro ? QRinput_newMQR(version, (QRecLevel)ecc)
                        : QRinput_new2(version, (QRecLevel)ecc);
    if (!in)
        return failed(); /* EINVAL: no such level at this Micro QR version */
    int rc = QRinput_append(in, payload_mode(data, len), (int)len, (const unsigned char *)data)
                 ? failed() : YIMA_OK;
    QRcode *code = rc ? NULL : QRcode_encodeInput(in);
    if (!rc && !code)
        rc = failed(); /* ERANGE: does not fit, or the mode is not in M1/M2 */
    QRinput_free(in);
    /* libqrencode quietly grows a QR version that is too small: refuse that. */
    if (code && version && code->version != version) {
        QRcode_free(code);
        return YIMA_E_DATA;
    }
    *qr = code;
    return rc;
}

/* The first Micro QR version from `from` on that holds data at ecc. */
static int mqr_code(const char *data, size_t len, int from, yima_ecc ecc, QRcode **qr)
{
    int rc = YIMA_E_DATA;
    for (int v = from; v <= YR_MQR_VERSION_MAX && rc == YIMA_E_DATA; v++)
        rc = qr_code(data, len, 1, v, ecc, qr);
    return rc;
}

static int any_code(const yr_payload *p, int micro, int version, yima_ecc ecc, QRcode **qr)
{
    *qr = NULL;
    /* GS1 needs FNC1 in first position, which libqrencode cannot write and
     * Micro QR does not have (yr_check_symbol refuses it before). */
    if (p->gs1)
        return YIMA_E_DATA;
    if (micro && !version)
        return mqr_code(p->data, p->len, 1, ecc, qr);
    return qr_code(p->data, p->len, micro, version, ecc, qr);
}

int yr_qr_encode(const yr_payload *p, int micro, int version, yima_ecc ecc, yr_symbol *sym)
{
    QRcode *qr;
    int rc = any_code(p, micro, version, ecc, &qr);
    if (rc)
        return rc;
    rc = yr_symbol_reset(sym, qr->width, qr->width);
    if (!rc) {
        size_t n = (size_t)qr->width * (size_t)qr->width;
        for (size_t i = 0; i < n; i++)
            sym->mod[i] = qr->data[i] & 1;
        sym->size = qr->version;
    }
    QRcode_free(qr);
    return rc;
}

int yr_qr_fit(const yr_payload *p, int micro, int version, yima_ecc ecc)
{
    QRcode *qr;
    if (any_code(p, micro, version, ecc, &qr))
        return 0;
    int v = qr->version;
    QRcode_free(qr);
    return v;
}

/* Whether the first n bytes of buf fit exactly version at ecc. */
static int holds(char *buf, int n, int micro, int version, yima_ecc ecc)
{
    QRcode *qr;
    if (qr_code(buf, (size_t)n, micro, version, ecc, &qr))
        return 0;
    QRcode_free(qr);
    return 1;
}

int yr_qr_capacity(int micro, int version, yima_ecc ecc, yr_class c)
{
    static const char fill[] = {'0', 'A', 'a'};
    int lo = 0, hi = micro ? 36 : QR_MAX_INPUT + 1; /* lo holds, hi does not */
    char *buf = malloc((size_t)hi);
    if (!buf)
        return 0;
    memset(buf, fill[c], (size_t)hi);
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (holds(buf, mid, micro, version, ecc))
            lo = mid;
        else
            hi = mid;
    }
    free(buf);
    return lo;
}

int yima_render_fit_version(const char *payload, size_t len, yima_ecc ecc)
{
    yr_payload p = {.data = payload, .len = len};
    return yr_qr_fit(&p, 0, 0, ecc);
}

int yima_render_module_dots(double module_mm, int dpi, int *dots, double *real_mm)
{
    double exact = module_mm * dpi / 25.4;
    int d = (int)lround(exact);
    if (d < 1)
        d = 1;
    *dots = d;
    *real_mm = d * 25.4 / dpi;
    return fabs(*real_mm - module_mm) > module_mm * 0.001;
}
