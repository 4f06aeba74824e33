/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char help[] =
    "Usage: yima verify (-p PUB | -k KEY)... [OPTIONS] [FILE...]\n"
    "Verify codes, payloads or gen output (txt, csv, tsv, jsonl; .gz too), one a line,\n"
    "from FILEs or standard input. One result line per input line, then a summary.\n"
    "\n"
    "  -p, --pub FILE        public key: verifies sig codes (repeatable)\n"
    "  -k, --key FILE        secret key: also mac, none and inner codes (repeatable)\n"
    "  -l, --level LEVEL     require item, case or pallet       [Default: any]\n"
    "  -t, --template T      payload template with {code}       [Default: guess from URL]\n"
    "      --json            JSON lines instead of TSV\n"
    "      --bad-only        print only lines that are not OK\n"
    "      --no-duplicates   do not look for codes seen twice (saves 16 bytes a code)\n"
    "      --ledger FILE     codes this issue ledger never issued are NOT_ISSUED\n"
    "  -o, --output FILE     results                            [Default: stdout]\n"
    "      --force           replace an existing output file\n"
    "      --manifest FILE   check a gen manifest and the data FILE first\n"
    "      --data FILE       the manifest's data file           [Default: FILE, else beside it]\n"
    "  -j, --threads N       worker threads, 0 = all cores      [Default: 0]\n"
    "  -q, --quiet           no progress line and no summary\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 all good, 1 some code or the manifest is bad, 2 usage, 3 I/O or data.\n";

enum { O_JSON = 256, O_BAD_ONLY, O_NO_DUPS, O_MANIFEST, O_DATA, O_LEDGER, O_FORCE };

