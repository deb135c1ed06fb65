/*
 * daemon/logger.c -- `watch` log streams: per-thread rings of formatted
 * lines, one logger thread that copies them to the watchers' bounded
 * buffers and writes those to the watcher sockets. See logger.h.
 *
 * Locks: logger.lock is a leaf lock. Producers take it only the first time
 * a thread logs (to register its ring); workers take it for the watch
 * command and the hand-over; the logger thread for adopting and dropping
 * watchers and rings. No I/O and no engine call happens under it.
 */
#include "config.h"

#include "daemon/logger.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conn.h"
#include "daemon/server_ctx.h"
#include "daemon/worker.h"

#define LOGGER_RING_SIZE (64u * 1024)     /* per logging thread (memcached's default) */
#define LOGGER_WATCHER_BUF (256u * 1024)  /* per watcher (memcached's default) */
#define LOGGER_WATCHERS_MAX 20            /* memcached's limit */
#define LOGGER_LINE_MAX 1280              /* a 250-byte key encodes to 750 */
#define LOGGER_KEY_ENC (3 * CACHE_KEY_MAX + 1)
#define LOGGER_SKIP_ROOM 40               /* "skipped=<uint64>\n" */
#define LOGGER_POLL_MS 2                  /* how often rings are drained while watched */

_Atomic unsigned logger_mask_;

/* ---- per-thread rings ------------------------------------------------------ */

/* One line in a ring: this header, then len bytes of text. */
typedef struct logger_rec {
    uint64_t gid;
    uint32_t len;
    uint32_t stream;
} logger_rec;

/*
 * Single producer (its thread) / single consumer (the logger thread).
 * head and tail count bytes ever consumed / produced; the producer owns
 * tail and its counters, the consumer owns head.
 */
typedef struct logger_ring {
    char *buf;
    _Atomic size_t head, tail;
    _Atomic uint64_t written, dropped;
    _Atomic bool orphan; /* its thread has exited: free once drained */
    struct logger_ring *next;
} logger_ring;

/* fd of a watcher whose conn has not closed yet / whose socket could not be kept */
#define LOGGER_FD_WAITING (-1)
#define LOGGER_FD_LOST (-2)

/*
 * A watcher exists from its watch command on (lines are buffered from
 * then), but gets its socket only when its conn closes: fd is
 * LOGGER_FD_WAITING until then (set by that worker, read by the logger
 * thread). Everything else belongs to the logger thread.
 */
typedef struct logger_watcher {
    _Atomic int fd;
    int sock;          /* the logger thread's copy of fd once >= 0 */
    unsigned streams;
    uint64_t min_gid;  /* only lines after the watch began */
    char *buf;         /* ring of LOGGER_WATCHER_BUF bytes */
    size_t start, len;
    uint64_t skipped;  /* lines lost since the last one sent */
    bool dead;
} logger_watcher;

typedef struct logger_pending {
    const struct conn *c;
    logger_watcher *w;
} logger_pending;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t tid;
    bool started, stop;
    logger_ring *rings;
    logger_pending pending[LOGGER_WATCHERS_MAX]; /* watchers whose conn still runs */
    size_t npending;
    logger_watcher *added[LOGGER_WATCHERS_MAX];   /* handed over, not yet adopted */
    size_t nadded;
    logger_watcher *ws[LOGGER_WATCHERS_MAX];      /* the logger thread's; changed under lock */
    size_t nws;
    uint64_t retired_written, retired_dropped;    /* of freed rings */
} logger = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

static _Atomic uint64_t logger_gid;
static _Atomic uint64_t logger_skipped, logger_sent, logger_nwatchers;

static _Thread_local logger_ring *logger_tls;
static pthread_key_t logger_key;
static pthread_once_t logger_key_once = PTHREAD_ONCE_INIT;

static void logger_ring_orphan(void *arg)
{
    atomic_store_explicit(&((logger_ring *)arg)->orphan, true, memory_order_release);
}

