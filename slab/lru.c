/*
 * slab/lru.c -- segmented LRU per class, eviction, the maintainer thread.
 * See lru.h for the picture.
 */
#include "slab/lru.h"

#include "slab/cache_internal.h" /* run-time settings (cache_tune.c) */

#include <assert.h>
#include <string.h>

#ifdef CASHEW_DEBUG
/* Weak check: the lock is held by someone (trylock must fail). */
#define LRU_ASSERT_HELD(l)                                         \
    do {                                                           \
        bool lru_took_ = hash_mutex_trylock(&(l)->lock);           \
        if (lru_took_)                                             \
            hash_mutex_unlock(&(l)->lock);                         \
        assert(!lru_took_ && "lru: *_locked without lock");        \
    } while (0)
#else
#define LRU_ASSERT_HELD(l) ((void)0)
#endif

#define LRU_TAIL_TRIES 5 /* tail items looked at per segment when making room */

#define LRU_ROOM_ROUNDS 4 /* make-room passes while only active items were bumped */

#define LRU_JUGGLE_BATCH 32 /* maintainer steps per hold of the LRU lock */

typedef enum lru_verdict { LRU_SKIPPED, LRU_BUMPED, LRU_FREED } lru_verdict;

/*
 * The LRU lock is held for a few dozen instructions at a time, by every
 * store of its class: an adaptive mutex spins briefly before it sleeps, so
 * two workers meeting on it rarely make a futex call (to sleep or to wake).
 */
void lru_setup(lru *l)
{
    memset(l, 0, sizeof(*l)); /* a zeroed hash_mutex is unlocked */
}

void lru_teardown(lru *l)
{
    (void)l; /* a hash_mutex holds nothing to release */
}

static void lru_stat(lru *l, enum lru_stat s, uint64_t n)
{
    engine_count_shared(&l->stat[s], n);
}

/* ---- list operations ---------------------------------------------------- */

static void lru_push_head_locked(cache *c, lru *l, item *it, unsigned seg)
{
    LRU_ASSERT_HELD(l);
    hash_ref ref = engine_ref(c, it);
    it->prev = 0;
    it->next = l->head[seg];
    if (it->next != 0)
        engine_item(c, it->next)->prev = ref;
    l->head[seg] = ref;
    if (l->tail[seg] == 0)
        l->tail[seg] = ref;
    item_set_segment(it, seg);
    engine_count(&l->count[seg], 1);
    engine_count(&l->bytes[seg], item_total(it));
}

void lru_unlink_locked(cache *c, lru *l, item *it)
{
    LRU_ASSERT_HELD(l);
    unsigned seg = item_segment(it);
    if (it->prev != 0)
        engine_item(c, it->prev)->next = it->next;
    else
        l->head[seg] = it->next;
    if (it->next != 0)
        engine_item(c, it->next)->prev = it->prev;
    else
        l->tail[seg] = it->prev;
    it->prev = it->next = 0;
    engine_count(&l->count[seg], (uint64_t)-1);
    engine_count(&l->bytes[seg], (uint64_t)0 - item_total(it));
}

static void lru_move_locked(cache *c, lru *l, item *it, unsigned seg)
{
    lru_unlink_locked(c, l, it);
    lru_push_head_locked(c, l, it, seg);
}

static unsigned lru_segment_for(cache *c, const item *it, uint32_t now)
{
    uint32_t exp = item_exptime(it);
    unsigned temp_ttl = cache_tune_temporary_ttl(c);
    if (temp_ttl > 0 && exp != 0 && (exp <= now || exp - now < temp_ttl))
        return LRU_TEMP;
    return cache_tune_segmented(c) ? LRU_HOT : LRU_COLD;
}

void lru_link(cache *c, item *it, uint32_t now)
{
    lru *l = lru_of(c, it);
    unsigned seg = lru_segment_for(c, it, now);
    hash_mutex_lock(&l->lock);
    lru_push_head_locked(c, l, it, seg);
    hash_mutex_unlock(&l->lock);
}

