/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "internal.h"
#include "io.h"

#define SECRET_MAGIC "yima-secret-key 1"
#define PUBLIC_MAGIC "yima-public-key 1"
#define SCOPED_MAGIC "yima-scoped-key 1"
#define KEY_FILE_MAX (64 * 1024)

static int is_hex_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return n >= 32;
}

int yima_key_text_line(const char *s, size_t n)
{
    static const char *const magic[] = {SECRET_MAGIC, PUBLIC_MAGIC, SCOPED_MAGIC};
    static const char *const fields[] = {"seed ", "perm ", "inner ", "batch ", "ed25519 "};
    for (int i = 0; i < 3; i++)
        if (n >= 15 && memcmp(s, magic[i], 15) == 0)
            return 1;
    const char *last = memrchr(s, ' ', n);
    if (!last || !is_hex_word(last + 1, (size_t)(s + n - last - 1)))
        return 0;
    for (int i = 0; i < 5; i++)
        if (n > strlen(fields[i]) && memcmp(s, fields[i], strlen(fields[i])) == 0)
            return 1;
    return 0;
}

static int write_key_file(const char *path, const char *text, int force, int secret,
                          yima_err *err)
{
    yima_out *out;
    int rc = yima_out_open(&out, path, force, secret, err);
    if (rc)
        return rc;
    rc = yima_out_write(out, text, strlen(text), err);
    if (rc) {
        yima_out_abort(out);
        return rc;
    }
    return yima_out_commit(out, NULL, err);
}

static int save_public(const yima_key *key, const char *base, int force, yima_err *err)
{
    char path[4096], text[256], hex[65];
    snprintf(path, sizeof path, "%s.pub", base);
    sodium_bin2hex(hex, sizeof hex, key->sign_pk, 32);
    snprintf(text, sizeof text, PUBLIC_MAGIC "\nid %d\ned25519 %s\n", key->id, hex);
    return write_key_file(path, text, force, 0, err);
}

/* A key file's text in sodium_malloc memory, so no copy of a secret is left
 * behind in freed heap. */
typedef struct key_text {
    char *p;
    size_t len, cap;
} key_text;

static void kt_line(key_text *t, const char *name, const unsigned char *bin, size_t n)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, bin, n);
    t->len += (size_t)snprintf(t->p + t->len, t->cap - t->len, "%s %s\n", name, hex);
    sodium_memzero(hex, sizeof hex);
}

static void secret_text(const yima_key *key, key_text *t)
{
    char name[32];
    t->len = (size_t)snprintf(t->p, t->cap, "%s\nid %d\n",
                              key->has_secret ? SECRET_MAGIC : SCOPED_MAGIC, key->id);
    if (key->has_secret) {
        kt_line(t, "seed", key->seed, 32);
        return;
    }
    kt_line(t, "ed25519", key->sign_pk, 32);
    kt_line(t, "perm", key->perm_key, YIMA_SIPHASH_KEY);
    kt_line(t, "inner", key->inner_key, YIMA_SIPHASH_KEY);
    for (size_t i = 0; i < key->nscope; i++) {
        snprintf(name, sizeof name, "batch %u", (unsigned)key->scope[i].batch);
        kt_line(t, name, key->scope[i].key, YIMA_SIPHASH_KEY);
    }
}

int yima_key_save(const yima_key *key, const char *base, int force, yima_err *err)
{
    char path[4096];
    if (!key->has_perm)
        return yima_err_set(err, YIMA_E_KEY_NEED, "cannot save a public key as a key pair");
    if (snprintf(path, sizeof path, "%s.key", base) >= (int)sizeof path)
        return yima_err_set(err, YIMA_E_USAGE, "key path too long");
    key_text t = {.cap = 256 + key->nscope * 64};
    if (!(t.p = sodium_malloc(t.cap)))
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for key file");
    secret_text(key, &t);
    int rc = write_key_file(path, t.p, force, 1, err);
    sodium_free(t.p);
    if (rc || !key->has_secret)
        return rc;
    return save_public(key, base, force, err);
}

