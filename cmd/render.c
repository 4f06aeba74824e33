/* SPDX-License-Identifier: MIT */
/*
 * yima render: parses options into yima_render_options and runs the
 * library. Only flag-level faults are caught here (unknown values,
 * malformed numbers, flags that contradict each other or mean nothing for
 * the chosen output); every check of meaning (sizes that do not fit, a
 * missing font, ranges that split a page) is yima_render_check's.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "yima/render.h"

static const char help[] =
    "Usage: yima render [OPTIONS] [FILE...]\n"
    "Render codes as QR, Micro QR or DataMatrix symbols, alone or on labels with text. FILEs\n"
    "hold gen output (txt, csv, tsv, jsonl; .gz is fine) or payloads one per line; none or '-'\n"
    "is standard input. GS1 element strings such as (01)...(21)... are encoded with FNC1.\n"
    "\n"
    "Symbol:\n"
    "      --symbol S          qr, datamatrix or microqr          [Default: qr]\n"
    "      --shape S           DataMatrix square or rect          [Default: square]\n"
    "  -e, --ecc L|M|Q|H       QR error correction level          [Default: M]\n"
    "      --version N         QR version 1..40                   [Default: smallest that fits\n"
    "                          the first payload]\n"
    "  -s, --scale PX          pixels (printer dots) per module   [Default: 4]\n"
    "      --dpi D             resolution, written to PNG pHYs    [Default: none; 300 for labels]\n"
    "      --module-mm MM      module size in mm at --dpi, rounded to whole dots\n"
    "  -m, --margin N          quiet zone in modules              [Default: 4]\n"
    "      --level L           only item, case or pallet rows     [Default: all rows]\n"
    "      --column C          payload, or inner (the cap code)   [Default: payload]\n"
    "\n"
    "Output:\n"
    "  -f, --format F          png, svg or pbm                    [Default: png]\n"
    "  -o, --output FILE       image, tar, PDF or ZPL output      [Default: stdout]\n"
    "  -d, --dir DIR           one file per code in DIR, made if missing\n"
    "  -n, --name index|serial file names in --dir and --tar      [Default: index, from 0]\n"
    "      --tar               a POSIX tar stream of images\n"
    "      --sheet COLSxROWS   labels on pages: a PDF, or PNG pages with --dir or --tar\n"
    "      --roll              one label a page: a PDF, or PNG pages with --dir or --tar\n"
    "      --page-mm WxH       sheet page size                    [Default: 210x297]\n"
    "      --pitch-mm WxH      sheet label pitch                  [Default: label + gap, or\n"
    "                          the page divided by the grid]\n"
    "      --origin-mm XxY     first label's top-left corner      [Default: grid centred]\n"
    "      --force             replace files; write binary data to a terminal\n"
    "\n"
    "Label:\n"
    "      --label-mm WxH      trim size                          [Default: sheet pitch - gap]\n"
    "      --gap-mm MM         space between labels               [Default: 0]\n"
    "      --bleed-mm MM       roll: bleed beyond the trim, 0..10 [Default: 0]\n"
    "      --safe-mm MM        safe area inside the trim          [Default: 1]\n"
    "      --anchor A          center, top-left, top, top-right, left, right, bottom-left,\n"
    "                          bottom or bottom-right             [Default: center]\n"
    "      --rotate DEG        symbol turned 0, 90, 180 or 270    [Default: 0]\n"
    "\n"
    "Text:\n"
    "  -t                      the code in a line: --text '{code}'\n"
    "      --text TEMPLATE     a line of text: {column}, {code}, {serial}, {index}, {payload},\n"
    "                          {level}; repeat for up to 8 lines\n"
    "      --text-pt PT        size of the last --text; before any, of every line\n"
    "                          (6..72)                            [Default: 6]\n"
    "      --font FAMILY       fontconfig family                  [Default: WenQuanYi Micro Hei]\n"
    "      --group N           {code} in groups of N characters, 1..16\n"
    "\n"
    "PDF:\n"
    "      --spot NAME         black as this Separation colour    [Default: K (DeviceGray)]\n"
    "      --crop-marks        roll: crop marks outside the bleed\n"
    "      --title TEXT        Info and XMP title                 [Default: the output's name]\n"
    "      --split-pages N     a numbered file every N pages (job-0001.pdf, ...)\n"
    "\n"
    "ZPL:\n"
    "      --zpl               Zebra ZPL II labels; the printer draws the symbol\n"
    "      --copies N          printed copies of each label (^PQ) [Default: 1]\n"
    "\n"
    "Run:\n"
    "      --range START:COUNT COUNT rows from START (0-based)    [Default: all]\n"
    "  -j, --threads N         worker threads, 0 = all cores      [Default: 0]\n"
    "  -q, --quiet             no progress line\n"
    "  -h, --help              show this help\n";

enum {
    O_VERSION = 256, O_SYMBOL, O_SHAPE, O_DPI, O_MODULE_MM, O_LEVEL, O_COLUMN, O_TAR, O_SHEET,
    O_ROLL, O_PAGE_MM, O_PITCH_MM, O_ORIGIN_MM, O_FORCE, O_LABEL_MM, O_GAP_MM, O_BLEED_MM,
    O_SAFE_MM, O_ANCHOR, O_ROTATE, O_TEXT, O_TEXT_PT, O_FONT, O_GROUP, O_SPOT, O_CROP_MARKS,
    O_TITLE, O_SPLIT_PAGES, O_ZPL, O_COPIES, O_RANGE
};

static const struct option longopts[] = {
    {"symbol", required_argument, NULL, O_SYMBOL},
    {"shape", required_argument, NULL, O_SHAPE},
    {"ecc", required_argument, NULL, 'e'},
    {"version", required_argument, NULL, O_VERSION},
    {"scale", required_argument, NULL, 's'},
    {"dpi", required_argument, NULL, O_DPI},
    {"module-mm", required_argument, NULL, O_MODULE_MM},
    {"margin", required_argument, NULL, 'm'},
    {"level", required_argument, NULL, O_LEVEL},
    {"column", required_argument, NULL, O_COLUMN},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"dir", required_argument, NULL, 'd'},
    {"name", required_argument, NULL, 'n'},
    {"tar", no_argument, NULL, O_TAR},
    {"sheet", required_argument, NULL, O_SHEET},
    {"roll", no_argument, NULL, O_ROLL},
    {"page-mm", required_argument, NULL, O_PAGE_MM},
    {"pitch-mm", required_argument, NULL, O_PITCH_MM},
    {"origin-mm", required_argument, NULL, O_ORIGIN_MM},
    {"force", no_argument, NULL, O_FORCE},
    {"label-mm", required_argument, NULL, O_LABEL_MM},
    {"gap-mm", required_argument, NULL, O_GAP_MM},
    {"bleed-mm", required_argument, NULL, O_BLEED_MM},
    {"safe-mm", required_argument, NULL, O_SAFE_MM},
    {"anchor", required_argument, NULL, O_ANCHOR},
    {"rotate", required_argument, NULL, O_ROTATE},
    {"text", required_argument, NULL, O_TEXT},
    {"text-pt", required_argument, NULL, O_TEXT_PT},
    {"font", required_argument, NULL, O_FONT},
    {"group", required_argument, NULL, O_GROUP},
    {"spot", required_argument, NULL, O_SPOT},
    {"crop-marks", no_argument, NULL, O_CROP_MARKS},
    {"title", required_argument, NULL, O_TITLE},
    {"split-pages", required_argument, NULL, O_SPLIT_PAGES},
    {"zpl", no_argument, NULL, O_ZPL},
    {"copies", required_argument, NULL, O_COPIES},
    {"range", required_argument, NULL, O_RANGE},
    {"threads", required_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* What was given, for the checks that compare flags. */
