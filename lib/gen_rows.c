/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <strings.h>
#include "gen_gs1.h"
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

/* Characters a Digital Link base may hold: an https URI without query,
 * fragment, quotes, backslashes, spaces or controls, so rows need no escaping
 * for it. The GS1 AI values after it are percent-encoded by the library. */
static int dl_base_ok(const char *b)
{
    size_t n = strlen(b);
    if (strncmp(b, "https://", 8) != 0 || n <= 8 || n > 200 || b[8] == '/')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] <= ' ' || b[i] > '~' || strchr("\"\\#?,<>^`{|}", b[i]))
            return 0;
    return 1;
}

static int gs1_rows_init(yima_rowfmt_state *s, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    if (o->template_text)
        return yima_err_set(err, YIMA_E_USAGE,
                            "GS1 payloads are element strings or Digital Link URIs: no template");
    if (o->dl_base && !dl_base_ok(o->dl_base))
        return yima_err_set(err, YIMA_E_USAGE,
                            "Digital Link base '%.60s' is not an https://host[/path] URI of at "
                            "most 200 plain characters",
                            o->dl_base);
    /* txt shows the payload only; the other formats every form */
    int txt = o->format == YIMA_OUT_TXT;
    s->gs1_forms = (!txt || !o->dl_base ? 1u << YIMA_GS1_F_HRI : 0) |
                   (!txt ? 1u << YIMA_GS1_F_RAW : 0) | (o->dl_base ? 1u << YIMA_GS1_F_DL : 0);
    s->gs1_quote = o->format == YIMA_OUT_CSV && strpbrk(s->gs1->lot, ",\"");
    /* The element string forms (HRI, RAW, payload) and the lot may be JSON
     * escaped (6 bytes for a GS, 2 for a quote), and so may the parents'. */
    s->row_max = 256 + 2 * YIMA_CODE_MAX + 16 * YIMA_GS1_TEXT_MAX;
    return YIMA_OK;
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
    if ((s->gs1 = yima_codec_gs1(opt->codec)))
        return gs1_rows_init(s, err);
    if (opt->dl_base)
        return yima_err_set(err, YIMA_E_USAGE, "a Digital Link base needs a GS1 codec");
    return YIMA_OK;
}

