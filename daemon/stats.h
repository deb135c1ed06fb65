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
#include <stdbool.h>
#include <stddef.h>
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

/* ---- `stats conns` --------------------------------------------------------- */

/* What `stats conns` shows of one connection (conn_describe fills it). */
typedef enum stats_conn_state {
    STATS_CONN_LISTENING, /* a listener (TCP / unix) */
    STATS_CONN_NEW_CMD,   /* never ran a command yet */
    STATS_CONN_PARSE_CMD, /* running a command (the conn asking, at least) */
    STATS_CONN_READ,      /* waiting for the next command */
    STATS_CONN_NREAD,     /* receiving a data block */
    STATS_CONN_SWALLOW,   /* discarding a rejected data block */
    STATS_CONN_CLOSING,   /* closing */
    STATS_CONN_UDP_READ   /* a UDP socket's conn */
} stats_conn_state;

#define STATS_CONN_ADDR_MAX 128

typedef struct stats_conn_info {
    int fd;
    stats_conn_state state;
    bool udp;
    int64_t last_cmd;                      /* real seconds of the last command */
    char addr[STATS_CONN_ADDR_MAX];        /* "tcp:127.0.0.1:4242", "" if unknown */
    char listen_addr[STATS_CONN_ADDR_MAX]; /* "" for listeners and UDP */
} stats_conn_info;

/* memcached's name of a state ("conn_parse_cmd", ...; static storage). */
const char *stats_conn_state_name(stats_conn_state s);

/*
 * Writes the socket's own (peer false) or its peer's (peer true) address
 * as memcached prints it: "tcp:1.2.3.4:5", "tcp6:[::1]:5", "udp:..."
 * (udp true), "unix:/path"; "?:<AF 0>" when the peer has no address (a unix
 * client). Any thread; fd must stay open during the call.
 */
void stats_conn_addr(int fd, bool peer, bool udp, char *buf, size_t cap);

/*
 * Appends to *list a listener entry for every listening socket of the
 * process (found by SO_ACCEPTCONN over /proc/self/fd; the main thread owns
 * them); opened is their last_cmd (the start time). Returns false if
 * memory ran out.
 */
typedef struct stats_conn_list {
    stats_conn_info *items; /* malloc'd; the caller frees */
    size_t n, cap;
} stats_conn_list;
bool stats_conn_list_add_listeners(stats_conn_list *list, int64_t opened);

/* Room for one more entry at the end (NULL if memory ran out); n is not changed. */
stats_conn_info *stats_conn_list_next(stats_conn_list *list);

/* Sorts the list by fd. */
void stats_conn_list_sort(stats_conn_list *list);

#endif