static void logger_key_create(void)
{
    pthread_key_create(&logger_key, logger_ring_orphan);
}

/* The calling thread's ring, created and registered on first use (or NULL). */
static logger_ring *logger_my_ring(void)
{
    if (logger_tls != NULL)
        return logger_tls;
    pthread_once(&logger_key_once, logger_key_create);
    logger_ring *r = calloc(1, sizeof *r);
    if (r == NULL || (r->buf = malloc(LOGGER_RING_SIZE)) == NULL) {
        free(r);
        return NULL;
    }
    pthread_mutex_lock(&logger.lock);
    r->next = logger.rings;
    logger.rings = r;
    pthread_mutex_unlock(&logger.lock);
    pthread_setspecific(logger_key, r);
    logger_tls = r;
    return r;
}

static void logger_ring_copy_in(logger_ring *r, size_t pos, const void *src, size_t n)
{
    size_t off = pos % LOGGER_RING_SIZE;
    size_t first = n < LOGGER_RING_SIZE - off ? n : LOGGER_RING_SIZE - off;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const char *)src + first, n - first);
}

static void logger_ring_copy_out(const logger_ring *r, size_t pos, void *dst, size_t n)
{
    size_t off = pos % LOGGER_RING_SIZE;
    size_t first = n < LOGGER_RING_SIZE - off ? n : LOGGER_RING_SIZE - off;
    memcpy(dst, r->buf + off, first);
    memcpy((char *)dst + first, r->buf, n - first);
}

static void logger_count(_Atomic uint64_t *ctr)
{
    atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Producer side: queues one line, or drops it if the ring is full. */
static void logger_ring_push(logger_ring *r, unsigned stream, uint64_t gid,
                             const char *line, size_t len)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t need = sizeof(logger_rec) + len;
    if (LOGGER_RING_SIZE - (tail - head) < need) {
        logger_count(&r->dropped);
        return;
    }
    logger_rec h = {gid, (uint32_t)len, stream};
    logger_ring_copy_in(r, tail, &h, sizeof h);
    logger_ring_copy_in(r, tail + sizeof h, line, len);
    atomic_store_explicit(&r->tail, tail + need, memory_order_release);
    logger_count(&r->written);
}

/* ---- formatting --------------------------------------------------------------- */

size_t logger_uri_encode(const char *src, size_t n, char *dst, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t d = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                     ch == '_' || ch == '~';
        size_t need = plain ? 1 : 3;
        if (d + need >= cap)
            break;
        if (plain) {
            dst[d++] = (char)ch;
        } else {
            dst[d++] = '%';
            dst[d++] = hex[ch >> 4];
            dst[d++] = hex[ch & 15];
        }
    }
    dst[d] = '\0';
    return d;
}

/*
 * Formats "ts=<sec>.<usec> gid=<n> " + the fields and queues the line on
 * the calling thread's ring. Any thread.
 */
static void logger_emit(unsigned stream, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logger_emit(unsigned stream, const char *fmt, ...)
{
    logger_ring *r = logger_my_ring();
    if (r == NULL)
        return;
    char line[LOGGER_LINE_MAX];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t gid = atomic_fetch_add_explicit(&logger_gid, 1, memory_order_relaxed) + 1;
    int n = snprintf(line, sizeof line, "ts=%lld.%06ld gid=%" PRIu64 " ",
                     (long long)ts.tv_sec, ts.tv_nsec / 1000, gid);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)(n + m) >= sizeof line)
        return;
    logger_ring_push(r, stream, gid, line, (size_t)(n + m));
}

/* ---- the hooks ---------------------------------------------------------------- */

static void logger_describe(cache_thread *ct, const cache_item *it, unsigned *clsid,
                            int64_t *ttl)
{
    cache_item_info info;
    cache_item_describe(ct, it, &info);
    *clsid = info.class_id;
    *ttl = info.ttl;
}

