/* SPDX-License-Identifier: MIT */
/* Key material: derivation from the seed, batch keys, scoped keys, keyrings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "internal.h"

#define KDF_CONTEXT "yimakey1"
#define BATCH_KEY_PREFIX "YIMA2B"

enum { SUBKEY_SIGN = 1, SUBKEY_PERM = 2, SUBKEY_MAC = 3, SUBKEY_INNER = 4, SUBKEY_ROOT = 5 };

yima_key *yima_key_alloc(yima_err *err)
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

int yima_key_set_id(yima_key *key, int key_id, yima_err *err)
{
    if (key_id == YIMA_KEY_ID_AUTO)
        key_id = derive_id(key->sign_pk);
    if (key_id < 0 || key_id > YIMA_KEY_ID_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "key id %d out of range 0..%d", key_id,
                            YIMA_KEY_ID_MAX);
    key->id = key_id;
    return YIMA_OK;
}

static void subkey(unsigned char *out, size_t len, int id, const unsigned char seed[32])
{
    crypto_kdf_derive_from_key(out, len, (uint64_t)id, KDF_CONTEXT, seed);
}

void yima_key_derive(yima_key *key)
{
    unsigned char ed_seed[32];
    subkey(ed_seed, sizeof ed_seed, SUBKEY_SIGN, key->seed);
    crypto_sign_seed_keypair(key->sign_pk, key->sign_sk, ed_seed);
    sodium_memzero(ed_seed, sizeof ed_seed);
    subkey(key->perm_key, sizeof key->perm_key, SUBKEY_PERM, key->seed);
    subkey(key->mac_key, sizeof key->mac_key, SUBKEY_MAC, key->seed);
    subkey(key->inner_key, sizeof key->inner_key, SUBKEY_INNER, key->seed);
    subkey(key->batch_root, sizeof key->batch_root, SUBKEY_ROOT, key->seed);
    key->has_secret = 1;
    key->has_perm = 1;
}

int yima_key_from_seed(yima_key **out, const unsigned char seed[32], int key_id, yima_err *err)
{
    yima_key *key = yima_key_alloc(err);
    if (!key)
        return err ? err->code : YIMA_E_NOMEM;
    memcpy(key->seed, seed, 32);
    yima_key_derive(key);
    int rc = yima_key_set_id(key, key_id, err);
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

/* Batch key = SipHash-2-4-128(batch root, "YIMA2B" || le32(batch)): one cheap
 * PRF call, so verifiers derive it per code instead of caching secrets. */
static void root_batch_key(const yima_key *key, uint32_t batch, unsigned char out[16])
{
    unsigned char in[sizeof BATCH_KEY_PREFIX - 1 + 4];
    memcpy(in, BATCH_KEY_PREFIX, sizeof BATCH_KEY_PREFIX - 1);
    for (int i = 0; i < 4; i++)
        in[sizeof BATCH_KEY_PREFIX - 1 + i] = (unsigned char)(batch >> (8 * i));
    crypto_shorthash_siphashx24(out, in, sizeof in, key->batch_root);
}

static const yima_batch_key *scope_find(const yima_key *key, uint32_t batch)
{
    size_t lo = 0, hi = key->nscope;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key->scope[mid].batch == batch)
            return &key->scope[mid];
        if (key->scope[mid].batch < batch)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int yima_key_batch_key(const yima_key *key, uint32_t batch, unsigned char out[YIMA_SIPHASH_KEY])
{
    if (key->has_secret) {
        root_batch_key(key, batch, out);
        return 0;
    }
    const yima_batch_key *bk = scope_find(key, batch);
    if (!bk)
        return -1;
    memcpy(out, bk->key, YIMA_SIPHASH_KEY);
    return 0;
}

int yima_key_covers_batch(const yima_key *key, uint32_t batch)
{
    return key->has_secret || scope_find(key, batch) != NULL;
}

static int cmp_batch(const void *a, const void *b)
{
    uint32_t x = ((const yima_batch_key *)a)->batch, y = ((const yima_batch_key *)b)->batch;
    return x < y ? -1 : x > y;
}

/* Sorts the scope and drops repeated batches. */
void yima_key_scope_sort(yima_key *key)
{
    qsort(key->scope, key->nscope, sizeof *key->scope, cmp_batch);
    size_t n = 0;
    for (size_t i = 0; i < key->nscope; i++)
        if (n == 0 || key->scope[n - 1].batch != key->scope[i].batch)
            key->scope[n++] = key->scope[i];
    key->nscope = n;
}

