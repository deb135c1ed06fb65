/*
 * slab/slab.c -- the arena: pages, size classes and chunk allocation.
 * See slab.h for the layout and the locking rules.
 */
#include "slab/slab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_REFS ((size_t)0xfffffffeu) /* refs 1 .. 2^32 - 1 */

unsigned slab_shift_for(size_t memory_limit)
{
    unsigned shift = 3;
    while (shift < SLAB_SHIFT_MAX && (memory_limit >> shift) >= SLAB_REFS)
        shift++;
    return shift;
}

static size_t slab_align_up(size_t n, size_t g)
{
    return (n + g - 1) & ~(g - 1);
}

/* ---- class layout ------------------------------------------------------ */

static unsigned slab_layout_explicit(const slab_params *p, uint32_t *sizes, unsigned max,
                                     size_t g, size_t top)
{
    unsigned n = 0;
    for (size_t i = 0; i < p->sizes_count && n + 1 < max; i++) {
        size_t s = slab_align_up(p->sizes[i], g);
        if (s >= top)
            break;
        if (n > 0 && s <= sizes[n - 1])
            continue;
        sizes[n++] = (uint32_t)s;
    }
    sizes[n++] = (uint32_t)top;
    return n;
}

static size_t slab_layout_next(const slab_params *p, size_t size, size_t g)
{
    if (size < p->fine_max)
        return size + g;
    size_t next = slab_align_up((size_t)((double)size * p->growth_factor), g);
    return next > size ? next : size + g;
}

unsigned slab_layout(const slab_params *p, uint32_t *sizes, unsigned max)
{
    if (max == 0)
        return 0;
    size_t g = (size_t)1 << slab_shift_for(p->memory_limit);
    size_t top = p->chunk_max & ~(g - 1);
    if (p->sizes != NULL && p->sizes_count > 0)
        return slab_layout_explicit(p, sizes, max, g, top);
    unsigned n = 0;
    size_t size = slab_align_up(p->chunk_min_total, g);
    while (size < top && n + 1 < max) {
        sizes[n++] = (uint32_t)size;
        size = slab_layout_next(p, size, g);
    }
    sizes[n++] = (uint32_t)top;
    return n;
}

const char *slab_params_check(const slab_params *p)
{
    size_t g = (size_t)1 << slab_shift_for(p->memory_limit);
    if (p->page_size < 1024 || p->page_size % g != 0)
        return "slab page size must be a multiple of 8 and at least 1 KB";
    if ((p->memory_limit >> SLAB_SHIFT_MAX) >= SLAB_REFS)
        return "memory limit too large";
    if (p->page_size > ((size_t)1 << 30))
        return "slab page size must be at most 1 GB";
    if (p->memory_limit < p->page_size)
        return "memory limit must hold at least one slab page";
    if (slab_align_up(p->chunk_min_total, g) > (p->chunk_max & ~(g - 1)) ||
        p->chunk_max > p->page_size)
        return "slab_chunk_max must be between the smallest chunk and the page size";
    if (!(p->growth_factor > 1.0))
        return "growth factor must be > 1";
    for (size_t i = 1; i < p->sizes_count; i++)
        if (p->sizes != NULL && p->sizes[i] <= p->sizes[i - 1])
            return "slab_sizes must be ascending";
    return NULL;
}

/* ---- arena -------------------------------------------------------------- */

