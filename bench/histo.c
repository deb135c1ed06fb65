/* bench/histo.c -- log-linear histogram; see histo.h. */
#include "bench/histo.h"

#include <string.h>

void histo_reset(histo *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

/* Bucket of a value: the value itself below HISTO_SUB, else
 * shift * HISTO_SUB + (value >> shift) with shift = log2(value) - SUB_BITS. */
static unsigned histo_index(uint64_t value)
{
    if (value < HISTO_SUB)
        return (unsigned)value;
    unsigned shift = 63u - (unsigned)__builtin_clzll(value) - HISTO_SUB_BITS;
    return shift * HISTO_SUB + (unsigned)(value >> shift);
}

/* Lowest value of bucket i, and its width. */
static uint64_t histo_bucket_low(unsigned i, uint64_t *width)
{
    if (i < 2 * HISTO_SUB) {
        *width = 1;
        return i;
    }
    unsigned shift = i / HISTO_SUB - 1;
    *width = (uint64_t)1 << shift;
    return (uint64_t)(i - shift * HISTO_SUB) << shift;
}

void histo_add(histo *h, uint64_t value)
{
    h->bucket[histo_index(value)]++;
    h->count++;
    h->sum += value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void histo_merge(histo *into, const histo *from)
{
    for (unsigned i = 0; i < HISTO_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t histo_percentile(const histo *h, double p)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(p * (double)h->count);
    if (rank >= h->count - 1)
        return h->max;      /* the top rank is known exactly */
    uint64_t seen = 0;
    for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen > rank) {
            uint64_t width, mid = histo_bucket_low(i, &width);
            mid += width / 2;
            return mid < h->min ? h->min : mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}

double histo_mean(const histo *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
