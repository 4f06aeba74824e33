/* SPDX-License-Identifier: MIT */
/*
 * Text templates: "{product} LOT {lot}" over a row's columns. A template is
 * parsed once into literal and field parts; the named columns it uses are
 * collected for the row parser, so reading a row costs no lookups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "render_internal.h"

static const char *const builtin_names[YR_FIELD__COUNT] = {"code", "serial", "index", "payload",
                                                           "level"};

/* The field a name means: a built-in, or a named column (added to t). */
static int field_of(yr_templates *t, const char *name, size_t len, yima_err *err)
{
    for (int i = 0; i < YR_FIELD__COUNT; i++)
        if (strlen(builtin_names[i]) == len && !strncasecmp(builtin_names[i], name, len))
            return i;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strlen(t->columns[i]) == len && !strncmp(t->columns[i], name, len))
            return YR_FIELD__COUNT + (int)i;
    if (t->ncolumns == YR_TEMPLATE_COLUMNS_MAX)
        return -yima_err_set(err, YIMA_E_USAGE, "the text names more than %d columns",
                             YR_TEMPLATE_COLUMNS_MAX);
    if (!(t->columns[t->ncolumns] = strndup(name, len)))
        return -yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    return YR_FIELD__COUNT + (int)t->ncolumns++;
}

static int add_part(yr_template *tl, int field, const char *lit, size_t len, yima_err *err)
{
    if (tl->nparts == YR_TEMPLATE_PARTS_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "text template '%s' has more than %d parts",
                            tl->text, YR_TEMPLATE_PARTS_MAX);
    tl->parts[tl->nparts++] = (yr_tpart){field, lit, len};
    return YIMA_OK;
}

/* Parses one line: literal runs and {name} fields; "{{" is a brace. */
static int parse_line(yr_templates *t, yr_template *tl, yima_err *err)
{
    const char *s = tl->text;
    int rc = YIMA_OK;
    while (*s && !rc) {
        const char *open = strchr(s, '{');
        if (open && open[1] == '{') {
            rc = add_part(tl, -1, s, (size_t)(open + 1 - s), err);
            s = open + 2;
            continue;
        }
        if (!open) {
            rc = add_part(tl, -1, s, strlen(s), err);
            break;
        }
        const char *close = strchr(open, '}');
        if (!close || close == open + 1)
            return yima_err_set(err, YIMA_E_USAGE, "text template '%s': %s", tl->text,
                                close ? "an empty {}" : "a '{' without its '}'");
        if (open > s)
            rc = add_part(tl, -1, s, (size_t)(open - s), err);
        int f = rc ? 0 : field_of(t, open + 1, (size_t)(close - open - 1), err);
        if (f < 0)
            return -f;
        if (!rc)
            rc = add_part(tl, f, NULL, 0, err);
        s = close + 1;
    }
    return rc;
}

int yr_templates_parse(const yima_render_options *opt, yr_templates *t, yima_err *err)
{
    static const char code_only[] = "{code}";
    memset(t, 0, sizeof *t);
    t->nlines = opt->ntext ? opt->ntext : opt->text ? 1 : 0;
    if (opt->ntext > YIMA_TEXT_LINES_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "more than %d text lines", YIMA_TEXT_LINES_MAX);
    for (int i = 0; i < t->nlines; i++) {
        t->lines[i].text = opt->ntext ? opt->text_lines[i].tmpl : code_only;
        if (!t->lines[i].text)
            return yima_err_set(err, YIMA_E_USAGE, "text line %d has no template", i + 1);
        int rc = parse_line(t, &t->lines[i], err);
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

void yr_templates_free(yr_templates *t)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        free(t->columns[i]);
    t->ncolumns = 0;
}

/* The code in groups of n characters ("ABCD EFGH IJ"). */
static int append_grouped(yima_buf *out, const char *s, size_t len, int n)
{
    for (size_t i = 0; i < len; i += (size_t)n) {
        size_t k = len - i < (size_t)n ? len - i : (size_t)n;
        if ((i && yima_buf_append(out, " ", 1)) || yima_buf_append(out, s + i, k))
            return YIMA_E_NOMEM;
    }
    return YIMA_OK;
}

int yr_template_expand(const yr_template *tl, const yr_fieldset *f, int group, yima_buf *out,
                       yima_err *err)
{
    size_t start = out->len;
    for (int i = 0; i < tl->nparts; i++) {
        const yr_tpart *p = &tl->parts[i];
        int rc;
        if (p->field < 0) {
            rc = yima_buf_append(out, p->lit, p->len);
        } else if (p->field == YR_FIELD_CODE && group > 0) {
            rc = append_grouped(out, f->v[p->field].ptr, f->v[p->field].len, group);
        } else if (!f->v[p->field].ptr) {
            return yima_err_set(err, YIMA_E_DATA, "the row has no '%s' for the text",
                                p->field < YR_FIELD__COUNT ? builtin_names[p->field]
                                                           : f->names[p->field - YR_FIELD__COUNT]);
        } else {
            rc = yima_buf_append(out, f->v[p->field].ptr, f->v[p->field].len);
        }
        if (rc)
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
    }
    /* A TAB or newline from a column would print as nothing: refuse it. */
    for (size_t i = start; i < out->len; i++)
        if (out->data[i] < 0x20)
            return yima_err_set(err, YIMA_E_DATA, "the text holds a control character (0x%02x)",
                                out->data[i]);
    return YIMA_OK;
}
