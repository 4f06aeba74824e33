/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ledger.h"
#include "verify_row.h"

/* A row's parts are judged in order (code, inner, case, pallet) and the
 * first part with the worst rank names the row's status: a part that is
 * bad beats one a scoped key cannot check, which beats one that needs the
 * secret key. */
static int rank(yima_status st)
{
    switch (st) {
    case YIMA_S_OK: return 0;
    case YIMA_S_NEED_SECRET: return 1;
    case YIMA_S_OUT_OF_SCOPE: return 2;
    default: return 3;
    }
}

typedef struct verdict {
    yima_status status;
    char *detail;
} verdict;

static void judge(verdict *v, yima_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void judge(verdict *v, yima_status st, const char *fmt, ...)
{
    va_list ap;
    if (rank(st) <= rank(v->status))
        return;
    v->status = st;
    va_start(ap, fmt);
    vsnprintf(v->detail, YIMA_ROW_DETAIL_MAX, fmt, ap);
    va_end(ap);
}

static int is_field(yima_field f) { return f.ptr != NULL; }

/* A code cut out of the payload (txt lines, rows without a code column). */
static int within(yima_field code, yima_field payload)
{
    return code.ptr >= payload.ptr && code.ptr <= payload.ptr + payload.len;
}

static int ledger_issued(const yima_rowcheck *c, const yima_code_info *info)
{
    if (!c->ledger || !info->position_known)
        return 1;
    int level = info->inner ? YIMA_LEVEL_ITEM : (int)info->level; /* inner codes are items' */
    return yima_ledger_contains(c->ledger, info->batch, level, info->index);
}

static int canon_char(unsigned char c)
{
    c = (unsigned char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    return c == 'O' ? '0' : c == 'I' || c == 'L' ? '1' : c;
}

/* Whether the payload carries the code, in any spelling of it. */
static int payload_carries(yima_field payload, yima_field code)
{
    if (!code.len || code.len > payload.len)
        return 0;
    if (memmem(payload.ptr, payload.len, code.ptr, code.len)) /* gen's own rows */
        return 1;
    for (size_t i = 0; i + code.len <= payload.len; i++) {
        size_t j = 0;
        while (j < code.len && canon_char((unsigned char)payload.ptr[i + j]) ==
                                   canon_char((unsigned char)code.ptr[j]))
            j++;
        if (j == code.len)
            return 1;
    }
    return 0;
}

static int same_value(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A GS1 row's payload (a Digital Link URI, say) is another spelling of its
 * code: it must carry the same elements and the same authentication, since
 * the payload is what gets printed. */
static int gs1_payload_carries(yima_field payload, yima_field code)
{
    yima_gs1 a, b;
    yima_err err;
    char ca[YIMA_GS1_TEXT_MAX], cb[YIMA_GS1_TEXT_MAX];
    if (yima_gs1_parse(payload.ptr, payload.len, &a, &err) != YIMA_OK ||
        yima_gs1_parse(code.ptr, code.len, &b, &err) != YIMA_OK)
        return 0;
    return yima_gs1_format(&a, YIMA_GS1_CANONICAL, ca, sizeof ca) > 0 &&
           yima_gs1_format(&b, YIMA_GS1_CANONICAL, cb, sizeof cb) > 0 && strcmp(ca, cb) == 0 &&
           same_value(yima_gs1_get(&a, YIMA_GS1_AI_SIG), yima_gs1_get(&b, YIMA_GS1_AI_SIG)) &&
           same_value(yima_gs1_get(&a, YIMA_GS1_AI_MAC), yima_gs1_get(&b, YIMA_GS1_AI_MAC));
}

/* What is wrong with a GS1 code's syntax, in the syntax layer's words. */
static void gs1_syntax_detail(yima_field code, char detail[YIMA_ROW_DETAIL_MAX])
{
    yima_gs1 g;
    yima_err err = {0};
    if (yima_gs1_parse(code.ptr, code.len, &g, &err) != YIMA_OK) {
        size_t n = strnlen(err.msg, YIMA_ROW_DETAIL_MAX - 1); /* cut, not overrun */
        memcpy(detail, err.msg, n);
        detail[n] = '\0';
    }
}

/* The level column, when there is one, must name the code's level. */
static void check_level_column(verdict *v, const yima_row *row, const yima_code_info *info)
{
    static const char *const names[] = {"item", "case", "pallet"};
    yima_field f = row->level;
    if (!is_field(f))
        return;
    for (int l = 0; l < 3; l++)
        if (f.len == strlen(names[l]) && strncasecmp(f.ptr, names[l], f.len) == 0) {
            if (l != (int)info->level)
                judge(v, YIMA_S_WRONG_LEVEL, "level column says %s", names[l]);
            return;
        }
    judge(v, YIMA_S_MALFORMED, "level column is not item, case or pallet");
}

static void check_inner(const yima_rowcheck *c, verdict *v, const yima_row *row,
                        const yima_code_info *outer)
{
    yima_field f = row->inner;
    yima_code_info ii;
    int item_row = outer->level == YIMA_LEVEL_ITEM && !outer->inner;
    if (!is_field(f) || (!f.len && !item_row))
        return;
    if (!f.len)
        return judge(v, YIMA_S_MALFORMED, "inner column is empty");
    if (!item_row)
        return judge(v, YIMA_S_PAIR_MISMATCH, "inner code on a %s row",
                     outer->inner ? "redemption" : yima_level_name(outer->level));
    yima_status st = yima_code_verify(c->ring, f.ptr, f.len, -1, &ii);
    if (rank(st) == 3)
        return judge(v, st, "inner code: %s", yima_status_name(st));
    if (!ii.inner)
        return judge(v, YIMA_S_PAIR_MISMATCH, "inner column holds an outer code");
    if (ii.key_id != outer->key_id)
        return judge(v, YIMA_S_PAIR_MISMATCH, "inner code of another key");
    if (st == YIMA_S_OUT_OF_SCOPE)
        return judge(v, st, "inner code: %s", yima_status_name(st));
    if (st != YIMA_S_OK || !outer->position_known || !ii.position_known)
        return judge(v, YIMA_S_NEED_SECRET, "inner pair needs the secret key");
    if (ii.batch != outer->batch || ii.index != outer->index)
        judge(v, YIMA_S_PAIR_MISMATCH, "inner code of another item");
}

static const yima_rowcheck_memo *memo_find(const yima_rowcheck_cache *cache, yima_field f)
{
    for (int i = 0; i < 2; i++) {
        const yima_rowcheck_memo *e = &cache->col[i];
        if (e->len && e->len == f.len && memcmp(e->text, f.ptr, f.len) == 0)
            return e;
    }
    return NULL;
}

/* A case or pallet column's code (any level), verified once per distinct
 * text; ledger included. */
static yima_status parent_code(const yima_rowcheck *c, yima_rowcheck_cache *cache, int slot,
                               yima_field f, yima_code_info *info)
{
    yima_rowcheck_memo *e = &cache->col[slot];
    const yima_rowcheck_memo *hit = memo_find(cache, f);
    if (hit) {
        *info = hit->info;
        return hit->status;
    }
    yima_status st = yima_code_verify(c->ring, f.ptr, f.len, -1, info);
    if (st == YIMA_S_OK && !ledger_issued(c, info))
        st = YIMA_S_NOT_ISSUED;
    if (f.len < sizeof e->text) {
        memcpy(e->text, f.ptr, f.len);
        e->len = f.len;
        e->status = st;
        e->info = *info;
    }
    return st;
}

static void check_parent(const yima_rowcheck *c, yima_rowcheck_cache *cache, verdict *v,
                         yima_field f, yima_level level, const yima_code_info *row_info)
{
    const char *name = yima_level_name(level);
    yima_code_info pi;
    if (!is_field(f))
        return;
    if (!f.len) {
        /* gen gives every item its case and pallet, and every case its pallet. */
        if (row_info->inner || row_info->level < level)
            judge(v, YIMA_S_MALFORMED, "%s column is empty", name);
        return;
    }
    yima_status st = parent_code(c, cache, level == YIMA_LEVEL_CASE ? 0 : 1, f, &pi);
    if (rank(st) == 3)
        return judge(v, st, "%s code: %s", name, yima_status_name(st));
    if (pi.inner || pi.level != level)
        return judge(v, YIMA_S_WRONG_LEVEL, "%s column holds %s %s code", name,
                     pi.inner ? "an" : "a", pi.inner ? "inner" : yima_level_name(pi.level));
    if (pi.key_id != row_info->key_id)
        return judge(v, YIMA_S_PAIR_MISMATCH, "%s code of another key", name);
    if (pi.position_known && row_info->position_known && pi.batch != row_info->batch)
        return judge(v, YIMA_S_PAIR_MISMATCH, "%s code of another batch", name);
    if (st != YIMA_S_OK)
        judge(v, st, "%s code: %s", name, yima_status_name(st));
}

/* The row's own code. A case row's code was usually just checked as its
 * items' case column: the memo saves verifying it twice. */
static yima_status row_code(const yima_rowcheck *c, const yima_rowcheck_cache *cache,
                            yima_field f, yima_code_info *info)
{
    const yima_rowcheck_memo *hit = memo_find(cache, f);
    yima_status st;
    if (!hit) {
        st = yima_code_verify(c->ring, f.ptr, f.len, c->want_level, info);
        return st == YIMA_S_OK && !ledger_issued(c, info) ? YIMA_S_NOT_ISSUED : st;
    }
    *info = hit->info;
    st = hit->status;
    if ((st == YIMA_S_OK || st == YIMA_S_NOT_ISSUED) && c->want_level >= 0 &&
        (int)info->level != c->want_level)
        st = YIMA_S_WRONG_LEVEL;
    return st;
}

yima_status yima_rowcheck_run(const yima_rowcheck *c, yima_rowcheck_cache *cache,
                              const yima_row *row, yima_code_info *info,
                              char detail[YIMA_ROW_DETAIL_MAX])
{
    verdict v = {YIMA_S_OK, detail};
    detail[0] = '\0';
    yima_status st = row_code(c, cache, row->code, info);
    if (st == YIMA_S_NOT_ISSUED) {
        snprintf(detail, YIMA_ROW_DETAIL_MAX, "never issued by the ledger");
        return YIMA_S_NOT_ISSUED;
    }
    if (rank(st) == 3) {
        if (info->gs1 && (st == YIMA_S_MALFORMED || st == YIMA_S_BAD_CHECK))
            gs1_syntax_detail(row->code, detail);
        return st; /* the code itself is bad: its status says it all (GS1: and why) */
    }
    v.status = st;
    if (is_field(row->payload) && !within(row->code, row->payload) &&
        !(info->gs1 ? gs1_payload_carries(row->payload, row->code)
                    : payload_carries(row->payload, row->code)))
        judge(&v, YIMA_S_MALFORMED, "payload does not carry the code");
    check_level_column(&v, row, info);
    check_inner(c, &v, row, info);
    check_parent(c, cache, &v, row->case_code, YIMA_LEVEL_CASE, info);
    check_parent(c, cache, &v, row->pallet_code, YIMA_LEVEL_PALLET, info);
    return v.status;
}
