/*
 * slab/engine.h -- the engine's insides, shared by cache.c, lru.c,
 * crawler.c and rebalance.c (never included outside slab/ and tests/).
 *
 * Lock order (never the other way round; a reverse step is a trylock):
 *     [page move lock -> pages_rw ->] hash stripe lock -> LRU lock of a
 *     class -> slab class lock [-> page pool lock]; bg_lock is a leaf.
 * A thread holds at most one stripe lock; code holding an LRU lock reaches
 * an item's stripe only with hash_trylock. Allocation (which may evict)
 * never runs under a stripe lock.
 *
 * Time. Items store "engine seconds": unix time minus c->epoch, where the
 * epoch is a little before the engine was created, so engine second 1 is
 * always in the past ("already expired") and 0 can mean "never".
 */
#ifndef CASHEW_SLAB_ENGINE_H
#define CASHEW_SLAB_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "slab/cache.h"
#include "slab/hash.h"
#include "slab/item.h"
#include "slab/slab.h"

#define ENGINE_RELATIVE_MAX 2592000 /* exptimes up to 30 days are relative */

enum { LRU_HOT, LRU_WARM, LRU_COLD, LRU_TEMP, LRU_SEGS };

/* Per-class LRU counters, bumped under (or near) the class's LRU lock. */
enum lru_stat {
    LRU_STAT_EVICTED, LRU_STAT_EVICTED_NONZERO, LRU_STAT_EVICTED_TIME,
    LRU_STAT_EVICTED_UNFETCHED, LRU_STAT_EVICTED_ACTIVE, LRU_STAT_OUTOFMEMORY,
    LRU_STAT_TAILREPAIRS, LRU_STAT_RECLAIMED, LRU_STAT_EXPIRED_UNFETCHED,
    LRU_STAT_CRAWLER_RECLAIMED, LRU_STAT_CRAWLER_CHECKED, LRU_STAT_REFLOCKED,
    LRU_STAT_MOVES_TO_COLD, LRU_STAT_MOVES_TO_WARM, LRU_STAT_MOVES_WITHIN,
    LRU_STAT_DIRECT_RECLAIMS, LRU_STAT_JUGGLES, LRU_STAT_COUNT
};

typedef struct lru {
    hash_mutex lock;                  /* see slab/hash.h: never held across a sleep */
    hash_ref head[LRU_SEGS], tail[LRU_SEGS];
    _Atomic uint64_t count[LRU_SEGS]; /* written under the lock */
    _Atomic uint64_t bytes[LRU_SEGS];
    _Atomic uint64_t stat[LRU_STAT_COUNT];
} lru;

/* Per-thread counters, per class (written by the owner thread only). */
enum engine_class_stat {
    ENGINE_GET_HITS, ENGINE_CMD_SET, ENGINE_DELETE_HITS, ENGINE_INCR_HITS,
    ENGINE_DECR_HITS, ENGINE_CAS_HITS, ENGINE_CAS_BADVAL, ENGINE_TOUCH_HITS,
    ENGINE_HITS_HOT, ENGINE_HITS_WARM, ENGINE_HITS_COLD, ENGINE_HITS_TEMP,
    ENGINE_CLASS_STAT_COUNT
};
enum engine_global_stat {
    ENGINE_GET_EXPIRED, ENGINE_GET_FLUSHED, ENGINE_TOTAL_ITEMS,
    ENGINE_GLOBAL_STAT_COUNT
};

typedef struct engine_counters {
    _Atomic uint64_t global[ENGINE_GLOBAL_STAT_COUNT];
    _Atomic uint64_t cls[SLAB_CLASSES_MAX + 1][ENGINE_CLASS_STAT_COUNT];
} engine_counters;

struct cache_thread {
    cache *c;
    cache_thread *prev, *next; /* c->threads list (threads_lock) */
    engine_counters n;
};

/* A background thread slot; sleeping, stopping and waking use c->bg_lock. */
typedef struct engine_bg {
    pthread_t tid;
    _Atomic bool running; /* read from any thread; written by start/stop */
    _Atomic bool stop;
    pthread_cond_t wake;
} engine_bg;

/* State of slab rebalancing (rebalance.c). */
typedef struct engine_rebalance {
    pthread_mutex_t move_lock; /* one page move at a time (first in the order) */
    _Atomic uint64_t slabs_moved, rescues, evictions;
    _Atomic uint32_t request;  /* (src << 16 | dst) + 1 from cache_slabs_reassign, 0 = none */
    _Atomic unsigned automove; /* current slab_automove mode */
} engine_rebalance;

struct cache {
    cache_options opts;
    uint32_t *slab_sizes;    /* copy of opts.slab_sizes */
    slab_arena *arena;
    hash_table *hash;
    size_t chunk_max;        /* largest chunk: chained values use it */
    unsigned chunk_max_class;
    int64_t epoch;
    _Atomic uint64_t next_cas;
    _Atomic uint64_t flush_time; /* engine second | ENGINE_FLUSH_INCLUSIVE */
    _Atomic uint64_t flush_cas;
    lru lrus[SLAB_CLASSES_MAX + 1];

    pthread_mutex_t threads_lock;
    cache_thread *threads;
    engine_counters retired; /* counters of destroyed threads */

    pthread_rwlock_t pages_rw; /* read: scanning a page; write: page changes class */

