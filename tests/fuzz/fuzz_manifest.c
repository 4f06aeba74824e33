/* SPDX-License-Identifier: MIT */
/*
 * Manifests: the input is a manifest's text, written beside small fixed
 * data files (gen outputs of the test key, in manifest_data.h) that its
 * "file" member may name. Oracles for an accepted manifest: it is signed by
 * the ring's key (checked here independently: Ed25519 over the canonical
 * JSON without "signature"); checking it against the file it named, given
 * explicitly, agrees; and the same data with one byte altered is refused.
 */
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include "yima/verify.h"
#include "fuzz_common.h"
#include "manifest_data.h"

#define PREFIX "yima-manifest-1\n"

static void write_data_files(void)
{
    static int done;
    if (done)
        return;
    for (size_t i = 0; i < sizeof fz_manifest_data / sizeof fz_manifest_data[0]; i++)
        fz_write(fz_path(1, fz_manifest_data[i].name), fz_manifest_data[i].text,
                 fz_manifest_data[i].len, 0644);
    done = 1;
}

/* Independent of lib/manifest.c: is this JSON text signed by the test key? */
static int really_signed(const uint8_t *data, size_t size)
{
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    const char *hex = json_string_value(json_object_get(o, "signature"));
    unsigned char sig[64];
    size_t got = 0;
    int ok = 0;
    if (hex && sodium_hex2bin(sig, sizeof sig, hex, strlen(hex), NULL, &got, NULL) == 0 &&
        got == sizeof sig) {
        json_object_del(o, "signature");
        char *body = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        size_t n = body ? strlen(body) : 0;
        unsigned char *msg = malloc(sizeof PREFIX - 1 + n);
        if (body && msg) {
            memcpy(msg, PREFIX, sizeof PREFIX - 1);
            memcpy(msg + sizeof PREFIX - 1, body, n);
            ok = crypto_sign_verify_detached(sig, msg, sizeof PREFIX - 1 + n,
                                             yima_key_public(fz_secret())) == 0;
        }
        free(msg);
        free(body);
    }
    json_decref(o);
    return ok;
}

static void check_altered(const char *manifest, const char *data_path, uint64_t h)
{
    FILE *f = fopen(data_path, "rb");
    char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    yima_manifest_report rep;
    yima_err err = {0};
    if (f)
        fclose(f);
    FZ_ASSERT(n > 0 && n < sizeof buf, "accepted data %s is empty or unreadable", data_path);
    /* Any one byte, any change: the hash must see it. */
    buf[h % n] ^= (char)(1 + (h >> 32) % 255);
    const char *altered = fz_path(3, "altered.data");
    fz_write(altered, buf, n, 0644);
    int rc = yima_manifest_check(manifest, fz_ring(), altered, &rep, &err);
    FZ_ASSERT(rc != 0, "data with byte %llu altered still matches the manifest",
              (unsigned long long)(h % n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yima_manifest_report rep, again;
    yima_err err = {0};
    if (size > 64 * 1024)
        return 0;
    write_data_files();
    const char *manifest = fz_path(2, "input.manifest");
    fz_write(manifest, data, size, 0644);
    if (yima_manifest_check(manifest, fz_ring(), NULL, &rep, &err) != 0)
        return 0;
    FZ_ASSERT(rep.key_id == FZ_KEY_ID, "accepted under key id %d", rep.key_id);
    FZ_ASSERT(really_signed(data, size), "accepted, but not signed by the test key");
    char data_path[sizeof rep.data_path];
    memcpy(data_path, rep.data_path, sizeof data_path);
    int rc = yima_manifest_check(manifest, fz_ring(), data_path, &again, &err);
    FZ_ASSERT(rc == 0 && again.rows == rep.rows && again.bytes == rep.bytes,
              "accepted with the file it names, not when that file is given: %s", err.msg);
    check_altered(manifest, data_path, fz_hash(data, size));
    return 0;
}
