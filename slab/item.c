/*
 * slab/item.c -- item layout, reference counts and chained values.
 * See item.h for the diagram.
 */
#include "slab/item.h"

#include <assert.h>

#define ITEM_CHAIN_FIXED 8u /* count + chunk size words */

static size_t item_align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Offset of the chain table (chained items only). */
static size_t item_chain_offset(uint32_t st)
{
    return item_align8(ITEM_HEADER_SIZE + item_options_size(st));
}

void item_plan_make(item_plan *p, bool use_cas, size_t nkey, size_t nbytes,
                    bool has_exp, bool has_flags, size_t chunk_max)
{
    memset(p, 0, sizeof(*p));
    p->bits = (use_cas ? ITEM_HAS_CAS : 0) | (has_exp ? ITEM_HAS_EXP : 0) |
              (has_flags ? ITEM_HAS_FLAGS : 0);
    p->nkey = nkey;
    p->nbytes = nbytes;
    p->meta = ITEM_HEADER_SIZE + item_options_size(p->bits) + nkey;
    p->total = p->meta + nbytes;
    p->head_size = p->total;
    if (p->total <= chunk_max)
        return;
    p->bits |= ITEM_CHAINED | ITEM_HAS_EXP;
    size_t meta0 = item_chain_offset(p->bits) + ITEM_CHAIN_FIXED + nkey;
    size_t per_chunk = chunk_max - ITEM_DATA_HEADER - sizeof(char *);
    size_t over = meta0 + nbytes - chunk_max; /* > 0: total > chunk_max */
    p->nchain = (over + per_chunk - 1) / per_chunk;
    p->meta = meta0 + p->nchain * sizeof(char *);
    p->head_size = p->meta < chunk_max ? chunk_max : p->meta + 1; /* +1: cannot fit */
}

/* ---- chain table -------------------------------------------------------- */

static char *item_chain_table(const item *it)
{
    return (char *)it + item_chain_offset(item_state(it));
}

size_t item_chain_count(const item *it)
{
    if (!(item_state(it) & ITEM_CHAINED))
        return 0;
    uint32_t n;
    memcpy(&n, item_chain_table(it), sizeof(n));
    return n;
}

static size_t item_chunk_size(const item *it)
{
    uint32_t n;
    memcpy(&n, item_chain_table(it) + 4, sizeof(n));
    return n;
}

char *item_chain_chunk(const item *it, size_t i)
{
    char *p;
    memcpy(&p, item_chain_table(it) + ITEM_CHAIN_FIXED + i * sizeof(p), sizeof(p));
    return p;
}

void item_plan_set_chunk(const item_plan *p, void *head, size_t i, char *chunk)
{
    size_t at = item_chain_offset(p->bits) + ITEM_CHAIN_FIXED + i * sizeof(chunk);
    memcpy((char *)head + at, &chunk, sizeof(chunk));
}

char *item_plan_get_chunk(const item_plan *p, const void *head, size_t i)
{
    char *chunk;
    size_t at = item_chain_offset(p->bits) + ITEM_CHAIN_FIXED + i * sizeof(chunk);
    memcpy(&chunk, (const char *)head + at, sizeof(chunk));
    return chunk;
}

static void item_chain_init(item *it, const item_plan *p, size_t chunk_size,
                            hash_ref head_ref)
{
    char *table = item_chain_table(it);
    uint32_t n = (uint32_t)p->nchain, cs = (uint32_t)chunk_size;
    memcpy(table, &n, 4);
    memcpy(table + 4, &cs, 4);
    for (size_t i = 0; i < p->nchain; i++) {
        item *d = (item *)item_chain_chunk(it, i);
        d->hnext = head_ref;
        d->prev = d->next = 0;
        atomic_store_explicit(&d->atime, 0, memory_order_relaxed);
        d->nbytes = 0;
        atomic_store_explicit(&d->state, ITEM_CHAINED, memory_order_release);
    }
}

/* ---- init --------------------------------------------------------------- */

void item_init(item *it, const item_plan *p, const char *key, uint32_t cflags,
               uint32_t exptime, uint32_t now, size_t chunk_size, hash_ref head_ref)
{
    it->hnext = it->prev = it->next = 0;
    atomic_store_explicit(&it->atime, now, memory_order_relaxed);
    it->nbytes = (uint32_t)p->nbytes;
    uint32_t st = ((uint32_t)p->nkey << ITEM_NKEY_SHIFT) | p->bits | 1u;
    atomic_store_explicit(&it->state, st, memory_order_relaxed);
    char *opt = item_options(it);
    if (st & ITEM_HAS_CAS) {
        memset(opt, 0, ITEM_CAS_SIZE);
        opt += ITEM_CAS_SIZE;
    }
    if (st & ITEM_HAS_EXP) {
        atomic_store_explicit((_Atomic uint32_t *)opt, exptime, memory_order_relaxed);
        opt += 4;
    }
    if (st & ITEM_HAS_FLAGS)
        memcpy(opt, &cflags, 4);
    if (st & ITEM_CHAINED)
        item_chain_init(it, p, chunk_size, head_ref);
    memcpy((char *)item_key(it), key, p->nkey);
    atomic_thread_fence(memory_order_release);
}