int yima_key_scope_create(yima_key **out, const yima_key *secret, const uint32_t *batches,
                          size_t n, yima_err *err)
{
    if (!secret->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "a scoped key is made from the brand's secret key");
    if (n == 0 || n > YIMA_SCOPE_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "a scoped key holds 1 to %d batches, not %zu",
                            YIMA_SCOPE_MAX, n);
    yima_key *key = yima_key_alloc(err);
    if (!key)
        return err ? err->code : YIMA_E_NOMEM;
    key->id = secret->id;
    key->has_perm = 1;
    memcpy(key->sign_pk, secret->sign_pk, sizeof key->sign_pk);
    memcpy(key->perm_key, secret->perm_key, sizeof key->perm_key);
    memcpy(key->inner_key, secret->inner_key, sizeof key->inner_key);
    for (size_t i = 0; i < n; i++) {
        key->scope[i].batch = batches[i];
        root_batch_key(secret, batches[i], key->scope[i].key);
    }
    key->nscope = n;
    yima_key_scope_sort(key);
    *out = key;
    return YIMA_OK;
}

int yima_key_id(const yima_key *key) { return key->id; }
int yima_key_has_secret(const yima_key *key) { return key->has_secret; }
int yima_key_is_scoped(const yima_key *key) { return !key->has_secret && key->has_perm; }
size_t yima_key_scope_count(const yima_key *key) { return key->nscope; }
const unsigned char *yima_key_public(const yima_key *key) { return key->sign_pk; }

uint32_t yima_key_scope_batch(const yima_key *key, size_t i)
{
    return i < key->nscope ? key->scope[i].batch : 0;
}

void yima_key_scope_describe(const yima_key *key, char *buf, size_t cap)
{
    size_t len = 0, i;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < key->nscope && len + 24 < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%u", i ? "," : "",
                                (unsigned)key->scope[i].batch);
    if (i < key->nscope && len + 1 < cap)
        snprintf(buf + len, cap - len, ",... (%zu batches)", key->nscope);
}

int yima_key_sign(const yima_key *key, const void *msg, size_t len, unsigned char sig[64],
                  yima_err *err)
{
    if (!key->has_secret)
        return yima_err_set(err, YIMA_E_KEY_NEED, "signing needs the brand's secret key");
    crypto_sign_detached(sig, NULL, msg, len, key->sign_sk);
    return YIMA_OK;
}

int yima_key_verify(const yima_key *key, const void *msg, size_t len, const unsigned char sig[64])
{
    return crypto_sign_verify_detached(sig, msg, len, key->sign_pk) == 0 ? 0 : -1;
}

/* How much a key can do: secret 2, scoped 1, public 0. */
static int richness(const yima_key *key)
{
    return key->has_secret ? 2 : key->has_perm;
}

struct yima_keyring {
    yima_key *by_id[YIMA_KEY_ID_MAX + 1]; /* chains, richest key first */
    size_t count;
};

yima_keyring *yima_keyring_create(void)
{
    return calloc(1, sizeof(yima_keyring));
}

/* A key adds nothing if the chain holds the same public key with at least
 * its powers (a scoped key adds its batches, so it is always kept). */
static int adds_nothing(const yima_key *chain, const yima_key *key)
{
    for (; chain; chain = chain->next_same_id)
        if (!memcmp(chain->sign_pk, key->sign_pk, 32) && !yima_key_is_scoped(key) &&
            richness(chain) >= richness(key))
            return 1;
    return 0;
}

int yima_keyring_add(yima_keyring *ring, yima_key *key, yima_err *err)
{
    if (key->id < 0 || key->id > YIMA_KEY_ID_MAX)
        return yima_err_set(err, YIMA_E_KEY, "key id %d out of range 0..%d", key->id,
                            YIMA_KEY_ID_MAX);
    yima_key **slot = &ring->by_id[key->id];
    if (adds_nothing(*slot, key)) {
        yima_key_free(key);
        return YIMA_OK;
    }
    while (*slot && richness(*slot) >= richness(key))
        slot = &(*slot)->next_same_id;
    key->next_same_id = *slot;
    *slot = key;
    ring->count++;
    return YIMA_OK;
}

const yima_key *yima_keyring_find(const yima_keyring *ring, int key_id)
{
    return key_id >= 0 && key_id <= YIMA_KEY_ID_MAX ? ring->by_id[key_id] : NULL;
}

const yima_key *yima_keyring_next(const yima_key *key)
{
    return key ? key->next_same_id : NULL;
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
        for (yima_key *k = ring->by_id[i], *next; k; k = next) {
            next = k->next_same_id;
            yima_key_free(k);
        }
    free(ring);
}
