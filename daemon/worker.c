/*
 * daemon/worker.c -- worker threads: the hand-off queue, the event loop,
 * the idle scan and the shutdown sequence. See worker.h for the model.
 */
#include "daemon/worker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/conn.h"
#include "daemon/hotkeys.h"
#include "daemon/latency.h"
#include "daemon/udp.h"

#define WORKER_GRACE_SECONDS 2
#define WORKER_RBUF_POOL 64 /* idle CONN_RBUF_INIT read buffers kept per worker */
#define WORKER_RBUF_BULK_POOL 8 /* idle CONN_RBUF_BULK ones */
#define WORKER_DEFER_MAX 64 /* conns deferred per event batch; more run at once */
#define WORKER_RESUME_MAX 256 /* conns waiting for their next -R slice; more use event_active */

typedef struct worker_handoff {
    int fd;
    worker_transport transport;
} worker_handoff;

struct worker {
    server_ctx *srv;
    unsigned id;
    pthread_t thread;
    bool started;

    struct event_base *base;
    int notify_fd;
    struct event *notify_ev;
    struct event *idle_ev;
    struct event *grace_ev;

    pthread_mutex_t lock;        /* guards queue, qlen, qcap */
    worker_handoff *queue;
    size_t qlen, qcap;
    _Atomic bool stop_requested; /* set by worker_stop */

    bool stopping;               /* worker thread's view: shutdown began */
    cache_thread *ct;
    stats_counters stats;
    pthread_mutex_t conns_lock;  /* guards conns links, nconns and udp against
                                    other threads (`stats conns`); the worker
                                    itself reads them without it */
    conn *conns;                 /* doubly linked through conn.prev/next */
    unsigned nconns;
    const int *udp_fds;
    unsigned n_udp;
    conn **udp;                  /* this worker's conn per UDP socket */
    char *rbuf_pool[WORKER_RBUF_POOL]; /* spare CONN_RBUF_INIT-byte buffers */
    unsigned rbuf_pooled;
    char *rbuf_bulk_pool[WORKER_RBUF_BULK_POOL]; /* spare CONN_RBUF_BULK-byte ones */
    unsigned rbuf_bulk_pooled;
    hotkeys *hot;                /* `stats hotkeys` sketch (its own lock) */
    latency_set *lat;            /* `stats latency` histograms (owner writes) */
    _Atomic int64_t buffer_bytes; /* conn read/reply buffers, pooled rbufs */
    _Atomic int64_t pooled_bytes; /* the pooled rbufs alone */
    unsigned yield_events;       /* conn events since the last busy check */
    int64_t yield_cpu_ns;        /* thread CPU time at the window's start */
    int64_t yield_wall_ns;       /* monotonic time at the window's start */
    bool yield_due;              /* busy: give up the CPU after this batch */
    int64_t spread_wall_ns;      /* monotonic time of the last spread check */
    int64_t spread_next_ns;      /* no move before this (monotonic) */
    long spread_nvcsw;           /* voluntary context switches at the last check */
    /* Read by the other workers at each of their spread checks: a line of their own. */
    alignas(64) _Atomic int spread_cpu; /* CPU at the last check that found the worker
                                           never asleep, -1 = none yet */
    _Atomic int64_t spread_seen_ns; /* when spread_cpu was written */
    alignas(64) conn *deferred[WORKER_DEFER_MAX]; /* read in this batch, not yet run (NULL:
                                         destroyed meanwhile) */
    unsigned ndeferred;
    conn *resumed[WORKER_RESUME_MAX]; /* yielded conns, run after the next poll (NULL:
                                         destroyed meanwhile) */
    unsigned nresumed;
};

static void worker_on_notify(evutil_socket_t fd, short what, void *arg);
static void worker_on_idle_tick(evutil_socket_t fd, short what, void *arg);

static bool worker_setup_events(worker *w)
{
    w->base = event_base_new();
    if (w->base == NULL)
        return false;
    w->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->notify_fd < 0)
        return false;
    w->notify_ev = event_new(w->base, w->notify_fd, EV_READ | EV_PERSIST,
                             worker_on_notify, w);
    if (w->notify_ev == NULL || event_add(w->notify_ev, NULL) != 0)
        return false;
    if (w->srv->opts->idle_timeout > 0) {
        struct timeval one = {1, 0};
        w->idle_ev = event_new(w->base, -1, EV_PERSIST, worker_on_idle_tick, w);
        if (w->idle_ev == NULL || event_add(w->idle_ev, &one) != 0)
            return false;
    }
    return true;
}

