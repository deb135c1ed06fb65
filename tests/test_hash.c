/*
 * tests/test_hash.c -- unit tests of slab/hash: the striped, growing table.
 *
 * Items live in a fake arena (an array of small structs holding a chain link
 * and a key); refs are array index + 1. The last test grows a table from
 * 2^10 to at least 2^16 buckets while eight threads insert, find, remove
 * and replace overlapping keys and a ninth thread runs the expander.
 */
#include "slab/hash.h"
#include "tests/check.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the fake item arena ------------------------------------------------ */

typedef struct fake_item {
    hash_ref next;
    uint32_t nkey;
    char key[24];
} fake_item;

typedef struct fake_arena {
    fake_item *items;
    size_t capacity;
    size_t used; /* single-threaded tests only */
} fake_arena;

static fake_item *fake_get(fake_arena *a, hash_ref ref)
{
    return &a->items[ref - 1];
}

static hash_ref *fake_next(void *ctx, hash_ref ref)
{
    return &fake_get(ctx, ref)->next;
}

static bool fake_key_equals(void *ctx, hash_ref ref, const char *key, size_t nkey)
{
    fake_item *it = fake_get(ctx, ref);
    return it->nkey == nkey && memcmp(it->key, key, nkey) == 0;
}

static const char *fake_key(void *ctx, hash_ref ref, size_t *nkey)
{
    fake_item *it = fake_get(ctx, ref);
    *nkey = it->nkey;
    return it->key;
}

static void fake_arena_init(fake_arena *a, size_t capacity, hash_item_ops *ops)
{
    a->items = calloc(capacity, sizeof(fake_item));
    a->capacity = capacity;
    a->used = 0;
    ops->next = fake_next;
    ops->key_equals = fake_key_equals;
    ops->key = fake_key;
    ops->ctx = a;
}

static void fake_set_key(fake_arena *a, hash_ref ref, const char *key)
{
    fake_item *it = fake_get(a, ref);
    it->nkey = (uint32_t)strlen(key);
    memcpy(it->key, key, it->nkey);
    it->next = 0xdeadbeef; /* the table must overwrite it on insert */
}

/* A fresh item with this key (single-threaded tests). */
static hash_ref fake_new(fake_arena *a, const char *key)
{
    if (a->used >= a->capacity)
        return 0;
    hash_ref ref = (hash_ref)++a->used;
    fake_set_key(a, ref, key);
    return ref;
}

static void key_name(char *buf, size_t size, unsigned id)
{
    snprintf(buf, size, "key:%u", id);
}

/* ---- locked wrappers for the single-threaded tests ---------------------- */

static hash_ref find_key(hash_table *h, const char *key)
{
    uint64_t hv = hash_key(key, strlen(key));
    hash_lock(h, hv);
    hash_ref ref = hash_find_locked(h, hv, key, strlen(key));
    hash_unlock(h, hv);
    return ref;
}

static hash_ref insert_key(hash_table *h, fake_arena *a, const char *key)
{
    hash_ref ref = fake_new(a, key);
    uint64_t hv = hash_key(key, strlen(key));
    hash_lock(h, hv);
    hash_insert_locked(h, hv, ref);
    hash_unlock(h, hv);
    return ref;
}

static bool remove_ref(hash_table *h, fake_arena *a, hash_ref ref)
{
    fake_item *it = fake_get(a, ref);
    uint64_t hv = hash_key(it->key, it->nkey);
    hash_lock(h, hv);
    bool removed = hash_remove_locked(h, hv, ref);
    hash_unlock(h, hv);
    return removed;
}

static uint64_t items_of(hash_table *h)
{
    hash_stats st;
    hash_stats_read(h, &st);
    return st.items;
}

/* ---- tests -------------------------------------------------------------- */

