/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "yima/render.h"

static const char help[] =
    "Usage: yima render [OPTIONS] [FILE...]\n"
    "Render codes as QR or DataMatrix symbols. FILEs hold gen output (txt, csv, tsv, jsonl;\n"
    ".gz is fine) or payloads one per line; none or '-' is standard input. GS1 element\n"
    "strings such as (01)...(21)... are encoded with FNC1.\n"
    "\n"
    "      --symbol S          qr or datamatrix (ECC 200)         [Default: qr]\n"
    "  -e, --ecc L|M|Q|H       QR error correction level          [Default: M]\n"
    "      --version N         QR version 1..40                   [Default: smallest that fits\n"
    "                          the first payload]\n"
    "  -s, --scale PX          pixels (printer dots) per module   [Default: 4]\n"
    "      --dpi D             resolution, written to PNG pHYs    [Default: none; 300 for sheets]\n"
    "      --module-mm MM      module size in mm at --dpi, rounded to whole dots\n"
    "  -m, --margin N          quiet zone in modules              [Default: 4]\n"
    "  -t, --text              print the code in a line under the symbol\n"
    "  -f, --format F          png, svg or pbm                    [Default: png]\n"
    "  -o, --output FILE       image, tar, PDF or ZPL output      [Default: stdout]\n"
    "  -d, --dir DIR           one file per code in DIR\n"
    "  -n, --name index|serial file names in --dir and --tar      [Default: index]\n"
    "      --tar               a POSIX tar stream of images\n"
    "      --sheet COLSxROWS   labels on pages: a PDF, or PNG pages with --dir or --tar\n"
    "      --page-mm WxH       page size                          [Default: 210x297]\n"
    "      --pitch-mm WxH      label pitch                        [Default: page / grid]\n"
    "      --origin-mm XxY     first label's top-left corner      [Default: grid centred]\n"
    "      --zpl               Zebra ZPL II labels; the printer draws the symbol\n"
    "      --force             replace files; write binary data to a terminal\n"
    "  -j, --threads N         worker threads, 0 = all cores      [Default: 0]\n"
    "  -q, --quiet             no progress line\n"
    "  -h, --help              show this help\n";

enum { O_VERSION = 256, O_SYMBOL, O_DPI, O_MODULE_MM, O_TAR, O_SHEET, O_PAGE_MM, O_PITCH_MM, O_ORIGIN_MM,
       O_ZPL, O_FORCE };

