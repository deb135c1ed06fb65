/*
 * slab/engine.c -- the engine's shared insides: time, liveness, linking
 * and unlinking, item allocation with eviction, background thread plumbing.
 */
#include "slab/engine.h"

#include <assert.h>
#include <time.h>

#include "slab/lru.h"

#define ENGINE_ALLOC_TRIES 20 /* slab_alloc / make_room rounds per chunk */

/* ---- time ----------------------------------------------------------------- */

uint32_t engine_exptime(const cache *c, int64_t exptime, int64_t unix_now)
{
    if (exptime == 0)
        return 0;
    if (exptime < 0)
        return 1;
    int64_t when = exptime <= ENGINE_RELATIVE_MAX ? unix_now + exptime : exptime;
    int64_t rel = when - c->epoch;
    if (rel < 1)
        return 1;
    return rel > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)rel;
}

uint64_t engine_item_hv(const item *it)
{
    return hash_key(item_key(it), item_nkey(it));
}

/* ---- unlink and free ------------------------------------------------------ */

void engine_item_free(cache *c, item *it)
{
    uint32_t st = item_state(it);
    assert((st & ITEM_REF_MASK) == 0 && !(st & ITEM_LINKED));
    size_t head_req = item_total(it);
    if (st & ITEM_CHAINED) {
        size_t n = item_chain_count(it);
        for (size_t i = 0; i < n; i++) {
            item *d = (item *)item_chain_chunk(it, i);
            atomic_store_explicit(&d->state, 0, memory_order_release);
            slab_free(c->arena, engine_ref(c, d), c->chunk_max);
        }
        head_req = c->chunk_max;
    }
    atomic_store_explicit(&it->state, 0, memory_order_release);
    slab_free(c->arena, engine_ref(c, it), head_req);
}

void engine_unlink_locked(cache *c, item *it, uint64_t hv, bool lru_held)
{
    hash_remove_locked(c->hash, hv, engine_ref(c, it));
    engine_retire_locked(c, it, lru_held);
}

void engine_retire_locked(cache *c, item *it, bool lru_held)
{
    lru *l = lru_of(c, it);
    if (!lru_held)
        hash_mutex_lock(&l->lock);
    lru_unlink_locked(c, l, it);
    if (!lru_held)
        hash_mutex_unlock(&l->lock);
    if (item_mark_unlinked(it))
        engine_item_free(c, it);
}

/* ---- allocation ----------------------------------------------------------- */

/* One chunk of class id, evicting from that class as allowed; 0 if none. */
static hash_ref engine_chunk_alloc(cache *c, unsigned id, size_t size, uint32_t now)
{
    for (unsigned tries = 0; tries < ENGINE_ALLOC_TRIES; tries++) {
        hash_ref ref = slab_alloc(c->arena, id, size);
        if (ref != 0)
            return ref;
        if (!lru_make_room(c, id, now))
            break;
        engine_count_shared(&c->lrus[id].stat[LRU_STAT_DIRECT_RECLAIMS], 1);
    }
    engine_count_shared(&c->lrus[id].stat[LRU_STAT_OUTOFMEMORY], 1);
    return 0;
}

/* Allocates the data chunks of a chained item into its head's table. */
static bool engine_chain_alloc(cache *c, const item_plan *p, void *head, uint32_t now)
{
    for (size_t i = 0; i < p->nchain; i++) {
        hash_ref ref = engine_chunk_alloc(c, c->chunk_max_class, c->chunk_max, now);
        if (ref == 0) {
            while (i-- > 0)
                slab_free(c->arena, slab_ref(c->arena, item_plan_get_chunk(p, head, i)),
                          c->chunk_max);
            return false;
        }
        item_plan_set_chunk(p, head, i, slab_ptr(c->arena, ref));
    }
    return true;
}

