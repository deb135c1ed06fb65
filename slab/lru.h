/*
 * slab/lru.h -- the segmented LRU of each slab class, eviction and the
 * LRU maintainer thread.
 *
 * Each class has four doubly linked lists of item refs under one mutex:
 *
 *   new items --> HOT --(tail: inactive)--> COLD --(tail)--> evicted
 *                  |                        ^  |
 *                  +--(tail: active)--> WARM   +--(active tail)--> WARM
 *                                        ^  |
 *                                        +--+ (active tail: bumped)
 *   TEMP: items whose TTL is below temporary_ttl; never moved, reclaimed
 *         when they expire (evicted only when nothing else is left).
 *
 * A hit only sets the item's ACTIVE bit (no LRU lock). The maintainer keeps
 * HOT within hot_lru_pct of the class's bytes and its tail younger than
 * hot_max_factor x the COLD tail's age, WARM within warm_lru_pct and
 * warm_max_factor; it also lifts active COLD tail items to WARM and frees
 * expired tail items. Without the maintainer (lru_maintainer=false) new
 * items go straight to COLD, which then behaves as one LRU with a second
 * chance for active items.
 *
 * Locks: functions without _locked take the class's LRU lock; an item's
 * stripe lock is only ever tried (hash_trylock) from here.
 */
#ifndef CASHEW_SLAB_LRU_H
#define CASHEW_SLAB_LRU_H

#include "slab/engine.h"

void lru_setup(lru *l);
void lru_teardown(lru *l);

/* The LRU an item belongs to (its page's class). */
static inline lru *lru_of(cache *c, const item *it)
{
    return &c->lrus[engine_class_of(c, it)];
}

/*
 * Puts a just-linked item at the head of the segment it belongs in (TEMP for
 * short TTLs, else HOT, or COLD without maintainer). Takes the LRU lock.
 * The caller holds the item's stripe lock.
 */
void lru_link(cache *c, item *it, uint32_t now);

/*
 * Replaces `old` by `it` in the LRU (a store over a live item): removes old
 * from its segment and puts `it` at the head of the segment it belongs in,
 * both in one hold of the LRU lock when they share a class (else one hold of
 * each class's lock, one after the other). The caller holds the stripe lock
 * of their key; old's LINKED bit and table reference are the caller's to
 * drop afterwards.
 */
void lru_relink(cache *c, item *old, item *it, uint32_t now);

/* Removes an item from its segment; the caller holds l->lock. */
void lru_unlink_locked(cache *c, lru *l, item *it);

/*
 * Frees room in class `id`: looks at a few tail items (COLD first, then
 * HOT, WARM, TEMP), reclaims an expired or flushed one, else evicts the
 * first idle inactive one unless evict_to_free is off. An active item met
 * on the way (one read since it last moved; not in TEMP) is not evicted:
 * its ACTIVE bit is cleared and it moves to the head of WARM, and the
 * search goes on to the next item. The search is bounded (a few items per
 * segment, a few passes), so a class full of active items may still fail.
 * Does not need the maintainer thread. Returns true if an item was freed.
 */
bool lru_make_room(cache *c, unsigned id, uint32_t now);

/*
 * One maintainer pass over class `id`: segment moves and reclaiming of dead
 * tail items, at most `budget` items looked at. Returns the number of items
 * moved or reclaimed. Safe to call from any thread (the tests do). Holds
 * the LRU lock for at most a small batch of items at a time (the maintainer
 * thread only tries the lock, and leaves a busy class to its next pass).
 */
unsigned lru_juggle(cache *c, unsigned id, uint32_t now, unsigned budget);

/* Seconds since the last access of a segment's tail item (0 if empty). */
uint64_t lru_tail_age(cache *c, unsigned id, unsigned seg, uint32_t now);

/* Start/stop the maintainer thread (cache_create/cache_destroy). */
void lru_maintainer_start(cache *c);
void lru_maintainer_stop(cache *c);

#endif
