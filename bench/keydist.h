/*
 * bench/keydist.h -- key choice for the load generator: uniform, zipf
 * (with a skew parameter) or sequential, over keys 0 .. nkeys-1.
 *
 * A keydist is built once (keydist_create) and then only read: threads share
 * it without locks. Each thread (or connection) draws from it with its own
 * keydist_cursor, which holds the random state and the sequential position.
 */
#ifndef CASHEW_BENCH_KEYDIST_H
#define CASHEW_BENCH_KEYDIST_H

#include <stdbool.h>
#include <stdint.h>

typedef enum keydist_kind {
    KEYDIST_UNIFORM,
    KEYDIST_ZIPF,        /* rank r (0-based) has weight 1 / (r + 1)^skew; key = rank */
    KEYDIST_SEQUENTIAL   /* each cursor walks its own stride: first, first+step, ... */
} keydist_kind;

typedef struct keydist {
    keydist_kind kind;
    uint64_t nkeys;
    double skew;
    double *cdf;         /* zipf only: cdf[r] = P(rank <= r); owned */
} keydist;

typedef struct keydist_cursor {
    uint64_t rng;        /* random state (never 0) */
    uint64_t seq;        /* sequential: next key */
    uint64_t first;      /* sequential: where each pass starts */
    uint64_t step;       /* sequential: stride */
} keydist_cursor;

/*
 * Sets up d for nkeys keys (>= 1). For KEYDIST_ZIPF, skew must be > 0 and
 * the table takes 8 bytes per key. Returns false (d unusable) on bad
 * arguments or when the table cannot be allocated.
 */
bool keydist_create(keydist *d, keydist_kind kind, uint64_t nkeys, double skew);

/* Frees what keydist_create allocated. */
void keydist_destroy(keydist *d);

/*
 * Seeds a cursor. seed picks the random stream; a sequential cursor starts
 * at key `first` and advances by `step` (>= 1); past the last key it starts
 * over at `first`, so cursors with first = 0..step-1 split the keys between
 * them (first >= nkeys wraps modulo nkeys).
 */
void keydist_cursor_init(keydist_cursor *c, uint64_t seed, uint64_t first, uint64_t step);

/* The next key for cursor c. */
uint64_t keydist_next(const keydist *d, keydist_cursor *c);

/* A uniformly random 64-bit number from c's stream (for op mix and sizes). */
uint64_t keydist_random(keydist_cursor *c);

/* Parses "uniform", "zipf" or "sequential"/"seq"; false if unknown. */
bool keydist_parse_kind(const char *name, keydist_kind *kind);

/* The name of a kind ("uniform", "zipf", "sequential"). */
const char *keydist_kind_name(keydist_kind kind);

#endif
