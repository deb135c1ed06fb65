/*
 * slab/cache.c -- the engine's public face (cache.h): setup, threads,
 * lookups and every store mode. This is the only file that orders locks:
 * an operation takes its key's stripe lock, then (inside engine/lru calls)
 * the LRU lock of a class, then a slab class lock. Operations that need a
 * new item (append, incr/decr, touch of an item without an exptime slot)
 * allocate it with no lock held, then re-take the stripe lock and swap it
 * in only if the old item is still the live one (else they start over).
 */
#include "slab/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab/cache_internal.h"
#include "slab/crawler.h"
#include "slab/engine.h"
#include "slab/lru.h"
#include "slab/rebalance.h"

#define CACHE_HASH_STRIPES 8192
#define CACHE_HASHPOWER_DEFAULT 16
#define CACHE_PREFETCH_MAX 512 /* bytes of a matched item cache_prefetch_item loads */

/* ---- options ------------------------------------------------------------- */

void cache_options_default(cache_options *o)
{
    memset(o, 0, sizeof(*o));
    o->memory_limit = (size_t)64 << 20;
    o->page_size = (size_t)1 << 20;
    o->item_size_max = (size_t)1 << 20;
    o->chunk_min = 48;
    o->growth_factor = 1.25;
    o->slab_fine_max = 512;
    o->slab_chunk_max = o->page_size / 2;
    o->evict_to_free = true;
    o->use_cas = true;
    o->hashpower = CACHE_HASHPOWER_DEFAULT;
    o->slab_reassign = true;
    o->slab_automove = 1;
    o->lru_maintainer = true;
    o->lru_crawler = true;
    o->lru_crawler_sleep = 100;
    o->lru_crawler_tocrawl = 0;
    o->hot_lru_pct = 20;
    o->warm_lru_pct = 40;
    o->hot_max_factor = 0.2;
    o->warm_max_factor = 2.0;
    o->temporary_ttl = 0;
}

static size_t cache_header_size(const cache_options *o)
{
    return ITEM_HEADER_SIZE + (o->use_cas ? ITEM_CAS_SIZE : 0);
}

/* The largest chunk: slab_chunk_max, at most -I, at least the first class. */
static size_t cache_chunk_max(const cache_options *o)
{
    size_t cm = o->slab_chunk_max ? o->slab_chunk_max : o->page_size / 2;
    if (cm > o->item_size_max)
        cm = o->item_size_max;
    cm &= ~(size_t)(SLAB_ALIGN - 1);
    size_t first = (cache_header_size(o) + o->chunk_min + SLAB_ALIGN - 1) &
                   ~(size_t)(SLAB_ALIGN - 1);
    return cm < first ? first : cm;
}

static void cache_slab_params(const cache_options *o, slab_params *p)
{
    memset(p, 0, sizeof(*p));
    p->memory_limit = o->memory_limit;
    p->page_size = o->page_size;
    p->chunk_min_total = cache_header_size(o) + o->chunk_min;
    p->growth_factor = o->growth_factor;
    p->fine_max = o->slab_fine_max;
    p->sizes = o->slab_sizes;
    p->sizes_count = o->slab_sizes ? o->slab_sizes_count : 0;
    p->chunk_max = cache_chunk_max(o);
}

const char *cache_options_check(const cache_options *o)
{
    if (o == NULL || o->clock == NULL)
        return "a clock is required";
    if (o->item_size_max < 1024 || o->item_size_max > ((size_t)1 << 30))
        return "item size max must be between 1 KB and 1 GB";
    if (o->chunk_min < 1 || o->chunk_min > 1024 * 1024)
        return "chunk size min must be between 1 and 1048576";
    if (o->hashpower != 0 && (o->hashpower < 10 || o->hashpower > 32))
        return "hashpower must be between 10 and 32";
    if (o->slab_automove > 2)
        return "slab_automove must be 0, 1 or 2";
    if (o->hot_lru_pct + o->warm_lru_pct >= 100)
        return "hot_lru_pct + warm_lru_pct must be below 100";
    if (o->hot_max_factor < 0 || o->warm_max_factor < 0)
        return "LRU age factors must not be negative";
    slab_params p;
    cache_slab_params(o, &p);
    return slab_params_check(&p);
}

/* ---- the hash table's view of items -------------------------------------- */