/* ---- state word --------------------------------------------------------- */

void item_set_segment(item *it, unsigned seg)
{
    uint32_t old = atomic_load_explicit(&it->state, memory_order_relaxed);
    uint32_t want;
    do {
        want = (old & ~ITEM_SEG_MASK) | ((uint32_t)seg << ITEM_SEG_SHIFT);
    } while (!atomic_compare_exchange_weak_explicit(&it->state, &old, want,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
}

bool item_pin(item *it)
{
    uint32_t old = atomic_load_explicit(&it->state, memory_order_relaxed);
    do {
        if (!(old & ITEM_LINKED) || (old & ITEM_REF_MASK) == ITEM_REF_MASK ||
            (old & ITEM_REF_MASK) == 0)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&it->state, &old, old + 1,
                                                    memory_order_acquire,
                                                    memory_order_relaxed));
    return true;
}

/* ---- fields ------------------------------------------------------------- */

static _Atomic uint32_t *item_exptime_slot(const item *it)
{
    uint32_t st = item_state(it);
    if (!(st & ITEM_HAS_EXP))
        return NULL;
    return (_Atomic uint32_t *)(item_options(it) + ((st & ITEM_HAS_CAS) ? ITEM_CAS_SIZE : 0));
}


void item_set_exptime(item *it, uint32_t exptime)
{
    _Atomic uint32_t *slot = item_exptime_slot(it);
    assert(slot != NULL);
    if (slot)
        atomic_store_explicit(slot, exptime, memory_order_relaxed);
}

uint32_t item_cflags(const item *it)
{
    uint32_t st = item_state(it), flags;
    if (!(st & ITEM_HAS_FLAGS))
        return 0;
    memcpy(&flags, item_options(it) + item_options_size(st) - 4, sizeof(flags));
    return flags;
}

const char *item_key_chained(const item *it)
{
    size_t n = item_chain_count(it);
    return item_chain_table(it) + ITEM_CHAIN_FIXED + n * sizeof(char *);
}

bool item_key_binary(const item *it)
{
    return (it->nbytes & ITEM_NBYTES_KEY_BINARY) != 0;
}

void item_set_key_binary(item *it, bool binary)
{
    if (binary)
        it->nbytes |= ITEM_NBYTES_KEY_BINARY;
    else
        it->nbytes &= ~ITEM_NBYTES_KEY_BINARY;
}


/* ---- value spans -------------------------------------------------------- */

size_t item_span_count(const item *it)
{
    return 1 + item_chain_count(it);
}

const char *item_span(const item *it, size_t i, size_t *len)
{
    const char *value = item_key(it) + item_nkey(it);
    if (!(item_state(it) & ITEM_CHAINED)) {
        *len = i == 0 ? item_nbytes(it) : 0;
        return value;
    }
    size_t cs = item_chunk_size(it);
    size_t first = cs - (size_t)(value - (const char *)it);
    size_t nbytes = item_nbytes(it);
    if (i == 0) {
        *len = first < nbytes ? first : nbytes;
        return value;
    }
    size_t per = cs - ITEM_DATA_HEADER;
    size_t done = first + (i - 1) * per;
    size_t left = nbytes > done ? nbytes - done : 0;
    *len = left < per ? left : per;
    return item_chain_chunk(it, i - 1) + ITEM_DATA_HEADER;
}

/* Calls copy(span_ptr, buf_ptr, n) over the byte range, span by span. */
static void item_copy_range(const item *it, size_t offset, char *buf, size_t len,
                            bool into_item)
{
    size_t n = item_span_count(it), start = 0;
    for (size_t i = 0; i < n && len > 0; i++) {
        size_t slen;
        char *span = (char *)item_span(it, i, &slen);
        if (offset < start + slen) {
            size_t at = offset - start, k = slen - at < len ? slen - at : len;
            if (into_item)
                memcpy(span + at, buf, k);
            else
                memcpy(buf, span + at, k);
            buf += k;
            offset += k;
            len -= k;
        }
        start += slen;
    }
}

void item_write(item *it, size_t offset, const void *src, size_t len)
{
    item_copy_range(it, offset, (char *)src, len, true);
}

void item_read(const item *it, size_t offset, void *dst, size_t len)
{
    item_copy_range(it, offset, dst, len, false);
}
