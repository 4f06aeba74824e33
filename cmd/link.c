/* SPDX-License-Identifier: MIT */
/* yima link: the aggregation store. Parses options and calls yima_link_*. */
#include <getopt.h>
#include <pwd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "yima/gs1.h"
#include "yima/link.h"

/* The usage line and the options; the commands between them come from the
 * table at the end of this file. */
static const char help_usage[] =
    "Usage: yima link -s STORE COMMAND [OPTIONS] [ARGS]\n"
    "Records which codes went into which case and pallet; see yima-link(1).\n";

static const char help_options[] =
    "Options:\n"
    "  -s, --store STORE        the store: an SQLite file, or a PostgreSQL URL or\n"
    "                           key=value string                       [Default: none]\n"
    "  -p, --public FILE        public key: verifies sig codes; repeatable [Default: none]\n"
    "  -k, --key FILE           secret key: verifies mac and none codes too [Default: none]\n"
    "  -t, --template TEXT      payload template with {code}            [Default: guess]\n"
    "      --pack N,M           items per case, cases per pallet        [Default: any]\n"
    "      --max                --pack counts are maxima                [Default: exact]\n"
    "      --move               PACK may take a child from another parent [Default: off]\n"
    "      --require-commissioned  children must be commissioned first  [Default: off]\n"
    "      --require-plan       PACK must follow the plan (link plan)   [Default: off]\n"
    "      --commission         plan: commission every planned item too [Default: off]\n"
    "      --sync MODE          normal (batched commits) or full (fsync each event)\n"
    "                                                                   [Default: normal]\n"
    "      --batch N            events per commit with --sync normal    [Default: 100000]\n"
    "      --realtime, --bulk   apply each line as it arrives, or in blocks\n"
    "                                                 [Default: realtime if stdin is a pipe]\n"
    "      --rejects FILE       append rejected events: LINE, reason, event [Default: stderr]\n"
    "      --ack                import: print SOURCE:LINE and applied, skipped or rejected\n"
    "                           once each event is committed            [Default: off]\n"
    "      --source NAME        event id prefix of lines without @id    [Default: file name]\n"
    "      --id ID              event id of a hand command              [Default: random]\n"
    "  -j, --threads N          threads verifying codes (0 = all cores) [Default: 0]\n"
    "      --json               trace and stats as JSON                 [Default: text]\n"
    "      --checkpoint FILE    audit: the chain must hold this signed head [Default: none]\n"
    "  -f, --format FMT         export format: tsv or epcis             [Default: tsv]\n"
    "  -o, --output FILE        export file, written atomically         [Default: stdout]\n"
    "      --force              replace an existing output file; start --rejects afresh\n"
    "                                                                   [Default: off]\n"
    "      --tz OFFSET          UTC offset of times naming none (Z, +08:00)\n"
    "                                                   [Default: none, such times refused]\n"
    "      --from TIME          export events at or after TIME          [Default: all]\n"
    "      --from SRC           migrate: the store to copy (file or PostgreSQL URL)\n"
    "      --to TIME            export events before TIME               [Default: all]\n"
    "      --lot LOT            export events touching this lot         [Default: all]\n"
    "      --subtree CODE       export events touching CODE or below    [Default: all]\n"
    "      --after SEQ          export events the store applied after SEQ [Default: 0, all]\n"
    "      --last-seq FILE      export: write the last sequence number there\n"
    "                                                   [Default: print it on stderr]\n"
    "      --gcp-length N       GS1 company prefix length (6-12) of codes naming none:\n"
    "                           EPC URIs in EPCIS        [Default: the codes', else DL URIs]\n"
    "      --read-point SGLN    events' readPoint (urn:epc:id:sgln:...)  [Default: none]\n"
    "      --location SGLN      events' bizLocation (urn:epc:id:sgln:...) [Default: none]\n"
    "      --user NAME          who records events naming none (user=)\n"
    "                                                  [Default: the login name]\n"
    "      --station NAME       the station recording them (station=)\n"
    "                                                   [Default: the host name]\n"
    "  -q, --quiet              no progress line                        [Default: off]\n"
    "  -h, --help               this help\n";

