/*
 * tests/test_latency.c -- the latency histograms (daemon/latency.c):
 * bucket bounds and precision, percentiles of known inputs, per-kind
 * counts, folding two workers, reset, and a reader folding / resetting
 * while the owner records (run under TSAN too).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/latency.h"
#include "tests/check.h"

/* One command of kind k, timed at ns (what the daemon does for a timed one). */
static void record(latency_set *s, latency_kind k, uint64_t ns)
{
    latency_count(s, k);
    latency_time(s, k, ns);
}

/* |got - want| <= want / 8 (+1 for the exact small buckets). */
static bool within_bucket(uint64_t got, uint64_t want)
{
    uint64_t slack = want / 8 + 1;
    return got + slack >= want && got <= want + slack;
}

static void test_buckets(void)
{
    unsigned bad = 0, prev = 0;
    for (uint64_t v = 0; v < 5000000; v += 1 + v / 64) {
        unsigned b = latency_bucket_of(v);
        bad += latency_bucket_low(b) > v || latency_bucket_high(b) < v;
        bad += b < prev; /* monotonic */
        uint64_t width = latency_bucket_high(b) - latency_bucket_low(b) + 1;
        bad += width > 1 && width > latency_bucket_low(b) / 8;
        prev = b;
    }
    CHECK_EQ_U64(bad, 0);
    for (unsigned v = 0; v < 16; v++)
        CHECK_EQ_U64(latency_bucket_of(v), v);
    CHECK_EQ_U64(latency_bucket_of(16), 16);
    CHECK_EQ_U64(latency_bucket_of(17), 16);
    CHECK_EQ_U64(latency_bucket_of(18), 17);
    /* every bucket's range starts right after the previous one's */
    for (unsigned b = 1; b + 1 < LATENCY_BUCKETS; b++)
        bad += latency_bucket_low(b) != latency_bucket_high(b - 1) + 1;
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(latency_bucket_of(UINT64_MAX), LATENCY_BUCKETS - 1);
    CHECK_EQ_U64(latency_bucket_of(UINT64_C(1) << LATENCY_MAX_BITS), LATENCY_BUCKETS - 1);
    CHECK(latency_bucket_of((UINT64_C(1) << LATENCY_MAX_BITS) - 1) < LATENCY_BUCKETS - 1);
}

static latency_sum *fold_one(const latency_set *s)
{
    latency_sum *sum = calloc(1, sizeof *sum);
    latency_fold(sum, s);
    return sum;
}

/* 1..1000 microseconds, once each, in a scrambled order. */
static void test_percentiles(void)
{
    latency_set *s = latency_create(1, 1);
    for (uint64_t i = 0; i < 1000; i++)
        record(s, LATENCY_GET, ((i * 617) % 1000 + 1) * 1000);
    latency_sum *sum = fold_one(s);
    CHECK_EQ_U64(sum->count[LATENCY_GET], 1000);
    CHECK_EQ_U64(sum->timed[LATENCY_GET], 1000);
    CHECK_EQ_U64(sum->max_ns[LATENCY_GET], 1000000);
    CHECK(within_bucket(latency_quantile(sum, LATENCY_GET, 0.50), 500000));
    CHECK(within_bucket(latency_quantile(sum, LATENCY_GET, 0.90), 900000));
    CHECK(within_bucket(latency_quantile(sum, LATENCY_GET, 0.99), 990000));
    CHECK(within_bucket(latency_quantile(sum, LATENCY_GET, 0.999), 999000));
    CHECK(latency_quantile(sum, LATENCY_GET, 1.0) <= 1000000);
    CHECK(within_bucket(latency_quantile(sum, LATENCY_GET, 0.001), 1000));
    CHECK_EQ_U64(latency_quantile(sum, LATENCY_SET, 0.5), 0); /* empty kind */
    free(sum);
    latency_destroy(s);
}

/* A skewed mix: 990 fast, 10 slow -- p50/p90 fast, p99.9 slow, max exact. */
static void test_tail(void)
{
    latency_set *s = latency_create(1, 1);
    for (int i = 0; i < 990; i++)
        record(s, LATENCY_MG, 2000);
    for (int i = 0; i < 10; i++)
        record(s, LATENCY_MG, 3000000 + (uint64_t)i);
    latency_sum *sum = fold_one(s);
    CHECK(within_bucket(latency_quantile(sum, LATENCY_MG, 0.5), 2000));
    CHECK(within_bucket(latency_quantile(sum, LATENCY_MG, 0.99), 2000));
    CHECK(within_bucket(latency_quantile(sum, LATENCY_MG, 0.999), 3000000));
    CHECK_EQ_U64(sum->max_ns[LATENCY_MG], 3000009);
    CHECK(latency_quantile(sum, LATENCY_MG, 0.999) <= 3000009);
    free(sum);
    latency_destroy(s);
}