static void test_bad_arguments(void)
{
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 4, &ops);
    CHECK(hash_create(9, 64, &ops) == NULL);
    CHECK(hash_create(33, 64, &ops) == NULL);
    CHECK(hash_create(10, 0, &ops) == NULL);
    CHECK(hash_create(10, 64, NULL) == NULL);
    hash_item_ops partial = ops;
    partial.key = NULL;
    CHECK(hash_create(10, 64, &partial) == NULL);
    partial = ops;
    partial.next = NULL;
    CHECK(hash_create(10, 64, &partial) == NULL);

    CHECK(hash_find_locked(NULL, 1, "a", 1) == 0);
    CHECK(!hash_remove_locked(NULL, 1, 1));
    hash_insert_locked(NULL, 1, 1);
    hash_replace_locked(NULL, 1, 1, 2);
    hash_lock(NULL, 1);
    hash_unlock(NULL, 1);
    CHECK(!hash_trylock(NULL, 1));
    CHECK(!hash_wants_growth(NULL));
    CHECK(!hash_expand_step(NULL));
    hash_stats st = {.power = 7, .items = 7};
    hash_stats_read(NULL, &st);
    CHECK(st.power == 0 && st.items == 0 && st.bytes == 0 && !st.expanding);
    hash_stats_read(NULL, NULL);
    hash_destroy(NULL);

    /* Stripe counts are clamped, not refused. */
    hash_table *h = hash_create(10, 1u << 20, &ops);
    CHECK(h != NULL);
    hash_destroy(h);
    h = hash_create(10, 3, &ops);
    CHECK(h != NULL);
    /* A NULL key with a length, ref 0: nothing happens. */
    uint64_t hv = hash_key("a", 1);
    hash_lock(h, hv);
    CHECK(hash_find_locked(h, hv, NULL, 3) == 0);
    hash_insert_locked(h, hv, 0);
    CHECK(!hash_remove_locked(h, hv, 0));
    hash_unlock(h, hv);
    CHECK_EQ_U64(items_of(h), 0);
    hash_destroy(h);
    free(a.items);
}

static void test_hash_key(void)
{
    /* XXH3_64bits reference value for empty input, seed 0. */
    CHECK_EQ_U64(hash_key("", 0), 0x2D06800538D394C2ull);
    CHECK_EQ_U64(hash_key(NULL, 0), 0x2D06800538D394C2ull);
    CHECK_EQ_U64(hash_key(NULL, 5), 0x2D06800538D394C2ull);
    /* Pinned so a change of hash function or seed is noticed. */
    CHECK_EQ_U64(hash_key("cashew", 6), 0x67dca9de77c3e32cull);
    char copy[] = "xcashewx";
    CHECK_EQ_U64(hash_key(copy + 1, 6), hash_key("cashew", 6));
    CHECK(hash_key("cashew", 5) != hash_key("cashew", 6));
    CHECK(hash_key("abc", 3) != hash_key("abd", 3));
    /* Low bits spread: 4096 keys over 1024 buckets touch most buckets. */
    static unsigned char used[1024];
    unsigned distinct = 0;
    for (unsigned i = 0; i < 4096; i++) {
        char k[32];
        key_name(k, sizeof(k), i);
        unsigned b = hash_key(k, strlen(k)) & 1023;
        distinct += !used[b];
        used[b] = 1;
    }
    CHECK(distinct > 950);
}