    pthread_mutex_t bg_lock;
    engine_bg maintainer, expander, crawler, mover;
    _Atomic uint64_t crawler_runs;
    _Atomic unsigned crawl_request; /* class + 1 to crawl now (cache_crawl), 0 = none */
    pthread_mutex_t crawler_ctl;       /* serialises crawler start/stop (enable/disable) */
    _Atomic uint32_t crawler_sleep;    /* usec between batches (lru_crawler sleep) */
    _Atomic uint32_t crawler_tocrawl;  /* items per class per pass, 0 = all (lru_crawler tocrawl) */
    engine_rebalance rebal;
};

#define ENGINE_FLUSH_INCLUSIVE ((uint64_t)1 << 32)

/* Relaxed single-writer counter bump (owner thread or lock holder). */
static inline void engine_count(_Atomic uint64_t *ctr, uint64_t n)
{
    atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Multi-writer counter bump. */
static inline void engine_count_shared(_Atomic uint64_t *ctr, uint64_t n)
{
    atomic_fetch_add_explicit(ctr, n, memory_order_relaxed);
}

static inline item *engine_item(const cache *c, hash_ref ref)
{
    return (item *)slab_ptr(c->arena, ref);
}

static inline hash_ref engine_ref(const cache *c, const item *it)
{
    return slab_ref(c->arena, it);
}

/* Class (and LRU) of an item: the class of its page. */
static inline unsigned engine_class_of(const cache *c, const item *it)
{
    return slab_class_of(c->arena, engine_ref(c, it));
}

/* Current engine second (calls the clock once); *unix_now gets unix time.
 * Inline: every operation reads the clock once. */
static inline uint32_t engine_now(const cache *c, int64_t *unix_now)
{
    int64_t t = c->opts.clock(c->opts.clock_arg);
    if (unix_now != NULL)
        *unix_now = t;
    int64_t rel = t - c->epoch;
    if (rel < 2)
        rel = 2;
    if (rel > (int64_t)UINT32_MAX)
        rel = UINT32_MAX;
    return (uint32_t)rel;
}

/* Converts a memcached exptime argument to engine seconds (0 = never). */
uint32_t engine_exptime(const cache *c, int64_t exptime, int64_t unix_now);

/* Why an item is no longer visible. */
typedef enum engine_dead {
    ENGINE_ALIVE = 0, ENGINE_EXPIRED, ENGINE_FLUSHED
} engine_dead;

/* Whether a linked item has expired or been flushed as of `now`. Inline:
 * every lookup asks. */
static inline engine_dead engine_item_dead(const cache *c, const item *it, uint32_t now)
{
    uint32_t exp = item_exptime(it);
    if (exp != 0 && exp <= now)
        return ENGINE_EXPIRED;
    uint64_t fw = atomic_load_explicit(&((cache *)c)->flush_time, memory_order_acquire);
    uint32_t ft = (uint32_t)fw;
    if (ft == 0 || now < ft)
        return ENGINE_ALIVE;
    uint32_t atime = atomic_load_explicit(&((item *)it)->atime, memory_order_relaxed);
    if (atime < ft)
        return ENGINE_FLUSHED;
    if (atime > ft)
        return ENGINE_ALIVE;
    if (fw & ENGINE_FLUSH_INCLUSIVE)
        return ENGINE_FLUSHED;
    uint64_t fc = atomic_load_explicit(&((cache *)c)->flush_cas, memory_order_relaxed);
    uint64_t cas = item_cas(it);
    return (fc != 0 && cas != 0 && cas < fc) ? ENGINE_FLUSHED : ENGINE_ALIVE;
}

/* The hash value of an item's key. The caller keeps the item from being freed. */
uint64_t engine_item_hv(const item *it);

/*
 * Unlinks a linked item: hash table, LRU (taking the LRU lock unless
 * lru_held), LINKED bit and the table's reference, freeing the item if that
 * was the last one. Needs the stripe lock of hv (the item's key).
 */
void engine_unlink_locked(cache *c, item *it, uint64_t hv, bool lru_held);

/*
 * The same minus the hash table: for an item whose hash slot the caller
 * already gave to its replacement (hash_replace_locked).
 */
void engine_retire_locked(cache *c, item *it, bool lru_held);

/* Frees an item whose last reference is gone (all its chunks). */
void engine_item_free(cache *c, item *it);

/*
 * Allocates and initialises an unlinked item with one reference (the
 * caller's), evicting as the options allow. exptime is in engine seconds.
 * Never called with a stripe lock held.
 */
cache_status engine_item_alloc(cache *c, const char *key, size_t nkey,
                               uint32_t cflags, uint32_t exptime, size_t nbytes,
                               uint32_t now, item **out);

/*
 * Visits the linked items of one page (c->pages_rw read-held by the
 * caller; page owned by class id): each is pinned during fn, which returns
 * false to stop. Returns false if fn stopped it.
 */
bool engine_page_visit(cache *c, uint32_t page, unsigned id,
                       bool (*fn)(cache *c, item *it, void *arg), void *arg);

/* Drops a pin or reference taken with item_pin/item_ref (may free). */
void engine_item_unpin(cache *c, item *it);

/*
 * Background threads: engine_bg_sleep waits up to `usec` for a wake-up or
 * stop (true = stop). engine_bg_start runs fn(c) on a new thread named
 * `name` (at most 15 characters: what top -H and /proc/.../comm show),
 * unless it is running already.
 */
bool engine_bg_sleep(cache *c, engine_bg *bg, uint64_t usec);
void engine_bg_start(cache *c, engine_bg *bg, void *(*fn)(void *), const char *name);
void engine_bg_stop(cache *c, engine_bg *bg);
void engine_bg_wake(cache *c, engine_bg *bg);

#endif