void lru_relink(cache *c, item *old, item *it, uint32_t now)
{
    lru *lo = lru_of(c, old), *l = lru_of(c, it);
    unsigned seg = lru_segment_for(c, it, now);
    hash_mutex_lock(&lo->lock);
    lru_unlink_locked(c, lo, old);
    if (lo != l) { /* different classes: never two LRU locks at once */
        hash_mutex_unlock(&lo->lock);
        hash_mutex_lock(&l->lock);
    }
    lru_push_head_locked(c, l, it, seg);
    hash_mutex_unlock(&l->lock);
}

static uint64_t lru_age(const item *it, uint32_t now)
{
    uint32_t t = atomic_load_explicit(&((item *)it)->atime, memory_order_relaxed);
    return now > t ? now - t : 0;
}

static uint64_t lru_tail_age_locked(cache *c, lru *l, unsigned seg, uint32_t now)
{
    return l->tail[seg] ? lru_age(engine_item(c, l->tail[seg]), now) : 0;
}

uint64_t lru_tail_age(cache *c, unsigned id, unsigned seg, uint32_t now)
{
    lru *l = &c->lrus[id];
    hash_mutex_lock(&l->lock);
    uint64_t age = lru_tail_age_locked(c, l, seg, now);
    hash_mutex_unlock(&l->lock);
    return age;
}

/* ---- freeing tail items ------------------------------------------------- */

static void lru_count_eviction(lru *l, const item *it, uint32_t now)
{
    uint32_t st = item_state(it);
    lru_stat(l, LRU_STAT_EVICTED, 1);
    if (item_exptime(it) != 0)
        lru_stat(l, LRU_STAT_EVICTED_NONZERO, 1);
    if (!(st & ITEM_FETCHED))
        lru_stat(l, LRU_STAT_EVICTED_UNFETCHED, 1);
    if (st & ITEM_ACTIVE)
        lru_stat(l, LRU_STAT_EVICTED_ACTIVE, 1);
    atomic_store_explicit(&l->stat[LRU_STAT_EVICTED_TIME], lru_age(it, now),
                          memory_order_relaxed);
}

static void lru_count_reclaim(lru *l, const item *it)
{
    lru_stat(l, LRU_STAT_RECLAIMED, 1);
    if (!(item_state(it) & ITEM_FETCHED))
        lru_stat(l, LRU_STAT_EXPIRED_UNFETCHED, 1);
}

/*
 * Gives an active HOT/WARM/COLD item its second chance instead of evicting
 * it: clears ACTIVE and puts it at the head of WARM (l->lock held).
 */
static void lru_bump_active_locked(cache *c, lru *l, item *it, unsigned seg)
{
    item_clear_bits(it, ITEM_ACTIVE);
    lru_move_locked(c, l, it, LRU_WARM);
    lru_stat(l, seg == LRU_WARM ? LRU_STAT_MOVES_WITHIN : LRU_STAT_MOVES_TO_WARM, 1);
}

/*
 * Unlinks a tail item being freed (its stripe and l->lock held). Its chunks
 * go back to the slab class later: a reference is kept in *victim for the
 * caller to drop once it has let go of l->lock (engine_item_unpin), so the
 * slab class lock is never taken inside the LRU lock's critical section.
 * Without a reference to spare, the item is freed here.
 */
static void lru_unlink_victim_locked(cache *c, item *it, uint64_t hv, item **victim)
{
    *victim = item_ref(it) ? it : NULL;
    engine_unlink_locked(c, it, hv, true);
}

/* Tells the optional eviction callback about `it` (cache_evict_fn's rules). */
static void lru_report_eviction(cache *c, const item *it, uint32_t now)
{
    uint32_t exp = item_exptime(it);
    cache_evict_info info = {
        .key = item_key(it), .nkey = item_nkey(it), .nbytes = item_nbytes(it),
        .ttl = exp == 0 ? -1 : (int64_t)exp - (int64_t)now,
        .idle = (uint32_t)lru_age(it, now),
        .fetched = (item_state(it) & ITEM_FETCHED) != 0,
        .class_id = engine_class_of(c, it),
    };
    c->opts.on_evict(c->opts.on_evict_arg, &info);
}

