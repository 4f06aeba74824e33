/* SPDX-License-Identifier: MIT */
/* yima_render_image: one payload, one image, outside any run. */
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

/* Everything one image needs, freed together. */
typedef struct lone {
    yr_payload pl;
    yr_symbol sym;
    yr_encoder *enc;
    yr_font *font;
    yr_bitmap bm;
    yr_plan plan;
} lone;

static int draw(const yima_render_options *opt, lone *l, const char *text, yima_buf *out,
                yima_err *err)
{
    char why[160];
    int size = yr_run_size(opt, &l->pl);
    int rc = size ? yr_encoder_create(opt, &l->enc)
                  : yima_err_set(err, YIMA_E_DATA, "%s", yr_too_long(opt, l->pl.len, why, sizeof why));
    if (!rc && (rc = yr_encode(l->enc, opt, &l->pl, size, &l->sym)))
        return rc == YIMA_E_NOMEM ? yima_err_set(err, rc, "out of memory")
                                  : yima_err_set(err, rc, "%s", yr_too_long(opt, l->pl.len, why, sizeof why));
    if (!text && l->pl.gs1)
        text = l->pl.hri;
    int ntext = opt->text && text;
    size_t tlen = ntext ? strlen(text) : 0;
    if (!rc && ntext)
        rc = yr_font_open(opt->font, &l->font, err);
    if (!rc)
        rc = yr_plan_label(opt, l->font, &l->sym, &text, &tlen, ntext, &l->plan, err);
    return rc ? rc : yr_image(opt, &l->plan, &l->sym, l->font, &l->bm, out, err);
}

int yima_render_image(const yima_render_options *opt, const char *payload, size_t len,
                      const char *text, yima_buf *out, yima_err *err)
{
    lone *l = calloc(1, sizeof *l);
    int rc = l ? yima_render_check(opt, err) : yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    if (!rc)
        rc = yr_payload_prepare(payload, len, &l->pl, "payload", 1, err);
    if (!rc)
        rc = yr_check_symbol(opt, &l->pl, "payload", 1, err);
    if (!rc)
        rc = draw(opt, l, text, out, err);
    if (l) {
        yr_symbol_free(&l->sym);
        yr_encoder_free(l->enc);
        yr_font_free(l->font);
        yr_bitmap_free(&l->bm);
        free(l);
    }
    return rc;
}
