/* SPDX-License-Identifier: MIT */
/*
 * Output files and input lines.
 *
 * yima_out writes to a temporary file beside the target and renames it into
 * place only on commit, so a killed run never leaves a file that looks
 * complete. "-" (or NULL) is standard output. Every byte written is also
 * hashed (BLAKE2b-256) for manifests.
 */
#ifndef YIMA_IO_H
#define YIMA_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "yima/errors.h"
#include "pipeline.h"


typedef struct yima_out yima_out;

#define YIMA_HASH_BYTES 32

/* Opens path for writing via a temp file (mode 0644, narrowed by a stricter
 * umask; exactly 0600 if secret).
 * Refuses to replace an existing file unless force. */
int yima_out_open(yima_out **out, const char *path, int force, int secret,
                           yima_err *err);
/* Writes all of data. EPIPE gives YIMA_E_PIPE, other failures YIMA_E_IO
 * naming the file. */
int yima_out_write(yima_out *out, const void *data, size_t len, yima_err *err);
/* Flushes, fsyncs and renames into place; hash (may be NULL) receives the
 * BLAKE2b-256 of all bytes written. Frees out. */
int yima_out_commit(yima_out *out, unsigned char hash[YIMA_HASH_BYTES],
                             yima_err *err);
/* Skips the fsync of this file and its directory at commit: for runs that
 * write many files and make them durable once, with yima_sync_dir. */
void yima_out_set_sync(yima_out *out, int sync);
/* Flushes the file system holding dir to disk (one syncfs for many files). */
int yima_sync_dir(const char *dir, yima_err *err);

/* Discards the temp file and frees out; NULL is accepted. */
void yima_out_abort(yima_out *out);
int yima_out_is_stdout(const yima_out *out);
uint64_t yima_out_bytes(const yima_out *out);
const char *yima_out_path(const yima_out *out);

/* Appends one complete gzip member holding data to out (independent
 * members concatenate to valid gzip). level 1..9. */
int yima_gzip_member(const void *data, size_t len, int level, yima_buf *out,
                              yima_err *err);

/*
 * A line source reads files or standard input (gzip transparently) in
 * blocks of whole lines, for the pipeline's read stage.
 */
typedef struct yima_lines yima_lines;

/* path "-" or NULL is standard input. */
int yima_lines_open(yima_lines **lines, const char *path, yima_err *err);
/* Appends up to about max_bytes of whole lines to buf (the last line may
 * lack its newline at end of input). Sets *first_line to the 1-based
 * number of the first line and *nlines. Returns 1 if lines were read, 0 at
 * end, or an error. A line longer than YIMA_LINE_MAX is a data error. */
int yima_lines_read(yima_lines *lines, yima_buf *buf, size_t max_bytes,
                             uint64_t *first_line, uint64_t *nlines, yima_err *err);
const char *yima_lines_name(const yima_lines *lines);
void yima_lines_close(yima_lines *lines);

#define YIMA_LINE_MAX (64 * 1024)

/* Hashes a whole file (BLAKE2b-256). */
int yima_hash_file(const char *path, unsigned char hash[YIMA_HASH_BYTES],
                            uint64_t *bytes, yima_err *err);

#endif
