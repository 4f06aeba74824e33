/* SPDX-License-Identifier: MIT */
/*
 * The packing plan: gen's pre-assigned hierarchy (gen --pack: each item
 * row names its case, each case row its pallet) loaded into the store, so
 * that PACK can be checked against it, and, if asked, every planned item
 * commissioned from its row. All or nothing: one transaction.
 */
#include <string.h>
#include "link_internal.h"
#include "io.h"

/* Columns a row may carry for commissioning (gen output merged with product
 * data, or GS1 output's lot and expiry). */
static const char *const commission_cols[] = {"product", "lot", "expiry"};

typedef struct planner {
    yima_link *s;
    const yima_link_import_options *opt;
    yima_link_plan_summary *sum;
    lk_parser *p;
    yima_rowparser *rows;
    const char *wanted[3];  /* commission_cols the input has */
    int col[3];             /* their places in commission_cols */
    int nwanted;
    int commission;         /* commission every planned item too */
    const char *input, *source; /* path for messages; base name for event ids */
    yima_err *err;
} planner;

/* A bad row stops the load: "FILE:LINE: what". */
static int row_error(planner *pl, uint64_t line, const char *why)
{
    return yima_err_set(pl->err, YIMA_E_DATA, "%s:%llu: %s", pl->input,
                        (unsigned long long)line, why);
}

/* Asks the row parser for those of commission_cols the header names. */
static void want_columns(planner *pl)
{
    yima_err ignored;
    pl->nwanted = 0;
    for (int i = 0; i < 3; i++) {
        const char *one[] = {commission_cols[i]};
        if (yima_rowparser_want(pl->rows, one, 1, pl->input, &ignored) == YIMA_OK) {
            pl->col[pl->nwanted] = i;
            pl->wanted[pl->nwanted++] = commission_cols[i];
        }
    }
    yima_rowparser_want(pl->rows, pl->wanted, (size_t)pl->nwanted, pl->input, &ignored);
}

/* Records code -> parent, or finds it recorded with the same parent. */
static int record(planner *pl, uint64_t line, const lk_code *c, const lk_code *parent)
{
    char why[512];
    lk_st *st = lk_stmt(pl->s, Q_PLAN_GET);
    lk_bind_text(st, 1, c->text, (int)c->len);
    int rc = lk_step(st);
    if (rc == LK_ROW) {
        const char *was = lk_column_text(st, 0);
        if (strcmp(was, parent->text) == 0) {
            pl->sum->known++;
            return YIMA_OK;
        }
        snprintf(why, sizeof why, "%s '%s' is planned for '%s' already, here for '%s'",
                 yima_level_name(c->level), c->text, was, parent->text);
        return row_error(pl, line, why);
    }
    if (rc != LK_DONE)
        return lk_db_error(pl->s, "reading the plan", pl->err);
    st = lk_stmt(pl->s, Q_PLAN_ADD);
    lk_bind_text(st, 1, c->text, (int)c->len);
    lk_bind_text(st, 2, parent->text, (int)parent->len);
    if (lk_step(st) != LK_DONE)
        return lk_db_error(pl->s, "recording the plan", pl->err);
    pl->sum->added++;
    return YIMA_OK;
}

/* COMMISSION of a planned item as the event "plan:SOURCE:LINE", with the
 * row's product, lot and expiry ("-": none). A GS1 item's come from the
 * code itself: gen's lot and expiry columns say the same, as YYMMDD. */
static int commission(planner *pl, uint64_t line, const yima_row *row, int gs1)
{
    char id[600], val[4][1024], why[600];
    const char *fields[5] = {"COMMISSION", val[0], "-", "-", "-"};
    const yima_field *code = row->payload.ptr ? &row->payload : &row->code;
    lk_event ev;
    yima_err e;
    int skipped;
    for (int i = -1; i < (gs1 ? 0 : pl->nwanted); i++) {
        const yima_field *f = i < 0 ? code : &row->extra[i];
        if (!f->ptr || f->len == 0)
            continue;
        if (f->len >= sizeof val[0])
            return row_error(pl, line, "a field is longer than 1023 bytes");
        snprintf(val[i + 1], sizeof val[0], "%.*s", (int)f->len, f->ptr);
        if (i >= 0)
            fields[2 + pl->col[i]] = val[i + 1];
    }
    snprintf(id, sizeof id, "plan:%s:%llu", pl->source, (unsigned long long)line);
    int rc = lk_parse_fields(pl->p, fields, 5, &ev, &e);
    rc = rc ? rc : lk_apply(pl->s, &pl->opt->rules, &ev, id, strlen(id), &skipped, &e);
    if (rc == YIMA_E_DATA) {
        snprintf(why, sizeof why, "cannot commission: %s", e.msg);
        return row_error(pl, line, why);
    }
    if (rc)
        return yima_err_set(pl->err, rc, "%s", e.msg);
    pl->sum->commissioned += !skipped;
    return YIMA_OK;
}

