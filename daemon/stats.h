/*
 * daemon/stats.h -- the daemon's own counters (commands, hits, bytes,
 * connections) and the `stats` command's general section.
 *
 * Each worker owns one stats_counters block. Only the owning worker thread
 * writes it (stats_bump: a relaxed load + store, no lock, no locked
 * instruction); any thread may read it with relaxed loads. `stats` folds
 * every worker's block when it is read; `stats reset` does not write other
 * threads' blocks: it records the current totals as a baseline (under
 * stats_lock, taken only by `stats` and `stats reset`) and later reads
 * subtract it. Engine counters (cache_stats) get the same baseline
 * treatment, so `stats reset` also zeroes evictions, total_items, ...
 */
#ifndef CASHEW_DAEMON_STATS_H
#define CASHEW_DAEMON_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "slab/cache.h"

/* Per-worker counters, in the order `stats` prints them. */
#define STATS_WORKER_COUNTERS(X)                                        \
    X(cmd_get) X(cmd_set) X(cmd_flush) X(cmd_touch) X(cmd_meta)         \
    X(get_hits) X(get_misses)                                           \
    X(delete_misses) X(delete_hits) X(incr_misses) X(incr_hits)         \
    X(decr_misses) X(decr_hits) X(cas_misses) X(cas_hits) X(cas_badval) \
    X(touch_hits) X(touch_misses) X(store_too_large) X(store_no_memory) \
    X(idle_kicks) X(bytes_read) X(bytes_written) X(conn_yields)

typedef struct stats_counters {
#define STATS_FIELD_(name) _Atomic uint64_t name;
    STATS_WORKER_COUNTERS(STATS_FIELD_)
#undef STATS_FIELD_
} stats_counters;

/* A plain snapshot of the same counters. */
typedef struct stats_snapshot {
#define STATS_FIELD_(name) uint64_t name;
    STATS_WORKER_COUNTERS(STATS_FIELD_)
#undef STATS_FIELD_
} stats_snapshot;

/* Connection counters, shared by the acceptor and the workers (atomics). */
typedef struct stats_conns {
    _Atomic uint64_t curr;       /* open client connections (TCP + unix) */
    _Atomic uint64_t total;      /* accepted since start (or reset) */
    _Atomic uint64_t rejected;   /* refused because of -c */
    _Atomic uint64_t structures; /* connection structures allocated now (UDP included) */
} stats_conns;

/*
 * Adds n to a counter owned by the calling thread. Only the owner may call
 * this on its block; the relaxed load + store is race-free because there
 * is one writer, and readers see whole values.
 */
static inline void stats_bump(_Atomic uint64_t *counter, uint64_t n)
{
    uint64_t v = atomic_load_explicit(counter, memory_order_relaxed);
    atomic_store_explicit(counter, v + n, memory_order_relaxed);
}

/* Adds a worker's counters into *sum (relaxed reads; any thread). */
void stats_fold(stats_snapshot *sum, const stats_counters *c);

/*
 * What the general `stats` section needs besides the worker sum. Filled by
 * process.c from the server context and the engine.
 */
typedef struct stats_inputs {
    stats_snapshot workers;     /* folded worker counters */
    cache_stats engine;         /* cache_stats_read */
    uint64_t curr_conns, total_conns, rejected_conns, conn_structures;
    uint64_t max_conns;
    int64_t now, started;       /* server clock now; start time */
    unsigned threads;
    const char *version;
} stats_inputs;

/*
 * Applies the `stats reset` baseline to *in (subtracts the counters
 * recorded by stats_reset_baseline). Takes stats_lock internally.
 */
void stats_apply_baseline(stats_inputs *in);

/*
 * Records *in (read without a baseline applied) as the new zero of every
 * resettable counter. Takes stats_lock internally.
 */
void stats_reset_baseline(const stats_inputs *in);

/*
 * The general `stats` lines, in memcached's order: calls the emitters
 * once per line (u64 / i64 / string / timeval). Pure formatting-free
 * walk: the caller composes the text (through proto/).
 */
typedef struct stats_emitter {
    void *arg;
    void (*u64)(void *arg, const char *name, uint64_t value);
    void (*i64)(void *arg, const char *name, int64_t value);
    void (*str)(void *arg, const char *name, const char *value);
    void (*timeval)(void *arg, const char *name, int64_t sec, int64_t usec);
} stats_emitter;
void stats_emit_general(const stats_inputs *in, const stats_emitter *e);

#endif
