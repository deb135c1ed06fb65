/*
 * slab/cache_stats.c -- folding the engine's counters for cache_stats_read
 * and cache_stats_classes. Per-thread counters are summed under
 * threads_lock (each thread writes its own with relaxed atomics, so the
 * sum never blocks a worker); LRU and slab counters are read per class.
 */
#include <stdlib.h>
#include <string.h>

#include "slab/cache.h"
#include "slab/engine.h"
#include "slab/lru.h"

static uint64_t cache_stats_load(_Atomic uint64_t *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static void cache_stats_add_counters(engine_counters *n, uint64_t *global,
                                     uint64_t (*cls)[ENGINE_CLASS_STAT_COUNT])
{
    for (size_t i = 0; i < ENGINE_GLOBAL_STAT_COUNT; i++)
        global[i] += cache_stats_load(&n->global[i]);
    for (size_t k = 0; k <= SLAB_CLASSES_MAX; k++)
        for (size_t i = 0; i < ENGINE_CLASS_STAT_COUNT; i++)
            cls[k][i] += cache_stats_load(&n->cls[k][i]);
}

/* Sums every thread's (and the retired threads') counters. */
static void cache_stats_fold(cache *c, uint64_t global[ENGINE_GLOBAL_STAT_COUNT],
                             uint64_t (*cls)[ENGINE_CLASS_STAT_COUNT])
{
    memset(global, 0, sizeof(uint64_t) * ENGINE_GLOBAL_STAT_COUNT);
    memset(cls, 0, sizeof(uint64_t) * ENGINE_CLASS_STAT_COUNT * (SLAB_CLASSES_MAX + 1));
    pthread_mutex_lock(&c->threads_lock);
    cache_stats_add_counters(&c->retired, global, cls);
    for (cache_thread *t = c->threads; t != NULL; t = t->next)
        cache_stats_add_counters(&t->n, global, cls);
    pthread_mutex_unlock(&c->threads_lock);
}

static void cache_stats_add_lru(cache_stats *s, lru *l)
{
    for (unsigned seg = 0; seg < LRU_SEGS; seg++) {
        s->curr_items += cache_stats_load(&l->count[seg]);
        s->bytes += cache_stats_load(&l->bytes[seg]);
    }
    s->evictions += cache_stats_load(&l->stat[LRU_STAT_EVICTED]);
    s->reclaimed += cache_stats_load(&l->stat[LRU_STAT_RECLAIMED]);
    s->expired_unfetched += cache_stats_load(&l->stat[LRU_STAT_EXPIRED_UNFETCHED]);
    s->evicted_unfetched += cache_stats_load(&l->stat[LRU_STAT_EVICTED_UNFETCHED]);
    s->evicted_active += cache_stats_load(&l->stat[LRU_STAT_EVICTED_ACTIVE]);
    s->crawler_reclaimed += cache_stats_load(&l->stat[LRU_STAT_CRAWLER_RECLAIMED]);
    s->outofmemory += cache_stats_load(&l->stat[LRU_STAT_OUTOFMEMORY]);
    s->moves_to_cold += cache_stats_load(&l->stat[LRU_STAT_MOVES_TO_COLD]);
    s->moves_to_warm += cache_stats_load(&l->stat[LRU_STAT_MOVES_TO_WARM]);
    s->moves_within_lru += cache_stats_load(&l->stat[LRU_STAT_MOVES_WITHIN]);
    s->lru_maintainer_juggles += cache_stats_load(&l->stat[LRU_STAT_JUGGLES]);
}

void cache_stats_read(cache *c, cache_stats *s)
{
    memset(s, 0, sizeof(*s));
    uint64_t global[ENGINE_GLOBAL_STAT_COUNT];
    uint64_t (*cls)[ENGINE_CLASS_STAT_COUNT] = malloc(sizeof(*cls) * (SLAB_CLASSES_MAX + 1));
    if (cls == NULL)
        return;
    cache_stats_fold(c, global, cls);
    free(cls);
    s->total_items = global[ENGINE_TOTAL_ITEMS];
    s->get_expired = global[ENGINE_GET_EXPIRED];
    s->get_flushed = global[ENGINE_GET_FLUSHED];
    for (unsigned id = 1; id <= c->arena->nclasses; id++)
        cache_stats_add_lru(s, &c->lrus[id]);
    s->slabs_moved = atomic_load(&c->rebal.slabs_moved);
    s->slab_reassign_rescues = atomic_load(&c->rebal.rescues);
    s->slab_reassign_evictions = atomic_load(&c->rebal.evictions);
    s->total_malloced = slab_pages_in_use(c->arena) * c->arena->page_size;
    s->limit_maxbytes = cache_memory_limit(c); /* cache_memlimit changes it */
    hash_stats hs;
    hash_stats_read(c->hash, &hs);
    s->hash_bytes = hs.bytes;
    s->hash_power_level = hs.power;
    s->hash_is_expanding = hs.expanding;
    s->slab_classes = c->arena->nclasses;
}

static void cache_stats_class_lru(cache *c, unsigned id, cache_class_stats *s, uint32_t now)
{
    lru *l = &c->lrus[id];
    s->number_hot = cache_stats_load(&l->count[LRU_HOT]);
    s->number_warm = cache_stats_load(&l->count[LRU_WARM]);
    s->number_cold = cache_stats_load(&l->count[LRU_COLD]);
    s->number_temp = cache_stats_load(&l->count[LRU_TEMP]);
    s->number = s->number_hot + s->number_warm + s->number_cold + s->number_temp;
    s->age_hot = lru_tail_age(c, id, LRU_HOT, now);
    s->age_warm = lru_tail_age(c, id, LRU_WARM, now);
    s->age = lru_tail_age(c, id, LRU_COLD, now);
    uint64_t *dst[] = {
        &s->evicted, &s->evicted_nonzero, &s->evicted_time, &s->evicted_unfetched,
        &s->evicted_active, &s->outofmemory, &s->tailrepairs, &s->reclaimed,
        &s->expired_unfetched, &s->crawler_reclaimed, &s->crawler_items_checked,
        &s->lrutail_reflocked, &s->moves_to_cold, &s->moves_to_warm,
        &s->moves_within_lru, &s->direct_reclaims,
    };
    for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
        *dst[i] = cache_stats_load(&l->stat[i]); /* same order as enum lru_stat */
}

static void cache_stats_class_ops(cache_class_stats *s, const uint64_t *n)
{
    s->get_hits = n[ENGINE_GET_HITS];
    s->cmd_set = n[ENGINE_CMD_SET];
    s->delete_hits = n[ENGINE_DELETE_HITS];
    s->incr_hits = n[ENGINE_INCR_HITS];
    s->decr_hits = n[ENGINE_DECR_HITS];
    s->cas_hits = n[ENGINE_CAS_HITS];
    s->cas_badval = n[ENGINE_CAS_BADVAL];
    s->touch_hits = n[ENGINE_TOUCH_HITS];
    s->hits_to_hot = n[ENGINE_HITS_HOT];
    s->hits_to_warm = n[ENGINE_HITS_WARM];
    s->hits_to_cold = n[ENGINE_HITS_COLD];
    s->hits_to_temp = n[ENGINE_HITS_TEMP];
}

void cache_stats_classes(cache *c, void (*fn)(void *arg, const cache_class_stats *s),
                         void *arg)
{
    uint64_t global[ENGINE_GLOBAL_STAT_COUNT];
    uint64_t (*cls)[ENGINE_CLASS_STAT_COUNT] = malloc(sizeof(*cls) * (SLAB_CLASSES_MAX + 1));
    if (cls == NULL)
        return;
    cache_stats_fold(c, global, cls);
    uint32_t now = engine_now(c, NULL);
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        slab_class_info info;
        slab_class_info_read(c->arena, id, &info);
        if (info.pages == 0 && info.used == 0)
            continue;
        cache_class_stats s;
        memset(&s, 0, sizeof(s));
        s.id = id;
        s.chunk_size = info.size;
        s.chunks_per_page = info.per_page;
        s.total_pages = info.pages;
        s.total_chunks = info.pages * info.per_page;
        s.used_chunks = info.used;
        s.free_chunks = info.free;
        s.mem_requested = info.requested;
        cache_stats_class_lru(c, id, &s, now);
        cache_stats_class_ops(&s, cls[id]);
        fn(arg, &s);
    }
    free(cls);
}

