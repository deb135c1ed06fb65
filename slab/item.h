/*
 * slab/item.h -- the item layout, reference counts and chained values.
 *
 * An item lives in one slab chunk (or, when bigger than the largest chunk,
 * in a chain of largest-class chunks). Its fixed header is 24 bytes; the
 * 64-bit CAS follows it unless the engine runs with use_cas=false, so the
 * header is 32 bytes with CAS (memcached's is 56). Everything else is only
 * present when needed, announced by a bit in `state`:
 *
 *   offset  0        4        8        12       16       20       24
 *           +--------+--------+--------+--------+--------+--------+
 *           | hnext  | prev   | next   | atime  | nbytes | state  |
 *           +--------+--------+--------+--------+--------+--------+
 *   hnext   hash chain link (ref of the next item in the bucket)
 *   prev/next  LRU segment links (refs)
 *   atime   last access, engine seconds (relaxed atomic)
 *   nbytes  value length, without "\r\n"
 *   state   atomic word: bits 24..31 nkey | bits 15..23 flags | 13..14 meta
 *           marks | 0..12 refcount (at most 8191 references at once; one
 *           more is refused, and the lookup that wanted it misses)
 *             flags: LINKED ACTIVE FETCHED CHAINED HAS_FLAGS HAS_EXP HAS_CAS
 *                    + 2 bits of LRU segment (HOT WARM COLD TEMP)
 *             marks (meta protocol, changed only under the key's stripe
 *             lock): STALE (invalidated: readers are told to recache) and
 *             TOKEN (a "win" was handed out: later readers are told so)
 *   nbytes  bit 31 is KEY_BINARY (the key was sent base64-encoded; set
 *           before the item is linked, never changed): item_nbytes masks it
 *
 *           24                 32        36        40
 *           +------------------+---------+---------+---------------//-----+
 *           | cas (HAS_CAS)    | exptime | cflags  | key | value bytes      |
 *           +------------------+---------+---------+---------------//-----+
 *                                (HAS_EXP) (HAS_FLAGS)
 *
 * exptime and the client flags take room only when they are non-zero, so a
 * typical item costs 32 + nkey + nbytes bytes: a 10-byte key with a 100-byte
 * value takes 142 bytes and fits a 144-byte chunk. (Keeping exptime out of
 * the fixed header is what makes 32 bytes possible with hash chaining: the
 * three links, atime, nbytes, the state word and the CAS already fill it.)
 * Touching an item that has no exptime slot to a non-zero expiry replaces it
 * with a copy that has one (see cache.c).
 *
 * A chained item (bigger than the largest chunk, CHAINED and always
 * HAS_EXP) keeps a chain table after the optional fields, 8-aligned:
 *
 *   head chunk: | header | cas | exptime | [cflags] | pad | count | csize |
 *               | chunk pointers [count] | key | first part of the value  |
 *   data chunk: | 24-byte header (state = CHAINED, nkey 0, hnext = head) |
 *               | next part of the value ...                               |
 *
 * The chain table holds addresses, not refs, so the accessors work without
 * the arena. A free chunk has state 0.
 *
 * Reference counts. A linked item holds one reference for the hash table
 * (the LINKED bit and that reference come and go together, under the key's
 * stripe lock); every reader holds one more. Whoever drops the last
 * reference frees the chunks. Readers may rely on the key, flags and value
 * never changing while they hold a reference.
 */
#ifndef CASHEW_SLAB_ITEM_H
#define CASHEW_SLAB_ITEM_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slab/hash.h"

typedef struct item {
    hash_ref hnext;
    hash_ref prev;
    hash_ref next;
    _Atomic uint32_t atime;
    uint32_t nbytes;
    _Atomic uint32_t state;
} item;

_Static_assert(sizeof(item) == 24, "item header must stay 24 bytes (+8 for CAS)");

#define ITEM_HEADER_SIZE 24u
#define ITEM_CAS_SIZE 8u
#define ITEM_DATA_HEADER 24u /* header of a chained value's data chunk */

#define ITEM_REF_MASK 0x1fffu
#define ITEM_STALE (1u << 13) /* meta: invalidated, serve as stale */
#define ITEM_TOKEN (1u << 14) /* meta: the recache win was handed out */
#define ITEM_MARKS (ITEM_STALE | ITEM_TOKEN)
#define ITEM_NBYTES_KEY_BINARY (1u << 31) /* in item.nbytes */
#define ITEM_LINKED (1u << 15)
#define ITEM_ACTIVE (1u << 16)
#define ITEM_FETCHED (1u << 17)
#define ITEM_CHAINED (1u << 18)
#define ITEM_HAS_FLAGS (1u << 19)
#define ITEM_HAS_EXP (1u << 20)
#define ITEM_HAS_CAS (1u << 21)
#define ITEM_SEG_SHIFT 22
#define ITEM_SEG_MASK (3u << ITEM_SEG_SHIFT)
#define ITEM_NKEY_SHIFT 24

