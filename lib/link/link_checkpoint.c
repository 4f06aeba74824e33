/* SPDX-License-Identifier: MIT */
/*
 * The audit (yima_link_audit) and signed checkpoints of the chain's head:
 * a plant hands an auditor the store and a checkpoint, and any change
 * before the signed head shows, even one whose author re-hashed the chain.
 * The file format is in yima-link(1), AUDIT TRAIL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "link_internal.h"
#include "io.h"

#define MAGIC "yima-link-checkpoint 1"
#define CHECKPOINT_MAX 1024

static int read_store_id(yima_link *s, unsigned char id[16], yima_err *err)
{
    lk_st *st;
    int rc = YIMA_E_STORE;
    if (lk_prepare(s, "SELECT value FROM meta WHERE key = 'store_id'", &st) != LK_OK)
        return lk_db_error(s, "reading the store id", err);
    if (lk_step(st) == LK_ROW && lk_column_bytes(st, 0) == 16) {
        memcpy(id, lk_column_blob(st, 0), 16);
        rc = YIMA_OK;
    }
    lk_finalize(st);
    return rc ? yima_err_set(err, rc, "%s: the store has no id (meta.store_id)", s->path) : rc;
}

/* The signed part: every line before "signature". */
static int signed_text(char *out, size_t size, const unsigned char store_id[16], int64_t seq,
                       const unsigned char head[LK_HASH_BYTES], int key_id)
{
    char id_hex[33], head_hex[2 * LK_HASH_BYTES + 1], when[96];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lk_format_time((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 0, when);
    sodium_bin2hex(id_hex, sizeof id_hex, store_id, 16);
    sodium_bin2hex(head_hex, sizeof head_hex, head, LK_HASH_BYTES);
    return snprintf(out, size, MAGIC "\nstore %s\nseq %lld\nhead %s\nkey %d\ntime %s\n", id_hex,
                    (long long)seq, head_hex, key_id, when);
}

/* Audits inside one read transaction, so the chain is one snapshot. */
static int audit_snapshot(yima_link *s, yima_link_audit_report *r, yima_err *err)
{
    memset(r, 0, sizeof *r);
    int rc = lk_snapshot_begin(s, err);
    if (rc)
        return rc;
    rc = lk_chain_audit(s, r, r->head, err);
    lk_snapshot_end(s);
    return rc;
}

int yima_link_checkpoint(yima_link *s, const yima_key *key, const char *output, int force,
                         yima_link_audit_report *r, yima_err *err)
{
    unsigned char store_id[16], sig[64];
    char text[CHECKPOINT_MAX], sig_hex[129];
    yima_out *out = NULL;
    int rc = read_store_id(s, store_id, err);
    rc = rc ? rc : audit_snapshot(s, r, err);
    if (rc)
        return rc;
    /* Signing a broken chain would vouch for the tampering. */
    if (r->status != YIMA_LINK_AUDIT_INTACT)
        return yima_err_set(err, YIMA_E_DATA, "%s: the chain is broken at seq %lld%s%s: %s",
                            s->path, (long long)r->seq, r->id[0] ? " (event " : "",
                            r->id[0] ? r->id : "", r->detail);
    int n = signed_text(text, sizeof text - 140, store_id, r->head_seq, r->head,
                        yima_key_id(key));
    if ((rc = yima_key_sign(key, text, (size_t)n, sig, err)))
        return rc;
    sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
    n += snprintf(text + n, sizeof text - (size_t)n, "signature %s\n", sig_hex);
    rc = yima_out_open(&out, output, force, 0, err);
    rc = rc ? rc : yima_out_write(out, text, (size_t)n, err);
    if (!rc) {
        rc = yima_out_commit(out, NULL, err);
        out = NULL;
    }
    yima_out_abort(out);
    return rc;
}

/* A parsed checkpoint file. */
typedef struct checkpoint {
    unsigned char store_id[16], head[LK_HASH_BYTES], sig[64];
    long long seq;
    int key_id;
    size_t signed_len; /* bytes before the signature line */
} checkpoint;

static int hex_field(const char *v, size_t len, unsigned char *bin, size_t n)
{
    size_t got;
    return len == 2 * n && !sodium_hex2bin(bin, n, v, len, NULL, &got, NULL) && got == n;
}

/* Line lineno of the file (text, len, NUL-free): "name value". */
static int parse_line(checkpoint *c, int lineno, const char *line, size_t len)
{
    static const char *const names[] = {MAGIC, "store ", "seq ", "head ", "key ", "time ",
                                        "signature "};
    size_t nl = strlen(names[lineno]);
    if (len < nl || memcmp(line, names[lineno], nl))
        return 0;
    const char *v = line + nl;
    size_t vl = len - nl;
    char num[24], *end;
    switch (lineno) {
    case 0: return vl == 0;
    case 1: return hex_field(v, vl, c->store_id, 16);
    case 3: return hex_field(v, vl, c->head, LK_HASH_BYTES);
    case 6: return hex_field(v, vl, c->sig, 64);
    case 5: return vl > 0;
    default:
        if (vl == 0 || vl >= sizeof num || strspn(v, "0123456789") < vl)
            return 0;
        memcpy(num, v, vl);
        num[vl] = '\0';
        long long x = strtoll(num, &end, 10);
        if (*end || x < 0 || (lineno == 4 && x > YIMA_KEY_ID_MAX))
            return 0;
        if (lineno == 2)
            c->seq = x;
        else
            c->key_id = (int)x;
        return 1;
    }
}

static int parse_checkpoint(const char *path, const char *text, size_t len, checkpoint *c,
                            yima_err *err)
{
    size_t at = 0;
    for (int lineno = 0; lineno < 7; lineno++) {
        const char *nl = at < len ? memchr(text + at, '\n', len - at) : NULL;
        if (!nl || !parse_line(c, lineno, text + at, (size_t)(nl - text - at)))
            return yima_err_set(err, YIMA_E_DATA, "%s:%d: not a yima link checkpoint line "
                                "(see yima-link(1), AUDIT TRAIL)", path, lineno + 1);
        if (lineno == 5)
            c->signed_len = (size_t)(nl + 1 - text);
        at = (size_t)(nl + 1 - text);
    }
    if (at != len)
        return yima_err_set(err, YIMA_E_DATA, "%s:8: text after the signature", path);
    return YIMA_OK;
}

static int read_checkpoint(const char *path, char *text, size_t *len, yima_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot open checkpoint: %s", path,
                            strerror(errno));
    *len = fread(text, 1, CHECKPOINT_MAX, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return yima_err_set(err, YIMA_E_IO, "%s: cannot read checkpoint", path);
    if (*len == CHECKPOINT_MAX || memchr(text, '\0', *len))
        return yima_err_set(err, YIMA_E_DATA, "%s: not a yima link checkpoint", path);
    return YIMA_OK;
}

/* 1 if some key of the ring with the checkpoint's id signed it. */
static int signature_ok(const yima_keyring *ring, const checkpoint *c, const char *text)
{
    for (const yima_key *k = ring ? yima_keyring_find(ring, c->key_id) : NULL; k;
         k = yima_keyring_next(k))
        if (yima_key_verify(k, text, c->signed_len, c->sig) == 0)
            return 1;
    return 0;
}

static void checkpoint_broken(yima_link_audit_report *r, const checkpoint *c, const char *msg)
{
    r->status = YIMA_LINK_AUDIT_CHECKPOINT;
    r->seq = (int64_t)c->seq;
    r->id[0] = '\0';
    snprintf(r->detail, sizeof r->detail, "%s", msg);
}

/* The signed head must be in the chain: the event at its seq chains to it. */
static int check_head(yima_link *s, const checkpoint *c, const char *text,
                      const yima_keyring *ring, yima_link_audit_report *r, yima_err *err)
{
    unsigned char store_id[16], chain[LK_HASH_BYTES];
    int found, rc = read_store_id(s, store_id, err);
    if (rc)
        return rc;
    if (!signature_ok(ring, c, text))
        checkpoint_broken(r, c, "the checkpoint's signature does not verify under the public "
                                "keys given (key id in the file)");
    else if (sodium_memcmp(store_id, c->store_id, 16))
        checkpoint_broken(r, c, "the checkpoint names another store (its store id differs)");
    else if ((rc = lk_chain_at(s, (int64_t)c->seq, chain, &found, err)))
        return rc;
    else if (!found || (int64_t)c->seq > r->head_seq)
        checkpoint_broken(r, c, "the signed head's event is not in the store's chain");
    else if (sodium_memcmp(chain, c->head, LK_HASH_BYTES))
        checkpoint_broken(r, c, "the store's chain at the signed seq differs from the signed "
                                "head: events up to it were changed and the chain re-hashed");
    r->checkpoint_seq = (int64_t)c->seq;
    return YIMA_OK;
}

int yima_link_audit(yima_link *s, const char *checkpoint_path, const yima_keyring *ring,
                    yima_link_audit_report *r, yima_err *err)
{
    char text[CHECKPOINT_MAX];
    size_t len = 0;
    checkpoint c;
    memset(&c, 0, sizeof c);
    memset(r, 0, sizeof *r);
    int rc = checkpoint_path ? read_checkpoint(checkpoint_path, text, &len, err) : YIMA_OK;
    rc = rc || !checkpoint_path ? rc : parse_checkpoint(checkpoint_path, text, len, &c, err);
    if (rc)
        return rc;
    if ((rc = lk_snapshot_begin(s, err)))
        return rc;
    rc = lk_chain_audit(s, r, r->head, err);
    if (!rc && checkpoint_path && r->status == YIMA_LINK_AUDIT_INTACT)
        rc = check_head(s, &c, text, ring, r, err);
    lk_snapshot_end(s);
    return rc;
}
