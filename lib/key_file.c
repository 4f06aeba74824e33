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

#define KDF_CONTEXT "yimakey1"
#define SECRET_MAGIC "yima-secret-key 1"
#define PUBLIC_MAGIC "yima-public-key 1"
#define KEY_FILE_MAX 4096

enum { SUBKEY_SIGN = 1, SUBKEY_PERM = 2, SUBKEY_MAC = 3, SUBKEY_INNER = 4 };

static yima_key *key_alloc(yima_err *err)
{
    if (sodium_init() < 0) {
        yima_err_set(err, YIMA_E_INTERNAL, "libsodium failed to initialise");
        return NULL;
    }
    /* Guarded, locked pages: the seed never reaches swap and is wiped on free. */
    yima_key *key = sodium_malloc(sizeof *key);
    if (!key) {
        yima_err_set(err, YIMA_E_NOMEM, "out of memory for key");
        return NULL;
    }
    memset(key, 0, sizeof *key);
    return key;
}

void yima_key_free(yima_key *key)
{
    if (key)
        sodium_free(key); /* sodium_free wipes before unmapping */
}

static int derive_id(const unsigned char pk[32])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
    return (int)(((unsigned)h[0] << 8 | h[1]) % (YIMA_KEY_ID_MAX + 1));
}

static int key_set_id(yima_key *key, int key_id, yima_err *err)
{
    if (key_id == YIMA_KEY_ID_AUTO)
        key_id = derive_id(key->sign_pk);
    if (key_id < 0 || key_id > YIMA_KEY_ID_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "key id %d out of range 0..%d", key_id,
                            YIMA_KEY_ID_MAX);
    key->id = key_id;
    return YIMA_OK;
}

static void key_derive(yima_key *key)
{
    unsigned char ed_seed[32];
    crypto_kdf_derive_from_key(ed_seed, sizeof ed_seed, SUBKEY_SIGN, KDF_CONTEXT, key->seed);
    crypto_sign_seed_keypair(key->sign_pk, key->sign_sk, ed_seed);
    sodium_memzero(ed_seed, sizeof ed_seed);
    crypto_kdf_derive_from_key(key->perm_key, sizeof key->perm_key, SUBKEY_PERM, KDF_CONTEXT,
                               key->seed);
    crypto_kdf_derive_from_key(key->mac_key, sizeof key->mac_key, SUBKEY_MAC, KDF_CONTEXT,
                               key->seed);
    crypto_kdf_derive_from_key(key->inner_key, sizeof key->inner_key, SUBKEY_INNER, KDF_CONTEXT,
                               key->seed);
    key->has_secret = 1;
}

int yima_key_from_seed(yima_key **out, const unsigned char seed[32], int key_id, yima_err *err)
{
    yima_key *key = key_alloc(err);
    if (!key)
        return err ? err->code : YIMA_E_NOMEM;
    memcpy(key->seed, seed, 32);
    key_derive(key);
    int rc = key_set_id(key, key_id, err);
    if (rc) {
        yima_key_free(key);
        return rc;
    }
    *out = key;
    return YIMA_OK;
}