void logger_log_fetch(cache_thread *ct, int fd, const char *key, size_t nkey,
                      const cache_item *it, bool found)
{
    char enc[LOGGER_KEY_ENC];
    unsigned clsid = 0;
    int64_t ttl = 0;
    size_t size = 0;
    if (it != NULL) {
        logger_describe(ct, it, &clsid, &ttl);
        size = cache_item_nbytes(it);
    }
    logger_uri_encode(key, nkey, enc, sizeof enc);
    logger_emit(LOGGER_FETCHERS,
                "type=item_get key=%s status=%s clsid=%u cfd=%d size=%zu\n", enc,
                (it != NULL || found) ? "found" : "not_found", clsid, fd, size);
}

static const char *logger_store_status(cache_status st)
{
    switch (st) {
    case CACHE_OK: return "stored";
    case CACHE_EXISTS: return "exists";
    case CACHE_NOT_FOUND: return "not_found";
    case CACHE_TOO_LARGE: return "too_large";
    case CACHE_ENOMEM: return "no_memory";
    default: return "not_stored";
    }
}

static const char *logger_store_cmd(cache_store_mode mode)
{
    static const char *const names[] = {
        [CACHE_SET] = "set", [CACHE_ADD] = "add", [CACHE_REPLACE] = "replace",
        [CACHE_APPEND] = "append", [CACHE_PREPEND] = "prepend", [CACHE_CAS] = "cas",
    };
    return (unsigned)mode < sizeof names / sizeof names[0] ? names[mode] : "null";
}

void logger_log_store(cache_thread *ct, int fd, const cache_item *it,
                      cache_store_mode mode, cache_status st)
{
    char enc[LOGGER_KEY_ENC];
    unsigned clsid;
    int64_t ttl;
    logger_describe(ct, it, &clsid, &ttl);
    logger_uri_encode(cache_item_key(it), cache_item_nkey(it), enc, sizeof enc);
    logger_emit(LOGGER_MUTATIONS,
                "type=item_store key=%s status=%s cmd=%s ttl=%lld clsid=%u cfd=%d "
                "size=%zu\n", enc, logger_store_status(st), logger_store_cmd(mode),
                (long long)(ttl < 0 ? 0 : ttl), clsid, fd, cache_item_nbytes(it));
}

cache_item *logger_peek(cache_thread *ct, const char *key, size_t nkey)
{
    return cache_get(ct, key, nkey);
}

void logger_log_delete(cache_thread *ct, int fd, const char *key, size_t nkey,
                       cache_item *seen, bool deleted, const char *cmd)
{
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(ct, fd, key, nkey, seen, deleted);
    if (seen != NULL && deleted && logger_watching(LOGGER_DELETIONS)) {
        char enc[LOGGER_KEY_ENC];
        unsigned clsid;
        int64_t ttl;
        logger_describe(ct, seen, &clsid, &ttl);
        logger_uri_encode(key, nkey, enc, sizeof enc);
        logger_emit(LOGGER_DELETIONS, "type=deleted key=%s cmd=%s clsid=%u size=%zu\n",
                    enc, cmd, clsid, cache_item_nbytes(seen));
    }
    if (seen != NULL)
        cache_release(ct, seen);
}

void logger_on_evict(void *arg, const cache_evict_info *info)
{
    (void)arg;
    if (!logger_watching(LOGGER_EVICTIONS))
        return;
    char enc[LOGGER_KEY_ENC];
    logger_uri_encode(info->key, info->nkey, enc, sizeof enc);
    logger_emit(LOGGER_EVICTIONS,
                "type=eviction key=%s fetch=%s ttl=%lld la=%" PRIu32 " clsid=%u size=%zu\n",
                enc, info->fetched ? "yes" : "no", (long long)info->ttl, info->idle,
                info->class_id, info->nbytes);
}

