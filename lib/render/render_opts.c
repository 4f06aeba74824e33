/* SPDX-License-Identifier: MIT */
/* Render options: defaults, names, range checks and sheet geometry. */
#include <string.h>
#include <strings.h>
#include "render_internal.h"
#include "yima/code.h"

void yima_render_options_init(yima_render_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->ecc = YIMA_ECC_M;
    opt->scale = 4;
    opt->margin = 4;
    opt->threads = 1;
    opt->level = YIMA_RENDER_ALL;
    opt->copies = 1;
}

static const char *const ecc_names[] = {"L", "M", "Q", "H"};
static const char *const img_names[] = {"png", "svg", "pbm"};
static const char *const naming_names[] = {"index", "serial"};
static const char *const symbol_names[] = {"qr", "datamatrix", "microqr"};
static const char *const shape_names[] = {"square", "rect", "rectangular"};
static const char *const anchor_names[] = {"center",      "top-left", "top",
                                           "top-right",   "left",     "right",
                                           "bottom-left", "bottom",   "bottom-right"};

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
int yima_symbology_parse(const char *name) { return find_name(symbol_names, 3, name); }
const char *yima_symbology_name(yima_symbology sym)
{
    return (unsigned)sym <= YIMA_SYM_MICROQR ? symbol_names[sym] : "?";
}
/* "rect" and "rectangular" are one shape. */
int yima_dm_shape_parse(const char *name)
{
    int i = find_name(shape_names, 3, name);
    return i > YIMA_DM_RECT ? YIMA_DM_RECT : i;
}
int yima_anchor_parse(const char *name) { return find_name(anchor_names, 9, name); }
const char *yima_anchor_name(yima_anchor anchor)
{
    return (unsigned)anchor <= YIMA_ANCHOR_BOTTOM_RIGHT ? anchor_names[anchor] : "?";
}

int yr_physical_dpi(const yima_render_options *opt)
{
    return opt->dpi > 0 ? opt->dpi : 300;
}

/* The first label's corner: given, or the grid centred on the page. */
static void sheet_origin(const yima_sheet *s, double *left, double *top)
{
    *left = s->left >= 0 ? s->left : (s->page_w - s->cols * s->pitch_x) / 2;
    *top = s->top >= 0 ? s->top : (s->page_h - s->rows * s->pitch_y) / 2;
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
    sheet_origin(s, &left, &top);
    /* A centred grid needs just its own size; a placed one its offset too. */
    double need_w = (s->left > 0 ? s->left : 0) + s->cols * s->pitch_x;
    double need_h = (s->top > 0 ? s->top : 0) + s->rows * s->pitch_y;
    if (left < 0 || top < 0 || need_w > s->page_w + 1e-9 || need_h > s->page_h + 1e-9)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a sheet of %ux%u labels at pitch %gx%g mm needs %.1fx%.1f mm but the page is "
                            "%gx%g mm",
                            s->cols, s->rows, s->pitch_x, s->pitch_y, need_w, need_h, s->page_w,
                            s->page_h);
    if (opt->label && opt->label->w > 0 &&
        (opt->label->w + opt->label->gap > s->pitch_x + 1e-9 ||
         opt->label->h + opt->label->gap > s->pitch_y + 1e-9))
        return yima_err_set(err, YIMA_E_USAGE,
                            "%gx%g mm labels with a %g mm gap do not fit the %gx%g mm pitch",
                            opt->label->w, opt->label->h, opt->label->gap, s->pitch_x, s->pitch_y);
    return YIMA_OK;
}

static int check_label(const yima_render_options *opt, yima_err *err)
{
    const yima_label *l = opt->label;
    if (!l)
        return opt->roll ? yima_err_set(err, YIMA_E_USAGE, "a roll needs a label size") : YIMA_OK;
    if (l->w < 0 || l->h < 0 || l->w > 5000 || l->h > 5000 || (!opt->sheet && (!l->w || !l->h)))
        return yima_err_set(err, YIMA_E_USAGE, "a label needs a size above 0 mm (up to 5000 mm)");
    if (l->gap < 0 || l->gap > 1000 || l->bleed < 0 || l->bleed > 10 || l->safe < 0 ||
        2 * l->safe >= (l->w ? l->w : 1e9) || 2 * l->safe >= (l->h ? l->h : 1e9))
        return yima_err_set(err, YIMA_E_USAGE,
                            "label gap (0..1000 mm), bleed (0..10 mm) or safe area (less than half "
                            "the label) out of range");
    if ((unsigned)l->anchor > YIMA_ANCHOR_BOTTOM_RIGHT)
        return yima_err_set(err, YIMA_E_USAGE, "unknown anchor %d", (int)l->anchor);
    if (l->rotate % 90 || l->rotate < 0 || l->rotate > 270)
        return yima_err_set(err, YIMA_E_USAGE, "a symbol turns 0, 90, 180 or 270 degrees, not %d",
                            l->rotate);
    return YIMA_OK;
}