enum { O_PACK = 256, O_MAX, O_MOVE, O_REQ, O_SYNC, O_BATCH, O_RT, O_BULK, O_REJECTS, O_SOURCE,
       O_ID, O_JSON, O_FORCE, O_FROM, O_TO, O_LOT, O_SUBTREE, O_GCP, O_READ_POINT,
       O_LOCATION, O_TZ, O_REQ_PLAN, O_COMMISSION, O_USER, O_STATION, O_CHECKPOINT, O_AFTER,
       O_LAST_SEQ, O_ACK };

static const struct option longopts[] = {
    {"store", 1, 0, 's'}, {"public", 1, 0, 'p'}, {"key", 1, 0, 'k'}, {"template", 1, 0, 't'},
    {"pack", 1, 0, O_PACK}, {"max", 0, 0, O_MAX}, {"move", 0, 0, O_MOVE},
    {"require-commissioned", 0, 0, O_REQ}, {"sync", 1, 0, O_SYNC}, {"batch", 1, 0, O_BATCH},
    {"realtime", 0, 0, O_RT}, {"bulk", 0, 0, O_BULK}, {"rejects", 1, 0, O_REJECTS},
    {"source", 1, 0, O_SOURCE}, {"id", 1, 0, O_ID}, {"threads", 1, 0, 'j'},
    {"json", 0, 0, O_JSON}, {"format", 1, 0, 'f'}, {"output", 1, 0, 'o'},
    {"force", 0, 0, O_FORCE}, {"from", 1, 0, O_FROM}, {"to", 1, 0, O_TO}, {"lot", 1, 0, O_LOT},
    {"subtree", 1, 0, O_SUBTREE}, {"gcp-length", 1, 0, O_GCP},
    {"read-point", 1, 0, O_READ_POINT}, {"location", 1, 0, O_LOCATION}, {"tz", 1, 0, O_TZ},
    {"require-plan", 0, 0, O_REQ_PLAN}, {"commission", 0, 0, O_COMMISSION},
    {"user", 1, 0, O_USER}, {"station", 1, 0, O_STATION}, {"checkpoint", 1, 0, O_CHECKPOINT},
    {"after", 1, 0, O_AFTER}, {"last-seq", 1, 0, O_LAST_SEQ}, {"ack", 0, 0, O_ACK},
    {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};

typedef struct args {
    const char *store, *id;
    const char *checkpoint; /* audit --checkpoint */
    int sign_id;            /* key id of the last -k: checkpoint signs with it */
    const char *from, *to;  /* export bounds, read once --tz is known */
    int tz;                 /* --tz in minutes, or YIMA_LINK_TZ_NONE */
    yima_keyring *ring;
    int nkeys, json, quiet, commission;
    char host[256];         /* the default station */
    yima_link_import_options imp;
    yima_link_export_options exp;
} args;

static int add_key(args *a, const char *path, int secret)
{
    int rc = load_key("link", a->ring, path, secret, secret ? &a->sign_id : NULL);
    a->nkeys += !rc;
    return rc;
}

/* --ack: a station reads, line by line, which of its events are kept. */
static void print_ack(void *ctx, const char *source, uint64_t line, yima_link_outcome o)
{
    static const char *const word[] = {"applied", "skipped", "rejected"};
    (void)ctx;
    printf("%s:%llu\t%s\n", source, (unsigned long long)line, word[o]);
}

/* An export bound; --tz gives the offset of one that names none. */
static int opt_time(const args *a, const char *opt, const char *text, int64_t *ms)
{
    yima_err err;
    if (text && yima_link_parse_time(text, strlen(text), a->tz, ms, NULL, &err))
        return usage_error("link", "%s: %s", opt, err.msg);
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
    case O_REQ_PLAN: a->imp.rules.require_plan = 1; return 0;
    case O_COMMISSION: a->commission = 1; return 0;
    case O_USER: case O_STATION:
        for (const char *ch = v; *ch; ch++)
            if ((unsigned char)*ch < 0x20 || *ch == 0x7f)
                return usage_error("link", "%s: a name may not hold a control character",
                                   c == O_USER ? "--user" : "--station");
        if (!*v)
            return usage_error("link", "%s: empty name", c == O_USER ? "--user" : "--station");
        *(c == O_USER ? &a->imp.user : &a->imp.station) = v;
        return 0;
    case O_SYNC:
        if (strcmp(v, "normal") && strcmp(v, "full"))
            return usage_error("link", "--sync: '%s' is not normal or full", v);
        a->imp.sync = !strcmp(v, "full") ? YIMA_LINK_SYNC_FULL : YIMA_LINK_SYNC_NORMAL;
        return 0;
    case O_BATCH: return opt_u64("link", "--batch", v, 1, 100000000, &a->imp.batch);
    case O_RT: case O_BULK: a->imp.realtime = c == O_RT; return 0;
    case O_REJECTS: a->imp.rejects = v; return 0;
    case O_ACK: a->imp.on_ack = print_ack; return 0;
    case O_SOURCE: a->imp.source = v; return 0;
    case O_ID: a->id = v; return 0;
    case O_CHECKPOINT: a->checkpoint = v; return 0;
    case 'j': return opt_threads("link", v, &a->imp.threads);
    case O_JSON: a->json = 1; return 0;
    case 'f':
        if (strcmp(v, "tsv") && strcmp(v, "epcis"))
            return usage_error("link", "--format: '%s' is not tsv or epcis", v);
        a->exp.format = !strcmp(v, "epcis") ? YIMA_LINK_EXPORT_EPCIS : YIMA_LINK_EXPORT_TSV;
        return 0;
    case 'o': a->exp.output = v; return 0;
    case O_FORCE: a->imp.force = a->exp.force = 1; return 0;
    case O_FROM: a->from = v; return 0;
    case O_TO: a->to = v; return 0;
    case O_TZ:
        if (yima_link_parse_tz(v, &a->tz))
            return usage_error("link", "--tz: '%s' is not a UTC offset (Z, +08:00, -05:30); "
                               "time zone names are not taken", v);
        a->imp.tz = v;
        return 0;
    case O_LOT: a->exp.lot = v; return 0;
    case O_SUBTREE: a->exp.subtree = v; return 0;
    case O_AFTER:
        if (opt_u64("link", "--after", v, 0, INT64_MAX, &n))
            return EXIT_USAGE;
        a->exp.after = (int64_t)n;
        return 0;
    case O_LAST_SEQ: a->exp.seq_output = v; return 0;
    case O_GCP:
        if (opt_u64("link", "--gcp-length", v, 6, 12, &n))
            return EXIT_USAGE;
        a->imp.gcp_len = a->exp.gcp_len = (int)n;
        return 0;
    case O_READ_POINT: case O_LOCATION:
        if (!yima_epc_sgln_valid(v))
            return usage_error("link", "%s: '%s' is not an SGLN EPC URI "
                               "(urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension)",
                               c == O_READ_POINT ? "--read-point" : "--location", v);
        *(c == O_READ_POINT ? &a->imp.read_point : &a->imp.location) = v;
        return 0;
    case 'q': a->quiet = 1; return 0;
    default: return usage_error("link", "unknown option");
    }
}

