/* SPDX-License-Identifier: MIT */
/*
 * The text engine: a font found by family name through fontconfig and read
 * with FreeType.
 *
 * Text is measured in font units, unhinted, so a line has the same width
 * in mm at every resolution and in every drawer. It is drawn as outlines
 * (PDF and SVG path operators) or as 1-bit hinted glyphs placed at the
 * unhinted pen positions (rasters), so a raster line is as wide as the
 * layout measured it. Each yr_font owns its FT_Library and face: one per
 * worker thread, nothing shared but the fontconfig lookup, which is locked.
 *
 * Per font, lazily filled caches keep a job cheap: each character's glyph
 * index and advance, each glyph's outline (decomposed once), and each
 * glyph's 1-bit rendering at the last few sizes (hinted once).
 */
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include FT_ADVANCES_H
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "render_internal.h"

#define PAGE_BITS 8
#define PAGE_LEN (1u << PAGE_BITS)
#define UNICODE_PAGES (0x110000u >> PAGE_BITS)

/* A character's glyph (0 = the font has none) and advance in font units. */
typedef struct charinfo {
    int32_t gid; /* -1: not looked up yet */
    int32_t adv;
} charinfo;

/* A glyph's outline in font units times 3 (so conics become cubics
 * exactly): ops 'm' and 'l' take one point of xy, 'c' three, 'h' none. */
typedef struct outline {
    int done;
    size_t nops;
    unsigned char *ops;
    int32_t *xy;
} outline;

/* A glyph rendered 1-bit at one size: rows of pitch bytes, MSB first. */
typedef struct glyphbm {
    int done, left, top;
    unsigned rows;
    size_t pitch;
    unsigned char *buf;
} glyphbm;

/* The glyphs rendered at one size, in pages by glyph index. */
#define RASTER_SIZES 8 /* sizes kept: a label's text lines each have one */
typedef struct rsize {
    double pt;
    int dpi;
    glyphbm **pages;
    size_t npages;
} rsize;

struct yr_font {
    FT_Library lib;
    FT_Face face;
    char *family;
    double upem;
    int kerning;
    double face_pt; /* the size set on the face for rendering */
    int face_dpi;
    rsize sizes[RASTER_SIZES];
    unsigned next_size;
    charinfo *chars[UNICODE_PAGES];
    outline **glyphs; /* pages of PAGE_LEN outlines by glyph index */
    size_t nglyph_pages;
};

static void size_clear(rsize *rs);

/* ---- opening: fontconfig and FreeType ------------------------------------ */

/* Fontconfig's first use builds its configuration, which not every version
 * does thread-safely. */
static pthread_mutex_t fc_lock = PTHREAD_MUTEX_INITIALIZER;

/* The file and face index of the font fontconfig matches for family, if
 * that font has family among its names (any language, case aside); its
 * own spelling goes to *name. YIMA_OK, YIMA_E_USAGE (no such family),
 * YIMA_E_NOMEM. */
static int fc_match_family(FcPattern *m, const char *family, char **file, int *index, char **name)
{
    FcChar8 *fam, *path;
    for (int i = 0; FcPatternGetString(m, FC_FAMILY, i, &fam) == FcResultMatch; i++) {
        if (FcStrCmpIgnoreCase(fam, (const FcChar8 *)family))
            continue;
        if (FcPatternGetString(m, FC_FILE, 0, &path) != FcResultMatch)
            return YIMA_E_USAGE;
        if (FcPatternGetInteger(m, FC_INDEX, 0, index) != FcResultMatch)
            *index = 0;
        *file = strdup((const char *)path);
        *name = strdup((const char *)fam);
        return *file && *name ? YIMA_OK : YIMA_E_NOMEM;
    }
    return YIMA_E_USAGE;
}

