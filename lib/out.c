/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <zlib.h>
#include "io.h"

struct yima_out {
    int fd;
    int is_stdout;
    int direct; /* written in place: stdout, a device or a pipe */
    int nosync; /* leave durability to a later yima_sync_dir */
    int force;
    char *path, *tmp;
    uint64_t bytes;
    crypto_generichash_state hash;
};

static mode_t process_umask;
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;

/* The umask, read without changing it (Linux 4.7+ shows it in
 * /proc/self/status); umask() itself can only be read by setting it, which
 * races with every thread creating files, so that is the last resort. */
static void read_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    unsigned mask;
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = sscanf(line, "Umask: %o", &mask) == 1;
    if (f)
        fclose(f);
    if (found) {
        process_umask = (mode_t)mask;
    } else {
        process_umask = umask(077);
        umask(process_umask);
    }
}

/* Read at load time, while the program is still single-threaded. */
__attribute__((constructor)) static void read_umask_early(void)
{
    pthread_once(&umask_once, read_umask);
}

/* Public files are 0644 and secrets 0600, whatever the umask; a umask
 * stricter than 022 still narrows public files. */
static mode_t file_mode(int secret)
{
    pthread_once(&umask_once, read_umask);
    return secret ? 0600 : 0644 & ~process_umask;
}

static char *temp_name(const char *path)
{
    char *copy1 = strdup(path), *copy2 = strdup(path), *out = NULL;
    if (copy1 && copy2) {
        const char *dir = dirname(copy1), *base = basename(copy2);
        size_t n = strlen(dir) + strlen(base) + 32;
        if ((out = malloc(n)))
            snprintf(out, n, "%s/.%s.tmp.XXXXXX", dir, base);
    }
    free(copy1);
    free(copy2);
    return out;
}

int yima_out_open(yima_out **outp, const char *path, int force, int secret, yima_err *err)
{
    yima_out *o = calloc(1, sizeof *o);
    if (!o || sodium_init() < 0) {
        free(o);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    crypto_generichash_init(&o->hash, NULL, 0, YIMA_HASH_BYTES);
    o->force = force;
    if (!path || strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
        o->is_stdout = o->direct = 1;
        o->path = strdup("(stdout)");
        *outp = o;
        return YIMA_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* A device or pipe (/dev/null, a printer, a fifo) is written as it is:
         * renaming a temp file over it would replace the device. */
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            int rc = yima_err_set(err, YIMA_E_IO, "%s: cannot open: %s", path, strerror(errno));
            free(o);
            return rc;
        }
        o->direct = 1;
        o->path = strdup(path);
        *outp = o;
        return YIMA_OK;
    }
    if (!force && access(path, F_OK) == 0) {
        free(o);
        return yima_err_set(err, YIMA_E_EXISTS, "%s: already exists", path);
    }
    o->path = strdup(path);
    o->tmp = temp_name(path);
    if (!o->path || !o->tmp || (o->fd = mkstemp(o->tmp)) < 0) {
        int rc = yima_err_set(err, YIMA_E_IO, "%s: cannot create temporary file: %s", path,
                              strerror(errno));
        free(o->path);
        free(o->tmp);
        free(o);
        return rc;
    }
    if (fchmod(o->fd, file_mode(secret)) != 0) {
        int rc = yima_err_set(err, YIMA_E_IO, "%s: cannot set the file mode: %s", path,
                              strerror(errno));
        yima_out_abort(o);
        return rc;
    }
    *outp = o;
    return YIMA_OK;
}

