/*
 * daemon/conn.c -- connection I/O: reading into the read buffer, stepping
 * through command lines and data blocks, gathering replies into sendmsg,
 * flow control and closing. Commands themselves run in process.c.
 */
#include "daemon/conn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/logger.h"
#include "daemon/process.h"
#include "daemon/process_meta.h"
#include "daemon/process_observe.h"
#include "daemon/worker.h"

#define CONN_IOV_MAX 512       /* iovecs per sendmsg */
#define CONN_BULK_READS 16     /* reads per event while input keeps coming */
#define CONN_TBUF_KEEP (64u * 1024) /* a drained tbuf above this shrinks back */

static void conn_on_event(evutil_socket_t fd, short what, void *arg);

static unsigned conn_verbose(const conn *c)
{
    return atomic_load_explicit(&c->srv->verbose, memory_order_relaxed);
}

/* ---- state as `stats conns` shows it ------------------------------------ */

static void conn_publish_state(conn *c)
{
    stats_conn_state s = STATS_CONN_CLOSING;
    switch (c->state) {
    case CONN_READ_CMD:
        s = c->ran_cmd ? STATS_CONN_READ : STATS_CONN_NEW_CMD;
        break;
    case CONN_READ_VALUE:
        s = STATS_CONN_NREAD;
        break;
    case CONN_SWALLOW:
        s = STATS_CONN_SWALLOW;
        break;
    case CONN_CLOSING:
        break;
    }
    if (c->kind == CONN_UDP)
        s = STATS_CONN_UDP_READ;
    atomic_store_explicit(&c->shown_state, (int)s, memory_order_relaxed);
}

static void conn_set_state(conn *c, conn_state s)
{
    c->state = s;
    conn_publish_state(c);
}

/* A command line is about to run: remember when, for `stats conns`. */
static void conn_note_command(conn *c)
{
    atomic_store_explicit(&c->last_cmd, server_real_now(), memory_order_relaxed);
    if (!c->ran_cmd) { /* the shown state changes only with the first command */
        c->ran_cmd = true;
        conn_publish_state(c);
    }
}

void conn_describe(const conn *c, const conn *self, stats_conn_info *out)
{
    out->fd = c->fd;
    out->udp = c->kind == CONN_UDP;
    out->state = c == self ? STATS_CONN_PARSE_CMD
                           : (stats_conn_state)atomic_load_explicit(
                                 &c->shown_state, memory_order_relaxed);
    out->last_cmd = atomic_load_explicit(&c->last_cmd, memory_order_relaxed);
    stats_conn_addr(c->fd, !out->udp, out->udp, out->addr, sizeof out->addr);
    if (!out->udp)
        stats_conn_addr(c->fd, false, false, out->listen_addr,
                        sizeof out->listen_addr);
    if (c->kind == CONN_UNIX)
        snprintf(out->addr, sizeof out->addr, "?:<AF 0>"); /* as memcached */
}

/* ---- life cycle ---------------------------------------------------------- */

static conn *conn_alloc(worker *w, int fd, conn_kind kind, size_t rsize)
{
    conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->fd = fd;
    c->kind = kind;
    c->w = w;
    c->srv = worker_server(w);
    c->ct = worker_cache(w); /* created before the worker takes conns */
    c->st = worker_stats(w);
    c->rsize = rsize;
    c->rbuf = rsize > 0 ? malloc(rsize) : NULL;
    c->tsize = CONN_TBUF_INIT;
    c->tbuf = malloc(c->tsize);
    if ((rsize > 0 && c->rbuf == NULL) || c->tbuf == NULL) {
        free(c->rbuf);
        free(c->tbuf);
        free(c);
        return NULL;
    }
    worker_buffer_bytes_add(w, (int64_t)(c->rsize + c->tsize));
    c->last_active = server_real_now();
    atomic_init(&c->last_cmd, c->last_active);
    atomic_init(&c->shown_state, 0);
    conn_publish_state(c);
    atomic_fetch_add(&worker_server(w)->conns.structures, 1);
    return c;
}

/* Gives the read buffer back to the worker's pool (or frees a grown one). */
static void conn_rbuf_release(conn *c)
{
    if (c->rbuf == NULL || c->kind == CONN_UDP)
        return;
    if (c->rsize == CONN_RBUF_INIT || c->rsize == CONN_RBUF_BULK)
        worker_rbuf_put(c->w, c->rbuf, c->rsize);
    else {
        free(c->rbuf);
        worker_buffer_bytes_add(c->w, -(int64_t)c->rsize);
    }
    c->rbuf = NULL;
    c->rsize = c->rstart = c->rend = 0;
}

