/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char help[] =
    "Usage: yima gen -k KEY [-b BATCH] (-n COUNT | --range START:COUNT) [OPTIONS]\n"
    "Generate unique, unpredictable, authenticated codes, in order, as fast as the cores allow.\n"
    "\n"
    "  -k, --key FILE          brand secret key (required)\n"
    "  -b, --batch N           batch number                       [Default: 0]\n"
    "  -n, --count N           codes to generate from index 0\n"
    "      --range START:COUNT codes START..START+COUNT-1 of the batch\n"
    "      --shard K/N         the K-th of N shards of the range (1-based); shards\n"
    "                          concatenate to the bytes of one run\n"
    "  -l, --level LEVEL       item, case or pallet               [Default: item]\n"
    "  -a, --auth MODE         sig, mac or none                   [Default: sig]\n"
    "      --alphabet A        base32 or digits                   [Default: base32]\n"
    "      --serial-len N      serial characters                  [Default: 14 base32, 20 digits]\n"
    "      --mac-len N         mac tag characters (>= 40 bits)    [Default: 8 base32, 13 digits]\n"
    "      --code-format N     code format 1 (0.1's) or 2         [Default: 2]\n"
    "      --inner             add a hidden inner (redemption) code to each item\n"
    "      --pack CASE,PALLET  pre-assign the hierarchy, e.g. 24,60\n"
    "  -t, --template T        payload template with {code}       [Default: the bare code]\n"
    "      --gs1               GS1 mode: items are SGTINs, cases and pallets SSCCs\n"
    "      --gtin G            GS1: the items' GTIN-8, -12, -13 or -14\n"
    "      --gcp P             GS1: company prefix for SSCCs, 7..11 digits\n"
    "      --lot L             GS1: batch/lot number (AI 10) of the items\n"
    "      --expiry YYMMDD     GS1: expiry date (AI 17) of the items\n"
    "      --dl-base URL       GS1: Digital Link payloads under https://URL\n"
    "                                                         [Default: element strings]\n"
    "  -f, --format F          txt, csv, tsv or jsonl             [Default: txt]\n"
    "  -o, --output FILE       output; FILE.gz is gzip            [Default: stdout]\n"
    "  -z, --gzip              gzip the output, e.g. to a pipe    [Default: by the .gz name]\n"
    "      --manifest FILE     signed manifest                    [Default: OUTPUT.manifest]\n"
    "      --header yes|no     csv/tsv header row                 [Default: yes, but not in\n"
    "                          shards after the first or ranges not starting at 0]\n"
    "      --ledger FILE       issue ledger                       [Default: KEY's .ledger]\n"
    "      --no-ledger         do not record this run in the ledger\n"
    "      --force             replace outputs; issue a recorded range again\n"
    "      --gzip-level N      1..9                               [Default: 6]\n"
    "  -j, --threads N         worker threads, 0 = all cores      [Default: 0]\n"
    "  -q, --quiet             no progress line\n"
    "  -h, --help              show this help\n";

typedef struct gen_cli {
    const char *key_path, *ledger;
    uint64_t count, shard_k, shard_n, batch;
    int have_count, have_range, no_ledger, quiet, header;
    yima_gen_options o;
    int alphabet, auth, serial_len, mac_len, code_format;
    int gs1;                                         /* --gs1 */
    const char *gtin, *gcp, *lot, *expiry, *dl_base; /* its options, NULL if not given */
    yima_gs1_params gs1p;                            /* checked from them */
} gen_cli;

enum { O_RANGE = 256, O_SHARD, O_ALPHABET, O_SERIAL_LEN, O_MAC_LEN, O_INNER, O_PACK, O_MANIFEST,
       O_HEADER, O_LEDGER, O_NO_LEDGER, O_FORCE, O_GZIP_LEVEL, O_CODE_FORMAT, O_GS1, O_GTIN,
       O_GCP, O_LOT, O_EXPIRY, O_DL_BASE };

