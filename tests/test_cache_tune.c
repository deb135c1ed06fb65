/*
 * tests/test_cache_tune.c -- the engine's run-time settings and dumps
 * (slab/cache.h, "run-time tuning, dumps, counter reset"): lru tune limits
 * really move items, temp_ttl and flat/segmented mode steer new items, the
 * memory limit grows and shrinks the page budget, stats reset zeroes the
 * per-class counters only, cachedump/mgdump walks, class geometry, and the
 * setters racing the workers and the maintainer (run under tsan).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "slab/engine.h"
#include "slab/lru.h"
#include "tests/check.h"
#include "tests/test_cache_util.c"

static cache *c;
static cache_thread *t;

static void setup(cache_options o, bool stop_maintainer)
{
    c = cache_create(&o, NULL);
    if (c == NULL)
        exit(1);
    if (stop_maintainer)
        lru_maintainer_stop(c); /* passes are driven by hand */
    t = cache_thread_create(c);
}

static void teardown(void)
{
    cache_thread_destroy(t);
    cache_destroy(c);
}

static unsigned class_of_key(const char *key)
{
    return test_class_of_key(c, t, key, false);
}

static void set_n(const char *fmt, int from, int to, const char *val, int64_t exptime)
{
    test_set_range(t, fmt, from, to, val, exptime);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* lru tune: the HOT share really decides how many items the maintainer leaves in HOT. */
static void test_tune_limits(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_maintainer = true;
    setup(o, true);
    cache_lru_tuning tn = {80, 0, 1e9, 1e9};
    cache_lru_tune(c, &tn);
    cache_lru_tuning got;
    cache_lru_tuning_read(c, &got);
    CHECK_EQ_U64(got.hot_lru_pct, 80);
    CHECK_EQ_U64(got.warm_lru_pct, 0);
    CHECK(got.hot_max_factor == 1e9 && got.warm_max_factor == 1e9);
    set_n("k%d", 0, 10, "value", 0);
    unsigned id = class_of_key("k0");
    lru_juggle(c, id, engine_now(c, NULL), 1000);
    cache_class_stats s = test_class_stats(c, id);
    CHECK_EQ_U64(s.number_hot, 8); /* 80% of 10 equal items */
    CHECK_EQ_U64(s.number_cold, 2);
    tn.hot_lru_pct = 20;
    cache_lru_tune(c, &tn);
    lru_juggle(c, id, engine_now(c, NULL), 1000);
    s = test_class_stats(c, id);
    CHECK_EQ_U64(s.number_hot, 2);
    CHECK_EQ_U64(s.number_cold, 8);
    teardown();
}

/* lru temp_ttl: new items with a short TTL go to TEMP; 0 turns it off. */
static void test_temp_ttl(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_maintainer = true;
    setup(o, true);
    CHECK_EQ_U64(cache_temporary_ttl(c), 0);
    set_n("a%d", 0, 1, "v", 10);
    cache_set_temporary_ttl(c, 100);
    CHECK_EQ_U64(cache_temporary_ttl(c), 100);
    set_n("b%d", 0, 3, "v", 10);
    set_n("c%d", 0, 1, "v", 1000);
    unsigned id = class_of_key("a0");
    cache_class_stats s = test_class_stats(c, id);
    CHECK_EQ_U64(s.number_temp, 3);
    CHECK_EQ_U64(s.number_hot, 2);
    cache_set_temporary_ttl(c, 0);
    set_n("d%d", 0, 1, "v", 10);
    s = test_class_stats(c, id);
    CHECK_EQ_U64(s.number_temp, 3);
    CHECK_EQ_U64(s.number_hot, 3);
    teardown();
}

/* Waits (bounded) until class id has nothing in HOT and WARM. */
static bool wait_drained(unsigned id)
{
    for (int i = 0; i < 2000; i++) {
        cache_class_stats s = test_class_stats(c, id);
        if (s.number_hot == 0 && s.number_warm == 0)
            return true;
        sleep_ms(5);
    }
    return false;
}

/* lru mode: flat sends new items to COLD and the maintainer drains HOT/WARM. */
static void test_segmented(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false); /* no maintainer: the mode cannot change */
    CHECK(!cache_lru_maintainer_running(c));
    CHECK(!cache_lru_set_segmented(c, true));
    CHECK(!cache_lru_segmented(c));
    teardown();

    o.lru_maintainer = true;
    setup(o, false);
    CHECK(cache_lru_maintainer_running(c));
    CHECK(cache_lru_segmented(c));
    set_n("h%d", 0, 20, "value", 0);
    unsigned id = class_of_key("h0");
    CHECK(cache_lru_set_segmented(c, false));
    CHECK(!cache_lru_segmented(c));
    cache_class_stats before = test_class_stats(c, id);
    set_n("f%d", 0, 5, "value", 0);
    cache_class_stats after = test_class_stats(c, id);
    /* nothing is active, so COLD only grows: by the five new items at least */
    CHECK(after.number_cold >= before.number_cold + 5);
    CHECK(wait_drained(id));
    CHECK_EQ_U64(test_class_stats(c, id).number_cold, 25);
    CHECK(cache_lru_set_segmented(c, true));
    lru_maintainer_stop(c); /* keep the new item where it was linked */
    set_n("s%d", 0, 1, "value", 0);
    CHECK_EQ_U64(test_class_stats(c, id).number_hot, 1);
    teardown();
}