worker *worker_create(server_ctx *srv, unsigned id, const int *udp_fds,
                      unsigned n_udp)
{
    worker *w = aligned_alloc(alignof(worker), sizeof *w); /* a multiple of its alignment */
    if (w == NULL)
        return NULL;
    memset(w, 0, sizeof *w);
    w->srv = srv;
    w->id = id;
    w->notify_fd = -1;
    atomic_init(&w->spread_cpu, -1);
    w->udp_fds = udp_fds;
    w->n_udp = n_udp;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->conns_lock, NULL);
    atomic_init(&w->stop_requested, false);
    w->hot = hotkeys_create(HOTKEYS_SAMPLE, 0x5eed0000u + id);
    w->lat = latency_create(LATENCY_SAMPLE, 0x1a7e0000u + id);
    if (w->hot == NULL || w->lat == NULL || !worker_setup_events(w)) {
        fprintf(stderr, "worker %u: cannot set up its event loop: %s\n", id,
                strerror(errno));
        worker_destroy(w);
        return NULL;
    }
    return w;
}

void worker_destroy(worker *w)
{
    if (w == NULL)
        return;
    if (w->idle_ev != NULL)
        event_free(w->idle_ev);
    if (w->grace_ev != NULL)
        event_free(w->grace_ev);
    if (w->notify_ev != NULL)
        event_free(w->notify_ev);
    if (w->notify_fd >= 0)
        close(w->notify_fd);
    if (w->base != NULL)
        event_base_free(w->base);
    for (size_t i = 0; i < w->qlen; i++)
        close(w->queue[i].fd);
    for (unsigned i = 0; i < w->rbuf_pooled; i++)
        free(w->rbuf_pool[i]);
    for (unsigned i = 0; i < w->rbuf_bulk_pooled; i++)
        free(w->rbuf_bulk_pool[i]);
    free(w->queue);
    hotkeys_destroy(w->hot);
    latency_destroy(w->lat);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->conns_lock);
    free(w);
}

/* ---- the thread ---------------------------------------------------------- */

static void worker_start_udp(worker *w)
{
    if (w->n_udp == 0)
        return;
    conn **udp = calloc(w->n_udp, sizeof *udp);
    if (udp == NULL)
        return;
    for (unsigned i = 0; i < w->n_udp; i++)
        udp[i] = udp_conn_create(w, w->udp_fds[i]);
    pthread_mutex_lock(&w->conns_lock);
    w->udp = udp;
    pthread_mutex_unlock(&w->conns_lock);
}

static void worker_stop_udp(worker *w)
{
    conn **udp = w->udp;
    if (udp == NULL)
        return;
    pthread_mutex_lock(&w->conns_lock);
    w->udp = NULL;
    pthread_mutex_unlock(&w->conns_lock);
    for (unsigned i = 0; i < w->n_udp; i++)
        if (udp[i] != NULL)
            conn_destroy(udp[i]);
    free(udp);
}

static void worker_close_all(worker *w)
{
    while (w->conns != NULL)
        conn_destroy(w->conns);
}

/* Appends c to a list of cap slots as `which`; false if the list is full. */
static bool worker_list_add(conn **list, unsigned *n, unsigned cap, conn *c, conn_listed which)
{
    if (*n == cap)
        return false;
    c->listed = which;
    c->list_slot = *n;
    list[(*n)++] = c;
    return true;
}

/* Takes the conn at list[i] off its list to run it; NULL if it is gone. */
static conn *worker_list_take(conn **list, unsigned i)
{
    conn *c = list[i];
    if (c != NULL) {
        list[i] = NULL;
        c->listed = CONN_LISTED_NONE;
    }
    return c;
}

bool worker_defer(worker *w, conn *c)
{
    return worker_list_add(w->deferred, &w->ndeferred, WORKER_DEFER_MAX, c, CONN_LISTED_DEFERRED);
}

bool worker_resume_later(worker *w, conn *c)
{
    return worker_list_add(w->resumed, &w->nresumed, WORKER_RESUME_MAX, c, CONN_LISTED_RESUMED);
}

