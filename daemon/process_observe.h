/*
 * daemon/process_observe.h -- cashew's own observability groups (stock
 * memcached has none of them): `stats hotkeys`, `stats latency` and
 * `stats memory`, and the hooks that feed them.
 *
 *   process.c / process_meta.c   a key lookup     -> process_observe_get
 *   conn.c   a command line parsed                -> process_observe_begin
 *            its reply queued (no data block)     -> process_observe_command_done
 *            a data block's reply queued          -> process_observe_store_done
 *   `stats reset`                                 -> process_observe_reset
 *
 * Every function runs on the conn's worker thread and touches only that
 * worker's sketch / histograms, except the `stats` readers and the reset,
 * which read (or ask to reset) every worker's as hotkeys.h and latency.h
 * allow.
 */
#ifndef CASHEW_DAEMON_PROCESS_OBSERVE_H
#define CASHEW_DAEMON_PROCESS_OBSERVE_H

#include <stdbool.h>

#include "daemon/conn.h"
#include "proto/text.h"
#include "slab/cache.h"

/*
 * `stats <sub>`: answers "hotkeys", "latency" and "memory" (STAT lines and
 * END) and returns true; false (nothing queued) for any other sub.
 */
bool process_observe_stats(conn *c, text_str sub);

/*
 * A lookup of key (get/gets/gat/gats per key, mg: the key as sent, base64
 * for b) found `it` (NULL: a miss). Counts it in the worker's hot key
 * sketch: usually a decrement and a branch. Does not take a reference.
 */
void process_observe_get(conn *c, text_str key, const cache_item *it);

/*
 * A complete command line was parsed and is about to run: starts its clock
 * if it is one of the ~1 in LATENCY_SAMPLE commands that are timed.
 */
void process_observe_begin(conn *c);

/*
 * The line started by process_observe_begin has run and queued its reply
 * (c->req still describes it): counts it under its kind (and records its
 * time, if timed). Does
 * nothing while the conn now waits for the command's data block: that
 * command is recorded by process_observe_store_done once it is answered.
 */
void process_observe_command_done(conn *c);

/* A storage command (c->store.cmd) answered after its data block. */
void process_observe_store_done(conn *c);

/*
 * `stats reset`: empties every worker's hot key sketch and asks every
 * worker to zero its latency histograms (see latency.h). Any worker.
 */
void process_observe_reset(conn *c);

#endif
