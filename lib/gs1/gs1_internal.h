/* SPDX-License-Identifier: MIT */
/*
 * The AI table behind yima/gs1.h, shared by gs1.c (element strings),
 * gs1_dl.c (Digital Link) and gs1_epc.c (EPC URIs). The table itself,
 * lib/gs1/gs1_ai_table.h, is transcribed from GS1's Barcode Syntax Dictionary
 * by tests/gs1/make-ai-table.py (see its header for the licence).
 */
#ifndef YIMA_GS1_INTERNAL_H
#define YIMA_GS1_INTERNAL_H

#include <stddef.h>
#include "yima/gs1.h"

typedef struct yima_gs1_ai {
    const char *ai;       /* "01", "8030"; ranges such as 91-99 are expanded */
    unsigned char fixed;  /* 1: predefined length, never needs a GS after it ('*') */
    unsigned char dl_attr;/* 1: permitted as a Digital Link data attribute ('?') */
    const char *spec;     /* the dictionary's specification, e.g. "N14,csum,gcppos2" */
    const char *req;      /* the dictionary's req= attribute, or NULL */
    const char *ex;       /* the dictionary's ex= attribute, or NULL */
    const char *dlpkey;   /* NULL: not a DL primary key; "" primary key without
                             qualifiers; else its qualifier paths, "22,10,21|235" */
    const char *title;
} yima_gs1_ai;

/* The entry of exactly ai, or NULL. */
const yima_gs1_ai *yima_gs1_ai_find(const char *ai);

/* The AI that starts text (2 to 4 digits long), or NULL if the table has none. */
const yima_gs1_ai *yima_gs1_ai_prefix(const char *text, size_t len);

/* Checks value against the entry's spec: lengths, character sets N/X/Y/Z,
 * and the linters (csum, yymmd0, yymmdd, ...). YIMA_E_DATA naming the AI. */
int yima_gs1_value_check(const yima_gs1_ai *ai, const char *value, size_t len, yima_err *err);

/* A bounded text being written (Digital Link and EPC URIs): appends stop at
 * cap, but len keeps counting, so the caller sees that it did not fit. */
typedef struct yima_gs1_text {
    char *out;
    size_t cap, len;
} yima_gs1_text;
void yima_gs1_text_put(yima_gs1_text *b, const char *s, size_t n);

/* gs1_dl.c: value of a hexadecimal digit of a percent escape, or -1. */
int yima_gs1_hex_value(char c);

#endif
