/*
 * slab/crawler.c -- background reclaim of dead items, and cache_walk.
 * See crawler.h.
 */
#include "slab/crawler.h"

#include <time.h>

#include "slab/lru.h"

#define CRAWLER_BATCH 1000             /* items between two sleeps (as memcached) */
#define CRAWLER_PASS_SLEEP_US 1000000  /* first pause between full passes */
#define CRAWLER_PASS_SLEEP_MAX_US 60000000

typedef struct crawler_pass {
    uint32_t now;
    uint64_t limit, checked, freed, since_sleep;
    unsigned id;
    bool background; /* sleep lru_crawler_sleep between batches */
} crawler_pass;

/* Unlinks a pinned item if it is (still) linked and dead. */
static bool crawler_reclaim(cache *c, item *it, uint32_t now)
{
    uint64_t hv = engine_item_hv(it);
    bool freed = false;
    hash_lock(c->hash, hv);
    if (item_is_linked(it) && engine_item_dead(c, it, now) != ENGINE_ALIVE) {
        engine_unlink_locked(c, it, hv, false);
        freed = true;
    }
    hash_unlock(c->hash, hv);
    return freed;
}

static bool crawler_visit(cache *c, item *it, void *arg)
{
    crawler_pass *p = arg;
    lru *l = &c->lrus[p->id];
    p->checked++;
    engine_count_shared(&l->stat[LRU_STAT_CRAWLER_CHECKED], 1);
    if (engine_item_dead(c, it, p->now) != ENGINE_ALIVE && crawler_reclaim(c, it, p->now)) {
        p->freed++;
        engine_count_shared(&l->stat[LRU_STAT_CRAWLER_RECLAIMED], 1);
    }
    if (p->background && ++p->since_sleep >= CRAWLER_BATCH) {
        uint32_t usec = atomic_load_explicit(&c->crawler_sleep, memory_order_relaxed);
        p->since_sleep = 0;
        if (usec > 0 && engine_bg_sleep(c, &c->crawler, usec))
            return false;
    }
    return p->limit == 0 || p->checked < p->limit;
}

static uint64_t crawler_run(cache *c, unsigned id, uint32_t now, uint64_t limit,
                            bool background)
{
    crawler_pass p = {now, limit, 0, 0, 0, id, background};
    if (id == 0 || id > c->arena->nclasses)
        return 0;
    for (uint32_t page = 0; page < c->arena->npages; page++) {
        if (atomic_load_explicit(&c->arena->page_class[page], memory_order_relaxed) != id)
            continue;
        pthread_rwlock_rdlock(&c->pages_rw);
        bool go_on = engine_page_visit(c, page, id, crawler_visit, &p);
        pthread_rwlock_unlock(&c->pages_rw);
        if (!go_on)
            break;
    }
    return p.freed;
}

uint64_t crawler_crawl_class(cache *c, unsigned id, uint32_t now, uint64_t limit)
{
    return crawler_run(c, id, now, limit, false);
}

static void *crawler_main(void *arg)
{
    cache *c = arg;
    uint64_t pause = CRAWLER_PASS_SLEEP_US;
    while (!engine_bg_sleep(c, &c->crawler, pause)) {
        uint64_t freed = 0;
        unsigned only = atomic_exchange(&c->crawl_request, 0); /* class + 1, or 0 */
        for (unsigned id = 1; id <= c->arena->nclasses && !atomic_load(&c->crawler.stop); id++)
            if (only <= 1 || id == only - 1)
                freed += crawler_run(c, id, engine_now(c, NULL), cache_crawler_tocrawl(c), true);
        atomic_fetch_add(&c->crawler_runs, 1);
        pause = freed > 0 ? CRAWLER_PASS_SLEEP_US
                          : (pause * 2 > CRAWLER_PASS_SLEEP_MAX_US ? CRAWLER_PASS_SLEEP_MAX_US
                                                                   : pause * 2);
    }
    return NULL;
}

void crawler_start(cache *c)
{
    atomic_store(&c->crawler_sleep, c->opts.lru_crawler_sleep);
    atomic_store(&c->crawler_tocrawl, c->opts.lru_crawler_tocrawl);
    if (c->opts.lru_crawler)
        cache_crawler_enable(c);
}

void crawler_stop(cache *c)
{
    cache_crawler_disable(c);
}

bool cache_crawler_enable(cache *c)
{
    pthread_mutex_lock(&c->crawler_ctl);
    bool was_running = atomic_load(&c->crawler.running);
    if (!was_running)
        engine_bg_start(c, &c->crawler, crawler_main, "cashew-crawler");
    bool started = !was_running && atomic_load(&c->crawler.running);
    pthread_mutex_unlock(&c->crawler_ctl);
    return started;
}

void cache_crawler_disable(cache *c)
{
    pthread_mutex_lock(&c->crawler_ctl);
    engine_bg_stop(c, &c->crawler);
    pthread_mutex_unlock(&c->crawler_ctl);
}

void cache_crawler_set_sleep(cache *c, uint32_t usec)
{
    atomic_store_explicit(&c->crawler_sleep, usec, memory_order_relaxed);
}

void cache_crawler_set_tocrawl(cache *c, uint32_t items)
{
    atomic_store_explicit(&c->crawler_tocrawl, items, memory_order_relaxed);
}

uint32_t cache_crawler_sleep(const cache *c)
{
    return atomic_load_explicit(&c->crawler_sleep, memory_order_relaxed);
}

uint32_t cache_crawler_tocrawl(const cache *c)
{
    return atomic_load_explicit(&c->crawler_tocrawl, memory_order_relaxed);
}

/* ---- cache_walk ------------------------------------------------------------ */

typedef struct crawler_walk {
    bool (*fn)(void *arg, const cache_item_meta *m);
    void *arg;
    uint32_t now;
    unsigned id;
} crawler_walk;

static bool crawler_walk_visit(cache *c, item *it, void *arg)
{
    crawler_walk *w = arg;
    if (engine_item_dead(c, it, w->now) != ENGINE_ALIVE)
        return true;
    uint32_t exp = item_exptime(it);
    cache_item_meta m = {
        .key = item_key(it),
        .nkey = item_nkey(it),
        .exptime = exp ? c->epoch + exp : 0,
        .last_access = c->epoch + atomic_load_explicit(&it->atime, memory_order_relaxed),
        .cas = item_cas(it),
        .flags = item_cflags(it),
        .nbytes = item_nbytes(it),
        .class_id = w->id,
        .fetched = (item_state(it) & ITEM_FETCHED) != 0,
    };
    return w->fn(w->arg, &m);
}

void cache_walk(cache *c, unsigned class_id, bool (*fn)(void *arg, const cache_item_meta *m),
                void *arg)
{
    crawler_walk w = {fn, arg, engine_now(c, NULL), 0};
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        if (class_id != 0 && id != class_id)
            continue;
        w.id = id;
        for (uint32_t page = 0; page < c->arena->npages; page++) {
            if (atomic_load_explicit(&c->arena->page_class[page], memory_order_relaxed) != id)
                continue;
            pthread_rwlock_rdlock(&c->pages_rw);
            bool go_on = engine_page_visit(c, page, id, crawler_walk_visit, &w);
            pthread_rwlock_unlock(&c->pages_rw);
            if (!go_on)
                return;
        }
    }
}

bool cache_crawl(cache *c, unsigned class_id)
{
    if (!atomic_load(&c->crawler.running) || class_id > c->arena->nclasses)
        return false;
    atomic_store(&c->crawl_request, class_id + 1);
    engine_bg_wake(c, &c->crawler);
    return true;
}
