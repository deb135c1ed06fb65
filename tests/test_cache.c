/*
 * tests/test_cache.c -- the engine facade (slab/cache.h): every store mode,
 * delete, incr/decr, touch, expiry with an injected clock, flush, reference
 * counts across replacement, chained values, limits and statistics.
 */
#include <stdio.h>

#include "tests/check.h"
#include "tests/test_cache_util.c"

static cache *c;
static cache_thread *t;

static void setup(cache_options o)
{
    const char *why = NULL;
    c = cache_create(&o, &why);
    CHECK(c != NULL);
    if (c == NULL) {
        fprintf(stderr, "cache_create: %s\n", why);
        exit(1);
    }
    t = cache_thread_create(c);
}

static void teardown(void)
{
    cache_thread_destroy(t);
    cache_destroy(c);
}

static void test_set_get(void)
{
    setup(test_options(8 << 20));
    CHECK(test_missing(t, "a"));
    uint64_t cas1 = 0, cas2 = 0;
    CHECK_EQ_U64(test_store(t, "a", "hello", 42, 0, CACHE_SET, 0, &cas1), CACHE_OK);
    cache_item *it = cache_get(t, "a", 1);
    CHECK(it != NULL);
    CHECK_EQ_U64(cache_item_flags(it), 42);
    CHECK_EQ_U64(cache_item_nbytes(it), 5);
    CHECK_EQ_U64(cache_item_nkey(it), 1);
    CHECK(memcmp(cache_item_key(it), "a", 1) == 0);
    CHECK_EQ_U64(cache_item_cas(it), cas1);
    CHECK(cas1 != 0);
    cache_release(t, it);
    CHECK_EQ_U64(test_store(t, "a", "world", 0, 0, CACHE_SET, 0, &cas2), CACHE_OK);
    CHECK(cas2 > cas1);
    CHECK(test_is(t, "a", "world"));
    CHECK_EQ_U64(test_set(t, "empty", ""), CACHE_OK);
    CHECK(test_is(t, "empty", ""));
    /* binary-safe values */
    cache_item *bin;
    CHECK_EQ_U64(cache_alloc(t, "bin", 3, 0, 0, 4, &bin), CACHE_OK);
    cache_item_write(bin, 0, "\0\r\n\0", 4);
    CHECK_EQ_U64(cache_store(t, bin, CACHE_SET, 0, NULL), CACHE_OK);
    cache_release(t, bin);
    it = cache_get(t, "bin", 3);
    CHECK(it != NULL && memcmp(cache_item_span(it, 0).data, "\0\r\n\0", 4) == 0);
    cache_release(t, it);
    /* an allocated item that is never stored is simply released */
    CHECK_EQ_U64(cache_alloc(t, "never", 5, 0, 0, 10, &it), CACHE_OK);
    cache_release(t, it);
    CHECK(test_missing(t, "never"));
    teardown();
}

static void test_modes(void)
{
    setup(test_options(8 << 20));
    CHECK_EQ_U64(test_store(t, "k", "1", 0, 0, CACHE_REPLACE, 0, NULL), CACHE_NOT_STORED);
    CHECK_EQ_U64(test_store(t, "k", "1", 0, 0, CACHE_ADD, 0, NULL), CACHE_OK);
    CHECK_EQ_U64(test_store(t, "k", "2", 0, 0, CACHE_ADD, 0, NULL), CACHE_NOT_STORED);
    CHECK(test_is(t, "k", "1"));
    CHECK_EQ_U64(test_store(t, "k", "3", 0, 0, CACHE_REPLACE, 0, NULL), CACHE_OK);
    CHECK(test_is(t, "k", "3"));
    CHECK_EQ_U64(test_store(t, "nokey", "x", 0, 0, CACHE_CAS, 1, NULL), CACHE_NOT_FOUND);
    cache_item *it = cache_get(t, "k", 1);
    uint64_t cas = cache_item_cas(it), newcas = 0;
    cache_release(t, it);
    CHECK_EQ_U64(test_store(t, "k", "4", 0, 0, CACHE_CAS, cas + 1, NULL), CACHE_EXISTS);
    CHECK_EQ_U64(test_store(t, "k", "4", 0, 0, CACHE_CAS, cas, &newcas), CACHE_OK);
    CHECK(newcas != cas);
    CHECK_EQ_U64(test_store(t, "k", "5", 0, 0, CACHE_CAS, cas, NULL), CACHE_EXISTS);
    CHECK(test_is(t, "k", "4"));
    /* add over an expired item works */
    CHECK_EQ_U64(test_store(t, "e", "old", 0, 5, CACHE_SET, 0, NULL), CACHE_OK);
    test_advance(6);
    CHECK_EQ_U64(test_store(t, "e", "new", 0, 0, CACHE_ADD, 0, NULL), CACHE_OK);
    CHECK(test_is(t, "e", "new"));
    teardown();
}