typedef struct given {
    int scale, ecc, shape, format, sheet, roll, page, pitch, origin, label_mm, copies, tar, zpl;
    int text_pt, font, group;
    const char *label_flag; /* the first label option, for messages */
} given;

typedef struct render_cli {
    yima_render_options o;
    yima_sheet sheet;
    yima_label label;
    double module_mm, default_pt;
    int quiet;
    given g;
} render_cli;

/* Returned by an option group for an option it does not take. */
#define NOT_MINE (-1)

/* A plain decimal: digits with at most one point (no sign, exponent,
 * hex or "inf", which strtod would take). */
static int decimal(const char *text, double *out)
{
    char *end;
    size_t n = strspn(text, "0123456789.");
    if (!n || text[n] || strchr(text, '.') != strrchr(text, '.'))
        return -1;
    *out = strtod(text, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

/* A length in mm: a decimal number above 0 and at most 5000. */
static int opt_mm(const char *opt, const char *text, double *out)
{
    double v;
    if (decimal(text, &v) || v <= 0 || v > 5000)
        return usage_error("render", "%s: '%s' is not a length in mm (0 < mm <= 5000)", opt, text);
    *out = v;
    return 0;
}

/* A distance in mm that may be 0: gaps, bleed, the safe area. */
static int opt_mm0(const char *opt, const char *text, double max, double *out)
{
    double v;
    if (decimal(text, &v) || v > max)
        return usage_error("render", "%s: '%s' is not a length in mm (0 <= mm <= %g)", opt, text,
                           max);
    *out = v;
    return 0;
}

static int opt_mm_pair(const char *opt, const char *text, double *a, double *b)
{
    const char *x = strchr(text, 'x');
    char first[32];
    if (!x || (size_t)(x - text) >= sizeof first)
        return usage_error("render", "%s: expected WxH in mm, got '%s'", opt, text);
    memcpy(first, text, (size_t)(x - text));
    first[x - text] = '\0';
    return opt_mm(opt, first, a) || opt_mm(opt, x + 1, b) ? EXIT_USAGE : 0;
}

static int named(const char *opt, const char *value, int parsed)
{
    return parsed < 0 ? usage_error("render", "%s: unknown value '%s'", opt, value) : 0;
}

/* A string option that must not be empty. */
static int nonempty(const char *opt, const char *value, const char **out)
{
    if (!*value)
        return usage_error("render", "%s needs a value", opt);
    *out = value;
    return 0;
}

static int column_parse(const char *name)
{
    return !strcmp(name, "payload") ? YIMA_COLUMN_PAYLOAD
           : !strcmp(name, "inner") ? YIMA_COLUMN_INNER
                                    : -1;
}

static int symbol_option(render_cli *r, int c, const char *arg)
{
    yima_render_options *o = &r->o;
    switch (c) {
    case O_SYMBOL: return named("--symbol", arg, (int)(o->symbol = yima_symbology_parse(arg)));
    case O_SHAPE:
        r->g.shape = 1;
        return named("--shape", arg, (int)(o->dm_shape = yima_dm_shape_parse(arg)));
    case 'e': r->g.ecc = 1; return named("--ecc", arg, (int)(o->ecc = yima_ecc_parse(arg)));
    case O_VERSION: return opt_int("render", "--version", arg, 1, YIMA_QR_VERSION_MAX, &o->version);
    case 's':
        r->g.scale = 1;
        return opt_int("render", "--scale", arg, 1, YIMA_RENDER_SCALE_MAX, &o->scale);
    case O_DPI: return opt_int("render", "--dpi", arg, 1, 10000, &o->dpi);
    case O_MODULE_MM: return opt_mm("--module-mm", arg, &r->module_mm);
    case 'm': return opt_int("render", "--margin", arg, 0, YIMA_RENDER_MARGIN_MAX, &o->margin);
    case O_LEVEL: return named("--level", arg, o->level = yima_level_parse(arg));
    case O_COLUMN: return named("--column", arg, (int)(o->column = column_parse(arg)));
    default: return NOT_MINE;
    }
}

static int sheet_grid(render_cli *r, const char *arg)
{
    uint64_t cols, rows;
    r->g.sheet = 1;
    if (opt_pair("render", "--sheet", arg, 'x', 1000, &cols, &rows))
        return EXIT_USAGE;
    r->sheet.cols = (unsigned)cols;
    r->sheet.rows = (unsigned)rows;
    return 0;
}

static int output_option(render_cli *r, int c, const char *arg)
{
    yima_render_options *o = &r->o;
    yima_sheet *s = &r->sheet;
    switch (c) {
    case 'f':
        r->g.format = 1;
        return named("--format", arg, (int)(o->format = yima_imgfmt_parse(arg)));
    case 'o': o->output = arg; return 0;
    case 'd': return nonempty("--dir", arg, &o->dir);
    case 'n': return named("--name", arg, (int)(o->naming = yima_naming_parse(arg)));
    case O_TAR: r->g.tar = 1; return 0;
    case O_SHEET: return sheet_grid(r, arg);
    case O_ROLL: r->g.roll = o->roll = 1; return 0;
    case O_PAGE_MM: r->g.page = 1; return opt_mm_pair("--page-mm", arg, &s->page_w, &s->page_h);
    case O_PITCH_MM:
        r->g.pitch = 1;
        return opt_mm_pair("--pitch-mm", arg, &s->pitch_x, &s->pitch_y);
    case O_ORIGIN_MM: r->g.origin = 1; return opt_mm_pair("--origin-mm", arg, &s->left, &s->top);
    case O_FORCE: o->force = 1; return 0;
    case O_ZPL: r->g.zpl = 1; return 0;
    case O_COPIES: {
        uint64_t n;
        r->g.copies = 1;
        if (opt_u64("render", "--copies", arg, 1, 99999999, &n))
            return EXIT_USAGE;
        o->copies = (unsigned)n;
        return 0;
    }
    default: return NOT_MINE;
    }
}

static int rotation(const char *arg, int *deg)
{
    if (opt_int("render", "--rotate", arg, 0, 270, deg))
        return EXIT_USAGE;
    return *deg % 90 ? usage_error("render", "--rotate: %d is not 0, 90, 180 or 270", *deg) : 0;
}

static int label_option(render_cli *r, int c, const char *arg)
{
    yima_label *l = &r->label;
    static const struct { int c; const char *flag; } flags[] = {
        {O_LABEL_MM, "--label-mm"}, {O_GAP_MM, "--gap-mm"}, {O_BLEED_MM, "--bleed-mm"},
        {O_SAFE_MM, "--safe-mm"},   {O_ANCHOR, "--anchor"}, {O_ROTATE, "--rotate"}};
    const char *flag = NULL;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].c == c)
            flag = flags[i].flag;
    if (!flag)
        return NOT_MINE;
    if (!r->g.label_flag)
        r->g.label_flag = flag;
    r->o.label = l;
    switch (c) {
    case O_LABEL_MM: r->g.label_mm = 1; return opt_mm_pair(flag, arg, &l->w, &l->h);
    case O_GAP_MM: return opt_mm0(flag, arg, 1000, &l->gap);
    case O_BLEED_MM: return opt_mm0(flag, arg, 10, &l->bleed);
    case O_SAFE_MM: return opt_mm0(flag, arg, 1000, &l->safe);
    case O_ANCHOR: return named(flag, arg, (int)(l->anchor = yima_anchor_parse(arg)));
    default: return rotation(arg, &l->rotate);
    }
}

