/*
 * daemon/process_admin.h -- memcached's admin commands that steer the
 * engine: `slabs reassign|automove`, `lru_crawler crawl|metadump|mgdump|
 * enable|disable|sleep|tocrawl`, `lru tune|mode|temp_ttl`, `cache_memlimit`
 * (-X refuses the dumps).
 *
 * Runs on the conn's worker thread like the rest of process.c; the engine
 * calls it makes (cache_slabs_reassign, cache_slabs_automove, cache_crawl,
 * cache_walk, cache_crawler_*) are safe from any thread; `lru_crawler
 * disable` blocks the worker until the crawler thread has stopped (at its
 * next batch boundary). Replies are composed by proto/.
 */
#ifndef CASHEW_DAEMON_PROCESS_ADMIN_H
#define CASHEW_DAEMON_PROCESS_ADMIN_H

#include <stdbool.h>

#include "daemon/conn.h"
#include "proto/text.h"

/*
 * Runs req if it is an admin command (req from text_parse == TEXT_OK) and
 * returns true; returns false (nothing done) for any other command.
 * `lru_crawler metadump` queues one line per live item (the whole dump is
 * composed into the conn's reply buffer); if that buffer cannot grow the
 * dump stops and the conn is closed after what was queued.
 */
bool process_admin_command(conn *c, const text_request *req);

/*
 * The TEMP LRU setting as `lru temp_ttl` last left it, for `stats settings`
 * (memcached shows temp_lru and temporary_ttl apart: a negative ttl turns
 * the TEMP LRU off and keeps the shown ttl). Returns false (and *on, *ttl
 * unspecified) when no `lru temp_ttl` succeeded yet: then the start-up
 * settings stand. Any thread.
 */
bool process_admin_temp_lru(bool *on, unsigned *ttl);

/*
 * For a TEXT_CLIENT_ERROR line of an admin command: memcached checks that
 * slab reassignment is enabled before it reads the class ids, so
 * "slabs reassign x 2" answers TEXT_REPLY_CE_REASSIGN_DISABLED when it is
 * off. Returns that reply, or TEXT_REPLY_NONE (answer req->reply).
 */
text_reply process_admin_disabled_reply(conn *c, text_cmd cmd);

#endif
