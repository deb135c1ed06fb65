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
 * process_meta_store_finish. The parsed request and a copy of its line are
 * kept in c->meta_line meanwhile (the read buffer may move), so the line is
 * parsed only once; the block stays with the conn for its next ms (conn.c
 * frees it with free() when it drops the store).
 */
#ifndef CASHEW_DAEMON_PROCESS_META_H
#define CASHEW_DAEMON_PROCESS_META_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/conn.h"
#include "slab/cache.h"

/*
 * Runs the complete meta command line line[0..len) (len includes its
 * "\n"), which text_parse classified as meta (c->req.meta != NONE; c->req
 * must still be text_parse's result for this line: its args and key are
 * reused, see meta_parse_text). Queues
 * the reply. For an ms it either starts reading the data block (c->store
 * filled, c->state = CONN_READ_VALUE) or, after an error reply, discards
 * it (c->swallow, CONN_SWALLOW). The caller consumes the line afterwards.
 */
void process_meta(conn *c, const char *line, size_t len);

/*
 * Ends an ms once its data block arrived (called by process_store_finish
 * for s->cmd == TEXT_CMD_META): stores `it` as the saved request asks if
 * block_ok, else answers bad data chunk. Always releases `it`; marks the
 * saved request done (a block above the usual size is freed).
 */
void process_meta_store_finish(conn *c, const conn_store *s, cache_item *it,
                               bool block_ok);

#endif