/* Reads a small key file into buf (NUL-terminated) and reports its mode. */
static int read_key_file(const char *path, char *buf, size_t cap, unsigned *mode, yima_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yima_err_set(err, YIMA_E_KEY, "%s: cannot open key: %s", path, strerror(errno));
    struct stat st;
    *mode = fstat(fd, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0777;
    ssize_t n = read(fd, buf, cap - 1);
    int saved = errno;
    close(fd);
    if (n < 0)
        return yima_err_set(err, YIMA_E_KEY, "%s: %s", path, strerror(saved));
    if ((size_t)n == cap - 1)
        return yima_err_set(err, YIMA_E_KEY, "%s: too large to be a yima key", path);
    buf[n] = '\0';
    return YIMA_OK;
}

/* A secret that group or others can read is refused: it may already be copied. */
static int check_secret_mode(const char *path, unsigned mode, yima_err *err)
{
    if (!(mode & 077))
        return YIMA_OK;
    return yima_err_set(err, YIMA_E_KEY_PERM,
                        "%s: secret key has mode %04o, readable by group or others; "
                        "run 'chmod 600 %s'",
                        path, mode, path);
}

/* Finds "name value" on its own line; returns the value's length or -1. */
static int key_field(const char *text, const char *name, const char **value)
{
    size_t nlen = strlen(name);
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
        if (strncmp(line, name, nlen) == 0 && line[nlen] == ' ') {
            *value = line + nlen + 1;
            return (int)strcspn(*value, "\r\n");
        }
    }
    return -1;
}

static int parse_key_id(const char *text, const char *path, int *id, yima_err *err)
{
    const char *v;
    uint64_t n;
    int len = key_field(text, "id", &v);
    char tmp[8];
    if (len <= 0 || len >= (int)sizeof tmp)
        return yima_err_set(err, YIMA_E_KEY, "%s: missing or bad 'id' line", path);
    memcpy(tmp, v, (size_t)len);
    tmp[len] = '\0';
    if (yima_parse_u64(tmp, YIMA_KEY_ID_MAX, &n))
        return yima_err_set(err, YIMA_E_KEY, "%s: key id '%s' is not 0..%d", path, tmp,
                            YIMA_KEY_ID_MAX);
    *id = (int)n;
    return YIMA_OK;
}

/* "name <2n hex digits>" into bin[n]. */
static int parse_hex(const char *text, const char *name, const char *path, unsigned char *bin,
                     size_t n, yima_err *err)
{
    const char *v;
    size_t got = 0;
    int len = key_field(text, name, &v);
    if (len != (int)(2 * n) || sodium_hex2bin(bin, n, v, 2 * n, NULL, &got, NULL) != 0 ||
        got != n)
        return yima_err_set(err, YIMA_E_KEY, "%s: expected '%s' and %zu hex digits", path, name,
                            2 * n);
    return YIMA_OK;
}

/* One "batch B <32 hex>" line of a scoped key file (line starts after
 * "batch "); lineno names it in errors. */
static int parse_batch_line(yima_key *key, const char *line, unsigned lineno, const char *path,
                            yima_err *err)
{
    char num[16];
    uint64_t batch;
    size_t got = 0, nlen = strcspn(line, " \r\n");
    const char *hex = line + nlen + 1;
    if (key->nscope == YIMA_SCOPE_MAX)
        return yima_err_set(err, YIMA_E_KEY, "%s:%u: more than %d batches", path, lineno,
                            YIMA_SCOPE_MAX);
    if (nlen == 0 || nlen >= sizeof num || line[nlen] != ' ')
        return yima_err_set(err, YIMA_E_KEY, "%s:%u: expected 'batch N <32 hex digits>'", path,
                            lineno);
    memcpy(num, line, nlen);
    num[nlen] = '\0';
    yima_batch_key *bk = &key->scope[key->nscope];
    if (yima_parse_u64(num, UINT32_MAX, &batch) || strcspn(hex, "\r\n") != 32 ||
        sodium_hex2bin(bk->key, YIMA_SIPHASH_KEY, hex, 32, NULL, &got, NULL) != 0 ||
        got != YIMA_SIPHASH_KEY)
        return yima_err_set(err, YIMA_E_KEY, "%s:%u: expected 'batch N <32 hex digits>'", path,
                            lineno);
    for (size_t i = 0; i < key->nscope; i++)
        if (key->scope[i].batch == batch)
            return yima_err_set(err, YIMA_E_KEY, "%s:%u: batch %s is listed twice", path, lineno,
                                num);
    bk->batch = (uint32_t)batch;
    key->nscope++;
    return YIMA_OK;
}

static int parse_scope(yima_key *key, const char *text, const char *path, yima_err *err)
{
    int rc = YIMA_OK;
    unsigned lineno = 1;
    for (const char *line = text; *line && !rc; lineno++) {
        if (strncmp(line, "batch ", 6) == 0)
            rc = parse_batch_line(key, line + 6, lineno, path, err);
        line += strcspn(line, "\n");
        line += *line == '\n';
    }
    if (!rc && key->nscope == 0)
        rc = yima_err_set(err, YIMA_E_KEY, "%s: a scoped key without any 'batch' line", path);
    yima_key_scope_sort(key);
    return rc;
}

typedef enum { KF_SECRET, KF_SCOPED, KF_PUBLIC, KF_OTHER } key_kind;

