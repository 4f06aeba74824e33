/* SPDX-License-Identifier: MIT */
/*
 * GS1 identifiers: Application Identifier (AI) element strings, GS1
 * Digital Link URIs and EPC URIs. Pure syntax, no keys: what a code says
 * in GS1's terms, checked against the AI table derived from GS1's Barcode
 * Syntax Dictionary (lib/gs1/gs1_ai_table.h, Apache-2.0, see there).
 *
 * Forms of one element string (yima_gs1_format):
 *   HRI        "(01)09506000134352(10)L1(21)Y2A..."   human-readable, on labels
 *   RAW        "010950600013435210L1<GS>21Y2A..."       what a symbol encodes after
 *              FNC1 in first position: AIs of predefined length first, each
 *              variable-length value ended by GS (0x1D) unless it is last
 *   CANONICAL  RAW in Digital Link order (primary key, its qualifiers in
 *              the standard's path order, then data attributes by AI
 *              number) without the authentication AIs 8030 and 92: the
 *              content yima signs or MACs
 * A Digital Link URI carries the same data: https://host/01/{gtin}/10/{lot}
 * /21/{serial}?17=271231&8030=...
 */
#ifndef YIMA_GS1_H
#define YIMA_GS1_H

#include <stddef.h>
#include "yima/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define YIMA_GS1_GS '\x1d'        /* group separator: FNC1 inside data */
#define YIMA_GS1_MAX_ELEMENTS 16
#define YIMA_GS1_VALUE_MAX 90     /* longest AI value (8030, 91-99) */
#define YIMA_GS1_TEXT_MAX 1024    /* room for any formatted form, plus NUL */
#define YIMA_GS1_AI_SIG "8030"    /* GS1 digital signature (DigSig) */
#define YIMA_GS1_AI_MAC "92"      /* yima's MAC: a company-internal AI, yima-codes(5) */

typedef struct yima_gs1_element {
    char ai[5];                             /* 2 to 4 digits, NUL-terminated */
    char value[YIMA_GS1_VALUE_MAX + 1];     /* NUL-terminated */
} yima_gs1_element;

/* An element string: AIs in the order they were added or read. */
typedef struct yima_gs1 {
    int count;
    yima_gs1_element el[YIMA_GS1_MAX_ELEMENTS];
} yima_gs1;

typedef enum { YIMA_GS1_HRI, YIMA_GS1_RAW, YIMA_GS1_CANONICAL } yima_gs1_form;

/* GS1 mod-10 check digit (0..9) of the n digits before it; -1 if one is not a digit. */
YIMA_API int yima_gs1_check_digit(const char *digits, size_t n);

/* GTIN-8, -12, -13 or -14 (digits only) to GTIN-14, left-padded with zeros.
 * YIMA_E_DATA naming the expected check digit if it is wrong. */
YIMA_API int yima_gtin_normalize(const char *text, char gtin14[15], yima_err *err);

/* 1 if YYMMDD is a valid date for AI 17 (day 00 allowed) / AI 11 etc. */
YIMA_API int yima_gs1_date_valid(const char *yymmdd, int allow_day_zero);

YIMA_API void yima_gs1_init(yima_gs1 *g);

/* Appends one element after checking the value against the AI's syntax
 * (length, character set, check digit, date). An AI already present with
 * the same value is accepted once; with another value it is an error.
 * YIMA_E_DATA with a message such as "AI (17): 270230 is not a date". */
YIMA_API int yima_gs1_add(yima_gs1 *g, const char *ai, const char *value, size_t len,
                          yima_err *err);

/* Value of ai, or NULL. */
YIMA_API const char *yima_gs1_get(const yima_gs1 *g, const char *ai);

/* Cross-AI rules of the dictionary (req= and ex=): 21 needs 01, 8030
 * needs 00 or 01+21, ... YIMA_E_DATA naming the rule broken. */
YIMA_API int yima_gs1_check_pairs(const yima_gs1 *g, yima_err *err);

/* Reads any form a scanner, a file or a person gives: HRI with
 * parentheses; RAW with GS separators, optionally after a symbology
 * identifier (]d2, ]Q3, ]C1, ]e0, ]J1) and/or a leading GS; a Digital
 * Link URI (http or https, any host). Checks every element and the pairs.
 * YIMA_E_DATA with a precise message on any fault. */
YIMA_API int yima_gs1_parse(const char *text, size_t len, yima_gs1 *g, yima_err *err);

/* 1 if text looks like a GS1 form rather than a yima compact code: it
 * starts with '(', "]", GS, "http://" or "https://", or contains GS. Cheap. */
YIMA_API int yima_gs1_looks_like(const char *text, size_t len);

/* 1 if a whole payload is one GS1 code rather than a payload around a
 * compact code: a non-URL GS1 form, a URL that parses as Digital Link or
 * whose path names a GTIN or SSCC (/01/, /00/: a faulty Digital Link, whose
 * fault verification reports), or an unbracketed element string that parses. */
YIMA_API int yima_gs1_is_payload(const char *text, size_t len);

/* Writes form of g plus NUL into out; returns its length, or 0 if cap is too small. */
YIMA_API size_t yima_gs1_format(const yima_gs1 *g, yima_gs1_form form, char *out, size_t cap);

/* GS1 Digital Link URI: base ("https://id.example.com", optionally with a
 * path prefix, no trailing slash needed) + primary key and qualifiers in
 * path order + the other DL-permitted attributes as a query, by AI number.
 * Values are percent-encoded where the standard requires. Returns length,
 * 0 if cap is too small, g has no primary key, an element cannot be
 * written in a URI or an AI is repeated. */
YIMA_API size_t yima_gs1_dl_format(const yima_gs1 *g, const char *base, char *out, size_t cap);

/* Parses a Digital Link URI (any host, any path prefix before the primary
 * key). Refuses unknown primary keys, qualifiers out of the standard's
 * order, key qualifiers sent as query parameters, numeric query names that
 * are not AIs, query attributes that are not DL-permitted AIs, and repeated
 * AIs (non-numeric query parameters are ignored, as the standard says). */
YIMA_API int yima_gs1_dl_parse(const char *uri, size_t len, yima_gs1 *g, yima_err *err);

/* EPC pure identity URI under the EPC Tag Data Standard:
 * urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial (serial escaped)
 * or urn:epc:id:sscc:CompanyPrefix.ExtensionSerialRef, for a company
 * prefix of gcp_len digits (6 to 12). Returns length, 0 on failure with err set. */
YIMA_API size_t yima_gs1_epc_uri(const yima_gs1 *g, int gcp_len, char *out, size_t cap,
                                 yima_err *err);

/* 1 if uri is a well-formed urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension
 * (12 digits across the first two parts, the GLN without its check digit;
 * extension from CSET 82, escaped). */
YIMA_API int yima_epc_sgln_valid(const char *uri);

#ifdef __cplusplus
}
#endif
#endif
