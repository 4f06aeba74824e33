/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char help[] =
    "Usage: yima keygen [-o BASE] [--id N] [--seed-file FILE] [--force]\n"
    "       yima keygen --scope BATCH[,BATCH...] -k KEY -o BASE [--force]\n"
    "Make a brand key pair: BASE.key (secret, mode 0600) and BASE.pub (for auditors).\n"
    "With --scope, make a line key instead: BASE.key (mode 0600) that makes and checks\n"
    "format-2 mac, none and inner codes of the listed batches only, and checks sig codes.\n"
    "\n"
    "  -o, --output BASE   path without extension            [Default: brand]\n"
    "      --id N          key id 0..999 carried in codes    [Default: from the public key]\n"
    "      --seed-file FILE  restore from a backed-up seed (64 hex digits, mode 0600)\n"
    "      --scope LIST    batches of a line key, e.g. 7 or 7,8,12 (up to 1024)\n"
    "  -k, --key FILE      the brand's secret key a line key is made from\n"
    "      --force         replace existing key files\n"
    "  -h, --help          show this help\n";

typedef struct keygen_cli {
    const char *base, *seed_file, *key_path, *scope_text;
    int id, force;
    uint32_t scope[YIMA_SCOPE_MAX];
    size_t nscope;
} keygen_cli;

/* "7,8,12": batch numbers separated by commas. */
static int parse_scope(keygen_cli *k, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    int rc = copy ? 0 : usage_error("keygen", "out of memory");
    k->nscope = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        uint64_t batch;
        if (k->nscope == YIMA_SCOPE_MAX)
            rc = usage_error("keygen", "--scope: more than %d batches", YIMA_SCOPE_MAX);
        else if (!(rc = opt_u64("keygen", "--scope", tok, 0, UINT32_MAX, &batch)))
            k->scope[k->nscope++] = (uint32_t)batch;
    }
    free(copy);
    if (!rc && k->nscope == 0)
        rc = usage_error("keygen", "--scope needs at least one batch");
    return rc;
}

static int parse_option(void *ctx, int c, const char *arg)
{
    keygen_cli *k = ctx;
    switch (c) {
    case 'o': k->base = arg; return 0;
    case 'I': return opt_int("keygen", "--id", arg, 0, YIMA_KEY_ID_MAX, &k->id);
    case 'F': k->force = 1; return 0;
    case 'S': k->seed_file = arg; return 0;
    case 'k': k->key_path = arg; return 0;
    case 'C': k->scope_text = arg; return parse_scope(k, arg);
    default: return usage_error("keygen", "unknown option");
    }
}

static int check_cli(const keygen_cli *k)
{
    if (!k->scope_text && k->key_path)
        return usage_error("keygen", "-k is for --scope: a line key is made from a brand key");
    if (k->scope_text && !k->key_path)
        return usage_error("keygen", "--scope needs the brand's secret key (-k brand.key)");
    if (k->scope_text && (k->seed_file || k->id != YIMA_KEY_ID_AUTO))
        return usage_error("keygen", "--scope takes the id of its brand key; no --id or --seed-file");
    return 0;
}

/* A line key must never be written over the brand key it is made from. */
static int check_brand_kept(const keygen_cli *k)
{
    char path[4096];
    for (const char *ext = ".key"; ext; ext = strcmp(ext, ".key") ? NULL : ".pub") {
        snprintf(path, sizeof path, "%s%s", k->base, ext);
        if (yima_same_file(path, k->key_path))
            return usage_error("keygen", "-o %s would write over the brand key %s", k->base,
                               k->key_path);
    }
    return 0;
}

static int make_scoped(const keygen_cli *k, yima_err *err)
{
    yima_key *brand = NULL, *line = NULL;
    int rc = yima_key_load_secret(&brand, k->key_path, err);
    if (!rc && !yima_key_has_secret(brand))
        rc = yima_err_set(err, YIMA_E_KEY_NEED, "%s: a line key is made from the brand's key, "
                          "not from another line key", k->key_path);
    if (!rc)
        rc = yima_key_scope_create(&line, brand, k->scope, k->nscope, err);
    if (!rc)
        rc = yima_key_save(line, k->base, k->force, err);
    if (!rc)
        fprintf(stderr, "yima keygen: key id %d: line key %s.key for %zu batch%s %s\n",
                yima_key_id(line), k->base, yima_key_scope_count(line),
                yima_key_scope_count(line) == 1 ? "" : "es", k->scope_text);
    yima_key_free(line);
    yima_key_free(brand);
    return rc;
}

static int make_pair(const keygen_cli *k, yima_err *err)
{
    yima_key *key = NULL;
    int rc = k->seed_file ? yima_key_from_seed_file(&key, k->seed_file, k->id, err)
                          : yima_key_generate(&key, k->id, err);
    if (!rc)
        rc = yima_key_save(key, k->base, k->force, err);
    if (!rc)
        fprintf(stderr, "yima keygen: key id %d: secret %s.key (keep it safe), public %s.pub\n",
                yima_key_id(key), k->base, k->base);
    yima_key_free(key);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"id", required_argument, NULL, 'I'},
                                             {"force", no_argument, NULL, 'F'},
                                             {"seed-file", required_argument, NULL, 'S'},
                                             {"scope", required_argument, NULL, 'C'},
                                             {"key", required_argument, NULL, 'k'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static keygen_cli k; /* the scope list is large for a stack */
    k = (keygen_cli){.base = "brand", .id = YIMA_KEY_ID_AUTO};
    int status = parse_options("keygen", argc, argv, "o:k:h", longopts, help, parse_option, &k);
    if (status >= 0)
        return status;
    if (optind < argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (check_cli(&k) || (k.scope_text && check_brand_kept(&k)))
        return EXIT_USAGE;
    yima_err err = {0};
    int rc = k.scope_text ? make_scoped(&k, &err) : make_pair(&k, &err);
    return rc ? report_error("keygen", &err) : EXIT_OK;
}
