/*
 * slab/cache.h -- the public face of cashew's storage engine.
 *
 * This is the only slab/ header that daemon/ includes. Everything here is
 * pure storage: no sockets, no libevent, no protocol text. The engine owns
 * one memory budget carved into slab pages, a lock-striped hash table, a
 * segmented LRU per slab class and its background threads (LRU maintainer,
 * crawler, slab mover, hash expander).
 *
 * Threads. One `cache` is shared by all workers. Each worker thread creates
 * its own `cache_thread` handle and passes it to every operation; the handle
 * carries that thread's counters, so the hot path takes no shared lock for
 * statistics. A cache_thread is used by one thread at a time.
 *
 * Time. The engine never reads the system clock: the clock callback in
 * cache_options returns the current unix time in seconds and is called at
 * most once per operation. daemon/ updates it once a second and the debug
 * binary can move it forward (debugtime), so expiry tests never sleep.
 *
 * Expiry (memcached semantics), for every `exptime` argument below:
 *   0                      never expires;
 *   1 .. 2592000 (30 days) seconds from now;
 *   > 2592000              absolute unix time (in the past = already expired);
 *   < 0                    already expired (the item is invisible at once).
 *
 * References. cache_get/cache_alloc return an item with a reference held by
 * the caller. Its key, flags and value bytes stay valid and unchanged until
 * the caller calls cache_release, even if another thread replaces or deletes
 * the key meanwhile (the old item is freed when its last reference goes).
 * An item takes at most 8191 references at once; a lookup that would need
 * one more misses (see item.h).
 */
#ifndef CASHEW_SLAB_CACHE_H
#define CASHEW_SLAB_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX 250 /* longest key, in bytes */

typedef struct cache cache;               /* the engine (opaque) */
typedef struct cache_thread cache_thread; /* one worker's handle (opaque) */
typedef struct cache_item cache_item;     /* a stored item (opaque) */

typedef enum cache_status {
    CACHE_OK = 0,      /* done: stored, deleted, touched, found */
    CACHE_NOT_FOUND,   /* no live item under that key */
    CACHE_NOT_STORED,  /* add on an existing key, replace/append/prepend on a missing one */
    CACHE_EXISTS,      /* cas (or delete with cas) mismatch: someone changed it */
    CACHE_TOO_LARGE,   /* key+value can never fit (bigger than -I) */
    CACHE_ENOMEM,      /* no memory now (with -M, or nothing evictable) */
    CACHE_NON_NUMERIC, /* incr/decr on a value that is not a decimal uint64 */
    CACHE_EINVAL       /* bad argument (e.g. key longer than CACHE_KEY_MAX) */
} cache_status;

typedef enum cache_store_mode {
    CACHE_SET,     /* store unconditionally */
    CACHE_ADD,     /* only if the key is absent */
    CACHE_REPLACE, /* only if the key is present */
    CACHE_APPEND,  /* add value bytes after the present value; keeps flags/exptime */
    CACHE_PREPEND, /* add value bytes before the present value; keeps flags/exptime */
    CACHE_CAS      /* only if present and its cas equals the given one */
} cache_store_mode;

/* Returns the current unix time in seconds. Called from any thread. */
typedef int64_t (*cache_clock_fn)(void *arg);

/* What an eviction callback (cache_options.on_evict) learns of the victim. */
typedef struct cache_evict_info {
    const char *key;   /* the key bytes (not NUL-terminated); valid during the call only */
    size_t nkey;
    size_t nbytes;     /* value length */
    int64_t ttl;       /* seconds it had left, -1 = never expires */
    uint32_t idle;     /* seconds since its last access */
    bool fetched;      /* it was read at least once */
    unsigned class_id; /* its slab class (1-based, as cache_item_info) */
} cache_evict_info;

/*
 * Optional eviction callback: called once per live item evicted to make
 * room (not for expired or flushed items reclaimed, nor deletes), on the
 * evicting thread (a worker allocating, or a background thread), while
 * the engine holds the item's stripe lock and its class's LRU lock. It
 * must return quickly, must not call into the engine and must not take a
 * lock that is held elsewhere while calling the engine (copying into a
 * buffer under a private leaf lock is fine).
 */