void worker_unlist(worker *w, conn *c)
{
    if (c->listed == CONN_LISTED_NONE)
        return;
    conn **list = c->listed == CONN_LISTED_DEFERRED ? w->deferred : w->resumed;
    list[c->list_slot] = NULL;
    c->listed = CONN_LISTED_NONE;
}

/*
 * Gives each conn that yielded before this round its next slice. Those
 * that yield again meanwhile are appended; they move to the front for the
 * next round.
 */
static void worker_run_resumed(worker *w)
{
    unsigned n = w->nresumed;
    for (unsigned i = 0; i < n; i++) {
        conn *c = worker_list_take(w->resumed, i);
        if (c != NULL)
            conn_run_resumed(c);
    }
    unsigned kept = 0;
    for (unsigned i = n; i < w->nresumed; i++) {
        conn *c = w->resumed[i];
        if (c != NULL) {
            c->list_slot = kept;
            w->resumed[kept++] = c;
        }
    }
    w->nresumed = kept;
}

/* Prefetch step `item` (else `chain`) for the deferred conn at i, if any. */
static void worker_prefetch_deferred(worker *w, unsigned i, bool item)
{
    if (i >= w->ndeferred || w->deferred[i] == NULL)
        return;
    if (item)
        conn_prefetch_item(w->deferred[i]);
    else
        conn_prefetch_chain(w->deferred[i]);
}

/*
 * Runs the conns deferred in this batch, in the order they were read, then
 * the conns that yielded before it. The first key of each deferred conn
 * is fetched two conns ahead: while conn i runs (its reply's send leaves
 * the loads time to land), conn i+1's item gets checked and fully loaded
 * and conn i+2's bucket is read for its first item.
 */
static void worker_run_lists(worker *w)
{
    worker_prefetch_deferred(w, 0, false);
    worker_prefetch_deferred(w, 1, false);
    worker_prefetch_deferred(w, 0, true);
    for (unsigned i = 0; i < w->ndeferred; i++) {
        worker_prefetch_deferred(w, i + 2, false);
        worker_prefetch_deferred(w, i + 1, true);
        conn *c = worker_list_take(w->deferred, i);
        if (c != NULL)
            conn_run_deferred(c);
    }
    w->ndeferred = 0;
    worker_run_resumed(w);
}

/*
 * The event loop, one batch at a time: libevent runs the callbacks of
 * what one epoll_wait returned (conns that read a request defer running
 * it), then the deferred conns run, then the yielded ones. While yielded
 * conns wait, the poll does not block. Ends on loopexit / loopbreak.
 */
static void worker_loop(worker *w)
{
    for (;;) {
        int flags = EVLOOP_ONCE | (w->nresumed > 0 ? EVLOOP_NONBLOCK : 0);
        int r = event_base_loop(w->base, flags);
        worker_run_lists(w);
        if (w->yield_due) { /* after the batch's replies went out */
            w->yield_due = false;
            sched_yield();
        }
        if (r != 0 || event_base_got_exit(w->base) || event_base_got_break(w->base))
            break;
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    w->ct = cache_thread_create(w->srv->engine);
    if (w->ct == NULL) {
        fprintf(stderr, "worker %u: cannot create its engine handle\n", w->id);
        return NULL;
    }
    worker_start_udp(w);
    worker_loop(w);
    worker_stop_udp(w);
    worker_close_all(w);
    cache_thread_destroy(w->ct);
    w->ct = NULL;
    return NULL;
}

int worker_start(worker *w)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        pthread_setname_np(w->thread, "cashew-worker");
    w->started = rc == 0;
    return rc;
}

/* ---- hand-off ------------------------------------------------------------ */

static void worker_wake(worker *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->notify_fd, &one, sizeof one);
    (void)n; /* a full counter still wakes the worker */
}

bool worker_hand_off(worker *w, int fd, worker_transport transport)
{
    pthread_mutex_lock(&w->lock);
    if (w->qlen == w->qcap) {
        size_t cap = w->qcap ? w->qcap * 2 : 16;
        worker_handoff *q = realloc(w->queue, cap * sizeof *q);
        if (q == NULL) {
            pthread_mutex_unlock(&w->lock);
            close(fd);
            return false;
        }
        w->queue = q;
        w->qcap = cap;
    }
    w->queue[w->qlen++] = (worker_handoff){fd, transport};
    pthread_mutex_unlock(&w->lock);
    worker_wake(w);
    return true;
}