/* The peer of a client socket as memcached prints it (rip, rport). */
static void logger_peer(int fd, char *rip, size_t cap, unsigned *rport)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    rip[0] = '\0';
    *rport = 0;
    memset(&ss, 0, sizeof ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, rip, (socklen_t)cap);
        *rport = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, rip, (socklen_t)cap);
        *rport = ntohs(in6->sin6_port);
    } else if (ss.ss_family == AF_UNIX) {
        snprintf(rip, cap, "unix");
    }
}

static const char *logger_transport(const conn *c)
{
    return c->kind == CONN_UNIX ? "local" : c->kind == CONN_UDP ? "udp" : "tcp";
}

void logger_log_conn_new(const conn *c)
{
    char rip[INET6_ADDRSTRLEN + 8];
    unsigned rport;
    logger_peer(c->fd, rip, sizeof rip, &rport);
    logger_emit(LOGGER_CONNEVENTS, "type=conn_new rip=%s rport=%u transport=%s cfd=%d\n",
                rip, rport, logger_transport(c), c->fd);
}

/* Why c is being closed, in memcached's words. */
static const char *logger_close_reason(const conn *c)
{
    unsigned idle = c->srv->opts->idle_timeout;
    if (worker_stopping(c->w))
        return "shutdown";
    if (c->eof || c->close_after)
        return "normal";
    if (idle > 0 && c->state == CONN_READ_CMD && c->out_pending == 0 &&
        server_real_now() - c->last_active > (int64_t)idle)
        return "idle_timeout";
    return "error";
}

static void logger_log_conn_close(const conn *c)
{
    char rip[INET6_ADDRSTRLEN + 8];
    unsigned rport;
    logger_peer(c->fd, rip, sizeof rip, &rport);
    logger_emit(LOGGER_CONNEVENTS,
                "type=conn_close rip=%s rport=%u transport=%s reason=%s cfd=%d\n", rip,
                rport, logger_transport(c), logger_close_reason(c), c->fd);
}

/* ---- watchers (logger thread) ------------------------------------------------ */

/* Recomputes the streams mask. Caller holds logger.lock. */
static void logger_update_mask_locked(void)
{
    unsigned m = logger.npending > 0 ? (unsigned)LOGGER_HANDOFF : 0;
    for (size_t i = 0; i < logger.nws; i++)
        m |= logger.ws[i]->streams;
    for (size_t i = 0; i < logger.nadded; i++)
        m |= logger.added[i]->streams;
    atomic_store_explicit(&logger_mask_, m, memory_order_relaxed);
    atomic_store_explicit(&logger_nwatchers, logger.nws + logger.nadded,
                          memory_order_relaxed);
}

static void logger_watcher_put(logger_watcher *w, const char *p, size_t n)
{
    size_t end = (w->start + w->len) % LOGGER_WATCHER_BUF;
    size_t first = n < LOGGER_WATCHER_BUF - end ? n : LOGGER_WATCHER_BUF - end;
    memcpy(w->buf + end, p, first);
    memcpy(w->buf, p + first, n - first);
    w->len += n;
}

/* Queues a line for w, or counts it skipped when w's buffer is full. */
static void logger_watcher_offer(logger_watcher *w, const char *line, size_t len)
{
    char note[LOGGER_SKIP_ROOM];
    size_t nn = 0;
    if (w->skipped > 0)
        nn = (size_t)snprintf(note, sizeof note, "skipped=%" PRIu64 "\n", w->skipped);
    if (LOGGER_WATCHER_BUF - w->len < len + nn) {
        w->skipped++;
        logger_count(&logger_skipped);
        return;
    }
    if (nn > 0) {
        logger_watcher_put(w, note, nn);
        w->skipped = 0;
    }
    logger_watcher_put(w, line, len);
    logger_count(&logger_sent);
}

static void logger_deliver(const logger_rec *h, const char *line)
{
    for (size_t i = 0; i < logger.nws; i++) {
        logger_watcher *w = logger.ws[i];
        if (!w->dead && (w->streams & h->stream) && h->gid > w->min_gid)
            logger_watcher_offer(w, line, h->len);
    }
}