typedef void (*cache_evict_fn)(void *arg, const cache_evict_info *info);

/*
 * Engine options. Fill with cache_options_default() and change fields;
 * the daemon's option table maps command-line flags onto these fields.
 */
typedef struct cache_options {
    size_t memory_limit;       /* -m, bytes of slab pages (default 64 MB) */
    size_t page_size;          /* slab page size (default 1 MB) */
    size_t item_size_max;      /* -I, largest key+value+overhead (default 1 MB) */
    size_t chunk_min;          /* -n, smallest chunk's space for key+value (default 48) */
    double growth_factor;      /* -f, ratio between class chunk sizes (> 1) */
    size_t slab_fine_max;      /* classes step by 8 bytes below this chunk size,
                                  then by growth_factor (default 512; 0 = pure
                                  geometric from the first class, as memcached) */
    const uint32_t *slab_sizes; /* -o slab_sizes: explicit ascending chunk sizes, or NULL */
    size_t slab_sizes_count;
    size_t slab_chunk_max;     /* -o slab_chunk_max: largest chunk; bigger items chain */
    bool evict_to_free;        /* false with -M: stores fail with CACHE_ENOMEM instead */
    bool use_cas;              /* false with -C: no CAS stored, cas reads as 0 */
    unsigned hashpower;        /* -o hashpower: initial table has 2^hashpower buckets */
    bool slab_reassign;        /* -o slab_reassign: pages may move between classes */
    unsigned slab_automove;    /* -o slab_automove=0|1|2 */
    bool lru_maintainer;       /* -o lru_maintainer: background segment mover */
    bool lru_crawler;          /* -o lru_crawler: background expired-item reclaimer */
    unsigned lru_crawler_sleep;   /* microseconds to sleep between crawler batches */
    unsigned lru_crawler_tocrawl; /* max items per class per crawl, 0 = unlimited */
    unsigned hot_lru_pct;      /* share of a class's items kept HOT (default 20) */
    unsigned warm_lru_pct;     /* share kept WARM (default 40) */
    double hot_max_factor;     /* HOT tail may be at most this times COLD tail age (0.2) */
    double warm_max_factor;    /* WARM tail limit, relative to COLD tail age (2.0) */
    unsigned temporary_ttl;    /* items with TTL below this go to the TEMP LRU (0 = off) */
    cache_clock_fn clock;      /* required */
    void *clock_arg;
    cache_evict_fn on_evict;   /* optional, NULL = none (see cache_evict_fn) */
    void *on_evict_arg;
} cache_options;

/* Fills *opts with memcached-like defaults (clock left NULL). */
void cache_options_default(cache_options *opts);

/*
 * Validates *opts and returns NULL if they are acceptable, else a static
 * human-readable reason ("growth factor must be > 1", ...).
 */
const char *cache_options_check(const cache_options *opts);

/*
 * Creates an engine from *opts (copied; slab_sizes is copied too) and starts
 * its background threads as the options ask. Returns NULL (with a static
 * reason in *why if why is not NULL) when the options are invalid or the
 * memory cannot be reserved. Pages are committed lazily, as classes need them.
 */
cache *cache_create(const cache_options *opts, const char **why);

/*
 * Stops the background threads and frees everything. No cache_thread may be
 * in use and no item reference may be outstanding.
 */
void cache_destroy(cache *c);

/* Per-worker handle; create one per thread that calls the operations below. */
cache_thread *cache_thread_create(cache *c);
void cache_thread_destroy(cache_thread *t); /* its counters stay in the totals */

/* ---- reading ---------------------------------------------------------- */

/*
 * Looks up a live item. Returns it with a reference held (release it with
 * cache_release), or NULL if absent, expired or flushed. A hit marks the item
 * active; it takes no LRU lock.
 */
cache_item *cache_get(cache_thread *t, const char *key, size_t nkey);

/* Like cache_get, and on a hit also sets its expiry to `exptime` (gat). */
cache_item *cache_get_touch(cache_thread *t, const char *key, size_t nkey,
                            int64_t exptime);

/* Drops a reference from cache_get/cache_get_touch/cache_alloc. */
void cache_release(cache_thread *t, cache_item *it);

