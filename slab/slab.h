/*
 * slab/slab.h -- the arena: one memory budget, pages, size classes, chunks.
 *
 * The budget is memory_limit rounded down to whole pages ("limit pages").
 * As in memcached, a class that owns no page may take one even when the
 * budget is spent, so the arena reserves limit pages + one page per class
 * (as far as 32-bit refs reach) with ONE mmap(MAP_NORESERVE) at creation;
 * the kernel commits a page's memory only when it is first touched, and
 * only pages actually handed out count as used. Every chunk is named by a
 * 32-bit ref: (offset into the arena >> shift) + 1, so 0 means "none".
 * shift is 3 (8-byte granularity) for arenas up to 32 GB and grows by one
 * for each doubling beyond (16 bytes up to 64 GB, ...); chunk sizes and
 * chunk starts are multiples of 1 << shift.
 *
 *   arena (one mapping)
 *   +-----------+-----------+-----------+-----------+----- - - -
 *   |  page 0   |  page 1   |  page 2   |  (free)   |
 *   | class 12  | class 3   | class 12  |  class 0  |
 *   +-----------+-----------+-----------+-----------+----- - - -
 *   page_class[] (one byte per page): the class that owns each page
 *
 *   a page of class k (chunk size S, carved lazily from the front)
 *   +---------+---------+---------+------ - - - -------+-----+
 *   | chunk 0 | chunk 1 | chunk 2 |  not carved yet    |waste|
 *   +---------+---------+---------+------ - - - -------+-----+
 *
 * A page is given to a class on demand and its chunks are carved one at a
 * time (never all at once), so the resident memory grows with use. Freed
 * chunks go on the class's free list, linked through their first 4 bytes.
 * The slab layer knows nothing of items: it hands out and takes back chunks.
 *
 * Locks: each class has its own mutex (a hash_mutex; the last lock in the engine's order:
 * hash stripe -> LRU -> slab class); a page pool mutex, taken only inside a
 * class lock, guards the pages nobody owns. All functions here take the locks
 * they need themselves.
 */
#ifndef CASHEW_SLAB_SLAB_H
#define CASHEW_SLAB_SLAB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slab/hash.h"

#define SLAB_CLASSES_MAX 255 /* class ids are 1..255; 0 = free page / none */
#define SLAB_ALIGN 8         /* the smallest chunk granularity (shift 3) */
#define SLAB_QUICK_MAX 16384 /* slab_class_for answers sizes up to this from a table */
#define SLAB_SHIFT_MAX 8     /* refs name up to 1 TB */

/* How to carve the budget; filled by the engine from cache_options. */
typedef struct slab_params {
    size_t memory_limit;
    size_t page_size;
    size_t chunk_min_total;    /* smallest chunk (item header + chunk_min) */
    double growth_factor;
    size_t fine_max;           /* 8-byte class steps below this chunk size */
    const uint32_t *sizes;     /* explicit chunk sizes, or NULL */
    size_t sizes_count;
    size_t chunk_max;          /* largest chunk; the last class */
} slab_params;

typedef struct slab_class {
    hash_mutex lock;      /* zeroed = free; nothing to set up or destroy */
    uint32_t size;        /* chunk size, bytes */
    uint32_t per_page;    /* chunks per page */
    hash_ref free_head;   /* free list through the chunks' first word */
    uint64_t free_count;  /* chunks on the free list */
    uint64_t carve_next;  /* arena offset of the next chunk to carve */
    uint32_t carve_left;  /* chunks still to carve in the current page */
    uint32_t carve_page;  /* page being carved (valid if carve_left > 0) */
    uint64_t pages;       /* pages owned */
    uint64_t used;        /* chunks handed out */
    uint64_t requested;   /* bytes asked for by the users of those chunks */
} slab_class;

typedef struct slab_arena {
    char *base;
    unsigned shift;       /* ref granularity: 1 << shift bytes */
    size_t size;          /* npages * page_size: the whole reservation */
    size_t page_size;
    uint32_t npages;      /* pages reserved: limit_pages + first pages */
    uint32_t limit_pages; /* the budget: memory_limit / page_size */
    _Atomic uint8_t *page_class; /* owner class of each page, 0 = none */
    pthread_mutex_t pool_lock;   /* guards the fields below */
    uint32_t pool_next;          /* first page never handed out */
    uint32_t *pool_free;         /* stack of pages handed back */
    uint32_t pool_free_count;
    _Atomic uint32_t moving_page; /* page being emptied + 1, or 0 */
    uint64_t moving_used;         /* its chunks still out (class lock) */
    unsigned nclasses;
    slab_class classes[SLAB_CLASSES_MAX + 1]; /* [1 .. nclasses] */
    /* slab_class_for's answer for sizes up to SLAB_QUICK_MAX, by size / 8
     * rounded up (class sizes are multiples of SLAB_ALIGN); 0 = not set up */
    uint8_t quick_class[SLAB_QUICK_MAX / SLAB_ALIGN + 1];
} slab_arena;