/* Moves every complete line of r to the watchers. Returns the lines moved. */
static size_t logger_ring_drain(logger_ring *r)
{
    char line[LOGGER_LINE_MAX];
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t n = 0;
    while (head < tail) {
        logger_rec h;
        logger_ring_copy_out(r, head, &h, sizeof h);
        if (h.len <= sizeof line) {
            logger_ring_copy_out(r, head + sizeof h, line, h.len);
            logger_deliver(&h, line);
        }
        head += sizeof h + h.len;
        n++;
    }
    atomic_store_explicit(&r->head, head, memory_order_release);
    return n;
}

static size_t logger_drain_all(void)
{
    pthread_mutex_lock(&logger.lock);
    logger_ring *r = logger.rings; /* producers only prepend: the rest stays valid */
    pthread_mutex_unlock(&logger.lock);
    size_t n = 0;
    for (; r != NULL; r = r->next)
        n += logger_ring_drain(r);
    return n;
}

/* Writes what w has queued until done or the socket is full. */
static void logger_watcher_flush(logger_watcher *w)
{
    while (w->len > 0 && !w->dead) {
        size_t run = w->len < LOGGER_WATCHER_BUF - w->start ? w->len
                                                            : LOGGER_WATCHER_BUF - w->start;
        ssize_t n = send(w->sock, w->buf + w->start, run, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                w->dead = true;
            return;
        }
        w->start = (w->start + (size_t)n) % LOGGER_WATCHER_BUF;
        w->len -= (size_t)n;
        if ((size_t)n < run)
            return;
    }
}

/* Reads and ignores what a watcher sends; notices that it went away. */
static void logger_watcher_read(logger_watcher *w)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(w->sock, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            w->dead = true;
        return;
    }
}

/* True once w has its socket (in w->sock); marks w dead if it was lost. */
static bool logger_watcher_ready(logger_watcher *w)
{
    if (w->sock >= 0)
        return true;
    int fd = atomic_load_explicit(&w->fd, memory_order_acquire);
    if (fd == LOGGER_FD_LOST)
        w->dead = true;
    w->sock = fd >= 0 ? fd : -1;
    return w->sock >= 0;
}

/* Waits up to timeout_ms for watcher sockets, then reads and writes them. */
static void logger_poll_watchers(int timeout_ms)
{
    struct pollfd pfd[LOGGER_WATCHERS_MAX];
    logger_watcher *of[LOGGER_WATCHERS_MAX];
    nfds_t n = 0;
    for (size_t i = 0; i < logger.nws; i++) {
        logger_watcher *w = logger.ws[i];
        if (!logger_watcher_ready(w) || w->dead)
            continue;
        logger_watcher_flush(w);
        of[n] = w;
        pfd[n++] = (struct pollfd){w->sock, (short)(POLLIN | (w->len > 0 ? POLLOUT : 0)), 0};
    }
    if (n == 0) {
        poll(NULL, 0, timeout_ms);
        return;
    }
    if (poll(pfd, n, timeout_ms) <= 0)
        return;
    for (nfds_t i = 0; i < n; i++) {
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            logger_watcher_read(of[i]);
        if (pfd[i].revents & POLLOUT)
            logger_watcher_flush(of[i]);
    }
}

static void logger_watcher_destroy(logger_watcher *w)
{
    int fd = atomic_load(&w->fd);
    if (fd >= 0)
        close(fd);
    free(w->buf);
    free(w);
}

/* Adopts handed-over watchers, drops dead ones. Caller holds logger.lock. */
static void logger_sync_watchers_locked(void)
{
    size_t keep = 0;
    for (size_t i = 0; i < logger.nws; i++) {
        if (logger.ws[i]->dead)
            logger_watcher_destroy(logger.ws[i]);
        else
            logger.ws[keep++] = logger.ws[i];
    }
    logger.nws = keep;
    for (size_t i = 0; i < logger.nadded; i++)
        logger.ws[logger.nws++] = logger.added[i];
    logger.nadded = 0;
    logger_update_mask_locked();
}

