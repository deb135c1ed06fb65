/*
 * daemon/server.c -- listeners, the acceptor loop on the main thread, the
 * server clock and the shutdown sequence. See worker.h for the threading
 * model.
 */
#include "daemon/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/server_ctx.h"
#include "daemon/worker.h"
#include "proto/text.h"

#define SERVER_ACCEPTS_PER_EVENT 64
#define SERVER_MAX_LISTENERS 64

/* ---- the clock --------------------------------------------------------------- */

static _Atomic int64_t server_real_seconds; /* 0 until first read */
static _Atomic int64_t server_clock_offset; /* debugtime */

int64_t server_real_now(void)
{
    int64_t now = atomic_load_explicit(&server_real_seconds, memory_order_relaxed);
    if (now == 0) {
        now = (int64_t)time(NULL);
        atomic_store_explicit(&server_real_seconds, now, memory_order_relaxed);
    }
    return now;
}

int64_t server_clock(void *arg)
{
    (void)arg;
    return server_real_now() +
           atomic_load_explicit(&server_clock_offset, memory_order_relaxed);
}

void server_clock_advance(int64_t seconds)
{
    atomic_fetch_add(&server_clock_offset, seconds);
}

static void server_on_clock_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    atomic_store_explicit(&server_real_seconds, (int64_t)time(NULL),
                          memory_order_relaxed);
}

/* ---- state of one run -------------------------------------------------------- */

struct server_state;

typedef struct server_listener {
    int fd;
    worker_transport transport;
    struct event *ev;
    struct server_state *owner;
} server_listener;

typedef struct server_state {
    server_ctx ctx;
    struct event_base *base;
    server_listener listeners[SERVER_MAX_LISTENERS];
    unsigned nlisteners;
    int udp_fds[SERVER_MAX_LISTENERS];
    unsigned n_udp;
    unsigned next_worker;
    bool unix_bound;         /* we created the -s socket file */
    struct event *events[8]; /* clock, signals, wake, relisten */
    unsigned nevents;
    struct event *relisten_ev;
} server_state;

void server_request_shutdown(server_ctx *srv)
{
    uint64_t one = 1;
    atomic_store(&srv->shutdown_requested, true);
    ssize_t n = write(srv->wake_fd, &one, sizeof one);
    (void)n;
}

/* ---- binding --------------------------------------------------------------------- */

static int server_socket_bind(const struct addrinfo *ai, int backlog)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        (ai->ai_socktype == SOCK_STREAM && listen(fd, backlog) != 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static bool server_add_fd(server_state *s, int fd, int socktype,
                          worker_transport transport)
{
    if (socktype == SOCK_DGRAM) {
        if (s->n_udp == SERVER_MAX_LISTENERS)
            return false;
        s->udp_fds[s->n_udp++] = fd;
    } else {
        if (s->nlisteners == SERVER_MAX_LISTENERS)
            return false;
        s->listeners[s->nlisteners++] = (server_listener){fd, transport, NULL, s};
    }
    if (s->ctx.opts->verbose > 1)
        fprintf(stderr, "<%d server listening (%s)\n", fd,
                socktype == SOCK_DGRAM ? "udp" : transport == WORKER_UNIX ? "unix" : "tcp");
    return true;
}

/* Binds every address getaddrinfo gives for host:port. */
static bool server_bind_host(server_state *s, const char *host, const char *port,
                             int socktype)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo(%s): %s\n", host ? host : "*", gai_strerror(rc));
        return false;
    }
    bool ok = true;
    for (struct addrinfo *ai = res; ai != NULL && ok; ai = ai->ai_next) {
        int fd = server_socket_bind(ai, s->ctx.opts->backlog);
        if (fd < 0) {
            fprintf(stderr, "failed to listen on %s port %s: %s\n",
                    socktype == SOCK_DGRAM ? "UDP" : "TCP", port, strerror(errno));
            ok = false;
        } else if (!server_add_fd(s, fd, socktype, WORKER_TCP)) {
            close(fd);
            fprintf(stderr, "too many listening addresses\n");
            ok = false;
        }
    }
    freeaddrinfo(res);
    return ok;
}

/*
 * Splits one -l entry into host and port: "host", "host:port", "[v6]",
 * "[v6]:port" or a bare IPv6 address. host_out has room for the entry.
 */
static void server_split_address(const char *entry, char *host_out,
                                 const char **port_out)
{
    const char *colon = strrchr(entry, ':');
    *port_out = NULL;
    if (entry[0] == '[') {
        const char *close_br = strchr(entry, ']');
        size_t n = close_br ? (size_t)(close_br - entry - 1) : strlen(entry + 1);
        memcpy(host_out, entry + 1, n);
        host_out[n] = '\0';
        if (close_br != NULL && close_br[1] == ':')
            *port_out = close_br + 2;
        return;
    }
    if (colon != NULL && strchr(entry, ':') == colon) {
        memcpy(host_out, entry, (size_t)(colon - entry));
        host_out[colon - entry] = '\0';
        *port_out = colon + 1;
        return;
    }
    strcpy(host_out, entry);
}

