/* SPDX-License-Identifier: MIT */
/*
 * Brand keys.
 *
 * A secret key is one 32-byte master seed. Every working key is derived from
 * it with crypto_kdf (context "yimakey1"), so the seed is the only thing to
 * back up:
 *   subkey 1 (32 bytes)  Ed25519 seed: signs sig codes and manifests
 *   subkey 2 (16 bytes)  SipHash key of the serial permutation
 *   subkey 3 (16 bytes)  SipHash key of format-1 mac tags
 *   subkey 4 (16 bytes)  SipHash key of the inner-code permutation
 *   subkey 5 (16 bytes)  batch root: format-2 batch keys derive from it
 * The public key is the Ed25519 public key plus the key id.
 *
 * A scoped key (yima_key_scope_create) is what a line PC holds: the public
 * key, subkeys 2 and 4, and the format-2 keys of a list of batches. It
 * verifies every sig code, and verifies and makes mac, none and inner codes
 * of format 2 for its batches only; a stolen line PC cannot mint codes of
 * other batches. It cannot sign (no sig codes, no manifests).
 *
 * File formats (text, one "name value" pair a line, versioned by line 1):
 *   brand.key   "yima-secret-key 1", "id N", "seed <64 hex>"      mode 0600
 *   brand.pub   "yima-public-key 1", "id N", "ed25519 <64 hex>"   mode 0644
 *   line.key    "yima-scoped-key 1", "id N", "ed25519 <64 hex>", "perm <32 hex>",
 *               "inner <32 hex>", then "batch B <32 hex>" a batch    mode 0600
 * The key id (0..999) is in every file and every code, so keys can rotate.
 * Ids are hints, not names: keys of two brands may share one, and verifiers
 * try each key with a code's id (the tag decides).
 *
 * Thread safety: a loaded key is immutable and may be shared by threads.
 */
#ifndef YIMA_KEY_H
#define YIMA_KEY_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define YIMA_KEY_ID_MAX 999
#define YIMA_KEY_ID_AUTO (-1)
#define YIMA_SCOPE_MAX 1024  /* batches one scoped key may hold */

typedef struct yima_key yima_key;

/* New secret key from libsodium randomness. key_id YIMA_KEY_ID_AUTO derives
 * the id from the public key. Returns YIMA_OK or an error. */
YIMA_API int yima_key_generate(yima_key **out, int key_id, yima_err *err);

/* Same, from a caller-chosen 32-byte seed (tests and known-answer vectors). */
YIMA_API int yima_key_from_seed(yima_key **out, const unsigned char seed[32], int key_id,
                                yima_err *err);

/* Restores a key from a backed-up seed: a file holding 64 hex digits (the
 * "seed" line of a .key file, or just the digits). The file must not be
 * readable by group or others. */
YIMA_API int yima_key_from_seed_file(yima_key **out, const char *path, int key_id, yima_err *err);

/* Writes base.key (0600, atomically) and base.pub (0644), or only base.key
 * for a scoped key. Refuses to replace an existing file unless force. */
YIMA_API int yima_key_save(const yima_key *key, const char *base, int force, yima_err *err);

/* Loads a secret or scoped key file. Refuses a file that group or others can
 * read. */
YIMA_API int yima_key_load_secret(yima_key **out, const char *path, yima_err *err);

/* Loads a public key file, or only the public half of a secret or scoped
 * key file: the result never holds secret material. */
YIMA_API int yima_key_load_public(yima_key **out, const char *path, yima_err *err);

/* Wipes and frees; NULL is accepted. */
YIMA_API void yima_key_free(yima_key *key);

/* A scoped key for the n batches listed (1..YIMA_SCOPE_MAX, any order,
 * duplicates ignored), made from a secret key. */
YIMA_API int yima_key_scope_create(yima_key **out, const yima_key *secret,
                                   const uint32_t *batches, size_t n, yima_err *err);

YIMA_API int yima_key_id(const yima_key *key);
/* 1 for a brand's secret key (the master seed). */
YIMA_API int yima_key_has_secret(const yima_key *key);
/* 1 for a scoped key; its batches, in increasing order. */
YIMA_API int yima_key_is_scoped(const yima_key *key);
YIMA_API size_t yima_key_scope_count(const yima_key *key);
YIMA_API uint32_t yima_key_scope_batch(const yima_key *key, size_t i);
/* Writes the scope for messages, "5,7" or "5,7,9,... (1024 batches)", NUL
 * terminated, into buf[cap]; "" for keys that are not scoped. */
YIMA_API void yima_key_scope_describe(const yima_key *key, char *buf, size_t cap);
/* 1 if the key can make or check format-2 codes of batch (secret: any). */
YIMA_API int yima_key_covers_batch(const yima_key *key, uint32_t batch);
/* The 32-byte Ed25519 public key. */
YIMA_API const unsigned char *yima_key_public(const yima_key *key);

/* Ed25519 signature (64 bytes) over msg; needs the secret. */
YIMA_API int yima_key_sign(const yima_key *key, const void *msg, size_t len,
                           unsigned char sig[64], yima_err *err);
/* 0 if sig is a valid signature of msg under key. */
YIMA_API YIMA_NODISCARD int yima_key_verify(const yima_key *key, const void *msg, size_t len,
                                            const unsigned char sig[64]);

/*
 * A keyring maps key ids to keys, for verifiers that accept several keys
 * (rotation, several brands). Several keys may share an id; verifiers try
 * each. On success the ring owns the added key (a copy of a key already in
 * the ring that adds nothing is freed at once). On failure the caller keeps
 * ownership and must free the key.
 */
typedef struct yima_keyring yima_keyring;
YIMA_API yima_keyring *yima_keyring_create(void);
YIMA_API int yima_keyring_add(yima_keyring *ring, yima_key *key, yima_err *err);
/* The first key with key_id (richest first: secret, scoped, public), or NULL;
 * yima_keyring_next gives the next key with the same id. */
YIMA_API const yima_key *yima_keyring_find(const yima_keyring *ring, int key_id);
YIMA_API const yima_key *yima_keyring_next(const yima_key *key);
YIMA_API size_t yima_keyring_size(const yima_keyring *ring);
YIMA_API void yima_keyring_free(yima_keyring *ring);

#ifdef __cplusplus
}
#endif
#endif
