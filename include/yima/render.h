/* SPDX-License-Identifier: MIT */
/*
 * Rendering: codes and payloads turned into print-ready labels: QR and
 * Micro QR symbols (libqrencode), DataMatrix ECC 200 square or rectangular
 * (libdmtx), with lines of human-readable text (FreeType, fonts found by
 * fontconfig), drawn as PNG, SVG or PBM images, packed into a directory, a
 * ustar stream, press-ready PDF (sheets or a roll, vector symbols and
 * outlined text in K or a spot colour, MediaBox/TrimBox/BleedBox, Info and
 * XMP), PNG pages, or Zebra ZPL II labels.
 *
 * Determinism: the same payload and options give the same bytes, on any
 * machine with the same fonts and for any thread count. Nothing time- or
 * host-dependent is written (tar mtime and owner are 0, PNG has no tIME,
 * PDF no dates unless SOURCE_DATE_EPOCH sets them).
 *
 * Symbol size: all symbols of one run share one size, so that every image
 * of a print run has the same size. For QR it is fixed by .version or, when
 * that is 0, chosen as the smallest version that holds the FIRST selected
 * payload; Micro QR takes the smallest M1..M4 that holds it; DataMatrix
 * the smallest size of its shape that holds any payload as long as the
 * first (one codeword a character, two above 127, plus FNC1 for GS1), so
 * codes of one shape share a size however their digits pair up. A later
 * payload that does not fit is a data error naming its line.
 *
 * Labels: a yima_label gives each symbol a trim size, a safe area, bleed,
 * an anchor and a rotation; the text lines (templates over the input's
 * columns) go beside or under the symbol, never into its quiet zone, and
 * never below YIMA_TEXT_PT_MIN. Text that does not fit is a data error
 * naming the row, a character the font lacks one naming the character and
 * the font. Without a label, an image is the symbol with its quiet zone and
 * the text under it.
 *
 * QR modes: a payload made only of digits is encoded in numeric mode, one
 * made only of the QR alphanumeric set (0-9 A-Z space $ % * + - . / :) in
 * alphanumeric mode, anything else as one 8-bit segment. DataMatrix uses
 * libdmtx's ASCII encodation (digit pairs packed, other bytes shifted).
 *
 * GS1 payloads: a payload that yima_gs1_looks_like() and that is not an
 * http(s) URI (so "(01)...(21)...", raw element strings with GS, scanner
 * output after ]d2 or ]Q3) is a GS1 element string. It is parsed and
 * checked (yima_gs1_parse; a fault is a data error naming source:line) and
 * its RAW form (yima_gs1_format) is encoded as GS1 DataMatrix: codeword 232
 * (FNC1) first, FNC1 for every GS. The readable {code} is the HRI form
 * with parentheses; parentheses are never encoded. In QR and Micro QR such
 * a payload is a data error: GS1 QR needs FNC1 in first position, which
 * libqrencode 4.1.1 cannot write. GS1 Digital Link URIs are plain data in
 * any symbology.
 *
 * Errors: every function that can fail returns a yima_errno and fills the
 * caller's yima_err; messages name source:line for input errors.
 */
#ifndef YIMA_RENDER_H
#define YIMA_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include "yima/errors.h"
#include "yima/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* QR error correction levels; values match libqrencode's QRecLevel. */
typedef enum { YIMA_ECC_L = 0, YIMA_ECC_M = 1, YIMA_ECC_Q = 2, YIMA_ECC_H = 3 } yima_ecc;

/* Symbologies. Micro QR (M1..M4) holds up to 35 digits or 15 bytes, for
 * short payloads on small parts. */
typedef enum { YIMA_SYM_QR = 0, YIMA_SYM_DATAMATRIX = 1, YIMA_SYM_MICROQR = 2 } yima_symbology;

/* DataMatrix shapes: square (10x10 .. 144x144) or rectangular (8x18 .. 16x48). */
typedef enum { YIMA_DM_SQUARE = 0, YIMA_DM_RECT = 1 } yima_dm_shape;

/* Where the symbol sits on its label (with its quiet zone, inside the safe
 * area). The text goes beside it: right of a left-anchored symbol, left of a
 * right-anchored one, under a centred one (over it when anchored at the
 * bottom). */
typedef enum {
    YIMA_ANCHOR_CENTER = 0, YIMA_ANCHOR_TOP_LEFT, YIMA_ANCHOR_TOP, YIMA_ANCHOR_TOP_RIGHT,
    YIMA_ANCHOR_LEFT, YIMA_ANCHOR_RIGHT, YIMA_ANCHOR_BOTTOM_LEFT, YIMA_ANCHOR_BOTTOM,
    YIMA_ANCHOR_BOTTOM_RIGHT
} yima_anchor;

/* Which rows a run renders, by gen's level column. */
typedef enum { YIMA_RENDER_ALL = -1 } yima_render_level; /* else a yima_level */