static const struct option longopts[] = {
    {"ecc", required_argument, NULL, 'e'},           {"version", required_argument, NULL, O_VERSION},
    {"symbol", required_argument, NULL, O_SYMBOL},
    {"scale", required_argument, NULL, 's'},         {"dpi", required_argument, NULL, O_DPI},
    {"module-mm", required_argument, NULL, O_MODULE_MM},
    {"margin", required_argument, NULL, 'm'},        {"text", no_argument, NULL, 't'},
    {"format", required_argument, NULL, 'f'},        {"output", required_argument, NULL, 'o'},
    {"dir", required_argument, NULL, 'd'},           {"name", required_argument, NULL, 'n'},
    {"tar", no_argument, NULL, O_TAR},               {"sheet", required_argument, NULL, O_SHEET},
    {"page-mm", required_argument, NULL, O_PAGE_MM}, {"pitch-mm", required_argument, NULL, O_PITCH_MM},
    {"origin-mm", required_argument, NULL, O_ORIGIN_MM},
    {"zpl", no_argument, NULL, O_ZPL},               {"force", no_argument, NULL, O_FORCE},
    {"threads", required_argument, NULL, 'j'},       {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};

typedef struct render_cli {
    yima_render_options o;
    yima_sheet sheet;
    double module_mm;
    int have_scale, have_sheet, have_pitch, have_ecc, tar, zpl, quiet;
} render_cli;

/* A length in mm: a decimal number above 0 and at most 5000. */
static int opt_mm(const char *opt, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v <= 0 || v > 5000)
        return usage_error("render", "%s: '%s' is not a length in mm (0 < mm <= 5000)", opt, text);
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

static int parse_option(void *ctx, int c, const char *arg)
{
    render_cli *r = ctx;
    yima_render_options *o = &r->o;
    uint64_t cols, rows;
    switch (c) {
    case 'e': r->have_ecc = 1; return named("--ecc", arg, (int)(o->ecc = yima_ecc_parse(arg)));
    case O_SYMBOL: return named("--symbol", arg, (int)(o->symbol = yima_symbology_parse(arg)));
    case O_VERSION: return opt_int("render", "--version", arg, 1, YIMA_QR_VERSION_MAX, &o->version);
    case 's': r->have_scale = 1; return opt_int("render", "--scale", arg, 1, YIMA_RENDER_SCALE_MAX, &o->scale);
    case O_DPI: return opt_int("render", "--dpi", arg, 1, 10000, &o->dpi);
    case O_MODULE_MM: return opt_mm("--module-mm", arg, &r->module_mm);
    case 'm': return opt_int("render", "--margin", arg, 0, YIMA_RENDER_MARGIN_MAX, &o->margin);
    case 't': o->text = 1; return 0;
    case 'f': return named("--format", arg, (int)(o->format = yima_imgfmt_parse(arg)));
    case 'o': o->output = arg; return 0;
    case 'd': o->dir = arg; return 0;
    case 'n': return named("--name", arg, (int)(o->naming = yima_naming_parse(arg)));
    case O_TAR: r->tar = 1; return 0;
    case O_SHEET:
        r->have_sheet = 1;
        if (opt_pair("render", "--sheet", arg, 'x', 1000, &cols, &rows))
            return EXIT_USAGE;
        r->sheet.cols = (unsigned)cols;
        r->sheet.rows = (unsigned)rows;
        return 0;
    case O_PAGE_MM: return opt_mm_pair("--page-mm", arg, &r->sheet.page_w, &r->sheet.page_h);
    case O_PITCH_MM:
        r->have_pitch = 1;
        return opt_mm_pair("--pitch-mm", arg, &r->sheet.pitch_x, &r->sheet.pitch_y);
    case O_ORIGIN_MM: return opt_mm_pair("--origin-mm", arg, &r->sheet.left, &r->sheet.top);
    case O_ZPL: r->zpl = 1; return 0;
    case O_FORCE: o->force = 1; return 0;
    case 'j': return opt_threads("render", arg, &o->threads);
    case 'q': r->quiet = 1; return 0;
    default: return usage_error("render", "unknown option");
    }
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
    if (r->have_scale)
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
 * correction grows with its size. */
static int resolve_symbol(const render_cli *r)
{
    if (r->o.symbol != YIMA_SYM_DATAMATRIX)
        return 0;
    if (r->have_ecc)
        return usage_error("render", "--ecc is for QR; DataMatrix ECC 200 has a fixed error "
                                     "correction per size");
    if (r->o.version)
        return usage_error("render", "--version is for QR; a DataMatrix size follows the first "
                                     "payload");
    return 0;
}

/* Picks the packing from --dir, --tar, --sheet and --zpl. */
static int resolve_pack(render_cli *r)
{
    yima_render_options *o = &r->o;
    if (!!o->dir + r->tar + r->zpl > 1)
        return usage_error("render", "choose one of --dir, --tar and --zpl");
    o->pack = o->dir ? YIMA_PACK_DIR : r->tar ? YIMA_PACK_TAR : r->zpl ? YIMA_PACK_ZPL
              : r->have_sheet ? YIMA_PACK_PDF : YIMA_PACK_SINGLE;
    if (o->dir && o->output)
        return usage_error("render", "--dir and --output cannot be combined");
    if (r->have_sheet) {
        if (!r->have_pitch) {
            r->sheet.pitch_x = r->sheet.page_w / r->sheet.cols;
            r->sheet.pitch_y = r->sheet.page_h / r->sheet.rows;
        }
        o->sheet = &r->sheet;
    }
    int text_out = o->pack == YIMA_PACK_ZPL ||
                   (o->format == YIMA_IMG_SVG && o->pack == YIMA_PACK_SINGLE);
    return o->pack == YIMA_PACK_DIR || text_out ? 0 : refuse_binary_tty("render", o->output, o->force);
}

int cmd_render(int argc, char **argv)
{
    render_cli r = {.sheet = {.page_w = 210, .page_h = 297, .left = -1, .top = -1}};
    yima_render_options_init(&r.o);
    r.o.threads = yima_cpu_count();
    int status = parse_options("render", argc, argv, "e:s:m:tf:o:d:n:j:qh", longopts, help,
                               parse_option, &r);
    if (status >= 0)
        return status;
    if (resolve_symbol(&r) || resolve_module(&r) || resolve_pack(&r))
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