static void conn_free(conn *c)
{
    atomic_fetch_sub(&worker_server(c->w)->conns.structures, 1);
    conn_rbuf_release(c);
    worker_buffer_bytes_add(c->w, -(int64_t)((c->rbuf != NULL ? c->rsize : 0) + c->tsize +
                                             c->segs_cap * sizeof(conn_seg)));
    free(c->rbuf);
    free(c->tbuf);
    free(c->segs);
    free(c);
}

conn *conn_create(worker *w, int fd, conn_kind kind)
{
    conn *c = conn_alloc(w, fd, kind, 0);
    if (c == NULL) {
        close(fd);
        return NULL;
    }
    c->ev_flags = EV_READ | EV_PERSIST;
    c->ev = event_new(worker_base(w), fd, c->ev_flags, conn_on_event, c);
    if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
        if (c->ev != NULL)
            event_free(c->ev);
        close(fd);
        conn_free(c);
        return NULL;
    }
    worker_conn_link(w, c);
    if (logger_watching(LOGGER_CONNEVENTS))
        logger_log_conn_new(c);
    return c;
}

conn *conn_create_udp(worker *w, int fd)
{
    return conn_alloc(w, fd, CONN_UDP, 65536 + 8);
}

static void conn_drop_store(conn *c)
{
    if (c->store.item != NULL)
        cache_release(c->ct, c->store.item);
    c->store.item = NULL;
    free(c->meta_line);
    c->meta_line = NULL;
}

void conn_reset_input(conn *c)
{
    conn_drop_store(c);
    memset(&c->req, 0, sizeof c->req);
    c->swallow = 0;
    conn_set_state(c, CONN_READ_CMD);
    c->rstart = c->rend = 0;
}

void conn_out_reset(conn *c)
{
    cache_thread *ct = c->ct;
    for (size_t i = c->seg_head; i < c->nsegs; i++)
        if (c->segs[i].item != NULL)
            cache_release(ct, c->segs[i].item);
    c->nsegs = c->seg_head = c->head_off = 0;
    c->tlen = 0;
    c->out_pending = 0;
    c->unheld_refs = false;
}

void conn_destroy(conn *c)
{
    worker_unlist(c->w, c);
    if (c->ev != NULL)
        event_free(c->ev);
    conn_out_reset(c);
    conn_drop_store(c);
    if (c->kind != CONN_UDP) {
        if (conn_verbose(c) > 1)
            fprintf(stderr, "<%d connection closed.\n", c->fd);
        worker_conn_unlink(c->w, c); /* first: stats conns reads the fd */
        if (logger_watching(LOGGER_CONNEVENTS | LOGGER_HANDOFF))
            logger_conn_closing(c); /* a watcher's socket goes on */
        close(c->fd);
        atomic_fetch_sub(&worker_server(c->w)->conns.curr, 1);
    }
    conn_free(c);
}

/* ---- reply queue --------------------------------------------------------- */

char *conn_out_space(conn *c, size_t need)
{
    if (c->tsize - c->tlen >= need)
        return c->tbuf + c->tlen;
    size_t size = c->tsize;
    while (size - c->tlen < need)
        size *= 2;
    char *grown = realloc(c->tbuf, size);
    if (grown == NULL)
        return NULL;
    c->tbuf = grown;
    worker_buffer_bytes_add(c->w, (int64_t)(size - c->tsize));
    c->tsize = size;
    return c->tbuf + c->tlen;
}

static bool conn_segs_reserve(conn *c)
{
    if (c->nsegs < c->segs_cap)
        return true;
    size_t cap = c->segs_cap ? c->segs_cap * 2 : 16;
    conn_seg *grown = realloc(c->segs, cap * sizeof *grown);
    if (grown == NULL)
        return false;
    c->segs = grown;
    worker_buffer_bytes_add(c->w, (int64_t)((cap - c->segs_cap) * sizeof *grown));
    c->segs_cap = cap;
    return true;
}

void conn_out_commit(conn *c, size_t n)
{
    if (n == 0)
        return;
    conn_seg *last = c->nsegs > c->seg_head ? &c->segs[c->nsegs - 1] : NULL;
    if (last != NULL && last->ptr == NULL && last->item == NULL &&
        last->off + last->len == c->tlen) {
        last->len += n;
    } else {
        if (!conn_segs_reserve(c)) {
            c->close_after = true; /* out of memory: give up on this client */
            return;
        }
        c->segs[c->nsegs++] = (conn_seg){NULL, c->tlen, n, NULL};
    }
    c->tlen += n;
    c->out_pending += n;
}