static uint64_t class_pages(unsigned id)
{
    return test_class_stats(c, id).total_pages;
}

/* cache_memlimit: shrinking stops page growth, growing allows it again. */
static void test_memory_limit(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false);
    CHECK_EQ_U64(cache_memory_limit(c), 8 << 20);
    CHECK(cache_memory_limit_max(c) >= (size_t)(8 << 20));
    CHECK(!cache_set_memory_limit(c, 0));
    CHECK(!cache_set_memory_limit(c, 1000)); /* less than a page */
    CHECK(!cache_set_memory_limit(c, cache_memory_limit_max(c) + (1 << 20)));
    CHECK_EQ_U64(cache_memory_limit(c), 8 << 20);
    CHECK(cache_set_memory_limit(c, 2 << 20));
    cache_stats st;
    cache_stats_read(c, &st);
    CHECK_EQ_U64(st.limit_maxbytes, 2 << 20);
    char val[1001];
    memset(val, 'x', 1000);
    val[1000] = '\0';
    set_n("m%d", 0, 5000, val, 0);
    unsigned id = class_of_key("m4999");
    CHECK(id != 0);
    CHECK(class_pages(id) <= 2);
    CHECK(test_class_stats(c, id).evicted > 0);
    CHECK(cache_set_memory_limit(c, 8 << 20));
    set_n("n%d", 0, 5000, val, 0);
    uint64_t grown = class_pages(id);
    CHECK(grown > 2);
    CHECK(cache_set_memory_limit(c, 2 << 20)); /* shrinking frees nothing */
    set_n("p%d", 0, 2000, val, 0);
    CHECK_EQ_U64(class_pages(id), grown);
    teardown();
}

/* stats reset: per-class counters to zero (threads gone included), gauges kept. */
static void test_stats_reset(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false);
    set_n("r%d", 0, 10, "value", 0);
    unsigned id = class_of_key("r0");
    cache_thread *t2 = cache_thread_create(c);
    test_set(t2, "r0", "value"); /* counted by a thread that then goes away */
    cache_thread_destroy(t2);
    CHECK(test_is(t, "r1", "value"));
    cache_delete(t, "r2", 2, 0);
    cache_class_stats s = test_class_stats(c, id);
    CHECK_EQ_U64(s.cmd_set, 11);
    CHECK_EQ_U64(s.get_hits, 1);
    CHECK_EQ_U64(s.delete_hits, 1);
    uint64_t mem = s.mem_requested;
    c->lrus[id].stat[LRU_STAT_EVICTED] = 7; /* as if evictions had happened */
    cache_stats_reset(c);
    s = test_class_stats(c, id);
    CHECK_EQ_U64(s.cmd_set, 0);
    CHECK_EQ_U64(s.get_hits, 0);
    CHECK_EQ_U64(s.delete_hits, 0);
    CHECK_EQ_U64(s.hits_to_hot + s.hits_to_warm + s.hits_to_cold + s.hits_to_temp, 0);
    CHECK_EQ_U64(s.evicted, 0);
    CHECK_EQ_U64(s.number, 9);
    CHECK_EQ_U64(s.mem_requested, mem);
    cache_stats total;
    cache_stats_read(c, &total);
    CHECK_EQ_U64(total.curr_items, 9);
    CHECK_EQ_U64(total.total_items, 11); /* not per class: left alone */
    CHECK(test_is(t, "r3", "value"));
    test_set(t, "r4", "value");
    s = test_class_stats(c, id);
    CHECK_EQ_U64(s.get_hits, 1);
    CHECK_EQ_U64(s.cmd_set, 1);
    teardown();
}

