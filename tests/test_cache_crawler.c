/*
 * tests/test_cache_crawler.c -- the crawler's reclaim of expired and
 * flushed items, its per-crawl limit, its thread, and cache_walk.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "slab/crawler.h"
#include "slab/engine.h"
#include "tests/check.h"
#include "tests/test_cache_util.c"

static cache *c;
static cache_thread *t;

static void setup(cache_options o)
{
    c = cache_create(&o, NULL);
    if (c == NULL)
        exit(1);
    t = cache_thread_create(c);
}

static void teardown(void)
{
    cache_thread_destroy(t);
    cache_destroy(c);
}

static void set_n(const char *fmt, int from, int to, const char *val, int64_t exptime)
{
    char key[64];
    for (int i = from; i < to; i++) {
        snprintf(key, sizeof(key), fmt, i);
        test_store(t, key, val, 0, exptime, CACHE_SET, 0, NULL);
    }
}

static unsigned class_of_key(const char *key)
{
    cache_item *it = cache_get(t, key, strlen(key));
    unsigned id = it ? engine_class_of(c, (item *)it) : 0;
    if (it)
        cache_release(t, it);
    return id;
}

static uint64_t curr_items(void)
{
    cache_stats s;
    cache_stats_read(c, &s);
    return s.curr_items;
}

static cache_class_stats stats_of(unsigned id)
{
    return test_class_stats(c, id);
}

static void test_crawl_expired(void)
{
    setup(test_options(8 << 20));
    set_n("x%d", 0, 300, "value", 10);
    set_n("k%d", 0, 200, "value", 0);
    unsigned id = class_of_key("k0");
    CHECK_EQ_U64(curr_items(), 500);
    CHECK_EQ_U64(crawler_crawl_class(c, id, engine_now(c, NULL), 0), 0);
    CHECK_EQ_U64(stats_of(id).crawler_items_checked, 500);
    test_advance(11);
    /* a limited crawl looks at 100 items (the first 100 carved: x0..x99) */
    CHECK_EQ_U64(crawler_crawl_class(c, id, engine_now(c, NULL), 100), 100);
    CHECK_EQ_U64(curr_items(), 400);
    CHECK_EQ_U64(crawler_crawl_class(c, id, engine_now(c, NULL), 0), 200);
    CHECK_EQ_U64(curr_items(), 200);
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.crawler_reclaimed, 300);
    CHECK_EQ_U64(s.used_chunks, 200); /* the memory is back */
    CHECK(test_is(t, "k199", "value"));
    cache_stats st;
    cache_stats_read(c, &st);
    CHECK_EQ_U64(st.crawler_reclaimed, 300);
    CHECK_EQ_U64(st.get_expired, 0); /* nobody had to stumble on them */
    /* flushed items are reclaimed the same way */
    cache_flush(t, 0);
    CHECK_EQ_U64(crawler_crawl_class(c, id, engine_now(c, NULL), 0), 200);
    CHECK_EQ_U64(curr_items(), 0);
    /* an item held by a reader is unlinked, and freed on release */
    set_n("h%d", 0, 1, "value", 5);
    cache_item *held = cache_get(t, "h0", 2);
    test_advance(6);
    CHECK_EQ_U64(crawler_crawl_class(c, id, engine_now(c, NULL), 0), 1);
    CHECK_EQ_U64(stats_of(id).used_chunks, 1);
    CHECK(memcmp(cache_item_span(held, 0).data, "value", 5) == 0);
    cache_release(t, held);
    CHECK_EQ_U64(stats_of(id).used_chunks, 0);
    teardown();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_crawler_thread(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_crawler = true;
    o.lru_crawler_sleep = 0;
    setup(o);
    set_n("x%d", 0, 1000, "value", 10);
    set_n("k%d", 0, 10, "value", 0);
    test_advance(11);
    /* the thread's first pass starts within a second; wait for it (bounded) */
    for (int i = 0; i < 10000 && curr_items() > 10; i++)
        sleep_ms(1);
    CHECK_EQ_U64(curr_items(), 10);
    cache_stats st;
    cache_stats_read(c, &st);
    CHECK_EQ_U64(st.crawler_reclaimed, 1000);
    /* lru_crawler crawl: a pass on request */
    set_n("y%d", 0, 100, "value", 10);
    test_advance(11);
    CHECK(!cache_crawl(c, 1000));
    CHECK(cache_crawl(c, 0));
    for (int i = 0; i < 10000 && curr_items() > 10; i++)
        sleep_ms(1);
    CHECK_EQ_U64(curr_items(), 10);
    teardown();
    setup(test_options(8 << 20)); /* crawler off */
    CHECK(!cache_crawl(c, 0));
    teardown();
}

/* lru_crawler enable/disable: start and stop at run time, idempotent. */
static void test_crawler_enable_disable(void)
{
    setup(test_options(8 << 20)); /* crawler off */
    CHECK(!cache_lru_crawler_enabled(c));
    CHECK(!cache_crawl(c, 0));
    cache_crawler_disable(c); /* already off: nothing happens */
    CHECK(!cache_lru_crawler_enabled(c));
    CHECK(cache_crawler_enable(c));
    CHECK(cache_lru_crawler_enabled(c));
    CHECK(!cache_crawler_enable(c)); /* already on */
    CHECK(cache_lru_crawler_enabled(c));
    CHECK(cache_crawl(c, 0));
    cache_crawler_disable(c);
    CHECK(!cache_lru_crawler_enabled(c));
    CHECK(!cache_crawl(c, 0));
    CHECK(cache_crawler_enable(c));
    teardown(); /* destroy stops a running crawler */
}

