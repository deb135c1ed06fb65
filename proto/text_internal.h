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

#endif