/* Sampling 1 in 16: about 1/16 of the ticks say "time it", no long runs. */
static void test_sampling(void)
{
    latency_set *s = latency_create(16, 77);
    unsigned timed = 0, gap = 0, longest = 0;
    for (unsigned i = 0; i < 160000; i++) {
        gap++;
        if (latency_tick(s)) {
            latency_rearm(s);
            timed++;
            longest = gap > longest ? gap : longest;
            gap = 0;
        }
        latency_count(s, LATENCY_GET);
    }
    CHECK(timed > 9000 && timed < 11000);
    CHECK(longest <= 31); /* gaps are 1 .. 2N-1 */
    latency_sum *sum = fold_one(s);
    CHECK_EQ_U64(sum->count[LATENCY_GET], 160000); /* counts stay exact */
    CHECK_EQ_U64(sum->timed[LATENCY_GET], 0);
    free(sum);
    latency_destroy(s);
    s = latency_create(1, 5);
    CHECK(latency_tick(s)); /* 1: every command */
    latency_rearm(s);
    CHECK(latency_tick(s));
    latency_destroy(s);
}

/* Counts per kind, two workers folded, names. */
static void test_kinds_and_fold(void)
{
    latency_set *a = latency_create(1, 1), *b = latency_create(1, 1);
    for (unsigned k = 0; k < LATENCY__COUNT; k++) {
        for (unsigned i = 0; i <= k; i++)
            record(a, (latency_kind)k, 100 * (k + 1));
        record(b, (latency_kind)k, 7);
    }
    record(b, LATENCY__COUNT, 5); /* out of range: counted as other */
    latency_sum *sum = calloc(1, sizeof *sum);
    latency_fold(sum, a);
    latency_fold(sum, b);
    for (unsigned k = 0; k < LATENCY__COUNT; k++) {
        CHECK_EQ_U64(sum->count[k], k + 2 + (k == LATENCY_OTHER));
        CHECK_EQ_U64(sum->max_ns[k], 100 * (k + 1));
    }
    CHECK(strcmp(latency_kind_name(LATENCY_GET), "get") == 0);
    CHECK(strcmp(latency_kind_name(LATENCY_INCR_DECR), "incr_decr") == 0);
    CHECK(strcmp(latency_kind_name(LATENCY_OTHER), "other") == 0);
    free(sum);
    latency_destroy(a);
    latency_destroy(b);
}

static void test_reset(void)
{
    latency_set *s = latency_create(1, 1);
    for (int i = 0; i < 50; i++)
        record(s, LATENCY_SET, 5000);
    latency_reset(s);
    latency_sum *sum = fold_one(s);
    CHECK_EQ_U64(sum->count[LATENCY_SET], 0); /* pending: reads as empty */
    free(sum);
    record(s, LATENCY_DELETE, 40);
    sum = fold_one(s);
    CHECK_EQ_U64(sum->count[LATENCY_SET], 0);
    CHECK_EQ_U64(sum->max_ns[LATENCY_SET], 0);
    CHECK_EQ_U64(sum->count[LATENCY_DELETE], 1);
    free(sum);
    latency_destroy(s);
}

/* ---- a reader racing the owner ------------------------------------------- */

typedef struct race {
    latency_set *s;
    unsigned records;
} race;

static void *race_owner(void *arg)
{
    race *r = arg;
    for (unsigned i = 0; i < r->records; i++)
        record(r->s, (latency_kind)(i % LATENCY__COUNT), 100 + i % 5000);
    return NULL;
}

static void test_concurrent_reader(void)
{
    race r = {latency_create(1, 1), 300000};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, race_owner, &r) == 0);
    unsigned bad = 0;
    latency_sum *sum = malloc(sizeof *sum);
    for (int round = 0; round < 100; round++) {
        memset(sum, 0, sizeof *sum);
        latency_fold(sum, r.s);
        uint64_t total = 0;
        for (unsigned k = 0; k < LATENCY__COUNT; k++) {
            total += sum->count[k];
            bad += sum->count[k] > 0 && sum->max_ns[k] > 5100;
        }
        bad += total > r.records;
        if (round % 25 == 24)
            latency_reset(r.s);
    }
    pthread_join(t, NULL);
    CHECK_EQ_U64(bad, 0);
    latency_reset(r.s);
    record(r.s, LATENCY_MA, 1234); /* joined: this thread owns it now */
    memset(sum, 0, sizeof *sum);
    latency_fold(sum, r.s);
    uint64_t total = 0;
    for (unsigned k = 0; k < LATENCY__COUNT; k++)
        total += sum->count[k];
    CHECK_EQ_U64(total, 1);
    CHECK_EQ_U64(sum->max_ns[LATENCY_MA], 1234);
    free(sum);
    latency_destroy(r.s);
}

int main(void)
{
    test_buckets();
    test_percentiles();
    test_tail();
    test_sampling();
    test_kinds_and_fold();
    test_reset();
    test_concurrent_reader();
    return check_done("test_latency");
}
