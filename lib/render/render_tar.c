/* SPDX-License-Identifier: MIT */
/*
 * POSIX ustar members. Owner, group and mtime are 0 so the stream is
 * byte-identical from run to run; members are complete, so any prefix of
 * members plus the end marker is a valid archive.
 */
#include <stdio.h>
#include <string.h>
#include "render_internal.h"

#define TAR_BLOCK 512

static void octal(char *field, size_t width, uint64_t value)
{
    /* width - 1 digits and a NUL, as ustar wants. */
    snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)value);
}

int yr_tar_member(const char *name, const void *data, size_t len, yima_buf *out, yima_err *err)
{
    size_t nlen = strlen(name);
    if (nlen > 100)
        return yima_err_set(err, YIMA_E_DATA, "tar member name '%s' longer than 100 bytes", name);
    size_t pad = (TAR_BLOCK - len % TAR_BLOCK) % TAR_BLOCK;
    if (yima_buf_reserve(out, TAR_BLOCK + len + pad))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a tar member");
    char *h = (char *)out->data + out->len;
    memset(h, 0, TAR_BLOCK);
    memcpy(h, name, nlen);
    octal(h + 100, 8, 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, len);
    octal(h + 136, 12, 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8); /* the checksum counts its own field as spaces */
    unsigned sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    out->len += TAR_BLOCK;
    memcpy(out->data + out->len, data, len);
    memset(out->data + out->len + len, 0, pad);
    out->len += len + pad;
    return YIMA_OK;
}

int yr_tar_end(yima_buf *out, yima_err *err)
{
    if (yima_buf_reserve(out, 2 * TAR_BLOCK))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    memset(out->data + out->len, 0, 2 * TAR_BLOCK);
    out->len += 2 * TAR_BLOCK;
    return YIMA_OK;
}
