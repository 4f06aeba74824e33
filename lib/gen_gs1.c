/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "gen_gs1.h"

/* Every asked form of g in full, through the GS1 library. */
static int format_full(const yima_gen_options *o, unsigned forms, const yima_gs1 *g,
                       yima_gs1_text *t)
{
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        char *out = t->form[f];
        size_t cap = sizeof t->form[f];
        out[0] = '\0';
        t->len[f] = 0;
        if (!(forms & 1u << f))
            continue;
        size_t n = f == YIMA_GS1_F_DL    ? yima_gs1_dl_format(g, o->dl_base, out, cap)
                   : f == YIMA_GS1_F_HRI ? yima_gs1_format(g, YIMA_GS1_HRI, out, cap)
                                         : yima_gs1_format(g, YIMA_GS1_RAW, out, cap);
        if (!n)
            return -1;
        t->len[f] = n;
    }
    return 0;
}

/* Where value stands in text, if it stands there exactly once. */
static int find_once(const char *text, const char *value, size_t *off)
{
    const char *p = strstr(text, value);
    if (!p || strstr(p + 1, value))
        return -1;
    *off = (size_t)(p - text);
    return 0;
}

/* Which part element e of a code holds, or -1 for the run's fixed values
 * (GTIN, lot, expiry). */
static int part_of(const yima_gs1_element *e)
{
    if (!strcmp(e->ai, "21") || !strcmp(e->ai, "00"))
        return YIMA_GS1_PART_ID;
    if (!strcmp(e->ai, YIMA_GS1_AI_SIG) || !strcmp(e->ai, YIMA_GS1_AI_MAC))
        return YIMA_GS1_PART_AUTH;
    return -1;
}

/* The layout of t's forms of g; state -1 unless both parts, as elements
 * of g, stand once verbatim in every form (else every code is formatted in
 * full). Later codes of the level have g's other elements (yima_gs1_code_elements
 * makes them from the codec's parameters), so parts of the same lengths in
 * the same slots make their forms. */
static void build_layout(yima_gs1_layout *l, unsigned forms, const yima_gs1 *g,
                         const yima_gs1_text *t)
{
    const char *part[2] = {t->parts.id, t->parts.auth};
    int seen[2] = {0, 0};
    l->state = -1;
    for (int i = 0; i < g->count; i++) {
        int k = part_of(&g->el[i]);
        if (k < 0)
            continue;
        if (seen[k]++ || strcmp(g->el[i].value, part[k]) != 0)
            return;
        l->slot[k].len = strlen(part[k]);
        for (int f = 0; f < YIMA_GS1_F__COUNT; f++)
            if (forms & 1u << f && find_once(t->form[f], part[k], &l->slot[k].off[f]))
                return;
    }
    if (!seen[YIMA_GS1_PART_ID] || !seen[YIMA_GS1_PART_AUTH])
        return;
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        l->len[f] = t->len[f];
        memcpy(l->text[f], t->form[f], t->len[f] + 1);
    }
    l->state = 1;
}

/* 1 if t's parts have the lengths of the layout's slots. */
static int fits(const yima_gs1_layout *l, const yima_gs1_text *t)
{
    return l->state == 1 && t->parts.id_len == l->slot[YIMA_GS1_PART_ID].len &&
           t->parts.auth_len == l->slot[YIMA_GS1_PART_AUTH].len;
}

static void patch(const yima_gs1_layout *l, unsigned forms, yima_gs1_text *t)
{
    const char *part[2] = {t->parts.id, t->parts.auth};
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        t->len[f] = l->len[f];
        if (!(forms & 1u << f)) {
            t->form[f][0] = '\0';
            continue;
        }
        memcpy(t->form[f], l->text[f], l->len[f] + 1);
        for (int k = 0; k < 2; k++)
            memcpy(t->form[f] + l->slot[k].off[f], part[k], l->slot[k].len);
    }
}

/* A code that does not fit its level's layout: its forms in full, and the
 * level's layout if it has none yet. */
static int encode_full(const yima_gen_options *o, unsigned forms, yima_gs1_layout *l,
                       yima_level level, uint64_t index, yima_gs1_text *t, yima_err *err)
{
    yima_gs1 g;
    yima_gs1_code_elements(o->codec, level, &t->parts, &g);
    if (format_full(o, forms, &g, t))
        return yima_err_set(err, YIMA_E_INTERNAL, "%s %llu of batch %u: element string too long",
                            yima_level_name(level), (unsigned long long)index, o->batch);
    if (l->state == 0)
        build_layout(l, forms, &g, t);
    return YIMA_OK;
}

int yima_gen_gs1_encode(const yima_gen_options *o, unsigned forms, yima_gs1_layouts *lay,
                        yima_level level, uint64_t index, yima_gs1_text *t, yima_err *err)
{
    if (!lay->enc.c)
        yima_gs1_encoder_init(&lay->enc, o->codec);
    int rc = yima_gs1_encode_parts(&lay->enc, level, o->batch, index, &t->parts, err);
    if (rc)
        return rc;
    yima_gs1_layout *l = &lay->level[level];
    if (!fits(l, t))
        return encode_full(o, forms, l, level, index, t, err);
    patch(l, forms, t);
    return YIMA_OK;
}