static hash_ref *cache_hash_next(void *ctx, hash_ref ref)
{
    return &engine_item(ctx, ref)->hnext;
}

static bool cache_hash_key_equals(void *ctx, hash_ref ref, const char *key, size_t nkey)
{
    return item_key_equals(engine_item(ctx, ref), key, nkey);
}

static const char *cache_hash_key(void *ctx, hash_ref ref, size_t *nkey)
{
    const item *it = engine_item(ctx, ref);
    *nkey = item_nkey(it);
    return item_key(it);
}

/* ---- the hash expander thread -------------------------------------------- */

static void *cache_expander_main(void *arg)
{
    cache *c = arg;
    while (!engine_bg_sleep(c, &c->expander, 1000000))
        while (hash_expand_step(c->hash))
            if (atomic_load(&c->expander.stop))
                break;
    return NULL;
}

void cache_grow_if_wanted(cache *c)
{
    if (hash_wants_growth(c->hash))
        engine_bg_wake(c, &c->expander);
}

/* ---- create / destroy ---------------------------------------------------- */

static void cache_init_sync(cache *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&c->threads_lock, NULL);
    pthread_mutex_init(&c->bg_lock, NULL);
    pthread_rwlock_init(&c->pages_rw, NULL);
    pthread_mutex_init(&c->rebal.move_lock, NULL);
    pthread_mutex_init(&c->crawler_ctl, NULL);
    engine_bg *bgs[] = {&c->maintainer, &c->expander, &c->crawler, &c->mover};
    for (size_t i = 0; i < 4; i++)
        pthread_cond_init(&bgs[i]->wake, &ca);
    pthread_condattr_destroy(&ca);
    for (unsigned i = 0; i <= SLAB_CLASSES_MAX; i++)
        lru_setup(&c->lrus[i]);
}

static bool cache_copy_options(cache *c, const cache_options *o)
{
    c->opts = *o;
    if (o->slab_sizes != NULL && o->slab_sizes_count > 0) {
        c->slab_sizes = malloc(o->slab_sizes_count * sizeof(uint32_t));
        if (c->slab_sizes == NULL)
            return false;
        memcpy(c->slab_sizes, o->slab_sizes, o->slab_sizes_count * sizeof(uint32_t));
        c->opts.slab_sizes = c->slab_sizes;
    } else {
        c->opts.slab_sizes = NULL;
        c->opts.slab_sizes_count = 0;
    }
    if (c->opts.hashpower == 0)
        c->opts.hashpower = CACHE_HASHPOWER_DEFAULT;
    return true;
}

static void cache_start_threads(cache *c)
{
    lru_maintainer_start(c);
    engine_bg_start(c, &c->expander, cache_expander_main, "cashew-hash");
    crawler_start(c);
    rebalance_start(c);
}

cache *cache_create(const cache_options *opts, const char **why)
{
    const char *bad = cache_options_check(opts);
    cache *c = bad ? NULL : calloc(1, sizeof(*c));
    if (c == NULL) {
        if (why)
            *why = bad ? bad : "out of memory";
        return NULL;
    }
    slab_params p;
    cache_slab_params(opts, &p);
    hash_item_ops ops = {cache_hash_next, cache_hash_key_equals, cache_hash_key, c};
    if (!cache_copy_options(c, opts) || (c->arena = slab_arena_create(&p, why)) == NULL ||
        (c->hash = hash_create(c->opts.hashpower, CACHE_HASH_STRIPES, &ops)) == NULL) {
        if (c->arena != NULL && why)
            *why = "cannot create the hash table";
        slab_arena_destroy(c->arena);
        free(c->slab_sizes);
        free(c);
        return NULL;
    }
    c->chunk_max = c->arena->classes[c->arena->nclasses].size;
    c->chunk_max_class = c->arena->nclasses;
    c->epoch = opts->clock(opts->clock_arg) - 2;
    atomic_store(&c->next_cas, 1);
    cache_init_sync(c);
    cache_start_threads(c);
    return c;
}

