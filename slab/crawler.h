/*
 * slab/crawler.h -- the background reclaimer of expired/flushed items, and
 * the item walk behind cache_walk (metadump).
 *
 * Both walk a class's pages chunk by chunk rather than its LRU lists, so
 * they never hold an LRU lock for long and never lose their place: a chunk
 * holding a linked item is pinned (item_pin, no lock), examined, and, if
 * dead, unlinked under its stripe lock. While a page is scanned the walker
 * holds c->pages_rw for reading, so the rebalancer cannot hand the page to
 * another class under its feet (lock order: pages_rw -> stripe -> LRU ->
 * slab).
 */
#ifndef CASHEW_SLAB_CRAWLER_H
#define CASHEW_SLAB_CRAWLER_H

#include "slab/engine.h"

/*
 * Crawls class `id` once: looks at up to `limit` linked items (0 = all)
 * and frees those expired or flushed as of `now`. Returns how many it
 * freed. Takes the locks it needs; any thread.
 */
uint64_t crawler_crawl_class(cache *c, unsigned id, uint32_t now, uint64_t limit);

/*
 * crawler_start (cache_create, once): loads -o lru_crawler_sleep/tocrawl
 * into the runtime settings and starts the thread if opts.lru_crawler.
 * crawler_stop (cache_destroy): stops it if it runs.
 */
void crawler_start(cache *c);
void crawler_stop(cache *c);

#endif
