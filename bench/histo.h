/*
 * bench/histo.h -- a log-linear latency histogram (for bench/ only).
 *
 * Values (nanoseconds, or any unsigned 64-bit quantity) fall into buckets:
 * below HISTO_SUB every value has its own bucket; above, each power of two
 * is split into HISTO_SUB equal buckets, so a reported percentile is off by
 * at most 1/HISTO_SUB (about 3%) of the value. A histo is a plain struct
 * (about 15 KiB): no allocation, no locks. Use one per thread and fold them
 * with histo_merge() after the threads are done.
 */
#ifndef CASHEW_BENCH_HISTO_H
#define CASHEW_BENCH_HISTO_H

#include <stdint.h>

#define HISTO_SUB_BITS 5
#define HISTO_SUB (1u << HISTO_SUB_BITS)
#define HISTO_BUCKETS ((64 - HISTO_SUB_BITS + 1) * HISTO_SUB)

typedef struct histo {
    uint64_t count;
    uint64_t sum;       /* for the mean; wraps only after ~584 years of ns */
    uint64_t min;
    uint64_t max;
    uint64_t bucket[HISTO_BUCKETS];
} histo;

/* Empties h. */
void histo_reset(histo *h);

/* Records one value. O(1), no branches on the bucket count. */
void histo_add(histo *h, uint64_t value);

/* Adds every value recorded in from to into (from is unchanged). */
void histo_merge(histo *into, const histo *from);

/*
 * The value below which the fraction p (0..1, e.g. 0.999) of the recorded
 * values lie: the middle of the bucket that holds that rank, clamped to
 * [min, max] (the top rank gives the exact max). 0 if h is empty.
 */
uint64_t histo_percentile(const histo *h, double p);

/* The mean of the recorded values (0 if empty). */
double histo_mean(const histo *h);

#endif