/*
 * Small values are copied next to their header line: one memcpy is cheaper
 * than a segment, an iovec in sendmsg and holding the item until written,
 * and a batch of small replies then leaves in a single iovec. Not when an
 * earlier span of the same item was queued by reference (release NULL):
 * the item must stay held until that span is written.
 */
static bool conn_out_copy(conn *c, const char *ptr, size_t len,
                          cache_item *release)
{
    if (len > CONN_COPY_MAX || c->unheld_refs)
        return false;
    char *p = conn_out_space(c, len);
    if (p == NULL)
        return false;
    memcpy(p, ptr, len);
    conn_out_commit(c, len);
    if (release != NULL)
        cache_release(c->ct, release);
    return true;
}

bool conn_out_ref(conn *c, const char *ptr, size_t len, cache_item *release)
{
    if (conn_out_copy(c, ptr, len, release))
        return true;
    c->unheld_refs = release == NULL;
    if (!conn_segs_reserve(c)) {
        if (release != NULL)
            cache_release(c->ct, release);
        c->close_after = true;
        return false;
    }
    c->segs[c->nsegs++] = (conn_seg){ptr, 0, len, release};
    c->out_pending += len;
    return true;
}

void conn_out_reply(conn *c, text_reply r)
{
    size_t len = text_reply_len(r);
    char *p = conn_out_space(c, len);
    if (p != NULL && len > 0) {
        memcpy(p, text_reply_str(r), len);
        conn_out_commit(c, len);
    }
}

void conn_out_value_tail(conn *c, cache_item *it)
{
    size_t spans = cache_item_span_count(it);
    for (size_t i = 0; i < spans; i++) {
        cache_span s = cache_item_span(it, i);
        if (!conn_out_ref(c, s.data, s.len, i + 1 == spans ? it : NULL))
            return; /* out of memory: it was released, conn closes */
    }
    if (spans == 0)
        cache_release(c->ct, it);
    char *end = conn_out_space(c, TEXT_CRLF_LEN);
    if (end == NULL) {
        c->close_after = true;
        return;
    }
    memcpy(end, text_crlf(), TEXT_CRLF_LEN);
    conn_out_commit(c, TEXT_CRLF_LEN);
}

/* After everything was written: reuse the buffers from the start. */
static void conn_out_rewind(conn *c)
{
    c->nsegs = c->seg_head = c->head_off = 0;
    c->tlen = 0;
    if (c->tsize > CONN_TBUF_KEEP) {
        char *small = realloc(c->tbuf, CONN_TBUF_INIT);
        if (small != NULL) {
            c->tbuf = small;
            worker_buffer_bytes_add(c->w, -(int64_t)(c->tsize - CONN_TBUF_INIT));
            c->tsize = CONN_TBUF_INIT;
        }
    }
}

/* ---- writing ------------------------------------------------------------- */

typedef enum conn_io {
    CONN_IO_DONE,  /* nothing left to write / progress made */
    CONN_IO_FULL,  /* a read filled all the room: more input may be waiting */
    CONN_IO_AGAIN, /* the socket is full (or empty, for reads) */
    CONN_IO_ERROR  /* the connection is broken: close it */
} conn_io;

/* Fills iov from the queued segments; returns their count, *bytes their total. */
static int conn_fill_iov(conn *c, struct iovec *iov, size_t *bytes)
{
    int n = 0;
    size_t total = 0;
    for (size_t i = c->seg_head; i < c->nsegs && n < CONN_IOV_MAX; i++, n++) {
        const conn_seg *s = &c->segs[i];
        const char *base = s->ptr != NULL ? s->ptr : c->tbuf + s->off;
        size_t skip = i == c->seg_head ? c->head_off : 0;
        iov[n].iov_base = (void *)(base + skip);
        iov[n].iov_len = s->len - skip;
        total += s->len - skip;
    }
    *bytes = total;
    return n;
}

/* Marks `written` bytes as sent, releasing items whose bytes all left. */
static void conn_advance(conn *c, size_t written)
{
    cache_thread *ct = c->ct;
    c->out_pending -= written;
    while (written > 0 || (c->seg_head < c->nsegs &&
                           c->segs[c->seg_head].len == c->head_off)) {
        conn_seg *s = &c->segs[c->seg_head];
        size_t left = s->len - c->head_off;
        size_t step = written < left ? written : left;
        c->head_off += step;
        written -= step;
        if (c->head_off < s->len)
            break;
        if (s->item != NULL)
            cache_release(ct, s->item);
        s->item = NULL;
        c->seg_head++;
        c->head_off = 0;
        if (c->seg_head == c->nsegs)
            break;
    }
    if (c->seg_head == c->nsegs)
        conn_out_rewind(c);
}