/* Refused events on stderr, unless --rejects takes them. */
static void print_reject(void *ctx, const yima_link_reject *r)
{
    (void)ctx;
    fprintf(stderr, "yima link: %s:%llu: rejected: %s\n", r->source,
            (unsigned long long)r->line, r->reason);
}

/* A refused hand event or an unknown code is a bad code (exit 1), not an
 * I/O or data error. */
static int data_error(int rc, const yima_err *err)
{
    if (rc == YIMA_E_DATA) {
        report_error("link", err);
        return EXIT_BAD;
    }
    return rc ? report_error("link", err) : EXIT_OK;
}

typedef struct link_command link_command;
typedef int (*link_fn)(yima_link *s, args *a, const link_command *c, char **argv, int argc);

static int do_import(yima_link *s, args *a, const link_command *c, char **files, int n)
{
    yima_link_summary sum;
    yima_err err;
    progress p;
    (void)c;
    progress_init(&p, "lines", 0, a->quiet);
    a->imp.progress = progress_update;
    a->imp.progress_ctx = &p;
    if (!a->imp.rejects)
        a->imp.on_reject = print_reject;
    if (a->imp.on_ack && a->imp.rejects && !strcmp(a->imp.rejects, "-"))
        return usage_error("link", "--ack and --rejects - would both write to stdout");
    if (a->imp.on_ack) /* each acknowledgement reaches the station as it is made */
        setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = yima_link_import(s, &a->imp, (const char *const *)files, n, &sum, &err);
    progress_end(&p);
    fprintf(stderr, "yima link: %llu events: %llu applied, %llu skipped (already in the store), "
            "%llu rejected\n", (unsigned long long)sum.events, (unsigned long long)sum.applied,
            (unsigned long long)sum.skipped, (unsigned long long)sum.rejected);
    if (rc)
        return report_error("link", &err);
    return sum.rejected ? EXIT_BAD : EXIT_OK;
}