/* Frees the rings of exited threads once drained. Caller holds logger.lock. */
static void logger_reap_rings_locked(void)
{
    logger_ring **pp = &logger.rings;
    while (*pp != NULL) {
        logger_ring *r = *pp;
        bool gone = atomic_load_explicit(&r->orphan, memory_order_acquire) &&
                    atomic_load(&r->head) == atomic_load(&r->tail);
        if (!gone) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        logger.retired_written += atomic_load(&r->written);
        logger.retired_dropped += atomic_load(&r->dropped);
        free(r->buf);
        free(r);
    }
}

static void *logger_thread_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&logger.lock);
    while (!logger.stop) {
        logger_sync_watchers_locked();
        logger_reap_rings_locked();
        if (logger.nws == 0) {
            pthread_cond_wait(&logger.wake, &logger.lock);
            continue;
        }
        pthread_mutex_unlock(&logger.lock);
        size_t moved = logger_drain_all();
        logger_poll_watchers(moved > 0 ? 0 : LOGGER_POLL_MS);
        pthread_mutex_lock(&logger.lock);
    }
    pthread_mutex_unlock(&logger.lock);
    return NULL;
}

/* atexit: stops the thread, closes the watchers, frees every ring. */
static void logger_teardown(void)
{
    atomic_store(&logger_mask_, 0u);
    pthread_mutex_lock(&logger.lock);
    logger.stop = true;
    pthread_cond_signal(&logger.wake);
    pthread_mutex_unlock(&logger.lock);
    pthread_join(logger.tid, NULL);
    for (size_t i = 0; i < logger.nws; i++)
        logger_watcher_destroy(logger.ws[i]);
    for (size_t i = 0; i < logger.nadded; i++)
        logger_watcher_destroy(logger.added[i]);
    logger.nws = logger.nadded = logger.npending = 0;
    while (logger.rings != NULL) {
        logger_ring *r = logger.rings;
        logger.rings = r->next;
        free(r->buf);
        free(r);
    }
    logger_tls = NULL;
}

/* Starts the logger thread the first time. Caller holds logger.lock. */
static bool logger_start_locked(void)
{
    if (logger.started)
        return true;
    if (pthread_create(&logger.tid, NULL, logger_thread_main, NULL) != 0)
        return false;
    pthread_setname_np(logger.tid, "cashew-logger");
    logger.started = true;
    atexit(logger_teardown);
    return true;
}

/* ---- the watch command and the hand-over (workers) ---------------------------- */

/* A watcher of `streams` that sees the lines logged from now on (no socket yet). */
static logger_watcher *logger_watcher_create(unsigned streams)
{
    logger_watcher *w = calloc(1, sizeof *w);
    if (w == NULL || (w->buf = malloc(LOGGER_WATCHER_BUF)) == NULL) {
        free(w);
        return NULL;
    }
    atomic_init(&w->fd, LOGGER_FD_WAITING);
    w->sock = -1;
    w->streams = streams;
    w->min_gid = atomic_fetch_add(&logger_gid, 1) + 1;
    return w;
}

static void logger_reply(conn *c, const text_request *req, const char *text)
{
    size_t len = strlen(text);
    if (req->noreply) /* memcached: a last "noreply" silences even errors */
        return;
    char *p = conn_out_space(c, len);
    if (p != NULL) {
        memcpy(p, text, len);
        conn_out_commit(c, len);
    }
}

