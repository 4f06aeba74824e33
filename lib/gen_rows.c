/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <strings.h>
#include "gen_rows.h"
#include "io.h"
#include "rows.h"

static const char *const outfmt_names[] = {"txt", "csv", "tsv", "jsonl"};

const char *yima_outfmt_name(yima_outfmt f)
{
    return (unsigned)f < 4 ? outfmt_names[f] : "?";
}

int yima_outfmt_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, outfmt_names[i]) == 0)
            return i;
    return -1;
}

int yima_gen_rows_init(yima_rowfmt_state *s, const yima_gen_options *opt, yima_err *err)
{
    memset(s, 0, sizeof *s);
    s->opt = opt;
    s->gzip = opt->gzip || yima_path_is_gzip(opt->output);
    s->prefix = s->suffix = ""; /* no template: the payload is the bare code */
    if (opt->template_text) {
        int rc = yima_template_check(opt->template_text, err);
        if (rc)
            return rc;
        const char *slot = strstr(opt->template_text, "{code}");
        s->prefix = opt->template_text;
        s->prefix_len = (size_t)(slot - opt->template_text);
        s->suffix = slot + 6;
        s->suffix_len = strlen(s->suffix);
        s->quote_payload = opt->format == YIMA_OUT_CSV && strchr(opt->template_text, ',');
    }
    s->serial_offset = yima_codec_serial_offset(opt->codec);
    s->serial_len = (size_t)yima_codec_get(opt->codec, YIMA_P_SERIAL_LEN);
    /* index, level, serial, code, payload, inner, case, pallet, quoting, JSON keys */
    s->row_max = 160 + 5 * YIMA_CODE_MAX + s->prefix_len + s->suffix_len;
    return YIMA_OK;
}

int yima_gen_header(const yima_rowfmt_state *s, yima_buf *out, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    const char *sep = o->format == YIMA_OUT_TSV ? "\t" : ",";
    const char *cols[] = {"index", "level", "serial", "code", "payload",
                          o->inner ? "inner" : NULL, o->pack_case ? "case" : NULL,
                          o->pack_case ? "pallet" : NULL};
    int first = 1;
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        if (!cols[i])
            continue;
        if ((!first && yima_buf_append(out, sep, 1)) || yima_buf_append(out, cols[i], strlen(cols[i])))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        first = 0;
    }
    return yima_buf_append(out, "\n", 1) ? yima_err_set(err, YIMA_E_NOMEM, "out of memory") : 0;
}

/* A cursor into a buffer that already has room for the whole row. */
typedef struct cursor {
    char *p;
} cursor;

static void put(cursor *c, const char *s, size_t n)
{
    memcpy(c->p, s, n);
    c->p += n;
}

static void put_str(cursor *c, const char *s)
{
    put(c, s, strlen(s));
}

static void put_u64(cursor *c, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *c->p++ = tmp[--n];
}

typedef struct row {
    uint64_t index;
    yima_level level;
    const char *code, *inner, *case_code, *pallet_code; /* NULL when not applicable */
} row;

static void put_payload(const yima_rowfmt_state *s, cursor *c, const char *code, int quote)
{
    if (quote)
        put(c, "\"", 1);
    put(c, s->prefix, s->prefix_len);
    put_str(c, code);
    put(c, s->suffix, s->suffix_len);
    if (quote)
        put(c, "\"", 1);
}

static void put_delimited(const yima_rowfmt_state *s, cursor *c, const row *r, char sep)
{
    const yima_gen_options *o = s->opt;
    put_u64(c, r->index);
    *c->p++ = sep;
    put_str(c, yima_level_name(r->level));
    *c->p++ = sep;
    put(c, r->code + s->serial_offset, s->serial_len);
    *c->p++ = sep;
    put_str(c, r->code);
    *c->p++ = sep;
    put_payload(s, c, r->code, s->quote_payload);
    if (o->inner) {
        *c->p++ = sep;
        put_str(c, r->inner ? r->inner : "");
    }
    if (o->pack_case) {
        *c->p++ = sep;
        put_str(c, r->case_code ? r->case_code : "");
        *c->p++ = sep;
        put_str(c, r->pallet_code ? r->pallet_code : "");
    }
}

static void put_json_field(cursor *c, const char *key, const char *value)
{
    put(c, ",\"", 2);
    put_str(c, key);
    put(c, "\":\"", 3);
    put_str(c, value);
    put(c, "\"", 1);
}

