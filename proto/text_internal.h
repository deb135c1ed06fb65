/*
 * proto/text_internal.h -- helpers shared by the proto/ sources only
 * (tokens and numbers as memcached reads them). Not for daemon/.
 */
#ifndef CASHEW_PROTO_TEXT_INTERNAL_H
#define CASHEW_PROTO_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/text.h"

/* C-locale isspace() without the locale lookup. */
static inline bool text_is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* True if tok is exactly the NUL-terminated word w. */
static inline bool text_tok_is(text_str tok, const char *w, size_t wlen)
{
    return tok.len == wlen && memcmp(tok.ptr, w, wlen) == 0;
}

/*
 * memcpy(dst, src, n) for the short strings of replies (keys, fixed lines)
 * without a library call when n <= 32: two overlapping copies of a power
 * of two, each inside [0, n).
 */
static inline void text_copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 16 && n <= 32) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else if (n > 0 && n < 4) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    } else if (n > 32) {
        memcpy(dst, src, n);
    }
}

/*
 * Reads a decimal number the way memcached's strtoull/strtoll wrappers do:
 * optional leading white space (tab, CR, ...: never ' ', tokens have none),
 * an optional sign, at least one digit, then the token end or a white-space
 * character (anything after that is ignored). *magnitude gets the digits'
 * value, *negative the sign. Returns false on no digits, bad characters or
 * a magnitude above UINT64_MAX.
 */
bool text_scan_number(text_str tok, uint64_t *magnitude, bool *negative);

/* memcached's unsigned 64-bit rule: a negative result with a '-' in the token is refused. */
bool text_scan_u64(text_str tok, uint64_t *out);

/* memcached's signed 64-bit rule (strtoll range). */
bool text_scan_i64(text_str tok, int64_t *out);
/*
 * A data block length (set/ms): read as a signed 64-bit number, kept in 32
 * bits as memcached does, refused below 0 or above INT32_MAX - 2.
 */
bool text_scan_nbytes(text_str tok, uint64_t *out);

/* Writes the decimal digits of v into out (>= 20 bytes); returns how many. */
size_t text_u64_digits(char *out, uint64_t v);

/* "00" "01" ... "99" (text_compose.c). */
extern const char text_digit_pairs[201];

/*
 * Numbers below 10^8 without a division. With r the count of digits after
 * the leading one or two (r = 0, 2, 4, 6), t = v * ceil(2^47 / 10^r) holds
 * v / 10^r in 47-bit fixed point: the integer part is the leading digits,
 * and each "fraction * 100" yields the next pair. The rounding up adds less
 * than v / 2^47 < 10^-r (as v < 10^(r+2) and 10^(2r+2) <= 10^14 < 2^47), too
 * little to reach the next multiple of 10^-r, so every pair is exact.
 */
#define TEXT_FP_BITS 47
#define TEXT_FP_SMALL 100000000u

/* The digit count of 10 <= v < 10^8: a few comparisons. */
static inline unsigned text_small_width(uint32_t v)
{
    if (v < 10000)
        return v < 100 ? 2 : v < 1000 ? 3 : 4;
    if (v < 1000000)
        return v < 100000 ? 5 : 6;
    return v < 10000000 ? 7 : 8;
}

/* The next pair of digits out of the fixed-point fraction t. */
static inline char *text_fp_pair(char *p, uint64_t *t)
{
    *t = (*t & ((1ull << TEXT_FP_BITS) - 1)) * 100;
    memcpy(p, text_digit_pairs + 2 * (*t >> TEXT_FP_BITS), 2);
    return p + 2;
}

/* 10 <= v < 10^8. */
static inline size_t text_u64_digits_small(char *out, uint32_t v)
{
    static const uint64_t scale[4] = {
        (1ull << TEXT_FP_BITS), (1ull << TEXT_FP_BITS) / 100 + 1,
        (1ull << TEXT_FP_BITS) / 10000 + 1, (1ull << TEXT_FP_BITS) / 1000000 + 1,
    };
    unsigned width = text_small_width(v), pairs = (width - 1) / 2;
    uint64_t t = (uint64_t)v * scale[pairs];
    unsigned lead = (unsigned)(t >> TEXT_FP_BITS);
    char *p = out;
    if (width & 1) {
        *p++ = (char)('0' + lead);
    } else {
        memcpy(p, text_digit_pairs + 2 * lead, 2);
        p += 2;
    }
    switch (pairs) {
    case 3: p = text_fp_pair(p, &t); /* fall through */
    case 2: p = text_fp_pair(p, &t); /* fall through */
    case 1: text_fp_pair(p, &t); break;
    default: break;
    }
    return width;
}

/* text_u64_digits inlined for numbers below 10^8 (the reply composers' hot path). */
static inline size_t text_digits_inline(char *out, uint64_t v)
{
    if (v < 10) {
        out[0] = (char)('0' + v);
        return 1;
    }
    if (v < TEXT_FP_SMALL)
        return text_u64_digits_small(out, (uint32_t)v);
    return text_u64_digits(out, v);
}

#endif
