/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

int report_error(const char *cmd, const yima_err *err)
{
    if (err->code == YIMA_E_PIPE)
        return EXIT_OK; /* the reader stopped early (| head): not our failure */
    /* The library never names options; the tool says which one helps. */
    const char *hint = err->code == YIMA_E_EXISTS   ? " (--force replaces it)"
                       : err->code == YIMA_E_LEDGER ? " (--force issues it again)"
                                                    : "";
    fprintf(stderr, "yima %s: error %d: %s%s\n", cmd, err->code, err->msg, hint);
    return yima_exit_status(err->code);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "yima %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'yima %s --help'.\n", cmd);
    return EXIT_USAGE;
}

int opt_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
            uint64_t *out)
{
    uint64_t v = 0;
    const char *p = text;
    if (!p || !*p)
        return usage_error(cmd, "%s needs a number", opt);
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return usage_error(cmd, "%s: '%s' is not a whole number", opt, text);
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return usage_error(cmd, "%s: '%s' is too large", opt, text);
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return usage_error(cmd, "%s: %llu is out of range %llu..%llu", opt,
                           (unsigned long long)v, (unsigned long long)min,
                           (unsigned long long)max);
    *out = v;
    return 0;
}

int opt_int(const char *cmd, const char *opt, const char *text, int min, int max, int *out)
{
    uint64_t v;
    int rc = opt_u64(cmd, opt, text, (uint64_t)(min < 0 ? 0 : min), (uint64_t)max, &v);
    if (!rc)
        *out = (int)v;
    return rc;
}

int opt_pair(const char *cmd, const char *opt, const char *text, char sep, uint64_t max,
             uint64_t *a, uint64_t *b)
{
    const char *mid = text ? strchr(text, sep) : NULL;
    char first[32];
    if (!mid || (size_t)(mid - text) >= sizeof first)
        return usage_error(cmd, "%s: expected N%cM, got '%s'", opt, sep, text ? text : "");
    memcpy(first, text, (size_t)(mid - text));
    first[mid - text] = '\0';
    if (opt_u64(cmd, opt, first, 1, max, a) || opt_u64(cmd, opt, mid + 1, 1, max, b))
        return EXIT_USAGE;
    return 0;
}

int opt_range(const char *cmd, const char *opt, const char *text, uint64_t *start,
              uint64_t *count)
{
    const char *mid = strchr(text, ':');
    char first[32];
    if (!mid || (size_t)(mid - text) >= sizeof first)
        return usage_error(cmd, "%s: expected START:COUNT, got '%s'", opt, text);
    memcpy(first, text, (size_t)(mid - text));
    first[mid - text] = '\0';
    if (opt_u64(cmd, opt, first, 0, UINT64_MAX, start) ||
        opt_u64(cmd, opt, mid + 1, 1, UINT64_MAX, count))
        return EXIT_USAGE;
    return 0;
}

int opt_threads(const char *cmd, const char *text, int *out)
{
    int n = 0;
    if (text && opt_int(cmd, "-j", text, 0, 1024, &n))
        return EXIT_USAGE;
    *out = n == 0 ? yima_cpu_count() : n;
    return 0;
}

int refuse_binary_tty(const char *cmd, const char *path, int force)
{
    int to_stdout = !path || !strcmp(path, "-");
    if (to_stdout && !force && isatty(STDOUT_FILENO))
        return usage_error(cmd, "refusing to write binary data to a terminal (redirect it, or use --force)");
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(progress *p, const char *what, uint64_t total, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->what = what;
    p->total = total;
    p->started = p->last_draw = now_seconds();
}

void progress_update(void *arg, uint64_t done)
{
    progress *p = arg;
    if (!p || !p->enabled)
        return;
    double t = now_seconds();
    if (t - p->last_draw < 0.16 && done != p->total)
        return;
    p->last_draw = t;
    double rate = done / (t - p->started + 1e-9);
    if (p->total) {
        double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
        fprintf(stderr, "\r%llu/%llu %s (%.1f%%), %.0f/s, ETA %.0fs   ", (unsigned long long)done,
                (unsigned long long)p->total, p->what, 100.0 * done / p->total, rate, eta);
    } else {
        fprintf(stderr, "\r%llu %s, %.0f/s   ", (unsigned long long)done, p->what, rate);
    }
}

void progress_end(progress *p)
{
    if (p->enabled)
        fputc('\n', stderr);
}

int print_help(const char *text)
{
    fputs(text, stdout);
    return EXIT_OK;
}

int parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, const char *help, option_fn fn, void *ctx)
{
    int c;
    optind = 1;
    opterr = 0; /* one message of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h')
            return print_help(help);
        if (c == '?' || c == ':')
            return usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        int rc = fn(ctx, c, optarg);
        if (rc)
            return rc;
    }
    return -1;
}

int load_key(const char *cmd, yima_keyring *ring, const char *path, int secret, int *key_id)
{
    yima_key *key = NULL;
    yima_err err;
    int rc = secret ? yima_key_load_secret(&key, path, &err)
                    : yima_key_load_public(&key, path, &err);
    if (!rc && key_id)
        *key_id = yima_key_id(key);
    if (!rc && (rc = yima_keyring_add(ring, key, &err)))
        yima_key_free(key); /* a failed add leaves the key with us */
    return rc ? report_error(cmd, &err) : 0;
}
