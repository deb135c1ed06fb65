/*
 * tests/test_cache_util.c -- helpers shared by the engine's unit tests: an
 * injected clock and one-call set/get wrappers. Included by the tests (not
 * compiled on its own; named .c only so the tests/ ignore rules keep it).
 */
#ifndef CASHEW_TESTS_CACHE_UTIL_H
#define CASHEW_TESTS_CACHE_UTIL_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab/cache.h"
#include "slab/engine.h"

static _Atomic int64_t test_clock_now = 1700000000;

static inline int64_t test_clock(void *arg)
{
    (void)arg;
    return atomic_load(&test_clock_now);
}

static inline void test_advance(int64_t seconds)
{
    atomic_fetch_add(&test_clock_now, seconds);
}

/* Options with an injected clock and no background threads but the hasher. */
static inline cache_options test_options(size_t memory_limit)
{
    cache_options o;
    cache_options_default(&o);
    o.memory_limit = memory_limit;
    o.clock = test_clock;
    o.lru_maintainer = false;
    o.lru_crawler = false;
    o.slab_automove = 0;
    return o;
}

static inline cache_status test_store(cache_thread *t, const char *key, const char *val,
                               uint32_t flags, int64_t exptime, cache_store_mode mode,
                               uint64_t cas, uint64_t *cas_out)
{
    cache_item *it;
    size_t n = strlen(val);
    cache_status st = cache_alloc(t, key, strlen(key), flags, exptime, n, &it);
    if (st != CACHE_OK)
        return st;
    cache_item_write(it, 0, val, n);
    st = cache_store(t, it, mode, cas, cas_out);
    cache_release(t, it);
    return st;
}

static inline cache_status test_set(cache_thread *t, const char *key, const char *val)
{
    return test_store(t, key, val, 0, 0, CACHE_SET, 0, NULL);
}

/* Copies the whole value (all spans) into a fresh malloc'd string; NULL on miss. */
static inline char *test_value_of(cache_item *it)
{
    size_t n = cache_item_nbytes(it), at = 0;
    char *out = malloc(n + 1);
    for (size_t i = 0; i < cache_item_span_count(it); i++) {
        cache_span s = cache_item_span(it, i);
        memcpy(out + at, s.data, s.len);
        at += s.len;
    }
    out[at] = '\0';
    return out;
}

static inline char *test_get(cache_thread *t, const char *key)
{
    cache_item *it = cache_get(t, key, strlen(key));
    if (it == NULL)
        return NULL;
    char *v = test_value_of(it);
    cache_release(t, it);
    return v;
}

/* True if key holds exactly want. */
static inline int test_is(cache_thread *t, const char *key, const char *want)
{
    char *v = test_get(t, key);
    int ok = v != NULL && strcmp(v, want) == 0;
    free(v);
    return ok;
}

static inline int test_missing(cache_thread *t, const char *key)
{
    char *v = test_get(t, key);
    free(v);
    return v == NULL;
}

/* Looks for class `id` in the folded per-class stats (id stays 0 if absent). */
static inline void test_grab_class(void *arg, const cache_class_stats *s)
{
    cache_class_stats *want = arg;
    if (s->id == want->id)
        *want = *s;
}

/* The stats of class `id` (all zero but id if the class has no pages). */
static inline cache_class_stats test_class_stats(cache *c, unsigned id)
{
    cache_class_stats s;
    memset(&s, 0, sizeof(s));
    s.id = id;
    cache_stats_classes(c, test_grab_class, &s);
    return s;
}

/* Stores key fmt%d for d in [from, to) with value val (CACHE_SET, flags 0). */
static inline void test_set_range(cache_thread *t, const char *fmt, int from, int to,
                                  const char *val, int64_t exptime)
{
    char key[64];
    for (int i = from; i < to; i++) {
        snprintf(key, sizeof(key), fmt, i);
        test_store(t, key, val, 0, exptime, CACHE_SET, 0, NULL);
    }
}

/*
 * The slab class of key's item, or 0 if it is missing. With fetch the
 * lookup counts as a read (cache_get: marks it fetched), else cache_peek.
 */
static inline unsigned test_class_of_key(cache *c, cache_thread *t, const char *key,
                                         bool fetch)
{
    cache_item *it = fetch ? cache_get(t, key, strlen(key)) : cache_peek(t, key, strlen(key));
    unsigned id = it ? engine_class_of(c, (item *)it) : 0;
    if (it)
        cache_release(t, it);
    return id;
}

#endif