/* Takes the queued fds (swap under the lock; work outside it). */
static size_t worker_take_queue(worker *w, worker_handoff **out)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->qlen;
    *out = w->queue;
    w->queue = NULL;
    w->qlen = w->qcap = 0;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static void worker_adopt(worker *w, const worker_handoff *h)
{
    if (w->stopping) {
        close(h->fd);
        atomic_fetch_sub(&w->srv->conns.curr, 1);
        return;
    }
    conn_kind kind = h->transport == WORKER_UNIX ? CONN_UNIX : CONN_TCP;
    conn *c = conn_create(w, h->fd, kind);
    if (c == NULL) {
        atomic_fetch_sub(&w->srv->conns.curr, 1);
        return;
    }
    if (atomic_load(&w->srv->verbose) > 1)
        fprintf(stderr, "<%d new %s client connection\n", h->fd,
                kind == CONN_UNIX ? "unix" : "tcp");
}

static void worker_begin_stop(worker *w);

static void worker_on_notify(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    uint64_t count;
    (void)what;
    ssize_t n = read(fd, &count, sizeof count);
    (void)n;
    worker_handoff *q;
    size_t len = worker_take_queue(w, &q);
    for (size_t i = 0; i < len; i++)
        worker_adopt(w, &q[i]);
    free(q);
    if (atomic_load(&w->stop_requested) && !w->stopping)
        worker_begin_stop(w);
}

/* ---- idle scan ----------------------------------------------------------- */

static void worker_on_idle_tick(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    (void)fd;
    (void)what;
    int64_t now = server_real_now();
    unsigned timeout = w->srv->opts->idle_timeout;
    conn *c = w->conns;
    while (c != NULL) {
        conn *next = c->next;
        conn_check_idle(c, now, timeout);
        c = next;
    }
}

/* ---- shutdown ------------------------------------------------------------ */

static void worker_on_grace_over(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    (void)fd;
    (void)what;
    worker_close_all(w);
    event_base_loopexit(w->base, NULL);
}

static void worker_maybe_exit(worker *w)
{
    if (w->stopping && w->nconns == 0)
        event_base_loopexit(w->base, NULL);
}

static void worker_begin_stop(worker *w)
{
    w->stopping = true;
    worker_stop_udp(w);
    if (w->idle_ev != NULL)
        event_del(w->idle_ev);
    struct timeval grace = {WORKER_GRACE_SECONDS, 0};
    w->grace_ev = evtimer_new(w->base, worker_on_grace_over, w);
    if (w->grace_ev != NULL)
        evtimer_add(w->grace_ev, &grace);
    conn *c = w->conns;
    while (c != NULL) {
        conn *next = c->next;
        conn_stop(c);
        c = next;
    }
    worker_maybe_exit(w);
}

void worker_stop(worker *w)
{
    atomic_store(&w->stop_requested, true);
    worker_wake(w);
}