/* One row: its code and the container it is planned for. */
static int plan_row(planner *pl, char *text, size_t len, uint64_t line)
{
    yima_row row;
    yima_err e;
    lk_code codes[2];
    char why[600];
    int rc = yima_rowparser_parse(pl->rows, text, len, &row, pl->input, line, pl->err);
    if (rc || row.is_header)
        return rc;
    pl->sum->rows++;
    /* jsonl leaves out empty members: only the end of input can tell. */
    if (!row.case_code.ptr && !row.pallet_code.ptr &&
        yima_rowparser_format(pl->rows) != YIMA_ROWS_JSONL)
        return row_error(pl, line, "no case or pallet column: not the output of gen --pack");
    /* An item row names its case (and pallet), a case row only its pallet. */
    int in_case = row.case_code.ptr && row.case_code.len > 0;
    yima_field f[2] = {row.payload.ptr ? row.payload : row.code,
                       in_case ? row.case_code : row.pallet_code};
    const char *roles[2] = {"code", in_case ? "case" : "pallet"};
    int n = f[1].ptr && f[1].len > 0 ? 2 : 1;
    if ((rc = lk_verify_codes(pl->p, f, n, roles, codes, &e)))
        return rc == YIMA_E_DATA ? row_error(pl, line, e.msg)
                                 : yima_err_set(pl->err, rc, "%s", e.msg);
    if (n == 2 && codes[1].level != codes[0].level + 1) {
        snprintf(why, sizeof why, "%s '%s' is a %s code, not the container of %s '%s'",
                 roles[1], codes[1].text, yima_level_name(codes[1].level),
                 yima_level_name(codes[0].level), codes[0].text);
        return row_error(pl, line, why);
    }
    if (n == 2) {
        pl->sum->links++;
        rc = record(pl, line, &codes[0], &codes[1]);
    }
    if (!rc && pl->commission && codes[0].level == YIMA_LEVEL_ITEM)
        rc = commission(pl, line, &row, codes[0].gs1);
    return rc;
}

/* Every line of one input; the first decides the format (rows.h). */
static int plan_input(planner *pl)
{
    yima_lines *lines = NULL;
    yima_buf buf = {0};
    uint64_t first, n, links_before = pl->sum->links;
    int rc = yima_lines_open(&lines, pl->input, pl->err);
    while (!rc && (rc = yima_lines_read(lines, &buf, 1 << 20, &first, &n, pl->err)) == 1) {
        char *s = (char *)buf.data, *end = s + buf.len;
        rc = YIMA_OK;
        for (uint64_t line = first; !rc && s < end; line++) {
            char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t len = (size_t)((nl ? nl : end) - s);
            if (!pl->rows && !(rc = yima_rowparser_create(&pl->rows, s, len,
                                                           pl->opt->template_text, pl->err)))
                want_columns(pl);
            rc = rc ? rc : plan_row(pl, s, len, line);
            s = nl ? nl + 1 : end;
        }
        buf.len = 0;
    }
    if (rc == 0 && pl->sum->links == links_before)
        rc = yima_err_set(pl->err, YIMA_E_DATA, "%s: no code is planned into a container: "
                          "not the output of gen --pack", pl->input);
    yima_rowparser_free(pl->rows);
    pl->rows = NULL;
    yima_lines_close(lines);
    yima_buf_free(&buf);
    return rc;
}

int yima_link_plan(yima_link *s, const yima_link_import_options *opt, int commission,
                   const char *const *inputs, int ninputs, yima_link_plan_summary *sum,
                   yima_err *err)
{
    yima_link_plan_summary local;
    planner pl = {.s = s, .opt = opt, .sum = sum ? sum : &local, .commission = commission,
                  .err = err};
    memset(pl.sum, 0, sizeof *pl.sum);
    if (s->mode != YIMA_LINK_WRITE)
        return yima_err_set(err, YIMA_E_USAGE, "store opened read-only");
    int rc = lk_parser_create(&pl.p, opt->ring, opt->template_text, err);
    if (!rc && (rc = lk_template_bind(s, opt->template_text, err)))
        lk_parser_free(pl.p);
    if (rc)
        return rc;
    const char *ctx[LK_CTX__COUNT] = {opt->user, opt->station, opt->read_point, opt->location};
    lk_parser_context(pl.p, opt->gcp_len, ctx);
    rc = lk_begin(s, err);
    for (int i = 0; !rc && i < ninputs; i++) {
        const char *slash = strrchr(inputs[i], '/');
        pl.input = inputs[i];
        pl.source = slash ? slash + 1 : inputs[i];
        rc = plan_input(&pl);
    }
    rc = rc ? rc : lk_commit(s, err);
    if (rc) {
        lk_rollback(s);
        memset(pl.sum, 0, sizeof *pl.sum); /* nothing of it stays */
    }
    lk_parser_free(pl.p);
    return rc;
}