/* Accessors; valid while a reference is held. */
const char *cache_item_key(const cache_item *it);
size_t cache_item_nkey(const cache_item *it);
uint32_t cache_item_flags(const cache_item *it);
uint64_t cache_item_cas(const cache_item *it);
size_t cache_item_nbytes(const cache_item *it); /* value length (no \r\n) */

/*
 * An item's value lives in one or more contiguous spans (several for items
 * larger than the largest slab chunk). Span i of cache_item_span_count(it):
 * the bytes stay valid while the reference is held.
 */
typedef struct cache_span {
    const char *data;
    size_t len;
} cache_span;
size_t cache_item_span_count(const cache_item *it);
cache_span cache_item_span(const cache_item *it, size_t i);

/* ---- writing ---------------------------------------------------------- */

/*
 * Reserves a new, unlinked item for `key` with a value of `nbytes` bytes,
 * evicting from the COLD LRU if needed (unless -M). On CACHE_OK, *out holds
 * the item with the caller's reference; fill the value with cache_item_write,
 * then link it with cache_store, then cache_release it. An item that is never
 * stored is simply released. Returns CACHE_TOO_LARGE if it can never fit,
 * CACHE_ENOMEM if memory is full and nothing can be evicted, CACHE_EINVAL for
 * a bad key length.
 */
cache_status cache_alloc(cache_thread *t, const char *key, size_t nkey,
                         uint32_t flags, int64_t exptime, size_t nbytes,
                         cache_item **out);

/*
 * A hint that `key` will be stored or looked up soon: starts loading its
 * hash bucket's first item into the CPU cache, so that miss overlaps the
 * work done before the lookup (reading the value, say). Takes the key's
 * stripe lock only if it is free, for a moment; the caller must hold no
 * stripe lock. No effect on the cache's contents. Any thread.
 */
void cache_prefetch_key(cache_thread *t, const char *key, size_t nkey);

/*
 * cache_prefetch_key in three steps, for a caller with several keys in
 * hand that can space the steps out (each step's loads land while it does
 * other work): hv = cache_key_hash(key, nkey), then
 *   1. cache_prefetch_bucket(t, hv): starts loading hv's bucket slot and
 *      stripe lock; takes no lock.
 *   2. cache_prefetch_chain(t, hv): reads the bucket under the stripe lock
 *      (if free) and starts loading its first item (= cache_prefetch_key).
 *   3. cache_prefetch_item(t, hv, key, nkey): under the stripe lock (if
 *      free), if that first item is the key's, starts loading the rest of
 *      it (up to 512 bytes); if not, starts loading the chain's next item.
 * Each step is only a hint: any may be skipped, none changes the cache,
 * and the caller must hold no stripe lock. Any thread.
 */
uint64_t cache_key_hash(const char *key, size_t nkey);
void cache_prefetch_bucket(cache_thread *t, uint64_t hv);
void cache_prefetch_chain(cache_thread *t, uint64_t hv);
void cache_prefetch_item(cache_thread *t, uint64_t hv, const char *key, size_t nkey);

/* Copies len bytes into the unstored item's value at `offset`. */
void cache_item_write(cache_item *it, size_t offset, const void *src, size_t len);

/*
 * The whole value of an item from cache_alloc that is not stored yet, as one
 * writable run of cache_item_nbytes(it) bytes, when it fits in one chunk;
 * NULL for a chained value (fill that with cache_item_write). Writing there
 * is the same as cache_item_write, and allowed only while the item is unstored
 * and held by the caller.
 */
char *cache_item_value_to_fill(cache_item *it);

/*
 * Links a filled item under its key according to `mode`; for CACHE_CAS the
 * store succeeds only if the present item's cas equals `cas`. On CACHE_OK,
 * *cas_out (if not NULL) gets the new item's cas. APPEND/PREPEND build a new
 * item from the old value and this one's bytes (may return CACHE_ENOMEM or
 * CACHE_TOO_LARGE). The caller still releases its reference afterwards.
 * Returns CACHE_OK, CACHE_NOT_STORED, CACHE_EXISTS, CACHE_NOT_FOUND (cas on
 * a missing key), CACHE_ENOMEM or CACHE_TOO_LARGE; CACHE_EINVAL if `it` is
 * NULL or already stored. The stored item gets a new cas (a CAS store too).
 */
