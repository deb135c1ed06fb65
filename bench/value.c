/* bench/value.c -- self-checking values; see value.h. */
#include "bench/value.h"

#include <stdlib.h>
#include <string.h>

#define VALUE_PERIOD 61u    /* prime: filler offsets differ for nearby (K, V) */
/* The filler's period: 61 printable bytes. */
static const char value_alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678";

static uint64_t value_mix(uint64_t key, uint32_t version)
{
    uint64_t x = key * 0x9E3779B97F4A7C15ull ^ ((uint64_t)version << 32 | version);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
}

bool value_spec_create(value_spec *s, size_t min, size_t max)
{
    memset(s, 0, sizeof *s);
    if (min < VALUE_MIN_SIZE || max < min)
        return false;
    s->min = min;
    s->max = max;
    s->pattern = malloc(max + VALUE_PERIOD);
    if (s->pattern == NULL)
        return false;
    for (size_t i = 0; i < max + VALUE_PERIOD; i++)
        s->pattern[i] = value_alphabet[i % VALUE_PERIOD];
    return true;
}

void value_spec_destroy(value_spec *s)
{
    free(s->pattern);
    s->pattern = NULL;
}

size_t value_size(const value_spec *s, uint64_t key, uint32_t version)
{
    if (s->min == s->max)
        return s->min;
    return s->min + (size_t)(value_mix(key, version) % (s->max - s->min + 1));
}

uint32_t value_flags(uint64_t key, uint32_t version)
{
    return (uint32_t)(value_mix(key, version) >> 40);
}

/* Writes v in decimal at dst; returns the digit count. */
static size_t value_put_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

static size_t value_header(char *dst, uint64_t key, uint32_t version)
{
    size_t n = value_put_u64(dst, key);
    dst[n++] = ':';
    n += value_put_u64(dst + n, version);
    dst[n++] = ':';
    return n;
}

size_t value_write(const value_spec *s, char *dst, uint64_t key, uint32_t version)
{
    size_t size = value_size(s, key, version);
    size_t h = value_header(dst, key, version);
    size_t off = value_mix(key, version) % VALUE_PERIOD;
    memcpy(dst + h, s->pattern + off, size - h);
    return size;
}

/* Reads decimal digits up to ':'; returns the bytes taken incl. ':' or 0. */
static size_t value_get_u64(const char *p, size_t len, uint64_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < len && i < 20 && p[i] >= '0' && p[i] <= '9')
        *v = *v * 10 + (uint64_t)(p[i++] - '0');
    if (i == 0 || i >= len || p[i] != ':')
        return 0;
    return i + 1;
}

value_check value_verify(const value_spec *s, uint64_t key, uint32_t flags,
                         const char *data, size_t len, uint32_t *version)
{
    uint64_t k, v;
    size_t a = value_get_u64(data, len, &k);
    size_t b = a ? value_get_u64(data + a, len - a, &v) : 0;
    if (b == 0 || v > UINT32_MAX)
        return VALUE_BAD_HEADER;
    if (k != key)
        return VALUE_WRONG_KEY;
    *version = (uint32_t)v;
    if (len != value_size(s, key, *version))
        return VALUE_BAD_SIZE;
    if (flags != value_flags(key, *version))
        return VALUE_BAD_FLAGS;
    size_t off = value_mix(key, *version) % VALUE_PERIOD;
    if (memcmp(data + a + b, s->pattern + off, len - a - b) != 0)
        return VALUE_BAD_FILL;
    return VALUE_OK;
}

const char *value_check_str(value_check c)
{
    switch (c) {
    case VALUE_OK: return "ok";
    case VALUE_BAD_HEADER: return "value header is not \"key:version:\"";
    case VALUE_WRONG_KEY: return "value belongs to another key";
    case VALUE_BAD_SIZE: return "value has the wrong length for its version";
    case VALUE_BAD_FLAGS: return "flags do not match the value's version";
    case VALUE_BAD_FILL: return "value filler bytes are corrupt";
    }
    return "?";
}
