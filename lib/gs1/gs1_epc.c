/* SPDX-License-Identifier: MIT */
/*
 * EPC pure identity URIs under GS1's EPC Tag Data Standard (TDS): SGTIN and
 * SSCC from an element string, and the SGLN check for EPCIS locations.
 * The company prefix length is not in the key itself: the caller knows it
 * (the GS1 company prefix is 6 to 12 digits in EPC URIs).
 */
#include <string.h>
#include "gs1/gs1_internal.h"

#define EPC_GCP_MIN 6
#define EPC_GCP_MAX 12
#define EPC_SGLN_DIGITS 12  /* a GLN without its check digit */
#define EPC_SGLN_EXT_MAX 20 /* AI (254), the extension, is X..20 */

/* GS1 AI encodable character set 82 (the X in the dictionary's specs). */
static int epc_cset82(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

/* The characters of set 82 that TDS (table A-1) writes %-escaped in URIs. */
static int epc_must_escape(unsigned char c)
{
    return c != '\0' && strchr("\"%&/<>?", c) != NULL;
}

static int epc_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}


static int epc_put_serial(yima_gs1_text *b, const char *serial, yima_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const char *s = serial; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!epc_cset82(c))
            return yima_err_set(err, YIMA_E_DATA,
                                "EPC URI: serial has byte 0x%02x, outside GS1's character set 82",
                                c);
        if (epc_must_escape(c)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            yima_gs1_text_put(b, e, 3);
        } else {
            yima_gs1_text_put(b, (const char *)&c, 1);
        }
    }
    return YIMA_OK;
}

/* The value of ai if it is n digits, the last a valid check digit. */
static int epc_key(const yima_gs1 *g, const char *ai, size_t n, const char **key, yima_err *err)
{
    const char *v = yima_gs1_get(g, ai);
    if (!v || strnlen(v, n + 1) != n || !epc_digits(v, n) ||
        yima_gs1_check_digit(v, n - 1) != v[n - 1] - '0')
        return yima_err_set(err, YIMA_E_DATA,
                            "EPC URI: AI (%s) is not %zu digits with a valid check digit", ai, n);
    *key = v;
    return YIMA_OK;
}

/* urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial: the indicator
 * digit moves in front of the item reference, the check digit goes. */
static int epc_sgtin(const yima_gs1 *g, size_t gcp, yima_gs1_text *b, yima_err *err)
{
    const char *gtin = NULL, *serial = yima_gs1_get(g, "21");
    int rc = epc_key(g, "01", 14, &gtin, err);
    if (rc != YIMA_OK)
        return rc;
    if (strnlen(serial, YIMA_GS1_VALUE_MAX + 1) > 20 || serial[0] == '\0')
        return yima_err_set(err, YIMA_E_DATA,
                            "EPC URI: serial, AI (21), is not 1 to 20 characters");
    yima_gs1_text_put(b, "urn:epc:id:sgtin:", 17);
    yima_gs1_text_put(b, gtin + 1, gcp);
    yima_gs1_text_put(b, ".", 1);
    yima_gs1_text_put(b, gtin, 1);
    yima_gs1_text_put(b, gtin + 1 + gcp, 12 - gcp);
    yima_gs1_text_put(b, ".", 1);
    return epc_put_serial(b, serial, err);
}

/* urn:epc:id:sscc:CompanyPrefix.ExtensionSerialRef: the extension digit
 * moves in front of the serial reference, the check digit goes. */
static int epc_sscc(const yima_gs1 *g, size_t gcp, yima_gs1_text *b, yima_err *err)
{
    const char *sscc = NULL;
    int rc = epc_key(g, "00", 18, &sscc, err);
    if (rc != YIMA_OK)
        return rc;
    yima_gs1_text_put(b, "urn:epc:id:sscc:", 16);
    yima_gs1_text_put(b, sscc + 1, gcp);
    yima_gs1_text_put(b, ".", 1);
    yima_gs1_text_put(b, sscc, 1);
    yima_gs1_text_put(b, sscc + 1 + gcp, 16 - gcp);
    return YIMA_OK;
}

size_t yima_gs1_epc_uri(const yima_gs1 *g, int gcp_len, char *out, size_t cap, yima_err *err)
{
    int rc;
    yima_gs1_text b = {out, cap, 0};
    if (!g || !out || cap == 0) {
        yima_err_set(err, YIMA_E_USAGE, "EPC URI: no element string or no room for the URI");
        return 0;
    }
    out[0] = '\0';
    if (gcp_len < EPC_GCP_MIN || gcp_len > EPC_GCP_MAX) {
        yima_err_set(err, YIMA_E_DATA, "EPC URI: company prefix length %d is not %d to %d digits",
                     gcp_len, EPC_GCP_MIN, EPC_GCP_MAX);
        return 0;
    }
    if (yima_gs1_get(g, "01") && yima_gs1_get(g, "21"))
        rc = epc_sgtin(g, (size_t)gcp_len, &b, err);
    else if (yima_gs1_get(g, "00"))
        rc = epc_sscc(g, (size_t)gcp_len, &b, err);
    else
        rc = yima_err_set(
            err, YIMA_E_DATA,
            "EPC URI: needs a GTIN with a serial, AI (01) and (21), or an SSCC, AI (00)");
    if (rc != YIMA_OK)
        return 0;
    if (b.len >= cap) {
        out[0] = '\0';
        yima_err_set(err, YIMA_E_USAGE, "EPC URI: %zu bytes do not fit in %zu", b.len + 1, cap);
        return 0;
    }
    out[b.len] = '\0';
    return b.len;
}

/* Length of a run of digits at s. */
static size_t epc_digit_run(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

/* An SGLN extension: 1 to 20 characters of set 82, those of table A-1
 * escaped; an escape must stand for a character of set 82. */
static int epc_extension_valid(const char *s)
{
    size_t n = 0;
    for (; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (c == '%') {
            int hi = yima_gs1_hex_value(s[1]), lo = hi >= 0 ? yima_gs1_hex_value(s[2]) : -1;
            if (lo < 0 || !epc_cset82((unsigned char)(hi * 16 + lo)))
                return 0;
            s += 2;
        } else if (!epc_cset82(c) || epc_must_escape(c)) {
            return 0;
        }
    }
    return n >= 1 && n <= EPC_SGLN_EXT_MAX;
}

int yima_epc_sgln_valid(const char *uri)
{
    static const char prefix[] = "urn:epc:id:sgln:";
    if (!uri || strncmp(uri, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *p = uri + sizeof prefix - 1;
    size_t gcp = epc_digit_run(p);
    if (gcp < EPC_GCP_MIN || gcp > EPC_GCP_MAX || p[gcp] != '.')
        return 0;
    p += gcp + 1;
    size_t ref = epc_digit_run(p);
    if (gcp + ref != EPC_SGLN_DIGITS || p[ref] != '.')
        return 0;
    return epc_extension_valid(p + ref + 1);
}