cache_status cache_store(cache_thread *t, cache_item *it, cache_store_mode mode,
                         uint64_t cas, uint64_t *cas_out);

/*
 * Unlinks the key. With cas != 0, only if the item's cas matches (else
 * CACHE_EXISTS). Returns CACHE_OK or CACHE_NOT_FOUND (CACHE_EINVAL for a
 * bad key length, as every keyed call below).
 */
cache_status cache_delete(cache_thread *t, const char *key, size_t nkey, uint64_t cas);

/*
 * incr (incr=true) or decr the decimal value by delta: incr wraps at 2^64,
 * decr stops at 0. On CACHE_OK *value_out gets the new value and *cas_out
 * (if not NULL) the new cas. Returns CACHE_NOT_FOUND, CACHE_NON_NUMERIC (the
 * value is not a decimal uint64 of at most 20 digits; spaces around the
 * digits are accepted), or CACHE_ENOMEM. The new value is stored as its
 * decimal digits, padded with trailing spaces to the old value's length
 * when shorter (as memcached: "10" decr 1 stores "9 "); a longer result
 * grows the value. Always a new item (readers of the old one keep seeing
 * it unchanged); flags and expiry are kept.
 */
cache_status cache_delta(cache_thread *t, const char *key, size_t nkey, bool incr,
                         uint64_t delta, uint64_t *value_out, uint64_t *cas_out);

/*
 * Sets a live item's expiry (value, flags and cas unchanged). Returns
 * CACHE_OK, CACHE_NOT_FOUND, or CACHE_ENOMEM in the rare case the item has
 * no room for an expiry yet and no memory is left to copy it into one.
 */
cache_status cache_touch(cache_thread *t, const char *key, size_t nkey, int64_t exptime);

/*
 * flush_all: every item stored before the time `exptime` designates (now if
 * exptime <= 0) becomes invisible once that time has come; memory is
 * reclaimed lazily (on access, by the crawler, or from the LRU tail).
 */
void cache_flush(cache_thread *t, int64_t exptime);

/* ---- meta-protocol operations ------------------------------------------ */
/*
 * Extended variants of the operations above for memcached's meta commands
 * (mg ms md ma me). Besides the usual fields an item carries two marks:
 *   STALE  the item was invalidated (md I, or ms I with an older cas): its
 *          data may still be served, but readers are told it is stale;
 *   TOKEN  a "win" was handed out: one caller was told to recache the item;
 *          every later reader is told another client already won.
 * A normal store replaces the item and so clears both. Marks change only
 * under the key's stripe lock, so exactly one caller ever wins per item.
 * A zeroed options struct means "plain" behaviour. All exptime fields take
 * memcached exptime arguments (see the top of this file).
 */

/* mg: what cache_get_ex should do besides looking up. */
typedef struct cache_get_opts {
    bool no_bump;           /* u: leave FETCHED, ACTIVE and the access time alone */
    bool touch;             /* T: on a hit, set the expiry to touch_exptime first */
    int64_t touch_exptime;
    bool vivify;            /* N: on a miss, create an empty (0-byte, flags 0)
                               item expiring at vivify_exptime; the caller wins */
    int64_t vivify_exptime;
    bool recache;           /* R: win if the item expires (is not "never") and
                               sooner than recache_exptime would */
    int64_t recache_exptime;
    bool set_cas;           /* E: a vivified item gets new_cas instead of a fresh cas */
    uint64_t new_cas;
} cache_get_opts;

/* mg: what happened, with item facts from BEFORE this access updated them. */
typedef struct cache_get_info {
    bool created;           /* vivified by this call (then win is true) */
    bool win;               /* W: this caller won the right to recache */
    bool stale;             /* X: the item is marked stale */
    bool lost;              /* Z: a win was handed out before this call */
    bool hit_before;        /* h: fetched before this call */
    uint32_t idle;          /* l: seconds since the last access, before this call */
    int64_t ttl;            /* t: seconds left after this call, -1 = never expires */
} cache_get_info;