/*
 * The socket calls go through syscall(2) rather than libc's read/send:
 * those are pthread cancellation points and switch asynchronous
 * cancellation on and off around every call (about 70 instructions per
 * request here), and cashew never cancels a thread. Same results, errno
 * included.
 */
static ssize_t conn_sys_read(int fd, void *buf, size_t len)
{
    return syscall(SYS_read, fd, buf, len);
}

/* One contiguous run goes out with send (cheaper in the kernel than sendmsg). */
static ssize_t conn_send_iov(int fd, struct iovec *iov, int n)
{
    if (n == 1)
        return syscall(SYS_sendto, fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL,
                       NULL, 0);
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)n;
    return syscall(SYS_sendmsg, fd, &msg, MSG_NOSIGNAL);
}

/*
 * Writes queued replies until done or the socket is full. A short write
 * means the socket buffer is full: stop there instead of calling again
 * only to get EAGAIN.
 */
static conn_io conn_flush(conn *c)
{
    struct iovec iov[CONN_IOV_MAX];
    while (c->seg_head < c->nsegs) {
        size_t bytes;
        int niov = conn_fill_iov(c, iov, &bytes);
        ssize_t n = conn_send_iov(c->fd, iov, niov);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return CONN_IO_AGAIN;
            return CONN_IO_ERROR;
        }
        stats_bump(&c->st->bytes_written, (uint64_t)n);
        conn_advance(c, (size_t)n);
        c->last_active = server_real_now(); /* a slow reader is not idle */
        if ((size_t)n < bytes)
            return CONN_IO_AGAIN;
    }
    return CONN_IO_DONE;
}

/* ---- reading ------------------------------------------------------------- */

/* The pooled read buffer size this conn's recent reads call for. */
static size_t conn_rbuf_want(const conn *c)
{
    return c->rbuf_bulk ? CONN_RBUF_BULK : CONN_RBUF_INIT;
}

/*
 * Moves unparsed input from a CONN_RBUF_INIT buffer into a CONN_RBUF_BULK
 * one; without memory for it, stays with the small buffer.
 */
static void conn_rbuf_to_bulk(conn *c)
{
    char *bulk = worker_rbuf_get(c->w, CONN_RBUF_BULK);
    if (bulk == NULL) {
        c->rbuf_bulk = false;
        return;
    }
    size_t left = c->rend - c->rstart;
    memcpy(bulk, c->rbuf + c->rstart, left);
    worker_rbuf_put(c->w, c->rbuf, c->rsize);
    c->rbuf = bulk;
    c->rsize = CONN_RBUF_BULK;
    c->rstart = 0;
    c->rend = left;
}

/*
 * Makes room at rbuf's end: takes a pooled buffer of the size recent reads
 * call for, moves to a bulk one, compacts, or grows it (a huge line).
 */
static bool conn_rbuf_prepare(conn *c)
{
    if (c->rbuf != NULL && c->rstart == c->rend && c->rsize != conn_rbuf_want(c))
        conn_rbuf_release(c); /* shrink back after a huge line or a burst */
    if (c->rbuf == NULL) {
        c->rsize = conn_rbuf_want(c);
        c->rbuf = worker_rbuf_get(c->w, c->rsize);
        if (c->rbuf == NULL && c->rsize == CONN_RBUF_BULK) {
            c->rbuf_bulk = false; /* no memory for a big one: a small one will do */
            c->rsize = CONN_RBUF_INIT;
            c->rbuf = worker_rbuf_get(c->w, c->rsize);
        }
        if (c->rbuf == NULL)
            return false;
        c->rstart = c->rend = 0;
    }
    if (c->rstart == c->rend)
        c->rstart = c->rend = 0;
    if (c->rbuf_bulk && c->rsize == CONN_RBUF_INIT)
        conn_rbuf_to_bulk(c);
    if (c->rend < c->rsize)
        return true;
    if (c->rstart > 0) {
        memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
        c->rend -= c->rstart;
        c->rstart = 0;
        return true;
    }
    char *grown = realloc(c->rbuf, c->rsize * 2);
    if (grown == NULL)
        return false;
    c->rbuf = grown;
    worker_buffer_bytes_add(c->w, (int64_t)c->rsize);
    c->rsize *= 2;
    return true;
}

