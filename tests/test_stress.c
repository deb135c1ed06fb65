/*
 * tests/test_stress.c -- many threads on overlapping keys, every read
 * verified.
 *
 * Phase 1: 8 workers do a random mix of get / get-and-hold / set / add /
 * replace / cas / delete / touch / gat / append on a shared key space that
 * is bigger than the memory, with every background thread on (maintainer,
 * crawler, hash expander from a tiny table, automove) and the clock moving.
 * A value names its key and a version and its length and filler follow
 * from them, so any torn, mixed-up or freed-while-read value is caught; an
 * item held across other operations must keep its bytes. Append keys hold
 * a sequence of fixed-size records, each checked.
 * Meanwhile a chaos thread moves slab pages between classes, walks every
 * item (checking its metadata) and reads the statistics.
 * Phase 2: exact counters under contention (incr, and gets+cas loops).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "slab/engine.h"
#include "slab/rebalance.h"
#include "tests/check.h"
#include "tests/test_cache_util.c"

#ifdef __SANITIZE_THREAD__
#define STRESS_OPS 40000
#define STRESS_INCRS 3000
#else
#define STRESS_OPS 150000
#define STRESS_INCRS 30000
#endif
#define STRESS_THREADS 8
#define STRESS_KEYS 3000
#define STRESS_RECORD 16

static cache *c;
static _Atomic unsigned long failures;
static _Atomic int stop_clock;

typedef struct worker {
    unsigned id;
    uint64_t rng;
    unsigned long ok_reads;
} worker;

static uint64_t rnd(worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static void fail(const char *what, const char *key)
{
    if (atomic_fetch_add(&failures, 1) < 10)
        fprintf(stderr, "stress: %s (key %s)\n", what, key);
}

/* Length of the value of (key index, version): 1 .. ~4000, sometimes 600 KB. */
static size_t value_len(unsigned k, uint64_t version)
{
    uint64_t h = (k * 2654435761u) ^ (version * 40503u);
    if (k % 500 == 7 && version % 4 == 0)
        return 600000 + h % 1000; /* a chained value now and then */
    return 40 + h % 4000;
}

static char filler(unsigned k, uint64_t version, size_t i)
{
    return (char)('a' + (k + version + i * 7) % 26);
}

/* "key=K ver=V;" then filler up to value_len. */
static char *make_value(unsigned k, uint64_t version, size_t *len)
{
    size_t n = value_len(k, version);
    char *v = malloc(n);
    int head = snprintf(v, n, "key=%u ver=%" PRIu64 ";", k, version);
    for (size_t i = (size_t)head; i < n; i++)
        v[i] = filler(k, version, i);
    *len = n;
    return v;
}

static void key_name(char *buf, size_t size, const char *prefix, unsigned k)
{
    snprintf(buf, size, "%s%u", prefix, k);
}

/* Checks a plain value of key k in full. */
static bool check_value(cache_item *it, unsigned k, const char *key)
{
    char *v = test_value_of(it);
    unsigned kk;
    uint64_t ver;
    int head = 0;
    bool ok = sscanf(v, "key=%u ver=%" SCNu64 ";%n", &kk, &ver, &head) == 2 && head > 0 &&
              kk == k && cache_item_nbytes(it) == value_len(k, ver);
    for (size_t i = (size_t)head; ok && i < cache_item_nbytes(it); i++)
        ok = v[i] == filler(k, ver, i);
    ok = ok && cache_item_nkey(it) == strlen(key) &&
         memcmp(cache_item_key(it), key, strlen(key)) == 0;
    free(v);
    if (!ok)
        fail("bad value", key);
    return ok;
}

static cache_status put(cache_thread *t, worker *w, unsigned k, const char *key,
                        cache_store_mode mode, uint64_t cas, int64_t exptime)
{
    uint64_t version = ((uint64_t)w->id << 40) | (rnd(w) & 0xffffffffffull);
    size_t n;
    char *v = make_value(k, version, &n);
    cache_item *it;
    cache_status st = cache_alloc(t, key, strlen(key), (uint32_t)k, exptime, n, &it);
    if (st == CACHE_OK) {
        cache_item_write(it, 0, v, n);
        st = cache_store(t, it, mode, cas, NULL);
        cache_release(t, it);
    } else if (st != CACHE_ENOMEM) {
        fail("alloc failed", key);
    }
    free(v);
    return st;
}

