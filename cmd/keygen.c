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

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"id", required_argument, NULL, 'I'},
                                             {"force", no_argument, NULL, 'F'},
                                             {"seed-file", required_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *base = "brand", *seed_file = NULL;
    int id = YIMA_KEY_ID_AUTO, force = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': base = optarg; break;
        case 'I':
            if (opt_int("keygen", "--id", optarg, 0, YIMA_KEY_ID_MAX, &id))
                return EXIT_USAGE;
            break;
        case 'F': force = 1; break;
        case 'S': seed_file = optarg; break;
        case 'h': return print_help(help);
        default: return usage_error("keygen", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    yima_err err = {0};
    yima_key *key = NULL;
    int rc = seed_file ? yima_key_from_seed_file(&key, seed_file, id, &err)
                       : yima_key_generate(&key, id, &err);
    if (!rc)
        rc = yima_key_save(key, base, force, &err);
    if (!rc)
        fprintf(stderr, "yima keygen: key id %d: secret %s.key (keep it safe), public %s.pub\n",
                yima_key_id(key), base, base);
    yima_key_free(key);
    return rc ? report_error("keygen", &err) : EXIT_OK;
}
