/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include "common.h"

static const char help[] =
    "Usage: yima keygen [-o BASE] [--id N] [--seed-file FILE] [--force]\n"
    "Make a brand key pair: BASE.key (secret, mode 0600) and BASE.pub (for auditors).\n"
    "\n"
    "  -o, --output BASE   path without extension            [Default: brand]\n"
    "      --id N          key id 0..999 carried in codes    [Default: from the public key]\n"
    "      --seed-file FILE  restore from a backed-up seed (64 hex digits, mode 0600)\n"
    "      --force         replace existing key files\n"
    "  -h, --help          show this help\n";

typedef struct keygen_cli {
    const char *base, *seed_file;
    int id, force;
} keygen_cli;

static int parse_option(void *ctx, int c, const char *arg)
{
    keygen_cli *k = ctx;
    switch (c) {
    case 'o': k->base = arg; return 0;
    case 'I': return opt_int("keygen", "--id", arg, 0, YIMA_KEY_ID_MAX, &k->id);
    case 'F': k->force = 1; return 0;
    case 'S': k->seed_file = arg; return 0;
    default: return usage_error("keygen", "unknown option");
    }
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"id", required_argument, NULL, 'I'},
                                             {"force", no_argument, NULL, 'F'},
                                             {"seed-file", required_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    keygen_cli k = {.base = "brand", .id = YIMA_KEY_ID_AUTO};
    int status = parse_options("keygen", argc, argv, "o:h", longopts, help, parse_option, &k);
    if (status >= 0)
        return status;
    if (optind < argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    yima_err err = {0};
    yima_key *key = NULL;
    int rc = k.seed_file ? yima_key_from_seed_file(&key, k.seed_file, k.id, &err)
                         : yima_key_generate(&key, k.id, &err);
    if (!rc)
        rc = yima_key_save(key, k.base, k.force, &err);
    if (!rc)
        fprintf(stderr, "yima keygen: key id %d: secret %s.key (keep it safe), public %s.pub\n",
                yima_key_id(key), k.base, k.base);
    yima_key_free(key);
    return rc ? report_error("keygen", &err) : EXIT_OK;
}
