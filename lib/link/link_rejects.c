/* SPDX-License-Identifier: MIT */
/* The rejects file: a log of refused events that every run appends to. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "link_internal.h"

struct lk_rejects {
    int fd;
    int own;      /* 0 for standard output, which is not ours to close */
    char *path;   /* to lead messages */
    yima_buf line;
};

int lk_rejects_open(lk_rejects **out, const char *path, int fresh, yima_err *err)
{
    int to_stdout = strcmp(path, "-") == 0;
    lk_rejects *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(to_stdout ? "(stdout)" : path))) {
        free(r);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    /* O_APPEND: each line lands whole at the end, even with another
     * station appending to the same log. */
    r->fd = to_stdout ? STDOUT_FILENO
                      : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
                                       (fresh ? O_TRUNC : 0), 0644);
    r->own = !to_stdout;
    if (r->fd < 0) {
        int rc = yima_err_set(err, YIMA_E_IO, "%s: cannot open: %s", path, strerror(errno));
        free(r->path);
        free(r);
        return rc;
    }
    *out = r;
    return YIMA_OK;
}

static int write_all(lk_rejects *r, yima_err *err)
{
    const unsigned char *p = r->line.data;
    size_t left = r->line.len;
    while (left > 0) {
        ssize_t n = write(r->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return yima_err_set(err, errno == EPIPE ? YIMA_E_PIPE : YIMA_E_IO,
                                "%s: write error: %s", r->path, strerror(errno));
        p += n;
        left -= (size_t)n;
    }
    return YIMA_OK;
}

int lk_rejects_write(lk_rejects *r, const char *source, uint64_t lineno, const char *reason,
                     const char *raw, size_t raw_len, yima_err *err)
{
    char head[300];
    int n = snprintf(head, sizeof head, "%s:%llu\t", source, (unsigned long long)lineno);
    r->line.len = 0;
    /* One write a line: a station's log is current as each event is refused. */
    if (yima_buf_append(&r->line, head, (size_t)n) ||
        yima_buf_append(&r->line, reason, strlen(reason)) || yima_buf_append(&r->line, "\t", 1) ||
        yima_buf_append(&r->line, raw, raw_len) || yima_buf_append(&r->line, "\n", 1))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return write_all(r, err);
}

int lk_rejects_close(lk_rejects *r, yima_err *err)
{
    struct stat st;
    int rc = YIMA_OK;
    if (!r)
        return YIMA_OK;
    /* A log that survives a power loss like the store's commits. */
    if (r->own && fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && fdatasync(r->fd) != 0)
        rc = yima_err_set(err, YIMA_E_IO, "%s: sync failed: %s", r->path, strerror(errno));
    if (r->own && close(r->fd) != 0 && !rc)
        rc = yima_err_set(err, YIMA_E_IO, "%s: close failed: %s", r->path, strerror(errno));
    yima_buf_free(&r->line);
    free(r->path);
    free(r);
    return rc;
}