/* slab_class_for by binary search over the class sizes. */
static unsigned slab_class_search(const slab_arena *a, size_t size)
{
    unsigned lo = 1, hi = a->nclasses;
    if (a->nclasses == 0 || size > a->classes[hi].size)
        return 0;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (a->classes[mid].size >= size)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/*
 * Fills quick_class: entry i answers every size in (8(i-1), 8i], which all
 * share one class when class sizes are multiples of SLAB_ALIGN (else the
 * table stays empty and every lookup searches).
 */
static void slab_quick_setup(slab_arena *a)
{
    for (unsigned i = 1; i <= a->nclasses; i++)
        if (a->classes[i].size % SLAB_ALIGN != 0)
            return;
    for (size_t i = 0; i <= SLAB_QUICK_MAX / SLAB_ALIGN; i++)
        a->quick_class[i] = (uint8_t)slab_class_search(a, i * SLAB_ALIGN);
}

static void slab_classes_setup(slab_arena *a, const slab_params *p)
{
    uint32_t sizes[SLAB_CLASSES_MAX];
    a->nclasses = slab_layout(p, sizes, SLAB_CLASSES_MAX);
    for (unsigned i = 1; i <= a->nclasses; i++) {
        slab_class *k = &a->classes[i];
        atomic_init(&k->lock.word, 0); /* a free hash_mutex */
        k->size = sizes[i - 1];
        k->per_page = (uint32_t)(a->page_size / k->size);
    }
    slab_quick_setup(a);
}

/*
 * Pages to reserve: the budget plus one first page per class, as far as
 * 32-bit refs of granularity 1 << shift reach.
 */
static size_t slab_reserve_pages(const slab_arena *a, size_t limit_pages)
{
    size_t reach = (SLAB_REFS << a->shift) / a->page_size;
    size_t want = limit_pages + a->nclasses; /* limit_pages <= reach: see shift_for */
    return want < reach ? want : reach;
}

slab_arena *slab_arena_create(const slab_params *p, const char **why)
{
    const char *bad = slab_params_check(p);
    slab_arena *a = bad ? NULL : calloc(1, sizeof(*a));
    if (a == NULL) {
        if (why)
            *why = bad ? bad : "out of memory";
        return NULL;
    }
    a->page_size = p->page_size;
    a->shift = slab_shift_for(p->memory_limit);
    slab_classes_setup(a, p);
    a->limit_pages = (uint32_t)(p->memory_limit / p->page_size);
    size_t npages = slab_reserve_pages(a, a->limit_pages);
    a->npages = (uint32_t)npages;
    a->size = npages * p->page_size;
    a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* Huge pages where the system allows them: every lookup lands on a
     * random item, and a 4 KiB TLB entry per item page costs a page walk. */
    if (a->base != MAP_FAILED)
        (void)madvise(a->base, a->size, MADV_HUGEPAGE);
    a->page_class = calloc(npages, sizeof(*a->page_class));
    a->pool_free = calloc(npages, sizeof(*a->pool_free));
    if (a->base == MAP_FAILED || a->page_class == NULL || a->pool_free == NULL) {
        if (a->base == MAP_FAILED)
            a->base = NULL;
        slab_arena_destroy(a);
        if (why)
            *why = "cannot reserve the memory limit";
        return NULL;
    }
    pthread_mutex_init(&a->pool_lock, NULL);
    return a;
}

void slab_arena_destroy(slab_arena *a)
{
    if (a == NULL)
        return;
    if (a->base != NULL) {
        munmap(a->base, a->size);
        pthread_mutex_destroy(&a->pool_lock);
    }
    free((void *)a->page_class);
    free(a->pool_free);
    free(a);
}

unsigned slab_class_for(const slab_arena *a, size_t size)
{
    if (size <= SLAB_QUICK_MAX) {
        unsigned id = a->quick_class[(size + SLAB_ALIGN - 1) / SLAB_ALIGN];
        if (id != 0)
            return id;
    }
    return slab_class_search(a, size);
}

/* ---- pages -------------------------------------------------------------- */

/*
 * A page nobody owns, or UINT32_MAX. Within the budget unless `beyond_ok`
 * (a class's first page, or a page move), then only within the reserve.
 * Takes the pool lock.
 */
static uint32_t slab_pool_take(slab_arena *a, bool beyond_ok)
{
    uint32_t page = UINT32_MAX;
    pthread_mutex_lock(&a->pool_lock);
    uint32_t in_use = a->pool_next - a->pool_free_count;
    if (in_use < a->limit_pages || beyond_ok) {
        if (a->pool_free_count > 0)
            page = a->pool_free[--a->pool_free_count];
        else if (a->pool_next < a->npages)
            page = a->pool_next++;
    }
    pthread_mutex_unlock(&a->pool_lock);
    return page;
}

static void slab_pool_give(slab_arena *a, uint32_t page)
{
    pthread_mutex_lock(&a->pool_lock);
    a->pool_free[a->pool_free_count++] = page;
    pthread_mutex_unlock(&a->pool_lock);
}

/* Makes `page` the one class `id` carves from. Needs the class lock. */
static void slab_carve_page_locked(slab_arena *a, unsigned id, uint32_t page)
{
    slab_class *k = &a->classes[id];
    atomic_store_explicit(&a->page_class[page], (uint8_t)id, memory_order_relaxed);
    k->pages++;
    k->carve_page = page;
    k->carve_next = slab_page_offset(a, page);
    k->carve_left = k->per_page;
}

static bool slab_new_page_locked(slab_arena *a, unsigned id, bool beyond_ok)
{
    uint32_t page = slab_pool_take(a, beyond_ok || a->classes[id].pages == 0);
    if (page == UINT32_MAX)
        return false;
    slab_carve_page_locked(a, id, page);
    return true;
}

bool slab_page_grant(slab_arena *a, unsigned id)
{
    if (id == 0 || id > a->nclasses)
        return false;
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    bool ok = k->carve_left == 0 && slab_new_page_locked(a, id, true);
    hash_mutex_unlock(&k->lock);
    return ok;
}

uint64_t slab_pages_in_use(slab_arena *a)
{
    pthread_mutex_lock(&a->pool_lock);
    uint64_t n = (uint64_t)a->pool_next - a->pool_free_count;
    pthread_mutex_unlock(&a->pool_lock);
    return n;
}

/* ---- chunks ------------------------------------------------------------- */

static hash_ref *slab_link(slab_arena *a, hash_ref ref)
{
    return (hash_ref *)slab_ptr(a, ref);
}

static hash_ref slab_take_locked(slab_arena *a, slab_class *k, unsigned id)
{
    if (k->free_head != 0) {
        hash_ref ref = k->free_head;
        k->free_head = *slab_link(a, ref);
        k->free_count--;
        return ref;
    }
    if (k->carve_left == 0 && !slab_new_page_locked(a, id, false))
        return 0;
    hash_ref ref = (hash_ref)(k->carve_next >> a->shift) + 1;
    k->carve_next += k->size;
    k->carve_left--;
    return ref;
}

hash_ref slab_alloc(slab_arena *a, unsigned id, size_t requested)
{
    if (id == 0 || id > a->nclasses)
        return 0;
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    hash_ref ref = slab_take_locked(a, k, id);
    if (ref != 0) {
        k->used++;
        k->requested += requested;
    }
    hash_mutex_unlock(&k->lock);
    return ref;
}

static uint32_t slab_page_of(const slab_arena *a, hash_ref ref)
{
    return (uint32_t)(((size_t)(ref - 1) << a->shift) / a->page_size);
}

void slab_free(slab_arena *a, hash_ref ref, size_t requested)
{
    unsigned id = slab_class_of(a, ref);
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    k->used--;
    k->requested -= requested;
    if (atomic_load(&a->moving_page) == slab_page_of(a, ref) + 1) {
        a->moving_used--;
    } else {
        *slab_link(a, ref) = k->free_head;
        k->free_head = ref;
        k->free_count++;
    }
    hash_mutex_unlock(&k->lock);
}

void slab_class_info_read(slab_arena *a, unsigned id, slab_class_info *out)
{
    memset(out, 0, sizeof(*out));
    if (id == 0 || id > a->nclasses)
        return;
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    out->size = k->size;
    out->per_page = k->per_page;
    out->pages = k->pages;
    out->used = k->used;
    out->free = k->free_count + k->carve_left;
    out->requested = k->requested;
    hash_mutex_unlock(&k->lock);
}

/* ---- page moves --------------------------------------------------------- */

/* Drops page's chunks from the free list; returns how many it dropped. */
static uint64_t slab_unlist_page_locked(slab_arena *a, slab_class *k, uint32_t page)
{
    uint64_t dropped = 0;
    hash_ref *prev = &k->free_head;
    while (*prev != 0) {
        hash_ref ref = *prev;
        if (slab_page_of(a, ref) == page) {
            *prev = *slab_link(a, ref);
            dropped++;
        } else {
            prev = slab_link(a, ref);
        }
    }
    k->free_count -= dropped;
    return dropped;
}

bool slab_page_detach(slab_arena *a, uint32_t page)
{
    if (page >= a->npages)
        return false;
    unsigned id = atomic_load(&a->page_class[page]);
    if (id == 0)
        return false;
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    uint32_t none = 0;
    bool ok = atomic_load(&a->page_class[page]) == id &&
              atomic_compare_exchange_strong(&a->moving_page, &none, page + 1);
    if (ok) {
        uint64_t uncarved = 0;
        if (k->carve_left > 0 && k->carve_page == page) {
            uncarved = k->carve_left;
            k->carve_left = 0;
        }
        uint64_t freed = slab_unlist_page_locked(a, k, page);
        a->moving_used = k->per_page - uncarved - freed;
    }
    hash_mutex_unlock(&k->lock);
    return ok;
}

uint64_t slab_page_used(slab_arena *a)
{
    uint32_t moving = atomic_load(&a->moving_page);
    if (moving == 0)
        return 0;
    slab_class *k = &a->classes[atomic_load(&a->page_class[moving - 1])];
    hash_mutex_lock(&k->lock);
    uint64_t used = a->moving_used;
    hash_mutex_unlock(&k->lock);
    return used;
}

void slab_page_release(slab_arena *a, uint32_t page)
{
    unsigned id = atomic_load(&a->page_class[page]);
    slab_class *k = &a->classes[id];
    hash_mutex_lock(&k->lock);
    k->pages--;
    atomic_store(&a->page_class[page], 0);
    atomic_store(&a->moving_page, 0);
    hash_mutex_unlock(&k->lock);
    madvise(a->base + slab_page_offset(a, page), a->page_size, MADV_DONTNEED);
    slab_pool_give(a, page);
}
