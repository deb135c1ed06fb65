/*
 * slab/cache_internal.h -- helpers that cache.c shares with cache_meta.c
 * (never included outside slab/). Items are engine items (item.h); "the
 * stripe lock" is the hash stripe lock of the item's key (engine.h gives
 * the lock order). None of these allocates under a stripe lock.
 */
#ifndef CASHEW_SLAB_CACHE_INTERNAL_H
#define CASHEW_SLAB_CACHE_INTERNAL_H

#include "slab/cache.h"
#include "slab/engine.h"

/*
 * The hot paths (get, mg, set) have the small helpers below inlined: a call
 * costs a dozen instructions of register saves and restores there.
 */
#define CACHE_INLINE static inline __attribute__((always_inline))

/* True for a key of 1..CACHE_KEY_MAX bytes. */
CACHE_INLINE bool cache_key_ok(const char *key, size_t nkey)
{
    return key != NULL && nkey > 0 && nkey <= CACHE_KEY_MAX;
}

#define CACHE_BUMP_INTERVAL 60 /* seconds between atime updates on hits */

/* Bumps the calling thread's per-class counter s. */
static inline void cache_count(cache_thread *t, unsigned id, enum engine_class_stat s)
{
    engine_count(&t->n.cls[id][s], 1);
}

/* Wakes the hash expander if the table wants to grow (after a link). */
void cache_grow_if_wanted(cache *c);

/*
 * The live item under key, or NULL; a dead one found on the way is
 * unlinked (and counted as get_expired/get_flushed when is_get). Needs the
 * stripe lock of hv.
 */
item *cache_lookup_locked(cache_thread *t, const char *key, size_t nkey,
                          uint64_t hv, uint32_t now, bool is_get);

/*
 * The item under key, dead or alive, or NULL (stripe lock of hv held): the
 * bucket chain walked here with the key compare inline, which is
 * hash_find_locked without a callback per item.
 */
CACHE_INLINE item *cache_find_locked(cache *c, uint64_t hv, const char *key, size_t nkey)
{
    hash_ref ref = *hash_chain_locked(c->hash, hv);
    while (ref != 0) {
        item *it = engine_item(c, ref);
        if (item_key_equals(it, key, nkey))
            return it;
        ref = it->hnext;
    }
    return NULL;
}

/* cache_lookup_locked, inlined into the hot paths (get, mg, set). */
CACHE_INLINE item *cache_lookup_inline_locked(cache_thread *t, const char *key, size_t nkey,
                                              uint64_t hv, uint32_t now, bool is_get)
{
    cache *c = t->c;
    item *it = cache_find_locked(c, hv, key, nkey);
    if (it == NULL)
        return NULL;
    engine_dead dead = engine_item_dead(c, it, now);
    if (dead == ENGINE_ALIVE)
        return it;
    if (is_get)
        engine_count(&t->n.global[dead == ENGINE_EXPIRED ? ENGINE_GET_EXPIRED
                                                         : ENGINE_GET_FLUSHED], 1);
    engine_unlink_locked(c, it, hv, false);
    return NULL;
}

/* Takes the stripe lock, looks up, references (and, if is_get, bumps). */
item *cache_get_ref(cache_thread *t, const char *key, size_t nkey, uint64_t hv,
                    uint32_t now, bool is_get);

/* Counts a get hit on `it` (get_hits and the hits_to_<segment> counter). */
static inline void cache_count_hit(cache_thread *t, const item *it)
{
    uint32_t st = item_state(it);
    unsigned id = engine_class_of(t->c, it);
    cache_count(t, id, ENGINE_GET_HITS);
    cache_count(t, id, ENGINE_HITS_HOT + ((st & ITEM_SEG_MASK) >> ITEM_SEG_SHIFT));
}

/*
 * Marks a hit: FETCHED, then ACTIVE (an atomic OR only when a bit is still
 * missing); the access time now and then.
 */