void cache_destroy(cache *c)
{
    if (c == NULL)
        return;
    rebalance_stop(c);
    crawler_stop(c);
    engine_bg_stop(c, &c->expander);
    lru_maintainer_stop(c);
    while (c->threads != NULL)
        cache_thread_destroy(c->threads);
    hash_destroy(c->hash);
    slab_arena_destroy(c->arena);
    for (unsigned i = 0; i <= SLAB_CLASSES_MAX; i++)
        lru_teardown(&c->lrus[i]);
    engine_bg *bgs[] = {&c->maintainer, &c->expander, &c->crawler, &c->mover};
    for (size_t i = 0; i < 4; i++)
        pthread_cond_destroy(&bgs[i]->wake);
    pthread_mutex_destroy(&c->threads_lock);
    pthread_mutex_destroy(&c->bg_lock);
    pthread_rwlock_destroy(&c->pages_rw);
    pthread_mutex_destroy(&c->rebal.move_lock);
    pthread_mutex_destroy(&c->crawler_ctl);
    free(c->slab_sizes);
    free(c);
}

/* ---- thread handles ------------------------------------------------------ */

cache_thread *cache_thread_create(cache *c)
{
    cache_thread *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->c = c;
    pthread_mutex_lock(&c->threads_lock);
    t->next = c->threads;
    if (c->threads)
        c->threads->prev = t;
    c->threads = t;
    pthread_mutex_unlock(&c->threads_lock);
    return t;
}

static void cache_counters_add(engine_counters *to, engine_counters *from)
{
    for (size_t i = 0; i < ENGINE_GLOBAL_STAT_COUNT; i++)
        engine_count(&to->global[i], atomic_load(&from->global[i]));
    for (size_t k = 0; k <= SLAB_CLASSES_MAX; k++)
        for (size_t i = 0; i < ENGINE_CLASS_STAT_COUNT; i++)
            engine_count(&to->cls[k][i], atomic_load(&from->cls[k][i]));
}

void cache_thread_destroy(cache_thread *t)
{
    if (t == NULL)
        return;
    cache *c = t->c;
    pthread_mutex_lock(&c->threads_lock);
    cache_counters_add(&c->retired, &t->n);
    if (t->prev)
        t->prev->next = t->next;
    else
        c->threads = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&c->threads_lock);
    free(t);
}

/* ---- lookups ------------------------------------------------------------- */

item *cache_lookup_locked(cache_thread *t, const char *key, size_t nkey,
                          uint64_t hv, uint32_t now, bool is_get)
{
    return cache_lookup_inline_locked(t, key, nkey, hv, now, is_get);
}

/* A hit: FETCHED on the first, ACTIVE after; atime now and then. No LRU lock. */
CACHE_INLINE void cache_bump(cache_thread *t, item *it, uint32_t now)
{
    cache_count_hit(t, it);
    cache_mark_accessed(it, now);
}

/* Looks up and references a live item (stripe lock taken inside). */
item *cache_get_ref(cache_thread *t, const char *key, size_t nkey, uint64_t hv,
                    uint32_t now, bool is_get)
{
    hash_lock(t->c->hash, hv);
    item *it = cache_lookup_inline_locked(t, key, nkey, hv, now, is_get);
    if (it != NULL && !item_ref(it))
        it = NULL;
    if (it != NULL && is_get)
        cache_bump(t, it, now);
    hash_unlock(t->c->hash, hv);
    return it;
}

cache_item *cache_get(cache_thread *t, const char *key, size_t nkey)
{
    if (!cache_key_ok(key, nkey))
        return NULL;
    uint32_t now = engine_now(t->c, NULL);
    return (cache_item *)cache_get_ref(t, key, nkey, hash_key(key, nkey), now, true);
}

void cache_release(cache_thread *t, cache_item *pub)
{
    item *it = (item *)pub;
    if (it != NULL && item_unref(it))
        engine_item_free(t->c, it);
}

/* ---- accessors ----------------------------------------------------------- */

const char *cache_item_key(const cache_item *it) { return item_key((const item *)it); }
size_t cache_item_nkey(const cache_item *it) { return item_nkey((const item *)it); }
uint32_t cache_item_flags(const cache_item *it) { return item_cflags((const item *)it); }
uint64_t cache_item_cas(const cache_item *it) { return item_cas((const item *)it); }
size_t cache_item_nbytes(const cache_item *it) { return item_nbytes((const item *)it); }
size_t cache_item_span_count(const cache_item *it) { return item_span_count((const item *)it); }