static void test_basic(void)
{
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 1000, &ops);
    hash_table *h = hash_create(10, 8192, &ops);
    CHECK(h != NULL);
    hash_stats st;
    hash_stats_read(h, &st);
    CHECK_EQ_U64(st.power, 10);
    CHECK_EQ_U64(st.bytes, 4096);
    CHECK(!st.expanding);

    hash_ref refs[200];
    char k[32];
    for (unsigned i = 0; i < 200; i++) {
        key_name(k, sizeof(k), i);
        refs[i] = insert_key(h, &a, k);
    }
    CHECK_EQ_U64(items_of(h), 200);
    unsigned found = 0;
    for (unsigned i = 0; i < 200; i++) {
        key_name(k, sizeof(k), i);
        found += find_key(h, k) == refs[i];
    }
    CHECK_EQ_U64(found, 200);
    CHECK(find_key(h, "key:200") == 0);
    CHECK(find_key(h, "key:1x") == 0);
    CHECK(find_key(h, "") == 0);

    CHECK(remove_ref(h, &a, refs[7]));
    CHECK(!remove_ref(h, &a, refs[7]));
    CHECK(find_key(h, "key:7") == 0);
    CHECK_EQ_U64(fake_get(&a, refs[7])->next, 0);
    CHECK_EQ_U64(items_of(h), 199);

    /* Replace: the new item takes the old one's place. */
    hash_ref fresh = fake_new(&a, "key:8");
    uint64_t hv = hash_key("key:8", 5);
    hash_lock(h, hv);
    hash_replace_locked(h, hv, refs[8], fresh);
    hash_unlock(h, hv);
    CHECK(find_key(h, "key:8") == fresh);
    CHECK_EQ_U64(fake_get(&a, refs[8])->next, 0);
    CHECK_EQ_U64(items_of(h), 199);
    CHECK(!remove_ref(h, &a, refs[8]));
    /* Replacing an absent ref does nothing. */
    hash_ref other = fake_new(&a, "key:8");
    hash_lock(h, hv);
    hash_replace_locked(h, hv, refs[8], other);
    hash_unlock(h, hv);
    CHECK(find_key(h, "key:8") == fresh);
    CHECK(!hash_wants_growth(h));
    CHECK(!hash_expand_step(h));

    CHECK(hash_trylock(h, hv));
    hash_unlock(h, hv);
    hash_destroy(h);
    free(a.items);
}

/* Collects `want` keys that all fall into bucket 5 of a 2^10 table. */
static unsigned colliding_keys(char keys[][24], unsigned want)
{
    unsigned n = 0;
    for (unsigned i = 0; n < want && i < 10000000; i++) {
        char k[24];
        snprintf(k, sizeof(k), "c%u", i);
        if ((hash_key(k, strlen(k)) & 1023) == 5)
            memcpy(keys[n++], k, sizeof(k));
    }
    return n;
}

static void test_collisions(void)
{
    enum { N = 64 };
    static char keys[N][24];
    CHECK_EQ_U64(colliding_keys(keys, N), N);
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 200, &ops);
    hash_table *h = hash_create(10, 8192, &ops);
    hash_ref refs[N];
    for (unsigned i = 0; i < N; i++)
        refs[i] = insert_key(h, &a, keys[i]);
    unsigned found = 0;
    for (unsigned i = 0; i < N; i++)
        found += find_key(h, keys[i]) == refs[i];
    CHECK_EQ_U64(found, N);

    /* Head (newest), tail (oldest) and a middle link. */
    CHECK(remove_ref(h, &a, refs[N - 1]));
    CHECK(remove_ref(h, &a, refs[0]));
    CHECK(remove_ref(h, &a, refs[N / 2]));
    hash_ref fresh = fake_new(&a, keys[N / 3]);
    uint64_t hv = hash_key(keys[N / 3], strlen(keys[N / 3]));
    hash_lock(h, hv);
    hash_replace_locked(h, hv, refs[N / 3], fresh);
    hash_unlock(h, hv);
    CHECK(fake_get(&a, fresh)->next != 0);        /* took over the link */
    CHECK_EQ_U64(fake_get(&a, refs[N / 3])->next, 0); /* old one detached */
    refs[N / 3] = fresh;
    found = 0;
    for (unsigned i = 0; i < N; i++) {
        bool gone = i == 0 || i == N - 1 || i == N / 2;
        found += find_key(h, keys[i]) == (gone ? 0 : refs[i]);
    }
    CHECK_EQ_U64(found, N);
    CHECK_EQ_U64(items_of(h), N - 3);
    hash_destroy(h);
    free(a.items);
}

/* Every key 0..n-1 maps to refs[i] (0 = must be absent). */
static unsigned count_matching(hash_table *h, const hash_ref *refs, unsigned n)
{
    unsigned ok = 0;
    char k[32];
    for (unsigned i = 0; i < n; i++) {
        key_name(k, sizeof(k), i);
        ok += find_key(h, k) == refs[i];
    }
    return ok;
}