static inline void cache_mark_accessed(item *it, uint32_t now)
{
    uint32_t st = item_state(it);
    if (!(st & ITEM_FETCHED))
        item_set_bits(it, ITEM_FETCHED);
    else if (!(st & ITEM_ACTIVE))
        item_set_bits(it, ITEM_ACTIVE);
    uint32_t at = atomic_load_explicit(&it->atime, memory_order_relaxed);
    if (now > at + CACHE_BUMP_INTERVAL)
        atomic_store_explicit(&it->atime, now, memory_order_relaxed);
}

/* How a newly linked item gets its cas. */
typedef enum cache_cas_rule {
    CACHE_CAS_NEW = 0, /* the next value of the engine's counter */
    CACHE_CAS_KEEP,    /* the replaced item's */
    CACHE_CAS_GIVEN    /* an explicit value (meta E) */
} cache_cas_rule;

/* The cas per rule (0 when the engine runs without CAS). */
uint64_t cache_pick_cas(cache *c, const item *old, cache_cas_rule rule, uint64_t given);

/*
 * Links `it` under its key with the given cas, in place of `old` if not
 * NULL (which is unlinked). Needs the stripe lock of hv. Returns cas.
 */
uint64_t cache_link_locked(cache_thread *t, item *it, item *old, uint64_t hv,
                           uint32_t now, uint64_t cas);

/* How cache_swap_ex links a replacement. */
typedef struct cache_swap_how {
    cache_cas_rule rule;
    uint64_t cas;          /* for CACHE_CAS_GIVEN */
    bool keep_marks;       /* copy old's STALE, TOKEN and FETCHED bits (under the lock) */
} cache_swap_how;

/*
 * Links `fresh` (unlinked, referenced) in place of `old` if old is still
 * the live item under the key (stripe lock taken inside); *cas_out (may be
 * NULL) gets the cas. False if old was replaced or died meanwhile.
 */
bool cache_swap_ex(cache_thread *t, item *old, item *fresh, const cache_swap_how *how,
                   uint64_t *cas_out);

/* A new unlinked item with old's key, flags and key-binary bit. */
cache_status cache_alloc_like(cache_thread *t, const item *old, uint32_t exptime,
                              size_t nbytes, item **out);

/* Copies src's whole value into dst at offset. */
void cache_copy_value(item *dst, size_t offset, const item *src);

/*
 * Gives the live item under key the expiry `exp` (engine seconds); returns
 * it referenced (if want_item, which also counts a get hit and bumps it)
 * or NULL. An item without an exptime slot is replaced by a copy that has
 * one (keeping cas and marks). *st: CACHE_OK, CACHE_NOT_FOUND, CACHE_ENOMEM.
 */
item *cache_touch_item(cache_thread *t, const char *key, size_t nkey,
                       uint32_t exp, bool want_item, cache_status *st);

/*
 * Run-time settings (cache_tune.c writes them with relaxed atomics while
 * workers and the LRU maintainer read them here): HOT/WARM share of a
 * class's bytes, HOT/WARM age factors, TEMP LRU ttl (0 = none), and
 * whether new items start in HOT (segmented) or COLD (flat). Any thread.
 */
static inline unsigned cache_tune_pct(const cache *c, bool hot)
{
    return hot ? __atomic_load_n(&c->opts.hot_lru_pct, __ATOMIC_RELAXED)
               : __atomic_load_n(&c->opts.warm_lru_pct, __ATOMIC_RELAXED);
}

static inline double cache_tune_factor(const cache *c, bool hot)
{
    double v;
    if (hot)
        __atomic_load(&c->opts.hot_max_factor, &v, __ATOMIC_RELAXED);
    else
        __atomic_load(&c->opts.warm_max_factor, &v, __ATOMIC_RELAXED);
    return v;
}

static inline unsigned cache_tune_temporary_ttl(const cache *c)
{
    return __atomic_load_n(&c->opts.temporary_ttl, __ATOMIC_RELAXED);
}

static inline bool cache_tune_segmented(const cache *c)
{
    return __atomic_load_n(&c->opts.lru_maintainer, __ATOMIC_RELAXED);
}

#endif
