/*
 * daemon/sample_gap.h -- random gaps between sampled events, shared by the
 * `stats hotkeys` sketch and the `stats latency` timer.
 */
#ifndef CASHEW_DAEMON_SAMPLE_GAP_H
#define CASHEW_DAEMON_SAMPLE_GAP_H

#include <stdint.h>

/*
 * The number of events until the next sample: uniform in [1, 2N-1] (mean
 * N; always 1 when N is 1), from a xorshift64 generator whose state *rng
 * (never 0) the caller owns. Cheap, and spread enough that no periodic
 * access pattern lines up with the samples. Not thread-safe: one state per
 * thread.
 */
static inline uint32_t sample_gap_next(uint64_t *rng, uint32_t every)
{
    uint64_t x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    uint64_t span = 2 * (uint64_t)every - 1;
    return (uint32_t)(1 + (((x >> 32) * span) >> 32));
}

#endif