static const struct option longopts[] = {
    {"key", required_argument, NULL, 'k'},        {"batch", required_argument, NULL, 'b'},
    {"count", required_argument, NULL, 'n'},      {"range", required_argument, NULL, O_RANGE},
    {"shard", required_argument, NULL, O_SHARD},  {"level", required_argument, NULL, 'l'},
    {"auth", required_argument, NULL, 'a'},       {"alphabet", required_argument, NULL, O_ALPHABET},
    {"serial-len", required_argument, NULL, O_SERIAL_LEN},
    {"mac-len", required_argument, NULL, O_MAC_LEN},
    {"code-format", required_argument, NULL, O_CODE_FORMAT},
    {"inner", no_argument, NULL, O_INNER},        {"pack", required_argument, NULL, O_PACK},
    {"template", required_argument, NULL, 't'},   {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},     {"manifest", required_argument, NULL, O_MANIFEST},
    {"gzip", no_argument, NULL, 'z'},
    {"header", required_argument, NULL, O_HEADER}, {"ledger", required_argument, NULL, O_LEDGER},
    {"no-ledger", no_argument, NULL, O_NO_LEDGER}, {"force", no_argument, NULL, O_FORCE},
    {"gzip-level", required_argument, NULL, O_GZIP_LEVEL},
    {"gs1", no_argument, NULL, O_GS1},            {"gtin", required_argument, NULL, O_GTIN},
    {"gcp", required_argument, NULL, O_GCP},      {"lot", required_argument, NULL, O_LOT},
    {"expiry", required_argument, NULL, O_EXPIRY}, {"dl-base", required_argument, NULL, O_DL_BASE},
    {"threads", required_argument, NULL, 'j'},    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};

static int named(const char *opt, const char *value, int parsed)
{
    if (parsed < 0)
        return usage_error("gen", "%s: unknown value '%s'", opt, value);
    return 0;
}

static int parse_option(void *ctx, int c, const char *arg)
{
    gen_cli *g = ctx;
    yima_gen_options *o = &g->o;
    switch (c) {
    case 'k': g->key_path = arg; return 0;
    case 'b': return opt_u64("gen", "--batch", arg, 0, UINT32_MAX, &g->batch);
    case 'n': g->have_count = 1; return opt_u64("gen", "--count", arg, 1, UINT64_MAX, &g->count);
    case O_RANGE:
        g->have_range = 1;
        return opt_range("gen", "--range", arg, &o->start, &g->count);
    case O_SHARD: return opt_pair("gen", "--shard", arg, '/', 1u << 20, &g->shard_k, &g->shard_n);
    case 'l': return named("--level", arg, (int)(o->level = yima_level_parse(arg)));
    case 'a': return named("--auth", arg, g->auth = yima_auth_parse(arg));
    case O_ALPHABET: return named("--alphabet", arg, g->alphabet = yima_alphabet_parse(arg));
    case O_SERIAL_LEN: return opt_int("gen", "--serial-len", arg, 1, 64, &g->serial_len);
    case O_MAC_LEN: return opt_int("gen", "--mac-len", arg, 1, 64, &g->mac_len);
    case O_CODE_FORMAT: return opt_int("gen", "--code-format", arg, 1, 2, &g->code_format);
    case O_INNER: o->inner = 1; return 0;
    case O_PACK: return opt_pair("gen", "--pack", arg, ',', 1u << 20, &o->pack_case, &o->pack_pallet);
    case 't': o->template_text = arg; return 0;
    case 'f': return named("--format", arg, (int)(o->format = yima_outfmt_parse(arg)));
    case 'o': o->output = arg; return 0;
    case 'z': o->gzip = 1; return 0;
    case O_MANIFEST: o->manifest = arg; return 0;
    case O_HEADER:
        g->header = !strcmp(arg, "yes") ? 1 : !strcmp(arg, "no") ? 0 : -2;
        return g->header == -2 ? usage_error("gen", "--header takes yes or no") : 0;
    case O_LEDGER: g->ledger = arg; return 0;
    case O_NO_LEDGER: g->no_ledger = 1; return 0;
    case O_FORCE: o->force = 1; return 0;
    case O_GZIP_LEVEL: return opt_int("gen", "--gzip-level", arg, 1, 9, &o->gzip_level);
    case 'j': return opt_threads("gen", arg, &o->threads);
    case 'q': g->quiet = 1; return 0;
    case O_GS1: g->gs1 = 1; return 0;
    case O_GTIN: g->gtin = arg; return 0;
    case O_GCP: g->gcp = arg; return 0;
    case O_LOT: g->lot = arg; return 0;
    case O_EXPIRY: g->expiry = arg; return 0;
    case O_DL_BASE: g->dl_base = arg; return 0;
    default: return usage_error("gen", "unknown option");
    }
}

