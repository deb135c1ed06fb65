/*
 * daemon/server_ctx.h -- state of one running server shared by the
 * acceptor (main thread) and the workers. Internal to daemon/.
 *
 * Everything here is either set before the workers start and read-only
 * afterwards (opts, engine, workers, started), or an atomic.
 */
#ifndef CASHEW_DAEMON_SERVER_CTX_H
#define CASHEW_DAEMON_SERVER_CTX_H

#include <stdatomic.h>
#include <stdbool.h>

#include "daemon/server.h"
#include "daemon/stats.h"
#include "slab/cache.h"

struct worker;

typedef struct server_ctx {
    const server_options *opts;
    cache *engine;
    struct worker **workers;   /* nworkers of them, created before accepting */
    unsigned nworkers;
    int64_t started;           /* server clock at start */
    stats_conns conns;
    _Atomic unsigned verbose;  /* -v count; `verbosity` changes it */
    int wake_fd;               /* eventfd the main loop watches (shutdown requests) */
    _Atomic bool shutdown_requested;
} server_ctx;

/*
 * Asks the main loop to shut down gracefully, as SIGTERM does (the
 * `shutdown` command). Any thread; returns at once.
 */
void server_request_shutdown(server_ctx *srv);

/* Adds seconds to the server clock (debugtime). Any thread. */
void server_clock_advance(int64_t seconds);

/* Real unix seconds as of the last clock tick, without the debugtime offset. */
int64_t server_real_now(void);

#endif