/*
 * A read that fills a CONN_RBUF_INIT buffer means the client sends bursts
 * larger than it: the next reads use CONN_RBUF_BULK (a quarter as many
 * read and send calls for pipelined large sets); reads that bring little
 * go back to the small size.
 */
static void conn_rbuf_note_read(conn *c, size_t n, size_t room)
{
    if (n == room && c->rsize == CONN_RBUF_INIT)
        c->rbuf_bulk = true;
    else if (n < CONN_RBUF_INIT / 4)
        c->rbuf_bulk = false;
}

static conn_io conn_read(conn *c)
{
    if (!conn_rbuf_prepare(c))
        return CONN_IO_ERROR;
    for (;;) {
        size_t room = c->rsize - c->rend;
        ssize_t n = conn_sys_read(c->fd, c->rbuf + c->rend, room);
        if (n > 0) {
            conn_rbuf_note_read(c, (size_t)n, room);
            c->rend += (size_t)n;
            c->last_active = server_real_now();
            stats_bump(&c->st->bytes_read, (uint64_t)n);
            return (size_t)n == room ? CONN_IO_FULL : CONN_IO_DONE;
        }
        if (n == 0) {
            c->eof = true;
            return CONN_IO_DONE;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return CONN_IO_AGAIN;
        return CONN_IO_ERROR;
    }
}

/* ---- stepping through the input ------------------------------------------ */

typedef enum conn_step_result {
    CONN_STEP_RAN,       /* consumed input (a command may have completed) */
    CONN_STEP_NEED_MORE, /* nothing complete in rbuf */
    CONN_STEP_STOP       /* close requested */
} conn_step_result;

static void conn_begin_value(conn *c, const text_request *req)
{
    cache_item *it = process_store_begin(c, req);
    if (it == NULL) {
        c->swallow = req->nbytes + 2;
        conn_set_state(c, CONN_SWALLOW);
        return;
    }
    c->store = (conn_store){it, req->cmd, req->cas, req->noreply,
                            (size_t)req->nbytes, 0, {0, 0}, 0};
    conn_set_state(c, CONN_READ_VALUE);
}

/* -vv: echoes a command line (without its terminator) on stderr. */
static void conn_print_line(const conn *c, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > 200)
        len = 200;
    fprintf(stderr, "<%d %.*s\n", c->fd, (int)len, line);
}

/* conn_echo_reply's printing, out of the hot path. */
__attribute__((noinline)) static void conn_echo_reply_print(const conn *c, size_t mark)
{
    const char *p = c->tbuf + mark;
    const char *nl = memchr(p, '\n', c->tlen - mark);
    size_t len = nl != NULL ? (size_t)(nl - p) + 1 : c->tlen - mark;
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    fprintf(stderr, ">%d %.*s\n", c->fd, (int)(len > 200 ? 200 : len), p);
}

/* -vv: echoes the first line of the replies composed since `mark`. */
static inline void conn_echo_reply(const conn *c, size_t mark)
{
    if (__builtin_expect(conn_verbose(c) >= 2, 0) && c->tlen > mark)
        conn_echo_reply_print(c, mark);
}

static conn_step_result conn_step_value(conn *c);

/*
 * After a command line: a data block that follows is taken at once, under
 * the checks conn_drive would make before its next step (the per-event cap
 * only counts command lines), saving that trip through it.
 */
static conn_step_result conn_step_after_line(conn *c)
{
    if (c->close_after)
        return CONN_STEP_STOP;
    if (c->state == CONN_READ_VALUE && c->out_pending <= CONN_OUT_HIGH)
        return conn_step_value(c);
    return CONN_STEP_RAN;
}

