/* SPDX-License-Identifier: MIT */
/*
 * yima serve: a link store over HTTP (libmicrohttpd), and the bearer tokens
 * that let clients in. Endpoints, roles and the access log are specified in
 * yima-serve(1).
 *
 * Tokens live in the store (table tokens, schema 7): a name, a role, when
 * it was made and whether it is revoked, and only the BLAKE2b-256 hash of
 * the token itself, which is shown once, when it is made.
 *
 * Thread safety: the token functions take a yima_link handle, which
 * belongs to one thread at a time (link.h). A server runs its own worker
 * threads, each with its own handle on the store; yima_serve_start and
 * yima_serve_stop are called from one thread.
 */
#ifndef YIMA_SERVE_H
#define YIMA_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"
#include "yima/link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a token may do. */
typedef enum {
    YIMA_TOKEN_CAPTURE = 1, /* send events (POST /events/tsv) */
    YIMA_TOKEN_QUERY = 2,   /* read the store (GET /trace/...) */
    YIMA_TOKEN_ADMIN = 3    /* both */
} yima_token_role;

/* Random bytes in a token. */
#define YIMA_TOKEN_BYTES 32
/* A token's text, "yima_" and its bytes in unpadded URL-safe base64 (43
 * characters), and its NUL. */
#define YIMA_TOKEN_TEXT 49
/* The longest token name: letters, digits, '.', '_' and '-'. */
#define YIMA_TOKEN_NAME_MAX 64

/* "capture", "query", "admin"; "?" for anything else. */
YIMA_API const char *yima_token_role_name(int role);
/* The role named (exact, lower case), or -1. */
YIMA_API int yima_token_role_parse(const char *name);

/* A token as the store lists it: never its hash. */
typedef struct yima_link_token {
    char name[YIMA_TOKEN_NAME_MAX + 1];
    int role;           /* yima_token_role */
    int64_t created_ms; /* ms since 1970 UTC */
    int revoked;        /* 1: refused from now on */
} yima_link_token;

/*
 * Makes a token named name with role, and writes its text into token (the
 * only copy there is: the store keeps its hash). The caller shows it once
 * and wipes it (sodium_memzero). The store must be open for writing.
 * Errors: YIMA_E_USAGE (a name that is empty, too long or holds other than
 * letters, digits, '.', '_', '-'; a role that is none), YIMA_E_EXISTS (a
 * token of that name exists, revoked or not: names are never reused, so a
 * log's name means one token), YIMA_E_STORE. token is wiped on failure.
 */
YIMA_API int yima_link_token_add(yima_link *store, const char *name, int role,
                                 char token[YIMA_TOKEN_TEXT], yima_err *err);

/* Revokes the token named: every later request with it is refused.
 * Revoking a revoked token is no error. YIMA_E_USAGE if there is no token
 * of that name; YIMA_E_STORE. */
YIMA_API int yima_link_token_revoke(yima_link *store, const char *name, yima_err *err);

/* Called once per token, oldest first; the pointer is valid during the call. */
typedef void (*yima_link_token_fn)(void *ctx, const yima_link_token *token);

/* Lists every token, revoked ones too. YIMA_E_STORE on failure. */
YIMA_API int yima_link_token_list(yima_link *store, yima_link_token_fn fn, void *ctx,
                                  yima_err *err);

/*
 * Whether token (its text, as a client sends it) is a live token of the
 * store: YIMA_OK with its name and role in *who, or YIMA_E_DATA (unknown,
 * malformed or revoked; err says which, for the server's own log only), or
 * YIMA_E_STORE. The token is looked up by its hash and the hashes compared
 * in constant time.
 */
YIMA_API int yima_link_token_check(yima_link *store, const char *token, size_t len,
                                   yima_link_token *who, yima_err *err)
    __attribute__((warn_unused_result));

/* One answered request, as the server reports it to on_access. Strings
 * are valid during the call. */
typedef struct yima_serve_access {
    int64_t time_ms;     /* when the request arrived, ms since 1970 UTC */
    const char *peer;    /* the client's address and port, "127.0.0.1:53412" */
    const char *method;  /* "GET" */
    const char *path;    /* as decoded, without the query; untrusted bytes */
    int status;          /* HTTP status sent, 0 if the client went away first */
    uint64_t bytes;      /* response body bytes */
    double ms;           /* from the request's headers to the end of the response */
    const char *token;   /* the name of the token that was accepted, or NULL (none,
                          * or refused); never the token */
} yima_serve_access;

/* Called once per request when it is done, from the server's worker
 * threads, possibly several at once: the callee serialises its output. */
typedef void (*yima_serve_access_fn)(void *ctx, const yima_serve_access *access);

typedef struct yima_serve_options {
    const char *store;   /* the store's path; opened for writing (created or
                          * upgraded) by yima_serve_start */
    const char *listen;  /* "HOST:PORT": an IPv4 address, [IPv6] or a host name;
                          * port 0 takes any free one [127.0.0.1:8080] */
    int allow_remote;    /* 0: without TLS, the address must be a loopback one,
                          * since tokens would cross the network in the clear [0] */
    /* TLS (libmicrohttpd's, GnuTLS): the certificate chain and its private
     * key, PEM files; both or neither [NULL: plain HTTP]. The key file must
     * be readable by its owner only (as ssh wants a key), and its bytes are
     * wiped once the server holds it. With TLS any address is allowed. */
    const char *tls_cert, *tls_key;
    int threads;         /* worker threads, each with its own store handle [1] */
    uint64_t max_body;   /* the largest request body taken, bytes; a longer one
                          * is answered 413 [1 MiB] */
    /* Capture: the keys (ring; NULL: capture is answered 503), payload
     * template and rules of an import; the template also serves trace. */
    yima_link_import_options import;
    yima_serve_access_fn on_access; /* each request, or NULL */
    void *access_ctx;
} yima_serve_options;

/* Fills the defaults shown in brackets above. */
YIMA_API void yima_serve_options_init(yima_serve_options *opt);

typedef struct yima_serve yima_serve;

/*
 * Opens the store and starts serving it on opt->listen with opt->threads
 * worker threads (libmicrohttpd's thread pool); returns once the socket
 * listens. opt and the strings and ring it points to are borrowed until
 * yima_serve_stop. Errors: YIMA_E_USAGE (a malformed address; one that is
 * not loopback without allow_remote or TLS; a TLS key file readable by
 * group or others, only one of tls_cert and tls_key, a certificate or key
 * that TLS cannot use: these messages begin "TLS"), YIMA_E_IO (cannot
 * listen there; cannot read a TLS file), and yima_link_open's. *out is set only on success.
 */
YIMA_API int yima_serve_start(yima_serve **out, const yima_serve_options *opt, yima_err *err);

/* The port the server listens on (the one picked when opt->listen named 0). */
YIMA_API int yima_serve_port(const yima_serve *srv);

/* Stops accepting connections, lets the requests in flight finish (for up
 * to drain_ms), then stops the workers, closes their store handles and
 * frees srv. NULL is accepted. */
YIMA_API void yima_serve_stop(yima_serve *srv, int drain_ms);

#ifdef __cplusplus
}
#endif
#endif
