/*
 * bench/value.h -- self-checking values for the load generator.
 *
 * Every value written for key K (the key's number) at version V is
 *
 *     "K:V:" followed by filler, value_size(K, V) bytes in all
 *
 * where the filler is a fixed printable pattern started at an offset derived
 * from (K, V), and the client flags are value_flags(K, V). A value read back
 * can therefore be checked completely (header, size, flags and every filler
 * byte) without remembering it: a corrupted, truncated or mixed-up value
 * fails value_verify. Whether V was really written for K is the caller's
 * check (it knows the highest version issued per key).
 *
 * A value_spec is built once and then only read (threads share it).
 */
#ifndef CASHEW_BENCH_VALUE_H
#define CASHEW_BENCH_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest header: 20 digits, ':', 10 digits, ':'. */
#define VALUE_HEADER_MAX 32
/* Smallest allowed value size: any header of a key < 2^32 fits. */
#define VALUE_MIN_SIZE 22

typedef struct value_spec {
    size_t min;         /* value sizes are min..max (inclusive) */
    size_t max;
    char *pattern;      /* filler source, max + period bytes; owned */
} value_spec;

typedef enum value_check {
    VALUE_OK = 0,
    VALUE_BAD_HEADER,   /* not "K:V:" */
    VALUE_WRONG_KEY,    /* header names another key */
    VALUE_BAD_SIZE,     /* length differs from value_size(K, V) */
    VALUE_BAD_FLAGS,    /* flags differ from value_flags(K, V) */
    VALUE_BAD_FILL      /* a filler byte differs */
} value_check;

/*
 * Sets up s for sizes min..max (VALUE_MIN_SIZE <= min <= max). Returns false
 * on bad sizes or if the pattern cannot be allocated.
 */
bool value_spec_create(value_spec *s, size_t min, size_t max);

/* Frees the pattern. */
void value_spec_destroy(value_spec *s);

/* The size of the value for (key, version): min when min == max, else a
 * hash of (key, version) mapped into min..max. */
size_t value_size(const value_spec *s, uint64_t key, uint32_t version);

/* The client flags written with (key, version). */
uint32_t value_flags(uint64_t key, uint32_t version);

/* Writes the value_size(key, version) bytes of the value to dst (which has
 * room for them) and returns that size. */
size_t value_write(const value_spec *s, char *dst, uint64_t key, uint32_t version);

/*
 * Checks a value read back for key: data[0..len) with the flags it came
 * with. On VALUE_OK, *version is the version it carries.
 */
value_check value_verify(const value_spec *s, uint64_t key, uint32_t flags,
                         const char *data, size_t len, uint32_t *version);

/* A short description of a check result ("filler byte differs", ...). */
const char *value_check_str(value_check c);

#endif
