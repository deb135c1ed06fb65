/*
 * daemon/logger.h -- `watch`: live log streams for watcher connections.
 *
 * A client sends `watch [stream ...]` and, once answered OK, its
 * connection only receives log lines ("ts=... gid=... type=... k=v ...\n")
 * about the streams it chose; whatever it sends afterwards is read and
 * ignored. Streams: fetchers (item_get lines; the default), mutations
 * (item_store), evictions (eviction), connevents (conn_new / conn_close)
 * and deletions (deleted: current memcached's stream, absent from 1.6.18).
 * memcached 1.6.18 also accepts rawcmds, sysevents and the proxy streams:
 * so do we, and they stay silent as they do there without a proxy.
 *
 * Cost when nobody watches: every hook site is guarded by
 * logger_watching(), one relaxed atomic load of the streams mask, and does
 * nothing else.
 *
 * Data flow when watched:
 *
 *   any thread (worker, LRU maintainer...)        logger thread
 *   ------------------------------------------    --------------------------
 *   logger_log_*: format one line (ts, gid,       every few ms: drain each
 *   fields) into this thread's ring (64 KiB,      thread ring, copy each line
 *   single producer / single consumer, no         into the buffer (256 KiB) of
 *   locks); ring full -> the line is dropped      every watcher of its stream;
 *   (log_worker_dropped)                          a full watcher buffer skips
 *                                                 the line and later says
 *                                                 "skipped=N"; non-blocking
 *                                                 sends; EOF/error -> closed
 *
 * A slow watcher therefore never blocks a worker and never makes memory
 * grow: it loses lines. The watch command itself (logger_watch_command)
 * creates the watcher at once (it collects lines from then on), answers OK
 * on the client's connection and closes that conn once the OK and any
 * earlier replies are written; at that moment (logger_conn_closing, from
 * conn_destroy) the watcher gets a duplicate of its socket and starts
 * writing. The logger thread starts with the first watcher and is joined
 * at exit (atexit).
 *
 * Lines are formatted like memcached's; gid is a global sequence number
 * (lines of different threads may arrive out of order: sort by gid).
 */
#ifndef CASHEW_DAEMON_LOGGER_H
#define CASHEW_DAEMON_LOGGER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/text.h"
#include "slab/cache.h"

struct conn;

/* Streams (bits of the watchers mask). */
typedef enum logger_stream {
    LOGGER_FETCHERS = 1u << 0,
    LOGGER_MUTATIONS = 1u << 1,
    LOGGER_EVICTIONS = 1u << 2,
    LOGGER_CONNEVENTS = 1u << 3,
    LOGGER_DELETIONS = 1u << 4,
    LOGGER_SILENT = 1u << 5,   /* rawcmds, sysevents, proxy*: accepted, never logged */
    LOGGER_HANDOFF = 1u << 15  /* internal: a watch command waits for its conn to close */
} logger_stream;

/* The OR of every watcher's streams (plus LOGGER_HANDOFF); read with logger_watching. */
extern _Atomic unsigned logger_mask_;

/* True if any watcher wants one of `streams`. Any thread; one relaxed load. */
static inline bool logger_watching(unsigned streams)
{
    return (atomic_load_explicit(&logger_mask_, memory_order_relaxed) & streams) != 0;
}

/*
 * The `watch` command (process.c dispatch), on c's worker: with -W answers
 * "CLIENT_ERROR watch commands not allowed"; an unknown stream name answers
 * ERROR; more than 20 watchers "WATCHER_TOO_MANY log watcher limit reached".
 * Otherwise queues OK, marks c to close once written and remembers it: its
 * socket becomes a watcher in logger_conn_closing.
 */
void logger_watch_command(struct conn *c, const text_request *req);

/*
 * conn_destroy hook (worker thread, before the fd is closed), called when
 * logger_watching(LOGGER_CONNEVENTS | LOGGER_HANDOFF): hands the socket of
 * a conn that ran `watch` over to the logger (dup), else logs conn_close
 * with the reason (normal, error, idle_timeout, shutdown).
 */
void logger_conn_closing(const struct conn *c);

/* conn_create hook (LOGGER_CONNEVENTS): logs conn_new with the peer address. */
void logger_log_conn_new(const struct conn *c);

/*
 * LOGGER_FETCHERS: an item_get line for key as the command of fd read it:
 * `it` (may be NULL: not_found) gives class and size; `found` says hit or
 * miss where the command keeps no item (touch, incr, ...; then it is NULL
 * and class and size print as 0).
 */
void logger_log_fetch(cache_thread *ct, int fd, const char *key, size_t nkey,
                      const cache_item *it, bool found);

/*
 * LOGGER_MUTATIONS: an item_store line for the (filled) item `it` that
 * was stored (or refused: st) with `mode`; call before releasing it.
 */
void logger_log_store(cache_thread *ct, int fd, const cache_item *it,
                      cache_store_mode mode, cache_status st);

/*
 * delete / md. Before deleting, when logger_watching(LOGGER_DELETIONS):
 * seen = logger_peek(...) (a referenced item or NULL: the deleted line
 * shows its class and size); after: if seen != NULL or
 * logger_watching(LOGGER_FETCHERS | LOGGER_DELETIONS),
 * logger_log_delete(..., seen, deleted, cmd) logs item_get (fetchers:
 * found = deleted) and, if deleted and seen, a deleted line (cmd "delete"
 * or "md"), and releases seen.
 */
cache_item *logger_peek(cache_thread *ct, const char *key, size_t nkey);
void logger_log_delete(cache_thread *ct, int fd, const char *key, size_t nkey,
                       cache_item *seen, bool deleted, const char *cmd);

/*
 * cache_options.on_evict (any thread, under engine locks): copies an
 * eviction line into the calling thread's ring when evictions are watched.
 * Takes no lock but, the first time a thread logs, the logger's list lock
 * (a leaf lock).
 */
void logger_on_evict(void *arg, const cache_evict_info *info);

/* `stats` counters, memcached's log_* lines. Any thread. */
typedef struct logger_stats {
    uint64_t worker_dropped, worker_written, watcher_skipped, watcher_sent;
    uint64_t watchers;
} logger_stats;
void logger_get_stats(logger_stats *out);

/*
 * URI-encodes src (memcached's rule: letters, digits and -._~ stay, every
 * other byte becomes %XX) into dst of cap bytes, NUL-terminated. Returns
 * the length written (the output is cut short, never overflowing, if cap
 * is too small; 3 * n + 1 always suffices).
 */
size_t logger_uri_encode(const char *src, size_t n, char *dst, size_t cap);

#endif
