/* SPDX-License-Identifier: MIT */
/* yima link: the aggregation store. Parses options and calls yima_link_*. */
#include <getopt.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "yima/link.h"

static const char help[] =
    "Usage: yima link -s STORE COMMAND [OPTIONS] [ARGS]\n"
    "Records which codes went into which case and pallet; see yima-link(1).\n"
    "\n"
    "Commands:\n"
    "  import [FILE...]                   apply line events (TSV or JSON lines; - is stdin)\n"
    "  commission CODE PRODUCT LOT [EXPIRY]\n"
    "  pack PARENT CHILD...               put children into a case or pallet\n"
    "  unpack PARENT [CHILD...]           take out the children named, or all\n"
    "  replace OLD NEW                    a new label takes over an old one's place\n"
    "  decommission CODE [REASON]\n"
    "  trace CODE                         chain up, contents down, history\n"
    "  stats                              counts by level and state, last event\n"
    "  export                             the event log as TSV or EPCIS 2.0 JSON-LD\n"
    "\n"
    "Options:\n"
    "  -s, --store FILE         the store (SQLite, WAL mode)              [Default: none]\n"
    "  -p, --public FILE        public key: verifies sig codes; repeatable [Default: none]\n"
    "  -k, --key FILE           secret key: verifies mac and none codes too [Default: none]\n"
    "  -t, --template TEXT      payload template with {code}            [Default: guess]\n"
    "      --pack N,M           items per case, cases per pallet        [Default: any]\n"
    "      --max                --pack counts are maxima                [Default: exact]\n"
    "      --move               PACK may take a child from another parent [Default: off]\n"
    "      --require-commissioned  children must be commissioned first  [Default: off]\n"
    "      --sync MODE          normal (batched commits) or full (fsync each event)\n"
    "                                                                   [Default: normal]\n"
    "      --batch N            events per commit with --sync normal    [Default: 100000]\n"
    "      --realtime, --bulk   apply each line as it arrives, or in blocks\n"
    "                                                 [Default: realtime if stdin is a pipe]\n"
    "      --rejects FILE       rejected events: LINE, reason, event    [Default: stderr]\n"
    "      --source NAME        event id prefix of lines without @id    [Default: file name]\n"
    "      --id ID              event id of a hand command              [Default: random]\n"
    "  -j, --threads N          threads verifying codes (0 = all cores) [Default: 0]\n"
    "      --json               trace and stats as JSON                 [Default: text]\n"
    "  -f, --format FMT         export format: tsv or epcis             [Default: tsv]\n"
    "  -o, --output FILE        export file, written atomically         [Default: stdout]\n"
    "      --force              replace an existing output file         [Default: off]\n"
    "      --from TIME          export events at or after TIME          [Default: all]\n"
    "      --to TIME            export events before TIME               [Default: all]\n"
    "      --lot LOT            export events touching this lot         [Default: all]\n"
    "      --subtree CODE       export events touching CODE or below    [Default: all]\n"
    "  -q, --quiet              no progress line                        [Default: off]\n"
    "  -h, --help               this help\n";

enum { O_PACK = 256, O_MAX, O_MOVE, O_REQ, O_SYNC, O_BATCH, O_RT, O_BULK, O_REJECTS, O_SOURCE,
       O_ID, O_JSON, O_FORCE, O_FROM, O_TO, O_LOT, O_SUBTREE };

static const struct option longopts[] = {
    {"store", 1, 0, 's'}, {"public", 1, 0, 'p'}, {"key", 1, 0, 'k'}, {"template", 1, 0, 't'},
    {"pack", 1, 0, O_PACK}, {"max", 0, 0, O_MAX}, {"move", 0, 0, O_MOVE},
    {"require-commissioned", 0, 0, O_REQ}, {"sync", 1, 0, O_SYNC}, {"batch", 1, 0, O_BATCH},
    {"realtime", 0, 0, O_RT}, {"bulk", 0, 0, O_BULK}, {"rejects", 1, 0, O_REJECTS},
    {"source", 1, 0, O_SOURCE}, {"id", 1, 0, O_ID}, {"threads", 1, 0, 'j'},
    {"json", 0, 0, O_JSON}, {"format", 1, 0, 'f'}, {"output", 1, 0, 'o'},
    {"force", 0, 0, O_FORCE}, {"from", 1, 0, O_FROM}, {"to", 1, 0, O_TO}, {"lot", 1, 0, O_LOT},
    {"subtree", 1, 0, O_SUBTREE}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};