int yima_gen_header(const yima_rowfmt_state *s, yima_buf *out, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    const char *sep = o->format == YIMA_OUT_TSV ? "\t" : ",";
    const char *gs = s->gs1 ? "" : NULL; /* GS1 columns after payload */
    const char *cols[] = {"index", "level", "serial", "code", "payload",
                          gs ? "raw" : NULL, gs ? "gtin" : NULL, gs ? "lot" : NULL,
                          gs ? "expiry" : NULL, gs ? "sscc" : NULL,
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

static int gs1_payload(const yima_rowfmt_state *s)
{
    return s->opt->dl_base ? YIMA_GS1_F_DL : YIMA_GS1_F_HRI;
}

/* A GS1 form of a code, whose length gen knows. */
static void put_form(cursor *c, const yima_gs1_text *t, int f)
{
    put(c, t->form[f], t->len[f]);
}

typedef struct row {
    uint64_t index;
    yima_level level;
    const char *code, *inner, *case_code, *pallet_code; /* NULL when not applicable */
    const yima_gs1_text *gs1;                           /* GS1 mode: the code's forms */
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

/* A csv field, quoted (RFC 4180: quotes doubled) when quote is set. */
static void put_field(cursor *c, const char *v, int quote)
{
    if (!quote) {
        put_str(c, v);
        return;
    }
    *c->p++ = '"';
    for (; *v; v++) {
        if (*v == '"')
            *c->p++ = '"';
        *c->p++ = *v;
    }
    *c->p++ = '"';
}

/* A JSON string: element strings may hold quotes (a lot) and GS (0x1D). */
static void put_json_str(cursor *c, const char *v)
{
    static const char hex[] = "0123456789abcdef";
    *c->p++ = '"';
    for (; *v; v++) {
        unsigned char b = (unsigned char)*v;
        if (b < 0x20) {
            put(c, "\\u00", 4);
            *c->p++ = hex[b >> 4];
            *c->p++ = hex[b & 15];
            continue;
        }
        if (b == '"' || b == '\\')
            *c->p++ = '\\';
        *c->p++ = (char)b;
    }
    *c->p++ = '"';
}

/* The GS1 identifiers of a row: items have an SGTIN, cases and pallets an SSCC. */
typedef struct gs1_ids {
    const char *serial, *gtin, *lot, *expiry, *sscc;
} gs1_ids;

static gs1_ids gs1_ids_of(const yima_rowfmt_state *s, const row *r)
{
    const char *id = r->gs1->parts.id;
    if (r->level != YIMA_LEVEL_ITEM)
        return (gs1_ids){"", "", "", "", id};
    return (gs1_ids){id, s->gs1->gtin, s->gs1->lot, s->gs1->expiry, ""};
}

/* A csv or tsv field of a GS1 form: quoted if the lot needs it. */
static void put_form_field(const yima_rowfmt_state *s, cursor *c, const yima_gs1_text *t, int f)
{
    if (s->gs1_quote)
        put_field(c, t->form[f], 1);
    else
        put_form(c, t, f);
}

static void put_gs1_delimited(const yima_rowfmt_state *s, cursor *c, const row *r, char sep)
{
    const yima_gs1_text *t = r->gs1;
    gs1_ids id = gs1_ids_of(s, r);
    int q = s->gs1_quote;
    put_u64(c, r->index);
    *c->p++ = sep;
    put_str(c, yima_level_name(r->level));
    *c->p++ = sep;
    put_str(c, id.serial);
    *c->p++ = sep;
    put_form_field(s, c, t, YIMA_GS1_F_HRI);
    *c->p++ = sep;
    put_form_field(s, c, t, gs1_payload(s));
    *c->p++ = sep;
    put_form_field(s, c, t, YIMA_GS1_F_RAW);
    *c->p++ = sep;
    put_str(c, id.gtin);
    *c->p++ = sep;
    put_field(c, id.lot, q);
    *c->p++ = sep;
    put_str(c, id.expiry);
    *c->p++ = sep;
    put_str(c, id.sscc);
}

static void put_delimited(const yima_rowfmt_state *s, cursor *c, const row *r, char sep)
{
    const yima_gen_options *o = s->opt;
    if (r->gs1) {
        put_gs1_delimited(s, c, r, sep);
    } else {
        put_u64(c, r->index);
        *c->p++ = sep;
        put_str(c, yima_level_name(r->level));
        *c->p++ = sep;
        put(c, r->code + s->serial_offset, s->serial_len);
        *c->p++ = sep;
        put_str(c, r->code);
        *c->p++ = sep;
        put_payload(s, c, r->code, s->quote_payload);
    }
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
    put(c, "\":", 2);
    put_json_str(c, value);
}

static void put_json_opt(cursor *c, const char *key, const char *value)
{
    if (*value)
        put_json_field(c, key, value);
}

/* Keys in column order; identifiers are written only where the row has
 * them (as inner, case and pallet are). */
static void put_gs1_json(const yima_rowfmt_state *s, cursor *c, const row *r)
{
    const yima_gs1_text *t = r->gs1;
    gs1_ids id = gs1_ids_of(s, r);
    put_json_opt(c, "serial", id.serial);
    put_json_field(c, "code", t->form[YIMA_GS1_F_HRI]);
    put_json_field(c, "payload", t->form[gs1_payload(s)]);
    put_json_field(c, "raw", t->form[YIMA_GS1_F_RAW]);
    put_json_opt(c, "gtin", id.gtin);
    put_json_opt(c, "lot", id.lot);
    put_json_opt(c, "expiry", id.expiry);
    put_json_opt(c, "sscc", id.sscc);
}

/* Compact codes are alphanumeric and template text is checked free of
 * quotes, backslashes and controls, so their values need no JSON escaping. */
static void put_jsonl(const yima_rowfmt_state *s, cursor *c, const row *r)
{
    put_str(c, "{\"index\":");
    put_u64(c, r->index);
    put(c, ",\"level\":\"", 10);
    put_str(c, yima_level_name(r->level));
    put(c, "\"", 1);
    if (r->gs1) {
        put_gs1_json(s, c, r);
    } else {
        put(c, ",\"serial\":\"", 11);
        put(c, r->code + s->serial_offset, s->serial_len);
        put(c, "\",\"code\":\"", 10);
        put_str(c, r->code);
        put(c, "\",\"payload\":", 12);
        put_payload(s, c, r->code, 1);
    }
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
    default:
        if (r->gs1)
            put_form(&c, r->gs1, gs1_payload(s));
        else
            put_payload(s, &c, r->code, 0);
        break;
    }
    *c.p++ = '\n';
    out->len = (size_t)((unsigned char *)c.p - out->data);
}

/* One code of (level, index): a compact code into code[YIMA_CODE_MAX], or
 * with a GS1 codec its element string forms into t. */
static int encode(const yima_rowfmt_state *s, yima_gs1_layouts *lay, yima_level level,
                  uint64_t index, char *code, yima_gs1_text *t, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    if (s->gs1)
        return yima_gen_gs1_encode(o, s->gs1_forms, lay, level, index, t, err);
    return yima_codec_encode(o->codec, level, o->batch, index, code, err) ? YIMA_OK : err->code;
}

/* Codes of the case and pallet the current item belongs to, cached because
 * a sig code costs a signature. */
typedef struct parents {
    uint64_t case_index, pallet_index;
    char case_code[YIMA_CODE_MAX], pallet_code[YIMA_CODE_MAX];
    yima_gs1_text case_gs1, pallet_gs1;
    int valid;
} parents;

/* The text a child row shows for a parent: its code, or its HRI element string. */
static const char *case_text(const yima_rowfmt_state *s, const parents *p)
{
    return s->gs1 ? p->case_gs1.form[YIMA_GS1_F_HRI] : p->case_code;
}

static const char *pallet_text(const yima_rowfmt_state *s, const parents *p)
{
    return s->gs1 ? p->pallet_gs1.form[YIMA_GS1_F_HRI] : p->pallet_code;
}

static int load_parents(const yima_rowfmt_state *s, yima_gs1_layouts *lay, parents *p,
                        uint64_t item, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    uint64_t ci = item / o->pack_case, pi = ci / o->pack_pallet;
    if (p->valid && p->case_index == ci)
        return YIMA_OK;
    if (encode(s, lay, YIMA_LEVEL_CASE, ci, p->case_code, &p->case_gs1, err))
        return err->code;
    if ((!p->valid || p->pallet_index != pi) &&
        encode(s, lay, YIMA_LEVEL_PALLET, pi, p->pallet_code, &p->pallet_gs1, err))
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
    const yima_gs1_text *cg = s->gs1 ? &p->case_gs1 : NULL, *pg = s->gs1 ? &p->pallet_gs1 : NULL;
    row r = {p->case_index, YIMA_LEVEL_CASE, case_text(s, p), NULL, NULL, pallet_text(s, p), cg};
    emit_row(s, out, &r);
    if (p->case_index % o->pack_pallet != o->pack_pallet - 1 && !run_end)
        return 1;
    row pr = {p->pallet_index, YIMA_LEVEL_PALLET, pallet_text(s, p), NULL, NULL, NULL, pg};
    emit_row(s, out, &pr);
    return 2;
}

int yima_gen_rows(const yima_rowfmt_state *s, uint64_t start, uint64_t count, yima_buf *out,
                  uint64_t *rows, yima_err *err)
{
    const yima_gen_options *o = s->opt;
    char code[YIMA_CODE_MAX], inner[YIMA_CODE_MAX];
    /* About 25 kB in GS1 mode, which a pipeline worker's stack holds easily. */
    yima_gs1_text t;
    yima_gs1_layouts lay;
    parents p;
    if (s->gs1)
        memset(&lay, 0, sizeof lay);
    p.valid = 0;
    for (uint64_t i = start; i < start + count; i++) {
        if (yima_buf_reserve(out, 3 * s->row_max))
            return yima_err_set(err, YIMA_E_NOMEM, "out of memory");
        if (encode(s, &lay, o->level, i, code, &t, err))
            return err->code;
        if (o->inner && !yima_codec_encode_inner(o->codec, o->batch, i, inner, err))
            return err->code;
        if (o->pack_case && load_parents(s, &lay, &p, i, err))
            return err->code;
        row r = {i, o->level, s->gs1 ? t.form[YIMA_GS1_F_HRI] : code, o->inner ? inner : NULL,
                 o->pack_case ? case_text(s, &p) : NULL,
                 o->pack_case ? pallet_text(s, &p) : NULL, s->gs1 ? &t : NULL};
        emit_row(s, out, &r);
        *rows += 1 + (o->pack_case ? emit_closing_parents(s, out, &p, i) : 0);
    }
    return YIMA_OK;
}
