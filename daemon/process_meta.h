/*
 * daemon/process_meta.h -- the meta-protocol executor (mg ms md ma mn me):
 * parses a meta line with proto/meta.h, runs it against the engine's
 * meta operations (slab/cache.h) and queues the reply that proto composes.
 * The daemon never writes protocol text itself.
 *
 * Every function runs on the conn's worker thread with that worker's
 * cache_thread and counters, like process.h. Replies follow memcached
 * 1.6.18 (probed byte for byte) for everything it knows: q hides only the
 * "nothing to report" codes (meta_reply_suppressed), errors are always
 * sent. The newer flags (E explicit cas, md x, ms N vivify on MA/MP, ms s)
 * map onto the engine's options as proto/meta.h describes.
 *
 * ms data blocks use the same path as the text storage commands: the item
 * is allocated here, conn.c copies the block into it (CONN_READ_VALUE) and
 * process_store_finish hands a TEXT_CMD_META store to
 * process_meta_store_finish. The request line is kept (copied) in
 * c->meta_line meanwhile, because the read buffer may move.
 */
#ifndef CASHEW_DAEMON_PROCESS_META_H
#define CASHEW_DAEMON_PROCESS_META_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/conn.h"
#include "slab/cache.h"

/*
 * Runs the complete meta command line line[0..len) (len includes its
 * "\n"), which text_parse classified as meta (req.meta != NONE). Queues
 * the reply. For an ms it either starts reading the data block (c->store
 * filled, c->state = CONN_READ_VALUE) or, after an error reply, discards
 * it (c->swallow, CONN_SWALLOW). The caller consumes the line afterwards.
 */
void process_meta(conn *c, const char *line, size_t len);

/*
 * Ends an ms once its data block arrived (called by process_store_finish
 * for s->cmd == TEXT_CMD_META): stores `it` as the saved request line asks
 * if block_ok, else answers bad data chunk. Always releases `it` and frees
 * the saved line (c->meta_line).
 */
void process_meta_store_finish(conn *c, const conn_store *s, cache_item *it,
                               bool block_ok);

#endif