/* Template text is checked free of quotes, backslashes and controls, and
 * codes are alphanumeric, so no value needs JSON escaping. */
static void put_jsonl(const yima_rowfmt_state *s, cursor *c, const row *r)
{
    put_str(c, "{\"index\":");
    put_u64(c, r->index);
    put_json_field(c, "level", yima_level_name(r->level));
    put(c, ",\"serial\":\"", 11);
    put(c, r->code + s->serial_offset, s->serial_len);
    put(c, "\"", 1);
    put_json_field(c, "code", r->code);
    put(c, ",\"payload\":", 11);
    put_payload(s, c, r->code, 1);
    if (r->inner)
        put_json_field(c, "inner", r->inner);
    if (r->case_code)
        put_json_field(c, "case", r->case_code);
    if (r->pallet_code)
        put_json_field(c, "pallet", r->pallet_code);
    put(c, "}", 1);
}

static void emit_row(const yima_rowfmt_state *s, yima_buf *out, const row *r)
{
    cursor c = {(char *)out->data + out->len};
    switch (s->opt->format) {
    case YIMA_OUT_TSV: put_delimited(s, &c, r, '\t'); break;
    case YIMA_OUT_CSV: put_delimited(s, &c, r, ','); break;
    case YIMA_OUT_JSONL: put_jsonl(s, &c, r); break;
    default: put_payload(s, &c, r->code, 0); break;
    }
    *c.p++ = '\n';
    out->len = (size_t)((unsigned char *)c.p - out->data);
}

/* Codes of the case and pallet the current item belongs to, cached because
 * a sig code costs a signature. */
typedef struct parents {
    uint64_t case_index, pallet_index;
    char case_code[YIMA_CODE_MAX], pallet_code[YIMA_CODE_MAX];
    int valid;
} parents;

static int load_parents(const yima_rowfmt_state *s, parents *p, uint64_t item, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    uint64_t ci = item / o->pack_case, pi = ci / o->pack_pallet;
    if (p->valid && p->case_index == ci)
        return YIMA_OK;
    if (!yima_codec_encode(o->codec, YIMA_LEVEL_CASE, o->batch, ci, p->case_code, err))
        return err->code;
    if ((!p->valid || p->pallet_index != pi) &&
        !yima_codec_encode(o->codec, YIMA_LEVEL_PALLET, o->batch, pi, p->pallet_code, err))
        return err->code;
    p->case_index = ci;
    p->pallet_index = pi;
    p->valid = 1;
    return YIMA_OK;
}

/* Case row after its last item (or the run's last), pallet row after its last case. */
static uint64_t emit_closing_parents(const yima_rowfmt_state *s, yima_buf *out,
                                     const parents *p, uint64_t item)
{
    const yima_gen_options *o = s->opt;
    int run_end = item + 1 == o->start + o->count;
    if (item % o->pack_case != o->pack_case - 1 && !run_end)
        return 0;
    row r = {p->case_index, YIMA_LEVEL_CASE, p->case_code, NULL, NULL, p->pallet_code};
    emit_row(s, out, &r);
    if (p->case_index % o->pack_pallet != o->pack_pallet - 1 && !run_end)
        return 1;
    row pr = {p->pallet_index, YIMA_LEVEL_PALLET, p->pallet_code, NULL, NULL, NULL};
    emit_row(s, out, &pr);
    return 2;
}

int yima_gen_rows(const yima_rowfmt_state *s, uint64_t start, uint64_t count, yima_buf *out,
                  uint64_t *rows, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    char code[YIMA_CODE_MAX], inner[YIMA_CODE_MAX];
    parents p = {0};
    for (uint64_t i = start; i < start + count; i++) {
        if (yima_buf_reserve(out, 3 * s->row_max))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        if (!yima_codec_encode(o->codec, o->level, o->batch, i, code, err))
            return err->code;
        if (o->inner && !yima_codec_encode_inner(o->codec, o->batch, i, inner, err))
            return err->code;
        if (o->pack_case && load_parents(s, &p, i, err))
            return err->code;
        row r = {i, o->level, code, o->inner ? inner : NULL, o->pack_case ? p.case_code : NULL,
                 o->pack_case ? p.pallet_code : NULL};
        emit_row(s, out, &r);
        *rows += 1 + (o->pack_case ? emit_closing_parents(s, out, &p, i) : 0);
    }
    return YIMA_OK;
}