static void test_growth_single_thread(void)
{
    enum { N = 2500 };
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 2 * N, &ops);
    hash_table *h = hash_create(10, 8192, &ops);
    static hash_ref refs[N];
    char k[32];
    for (unsigned i = 0; i < N; i++) {
        key_name(k, sizeof(k), i);
        refs[i] = insert_key(h, &a, k);
        CHECK(hash_wants_growth(h) == (i + 1 > 2048));
    }
    CHECK(hash_expand_step(h)); /* starts growth */
    hash_stats st;
    hash_stats_read(h, &st);
    CHECK(st.expanding);
    CHECK_EQ_U64(st.power, 11);
    CHECK_EQ_U64(st.bytes, 4096 + 8192);
    CHECK(!hash_wants_growth(h));

    unsigned steps = 0;
    while (hash_expand_step(h)) {
        steps++;
        if (steps % 256 == 0) {
            /* Halfway states: every key still found, changes still land. */
            CHECK_EQ_U64(count_matching(h, refs, N), N);
            unsigned victim = steps;
            CHECK(remove_ref(h, &a, refs[victim]));
            refs[victim] = 0;
            key_name(k, sizeof(k), victim + 1);
            hash_ref fresh = fake_new(&a, k);
            uint64_t hv = hash_key(k, strlen(k));
            hash_lock(h, hv);
            hash_replace_locked(h, hv, refs[victim + 1], fresh);
            hash_unlock(h, hv);
            refs[victim + 1] = fresh;
        }
    }
    CHECK_EQ_U64(steps + 1, 1024); /* the last move returns false */
    hash_stats_read(h, &st);
    CHECK(!st.expanding);
    CHECK_EQ_U64(st.power, 11);
    CHECK_EQ_U64(st.bytes, 8192);
    CHECK_EQ_U64(st.items, N - 3);
    CHECK_EQ_U64(count_matching(h, refs, N), N);
    CHECK(!hash_expand_step(h));
    hash_destroy(h);
    free(a.items);
}

/* ---- the debug contract: misuse aborts in a child process -------------- */

typedef void (*misuse_fn)(hash_table *h);

static void misuse_find_unlocked(hash_table *h)
{
    hash_find_locked(h, 1, "a", 1);
}

static void misuse_wrong_stripe(hash_table *h)
{
    hash_lock(h, 1);
    hash_find_locked(h, 2, "a", 1);
}

static void misuse_two_stripes(hash_table *h)
{
    hash_lock(h, 1);
    hash_lock(h, 2);
}

static void misuse_unlock_unheld(hash_table *h)
{
    hash_unlock(h, 3);
}

static bool aborts_in_child(hash_table *h, misuse_fn fn)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(2);
        fn(h);
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_lock_contract(void)
{
#ifdef CASHEW_DEBUG
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 4, &ops);
    hash_table *h = hash_create(10, 64, &ops);
    CHECK(aborts_in_child(h, misuse_find_unlocked));
    CHECK(aborts_in_child(h, misuse_wrong_stripe));
    CHECK(aborts_in_child(h, misuse_two_stripes));
    CHECK(aborts_in_child(h, misuse_unlock_unheld));
    /* Same stripe, other hv (1 and 65 share stripe 1 of 64): allowed. */
    hash_lock(h, 1);
    CHECK(hash_find_locked(h, 65, "a", 1) == 0);
    hash_unlock(h, 65);
    hash_destroy(h);
    free(a.items);
#endif
}

/* ---- hash_mutex and hash_chain_locked ----------------------------------- */

enum { MX_THREADS = 4, MX_ROUNDS = 100000 };

typedef struct mx_shared {
    hash_mutex m;
    uint64_t counter; /* plain: only the mutex orders the increments */
} mx_shared;

static void *mx_worker(void *arg)
{
    mx_shared *s = arg;
    for (unsigned i = 0; i < MX_ROUNDS; i++) {
        if (i % 2 == 0) {
            hash_mutex_lock(&s->m);
        } else {
            while (!hash_mutex_trylock(&s->m))
                ;
        }
        uint64_t v = s->counter;
        if (i % 1024 == 0)
            sched_yield(); /* sleepers: exercises the futex wait and wake */
        s->counter = v + 1;
        hash_mutex_unlock(&s->m);
    }
    return NULL;
}

