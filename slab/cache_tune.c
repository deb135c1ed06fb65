/*
 * slab/cache_tune.c -- settings that change while the engine runs (`lru
 * tune|mode|temp_ttl`, `cache_memlimit`), the LRU-order and key dumps
 * (`stats cachedump`, `lru_crawler mgdump`) and the class geometry.
 *
 * The run-time settings live in c->opts (the copy cache_create made) and
 * are written and read with relaxed atomic builtins: the LRU code reads
 * them through the inline accessors of cache_internal.h. After creation,
 * opts.lru_maintainer means "segmented" (new items go to HOT rather than
 * COLD); whether the maintainer thread runs is c->maintainer.running.
 */
#include <string.h>

#include "slab/cache.h"
#include "slab/cache_internal.h"
#include "slab/lru.h"

/* ---- lru tune / mode / temp_ttl ----------------------------------------------- */

void cache_lru_tuning_read(const cache *c, cache_lru_tuning *out)
{
    out->hot_lru_pct = cache_tune_pct(c, true);
    out->warm_lru_pct = cache_tune_pct(c, false);
    out->hot_max_factor = cache_tune_factor(c, true);
    out->warm_max_factor = cache_tune_factor(c, false);
}

void cache_lru_tune(cache *c, const cache_lru_tuning *t)
{
    double hot = t->hot_max_factor, warm = t->warm_max_factor;
    __atomic_store_n(&c->opts.hot_lru_pct, t->hot_lru_pct, __ATOMIC_RELAXED);
    __atomic_store_n(&c->opts.warm_lru_pct, t->warm_lru_pct, __ATOMIC_RELAXED);
    __atomic_store(&c->opts.hot_max_factor, &hot, __ATOMIC_RELAXED);
    __atomic_store(&c->opts.warm_max_factor, &warm, __ATOMIC_RELAXED);
}

bool cache_lru_set_segmented(cache *c, bool segmented)
{
    if (!atomic_load(&c->maintainer.running))
        return false;
    __atomic_store_n(&c->opts.lru_maintainer, segmented, __ATOMIC_RELAXED);
    return true;
}

bool cache_lru_segmented(const cache *c)
{
    return cache_tune_segmented(c);
}

bool cache_lru_maintainer_running(const cache *c)
{
    return atomic_load(&((cache *)c)->maintainer.running);
}

void cache_set_temporary_ttl(cache *c, unsigned ttl)
{
    __atomic_store_n(&c->opts.temporary_ttl, ttl, __ATOMIC_RELAXED);
}

unsigned cache_temporary_ttl(const cache *c)
{
    return cache_tune_temporary_ttl(c);
}

/* ---- cache_memlimit ------------------------------------------------------------- */

/* Most budget pages the arena's reservation can back (one first page per class kept). */
static uint64_t cache_tune_max_pages(const slab_arena *a)
{
    return a->npages > a->nclasses ? (uint64_t)a->npages - a->nclasses : a->npages;
}

bool cache_set_memory_limit(cache *c, size_t bytes)
{
    slab_arena *a = c->arena;
    uint64_t pages = bytes / a->page_size;
    if (pages == 0 || pages > cache_tune_max_pages(a))
        return false;
    pthread_mutex_lock(&a->pool_lock);
    __atomic_store_n(&a->limit_pages, (uint32_t)pages, __ATOMIC_RELAXED); /* engine.c reads it unlocked */
    pthread_mutex_unlock(&a->pool_lock);
    __atomic_store_n(&c->opts.memory_limit, bytes, __ATOMIC_RELAXED);
    return true;
}

size_t cache_memory_limit(const cache *c)
{
    return __atomic_load_n(&c->opts.memory_limit, __ATOMIC_RELAXED);
}

size_t cache_memory_limit_max(const cache *c)
{
    return (size_t)cache_tune_max_pages(c->arena) * c->arena->page_size;
}

/* ---- dumps ------------------------------------------------------------------------ */

static void cache_tune_describe(const cache *c, const item *it, cache_dump_item *d)
{
    uint32_t exp = item_exptime(it);
    d->key = item_key(it);
    d->nkey = item_nkey(it);
    d->nbytes = item_nbytes(it);
    d->exptime = exp ? c->epoch + exp : 0;
    d->key_binary = item_key_binary(it);
}

/* Walks one segment head to tail (l->lock held); false if fn stopped. */
static bool cache_tune_dump_segment_locked(cache *c, lru *l, unsigned seg,
                                           bool (*fn)(void *arg, const cache_dump_item *d),
                                           void *arg)
{
    for (hash_ref ref = l->head[seg]; ref != 0;) {
        const item *it = engine_item(c, ref);
        cache_dump_item d;
        cache_tune_describe(c, it, &d);
        if (!fn(arg, &d))
            return false;
        ref = it->next;
    }
    return true;
}

void cache_dump_class(cache *c, unsigned class_id,
                      bool (*fn)(void *arg, const cache_dump_item *d), void *arg)
{
    if (class_id == 0 || class_id > c->arena->nclasses)
        return;
    lru *l = &c->lrus[class_id];
    hash_mutex_lock(&l->lock);
    cache_tune_dump_segment_locked(c, l, LRU_COLD, fn, arg);
    hash_mutex_unlock(&l->lock);
}

typedef struct cache_tune_walk {
    bool (*fn)(void *arg, const cache_dump_item *d);
    void *arg;
    uint32_t now;
} cache_tune_walk;

static bool cache_tune_walk_visit(cache *c, item *it, void *arg)
{
    cache_tune_walk *w = arg;
    if (engine_item_dead(c, it, w->now) != ENGINE_ALIVE)
        return true;
    cache_dump_item d;
    cache_tune_describe(c, it, &d);
    return w->fn(w->arg, &d);
}

/* Visits the pages of class id; false if the callback stopped. */
static bool cache_tune_walk_class(cache *c, unsigned id, cache_tune_walk *w)
{
    for (uint32_t page = 0; page < c->arena->npages; page++) {
        if (atomic_load_explicit(&c->arena->page_class[page], memory_order_relaxed) != id)
            continue;
        pthread_rwlock_rdlock(&c->pages_rw);
        bool go_on = engine_page_visit(c, page, id, cache_tune_walk_visit, w);
        pthread_rwlock_unlock(&c->pages_rw);
        if (!go_on)
            return false;
    }
    return true;
}

void cache_walk_keys(cache *c, unsigned class_id,
                     bool (*fn)(void *arg, const cache_dump_item *d), void *arg)
{
    cache_tune_walk w = {fn, arg, engine_now(c, NULL)};
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        if ((class_id == 0 || id == class_id) && !cache_tune_walk_class(c, id, &w))
            return;
    }
}

/* ---- geometry ------------------------------------------------------------------------ */

bool cache_class_geometry(const cache *c, unsigned id, uint32_t *chunk_size,
                          uint32_t *per_page)
{
    if (id == 0 || id > c->arena->nclasses)
        return false;
    *chunk_size = c->arena->classes[id].size;
    *per_page = c->arena->classes[id].per_page;
    return true;
}