static int configure_codec(gen_cli *g, yima_codec *codec, yima_err *err)
{
    int rc = YIMA_OK;
    if (g->alphabet >= 0)
        rc = yima_codec_set(codec, YIMA_P_ALPHABET, g->alphabet, err);
    if (!rc && g->auth >= 0)
        rc = yima_codec_set(codec, YIMA_P_AUTH, g->auth, err);
    if (!rc && g->code_format > 0)
        rc = yima_codec_set(codec, YIMA_P_FORMAT, g->code_format, err);
    if (!rc && g->gs1) /* first: lengths are then checked against GS1's bounds */
        rc = yima_codec_set_gs1(codec, &g->gs1p, err);
    if (!rc && g->serial_len > 0)
        rc = yima_codec_set(codec, YIMA_P_SERIAL_LEN, g->serial_len, err);
    if (!rc && g->mac_len > 0)
        rc = yima_codec_set(codec, YIMA_P_MAC_LEN, g->mac_len, err);
    if (!rc) /* the run's batch keys, once, and a scoped key's scope checked up front */
        rc = yima_codec_set_batch(codec, (uint32_t)g->batch, err);
    return rc;
}

/* 1 if path is a file path naming the key file. */
static int is_file(const char *path, const char *key_path)
{
    return path && strcmp(path, "-") != 0 && yima_same_file(path, key_path);
}

/* No output, manifest or ledger of this run may write over the key. */
static int check_key_kept(const gen_cli *g)
{
    const yima_gen_options *o = &g->o;
    const char *key = g->key_path;
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s.manifest", o->output ? o->output : "-");
    const char *clash = is_file(o->output, key)                  ? "--output"
                        : is_file(o->manifest, key)              ? "--manifest"
                        : !o->manifest && is_file(manifest, key) ? "the default manifest"
                        : is_file(g->ledger, key)                ? "--ledger"
                                                                  : NULL;
    if (clash)
        return usage_error("gen", "%s would write over the key %s", clash, g->key_path);
    return 0;
}

/* The first GS1 option given without --gs1, or NULL. */
static const char *stray_gs1_option(const gen_cli *g)
{
    return g->gtin ? "--gtin" : g->gcp ? "--gcp" : g->lot ? "--lot" : g->expiry ? "--expiry"
           : g->dl_base ? "--dl-base" : NULL;
}

/* Options of compact codes that mean nothing for GS1 element strings. */
static int check_gs1_compat(const gen_cli *g)
{
    if (g->alphabet == YIMA_ALPHABET_DIGITS)
        return usage_error("gen", "--gs1 serials are base32, a subset of GS1's character set "
                                  "82: --alphabet digits does not apply");
    if (g->o.template_text)
        return usage_error("gen", "--gs1 payloads are element strings or Digital Link URIs "
                                  "(--dl-base): --template does not apply");
    if (g->code_format == 1)
        return usage_error("gen", "--gs1 codes build on code format 2: --code-format 1 does "
                                  "not apply");
    return 0;
}

/* Items need a GTIN and may carry a lot and expiry; cases and pallets (a
 * level, or --pack) need a company prefix. */
static int check_gs1_needs(const gen_cli *g)
{
    int items = g->o.level == YIMA_LEVEL_ITEM, ssccs = !items || g->o.pack_case;
    const char *lvl = yima_level_name(g->o.level);
    if (items && !g->gtin)
        return usage_error("gen", "--gs1 items are SGTINs: give their --gtin");
    if (!items && (g->gtin || g->lot || g->expiry))
        return usage_error("gen", "%s codes are SSCCs: --gtin, --lot and --expiry describe "
                                  "items", lvl);
    if (ssccs && !g->gcp)
        return usage_error("gen", "--gs1 cases and pallets are SSCCs: give the GS1 company "
                                  "prefix, --gcp (7 to 11 digits)");
    return 0;
}

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strspn(s, "0123456789");
    return !s[n] && n >= min && n <= max;
}

