/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "seen.h"

typedef struct slot {
    uint64_t fp, line; /* line 0 marks an empty slot */
} slot;

struct yima_seen {
    slot *slots;
    size_t mask, used;
};

yima_seen *yima_seen_create(void)
{
    yima_seen *s = calloc(1, sizeof *s);
    if (s && !(s->slots = calloc(1024, sizeof(slot)))) {
        free(s);
        return NULL;
    }
    if (s)
        s->mask = 1023;
    return s;
}

void yima_seen_free(yima_seen *s)
{
    if (s) {
        free(s->slots);
        free(s);
    }
}

uint64_t yima_seen_fingerprint(const char *code, size_t len)
{
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "yima-seen-set-k";
    unsigned char up[512], out[8];
    uint64_t fp;
    if (len > sizeof up)
        len = sizeof up;
    /* Canonical text: case and Crockford's aliases (O for 0, I and L for 1)
     * must not hide a clone. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)(code[i] >= 'a' && code[i] <= 'z' ? code[i] - 32 : code[i]);
        up[i] = c == 'O' ? '0' : c == 'I' || c == 'L' ? '1' : c;
    }
    crypto_shorthash(out, up, len, key);
    memcpy(&fp, out, sizeof fp);
    return fp;
}

static slot *find(slot *slots, size_t mask, uint64_t fp)
{
    size_t i = (size_t)fp & mask;
    while (slots[i].line && slots[i].fp != fp)
        i = (i + 1) & mask;
    return &slots[i];
}

static int grow(yima_seen *s)
{
    size_t n = (s->mask + 1) * 2;
    slot *bigger = calloc(n, sizeof *bigger);
    if (!bigger)
        return -1;
    for (size_t i = 0; i <= s->mask; i++)
        if (s->slots[i].line)
            *find(bigger, n - 1, s->slots[i].fp) = s->slots[i];
    free(s->slots);
    s->slots = bigger;
    s->mask = n - 1;
    return 0;
}

void yima_seen_prefetch(const yima_seen *s, uint64_t fp)
{
    __builtin_prefetch(&s->slots[(size_t)fp & s->mask]);
}

uint64_t yima_seen_add(yima_seen *s, uint64_t fp, uint64_t line)
{
    if (2 * (s->used + 1) > s->mask + 1 && grow(s) != 0)
        return UINT64_MAX;
    slot *e = find(s->slots, s->mask, fp);
    if (e->line)
        return e->line;
    e->fp = fp;
    e->line = line;
    s->used++;
    return 0;
}