#define DUMP_MAX 16

typedef struct dump_seen {
    char keys[DUMP_MAX][32];
    cache_dump_item items[DUMP_MAX];
    unsigned n, stop_after;
} dump_seen;

static bool dump_collect(void *arg, const cache_dump_item *d)
{
    dump_seen *s = arg;
    if (s->n < DUMP_MAX && d->nkey < 32) {
        memcpy(s->keys[s->n], d->key, d->nkey);
        s->keys[s->n][d->nkey] = '\0';
        s->items[s->n] = *d;
    }
    s->n++;
    return s->stop_after == 0 || s->n < s->stop_after;
}

/* cachedump: LRU order, newest first, dead items too; limit by stopping. */
static void test_dump_class(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false);
    int64_t now = test_clock(NULL);
    test_store(t, "da", "12345", 0, 0, CACHE_SET, 0, NULL);
    test_store(t, "db", "123", 0, 100, CACHE_SET, 0, NULL);
    test_store(t, "dc", "1", 0, now + 5000, CACHE_SET, 0, NULL);
    unsigned id = class_of_key("da");
    CHECK(id == class_of_key("dc"));
    dump_seen s = {0};
    cache_dump_class(c, id, dump_collect, &s);
    CHECK_EQ_U64(s.n, 3);
    CHECK(strcmp(s.keys[0], "dc") == 0 && strcmp(s.keys[1], "db") == 0 &&
          strcmp(s.keys[2], "da") == 0);
    CHECK_EQ_U64(s.items[0].nbytes, 1);
    CHECK_EQ_U64(s.items[2].nbytes, 5);
    CHECK(s.items[0].exptime == now + 5000);
    CHECK(s.items[1].exptime == now + 100);
    CHECK(s.items[2].exptime == 0);
    dump_seen lim = {.stop_after = 2};
    cache_dump_class(c, id, dump_collect, &lim);
    CHECK_EQ_U64(lim.n, 2);
    dump_seen none = {0};
    cache_dump_class(c, 0, dump_collect, &none);
    cache_dump_class(c, cache_class_count(c) + 1, dump_collect, &none);
    CHECK_EQ_U64(none.n, 0);
    test_advance(200); /* db expires: still linked, still dumped */
    dump_seen late = {0};
    cache_dump_class(c, id, dump_collect, &late);
    CHECK_EQ_U64(late.n, 3);
    teardown();

    /* with the maintainer, only COLD is dumped (as memcached) */
    o.lru_maintainer = true;
    setup(o, true);
    set_n("x%d", 0, 10, "v", 0);
    id = class_of_key("x0");
    dump_seen hot = {0};
    cache_dump_class(c, id, dump_collect, &hot);
    CHECK_EQ_U64(hot.n, 0); /* all in HOT */
    lru_juggle(c, id, engine_now(c, NULL), 1000);
    dump_seen cold = {0};
    cache_dump_class(c, id, dump_collect, &cold);
    CHECK_EQ_U64(cold.n, test_class_stats(c, id).number_cold);
    CHECK(cold.n > 0);
    teardown();
}