/*
 * Looks up key like cache_get, applying *o (may be NULL) and filling *info
 * (may be NULL). Returns the item with a reference held, or NULL on a miss
 * (also when vivify could not allocate: then nothing is created). A stale
 * item's first reader since it became stale wins (unless a win was already
 * handed out); R wins the same way for an item close to expiry; N creates
 * the item and wins on a miss. Two callers racing with N on a missing key:
 * exactly one gets created/win, the other sees the new item with lost set.
 * Counts get hits like cache_get (touch hits too with T).
 */
cache_item *cache_get_ex(cache_thread *t, const char *key, size_t nkey,
                         const cache_get_opts *o, cache_get_info *info);

/*
 * Looks up a live item and returns it referenced without marking it
 * fetched, bumping it or counting anything (me). NULL if absent.
 */
cache_item *cache_peek(cache_thread *t, const char *key, size_t nkey);

/* ms: how cache_store_ex links an item. */
typedef struct cache_store_opts {
    cache_store_mode mode;  /* SET ADD REPLACE APPEND PREPEND (CAS: use compare) */
    bool compare;           /* C: only if the present item's cas is compare_cas
                               (missing item: CACHE_NOT_FOUND for SET/REPLACE,
                               CACHE_NOT_STORED for ADD/APPEND/PREPEND; ADD
                               ignores it) */
    uint64_t compare_cas;
    bool invalidate;        /* I (with C): a compare_cas OLDER than the item's
                               still stores, but the new item is marked STALE and
                               keeps the old one's expiry and TOKEN mark */
    bool set_cas;           /* E: the stored item gets new_cas instead of a fresh cas */
    uint64_t new_cas;
    bool vivify;            /* N: APPEND/PREPEND on a missing key store the item as is */
} cache_store_opts;

/*
 * Links the filled, unstored item `it` as *o says; *cas_out (may be NULL)
 * gets the new cas on CACHE_OK. The caller still releases `it` afterwards.
 * Returns as cache_store (CACHE_EXISTS for a compare mismatch). The stored
 * item carries no STALE/TOKEN mark, except with invalidate as above.
 */
cache_status cache_store_ex(cache_thread *t, cache_item *it, const cache_store_opts *o,
                            uint64_t *cas_out);

/* md: what cache_delete_ex does. */
typedef struct cache_delete_opts {
    bool compare;           /* C: only if the item's cas is compare_cas (else EXISTS) */
    uint64_t compare_cas;
    bool invalidate;        /* I: keep the item, mark it STALE, clear its TOKEN,
                               give it a new cas */
    bool touch;             /* T (with invalidate or empty_value): new expiry */
    int64_t exptime;
    bool set_cas;           /* E: the kept item's cas is new_cas */
    uint64_t new_cas;
    bool empty_value;       /* x: keep the item (key, flags) with an empty value */
} cache_delete_opts;

/*
 * Deletes (or, with invalidate / empty_value, rewrites) the live item under
 * key. Returns CACHE_OK, CACHE_NOT_FOUND, CACHE_EXISTS (compare mismatch),
 * CACHE_ENOMEM (no memory for the rewritten copy) or CACHE_EINVAL.
 */
cache_status cache_delete_ex(cache_thread *t, const char *key, size_t nkey,
                             const cache_delete_opts *o);

/* ma: what cache_delta_ex does. */
typedef struct cache_delta_opts {
    bool decr;              /* decrement (stops at 0); else increment (wraps) */
    uint64_t delta;
    bool compare;           /* C: only if the item's cas is compare_cas (else EXISTS) */
    uint64_t compare_cas;
    bool set_cas;           /* E: the new item's cas is new_cas */
    uint64_t new_cas;
    bool vivify;            /* N: on a miss create the item with the value
                               `initial` (no delta applied), expiring at vivify_exptime */
    int64_t vivify_exptime;
    uint64_t initial;
    bool touch;             /* T: on success (not on creation) set the expiry */
    int64_t exptime;
} cache_delta_opts;
/* (A stale item stays stale through incr/decr, as memcached's in-place update.) */

typedef struct cache_delta_info {
    uint64_t value;         /* the new value */
    uint64_t cas;           /* the new item's cas */
    int64_t ttl;            /* seconds left, -1 = never expires */
    bool created;           /* vivified by this call */
} cache_delta_info;