/* Each GS1 value checked here, so the message names its option. */
static int check_gs1_values(gen_cli *g)
{
    yima_gs1_params *p = &g->gs1p;
    yima_err err = {0};
    if (g->gtin && yima_gtin_normalize(g->gtin, p->gtin, &err))
        return usage_error("gen", "--gtin %s: %s", g->gtin, err.msg);
    if (g->gcp && !all_digits(g->gcp, 7, 11))
        return usage_error("gen", "--gcp %s: a GS1 company prefix is 7 to 11 digits", g->gcp);
    yima_gs1 scratch;
    yima_gs1_init(&scratch);
    if (g->lot && yima_gs1_add(&scratch, "10", g->lot, strlen(g->lot), &err))
        return usage_error("gen", "--lot %s: %s", g->lot, err.msg);
    if (g->expiry && (!all_digits(g->expiry, 6, 6) || !yima_gs1_date_valid(g->expiry, 1)))
        return usage_error("gen", "--expiry %s: not a date YYMMDD (day 00: end of month)",
                           g->expiry);
    if (g->dl_base && strncmp(g->dl_base, "https://", 8) != 0)
        return usage_error("gen", "--dl-base %s: the brand's Digital Link domain, "
                                  "https://id.example.com", g->dl_base);
    snprintf(p->gcp, sizeof p->gcp, "%s", g->gcp ? g->gcp : "");
    snprintf(p->lot, sizeof p->lot, "%s", g->lot ? g->lot : "");
    snprintf(p->expiry, sizeof p->expiry, "%s", g->expiry ? g->expiry : "");
    g->o.dl_base = g->dl_base;
    return 0;
}

static int check_gs1(gen_cli *g)
{
    const char *stray = stray_gs1_option(g);
    if (!g->gs1)
        return stray ? usage_error("gen", "%s needs --gs1", stray) : 0;
    if (check_gs1_compat(g) || check_gs1_needs(g))
        return EXIT_USAGE;
    return check_gs1_values(g);
}

static int check_cli(gen_cli *g)
{
    yima_gen_options *o = &g->o;
    if (!g->key_path)
        return usage_error("gen", "a secret key is required (-k brand.key)");
    if (g->have_count == g->have_range)
        return usage_error("gen", "give exactly one of -n COUNT or --range START:COUNT");
    if (check_gs1(g))
        return EXIT_USAGE;
    o->batch = (uint32_t)g->batch;
    o->count = g->count;
    /* One header per batch file: only the run (or first shard) starting at 0. */
    o->header = g->header >= 0 ? g->header : o->start == 0 && (!g->shard_n || g->shard_k == 1);
    yima_err err = {0};
    if (g->shard_n && yima_gen_shard(o, (unsigned)g->shard_k, (unsigned)g->shard_n, &err))
        return usage_error("gen", "%s", err.msg);
    return check_key_kept(g);
}

int cmd_gen(int argc, char **argv)
{
    gen_cli g = {.alphabet = -1, .auth = -1, .header = -1};
    yima_gen_options_init(&g.o);
    g.o.threads = yima_cpu_count();
    int status = parse_options("gen", argc, argv, "k:b:n:l:a:t:f:o:zj:qh", longopts, help,
                               parse_option, &g);
    if (status >= 0)
        return status;
    if (optind < argc)
        return usage_error("gen", "unexpected argument '%s'", argv[optind]);
    if (check_cli(&g))
        return EXIT_USAGE;
    if ((g.o.gzip || yima_path_is_gzip(g.o.output)) &&
        refuse_binary_tty("gen", g.o.output, g.o.force))
        return EXIT_USAGE;
    yima_err err = {0};
    yima_key *key = NULL;
    yima_codec *codec = NULL;
    char *ledger = NULL;
    progress bar;
    int rc = yima_key_load_secret(&key, g.key_path, &err);
    if (!rc && !(codec = yima_codec_create(key)))
        rc = yima_err_set(&err, YIMA_E_NOMEM, "out of memory");
    if (!rc)
        rc = configure_codec(&g, codec, &err);
    if (!rc) {
        ledger = g.no_ledger ? NULL : g.ledger ? strdup(g.ledger) : yima_ledger_path(g.key_path);
        g.o.codec = codec;
        g.o.ledger = ledger;
        progress_init(&bar, "items", g.o.count, g.quiet);
        g.o.progress = progress_update;
        g.o.progress_ctx = &bar;
        yima_gen_result res;
        rc = yima_gen_run(&g.o, &res, &err);
        progress_end(&bar);
    }
    free(ledger);
    yima_codec_free(codec);
    yima_key_free(key);
    return rc ? report_error("gen", &err) : EXIT_OK;
}