/* The shape of an item about to be allocated. */
typedef struct item_plan {
    uint32_t bits;       /* HAS_* and CHAINED bits */
    size_t nkey, nbytes;
    size_t meta;         /* header + options + chain table + key */
    size_t total;        /* meta + nbytes, what -I limits (no chain table) */
    size_t nchain;       /* extra data chunks (0 unless CHAINED) */
    size_t head_size;    /* bytes of the head chunk actually used */
} item_plan;

/*
 * Works out the layout of an item: whether it needs the CAS, exptime and
 * client-flags fields, whether it must be chained (total above chunk_max),
 * and how many data chunks. Pure.
 */
void item_plan_make(item_plan *p, bool use_cas, size_t nkey, size_t nbytes,
                    bool has_exp, bool has_flags, size_t chunk_max);

/*
 * Slot, in the head chunk, of data chunk i's address: the allocator writes
 * the addresses there before item_init (and reads them back to undo).
 */
void item_plan_set_chunk(const item_plan *p, void *head, size_t i, char *chunk);
char *item_plan_get_chunk(const item_plan *p, const void *head, size_t i);

/*
 * Writes the header of a fresh item at `it` with refcount 1, not linked.
 * For a chained item the data chunk addresses must already be in place
 * (item_plan_set_chunk); item_init stamps each data chunk with its owner
 * `head_ref` and records `chunk_size`.
 */
void item_init(item *it, const item_plan *p, const char *key, uint32_t cflags,
               uint32_t exptime, uint32_t now, size_t chunk_size, hash_ref head_ref);

/* ---- the state word ----------------------------------------------------- */

static inline uint32_t item_state(const item *it)
{
    return atomic_load_explicit(&((item *)it)->state, memory_order_acquire);
}

static inline size_t item_nkey(const item *it)
{
    return item_state(it) >> ITEM_NKEY_SHIFT;
}

static inline bool item_is_linked(const item *it)
{
    return (item_state(it) & ITEM_LINKED) != 0;
}

static inline unsigned item_refcount(const item *it)
{
    return item_state(it) & ITEM_REF_MASK;
}

static inline unsigned item_segment(const item *it)
{
    return (item_state(it) & ITEM_SEG_MASK) >> ITEM_SEG_SHIFT;
}

static inline void item_set_bits(item *it, uint32_t bits)
{
    atomic_fetch_or_explicit(&it->state, bits, memory_order_relaxed);
}

static inline void item_clear_bits(item *it, uint32_t bits)
{
    atomic_fetch_and_explicit(&it->state, ~bits, memory_order_relaxed);
}

/* Sets the LRU segment bits (caller holds the LRU lock). */
void item_set_segment(item *it, unsigned seg);

/*
 * Takes one more reference. Returns false (taking none) if the count is
 * saturated. The caller must know the item cannot be freed meanwhile (it
 * holds the key's stripe lock with the item linked, or a reference).
 * Inline, as item_unref: every get takes and drops one.
 */
static inline bool item_ref(item *it)
{
    uint32_t old = atomic_load_explicit(&it->state, memory_order_relaxed);
    do {
        if ((old & ITEM_REF_MASK) == ITEM_REF_MASK)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&it->state, &old, old + 1,
                                                    memory_order_acquire,
                                                    memory_order_relaxed));
    return true;
}

/*
 * Takes a reference only if the item is linked (lock-free; used by walkers
 * that hold no stripe lock). False if it is not linked or saturated.
 */
bool item_pin(item *it);

/* Drops one reference; returns true if it was the last (caller frees). */
static inline bool item_unref(item *it)
{
    uint32_t old = atomic_fetch_sub_explicit(&it->state, 1, memory_order_acq_rel);
    assert((old & ITEM_REF_MASK) != 0 && "item: reference count underflow");
    return (old & ITEM_REF_MASK) == 1;
}

/* Marks the item linked, taking the table's reference. */
static inline void item_mark_linked(item *it)
{
    uint32_t old = atomic_fetch_add_explicit(&it->state, ITEM_LINKED + 1,
                                             memory_order_release);
    assert(!(old & ITEM_LINKED) && (old & ITEM_REF_MASK) < ITEM_REF_MASK);
    (void)old;
}

