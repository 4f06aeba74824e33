/* SPDX-License-Identifier: MIT */
/* yima serve: a link store over HTTP, and its bearer tokens. Parses options
 * and calls yima_serve_* and yima_link_token_*. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include "common.h"
#include "yima/serve.h"

static const char help_text[] =
    "Usage: yima serve -s STORE [OPTIONS] [token COMMAND [ARGS]]\n"
    "Serves a link store over HTTP to holders of bearer tokens; see yima-serve(1).\n"
    "\n"
    "Token commands:\n"
    "  token add --role ROLE NAME   make a token (capture, query or admin); print it once\n"
    "  token list                   names, roles, when made, revoked\n"
    "  token revoke NAME            refuse the token from now on\n"
    "\n"
    "Options:\n"
    "  -s, --store FILE         the store (SQLite)                      [Default: none]\n"
    "      --listen HOST:PORT   where to serve (port 0: any free one)\n"
    "                                                           [Default: 127.0.0.1:8080]\n"
    "      --tls-cert FILE      serve HTTPS: the certificate chain (PEM) [Default: none]\n"
    "      --tls-key FILE       its private key (PEM, mode 600); with TLS any --listen\n"
    "                           address is allowed                      [Default: none]\n"
    "      --insecure           allow a non-loopback --listen address without TLS\n"
    "                                                                   [Default: off]\n"
    "  -j, --threads N          worker threads (0 = all cores)          [Default: 0]\n"
    "      --max-body BYTES     largest request body; larger gets 413   [Default: 1048576]\n"
    "  -t, --template TEXT      payload template with {code}            [Default: the store's]\n"
    "  -p, --public FILE        capture: public key verifying sig codes; repeatable\n"
    "                                                    [Default: none, capture refused]\n"
    "  -k, --key FILE           capture: secret key, verifies mac and none codes too\n"
    "                                                                   [Default: none]\n"
    "      --pack N,M           capture: items per case, cases per pallet [Default: any]\n"
    "      --max                capture: --pack counts are maxima       [Default: exact]\n"
    "      --move               capture: PACK may take a child from another parent\n"
    "                                                                   [Default: off]\n"
    "      --require-commissioned  capture: children must be commissioned first\n"
    "                                                                   [Default: off]\n"
    "      --role ROLE          token add: capture, query or admin      [Default: none]\n"
    "  -h, --help               this help\n";

/* How long a stop waits for the requests in flight. */
#define DRAIN_MS 30000

enum { O_ROLE = 256, O_LISTEN, O_INSECURE, O_MAX_BODY, O_PACK, O_MAX, O_MOVE, O_REQ, O_CERT,
       O_TLS_KEY };

static const struct option longopts[] = {
    {"store", 1, 0, 's'}, {"listen", 1, 0, O_LISTEN}, {"insecure", 0, 0, O_INSECURE},
    {"threads", 1, 0, 'j'}, {"max-body", 1, 0, O_MAX_BODY}, {"template", 1, 0, 't'},
    {"public", 1, 0, 'p'}, {"key", 1, 0, 'k'}, {"pack", 1, 0, O_PACK}, {"max", 0, 0, O_MAX},
    {"move", 0, 0, O_MOVE}, {"require-commissioned", 0, 0, O_REQ},
    {"role", 1, 0, O_ROLE}, {"tls-cert", 1, 0, O_CERT}, {"tls-key", 1, 0, O_TLS_KEY},
    {"help", 0, 0, 'h'}, {0, 0, 0, 0}};

typedef struct args {
    const char *store;
    int role; /* token add; -1 none given */
    yima_serve_options srv;
    yima_keyring *ring;     /* capture's keys */
    int nkeys;
} args;

static int add_key(args *a, const char *path, int secret)
{
    int rc = load_key("serve", a->ring, path, secret, NULL);
    a->nkeys += !rc;
    return rc;
}