/* One more line of text; -t is the line "{code}". */
static int add_text(render_cli *r, const char *flag, const char *tmpl)
{
    yima_render_options *o = &r->o;
    if (!*tmpl)
        return usage_error("render", "%s needs a template (such as '{code}')", flag);
    if (o->ntext == YIMA_TEXT_LINES_MAX)
        return usage_error("render", "%s: at most %d lines of text", flag, YIMA_TEXT_LINES_MAX);
    o->text_lines[o->ntext++] = (yima_text_line){tmpl, 0};
    o->text = 1;
    return 0;
}

/* --text-pt sizes the line before it; before any line, every line that
 * gets no size of its own. */
static int text_size(render_cli *r, const char *arg)
{
    double pt;
    r->g.text_pt = 1;
    if (decimal(arg, &pt) || pt < YIMA_TEXT_PT_MIN || pt > YIMA_TEXT_PT_MAX)
        return usage_error("render", "--text-pt: '%s' is not a size in points (%g..%g)", arg,
                           YIMA_TEXT_PT_MIN, YIMA_TEXT_PT_MAX);
    if (r->o.ntext)
        r->o.text_lines[r->o.ntext - 1].pt = pt;
    else
        r->default_pt = pt;
    return 0;
}

static int text_option(render_cli *r, int c, const char *arg)
{
    yima_render_options *o = &r->o;
    switch (c) {
    case 't': return add_text(r, "-t", "{code}");
    case O_TEXT: return add_text(r, "--text", arg);
    case O_TEXT_PT: return text_size(r, arg);
    case O_FONT: r->g.font = 1; return nonempty("--font", arg, &o->font);
    case O_GROUP: r->g.group = 1; return opt_int("render", "--group", arg, 1, 16, &o->group);
    default: return NOT_MINE;
    }
}

