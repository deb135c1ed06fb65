/*
 * daemon/detail.c -- per prefix counters for `stats detail`: a small
 * chained hash map (fixed bucket count) plus a first-seen list for dumps,
 * all under one mutex.
 */
#include "config.h"

#include "daemon/detail.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_BUCKETS 256

typedef struct detail_entry {
    struct detail_entry *chain; /* next in the same bucket */
    struct detail_entry *next;  /* next in first-seen order */
    detail_counts n;
    size_t len;
    char prefix[];
} detail_entry;

atomic_bool detail_on = false;
static char detail_delim = ':';

static pthread_mutex_t detail_lock = PTHREAD_MUTEX_INITIALIZER;
static detail_entry *detail_buckets[DETAIL_BUCKETS];
static detail_entry *detail_first, *detail_last;
#ifdef CASHEW_DEBUG
static atomic_bool detail_locked;
#endif

typedef enum detail_op { DETAIL_GET, DETAIL_HIT, DETAIL_SET, DETAIL_DEL } detail_op;

void detail_set_enabled(bool on)
{
    atomic_store_explicit(&detail_on, on, memory_order_relaxed);
}

void detail_set_delimiter(char delimiter)
{
    detail_delim = delimiter;
}

char detail_delimiter(void)
{
    return detail_delim;
}

static uint32_t detail_hash(const char *p, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* The entry for prefix[0..len), created on first use; NULL if out of memory. */
static detail_entry *detail_find_locked(const char *prefix, size_t len)
{
#ifdef CASHEW_DEBUG
    assert(atomic_load(&detail_locked));
#endif
    detail_entry **slot = &detail_buckets[detail_hash(prefix, len) % DETAIL_BUCKETS];
    for (detail_entry *e = *slot; e != NULL; e = e->chain)
        if (e->len == len && memcmp(e->prefix, prefix, len) == 0)
            return e;
    detail_entry *e = calloc(1, sizeof *e + len);
    if (e == NULL)
        return NULL;
    memcpy(e->prefix, prefix, len);
    e->len = len;
    e->chain = *slot;
    *slot = e;
    if (detail_last != NULL)
        detail_last->next = e;
    else
        detail_first = e;
    detail_last = e;
    return e;
}

static void detail_begin(void)
{
    pthread_mutex_lock(&detail_lock);
#ifdef CASHEW_DEBUG
    atomic_store(&detail_locked, true);
#endif
}

static void detail_end(void)
{
#ifdef CASHEW_DEBUG
    atomic_store(&detail_locked, false);
#endif
    pthread_mutex_unlock(&detail_lock);
}

static void detail_count(const char *key, size_t len, detail_op op)
{
    const char *end = memchr(key, detail_delim, len);
    if (end == NULL)
        return;
    detail_begin();
    detail_entry *e = detail_find_locked(key, (size_t)(end - key));
    if (e != NULL) {
        e->n.gets += op == DETAIL_GET || op == DETAIL_HIT; /* a hit is a get too */
        e->n.hits += op == DETAIL_HIT;
        e->n.sets += op == DETAIL_SET;
        e->n.deletes += op == DETAIL_DEL;
    }
    detail_end();
}

void detail_count_get(const char *key, size_t len, bool hit)
{
    detail_count(key, len, hit ? DETAIL_HIT : DETAIL_GET);
}

void detail_count_set(const char *key, size_t len)
{
    detail_count(key, len, DETAIL_SET);
}

void detail_count_delete(const char *key, size_t len)
{
    detail_count(key, len, DETAIL_DEL);
}

void detail_dump(void (*emit)(void *arg, text_str prefix, const detail_counts *n),
                 void *arg)
{
    detail_begin();
    for (const detail_entry *e = detail_first; e != NULL; e = e->next)
        emit(arg, (text_str){e->prefix, e->len}, &e->n);
    detail_end();
}

void detail_clear(void)
{
    detail_begin();
    detail_entry *e = detail_first;
    while (e != NULL) {
        detail_entry *next = e->next;
        free(e);
        e = next;
    }
    memset(detail_buckets, 0, sizeof detail_buckets);
    detail_first = detail_last = NULL;
    detail_end();
}
