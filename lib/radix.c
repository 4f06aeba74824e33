/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "internal.h"

const char yima_base32_chars[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Damm's order-10 quasigroup (Damm 2004): zero diagonal, totally anti-symmetric. */
static const unsigned char damm10[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

int yima_radix(yima_alphabet alphabet)
{
    return alphabet == YIMA_ALPHABET_DIGITS ? 10 : 32;
}

static signed char base32_value[256];
/* Damm steps by character: damm_step[a][interim][c] is the next interim, or
 * 0xff for a character outside the alphabet. One lookup a character. */
static unsigned char damm_step[2][32][256];

static unsigned gf32_double(unsigned v)
{
    v <<= 1;
    return v & 0x20u ? v ^ 0x25u : v; /* reduce by x^5 + x^2 + 1 */
}

static void damm_tables_init(void)
{
    memset(damm_step, 0xff, sizeof damm_step);
    for (unsigned i = 0; i < 32; i++)
        for (int c = 0; c < 256; c++)
            if (base32_value[c] >= 0)
                damm_step[YIMA_ALPHABET_BASE32][i][c] =
                    (unsigned char)(gf32_double(i) ^ (unsigned)base32_value[c]);
    for (unsigned i = 0; i < 10; i++)
        for (int d = 0; d < 10; d++)
            damm_step[YIMA_ALPHABET_DIGITS][i]['0' + d] = damm10[i][d];
}

/* Built before main, so lookups on the hot path need no synchronisation. */
__attribute__((constructor)) static void base32_table_init(void)
{
    memset(base32_value, -1, sizeof base32_value);
    for (int i = 0; i < 32; i++) {
        base32_value[(unsigned char)yima_base32_chars[i]] = (signed char)i;
        base32_value[(unsigned char)(yima_base32_chars[i] | 0x20)] = (signed char)i;
    }
    /* Crockford: O reads as zero, I and L as one; digits are untouched by |0x20. */
    base32_value['O'] = base32_value['o'] = 0;
    base32_value['I'] = base32_value['i'] = base32_value['L'] = base32_value['l'] = 1;
    damm_tables_init();
}

int yima_char_value(yima_alphabet alphabet, unsigned char c)
{
    if (alphabet == YIMA_ALPHABET_DIGITS)
        return c >= '0' && c <= '9' ? c - '0' : -1;
    return base32_value[c];
}

static char digit_char(yima_alphabet alphabet, unsigned v)
{
    return alphabet == YIMA_ALPHABET_DIGITS ? (char)('0' + v) : yima_base32_chars[v];
}

yima_u128 yima_u128_pow(unsigned base, int exp)
{
    static yima_u128 pow10[39];
    if (base == 32)
        return (yima_u128)1 << (5 * exp);
    if (base == 10 && exp >= 0 && exp < 39) {
        if (!pow10[0]) { /* racing initialisers store identical values */
            yima_u128 r = 1;
            for (int i = 0; i < 39; i++, r *= 10)
                pow10[i] = r;
        }
        return pow10[exp];
    }
    yima_u128 r = 1;
    while (exp-- > 0)
        r *= base;
    return r;
}

/* Decimal digits of a value below 10^19 * 2^64, without 128-bit division
 * in the loop: one split, then 64-bit arithmetic. */
static void write_decimal(yima_u128 value, int width, char *out)
{
    const uint64_t chunk = 10000000000000000000ull; /* 10^19 */
    uint64_t lo = (uint64_t)(value % chunk), hi = (uint64_t)(value / chunk);
    for (int i = width - 1; i >= 0; i--) {
        int in_low = width - 1 - i < 19;
        uint64_t *part = in_low ? &lo : &hi;
        out[i] = (char)('0' + *part % 10);
        *part /= 10;
    }
}

void yima_write_u128(yima_alphabet alphabet, yima_u128 value, int width, char *out)
{
    if (alphabet == YIMA_ALPHABET_DIGITS) {
        write_decimal(value, width, out);
        return;
    }
    for (int i = width - 1; i >= 0; i--) {
        out[i] = yima_base32_chars[(unsigned)value & 31u];
        value >>= 5;
    }
}

int yima_read_u128(yima_alphabet alphabet, const char *text, int width, yima_u128 *value)
{
    unsigned radix = (unsigned)yima_radix(alphabet);
    yima_u128 v = 0, limit = ~(yima_u128)0 / radix;
    for (int i = 0; i < width; i++) {
        int d = yima_char_value(alphabet, (unsigned char)text[i]);
        if (d < 0 || v > limit)
            return -1;
        v = v * radix + (unsigned)d;
    }
    *value = v;
    return 0;
}

int yima_bytes_width(yima_alphabet alphabet, size_t n)
{
    if (alphabet == YIMA_ALPHABET_BASE32)
        return (int)((n * 8 + 4) / 5);
    /* ceil(8n * log10(2)); 0.30103 slightly above log10(2) keeps it exact for n <= 64. */
    return (int)((double)n * 8 * 0.30103) + 1;
}

/* Chunk size: the largest power of the radix that fits in 32 bits. */
#define CHUNK_DIGITS 9
#define CHUNK_DIV 1000000000u
#define LIMBS_MAX 32

static void bytes_to_limbs(const unsigned char *bytes, size_t n, uint32_t *limbs, size_t nlimbs)
{
    memset(limbs, 0, nlimbs * sizeof *limbs);
    for (size_t i = 0; i < n; i++) {
        size_t bit = (n - 1 - i) * 8;
        limbs[bit / 32] |= (uint32_t)bytes[i] << (bit % 32);
    }
}

/* Divides the little-endian limb number in place; returns the remainder. */
static uint32_t limbs_divmod(uint32_t *limbs, size_t nlimbs, uint32_t divisor)
{
    uint64_t rem = 0;
    for (size_t i = nlimbs; i-- > 0;) {
        uint64_t cur = rem << 32 | limbs[i];
        limbs[i] = (uint32_t)(cur / divisor);
        rem = cur % divisor;
    }
    return (uint32_t)rem;
}

void yima_write_bytes(yima_alphabet alphabet, const unsigned char *bytes, size_t n, int width,
                      char *out)
{
    if (alphabet == YIMA_ALPHABET_BASE32) {
        /* Bit slicing: character i holds bits [5i, 5i+5) counted from the top of
         * a 5*width-bit big-endian number whose low 8n bits are the bytes. */
        int pad = width * 5 - (int)n * 8;
        for (int i = 0; i < width; i++) {
            unsigned v = 0;
            for (int b = 0; b < 5; b++) {
                int bit = i * 5 + b - pad;
                unsigned on = bit >= 0 ? (bytes[bit / 8] >> (7 - bit % 8)) & 1u : 0u;
                v = v << 1 | on;
            }
            out[i] = yima_base32_chars[v];
        }
        return;
    }
    uint32_t limbs[LIMBS_MAX];
    size_t nlimbs = (n + 3) / 4;
    bytes_to_limbs(bytes, n, limbs, nlimbs);
    int pos = width;
    while (pos > 0) {
        uint32_t chunk = limbs_divmod(limbs, nlimbs, CHUNK_DIV);
        for (int k = 0; k < CHUNK_DIGITS && pos > 0; k++) {
            out[--pos] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    }
}

int yima_read_bytes(yima_alphabet alphabet, const char *text, int width, unsigned char *bytes,
                    size_t n)
{
    uint32_t limbs[LIMBS_MAX + 1] = {0};
    size_t nlimbs = (n + 3) / 4 + 1;
    unsigned radix = (unsigned)yima_radix(alphabet);
    for (int i = 0; i < width; i++) {
        int d = yima_char_value(alphabet, (unsigned char)text[i]);
        if (d < 0)
            return -1;
        uint64_t carry = (unsigned)d;
        for (size_t l = 0; l < nlimbs; l++) {
            uint64_t cur = (uint64_t)limbs[l] * radix + carry;
            limbs[l] = (uint32_t)cur;
            carry = cur >> 32;
        }
        if (carry)
            return -1;
    }
    /* Everything above the low n bytes must be zero: one number, one text. */
    for (size_t bit = n * 8; bit < nlimbs * 32; bit++)
        if (limbs[bit / 32] >> (bit % 32) & 1u)
            return -1;
    for (size_t i = 0; i < n; i++) {
        size_t bit = (n - 1 - i) * 8;
        bytes[i] = (unsigned char)(limbs[bit / 32] >> (bit % 32));
    }
    return 0;
}

/* Runs the Damm quasigroup over text; -1 on a character outside the alphabet. */
static int damm_interim(yima_alphabet alphabet, const char *text, size_t len)
{
    unsigned interim = 0;
    const unsigned char (*step)[256] = damm_step[alphabet == YIMA_ALPHABET_DIGITS];
    for (size_t i = 0; i < len && interim != 0xff; i++)
        interim = step[interim][(unsigned char)text[i]];
    return interim == 0xff ? -1 : (int)interim;
}

char yima_damm_check(yima_alphabet alphabet, const char *text, size_t len)
{
    int interim = damm_interim(alphabet, text, len);
    if (interim < 0)
        return '?';
    /* Digits: zero diagonal, so the check is the interim. GF(32): x o c = 0 iff c = 2x. */
    unsigned check = alphabet == YIMA_ALPHABET_DIGITS ? (unsigned)interim
                                                      : gf32_double((unsigned)interim);
    return digit_char(alphabet, check);
}

int yima_damm_valid(yima_alphabet alphabet, const char *text, size_t len)
{
    return damm_interim(alphabet, text, len) == 0;
}