/* What a symbol carries: the payload column (else the code), or the
 * companion inner (cap) code of gen --inner. */
typedef enum { YIMA_COLUMN_PAYLOAD = 0, YIMA_COLUMN_INNER = 1 } yima_render_column;

/* Image formats of single symbols (and of sheet pages: PNG only). */
typedef enum { YIMA_IMG_PNG = 0, YIMA_IMG_SVG = 1, YIMA_IMG_PBM = 2 } yima_imgfmt;

/* Where the images go. */
typedef enum {
    YIMA_PACK_SINGLE = 0, /* exactly one image to .output; a second symbol is an error */
    YIMA_PACK_DIR = 1,    /* one file per image in .dir */
    YIMA_PACK_TAR = 2,    /* POSIX ustar stream to .output */
    YIMA_PACK_PDF = 3,    /* press-ready PDF to .output: sheets (.sheet) or a roll (.roll) */
    YIMA_PACK_ZPL = 4     /* Zebra ZPL II, one ^XA..^XZ label per code, to .output */
} yima_pack;

/* File names in a directory (YIMA_PACK_DIR) or tar stream (YIMA_PACK_TAR). */
typedef enum { YIMA_NAME_INDEX = 0, YIMA_NAME_SERIAL = 1 } yima_naming;

#define YIMA_QR_VERSION_MAX 40
#define YIMA_DM_SQUARE_SIZES 24 /* DataMatrix ECC 200 square sizes, 10x10 .. 144x144 */
#define YIMA_RENDER_SCALE_MAX 100 /* pixels per module */
#define YIMA_RENDER_MARGIN_MAX 100
#define YIMA_TEXT_LINES_MAX 8     /* text template lines on a label */
#define YIMA_TEXT_PT_MIN 6.0      /* the smallest readable text, in points */
#define YIMA_TEXT_PT_MAX 72.0

/* One line of human-readable text: a template over the input's columns,
 * "{name}" for a column (csv/tsv header or jsonl key), and the built-ins
 * {code} (the code, in groups when .group is set), {serial}, {index}
 * (0-based row position, as gen counts), {payload}, {level}. "{{" is a
 * literal brace. A line wraps at spaces (a word longer than the line
 * breaks between characters); every line is at least YIMA_TEXT_PT_MIN. */
typedef struct yima_text_line {
    const char *tmpl;
    double pt;                /* size in points [YIMA_TEXT_PT_MIN] */
} yima_text_line;

/* A label template (all in mm). The symbol and the text stay inside the
 * safe area, .safe inside the trim; bleed extends the page beyond the
 * trim (BleedBox) for the press. */
typedef struct yima_label {
    double w, h;              /* trim size; 0 = the sheet pitch minus the gap */
    double gap;               /* between labels on a sheet or roll [0] */
    double bleed;             /* [0] */
    double safe;              /* inset of the safe area from the trim [1] */
    yima_anchor anchor;       /* [CENTER] */
    int rotate;               /* symbol rotation, 0/90/180/270 degrees clockwise [0] */
} yima_label;

/* A label sheet: cols x rows labels at a fixed pitch on a page (all in mm).
 * Labels fill rows left to right, top to bottom. With left and top < 0
 * the grid is centred on the page. */
typedef struct yima_sheet {
    unsigned cols, rows;
    double page_w, page_h;   /* page size [210 x 297] */
    double pitch_x, pitch_y; /* label pitch (distance between label origins) */
    double left, top;        /* offset of the first label [-1: centred] */
} yima_sheet;

typedef struct yima_render_options {
    yima_ecc ecc;             /* QR only (ECC 200 is fixed by the size) [M] */
    int version;              /* QR only: 1..40, or 0 = smallest that fits the first payload [0] */
    int scale;                /* pixels (printer dots) per module [4] */
    int dpi;                  /* resolution; 0 = unknown (no pHYs), physical outputs use 300 */
    int margin;               /* quiet zone in modules [4] */
    int text;                 /* print the code ({code}) when .ntext is 0 [0] */
    yima_imgfmt format;       /* [PNG] */
    yima_pack pack;           /* [SINGLE] */
    yima_naming naming;       /* [INDEX]: gen's index column (else the 0-based row), from 0 */
    const char *dir;          /* directory for YIMA_PACK_DIR (made if missing) */
    const char *output;       /* file for the stream packings; "-"/NULL is stdout */
    int force;                /* replace existing files */
    const yima_sheet *sheet;  /* label sheet for PDF, or PNG pages; NULL = none */
    int threads;              /* >= 1 [1] */
    yima_progress_fn progress; /* called from the writer with symbols done; may be NULL */
    void *progress_ctx;
    yima_symbology symbol;    /* [QR] */
    yima_dm_shape dm_shape;   /* DataMatrix only [SQUARE] */

    /* Labels and text. */
    const yima_label *label;  /* a label template; NULL = the symbol alone */
    int roll;                 /* PDF: one label a page (MediaBox = label + bleed) */
    yima_text_line text_lines[YIMA_TEXT_LINES_MAX];
    int ntext;                /* lines used; .text without lines means {code} */
    const char *font;         /* fontconfig family; NULL = YIMA_RENDER_FONT */
    int group;                /* {code} in groups of this many characters; 0 = none */
    int level;                /* yima_level to render, or YIMA_RENDER_ALL [ALL] */
    yima_render_column column; /* [PAYLOAD] */

    /* Press. */
    const char *spot;         /* PDF: a Separation colour of this name; NULL = DeviceGray K */
    int crop_marks;           /* PDF: crop marks outside the bleed */
    const char *title;        /* PDF Info/XMP title; NULL = the output's file name */
    uint64_t split_pages;     /* PDF: a new numbered file every N pages; 0 = one file */
    uint64_t range_start;     /* render rows [start, start + count) of the selected rows */
    uint64_t range_count;     /* 0 = to the end */
    unsigned copies;          /* ZPL ^PQ copies of each label [1] */
} yima_render_options;