/*
 * Computes the chunk sizes for *p into sizes[0..max) (ascending, multiples
 * of the granularity G = 1 << slab_shift_for(memory_limit), 8 up to 32 GB;
 * the last one is chunk_max rounded down to G) and returns how many.
 * Explicit sizes are used as given (rounded up to G, clipped below
 * chunk_max); else classes start at chunk_min_total, grow by G bytes while
 * below fine_max and by growth_factor above it. Pure.
 */
unsigned slab_layout(const slab_params *p, uint32_t *sizes, unsigned max);

/* The ref granularity (log2 bytes) an arena of that size needs. Pure. */
unsigned slab_shift_for(size_t memory_limit);

/* Validates *p; NULL if fine, else a static reason. Pure. */
const char *slab_params_check(const slab_params *p);

/*
 * Reserves the arena and sets up the classes. Returns NULL (and a static
 * reason in *why) on bad parameters or when the mapping fails.
 */
slab_arena *slab_arena_create(const slab_params *p, const char **why);
void slab_arena_destroy(slab_arena *a);

/*
 * Smallest class whose chunks hold `size` bytes, or 0 if none does. Sizes up
 * to SLAB_QUICK_MAX are answered from a table made by slab_arena_create.
 */
unsigned slab_class_for(const slab_arena *a, size_t size);

/*
 * Takes a chunk of class `id` (free list first, then carving, then a new
 * page from the pool). Returns its ref, or 0 when the class has no free
 * chunk and no page is left: a new page is taken only while fewer than
 * limit_pages are in use, except the class's first page, which is granted
 * beyond the budget (from the reserve). `requested` is added to the class's
 * mem_requested. The chunk's bytes are whatever the last user left (zero
 * for a fresh page) except the first 4, which are unspecified.
 */
hash_ref slab_alloc(slab_arena *a, unsigned id, size_t requested);

/* Gives a chunk back to its class (found from the page table). */
void slab_free(slab_arena *a, hash_ref ref, size_t requested);

/* Chunk address from a ref and back; refs must be valid. */
static inline void *slab_ptr(const slab_arena *a, hash_ref ref)
{
    return a->base + ((size_t)(ref - 1) << a->shift);
}

static inline hash_ref slab_ref(const slab_arena *a, const void *p)
{
    return (hash_ref)((size_t)((const char *)p - a->base) >> a->shift) + 1;
}

/* Class that owns the page a chunk lives on. */
static inline unsigned slab_class_of(slab_arena *a, hash_ref ref)
{
    size_t page = ((size_t)(ref - 1) << a->shift) / a->page_size;
    return atomic_load_explicit(&a->page_class[page], memory_order_relaxed);
}

/*
 * Pages handed out (owned by a class or moving): what the arena really uses;
 * may exceed limit_pages by first pages of classes.
 */
uint64_t slab_pages_in_use(slab_arena *a);

/*
 * Snapshot of one class's counters (taken under its lock) for statistics:
 * chunk size, per page, pages, used chunks, free chunks (free list plus not
 * yet carved), requested bytes.
 */
typedef struct slab_class_info {
    uint32_t size, per_page;
    uint64_t pages, used, free, requested;
} slab_class_info;
void slab_class_info_read(slab_arena *a, unsigned id, slab_class_info *out);

/*
 * Page moves (slab rebalancing), one page at a time. slab_page_detach
 * marks page `page` as moving: its class stops carving from it and drops
 * its chunks from the free list; chunks of it freed later are not reused.
 * Returns false if the page has no class or another page is moving. The
 * caller then frees (or moves) every item still on it and finally calls
 * slab_page_release, which hands the page back to the pool (class 0) and
 * tells the kernel it can reclaim the memory (the page reads as zeros).
 * slab_page_used tells how many chunks of the moving page are still out.
 */
bool slab_page_detach(slab_arena *a, uint32_t page);
void slab_page_release(slab_arena *a, uint32_t page);
uint64_t slab_page_used(slab_arena *a);

/*
 * Gives a page from the pool to class `id` right away (its chunks become
 * carvable). Meant to follow slab_page_release (a page move), so it is not
 * held to the budget, only to the reservation. Returns false if the class
 * is still carving a page, no page is left, or the class is unknown.
 */
bool slab_page_grant(slab_arena *a, unsigned id);

/* First chunk of a page, as an arena offset. */
static inline size_t slab_page_offset(const slab_arena *a, uint32_t page)
{
    return (size_t)page * a->page_size;
}

#endif