static void test_append_prepend(void)
{
    setup(test_options(8 << 20));
    CHECK_EQ_U64(test_store(t, "a", "x", 0, 0, CACHE_APPEND, 0, NULL), CACHE_NOT_STORED);
    CHECK_EQ_U64(test_store(t, "a", "x", 0, 0, CACHE_PREPEND, 0, NULL), CACHE_NOT_STORED);
    CHECK(test_missing(t, "a"));
    CHECK_EQ_U64(test_store(t, "a", "mid", 7, 100, CACHE_SET, 0, NULL), CACHE_OK);
    uint64_t cas = 0;
    CHECK_EQ_U64(test_store(t, "a", "END", 99, 0, CACHE_APPEND, 0, &cas), CACHE_OK);
    CHECK_EQ_U64(test_store(t, "a", "start", 99, 0, CACHE_PREPEND, 0, NULL), CACHE_OK);
    CHECK(test_is(t, "a", "startmidEND"));
    cache_item *it = cache_get(t, "a", 1);
    CHECK_EQ_U64(cache_item_flags(it), 7); /* flags and exptime kept */
    CHECK(cache_item_cas(it) > cas);
    cache_release(t, it);
    test_advance(101);
    CHECK(test_missing(t, "a"));
    teardown();
}

static void test_delete(void)
{
    setup(test_options(8 << 20));
    CHECK_EQ_U64(cache_delete(t, "d", 1, 0), CACHE_NOT_FOUND);
    uint64_t cas;
    CHECK_EQ_U64(test_store(t, "d", "v", 0, 0, CACHE_SET, 0, &cas), CACHE_OK);
    CHECK_EQ_U64(cache_delete(t, "d", 1, cas + 1), CACHE_EXISTS);
    CHECK(test_is(t, "d", "v"));
    CHECK_EQ_U64(cache_delete(t, "d", 1, cas), CACHE_OK);
    CHECK(test_missing(t, "d"));
    CHECK_EQ_U64(cache_delete(t, "d", 1, 0), CACHE_NOT_FOUND);
    teardown();
}