/*
 * Looks at one tail item of segment `seg` (l->lock held): frees it if it is
 * dead, or (when `evict`) if nobody reads it; an active item (but in TEMP)
 * is bumped to WARM instead of being evicted (LRU_BUMPED). A freed item's
 * last reference is left in *victim (see lru_unlink_victim_locked).
 */
static lru_verdict lru_try_tail_item_locked(cache *c, lru *l, item *it, unsigned seg,
                                            uint32_t now, bool evict, item **victim)
{
    uint64_t hv = engine_item_hv(it);
    if (!hash_trylock(c->hash, hv))
        return LRU_SKIPPED;
    lru_verdict v = LRU_SKIPPED;
    if (engine_item_dead(c, it, now) != ENGINE_ALIVE) {
        lru_count_reclaim(l, it);
        lru_unlink_victim_locked(c, it, hv, victim);
        v = LRU_FREED;
    } else if (item_refcount(it) > 1) {
        lru_stat(l, LRU_STAT_REFLOCKED, 1);
    } else if (evict && seg != LRU_TEMP && (item_state(it) & ITEM_ACTIVE)) {
        lru_bump_active_locked(c, l, it, seg);
        v = LRU_BUMPED;
    } else if (evict) {
        lru_count_eviction(l, it, now);
        if (c->opts.on_evict != NULL)
            lru_report_eviction(c, it, now);
        lru_unlink_victim_locked(c, it, hv, victim);
        v = LRU_FREED;
    }
    hash_unlock(c->hash, hv);
    return v;
}

/*
 * Looks at up to LRU_TAIL_TRIES tail items of `seg`, stopping at the first
 * one freed. Active items bumped on the way do not count as tries, but at
 * most LRU_TAIL_TRIES of them are bumped per call (a bounded search). Returns
 * LRU_FREED, else LRU_BUMPED if an item was bumped, else LRU_SKIPPED.
 */
static lru_verdict lru_pull_tail_locked(cache *c, lru *l, unsigned seg, uint32_t now,
                                        bool evict, item **victim)
{
    hash_ref ref = l->tail[seg];
    lru_verdict seen = LRU_SKIPPED;
    unsigned tries = 0, bumps = 0;
    while (ref != 0 && tries < LRU_TAIL_TRIES && bumps < LRU_TAIL_TRIES) {
        item *it = engine_item(c, ref);
        ref = it->prev; /* before `it` moves or goes */
        lru_verdict v = lru_try_tail_item_locked(c, l, it, seg, now, evict, victim);
        if (v == LRU_FREED)
            return LRU_FREED;
        if (v == LRU_BUMPED) {
            seen = LRU_BUMPED;
            bumps++;
        } else {
            tries++;
        }
    }
    return seen;
}

bool lru_make_room(cache *c, unsigned id, uint32_t now)
{
    static const unsigned order[] = {LRU_COLD, LRU_HOT, LRU_WARM, LRU_TEMP};
    lru *l = &c->lrus[id];
    lru_verdict v = LRU_BUMPED;
    item *victim = NULL;
    hash_mutex_lock(&l->lock);
    for (unsigned round = 0; round < LRU_ROOM_ROUNDS && v == LRU_BUMPED; round++) {
        v = LRU_SKIPPED;
        for (unsigned i = 0; i < 4 && v != LRU_FREED; i++) {
            lru_verdict seg_v = lru_pull_tail_locked(c, l, order[i], now,
                                                     c->opts.evict_to_free, &victim);
            if (seg_v != LRU_SKIPPED)
                v = seg_v;
        }
    }
    hash_mutex_unlock(&l->lock);
    if (victim != NULL)
        engine_item_unpin(c, victim); /* the slab free, outside the LRU lock */
    return v == LRU_FREED;
}

/* ---- the maintainer's segment moves -------------------------------------- */