static int range(yima_render_options *o, const char *arg)
{
    if (opt_range("render", "--range", arg, &o->range_start, &o->range_count))
        return EXIT_USAGE;
    if (o->range_count > UINT64_MAX - o->range_start)
        return usage_error("render", "--range: %s ends beyond the last row number", arg);
    return 0;
}

static int press_option(render_cli *r, int c, const char *arg)
{
    yima_render_options *o = &r->o;
    switch (c) {
    case O_SPOT: return nonempty("--spot", arg, &o->spot);
    case O_CROP_MARKS: o->crop_marks = 1; return 0;
    case O_TITLE: return nonempty("--title", arg, &o->title);
    case O_SPLIT_PAGES:
        return opt_u64("render", "--split-pages", arg, 1, UINT64_MAX, &o->split_pages);
    case O_RANGE: return range(o, arg);
    case 'j': return opt_threads("render", arg, &o->threads);
    case 'q': r->quiet = 1; return 0;
    default: return NOT_MINE;
    }
}

static int parse_option(void *ctx, int c, const char *arg)
{
    static int (*const groups[])(render_cli *, int, const char *) = {
        symbol_option, output_option, label_option, text_option, press_option};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        int rc = groups[i](ctx, c, arg);
        if (rc != NOT_MINE)
            return rc;
    }
    return usage_error("render", "unknown option");
}