/* Mutual exclusion (no lost increment) and trylock on a held mutex. */
static void test_mutex(void)
{
    mx_shared s = {.counter = 0};
    atomic_init(&s.m.word, 0);
    CHECK(hash_mutex_trylock(&s.m));
    CHECK(!hash_mutex_trylock(&s.m));
    hash_mutex_unlock(&s.m);
    pthread_t th[MX_THREADS];
    for (int i = 0; i < MX_THREADS; i++)
        pthread_create(&th[i], NULL, mx_worker, &s);
    for (int i = 0; i < MX_THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_U64(s.counter, (uint64_t)MX_THREADS * MX_ROUNDS);
    CHECK_EQ_U64(atomic_load(&s.m.word), 0);
}

/* The chain seen through hash_chain_locked, and an in-place swap through it. */
static void test_chain_slot(void)
{
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 8, &ops);
    hash_table *h = hash_create(10, 64, &ops);
    CHECK(hash_chain_locked(NULL, 1) == NULL);
    hash_ref r1 = insert_key(h, &a, "alpha");
    uint64_t hv = hash_key("alpha", 5);
    hash_lock(h, hv);
    hash_ref *slot = hash_chain_locked(h, hv);
    hash_ref seen = 0;
    for (hash_ref ref = *slot; ref != 0; ref = *fake_next(&a, ref))
        seen |= ref == r1;
    CHECK(seen);
    hash_ref r2 = fake_new(&a, "alpha"); /* the replacement, same key */
    hash_ref *link = slot;
    while (*link != r1)
        link = fake_next(&a, *link);
    *fake_next(&a, r2) = *fake_next(&a, r1);
    *link = r2;
    *fake_next(&a, r1) = 0;
    CHECK_EQ_U64(hash_find_locked(h, hv, "alpha", 5), r2);
    hash_unlock(h, hv);
    CHECK_EQ_U64(items_of(h), 1);
    hash_destroy(h);
    free(a.items);
}

/* hash_chain_peek: the chain's first ref, 0 when empty or when the stripe is taken. */
typedef struct peek_holder {
    hash_table *h;
    uint64_t hv;
    atomic_int stage; /* 1: holds the stripe; 2: may let go */
} peek_holder;

static void *peek_holder_main(void *arg)
{
    peek_holder *ph = arg;
    hash_lock(ph->h, ph->hv);
    atomic_store(&ph->stage, 1);
    while (atomic_load(&ph->stage) != 2)
        sched_yield();
    hash_unlock(ph->h, ph->hv);
    return NULL;
}

static void test_chain_peek(void)
{
    fake_arena a;
    hash_item_ops ops;
    fake_arena_init(&a, 8, &ops);
    hash_table *h = hash_create(10, 64, &ops);
    uint64_t hv = hash_key("peek", 4);
    CHECK(hash_chain_peek(NULL, hv) == 0);
    CHECK(hash_chain_peek(h, hv) == 0);
    hash_ref r = insert_key(h, &a, "peek");
    CHECK_EQ_U64(hash_chain_peek(h, hv), r);
    peek_holder ph = { .h = h, .hv = hv };
    atomic_init(&ph.stage, 0);
    pthread_t t;
    pthread_create(&t, NULL, peek_holder_main, &ph);
    while (atomic_load(&ph.stage) != 1)
        sched_yield();
    CHECK(hash_chain_peek(h, hv) == 0); /* taken: no wait, no answer */
    atomic_store(&ph.stage, 2);
    pthread_join(t, NULL);
    CHECK_EQ_U64(hash_chain_peek(h, hv), r);
    CHECK_EQ_U64(find_key(h, "peek"), r);
    hash_destroy(h);
    free(a.items);
}

/* ---- concurrent growth -------------------------------------------------- */

enum {
    CG_WORKERS = 8,
    CG_KEYS = 94000,           /* about 89% present at steady state */
    CG_MIN_OPS = 20000,        /* per worker, before it may stop */
    CG_ARENA = 500000,         /* items: live ones + each worker's free list */
    CG_FREE_MAX = 1 << 17,     /* a worker's free list (beyond: not reused) */
    CG_TIME_LIMIT_S = 40,      /* a bound, never a hang */
    CG_TARGET_POWER = 16
};