void worker_join(worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

/* ---- accessors ----------------------------------------------------------- */

const stats_counters *worker_counters(const worker *w) { return &w->stats; }
struct event_base *worker_base(worker *w) { return w->base; }
cache_thread *worker_cache(worker *w) { return w->ct; }
stats_counters *worker_stats(worker *w) { return &w->stats; }
server_ctx *worker_server(worker *w) { return w->srv; }
unsigned worker_id(const worker *w) { return w->id; }
bool worker_stopping(const worker *w) { return w->stopping; }
hotkeys *worker_hotkeys(worker *w) { return w->hot; }
latency_set *worker_latency(worker *w) { return w->lat; }

void worker_buffer_bytes_add(worker *w, int64_t delta)
{
    int64_t v = atomic_load_explicit(&w->buffer_bytes, memory_order_relaxed);
    atomic_store_explicit(&w->buffer_bytes, v + delta, memory_order_relaxed);
}

int64_t worker_buffer_bytes(const worker *w)
{
    return atomic_load_explicit(&w->buffer_bytes, memory_order_relaxed);
}

static void worker_pooled_bytes_add(worker *w, int64_t delta)
{
    int64_t v = atomic_load_explicit(&w->pooled_bytes, memory_order_relaxed);
    atomic_store_explicit(&w->pooled_bytes, v + delta, memory_order_relaxed);
}

int64_t worker_pooled_bytes(const worker *w)
{
    return atomic_load_explicit(&w->pooled_bytes, memory_order_relaxed);
}

/* The pool for a buffer size: its slots, count and capacity. */
static char **worker_rbuf_pool_of(worker *w, size_t size, unsigned **count, unsigned *cap)
{
    if (size == CONN_RBUF_BULK) {
        *count = &w->rbuf_bulk_pooled;
        *cap = WORKER_RBUF_BULK_POOL;
        return w->rbuf_bulk_pool;
    }
    *count = &w->rbuf_pooled;
    *cap = WORKER_RBUF_POOL;
    return w->rbuf_pool;
}

#define WORKER_YIELD_CHECK 32 /* conn events between busy checks */

static int64_t worker_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The busy check of -o worker_yield_us (see worker_note_event). */
static void worker_check_yield(worker *w, int64_t wall)
{
    int64_t span = (int64_t)w->srv->opts->worker_yield_us * 1000;
    if (span == 0 || wall - w->yield_wall_ns < span)
        return;
    int64_t cpu = worker_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    bool busy = (cpu - w->yield_cpu_ns) * 10 >= (wall - w->yield_wall_ns) * 9;
    w->yield_cpu_ns = cpu;
    w->yield_wall_ns = wall;
    w->yield_due |= busy;
}

#define WORKER_SPREAD_SPAN_NS 250000    /* the spread check's window */
#define WORKER_SPREAD_FRESH_NS 10000000 /* a CPU report older than this is stale */
#define WORKER_SPREAD_PAUSE_NS 10000000 /* at most one move per 10 ms per worker */

/*
 * Whether a worker numbered below `below` reported `cpu` lately. The CPU
 * and its time are two relaxed atomics: a reader may pair a new CPU with
 * an old time or the reverse, which costs one needless or one missed move.
 */
static bool worker_cpu_taken(const server_ctx *srv, int cpu, unsigned below, int64_t wall)
{
    for (unsigned i = 0; i < below && i < srv->nworkers; i++) {
        const worker *o = srv->workers[i];
        if (atomic_load_explicit(&o->spread_cpu, memory_order_relaxed) == cpu &&
            wall - atomic_load_explicit(&o->spread_seen_ns, memory_order_relaxed) <
                WORKER_SPREAD_FRESH_NS)
            return true;
    }
    return false;
}

/* An allowed CPU that no worker reported lately, or -1. */
static int worker_spread_target(const worker *w, const cpu_set_t *allowed, int64_t wall)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, allowed) &&
            !worker_cpu_taken(w->srv, cpu, w->srv->nworkers, wall))
            return cpu;
    return -1;
}

/*
 * Moves the calling thread to `cpu`, then lets it run on every CPU of
 * `allowed` (the mask read just before) again: the kernel keeps it where
 * it is until it has a reason to move it. A change of the thread's
 * affinity made by someone else between the two is lost. False if the
 * kernel refused the move.
 */
static bool worker_move_to(const worker *w, int cpu, const cpu_set_t *allowed)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0)
        return false;
    int rc = pthread_setaffinity_np(pthread_self(), sizeof *allowed, allowed);
    if (rc != 0) /* not expected: the mask was the thread's own a moment ago */
        fprintf(stderr, "worker %u: cannot restore its CPU affinity after a move: %s\n",
                w->id, strerror(rc));
    return true;
}

/*
 * Whether the worker never slept since the last check: no voluntary
 * context switch, so it never waited in epoll_wait for ready connections
 * (nor on a lock, nor for a write to stderr); it may have waited for its
 * CPU.
 */
static bool worker_never_slept(worker *w)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return false;
    bool never = ru.ru_nvcsw == w->spread_nvcsw;
    w->spread_nvcsw = ru.ru_nvcsw;
    return never;
}

/*
 * The spread check (see worker.h): a worker that never slept in the last
 * window records its CPU and, if a lower-numbered worker recorded that
 * CPU lately, moves to an allowed CPU that no worker recorded. Two
 * runnable threads on each CPU look balanced to the kernel even when one
 * CPU holds two workers that take turns while the other runs their
 * clients. Reports are left to go stale rather than cleared, so a worker
 * that slept a moment still holds its CPU.
 */