/* The subcommands, in the order --help lists them. writes: opens the store
 * for writing and (W_KEYED) needs a key; min/max: argument counts (-1 any). */
enum { W_READ = 0, W_KEYED = 1, W_UNKEYED = 2 };
struct link_command {
    const char *name;
    link_fn fn;
    int writes, min, max;
    const char *args, *summary;
};

/* A hand command is one event: its name is the event type. */
static int do_event(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_err err;
    const char *fields[n + 1];
    fields[0] = c->name;
    memcpy(fields + 1, argv, (size_t)n * sizeof *argv);
    int rc = yima_link_apply(s, &a->imp, a->id, fields, n + 1, &err);
    /* The library names no options; the event id is ours to name. */
    if (rc == YIMA_E_USAGE && a->id && !strncmp(err.msg, "event id ", 9))
        return usage_error("link", "--id: %s", err.msg + 9);
    return data_error(rc, &err);
}

static int do_trace(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_err err;
    (void)c, (void)n;
    int rc = yima_link_trace(s, argv[0], a->imp.template_text, a->json, stdout, &err);
    return data_error(rc, &err);
}

static int do_stats(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_err err;
    (void)c, (void)argv, (void)n;
    return yima_link_stats(s, a->json, stdout, &err) ? report_error("link", &err) : EXIT_OK;
}

static int do_export(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_link_export_summary sum;
    yima_err err;
    (void)c, (void)argv, (void)n;
    int rc = yima_link_export(s, &a->exp, &sum, &err);
    /* The library names no options; the subtree root is ours to name. */
    if (rc == YIMA_E_USAGE && a->exp.subtree && !strncmp(err.msg, "subtree root: ", 14))
        return usage_error("link", "--subtree: %s", err.msg + 14);
    if (rc)
        return report_error("link", &err);
    if (!a->exp.seq_output) /* the feed's next --after */
        fprintf(stderr, "yima link: export: %llu events; last seq %lld\n",
                (unsigned long long)sum.events, (long long)sum.last_seq);
    return EXIT_OK;
}

/* The audit's verdict: the first break, named by seq and event id. */
static int audit_verdict(const yima_link_audit_report *r)
{
    static const char *const what[] = {"intact", "content", "link", "head", "checkpoint"};
    if (r->status == YIMA_LINK_AUDIT_INTACT)
        return EXIT_OK;
    fprintf(stderr, "yima link: audit: broken (%s) at seq %lld%s%s%s: %s\n", what[r->status],
            (long long)r->seq, r->id[0] ? ", event '" : "", r->id, r->id[0] ? "'" : "",
            r->detail);
    return EXIT_BAD;
}

static int do_audit(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_link_audit_report r;
    yima_err err;
    char head[65];
    (void)c, (void)argv, (void)n;
    if (a->checkpoint && !a->nkeys)
        return usage_error("link", "--checkpoint needs the signer's public key (-p FILE)");
    if (yima_link_audit(s, a->checkpoint, a->ring, &r, &err))
        return report_error("link", &err);
    sodium_bin2hex(head, sizeof head, r.head, sizeof r.head);
    fprintf(stderr, "yima link: audit: %llu events read; the chain holds up to seq %lld, "
            "head %s\n", (unsigned long long)r.events, (long long)r.head_seq, head);
    if (a->checkpoint && r.status == YIMA_LINK_AUDIT_INTACT)
        fprintf(stderr, "yima link: audit: the signed checkpoint at seq %lld holds\n",
                (long long)r.checkpoint_seq);
    return audit_verdict(&r);
}

