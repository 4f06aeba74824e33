/* SPDX-License-Identifier: MIT */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include "internal.h"
#include "manifest.h"
#include "io.h"
#include "yima/verify.h"

#define SIGN_PREFIX "yima-manifest-1\n"
#define SIGN_PREFIX_LEN (sizeof SIGN_PREFIX - 1)

static char *hex_of(const unsigned char *bin, size_t n)
{
    char *hex = malloc(n * 2 + 1);
    if (hex)
        sodium_bin2hex(hex, n * 2 + 1, bin, n);
    return hex;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static void set_int(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

static const char *or_null(const char *s)
{
    return s && *s ? s : NULL;
}

/* GS1 runs only, so the manifests of compact runs keep their members: the
 * parameters of the element strings, signed with the rest. */
static void add_gs1(json_t *o, const yima_gen_options *opt)
{
    const yima_gs1_params *p = yima_codec_gs1(opt->codec);
    if (!p)
        return;
    json_t *g = json_object();
    set_str(g, "gtin", or_null(p->gtin));
    set_str(g, "gcp", or_null(p->gcp));
    set_str(g, "lot", or_null(p->lot));
    set_str(g, "expiry", or_null(p->expiry));
    set_str(g, "dl_base", opt->dl_base);
    json_object_set_new(o, "gs1", g);
}

static json_t *manifest_object(const yima_gen_options *opt, const yima_gen_result *res,
                               int header, const yima_key *key)
{
    json_t *o = json_object();
    char *copy = strdup(opt->output ? opt->output : "-"), *pk = hex_of(yima_key_public(key), 32),
         *hash = hex_of(res->blake2b, sizeof res->blake2b), when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    const yima_codec *c = opt->codec;
    set_int(o, "yima_manifest", 1);
    set_str(o, "yima_version", yima_version_string());
    set_str(o, "created", when);
    set_int(o, "key_id", (uint64_t)yima_key_id(key));
    set_str(o, "public_key", pk);
    set_int(o, "batch", opt->batch);
    set_int(o, "start", opt->start);
    set_int(o, "count", opt->count);
    set_str(o, "level", yima_level_name(opt->level));
    set_str(o, "auth", yima_auth_name((yima_auth)yima_codec_get(c, YIMA_P_AUTH)));
    set_str(o, "alphabet", yima_alphabet_name((yima_alphabet)yima_codec_get(c, YIMA_P_ALPHABET)));
    set_int(o, "serial_length", (uint64_t)yima_codec_get(c, YIMA_P_SERIAL_LEN));
    set_int(o, "mac_length", (uint64_t)yima_codec_get(c, YIMA_P_MAC_LEN));
    set_int(o, "code_format", (uint64_t)yima_codec_get(c, YIMA_P_FORMAT));
    set_int(o, "pack_case", opt->pack_case);
    set_int(o, "pack_pallet", opt->pack_pallet);
    json_object_set_new(o, "inner", json_boolean(opt->inner));
    json_object_set_new(o, "header", json_boolean(header));
    set_str(o, "template", opt->template_text);
    set_str(o, "format", yima_outfmt_name(opt->format));
    set_str(o, "file", copy ? basename(copy) : "?");
    set_int(o, "rows", res->rows);
    set_int(o, "bytes", res->bytes);
    set_str(o, "blake2b", hash);
    add_gs1(o, opt);
    free(copy);
    free(pk);
    free(hash);
    return o;
}

/* The signed bytes: prefix plus canonical JSON without its authenticator. */
static char *signed_text(json_t *o, size_t *len)
{
    json_t *copy = json_deep_copy(o);
    json_object_del(copy, "signature");
    json_object_del(copy, "line_mac");
    char *body = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(copy);
    if (!body)
        return NULL;
    size_t blen = strlen(body);
    char *text = malloc(SIGN_PREFIX_LEN + blen + 1);
    if (text) {
        memcpy(text, SIGN_PREFIX, SIGN_PREFIX_LEN);
        memcpy(text + SIGN_PREFIX_LEN, body, blen + 1);
        *len = SIGN_PREFIX_LEN + blen;
    }
    free(body);
    return text;
}

/* A line key cannot sign: its manifest carries a BLAKE2b-256 mac under the
 * batch's key instead, which the brand and that batch's line keys check. */
static int line_mac(const yima_key *key, uint32_t batch, const char *text, size_t len,
                    unsigned char mac[32])
{
    unsigned char bk[YIMA_SIPHASH_KEY];
    if (yima_key_batch_key(key, batch, bk) != 0)
        return -1;
    crypto_generichash(mac, 32, (const unsigned char *)text, len, bk, sizeof bk);
    sodium_memzero(bk, sizeof bk);
    return 0;
}

/* Adds the signature, or for a line key the line mac, to o. */
static int authenticate(json_t *o, const yima_key *key, uint32_t batch, yima_err *err)
{
    unsigned char tag[64];
    size_t len = 0, n = yima_key_has_secret(key) ? 64 : 32;
    char *text = signed_text(o, &len), *hex = NULL;
    int rc = !text ? yima_err_set(err, YIMA_E_NOMEM, "out of memory")
             : n == 64 ? yima_key_sign(key, text, len, tag, err)
             : line_mac(key, batch, text, len, tag)
                 ? yima_err_set(err, YIMA_E_KEY_SCOPE, "the key holds no key of batch %u", batch)
                 : YIMA_OK;
    if (!rc)
        set_str(o, n == 64 ? "signature" : "line_mac", hex = hex_of(tag, n));
    free(text);
    free(hex);
    return rc;
}

int yima_manifest_write(const char *path, const yima_key *key, const yima_gen_options *opt,
                        const yima_gen_result *result, int header, yima_err *err)
{
    json_t *o = manifest_object(opt, result, header, key);
    char *doc = NULL;
    int rc = authenticate(o, key, opt->batch, err);
    if (!rc && !(doc = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2))))
        rc = yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    yima_out *out = NULL;
    if (!rc && !(rc = yima_out_open(&out, path, opt->force, 0, err))) {
        rc = yima_out_write(out, doc, strlen(doc), err);
        if (!rc)
            rc = yima_out_write(out, "\n", 1, err);
        rc = rc ? (yima_out_abort(out), rc) : yima_out_commit(out, NULL, err);
    }
    free(doc);
    json_decref(o);
    return rc;
}