/* ---- stats reset ------------------------------------------------------------ */

/*
 * Per-thread counters have one writer each (a relaxed load + store), so
 * they cannot be zeroed from here without losing a race: the sum of every
 * class counter is subtracted from the retired threads' counters instead
 * (unsigned arithmetic wraps, so the fold reads zero plus whatever was
 * counted since). LRU counters are shared and are simply zeroed.
 */
static void cache_stats_reset_threads(cache *c)
{
    uint64_t global[ENGINE_GLOBAL_STAT_COUNT];
    uint64_t (*cls)[ENGINE_CLASS_STAT_COUNT] = malloc(sizeof(*cls) * (SLAB_CLASSES_MAX + 1));
    if (cls == NULL)
        return;
    pthread_mutex_lock(&c->threads_lock);
    memset(cls, 0, sizeof(*cls) * (SLAB_CLASSES_MAX + 1));
    memset(global, 0, sizeof(global));
    cache_stats_add_counters(&c->retired, global, cls);
    for (cache_thread *t = c->threads; t != NULL; t = t->next)
        cache_stats_add_counters(&t->n, global, cls);
    for (size_t k = 0; k <= SLAB_CLASSES_MAX; k++)
        for (size_t i = 0; i < ENGINE_CLASS_STAT_COUNT; i++)
            engine_count(&c->retired.cls[k][i], (uint64_t)0 - cls[k][i]);
    pthread_mutex_unlock(&c->threads_lock);
    free(cls);
}

void cache_stats_reset(cache *c)
{
    for (unsigned id = 1; id <= c->arena->nclasses; id++)
        for (size_t i = 0; i < LRU_STAT_COUNT; i++)
            atomic_store_explicit(&c->lrus[id].stat[i], 0, memory_order_relaxed);
    cache_stats_reset_threads(c);
}
