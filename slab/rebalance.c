/*
 * slab/rebalance.c -- moving pages between classes (slab_reassign) and the
 * automove thread. See rebalance.h.
 */
#include "slab/rebalance.h"

#include <string.h>

#include "slab/lru.h"

#define REBALANCE_ROUNDS 1000        /* emptying rounds before giving up */
#define REBALANCE_ROUND_SLEEP_US 1000
#define REBALANCE_TICK_US 1000000   /* the mover wakes every second */
#define REBALANCE_WINDOW_TICKS 10    /* automove=1 looks at 10-second windows */

/* ---- emptying a page ------------------------------------------------------ */

/*
 * Copies a linked, pinned, unchained item into a free chunk of its class
 * (not on the moving page) and swaps it in, keeping its CAS. Stripe lock
 * of hv held. False if no free chunk.
 */
static bool rebalance_rescue_locked(cache *c, item *it, uint64_t hv, unsigned id)
{
    size_t total = item_total(it);
    hash_ref ref = slab_alloc(c->arena, id, total);
    if (ref == 0)
        return false;
    item *copy = engine_item(c, ref);
    memcpy((char *)copy + ITEM_HEADER_SIZE, (char *)it + ITEM_HEADER_SIZE,
           total - ITEM_HEADER_SIZE);
    copy->hnext = copy->prev = copy->next = 0;
    atomic_store_explicit(&copy->atime, atomic_load(&it->atime), memory_order_relaxed);
    copy->nbytes = it->nbytes;
    uint32_t keep = ~(ITEM_REF_MASK | ITEM_LINKED | ITEM_SEG_MASK);
    atomic_store_explicit(&copy->state, (item_state(it) & keep) | 1u, memory_order_release);
    hash_replace_locked(c->hash, hv, engine_ref(c, it), ref);
    item_mark_linked(copy);
    lru_link(c, copy, engine_now(c, NULL));
    engine_retire_locked(c, it, false);
    engine_item_unpin(c, copy); /* the allocation's reference */
    return true;
}

/* Drops, rescues or evicts one pinned item head that lives on the moving page. */
static void rebalance_empty_item(cache *c, item *it, unsigned id)
{
    uint64_t hv = engine_item_hv(it);
    hash_lock(c->hash, hv);
    if (item_is_linked(it)) {
        bool chained = (item_state(it) & ITEM_CHAINED) != 0;
        if (engine_item_dead(c, it, engine_now(c, NULL)) != ENGINE_ALIVE) {
            engine_unlink_locked(c, it, hv, false); /* expired or flushed: just drop it */
        } else if (!chained && rebalance_rescue_locked(c, it, hv, id)) {
            atomic_fetch_add(&c->rebal.rescues, 1);
        } else {
            engine_unlink_locked(c, it, hv, false);
            atomic_fetch_add(&c->rebal.evictions, 1);
        }
    }
    hash_unlock(c->hash, hv);
}

/* True if `owner` is a chained item whose chain holds `chunk`. */
static bool rebalance_owns(const item *owner, const char *chunk)
{
    if (!(item_state(owner) & ITEM_CHAINED) || item_nkey(owner) == 0)
        return false;
    size_t n = item_chain_count(owner);
    for (size_t i = 0; i < n; i++)
        if (item_chain_chunk(owner, i) == chunk)
            return true;
    return false;
}

/* A data chunk on the moving page: evict the item that owns it. */
static void rebalance_empty_data_chunk(cache *c, item *d, unsigned id)
{
    hash_ref owner_ref = d->hnext;
    if (owner_ref == 0)
        return;
    item *owner = engine_item(c, owner_ref);
    if (!item_pin(owner))
        return;
    if (rebalance_owns(owner, (const char *)d) && item_state(d) == ITEM_CHAINED)
        rebalance_empty_item(c, owner, id);
    engine_item_unpin(c, owner);
}

