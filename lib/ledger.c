/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "ledger.h"
#include "yima/gen.h"
#include "yima/code.h"

#define LEDGER_MAGIC "yima-ledger 1\n"

char *yima_ledger_path(const char *key_path)
{
    size_t n = strlen(key_path);
    if (n > 4 && strcmp(key_path + n - 4, ".key") == 0)
        n -= 4;
    char *p = malloc(n + 8);
    if (p) {
        memcpy(p, key_path, n);
        strcpy(p + n, ".ledger");
    }
    return p;
}

static int open_locked(const char *path, FILE **out, yima_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot open ledger: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return yima_err_set(err, YIMA_E_IO, "%s: cannot lock ledger: %s", path, strerror(errno));
    }
    *out = fdopen(fd, "r+");
    if (!*out) {
        close(fd);
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    return YIMA_OK;
}

static int ranges_overlap(const yima_ledger_range *a, const yima_ledger_range *b)
{
    return a->batch == b->batch && a->level == b->level && a->start < b->start + b->count &&
           b->start < a->start + a->count;
}

/* Scans the ledger for a reservation overlapping ranges; sets err if found. */
static int find_overlap(FILE *f, const char *path, const yima_ledger_range *ranges, int n,
                        yima_err *err)
{
    char line[8192], id[32], out[4096] = "?";
    unsigned long long start, count;
    long long when;
    unsigned batch;
    int level;
    uint64_t lineno = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] != 'R')
            continue;
        if (sscanf(line, "R %31s %u %d %llu %llu %lld %4095[^\n]", id, &batch, &level, &start,
                   &count, &when, out) < 6)
            return yima_err_set(err, YIMA_E_DATA, "%s:%llu: malformed ledger line", path,
                                (unsigned long long)lineno);
        yima_ledger_range old = {batch, level, start, count};
        for (int i = 0; i < n; i++)
            if (ranges_overlap(&ranges[i], &old))
                return yima_err_set(
                    err, YIMA_E_LEDGER,
                    "batch %u %s indexes %llu..%llu were already issued (%s:%llu, to %s); "
                    "use --force to issue them again",
                    batch, yima_level_name((yima_level)level), start, start + count - 1, path,
                    (unsigned long long)lineno, out);
    }
    return YIMA_OK;
}

static int append_and_sync(FILE *f, const char *path, const char *text, yima_err *err)
{
    if (fseek(f, 0, SEEK_END) != 0 || fputs(text, f) == EOF || fflush(f) != 0 ||
        fsync(fileno(f)) != 0)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot write ledger: %s", path, strerror(errno));
    return YIMA_OK;
}

int yima_ledger_reserve(const char *path, const yima_ledger_range *ranges, int n,
                        const char *output, int force, char id[17], yima_err *err)
{
    FILE *f;
    int rc = open_locked(path, &f, err);
    if (rc)
        return rc;
    fseek(f, 0, SEEK_END);
    if (ftell(f) == 0)
        rc = append_and_sync(f, path, LEDGER_MAGIC, err);
    if (!rc && !force)
        rc = find_overlap(f, path, ranges, n, err);
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id, 17, raw, sizeof raw);
    for (int i = 0; !rc && i < n; i++) {
        char line[4400];
        snprintf(line, sizeof line, "R %s %u %d %llu %llu %lld %s\n", id, ranges[i].batch,
                 ranges[i].level, (unsigned long long)ranges[i].start,
                 (unsigned long long)ranges[i].count, (long long)time(NULL),
                 output);
        rc = append_and_sync(f, path, line, err);
    }
    fclose(f); /* also releases the lock */
    return rc;
}

int yima_ledger_complete(const char *path, const char id[17], yima_err *err)
{
    FILE *f;
    char line[32];
    int rc = open_locked(path, &f, err);
    if (rc)
        return rc;
    snprintf(line, sizeof line, "D %s\n", id);
    rc = append_and_sync(f, path, line, err);
    fclose(f);
    return rc;
}
