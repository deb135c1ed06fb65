/*
 * slab/hash.h -- the lock-striped, incrementally growing hash table.
 *
 * The table maps keys to 32-bit item references (`hash_ref`, 0 = none). It
 * knows nothing of the item layout: chaining is intrusive (each item holds
 * the ref of the next item in its bucket) and the table reaches that link
 * and the item's key through the callbacks in hash_item_ops.
 *
 *   buckets (2^power x 4 bytes)       items (in slab memory)
 *   +------+                          +--------+     +--------+
 *   | ref -+------------------------> | next  -+---> | next=0 |
 *   +------+                          | key .. |     | key .. |
 *   |  0   |                          +--------+     +--------+
 *   +------+
 *
 * Locking. Keys are guarded by lock stripes: stripe = hv & (stripes - 1),
 * with stripes a power of two no larger than the initial bucket count (so
 * a bucket and both buckets it splits into during growth share a stripe).
 * Every *_locked function requires the caller to hold the stripe lock of
 * `hv` (taken with hash_lock); debug builds (CASHEW_DEBUG) assert it.
 *
 * Lock order (engine-wide; never take them the other way round):
 *     hash stripe lock  ->  LRU lock (per class)  ->  slab class lock
 * A thread holds at most one stripe lock at a time, except the expander,
 * which holds exactly one while it moves one old bucket.
 *
 * Growth. When the item count passes 2 x buckets, hash_wants_growth
 * turns true (check it after hash_insert_locked) and the owner calls
 * hash_expand_step from a background thread until it returns false. Each
 * step moves one old bucket under that bucket's stripe lock, so no worker
 * waits more than a few microseconds; lookups during growth consult
 * whichever array holds the bucket (old bucket i splits into new buckets i
 * and i + old size, both guarded by the stripe of i):
 *
 *   old (2^p)             new (2^(p+1))
 *   [0] moved  --------> [0]          [2^p + 0]
 *   [1] moved  --------> [1]          [2^p + 1]
 *   [2] <- next step     [2] (empty)  ...
 *   [3] still here       ...
 */
#ifndef CASHEW_SLAB_HASH_H
#define CASHEW_SLAB_HASH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t hash_ref; /* 0 means "no item" */

/*
 * How the table reaches into items. All three callbacks are required; they
 * are called with the stripe lock of the item's key held (by the caller of
 * a *_locked function, or by the expander) and must not take stripe locks.
 */
typedef struct hash_item_ops {
    /* Pointer to the chain link stored inside the item `ref`. */
    hash_ref *(*next)(void *ctx, hash_ref ref);
    /* True if item `ref` has exactly this key. */
    bool (*key_equals)(void *ctx, hash_ref ref, const char *key, size_t nkey);
    /*
     * The key of item `ref` (sets *nkey to its length). Growth needs it to
     * rehash each item of a bucket it splits: hash_key(key, nkey) must give
     * the hv the item was inserted with.
     */
    const char *(*key)(void *ctx, hash_ref ref, size_t *nkey);
    void *ctx;
} hash_item_ops;

typedef struct hash_table hash_table; /* opaque */

/*
 * hash_mutex: the 4-byte futex lock each stripe is, also used by slab.c for
 * its class locks. Word 0 = free (so zeroed memory is an unlocked mutex, and
 * there is nothing to destroy), 1 = held, 2 = held and a thread may sleep
 * on it. Taking and dropping a free one is one atomic instruction each
 * (inline), a fraction of a pthread mutex's path; a waiter spins briefly,
 * then sleeps in the kernel (hash_mutex_wait), and the unlocker of a word
 * marked 2 wakes one (hash_mutex_wake). Not recursive, no owner checks;
 * never hold one across I/O or a sleep. The acquire/release atomics on the
 * word are the happens-before edges that ThreadSanitizer follows.
 */
typedef struct hash_mutex {
    _Atomic uint32_t word;
} hash_mutex;

/* The contended paths: wait until the caller holds m / wake one sleeper. */
void hash_mutex_wait(hash_mutex *m);
void hash_mutex_wake(hash_mutex *m);