static void op_get(cache_thread *t, worker *w, unsigned k, const char *key, bool hold)
{
    cache_item *it = cache_get(t, key, strlen(key));
    if (it == NULL)
        return;
    if (check_value(it, k, key))
        w->ok_reads++;
    if (cache_item_flags(it) != k)
        fail("bad flags", key);
    if (hold) { /* replace and delete it while we hold it: our bytes must stay */
        put(t, w, k, key, CACHE_SET, 0, 0);
        cache_delete(t, key, strlen(key), 0);
        check_value(it, k, key);
    }
    cache_release(t, it);
}

static void op_cas(cache_thread *t, worker *w, unsigned k, const char *key)
{
    cache_item *it = cache_get(t, key, strlen(key));
    if (it == NULL)
        return;
    uint64_t cas = cache_item_cas(it);
    cache_release(t, it);
    cache_status st = put(t, w, k, key, CACHE_CAS, cas, 0);
    if (st != CACHE_OK && st != CACHE_EXISTS && st != CACHE_NOT_FOUND && st != CACHE_ENOMEM)
        fail("cas status", key);
}

static void op_append(cache_thread *t, worker *w, unsigned k)
{
    char key[32], rec[STRESS_RECORD + 1];
    key_name(key, sizeof(key), "app:", k % 64);
    snprintf(rec, sizeof(rec), "[%02u:%011" PRIu64 "]", w->id, (uint64_t)(rnd(w) % 100000000000ull));
    cache_item *it;
    if (cache_alloc(t, key, strlen(key), 0, 0, STRESS_RECORD, &it) != CACHE_OK)
        return;
    cache_item_write(it, 0, rec, STRESS_RECORD);
    cache_status st = cache_store(t, it, CACHE_APPEND, 0, NULL);
    if (st == CACHE_NOT_STORED)
        st = cache_store(t, it, CACHE_ADD, 0, NULL);
    cache_release(t, it);
    it = cache_get(t, key, strlen(key));
    if (it == NULL)
        return;
    char *v = test_value_of(it);
    size_t n = cache_item_nbytes(it);
    bool ok = n % STRESS_RECORD == 0;
    for (size_t i = 0; ok && i < n; i += STRESS_RECORD)
        ok = v[i] == '[' && v[i + 3] == ':' && v[i + STRESS_RECORD - 1] == ']';
    if (!ok)
        fail("bad appended value", key);
    if (n > 2000)
        cache_delete(t, key, strlen(key), 0);
    free(v);
    cache_release(t, it);
}

static void one_op(cache_thread *t, worker *w)
{
    unsigned k = (unsigned)(rnd(w) % STRESS_KEYS), op = (unsigned)(rnd(w) % 100);
    char key[32];
    key_name(key, sizeof(key), "key:", k);
    if (op < 40)
        op_get(t, w, k, key, false);
    else if (op < 42)
        op_get(t, w, k, key, true);
    else if (op < 62)
        put(t, w, k, key, CACHE_SET, 0, (int64_t)(rnd(w) % 4) * 2);
    else if (op < 67)
        put(t, w, k, key, CACHE_ADD, 0, 0);
    else if (op < 72)
        put(t, w, k, key, CACHE_REPLACE, 0, 0);
    else if (op < 78)
        op_cas(t, w, k, key);
    else if (op < 84)
        cache_delete(t, key, strlen(key), 0);
    else if (op < 88)
        cache_touch(t, key, strlen(key), (int64_t)(rnd(w) % 5));
    else if (op < 92) {
        cache_item *it = cache_get_touch(t, key, strlen(key), 100);
        if (it != NULL) {
            check_value(it, k, key);
            cache_release(t, it);
        }
    } else
        op_append(t, w, k);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    cache_thread *t = cache_thread_create(c);
    for (int i = 0; i < STRESS_OPS; i++)
        one_op(t, w);
    cache_thread_destroy(t);
    return NULL;
}

static void *clock_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_clock)) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        test_advance(1);
    }
    return NULL;
}

static _Atomic int workers_done;
static _Atomic unsigned long pages_moved_by_chaos;

static bool walk_check(void *arg, const cache_item_meta *m)
{
    (void)arg;
    bool ok = m->nkey >= 4 && m->nkey <= 16 &&
              (memcmp(m->key, "key:", 4) == 0 || memcmp(m->key, "app:", 4) == 0 ||
               memcmp(m->key, "fill", 4) == 0);
    if (!ok)
        fail("walk saw a bad key", "?");
    return true;
}