/* Signs with the -k key (the last one given). */
static int do_checkpoint(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_link_audit_report r;
    yima_err err;
    char head[65];
    const yima_key *key = yima_keyring_find(a->ring, a->sign_id);
    (void)c, (void)argv, (void)n;
    while (key && !yima_key_has_secret(key))
        key = yima_keyring_next(key);
    if (!key)
        return usage_error("link", "checkpoint needs the station's secret key (-k FILE)");
    int rc = yima_link_checkpoint(s, key, a->exp.output, a->exp.force, &r, &err);
    if (rc)
        return rc == YIMA_E_DATA ? data_error(rc, &err) : report_error("link", &err);
    sodium_bin2hex(head, sizeof head, r.head, sizeof r.head);
    fprintf(stderr, "yima link: checkpoint: seq %lld head %s\n", (long long)r.head_seq, head);
    return EXIT_OK;
}

static int do_plan(yima_link *s, args *a, const link_command *c, char **files, int n)
{
    yima_link_plan_summary sum;
    yima_err err;
    (void)c;
    int rc = yima_link_plan(s, &a->imp, a->commission, (const char *const *)files, n, &sum,
                            &err);
    if (rc)
        return report_error("link", &err);
    fprintf(stderr, "yima link: plan: %llu rows, %llu codes planned into a container: %llu "
            "added, %llu already planned; %llu commissioned\n", (unsigned long long)sum.rows,
            (unsigned long long)sum.links, (unsigned long long)sum.added,
            (unsigned long long)sum.known, (unsigned long long)sum.commissioned);
    return EXIT_OK;
}

/* Copies --from into the store, which must hold nothing yet. */
static int do_migrate(yima_link *s, args *a, const link_command *c, char **argv, int n)
{
    yima_link_migrate_summary sum;
    yima_link *src = NULL;
    yima_err err;
    char head[65];
    (void)c, (void)argv, (void)n;
    if (!a->from)
        return usage_error("link", "migrate needs the store to copy (--from SRC)");
    int rc = yima_link_open(&src, a->from, YIMA_LINK_READ, &err);
    rc = rc ? rc : yima_link_migrate(s, src, &sum, &err);
    yima_link_close(src);
    if (rc)
        return report_error("link", &err);
    sodium_bin2hex(head, sizeof head, sum.head, sizeof sum.head);
    fprintf(stderr, "yima link: migrate: %llu tables, %llu rows (%llu events, %llu codes); "
            "the copy audits intact up to seq %lld, head %s\n", (unsigned long long)sum.tables,
            (unsigned long long)sum.rows, (unsigned long long)sum.events,
            (unsigned long long)sum.codes, (long long)sum.head_seq, head);
    return EXIT_OK;
}

static const link_command commands[] = {
    {"import", do_import, 1, 0, -1, "[FILE...]",
     "apply line events (TSV or JSON lines; - is stdin)"},
    {"commission", do_event, 1, 3, 4, "CODE PRODUCT LOT [EXPIRY]",
     "a code comes alive for a product and lot"},
    {"pack", do_event, 1, 2, -1, "PARENT CHILD...", "put children into a case or pallet"},
    {"unpack", do_event, 1, 1, -1, "PARENT [CHILD...]", "take out the children named, or all"},
    {"replace", do_event, 1, 2, 2, "OLD NEW", "a new label takes over an old one's place"},
    {"decommission", do_event, 1, 1, 2, "CODE [REASON]",
     "take a code out of use, for a CBV reason"},
    {"ship", do_event, 1, 4, 4, "CODE PARTY SHIP-TO SHIPMENT",
     "a loose code leaves, sealed, for a party and place"},
    {"receive", do_event, 1, 1, 1, "CODE", "a shipped code arrives: unsealed"},
    {"return", do_event, 1, 1, 1, "CODE", "a shipped code comes back: unsealed"},
    {"plan", do_plan, 1, 1, -1, "FILE...", "load gen --pack's hierarchy as the packing plan"},
    {"trace", do_trace, 0, 1, 1, "CODE", "chain up, contents down, history"},
    {"stats", do_stats, 0, 0, 0, "", "counts by level and state, last event"},
    {"export", do_export, 0, 0, 0, "", "the event log as TSV or EPCIS 2.0 JSON-LD"},
    {"audit", do_audit, 0, 0, 0, "", "recompute the hash chain; report the first break"},
    {"checkpoint", do_checkpoint, 0, 0, 0, "", "sign the chain's head (-k) into -o FILE"},
    {"migrate", do_migrate, W_UNKEYED, 0, 0, "--from SRC",
     "copy store SRC (SQLite or PostgreSQL) into a new one"},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static const link_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return &commands[i];
    return NULL;
}