static inline void hash_mutex_lock(hash_mutex *m)
{
    uint32_t free_word = 0;
    if (!atomic_compare_exchange_strong_explicit(&m->word, &free_word, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        hash_mutex_wait(m);
}

/* True if it took m (never waits). */
static inline bool hash_mutex_trylock(hash_mutex *m)
{
    uint32_t free_word = 0;
    return atomic_compare_exchange_strong_explicit(&m->word, &free_word, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

static inline void hash_mutex_unlock(hash_mutex *m)
{
    if (atomic_exchange_explicit(&m->word, 0, memory_order_release) == 2)
        hash_mutex_wake(m);
}

/*
 * 64-bit hash of a key: XXH3_64bits with seed 0, so it is stable across
 * runs and builds. A NULL key hashes like the empty key. Pure; any thread.
 */
uint64_t hash_key(const char *key, size_t nkey);

/*
 * Creates a table of 2^power buckets (power 10..32) with `stripes` locks
 * (rounded down to a power of two, clamped to 2^power). `ops` is copied
 * (its ctx is not owned); all three callbacks must be set. Bucket arrays
 * are anonymous zero pages, touched lazily. NULL on bad arguments or no
 * memory.
 */
hash_table *hash_create(unsigned power, unsigned stripes, const hash_item_ops *ops);
/*
 * Frees the table (not the items). No other thread may use it any more:
 * stop the expander first. NULL is ignored.
 */
void hash_destroy(hash_table *h);

/*
 * The stripe lock guarding every key whose hash is hv (a hash_mutex:
 * never held across I/O or a sleep; not recursive). A thread holds at most one stripe at a
 * time; debug builds assert that, and that hash_unlock releases the stripe
 * this thread holds. hash_trylock returns true if it took the lock. A NULL
 * table is ignored (trylock: false).
 */
void hash_lock(hash_table *h, uint64_t hv);
void hash_unlock(hash_table *h, uint64_t hv);
bool hash_trylock(hash_table *h, uint64_t hv);

/*
 * The *_locked operations. hv must be hash_key() of the item's key and the
 * caller must hold hv's stripe lock. Items are not owned by the table; a
 * removed or replaced item's link is reset to 0. NULL table, ref 0 or a
 * NULL key with nkey > 0 make them do nothing (return 0 / false).
 */
/* Ref of the item with this key, or 0. */
hash_ref hash_find_locked(hash_table *h, uint64_t hv, const char *key, size_t nkey);
/*
 * The bucket slot holding the first ref of hv's chain (NULL for a NULL
 * table); the rest of the chain follows the items' own links (ops.next).
 * For an owner that walks chains inline instead of through the callbacks:
 * it may read the chain, and swap one linked item for another in the same
 * position (what hash_replace_locked does; the item count is unchanged),
 * but must not add or remove items. Valid while hv's stripe is held.
 */
hash_ref *hash_chain_locked(hash_table *h, uint64_t hv);
/*
 * A hint for a lookup to come: the first ref of hv's chain at this moment,
 * read under hv's stripe lock if that is free (0 if it is taken, or the
 * chain is empty). The lock is dropped before returning, so the ref may be
 * stale at once: use it only as a prefetch address, never to reach an item.
 * The caller must hold no stripe lock. Any thread.
 */
hash_ref hash_chain_peek(hash_table *h, uint64_t hv);

/*
 * Starts loading hv's bucket slot and stripe lock into the CPU cache. Takes
 * no lock and reads no bucket: the slot's address may be stale by the time
 * it is used (a prefetch of a freed array does nothing). Any thread.
 */
void hash_prefetch_bucket(const hash_table *h, uint64_t hv);
/* Links `ref` (whose key hashes to hv and is not yet in the table) at the
 * head of its chain; counts one more item. */
void hash_insert_locked(hash_table *h, uint64_t hv, hash_ref ref);
/* Unlinks `ref` if present; returns whether it was (and counts it out). */
bool hash_remove_locked(hash_table *h, uint64_t hv, hash_ref ref);
/* Puts `new_ref` (not linked yet) in the chain position of `old_ref` (same
 * key); the item count is unchanged. Does nothing if old_ref is absent. */
void hash_replace_locked(hash_table *h, uint64_t hv, hash_ref old_ref, hash_ref new_ref);

/*
 * True when the table holds more than 2 items per bucket, is not already
 * expanding and is below 2^32 buckets. Any thread, no lock: a hint for the
 * engine to wake its expander (e.g. after hash_insert_locked).
 */
bool hash_wants_growth(const hash_table *h);
/*
 * Does one bounded unit of growth work and returns true while more work
 * remains (call again), false when there is nothing to do:
 *   - not expanding and hash_wants_growth: maps a new zeroed array of twice
 *     the buckets and starts growth (false if that mapping fails: try later);
 *   - expanding: pre-faults the new array ahead of its cursor (no lock),
 *     then splits one old bucket under its stripe lock (a few microseconds);
 *     after a step, with no lock held, it naps ~50 us (nanosleep) once per
 *     0.5 ms of running, so the scheduler rarely preempts it while it
 *     holds a stripe;
 *   - after the last bucket: publishes the new layout, takes and drops each
 *     stripe lock once in turn, then unmaps the old array.
 * Meant for one background thread (concurrent callers are serialised). The
 * caller must hold no lock at all of the engine (it takes stripe locks,
 * which come first in the lock order).
 */
bool hash_expand_step(hash_table *h);

typedef struct hash_stats {
    unsigned power;        /* log2 bucket count; while expanding, of the new
                            * array (like memcached's hash_power_level) */
    uint64_t bytes;        /* bucket arrays mapped (old + new while expanding) */
    uint64_t items;        /* refs linked */
    bool expanding;        /* hash_is_expanding */
} hash_stats;
/* A snapshot of the counters, any thread, no lock (fields read separately,
 * so they may be a moment apart). NULL table gives all zeros. */
void hash_stats_read(const hash_table *h, hash_stats *out);

#endif
