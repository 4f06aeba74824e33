/* SPDX-License-Identifier: MIT */
/*
 * yima error numbers. The numbers are pinned: users search for them, so an
 * existing value never changes meaning. New errors take new numbers.
 */
#ifndef YIMA_ERRORS_H
#define YIMA_ERRORS_H

#include <stdarg.h>
#include "yima/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    YIMA_OK = 0,
    YIMA_E_USAGE = 100,     /* an option or argument is out of range */
    YIMA_E_IO = 200,        /* reading or writing a file failed */
    YIMA_E_PIPE = 201,      /* the reader of our output went away (| head) */
    YIMA_E_EXISTS = 202,    /* refusing to overwrite without --force */
    YIMA_E_DATA = 300,      /* malformed input data */
    YIMA_E_KEY = 400,       /* key file unreadable or malformed */
    YIMA_E_KEY_PERM = 401,  /* secret key readable by group or others */
    YIMA_E_KEY_NEED = 402,  /* operation needs the secret key */
    YIMA_E_KEY_SCOPE = 403, /* a scoped key used outside its batches */
    YIMA_E_CAPACITY = 500,  /* batch or index beyond the format's capacity */
    YIMA_E_LEDGER = 501,    /* range already issued */
    YIMA_E_MANIFEST = 600,  /* manifest signature or content mismatch */
    YIMA_E_STORE = 700,     /* link store error */
    YIMA_E_NOMEM = 900,
    YIMA_E_INTERNAL = 999
} yima_errno;

/*
 * A caller-owned error slot. Library functions that can fail take one as
 * their last argument, set it on failure and return the (nonzero) code.
 * The message is one line, already naming the file and line where known.
 */
typedef struct yima_err {
    int code;
    char msg[512];
} yima_err;

/* Sets err (if not NULL) and returns code. */
YIMA_API int yima_err_set(yima_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stable short description of an error number; never NULL. */
YIMA_API const char *yima_strerror(int code);

/* Process exit status documented for an error: 2 usage, 3 I/O or data. */
YIMA_API int yima_exit_status(int code);

#ifdef __cplusplus
}
#endif
#endif
