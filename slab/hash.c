/*
 * slab/hash.c -- the lock-striped, incrementally growing hash table.
 *
 * State shared between workers and the expander:
 *
 *   layout   one atomic word: the power of the primary bucket array (bits
 *            0..7) and HASH_LAYOUT_EXPANDING. Written only by the expander.
 *   arrays[] one bucket array per live power: arrays[power] always, and
 *            arrays[power + 1] while expanding.
 *   moved    while expanding, old buckets [0, moved) have been split into
 *            the new array. Old bucket i is split under the stripe lock of
 *            i, which is the stripe of every key in it (stripes <= initial
 *            buckets), so a thread holding a key's stripe sees a stable
 *            answer to "is my bucket moved yet?".
 *
 * The expander publishes a new array before the layout that names it
 * (release/acquire), and frees the old array only after it has published
 * the finished layout and then taken and dropped every stripe lock once:
 * every thread that might still have been looking at the old array held
 * one of them.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "slab/hash.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#define HASH_POWER_MIN 10
#define HASH_POWER_MAX 32
#define HASH_LAYOUT_POWER_MASK 0xffu
#define HASH_LAYOUT_EXPANDING 0x100u
/* The expander faults in the new array this many buckets (2 MB) ahead. */
#define HASH_PREFAULT_BUCKETS ((uint64_t)1 << 19)
/*
 * Pacing. The expander never blocks, so on a busy machine the scheduler
 * preempts it when its time slice ends, at a random point: often while it
 * holds a stripe, and a worker needing that stripe then waits out other
 * threads' slices (measured: up to 250 ms on 2 cores at load 6). So, with
 * no lock held, it naps briefly (nanosleep; ~50 us with the default timer
 * slack) once it has run HASH_PACE_NS since its last nap: shorter than a
 * scheduler slice (0.75 ms on EEVDF), so it is rarely preempted mid-move.
 * It checks the clock every HASH_PACE_CHECK moves. sched_yield() was worse:
 * under EEVDF each call pushes the thread's deadline out by a slice, and
 * frequent calls left the expander starved (growth 5x slower) and still
 * preempted while holding stripes.
 */
/*
 * Growth starts when items exceed HASH_LOAD_MAX per bucket. Buckets are 4
 * bytes, so at 2 the table costs 2-4 bytes an item; chains stay short.
 */
#define HASH_LOAD_MAX 2

#define HASH_PACE_CHECK 32
/* Spins on a held stripe before sleeping on it. */
#define HASH_SPINS 100
#define HASH_PACE_NS 500000

/*
 * One lock stripe (see hash_mutex in hash.h): 8192 stripes take 32 KB, not
 * the 320 KB of pthread mutexes. Not padded to a cache line: with thousands
 * of stripes two workers rarely touch neighbours at once, and padding would
 * cost resident memory (measured in the bench/memfill.py fill).
 */
typedef struct hash_stripe {
    hash_mutex mutex;
} hash_stripe;

struct hash_table {
    hash_item_ops ops;
    uint64_t stripe_mask;          /* stripes - 1 */
    hash_stripe *stripes;
    pthread_mutex_t expand_mutex;  /* serialises hash_expand_step callers */
    uint64_t expand_nap_ns;        /* monotonic time the expander last napped */
    _Atomic unsigned layout;
    _Atomic uint64_t moved;
    _Atomic uint64_t items;
    _Atomic(hash_ref *) arrays[HASH_POWER_MAX + 1];
};

/* ---- debug bookkeeping of the stripe a thread holds -------------------- */

#ifdef CASHEW_DEBUG
static _Thread_local const hash_table *hash_held_table;
static _Thread_local uint64_t hash_held_stripe;
#endif

static void hash_debug_note_lock(const hash_table *h, uint64_t hv)
{
#ifdef CASHEW_DEBUG
    /* Lock order: a thread holds at most one stripe lock at a time. */
    assert(hash_held_table == NULL && "hash: second stripe lock taken");
    hash_held_table = h;
    hash_held_stripe = hv & h->stripe_mask;
#else
    (void)h;
    (void)hv;
#endif
}