/* Clears LINKED and drops the table's reference; true if it was the last. */
static inline bool item_mark_unlinked(item *it)
{
    uint32_t old = atomic_fetch_sub_explicit(&it->state, ITEM_LINKED + 1,
                                             memory_order_acq_rel);
    assert((old & ITEM_LINKED) && (old & ITEM_REF_MASK) != 0);
    return (old & ITEM_REF_MASK) == 1;
}

/* ---- fields ------------------------------------------------------------- */

static inline size_t item_options_size(uint32_t st)
{
    return ((st & ITEM_HAS_CAS) ? ITEM_CAS_SIZE : 0) + ((st & ITEM_HAS_EXP) ? 4 : 0) +
           ((st & ITEM_HAS_FLAGS) ? 4 : 0);
}

static inline char *item_options(const item *it)
{
    return (char *)it + ITEM_HEADER_SIZE;
}

/* item_key of a CHAINED item (its key follows the chain table). */
const char *item_key_chained(const item *it);

/*
 * The hot accessors are inline: every lookup, store and LRU move uses them.
 */

/* The key (nkey bytes, not terminated). */
static inline const char *item_key(const item *it)
{
    uint32_t st = item_state(it);
    if (__builtin_expect((st & ITEM_CHAINED) != 0, 0))
        return item_key_chained(it);
    return (const char *)it + ITEM_HEADER_SIZE + item_options_size(st);
}

/* Value length without "\r\n" (the KEY_BINARY bit masked off). */
static inline size_t item_nbytes(const item *it)
{
    return it->nbytes & ~ITEM_NBYTES_KEY_BINARY;
}

/* What the item counts as in `bytes`: header, options, key and value. */
static inline size_t item_total(const item *it)
{
    return (size_t)(item_key(it) - (const char *)it) + item_nkey(it) + item_nbytes(it);
}

/* Expiry in engine seconds, 0 = never (no exptime slot). */
static inline uint32_t item_exptime(const item *it)
{
    uint32_t st = item_state(it);
    if (!(st & ITEM_HAS_EXP))
        return 0;
    char *slot = item_options(it) + ((st & ITEM_HAS_CAS) ? ITEM_CAS_SIZE : 0);
    return atomic_load_explicit((_Atomic uint32_t *)slot, memory_order_relaxed);
}

/*
 * Whether a[0..n) equals b[0..n): 8-byte words (the last one overlapping),
 * cheaper than a memcmp call for keys, which are at most 250 bytes.
 */
static inline bool item_bytes_equal(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, w, z;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return u == v && w == z;
    }
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Whether the item's key is key[0..nkey) (the length decides first). */
static inline bool item_key_equals(const item *it, const char *key, size_t nkey)
{
    uint32_t st = item_state(it);
    if ((st >> ITEM_NKEY_SHIFT) != nkey)
        return false;
    const char *k = __builtin_expect((st & ITEM_CHAINED) != 0, 0)
                        ? item_key_chained(it)
                        : (const char *)it + ITEM_HEADER_SIZE + item_options_size(st);
    return item_bytes_equal(k, key, nkey);
}

/* The CAS, 0 without a CAS field. */
static inline uint64_t item_cas(const item *it)
{
    if (!(item_state(it) & ITEM_HAS_CAS))
        return 0;
    uint64_t cas;
    memcpy(&cas, item_options(it), sizeof(cas));
    return cas;
}

/* Sets the CAS (no-op without a CAS field); before linking only. */
static inline void item_set_cas(item *it, uint64_t cas)
{
    if (item_state(it) & ITEM_HAS_CAS)
        memcpy(item_options(it), &cas, sizeof(cas));
}
void item_set_exptime(item *it, uint32_t exptime);  /* needs HAS_EXP */
uint32_t item_cflags(const item *it);
bool item_key_binary(const item *it);
void item_set_key_binary(item *it, bool binary);    /* before linking only */

/* Number of contiguous value spans, and span i. */
size_t item_span_count(const item *it);
const char *item_span(const item *it, size_t i, size_t *len);

/* Copies value bytes [offset, offset+len) in or out, across spans. */
void item_write(item *it, size_t offset, const void *src, size_t len);
void item_read(const item *it, size_t offset, void *dst, size_t len);

/* Data chunks of a chained item (count and i-th address). */
size_t item_chain_count(const item *it);
char *item_chain_chunk(const item *it, size_t i);

#endif
