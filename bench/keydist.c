/* bench/keydist.c -- key distributions; see keydist.h. */
#include "bench/keydist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The cumulative zipf table: cdf[r] = sum(1/(i+1)^s, i <= r) / total. */
static bool keydist_zipf_table(keydist *d)
{
    d->cdf = malloc(d->nkeys * sizeof *d->cdf);
    if (d->cdf == NULL)
        return false;
    double total = 0.0;
    for (uint64_t r = 0; r < d->nkeys; r++) {
        total += pow((double)(r + 1), -d->skew);
        d->cdf[r] = total;
    }
    for (uint64_t r = 0; r < d->nkeys; r++)
        d->cdf[r] /= total;
    d->cdf[d->nkeys - 1] = 1.0;
    return true;
}

bool keydist_create(keydist *d, keydist_kind kind, uint64_t nkeys, double skew)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->nkeys = nkeys;
    d->skew = skew;
    if (nkeys == 0)
        return false;
    if (kind != KEYDIST_ZIPF)
        return true;
    if (!(skew > 0.0))
        return false;
    return keydist_zipf_table(d);
}

void keydist_destroy(keydist *d)
{
    free(d->cdf);
    d->cdf = NULL;
}

void keydist_cursor_init(keydist_cursor *c, uint64_t seed, uint64_t first, uint64_t step)
{
    c->rng = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (c->rng == 0)
        c->rng = 1;
    c->seq = c->first = first;
    c->step = step ? step : 1;
}

/* xorshift64*: fast, good enough for load generation. */
uint64_t keydist_random(keydist_cursor *c)
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* First rank whose cdf exceeds u (binary search). */
static uint64_t keydist_zipf_rank(const keydist *d, double u)
{
    uint64_t lo = 0, hi = d->nkeys - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (d->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint64_t keydist_next(const keydist *d, keydist_cursor *c)
{
    switch (d->kind) {
    case KEYDIST_ZIPF: {
        double u = (double)(keydist_random(c) >> 11) * (1.0 / 9007199254740992.0);
        return keydist_zipf_rank(d, u);
    }
    case KEYDIST_SEQUENTIAL: {
        uint64_t key = c->seq % d->nkeys;
        c->seq += c->step;
        if (c->seq >= d->nkeys)
            c->seq = c->first;
        return key;
    }
    case KEYDIST_UNIFORM:
    default:
        return keydist_random(c) % d->nkeys;
    }
}

bool keydist_parse_kind(const char *name, keydist_kind *kind)
{
    if (strcmp(name, "uniform") == 0)
        *kind = KEYDIST_UNIFORM;
    else if (strcmp(name, "zipf") == 0)
        *kind = KEYDIST_ZIPF;
    else if (strcmp(name, "sequential") == 0 || strcmp(name, "seq") == 0)
        *kind = KEYDIST_SEQUENTIAL;
    else
        return false;
    return true;
}

const char *keydist_kind_name(keydist_kind kind)
{
    return kind == KEYDIST_ZIPF ? "zipf" : kind == KEYDIST_SEQUENTIAL ? "sequential" : "uniform";
}
