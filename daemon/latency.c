/*
 * daemon/latency.c -- per-worker log-linear latency histograms; see
 * latency.h.
 */
#include "config.h"

#include "daemon/latency.h"
#include "daemon/sample_gap.h"

#include <stdlib.h>
#include <string.h>

#define LATENCY_LINEAR (1u << (LATENCY_SUB_BITS + 1)) /* 0..15: one value each */

static const char *const latency_names[LATENCY__COUNT] = {
#define LATENCY_NAME_(id, name) name,
    LATENCY_KINDS(LATENCY_NAME_)
#undef LATENCY_NAME_
};

const char *latency_kind_name(latency_kind k)
{
    return (unsigned)k < LATENCY__COUNT ? latency_names[k] : "other";
}

void latency_rearm(latency_set *s)
{
    s->countdown = sample_gap_next(&s->rng, s->sample_every);
}

latency_set *latency_create(uint32_t sample_every, uint64_t seed)
{
    latency_set *s = calloc(1, sizeof(latency_set));
    if (s == NULL)
        return NULL;
    s->sample_every = sample_every > 0 ? sample_every : 1;
    s->rng = seed != 0 ? seed : 0x2545f4914f6cdd1dull;
    latency_rearm(s);
    return s;
}

void latency_destroy(latency_set *s)
{
    free(s);
}

unsigned latency_bucket_of(uint64_t ns)
{
    if (ns < LATENCY_LINEAR)
        return (unsigned)ns;
    unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
    if (msb >= LATENCY_MAX_BITS)
        return LATENCY_BUCKETS - 1;
    unsigned shift = msb - LATENCY_SUB_BITS;
    return (shift << LATENCY_SUB_BITS) + (unsigned)(ns >> shift);
}

uint64_t latency_bucket_low(unsigned bucket)
{
    if (bucket < LATENCY_LINEAR)
        return bucket;
    unsigned shift = (bucket >> LATENCY_SUB_BITS) - 1;
    uint64_t mantissa = (bucket & ((1u << LATENCY_SUB_BITS) - 1)) + (1u << LATENCY_SUB_BITS);
    return mantissa << shift;
}

uint64_t latency_bucket_high(unsigned bucket)
{
    if (bucket < LATENCY_LINEAR)
        return bucket;
    if (bucket >= LATENCY_BUCKETS - 1)
        return UINT64_MAX;
    unsigned shift = (bucket >> LATENCY_SUB_BITS) - 1;
    return latency_bucket_low(bucket) + (UINT64_C(1) << shift) - 1;
}

/* Owner only: the single writer's increment (no locked instruction). */
static void latency_add(_Atomic uint64_t *counter, uint64_t n)
{
    uint64_t v = atomic_load_explicit(counter, memory_order_relaxed);
    atomic_store_explicit(counter, v + n, memory_order_relaxed);
}

/* Owner only: zeroes everything, then says so (release: a reader that
 * sees the new reset_done sees the zeros). */
void latency_apply_reset(latency_set *s)
{
    uint64_t asked = atomic_load_explicit(&s->reset_asked, memory_order_acquire);
    for (unsigned k = 0; k < LATENCY__COUNT; k++) {
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
            atomic_store_explicit(&s->kind[k].bucket[b], 0, memory_order_relaxed);
        atomic_store_explicit(&s->kind[k].max_ns, 0, memory_order_relaxed);
        atomic_store_explicit(&s->count[k], 0, memory_order_relaxed);
    }
    atomic_store_explicit(&s->reset_done, asked, memory_order_release);
}

void latency_time(latency_set *s, latency_kind k, uint64_t ns)
{
    latency_hist *h = &s->kind[(unsigned)k < LATENCY__COUNT ? k : LATENCY_OTHER];
    latency_add(&h->bucket[latency_bucket_of(ns)], 1);
    if (ns > atomic_load_explicit(&h->max_ns, memory_order_relaxed))
        atomic_store_explicit(&h->max_ns, ns, memory_order_relaxed);
}

void latency_reset(latency_set *s)
{
    atomic_fetch_add_explicit(&s->reset_asked, 1, memory_order_release);
}

/* True if no reset is pending on s (acquire: pairs with apply_reset). */
static bool latency_settled(const latency_set *s, uint64_t *done)
{
    *done = atomic_load_explicit(&s->reset_done, memory_order_acquire);
    return *done == atomic_load_explicit(&s->reset_asked, memory_order_acquire);
}

void latency_fold(latency_sum *sum, const latency_set *s)
{
    uint64_t done;
    if (!latency_settled(s, &done))
        return;
    latency_sum *part = malloc(sizeof *part);
    if (part == NULL)
        return;
    memset(part, 0, sizeof *part);
    for (unsigned k = 0; k < LATENCY__COUNT; k++) {
        for (unsigned b = 0; b < LATENCY_BUCKETS; b++) {
            uint64_t n = atomic_load_explicit(&s->kind[k].bucket[b], memory_order_relaxed);
            part->bucket[k][b] = n;
            part->timed[k] += n;
        }
        part->count[k] = atomic_load_explicit(&s->count[k], memory_order_relaxed);
        part->max_ns[k] = atomic_load_explicit(&s->kind[k].max_ns, memory_order_relaxed);
    }
    uint64_t again;
    if (latency_settled(s, &again) && again == done) {
        for (unsigned k = 0; k < LATENCY__COUNT; k++) {
            for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
                sum->bucket[k][b] += part->bucket[k][b];
            sum->count[k] += part->count[k];
            sum->timed[k] += part->timed[k];
            if (part->max_ns[k] > sum->max_ns[k])
                sum->max_ns[k] = part->max_ns[k];
        }
    }
    free(part);
}

uint64_t latency_quantile(const latency_sum *sum, latency_kind k, double q)
{
    uint64_t total = sum->timed[k];
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)total);
    if ((double)rank < q * (double)total)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    unsigned b = 0;
    for (; b < LATENCY_BUCKETS - 1; b++) {
        seen += sum->bucket[k][b];
        if (seen >= rank)
            break;
    }
    uint64_t low = latency_bucket_low(b);
    uint64_t high = b < LATENCY_BUCKETS - 1 ? latency_bucket_high(b) : sum->max_ns[k];
    uint64_t mid = low + (high - low) / 2;
    return mid < sum->max_ns[k] ? mid : sum->max_ns[k];
}