/*
 * incr/decr as cache_delta, with *o's options; fills *info (may be NULL)
 * on CACHE_OK. Returns CACHE_OK, CACHE_NOT_FOUND, CACHE_EXISTS,
 * CACHE_NON_NUMERIC, CACHE_ENOMEM or CACHE_EINVAL.
 */
cache_status cache_delta_ex(cache_thread *t, const char *key, size_t nkey,
                            const cache_delta_opts *o, cache_delta_info *info);

/* Everything `me` shows about an item (and mg's marks). */
typedef struct cache_item_info {
    int64_t ttl;            /* seconds left, -1 = never expires */
    uint32_t idle;          /* seconds since the last access */
    uint64_t cas;
    bool fetched;
    bool stale;
    bool token;             /* a win was handed out */
    bool key_binary;
    unsigned class_id;      /* 1-based slab class of the (head) chunk */
    size_t size;            /* bytes the item takes: header + fields + key + value */
} cache_item_info;

/* Fills *out for an item the caller holds a reference to. */
void cache_item_describe(cache_thread *t, const cache_item *it, cache_item_info *out);

/*
 * The "key was sent base64-encoded" bit (ms/mg b): set on an item from
 * cache_alloc before storing it; copies made by the engine (append, incr,
 * touch, invalidate) keep it.
 */
void cache_item_set_key_binary(cache_item *it, bool binary);
bool cache_item_key_binary(const cache_item *it);

/* ---- statistics ------------------------------------------------------- */

/* Engine-wide counters, folded from every thread and class when read. */
typedef struct cache_stats {
    uint64_t curr_items, total_items, bytes;
    uint64_t evictions, reclaimed, expired_unfetched, evicted_unfetched;
    uint64_t evicted_active, crawler_reclaimed, outofmemory;
    uint64_t get_expired, get_flushed;
    uint64_t slabs_moved, slab_reassign_rescues, slab_reassign_evictions;
    uint64_t total_malloced, limit_maxbytes;
    uint64_t hash_bytes;
    unsigned hash_power_level;
    bool hash_is_expanding;
    uint64_t moves_to_cold, moves_to_warm, moves_within_lru;
    uint64_t lru_maintainer_juggles;
    unsigned slab_classes; /* classes configured */
} cache_stats;
void cache_stats_read(cache *c, cache_stats *out);

/* Per-class counters, for `stats items` and `stats slabs`. */
typedef struct cache_class_stats {
    unsigned id;                /* 1-based class id */
    uint64_t chunk_size, chunks_per_page, total_pages, total_chunks;
    uint64_t used_chunks, free_chunks, mem_requested;
    uint64_t number, number_hot, number_warm, number_cold, number_temp;
    uint64_t age_hot, age_warm, age;  /* seconds since the segment tail's last access */
    uint64_t evicted, evicted_nonzero, evicted_time, evicted_unfetched, evicted_active;
    uint64_t outofmemory, tailrepairs, reclaimed, expired_unfetched;
    uint64_t crawler_reclaimed, crawler_items_checked, lrutail_reflocked;
    uint64_t moves_to_cold, moves_to_warm, moves_within_lru, direct_reclaims;
    uint64_t hits_to_hot, hits_to_warm, hits_to_cold, hits_to_temp;
    uint64_t get_hits, cmd_set, delete_hits, incr_hits, decr_hits, cas_hits,
             cas_badval, touch_hits;
} cache_class_stats;

/* Calls fn once per class that has ever had a page, in class order. */
void cache_stats_classes(cache *c,
                         void (*fn)(void *arg, const cache_class_stats *s),
                         void *arg);

/* ---- crawling --------------------------------------------------------- */

/* Metadata of one item, handed to a walk callback (for metadump). */
typedef struct cache_item_meta {
    const char *key;
    size_t nkey;
    int64_t exptime;     /* unix time, 0 = never */
    int64_t last_access; /* unix time */
    uint64_t cas;
    uint32_t flags;
    size_t nbytes;
    unsigned class_id;
    bool fetched;
} cache_item_meta;

/*
 * Walks every live item of every class (or only class_id if non-zero),
 * calling fn for each; fn returns false to stop. Items are not pinned across
 * calls: the key bytes are valid only during the call. Items are visited in
 * memory order (page by page), not LRU order; an item stored or deleted
 * during the walk may or may not be seen. The item is pinned during fn and
 * only a shared page lock is held, so fn may call engine operations.
 */
