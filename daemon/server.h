/*
 * daemon/server.h -- what main() hands to the network side of the daemon.
 *
 * main.c (with options.c) turns argv into a cache_options and a
 * server_options, creates the engine, then calls server_run, which owns the
 * listeners, the acceptor loop and the worker threads until shutdown.
 */
#ifndef CASHEW_DAEMON_SERVER_H
#define CASHEW_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slab/cache.h"

typedef struct server_options {
    const char *listen;        /* -l: comma list of addresses; default "127.0.0.1" (and "::1" if present) */
    int tcp_port;              /* -p, default 11211; 0 = no TCP */
    int udp_port;              /* -U, default 0 = off */
    const char *unix_socket;   /* -s, NULL = none (then no TCP/UDP, as memcached) */
    unsigned unix_mask;        /* -a, default 0700 */
    int backlog;               /* -b, default 1024 */
    unsigned threads;          /* -t, default 4 */
    unsigned max_conns;        /* -c, default 1024 */
    unsigned reqs_per_event;   /* -R, default 20 */
    unsigned idle_timeout;     /* -o idle_timeout, seconds, 0 = never */
    unsigned worker_yield_us;  /* -o worker_yield_us: busy span before a worker yields, 0 = never */
    bool worker_spread;        /* -o worker_spread: busy workers sharing a CPU move apart */
    unsigned verbose;          /* -v count */
    bool allow_shutdown;       /* -A: the shutdown command is enabled */
    bool disable_flush_all;    /* -F: flush_all answers an error */
    bool disable_watch;        /* -W: watch answers an error */
    bool debug_commands;       /* debugtime and friends (cashew-debug only) */
    size_t item_size_max;      /* -I, for limits in the protocol layer */
    /* Writes `stats settings` lines; provided by options.c. */
    void (*emit_settings)(void *emit_arg,
                          void (*emit)(void *emit_arg, const char *name, const char *value));
} server_options;

/*
 * Binds every listener, starts the workers and runs the acceptor loop on
 * the calling thread until SIGTERM/SIGINT (or `shutdown`); then stops
 * accepting, lets workers finish what they are doing, joins them and
 * returns 0. Returns non-zero (after printing why on stderr) if a listener
 * cannot be set up.
 */
int server_run(const server_options *opts, cache *engine);

/*
 * The server clock, in unix seconds, as the engine and stats see it (updated
 * once a second; moved by debugtime). Matches cache_clock_fn.
 */
int64_t server_clock(void *arg);

#endif