typedef struct args {
    const char *store, *id;
    yima_keyring *ring;
    int nkeys, json, quiet;
    yima_link_import_options imp;
    yima_link_export_options exp;
} args;

static int add_key(args *a, const char *path, int secret)
{
    yima_key *key;
    yima_err err;
    int rc = secret ? yima_key_load_secret(&key, path, &err) : yima_key_load_public(&key, path, &err);
    if (!rc && (rc = yima_keyring_add(a->ring, key, &err)))
        yima_key_free(key);
    a->nkeys += !rc;
    return rc ? report_error("link", &err) : 0;
}

static int opt_time(const char *opt, const char *text, int64_t *ms)
{
    if (yima_link_parse_time(text, strlen(text), ms, NULL))
        return usage_error("link", "%s: '%s' is not a date or RFC 3339 time", opt, text);
    return 0;
}

static int parse_opt(void *ctx, int c, const char *v)
{
    args *a = ctx;
    uint64_t n, m;
    switch (c) {
    case 's': a->store = v; return 0;
    case 'p': case 'k': return add_key(a, v, c == 'k');
    case 't': a->imp.template_text = a->exp.template_text = v; return 0;
    case O_PACK:
        if (opt_pair("link", "--pack", v, ',', UINT32_MAX, &n, &m))
            return EXIT_USAGE;
        a->imp.rules.pack_case = n;
        a->imp.rules.pack_pallet = m;
        return 0;
    case O_MAX: a->imp.rules.capacity_max = 1; return 0;
    case O_MOVE: a->imp.rules.move = 1; return 0;
    case O_REQ: a->imp.rules.require_commissioned = 1; return 0;
    case O_SYNC:
        if (strcmp(v, "normal") && strcmp(v, "full"))
            return usage_error("link", "--sync: '%s' is not normal or full", v);
        a->imp.sync = !strcmp(v, "full") ? YIMA_LINK_SYNC_FULL : YIMA_LINK_SYNC_NORMAL;
        return 0;
    case O_BATCH: return opt_u64("link", "--batch", v, 1, 100000000, &a->imp.batch);
    case O_RT: case O_BULK: a->imp.realtime = c == O_RT; return 0;
    case O_REJECTS: a->imp.rejects = v; return 0;
    case O_SOURCE: a->imp.source = v; return 0;
    case O_ID: a->id = v; return 0;
    case 'j': return opt_threads("link", v, &a->imp.threads);
    case O_JSON: a->json = 1; return 0;
    case 'f':
        if (strcmp(v, "tsv") && strcmp(v, "epcis"))
            return usage_error("link", "--format: '%s' is not tsv or epcis", v);
        a->exp.format = !strcmp(v, "epcis") ? YIMA_LINK_EXPORT_EPCIS : YIMA_LINK_EXPORT_TSV;
        return 0;
    case 'o': a->exp.output = v; return 0;
    case O_FORCE: a->imp.force = a->exp.force = 1; return 0;
    case O_FROM: return opt_time("--from", v, &a->exp.time_from);
    case O_TO: return opt_time("--to", v, &a->exp.time_to);
    case O_LOT: a->exp.lot = v; return 0;
    case O_SUBTREE: a->exp.subtree = v; return 0;
    case 'q': a->quiet = 1; return 0;
    default: return usage_error("link", "unknown option");
    }
}