static bool server_bind_inet(server_state *s, int port, int socktype)
{
    const char *list = s->ctx.opts->listen ? s->ctx.opts->listen : "127.0.0.1";
    char *copy = strdup(list);
    char *host = malloc(strlen(list) + 1);
    bool ok = copy != NULL && host != NULL;
    char default_port[16];
    snprintf(default_port, sizeof default_port, "%d", port);
    char *save = NULL;
    for (char *e = ok ? strtok_r(copy, ",", &save) : NULL; e != NULL && ok;
         e = strtok_r(NULL, ",", &save)) {
        const char *p;
        server_split_address(e, host, &p);
        bool any = host[0] == '\0' || strcmp(host, "*") == 0;
        ok = server_bind_host(s, any ? NULL : host, p ? p : default_port, socktype);
    }
    free(copy);
    free(host);
    return ok;
}

static bool server_bind_unix(server_state *s)
{
    const char *path = s->ctx.opts->unix_socket;
    struct sockaddr_un sun = {0};
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "unix socket path too long: %s\n", path);
        return false;
    }
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    struct addrinfo ai = {0};
    ai.ai_family = AF_UNIX;
    ai.ai_socktype = SOCK_STREAM;
    ai.ai_addr = (struct sockaddr *)&sun;
    ai.ai_addrlen = sizeof sun;
    mode_t old = umask((mode_t)(~s->ctx.opts->unix_mask & 0777));
    int fd = server_socket_bind(&ai, s->ctx.opts->backlog);
    umask(old);
    if (fd < 0) {
        fprintf(stderr, "failed to listen on unix socket %s: %s\n", path,
                strerror(errno));
        return false;
    }
    s->unix_bound = true;
    return server_add_fd(s, fd, SOCK_STREAM, WORKER_UNIX);
}

static bool server_bind_all(server_state *s)
{
    const server_options *o = s->ctx.opts;
    if (o->unix_socket != NULL)
        return server_bind_unix(s); /* as memcached: -s turns TCP/UDP off */
    if (o->tcp_port > 0 && !server_bind_inet(s, o->tcp_port, SOCK_STREAM))
        return false;
    if (o->udp_port > 0 && !server_bind_inet(s, o->udp_port, SOCK_DGRAM))
        return false;
    if (s->nlisteners == 0 && s->n_udp == 0) {
        fprintf(stderr, "no port to listen on (-p, -U or -s)\n");
        return false;
    }
    return true;
}

/* ---- accepting ----------------------------------------------------------------- */

static void server_reject(server_state *s, int fd)
{
    /* Best effort, as memcached: one non-blocking write, then close. */
    ssize_t sent = write(fd, text_reply_str(TEXT_REPLY_TOO_MANY_CONNS),
                         text_reply_len(TEXT_REPLY_TOO_MANY_CONNS));
    (void)sent;
    atomic_fetch_add(&s->ctx.conns.rejected, 1);
    if (s->ctx.opts->verbose > 0)
        fprintf(stderr, "<%d too many open connections\n", fd);
    close(fd);
}

static void server_admit(server_state *s, int fd, worker_transport transport)
{
    server_ctx *srv = &s->ctx;
    if (atomic_load(&srv->conns.curr) >= srv->opts->max_conns) {
        server_reject(s, fd);
        return;
    }
    atomic_fetch_add(&srv->conns.curr, 1);
    atomic_fetch_add(&srv->conns.total, 1);
    if (transport == WORKER_TCP) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    worker *w = srv->workers[s->next_worker];
    s->next_worker = (s->next_worker + 1) % srv->nworkers;
    if (!worker_hand_off(w, fd, transport))
        atomic_fetch_sub(&srv->conns.curr, 1);
}

static void server_pause_accepting(server_state *s)
{
    struct timeval pause = {0, 100 * 1000};
    for (unsigned i = 0; i < s->nlisteners; i++)
        event_del(s->listeners[i].ev);
    evtimer_add(s->relisten_ev, &pause);
}

static void server_on_relisten(evutil_socket_t fd, short what, void *arg)
{
    server_state *s = arg;
    (void)fd;
    (void)what;
    for (unsigned i = 0; i < s->nlisteners; i++)
        event_add(s->listeners[i].ev, NULL);
}

static void server_on_accept(evutil_socket_t lfd, short what, void *arg)
{
    server_listener *l = arg;
    (void)what;
    for (int i = 0; i < SERVER_ACCEPTS_PER_EVENT; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            server_admit(l->owner, fd, l->transport);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            if (l->owner->ctx.opts->verbose > 0)
                fprintf(stderr, "too many open files, pausing accept\n");
            server_pause_accepting(l->owner);
        }
        return; /* EAGAIN: all taken */
    }
}

/* ---- main loop events ------------------------------------------------------------ */

static void server_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    server_state *s = arg;
    (void)what;
    if (s->ctx.opts->verbose > 0)
        fprintf(stderr, "signal %d received, shutting down\n", (int)sig);
    event_base_loopbreak(s->base);
}