/* lru_crawler sleep/tocrawl: start as the options, change at run time. */
static void test_crawler_settings(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_crawler_sleep = 250;
    o.lru_crawler_tocrawl = 7;
    setup(o);
    CHECK_EQ_U64(cache_crawler_sleep(c), 250);
    CHECK_EQ_U64(cache_crawler_tocrawl(c), 7);
    cache_crawler_set_sleep(c, 0);
    cache_crawler_set_tocrawl(c, 5);
    CHECK_EQ_U64(cache_crawler_sleep(c), 0);
    CHECK_EQ_U64(cache_crawler_tocrawl(c), 5);
    set_n("x%d", 0, 1000, "value", 10);
    test_advance(11);
    cache_stats st;
    cache_stats_read(c, &st);
    uint64_t reclaimed0 = st.crawler_reclaimed, runs = atomic_load(&c->crawler_runs);
    CHECK(cache_crawler_enable(c));
    CHECK(cache_crawl(c, class_of_key("x1")));
    for (int i = 0; i < 10000 && atomic_load(&c->crawler_runs) == runs; i++)
        sleep_ms(1);
    cache_crawler_disable(c);
    uint64_t passes = atomic_load(&c->crawler_runs) - runs;
    cache_stats_read(c, &st);
    uint64_t freed = st.crawler_reclaimed - reclaimed0; /* (the LRU maintainer may free too) */
    CHECK(passes >= 1);
    /* each pass looks at 5 items at most: the new tocrawl, not the option's 7 */
    CHECK(freed <= 5 * passes);
    cache_crawler_set_tocrawl(c, 0);
    CHECK(cache_crawler_enable(c));
    CHECK(cache_crawl(c, 0));
    for (int i = 0; i < 10000 && curr_items() > 0; i++)
        sleep_ms(1);
    CHECK_EQ_U64(curr_items(), 0);
    teardown();
}

/* Toggling and tuning from two threads while the crawler works (tsan). */
static void *crawler_toggler(void *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < 50; i++) {
        if (i % 2)
            cache_crawler_disable(c);
        else
            (void)cache_crawler_enable(c);
        cache_crawler_set_sleep(c, i % 3);
        cache_crawler_set_tocrawl(c, i % 4);
        (void)cache_crawl(c, 0);
    }
    return NULL;
}

static void test_crawler_concurrent_control(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_crawler = true;
    o.lru_crawler_sleep = 0;
    setup(o);
    set_n("x%d", 0, 2500, "value", 10); /* more than a crawler batch: it sleeps mid-pass */
    test_advance(11);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, crawler_toggler, NULL) == 0);
    crawler_toggler(NULL);
    pthread_join(th, NULL);
    CHECK(cache_crawler_sleep(c) == 49 % 3 && cache_crawler_tocrawl(c) == 49 % 4);
    cache_crawler_disable(c);
    CHECK(!cache_lru_crawler_enabled(c));
    CHECK(cache_crawler_enable(c));
    CHECK(cache_lru_crawler_enabled(c));
    teardown();
}

typedef struct walk_seen {
    unsigned items, with_exp, stop_after;
    uint64_t nbytes;
    bool keys_ok, class_ok;
} walk_seen;

static bool walk_fn(void *arg, const cache_item_meta *m)
{
    walk_seen *w = arg;
    w->items++;
    w->nbytes += m->nbytes;
    w->with_exp += m->exptime != 0;
    w->keys_ok = w->keys_ok && m->nkey >= 2 && (m->key[0] == 'w' || m->key[0] == 'b') &&
                 m->cas != 0 && m->last_access > 0;
    w->class_ok = w->class_ok && m->class_id > 0;
    return w->stop_after == 0 || w->items < w->stop_after;
}

static void test_walk(void)
{
    setup(test_options(8 << 20));
    set_n("w%d", 0, 50, "12345", 0);
    set_n("b%d", 0, 50, "1234567890123456789012345678901234567890123456789012345678901234567890"
                        "1234567890123456789012345678901234567890", 100);
    set_n("gone%d", 0, 10, "v", -1);
    walk_seen w = {0, 0, 0, 0, true, true};
    cache_walk(c, 0, walk_fn, &w);
    CHECK_EQ_U64(w.items, 100); /* the already expired ones are skipped */
    CHECK_EQ_U64(w.with_exp, 50);
    CHECK_EQ_U64(w.nbytes, 50 * 5 + 50 * 110);
    CHECK(w.keys_ok);
    CHECK(w.class_ok);
    walk_seen one = {0, 0, 0, 0, true, true};
    cache_walk(c, class_of_key("w0"), walk_fn, &one);
    CHECK_EQ_U64(one.items, 50);
    walk_seen stop = {0, 0, 7, 0, true, true};
    cache_walk(c, 0, walk_fn, &stop);
    CHECK_EQ_U64(stop.items, 7);
    teardown();
}

int main(void)
{
    test_crawl_expired();
    test_crawler_thread();
    test_crawler_enable_disable();
    test_crawler_settings();
    test_crawler_concurrent_control();
    test_walk();
    return check_done("test_cache_crawler");
}