static int parse_opt(void *ctx, int c, const char *v)
{
    args *a = ctx;
    switch (c) {
    case 's': a->store = a->srv.store = v; return 0;
    case O_LISTEN: a->srv.listen = v; return 0;
    case O_INSECURE: a->srv.allow_remote = 1; return 0;
    case O_CERT: a->srv.tls_cert = v; return 0;
    case O_TLS_KEY: a->srv.tls_key = v; return 0;
    case 'j': return opt_threads("serve", v, &a->srv.threads);
    case O_MAX_BODY: return opt_u64("serve", "--max-body", v, 1, 1u << 30, &a->srv.max_body);
    case 't': a->srv.import.template_text = v; return 0;
    case 'p': case 'k': return add_key(a, v, c == 'k');
    case O_PACK: {
        uint64_t n, m;
        if (opt_pair("serve", "--pack", v, ',', UINT32_MAX, &n, &m))
            return EXIT_USAGE;
        a->srv.import.rules.pack_case = n;
        a->srv.import.rules.pack_pallet = m;
        return 0;
    }
    case O_MAX: a->srv.import.rules.capacity_max = 1; return 0;
    case O_MOVE: a->srv.import.rules.move = 1; return 0;
    case O_REQ: a->srv.import.rules.require_commissioned = 1; return 0;
    case O_ROLE:
        if ((a->role = yima_token_role_parse(v)) < 0)
            return usage_error("serve", "--role: '%s' is not capture, query or admin", v);
        return 0;
    default: return usage_error("serve", "unknown option");
    }
}

/* A token subcommand: writes (opens the store for writing), argument count. */
typedef struct token_command {
    const char *name;
    int (*fn)(yima_link *s, const args *a, char **argv);
    int writes, nargs;
} token_command;

static int token_add(yima_link *s, const args *a, char **argv)
{
    char token[YIMA_TOKEN_TEXT];
    yima_err err;
    if (a->role < 0)
        return usage_error("serve", "token add needs --role capture, query or admin");
    int rc = yima_link_token_add(s, argv[0], a->role, token, &err);
    if (rc == YIMA_E_EXISTS || rc == YIMA_E_USAGE)
        return usage_error("serve", "token add: %s", err.msg);
    if (rc)
        return report_error("serve", &err);
    /* The only time the token is shown: the store keeps its hash. */
    printf("%s\n", token);
    sodium_memzero(token, sizeof token);
    fprintf(stderr, "yima serve: token '%s' (%s) made; it is shown this once\n", argv[0],
            yima_token_role_name(a->role));
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}

/* ms since 1970 as UTC text, to the second: "2026-12-07T00:45:58". */
static void utc_seconds(int64_t ms, char out[32])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void print_token(void *ctx, const yima_link_token *t)
{
    char when[32];
    (void)ctx;
    utc_seconds(t->created_ms, when);
    printf("%s\t%s\t%sZ\t%s\n", t->name, yima_token_role_name(t->role), when,
           t->revoked ? "revoked" : "live");
}

static int token_list(yima_link *s, const args *a, char **argv)
{
    yima_err err;
    (void)a, (void)argv;
    printf("name\trole\tcreated\tstatus\n");
    return yima_link_token_list(s, print_token, NULL, &err) ? report_error("serve", &err)
                                                             : EXIT_OK;
}

static int token_revoke(yima_link *s, const args *a, char **argv)
{
    yima_err err;
    (void)a;
    int rc = yima_link_token_revoke(s, argv[0], &err);
    if (rc == YIMA_E_USAGE)
        return usage_error("serve", "token revoke: %s", err.msg);
    if (rc)
        return report_error("serve", &err);
    fprintf(stderr, "yima serve: token '%s' revoked\n", argv[0]);
    return EXIT_OK;
}

static const token_command token_commands[] = {
    {"add", token_add, 1, 1},
    {"list", token_list, 0, 0},
    {"revoke", token_revoke, 1, 1},
};

/* yima serve -s STORE token COMMAND [ARGS]: argv[0] is "token". */
static int run_token(const args *a, int argc, char **argv)
{
    const token_command *c = NULL;
    yima_link *s;
    yima_err err;
    for (size_t i = 0; argc > 1 && i < sizeof token_commands / sizeof *token_commands; i++)
        if (!strcmp(argv[1], token_commands[i].name))
            c = &token_commands[i];
    if (!c)
        return usage_error("serve", argc > 1 ? "unknown token command '%s'"
                                             : "token needs a command: add, list or revoke%s",
                           argc > 1 ? argv[1] : "");
    if (argc - 2 != c->nargs)
        return usage_error("serve", "token %s takes %s", c->name, c->nargs ? "NAME" : "no "
                           "arguments");
    if (yima_link_open(&s, a->store, c->writes ? YIMA_LINK_WRITE : YIMA_LINK_READ, &err))
        return report_error("serve", &err);
    int rc = c->fn(s, a, argv + 2);
    yima_link_close(s);
    return rc;
}