static void hash_debug_note_unlock(const hash_table *h, uint64_t hv)
{
#ifdef CASHEW_DEBUG
    assert(hash_held_table == h && "hash: unlock of a stripe not held");
    assert(hash_held_stripe == (hv & h->stripe_mask) &&
           "hash: unlock of another stripe than the one held");
    hash_held_table = NULL;
#else
    (void)h;
    (void)hv;
#endif
}

static void hash_debug_assert_holds(const hash_table *h, uint64_t hv)
{
#ifdef CASHEW_DEBUG
    assert(hash_held_table == h && "hash: *_locked called without the stripe lock");
    assert(hash_held_stripe == (hv & h->stripe_mask) &&
           "hash: *_locked called holding the wrong stripe");
#else
    (void)h;
    (void)hv;
#endif
}

static void hash_debug_assert_holds_none(void)
{
#ifdef CASHEW_DEBUG
    assert(hash_held_table == NULL && "hash: expander entered holding a stripe");
#endif
}

/* ---- small helpers ------------------------------------------------------ */

uint64_t hash_key(const char *key, size_t nkey)
{
    if (key == NULL)
        nkey = 0;
    return XXH3_64bits(key, nkey);
}

static uint64_t hash_size(unsigned power)
{
    return (uint64_t)1 << power;
}

static uint64_t hash_array_bytes(unsigned power)
{
    return hash_size(power) * sizeof(hash_ref);
}

/* Zeroed pages from the kernel, touched lazily: no stall to clear them;
 * huge pages where allowed (random bucket reads miss the TLB less). */
static hash_ref *hash_array_alloc(unsigned power)
{
    void *p = mmap(NULL, hash_array_bytes(power), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, hash_array_bytes(power), MADV_HUGEPAGE);
    return p;
}

static void hash_array_free(hash_ref *array, unsigned power)
{
    if (array != NULL)
        munmap(array, hash_array_bytes(power));
}

static unsigned hash_round_down_pow2(unsigned n)
{
    unsigned p = 1;
    while (p <= n / 2)
        p *= 2;
    return p;
}

static bool hash_ops_valid(const hash_item_ops *ops)
{
    return ops != NULL && ops->next != NULL && ops->key_equals != NULL &&
           ops->key != NULL;
}

static hash_ref *hash_link_of(const hash_table *h, hash_ref ref)
{
    return h->ops.next(h->ops.ctx, ref);
}

/* The hv an item was inserted with, recomputed from its key. */
static uint64_t hash_item_hv(const hash_table *h, hash_ref ref)
{
    size_t nkey = 0;
    const char *key = h->ops.key(h->ops.ctx, ref, &nkey);
    return hash_key(key, nkey);
}

/* ---- create / destroy --------------------------------------------------- */

static bool hash_stripes_create(hash_table *h, unsigned count)
{
    h->stripes = calloc(count, sizeof(hash_stripe)); /* all free (0) */
    if (h->stripes == NULL)
        return false;
    h->stripe_mask = count - 1;
    return true;
}

hash_table *hash_create(unsigned power, unsigned stripes, const hash_item_ops *ops)
{
    if (power < HASH_POWER_MIN || power > HASH_POWER_MAX || stripes == 0 ||
        !hash_ops_valid(ops))
        return NULL;
    hash_table *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->ops = *ops;
    uint64_t count = hash_round_down_pow2(stripes);
    if (count > hash_size(power))
        count = hash_size(power);
    hash_ref *array = hash_array_alloc(power);
    if (array == NULL || !hash_stripes_create(h, (unsigned)count)) {
        hash_array_free(array, power);
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->expand_mutex, NULL);
    atomic_init(&h->arrays[power], array);
    atomic_init(&h->layout, power);
    return h;
}

void hash_destroy(hash_table *h)
{
    if (h == NULL)
        return;
    for (unsigned p = 0; p <= HASH_POWER_MAX; p++)
        hash_array_free(atomic_load(&h->arrays[p]), p);
    pthread_mutex_destroy(&h->expand_mutex);
    free(h->stripes);
    free(h);
}

/* ---- stripe locks ------------------------------------------------------- */

static hash_mutex *hash_stripe_mutex(hash_table *h, uint64_t hv)
{
    return &h->stripes[hv & h->stripe_mask].mutex;
}