cache_status engine_item_alloc(cache *c, const char *key, size_t nkey,
                               uint32_t cflags, uint32_t exptime, size_t nbytes,
                               uint32_t now, item **out)
{
    *out = NULL;
    if (nkey == 0 || nkey > CACHE_KEY_MAX || key == NULL)
        return CACHE_EINVAL;
    item_plan p;
    item_plan_make(&p, c->opts.use_cas, nkey, nbytes, exptime != 0, cflags != 0,
                   c->chunk_max);
    if (p.total > c->opts.item_size_max || p.head_size > c->chunk_max ||
        nbytes > UINT32_MAX)
        return CACHE_TOO_LARGE;
    bool chained = (p.bits & ITEM_CHAINED) != 0;
    if (chained && (p.nchain + 1) * c->chunk_max >
                       (size_t)__atomic_load_n(&c->arena->limit_pages, __ATOMIC_RELAXED) *
                       c->arena->page_size)
        return CACHE_ENOMEM; /* more than the whole budget: evict nothing for it */
    unsigned id = chained ? c->chunk_max_class : slab_class_for(c->arena, p.head_size);
    size_t req = chained ? c->chunk_max : p.head_size;
    hash_ref ref = engine_chunk_alloc(c, id, req, now);
    if (ref == 0)
        return CACHE_ENOMEM;
    item *it = engine_item(c, ref);
    if (chained && !engine_chain_alloc(c, &p, it, now)) {
        slab_free(c->arena, ref, req);
        return CACHE_ENOMEM;
    }
    item_init(it, &p, key, cflags, exptime, now, c->chunk_max, ref);
    *out = it;
    return CACHE_OK;
}

/* ---- background threads --------------------------------------------------- */

bool engine_bg_sleep(cache *c, engine_bg *bg, uint64_t usec)
{
    pthread_mutex_lock(&c->bg_lock);
    if (!atomic_load(&bg->stop) && usec > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (usec % 1000000) * 1000;
        ts.tv_sec += (time_t)(usec / 1000000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&bg->wake, &c->bg_lock, &ts);
    }
    bool stop = atomic_load(&bg->stop);
    pthread_mutex_unlock(&c->bg_lock);
    return stop;
}

void engine_bg_start(cache *c, engine_bg *bg, void *(*fn)(void *), const char *name)
{
    if (bg->running)
        return;
    atomic_store(&bg->stop, false);
    bg->running = pthread_create(&bg->tid, NULL, fn, c) == 0;
    if (bg->running)
        pthread_setname_np(bg->tid, name);
}

void engine_bg_stop(cache *c, engine_bg *bg)
{
    if (!bg->running)
        return;
    pthread_mutex_lock(&c->bg_lock);
    atomic_store(&bg->stop, true);
    pthread_cond_broadcast(&bg->wake);
    pthread_mutex_unlock(&c->bg_lock);
    pthread_join(bg->tid, NULL);
    bg->running = false;
}

void engine_bg_wake(cache *c, engine_bg *bg)
{
    pthread_mutex_lock(&c->bg_lock);
    pthread_cond_broadcast(&bg->wake);
    pthread_mutex_unlock(&c->bg_lock);
}

/* ---- page visits ---------------------------------------------------------- */

void engine_item_unpin(cache *c, item *it)
{
    if (item_unref(it))
        engine_item_free(c, it);
}

bool engine_page_visit(cache *c, uint32_t page, unsigned id,
                       bool (*fn)(cache *c, item *it, void *arg), void *arg)
{
    if (atomic_load_explicit(&c->arena->page_class[page], memory_order_relaxed) != id)
        return true;
    const slab_class *k = &c->arena->classes[id];
    char *base = c->arena->base + slab_page_offset(c->arena, page);
    for (uint32_t i = 0; i < k->per_page; i++) {
        item *it = (item *)(base + (size_t)i * k->size);
        uint32_t st = item_state(it);
        if (!(st & ITEM_LINKED) || (st >> ITEM_NKEY_SHIFT) == 0 || !item_pin(it))
            continue;
        bool go_on = fn(c, it, arg);
        engine_item_unpin(c, it);
        if (!go_on)
            return false;
    }
    return true;
}