int yima_key_generate(yima_key **out, int key_id, yima_err *err)
{
    unsigned char seed[32];
    if (sodium_init() < 0)
        return yima_err_set(err, YIMA_E_INTERNAL, "libsodium failed to initialise");
    randombytes_buf(seed, sizeof seed);
    int rc = yima_key_from_seed(out, seed, key_id, err);
    sodium_memzero(seed, sizeof seed);
    return rc;
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

int yima_key_save(const yima_key *key, const char *base, int force, yima_err *err)
{
    char path[4096], text[256], hex[65];
    if (!key->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "cannot save a public key as a key pair");
    if (snprintf(path, sizeof path, "%s.key", base) >= (int)sizeof path)
        return yima_err_set(err, YIMA_E_USAGE, "key path too long");
    sodium_bin2hex(hex, sizeof hex, key->seed, 32);
    snprintf(text, sizeof text, SECRET_MAGIC "\nid %d\nseed %s\n", key->id, hex);
    int rc = write_key_file(path, text, force, 1, err);
    sodium_memzero(hex, sizeof hex);
    sodium_memzero(text, sizeof text);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s.pub", base);
    sodium_bin2hex(hex, sizeof hex, key->sign_pk, 32);
    snprintf(text, sizeof text, PUBLIC_MAGIC "\nid %d\ned25519 %s\n", key->id, hex);
    return write_key_file(path, text, force, 0, err);
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

static int parse_hex32(const char *text, const char *name, const char *path, unsigned char *bin,
                       yima_err *err)
{
    const char *v;
    size_t got = 0;
    int len = key_field(text, name, &v);
    if (len != 64 || sodium_hex2bin(bin, 32, v, 64, NULL, &got, NULL) != 0 || got != 32)
        return yima_err_set(err, YIMA_E_KEY, "%s: expected '%s' and 64 hex digits", path, name);
    return YIMA_OK;
}

static int load_secret_text(yima_key **out, const char *text, const char *path, yima_err *err)
{
    int id, rc = parse_key_id(text, path, &id, err);
    if (rc)
        return rc;
    yima_key *key = key_alloc(err);
    if (!key)
        return err ? err->code : YIMA_E_NOMEM;
    rc = parse_hex32(text, "seed", path, key->seed, err);
    if (!rc) {
        key_derive(key);
        rc = key_set_id(key, id, err);
    }
    if (rc) {
        yima_key_free(key);
        return rc;
    }
    *out = key;
    return YIMA_OK;
}

int yima_key_load_secret(yima_key **out, const char *path, yima_err *err)
{
    char text[KEY_FILE_MAX];
    unsigned mode;
    int rc = read_key_file(path, text, sizeof text, &mode, err);
    if (!rc && strncmp(text, SECRET_MAGIC "\n", sizeof SECRET_MAGIC) != 0)
        rc = yima_err_set(err, YIMA_E_KEY,
                          strncmp(text, PUBLIC_MAGIC, sizeof PUBLIC_MAGIC - 1) == 0
                              ? "%s:1: this is a public key; a secret key (.key) is needed"
                              : "%s:1: not a yima secret key (expected '" SECRET_MAGIC "')",
                          path);
    if (!rc)
        rc = check_secret_mode(path, mode, err);
    if (!rc)
        rc = load_secret_text(out, text, path, err);
    sodium_memzero(text, sizeof text);
    return rc;
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

int yima_key_load_public(yima_key **out, const char *path, yima_err *err)
{
    char text[KEY_FILE_MAX];
    unsigned mode;
    int rc = read_key_file(path, text, sizeof text, &mode, err);
    if (rc)
        return rc;
    if (strncmp(text, SECRET_MAGIC "\n", sizeof SECRET_MAGIC) == 0) {
        sodium_memzero(text, sizeof text);
        return yima_key_load_secret(out, path, err);
    }
    if (strncmp(text, PUBLIC_MAGIC "\n", sizeof PUBLIC_MAGIC) != 0)
        return yima_err_set(err, YIMA_E_KEY, "%s:1: not a yima key (expected '" PUBLIC_MAGIC "')",
                            path);
    int id;
    if ((rc = parse_key_id(text, path, &id, err)))
        return rc;
    yima_key *key = key_alloc(err);
    if (!key)
        return err ? err->code : YIMA_E_NOMEM;
    if ((rc = parse_hex32(text, "ed25519", path, key->sign_pk, err))) {
        yima_key_free(key);
        return rc;
    }
    key->id = id;
    *out = key;
    return YIMA_OK;
}

int yima_key_id(const yima_key *key)
{
    return key->id;
}

int yima_key_has_secret(const yima_key *key)
{
    return key->has_secret;
}

const unsigned char *yima_key_public(const yima_key *key)
{
    return key->sign_pk;
}

int yima_key_sign(const yima_key *key, const void *msg, size_t len, unsigned char sig[64],
                  yima_err *err)
{
    if (!key->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "signing needs the secret key");
    crypto_sign_detached(sig, NULL, msg, len, key->sign_sk);
    return YIMA_OK;
}

int yima_key_verify(const yima_key *key, const void *msg, size_t len, const unsigned char sig[64])
{
    return crypto_sign_verify_detached(sig, msg, len, key->sign_pk) == 0 ? 0 : -1;
}

struct yima_keyring {
    yima_key *by_id[YIMA_KEY_ID_MAX + 1];
    size_t count;
};

yima_keyring *yima_keyring_create(void)
{
    return calloc(1, sizeof(yima_keyring));
}

int yima_keyring_add(yima_keyring *ring, yima_key *key, yima_err *err)
{
    yima_key **slot = &ring->by_id[key->id];
    if (*slot && memcmp((*slot)->sign_pk, key->sign_pk, 32) != 0) {
        int id = key->id;
        yima_key_free(key);
        return yima_err_set(err, YIMA_E_KEY, "two different keys share key id %d", id);
    }
    if (*slot && (*slot)->has_secret >= key->has_secret) {
        yima_key_free(key); /* same key again: keep the richer copy */
        return YIMA_OK;
    }
    if (*slot)
        yima_key_free(*slot);
    else
        ring->count++;
    *slot = key;
    return YIMA_OK;
}

const yima_key *yima_keyring_find(const yima_keyring *ring, int key_id)
{
    return key_id >= 0 && key_id <= YIMA_KEY_ID_MAX ? ring->by_id[key_id] : NULL;
}

size_t yima_keyring_size(const yima_keyring *ring)
{
    return ring->count;
}

void yima_keyring_free(yima_keyring *ring)
{
    if (!ring)
        return;
    for (int i = 0; i <= YIMA_KEY_ID_MAX; i++)
        yima_key_free(ring->by_id[i]);
    free(ring);
}