/* The default text font: covers Latin and Chinese (Debian fonts-wqy-microhei). */
#define YIMA_RENDER_FONT "WenQuanYi Micro Hei"

/* Fills the defaults above. */
YIMA_API void yima_render_options_init(yima_render_options *opt);

/* Checks option ranges and that the sheet grid fits its page. Returns
 * YIMA_E_USAGE with a message naming the setting in words (no option
 * names: the caller knows how its users spell them). */
YIMA_API int yima_render_check(const yima_render_options *opt, yima_err *err);

typedef struct yima_render_result {
    uint64_t symbols;   /* symbols rendered */
    uint64_t files;     /* images or pages written (PDF: pages) */
    int version;        /* QR version used; DataMatrix: size number 1..24 (10x10 = 1) */
    int width;          /* modules per side */
} yima_render_result;

/*
 * Renders every payload of inputs[0..ninputs) (ninputs 0 = standard input;
 * "-" names it too). Input is gen's txt, csv, tsv or jsonl output (the
 * payload column is used, else the code) or plain payloads, one per line,
 * gzip-compressed or not. Stream outputs appear only when complete; the
 * files of a YIMA_PACK_DIR run each appear atomically. Thread-safe with
 * respect to other runs; uses opt->threads threads. Returns YIMA_OK or an
 * error: YIMA_E_USAGE for options (including an opt->version too small for
 * the first payload),
 * YIMA_E_DATA naming source:line, YIMA_E_IO, YIMA_E_EXISTS, YIMA_E_PIPE.
 */
YIMA_API int yima_render_run(const yima_render_options *opt, const char *const *inputs,
                             size_t ninputs, yima_render_result *result, yima_err *err);

/*
 * Renders one payload as one image in opt->format and opt->symbol, appended
 * to out (which the caller owns and frees with yima_buf_free). text (may be
 * NULL) is the human-readable line used when opt->text is set; NULL for a
 * GS1 element string shows its HRI form. version 0 picks the smallest
 * size. Uses only opt's symbol and geometry fields. Thread-safe.
 * YIMA_E_DATA if the payload is empty, is a faulty GS1 element string, or
 * does not fit the version.
 */
YIMA_API int yima_render_image(const yima_render_options *opt, const char *payload, size_t len,
                               const char *text, yima_buf *out, yima_err *err);

/* Smallest QR version (1..40) holding payload at ecc, or 0 if none does. */
YIMA_API int yima_render_fit_version(const char *payload, size_t len, yima_ecc ecc);

/*
 * A physical module size in printer dots: module_mm at dpi rounded to a
 * whole number of dots (at least 1). *real_mm receives the size actually
 * printed. Returns 1 if rounding changed the size by more than 0.1 %, so a
 * tool can warn, else 0.
 */
YIMA_API int yima_render_module_dots(double module_mm, int dpi, int *dots, double *real_mm);

/* Names: "L".."H", "png"/"svg"/"pbm", "index"/"serial", "qr"/"datamatrix"/"microqr",
 * "square"/"rect", "center"/"top-left"/"top"/...;
 * parse gives -1 if unknown. */
YIMA_API int yima_ecc_parse(const char *name);
YIMA_API const char *yima_ecc_name(yima_ecc ecc);
YIMA_API int yima_imgfmt_parse(const char *name);
YIMA_API const char *yima_imgfmt_name(yima_imgfmt fmt);
YIMA_API int yima_naming_parse(const char *name);
YIMA_API int yima_symbology_parse(const char *name);
YIMA_API const char *yima_symbology_name(yima_symbology sym);
YIMA_API int yima_dm_shape_parse(const char *name);
YIMA_API int yima_anchor_parse(const char *name);
YIMA_API const char *yima_anchor_name(yima_anchor anchor);

#ifdef __cplusplus
}
#endif
#endif