static void worker_check_spread(worker *w, int64_t wall)
{
    if (wall - w->spread_wall_ns < WORKER_SPREAD_SPAN_NS)
        return;
    w->spread_wall_ns = wall;
    int cpu;
    if (!worker_never_slept(w) || (cpu = sched_getcpu()) < 0)
        return;
    atomic_store_explicit(&w->spread_cpu, cpu, memory_order_relaxed);
    atomic_store_explicit(&w->spread_seen_ns, wall, memory_order_relaxed);
    if (wall < w->spread_next_ns || !worker_cpu_taken(w->srv, cpu, w->id, wall))
        return;
    w->spread_next_ns = wall + WORKER_SPREAD_PAUSE_NS;
    cpu_set_t allowed;
    if (pthread_getaffinity_np(pthread_self(), sizeof allowed, &allowed) != 0 ||
        (unsigned)CPU_COUNT(&allowed) < w->srv->nworkers)
        return; /* more workers than CPUs: some must share */
    int target = worker_spread_target(w, &allowed, wall);
    if (target < 0 || !worker_move_to(w, target, &allowed))
        return;
    atomic_store_explicit(&w->spread_cpu, target, memory_order_relaxed);
    if (atomic_load_explicit(&w->srv->verbose, memory_order_relaxed) > 0)
        fprintf(stderr, "worker %u: moved from CPU %d, where another worker was busy too, "
                "to CPU %d\n", w->id, cpu, target);
}

void worker_note_event(worker *w)
{
    if (++w->yield_events < WORKER_YIELD_CHECK)
        return;
    w->yield_events = 0;
    const server_options *opts = w->srv->opts;
    bool spread = opts->worker_spread && w->srv->nworkers > 1;
    if (opts->worker_yield_us == 0 && !spread)
        return;
    int64_t wall = worker_clock_ns(CLOCK_MONOTONIC);
    worker_check_yield(w, wall);
    if (spread)
        worker_check_spread(w, wall);
}

char *worker_rbuf_get(worker *w, size_t size)
{
    unsigned *count, cap;
    char **pool = worker_rbuf_pool_of(w, size, &count, &cap);
    if (*count > 0) {
        worker_pooled_bytes_add(w, -(int64_t)size);
        return pool[--*count];
    }
    char *buf = malloc(size);
    if (buf != NULL)
        worker_buffer_bytes_add(w, (int64_t)size);
    return buf;
}

void worker_rbuf_put(worker *w, char *buf, size_t size)
{
    unsigned *count, cap;
    char **pool = worker_rbuf_pool_of(w, size, &count, &cap);
    if (*count < cap) {
        pool[(*count)++] = buf;
        worker_pooled_bytes_add(w, (int64_t)size);
    } else {
        free(buf);
        worker_buffer_bytes_add(w, -(int64_t)size);
    }
}

void worker_conn_link(worker *w, conn *c)
{
    pthread_mutex_lock(&w->conns_lock);
    c->prev = NULL;
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    pthread_mutex_unlock(&w->conns_lock);
}

void worker_conn_unlink(worker *w, conn *c)
{
    pthread_mutex_lock(&w->conns_lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    w->nconns--;
    pthread_mutex_unlock(&w->conns_lock);
    worker_maybe_exit(w);
}

/* Appends one conn's entry; false if memory ran out. */
static bool worker_conn_describe(const conn *c, const conn *self,
                                 stats_conn_list *list)
{
    stats_conn_info *info = stats_conn_list_next(list);
    if (info == NULL)
        return false;
    conn_describe(c, self, info);
    list->n++;
    return true;
}

bool worker_conns_describe(worker *w, const conn *self, bool with_udp,
                           stats_conn_list *list)
{
    bool ok = true;
    pthread_mutex_lock(&w->conns_lock);
    for (const conn *c = w->conns; ok && c != NULL; c = c->next)
        ok = worker_conn_describe(c, self, list);
    for (unsigned i = 0; ok && with_udp && w->udp != NULL && i < w->n_udp; i++)
        if (w->udp[i] != NULL)
            ok = worker_conn_describe(w->udp[i], self, list);
    pthread_mutex_unlock(&w->conns_lock);
    return ok;
}