static void hash_futex(hash_mutex *m, int op, uint32_t val)
{
    (void)syscall(SYS_futex, (uint32_t *)&m->word, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static inline void hash_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void hash_mutex_wait(hash_mutex *m)
{
    for (unsigned i = 0; i < HASH_SPINS; i++) {
        uint32_t cur = atomic_load_explicit(&m->word, memory_order_relaxed);
        if (cur == 0 && atomic_compare_exchange_weak_explicit(
                            &m->word, &cur, 1, memory_order_acquire, memory_order_relaxed))
            return;
        if (cur == 2)
            break;
        hash_cpu_relax();
    }
    while (atomic_exchange_explicit(&m->word, 2, memory_order_acquire) != 0)
        hash_futex(m, FUTEX_WAIT, 2);
}

void hash_mutex_wake(hash_mutex *m)
{
    hash_futex(m, FUTEX_WAKE, 1);
}

void hash_lock(hash_table *h, uint64_t hv)
{
    if (h == NULL)
        return;
    hash_debug_note_lock(h, hv);
    hash_mutex_lock(hash_stripe_mutex(h, hv));
}

void hash_unlock(hash_table *h, uint64_t hv)
{
    if (h == NULL)
        return;
    hash_debug_note_unlock(h, hv);
    hash_mutex_unlock(hash_stripe_mutex(h, hv));
}

bool hash_trylock(hash_table *h, uint64_t hv)
{
    if (h == NULL)
        return false;
#ifdef CASHEW_DEBUG
    assert(hash_held_table == NULL && "hash: second stripe lock tried");
#endif
    if (!hash_mutex_trylock(hash_stripe_mutex(h, hv)))
        return false;
    hash_debug_note_lock(h, hv);
    return true;
}

/* ---- bucket lookup ------------------------------------------------------ */

/*
 * The bucket array that holds hv's chain right now, and in *index its slot
 * there. The answer stays right for as long as the caller keeps hv's
 * stripe lock; without it, the array may be freed (NULL) at any moment.
 */
static inline hash_ref *hash_bucket_array(const hash_table *h, uint64_t hv, uint64_t *index)
{
    unsigned layout = atomic_load_explicit(&h->layout, memory_order_acquire);
    unsigned power = layout & HASH_LAYOUT_POWER_MASK;
    *index = hv & (hash_size(power) - 1);
    if ((layout & HASH_LAYOUT_EXPANDING) &&
        *index < atomic_load_explicit(&h->moved, memory_order_acquire)) {
        power++;
        *index = hv & (hash_size(power) - 1);
    }
    return atomic_load_explicit(&h->arrays[power], memory_order_relaxed);
}

/* The bucket slot that holds hv's chain (caller holds hv's stripe lock). */
static inline hash_ref *hash_bucket_locked(hash_table *h, uint64_t hv)
{
    uint64_t index;
    return &hash_bucket_array(h, hv, &index)[index];
}

/* The link (bucket slot or an item's next field) that holds ref, or NULL. */
static hash_ref *hash_link_to_locked(hash_table *h, uint64_t hv, hash_ref ref)
{
    hash_ref *link = hash_bucket_locked(h, hv);
    while (*link != 0) {
        if (*link == ref)
            return link;
        link = hash_link_of(h, *link);
    }
    return NULL;
}

/* ---- operations under a stripe lock ------------------------------------ */

hash_ref hash_find_locked(hash_table *h, uint64_t hv, const char *key, size_t nkey)
{
    if (h == NULL || (key == NULL && nkey > 0))
        return 0;
    hash_debug_assert_holds(h, hv);
    hash_ref ref = *hash_bucket_locked(h, hv);
    while (ref != 0) {
        if (h->ops.key_equals(h->ops.ctx, ref, key, nkey))
            return ref;
        ref = *hash_link_of(h, ref);
    }
    return 0;
}

/*
 * Under the stripe lock, and only if it is free: an unlocked read could
 * land in an old bucket array that growth is just unmapping.
 */
hash_ref hash_chain_peek(hash_table *h, uint64_t hv)
{
    if (h == NULL || !hash_trylock(h, hv))
        return 0;
    hash_ref ref = *hash_bucket_locked(h, hv);
    hash_unlock(h, hv);
    return ref;
}

void hash_prefetch_bucket(const hash_table *h, uint64_t hv)
{
    if (h == NULL)
        return;
    __builtin_prefetch(&h->stripes[hv & h->stripe_mask]);
    uint64_t index;
    const hash_ref *array = hash_bucket_array(h, hv, &index); /* NULL if just freed */
    if (array != NULL)
        __builtin_prefetch(&array[index]);
}

hash_ref *hash_chain_locked(hash_table *h, uint64_t hv)
{
    if (h == NULL)
        return NULL;
    hash_debug_assert_holds(h, hv);
    return hash_bucket_locked(h, hv);
}

void hash_insert_locked(hash_table *h, uint64_t hv, hash_ref ref)
{
    if (h == NULL || ref == 0)
        return;
    hash_debug_assert_holds(h, hv);
    assert(hash_link_to_locked(h, hv, ref) == NULL && "hash: ref inserted twice");
    hash_ref *bucket = hash_bucket_locked(h, hv);
    *hash_link_of(h, ref) = *bucket;
    *bucket = ref;
    atomic_fetch_add_explicit(&h->items, 1, memory_order_relaxed);
}

bool hash_remove_locked(hash_table *h, uint64_t hv, hash_ref ref)
{
    if (h == NULL || ref == 0)
        return false;
    hash_debug_assert_holds(h, hv);
    hash_ref *link = hash_link_to_locked(h, hv, ref);
    if (link == NULL)
        return false;
    hash_ref *own = hash_link_of(h, ref);
    *link = *own;
    *own = 0;
    atomic_fetch_sub_explicit(&h->items, 1, memory_order_relaxed);
    return true;
}

void hash_replace_locked(hash_table *h, uint64_t hv, hash_ref old_ref, hash_ref new_ref)
{
    if (h == NULL || old_ref == 0 || new_ref == 0 || old_ref == new_ref)
        return;
    hash_debug_assert_holds(h, hv);
    hash_ref *link = hash_link_to_locked(h, hv, old_ref);
    if (link == NULL)
        return;
    hash_ref *old_own = hash_link_of(h, old_ref);
    *hash_link_of(h, new_ref) = *old_own;
    *link = new_ref;
    *old_own = 0;
}

/* ---- growth ------------------------------------------------------------- */

bool hash_wants_growth(const hash_table *h)
{
    if (h == NULL)
        return false;
    unsigned layout = atomic_load_explicit(&h->layout, memory_order_acquire);
    unsigned power = layout & HASH_LAYOUT_POWER_MASK;
    if ((layout & HASH_LAYOUT_EXPANDING) || power >= HASH_POWER_MAX)
        return false;
    uint64_t items = atomic_load_explicit(&h->items, memory_order_relaxed);
    return items > hash_size(power) * HASH_LOAD_MAX;
}

/* Publishes an empty array of twice the size; false if out of memory. */
static bool hash_expand_start(hash_table *h, unsigned power)
{
    hash_ref *array = hash_array_alloc(power + 1);
    if (array == NULL)
        return false;
    atomic_store_explicit(&h->arrays[power + 1], array, memory_order_relaxed);
    atomic_store_explicit(&h->moved, 0, memory_order_relaxed);
    atomic_store_explicit(&h->layout, power | HASH_LAYOUT_EXPANDING,
                          memory_order_release);
    return true;
}

/*
 * Faults in (without changing) the new-array pages that the next
 * HASH_PREFAULT_BUCKETS moves will write, so that no page fault, and no
 * transparent-huge-page clearing, happens while a stripe lock is held.
 * Called with no lock held; harmless to concurrent readers and writers.
 * A kernel without MADV_POPULATE_WRITE just faults lazily instead.
 */
static void hash_expand_prefault(hash_ref *new_array, unsigned power, uint64_t index)
{
#ifdef MADV_POPULATE_WRITE
    uint64_t old_size = hash_size(power);
    if (index % HASH_PREFAULT_BUCKETS != 0)
        return;
    uint64_t count = old_size - index < HASH_PREFAULT_BUCKETS ? old_size - index
                                                              : HASH_PREFAULT_BUCKETS;
    size_t bytes = count * sizeof(hash_ref);
    (void)madvise(new_array + index, bytes, MADV_POPULATE_WRITE);
    (void)madvise(new_array + old_size + index, bytes, MADV_POPULATE_WRITE);
#else
    (void)new_array;
    (void)power;
    (void)index;
#endif
}

/*
 * Splits the next old bucket i into new buckets i and i + old size, under
 * the stripe lock that guards all three.
 */
static void hash_expand_move_bucket(hash_table *h, unsigned power)
{
    uint64_t index = atomic_load_explicit(&h->moved, memory_order_relaxed);
    hash_ref *old_array = atomic_load_explicit(&h->arrays[power], memory_order_relaxed);
    hash_ref *new_array = atomic_load_explicit(&h->arrays[power + 1], memory_order_relaxed);
    hash_expand_prefault(new_array, power, index);
    hash_lock(h, index);
    hash_ref ref = old_array[index];
    old_array[index] = 0;
    while (ref != 0) {
        hash_ref *link = hash_link_of(h, ref);
        hash_ref following = *link;
        uint64_t hv = hash_item_hv(h, ref);
        assert((hv & (hash_size(power) - 1)) == index && "hash: item key changed");
        /* Only the new top bit decides; the low bits stay those of `index`
         * even if a broken item disagrees, so we never touch another stripe. */
        uint64_t target = index | (hv & hash_size(power));
        *link = new_array[target];
        new_array[target] = ref;
        ref = following;
    }
    atomic_store_explicit(&h->moved, index + 1, memory_order_release);
    hash_unlock(h, index);
}

/* Takes and drops every stripe once: afterwards no thread is still inside
 * a critical section that began before the caller's last store. */
static void hash_quiesce(hash_table *h)
{
    for (uint64_t i = 0; i <= h->stripe_mask; i++) {
        hash_lock(h, i);
        hash_unlock(h, i);
    }
}

static void hash_expand_finish(hash_table *h, unsigned power)
{
    atomic_store_explicit(&h->layout, power + 1, memory_order_release);
    hash_quiesce(h);
    hash_ref *old_array = atomic_load_explicit(&h->arrays[power], memory_order_relaxed);
    atomic_store_explicit(&h->arrays[power], NULL, memory_order_relaxed);
    hash_array_free(old_array, power);
}

/* Pacing only: the engine's notion of time is injected elsewhere. */
static uint64_t hash_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Called between bucket moves, holding no stripe (see HASH_PACE_NS). */
static void hash_expand_pace(hash_table *h, uint64_t moved)
{
    if (moved % HASH_PACE_CHECK != 0)
        return;
    uint64_t now = hash_monotonic_ns();
    if (now - h->expand_nap_ns < HASH_PACE_NS)
        return;
    struct timespec nap = {0, 1000};
    nanosleep(&nap, NULL);
    h->expand_nap_ns = hash_monotonic_ns();
}

static bool hash_expand_step_serialised(hash_table *h)
{
    unsigned layout = atomic_load_explicit(&h->layout, memory_order_relaxed);
    unsigned power = layout & HASH_LAYOUT_POWER_MASK;
    if (!(layout & HASH_LAYOUT_EXPANDING))
        return hash_wants_growth(h) && hash_expand_start(h, power);
    hash_expand_move_bucket(h, power);
    uint64_t moved = atomic_load_explicit(&h->moved, memory_order_relaxed);
    if (moved < hash_size(power)) {
        hash_expand_pace(h, moved);
        return true;
    }
    hash_expand_finish(h, power);
    return hash_wants_growth(h);
}

bool hash_expand_step(hash_table *h)
{
    if (h == NULL)
        return false;
    hash_debug_assert_holds_none();
    pthread_mutex_lock(&h->expand_mutex);
    bool more = hash_expand_step_serialised(h);
    pthread_mutex_unlock(&h->expand_mutex);
    return more;
}

/* ---- stats -------------------------------------------------------------- */

void hash_stats_read(const hash_table *h, hash_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (h == NULL)
        return;
    unsigned layout = atomic_load_explicit(&h->layout, memory_order_acquire);
    unsigned power = layout & HASH_LAYOUT_POWER_MASK;
    out->expanding = (layout & HASH_LAYOUT_EXPANDING) != 0;
    out->power = out->expanding ? power + 1 : power;
    out->bytes = hash_array_bytes(power);
    if (out->expanding)
        out->bytes += hash_array_bytes(power + 1);
    out->items = atomic_load_explicit(&h->items, memory_order_relaxed);
}