static void test_delta(void)
{
    setup(test_options(8 << 20));
    uint64_t v = 0, cas = 0;
    CHECK_EQ_U64(cache_delta(t, "n", 1, true, 1, &v, NULL), CACHE_NOT_FOUND);
    test_store(t, "n", "99", 5, 0, CACHE_SET, 0, NULL);
    CHECK_EQ_U64(cache_delta(t, "n", 1, true, 1, &v, &cas), CACHE_OK);
    CHECK_EQ_U64(v, 100);
    CHECK(cas != 0);
    CHECK(test_is(t, "n", "100"));
    cache_item *it = cache_get(t, "n", 1);
    CHECK_EQ_U64(cache_item_flags(it), 5);
    CHECK_EQ_U64(cache_item_cas(it), cas);
    cache_release(t, it);
    CHECK_EQ_U64(cache_delta(t, "n", 1, false, 1000, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 0); /* decr stops at 0 */
    test_set(t, "max", "18446744073709551615");
    CHECK_EQ_U64(cache_delta(t, "max", 3, true, 2, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 1); /* incr wraps */
    test_set(t, "big", "18446744073709551616");
    CHECK_EQ_U64(cache_delta(t, "big", 3, true, 1, &v, NULL), CACHE_NON_NUMERIC);
    test_set(t, "txt", "12a");
    CHECK_EQ_U64(cache_delta(t, "txt", 3, true, 1, &v, NULL), CACHE_NON_NUMERIC);
    test_set(t, "nil", "");
    CHECK_EQ_U64(cache_delta(t, "nil", 3, true, 1, &v, NULL), CACHE_NON_NUMERIC);
    test_set(t, "pad", "7  ");
    CHECK_EQ_U64(cache_delta(t, "pad", 3, true, 1, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 8);
    CHECK(test_is(t, "pad", "8  "));
    teardown();
}

/* incr/decr keep the value's length, padding a shorter result with spaces. */
static void test_delta_padding(void)
{
    setup(test_options(8 << 20));
    uint64_t v = 0;
    test_set(t, "n", "10");
    CHECK_EQ_U64(cache_delta(t, "n", 1, false, 1, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 9);
    CHECK(test_is(t, "n", "9 "));
    CHECK_EQ_U64(cache_delta(t, "n", 1, false, 1, &v, NULL), CACHE_OK);
    CHECK(test_is(t, "n", "8 ")); /* a padded value parses and stays padded */
    CHECK_EQ_U64(cache_delta(t, "n", 1, true, 92, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 100);
    CHECK(test_is(t, "n", "100")); /* a longer result grows the value */
    test_set(t, "z", "007");
    CHECK_EQ_U64(cache_delta(t, "z", 1, true, 1, &v, NULL), CACHE_OK);
    CHECK(test_is(t, "z", "8  "));
    test_set(t, "max", "18446744073709551615");
    CHECK_EQ_U64(cache_delta(t, "max", 3, true, 1, &v, NULL), CACHE_OK);
    CHECK_EQ_U64(v, 0);
    CHECK(test_is(t, "max", "0                   ")); /* 20 bytes */
    test_set(t, "sp", "  5 ");
    CHECK_EQ_U64(cache_delta(t, "sp", 2, true, 1000, &v, NULL), CACHE_OK);
    CHECK(test_is(t, "sp", "1005")); /* same length: no padding */
    test_set(t, "w", "9");
    CHECK_EQ_U64(cache_delta(t, "w", 1, true, 1, &v, NULL), CACHE_OK);
    CHECK(test_is(t, "w", "10"));
    /* a reader of the old value keeps seeing it unchanged */
    cache_item *held = cache_get(t, "z", 1);
    CHECK_EQ_U64(cache_delta(t, "z", 1, false, 8, &v, NULL), CACHE_OK);
    CHECK(held != NULL && memcmp(cache_item_span(held, 0).data, "8  ", 3) == 0);
    cache_release(t, held);
    CHECK(test_is(t, "z", "0  "));
    teardown();
}

static void test_expiry(void)
{
    setup(test_options(8 << 20));
    int64_t now = atomic_load(&test_clock_now);
    test_store(t, "rel", "v", 0, 10, CACHE_SET, 0, NULL);
    test_store(t, "abs", "v", 0, now + 20, CACHE_SET, 0, NULL);
    test_store(t, "past", "v", 0, now - 20, CACHE_SET, 0, NULL);
    test_store(t, "neg", "v", 0, -1, CACHE_SET, 0, NULL);
    test_store(t, "never", "v", 0, 0, CACHE_SET, 0, NULL);
    test_store(t, "month", "v", 0, 2592000, CACHE_SET, 0, NULL); /* relative */
    CHECK(test_missing(t, "past"));
    CHECK(test_missing(t, "neg"));
    test_advance(9);
    CHECK(test_is(t, "rel", "v"));
    test_advance(1);
    CHECK(test_missing(t, "rel"));
    CHECK(test_is(t, "abs", "v"));
    test_advance(10);
    CHECK(test_missing(t, "abs"));
    test_advance(2592000);
    CHECK(test_missing(t, "month"));
    CHECK(test_is(t, "never", "v"));
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK(s.get_expired >= 4);
    teardown();
}

static void test_touch(void)
{
    setup(test_options(8 << 20));
    CHECK_EQ_U64(cache_touch(t, "x", 1, 10), CACHE_NOT_FOUND);
    CHECK(cache_get_touch(t, "x", 1, 10) == NULL);
    uint64_t cas;
    test_store(t, "x", "noexp", 3, 0, CACHE_SET, 0, &cas);
    /* x has no exptime slot: touch gives it one (by copy), keeping the value */
    cache_item *held = cache_get(t, "x", 1);
    CHECK_EQ_U64(cache_touch(t, "x", 1, 10), CACHE_OK);
    cache_item *now_it = cache_get(t, "x", 1);
    CHECK_EQ_U64(cache_item_cas(now_it), cas); /* touch keeps the cas */
    cache_release(t, now_it);
    CHECK(test_is(t, "x", "noexp"));
    CHECK(memcmp(cache_item_span(held, 0).data, "noexp", 5) == 0);
    cache_release(t, held);
    test_advance(9);
    cache_item *it = cache_get_touch(t, "x", 1, 100);
    CHECK(it != NULL);
    CHECK_EQ_U64(cache_item_flags(it), 3);
    cache_release(t, it);
    test_advance(50);
    CHECK(test_is(t, "x", "noexp"));
    CHECK_EQ_U64(cache_touch(t, "x", 1, 0), CACHE_OK); /* never again */
    test_advance(1000);
    CHECK(test_is(t, "x", "noexp"));
    CHECK_EQ_U64(cache_touch(t, "x", 1, -1), CACHE_OK);
    CHECK(test_missing(t, "x"));
    test_store(t, "y", "v", 0, 5, CACHE_SET, 0, NULL);
    CHECK_EQ_U64(cache_touch(t, "y", 1, 0), CACHE_OK);
    test_advance(10);
    CHECK(test_is(t, "y", "v"));
    teardown();
}

static void test_flush(void)
{
    setup(test_options(8 << 20));
    test_set(t, "a", "1");
    test_set(t, "b", "2");
    cache_flush(t, 0);
    CHECK(test_missing(t, "a"));
    CHECK(test_missing(t, "b"));
    test_set(t, "c", "3"); /* same second, after the flush: visible */
    CHECK(test_is(t, "c", "3"));
    test_advance(5);
    CHECK(test_is(t, "c", "3"));
    /* deferred flush: invisible once its time has come */
    cache_flush(t, 10);
    CHECK(test_is(t, "c", "3"));
    test_advance(9);
    CHECK(test_is(t, "c", "3"));
    test_advance(1);
    CHECK(test_missing(t, "c"));
    test_advance(1);
    test_set(t, "d", "4");
    CHECK(test_is(t, "d", "4"));
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK(s.get_flushed >= 3);
    teardown();
    /* without CAS the flush still hides older items */
    cache_options o = test_options(8 << 20);
    o.use_cas = false;
    setup(o);
    test_set(t, "a", "1");
    test_advance(1);
    cache_flush(t, 0);
    CHECK(test_missing(t, "a"));
    test_advance(1);
    test_set(t, "b", "2");
    CHECK(test_is(t, "b", "2"));
    cache_item *it = cache_get(t, "b", 1);
    CHECK_EQ_U64(cache_item_cas(it), 0);
    cache_release(t, it);
    teardown();
}

static uint64_t used_chunks_total(void)
{
    cache_stats s;
    cache_stats_read(c, &s);
    return s.curr_items;
}

static void count_used(void *arg, const cache_class_stats *s)
{
    *(uint64_t *)arg += s->used_chunks;
}

static uint64_t chunks_in_use(void)
{
    uint64_t n = 0;
    cache_stats_classes(c, count_used, &n);
    return n;
}

static void test_refcount_replace(void)
{
    setup(test_options(8 << 20));
    test_set(t, "r", "first");
    cache_item *old = cache_get(t, "r", 1);
    test_set(t, "r", "second");
    CHECK(cache_delete(t, "r", 1, 0) == CACHE_OK);
    test_set(t, "r", "third");
    CHECK(test_is(t, "r", "third"));
    /* the reader still sees its bytes, unchanged */
    CHECK(memcmp(cache_item_span(old, 0).data, "first", 5) == 0);
    CHECK_EQ_U64(cache_item_nbytes(old), 5);
    CHECK_EQ_U64(used_chunks_total(), 1);
    CHECK_EQ_U64(chunks_in_use(), 2); /* "first" still held */
    cache_release(t, old);
    CHECK_EQ_U64(chunks_in_use(), 1);
    teardown();
}

static void test_large(void)
{
    setup(test_options(16 << 20));
    size_t n = 900 * 1000; /* > 512 KB chunk max: chained */
    char *val = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        val[i] = (char)('a' + i % 26);
    val[n] = '\0';
    CHECK_EQ_U64(test_set(t, "big", val), CACHE_OK);
    cache_item *it = cache_get(t, "big", 3);
    CHECK(it != NULL && cache_item_span_count(it) == 2);
    cache_release(t, it);
    CHECK(test_is(t, "big", val));
    CHECK_EQ_U64(test_store(t, "big", "+", 0, 0, CACHE_APPEND, 0, NULL), CACHE_OK);
    char *v = test_get(t, "big");
    CHECK(v != NULL && strlen(v) == n + 1 && v[n] == '+' && memcmp(v, val, n) == 0);
    free(v);
    CHECK_EQ_U64(cache_delete(t, "big", 3, 0), CACHE_OK);
    CHECK_EQ_U64(chunks_in_use(), 0);
    free(val);
    /* limits */
    cache_item *x;
    CHECK_EQ_U64(cache_alloc(t, "k", 1, 0, 0, 1 << 20, &x), CACHE_TOO_LARGE);
    CHECK(x == NULL);
    CHECK_EQ_U64(cache_alloc(t, "k", 1, 0, 0, SIZE_MAX, &x), CACHE_TOO_LARGE);
    char key[300];
    memset(key, 'k', sizeof(key));
    CHECK_EQ_U64(cache_alloc(t, key, 251, 0, 0, 1, &x), CACHE_EINVAL);
    CHECK_EQ_U64(cache_alloc(t, key, 250, 0, 0, 1, &x), CACHE_OK);
    CHECK_EQ_U64(cache_store(t, x, CACHE_SET, 0, NULL), CACHE_OK);
    cache_release(t, x);
    CHECK(cache_get(t, key, 250) != NULL);
    CHECK(cache_get(t, key, 251) == NULL);
    CHECK_EQ_U64(cache_alloc(t, key, 0, 0, 0, 1, &x), CACHE_EINVAL);
    CHECK_EQ_U64(cache_delete(t, key, 251, 0), CACHE_EINVAL);
    teardown();
    /* -I 2m allows a 1.5 MB value (three chunks) */
    cache_options o = test_options(16 << 20);
    o.item_size_max = 2 << 20;
    setup(o);
    n = 1500 * 1000;
    val = malloc(n + 1);
    memset(val, 'z', n);
    val[n] = '\0';
    val[n - 1] = 'y';
    CHECK_EQ_U64(test_set(t, "huge", val), CACHE_OK);
    CHECK(test_is(t, "huge", val));
    free(val);
    teardown();
    /* -I 1g with -m 16: a value bigger than all memory fails at once and
     * evicts nothing for it */
    o.item_size_max = (size_t)1 << 30;
    setup(o);
    CHECK_EQ_U64(test_set(t, "keep", "me"), CACHE_OK);
    CHECK_EQ_U64(cache_alloc(t, "k", 1, 0, 0, 100 << 20, &x), CACHE_ENOMEM);
    CHECK_EQ_U64(cache_alloc(t, "k", 1, 0, 0, (size_t)1 << 30, &x), CACHE_TOO_LARGE);
    CHECK(test_is(t, "keep", "me"));
    cache_item_write(NULL, 0, "x", 1); /* harmless */
    CHECK_EQ_U64(cache_store(t, NULL, CACHE_SET, 0, NULL), CACHE_EINVAL);
    teardown();
}

static void test_no_evict(void)
{
    cache_options o = test_options(2 << 20);
    o.evict_to_free = false;
    setup(o);
    char key[32], val[200];
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    cache_status st = CACHE_OK;
    int stored = 0;
    for (int i = 0; i < 100000 && st == CACHE_OK; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        st = test_set(t, key, val);
        stored += st == CACHE_OK;
    }
    CHECK_EQ_U64(st, CACHE_ENOMEM);
    CHECK(stored > 1000);
    CHECK(test_is(t, "key:0", val)); /* nothing was evicted */
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK_EQ_U64(s.evictions, 0);
    CHECK(s.outofmemory > 0);
    CHECK_EQ_U64(s.curr_items, (uint64_t)stored);
    /* expired items are still reclaimed under -M */
    cache_flush(t, 0);
    test_advance(1);
    CHECK_EQ_U64(test_set(t, "after", val), CACHE_OK);
    teardown();
}

static void test_evict(void)
{
    setup(test_options(2 << 20));
    char key[32], val[200];
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    bool all_ok = true;
    for (int i = 0; i < 50000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        all_ok = all_ok && test_set(t, key, val) == CACHE_OK;
    }
    CHECK(all_ok);
    CHECK(test_missing(t, "key:0")); /* oldest went first */
    CHECK(test_is(t, "key:49999", val));
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK(s.evictions > 0);
    CHECK_EQ_U64(s.total_items, 50000);
    CHECK_EQ_U64(s.curr_items + s.evictions, 50000);
    CHECK(s.total_malloced <= 2 << 20);
    teardown();
}

/*
 * Memory full of big items: a small item still stores, its class taking a
 * first page beyond the budget (memcached grants that), with or without -M.
 */
static void test_first_page_when_full(void)
{
    for (int no_evict = 0; no_evict < 2; no_evict++) {
        cache_options o = test_options(2 << 20);
        o.evict_to_free = !no_evict;
        setup(o);
        char key[32], *val = malloc(100001);
        memset(val, 'B', 100000);
        val[100000] = '\0';
        int stored = 0;
        for (int i = 0; i < 60; i++) {
            snprintf(key, sizeof(key), "big:%d", i);
            stored += test_set(t, key, val) == CACHE_OK;
        }
        CHECK(no_evict ? stored < 60 : stored == 60);
        cache_stats s;
        cache_stats_read(c, &s);
        CHECK_EQ_U64(s.total_malloced, 2 << 20);
        CHECK_EQ_U64(test_set(t, "small", "small"), CACHE_OK);
        CHECK(test_is(t, "small", "small"));
        cache_stats_read(c, &s);
        CHECK_EQ_U64(s.total_malloced, 3 << 20); /* really handed out */
        CHECK_EQ_U64(s.limit_maxbytes, 2 << 20);
        CHECK_EQ_U64(test_set(t, "big:x", val), no_evict ? CACHE_ENOMEM : CACHE_OK);
        free(val);
        teardown();
    }
}

typedef struct class_seen {
    uint64_t chunk_size, number, get_hits, cmd_set;
} class_seen;

static void grab_class(void *arg, const cache_class_stats *s)
{
    class_seen *seen = arg;
    seen->chunk_size = s->chunk_size;
    seen->number = s->number;
    seen->get_hits = s->get_hits;
    seen->cmd_set = s->cmd_set;
}

static void test_stats_and_chunk_size(void)
{
    setup(test_options(8 << 20));
    char val[101];
    memset(val, 'v', 100);
    val[100] = '\0';
    test_set(t, "key:123456", val); /* 10-byte key, 100-byte value */
    cache_thread *t2 = cache_thread_create(c);
    CHECK(test_is(t2, "key:123456", val));
    CHECK(test_is(t, "key:123456", val));
    cache_thread_destroy(t2); /* its counters stay in the totals */
    class_seen seen = {0, 0, 0, 0};
    cache_stats_classes(c, grab_class, &seen);
    CHECK_EQ_U64(seen.chunk_size, 144);
    CHECK_EQ_U64(seen.number, 1);
    CHECK_EQ_U64(seen.get_hits, 2);
    CHECK_EQ_U64(seen.cmd_set, 1);
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK_EQ_U64(s.curr_items, 1);
    CHECK_EQ_U64(s.bytes, 142);
    CHECK_EQ_U64(s.limit_maxbytes, 8 << 20);
    CHECK_EQ_U64(s.total_malloced, 1 << 20);
    CHECK(s.slab_classes > 63);
    CHECK_EQ_U64(s.hash_power_level, 16);
    printf("chunk size for a 10-byte key + 100-byte value: %llu bytes\n",
           (unsigned long long)seen.chunk_size);
    teardown();
}

static void test_options_checked(void)
{
    cache_options o = test_options(8 << 20);
    CHECK(cache_options_check(&o) == NULL);
    o.growth_factor = 0.5;
    CHECK(cache_options_check(&o) != NULL);
    const char *why = NULL;
    CHECK(cache_create(&o, &why) == NULL && why != NULL);
    o = test_options(8 << 20);
    o.item_size_max = 100;
    CHECK(cache_options_check(&o) != NULL);
    o = test_options(8 << 20);
    o.clock = NULL;
    CHECK(cache_options_check(&o) != NULL);
    o = test_options(8 << 20);
    o.slab_automove = 3;
    CHECK(cache_options_check(&o) != NULL);
    o = test_options(8 << 20);
    o.item_size_max = 1024; /* -I 1k: the largest chunk shrinks to 1 KB */
    setup(o);
    char val[2000];
    memset(val, 'q', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    val[900] = '\0';
    CHECK_EQ_U64(test_set(t, "k", val), CACHE_OK);
    val[900] = 'q';
    val[1100] = '\0';
    CHECK_EQ_U64(test_set(t, "k2", val), CACHE_TOO_LARGE);
    teardown();
}

int main(void)
{
    test_set_get();
    test_modes();
    test_append_prepend();
    test_delete();
    test_delta();
    test_delta_padding();
    test_expiry();
    test_touch();
    test_flush();
    test_refcount_replace();
    test_large();
    test_no_evict();
    test_evict();
    test_first_page_when_full();
    test_stats_and_chunk_size();
    test_options_checked();
    return check_done("test_cache");
}
