/*
 * daemon/process.h -- the command executor: the one place where a parsed
 * request (proto/) meets the storage engine (slab/).
 *
 * Every function runs on the conn's worker thread, uses that worker's
 * cache_thread and stats_counters, and queues its reply on the conn
 * (composed by proto/, never written here). Views in `req` (keys, args)
 * point into the conn's read buffer and are used only during the call.
 */
#ifndef CASHEW_DAEMON_PROCESS_H
#define CASHEW_DAEMON_PROCESS_H

#include <stdbool.h>

#include "daemon/conn.h"
#include "proto/text.h"
#include "slab/cache.h"

/*
 * What `version` and `stats` report: the memcached release whose protocol
 * cashew speaks (cashew's own version is in `cashew -V`). Clients gate
 * behaviour on this number (libmemcached's memccapable expects 1.4+
 * answers only from a 1.4+ version) and some parse it strictly as
 * <major>.<minor>.<micro>, so it is exactly memcached's form.
 */
#define PROCESS_VERSION "1.6.18"

/*
 * Runs a complete command without a data block (req from text_parse ==
 * TEXT_OK). May set c->close_after (quit, shutdown). Modifies only the key
 * cursor of req.
 */
void process_command(conn *c, text_request *req);

/* Answers a TEXT_ERROR / TEXT_CLIENT_ERROR line (unless noreply). */
void process_parse_error(conn *c, const text_request *req);

/*
 * Starts a storage command: reserves the item for req's key and length.
 * Returns the item (caller's reference; fill it, then process_store_finish)
 * or NULL after queueing the error reply (too large, out of memory); the
 * caller then discards the data block.
 */
cache_item *process_store_begin(conn *c, const text_request *req);

/*
 * Ends a storage command once its data block arrived: if block_ok, links
 * the item as s->cmd asks and answers; else answers bad data chunk. Always
 * releases `it`.
 */
void process_store_finish(conn *c, const conn_store *s, cache_item *it,
                          bool block_ok);

/*
 * The `stats` family (process_stats.c): general counters folded from every
 * worker and the engine, "settings", "items", "slabs", "sizes", "detail",
 * "reset". Unknown sub-commands answer ERROR, as memcached.
 */
void process_stats_command(conn *c, const text_request *req);

#endif
