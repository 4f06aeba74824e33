/* SPDX-License-Identifier: MIT */
/*
 * Generator of the payload-length table in yima-render(1), SYMBOL SIZES:
 * reads "label<TAB>payload" lines (payloads made by yima gen with the
 * fixed test key) and prints one row each, sizes chosen by the real
 * encoders (yr_run_size: libqrencode for QR and Micro QR, libdmtx's
 * attributes with yima's worst-case rule for DataMatrix).
 *
 * Build (from /work/main), like tests/test_render_symbol.c standalone:
 *   gcc -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -Ilib/render \
 *     lib/render/render_symbol.c lib/render/render_qr.c lib/render/render_dmtx.c \
 *     lib/render/render_gs1.c lib/render/render_opts.c lib/gs1/[a-z]*.c lib/error.c \
 *     lib/util.c lib/code.c lib/radix.c lib/feistel.c lib/key.c lib/code_verify.c \
 *     /work/notes/man-symbols-table.c -o /tmp/symtab \
 *     $(pkg-config --cflags --libs libqrencode libdmtx libsodium) -lm
 *   /tmp/symtab < /work/notes/man-symbols-payloads.tsv
 */
#include <stdio.h>
#include <string.h>
#include "render_internal.h"

int yr_zpl_check(const yima_render_options *opt, yima_err *err);
int yr_zpl_check(const yima_render_options *opt, yima_err *err)
{
    (void)opt;
    (void)err;
    return YIMA_OK;
}

/* The run's size of p, named without the symbology ("-" if none). */
static const char *cell(yima_symbology sym, int ecc, int shape, const yr_payload *p, char *buf,
                        size_t cap)
{
    yima_render_options opt;
    yima_err err = {0};
    char name[48];
    yima_render_options_init(&opt);
    opt.symbol = sym;
    opt.ecc = (yima_ecc)ecc;
    opt.dm_shape = (yima_dm_shape)shape;
    int size = yr_check_symbol(&opt, p, "-", 1, &err) ? 0 : yr_run_size(&opt, p);
    if (!size)
        return "-";
    yr_size_name(&opt, size, name, sizeof name);
    if (sym == YIMA_SYM_QR)
        snprintf(buf, cap, "%d", size);
    else
        snprintf(buf, cap, "%s", strrchr(name, ' ') + 1); /* "22x22", "M3-L" */
    return buf;
}

int main(void)
{
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        char *pl = tab + 1;
        pl[strcspn(pl, "\n")] = 0;
        yr_payload p;
        yima_err err = {0};
        if (yr_payload_prepare(pl, strlen(pl), &p, "-", 1, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        char c[8][32];
        printf("%-26s %3zu  %2s %2s %2s %2s  %-7s  %-5s  %-5s %s\n", line, p.len + (size_t)p.gs1,
               cell(YIMA_SYM_QR, 0, 0, &p, c[0], 32), cell(YIMA_SYM_QR, 1, 0, &p, c[1], 32),
               cell(YIMA_SYM_QR, 2, 0, &p, c[2], 32), cell(YIMA_SYM_QR, 3, 0, &p, c[3], 32),
               cell(YIMA_SYM_DATAMATRIX, 1, 0, &p, c[4], 32),
               cell(YIMA_SYM_DATAMATRIX, 1, 1, &p, c[5], 32),
               cell(YIMA_SYM_MICROQR, 0, 0, &p, c[6], 32),
               cell(YIMA_SYM_MICROQR, 1, 0, &p, c[7], 32));
    }
    return 0;
}
