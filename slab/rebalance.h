/*
 * slab/rebalance.h -- moving slab pages between classes.
 *
 * A page moves in three steps: detach it from its class (slab_page_detach:
 * no chunk of it is handed out again), empty it (each live item is copied
 * to a free chunk of the same class elsewhere, keeping its CAS -- a
 * "rescue" -- or unlinked when there is none -- an "eviction"; a chained
 * value's data chunk evicts its owner), then, once no reference is left on
 * it, release it to the pool (zeroed) and grant it to the class that needs
 * it. The page write lock c->pages_rw is held only for the release, so the
 * crawler and cache_walk never see a page change class while they scan it.
 *
 * With slab_automove = 1 the mover thread moves a page when a class has
 * evicted items (or failed to get memory) for 3 windows in a row (10 s each) and another class has
 * at least 2 pages' worth of free chunks; with 2 it acts every second on
 * any eviction and may also take a page from the class whose COLD tail is
 * the oldest. slab_reassign must be on for any of this.
 */
#ifndef CASHEW_SLAB_REBALANCE_H
#define CASHEW_SLAB_REBALANCE_H

#include "slab/engine.h"

typedef enum rebalance_status {
    REBALANCE_OK = 0,
    REBALANCE_NOSPARE,   /* source has no page to give */
    REBALANCE_BADCLASS,  /* bad class id, or src == dst */
    REBALANCE_BUSY,      /* another page is moving, or items stay referenced */
    REBALANCE_DISABLED   /* slab_reassign is off */
} rebalance_status;

/*
 * Moves one page from class src to class dst (src 0 = any class with the
 * most free chunks). Synchronous; waits (up to about a second) for readers
 * of items on the page to let go. Any thread holding no engine lock.
 */
rebalance_status rebalance_move(cache *c, unsigned src, unsigned dst);

/*
 * Start/stop the mover thread (when slab_reassign is on). It serves
 * cache_slabs_reassign requests and, per the current automove mode
 * (cache_slabs_automove), moves pages by itself.
 */
void rebalance_start(cache *c);
void rebalance_stop(cache *c);

#endif
