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
yima_codec *test_codec(const yima_key *key, yima_alphabet alphabet, yima_auth auth);

#endif
