/*
 * tests/test_cache_rebalance.c -- moving slab pages between classes:
 * rescue of live items (same value, same CAS), eviction of chained values
 * whose data chunks sit on the page, the page landing in the new class,
 * and the automove thread.
 */
#include <stdio.h>
#include <time.h>

#include "slab/engine.h"
#include "slab/rebalance.h"
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

static unsigned class_of_key(const char *key)
{
    cache_item *it = cache_get(t, key, strlen(key));
    unsigned id = it ? engine_class_of(c, (item *)it) : 0;
    if (it)
        cache_release(t, it);
    return id;
}

static cache_class_stats stats_of(unsigned id)
{
    return test_class_stats(c, id);
}

static cache_stats engine_stats(void)
{
    cache_stats s;
    cache_stats_read(c, &s);
    return s;
}

static uint64_t cas_of(const char *key)
{
    cache_item *it = cache_get(t, key, strlen(key));
    uint64_t cas = it ? cache_item_cas(it) : 0;
    if (it)
        cache_release(t, it);
    return cas;
}

#define N_SMALL 20000

static void test_move_with_rescue(void)
{
    cache_options o = test_options(4 << 20);
    o.slab_reassign = true;
    setup(o);
    char key[32], val[200];
    memset(val, 's', 199);
    val[199] = '\0';
    for (int i = 0; i < N_SMALL; i++) { /* fills all 4 pages, evicting */
        snprintf(key, sizeof(key), "s%d", i);
        test_set(t, key, val);
    }
    unsigned small = class_of_key("s19999");
    CHECK_EQ_U64(stats_of(small).total_pages, 4);
    for (int i = 0; i < N_SMALL; i += 2) { /* free half of every page */
        snprintf(key, sizeof(key), "s%d", i);
        cache_delete(t, key, strlen(key), 0);
    }
    uint64_t live = engine_stats().curr_items, cas_before[N_SMALL];
    for (int i = 1; i < N_SMALL; i += 2) {
        snprintf(key, sizeof(key), "s%d", i);
        cas_before[i] = cas_of(key);
    }
    /*
     * 5000-byte values: their class owns no page, so it gets its first one
     * beyond the spent budget (as memcached), but no second one: one more
     * item than the page holds evicts the oldest.
     */
    char bigval[5001];
    memset(bigval, 'B', 5000);
    bigval[5000] = '\0';
    CHECK_EQ_U64(test_set(t, "b000", bigval), CACHE_OK);
    unsigned big_id = class_of_key("b000");
    uint32_t per_page = c->arena->classes[big_id].per_page;
    bool stored = true;
    for (uint32_t i = 1; i <= per_page; i++) {
        snprintf(key, sizeof(key), "b%03u", (unsigned)i);
        stored = stored && test_set(t, key, bigval) == CACHE_OK;
    }
    CHECK(stored);
    CHECK(test_missing(t, "b000"));
    CHECK_EQ_U64(stats_of(big_id).total_pages, 1);
    CHECK_EQ_U64(stats_of(big_id).evicted, 1);
    CHECK_EQ_U64(engine_stats().total_malloced, 5 << 20);
    live += per_page; /* b001 .. b<per_page> */
    CHECK_EQ_U64(rebalance_move(c, small, small), REBALANCE_BADCLASS);
    CHECK_EQ_U64(rebalance_move(c, small, 1000), REBALANCE_BADCLASS);
    CHECK_EQ_U64(rebalance_move(c, small, big_id), REBALANCE_OK);
    cache_stats s = engine_stats();
    CHECK_EQ_U64(s.slabs_moved, 1);
    CHECK(s.slab_reassign_rescues > 0);
    CHECK_EQ_U64(s.slab_reassign_evictions, 0);
    CHECK_EQ_U64(s.curr_items, live); /* everything live was rescued */
    CHECK_EQ_U64(stats_of(small).total_pages, 3);
    CHECK_EQ_U64(stats_of(big_id).total_pages, 2);
    CHECK_EQ_U64(s.total_malloced, 5 << 20); /* a move, not a new page */
    bool same = true;
    for (int i = 1; i < N_SMALL; i += 2) {
        snprintf(key, sizeof(key), "s%d", i);
        if (cas_before[i] != 0)
            same = same && cas_of(key) == cas_before[i] && test_is(t, key, val);
    }
    CHECK(same);
    CHECK_EQ_U64(test_set(t, "b999", bigval), CACHE_OK);
    CHECK_EQ_U64(class_of_key("b999"), big_id);
    CHECK_EQ_U64(engine_stats().evictions, s.evictions); /* the new page served it */
    CHECK(test_is(t, "b999", bigval));
    teardown();
}

