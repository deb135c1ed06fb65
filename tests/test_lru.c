/*
 * tests/test_lru.c -- segmented LRU: segment moves by the maintainer pass,
 * active items lifted out of COLD, eviction order, reclaim of expired items
 * before eviction, and the maintainer thread itself (slab/lru.h).
 */
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
        lru_maintainer_stop(c); /* passes are driven by hand below */
    t = cache_thread_create(c);
}

static void teardown(void)
{
    cache_thread_destroy(t);
    cache_destroy(c);
}

static cache_class_stats class_stats;

static void grab(void *arg, const cache_class_stats *s)
{
    if (s->id == *(unsigned *)arg)
        class_stats = *s;
}

static cache_class_stats stats_of(unsigned id)
{
    memset(&class_stats, 0, sizeof(class_stats));
    cache_stats_classes(c, grab, &id);
    return class_stats;
}

static unsigned class_of_key(const char *key)
{
    return test_class_of_key(c, t, key, true);
}

static void set_n(const char *fmt, int from, int to, const char *val, int64_t exptime)
{
    test_set_range(t, fmt, from, to, val, exptime);
}

static uint32_t engine_second(void)
{
    return engine_now(c, NULL);
}

static void test_segment_moves(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_maintainer = true;
    setup(o, true);
    set_n("k%d", 0, 10, "value", 0);
    unsigned id = class_of_key("k0");
    /* k0 was fetched by class_of_key: FETCHED, not yet ACTIVE */
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.number_hot, 10);
    CHECK_EQ_U64(s.number_cold, 0);
    unsigned moved = lru_juggle(c, id, engine_second(), 500);
    s = stats_of(id);
    CHECK_EQ_U64(s.number_hot, 2); /* 20% of the class's bytes */
    CHECK_EQ_U64(s.number_cold, 8);
    CHECK_EQ_U64(s.moves_to_cold, 8);
    CHECK_EQ_U64(moved, 8);
    /* the COLD tail (k0, the oldest) becomes active: lifted to WARM */
    CHECK(test_is(t, "k0", "value"));
    CHECK(test_is(t, "k0", "value"));
    lru_juggle(c, id, engine_second(), 500);
    s = stats_of(id);
    CHECK_EQ_U64(s.number_warm, 1);
    CHECK_EQ_U64(s.number_cold, 7);
    CHECK_EQ_U64(s.moves_to_warm, 1);
    CHECK_EQ_U64(s.hits_to_cold, 2);
    /* an item that only ages in HOT goes once its age passes the COLD tail's x 0.2 */
    test_advance(100);
    set_n("n%d", 0, 1, "value", 0);
    lru_juggle(c, id, engine_second(), 500);
    s = stats_of(id);
    CHECK_EQ_U64(s.number_hot, 1); /* only the fresh one stays HOT */
    CHECK(s.age >= 100);
    /* TEMP: short TTLs never enter HOT */
    teardown();
    o.temporary_ttl = 61;
    setup(o, true);
    set_n("t%d", 0, 5, "value", 30);
    set_n("l%d", 0, 5, "value", 3600);
    id = class_of_key("t0");
    s = stats_of(id);
    CHECK_EQ_U64(s.number_temp, 5);
    CHECK_EQ_U64(s.number_hot, 5);
    test_advance(31);
    /* 5 TEMP items reclaimed; 4 HOT items over the 20% share go to COLD, and
     * the last one too, its age (31 s) being above 0.2 x the COLD tail's */
    CHECK_EQ_U64(lru_juggle(c, id, engine_second(), 500), 5 + 5);
    s = stats_of(id);
    CHECK_EQ_U64(s.number_temp, 0);
    CHECK_EQ_U64(s.number_cold, 5);
    CHECK_EQ_U64(s.reclaimed, 5);
    teardown();
}

static void test_eviction_order(void)
{
    setup(test_options(1 << 20), false); /* one page; COLD acts as the only LRU */
    char val[2001];
    memset(val, 'x', 2000);
    val[2000] = '\0';
    set_n("e%d", 0, 1, val, 0);
    unsigned id = class_of_key("e0");
    uint64_t per_page = stats_of(id).chunks_per_page;
    set_n("e%d", 1, (int)per_page, val, 0);
    CHECK_EQ_U64(stats_of(id).free_chunks, 0);
    CHECK(test_is(t, "e0", val)); /* second fetch: e0 is ACTIVE */
    char key[32];
    snprintf(key, sizeof(key), "e%d", (int)per_page);
    CHECK_EQ_U64(test_set(t, key, val), CACHE_OK);
    CHECK(test_is(t, "e0", val));  /* active tail: moved to WARM, kept */
    CHECK(test_missing(t, "e1")); /* the next one was evicted */
    CHECK(test_is(t, "e2", val));
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.evicted, 1);
    CHECK_EQ_U64(s.evicted_unfetched, 1);
    CHECK_EQ_U64(s.moves_to_warm, 1);
    /* a reader holding the tail item keeps it from eviction */
    cache_item *held = cache_get(t, "e2", 2);
    snprintf(key, sizeof(key), "e%d", (int)per_page + 1);
    CHECK_EQ_U64(test_set(t, key, val), CACHE_OK);
    CHECK(memcmp(cache_item_span(held, 0).data, val, 2000) == 0);
    cache_release(t, held);
    CHECK(test_is(t, "e2", val));
    CHECK(test_missing(t, "e3"));
    CHECK(stats_of(id).lrutail_reflocked >= 1);
    teardown();
}

/*
 * The allocation path honours ACTIVE by itself (no maintainer pass has run):
 * an active HOT tail item moves to WARM and the next inactive one goes.
 */
