/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "io.h"

#define LINE_STEP (16u << 10)
#define GZ_BUFFER (1u << 18)
#define GZ_BUFFER_MIN (8u << 10)

struct yima_lines {
    gzFile gz;
    char *name;
    yima_buf carry;      /* an unfinished line from the last read */
    uint64_t next_line;  /* number of the first line not yet handed out */
    int eof;
};

/* zlib's buffers cost three times this per open input: a small file (one of
 * thousands given at once) gets a small one. */
static unsigned buffer_size(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size >= (off_t)GZ_BUFFER)
        return GZ_BUFFER;
    return st.st_size < (off_t)GZ_BUFFER_MIN ? GZ_BUFFER_MIN : (unsigned)st.st_size;
}

int yima_lines_open(yima_lines **out, const char *path, yima_err *err)
{
    int stdin_input = !path || strcmp(path, "-") == 0;
    int fd = stdin_input ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot open: %s", stdin_input ? "(stdin)" : path,
                            strerror(errno));
    yima_lines *l = calloc(1, sizeof *l);
    /* gzread passes plain text through unchanged and reads concatenated members. */
    if (!l || !(l->gz = gzdopen(fd, "rb"))) {
        close(fd);
        free(l);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    gzbuffer(l->gz, buffer_size(fd));
    l->name = strdup(stdin_input ? "(stdin)" : path);
    l->next_line = 1;
    *out = l;
    return YIMA_OK;
}

static size_t count_lines(const unsigned char *p, size_t n)
{
    size_t count = 0;
    const unsigned char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        count++;
        p++;
    }
    return count;
}

static const unsigned char *last_newline(const unsigned char *p, size_t n)
{
    return n ? memrchr(p, '\n', n) : NULL;
}

/* Reads one chunk; 1 if data came, 0 at end of input. */
static int read_chunk(yima_lines *l, yima_buf *buf, size_t want, yima_err *err)
{
    if (yima_buf_reserve(buf, want))
        return -yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    int n = gzread(l->gz, buf->data + buf->len, (unsigned)want);
    if (n < 0) {
        int zerr;
        const char *msg = gzerror(l->gz, &zerr);
        return -yima_err_set(err, YIMA_E_IO, "%s: read error: %s", l->name,
                             zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    buf->len += (size_t)n;
    if (n == 0)
        l->eof = 1;
    return n > 0;
}

int yima_lines_read(yima_lines *l, yima_buf *buf, size_t max_bytes, uint64_t *first_line,
                    uint64_t *nlines, yima_err *err)
{
    buf->len = 0;
    if (yima_buf_append(buf, l->carry.data, l->carry.len))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    l->carry.len = 0;
    const unsigned char *nl = last_newline(buf->data, buf->len);
    while (!l->eof && (!nl || buf->len < max_bytes)) {
        /* Fill up to max_bytes; past it, read on in small steps only to
         * finish a line, so a block stays near max_bytes. */
        size_t want = buf->len < max_bytes ? max_bytes - buf->len : LINE_STEP;
        int rc = read_chunk(l, buf, want, err);
        if (rc < 0)
            return -rc;
        nl = last_newline(buf->data, buf->len);
        if (!nl && buf->len > YIMA_LINE_MAX)
            return yima_err_set(err, YIMA_E_DATA, "%s:%llu: line longer than %d bytes", l->name,
                                (unsigned long long)l->next_line, YIMA_LINE_MAX);
    }
    if (buf->len == 0)
        return 0;
    size_t keep = nl ? (size_t)(nl - buf->data) + 1 : buf->len;
    if (!l->eof || nl) {
        if (yima_buf_append(&l->carry, buf->data + keep, buf->len - keep))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        buf->len = keep;
    }
    if (buf->len == 0) /* only an unfinished tail so far: read on */
        return yima_lines_read(l, buf, max_bytes, first_line, nlines, err);
    size_t n = count_lines(buf->data, buf->len);
    if (buf->data[buf->len - 1] != '\n')
        n++;
    *first_line = l->next_line;
    *nlines = n;
    l->next_line += n;
    return 1;
}

const char *yima_lines_name(const yima_lines *l)
{
    return l->name;
}

void yima_lines_close(yima_lines *l)
{
    if (!l)
        return;
    gzclose(l->gz);
    yima_buf_free(&l->carry);
    free(l->name);
    free(l);
}
