/*
 * daemon/hotkeys.c -- the per-worker hot key sketch (Space-Saving over a
 * random 1-in-N sample of lookups); see hotkeys.h.
 */
#include "config.h"

#include "daemon/hotkeys.h"
#include "daemon/sample_gap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Debug builds: the caller holds h->lock (a held default mutex refuses trylock). */
#define HOTKEYS_ASSERT_LOCKED(h) \
    do { assert(pthread_mutex_trylock(&(h)->lock) == EBUSY); (void)(h); } while (0)

/* The next gap: uniform in [1, 2N-1], mean N (always 1 when N is 1). */
static uint32_t hotkeys_next_gap(hotkeys *h)
{
    return sample_gap_next(&h->rng, h->sample_every);
}

hotkeys *hotkeys_create(uint32_t sample_every, uint64_t seed)
{
    hotkeys *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return NULL;
    }
    h->sample_every = sample_every > 0 ? sample_every : 1;
    h->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
    h->countdown = hotkeys_next_gap(h);
    return h;
}

void hotkeys_destroy(hotkeys *h)
{
    if (h == NULL)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* 8 bytes at a time, multiply-xorshift mixed; never 0: a free slot (hash
 * 0) never matches a key. */
static uint32_t hotkeys_hash(const char *key, size_t nkey)
{
    const uint64_t mul = 0x9e3779b97f4a7c15ull;
    uint64_t h = nkey * mul, w;
    size_t i = 0;
    for (; i + 8 <= nkey; i += 8) {
        memcpy(&w, key + i, 8);
        h = (h ^ w) * mul;
        h ^= h >> 29;
    }
    if (i < nkey) {
        w = 0;
        memcpy(&w, key + i, nkey - i);
        h = (h ^ w) * mul;
    }
    h ^= h >> 32;
    return (uint32_t)h | 1u;
}

/*
 * Space-Saving step on the key's set: adds weight (and `other`) to the
 * key's entry, or replaces the set's smallest entry with it.
 */
static void hotkeys_table_add_locked(hotkeys *h, hotkeys_table *t, uint32_t hash,
                                     const char *key, size_t nkey,
                                     uint64_t weight, uint64_t other)
{
    HOTKEYS_ASSERT_LOCKED(h);
    unsigned base = (hash >> 1) % HOTKEYS_SETS * HOTKEYS_WAYS, min = base;
    for (unsigned i = base; i < base + HOTKEYS_WAYS; i++) {
        if (t->hash[i] == hash && t->nkey[i] == nkey &&
            memcmp(t->key[i], key, nkey) == 0) {
            t->count[i] += weight;
            t->other[i] += other;
            return;
        }
        if (t->count[i] < t->count[min])
            min = i;
    }
    t->error[min] = t->count[min];
    t->count[min] += weight;
    t->other[min] = other;
    t->hash[min] = hash;
    t->nkey[min] = (uint8_t)nkey;
    memcpy(t->key[min], key, nkey);
}

void hotkeys_sample(hotkeys *h, const char *key, size_t nkey, uint64_t nbytes)
{
    if (nkey > HOTKEYS_KEY_MAX)
        nkey = HOTKEYS_KEY_MAX;
    uint32_t hash = hotkeys_hash(key, nkey);
    pthread_mutex_lock(&h->lock);
    hotkeys_table_add_locked(h, &h->by_requests, hash, key, nkey, 1, nbytes);
    if (nbytes > 0)
        hotkeys_table_add_locked(h, &h->by_bytes, hash, key, nkey, nbytes, 1);
    pthread_mutex_unlock(&h->lock);
    h->countdown = hotkeys_next_gap(h);
}

/* Frees every slot: a free slot has hash 0 and count 0; an insertion
 * rewrites all of a slot's other fields. */
static void hotkeys_table_clear_locked(hotkeys *h, hotkeys_table *t)
{
    HOTKEYS_ASSERT_LOCKED(h);
    memset(t->hash, 0, sizeof t->hash);
    memset(t->count, 0, sizeof t->count);
}

void hotkeys_reset(hotkeys *h)
{
    pthread_mutex_lock(&h->lock);
    hotkeys_table_clear_locked(h, &h->by_requests);
    hotkeys_table_clear_locked(h, &h->by_bytes);
    pthread_mutex_unlock(&h->lock);
}

/* ---- reading ------------------------------------------------------------- */

static bool hotkeys_list_reserve(hotkeys_list *list, size_t more)
{
    if (list->cap - list->n >= more)
        return true;
    size_t cap = list->cap ? list->cap : 2 * HOTKEYS_SLOTS;
    while (cap - list->n < more)
        cap *= 2;
    hotkeys_item *grown = realloc(list->items, cap * sizeof *grown);
    if (grown == NULL)
        return false;
    list->items = grown;
    list->cap = cap;
    return true;
}

/* Copies slot i of t (weight scaled by n) as a list item. */
static void hotkeys_item_from(hotkeys_item *out, const hotkeys_table *t,
                              unsigned i, hotkeys_by by, uint64_t n)
{
    out->hash = t->hash[i];
    out->nkey = t->nkey[i];
    memcpy(out->key, t->key[i], t->nkey[i]);
    out->error = t->error[i] * n;
    out->requests = (by == HOTKEYS_BY_REQUESTS ? t->count[i] : t->other[i]) * n;
    out->bytes = (by == HOTKEYS_BY_BYTES ? t->count[i] : t->other[i]) * n;
}

bool hotkeys_collect(hotkeys *h, hotkeys_by by, hotkeys_list *list)
{
    if (!hotkeys_list_reserve(list, HOTKEYS_SLOTS))
        return false;
    pthread_mutex_lock(&h->lock);
    const hotkeys_table *t = by == HOTKEYS_BY_BYTES ? &h->by_bytes : &h->by_requests;
    for (unsigned i = 0; i < HOTKEYS_SLOTS; i++)
        if (t->count[i] > 0)
            hotkeys_item_from(&list->items[list->n++], t, i, by, h->sample_every);
    pthread_mutex_unlock(&h->lock);
    return true;
}

static int hotkeys_cmp_key(const hotkeys_item *a, const hotkeys_item *b)
{
    size_t n = a->nkey < b->nkey ? a->nkey : b->nkey;
    int c = memcmp(a->key, b->key, n);
    if (c != 0)
        return c;
    return (a->nkey > b->nkey) - (a->nkey < b->nkey);
}

static int hotkeys_cmp_identity(const void *pa, const void *pb)
{
    const hotkeys_item *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return hotkeys_cmp_key(a, b);
}

static int hotkeys_cmp_requests(const void *pa, const void *pb)
{
    const hotkeys_item *a = pa, *b = pb;
    if (a->requests != b->requests)
        return a->requests > b->requests ? -1 : 1;
    return hotkeys_cmp_key(a, b);
}

static int hotkeys_cmp_bytes(const void *pa, const void *pb)
{
    const hotkeys_item *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return hotkeys_cmp_key(a, b);
}

/* Sorted by identity: folds runs of the same key into their first entry. */
static void hotkeys_list_fold(hotkeys_list *list)
{
    size_t out = 0;
    for (size_t i = 0; i < list->n; i++) {
        hotkeys_item *prev = out > 0 ? &list->items[out - 1] : NULL;
        const hotkeys_item *cur = &list->items[i];
        if (prev != NULL && hotkeys_cmp_identity(prev, cur) == 0) {
            prev->requests += cur->requests;
            prev->bytes += cur->bytes;
            prev->error += cur->error;
            continue;
        }
        if (out != i)
            list->items[out] = *cur;
        out++;
    }
    list->n = out;
}

void hotkeys_list_finish(hotkeys_list *list, hotkeys_by by)
{
    if (list->n == 0)
        return;
    qsort(list->items, list->n, sizeof *list->items, hotkeys_cmp_identity);
    hotkeys_list_fold(list);
    qsort(list->items, list->n, sizeof *list->items,
          by == HOTKEYS_BY_BYTES ? hotkeys_cmp_bytes : hotkeys_cmp_requests);
}

void hotkeys_list_free(hotkeys_list *list)
{
    free(list->items);
    list->items = NULL;
    list->n = list->cap = 0;
}
