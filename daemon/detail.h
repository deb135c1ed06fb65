/*
 * daemon/detail.h -- `stats detail`: per key prefix counts of gets, get
 * hits, sets and deletes (prefix = the key up to its first delimiter,
 * ':' unless -D says otherwise; keys without it are not counted), as memcached.
 *
 * Process-wide state behind one mutex; counting is off by default and the
 * callers test detail_enabled() first, so the cost when off is one branch.
 * Every function is safe to call from any thread.
 */
#ifndef CASHEW_DAEMON_DETAIL_H
#define CASHEW_DAEMON_DETAIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/text.h"

extern atomic_bool detail_on;

/* True while `stats detail on` is in effect (relaxed load). */
static inline bool detail_enabled(void)
{
    return atomic_load_explicit(&detail_on, memory_order_relaxed);
}

/* Turns counting on or off; the numbers gathered so far are kept. */
void detail_set_enabled(bool on);

/* Sets the byte that ends a key's prefix (-D; ':' by default). Call before
 * the workers start: it is read without synchronisation afterwards. */
void detail_set_delimiter(char delimiter);

/* The byte that ends a key's prefix. */
char detail_delimiter(void);

/* Count one get of key[0..len) (hit: it was found), one set, one delete.
 * No-ops for keys without the delimiter; on allocation failure the count
 * is dropped. */
void detail_count_get(const char *key, size_t len, bool hit);
void detail_count_set(const char *key, size_t len);
void detail_count_delete(const char *key, size_t len);

/* One prefix's numbers, as `stats detail dump` prints them. */
typedef struct detail_counts {
    uint64_t gets, hits, sets, deletes;
} detail_counts;

/* Calls emit once per counted prefix, in first-seen order, with the lock
 * held: emit must not call back into detail_*. prefix is valid only
 * during the call. */
void detail_dump(void (*emit)(void *arg, text_str prefix, const detail_counts *n),
                 void *arg);

/* Forgets every prefix (`stats reset`); counting stays on or off. */
void detail_clear(void);

#endif