static void rebalance_empty_pass(cache *c, uint32_t page, unsigned id)
{
    const slab_class *k = &c->arena->classes[id];
    char *base = c->arena->base + slab_page_offset(c->arena, page);
    for (uint32_t i = 0; i < k->per_page; i++) {
        item *it = (item *)(base + (size_t)i * k->size);
        uint32_t st = item_state(it);
        if ((st & ITEM_CHAINED) && (st >> ITEM_NKEY_SHIFT) == 0) {
            rebalance_empty_data_chunk(c, it, id);
        } else if ((st & ITEM_LINKED) && item_pin(it)) {
            rebalance_empty_item(c, it, id);
            engine_item_unpin(c, it);
        }
    }
}

/* The page of class `src` to move: the one of its pages with the lowest index. */
static uint32_t rebalance_pick_page(cache *c, unsigned src)
{
    for (uint32_t page = 0; page < c->arena->npages; page++)
        if (atomic_load(&c->arena->page_class[page]) == src)
            return page;
    return UINT32_MAX;
}

/* The class with the most free chunks (in pages' worth), other than dst. */
static unsigned rebalance_pick_source(cache *c, unsigned dst)
{
    unsigned best = 0;
    double best_pages = 0;
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        slab_class_info info;
        slab_class_info_read(c->arena, id, &info);
        double spare = info.per_page ? (double)info.free / info.per_page : 0;
        if (id != dst && info.pages > 1 && spare > best_pages) {
            best = id;
            best_pages = spare;
        }
    }
    return best;
}

/* Empties the detached page and hands it to dst. */
static rebalance_status rebalance_finish(cache *c, uint32_t page, unsigned src, unsigned dst)
{
    for (unsigned round = 0; slab_page_used(c->arena) > 0; round++) {
        if (round == REBALANCE_ROUNDS)
            return REBALANCE_BUSY; /* stays detached; the next move resumes it */
        rebalance_empty_pass(c, page, src);
        if (slab_page_used(c->arena) > 0 &&
            engine_bg_sleep(c, &c->mover, REBALANCE_ROUND_SLEEP_US))
            return REBALANCE_BUSY; /* the engine is stopping */
    }
    pthread_rwlock_wrlock(&c->pages_rw);
    slab_page_release(c->arena, page);
    pthread_rwlock_unlock(&c->pages_rw);
    slab_page_grant(c->arena, dst);
    atomic_fetch_add(&c->rebal.slabs_moved, 1);
    return REBALANCE_OK;
}

static rebalance_status rebalance_move_serial(cache *c, unsigned src, unsigned dst)
{
    uint32_t moving = atomic_load(&c->arena->moving_page);
    if (moving != 0) /* an earlier move gave up half way: finish it first */
        return rebalance_finish(c, moving - 1,
                                atomic_load(&c->arena->page_class[moving - 1]), dst);
    if (src == 0)
        src = rebalance_pick_source(c, dst);
    uint32_t page = src ? rebalance_pick_page(c, src) : UINT32_MAX;
    if (page == UINT32_MAX)
        return REBALANCE_NOSPARE;
    if (!slab_page_detach(c->arena, page))
        return REBALANCE_BUSY;
    return rebalance_finish(c, page, src, dst);
}

rebalance_status rebalance_move(cache *c, unsigned src, unsigned dst)
{
    if (!c->opts.slab_reassign)
        return REBALANCE_DISABLED;
    unsigned n = c->arena->nclasses;
    if (dst == 0 || dst > n || src > n || src == dst)
        return REBALANCE_BADCLASS;
    pthread_mutex_lock(&c->rebal.move_lock);
    rebalance_status st = rebalance_move_serial(c, src, dst);
    pthread_mutex_unlock(&c->rebal.move_lock);
    return st;
}

/* ---- automove ------------------------------------------------------------- */

typedef struct rebalance_window {
    uint64_t last_evicted[SLAB_CLASSES_MAX + 1];
    unsigned streak[SLAB_CLASSES_MAX + 1];
} rebalance_window;

/*
 * The class that evicted (or failed to allocate) most in this window, 0 if
 * none; updates the streaks.
 */
static unsigned rebalance_neediest(cache *c, rebalance_window *w)
{
    unsigned best = 0;
    uint64_t best_delta = 0;
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        uint64_t ev = atomic_load(&c->lrus[id].stat[LRU_STAT_EVICTED]) +
                      atomic_load(&c->lrus[id].stat[LRU_STAT_OUTOFMEMORY]);
        uint64_t delta = ev - w->last_evicted[id];
        w->last_evicted[id] = ev;
        w->streak[id] = delta > 0 ? w->streak[id] + 1 : 0;
        if (delta > best_delta) {
            best = id;
            best_delta = delta;
        }
    }
    return best;
}

