/*
 * tests/test_hotkeys.c -- the hot key sketch (daemon/hotkeys.c): ranking of
 * skewed streams exactly and sampled, the Space-Saving bounds, the bytes
 * ranking, merging two workers' sketches, reset, long keys, and a reader
 * collecting / resetting while the owner samples (run under TSAN too).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hotkeys.h"
#include "tests/check.h"

/* Feeds one lookup the way the daemon does: tick, then maybe sample. */
static void feed(hotkeys *h, const char *key, uint64_t nbytes)
{
    if (hotkeys_tick(h))
        hotkeys_sample(h, key, strlen(key), nbytes);
}

/* A fixed-seed shuffle of n ids (so streams interleave, reproducibly). */
static void shuffle(unsigned *ids, size_t n, uint64_t seed)
{
    for (size_t i = n; i > 1; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((seed >> 33) % i);
        unsigned t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
}

/*
 * A stream where "hot:i" (i < nhot) appears base >> i times, plus `noise`
 * keys seen once each, shuffled; every value is vbytes long.
 */
static size_t feed_skewed(hotkeys *h, unsigned nhot, unsigned base, unsigned noise,
                          unsigned repeat, uint64_t vbytes, uint64_t seed)
{
    size_t n = noise;
    for (unsigned i = 0; i < nhot; i++)
        n += base >> i;
    unsigned *ids = malloc(n * sizeof *ids);
    size_t at = 0;
    for (unsigned i = 0; i < nhot; i++)
        for (unsigned k = 0; k < base >> i; k++)
            ids[at++] = i;
    for (unsigned k = 0; k < noise; k++)
        ids[at++] = nhot + k;
    shuffle(ids, n, seed);
    char key[32];
    for (unsigned r = 0; r < repeat; r++) {
        for (size_t i = 0; i < n; i++) {
            if (ids[i] < nhot)
                snprintf(key, sizeof key, "hot:%u", ids[i]);
            else
                snprintf(key, sizeof key, "noise:%u:%u", r, ids[i]);
            feed(h, key, vbytes);
        }
    }
    free(ids);
    return n * repeat;
}

static bool item_is(const hotkeys_item *it, const char *key)
{
    return it->nkey == strlen(key) && memcmp(it->key, key, it->nkey) == 0;
}

static hotkeys_list ranked(hotkeys *h, hotkeys_by by)
{
    hotkeys_list list = {NULL, 0, 0};
    CHECK(hotkeys_collect(h, by, &list));
    hotkeys_list_finish(&list, by);
    return list;
}

/* Exact counting: order, and count - error <= true <= count. */
static void test_exact_ranking(void)
{
    hotkeys *h = hotkeys_create(1, 1);
    feed_skewed(h, 6, 2048, 2000, 1, 10, 42);
    hotkeys_list l = ranked(h, HOTKEYS_BY_REQUESTS);
    CHECK(l.n <= HOTKEYS_SLOTS);
    CHECK(l.n >= 6);
    char key[32];
    for (unsigned i = 0; i < 6 && i < l.n; i++) {
        snprintf(key, sizeof key, "hot:%u", i);
        CHECK(item_is(&l.items[i], key));
        uint64_t truth = 2048u >> i;
        CHECK(l.items[i].requests >= truth);
        CHECK(l.items[i].requests - l.items[i].error <= truth);
        /* bytes count since the key was (last) tracked: the non-error part */
        CHECK_EQ_U64(l.items[i].bytes, (l.items[i].requests - l.items[i].error) * 10);
    }
    /* hot:0 enters first and is never evicted: its count is exact. */
    CHECK_EQ_U64(l.items[0].requests, 2048);
    CHECK_EQ_U64(l.items[0].bytes, 2048 * 10);
    hotkeys_list_free(&l);
    hotkeys_destroy(h);
}

/* Sampling 1 in 16: same order on a larger stream, estimates within 25%. */
static void test_sampled_ranking(void)
{
    hotkeys *h = hotkeys_create(16, 7);
    feed_skewed(h, 5, 8192, 4000, 4, 100, 9);
    hotkeys_list l = ranked(h, HOTKEYS_BY_REQUESTS);
    char key[32];
    CHECK(l.n >= 5);
    for (unsigned i = 0; i < 4 && i < l.n; i++) {
        snprintf(key, sizeof key, "hot:%u", i);
        CHECK(item_is(&l.items[i], key));
        double truth = 4.0 * (8192u >> i);
        double est = (double)l.items[i].requests;
        CHECK(est > truth * 0.75 && est < truth * 1.25);
        if (!(est > truth * 0.75 && est < truth * 1.25))
            fprintf(stderr, "  %s: estimate %.0f, truth %.0f\n", key, est, truth);
    }
    hotkeys_list_free(&l);
    hotkeys_destroy(h);
}

/* Bytes rank by value bytes served; misses count as requests only. */
static void test_bytes_ranking(void)
{
    hotkeys *h = hotkeys_create(1, 3);
    for (int i = 0; i < 1000; i++)
        feed(h, "small", 10);
    for (int i = 0; i < 20; i++)
        feed(h, "big", 100000);
    for (int i = 0; i < 3000; i++)
        feed(h, "missing", 0);
    hotkeys_list r = ranked(h, HOTKEYS_BY_REQUESTS);
    CHECK(r.n == 3);
    CHECK(r.n > 0 && item_is(&r.items[0], "missing"));
    CHECK(r.n > 1 && item_is(&r.items[1], "small"));
    CHECK(r.n > 2 && item_is(&r.items[2], "big"));
    CHECK(r.n > 0 && r.items[0].bytes == 0);
    hotkeys_list b = ranked(h, HOTKEYS_BY_BYTES);
    CHECK(b.n == 2); /* a miss serves no bytes */
    CHECK(b.n > 0 && item_is(&b.items[0], "big"));
    CHECK(b.n > 0 && b.items[0].bytes == 2000000 && b.items[0].requests == 20);
    CHECK(b.n > 1 && item_is(&b.items[1], "small") && b.items[1].bytes == 10000);
    hotkeys_list_free(&r);
    hotkeys_list_free(&b);
    hotkeys_destroy(h);
}

/* Two workers' sketches: a key warm on both beats keys hot on one. */
static void test_merge(void)
{
    hotkeys *w1 = hotkeys_create(1, 11), *w2 = hotkeys_create(1, 12);
    for (int i = 0; i < 600; i++)
        feed(w1, "only-on-1", 5);
    for (int i = 0; i < 500; i++)
        feed(w2, "only-on-2", 5);
    for (int i = 0; i < 400; i++) {
        feed(w1, "both", 7);
        feed(w2, "both", 7);
    }
    hotkeys_list l = {NULL, 0, 0};
    CHECK(hotkeys_collect(w1, HOTKEYS_BY_REQUESTS, &l));
    CHECK(hotkeys_collect(w2, HOTKEYS_BY_REQUESTS, &l));
    CHECK_EQ_U64(l.n, 4);
    hotkeys_list_finish(&l, HOTKEYS_BY_REQUESTS);
    CHECK_EQ_U64(l.n, 3);
    CHECK(l.n > 0 && item_is(&l.items[0], "both") && l.items[0].requests == 800 &&
          l.items[0].bytes == 5600);
    CHECK(l.n > 1 && item_is(&l.items[1], "only-on-1") && l.items[1].requests == 600);
    CHECK(l.n > 2 && item_is(&l.items[2], "only-on-2") && l.items[2].requests == 500);
    hotkeys_list_free(&l);
    CHECK(l.items == NULL && l.n == 0);
    hotkeys_destroy(w1);
    hotkeys_destroy(w2);
}

static void test_reset_and_long_keys(void)
{
    hotkeys *h = hotkeys_create(1, 5);
    for (int i = 0; i < 10; i++)
        feed(h, "k", 1);
    hotkeys_reset(h);
    hotkeys_list l = ranked(h, HOTKEYS_BY_REQUESTS);
    CHECK_EQ_U64(l.n, 0);
    hotkeys_list_free(&l);
    char longkey[400];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    feed(h, longkey, 3);
    feed(h, "k", 1);
    l = ranked(h, HOTKEYS_BY_REQUESTS);
    CHECK_EQ_U64(l.n, 2);
    bool found = false;
    for (size_t i = 0; i < l.n; i++)
        found |= l.items[i].nkey == HOTKEYS_KEY_MAX && l.items[i].key[0] == 'x';
    CHECK(found);
    hotkeys_list_free(&l);
    hotkeys_destroy(h);
}

/* ---- a reader racing the owner ------------------------------------------- */

typedef struct race {
    hotkeys *h;
    unsigned lookups;
} race;

static void *race_owner(void *arg)
{
    race *r = arg;
    char key[32];
    for (unsigned i = 0; i < r->lookups; i++) {
        snprintf(key, sizeof key, "k%u", i % 7 == 0 ? 0 : i % 301);
        feed(r->h, key, i % 50);
    }
    return NULL;
}

static void test_concurrent_reader(void)
{
    race r = {hotkeys_create(2, 99), 200000};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, race_owner, &r) == 0);
    unsigned bad = 0;
    for (int round = 0; round < 200; round++) {
        hotkeys_list l = {NULL, 0, 0};
        if (!hotkeys_collect(r.h, round % 2 ? HOTKEYS_BY_BYTES : HOTKEYS_BY_REQUESTS, &l))
            bad++;
        bad += l.n > HOTKEYS_SLOTS;
        for (size_t i = 0; i < l.n; i++)
            bad += l.items[i].error > (round % 2 ? l.items[i].bytes : l.items[i].requests);
        hotkeys_list_free(&l);
        if (round % 50 == 49)
            hotkeys_reset(r.h);
    }
    pthread_join(t, NULL);
    CHECK_EQ_U64(bad, 0);
    r.lookups = 20000; /* joined: this thread owns the sketch now */
    race_owner(&r);
    hotkeys_list l = ranked(r.h, HOTKEYS_BY_REQUESTS);
    CHECK(l.n > 0 && item_is(&l.items[0], "k0")); /* 1 in 7 lookups */
    hotkeys_list_free(&l);
    hotkeys_destroy(r.h);
}

int main(void)
{
    test_exact_ranking();
    test_sampled_ranking();
    test_bytes_ranking();
    test_merge();
    test_reset_and_long_keys();
    test_concurrent_reader();
    return check_done("test_hotkeys");
}
