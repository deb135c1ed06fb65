/*
 * daemon/latency.h -- `stats latency`: server-side time per command kind,
 * as log-linear histograms.
 *
 * Each worker owns one latency_set: per kind of command an exact count
 * and a histogram of the times of a random sample of about 1 command in
 * sample_every (two clock reads and a histogram update cost more than the
 * rest of the bookkeeping together; latency_tick decides, with random gaps
 * so no periodic command mix can hide from it). Only the owner writes (a
 * relaxed load + store per counter, no lock, no locked instruction); any
 * thread reads with relaxed loads and folds the workers' sets into a
 * latency_sum, from which percentiles come.
 *
 *   command line parsed: latency_tick ? (latency_rearm, start = now) : start = 0
 *   reply queued:        latency_count(kind); start ? latency_time(kind, now - start)
 *
 * Buckets (values in nanoseconds): 0..15 exactly, then 8 buckets per
 * power of two, so a bucket spans at most 1/8 of its lower bound (12.5%);
 * values at or above 2^LATENCY_MAX_BITS ns (about 18 minutes) land in the
 * last bucket.
 *
 *   index:  0 .. 15 | 16 .. 23 | 24 .. 31 | ... (8 per octave)
 *   value:  0 .. 15 | 16 .. 31 | 32 .. 63 | ...
 *
 * Reset without writing another thread's counters: latency_reset bumps the
 * set's reset_asked; the owner, at its next latency_count, sees it differ
 * from reset_done, zeroes its counts and histograms and publishes
 * reset_done. A reader
 * treats a set whose reset is pending (or happens while it reads) as empty.
 */
#ifndef CASHEW_DAEMON_LATENCY_H
#define CASHEW_DAEMON_LATENCY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define LATENCY_SAMPLE 16 /* the daemon times about 1 command in 16 */
#define LATENCY_SUB_BITS 3
#define LATENCY_MAX_BITS 40
/* 16 linear, 8 per octave from 2^4 to 2^LATENCY_MAX_BITS, one overflow bucket */
#define LATENCY_BUCKETS (((LATENCY_MAX_BITS - LATENCY_SUB_BITS) << LATENCY_SUB_BITS) + 9)

/* The kinds `stats latency` reports, in its order. */
#define LATENCY_KINDS(X) \
    X(GET, "get") X(SET, "set") X(DELETE, "delete") X(INCR_DECR, "incr_decr") \
    X(TOUCH, "touch") X(MG, "mg") X(MS, "ms") X(MD, "md") X(MA, "ma")         \
    X(OTHER, "other")

typedef enum latency_kind {
#define LATENCY_ENUM_(id, name) LATENCY_##id,
    LATENCY_KINDS(LATENCY_ENUM_)
#undef LATENCY_ENUM_
    LATENCY__COUNT
} latency_kind;

/* The kind's name in `stats latency` ("get", "incr_decr", ...; static). */
const char *latency_kind_name(latency_kind k);

typedef struct latency_hist {
    _Atomic uint64_t bucket[LATENCY_BUCKETS];
    _Atomic uint64_t max_ns;
} latency_hist;

typedef struct latency_set {
    uint32_t countdown;           /* owner only: commands to the next timed one */
    uint32_t sample_every;
    uint64_t rng;                 /* owner only: xorshift state */
    _Atomic uint64_t count[LATENCY__COUNT]; /* every command, exact */
    latency_hist kind[LATENCY__COUNT];      /* the timed sample */
    _Atomic uint64_t reset_asked; /* bumped by latency_reset (any thread) */
    _Atomic uint64_t reset_done;  /* owner: the reset_asked it last applied */
} latency_set;

/*
 * An empty set timing about 1 command in sample_every (1: all of them);
 * seed picks the sampling sequence. NULL if out of memory; destroy frees
 * it (NULL ok).
 */
latency_set *latency_create(uint32_t sample_every, uint64_t seed);
void latency_destroy(latency_set *s);

/* Monotonic nanoseconds (CLOCK_MONOTONIC, a vDSO call on Linux). */
static inline uint64_t latency_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The bucket of a value, and the smallest / largest value of a bucket. */
unsigned latency_bucket_of(uint64_t ns);
uint64_t latency_bucket_low(unsigned bucket);
uint64_t latency_bucket_high(unsigned bucket);

/*
 * Owner thread, per command: true if this one is to be timed; then call
 * latency_rearm (it draws the gap to the next timed command) before the
 * next tick. A decrement and a branch.
 */
static inline bool latency_tick(latency_set *s)
{
    return --s->countdown == 0;
}
void latency_rearm(latency_set *s);

/* Owner only: applies a pending reset (latency_count calls it). */
void latency_apply_reset(latency_set *s);

/* Owner thread: true if latency_reset was asked and not applied yet. */
static inline bool latency_reset_pending(const latency_set *s)
{
    return atomic_load_explicit(&s->reset_asked, memory_order_acquire) !=
           atomic_load_explicit(&s->reset_done, memory_order_relaxed);
}

/*
 * Owner thread only, when no reset is pending: counts one command of kind
 * k (out of range: other). Inline: it runs for every command.
 */
static inline void latency_count_settled(latency_set *s, latency_kind k)
{
    _Atomic uint64_t *n = &s->count[(unsigned)k < LATENCY__COUNT ? k : LATENCY_OTHER];
    atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/*
 * Owner thread only: counts one command of kind k, applying a pending
 * reset first. Call it before latency_time for the same command.
 */
static inline void latency_count(latency_set *s, latency_kind k)
{
    if (latency_reset_pending(s))
        latency_apply_reset(s);
    latency_count_settled(s, k);
}

/* Owner thread only: adds a timed command of kind k that took ns. */
void latency_time(latency_set *s, latency_kind k, uint64_t ns);

/* Any thread: asks the owner to zero the set (applied at its next record). */
void latency_reset(latency_set *s);

/* Plain folded histograms of one or more sets. */
typedef struct latency_sum {
    uint64_t bucket[LATENCY__COUNT][LATENCY_BUCKETS];
    uint64_t count[LATENCY__COUNT];   /* commands */
    uint64_t timed[LATENCY__COUNT];   /* of which timed (the histogram's total) */
    uint64_t max_ns[LATENCY__COUNT];  /* the slowest timed one */
} latency_sum;

/* Any thread: adds s into *sum (zero it first); a set being reset adds nothing. */
void latency_fold(latency_sum *sum, const latency_set *s);

/*
 * The q-quantile (0 < q <= 1) of the timed commands of kind k in ns: the
 * middle of the bucket holding the ceil(q * timed)-th smallest value,
 * never above the maximum seen; 0 when nothing was timed.
 */
uint64_t latency_quantile(const latency_sum *sum, latency_kind k, double q);

#endif