static unsigned logger_stream_of(text_str tok)
{
    static const struct { const char *name; unsigned stream; } names[] = {
        {"fetchers", LOGGER_FETCHERS}, {"mutations", LOGGER_MUTATIONS},
        {"evictions", LOGGER_EVICTIONS}, {"connevents", LOGGER_CONNEVENTS},
        {"deletions", LOGGER_DELETIONS}, {"rawcmds", LOGGER_SILENT},
        {"sysevents", LOGGER_SILENT}, {"proxyreqs", LOGGER_SILENT},
        {"proxyevents", LOGGER_SILENT}, {"proxyuser", LOGGER_SILENT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (text_str_eq(tok, names[i].name))
            return names[i].stream;
    return 0;
}

/* The streams a watch line asks for (fetchers if none); 0 for an unknown name. */
static unsigned logger_parse_streams(text_str args)
{
    unsigned streams = 0;
    text_str tok;
    bool any = false;
    while (text_next_token(&args, &tok)) {
        unsigned s = logger_stream_of(tok);
        if (s == 0)
            return 0;
        streams |= s;
        any = true;
    }
    return any ? streams : (unsigned)LOGGER_FETCHERS;
}

void logger_watch_command(conn *c, const text_request *req)
{
    if (c->srv->opts->disable_watch) {
        logger_reply(c, req, "CLIENT_ERROR watch commands not allowed\r\n");
        return;
    }
    unsigned streams = logger_parse_streams(req->args);
    if (streams == 0) {
        logger_reply(c, req, "ERROR\r\n");
        return;
    }
    pthread_mutex_lock(&logger.lock);
    const char *refusal = NULL;
    if (logger.nws + logger.nadded >= LOGGER_WATCHERS_MAX)
        refusal = "WATCHER_TOO_MANY log watcher limit reached\r\n";
    else if (c->kind == CONN_UDP || !logger_start_locked())
        refusal = "WATCHER_FAILED failed to add log watcher\r\n";
    logger_watcher *w = refusal == NULL ? logger_watcher_create(streams) : NULL;
    if (refusal == NULL && w == NULL)
        refusal = "WATCHER_FAILED failed to add log watcher\r\n";
    if (w != NULL) {
        logger.pending[logger.npending++] = (logger_pending){c, w};
        logger.added[logger.nadded++] = w;
        logger_update_mask_locked();
        pthread_cond_signal(&logger.wake);
    }
    pthread_mutex_unlock(&logger.lock);
    logger_reply(c, req, refusal != NULL ? refusal : "OK\r\n");
    if (refusal == NULL)
        c->close_after = true; /* after the OK, the socket goes to the logger */
}

void logger_conn_closing(const conn *c)
{
    bool handed = false;
    pthread_mutex_lock(&logger.lock);
    for (size_t i = 0; i < logger.npending; i++) {
        if (logger.pending[i].c != c)
            continue;
        int fd = dup(c->fd); /* c's own fd is closed right after */
        atomic_store_explicit(&logger.pending[i].w->fd, fd >= 0 ? fd : LOGGER_FD_LOST,
                              memory_order_release);
        logger.pending[i] = logger.pending[--logger.npending];
        logger_update_mask_locked();
        handed = true;
        break;
    }
    pthread_mutex_unlock(&logger.lock);
    if (!handed && logger_watching(LOGGER_CONNEVENTS))
        logger_log_conn_close(c);
}

void logger_get_stats(logger_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&logger.lock);
    out->worker_written = logger.retired_written;
    out->worker_dropped = logger.retired_dropped;
    for (const logger_ring *r = logger.rings; r != NULL; r = r->next) {
        out->worker_written += atomic_load_explicit(&r->written, memory_order_relaxed);
        out->worker_dropped += atomic_load_explicit(&r->dropped, memory_order_relaxed);
    }
    pthread_mutex_unlock(&logger.lock);
    out->watcher_skipped = atomic_load_explicit(&logger_skipped, memory_order_relaxed);
    out->watcher_sent = atomic_load_explicit(&logger_sent, memory_order_relaxed);
    out->watchers = atomic_load_explicit(&logger_nwatchers, memory_order_relaxed);
}