int yima_out_write(yima_out *o, const void *data, size_t len, yima_err *err)
{
    const unsigned char *p = data;
    crypto_generichash_update(&o->hash, p, len);
    o->bytes += len;
    while (len > 0) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            return yima_err_set(err, YIMA_E_PIPE, "%s: reader closed the pipe", o->path);
        if (n < 0)
            return yima_err_set(err, YIMA_E_IO, "%s: write failed: %s", o->path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return YIMA_OK;
}

static void out_free(yima_out *o)
{
    free(o->path);
    free(o->tmp);
    free(o);
}

static void sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int yima_out_commit(yima_out *o, unsigned char hash[YIMA_HASH_BYTES], yima_err *err)
{
    unsigned char h[YIMA_HASH_BYTES];
    crypto_generichash_final(&o->hash, h, sizeof h);
    if (hash)
        memcpy(hash, h, sizeof h);
    if (o->direct) {
        int rc = o->fd != STDOUT_FILENO && close(o->fd) != 0
                     ? yima_err_set(err, YIMA_E_IO, "%s: %s", o->path, strerror(errno))
                     : YIMA_OK;
        out_free(o);
        return rc;
    }
    int rc = YIMA_OK;
    if ((!o->nosync && fsync(o->fd) != 0) || close(o->fd) != 0)
        rc = yima_err_set(err, YIMA_E_IO, "%s: cannot flush to disk: %s", o->path,
                          strerror(errno));
    /* Without --force, never replace a file that appeared while we ran. */
    else if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, o->force ? 0 : RENAME_NOREPLACE) != 0)
        rc = yima_err_set(err, errno == EEXIST ? YIMA_E_EXISTS : YIMA_E_IO,
                          "%s: cannot move into place: %s", o->path, strerror(errno));
    if (rc) {
        unlink(o->tmp);
    } else if (!o->nosync) {
        sync_parent_dir(o->path);
    }
    out_free(o);
    return rc;
}

void yima_out_abort(yima_out *o)
{
    if (!o)
        return;
    if (o->fd != STDOUT_FILENO)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    out_free(o);
}

void yima_out_set_sync(yima_out *o, int sync)
{
    o->nosync = !sync;
}

int yima_sync_dir(const char *dir, yima_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return yima_err_set(err, YIMA_E_IO, "%s: %s", dir, strerror(errno));
    int rc = syncfs(fd) == 0 ? YIMA_OK
                             : yima_err_set(err, YIMA_E_IO, "%s: cannot flush to disk: %s", dir,
                                            strerror(errno));
    close(fd);
    return rc;
}

int yima_out_is_stdout(const yima_out *o) { return o->is_stdout; }
uint64_t yima_out_bytes(const yima_out *o) { return o->bytes; }
const char *yima_out_path(const yima_out *o) { return o->path; }

/* 1 if the parents of a and b are one directory and the names agree. */
static int same_entry(const char *a, const char *b)
{
    char *ca = strdup(a), *cb = strdup(b);
    struct stat sa, sb;
    int same = ca && cb && !strcmp(basename(ca), basename(cb));
    if (same) {
        strcpy(ca, a);
        strcpy(cb, b);
        same = !stat(dirname(ca), &sa) && !stat(dirname(cb), &sb) && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
    }
    free(ca);
    free(cb);
    return same;
}

/* 1 if paths a and b name one file: the same inode (through links), or,
 * when neither exists yet, the same name in the same directory. */
int yima_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa), eb = stat(b, &sb);
    if (!ea && !eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return ea && eb && same_entry(a, b);
}

int yima_path_is_gzip(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

int yima_gzip_member(const void *data, size_t len, int level, yima_buf *out, yima_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip wrapper with mtime 0, so bytes are reproducible. */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return yima_err_set(err, YIMA_E_NOMEM, "zlib: cannot start compressor");
    size_t bound = deflateBound(&zs, len);
    if (yima_buf_reserve(out, bound)) {
        deflateEnd(&zs);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for compression");
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    out->len += bound - zs.avail_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? YIMA_OK : yima_err_set(err, YIMA_E_INTERNAL, "zlib: deflate failed");
}

int yima_hash_file(const char *path, unsigned char hash[YIMA_HASH_BYTES], uint64_t *bytes,
                   yima_err *err)
{
    crypto_generichash_state st;
    unsigned char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot open: %s", path, strerror(errno));
    crypto_generichash_init(&st, NULL, 0, YIMA_HASH_BYTES);
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crypto_generichash_update(&st, buf, n);
        total += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return yima_err_set(err, YIMA_E_IO, "%s: read error", path);
    crypto_generichash_final(&st, hash, YIMA_HASH_BYTES);
    if (bytes)
        *bytes = total;
    return YIMA_OK;
}
