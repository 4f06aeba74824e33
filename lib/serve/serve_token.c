/* SPDX-License-Identifier: MIT */
/* Bearer tokens of yima serve: made once, kept as hashes, revoked by name. */
#include <string.h>
#include <sys/time.h>
#include <sodium.h>
#include "yima/serve.h"
#include "link/link_internal.h"

#define TOKEN_PREFIX "yima_"

static const char *const role_names[] = {NULL, "capture", "query", "admin"};

const char *yima_token_role_name(int role)
{
    return role >= YIMA_TOKEN_CAPTURE && role <= YIMA_TOKEN_ADMIN ? role_names[role] : "?";
}

int yima_token_role_parse(const char *name)
{
    for (int r = YIMA_TOKEN_CAPTURE; name && r <= YIMA_TOKEN_ADMIN; r++)
        if (!strcmp(name, role_names[r]))
            return r;
    return -1;
}

/* Names go into access logs and events' station field: keep them plain. */
static int check_name(const char *name, yima_err *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > YIMA_TOKEN_NAME_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "a token name has 1 to %d characters",
                            YIMA_TOKEN_NAME_MAX);
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return yima_err_set(err, YIMA_E_USAGE, "token name '%.64s' may hold only letters, "
                            "digits, '.', '_' and '-'", name);
    return YIMA_OK;
}

static void token_hash(const char *token, size_t len, unsigned char out[LK_HASH_BYTES])
{
    crypto_generichash(out, LK_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Inserts the row; YIMA_E_EXISTS when the name is taken (no row returned:
 * the insert did nothing). */
static int insert_token(yima_link *s, const char *name, int role,
                        const unsigned char hash[LK_HASH_BYTES], yima_err *err)
{
    lk_st *st;
    if (lk_prepare(s, "INSERT INTO tokens(name, role, hash, created) VALUES(?1, ?2, ?3, ?4) "
                   "ON CONFLICT(name) DO NOTHING RETURNING name", &st) != LK_OK)
        return lk_db_error(s, "adding a token", err);
    lk_bind_text(st, 1, name, -1);
    lk_bind_text(st, 2, yima_token_role_name(role), -1);
    lk_bind_blob(st, 3, hash, LK_HASH_BYTES);
    lk_bind_int64(st, 4, now_ms());
    int step = lk_step(st), rc = YIMA_OK;
    if (step == LK_DONE)
        rc = yima_err_set(err, YIMA_E_EXISTS, "%s: a token named '%s' exists (names are "
                          "never reused, revoked or not)", s->path, name);
    else if (step != LK_ROW)
        rc = lk_db_error(s, "adding a token", err);
    lk_finalize(st);
    return rc;
}

int yima_link_token_add(yima_link *s, const char *name, int role, char token[YIMA_TOKEN_TEXT],
                        yima_err *err)
{
    unsigned char raw[YIMA_TOKEN_BYTES], hash[LK_HASH_BYTES];
    const size_t prefix = sizeof TOKEN_PREFIX - 1;
    sodium_memzero(token, YIMA_TOKEN_TEXT);
    int rc = check_name(name, err);
    if (!rc && yima_token_role_parse(yima_token_role_name(role)) < 0)
        rc = yima_err_set(err, YIMA_E_USAGE, "token role %d is not capture, query or admin",
                          role);
    if (!rc && s->mode != YIMA_LINK_WRITE)
        rc = yima_err_set(err, YIMA_E_USAGE, "store opened read-only");
    if (rc)
        return rc;
    _Static_assert(YIMA_TOKEN_TEXT == sizeof TOKEN_PREFIX - 1 +
                   sodium_base64_ENCODED_LEN(YIMA_TOKEN_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   "YIMA_TOKEN_TEXT fits the token");
    randombytes_buf(raw, sizeof raw);
    memcpy(token, TOKEN_PREFIX, prefix);
    sodium_bin2base64(token + prefix, YIMA_TOKEN_TEXT - prefix, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    token_hash(token, strlen(token), hash);
    rc = lk_begin(s, err);
    rc = rc ? rc : insert_token(s, name, role, hash, err);
    rc = rc ? rc : lk_commit(s, err);
    if (rc) {
        lk_rollback(s);
        sodium_memzero(token, YIMA_TOKEN_TEXT);
    }
    return rc;
}

int yima_link_token_revoke(yima_link *s, const char *name, yima_err *err)
{
    lk_st *st;
    int rc = lk_begin(s, err);
    if (rc)
        return rc;
    if (lk_prepare(s, "UPDATE tokens SET revoked = 1 WHERE name = ?1 RETURNING name",
                   &st) != LK_OK) {
        rc = lk_db_error(s, "revoking a token", err);
        lk_rollback(s);
        return rc;
    }
    lk_bind_text(st, 1, name, -1);
    int step = lk_step(st);
    if (step == LK_DONE) /* no row changed */
        rc = yima_err_set(err, YIMA_E_USAGE, "%s: no token is named '%.64s'", s->path, name);
    else if (step != LK_ROW)
        rc = lk_db_error(s, "revoking a token", err);
    lk_finalize(st);
    rc = rc ? rc : lk_commit(s, err);
    if (rc)
        lk_rollback(s);
    return rc;
}

/* One row of SELECT name, role, created, revoked. */
static void read_token(lk_st *st, yima_link_token *t)
{
    snprintf(t->name, sizeof t->name, "%s", lk_column_text(st, 0));
    t->role = yima_token_role_parse(lk_column_text(st, 1));
    t->created_ms = lk_column_int64(st, 2);
    t->revoked = lk_column_int64(st, 3) != 0;
}

int yima_link_token_list(yima_link *s, yima_link_token_fn fn, void *ctx, yima_err *err)
{
    lk_st *st;
    yima_link_token t;
    int rc;
    if (lk_prepare(s, "SELECT name, role, created, revoked FROM tokens ORDER BY created, name",
                   &st) != LK_OK)
        return lk_db_error(s, "listing tokens", err);
    while ((rc = lk_step(st)) == LK_ROW) {
        read_token(st, &t);
        fn(ctx, &t);
    }
    lk_finalize(st);
    return rc == LK_DONE ? YIMA_OK : lk_db_error(s, "listing tokens", err);
}

int yima_link_token_check(yima_link *s, const char *token, size_t len, yima_link_token *who,
                          yima_err *err)
{
    unsigned char hash[LK_HASH_BYTES];
    lk_st *st;
    if (len != YIMA_TOKEN_TEXT - 1 || strncmp(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1))
        return yima_err_set(err, YIMA_E_DATA, "not a yima token");
    token_hash(token, len, hash);
    if (lk_prepare(s, "SELECT name, role, created, revoked, hash FROM tokens WHERE hash = ?1",
                   &st) != LK_OK)
        return lk_db_error(s, "checking a token", err);
    lk_bind_blob(st, 1, hash, sizeof hash);
    int step = lk_step(st), rc = YIMA_OK;
    /* The index found the row; the comparison that decides takes the same
     * time whatever the bytes. */
    if (step == LK_ROW && lk_column_bytes(st, 4) == LK_HASH_BYTES &&
        sodium_memcmp(lk_column_blob(st, 4), hash, LK_HASH_BYTES) == 0) {
        read_token(st, who);
        if (who->revoked)
            rc = yima_err_set(err, YIMA_E_DATA, "token '%s' is revoked", who->name);
    } else if (step == LK_ROW || step == LK_DONE) {
        rc = yima_err_set(err, YIMA_E_DATA, "unknown token");
    } else {
        rc = lk_db_error(s, "checking a token", err);
    }
    lk_finalize(st);
    return rc;
}