cache_span cache_item_span(const cache_item *pub, size_t i)
{
    const item *it = (const item *)pub;
    uint32_t st = item_state(it);
    cache_span s = {NULL, 0};
    if (!(st & ITEM_CHAINED)) { /* the common case: one span after the key */
        if (i == 0) {
            s.data = (const char *)it + ITEM_HEADER_SIZE + item_options_size(st) +
                     (st >> ITEM_NKEY_SHIFT);
            s.len = item_nbytes(it);
        }
        return s;
    }
    if (i < item_span_count(it))
        s.data = item_span(it, i, &s.len);
    return s;
}

/* ---- linking ------------------------------------------------------------- */

uint64_t cache_pick_cas(cache *c, const item *old, cache_cas_rule rule, uint64_t given)
{
    if (!c->opts.use_cas)
        return 0;
    if (rule == CACHE_CAS_GIVEN)
        return given;
    if (rule == CACHE_CAS_KEEP && old != NULL)
        return item_cas(old);
    return atomic_fetch_add(&c->next_cas, 1);
}

/*
 * hash_replace_locked for a live `old` (found under the same stripe hold):
 * `it` takes old's place in the chain, walked inline.
 */
static void cache_chain_replace_locked(cache *c, uint64_t hv, item *old, item *it)
{
    hash_ref old_ref = engine_ref(c, old);
    hash_ref *link = hash_chain_locked(c->hash, hv);
    while (*link != old_ref && *link != 0)
        link = &engine_item(c, *link)->hnext;
    if (*link == 0)
        return;
    it->hnext = old->hnext;
    *link = engine_ref(c, it);
    old->hnext = 0;
}

uint64_t cache_link_locked(cache_thread *t, item *it, item *old, uint64_t hv,
                           uint32_t now, uint64_t cas)
{
    cache *c = t->c;
    item_set_cas(it, cas);
    atomic_store_explicit(&it->atime, now, memory_order_relaxed);
    hash_ref ref = engine_ref(c, it);
    if (old != NULL) {
        cache_chain_replace_locked(c, hv, old, it);
        item_mark_linked(it);
        lru_relink(c, old, it, now); /* one LRU critical section for both */
        if (item_mark_unlinked(old))
            engine_item_free(c, old);
    } else {
        hash_insert_locked(c->hash, hv, ref);
        item_mark_linked(it);
        lru_link(c, it, now);
    }
    engine_count(&t->n.global[ENGINE_TOTAL_ITEMS], 1);
    return cas;
}

bool cache_swap_ex(cache_thread *t, item *old, item *fresh, const cache_swap_how *how,
                   uint64_t *cas_out)
{
    uint64_t hv = engine_item_hv(fresh);
    uint32_t now = engine_now(t->c, NULL);
    hash_lock(t->c->hash, hv);
    item *found = cache_find_locked(t->c, hv, item_key(fresh), item_nkey(fresh));
    bool ok = found == old && engine_item_dead(t->c, old, now) == ENGINE_ALIVE;
    if (ok) {
        if (how->keep_marks)
            item_set_bits(fresh, item_state(old) & (ITEM_MARKS | ITEM_FETCHED));
        uint64_t cas = cache_link_locked(t, fresh, old, hv, now,
                                         cache_pick_cas(t->c, old, how->rule, how->cas));
        if (cas_out)
            *cas_out = cas;
    }
    hash_unlock(t->c->hash, hv);
    return ok;
}

/* Links `fresh` in place of `old` if old is still the live item. */
static bool cache_swap(cache_thread *t, item *old, item *fresh, bool keep_cas,
                       uint64_t *cas_out)
{
    cache_swap_how how = {keep_cas ? CACHE_CAS_KEEP : CACHE_CAS_NEW, 0, keep_cas};
    return cache_swap_ex(t, old, fresh, &how, cas_out);
}

cache_status cache_alloc_like(cache_thread *t, const item *old, uint32_t exptime,
                              size_t nbytes, item **out)
{
    uint32_t now = engine_now(t->c, NULL);
    cache_status st = engine_item_alloc(t->c, item_key(old), item_nkey(old),
                                        item_cflags(old), exptime, nbytes, now, out);
    if (st == CACHE_OK)
        item_set_key_binary(*out, item_key_binary(old));
    return st;
}

void cache_copy_value(item *dst, size_t offset, const item *src)
{
    size_t n = item_span_count(src);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *p = item_span(src, i, &len);
        item_write(dst, offset, p, len);
        offset += len;
    }
}