/* mgdump's walk: live items only, in every class, with the key-binary bit. */
static void test_walk_keys(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false);
    test_store(t, "wa", "v", 0, 0, CACHE_SET, 0, NULL);
    test_store(t, "wb", "v", 0, 50, CACHE_SET, 0, NULL);
    char big[3001];
    memset(big, 'y', 3000);
    big[3000] = '\0';
    test_store(t, "wc", big, 0, 0, CACHE_SET, 0, NULL);
    cache_item *it;
    CHECK(cache_alloc(t, "wd", 2, 0, 0, 1, &it) == CACHE_OK);
    cache_item_write(it, 0, "z", 1);
    cache_item_set_key_binary(it, true);
    CHECK(cache_store(t, it, CACHE_SET, 0, NULL) == CACHE_OK);
    cache_release(t, it);
    dump_seen s = {0};
    cache_walk_keys(c, 0, dump_collect, &s);
    CHECK_EQ_U64(s.n, 4);
    unsigned binary = 0;
    for (unsigned i = 0; i < s.n && i < DUMP_MAX; i++)
        binary += s.items[i].key_binary && strcmp(s.keys[i], "wd") == 0;
    CHECK_EQ_U64(binary, 1);
    dump_seen one = {0};
    cache_walk_keys(c, class_of_key("wc"), dump_collect, &one);
    CHECK_EQ_U64(one.n, 1);
    CHECK(strcmp(one.keys[0], "wc") == 0);
    test_advance(100);
    dump_seen live = {0};
    cache_walk_keys(c, 0, dump_collect, &live);
    CHECK_EQ_U64(live.n, 3);
    dump_seen stop = {.stop_after = 1};
    cache_walk_keys(c, 0, dump_collect, &stop);
    CHECK_EQ_U64(stop.n, 1);
    teardown();
}

static void grab_geometry(void *arg, const cache_class_stats *s)
{
    cache_class_stats *want = arg;
    if (want->id == 0)
        *want = *s;
}

static void test_geometry(void)
{
    cache_options o = test_options(8 << 20);
    setup(o, false);
    test_set(t, "g", "v");
    cache_class_stats s;
    memset(&s, 0, sizeof(s));
    cache_stats_classes(c, grab_geometry, &s);
    uint32_t size = 0, per = 0;
    CHECK(cache_class_geometry(c, s.id, &size, &per));
    CHECK_EQ_U64(size, s.chunk_size);
    CHECK_EQ_U64(per, s.chunks_per_page);
    CHECK(cache_class_geometry(c, 1, &size, &per));
    uint32_t prev = size;
    CHECK(cache_class_geometry(c, cache_class_count(c), &size, &per));
    CHECK(size > prev && per >= 1);
    CHECK(!cache_class_geometry(c, 0, &size, &per));
    CHECK(!cache_class_geometry(c, cache_class_count(c) + 1, &size, &per));
    teardown();
}

/* ---- the setters racing the workers and the maintainer (tsan) ---------------- */

static _Atomic bool race_stop;

static void *race_worker(void *arg)
{
    (void)arg;
    cache_thread *w = cache_thread_create(c);
    char key[32];
    for (unsigned i = 0; !atomic_load(&race_stop); i++) {
        snprintf(key, sizeof(key), "k%u", i % 3000);
        test_store(w, key, "some value", 0, (i % 5) ? 0 : 30, CACHE_SET, 0, NULL);
        free(test_get(w, key));
    }
    cache_thread_destroy(w);
    return NULL;
}

static bool race_dump(void *arg, const cache_dump_item *d)
{
    (*(size_t *)arg) += d->nkey;
    return true;
}

static void test_race(void)
{
    cache_options o = test_options(4 << 20);
    o.lru_maintainer = true;
    setup(o, false);
    atomic_store(&race_stop, false);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, race_worker, NULL);
    size_t seen = 0;
    for (unsigned round = 0; round < 300; round++) {
        cache_lru_tuning tn = {round % 2 ? 10 : 40, 30, round % 2 ? 0.1 : 2.0, 1.5};
        cache_lru_tune(c, &tn);
        cache_lru_set_segmented(c, round % 3 != 0);
        cache_set_temporary_ttl(c, round % 4 ? 0 : 60);
        cache_set_memory_limit(c, (size_t)(round % 2 ? 2 : 4) << 20);
        if (round % 50 == 0) {
            cache_stats_reset(c);
            cache_dump_class(c, 1, race_dump, &seen);
            cache_walk_keys(c, 0, race_dump, &seen);
        }
        sleep_ms(1);
    }
    atomic_store(&race_stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cache_stats st;
    cache_stats_read(c, &st);
    CHECK(st.curr_items > 0);
    CHECK_EQ_U64(st.limit_maxbytes, 2 << 20); /* the last round's value */
    teardown();
}

int main(void)
{
    test_tune_limits();
    test_temp_ttl();
    test_segmented();
    test_memory_limit();
    test_stats_reset();
    test_dump_class();
    test_walk_keys();
    test_geometry();
    test_race();
    return check_done("test_cache_tune");
}
