/*
 * daemon/worker.h -- worker threads.
 *
 * The threading model of the daemon (the one place it is written down):
 *
 *   main thread (server.c)            worker 0 .. N-1 (worker.c), N = -t
 *   --------------------------        --------------------------------------
 *   binds listeners (TCP, unix)       own event_base, own cache_thread,
 *   accept() -> new fd                own stats_counters, own conns
 *   picks worker i (round-robin)      eventfd readable -> drain queue
 *   pushes fd on worker i's queue     -> conn_create(fd) on this thread
 *   (mutex) + writes its eventfd      conn events: read, parse, process,
 *   1 s timer: server clock           writev replies, close
 *   SIGTERM/SIGINT -> worker_stop     UDP: every worker polls the shared
 *                                     UDP sockets with its own udp conn
 *
 * A connection is created, used and destroyed by exactly one worker: no
 * conn is ever touched by two threads, so conns need no locks. The only
 * cross-thread paths are: the hand-off queue (its mutex), the eventfd,
 * the atomics in server_ctx / stats_counters, and the engine (which has its
 * own locking). The stats command reads other workers' counters with
 * relaxed atomic loads only.
 *
 * Shutdown: worker_stop (main thread) sets a flag and wakes the worker; the
 * worker stops its UDP polling, lets each conn run the requests already
 * buffered and write their replies (bounded by a short grace timer), closes
 * everything and leaves its loop; worker_join then joins and frees it.
 */
#ifndef CASHEW_DAEMON_WORKER_H
#define CASHEW_DAEMON_WORKER_H

#include <stdbool.h>

#include "daemon/server_ctx.h"
#include "daemon/stats.h"
#include "slab/cache.h"

struct event_base;
struct conn;
struct hotkeys;
struct latency_set;

/* How a handed-off socket talks. */
typedef enum worker_transport {
    WORKER_TCP,
    WORKER_UNIX
} worker_transport;

typedef struct worker worker;

/*
 * Creates worker number `id` (event base, eventfd, queue) without starting
 * its thread; udp_fds (count n_udp, may be 0) are the shared UDP sockets it
 * will poll. Returns NULL on failure (errno-style reason printed).
 */
worker *worker_create(server_ctx *srv, unsigned id, const int *udp_fds,
                      unsigned n_udp);

/* Starts the thread. Returns 0, or an errno value. */
int worker_start(worker *w);

/*
 * Main thread: queues an accepted, non-blocking fd for the worker and wakes
 * it. The worker owns the fd from now on. Returns false (and closes fd) if
 * the queue could not grow.
 */
bool worker_hand_off(worker *w, int fd, worker_transport transport);

/* Main thread: asks the worker to finish its connections and exit. */
void worker_stop(worker *w);

/*
 * Main thread: waits for the thread (after worker_stop). Join every worker
 * before destroying any: a worker still running may read the others'
 * counters (the stats command).
 */
void worker_join(worker *w);

/* Frees a worker whose thread is joined or was never started. */
void worker_destroy(worker *w);

/* Any thread: that worker's counters (read with relaxed loads). */
const stats_counters *worker_counters(const worker *w);

/* ---- used by conn.c / udp.c / process.c on the worker's own thread ---- */

struct event_base *worker_base(worker *w);
cache_thread *worker_cache(worker *w);
stats_counters *worker_stats(worker *w);
server_ctx *worker_server(worker *w);
unsigned worker_id(const worker *w);
bool worker_stopping(const worker *w);

/*
 * The worker's `stats hotkeys` sketch and `stats latency` histograms (see
 * hotkeys.h, latency.h for who may do what with them from which thread).
 */
struct hotkeys *worker_hotkeys(worker *w);
struct latency_set *worker_latency(worker *w);

/*
 * Connection buffer bytes (`stats memory`): the worker's thread adds the
 * change whenever a conn's read or reply buffer (or the worker's read
 * buffer pool) is allocated, resized or freed; any thread reads the sum
 * (relaxed load).
 */
void worker_buffer_bytes_add(worker *w, int64_t delta);
int64_t worker_buffer_bytes(const worker *w);

/* Of those, the bytes of the worker's pooled (idle) read buffers. Any thread. */
int64_t worker_pooled_bytes(const worker *w);

/*
 * Read buffers of CONN_RBUF_INIT or CONN_RBUF_BULK bytes (size must be one
 * of the two), each size with its own small pool. A conn holds one only
 * while it has unparsed input: idle connections cost no read buffer. get
 * returns NULL when memory is exhausted; put takes ownership of a buffer
 * of that size. Worker thread only.
 */
/*
 * Called once per connection event. A worker that has been on the CPU for
 * at least 90 % of the last -o worker_yield_us microseconds or more (250
 * by default: it never ran out of ready connections) yields it once
 * (sched_yield) at the end of the current batch, once the replies of the
 * requests it read have gone out: the other threads sharing the CPU, such
 * as another worker whose clients are waiting, get their turn now instead
 * of at the next scheduler tick. worker_yield_us 0 turns it off.
 * With -o worker_spread (the default) and two or more workers, every
 * 250 us or more (and 32 events) a worker that never slept since its last
 * check records its CPU for the other workers; if a lower-numbered worker
 * recorded that CPU within the last 10 ms, and the thread may run on at
 * least as many CPUs as there are workers, it moves to an allowed CPU that
 * no worker recorded: its affinity is set to that CPU, then back to the
 * mask it had. At most one move per 10 ms; -v logs each. Worker thread
 * only.
 */
void worker_note_event(worker *w);

/*
 * Two lists of conns waiting for their turn; the worker sets and clears
 * c->listed and c->list_slot.
 * - worker_defer: a conn that has just read a request defers running it
 *   until the rest of this event batch has been read (false if the list
 *   is full: run it now). After the batch the worker runs each with
 *   conn_run_deferred, prefetching the first key's item of the next ones
 *   meanwhile (conn_prefetch_chain/_item).
 * - worker_resume_later: a conn that yielded after -R requests (or whose
 *   backpressure lifted) runs its next slice with conn_run_resumed after
 *   the worker has polled for and run the conns that became ready
 *   meanwhile, as memcached's yield through the event loop does (false if
 *   the list is full: the caller falls back to event_active).
 * worker_unlist takes a conn off its list, if any (conn_destroy,
 * conn_stop). Worker thread only.
 */
bool worker_defer(worker *w, struct conn *c);
bool worker_resume_later(worker *w, struct conn *c);
void worker_unlist(worker *w, struct conn *c);

char *worker_rbuf_get(worker *w, size_t size);
void worker_rbuf_put(worker *w, char *buf, size_t size);

/*
 * Links / unlinks a conn in the worker's list (idle scan, shutdown,
 * `stats conns`). Worker thread only; they take the worker's conns lock.
 */
void worker_conn_link(worker *w, struct conn *c);
void worker_conn_unlink(worker *w, struct conn *c);

/*
 * Any thread (`stats conns`): appends an entry per client conn of w, and,
 * if with_udp, per UDP socket conn of w, to *list (see conn_describe; self
 * is the asking conn). Holds w's conns lock meanwhile, which its worker
 * takes only to link / unlink a conn: a caller must not hold another
 * worker's conns lock. Returns false if memory ran out (the entries
 * appended so far stay).
 */
bool worker_conns_describe(worker *w, const struct conn *self, bool with_udp,
                           stats_conn_list *list);

#endif