static const struct option longopts[] = {
    {"pub", required_argument, NULL, 'p'},       {"key", required_argument, NULL, 'k'},
    {"level", required_argument, NULL, 'l'},     {"template", required_argument, NULL, 't'},
    {"json", no_argument, NULL, O_JSON},         {"bad-only", no_argument, NULL, O_BAD_ONLY},
    {"no-duplicates", no_argument, NULL, O_NO_DUPS},
    {"ledger", required_argument, NULL, O_LEDGER}, {"force", no_argument, NULL, O_FORCE},
    {"output", required_argument, NULL, 'o'},    {"manifest", required_argument, NULL, O_MANIFEST},
    {"data", required_argument, NULL, O_DATA},   {"threads", required_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

#define MAX_KEYS 64

typedef struct verify_cli {
    yima_verify_options o;
    yima_keyring *ring;
    const char *manifest, *data;
    const char *key_paths[MAX_KEYS];
    int nkeys, secrets, quiet;
    yima_err err;
} verify_cli;

static int add_key(verify_cli *v, const char *path, int secret)
{
    if (v->nkeys == MAX_KEYS)
        return usage_error("verify", "more than %d keys", MAX_KEYS);
    int rc = load_key("verify", v->ring, path, secret, NULL);
    if (rc)
        return rc;
    v->key_paths[v->nkeys++] = path;
    v->secrets += secret;
    return 0;
}

static int parse_option(void *ctx, int c, const char *arg)
{
    verify_cli *v = ctx;
    switch (c) {
    case 'p': return add_key(v, arg, 0);
    case 'k': return add_key(v, arg, 1);
    case 'l':
        if ((v->o.want_level = yima_level_parse(arg)) < 0)
            return usage_error("verify", "--level: unknown level '%s'", arg);
        return 0;
    case 't': v->o.template_text = arg; return 0;
    case O_JSON: v->o.json = 1; return 0;
    case O_BAD_ONLY: v->o.bad_only = 1; return 0;
    case O_NO_DUPS: v->o.duplicates = 0; return 0;
    case O_LEDGER: v->o.ledger = arg; return 0;
    case O_FORCE: v->o.force = 1; return 0;
    case 'o': v->o.output = arg; return 0;
    case O_MANIFEST: v->manifest = arg; return 0;
    case O_DATA: v->data = arg; return 0;
    case 'j': return opt_threads("verify", arg, &v->o.threads);
    case 'q': v->quiet = 1; return 0;
    default: return usage_error("verify", "bad option");
    }
}

/* The results never replace a key or the manifest this run reads (by
 * identity, not name: links and symlinks too); the library guards the
 * ledger and the inputs. */
static int refuse_output_over_input(verify_cli *v)
{
    const char *out = v->o.output, *what = NULL, *path = NULL;
    if (!out || !strcmp(out, "-"))
        return 0;
    for (int i = 0; i < v->nkeys && !what; i++)
        if (yima_same_file(out, v->key_paths[i]))
            what = "the key file", path = v->key_paths[i];
    if (!what && v->manifest && yima_same_file(out, v->manifest))
        what = "the manifest", path = v->manifest;
    if (!what && v->data && yima_same_file(out, v->data))
        what = "the data file", path = v->data;
    if (!what)
        return 0;
    return usage_error("verify", "-o %s is %s %s this run reads; refusing to write over it", out,
                       what, path);
}

/* With --manifest, the manifest vouches for the data file being verified:
 * the one FILE given (or --data, which must then be that FILE). */
static int manifest_data(verify_cli *v, int argc, char **argv, const char **data)
{
    int nfiles = argc - optind;
    *data = v->data;
    if (nfiles > 1)
        return usage_error("verify", "--manifest describes one data file; give one FILE, not %d",
                           nfiles);
    if (nfiles == 1 && !v->data)
        *data = argv[optind];
    else if (nfiles == 1 && !yima_same_file(v->data, argv[optind]))
        return usage_error("verify", "--data %s is not %s: the manifest must check the file "
                           "that is verified", v->data, argv[optind]);
    if (*data && !strcmp(*data, "-"))
        return usage_error("verify", "--manifest cannot check standard input; give the data file");
    return 0;
}

static int check_manifest(verify_cli *v, const char *data)
{
    yima_manifest_report rep;
    int rc = yima_manifest_check(v->manifest, v->ring, data, &rep, &v->err);
    if (rc == YIMA_E_MANIFEST) {
        fprintf(stderr, "yima verify: BAD MANIFEST: %s\n", v->err.msg);
        return EXIT_BAD;
    }
    if (rc)
        return report_error("verify", &v->err);
    if (!v->quiet)
        fprintf(stderr, "yima verify: manifest OK: %s, %llu rows, %llu bytes, key id %d\n",
                rep.data_path, (unsigned long long)rep.rows, (unsigned long long)rep.bytes,
                rep.key_id);
    return EXIT_OK;
}

static int run(verify_cli *v, int argc, char **argv)
{
    const char *data = NULL;
    if (!yima_keyring_size(v->ring))
        return usage_error("verify", "give a public key (-p brand.pub) or secret key (-k)");
    if (v->data && !v->manifest)
        return usage_error("verify", "--data names the data file of a --manifest; give one");
    if (v->o.ledger && !v->secrets)
        return usage_error("verify", "--ledger needs a secret or line key (-k): a public key "
                           "cannot tell a code's batch and index");
    int rc = refuse_output_over_input(v);
    if (!rc && v->manifest && !(rc = manifest_data(v, argc, argv, &data)))
        rc = check_manifest(v, data);
    if (rc || (v->manifest && optind == argc))
        return rc;
    progress bar;
    yima_verify_summary sum;
    progress_init(&bar, "lines", 0, v->quiet);
    v->o.ring = v->ring;
    v->o.progress = progress_update;
    v->o.progress_ctx = &bar;
    rc = yima_verify_run(&v->o, (const char *const *)argv + optind, argc - optind, &sum, &v->err);
    progress_end(&bar);
    if (rc) {
        int status = report_error("verify", &v->err);
        if (rc == YIMA_E_NOMEM && v->o.duplicates)
            fprintf(stderr, "yima verify: --no-duplicates saves 16 bytes a code\n");
        return status;
    }
    if (!v->quiet)
        yima_verify_summary_print(&sum, stderr);
    return sum.bad ? EXIT_BAD : EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    verify_cli v = {.ring = yima_keyring_create()};
    if (!v.ring)
        return EXIT_IO;
    yima_verify_options_init(&v.o);
    v.o.threads = yima_cpu_count();
    int status = parse_options("verify", argc, argv, "p:k:l:t:o:j:qh", longopts, help,
                               parse_option, &v);
    if (status < 0)
        status = run(&v, argc, argv);
    yima_keyring_free(v.ring);
    return status;
}