/* Frees the tail item of `seg` if it is dead; true if it did. */
static bool lru_reclaim_tail_locked(cache *c, lru *l, item *it, uint32_t now)
{
    if (engine_item_dead(c, it, now) == ENGINE_ALIVE)
        return false;
    uint64_t hv = engine_item_hv(it);
    if (!hash_trylock(c->hash, hv))
        return false;
    bool freed = engine_item_dead(c, it, now) != ENGINE_ALIVE;
    if (freed) {
        lru_count_reclaim(l, it);
        engine_unlink_locked(c, it, hv, true);
    }
    hash_unlock(c->hash, hv);
    return freed;
}

static bool lru_over_limit_locked(cache *c, lru *l, unsigned seg, item *tail,
                                  uint32_t now)
{
    uint64_t total = atomic_load(&l->bytes[LRU_HOT]) + atomic_load(&l->bytes[LRU_WARM]) +
                     atomic_load(&l->bytes[LRU_COLD]);
    if (!cache_tune_segmented(c))
        return true; /* `lru mode flat`: HOT and WARM drain into COLD */
    unsigned pct = cache_tune_pct(c, seg == LRU_HOT);
    double factor = cache_tune_factor(c, seg == LRU_HOT);
    if (atomic_load(&l->bytes[seg]) > total * pct / 100)
        return true;
    if (l->tail[LRU_COLD] == 0)
        return false;
    double cold_age = (double)lru_tail_age_locked(c, l, LRU_COLD, now);
    return (double)lru_age(tail, now) > cold_age * factor;
}

/* Moves one over-limit HOT/WARM tail item; false when within limits. */
static bool lru_shed_tail_locked(cache *c, lru *l, unsigned seg, uint32_t now)
{
    item *it = engine_item(c, l->tail[seg]);
    if (lru_reclaim_tail_locked(c, l, it, now))
        return true;
    if (!lru_over_limit_locked(c, l, seg, it, now))
        return false;
    if (item_state(it) & ITEM_ACTIVE) {
        item_clear_bits(it, ITEM_ACTIVE);
        lru_move_locked(c, l, it, LRU_WARM);
        lru_stat(l, seg == LRU_HOT ? LRU_STAT_MOVES_TO_WARM : LRU_STAT_MOVES_WITHIN, 1);
    } else {
        lru_move_locked(c, l, it, LRU_COLD);
        lru_stat(l, LRU_STAT_MOVES_TO_COLD, 1);
    }
    return true;
}

/* COLD/TEMP tail: reclaim dead items, lift active COLD items to WARM. */
static bool lru_tend_tail_locked(cache *c, lru *l, unsigned seg, uint32_t now)
{
    item *it = engine_item(c, l->tail[seg]);
    if (lru_reclaim_tail_locked(c, l, it, now))
        return true;
    if (seg != LRU_COLD || !(item_state(it) & ITEM_ACTIVE))
        return false;
    item_clear_bits(it, ITEM_ACTIVE);
    lru_move_locked(c, l, it, LRU_WARM);
    lru_stat(l, LRU_STAT_MOVES_TO_WARM, 1);
    return true;
}

/*
 * Up to `max` maintainer steps on the tail of `seg` (l->lock held); stops at
 * the first tail item that needs nothing. Returns the steps taken.
 */
static unsigned lru_juggle_segment_locked(cache *c, lru *l, unsigned seg, uint32_t now,
                                          unsigned max)
{
    unsigned done = 0;
    while (done < max && l->tail[seg] != 0) {
        bool acted = seg <= LRU_WARM ? lru_shed_tail_locked(c, l, seg, now)
                                     : lru_tend_tail_locked(c, l, seg, now);
        if (!acted)
            break;
        done++;
    }
    return done;
}

static bool lru_juggle_lock(lru *l, bool try_only)
{
    if (try_only)
        return hash_mutex_trylock(&l->lock);
    hash_mutex_lock(&l->lock);
    return true;
}

