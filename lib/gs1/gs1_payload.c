/* SPDX-License-Identifier: MIT */
/* Telling a GS1 payload from a payload around a compact code. */
#include <string.h>
#include <strings.h>
#include "yima/gs1.h"

static int is_url(const char *s, size_t n)
{
    return (n > 7 && strncasecmp(s, "http://", 7) == 0) ||
           (n > 8 && strncasecmp(s, "https://", 8) == 0);
}

/* A URL whose path names a GTIN or an SSCC key: a Digital Link, perhaps a
 * faulty one, whose fault verification should report, not a brand URL. */
static int path_has_gs1_key(const char *s, size_t n)
{
    const char *host = (const char *)memmem(s, n, "://", 3) + 3;
    const char *path = memchr(host, '/', n - (size_t)(host - s));
    size_t rest = path ? n - (size_t)(path - s) : 0;
    return path && (memmem(path, rest, "/01/", 4) || memmem(path, rest, "/00/", 4));
}

int yima_gs1_is_payload(const char *text, size_t len)
{
    yima_gs1 g;
    yima_err err;
    if (is_url(text, len))
        return yima_gs1_dl_parse(text, len, &g, &err) == YIMA_OK || path_has_gs1_key(text, len);
    if (yima_gs1_looks_like(text, len))
        return 1;
    /* Unbracketed element strings need no GS where every AI but the last
     * has a predefined length: "00" SSCC "92" header. */
    return yima_gs1_parse(text, len, &g, &err) == YIMA_OK;
}
