/* SPDX-License-Identifier: MIT */
/* Render options: defaults, names, range checks and sheet geometry. */
#include <string.h>
#include <strings.h>
#include "render_internal.h"

void yima_render_options_init(yima_render_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->ecc = YIMA_ECC_M;
    opt->scale = 4;
    opt->margin = 4;
    opt->threads = 1;
}

static const char *const ecc_names[] = {"L", "M", "Q", "H"};
static const char *const img_names[] = {"png", "svg", "pbm"};
static const char *const naming_names[] = {"index", "serial"};
static const char *const symbol_names[] = {"qr", "datamatrix"};

static int find_name(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (!strcasecmp(names[i], name))
            return i;
    return -1;
}

int yima_ecc_parse(const char *name) { return find_name(ecc_names, 4, name); }
const char *yima_ecc_name(yima_ecc ecc) { return ecc_names[ecc & 3]; }
int yima_imgfmt_parse(const char *name) { return find_name(img_names, 3, name); }
const char *yima_imgfmt_name(yima_imgfmt fmt) { return img_names[fmt % 3]; }
int yima_naming_parse(const char *name) { return find_name(naming_names, 2, name); }
int yima_symbology_parse(const char *name) { return find_name(symbol_names, 2, name); }
const char *yima_symbology_name(yima_symbology sym) { return symbol_names[sym & 1]; }

int yr_physical_dpi(const yima_render_options *opt)
{
    return opt->dpi > 0 ? opt->dpi : 300;
}

void yr_sheet_origin(const yima_sheet *s, double *left, double *top)
{
    *left = s->left >= 0 ? s->left : (s->page_w - s->cols * s->pitch_x) / 2;
    *top = s->top >= 0 ? s->top : (s->page_h - s->rows * s->pitch_y) / 2;
}

void yr_label_origin(const yima_sheet *s, unsigned k, double *x, double *y)
{
    double left, top;
    yr_sheet_origin(s, &left, &top);
    *x = left + (k % s->cols) * s->pitch_x;
    *y = top + (k / s->cols) * s->pitch_y;
}

static int check_sheet(const yima_render_options *opt, yima_err *err)
{
    const yima_sheet *s = opt->sheet;
    double left, top;
    if (!s->cols || !s->rows || s->cols > 1000 || s->rows > 1000)
        return yima_err_set(err, YIMA_E_USAGE, "a sheet of %ux%u labels: need 1..1000 columns and rows",
                            s->cols, s->rows);
    if (s->page_w <= 0 || s->page_h <= 0 || s->page_w > 5000 || s->page_h > 5000 ||
        s->pitch_x <= 0 || s->pitch_y <= 0)
        return yima_err_set(err, YIMA_E_USAGE, "page and label pitch need sizes above 0 mm");
    yr_sheet_origin(s, &left, &top);
    /* A centred grid needs just its own size; a placed one its offset too. */
    double need_w = (s->left > 0 ? s->left : 0) + s->cols * s->pitch_x;
    double need_h = (s->top > 0 ? s->top : 0) + s->rows * s->pitch_y;
    if (left < 0 || top < 0 || need_w > s->page_w + 1e-9 || need_h > s->page_h + 1e-9)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a sheet of %ux%u labels at pitch %gx%g mm needs %.1fx%.1f mm but the page is "
                            "%gx%g mm",
                            s->cols, s->rows, s->pitch_x, s->pitch_y, need_w, need_h, s->page_w,
                            s->page_h);
    if (opt->pack == YIMA_PACK_ZPL)
        return yima_err_set(err, YIMA_E_USAGE, "sheets and ZPL cannot be combined");
    if (opt->pack != YIMA_PACK_PDF && opt->format != YIMA_IMG_PNG)
        return yima_err_set(err, YIMA_E_USAGE, "sheet pages are PDF or PNG, not %s",
                            yima_imgfmt_name(opt->format));
    return YIMA_OK;
}

int yima_render_check(const yima_render_options *opt, yima_err *err)
{
    if ((unsigned)opt->ecc > YIMA_ECC_H)
        return yima_err_set(err, YIMA_E_USAGE, "unknown error correction level %d", opt->ecc);
    if ((unsigned)opt->symbol > YIMA_SYM_DATAMATRIX)
        return yima_err_set(err, YIMA_E_USAGE, "unknown symbology %d", opt->symbol);
    if (opt->symbol == YIMA_SYM_DATAMATRIX && opt->version)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a QR version does not apply to DataMatrix (its size follows the "
                            "first payload)");
    if (opt->version < 0 || opt->version > YIMA_QR_VERSION_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "QR version %d is out of range 1..40", opt->version);
    if (opt->scale < 1 || opt->scale > YIMA_RENDER_SCALE_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "scale %d is out of range 1..%d", opt->scale,
                            YIMA_RENDER_SCALE_MAX);
    if (opt->margin < 0 || opt->margin > YIMA_RENDER_MARGIN_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "margin %d is out of range 0..%d", opt->margin,
                            YIMA_RENDER_MARGIN_MAX);
    if (opt->dpi < 0 || opt->dpi > 10000)
        return yima_err_set(err, YIMA_E_USAGE, "resolution %d dpi is out of range 1..10000", opt->dpi);
    if ((unsigned)opt->format > YIMA_IMG_PBM || (unsigned)opt->pack > YIMA_PACK_ZPL)
        return yima_err_set(err, YIMA_E_USAGE, "unknown image format or packing");
    if (opt->pack == YIMA_PACK_DIR && (!opt->dir || !*opt->dir))
        return yima_err_set(err, YIMA_E_USAGE, "a directory output needs a directory name");
    if (opt->pack == YIMA_PACK_PDF && !opt->sheet)
        return yima_err_set(err, YIMA_E_USAGE, "PDF output needs a sheet layout (columns and rows)");
    return opt->sheet ? check_sheet(opt, err) : YIMA_OK;
}

/* The symbol (with its quiet zone and text line) must fit one label. */
int yr_check_label(const yima_render_options *opt, int size, int width, yima_err *err)
{
    char name[64];
    if (!opt->sheet)
        return YIMA_OK;
    double mod = opt->scale * 25.4 / yr_physical_dpi(opt);
    double w = (width + 2 * opt->margin) * mod, h = w + (opt->text ? 3 * mod : 0);
    if (w > opt->sheet->pitch_x + 1e-9 || h > opt->sheet->pitch_y + 1e-9)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a %s symbol is %.1fx%.1f mm with its quiet zone, larger than "
                            "the %gx%g mm label pitch (a smaller module or margin fits)",
                            yr_size_name(opt, size, name, sizeof name), w, h,
                            opt->sheet->pitch_x, opt->sheet->pitch_y);
    return YIMA_OK;
}