static int fc_find(const char *family, char **file, int *index, char **name)
{
    int rc = YIMA_E_NOMEM;
    pthread_mutex_lock(&fc_lock);
    FcPattern *pat = FcPatternCreate();
    if (pat && FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family) &&
        FcConfigSubstitute(NULL, pat, FcMatchPattern)) {
        FcResult res;
        FcDefaultSubstitute(pat);
        FcPattern *m = FcFontMatch(NULL, pat, &res);
        rc = m ? fc_match_family(m, family, file, index, name) : YIMA_E_USAGE;
        if (m)
            FcPatternDestroy(m);
    }
    if (pat)
        FcPatternDestroy(pat);
    pthread_mutex_unlock(&fc_lock);
    return rc;
}

static int face_open(yr_font *f, const char *file, int index, yima_err *err)
{
    if (FT_Init_FreeType(&f->lib)) {
        f->lib = NULL;
        return yima_err_set(err, YIMA_E_NOMEM, "cannot start FreeType");
    }
    if (FT_New_Face(f->lib, file, index, &f->face)) {
        f->face = NULL;
        return yima_err_set(err, YIMA_E_IO, "font '%s': cannot read %s", f->family, file);
    }
    /* Outlines are what PDF and SVG draw and what makes any size possible. */
    if (!FT_IS_SCALABLE(f->face) || !f->face->units_per_EM)
        return yima_err_set(err, YIMA_E_USAGE, "font '%s' (%s) has no outlines", f->family, file);
    if (FT_Select_Charmap(f->face, FT_ENCODING_UNICODE))
        return yima_err_set(err, YIMA_E_USAGE, "font '%s' (%s) has no Unicode character map",
                            f->family, file);
    f->upem = f->face->units_per_EM;
    f->kerning = FT_HAS_KERNING(f->face) != 0;
    f->nglyph_pages = ((size_t)f->face->num_glyphs + PAGE_LEN - 1) / PAGE_LEN;
    f->glyphs = calloc(f->nglyph_pages ? f->nglyph_pages : 1, sizeof *f->glyphs);
    return f->glyphs ? YIMA_OK : yima_err_set(err, YIMA_E_NOMEM, "out of memory for a font");
}

int yr_font_open(const char *family, yr_font **font, yima_err *err)
{
    char *file = NULL;
    int index = 0;
    yr_font *f = calloc(1, sizeof *f);
    *font = NULL;
    if (!family)
        family = YIMA_RENDER_FONT;
    if (!f)
        return yima_err_set(err, YIMA_E_NOMEM, "out of memory for a font");
    int rc = *family ? fc_find(family, &file, &index, &f->family) : YIMA_E_USAGE;
    if (rc == YIMA_E_USAGE)
        rc = yima_err_set(err, rc, "font '%s' not found (fc-list : family lists the installed ones)",
                          family);
    else if (rc)
        rc = yima_err_set(err, rc, "out of memory looking for font '%s'", family);
    else
        rc = face_open(f, file, index, err);
    free(file);
    if (rc) {
        yr_font_free(f);
        return rc;
    }
    *font = f;
    return YIMA_OK;
}

void yr_font_free(yr_font *font)
{
    if (!font)
        return;
    for (size_t p = 0; p < UNICODE_PAGES; p++)
        free(font->chars[p]);
    for (size_t p = 0; font->glyphs && p < font->nglyph_pages; p++) {
        for (size_t g = 0; font->glyphs[p] && g < PAGE_LEN; g++)
            free(font->glyphs[p][g].ops); /* xy shares its block */
        free(font->glyphs[p]);
    }
    free(font->glyphs);
    for (int i = 0; i < RASTER_SIZES; i++)
        size_clear(&font->sizes[i]);
    if (font->face)
        FT_Done_Face(font->face);
    if (font->lib)
        FT_Done_FreeType(font->lib);
    free(font->family);
    free(font);
}

const char *yr_font_family(const yr_font *font)
{
    return font->family;
}

/* ---- characters ---------------------------------------------------------- */

/* The character at s[*i], moving *i past it; -1 for bytes that are not
 * UTF-8 (a stray or missing continuation, an overlong form, a surrogate,
 * beyond U+10FFFF), moving *i one byte. */