/* Checks a line mac with the ring's keys of this id that hold the batch. */
static int check_line_mac(json_t *o, const char *hex, const char *mpath, const yima_keyring *ring,
                          const yima_key **keyp, yima_err *err)
{
    json_int_t kid = json_integer_value(json_object_get(o, "key_id"));
    json_int_t batch = json_integer_value(json_object_get(o, "batch"));
    unsigned char want[32], got[32];
    size_t n = 0, len = 0;
    int holder = 0;
    if (sodium_hex2bin(want, sizeof want, hex, strlen(hex), NULL, &n, NULL) || n != sizeof want ||
        batch < 0 || batch > UINT32_MAX)
        return yima_err_set(err, YIMA_E_MANIFEST, "%s: malformed line mac", mpath);
    char *text = signed_text(o, &len);
    for (const yima_key *k = yima_keyring_find(ring, (int)kid); k && text && !*keyp;
         k = yima_keyring_next(k)) {
        if (line_mac(k, (uint32_t)batch, text, len, got) != 0)
            continue;
        holder = 1;
        if (sodium_memcmp(got, want, sizeof want) == 0)
            *keyp = k;
    }
    free(text);
    if (*keyp)
        return YIMA_OK;
    if (!holder)
        return yima_err_set(err, YIMA_E_KEY_NEED,
                            "%s: made with a line key of batch %lld; checking it needs the "
                            "brand's secret key or a line key of that batch",
                            mpath, (long long)batch);
    return yima_err_set(err, YIMA_E_MANIFEST,
                        "%s: line mac does not verify: the manifest was altered or forged", mpath);
}

static int check_signature(json_t *o, const char *mpath, const yima_keyring *ring,
                           const yima_key **keyp, yima_err *err)
{
    const char *sighex = json_string_value(json_object_get(o, "signature"));
    const char *machex = json_string_value(json_object_get(o, "line_mac"));
    json_int_t kid = json_integer_value(json_object_get(o, "key_id"));
    unsigned char sig[64];
    size_t got = 0, len = 0;
    *keyp = NULL;
    if (!sighex && machex)
        return check_line_mac(o, machex, mpath, ring, keyp, err);
    if (!sighex || sodium_hex2bin(sig, sizeof sig, sighex, strlen(sighex), NULL, &got, NULL) ||
        got != sizeof sig)
        return yima_err_set(err, YIMA_E_MANIFEST, "%s: missing or malformed signature", mpath);
    if (!yima_keyring_find(ring, (int)kid))
        return yima_err_set(err, YIMA_E_MANIFEST, "%s: signed by key id %lld, which is not loaded",
                            mpath, (long long)kid);
    char *text = signed_text(o, &len);
    for (const yima_key *k = yima_keyring_find(ring, (int)kid); k && text && !*keyp;
         k = yima_keyring_next(k)) /* keys may share an id: the signature decides */
        if (yima_key_verify(k, text, len, sig) == 0)
            *keyp = k;
    free(text);
    if (!*keyp)
        return yima_err_set(err, YIMA_E_MANIFEST,
                            "%s: signature does not verify: the manifest was altered or forged",
                            mpath);
    return YIMA_OK;
}

