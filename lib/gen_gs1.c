/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "gen_gs1.h"

/* The values that change from code to code within a level; every other
 * value (GTIN, lot, expiry) is the run's. */
static int changes(const char *ai)
{
    return !strcmp(ai, "21") || !strcmp(ai, "00") || !strcmp(ai, YIMA_GS1_AI_SIG) ||
           !strcmp(ai, YIMA_GS1_AI_MAC);
}

/* Every asked form in full, through the GS1 library. */
static int format_full(const yima_gen_options *o, unsigned forms, yima_gs1_text *t)
{
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        char *out = t->form[f];
        size_t cap = sizeof t->form[f];
        out[0] = '\0';
        if (!(forms & 1u << f))
            continue;
        size_t n = f == YIMA_GS1_F_DL    ? yima_gs1_dl_format(&t->g, o->dl_base, out, cap)
                   : f == YIMA_GS1_F_HRI ? yima_gs1_format(&t->g, YIMA_GS1_HRI, out, cap)
                                         : yima_gs1_format(&t->g, YIMA_GS1_RAW, out, cap);
        if (!n)
            return -1;
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

/* The layout of t's forms; state -1 if a changing value is not found once
 * verbatim in every form (then every code is formatted in full). */
static void build_layout(yima_gs1_layout *l, unsigned forms, const yima_gs1_text *t)
{
    l->state = -1;
    l->count = t->g.count;
    l->slots = 0;
    for (int i = 0; i < t->g.count; i++) {
        memcpy(l->ai[i], t->g.el[i].ai, sizeof l->ai[i]);
        if (!changes(t->g.el[i].ai))
            continue;
        if (l->slots == 2)
            return;
        l->slot[l->slots].el = i;
        l->slot[l->slots].len = strlen(t->g.el[i].value);
        for (int f = 0; f < YIMA_GS1_F__COUNT; f++)
            if (forms & 1u << f &&
                find_once(t->form[f], t->g.el[i].value, &l->slot[l->slots].off[f]))
                return;
        l->slots++;
    }
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        l->len[f] = strlen(t->form[f]);
        memcpy(l->text[f], t->form[f], l->len[f] + 1);
    }
    l->state = 1;
}

/* 1 if t has the layout's AIs, in its order, and changing values of its lengths. */
static int fits(const yima_gs1_layout *l, const yima_gs1_text *t)
{
    if (l->state != 1 || t->g.count != l->count)
        return 0;
    for (int i = 0; i < l->count; i++)
        if (strcmp(t->g.el[i].ai, l->ai[i]) != 0)
            return 0;
    for (int k = 0; k < l->slots; k++)
        if (strlen(t->g.el[l->slot[k].el].value) != l->slot[k].len)
            return 0;
    return 1;
}

static void patch(const yima_gs1_layout *l, unsigned forms, yima_gs1_text *t)
{
    for (int f = 0; f < YIMA_GS1_F__COUNT; f++) {
        if (!(forms & 1u << f)) {
            t->form[f][0] = '\0';
            continue;
        }
        memcpy(t->form[f], l->text[f], l->len[f] + 1);
        for (int k = 0; k < l->slots; k++)
            memcpy(t->form[f] + l->slot[k].off[f], t->g.el[l->slot[k].el].value, l->slot[k].len);
    }
}

int yima_gen_gs1_encode(const yima_gen_options *o, unsigned forms, yima_gs1_layouts *lay,
                        yima_level level, uint64_t index, yima_gs1_text *t, yima_err *err)
{
    int rc = yima_codec_encode_gs1(o->codec, level, o->batch, index, &t->g, err);
    if (rc)
        return rc;
    yima_gs1_layout *l = &lay->level[level];
    if (fits(l, t)) {
        patch(l, forms, t);
        return YIMA_OK;
    }
    if (format_full(o, forms, t))
        return yima_err_set(err, YIMA_E_INTERNAL, "%s %llu of batch %u: element string too long",
                            yima_level_name(level), (unsigned long long)index, o->batch);
    if (l->state == 0)
        build_layout(l, forms, t);
    return YIMA_OK;
}