static conn_step_result conn_step_command(conn *c)
{
    if (c->rstart == c->rend)
        return CONN_STEP_NEED_MORE; /* nothing buffered: skip the parser */
    size_t mark = c->tlen;
    const char *line = c->rbuf + c->rstart;
    text_status st = text_parse(line, c->rend - c->rstart, &c->req);
    if (st == TEXT_EAGAIN)
        return CONN_STEP_NEED_MORE;
    if (st == TEXT_TOO_LONG) {
        if (conn_verbose(c) > 0)
            fprintf(stderr, "<%d line too long, closing\n", c->fd);
        c->close_after = true;
        return CONN_STEP_STOP;
    }
    if (conn_verbose(c) > 1)
        conn_print_line(c, line, c->req.line_len);
    c->reqs_this_event++;
    conn_note_command(c);
    process_observe_begin(c);
    if (c->req.meta != TEXT_META_NONE) { /* meta protocol: process_meta.h */
        process_meta(c, line, c->req.line_len);
        process_observe_command_done(c);
        conn_echo_reply(c, mark);
        c->rstart += c->req.line_len;
        return conn_step_after_line(c);
    }
    if (st != TEXT_OK) {
        c->rstart += c->req.line_len;
        process_parse_error(c, &c->req);
        process_observe_command_done(c);
        conn_echo_reply(c, mark);
        c->swallow = c->req.swallow;
        conn_set_state(c, c->swallow > 0 ? CONN_SWALLOW : CONN_READ_CMD);
        return CONN_STEP_RAN;
    }
    /* Views in c->req point into rbuf: run the command before any compaction. */
    if (text_cmd_has_data(c->req.cmd)) {
        conn_begin_value(c, &c->req);
    } else {
        process_command(c, &c->req);
        c->swallow = c->req.swallow; /* a stubbed command's data block */
        if (c->swallow > 0)
            conn_set_state(c, CONN_SWALLOW);
    }
    process_observe_command_done(c);
    conn_echo_reply(c, mark);
    c->rstart += c->req.line_len;
    return conn_step_after_line(c);
}

/*
 * Copies len bytes of the data block into the unstored item (nbytes bound
 * them): straight into its value when that is one chunk, the usual case.
 */
static void conn_fill_item(conn_store *s, const char *src, size_t len)
{
    char *value = cache_item_value_to_fill(s->item);
    if (value != NULL)
        memcpy(value + s->done, src, len);
    else
        cache_item_write(s->item, s->done, src, len);
    s->done += len;
}

static conn_step_result conn_step_value(conn *c)
{
    conn_store *s = &c->store;
    size_t avail = c->rend - c->rstart;
    if (avail == 0)
        return CONN_STEP_NEED_MORE;
    size_t take = s->nbytes - s->done;
    take = take < avail ? take : avail;
    if (take > 0) {
        conn_fill_item(s, c->rbuf + c->rstart, take);
        c->rstart += take;
        avail -= take;
    }
    if (s->done == s->nbytes && s->ntail == 0 && avail >= 2) { /* the usual case */
        memcpy(s->tail, c->rbuf + c->rstart, 2);
        s->ntail = 2;
        c->rstart += 2;
        avail -= 2;
    }
    while (s->done == s->nbytes && s->ntail < 2 && avail > 0) {
        s->tail[s->ntail++] = c->rbuf[c->rstart++];
        avail--;
    }
    if (s->ntail < 2)
        return avail == 0 ? CONN_STEP_NEED_MORE : CONN_STEP_RAN;
    cache_item *it = s->item;
    size_t mark = c->tlen;
    s->item = NULL;
    conn_set_state(c, CONN_READ_CMD);
    process_store_finish(c, s, it, text_data_block_ok(s->tail, 0));
    process_observe_store_done(c);
    conn_echo_reply(c, mark);
    return CONN_STEP_RAN;
}

static conn_step_result conn_step_swallow(conn *c)
{
    size_t avail = c->rend - c->rstart;
    if (avail == 0)
        return CONN_STEP_NEED_MORE;
    size_t take = c->swallow < avail ? (size_t)c->swallow : avail;
    c->rstart += take;
    c->swallow -= take;
    if (c->swallow == 0)
        conn_set_state(c, CONN_READ_CMD);
    return CONN_STEP_RAN;
}

static conn_step_result conn_step(conn *c)
{
    if (c->rbuf == NULL)
        return c->state == CONN_CLOSING ? CONN_STEP_STOP : CONN_STEP_NEED_MORE;
    switch (c->state) {
    case CONN_READ_CMD:
        return conn_step_command(c);
    case CONN_READ_VALUE:
        return conn_step_value(c);
    case CONN_SWALLOW:
        return conn_step_swallow(c);
    case CONN_CLOSING:
        break;
    }
    return CONN_STEP_STOP;
}

unsigned conn_drive(conn *c, bool ignore_cap)
{
    unsigned cap = c->srv->opts->reqs_per_event;
    unsigned before = c->reqs_this_event;
    c->yielded = false;
    while (!c->close_after && c->out_pending <= CONN_OUT_HIGH) {
        if (!ignore_cap && cap > 0 && c->reqs_this_event >= cap &&
            c->state == CONN_READ_CMD) {
            if (c->rstart < c->rend) {
                c->yielded = true;
                stats_bump(&c->st->conn_yields, 1);
            }
            break;
        }
        if (conn_step(c) != CONN_STEP_RAN)
            break;
    }
    /* Stopped by backpressure with input left: resume once replies drain. */
    c->blocked = !c->close_after && c->out_pending > CONN_OUT_HIGH &&
                 c->rstart < c->rend;
    return c->reqs_this_event - before;
}

