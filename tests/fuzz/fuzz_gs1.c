/* SPDX-License-Identifier: MIT */
/*
 * The GS1 element string parser (yima_gs1_parse: HRI, RAW with symbology
 * identifiers and GS, unbracketed, Digital Link). Oracles:
 *  - a refusal is YIMA_E_DATA with a one-line message;
 *  - an accepted string, formatted as HRI and as RAW, parses back to the
 *    same elements (HRI in the same order); its CANONICAL form to the same
 *    elements less 8030 and 92;
 *  - formatting is deterministic and every form looks like GS1 or is RAW.
 */
#include <string.h>
#include "yima/gs1.h"
#include "fuzz_common.h"

static void reparse(const char *text, size_t len, yima_gs1 *back, const char *form)
{
    yima_err err = {0};
    int rc = yima_gs1_parse(text, len, back, &err);
    FZ_ASSERT(rc == YIMA_OK, "the %s form '%s' of an accepted string is refused: %s", form,
              text, err.msg);
}

static int dropped(const char *ai)
{
    return !strcmp(ai, YIMA_GS1_AI_SIG) || !strcmp(ai, YIMA_GS1_AI_MAC);
}

/* back holds exactly g's elements (less 8030 and 92 if canonical). */
static void same_elements(const yima_gs1 *g, const yima_gs1 *back, int canonical,
                          const char *form)
{
    int want = 0;
    for (int i = 0; i < g->count; i++) {
        const char *v = yima_gs1_get(back, g->el[i].ai);
        if (canonical && dropped(g->el[i].ai)) {
            FZ_ASSERT(!v, "%s form keeps AI (%s)", form, g->el[i].ai);
            continue;
        }
        want++;
        FZ_ASSERT(v && !strcmp(v, g->el[i].value), "%s form changes AI (%s) '%s' to '%s'", form,
                  g->el[i].ai, g->el[i].value, v ? v : "(missing)");
    }
    FZ_ASSERT(back->count == want, "%s form has %d elements, want %d", form, back->count, want);
}

static void check_form(const yima_gs1 *g, yima_gs1_form form, const char *name)
{
    char out[YIMA_GS1_TEXT_MAX], again[YIMA_GS1_TEXT_MAX];
    yima_gs1 back;
    size_t n = yima_gs1_format(g, form, out, sizeof out);
    FZ_ASSERT(yima_gs1_format(g, form, again, sizeof again) == n && !memcmp(out, again, n),
              "%s formatting is not deterministic", name);
    if (n == 0) {
        /* only a canonical form of nothing but 8030 and 92 is empty */
        FZ_ASSERT(form == YIMA_GS1_CANONICAL, "%s form of an accepted string is empty", name);
        return;
    }
    FZ_ASSERT(strlen(out) == n, "%s form length %zu, strlen %zu", name, n, strlen(out));
    reparse(out, n, &back, name);
    same_elements(g, &back, form == YIMA_GS1_CANONICAL, name);
    if (form == YIMA_GS1_HRI)
        for (int i = 0; i < g->count; i++)
            FZ_ASSERT(!strcmp(g->el[i].ai, back.el[i].ai), "HRI form reorders the elements");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * YIMA_GS1_TEXT_MAX)
        return 0;
    char *text = fz_dup(data, size);
    yima_gs1 g;
    yima_err err = {0};
    int rc = yima_gs1_parse(text, size, &g, &err);
    if (rc != YIMA_OK) {
        FZ_ASSERT(rc == YIMA_E_DATA, "parse returns %d: %s", rc, err.msg);
        FZ_ASSERT(err.msg[0] && !strchr(err.msg, '\n'), "refusal without a one-line message");
    } else {
        FZ_ASSERT(g.count > 0 && g.count <= YIMA_GS1_MAX_ELEMENTS, "%d elements", g.count);
        FZ_ASSERT(yima_gs1_check_pairs(&g, &err) == YIMA_OK, "accepted, but pairs: %s", err.msg);
        check_form(&g, YIMA_GS1_HRI, "HRI");
        check_form(&g, YIMA_GS1_RAW, "RAW");
        check_form(&g, YIMA_GS1_CANONICAL, "CANONICAL");
    }
    free(text);
    return 0;
}
