/* SPDX-License-Identifier: MIT */
/*
 * The GS1 forms of gen's rows (HRI, RAW, Digital Link), made fast: within
 * a run every code of a level has the same elements, and only the serial or
 * SSCC and the authentication value (the codec's yima_gs1_parts) change,
 * at the same lengths. So the forms of the first code of a level, formatted
 * by yima_gs1_format and yima_gs1_dl_format, become a layout, and later
 * codes patch their parts into its slots; a code that does not fit the
 * layout is formatted in full.
 */
#ifndef YIMA_GEN_GS1_H
#define YIMA_GEN_GS1_H

#include "yima/gen.h"
#include "gs1/gs1_codes.h"

enum { YIMA_GS1_F_HRI, YIMA_GS1_F_RAW, YIMA_GS1_F_DL, YIMA_GS1_F__COUNT };

/* The forms of one GS1 code that rows show; forms not asked for are "". */
typedef struct yima_gs1_text {
    yima_gs1_parts parts; /* id: the AI 21 serial of an item, the SSCC of a case or pallet */
    size_t len[YIMA_GS1_F__COUNT];
    char form[YIMA_GS1_F__COUNT][YIMA_GS1_TEXT_MAX];
} yima_gs1_text;

enum { YIMA_GS1_PART_ID, YIMA_GS1_PART_AUTH };

/* Per level: the forms of a code with the offsets of its parts. */
typedef struct yima_gs1_layout {
    int state; /* 0 not built yet, 1 patchable, -1 format every code in full */
    struct {
        size_t len, off[YIMA_GS1_F__COUNT];
    } slot[2]; /* [YIMA_GS1_PART_*] */
    size_t len[YIMA_GS1_F__COUNT];
    char text[YIMA_GS1_F__COUNT][YIMA_GS1_TEXT_MAX];
} yima_gs1_layout;

/* One worker's layouts (about 10 kB) and the codec's encoder, zeroed
 * before first use. */
typedef struct yima_gs1_layouts {
    yima_gs1_encoder enc; /* enc.c is NULL until the first code */
    yima_gs1_layout level[3];
} yima_gs1_layouts;

/* Encodes (level, index) of opt's batch with opt's GS1 codec into t, with
 * the forms whose bits (1 << YIMA_GS1_F_*) are set in forms; the Digital Link
 * form under opt->dl_base. */
int yima_gen_gs1_encode(const yima_gen_options *opt, unsigned forms, yima_gs1_layouts *lay,
                        yima_level level, uint64_t index, yima_gs1_text *t, yima_err *err);

#endif