static void test_move_chained(void)
{
    cache_options o = test_options(2 << 20);
    o.slab_reassign = true;
    setup(o);
    size_t n = 700 * 1000;
    char *val = malloc(n + 1);
    memset(val, 'L', n);
    val[n] = '\0';
    CHECK_EQ_U64(test_set(t, "large", val), CACHE_OK);
    unsigned top = c->arena->nclasses;
    CHECK_EQ_U64(stats_of(top).total_pages, 1);
    CHECK_EQ_U64(test_set(t, "small", "x"), CACHE_OK);
    unsigned small = class_of_key("small");
    CHECK_EQ_U64(rebalance_move(c, top, small), REBALANCE_OK);
    CHECK(test_missing(t, "large"));
    cache_stats s = engine_stats();
    CHECK_EQ_U64(s.slab_reassign_evictions, 1);
    CHECK_EQ_U64(s.total_malloced, 1 << 20); /* the page went back to the pool */
    CHECK(test_is(t, "small", "x"));
    CHECK_EQ_U64(test_set(t, "large2", val), CACHE_OK); /* and can be used again */
    free(val);
    teardown();
    /* without slab_reassign nothing moves */
    o.slab_reassign = false;
    setup(o);
    CHECK_EQ_U64(rebalance_move(c, 1, 2), REBALANCE_DISABLED);
    teardown();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_automove(void)
{
    cache_options o = test_options(4 << 20);
    o.slab_reassign = true;
    o.slab_automove = 2;
    setup(o);
    char key[32], val[200];
    memset(val, 's', 199);
    val[199] = '\0';
    for (int i = 0; i < N_SMALL; i++) {
        snprintf(key, sizeof(key), "s%d", i);
        test_set(t, key, val);
    }
    for (int i = 0; i < N_SMALL; i++) { /* the small class is now mostly free */
        snprintf(key, sizeof(key), "s%d", i);
        cache_delete(t, key, strlen(key), 0);
    }
    char big[3001];
    memset(big, 'b', 3000);
    big[3000] = '\0';
    /* big values evict each other until the mover hands them a page */
    for (int round = 0; round < 3000 && engine_stats().slabs_moved == 0; round++) {
        snprintf(key, sizeof(key), "b%d", round);
        test_set(t, key, big);
        sleep_ms(1);
    }
    CHECK(engine_stats().slabs_moved >= 1);
    teardown();
}

static void test_reassign_command(void)
{
    cache_options o = test_options(4 << 20);
    setup(o);
    char key[32], val[200];
    memset(val, 's', 199);
    val[199] = '\0';
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "s%d", i);
        test_set(t, key, val);
    }
    unsigned small = class_of_key("s1");
    int n = (int)c->arena->nclasses;
    CHECK_EQ_U64(cache_slabs_reassign(c, (int)small, (int)small), CACHE_REASSIGN_UNSAFE);
    CHECK_EQ_U64(cache_slabs_reassign(c, (int)small, n + 1), CACHE_REASSIGN_BADCLASS);
    CHECK_EQ_U64(cache_slabs_reassign(c, 0, 1), CACHE_REASSIGN_BADCLASS);
    CHECK_EQ_U64(cache_slabs_reassign(c, -2, 1), CACHE_REASSIGN_BADCLASS);
    CHECK_EQ_U64(cache_slabs_reassign(c, 1, (int)small), CACHE_REASSIGN_NOSPARE);
    CHECK_EQ_U64(cache_slabs_reassign(c, (int)small, n), CACHE_REASSIGN_OK);
    /* the mover thread does it; wait for it (bounded) */
    for (int i = 0; i < 10000 && engine_stats().slabs_moved == 0; i++)
        sleep_ms(1);
    CHECK_EQ_U64(engine_stats().slabs_moved, 1);
    /* the pool still had pages, so every item was rescued into a new one */
    CHECK_EQ_U64(engine_stats().slab_reassign_rescues, 1000);
    CHECK_EQ_U64(engine_stats().curr_items, 1000);
    CHECK_EQ_U64(stats_of((unsigned)n).total_pages, 1);
    CHECK(test_is(t, "s999", val));
    CHECK(!cache_slabs_automove(c, 3));
    CHECK(cache_slabs_automove(c, 2));
    teardown();
    o.slab_reassign = false;
    setup(o);
    CHECK_EQ_U64(cache_slabs_reassign(c, 1, 2), CACHE_REASSIGN_DISABLED);
    teardown();
}

int main(void)
{
    test_move_with_rescue();
    test_move_chained();
    test_automove();
    test_reassign_command();
    return check_done("test_cache_rebalance");
}
