/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

yima_key *test_key(unsigned char seed_byte, int key_id)
{
    unsigned char seed[32];
    yima_key *key = NULL;
    yima_err err = {0};
    memset(seed, seed_byte, sizeof seed);
    assert_int_equal(yima_key_from_seed(&key, seed, key_id, &err), YIMA_OK);
    return key;
}

/* The public half of key, loaded the way an auditor loads it: from a .pub file. */
static yima_key *public_half(const yima_key *key)
{
    char path[] = "/tmp/yima-test-pub-XXXXXX";
    yima_key *pub = NULL;
    yima_err err = {0};
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "yima-public-key 1\nid %d\ned25519 ", yima_key_id(key));
    for (int i = 0; i < 32; i++)
        fprintf(f, "%02x", yima_key_public(key)[i]);
    fprintf(f, "\n");
    fclose(f);
    assert_int_equal(yima_key_load_public(&pub, path, &err), YIMA_OK);
    unlink(path);
    return pub;
}

yima_key *test_public_key(unsigned char seed_byte, int key_id)
{
    yima_key *key = test_key(seed_byte, key_id), *pub = public_half(key);
    yima_key_free(key);
    return pub;
}

yima_keyring *test_ring(unsigned char seed_byte, int key_id, int secret)
{
    yima_keyring *ring = yima_keyring_create();
    yima_err err = {0};
    assert_non_null(ring);
    yima_key *key = test_key(seed_byte, key_id);
    if (!secret) {
        yima_key *pub = public_half(key);
        yima_key_free(key);
        key = pub;
    }
    assert_int_equal(yima_keyring_add(ring, key, &err), YIMA_OK);
    return ring;
}

yima_codec *test_codec(const yima_key *key, yima_alphabet alphabet, yima_auth auth)
{
    yima_err err = {0};
    yima_codec *c = yima_codec_create(key);
    assert_non_null(c);
    assert_int_equal(yima_codec_set(c, YIMA_P_ALPHABET, (int)alphabet, &err), YIMA_OK);
    assert_int_equal(yima_codec_set(c, YIMA_P_AUTH, (int)auth, &err), YIMA_OK);
    return c;
}

yima_key *test_vector_scoped_key(void)
{
    char src[512], dst[] = "/tmp/yima-scoped-XXXXXX", buf[4096];
    snprintf(src, sizeof src, "%s/scoped-1-1048575.key", getenv("YIMA_VECTORS"));
    FILE *in = fopen(src, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    int fd = mkstemp(dst); /* mode 0600, as a secret must be */
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    yima_key *key = NULL;
    yima_err err = {0};
    assert_int_equal(yima_key_load_secret(&key, dst, &err), YIMA_OK);
    unlink(dst);
    return key;
}
