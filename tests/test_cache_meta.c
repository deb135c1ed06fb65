/*
 * tests/test_cache_meta.c -- the engine's meta-protocol operations
 * (cache.h, "meta-protocol operations"): get with touch / no-bump /
 * vivify / recache and the stale+win marks, the whole stale-while-
 * revalidate sequence, store with compare / invalidate / explicit cas /
 * vivify, delete that invalidates or empties, incr/decr with vivify and
 * touch, item facts, and 8 threads racing to vivify one missing key.
 * Time comes from the injected clock: nothing sleeps.
 */
#include <pthread.h>
#include <stdio.h>

#include "tests/check.h"
#include "tests/test_cache_util.c"

static cache *c;
static cache_thread *t;

static void setup(void)
{
    const char *why = NULL;
    cache_options o = test_options(8 << 20);
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

/* mg with options; returns the value (malloc'd) or NULL on a miss. */
static char *mg(const char *key, const cache_get_opts *o, cache_get_info *info)
{
    cache_item *it = cache_get_ex(t, key, strlen(key), o, info);
    if (it == NULL)
        return NULL;
    char *v = test_value_of(it);
    cache_release(t, it);
    return v;
}

static bool mg_is(const char *key, const cache_get_opts *o, cache_get_info *info,
                  const char *want)
{
    char *v = mg(key, o, info);
    bool ok = v != NULL && strcmp(v, want) == 0;
    free(v);
    return ok;
}

static cache_status ms(const char *key, const char *val, int64_t exptime,
                       const cache_store_opts *o, uint64_t *cas_out)
{
    cache_item *it;
    size_t n = strlen(val);
    cache_status st = cache_alloc(t, key, strlen(key), 0, exptime, n, &it);
    if (st != CACHE_OK)
        return st;
    cache_item_write(it, 0, val, n);
    st = cache_store_ex(t, it, o, cas_out);
    cache_release(t, it);
    return st;
}

static uint64_t cas_of(const char *key)
{
    cache_item *it = cache_peek(t, key, strlen(key));
    uint64_t cas = it ? cache_item_cas(it) : 0;
    cache_release(t, it);
    return cas;
}

static cache_item_info info_of(const char *key)
{
    cache_item_info in;
    memset(&in, 0, sizeof(in));
    cache_item *it = cache_peek(t, key, strlen(key));
    if (it != NULL)
        cache_item_describe(t, it, &in);
    cache_release(t, it);
    return in;
}

/* ---- get ------------------------------------------------------------------ */

static void test_get_facts_before_access(void)
{
    setup();
    cache_get_info in;
    CHECK(test_store(t, "k", "v", 0, 100, CACHE_SET, 0, NULL) == CACHE_OK);
    test_advance(5);
    CHECK(mg_is("k", NULL, &in, "v"));
    CHECK(!in.hit_before && in.idle == 5 && in.ttl == 95 && !in.win && !in.lost && !in.stale);
    CHECK(mg_is("k", NULL, &in, "v"));
    CHECK(in.hit_before);
    /* u: the item stays unfetched */
    CHECK(ms("u", "x", 0, NULL, NULL) == CACHE_OK);
    cache_get_opts nb = {.no_bump = true};
    CHECK(mg_is("u", &nb, &in, "x") && !in.hit_before && in.ttl == -1);
    CHECK(mg_is("u", &nb, &in, "x") && !in.hit_before);
    CHECK(!info_of("u").fetched);
    CHECK(mg_is("u", NULL, &in, "x") && !in.hit_before);
    CHECK(info_of("u").fetched);
    /* miss */
    CHECK(mg("nope", NULL, &in) == NULL && !in.win && !in.created);
    teardown();
}

static void test_get_touch(void)
{
    setup();
    cache_get_info in;
    CHECK(ms("a", "1", 0, NULL, NULL) == CACHE_OK); /* no exptime slot: copied */
    uint64_t cas = cas_of("a");
    cache_get_opts touch = {.touch = true, .touch_exptime = 30};
    CHECK(mg_is("a", &touch, &in, "1") && in.ttl == 30);
    CHECK_EQ_U64(cas_of("a"), cas);
    CHECK(ms("b", "2", 10, NULL, NULL) == CACHE_OK); /* in place */
    CHECK(mg_is("b", &touch, &in, "2") && in.ttl == 30);
    test_advance(31);
    CHECK(mg("a", NULL, &in) == NULL && mg("b", NULL, &in) == NULL);
    CHECK(mg("c", &touch, &in) == NULL);
    /* T-1: this caller still gets the item, then it is gone */
    cache_get_opts past = {.touch = true, .touch_exptime = -1};
    CHECK(ms("x", "1", 0, NULL, NULL) == CACHE_OK && ms("y", "2", 100, NULL, NULL) == CACHE_OK);
    CHECK(mg_is("x", &past, &in, "1") && mg_is("y", &past, &in, "2"));
    CHECK(mg("x", NULL, &in) == NULL && mg("y", NULL, &in) == NULL);
    teardown();
}

static void test_get_vivify(void)
{
    setup();
    cache_get_info in;
    cache_get_opts viv = {.vivify = true, .vivify_exptime = 30};
    CHECK(mg_is("v", &viv, &in, ""));
    CHECK(in.created && in.win && !in.lost && in.ttl == 30);
    CHECK(mg_is("v", &viv, &in, "") && !in.created && !in.win && in.lost);
    CHECK(mg_is("v", NULL, &in, "") && in.lost && !in.win);
    /* replacing it clears the token */
    CHECK(ms("v", "data", 0, NULL, NULL) == CACHE_OK);
    CHECK(mg_is("v", &viv, &in, "data") && !in.lost && !in.win && !in.created);
    /* the stub expires as asked; then the next caller wins again */
    CHECK(mg_is("w", &viv, &in, "") && in.win);
    test_advance(31);
    CHECK(mg_is("w", &viv, &in, "") && in.win && in.created);
    /* E: the vivified item gets the given cas */
    cache_get_opts vive = {.vivify = true, .vivify_exptime = 0, .set_cas = true, .new_cas = 31337};
    CHECK(mg_is("ve", &vive, &in, "") && in.created && cas_of("ve") == 31337 && in.ttl == -1);
    teardown();
}

static void test_get_recache(void)
{
    setup();
    cache_get_info in;
    CHECK(ms("r", "old", 100, NULL, NULL) == CACHE_OK);
    cache_get_opts r30 = {.recache = true, .recache_exptime = 30};
    cache_get_opts r200 = {.recache = true, .recache_exptime = 200};
    CHECK(mg_is("r", &r30, &in, "old") && !in.win && !in.lost && in.ttl == 100);
    CHECK(mg_is("r", &r200, &in, "old") && in.win && !in.lost);
    CHECK(mg_is("r", &r200, &in, "old") && !in.win && in.lost);
    test_advance(80); /* 20 s left: below 30, but the win is already out */
    CHECK(mg_is("r", &r30, &in, "old") && !in.win && in.lost && in.ttl == 20);
    /* never-expiring items never win by R */
    CHECK(ms("n", "x", 0, NULL, NULL) == CACHE_OK);
    CHECK(mg_is("n", &r200, &in, "x") && !in.win);
    teardown();
}

/* The full stale-while-revalidate sequence. */
static void test_stale_while_revalidate(void)
{
    setup();
    cache_get_info in;
    uint64_t cas0 = 0, cas1 = 0;
    CHECK(ms("s", "v1", 0, NULL, &cas0) == CACHE_OK);
    /* md I T30: keep the data, mark stale, new cas, new ttl */
    cache_delete_opts inval = {.invalidate = true, .touch = true, .exptime = 30};
    CHECK(cache_delete_ex(t, "s", 1, &inval) == CACHE_OK);
    cas1 = cas_of("s");
    CHECK(cas1 > cas0);
    /* first reader: stale data and the win; the rest: stale data, lost */
    CHECK(mg_is("s", NULL, &in, "v1") && in.stale && in.win && !in.lost && in.ttl == 30);
    for (int i = 0; i < 3; i++)
        CHECK(mg_is("s", NULL, &in, "v1") && in.stale && !in.win && in.lost);
    /* a late writer with the pre-invalidation cas: EXISTS without I */
    cache_store_opts late = {.mode = CACHE_SET, .compare = true, .compare_cas = cas0};
    CHECK(ms("s", "late", 0, &late, NULL) == CACHE_EXISTS);
    /* with I it stores, still stale, keeping ttl and token */
    late.invalidate = true;
    uint64_t cas2 = 0;
    CHECK(ms("s", "late", 0, &late, &cas2) == CACHE_OK);
    CHECK(cas2 > cas1);
    CHECK(mg_is("s", NULL, &in, "late") && in.stale && in.lost && !in.win && in.ttl == 30);
    /* a newer cas than the item's never passes, even with I */
    late.compare_cas = cas2 + 100;
    CHECK(ms("s", "bad", 0, &late, NULL) == CACHE_EXISTS);
    /* the winner recaches with the current cas: fresh, unmarked, its own ttl */
    cache_store_opts win = {.mode = CACHE_SET, .compare = true, .compare_cas = cas2};
    CHECK(ms("s", "v2", 0, &win, NULL) == CACHE_OK);
    CHECK(mg_is("s", NULL, &in, "v2") && !in.stale && !in.lost && !in.win && in.ttl == -1);
    /* invalidate again: the first reader wins again */
    inval.touch = false;
    CHECK(cache_delete_ex(t, "s", 1, &inval) == CACHE_OK);
    CHECK(mg_is("s", NULL, &in, "v2") && in.stale && in.win && in.ttl == -1);
    teardown();
}

static void test_stale_store_keeps_expiry(void)
{
    setup();
    cache_get_info in;
    uint64_t cas0 = 0;
    CHECK(ms("e", "v1", 100, NULL, &cas0) == CACHE_OK);
    CHECK(ms("e", "v2", 100, NULL, NULL) == CACHE_OK);
    /* the new item has no exptime slot (exptime 0): the engine copies it */
    cache_store_opts inv = {.compare = true, .compare_cas = cas0, .invalidate = true};
    CHECK(ms("e", "v3", 0, &inv, NULL) == CACHE_OK);
    CHECK(mg_is("e", NULL, &in, "v3") && in.stale && in.win && in.ttl == 100);
    teardown();
}

/* ---- store ---------------------------------------------------------------- */

static void test_store_modes(void)
{
    setup();
    uint64_t cas = 0;
    cache_store_opts add = {.mode = CACHE_ADD};
    cache_store_opts rep = {.mode = CACHE_REPLACE};
    cache_store_opts app = {.mode = CACHE_APPEND};
    cache_store_opts pre = {.mode = CACHE_PREPEND};
    CHECK(ms("m", "b", 0, &rep, NULL) == CACHE_NOT_STORED);
    CHECK(ms("m", "b", 0, &app, NULL) == CACHE_NOT_STORED);
    CHECK(ms("m", "b", 0, &add, &cas) == CACHE_OK && cas != 0);
    CHECK(ms("m", "x", 0, &add, NULL) == CACHE_NOT_STORED);
    CHECK(ms("m", "c", 0, &app, NULL) == CACHE_OK);
    CHECK(ms("m", "a", 0, &pre, NULL) == CACHE_OK);
    CHECK(test_is(t, "m", "abc"));
    /* compare on append: mismatch -> EXISTS, match -> stored */
    app.compare = true;
    app.compare_cas = cas_of("m") + 1;
    CHECK(ms("m", "d", 0, &app, NULL) == CACHE_EXISTS);
    app.compare_cas = cas_of("m");
    CHECK(ms("m", "d", 0, &app, NULL) == CACHE_OK && test_is(t, "m", "abcd"));
    /* compare on a missing key */
    cache_store_opts cmp = {.compare = true, .compare_cas = 5};
    CHECK(ms("none", "x", 0, &cmp, NULL) == CACHE_NOT_FOUND);
    cmp.mode = CACHE_REPLACE; /* compare wins over replace's NOT_STORED */
    CHECK(ms("none", "x", 0, &cmp, NULL) == CACHE_NOT_FOUND);
    cmp.mode = CACHE_SET;
    CHECK(ms("m", "x", 0, &cmp, NULL) == CACHE_EXISTS);
    /* explicit cas */
    cache_store_opts e = {.set_cas = true, .new_cas = 777777};
    uint64_t got = 0;
    CHECK(ms("m", "e", 0, &e, &got) == CACHE_OK && got == 777777);
    CHECK_EQ_U64(cas_of("m"), 777777);
    /* vivify on append miss: stored as is */
    cache_store_opts viv = {.mode = CACHE_APPEND, .vivify = true};
    CHECK(ms("av", "first", 0, &viv, NULL) == CACHE_OK && test_is(t, "av", "first"));
    CHECK(ms("av", "+", 0, &viv, NULL) == CACHE_OK && test_is(t, "av", "first+"));
    teardown();
}

static void test_key_binary(void)
{
    setup();
    cache_item *it;
    CHECK(cache_alloc(t, "bk", 2, 0, 0, 3, &it) == CACHE_OK);
    cache_item_write(it, 0, "abc", 3);
    cache_item_set_key_binary(it, true);
    CHECK(cache_item_nbytes(it) == 3 && cache_item_key_binary(it));
    CHECK(cache_store(t, it, CACHE_SET, 0, NULL) == CACHE_OK);
    cache_release(t, it);
    CHECK(info_of("bk").key_binary && test_is(t, "bk", "abc"));
    cache_store_opts app = {.mode = CACHE_APPEND};
    CHECK(ms("bk", "d", 0, &app, NULL) == CACHE_OK);
    CHECK(info_of("bk").key_binary && test_is(t, "bk", "abcd"));
    CHECK(ms("bk", "z", 0, NULL, NULL) == CACHE_OK && !info_of("bk").key_binary);
    teardown();
}

/* ---- delete --------------------------------------------------------------- */

static void test_delete_ex(void)
{
    setup();
    CHECK(test_store(t, "d", "val", 9, 50, CACHE_SET, 0, NULL) == CACHE_OK);
    uint64_t cas = cas_of("d");
    cache_delete_opts cmp = {.compare = true, .compare_cas = cas + 1};
    CHECK(cache_delete_ex(t, "d", 1, &cmp) == CACHE_EXISTS);
    /* x: empty value, key and flags kept */
    cache_delete_opts x = {.empty_value = true};
    CHECK(cache_delete_ex(t, "d", 1, &x) == CACHE_OK);
    cache_item *it = cache_peek(t, "d", 1);
    CHECK(it != NULL && cache_item_nbytes(it) == 0 && cache_item_flags(it) == 9);
    cache_release(t, it);
    CHECK(info_of("d").ttl == 50 && !info_of("d").stale);
    /* I with E and T */
    cache_delete_opts inv = {.invalidate = true, .set_cas = true, .new_cas = 4242,
                             .touch = true, .exptime = 0};
    CHECK(cache_delete_ex(t, "d", 1, &inv) == CACHE_OK);
    cache_item_info in = info_of("d");
    CHECK(in.stale && in.cas == 4242 && in.ttl == -1 && !in.token);
    /* I with a matching compare, then a plain delete */
    cmp.compare_cas = 4242;
    cmp.invalidate = true;
    CHECK(cache_delete_ex(t, "d", 1, &cmp) == CACHE_OK && cas_of("d") != 4242);
    CHECK(cache_delete_ex(t, "d", 1, NULL) == CACHE_OK && test_missing(t, "d"));
    CHECK(cache_delete_ex(t, "d", 1, &inv) == CACHE_NOT_FOUND);
    CHECK(cache_delete_ex(t, "d", 1, NULL) == CACHE_NOT_FOUND);
    CHECK(cache_delete_ex(t, "", 0, NULL) == CACHE_EINVAL);
    teardown();
}

/* ---- incr / decr ------------------------------------------------------------ */

static void test_delta_ex(void)
{
    setup();
    cache_delta_info in;
    cache_delta_opts inc = {.delta = 1};
    CHECK(cache_delta_ex(t, "n", 1, &inc, &in) == CACHE_NOT_FOUND);
    cache_delta_opts viv = {.delta = 1, .vivify = true, .vivify_exptime = 30, .initial = 13};
    CHECK(cache_delta_ex(t, "n", 1, &viv, &in) == CACHE_OK);
    CHECK(in.created && in.value == 13 && in.ttl == 30 && in.cas == cas_of("n"));
    CHECK(cache_delta_ex(t, "n", 1, &viv, &in) == CACHE_OK && !in.created && in.value == 14);
    cache_delta_opts dec = {.decr = true, .delta = 20};
    CHECK(cache_delta_ex(t, "n", 1, &dec, &in) == CACHE_OK && in.value == 0);
    CHECK(test_is(t, "n", "0 "));
    cache_delta_opts cmp = {.delta = 5, .compare = true, .compare_cas = in.cas + 1};
    CHECK(cache_delta_ex(t, "n", 1, &cmp, &in) == CACHE_EXISTS);
    cmp.compare_cas = cas_of("n");
    cmp.touch = true;
    cmp.exptime = 0;
    cmp.set_cas = true;
    cmp.new_cas = 99;
    CHECK(cache_delta_ex(t, "n", 1, &cmp, &in) == CACHE_OK);
    CHECK(in.value == 5 && in.ttl == -1 && in.cas == 99 && cas_of("n") == 99);
    cache_delta_opts wrap = {.delta = UINT64_MAX};
    CHECK(cache_delta_ex(t, "n", 1, &wrap, &in) == CACHE_OK && in.value == 4);
    CHECK(ms("s", "abc", 0, NULL, NULL) == CACHE_OK);
    CHECK(cache_delta_ex(t, "s", 1, &inc, &in) == CACHE_NON_NUMERIC);
    /* a stale counter stays stale (and its win unclaimed) through incr */
    cache_delete_opts inval = {.invalidate = true};
    CHECK(cache_delete_ex(t, "n", 1, &inval) == CACHE_OK);
    CHECK(cache_delta_ex(t, "n", 1, &inc, &in) == CACHE_OK && in.value == 5);
    CHECK(info_of("n").stale && !info_of("n").token);
    teardown();
}

/* ---- item facts ------------------------------------------------------------- */

static void test_describe(void)
{
    setup();
    CHECK(test_store(t, "f", "0123456789", 0, 600, CACHE_SET, 0, NULL) == CACHE_OK);
    test_advance(7);
    cache_item_info in = info_of("f");
    CHECK(in.ttl == 593 && in.idle == 7 && !in.fetched && in.class_id >= 1);
    CHECK(in.size >= 10 + 1 && in.size < 100 && in.cas == cas_of("f"));
    CHECK(test_is(t, "f", "0123456789"));
    /* the access time moves only once a minute (as memcached's) */
    CHECK(info_of("f").fetched && info_of("f").idle == 7);
    test_advance(60);
    CHECK(test_is(t, "f", "0123456789") && info_of("f").idle == 0);
    CHECK(cache_peek(t, "none", 4) == NULL);
    teardown();
}

/* ---- 8 threads race to vivify one missing key -------------------------------- */

#define RACE_THREADS 8
#define RACE_ROUNDS 100

static pthread_barrier_t race_start;
static _Atomic int race_wins, race_created, race_lost, race_misses;

static void *race_main(void *arg)
{
    char *key = arg;
    cache_thread *mine = cache_thread_create(c);
    pthread_barrier_wait(&race_start);
    cache_get_opts viv = {.vivify = true, .vivify_exptime = 60};
    cache_get_info in;
    cache_item *it = cache_get_ex(mine, key, strlen(key), &viv, &in);
    if (it == NULL)
        atomic_fetch_add(&race_misses, 1);
    atomic_fetch_add(&race_wins, in.win);
    atomic_fetch_add(&race_created, in.created);
    atomic_fetch_add(&race_lost, in.lost);
    cache_release(mine, it);
    cache_thread_destroy(mine);
    return NULL;
}

static void test_vivify_race(void)
{
    setup();
    int bad = 0;
    pthread_barrier_init(&race_start, NULL, RACE_THREADS);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char key[32];
        snprintf(key, sizeof(key), "race%d", round);
        pthread_t th[RACE_THREADS];
        atomic_store(&race_wins, 0);
        atomic_store(&race_created, 0);
        atomic_store(&race_lost, 0);
        atomic_store(&race_misses, 0);
        for (int i = 0; i < RACE_THREADS; i++)
            pthread_create(&th[i], NULL, race_main, key);
        for (int i = 0; i < RACE_THREADS; i++)
            pthread_join(th[i], NULL);
        if (atomic_load(&race_wins) != 1 || atomic_load(&race_created) != 1 ||
            atomic_load(&race_lost) != RACE_THREADS - 1 || atomic_load(&race_misses) != 0)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    pthread_barrier_destroy(&race_start);
    teardown();
}

/* Stale items: 8 threads read one invalidated key, exactly one wins. */
static void test_stale_race(void)
{
    setup();
    int bad = 0;
    cache_delete_opts inval = {.invalidate = true};
    pthread_barrier_init(&race_start, NULL, RACE_THREADS);
    for (int round = 0; round < RACE_ROUNDS / 4; round++) {
        CHECK(ms("hot", "v", 0, NULL, NULL) == CACHE_OK);
        CHECK(cache_delete_ex(t, "hot", 3, &inval) == CACHE_OK);
        pthread_t th[RACE_THREADS];
        atomic_store(&race_wins, 0);
        atomic_store(&race_lost, 0);
        atomic_store(&race_created, 0);
        atomic_store(&race_misses, 0);
        for (int i = 0; i < RACE_THREADS; i++)
            pthread_create(&th[i], NULL, race_main, "hot");
        for (int i = 0; i < RACE_THREADS; i++)
            pthread_join(th[i], NULL);
        if (atomic_load(&race_wins) != 1 || atomic_load(&race_created) != 0 ||
            atomic_load(&race_lost) != RACE_THREADS - 1)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    pthread_barrier_destroy(&race_start);
    teardown();
}

int main(void)
{
    test_get_facts_before_access();
    test_get_touch();
    test_get_vivify();
    test_get_recache();
    test_stale_while_revalidate();
    test_stale_store_keeps_expiry();
    test_store_modes();
    test_key_binary();
    test_delete_ex();
    test_delta_ex();
    test_describe();
    test_vivify_race();
    test_stale_race();
    return check_done("test_cache_meta");
}