/* A physical module size becomes whole printer dots, with a warning if
 * that changes it. */
static int resolve_module(render_cli *r)
{
    yima_render_options *o = &r->o;
    double real;
    if (!r->module_mm)
        return 0;
    if (!o->dpi)
        return usage_error("render", "--module-mm needs --dpi (the printer's resolution)");
    if (r->g.scale)
        return usage_error("render", "give either --scale or --module-mm, not both");
    if (yima_render_module_dots(r->module_mm, o->dpi, &o->scale, &real))
        fprintf(stderr,
                "yima render: warning: a %g mm module is %.2f dots at %d dpi; printing %d dots "
                "= %.4f mm\n",
                r->module_mm, r->module_mm * o->dpi / 25.4, o->dpi, o->scale, real);
    if (o->scale > YIMA_RENDER_SCALE_MAX)
        return usage_error("render", "--module-mm %g at %d dpi is more than %d dots", r->module_mm,
                           o->dpi, YIMA_RENDER_SCALE_MAX);
    return 0;
}

/* QR's settings mean nothing to DataMatrix, whose ECC 200 error
 * correction grows with its size, and a shape nothing to QR. */
static int resolve_symbol(const render_cli *r)
{
    yima_symbology sym = r->o.symbol;
    if (r->g.shape && sym != YIMA_SYM_DATAMATRIX)
        return usage_error("render", "--shape is for --symbol datamatrix");
    if (sym == YIMA_SYM_DATAMATRIX && r->g.ecc)
        return usage_error("render", "--ecc is for QR; DataMatrix ECC 200 has a fixed error "
                                     "correction per size");
    if (sym != YIMA_SYM_QR && r->o.version)
        return usage_error("render", "--version is for QR; a %s size follows the first payload",
                           sym == YIMA_SYM_DATAMATRIX ? "DataMatrix" : "Micro QR");
    return 0;
}

/* Text sizes, and the text options that need a line to apply to. */
static int resolve_text(render_cli *r)
{
    yima_render_options *o = &r->o;
    const char *lonely = r->g.text_pt ? "--text-pt" : r->g.font ? "--font"
                         : r->g.group ? "--group" : NULL;
    if (!o->ntext && lonely)
        return usage_error("render", "%s: there is no text (give --text or -t)", lonely);
    for (int i = 0; i < o->ntext; i++)
        if (!o->text_lines[i].pt)
            o->text_lines[i].pt = r->default_pt; /* 0 when not given: the library's minimum */
    return 0;
}

/* A label needs a size: its own, or a sheet's pitch; a roll its own. */
static int resolve_label(const render_cli *r)
{
    if (r->g.roll && !r->g.label_mm)
        return usage_error("render", "--roll needs --label-mm (the size of a label)");
    if (r->g.label_flag && !r->g.label_mm && !r->g.sheet)
        return usage_error("render", "%s needs --label-mm, or --sheet whose pitch sizes the label",
                           r->g.label_flag);
    return 0;
}