void cache_walk(cache *c, unsigned class_id,
                bool (*fn)(void *arg, const cache_item_meta *m), void *arg);

/* How many slab classes the engine has (ids 1..n). Fixed at cache_create; any thread. */
unsigned cache_class_count(const cache *c);

/*
 * Whether -o slab_reassign was on at cache_create; whether the crawler
 * thread runs now (-o lru_crawler at cache_create, then `lru_crawler
 * enable|disable`). Any thread.
 */
bool cache_slab_reassign_enabled(const cache *c);
bool cache_lru_crawler_enabled(const cache *c);

/*
 * The bytes an item with m's key, value length, exptime and flags takes
 * (header, options, key, value: what `bytes` counts; the size field of
 * `lru_crawler metadump`). Pure; any thread.
 */
size_t cache_item_meta_size(const cache *c, const cache_item_meta *m);

/* ---- slab rebalancing and crawler control ------------------------------- */

typedef enum cache_reassign_status {
    CACHE_REASSIGN_OK = 0,    /* queued: the mover thread moves one page soon */
    CACHE_REASSIGN_BUSY,      /* a page move is already queued or running */
    CACHE_REASSIGN_BADCLASS,  /* no such class id */
    CACHE_REASSIGN_NOSPARE,   /* the source class has no page */
    CACHE_REASSIGN_UNSAFE,    /* source and destination are the same */
    CACHE_REASSIGN_DISABLED   /* slab_reassign is off */
} cache_reassign_status;

/*
 * `slabs reassign src dst`: asks the mover thread to move one page from
 * class src (-1 = whichever class has the most free chunks) to class dst
 * (1-based ids). Returns at once; the move itself rescues live items of the
 * page into free chunks of their class or evicts them. Any thread.
 */
cache_reassign_status cache_slabs_reassign(cache *c, int src, int dst);

/* `slabs automove 0|1|2`: changes the automove mode (false if > 2). */
bool cache_slabs_automove(cache *c, unsigned mode);

/*
 * `lru_crawler crawl`: wakes the crawler for a pass over class_id (0 = all
 * classes). Returns false if the crawler thread is not running
 * (lru_crawler=false) or class_id is out of range. Any thread.
 */
bool cache_crawl(cache *c, unsigned class_id);

/*
 * `lru_crawler enable`: starts the crawler thread. Returns true if it was
 * started, false if it already runs or the thread cannot be created.
 * Any thread but the crawler's; enable/disable calls are serialised.
 */
bool cache_crawler_enable(cache *c);

/*
 * `lru_crawler disable`: stops the crawler thread and waits for it (it
 * stops at its next batch boundary). Nothing to do if it does not run.
 * Any thread but the crawler's; serialised with cache_crawler_enable.
 */
void cache_crawler_disable(cache *c);

/*
 * `lru_crawler sleep` / `lru_crawler tocrawl`: the pause in microseconds
 * between two batches of a background crawl (0 = none), and the most
 * items looked at per class per pass (0 = all). Start as -o
 * lru_crawler_sleep / lru_crawler_tocrawl; take effect at the crawler's
 * next batch / pass. Setters and getters: any thread (atomics).
 */
void cache_crawler_set_sleep(cache *c, uint32_t usec);
void cache_crawler_set_tocrawl(cache *c, uint32_t items);
uint32_t cache_crawler_sleep(const cache *c);
uint32_t cache_crawler_tocrawl(const cache *c);

/* ---- run-time tuning, dumps, counter reset -------------------------------- */
/*
 * What memcached's admin commands change while the server runs (`lru tune`,
 * `lru mode`, `lru temp_ttl`, `cache_memlimit`, `stats reset`) and what its
 * dump commands read (`stats cachedump`, `lru_crawler mgdump`, the -vv class
 * list). The settings start as the cache_options given to cache_create.
 * Setters and getters: any thread, any time (relaxed atomics); a change is
 * seen by the workers and the LRU maintainer at their next operation. They
 * store what they are given: the protocol's range checks are the caller's.
 */

/* The segmented LRU's limits (lru.h): HOT and WARM shares of a class's bytes,
 * and how much longer than the COLD tail their tails may stay idle. */
