/* SPDX-License-Identifier: MIT */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

static const struct {
    const char *name;
    cmd_fn fn;
    const char *summary;
} commands[] = {
    {"keygen", cmd_keygen, "make a brand key pair"},
    {"gen", cmd_gen, "generate unique signed codes"},
    {"verify", cmd_verify, "verify codes and manifests"},
    {"render", cmd_render, "render codes as QR images"},
    {"link", cmd_link, "record and trace aggregation"},
    {"serve", cmd_serve, "serve a link store over HTTP"},
};

static int main_usage(FILE *to)
{
    fprintf(to, "Usage: yima COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nRun 'yima COMMAND --help' for a command's options; see yima(1).\n");
    return to == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* A closed pipe shows up as EPIPE on write, which each command handles. */
    signal(SIGPIPE, SIG_IGN);
    /* Workers allocate and free the same large buffers (zlib states, jobs)
     * over and over. glibc's default would hand them back to the kernel each
     * time (madvise) and fault them in again, which costs more than the work
     * and stops the second core from helping. Keep them. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    if (argc < 2)
        return main_usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return main_usage(stdout);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("yima %s\n", yima_version_string());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "yima: '%s' is not a yima command\n", argv[1]);
    return main_usage(stderr);
}