typedef struct cg_shared {
    hash_table *h;
    fake_arena arena;
    atomic_uint arena_used;    /* fresh items handed out */
    uint64_t hv[CG_KEYS];      /* read-only after setup */
    hash_ref expected[CG_KEYS]; /* guarded by the key's stripe lock */
    atomic_bool grown;         /* the expander reached the target power */
    atomic_bool stop_expander;
    atomic_uint growths;       /* growths finished while workers ran */
    struct timespec start;
} cg_shared;

/*
 * A worker reuses the items it unlinked: once unlinked under the stripe
 * lock no other thread can reach them, as in the real slab allocator.
 */
typedef struct cg_worker {
    cg_shared *s;
    unsigned id;
    uint64_t rng;
    hash_ref *free_refs;
    unsigned nfree;
    bool out_of_items;
    unsigned long ops, mismatches, inserts, removes, replaces;
    unsigned long ops_while_expanding; /* sampled every 16th op */
} cg_worker;

static uint64_t cg_random(cg_worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static hash_ref cg_new_item(cg_worker *w, unsigned key)
{
    hash_ref ref;
    if (w->nfree > 0) {
        ref = w->free_refs[--w->nfree];
    } else {
        unsigned used = atomic_fetch_add(&w->s->arena_used, 1);
        if (used >= CG_ARENA) {
            w->out_of_items = true;
            return 0;
        }
        ref = used + 1;
    }
    char k[24];
    key_name(k, sizeof(k), key);
    fake_set_key(&w->s->arena, ref, k);
    return ref;
}

static void cg_free_item(cg_worker *w, hash_ref ref)
{
    if (w->nfree < CG_FREE_MAX)
        w->free_refs[w->nfree++] = ref;
}

/* One operation on one key, all under its stripe lock. */
static void cg_one_op(cg_worker *w, unsigned key, unsigned dice)
{
    cg_shared *s = w->s;
    uint64_t hv = s->hv[key];
    char k[24];
    key_name(k, sizeof(k), key);
    /* Always a fresh item ready: allocation happens outside the lock. */
    hash_ref fresh = cg_new_item(w, key);
    if (fresh == 0)
        return;
    hash_lock(s->h, hv);
    hash_ref found = hash_find_locked(s->h, hv, k, strlen(k));
    w->mismatches += found != s->expected[key];
    hash_ref unused = 0, unlinked = 0;
    if (found == 0) {
        hash_insert_locked(s->h, hv, fresh);
        s->expected[key] = fresh;
        w->inserts++;
    } else if ((dice & 7) == 0) {
        w->mismatches += !hash_remove_locked(s->h, hv, found);
        s->expected[key] = 0;
        w->removes++;
        unlinked = found;
        unused = fresh;
    } else if ((dice & 7) < 3) {
        hash_replace_locked(s->h, hv, found, fresh);
        s->expected[key] = fresh;
        w->replaces++;
        unlinked = found;
    } else {
        unused = fresh;
    }
    hash_unlock(s->h, hv);
    if (unlinked != 0)
        cg_free_item(w, unlinked);
    if (unused != 0)
        cg_free_item(w, unused);
}

static bool cg_time_left(const cg_shared *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec - s->start.tv_sec < CG_TIME_LIMIT_S;
}

static void *cg_worker_main(void *arg)
{
    cg_worker *w = arg;
    while (!w->out_of_items && (w->ops & 1023 || cg_time_left(w->s)) &&
           (w->ops < CG_MIN_OPS || !atomic_load(&w->s->grown))) {
        uint64_t r = cg_random(w);
        if (w->ops % 16 == 0) {
            hash_stats st;
            hash_stats_read(w->s->h, &st);
            w->ops_while_expanding += st.expanding;
        }
        cg_one_op(w, (unsigned)(r % CG_KEYS), (unsigned)(r >> 40));
        if (w->ops % 4 == 0) /* peeks race growth's unmapping of old arrays */
            (void)hash_chain_peek(w->s->h, w->s->hv[(r >> 20) % CG_KEYS]);
        w->ops++;
    }
    return NULL;
}

static void *cg_expander_main(void *arg)
{
    cg_shared *s = arg;
    unsigned last_power = 10;
    while (!atomic_load(&s->stop_expander)) {
        if (!hash_expand_step(s->h))
            usleep(200);
        hash_stats st;
        hash_stats_read(s->h, &st);
        if (!st.expanding && st.power > last_power) {
            atomic_fetch_add(&s->growths, st.power - last_power);
            last_power = st.power;
        }
        if (!st.expanding && st.power >= CG_TARGET_POWER)
            atomic_store(&s->grown, true);
    }
    return NULL;
}

/* After the threads: each expected key is found, once; nothing else is. */
static void cg_verify(cg_shared *s)
{
    unsigned long present = 0, found_ok = 0, unique = 0;
    for (unsigned i = 0; i < CG_KEYS; i++)
        present += s->expected[i] != 0;
    CHECK_EQ_U64(items_of(s->h), present);
    char k[24];
    for (unsigned i = 0; i < CG_KEYS; i++) {
        key_name(k, sizeof(k), i);
        uint64_t hv = s->hv[i];
        hash_lock(s->h, hv);
        hash_ref ref = hash_find_locked(s->h, hv, k, strlen(k));
        found_ok += ref == s->expected[i];
        if (ref != 0)
            hash_remove_locked(s->h, hv, ref);
        unique += hash_find_locked(s->h, hv, k, strlen(k)) == 0;
        hash_unlock(s->h, hv);
    }
    CHECK_EQ_U64(found_ok, CG_KEYS);
    CHECK_EQ_U64(unique, CG_KEYS);
    CHECK_EQ_U64(items_of(s->h), 0);
}

static void test_concurrent_growth(void)
{
    cg_shared *s = calloc(1, sizeof(*s));
    hash_item_ops ops;
    fake_arena_init(&s->arena, CG_ARENA, &ops);
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    s->h = hash_create(10, 8192, &ops);
    char k[24];
    for (unsigned i = 0; i < CG_KEYS; i++) {
        key_name(k, sizeof(k), i);
        s->hv[i] = hash_key(k, strlen(k));
    }
    cg_worker workers[CG_WORKERS];
    pthread_t threads[CG_WORKERS], expander;
    pthread_create(&expander, NULL, cg_expander_main, s);
    for (unsigned i = 0; i < CG_WORKERS; i++) {
        workers[i] = (cg_worker){.s = s, .id = i, .rng = 0x9e3779b97f4a7c15ull * (i + 1),
                                 .free_refs = malloc(CG_FREE_MAX * sizeof(hash_ref))};
        pthread_create(&threads[i], NULL, cg_worker_main, &workers[i]);
    }
    unsigned long mismatches = 0, inserts = 0, removes = 0, replaces = 0;
    unsigned long while_expanding = 0, out_of_items = 0;
    for (unsigned i = 0; i < CG_WORKERS; i++) {
        pthread_join(threads[i], NULL);
        mismatches += workers[i].mismatches;
        inserts += workers[i].inserts;
        removes += workers[i].removes;
        replaces += workers[i].replaces;
        while_expanding += workers[i].ops_while_expanding;
        out_of_items += workers[i].out_of_items;
        free(workers[i].free_refs);
    }
    unsigned growths = atomic_load(&s->growths);
    atomic_store(&s->stop_expander, true);
    pthread_join(expander, NULL);
    while (hash_expand_step(s->h))
        ;
    CHECK_EQ_U64(mismatches, 0);
    CHECK_EQ_U64(out_of_items, 0);
    CHECK(growths >= CG_TARGET_POWER - 10);
    CHECK(removes > 1000 && replaces > 1000);
    CHECK(while_expanding > 0);
    hash_stats st;
    hash_stats_read(s->h, &st);
    CHECK(st.power >= CG_TARGET_POWER);
    CHECK(!st.expanding);
    CHECK_EQ_U64(st.items, inserts - removes);
    cg_verify(s);
    hash_destroy(s->h);
    free(s->arena.items);
    free(s);
}

int main(void)
{
    test_lock_contract(); /* forks: run before any thread exists */
    test_bad_arguments();
    test_hash_key();
    test_basic();
    test_collisions();
    test_chain_slot();
    test_chain_peek();
    test_growth_single_thread();
    test_mutex();
    test_concurrent_growth();
    return check_done("test_hash");
}
