/* SPDX-License-Identifier: MIT */
/*
 * Key files: the input is written to a 0600 file and loaded as a secret and
 * as a public key. Oracles: a loaded secret key's public half is what
 * yima_key_load_public reads from the same file; the public load never holds
 * secret material (it cannot make mac codes); a loaded key saved and loaded
 * again keeps its public key, id and scope.
 */
#include <string.h>
#include "yima/code.h"
#include "fuzz_common.h"

static void same_public(const yima_key *a, const yima_key *b, const char *what)
{
    FZ_ASSERT(yima_key_id(a) == yima_key_id(b), "%s: id %d became %d", what, yima_key_id(a),
              yima_key_id(b));
    FZ_ASSERT(memcmp(yima_key_public(a), yima_key_public(b), 32) == 0,
              "%s: the public key changed", what);
}

/* A public key must not make mac codes: that needs the secret. */
static void check_no_secret(const yima_key *pub, uint32_t batch)
{
    char code[YIMA_CODE_MAX];
    yima_err err = {0};
    FZ_ASSERT(!yima_key_has_secret(pub) && !yima_key_is_scoped(pub),
              "yima_key_load_public returned secret material");
    yima_codec *c = yima_codec_create(pub);
    FZ_ASSERT(c && yima_codec_set(c, YIMA_P_AUTH, YIMA_AUTH_MAC, &err) == 0, "codec: %s",
              err.msg);
    FZ_ASSERT(yima_codec_encode(c, YIMA_LEVEL_ITEM, batch, 0, code, &err) == 0,
              "a public key made the mac code %s of batch %u", code, batch);
    yima_codec_free(c);
}

static void check_scope(const yima_key *a, const yima_key *b)
{
    FZ_ASSERT(yima_key_has_secret(a) == yima_key_has_secret(b) &&
                  yima_key_is_scoped(a) == yima_key_is_scoped(b) &&
                  yima_key_scope_count(a) == yima_key_scope_count(b),
              "save and load changed the kind of key or its scope");
    for (size_t i = 0; i < yima_key_scope_count(a); i++)
        FZ_ASSERT(yima_key_scope_batch(a, i) == yima_key_scope_batch(b, i),
                  "scope batch %zu changed", i);
}

static void round_trip(const yima_key *key)
{
    yima_key *again = NULL, *pub = NULL;
    yima_err err = {0};
    int rc = yima_key_save(key, fz_path(1, "saved"), 1, &err);
    FZ_ASSERT(rc == 0, "a loaded key cannot be saved: %s", err.msg);
    rc = yima_key_load_secret(&again, fz_path(2, "saved.key"), &err);
    FZ_ASSERT(rc == 0, "a saved key cannot be loaded: %s", err.msg);
    same_public(key, again, "save and load");
    check_scope(key, again);
    if (yima_key_has_secret(key)) {
        rc = yima_key_load_public(&pub, fz_path(3, "saved.pub"), &err);
        FZ_ASSERT(rc == 0, "a saved .pub cannot be loaded: %s", err.msg);
        same_public(key, pub, "saved .pub");
        check_no_secret(pub, 0);
    }
    yima_key_free(pub);
    yima_key_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_path(0, "input.key");
    yima_key *secret = NULL, *pub = NULL;
    yima_err err = {0};
    if (size > 256 * 1024)
        return 0;
    fz_write(path, data, size, 0600);
    int src = yima_key_load_secret(&secret, path, &err);
    int prc = yima_key_load_public(&pub, path, &err);
    if (src == 0) {
        FZ_ASSERT(prc == 0, "loads as a secret key but not as a public key: %s", err.msg);
        same_public(secret, pub, "secret vs public load");
        round_trip(secret);
    }
    if (prc == 0) {
        check_no_secret(pub, 0);
        if (secret && yima_key_scope_count(secret))
            check_no_secret(pub, yima_key_scope_batch(secret, 0));
    }
    yima_key_free(secret);
    yima_key_free(pub);
    return 0;
}