static void *chaos_main(void *arg)
{
    worker *w = arg;
    while (!atomic_load(&workers_done)) {
        unsigned n = c->arena->nclasses;
        unsigned dst = 1 + (unsigned)(rnd(w) % n), src = 1 + (unsigned)(rnd(w) % n);
        if (rnd(w) % 2 == 0)
            src = 0; /* the class with the most free chunks */
        if (src != dst && rebalance_move(c, src, dst) == REBALANCE_OK)
            atomic_fetch_add(&pages_moved_by_chaos, 1);
        cache_walk(c, 0, walk_check, NULL);
        cache_stats s;
        cache_stats_read(c, &s);
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void phase_mixed(void)
{
    cache_options o = test_options(24 << 20);
    o.hashpower = 10;
    o.lru_maintainer = true;
    o.lru_crawler = true;
    o.lru_crawler_sleep = 0;
    o.slab_reassign = true;
    o.slab_automove = 2;
    o.item_size_max = 2 << 20;
    c = cache_create(&o, NULL);
    CHECK(c != NULL);
    pthread_t tids[STRESS_THREADS], clock_tid, chaos_tid;
    worker ws[STRESS_THREADS], chaos = {99, 12345, 0};
    cache_thread *t = cache_thread_create(c);
    char key[32];
    for (unsigned i = 0; i < 4000; i++) { /* past the tiny table's load limit */
        key_name(key, sizeof(key), "fill:", i);
        test_set(t, key, "x");
    }
    cache_thread_destroy(t);
    pthread_create(&clock_tid, NULL, clock_main, NULL);
    pthread_create(&chaos_tid, NULL, chaos_main, &chaos);
    for (unsigned i = 0; i < STRESS_THREADS; i++) {
        ws[i] = (worker){i, 0x9e3779b97f4a7c15ull * (i + 1), 0};
        pthread_create(&tids[i], NULL, worker_main, &ws[i]);
    }
    unsigned long reads = 0;
    for (unsigned i = 0; i < STRESS_THREADS; i++) {
        pthread_join(tids[i], NULL);
        reads += ws[i].ok_reads;
    }
    atomic_store(&stop_clock, 1);
    atomic_store(&workers_done, 1);
    pthread_join(clock_tid, NULL);
    pthread_join(chaos_tid, NULL);
    CHECK_EQ_U64(atomic_load(&failures), 0);
    CHECK(reads > STRESS_OPS / 4); /* plenty of verified hits */
    cache_stats s;
    cache_stats_read(c, &s);
    CHECK(s.evictions > 0);       /* memory really was short */
    CHECK(s.hash_power_level > 10); /* the table grew meanwhile */
    CHECK(atomic_load(&pages_moved_by_chaos) > 0);
    printf("stress: %lu verified reads, %" PRIu64 " evictions, %" PRIu64 " items, "
           "%" PRIu64 " pages moved (%" PRIu64 " rescues, %" PRIu64 " evictions)\n", reads,
           s.evictions, s.curr_items, s.slabs_moved, s.slab_reassign_rescues,
           s.slab_reassign_evictions);
    cache_destroy(c);
}

static void *incr_main(void *arg)
{
    cache_thread *t = cache_thread_create(c);
    (void)arg;
    for (int i = 0; i < STRESS_INCRS; i++) {
        uint64_t v;
        if (cache_delta(t, "ctr", 3, true, 1, &v, NULL) != CACHE_OK)
            fail("incr failed", "ctr");
        for (;;) { /* gets + cas loop on another counter */
            cache_item *it = cache_get(t, "cas", 3);
            char buf[32] = {0};
            memcpy(buf, cache_item_span(it, 0).data, cache_item_nbytes(it));
            uint64_t cas = cache_item_cas(it);
            cache_release(t, it);
            char next[32];
            snprintf(next, sizeof(next), "%llu", strtoull(buf, NULL, 10) + 1);
            if (test_store(t, "cas", next, 0, 0, CACHE_CAS, cas, NULL) == CACHE_OK)
                break;
        }
    }
    cache_thread_destroy(t);
    return NULL;
}

static void phase_counters(void)
{
    cache_options o = test_options(8 << 20);
    o.lru_maintainer = true;
    c = cache_create(&o, NULL);
    cache_thread *t = cache_thread_create(c);
    test_set(t, "ctr", "0");
    test_set(t, "cas", "0");
    pthread_t tids[STRESS_THREADS];
    for (unsigned i = 0; i < STRESS_THREADS; i++)
        pthread_create(&tids[i], NULL, incr_main, NULL);
    for (unsigned i = 0; i < STRESS_THREADS; i++)
        pthread_join(tids[i], NULL);
    char want[32];
    snprintf(want, sizeof(want), "%d", STRESS_THREADS * STRESS_INCRS);
    CHECK(test_is(t, "ctr", want));
    CHECK(test_is(t, "cas", want));
    CHECK_EQ_U64(atomic_load(&failures), 0);
    cache_thread_destroy(t);
    cache_destroy(c);
}

int main(void)
{
    phase_mixed();
    phase_counters();
    return check_done("test_stress");
}