int32_t yr_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    uint32_t cp, min;
    size_t n;
    if (c < 0x80) {
        (*i)++;
        return (int32_t)c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 1, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        n = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 3, cp = c & 0x07, min = 0x10000;
    else
        return (*i)++, -1;
    if (len - *i <= n)
        return (*i)++, -1;
    for (size_t k = 1; k <= n; k++) {
        unsigned b = s[*i + k];
        if ((b & 0xC0) != 0x80)
            return (*i)++, -1;
        cp = cp << 6 | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return (*i)++, -1;
    *i += n + 1;
    return (int32_t)cp;
}

static void char_lookup(yr_font *f, uint32_t cp, charinfo *ci)
{
    FT_Fixed adv = 0;
    ci->gid = (int32_t)FT_Get_Char_Index(f->face, cp);
    /* With FT_LOAD_NO_SCALE the advance comes in font units. */
    if (ci->gid && FT_Get_Advance(f->face, (FT_UInt)ci->gid, FT_LOAD_NO_SCALE, &adv))
        adv = 0;
    ci->adv = (int32_t)adv;
}

/* The glyph and advance of cp, from the cache (or looked up uncached when
 * the cache cannot grow: memory only makes it faster). */
static charinfo char_info(yr_font *f, uint32_t cp)
{
    charinfo **page = &f->chars[cp >> PAGE_BITS], tmp;
    if (!*page && (*page = malloc(PAGE_LEN * sizeof **page)) != NULL)
        for (unsigned k = 0; k < PAGE_LEN; k++)
            (*page)[k].gid = -1;
    charinfo *ci = *page ? &(*page)[cp & (PAGE_LEN - 1)] : &tmp;
    if (!*page || ci->gid < 0)
        char_lookup(f, cp, ci);
    return *ci;
}

/* A walk over the glyphs of a string: pen positions in font units. */
typedef struct walk {
    const unsigned char *s;
    size_t len, i;
    size_t at;      /* where the current character starts */
    int64_t pen;    /* pen after the current glyph */
    int64_t x;      /* origin of the current glyph (kerning applied) */
    int32_t cp;     /* current character, -1 for invalid UTF-8 */
    uint32_t gid, prev;
} walk;

static void walk_init(walk *w, const char *s, size_t len)
{
    memset(w, 0, sizeof *w);
    w->s = (const unsigned char *)s;
    w->len = len;
}

/* Moves to the next character: 1 and its glyph, or 0 at the end. A bad
 * character (invalid UTF-8: cp -1; no glyph: gid 0) is returned too, with
 * no advance, so measuring goes on and checking can name it. */
static int walk_next(yr_font *f, walk *w)
{
    if (w->i >= w->len)
        return 0;
    w->at = w->i;
    w->cp = yr_utf8_next(w->s, w->len, &w->i);
    charinfo ci = w->cp >= 0 ? char_info(f, (uint32_t)w->cp) : (charinfo){0, 0};
    w->gid = (uint32_t)ci.gid;
    if (w->gid && w->prev && f->kerning) {
        FT_Vector k;
        if (!FT_Get_Kerning(f->face, w->prev, w->gid, FT_KERNING_UNSCALED, &k))
            w->pen += k.x;
    }
    w->x = w->pen;
    w->pen += ci.adv;
    w->prev = w->gid;
    return 1;
}

static int walk_bad(const walk *w)
{
    return w->cp < 0 || !w->gid;
}

/* mm per font unit at pt points. */
static double unit_mm(const yr_font *f, double pt)
{
    return pt * YR_MM_PER_PT / f->upem;
}

int yr_font_check(yr_font *font, const char *s, size_t len, yima_err *err)
{
    walk w;
    walk_init(&w, s, len);
    while (walk_next(font, &w)) {
        if (w.cp < 0)
            return yima_err_set(err, YIMA_E_DATA, "invalid UTF-8 at byte %zu", w.at + 1);
        if (w.gid)
            continue;
        /* Control characters are named by number only. */
        if (w.cp < 0x20 || (w.cp >= 0x7F && w.cp < 0xA0))
            return yima_err_set(err, YIMA_E_DATA, "no glyph for U+%04X in font '%s'",
                                (unsigned)w.cp, font->family);
        return yima_err_set(err, YIMA_E_DATA, "no glyph for U+%04X '%.*s' in font '%s'",
                            (unsigned)w.cp, (int)(w.i - w.at), s + w.at, font->family);
    }
    return YIMA_OK;
}

double yr_font_width(yr_font *font, const char *s, size_t len, double pt)
{
    walk w;
    walk_init(&w, s, len);
    while (walk_next(font, &w))
        ;
    return (double)w.pen * unit_mm(font, pt);
}

void yr_font_metrics(yr_font *font, double pt, double *ascent, double *descent, double *pitch)
{
    const FT_Face face = font->face;
    double k = unit_mm(font, pt);
    double asc = face->ascender > 0 ? face->ascender : 0;
    double desc = face->descender < 0 ? -(double)face->descender : 0;
    double gap = face->height > asc + desc ? face->height : asc + desc;
    *ascent = asc * k;
    *descent = desc * k;
    *pitch = gap * k;
}

/* ---- wrapping ------------------------------------------------------------ */

static int only_spaces(const char *s, size_t from, size_t len)
{
    while (from < len && s[from] == ' ')
        from++;
    return from == len;
}

/* The end of the longest run of whole words from w's position that fits
 * max font units; w is left there. Returns w->i unchanged if not even the
 * first word fits. */
static size_t fit_words(yr_font *f, walk *w, double max)
{
    for (;;) {
        walk t = *w;
        int word = 0;
        /* Spaces, then the word: the candidate ends where the word does. */
        while (t.i < t.len && t.s[t.i] == ' ')
            walk_next(f, &t);
        while (t.i < t.len && t.s[t.i] != ' ' && walk_next(f, &t))
            word = 1;
        if (!word || (double)t.pen > max)
            return w->i;
        *w = t;
    }
}

/* The end of the longest prefix from w's position that fits max, at least
 * one character: for a word wider than the line. */
static size_t fit_chars(yr_font *f, walk *w, double max)
{
    walk t = *w;
    int first = 1;
    while (walk_next(f, &t) && (first || (double)t.pen <= max)) {
        *w = t;
        first = 0;
    }
    return w->i;
}

int yr_font_wrap(yr_font *font, const char *s, size_t len, double pt, double max_mm,
                 size_t *start, size_t *len_out, int max_lines)
{
    double max = max_mm / unit_mm(font, pt) + 1e-6; /* font units; a width on the limit fits */
    size_t at = 0;
    int n = 0;
    while (at < len && !only_spaces(s, at, len)) {
        walk w;
        walk_init(&w, s, len);
        w.i = at;
        size_t end = fit_words(font, &w, max);
        if (end == at)
            end = fit_chars(font, &w, max);
        if (n < max_lines) {
            start[n] = at;
            len_out[n] = end - at;
        }
        if (++n > max_lines)
            return n;
        for (at = end; at < len && s[at] == ' '; at++)
            ; /* the spaces at a break are dropped */
    }
    return n;
}

/* ---- outlines ------------------------------------------------------------ */

/* An outline being decomposed: growable ops and points. */
typedef struct decomp {
    unsigned char *ops;
    int32_t *xy;
    size_t nops, nxy, cops, cxy;
    FT_Vector cur;
    int open, failed;
} decomp;

static int push(decomp *d, unsigned char op, const int32_t *pts, size_t n)
{
    if (d->nops == d->cops) {
        size_t c = d->cops ? 2 * d->cops : 64;
        unsigned char *p = realloc(d->ops, c);
        if (!p)
            return d->failed = 1;
        d->ops = p;
        d->cops = c;
    }
    if (d->nxy + n > d->cxy) {
        size_t c = d->cxy ? 2 * d->cxy : 256;
        int32_t *p = realloc(d->xy, c * sizeof *p);
        if (!p)
            return d->failed = 1;
        d->xy = p;
        d->cxy = c;
    }
    d->ops[d->nops++] = op;
    for (size_t k = 0; k < n; k++)
        d->xy[d->nxy++] = pts[k];
    return 0;
}

static int dc_move(const FT_Vector *to, void *user)
{
    decomp *d = user;
    int32_t p[2] = {(int32_t)(3 * to->x), (int32_t)(3 * to->y)};
    if (d->open && push(d, 'h', NULL, 0))
        return 1;
    d->open = 1;
    d->cur = *to;
    return push(d, 'm', p, 2);
}

static int dc_line(const FT_Vector *to, void *user)
{
    decomp *d = user;
    int32_t p[2] = {(int32_t)(3 * to->x), (int32_t)(3 * to->y)};
    d->cur = *to;
    return push(d, 'l', p, 2);
}

/* A quadratic (p0, c, p3) is the cubic (p0, (p0 + 2c) / 3, (p3 + 2c) / 3, p3):
 * exact in thirds of a unit. */
static int dc_conic(const FT_Vector *c, const FT_Vector *to, void *user)
{
    decomp *d = user;
    int32_t p[6] = {(int32_t)(d->cur.x + 2 * c->x), (int32_t)(d->cur.y + 2 * c->y),
                    (int32_t)(to->x + 2 * c->x),    (int32_t)(to->y + 2 * c->y),
                    (int32_t)(3 * to->x),           (int32_t)(3 * to->y)};
    d->cur = *to;
    return push(d, 'c', p, 6);
}

static int dc_cubic(const FT_Vector *c1, const FT_Vector *c2, const FT_Vector *to, void *user)
{
    decomp *d = user;
    int32_t p[6] = {(int32_t)(3 * c1->x), (int32_t)(3 * c1->y), (int32_t)(3 * c2->x),
                    (int32_t)(3 * c2->y), (int32_t)(3 * to->x), (int32_t)(3 * to->y)};
    d->cur = *to;
    return push(d, 'c', p, 6);
}

/* Fills o with glyph gid's outline; one allocation holds ops and points. */
static int decompose(yr_font *f, uint32_t gid, outline *o)
{
    static const FT_Outline_Funcs funcs = {dc_move, dc_line, dc_conic, dc_cubic, 0, 0};
    decomp d = {0};
    if (FT_Load_Glyph(f->face, gid, FT_LOAD_NO_SCALE | FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP))
        return YIMA_E_INTERNAL;
    FT_GlyphSlot g = f->face->glyph;
    int rc = YIMA_OK;
    if (g->format == FT_GLYPH_FORMAT_OUTLINE &&
        (FT_Outline_Decompose(&g->outline, &funcs, &d) || (d.open && push(&d, 'h', NULL, 0))))
        rc = d.failed ? YIMA_E_NOMEM : YIMA_E_INTERNAL;
    size_t xy_at = (d.nops + sizeof(int32_t) - 1) / sizeof(int32_t) * sizeof(int32_t);
    unsigned char *block = rc ? NULL : malloc(xy_at + d.nxy * sizeof(int32_t) + 1);
    if (!rc && !block)
        rc = YIMA_E_NOMEM;
    if (!rc) {
        if (d.nops) /* a space has none */
            memcpy(block, d.ops, d.nops);
        if (d.nxy)
            memcpy(block + xy_at, d.xy, d.nxy * sizeof(int32_t));
        o->ops = block;
        o->xy = (int32_t *)(void *)(block + xy_at);
        o->nops = d.nops;
        o->done = 1;
    }
    free(d.ops);
    free(d.xy);
    return rc;
}

/* The cached outline of gid, decomposed on first use. */
static int glyph_outline(yr_font *f, uint32_t gid, const outline **out)
{
    size_t p = gid >> PAGE_BITS;
    if (p >= f->nglyph_pages)
        return YIMA_E_INTERNAL;
    if (!f->glyphs[p] && !(f->glyphs[p] = calloc(PAGE_LEN, sizeof **f->glyphs)))
        return YIMA_E_NOMEM;
    outline *o = &f->glyphs[p][gid & (PAGE_LEN - 1)];
    int rc = o->done ? YIMA_OK : decompose(f, gid, o);
    *out = o;
    return rc;
}

char *yr_put_fixed(char *p, double v, int decimals)
{
    static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    static const unsigned long long uscale[] = {1,      10,      100,      1000,      10000,
                                                100000, 1000000, 10000000, 100000000, 1000000000};
    if (decimals < 0 || decimals > 9)
        decimals = 9;
    double r = v * scale[decimals];
    if (!(r > -1e15 && r < 1e15))
        r = 0; /* not a coordinate: NaN or beyond any page */
    unsigned long long q = (unsigned long long)(r < 0 ? 0.5 - r : r + 0.5);
    unsigned long long ip = q / uscale[decimals], frac = q % uscale[decimals];
    char digits[24], *d = digits + sizeof digits;
    if (r < 0 && q)
        *p++ = '-';
    do
        *--d = (char)('0' + ip % 10);
    while ((ip /= 10) > 0);
    memcpy(p, d, (size_t)(digits + sizeof digits - d));
    p += digits + sizeof digits - d;
    if (frac) {
        *p++ = '.';
        for (int k = decimals - 1; k >= 0 && frac; k--) {
            unsigned long long unit = uscale[k];
            *p++ = (char)('0' + frac / unit);
            frac %= unit;
        }
    }
    return p;
}

/* Where a glyph's points go: label mm, then the drawer's units. */
typedef struct placer {
    const yr_xform *xf;
    double x, y, k; /* glyph origin in mm, mm per third of a font unit */
    yr_pathfmt fmt;
} placer;

static char *put_point(char *p, const placer *pl, const int32_t *xy)
{
    p = yr_put_fixed(p, pl->xf->sx * (pl->x + xy[0] * pl->k) + pl->xf->tx, 3);
    *p++ = ' ';
    p = yr_put_fixed(p, pl->xf->sy * (pl->y - xy[1] * pl->k) + pl->xf->ty, 3);
    return p;
}

/* One operator: PDF "x y m ", "x1 y1 x2 y2 x3 y3 c ", "h\n"; SVG "Mx y",
 * "Cx1 y1 x2 y2 x3 y3", "Z". */
static char *put_op(char *p, const placer *pl, unsigned char op, const int32_t *xy)
{
    int svg = pl->fmt == YR_PATH_SVG;
    int npts = op == 'c' ? 3 : op == 'h' ? 0 : 1;
    if (svg)
        *p++ = op == 'm' ? 'M' : op == 'l' ? 'L' : op == 'c' ? 'C' : 'Z';
    for (int k = 0; k < npts; k++) {
        if (k)
            *p++ = ' ';
        p = put_point(p, pl, xy + 2 * k);
    }
    if (!svg) {
        if (npts)
            *p++ = ' ';
        *p++ = (char)op;
        *p++ = op == 'h' ? '\n' : ' ';
    }
    return p;
}

#define OP_MAX 192 /* bytes of the longest operator: 6 numbers of at most 26 */

static int glyph_path(const outline *o, const placer *pl, yima_buf *out)
{
    const int32_t *xy = o->xy;
    if (yima_buf_reserve(out, o->nops * OP_MAX))
        return YIMA_E_NOMEM;
    char *start = (char *)out->data + out->len, *p = start;
    for (size_t i = 0; i < o->nops; i++) {
        p = put_op(p, pl, o->ops[i], xy);
        xy += o->ops[i] == 'c' ? 6 : o->ops[i] == 'h' ? 0 : 2;
    }
    out->len += (size_t)(p - start);
    return YIMA_OK;
}

/* A line being drawn as outlines: where it starts, mm per font unit. */
typedef struct path_line {
    yr_font *font;
    placer pl;
    double x, k;
    yima_buf *out;
} path_line;

static int path_glyph(void *ctx, uint32_t gid, int64_t x)
{
    path_line *line = ctx;
    const outline *o;
    int rc = glyph_outline(line->font, gid, &o);
    line->pl.x = line->x + (double)x * line->k;
    return rc ? rc : glyph_path(o, &line->pl, line->out);
}

int yr_font_path(yr_font *font, const char *s, size_t len, double pt, double x, double y,
                 const yr_xform *xf, yr_pathfmt fmt, yima_buf *out)
{
    double k = unit_mm(font, pt);
    path_line line = {font, {.xf = xf, .y = y, .k = k / 3, .fmt = fmt}, x, k, out};
    return yr_font_glyphs(font, s, len, path_glyph, &line);
}

int yr_font_glyphs(yr_font *font, const char *s, size_t len, yr_glyph_fn fn, void *ctx)
{
    walk w;
    walk_init(&w, s, len);
    while (walk_next(font, &w)) {
        const outline *o;
        if (walk_bad(&w))
            return YIMA_E_DATA;
        int rc = glyph_outline(font, w.gid, &o);
        if (!rc && o->nops) /* a space draws nothing */
            rc = fn(ctx, w.gid, w.x);
        if (rc)
            return rc;
    }
    return YIMA_OK;
}

double yr_font_upem(const yr_font *font)
{
    return font->upem;
}

/* Grows box [x0 y0 x1 y1] over the points of o: a curve stays inside its
 * control points, so this bounds the glyph. */
static void outline_box(const outline *o, int32_t box[4])
{
    const int32_t *xy = o->xy;
    int first = 1;
    for (size_t i = 0; i < o->nops; i++) {
        int npts = o->ops[i] == 'c' ? 3 : o->ops[i] == 'h' ? 0 : 1;
        for (int k = 0; k < npts; k++, xy += 2) {
            if (first || xy[0] < box[0])
                box[0] = xy[0];
            if (first || xy[1] < box[1])
                box[1] = xy[1];
            if (first || xy[0] > box[2])
                box[2] = xy[0];
            if (first || xy[1] > box[3])
                box[3] = xy[1];
            first = 0;
        }
    }
}

int yr_font_glyph_pdf(yr_font *font, uint32_t gid, yima_buf *out, int32_t box[4])
{
    static const yr_xform units = {1, -1, 0, 0}; /* y up, as the font's */
    const outline *o;
    int rc = glyph_outline(font, gid, &o);
    if (rc)
        return rc;
    memset(box, 0, 4 * sizeof *box);
    outline_box(o, box);
    placer pl = {.xf = &units, .k = 1, .fmt = YR_PATH_PDF};
    return glyph_path(o, &pl, out);
}

/* ---- 1-bit glyphs ---------------------------------------------------------- */

/* ORs byte b (8 pixels, MSB first) into row at pixel x, clipped to w. */
static void or_byte(unsigned char *row, int w, int x, unsigned b)
{
    if (x >= 0 && x + 8 <= w) {
        int sh = x & 7;
        row[x >> 3] |= (unsigned char)(b >> sh);
        if (sh)
            row[(x >> 3) + 1] |= (unsigned char)(b << (8 - sh));
        return;
    }
    for (int k = 0; k < 8; k++)
        if ((b & (0x80u >> k)) && x + k >= 0 && x + k < w)
            row[(x + k) >> 3] |= (unsigned char)(0x80 >> ((x + k) & 7));
}

/* ORs glyph g into bm with its bitmap's top-left at (ox, oy), clipped. */
static void blit(yr_bitmap *bm, const glyphbm *g, int ox, int oy)
{
    for (unsigned r = 0; r < g->rows; r++) {
        int y = oy + (int)r;
        if (y < 0 || y >= bm->h)
            continue;
        const unsigned char *src = g->buf + r * g->pitch;
        unsigned char *dst = bm->px + (size_t)y * bm->stride;
        for (size_t j = 0; j < g->pitch; j++)
            if (src[j])
                or_byte(dst, bm->w, ox + 8 * (int)j, src[j]);
    }
}

/* Copies FreeType's mono bitmap into g: rows top down, the bits past the
 * width cleared (so whole bytes can be ORed). */
static int keep_bitmap(const FT_GlyphSlot slot, glyphbm *g)
{
    const FT_Bitmap *b = &slot->bitmap;
    size_t step = (size_t)(b->pitch < 0 ? -b->pitch : b->pitch);
    g->pitch = ((size_t)b->width + 7) / 8;
    g->rows = b->rows;
    g->left = slot->bitmap_left;
    g->top = slot->bitmap_top;
    g->buf = malloc(g->pitch * g->rows + 1);
    if (!g->buf)
        return YIMA_E_NOMEM;
    for (unsigned r = 0; r < b->rows; r++) {
        /* A negative pitch stores the rows bottom up. */
        const unsigned char *src = b->buffer + (b->pitch < 0 ? b->rows - 1 - r : r) * step;
        unsigned char *dst = g->buf + r * g->pitch;
        memcpy(dst, src, g->pitch);
        if (b->width & 7)
            dst[g->pitch - 1] &= (unsigned char)(0xFF00 >> (b->width & 7));
    }
    g->done = 1;
    return YIMA_OK;
}

static void size_clear(rsize *rs)
{
    for (size_t p = 0; rs->pages && p < rs->npages; p++) {
        for (size_t g = 0; rs->pages[p] && g < PAGE_LEN; g++)
            free(rs->pages[p][g].buf);
        free(rs->pages[p]);
    }
    free(rs->pages);
    memset(rs, 0, sizeof *rs);
}

/* The glyph cache of pt at dpi: found, else the oldest one's place. */
static rsize *size_cache(yr_font *f, double pt, int dpi)
{
    for (int i = 0; i < RASTER_SIZES; i++)
        if (f->sizes[i].pages && f->sizes[i].pt == pt && f->sizes[i].dpi == dpi)
            return &f->sizes[i];
    rsize *rs = &f->sizes[f->next_size++ % RASTER_SIZES];
    size_clear(rs);
    rs->npages = f->nglyph_pages;
    rs->pages = calloc(rs->npages ? rs->npages : 1, sizeof *rs->pages);
    if (!rs->pages)
        return NULL;
    rs->pt = pt;
    rs->dpi = dpi;
    return rs;
}

/* Glyph gid rendered at rs's size, hinted for 1 bit (no anti-aliasing),
 * always from the outline; rendered once. */
static int glyph_bitmap(yr_font *f, rsize *rs, uint32_t gid, const glyphbm **out)
{
    size_t p = gid >> PAGE_BITS;
    if (p >= rs->npages)
        return YIMA_E_INTERNAL;
    if (!rs->pages[p] && !(rs->pages[p] = calloc(PAGE_LEN, sizeof **rs->pages)))
        return YIMA_E_NOMEM;
    glyphbm *g = &rs->pages[p][gid & (PAGE_LEN - 1)];
    *out = g;
    if (g->done)
        return YIMA_OK;
    if ((f->face_pt != rs->pt || f->face_dpi != rs->dpi) &&
        FT_Set_Char_Size(f->face, 0, (FT_F26Dot6)lround(rs->pt * 64), (FT_UInt)rs->dpi,
                         (FT_UInt)rs->dpi)) {
        f->face_dpi = 0;
        return YIMA_E_INTERNAL;
    }
    f->face_pt = rs->pt;
    f->face_dpi = rs->dpi;
    if (FT_Load_Glyph(f->face, gid, FT_LOAD_RENDER | FT_LOAD_TARGET_MONO | FT_LOAD_NO_BITMAP))
        return YIMA_E_INTERNAL;
    const FT_Bitmap *b = &f->face->glyph->bitmap;
    if (b->pixel_mode != FT_PIXEL_MODE_MONO && b->rows && b->width)
        return YIMA_E_INTERNAL;
    return keep_bitmap(f->face->glyph, g);
}

int yr_font_raster(yr_font *font, const char *s, size_t len, double pt, int dpi, int x, int y,
                   yr_bitmap *bm)
{
    if (dpi <= 0 || !(pt > 0))
        return YIMA_E_INTERNAL;
    rsize *rs = size_cache(font, pt, dpi);
    if (!rs)
        return YIMA_E_NOMEM;
    double px = pt * dpi / (72.0 * font->upem); /* pixels per font unit */
    walk w;
    walk_init(&w, s, len);
    while (walk_next(font, &w)) {
        const glyphbm *g;
        if (walk_bad(&w))
            return YIMA_E_DATA;
        int rc = glyph_bitmap(font, rs, w.gid, &g);
        if (rc)
            return rc;
        /* Hinted shapes at the unhinted pen: as wide as measured. */
        blit(bm, g, x + (int)lround((double)w.x * px) + g->left, y - g->top);
    }
    return YIMA_OK;
}
