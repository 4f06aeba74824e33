/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include "yima/errors.h"
#include "yima/version.h"

#define YIMA_STR2(x) #x
#define YIMA_STR(x) YIMA_STR2(x)

const char *yima_version_string(void)
{
    return YIMA_STR(YIMA_VERSION_MAJOR) "." YIMA_STR(YIMA_VERSION_MINOR) "." YIMA_STR(
        YIMA_VERSION_PATCH);
}

int yima_err_set(yima_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *yima_strerror(int code)
{
    switch (code) {
    case YIMA_OK: return "no error";
    case YIMA_E_USAGE: return "invalid argument";
    case YIMA_E_IO: return "input/output error";
    case YIMA_E_PIPE: return "output closed by reader";
    case YIMA_E_EXISTS: return "file exists";
    case YIMA_E_DATA: return "malformed input";
    case YIMA_E_KEY: return "bad key file";
    case YIMA_E_KEY_PERM: return "secret key readable by others";
    case YIMA_E_KEY_NEED: return "secret key required";
    case YIMA_E_KEY_SCOPE: return "batch outside the key's scope";
    case YIMA_E_CAPACITY: return "beyond format capacity";
    case YIMA_E_LEDGER: return "range already issued";
    case YIMA_E_MANIFEST: return "manifest mismatch";
    case YIMA_E_STORE: return "link store error";
    case YIMA_E_NOMEM: return "out of memory";
    default: return "internal error";
    }
}

int yima_exit_status(int code)
{
    if (code == YIMA_OK || code == YIMA_E_PIPE)
        return 0;
    return code == YIMA_E_USAGE || code == YIMA_E_CAPACITY ? 2 : 3;
}