static void test_evict_skips_active_hot(void)
{
    cache_options o = test_options(1 << 20);
    o.lru_maintainer = true; /* new items enter HOT ... */
    setup(o, true);          /* ... but nothing moves them out */
    char val[2001];
    memset(val, 'h', 2000);
    val[2000] = '\0';
    set_n("h%d", 0, 1, val, 0);
    unsigned id = class_of_key("h0"); /* first fetch: FETCHED */
    uint64_t per_page = stats_of(id).chunks_per_page;
    set_n("h%d", 1, (int)per_page, val, 0);
    CHECK_EQ_U64(stats_of(id).number_hot, per_page);
    CHECK(test_is(t, "h0", val)); /* second fetch: ACTIVE */
    char key[32];
    snprintf(key, sizeof(key), "h%d", (int)per_page);
    CHECK_EQ_U64(test_set(t, key, val), CACHE_OK);
    CHECK(test_is(t, "h0", val));  /* bumped to WARM, kept */
    CHECK(test_missing(t, "h1")); /* the next inactive one was evicted */
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.evicted, 1);
    CHECK_EQ_U64(s.evicted_active, 0);
    CHECK_EQ_U64(s.moves_to_warm, 1);
    CHECK_EQ_U64(s.number_warm, 1);
    set_n("n%d", 0, (int)per_page - 1, val, 0); /* evicts the HOT tails first */
    CHECK(test_is(t, "h0", val));
    teardown();
}

/* With every item active the search is bounded, yet still frees a chunk. */
static void test_evict_all_active(void)
{
    setup(test_options(1 << 20), false); /* no maintainer: items enter COLD */
    char val[2001];
    memset(val, 'a', 2000);
    val[2000] = '\0';
    set_n("a%d", 0, 1, val, 0);
    unsigned id = class_of_key("a0");
    uint64_t per_page = stats_of(id).chunks_per_page;
    set_n("a%d", 1, (int)per_page, val, 0);
    char key[32];
    bool all = true;
    for (int i = 0; i < (int)per_page; i++) {
        snprintf(key, sizeof(key), "a%d", i);
        all = all && test_is(t, key, val) && (i == 0 || test_is(t, key, val));
    }
    CHECK(all); /* every item read twice: all ACTIVE */
    CHECK_EQ_U64(test_set(t, "new", val), CACHE_OK);
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.evicted, 1);
    CHECK_EQ_U64(s.moves_to_warm, 5); /* LRU_TAIL_TRIES bumps, then WARM's tail */
    CHECK(test_missing(t, "a0"));     /* bumped first, so the WARM tail */
    CHECK(test_is(t, "a1", val));     /* a1 (now WARM tail) active again */
    CHECK_EQ_U64(test_set(t, "new2", val), CACHE_OK);
    s = stats_of(id);
    CHECK_EQ_U64(s.evicted, 2);
    CHECK_EQ_U64(s.moves_to_warm, 10);
    CHECK_EQ_U64(s.moves_within_lru, 1); /* a1 bumped within WARM */
    CHECK(test_is(t, "a1", val));
    CHECK(test_missing(t, "a2"));
    CHECK_EQ_U64(s.evicted_active, 0);
    teardown();
}

static void test_reclaim_before_evict(void)
{
    setup(test_options(1 << 20), false);
    char val[2001];
    memset(val, 'y', 2000);
    val[2000] = '\0';
    set_n("r%d", 0, 1, val, 10);
    unsigned id = class_of_key("r0");
    uint64_t per_page = stats_of(id).chunks_per_page;
    set_n("r%d", 1, (int)per_page, val, 10);
    test_advance(11);
    set_n("s%d", 0, 20, val, 0);
    cache_class_stats s = stats_of(id);
    CHECK_EQ_U64(s.evicted, 0);
    CHECK_EQ_U64(s.reclaimed, 20);
    CHECK_EQ_U64(s.expired_unfetched, 19); /* r0 was fetched once */
    teardown();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_maintainer_thread(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_maintainer = true;
    setup(o, false);
    set_n("m%d", 0, 100, "value", 0);
    unsigned id = class_of_key("m0");
    /* the background thread drains HOT to its share; wait for it (bounded) */
    for (int i = 0; i < 5000 && stats_of(id).number_hot > 20; i++)
        sleep_ms(1);
    cache_class_stats s = stats_of(id);
    CHECK(s.number_hot <= 20);
    CHECK_EQ_U64(s.number, 100);
    cache_stats st;
    cache_stats_read(c, &st);
    CHECK(st.lru_maintainer_juggles > 0);
    CHECK(st.moves_to_cold >= 80);
    teardown();
}

static void test_hash_growth(void)
{
    cache_options o = test_options(16 << 20);
    o.hashpower = 10;
    setup(o, false);
    set_n("g%d", 0, 20000, "v", 0);
    cache_stats st;
    cache_stats_read(c, &st);
    for (int i = 0; i < 10000 && (st.hash_power_level < 14 || st.hash_is_expanding); i++) {
        sleep_ms(1);
        cache_stats_read(c, &st);
    }
    CHECK(st.hash_power_level >= 14);
    CHECK(!st.hash_is_expanding);
    char key[32];
    bool all = true;
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "g%d", i);
        all = all && test_is(t, key, "v");
    }
    CHECK(all);
    teardown();
}

int main(void)
{
    test_segment_moves();
    test_eviction_order();
    test_evict_skips_active_hot();
    test_evict_all_active();
    test_reclaim_before_evict();
    test_maintainer_thread();
    test_hash_growth();
    return check_done("test_lru");
}