/* Options that one output understands and another does not. */
static int refuse_misfits(const render_cli *r)
{
    const yima_render_options *o = &r->o;
    int pdf = o->pack == YIMA_PACK_PDF;
    static const char pdf_only[] =
        "%s is for PDF output (--sheet or --roll without --dir or --tar)";
    if (r->g.zpl && r->g.format)
        return usage_error("render",
                           "--format does not apply to --zpl: the printer draws the symbol");
    if (r->g.zpl && (r->g.sheet || r->g.roll))
        return usage_error("render", "--zpl prints label by label: no --%s",
                           r->g.sheet ? "sheet" : "roll");
    if (pdf && r->g.format)
        return usage_error("render",
                           "--format does not apply to PDF output: symbols are vector paths");
    if (!pdf && (o->spot || o->crop_marks || o->split_pages || o->title))
        return usage_error("render", pdf_only, o->spot ? "--spot" : o->crop_marks ? "--crop-marks"
                                               : o->split_pages ? "--split-pages" : "--title");
    /* Sheet labels are die-cut on a sheet trimmed as a whole: no bleed or
     * crop marks of their own. */
    if (r->g.sheet && (o->crop_marks || r->label.bleed > 0))
        return usage_error("render", "%s is for --roll: a sheet is trimmed as a whole",
                           o->crop_marks ? "--crop-marks" : "--bleed-mm");
    if (o->split_pages && (!o->output || !strcmp(o->output, "-")))
        return usage_error("render",
                           "--split-pages needs --output FILE (the parts are named after it)");
    if (r->g.copies && !r->g.zpl)
        return usage_error("render", "--copies is for --zpl (the printer's count)");
    if (!r->g.sheet && (r->g.page || r->g.pitch || r->g.origin))
        return usage_error("render", "%s is for --sheet",
                           r->g.page ? "--page-mm" : r->g.pitch ? "--pitch-mm" : "--origin-mm");
    return 0;
}

/* A sheet's pitch: given, else a label and its gap, else the page shared
 * out by the grid. */
static void sheet_pitch(render_cli *r)
{
    yima_sheet *s = &r->sheet;
    if (r->g.pitch)
        return;
    if (r->g.label_mm) {
        s->pitch_x = r->label.w + r->label.gap;
        s->pitch_y = r->label.h + r->label.gap;
    } else {
        s->pitch_x = s->page_w / s->cols;
        s->pitch_y = s->page_h / s->rows;
    }
}

/* Picks the packing from --dir, --tar, --zpl, --sheet and --roll. */
static int resolve_pack(render_cli *r)
{
    yima_render_options *o = &r->o;
    if (!!o->dir + r->g.tar + r->g.zpl > 1)
        return usage_error("render", "choose one of --dir, --tar and --zpl");
    if (r->g.sheet && r->g.roll)
        return usage_error("render", "choose one of --sheet and --roll");
    o->pack = o->dir ? YIMA_PACK_DIR : r->g.tar ? YIMA_PACK_TAR : r->g.zpl ? YIMA_PACK_ZPL
              : r->g.sheet || r->g.roll ? YIMA_PACK_PDF : YIMA_PACK_SINGLE;
    if (o->dir && o->output)
        return usage_error("render", "--dir and --output cannot be combined");
    if (refuse_misfits(r))
        return EXIT_USAGE;
    if (r->g.sheet) {
        sheet_pitch(r);
        o->sheet = &r->sheet;
    }
    int text_out = o->pack == YIMA_PACK_ZPL ||
                   (o->format == YIMA_IMG_SVG && o->pack == YIMA_PACK_SINGLE);
    if (o->pack == YIMA_PACK_DIR || text_out)
        return 0;
    return refuse_binary_tty("render", o->output, o->force);
}

int cmd_render(int argc, char **argv)
{
    render_cli r = {.sheet = {.page_w = 210, .page_h = 297, .left = -1, .top = -1},
                    .label = {.safe = 1, .anchor = YIMA_ANCHOR_CENTER}};
    yima_render_options_init(&r.o);
    r.o.threads = yima_cpu_count();
    int status = parse_options("render", argc, argv, "e:s:m:tf:o:d:n:j:qh", longopts, help,
                               parse_option, &r);
    if (status >= 0)
        return status;
    if (resolve_symbol(&r) || resolve_module(&r) || resolve_text(&r) || resolve_label(&r) ||
        resolve_pack(&r))
        return EXIT_USAGE;
    yima_err err = {0};
    yima_render_result res;
    progress bar;
    progress_init(&bar, "codes", 0, r.quiet);
    r.o.progress = progress_update;
    r.o.progress_ctx = &bar;
    int rc = yima_render_run(&r.o, (const char *const *)argv + optind, (size_t)(argc - optind),
                             &res, &err);
    progress_end(&bar);
    return rc ? report_error("render", &err) : EXIT_OK;
}