static int count_rows(const char *path, uint64_t *rows, yima_err *err)
{
    yima_lines *lines;
    yima_buf buf = {0};
    uint64_t first, n, total = 0;
    int rc = yima_lines_open(&lines, path, err);
    if (rc)
        return rc;
    while ((rc = yima_lines_read(lines, &buf, 1 << 20, &first, &n, err)) == 1)
        total += n;
    yima_lines_close(lines);
    yima_buf_free(&buf);
    *rows = total;
    return rc;
}

static int resolve_data_path(json_t *o, const char *mpath, const char *data_path,
                             yima_manifest_report *rep, yima_err *err)
{
    const char *file = json_string_value(json_object_get(o, "file"));
    if (data_path) {
        snprintf(rep->data_path, sizeof rep->data_path, "%s", data_path);
        return YIMA_OK;
    }
    if (!file || !*file || strchr(file, '/') || !strcmp(file, "-"))
        return yima_err_set(err, YIMA_E_MANIFEST,
                            "%s: names no data file beside it; give the data file", mpath);
    char *copy = strdup(mpath);
    snprintf(rep->data_path, sizeof rep->data_path, "%s/%s", dirname(copy), file);
    free(copy);
    return YIMA_OK;
}

/* "M (of NAME)": the manifest, and the file it was written for when that is
 * not the data file checked, so a mismatch names both. */
static void manifest_name(json_t *o, const char *mpath, const char *data_path, char *out,
                          size_t n)
{
    const char *file = json_string_value(json_object_get(o, "file"));
    char *copy = strdup(data_path);
    const char *base = copy ? basename(copy) : data_path;
    if (file && *file && strcmp(file, base) != 0)
        snprintf(out, n, "%s (written for %s)", mpath, file);
    else
        snprintf(out, n, "%s", mpath);
    free(copy);
}

static int check_data(json_t *o, const char *mpath, yima_manifest_report *rep, yima_err *err)
{
    unsigned char hash[YIMA_HASH_BYTES];
    char hex[2 * YIMA_HASH_BYTES + 1], m[400];
    uint64_t bytes, rows;
    int rc = yima_hash_file(rep->data_path, hash, &bytes, err);
    if (rc)
        return rc;
    uint64_t want_bytes = (uint64_t)json_integer_value(json_object_get(o, "bytes"));
    uint64_t want_rows = (uint64_t)json_integer_value(json_object_get(o, "rows"));
    const char *want_hash = json_string_value(json_object_get(o, "blake2b"));
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    manifest_name(o, mpath, rep->data_path, m, sizeof m);
    if (bytes != want_bytes)
        return yima_err_set(err, YIMA_E_MANIFEST, "%s: %llu bytes, manifest %s says %llu%s",
                            rep->data_path, (unsigned long long)bytes, m,
                            (unsigned long long)want_bytes,
                            bytes < want_bytes ? " (truncated)" : "");
    if (!want_hash || strcmp(hex, want_hash) != 0)
        return yima_err_set(err, YIMA_E_MANIFEST,
                            "%s: BLAKE2b differs from manifest %s: the data was altered",
                            rep->data_path, m);
    if ((rc = count_rows(rep->data_path, &rows, err)))
        return rc;
    rows -= json_is_true(json_object_get(o, "header")) && rows > 0;
    if (rows != want_rows)
        return yima_err_set(err, YIMA_E_MANIFEST, "%s: %llu rows, manifest %s says %llu",
                            rep->data_path, (unsigned long long)rows, m,
                            (unsigned long long)want_rows);
    rep->rows = rows;
    rep->bytes = bytes;
    return YIMA_OK;
}

int yima_manifest_check(const char *mpath, const yima_keyring *ring, const char *data_path,
                        yima_manifest_report *rep, yima_err *err)
{
    json_error_t jerr;
    const yima_key *key = NULL;
    memset(rep, 0, sizeof *rep);
    json_t *o = json_load_file(mpath, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return yima_err_set(err, YIMA_E_MANIFEST, "%s:%d: not a manifest: %s", mpath, jerr.line,
                            jerr.text);
    int rc = json_integer_value(json_object_get(o, "yima_manifest")) == 1
                 ? YIMA_OK
                 : yima_err_set(err, YIMA_E_MANIFEST, "%s: not a yima manifest version 1", mpath);
    if (!rc)
        rc = check_signature(o, mpath, ring, &key, err);
    if (!rc)
        rc = resolve_data_path(o, mpath, data_path, rep, err);
    if (!rc)
        rc = check_data(o, mpath, rep, err);
    if (!rc)
        rep->key_id = yima_key_id(key);
    json_decref(o);
    return rc;
}