static int check_text(const yima_render_options *opt, yima_err *err)
{
    if (opt->ntext < 0 || opt->ntext > YIMA_TEXT_LINES_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "1..%d text lines", YIMA_TEXT_LINES_MAX);
    for (int i = 0; i < opt->ntext; i++) {
        double pt = opt->text_lines[i].pt;
        if (pt && (pt < YIMA_TEXT_PT_MIN || pt > YIMA_TEXT_PT_MAX))
            return yima_err_set(err, YIMA_E_USAGE,
                                "text of %g pt: readable text is %g..%g pt", pt, YIMA_TEXT_PT_MIN,
                                YIMA_TEXT_PT_MAX);
    }
    if (opt->group < 0 || opt->group > 16)
        return yima_err_set(err, YIMA_E_USAGE, "groups of %d characters: 0..16", opt->group);
    return YIMA_OK;
}

/* Settings that only one output understands are refused elsewhere. */
static int check_press(const yima_render_options *opt, yima_err *err)
{
    int pdf = opt->pack == YIMA_PACK_PDF;
    if (!pdf && (opt->spot || opt->crop_marks || opt->split_pages || opt->title))
        return yima_err_set(err, YIMA_E_USAGE,
                            "a spot colour, crop marks, split files and a title are for PDF output");
    if (opt->spot && (!*opt->spot || strlen(opt->spot) > 63))
        return yima_err_set(err, YIMA_E_USAGE, "a spot colour needs a name of 1..63 bytes");
    if (opt->copies != 1 && opt->pack != YIMA_PACK_ZPL)
        return yima_err_set(err, YIMA_E_USAGE, "copies are for ZPL labels (a printer's count)");
    if ((opt->sheet || opt->roll) && opt->pack != YIMA_PACK_PDF && opt->format != YIMA_IMG_PNG)
        return yima_err_set(err, YIMA_E_USAGE, "sheet and roll pages are PDF or PNG, not %s",
                            yima_imgfmt_name(opt->format));
    if (opt->pack == YIMA_PACK_PDF && !opt->sheet && !opt->roll)
        return yima_err_set(err, YIMA_E_USAGE, "PDF output needs a sheet layout or a roll");
    if (opt->pack == YIMA_PACK_ZPL && (opt->sheet || opt->roll))
        return yima_err_set(err, YIMA_E_USAGE, "ZPL labels come one a label: no sheet or roll");
    if ((unsigned)opt->column > YIMA_COLUMN_INNER || opt->level < YIMA_RENDER_ALL ||
        opt->level > YIMA_LEVEL_PALLET)
        return yima_err_set(err, YIMA_E_USAGE, "unknown column or level");
    return opt->pack == YIMA_PACK_ZPL ? yr_zpl_check(opt, err) : YIMA_OK;
}

static int check_symbol(const yima_render_options *opt, yima_err *err)
{
    if ((unsigned)opt->ecc > YIMA_ECC_H)
        return yima_err_set(err, YIMA_E_USAGE, "unknown error correction level %d", opt->ecc);
    if ((unsigned)opt->symbol > YIMA_SYM_MICROQR || (unsigned)opt->dm_shape > YIMA_DM_RECT)
        return yima_err_set(err, YIMA_E_USAGE, "unknown symbology %d", opt->symbol);
    if (opt->symbol != YIMA_SYM_QR && opt->version)
        return yima_err_set(err, YIMA_E_USAGE,
                            "a QR version applies to QR only (other sizes follow the first payload)");
    if (opt->symbol != YIMA_SYM_DATAMATRIX && opt->dm_shape != YIMA_DM_SQUARE)
        return yima_err_set(err, YIMA_E_USAGE, "a rectangular shape is for DataMatrix");
    if (opt->symbol == YIMA_SYM_MICROQR && opt->ecc == YIMA_ECC_H)
        return yima_err_set(err, YIMA_E_USAGE, "Micro QR has no error correction level H");
    if (opt->version < 0 || opt->version > YIMA_QR_VERSION_MAX)
        return yima_err_set(err, YIMA_E_USAGE, "QR version %d is out of range 1..40", opt->version);
    return YIMA_OK;
}

int yima_render_check(const yima_render_options *opt, yima_err *err)
{
    int rc = check_symbol(opt, err);
    if (rc)
        return rc;
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
    if ((rc = check_label(opt, err)) || (rc = check_text(opt, err)) || (rc = check_press(opt, err)))
        return rc;
    return opt->sheet ? check_sheet(opt, err) : YIMA_OK;
}