/*
 * lru_juggle, holding the LRU lock for at most LRU_JUGGLE_BATCH steps at a
 * time. With try_only, a busy lock ends the pass (*deferred set) instead of
 * waiting for it: workers never queue behind the maintainer, nor it behind
 * them.
 */
static unsigned lru_juggle_run(cache *c, unsigned id, uint32_t now, unsigned budget,
                               bool try_only, bool *deferred)
{
    lru *l = &c->lrus[id];
    unsigned done = 0;
    *deferred = false;
    for (unsigned seg = LRU_HOT; seg < LRU_SEGS && !*deferred; seg++) {
        unsigned left = budget;
        while (left > 0) {
            unsigned batch = left < LRU_JUGGLE_BATCH ? left : LRU_JUGGLE_BATCH;
            if (!lru_juggle_lock(l, try_only)) {
                *deferred = true;
                break;
            }
            unsigned n = lru_juggle_segment_locked(c, l, seg, now, batch);
            hash_mutex_unlock(&l->lock);
            done += n;
            left -= batch;
            if (n < batch)
                break;
        }
    }
    lru_stat(l, LRU_STAT_JUGGLES, 1);
    return done;
}

unsigned lru_juggle(cache *c, unsigned id, uint32_t now, unsigned budget)
{
    bool deferred;
    return lru_juggle_run(c, id, now, budget, false, &deferred);
}

/* ---- the maintainer thread ---------------------------------------------- */

#define LRU_SLEEP_MIN_US 1000
#define LRU_SLEEP_MAX_US 100000
#define LRU_SLEEP_BUSY_MAX_US 10000 /* longest sleep while passes still find work */
#define LRU_BUDGET 500

static bool lru_class_empty(cache *c, unsigned id)
{
    lru *l = &c->lrus[id];
    for (unsigned seg = 0; seg < LRU_SEGS; seg++)
        if (atomic_load_explicit(&l->count[seg], memory_order_relaxed) != 0)
            return false;
    return true;
}

/*
 * The maintainer's next sleep: a pass that found much to do (a quarter of
 * a class budget, or a busy lock) halves it down to the minimum; some work
 * stretches it by a millisecond up to LRU_SLEEP_BUSY_MAX_US; no work
 * doubles it up to the maximum. Under a steady load the thread wakes about
 * a hundred times a second, not a thousand: each wake is a context switch
 * that takes a CPU from the workers.
 */
static uint64_t lru_next_sleep(uint64_t sleep_us, unsigned done, bool deferred)
{
    if (deferred || done >= LRU_BUDGET / 4)
        return sleep_us / 2 > LRU_SLEEP_MIN_US ? sleep_us / 2 : LRU_SLEEP_MIN_US;
    if (done > 0)
        return sleep_us >= LRU_SLEEP_BUSY_MAX_US ? sleep_us
               : (sleep_us + 1000 > LRU_SLEEP_BUSY_MAX_US ? LRU_SLEEP_BUSY_MAX_US : sleep_us + 1000);
    return sleep_us * 2 > LRU_SLEEP_MAX_US ? LRU_SLEEP_MAX_US : sleep_us * 2;
}

static void *lru_maintainer_main(void *arg)
{
    cache *c = arg;
    uint64_t sleep_us = LRU_SLEEP_MIN_US;
    while (!engine_bg_sleep(c, &c->maintainer, sleep_us)) {
        uint32_t now = engine_now(c, NULL);
        unsigned done = 0;
        bool deferred, any_deferred = false;
        for (unsigned id = 1; id <= c->arena->nclasses; id++) {
            if (lru_class_empty(c, id))
                continue;
            done += lru_juggle_run(c, id, now, LRU_BUDGET, true, &deferred);
            any_deferred |= deferred;
        }
        sleep_us = lru_next_sleep(sleep_us, done, any_deferred);
    }
    return NULL;
}

void lru_maintainer_start(cache *c)
{
    if (c->opts.lru_maintainer)
        engine_bg_start(c, &c->maintainer, lru_maintainer_main, "cashew-lru");
}

void lru_maintainer_stop(cache *c)
{
    engine_bg_stop(c, &c->maintainer);
}