/* Usage, the command table, then the options. */
static void build_help(char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s\nCommands:\n", help_usage);
    for (size_t i = 0; i < NCOMMANDS && n < size; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", commands[i].name, commands[i].args);
        if (strlen(head) > 34) /* the summary goes under it */
            n += (size_t)snprintf(out + n, size - n, "  %s\n%37s", head, "");
        else
            n += (size_t)snprintf(out + n, size - n, "  %-35s", head);
        if (n < size)
            n += (size_t)snprintf(out + n, size - n, "%s\n", commands[i].summary);
    }
    if (n < size)
        snprintf(out + n, size - n, "\n%s", help_options);
}

/* The command named on the command line, checked against its arguments,
 * the store and the keys; NULL after printing a usage error. */
static const link_command *pick_command(const args *a, int argc, char **argv)
{
    if (optind >= argc) {
        usage_error("link", "no command");
        return NULL;
    }
    const link_command *c = find_command(argv[optind]);
    int n = argc - optind - 1;
    if (!c)
        usage_error("link", "unknown command '%s'", argv[optind]);
    else if (c->max == 0 && n > 0)
        usage_error("link", "%s takes no arguments", c->name);
    else if (n < c->min || (c->max >= 0 && n > c->max))
        usage_error("link", "%s takes %s (too %s arguments)", c->name, c->args,
                    n < c->min ? "few" : "many");
    else if (!a->store)
        usage_error("link", "no store given (-s FILE)");
    else if (c->writes == W_KEYED && !a->nkeys)
        usage_error("link", "%s needs a key to verify codes (-p brand.pub or -k brand.key)",
                    c->name);
    else
        return c;
    return NULL;
}

/* Who and where, unless --user and --station say: the login name and the
 * host name, so that every event records both. */
static void default_who_where(args *a)
{
    struct passwd *pw = a->imp.user ? NULL : getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        a->imp.user = pw->pw_name;
    if (!a->imp.station && gethostname(a->host, sizeof a->host - 1) == 0 && a->host[0])
        a->imp.station = a->host;
}

int cmd_link(int argc, char **argv)
{
    args a = {0};
    int rc;
    yima_link *s = NULL;
    yima_err err;
    char help[8192];
    build_help(help, sizeof help);
    /* The process is ours: no global allocation statistics, whose lock
     * SQLite would otherwise take on every malloc and free. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    yima_link_import_options_init(&a.imp);
    yima_link_export_options_init(&a.exp);
    a.imp.threads = yima_cpu_count();
    a.ring = yima_keyring_create();
    a.tz = YIMA_LINK_TZ_NONE;
    rc = parse_options("link", argc, argv, "s:p:k:t:j:f:o:qh", longopts, help, parse_opt, &a);
    /* migrate's --from is a store, not a time. */
    int migrating = rc < 0 && optind < argc && !strcmp(argv[optind], "migrate");
    if (rc < 0 && !migrating && (opt_time(&a, "--from", a.from, &a.exp.time_from) ||
                   opt_time(&a, "--to", a.to, &a.exp.time_to)))
        rc = EXIT_USAGE;
    if (rc < 0)
        default_who_where(&a);
    if (rc < 0) {
        const link_command *c = pick_command(&a, argc, argv);
        if (!c)
            rc = EXIT_USAGE;
        else if ((rc = yima_link_open(&s, a.store, c->writes ? YIMA_LINK_WRITE : YIMA_LINK_READ,
                                      &err)))
            rc = report_error("link", &err);
        else {
            a.imp.ring = a.ring;
            rc = c->fn(s, &a, c, argv + optind + 1, argc - optind - 1);
        }
    }
    yima_link_close(s);
    yima_keyring_free(a.ring);
    return rc;
}