/* ---- writing ------------------------------------------------------------- */

cache_status cache_alloc(cache_thread *t, const char *key, size_t nkey, uint32_t flags,
                         int64_t exptime, size_t nbytes, cache_item **out)
{
    *out = NULL;
    if (!cache_key_ok(key, nkey))
        return CACHE_EINVAL;
    int64_t unix_now;
    uint32_t now = engine_now(t->c, &unix_now);
    uint32_t exp = engine_exptime(t->c, exptime, unix_now);
    return engine_item_alloc(t->c, key, nkey, flags, exp, nbytes, now, (item **)out);
}

void cache_prefetch_key(cache_thread *t, const char *key, size_t nkey)
{
    cache_prefetch_chain(t, hash_key(key, nkey));
}

uint64_t cache_key_hash(const char *key, size_t nkey)
{
    return hash_key(key, nkey);
}

void cache_prefetch_bucket(cache_thread *t, uint64_t hv)
{
    hash_prefetch_bucket(t->c->hash, hv);
}

void cache_prefetch_chain(cache_thread *t, uint64_t hv)
{
    hash_ref ref = hash_chain_peek(t->c->hash, hv);
    if (ref != 0) /* read under the stripe lock: a chunk of the arena, if perhaps freed since */
        __builtin_prefetch(engine_item(t->c, ref));
}

void cache_prefetch_item(cache_thread *t, uint64_t hv, const char *key, size_t nkey)
{
    hash_table *h = t->c->hash;
    if (!hash_trylock(h, hv))
        return;
    hash_ref ref = *hash_chain_locked(h, hv);
    if (ref != 0) {
        item *it = engine_item(t->c, ref);
        if (!item_key_equals(it, key, nkey)) {
            if (it->hnext != 0)
                __builtin_prefetch(engine_item(t->c, it->hnext));
        } else {
            size_t total = item_total(it); /* the first line is in */
            for (size_t off = 64; off < total && off < CACHE_PREFETCH_MAX; off += 64)
                __builtin_prefetch((char *)it + off);
        }
    }
    hash_unlock(h, hv);
}

void cache_item_set_key_binary(cache_item *it, bool binary)
{
    if (it != NULL && !item_is_linked((item *)it))
        item_set_key_binary((item *)it, binary);
}

bool cache_item_key_binary(const cache_item *it)
{
    return item_key_binary((const item *)it);
}

void cache_item_write(cache_item *pub, size_t offset, const void *src, size_t len)
{
    item *it = (item *)pub;
    if (it == NULL || src == NULL || offset >= item_nbytes(it))
        return;
    size_t n = item_nbytes(it);
    item_write(it, offset, src, len > n - offset ? n - offset : len);
}

char *cache_item_value_to_fill(cache_item *pub)
{
    item *it = (item *)pub;
    if (it == NULL || (item_state(it) & ITEM_CHAINED))
        return NULL;
    return (char *)cache_item_span(pub, 0).data;
}

cache_status cache_store(cache_thread *t, cache_item *it, cache_store_mode mode,
                         uint64_t cas, uint64_t *cas_out)
{
    cache_store_opts o = {.mode = mode, .compare = mode == CACHE_CAS, .compare_cas = cas};
    return cache_store_ex(t, it, &o, cas_out);
}

cache_status cache_delete(cache_thread *t, const char *key, size_t nkey, uint64_t cas)
{
    cache_delete_opts o = {.compare = cas != 0, .compare_cas = cas};
    return cache_delete_ex(t, key, nkey, &o);
}

cache_status cache_delta(cache_thread *t, const char *key, size_t nkey, bool incr,
                         uint64_t delta, uint64_t *value_out, uint64_t *cas_out)
{
    cache_delta_opts o = {.decr = !incr, .delta = delta};
    cache_delta_info info;
    cache_status st = cache_delta_ex(t, key, nkey, &o, &info);
    if (st == CACHE_OK && value_out)
        *value_out = info.value;
    if (st == CACHE_OK && cas_out)
        *cas_out = info.cas;
    return st;
}

/* ---- touch --------------------------------------------------------------- */

/*
 * Sets the expiry of the live item under key if it has an exptime slot (or
 * exp is 0); stripe lock taken inside. Returns the item referenced (*done
 * tells whether the expiry is set), or NULL if absent.
 */
