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
 * `hv` (taken with hash_lock); debug builds (no NDEBUG) assert it.
 *
 * Lock order (engine-wide; never take them the other way round):
 *     hash stripe lock  ->  LRU lock (per class)  ->  slab class lock
 * A thread holds at most one stripe lock at a time, except the expander,
 * which holds exactly one while it moves one old bucket.
 *
 * Growth. When the item count passes 1.5 x buckets, hash_insert_locked
 * reports it (hash_wants_growth) and the owner calls hash_expand_step from a
 * background thread until it returns false. Each step moves one old bucket
 * under that bucket's stripe lock, so no worker waits more than a few
 * microseconds; lookups during growth consult whichever table holds the
 * bucket.
 */
#ifndef CASHEW_SLAB_HASH_H
#define CASHEW_SLAB_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t hash_ref; /* 0 means "no item" */

typedef struct hash_item_ops {
    /* Pointer to the chain link stored inside the item `ref`. */
    hash_ref *(*next)(void *ctx, hash_ref ref);
    /* True if item `ref` has exactly this key. */
    bool (*key_equals)(void *ctx, hash_ref ref, const char *key, size_t nkey);
    void *ctx;
} hash_item_ops;

typedef struct hash_table hash_table; /* opaque */

/* 64-bit hash of a key (xxHash3). Pure; any thread. */
uint64_t hash_key(const char *key, size_t nkey);

/*
 * Creates a table of 2^power buckets (power 10..32) with `stripes` locks
 * (rounded down to a power of two, clamped to 2^power). NULL on bad
 * arguments or no memory.
 */
hash_table *hash_create(unsigned power, unsigned stripes, const hash_item_ops *ops);
void hash_destroy(hash_table *h);

void hash_lock(hash_table *h, uint64_t hv);
void hash_unlock(hash_table *h, uint64_t hv);
bool hash_trylock(hash_table *h, uint64_t hv);

/* Ref of the item with this key, or 0. */
hash_ref hash_find_locked(hash_table *h, uint64_t hv, const char *key, size_t nkey);
/* Links `ref` (whose key hashes to hv and is not yet in the table). */
void hash_insert_locked(hash_table *h, uint64_t hv, hash_ref ref);
/* Unlinks `ref` if present; returns whether it was. */
bool hash_remove_locked(hash_table *h, uint64_t hv, hash_ref ref);
/* Puts `new_ref` in the chain position of `old_ref` (same key). */
void hash_replace_locked(hash_table *h, uint64_t hv, hash_ref old_ref, hash_ref new_ref);

/* True when the table is past its load limit and not yet expanding. */
bool hash_wants_growth(const hash_table *h);
/*
 * Does one bounded unit of growth work (starting growth if wanted); returns
 * true while more work remains. Call from one background thread only.
 */
bool hash_expand_step(hash_table *h);

typedef struct hash_stats {
    unsigned power;        /* current log2 bucket count */
    uint64_t bytes;        /* memory used by bucket arrays */
    uint64_t items;        /* refs linked */
    bool expanding;
} hash_stats;
void hash_stats_read(const hash_table *h, hash_stats *out);

#endif