/* ---- events -------------------------------------------------------------- */

static bool conn_wants_read(const conn *c)
{
    return !c->eof && !c->close_after && c->state != CONN_CLOSING &&
           !worker_stopping(c->w) && c->out_pending <= CONN_OUT_HIGH;
}

/*
 * A conn that yielded (-R) with only a little output queued keeps it until
 * it has run the rest of its input: a pipelining client then gets its
 * replies in one send per read instead of one per -R requests. Everything
 * is flushed when the conn stops yielding or the queue reaches
 * CONN_OUT_BATCH bytes.
 */
static bool conn_replies_held(const conn *c)
{
    return c->yielded && c->out_pending < CONN_OUT_BATCH;
}

/* True if buffered requests can run now (yield, or backpressure lifted). */
static bool conn_has_runnable_input(const conn *c)
{
    return c->yielded || (c->blocked && c->out_pending <= CONN_OUT_HIGH);
}

/*
 * Re-registers the event for what the conn waits for now. Runnable input
 * (a yield, or backpressure lifted) with nothing left to write goes on the
 * worker's resume list: the conn runs again once the worker has polled
 * for the others (as memcached's yield does), at no system call of its
 * own (toggling EV_WRITE would cost two epoll_ctl); if the list is full,
 * event_active runs it again in this loop pass. With replies still queued
 * it waits for EV_WRITE. False: close it.
 */
static bool conn_update_events(conn *c)
{
    short flags = EV_PERSIST;
    if (conn_wants_read(c))
        flags |= EV_READ;
    bool runnable = conn_has_runnable_input(c);
    bool held = conn_replies_held(c);
    bool resume = runnable && (c->out_pending == 0 || held) && (flags & EV_READ);
    if ((c->out_pending > 0 && !held) || (runnable && !resume))
        flags |= EV_WRITE;
    if ((flags & (EV_READ | EV_WRITE)) == 0)
        return false; /* nothing to wait for: done with this client */
    if (flags != c->ev_flags) {
        event_del(c->ev);
        event_assign(c->ev, worker_base(c->w), c->fd, flags, conn_on_event, c);
        if (event_add(c->ev, NULL) != 0)
            return false;
        c->ev_flags = flags;
    }
    if (resume && c->listed == CONN_LISTED_NONE && !worker_resume_later(c->w, c))
        event_active(c->ev, EV_WRITE, 0);
    return true;
}

/*
 * Reads and runs requests; reads again (up to CONN_BULK_READS times) only
 * while a read filled all the room it had, since a short read means the
 * socket is drained: no read ends in EAGAIN in the common case, and a
 * burst of pipelined requests needs no extra trip through epoll.
 */
static conn_io conn_on_read(conn *c, conn_io io)
{
    for (unsigned i = 1;; i++) {
        if (io == CONN_IO_ERROR)
            return io;
        conn_drive(c, c->eof);
        if (io != CONN_IO_FULL || c->eof || c->yielded || c->close_after ||
            c->out_pending > CONN_OUT_HIGH || i >= CONN_BULK_READS)
            break;
        io = conn_read(c);
    }
    return CONN_IO_DONE;
}

static conn_io conn_on_readable(conn *c)
{
    return conn_on_read(c, conn_read(c));
}

static void conn_finish_event(conn *c)
{
    if (c->out_pending > 0 && !conn_replies_held(c) && conn_flush(c) == CONN_IO_ERROR) {
        conn_destroy(c);
        return;
    }
    if (!conn_update_events(c)) {
        conn_destroy(c);
        return;
    }
    if (c->rstart == c->rend)
        conn_rbuf_release(c); /* idle: keep no read buffer */
}

/*
 * The first key of the command line at rbuf[rstart..rend): the second
 * token, if the line is complete that far. Only a prefetch hint: it is
 * not checked against the command.
 */