static void server_on_wake(evutil_socket_t fd, short what, void *arg)
{
    server_state *s = arg;
    uint64_t count;
    (void)what;
    ssize_t n = read(fd, &count, sizeof count);
    (void)n;
    if (atomic_load(&s->ctx.shutdown_requested))
        event_base_loopbreak(s->base);
}

static bool server_add_event(server_state *s, struct event *ev,
                             const struct timeval *tv)
{
    if (ev == NULL)
        return false;
    s->events[s->nevents++] = ev;
    return event_add(ev, tv) == 0;
}

static bool server_setup_events(server_state *s)
{
    struct timeval one = {1, 0};
    struct event_base *b = s->base;
    bool ok = server_add_event(s, event_new(b, -1, EV_PERSIST, server_on_clock_tick, s), &one) &&
              server_add_event(s, evsignal_new(b, SIGTERM, server_on_stop_signal, s), NULL) &&
              server_add_event(s, evsignal_new(b, SIGINT, server_on_stop_signal, s), NULL) &&
              server_add_event(s, evsignal_new(b, SIGUSR1, server_on_stop_signal, s), NULL) &&
              server_add_event(s, event_new(b, s->ctx.wake_fd, EV_READ | EV_PERSIST,
                                            server_on_wake, s), NULL);
    s->relisten_ev = evtimer_new(b, server_on_relisten, s);
    if (!ok || s->relisten_ev == NULL)
        return false;
    for (unsigned i = 0; i < s->nlisteners; i++) {
        server_listener *l = &s->listeners[i];
        l->ev = event_new(b, l->fd, EV_READ | EV_PERSIST, server_on_accept, l);
        if (l->ev == NULL || event_add(l->ev, NULL) != 0)
            return false;
    }
    return true;
}

/* ---- workers ------------------------------------------------------------------------ */

static bool server_start_workers(server_state *s)
{
    server_ctx *srv = &s->ctx;
    unsigned n = srv->opts->threads > 0 ? srv->opts->threads : 1;
    srv->workers = calloc(n, sizeof *srv->workers);
    if (srv->workers == NULL)
        return false;
    for (unsigned i = 0; i < n; i++) {
        srv->workers[i] = worker_create(srv, i, s->udp_fds, s->n_udp);
        if (srv->workers[i] == NULL)
            return false;
        srv->nworkers = i + 1;
    }
    for (unsigned i = 0; i < n; i++) {
        int rc = worker_start(srv->workers[i]);
        if (rc != 0) {
            fprintf(stderr, "cannot start worker thread: %s\n", strerror(rc));
            return false;
        }
    }
    return true;
}

static void server_stop_workers(server_state *s)
{
    server_ctx *srv = &s->ctx;
    for (unsigned i = 0; i < srv->nworkers; i++)
        worker_stop(srv->workers[i]);
    for (unsigned i = 0; i < srv->nworkers; i++)
        worker_join(srv->workers[i]);
    for (unsigned i = 0; i < srv->nworkers; i++)
        worker_destroy(srv->workers[i]);
    free(srv->workers);
    srv->workers = NULL;
    srv->nworkers = 0;
}

/* ---- run ------------------------------------------------------------------------------ */

static void server_close_listeners(server_state *s)
{
    for (unsigned i = 0; i < s->nlisteners; i++) {
        if (s->listeners[i].ev != NULL)
            event_free(s->listeners[i].ev);
        s->listeners[i].ev = NULL;
        close(s->listeners[i].fd);
    }
    s->nlisteners = 0;
    if (s->unix_bound)
        unlink(s->ctx.opts->unix_socket);
}

static void server_teardown(server_state *s)
{
    server_close_listeners(s);
    server_stop_workers(s);
    for (unsigned i = 0; i < s->n_udp; i++)
        close(s->udp_fds[i]);
    for (unsigned i = 0; i < s->nevents; i++)
        event_free(s->events[i]);
    if (s->relisten_ev != NULL)
        event_free(s->relisten_ev);
    if (s->ctx.wake_fd >= 0)
        close(s->ctx.wake_fd);
    if (s->base != NULL)
        event_base_free(s->base);
    free(s);
}

static server_state *server_state_create(const server_options *opts, cache *engine)
{
    server_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx.opts = opts;
    s->ctx.engine = engine;
    s->ctx.started = server_clock(NULL);
    atomic_init(&s->ctx.verbose, opts->verbose);
    s->ctx.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->base = event_base_new();
    if (s->ctx.wake_fd < 0 || s->base == NULL) {
        fprintf(stderr, "cannot set up the main event loop\n");
        server_teardown(s);
        return NULL;
    }
    return s;
}

int server_run(const server_options *opts, cache *engine)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN); /* memcached keeps serving on SIGHUP */
    server_on_clock_tick(-1, 0, NULL);
    server_state *s = server_state_create(opts, engine);
    if (s == NULL)
        return 1;
    if (!server_bind_all(s) || !server_setup_events(s) || !server_start_workers(s)) {
        server_teardown(s);
        return 1;
    }
    event_base_dispatch(s->base);
    if (opts->verbose > 0)
        fprintf(stderr, "stopping: closing listeners, finishing requests\n");
    server_teardown(s);
    return 0;
}