/* The kind named by line 1 (a CR before its newline is accepted). */
static key_kind kind_of(const char *text)
{
    static const char *const magic[] = {SECRET_MAGIC, SCOPED_MAGIC, PUBLIC_MAGIC};
    for (int k = KF_SECRET; k < KF_OTHER; k++) {
        size_t n = strlen(magic[k]);
        if (strncmp(text, magic[k], n) == 0 &&
            (text[n] == '\n' || (text[n] == '\r' && text[n + 1] == '\n')))
            return (key_kind)k;
    }
    return KF_OTHER;
}

/* Parses a key file of any kind; public_only keeps just id and public key. */
static int parse_key_text(yima_key *key, key_kind kind, const char *text, const char *path,
                          int public_only, yima_err *err)
{
    int id = 0, rc = parse_key_id(text, path, &id, err);
    if (rc)
        return rc;
    key->id = id;
    if (kind == KF_SECRET) {
        if ((rc = parse_hex(text, "seed", path, key->seed, 32, err)))
            return rc;
        yima_key_derive(key);
        if (public_only) { /* keep the public key and id, wipe the rest */
            unsigned char pk[32];
            memcpy(pk, key->sign_pk, sizeof pk);
            sodium_memzero(key, sizeof *key);
            memcpy(key->sign_pk, pk, sizeof pk);
            key->id = id;
        }
        return YIMA_OK;
    }
    if ((rc = parse_hex(text, "ed25519", path, key->sign_pk, 32, err)) || kind == KF_PUBLIC ||
        public_only)
        return rc;
    key->has_perm = 1;
    if (!(rc = parse_hex(text, "perm", path, key->perm_key, YIMA_SIPHASH_KEY, err)) &&
        !(rc = parse_hex(text, "inner", path, key->inner_key, YIMA_SIPHASH_KEY, err)))
        rc = parse_scope(key, text, path, err);
    return rc;
}

/* Reads, checks and parses a key file. want_secret refuses public files and
 * loose modes; otherwise the result is the public half. */
static int load_key(yima_key **out, const char *path, int want_secret, yima_err *err)
{
    char text[KEY_FILE_MAX];
    unsigned mode;
    yima_key *key = NULL;
    int rc = read_key_file(path, text, sizeof text, &mode, err);
    key_kind kind = rc ? KF_OTHER : kind_of(text);
    if (!rc && kind == KF_OTHER)
        rc = yima_err_set(err, YIMA_E_KEY, "%s:1: not a yima key (expected '%s')", path,
                          want_secret ? SECRET_MAGIC "' or '" SCOPED_MAGIC : PUBLIC_MAGIC);
    else if (!rc && want_secret && kind == KF_PUBLIC)
        rc = yima_err_set(err, YIMA_E_KEY,
                          "%s:1: this is a public key; a secret key (.key) is needed", path);
    if (!rc && want_secret)
        rc = check_secret_mode(path, mode, err);
    if (!rc && !(key = yima_key_alloc(err)))
        rc = err ? err->code : YIMA_E_NOMEM;
    if (!rc)
        rc = parse_key_text(key, kind, text, path, !want_secret, err);
    sodium_memzero(text, sizeof text);
    if (rc) {
        yima_key_free(key);
        return rc;
    }
    *out = key;
    return YIMA_OK;
}

int yima_key_load_secret(yima_key **out, const char *path, yima_err *err)
{
    return load_key(out, path, 1, err);
}

int yima_key_load_public(yima_key **out, const char *path, yima_err *err)
{
    return load_key(out, path, 0, err);
}

int yima_key_from_seed_file(yima_key **out, const char *path, int key_id, yima_err *err)
{
    char text[KEY_FILE_MAX];
    unsigned char seed[32];
    size_t got = 0;
    const char *hex = NULL;
    unsigned mode;
    int rc = read_key_file(path, text, sizeof text, &mode, err);
    if (!rc)
        rc = check_secret_mode(path, mode, err);
    if (rc) {
        sodium_memzero(text, sizeof text);
        return rc;
    }
    int len = key_field(text, "seed", &hex);
    if (len < 0) {
        hex = text + strspn(text, " \t\r\n");
        len = (int)strcspn(hex, " \t\r\n");
    }
    if (len != 64 || sodium_hex2bin(seed, sizeof seed, hex, 64, NULL, &got, NULL) || got != 32)
        rc = yima_err_set(err, YIMA_E_KEY, "%s: expected a seed of 64 hex digits", path);
    else
        rc = yima_key_from_seed(out, seed, key_id, err);
    sodium_memzero(text, sizeof text);
    sodium_memzero(seed, sizeof seed);
    return rc;
}