static bool conn_first_key(const conn *c, const char **key, size_t *nkey)
{
    const char *sp = c->rbuf + c->rstart, *end = c->rbuf + c->rend;
    while (sp < end && *sp != ' ' && *sp != '\n') /* the command word */
        sp++;
    if (sp == end || *sp != ' ')
        return false;
    const char *k = sp + 1, *e = k;
    while (e < end && *e != ' ' && *e != '\r' && *e != '\n')
        e++;
    if (e == end || e == k || e - k > TEXT_KEY_MAX)
        return false;
    *key = k;
    *nkey = (size_t)(e - k);
    return true;
}

/*
 * The common event: a waiting conn became readable. Reads; if that gave a
 * request with a key, the conn defers running it to the end of the batch
 * (worker_defer) and starts loading the key's bucket, so the misses of the
 * lookup overlap the other conns' reads. Anything else runs now. False if
 * this is not that event (nothing done).
 */
static bool conn_read_or_defer(conn *c, short what)
{
    if (!(what & EV_READ) || (what & EV_WRITE) || c->kind == CONN_UDP ||
        c->out_pending > 0 || c->yielded || c->blocked || c->rstart != c->rend ||
        c->state != CONN_READ_CMD || !conn_wants_read(c))
        return false;
    conn_io io = conn_read(c);
    if (io == CONN_IO_DONE && !c->eof && conn_first_key(c, &c->defer_key, &c->defer_nkey) &&
        worker_defer(c->w, c)) {
        c->defer_hv = cache_key_hash(c->defer_key, c->defer_nkey);
        cache_prefetch_bucket(worker_cache(c->w), c->defer_hv);
        return true;
    }
    if (conn_on_read(c, io) == CONN_IO_ERROR)
        conn_destroy(c);
    else
        conn_finish_event(c);
    return true;
}

void conn_prefetch_chain(conn *c)
{
    cache_prefetch_chain(worker_cache(c->w), c->defer_hv);
}

void conn_prefetch_item(conn *c)
{
    cache_prefetch_item(worker_cache(c->w), c->defer_hv, c->defer_key, c->defer_nkey);
}

void conn_run_deferred(conn *c)
{
    conn_drive(c, false);
    conn_finish_event(c);
}

/*
 * A conn's turn with input left in rbuf (a yield, or backpressure just
 * lifted): flushes what is due and runs more requests. False if c was
 * destroyed.
 */
static bool conn_continue(conn *c)
{
    if (c->out_pending > 0 && !conn_replies_held(c) && conn_flush(c) == CONN_IO_ERROR) {
        conn_destroy(c);
        return false;
    }
    if (c->out_pending <= CONN_OUT_HIGH) {
        if (c->rstart < c->rend)
            conn_drive(c, c->eof || worker_stopping(c->w));
        else
            c->yielded = c->blocked = false; /* what conn_drive finds with no input */
    }
    return true;
}

void conn_run_resumed(conn *c)
{
    c->reqs_this_event = 0;
    worker_note_event(c->w);
    if (conn_continue(c))
        conn_finish_event(c);
}

static void conn_on_event(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    (void)fd;
    if (c->listed != CONN_LISTED_NONE)
        return; /* it runs from the worker's list; a level-triggered event comes back */
    c->reqs_this_event = 0;
    worker_note_event(c->w);
    if (conn_read_or_defer(c, what))
        return;
    if (!conn_continue(c))
        return;
    if ((what & EV_READ) && !c->yielded && conn_wants_read(c) &&
        conn_on_readable(c) == CONN_IO_ERROR) {
        conn_destroy(c);
        return;
    }
    conn_finish_event(c);
}

void conn_stop(conn *c)
{
    worker_unlist(c->w, c); /* it runs now, with the rest */
    if (c->state == CONN_READ_VALUE || c->state == CONN_SWALLOW)
        c->close_after = true; /* a half-received value is not in flight */
    conn_drive(c, true);
    if (c->out_pending > 0 && conn_flush(c) == CONN_IO_ERROR) {
        conn_destroy(c);
        return;
    }
    if (!conn_update_events(c))
        conn_destroy(c);
}

/*
 * Idle means waiting for a command with nothing queued either way, as in
 * memcached: a client paused inside a data block, or one with replies or
 * requests still queued (a slow reader), is not idle.
 */
void conn_check_idle(conn *c, int64_t now, unsigned timeout)
{
    if (c->kind == CONN_UDP || c->state != CONN_READ_CMD || c->out_pending > 0 ||
        c->blocked || c->yielded)
        return;
    if (now - c->last_active <= (int64_t)timeout)
        return;
    if (conn_verbose(c) > 0)
        fprintf(stderr, "<%d idle timeout, closing\n", c->fd);
    stats_bump(&c->st->idle_kicks, 1);
    conn_destroy(c);
}