/* automove=2: the class (not dst) whose COLD tail is oldest. */
static unsigned rebalance_oldest(cache *c, unsigned dst, uint32_t now)
{
    unsigned best = 0;
    uint64_t best_age = 0;
    for (unsigned id = 1; id <= c->arena->nclasses; id++) {
        slab_class_info info;
        slab_class_info_read(c->arena, id, &info);
        uint64_t age = lru_tail_age(c, id, LRU_COLD, now);
        if (id != dst && info.pages > 1 && age > best_age) {
            best = id;
            best_age = age;
        }
    }
    return best;
}

static void rebalance_tick(cache *c, rebalance_window *w)
{
    unsigned dst = rebalance_neediest(c, w);
    if (dst == 0)
        return;
    bool aggressive = atomic_load(&c->rebal.automove) == 2;
    if (!aggressive && w->streak[dst] < 3)
        return;
    unsigned src = rebalance_pick_source(c, dst);
    slab_class_info info;
    slab_class_info_read(c->arena, src, &info);
    bool spare = src != 0 && info.free >= 2 * (uint64_t)info.per_page;
    if (!spare && aggressive)
        src = rebalance_oldest(c, dst, engine_now(c, NULL));
    else if (!spare)
        return;
    if (src != 0 && rebalance_move(c, src, dst) == REBALANCE_OK)
        w->streak[dst] = 0;
}

/* Carries out a move queued by cache_slabs_reassign, if any. */
static void rebalance_serve_request(cache *c)
{
    uint32_t req = atomic_load(&c->rebal.request);
    if (req == 0)
        return;
    req--;
    rebalance_move(c, req >> 16, req & 0xffff);
    atomic_store(&c->rebal.request, 0);
}

static void *rebalance_main(void *arg)
{
    cache *c = arg;
    rebalance_window w;
    memset(&w, 0, sizeof(w));
    unsigned ticks = 0;
    while (!engine_bg_sleep(c, &c->mover, REBALANCE_TICK_US)) {
        rebalance_serve_request(c);
        unsigned mode = atomic_load(&c->rebal.automove);
        if (mode == 2 || (mode == 1 && ++ticks % REBALANCE_WINDOW_TICKS == 0))
            rebalance_tick(c, &w);
    }
    return NULL;
}

void rebalance_start(cache *c)
{
    atomic_store(&c->rebal.automove, c->opts.slab_automove);
    if (c->opts.slab_reassign)
        engine_bg_start(c, &c->mover, rebalance_main, "cashew-mover");
}

void rebalance_stop(cache *c)
{
    engine_bg_stop(c, &c->mover);
}

/* ---- cache.h entry points ------------------------------------------------- */

cache_reassign_status cache_slabs_reassign(cache *c, int src, int dst)
{
    if (!c->opts.slab_reassign || !c->mover.running)
        return CACHE_REASSIGN_DISABLED;
    int n = (int)c->arena->nclasses;
    if (dst < 1 || dst > n || src < -1 || src == 0 || src > n)
        return CACHE_REASSIGN_BADCLASS;
    if (src == dst)
        return CACHE_REASSIGN_UNSAFE;
    slab_class_info info;
    slab_class_info_read(c->arena, src > 0 ? (unsigned)src : 0, &info);
    if (src > 0 && info.pages == 0)
        return CACHE_REASSIGN_NOSPARE;
    uint32_t none = 0, want = (((uint32_t)(src > 0 ? src : 0) << 16) | (uint32_t)dst) + 1;
    if (atomic_load(&c->arena->moving_page) != 0 ||
        !atomic_compare_exchange_strong(&c->rebal.request, &none, want))
        return CACHE_REASSIGN_BUSY;
    engine_bg_wake(c, &c->mover);
    return CACHE_REASSIGN_OK;
}

bool cache_slabs_automove(cache *c, unsigned mode)
{
    if (mode > 2)
        return false;
    atomic_store(&c->rebal.automove, mode);
    return true;
}
