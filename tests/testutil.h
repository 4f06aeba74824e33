/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka tests: fixed keys and codecs. */
#ifndef YIMA_TESTUTIL_H
#define YIMA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "yima/yima.h"

/* The fixed test key: seed of 32 bytes 0x42, key id 7 (as in yima-codes(5)). */
yima_key *test_key(unsigned char seed_byte, int key_id);
/* A keyring holding the key of test_key(seed_byte, key_id), or only its
 * public half as read from a .pub file. */
yima_keyring *test_ring(unsigned char seed_byte, int key_id, int secret);
/* A codec over key with the given alphabet and auth. */
/* The public half of test_key(seed_byte, key_id), loaded from a .pub file. */
yima_key *test_public_key(unsigned char seed_byte, int key_id);
/* The frozen scoped key tests/vectors/scoped-1-1048575.key, loaded. */
yima_key *test_vector_scoped_key(void);
yima_codec *test_codec(const yima_key *key, yima_alphabet alphabet, yima_auth auth);

#endif