typedef struct cache_lru_tuning {
    unsigned hot_lru_pct;
    unsigned warm_lru_pct;
    double hot_max_factor;
    double warm_max_factor;
} cache_lru_tuning;

/* `lru tune`: reads / replaces all four limits (the maintainer's next pass uses them). */
void cache_lru_tuning_read(const cache *c, cache_lru_tuning *out);
void cache_lru_tune(cache *c, const cache_lru_tuning *t);

/* Whether the LRU maintainer thread runs (-o lru_maintainer at cache_create). */
bool cache_lru_maintainer_running(const cache *c);

/*
 * `lru mode segmented|flat`: segmented puts new items in HOT; flat puts
 * them in COLD and the maintainer drains HOT and WARM into COLD (COLD then
 * works as one LRU, active items bumped within it through WARM). Returns
 * false (and changes nothing) when the maintainer thread does not run.
 */
bool cache_lru_set_segmented(cache *c, bool segmented);
bool cache_lru_segmented(const cache *c);

/*
 * `lru temp_ttl`: items stored from now on with a TTL below ttl go to the
 * TEMP LRU; 0 = no TEMP LRU. Items already stored stay where they are.
 */
void cache_set_temporary_ttl(cache *c, unsigned ttl);
unsigned cache_temporary_ttl(const cache *c);

/*
 * `cache_memlimit`: sets the budget to `bytes` (whole pages count).
 * Growing lets classes take more pages at once; shrinking frees nothing
 * (as memcached): classes that hold more pages keep them, no class takes a
 * new page while the pages in use exceed the budget (a class's first page
 * excepted), so stores evict instead. Returns false (nothing changed) for
 * less than one page or more than cache_memory_limit_max. limit_maxbytes
 * (cache_stats_read) follows.
 */
bool cache_set_memory_limit(cache *c, size_t bytes);
size_t cache_memory_limit(const cache *c);
/* The largest budget the arena reserved at cache_create can hold (about -m). */
size_t cache_memory_limit_max(const cache *c);

/*
 * `stats reset`: zeroes the per-class counters memcached's reset zeroes:
 * every LRU counter of cache_class_stats (evicted .. direct_reclaims, and
 * the maintainer's juggles) and the per-class operation counters (get_hits
 * .. touch_hits, hits_to_*). Gauges (number*, age*, mem_requested, pages,
 * chunks) and the engine-wide counters of cache_stats that are not per
 * class (total_items, get_expired, slabs_moved, ...) are left alone.
 * Counts made while it runs are kept or lost, never doubled. Any thread.
 */
void cache_stats_reset(cache *c);

/* One item as the dumps show it. */
typedef struct cache_dump_item {
    const char *key;     /* nkey bytes, valid during the callback only */
    size_t nkey;
    size_t nbytes;       /* value length */
    int64_t exptime;     /* unix time, 0 = never */
    bool key_binary;     /* the key was sent base64-encoded (meta b) */
} cache_dump_item;

/*
 * `stats cachedump`: calls fn for the items in the COLD LRU of class
 * class_id, most recently linked first, expired or flushed ones included,
 * until fn returns false. As memcached 1.6, which dumps COLD only: items
 * in HOT, WARM or TEMP are not shown (with the LRU maintainer a new item
 * reaches COLD when the maintainer moves it; without it, or in flat mode,
 * at once). fn runs with the class's LRU lock
 * held: it must be short and must not call into the engine. Nothing for
 * an unknown class.
 */
void cache_dump_class(cache *c, unsigned class_id,
                      bool (*fn)(void *arg, const cache_dump_item *d), void *arg);

/*
 * `lru_crawler mgdump`: calls fn for every live item of class class_id (0 =
 * all classes) in memory order, like cache_walk (items stored or deleted
 * meanwhile may or may not be seen), until fn returns false. fn may call
 * engine operations.
 */
void cache_walk_keys(cache *c, unsigned class_id,
                     bool (*fn)(void *arg, const cache_dump_item *d), void *arg);

/* Class id's chunk size and chunks per page (-vv); false for no such class. Pure. */
bool cache_class_geometry(const cache *c, unsigned id, uint32_t *chunk_size,
                          uint32_t *per_page);

#endif
