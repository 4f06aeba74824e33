/* SPDX-License-Identifier: MIT */
/*
 * Small types shared by the public headers: a growable byte buffer, the
 * progress callback, and two questions about the machine and paths.
 */
#ifndef YIMA_COMMON_H
#define YIMA_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable byte buffer. A zeroed struct is an empty buffer. */
typedef struct yima_buf {
    unsigned char *data;
    size_t len, cap;
} yima_buf;

/* Makes room for extra more bytes; YIMA_OK or YIMA_E_NOMEM. */
YIMA_API int yima_buf_reserve(yima_buf *buf, size_t extra);
YIMA_API int yima_buf_append(yima_buf *buf, const void *data, size_t len);
/* Frees the bytes and empties buf; NULL is accepted. */
YIMA_API void yima_buf_free(yima_buf *buf);

/* Progress callback: done units so far. Called from one thread at a time. */
typedef void (*yima_progress_fn)(void *ctx, uint64_t done);

/* Number of online CPUs, at least 1. */
YIMA_API int yima_cpu_count(void);

/* 1 if paths a and b name one file: the same inode (through links), or,
 * when neither exists yet, the same name in the same directory. */
YIMA_API int yima_same_file(const char *a, const char *b);

/* 1 if path names a gzip output (ends in ".gz"). */
YIMA_API int yima_path_is_gzip(const char *path);

#ifdef __cplusplus
}
#endif
#endif