static int do_import(yima_link *s, args *a, char **files, int n)
{
    yima_link_summary sum;
    yima_err err;
    progress p;
    progress_init(&p, "lines", 0, a->quiet);
    a->imp.progress = progress_update;
    a->imp.progress_ctx = &p;
    int rc = yima_link_import(s, &a->imp, (const char *const *)files, n, &sum, &err);
    progress_end(&p);
    fprintf(stderr, "yima link: %llu events: %llu applied, %llu skipped (already in the store), "
            "%llu rejected\n", (unsigned long long)sum.events, (unsigned long long)sum.applied,
            (unsigned long long)sum.skipped, (unsigned long long)sum.rejected);
    if (rc)
        return report_error("link", &err);
    return sum.rejected ? EXIT_BAD : EXIT_OK;
}

static int run(yima_link *s, args *a, const char *cmd, char **rest, int n)
{
    yima_err err;
    int rc;
    if (!strcmp(cmd, "import"))
        return do_import(s, a, rest, n);
    if (!strcmp(cmd, "trace")) {
        if (n != 1)
            return usage_error("link", "trace takes one CODE");
        rc = yima_link_trace(s, rest[0], a->imp.template_text, a->json, stdout, &err);
        return rc == YIMA_E_DATA ? (report_error("link", &err), EXIT_BAD)
                                 : rc ? report_error("link", &err) : EXIT_OK;
    }
    if (!strcmp(cmd, "stats"))
        rc = yima_link_stats(s, a->json, stdout, &err);
    else if (!strcmp(cmd, "export"))
        rc = yima_link_export(s, &a->exp, NULL, &err);
    else {
        /* A hand command is one event: its name is the event type. */
        char *fields[n + 1];
        fields[0] = (char *)cmd;
        memcpy(fields + 1, rest, (size_t)n * sizeof *rest);
        rc = yima_link_apply(s, &a->imp, a->id, (const char *const *)fields, n + 1, &err);
        if (rc == YIMA_E_DATA)
            return report_error("link", &err), EXIT_BAD;
    }
    return rc ? report_error("link", &err) : EXIT_OK;
}

static int is_command(const char *c, int *writes)
{
    static const char *const cmds[] = {"import", "commission", "pack", "unpack", "replace",
                                       "decommission", "trace", "stats", "export"};
    for (int i = 0; i < 9; i++)
        if (!strcmp(c, cmds[i])) {
            *writes = i < 6;
            return 1;
        }
    return 0;
}

int cmd_link(int argc, char **argv)
{
    args a = {0};
    int rc = 0, writes = 0;
    yima_link *s = NULL;
    yima_err err;
    /* The process is ours: no global allocation statistics, whose lock
     * SQLite would otherwise take on every malloc and free. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    yima_link_import_options_init(&a.imp);
    yima_link_export_options_init(&a.exp);
    a.imp.threads = yima_cpu_count();
    a.ring = yima_keyring_create();
    int status = parse_options("link", argc, argv, "s:p:k:t:j:f:o:qh", longopts, help, parse_opt,
                               &a);
    if (status >= 0) {
        yima_keyring_free(a.ring);
        return status;
    }
    if (optind >= argc || !is_command(argv[optind], &writes))
        rc = usage_error("link", optind < argc ? "unknown command '%s'" : "no command%s",
                         optind < argc ? argv[optind] : "");
    else if (!a.store)
        rc = usage_error("link", "no store given (-s FILE)");
    else if (writes && !a.nkeys)
        rc = usage_error("link", "%s needs a key to verify codes (-p brand.pub or -k brand.key)",
                         argv[optind]);
    else if ((rc = yima_link_open(&s, a.store, writes ? YIMA_LINK_WRITE : YIMA_LINK_READ, &err)))
        rc = report_error("link", &err);
    if (!rc) {
        a.imp.ring = a.ring;
        rc = run(s, &a, argv[optind], argv + optind + 1, argc - optind - 1);
    }
    yima_link_close(s);
    yima_keyring_free(a.ring);
    return rc;
}