/* Path bytes a log line cannot hold as they are (spaces, quotes, controls,
 * '%' itself) as %XX, so one request stays one line of key=value fields. */
static void log_escaped(FILE *to, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '%' || c == '"' || c == '\\')
            fprintf(to, "%%%02X", c);
        else
            fputc(c, to);
    }
}

/* One access log line (logfmt), written whole: flockfile keeps the
 * workers' lines apart. */
static void print_access(void *ctx, const yima_serve_access *x)
{
    char when[32];
    (void)ctx;
    utc_seconds(x->time_ms, when);
    flockfile(stderr);
    fprintf(stderr, "time=%s.%03dZ peer=%s method=", when, (int)(x->time_ms % 1000), x->peer);
    log_escaped(stderr, x->method);
    fprintf(stderr, " path=");
    log_escaped(stderr, x->path);
    fprintf(stderr, " status=%d bytes=%llu ms=%.3f token=%s\n", x->status,
            (unsigned long long)x->bytes, x->ms, x->token ? x->token : "-");
    funlockfile(stderr);
}

/* Serves until SIGTERM or SIGINT, then drains and exits 0. */
static int run_server(args *a)
{
    yima_serve *srv;
    yima_err err;
    sigset_t stop;
    int sig;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    /* Blocked before the workers start, so they inherit the mask and the
     * signal waits for sigwait here. */
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    a->srv.on_access = print_access;
    if (!a->srv.tls_cert != !a->srv.tls_key)
        return usage_error("serve", "--tls-cert and --tls-key go together");
    int rc = yima_serve_start(&srv, &a->srv, &err);
    if (rc == YIMA_E_USAGE && !strncmp(err.msg, "TLS", 3))
        return usage_error("serve", "%s", err.msg);
    if (rc == YIMA_E_USAGE && strstr(err.msg, "not a loopback"))
        return usage_error("serve", "--listen: %s; --insecure allows it", err.msg);
    if (rc == YIMA_E_USAGE)
        return usage_error("serve", "--listen: %s", err.msg);
    if (rc)
        return report_error("serve", &err);
    /* The host as given, the port as bound (--listen HOST:0 picks one). */
    fprintf(stderr, "yima serve: listening on http%s://%.*s:%d/ with %d threads (%s)\n",
            a->srv.tls_key ? "s" : "", (int)(strrchr(a->srv.listen, ':') - a->srv.listen),
            a->srv.listen, yima_serve_port(srv), a->srv.threads,
            a->srv.tls_key ? "TLS" : "plain HTTP");
    sigwait(&stop, &sig);
    fprintf(stderr, "yima serve: %s: finishing the requests in flight\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    yima_serve_stop(srv, DRAIN_MS);
    fprintf(stderr, "yima serve: stopped\n");
    return EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    args a = {.role = -1};
    yima_serve_options_init(&a.srv);
    a.srv.threads = yima_cpu_count();
    a.ring = yima_keyring_create();
    int rc = parse_options("serve", argc, argv, "s:j:t:p:k:h", longopts, help_text, parse_opt,
                           &a);
    if (rc < 0 && !a.store)
        rc = usage_error("serve", "no store given (-s FILE)");
    else if (rc < 0 && optind < argc && !strcmp(argv[optind], "token"))
        rc = run_token(&a, argc - optind, argv + optind);
    else if (rc < 0 && optind < argc)
        rc = usage_error("serve", "unknown command '%s'", argv[optind]);
    else if (rc < 0) {
        a.srv.import.ring = a.nkeys ? a.ring : NULL; /* no keys: capture answers 503 */
        rc = run_server(&a);
    }
    yima_keyring_free(a.ring);
    return rc;
}
