/* SPDX-License-Identifier: MIT */
/* Tool plumbing shared by the subcommands: option values, messages, progress. */
#ifndef YIMA_CMD_COMMON_H
#define YIMA_CMD_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include "yima/yima.h"

/* Exit statuses (documented in yima(1)). */
enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

/* A subcommand: parses argv and calls the library. */
typedef int (*cmd_fn)(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* "yima gen: error 500: message" on stderr; returns the exit status. */
int report_error(const char *cmd, const yima_err *err);
/* A usage error: message, then "Try 'yima CMD --help'"; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checked number parsing for option values; 0 on success, else prints a
 * usage error naming the option. */
int opt_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
            uint64_t *out);
int opt_int(const char *cmd, const char *opt, const char *text, int min, int max, int *out);
/* "A,B" pairs such as --pack 24,60 or --sheet 3x8; sep is ',' or 'x'. */
int opt_pair(const char *cmd, const char *opt, const char *text, char sep, uint64_t max,
             uint64_t *a, uint64_t *b);
/* "START:COUNT" with COUNT >= 1. */
int opt_range(const char *cmd, const char *opt, const char *text, uint64_t *start,
              uint64_t *count);
/* Thread count: "0" or absent means all cores. */
int opt_threads(const char *cmd, const char *text, int *out);

/* Refuses binary output to a terminal unless forced; returns 0 if fine. */
int refuse_binary_tty(const char *cmd, const char *path, int force);

/* Progress line on stderr, drawn only when stderr is a terminal, at most
 * about 6 times a second. total 0 means unknown. */
typedef struct progress {
    int enabled;
    const char *what;
    uint64_t total;
    double started, last_draw;
} progress;
void progress_init(progress *p, const char *what, uint64_t total, int quiet);
void progress_update(void *p, uint64_t done);
void progress_end(progress *p);

/* The getopt_long loop of every subcommand: -h/--help prints help to stdout,
 * an unknown option is a usage error, every other option goes to fn (which
 * returns 0 or an exit status). Returns -1 when all options were taken and
 * the command should run, else the exit status to return now. */
struct option;
typedef int (*option_fn)(void *ctx, int c, const char *arg);
int parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, const char *help, option_fn fn, void *ctx);

/* -p/-k: loads a public or secret key into ring, which owns it once added;
 * its id to *key_id if given. Returns 0, or the exit status after reporting. */
int load_key(const char *cmd, yima_keyring *ring, const char *path, int secret, int *key_id);

/* Prints help text to stdout (asked for) and returns 0. */
int print_help(const char *text);

#endif