static item *cache_touch_in_place(cache_thread *t, const char *key, size_t nkey,
                                  uint64_t hv, uint32_t exp, bool is_get, bool *done)
{
    uint32_t now = engine_now(t->c, NULL);
    hash_lock(t->c->hash, hv);
    item *it = cache_lookup_locked(t, key, nkey, hv, now, is_get);
    if (it != NULL && !item_ref(it))
        it = NULL;
    *done = it != NULL && ((item_state(it) & ITEM_HAS_EXP) || exp == 0);
    if (*done && (item_state(it) & ITEM_HAS_EXP))
        item_set_exptime(it, exp);
    if (it != NULL && is_get)
        cache_bump(t, it, now);
    hash_unlock(t->c->hash, hv);
    return it;
}

item *cache_touch_item(cache_thread *t, const char *key, size_t nkey,
                       uint32_t exp, bool want_item, cache_status *st)
{
    uint64_t hv = hash_key(key, nkey);
    item *it;
    for (;;) {
        bool done;
        it = cache_touch_in_place(t, key, nkey, hv, exp, want_item, &done);
        *st = it ? CACHE_OK : CACHE_NOT_FOUND;
        if (it == NULL)
            return NULL;
        if (done)
            break;
        item *fresh;
        *st = cache_alloc_like(t, it, exp, item_nbytes(it), &fresh);
        if (*st == CACHE_OK)
            cache_copy_value(fresh, 0, it);
        bool swapped = *st == CACHE_OK && cache_swap(t, it, fresh, true, NULL);
        cache_release(t, (cache_item *)it);
        if (*st != CACHE_OK)
            return NULL;
        if (swapped) {
            it = fresh;
            break;
        }
        cache_release(t, (cache_item *)fresh);
    }
    cache_count(t, engine_class_of(t->c, it), ENGINE_TOUCH_HITS);
    if (want_item)
        return it;
    cache_release(t, (cache_item *)it);
    return NULL;
}

cache_status cache_touch(cache_thread *t, const char *key, size_t nkey, int64_t exptime)
{
    if (!cache_key_ok(key, nkey))
        return CACHE_EINVAL;
    int64_t unix_now;
    engine_now(t->c, &unix_now);
    cache_status st;
    cache_touch_item(t, key, nkey, engine_exptime(t->c, exptime, unix_now), false, &st);
    return st;
}

cache_item *cache_get_touch(cache_thread *t, const char *key, size_t nkey, int64_t exptime)
{
    if (!cache_key_ok(key, nkey))
        return NULL;
    int64_t unix_now;
    engine_now(t->c, &unix_now);
    cache_status st;
    return (cache_item *)cache_touch_item(t, key, nkey,
                                          engine_exptime(t->c, exptime, unix_now), true, &st);
}

/* ---- flush --------------------------------------------------------------- */

void cache_flush(cache_thread *t, int64_t exptime)
{
    cache *c = t->c;
    int64_t unix_now;
    uint32_t now = engine_now(c, &unix_now);
    uint32_t when = exptime > 0 ? engine_exptime(c, exptime, unix_now) : now;
    if (when > now) {
        atomic_store(&c->flush_cas, 0);
        atomic_store_explicit(&c->flush_time, when, memory_order_release);
    } else if (c->opts.use_cas) {
        atomic_store(&c->flush_cas, atomic_load(&c->next_cas));
        atomic_store_explicit(&c->flush_time, now, memory_order_release);
    } else {
        atomic_store(&c->flush_cas, 0);
        atomic_store_explicit(&c->flush_time, now | ENGINE_FLUSH_INCLUSIVE,
                              memory_order_release);
    }
}

size_t cache_item_meta_size(const cache *c, const cache_item_meta *m)
{
    item_plan p;
    item_plan_make(&p, c->opts.use_cas, m->nkey, m->nbytes, m->exptime != 0, m->flags != 0,
                   c->chunk_max);
    return p.total;
}

unsigned cache_class_count(const cache *c)
{
    return c->arena->nclasses;
}

bool cache_slab_reassign_enabled(const cache *c)
{
    return c->opts.slab_reassign;
}

bool cache_lru_crawler_enabled(const cache *c)
{
    return atomic_load(&c->crawler.running);
}
