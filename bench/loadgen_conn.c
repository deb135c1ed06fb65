/*
 * bench/loadgen_conn.c -- one load generator connection: compose requests
 * into a write buffer (one write() per batch), parse and check the replies
 * in order, record latencies. See loadgen.h for the threading rules.
 *
 * Requests are answered in order on a connection, so the slot ring's head
 * is always the request the next reply belongs to. A get's VALUEs must come
 * in the order of its keys (misses skipped), each with a value that passes
 * value_verify and carries a version already issued for its key; anything
 * else fails the run.
 */
#include "bench/loadgen.h"

#include <errno.h>
#include <sched.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LOADGEN_RBUF_MIN (64u * 1024u)

static void loadgen_conn_on_read(evutil_socket_t fd, short what, void *arg);
static void loadgen_conn_on_write(evutil_socket_t fd, short what, void *arg);

static int loadgen_conn_connect(loadgen_run *r)
{
    const struct addrinfo *a = r->addr;
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol), one = 1;
    if (fd < 0)
        return -1;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one); /* reply arrival times */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static bool loadgen_conn_alloc(loadgen_conn *c, const loadgen_run *r)
{
    unsigned depth = r->o.depth, mg = r->o.multiget;
    c->wcap = (size_t)depth * r->max_request;
    c->rcap = LOADGEN_RBUF_MIN > 2 * (r->o.vmax + 512) ? LOADGEN_RBUF_MIN : 2 * (r->o.vmax + 512);
    c->refill_cap = depth * mg + 1;
    c->wbuf = malloc(c->wcap);
    c->rbuf = malloc(c->rcap);
    c->slots = calloc(depth, sizeof *c->slots);
    c->slot_keys = calloc((size_t)depth * mg, sizeof *c->slot_keys);
    c->refill = calloc(c->refill_cap, sizeof *c->refill);
    c->keytext = malloc((size_t)mg * r->key_max);
    c->keyviews = calloc(mg, sizeof *c->keyviews);
    if (!c->wbuf || !c->rbuf || !c->slots || !c->slot_keys || !c->refill || !c->keytext ||
        !c->keyviews)
        return false;
    for (unsigned i = 0; i < depth; i++)
        c->slots[i].keys = c->slot_keys + (size_t)i * mg;
    return true;
}

bool loadgen_conn_open(loadgen_conn *c, loadgen_thread *th, int index)
{
    loadgen_run *r = th->run;
    memset(c, 0, sizeof *c);
    c->th = th;
    c->fd = -1;
    uint64_t conn_no = (uint64_t)th->id * (uint64_t)r->o.conns + (uint64_t)index;
    uint64_t nconn = (uint64_t)r->o.threads * (uint64_t)r->o.conns;
    keydist_cursor_init(&c->cur, conn_no + 1, conn_no, nconn);
    if (!loadgen_conn_alloc(c, r)) {
        loadgen_fail(r, "out of memory for connection buffers");
        return false;
    }
    c->fd = loadgen_conn_connect(r);
    if (c->fd < 0) {
        loadgen_fail(r, "connect to %s:%s: %s", r->o.host, r->o.port, strerror(errno));
        return false;
    }
    c->rev = event_new(th->base, c->fd, EV_READ | EV_PERSIST, loadgen_conn_on_read, c);
    c->wev = event_new(th->base, c->fd, EV_WRITE, loadgen_conn_on_write, c);
    if (!c->rev || !c->wev || event_add(c->rev, NULL) != 0) {
        loadgen_fail(r, "cannot register connection events");
        return false;
    }
    return true;
}

void loadgen_conn_close(loadgen_conn *c)
{
    if (c->rev)
        event_free(c->rev);
    if (c->wev)
        event_free(c->wev);
    if (c->fd >= 0)
        close(c->fd);
    free(c->wbuf);
    free(c->rbuf);
    free(c->slots);
    free(c->slot_keys);
    free(c->refill);
    free(c->keytext);
    free(c->keyviews);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* ---- sending ---------------------------------------------------------- */

static loadgen_slot *loadgen_conn_push(loadgen_conn *c, bool is_get, uint64_t now)
{
    const loadgen_run *r = c->th->run;
    loadgen_slot *s = &c->slots[(c->head + c->inflight) % r->o.depth];
    c->inflight++;
    s->sent_ns = now;
    s->is_get = is_get;
    s->next = 0;
    s->fill = false;
    s->counted = !c->th->populating && atomic_load_explicit(&r->counting, memory_order_relaxed);
    return s;
}

/* Appends "set <key> <flags> 0 <n>\r\n<value>\r\n" with a fresh version. */
static bool loadgen_conn_send_set(loadgen_conn *c, uint64_t key, uint64_t now, bool fill)
{
    loadgen_run *r = c->th->run;
    uint32_t version = atomic_fetch_add_explicit(&r->versions[key], 1, memory_order_acq_rel) + 1;
    size_t size = value_size(&r->values, key, version);
    text_request q = { .cmd = TEXT_CMD_SET, .flags = value_flags(key, version), .nbytes = size };
    q.key.ptr = c->keytext;
    q.key.len = loadgen_key_text(r, c->keytext, key);
    char *dst = c->wbuf + c->wlen;
    size_t n = r->o.meta ? loadgen_meta_set_line(dst, c->wcap - c->wlen, q.key, q.flags, size)
                         : text_compose_request(dst, c->wcap - c->wlen, &q);
    if (n == 0 || c->wcap - c->wlen < n + size + TEXT_CRLF_LEN) {
        loadgen_fail(r, "internal: set request does not fit the write buffer");
        return false;
    }
    value_write(&r->values, dst + n, key, version);
    memcpy(dst + n + size, text_crlf(), TEXT_CRLF_LEN);
    c->wlen += n + size + TEXT_CRLF_LEN;
    loadgen_slot *s = loadgen_conn_push(c, false, now);
    s->keys[0] = key;
    s->nkeys = 1;
    s->fill = fill;
    return true;
}

/* Composes (does not append) the meta form of a get of c->keyviews[0..n):
 * one "mg", or n quiet "mg" and an "mn". Returns the bytes, 0 if too long. */
static size_t loadgen_conn_meta_gets(loadgen_conn *c, uint32_t n)
{
    char *dst = c->wbuf + c->wlen;
    size_t cap = c->wcap - c->wlen, used = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t k = loadgen_meta_get_line(dst + used, cap - used, c->keyviews[i], n > 1);
        if (k == 0)
            return 0;
        used += k;
    }
    if (n > 1) {
        size_t k = loadgen_meta_noop_line(dst + used, cap - used);
        used = k ? used + k : 0;
    }
    return used;
}

/* Appends "get k1 k2 ...\r\n" (or its meta form) with keys drawn from the
 * distribution. */
static bool loadgen_conn_send_get(loadgen_conn *c, uint64_t now)
{
    loadgen_run *r = c->th->run;
    loadgen_slot *s = loadgen_conn_push(c, true, now);
    s->nkeys = r->o.multiget;
    for (uint32_t i = 0; i < s->nkeys; i++) {
        s->keys[i] = keydist_next(&r->dist, &c->cur);
        char *text = c->keytext + (size_t)i * r->key_max;
        c->keyviews[i].ptr = text;
        c->keyviews[i].len = loadgen_key_text(r, text, s->keys[i]);
    }
    size_t n = r->o.meta ? loadgen_conn_meta_gets(c, s->nkeys)
                         : text_compose_get(c->wbuf + c->wlen, c->wcap - c->wlen, TEXT_CMD_GET,
                                            c->keyviews, s->nkeys);
    if (n == 0) {
        loadgen_fail(r, "internal: get request does not fit the write buffer");
        return false;
    }
    c->wlen += n;
    return true;
}

/* The next populate key, or false when all keys are claimed. */
static bool loadgen_conn_populate_key(loadgen_run *r, uint64_t *key)
{
    *key = atomic_fetch_add_explicit(&r->populate_next, 1, memory_order_relaxed);
    return *key < r->o.nkeys;
}

/* Composes one more request; false if there is nothing more to send now. */
static bool loadgen_conn_send_next(loadgen_conn *c, uint64_t now)
{
    loadgen_thread *th = c->th;
    loadgen_run *r = th->run;
    uint64_t key;
    if (atomic_load_explicit(&r->stop, memory_order_relaxed))
        return false;
    if (th->populating)
        return loadgen_conn_populate_key(r, &key) && loadgen_conn_send_set(c, key, now, false);
    if (r->o.count) {
        if (th->budget == 0)
            return false;
        th->budget--;
    }
    if (c->refill_count > 0) {
        key = c->refill[c->refill_head];
        c->refill_head = (c->refill_head + 1) % c->refill_cap;
        c->refill_count--;
        return loadgen_conn_send_set(c, key, now, true);
    }
    unsigned mix = r->o.set_ratio + r->o.get_ratio;
    if (!r->o.cache_aside && keydist_random(&c->cur) % mix < r->o.set_ratio)
        return loadgen_conn_send_set(c, keydist_next(&r->dist, &c->cur), now, false);
    return loadgen_conn_send_get(c, now);
}

static bool loadgen_conn_flush(loadgen_conn *c)
{
    while (c->wpos < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->wpos, c->wlen - c->wpos);
        if (n > 0) {
            c->wpos += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(c->wev, NULL);
            return true;
        } else {
            loadgen_fail(c->th->run, "write: %s", n < 0 ? strerror(errno) : "0 bytes");
            return false;
        }
    }
    c->wpos = c->wlen = 0;
    return true;
}

static void loadgen_conn_mark_idle(loadgen_conn *c)
{
    if (c->inflight == 0 && !c->idle) {
        c->idle = true;
        if (++c->th->idle == c->th->run->o.conns)
            event_base_loopbreak(c->th->base);
    }
}

void loadgen_conn_pump(loadgen_conn *c)
{
    const loadgen_run *r = c->th->run;
    if (c->wpos > 0) {
        memmove(c->wbuf, c->wbuf + c->wpos, c->wlen - c->wpos);
        c->wlen -= c->wpos;
        c->wpos = 0;
    }
    uint64_t now = loadgen_now_ns();
    while (c->inflight < r->o.depth && c->wcap - c->wlen >= r->max_request &&
           loadgen_conn_send_next(c, now))
        ;
    if (atomic_load_explicit(&r->failed, memory_order_relaxed)) {
        event_base_loopbreak(c->th->base);
        return;
    }
    if (c->wlen > c->wpos && !loadgen_conn_flush(c)) {
        event_base_loopbreak(c->th->base);
        return;
    }
    loadgen_conn_mark_idle(c);
}

static void loadgen_conn_on_write(evutil_socket_t fd, short what, void *arg)
{
    loadgen_conn *c = arg;
    (void)fd;
    (void)what;
    if (!loadgen_conn_flush(c))
        event_base_loopbreak(c->th->base);
}

/* ---- receiving -------------------------------------------------------- */

/* Formats a reply for an error message (at most 80 bytes of it). */
static void loadgen_reply_desc(const text_reply_msg *m, char *out, size_t cap)
{
    if (m->code < TEXT_REPLY__FIXED) {
        snprintf(out, cap, "%.*s", (int)(text_reply_len(m->code) - 2), text_reply_str(m->code));
        return;
    }
    const char *kind = m->code == TEXT_REPLY_VALUE ? "VALUE" : m->code == TEXT_REPLY_NUMBER ? "a number"
                     : m->code == TEXT_REPLY_STAT ? "STAT" : m->code == TEXT_REPLY_VERSION ? "VERSION"
                     : m->code == TEXT_REPLY_CLIENT_ERROR ? "CLIENT_ERROR"
                     : m->code == TEXT_REPLY_SERVER_ERROR ? "SERVER_ERROR" : "line";
    text_str t = m->code == TEXT_REPLY_VALUE ? m->key : m->text;
    int n = (int)(t.len > 80 ? 80 : t.len);
    snprintf(out, cap, "%s %.*s", kind, n, t.ptr ? t.ptr : "");
}

static void loadgen_conn_bad_reply(loadgen_conn *c, const char *expected, const text_reply_msg *m)
{
    char desc[128];
    loadgen_reply_desc(m, desc, sizeof desc);
    loadgen_fail(c->th->run, "expected %s, got \"%s\"", expected, desc);
}

/* The key number of a VALUE's key text (prefix + decimal), or false. */
static bool loadgen_key_number(const loadgen_run *r, text_str key, uint64_t *num)
{
    size_t plen = r->prefix_len;
    if (key.len <= plen || key.len > plen + 19 || memcmp(key.ptr, r->o.prefix, plen) != 0)
        return false;
    *num = 0;
    for (size_t i = plen; i < key.len; i++) {
        if (key.ptr[i] < '0' || key.ptr[i] > '9')
            return false;
        *num = *num * 10 + (uint64_t)(key.ptr[i] - '0');
    }
    return true;
}

static void loadgen_conn_queue_fill(loadgen_conn *c, uint64_t key)
{
    if (c->refill_count == c->refill_cap) {
        c->th->st.fills_dropped++;
        return;
    }
    c->refill[(c->refill_head + c->refill_count) % c->refill_cap] = key;
    c->refill_count++;
}

/* Keys keys[s->next .. upto) of a get were misses: refill them (cache-aside). */
static void loadgen_conn_misses(loadgen_conn *c, loadgen_slot *s, uint32_t upto)
{
    if (c->th->run->o.cache_aside)
        for (uint32_t i = s->next; i < upto; i++)
            loadgen_conn_queue_fill(c, s->keys[i]);
}

/* Checks one VALUE of the get in slot s. */
static bool loadgen_conn_value(loadgen_conn *c, loadgen_slot *s, const text_reply_msg *m)
{
    loadgen_run *r = c->th->run;
    if (s->counted)
        c->th->st.hits++;
    if (!r->o.verify)
        return true;
    uint64_t key;
    uint32_t j = s->next, version = 0;
    if (!loadgen_key_number(r, m->key, &key) || key >= r->o.nkeys) {
        loadgen_fail(r, "VALUE for a key never asked: \"%.*s\"", (int)m->key.len, m->key.ptr);
        return false;
    }
    while (j < s->nkeys && s->keys[j] != key)
        j++;
    if (j == s->nkeys) {
        loadgen_fail(r, "VALUE for key %llu not in the request (or out of order)",
                     (unsigned long long)key);
        return false;
    }
    loadgen_conn_misses(c, s, j);
    s->next = j + 1;
    value_check vc = value_verify(&r->values, key, m->flags, m->data.ptr, m->data.len, &version);
    uint32_t issued = atomic_load_explicit(&r->versions[key], memory_order_acquire);
    if (vc == VALUE_OK && (version == 0 || version > issued)) {
        loadgen_fail(r, "key %llu: version %u was never written (highest issued %u)",
                     (unsigned long long)key, version, issued);
        return false;
    }
    if (vc != VALUE_OK)
        loadgen_fail(r, "key %llu: %s", (unsigned long long)key, value_check_str(vc));
    return vc == VALUE_OK;
}

/* Handles one reply for slot s; *done when it completes the request. */
static bool loadgen_conn_reply(loadgen_conn *c, loadgen_slot *s, const text_reply_msg *m,
                               bool *done)
{
    *done = false;
    if (s->is_get) {
        if (m->code == TEXT_REPLY_VALUE) {
            /* a single non-quiet mg ends with its VA (EN on a miss) */
            *done = c->th->run->o.meta && s->nkeys == 1;
            return loadgen_conn_value(c, s, m);
        }
        if (m->code != TEXT_REPLY_END) {
            loadgen_conn_bad_reply(c, "VALUE or END", m);
            return false;
        }
        loadgen_conn_misses(c, s, s->nkeys);
        *done = true;
        return true;
    }
    *done = true;
    if (m->code == TEXT_REPLY_STORED)
        return true;
    if (m->code == TEXT_REPLY_SE_OOM_STORING || m->code == TEXT_REPLY_SE_OOM ||
        m->code == TEXT_REPLY_SERVER_ERROR) {
        c->th->st.set_fails++;
        return true;
    }
    loadgen_conn_bad_reply(c, "STORED", m);
    return false;
}

static void loadgen_conn_complete(loadgen_conn *c, loadgen_slot *s, uint64_t now,
                                  uint64_t arrived)
{
    loadgen_stats *st = &c->th->st;
    if (s->counted) {
        uint64_t lat = now > s->sent_ns ? now - s->sent_ns : 0;
        histo_add(&st->lat, lat);
        histo_add(&st->lat_arrival, arrived > s->sent_ns ? arrived - s->sent_ns : 0);
        if (s->is_get) {
            st->gets++;
            st->get_keys += s->nkeys;
            histo_add(&st->lat_get, lat);
        } else {
            st->sets++;
            st->fill_sets += s->fill;
            histo_add(&st->lat_set, lat);
        }
    }
    c->head = (c->head + 1) % c->th->run->o.depth;
    c->inflight--;
}

/*
 * Parses every complete reply in the read buffer. now: monotonic time of
 * the parse; arrived: when the kernel received the bytes last read.
 */
static bool loadgen_conn_parse(loadgen_conn *c, uint64_t now, uint64_t arrived)
{
    while (c->inflight > 0) {
        text_reply_msg m;
        text_status st = c->th->run->o.meta
                       ? loadgen_meta_parse_reply(c->rbuf + c->rpos, c->rlen - c->rpos, &m)
                       : text_parse_reply(c->rbuf + c->rpos, c->rlen - c->rpos, &m);
        if (st == TEXT_EAGAIN)
            break;
        if (st != TEXT_OK) {
            loadgen_fail(c->th->run, "malformed reply (bad VALUE header or data block)");
            return false;
        }
        loadgen_slot *s = &c->slots[c->head];
        bool done;
        if (!loadgen_conn_reply(c, s, &m, &done))
            return false;
        c->rpos += m.len;
        if (done)
            loadgen_conn_complete(c, s, now, arrived);
    }
    if (c->inflight == 0 && c->rpos < c->rlen) {
        loadgen_fail(c->th->run, "%zu bytes of reply with no request in flight",
                     c->rlen - c->rpos);
        return false;
    }
    return true;
}

/* Makes room at the end of rbuf: compacts, or grows for a big value. */
static bool loadgen_conn_rbuf_room(loadgen_conn *c)
{
    if (c->rpos == c->rlen) {
        c->rpos = c->rlen = 0;
    } else if (c->rcap - c->rlen < c->rcap / 4 && c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rlen < c->rcap)
        return true;
    char *bigger = realloc(c->rbuf, c->rcap * 2);
    if (bigger == NULL) {
        loadgen_fail(c->th->run, "out of memory for a reply");
        return false;
    }
    c->rbuf = bigger;
    c->rcap *= 2;
    return true;
}

static void loadgen_conn_publish(loadgen_thread *th)
{
    const loadgen_stats *st = &th->st;
    atomic_store_explicit(&th->prog_ops, st->gets + st->sets, memory_order_relaxed);
    atomic_store_explicit(&th->prog_keys, st->get_keys, memory_order_relaxed);
    atomic_store_explicit(&th->prog_hits, st->hits, memory_order_relaxed);
}

/* read(2) that also returns the kernel's receive time of the data (SO_TIMESTAMPNS). */
static ssize_t loadgen_conn_recv(int fd, char *buf, size_t len, struct timespec *rx)
{
    union {
        char space[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
                          .msg_controllen = sizeof ctl.space };
    ssize_t n = recvmsg(fd, &msg, 0);
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
            memcpy(rx, CMSG_DATA(cm), sizeof *rx);
    return n;
}

/*
 * The receive time rx (wall clock, from the kernel) on the monotonic clock
 * of sent_ns: now minus how long ago rx was. Without a timestamp: now.
 */
static uint64_t loadgen_conn_arrival(uint64_t now, const struct timespec *rx)
{
    if (rx->tv_sec == 0 && rx->tv_nsec == 0)
        return now;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t age = (int64_t)(wall.tv_sec - rx->tv_sec) * 1000000000 + (wall.tv_nsec - rx->tv_nsec);
    return age <= 0 ? now : (uint64_t)age > now ? 0 : now - (uint64_t)age;
}

static int64_t loadgen_conn_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Every 32 read events: a thread that was on its CPU for 90 % of the last
 * --yield-us or more yields it once. Without this, a thread that always
 * has replies to handle keeps its CPU for a whole scheduler tick (4 ms at
 * HZ=250) while a sibling thread's replies wait there, and the p99 measures
 * that wait instead of the server.
 */
static void loadgen_conn_note_event(loadgen_thread *th)
{
    if (++th->yield_events < 32)
        return;
    th->yield_events = 0;
    int64_t span = (int64_t)th->run->o.yield_us * 1000;
    int64_t wall = loadgen_conn_clock_ns(CLOCK_MONOTONIC);
    if (span == 0 || wall - th->yield_wall_ns < span)
        return;
    int64_t cpu = loadgen_conn_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    bool busy = (cpu - th->yield_cpu_ns) * 10 >= (wall - th->yield_wall_ns) * 9;
    th->yield_cpu_ns = cpu;
    th->yield_wall_ns = wall;
    if (busy)
        sched_yield();
}

static void loadgen_conn_on_read(evutil_socket_t fd, short what, void *arg)
{
    loadgen_conn *c = arg;
    (void)what;
    loadgen_conn_note_event(c->th);
    if (!loadgen_conn_rbuf_room(c))
        goto broken;
    struct timespec rx = { 0, 0 };
    ssize_t n = loadgen_conn_recv(fd, c->rbuf + c->rlen, c->rcap - c->rlen, &rx);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        loadgen_fail(c->th->run, "read: %s", n < 0 ? strerror(errno) : "server closed the connection");
        goto broken;
    }
    c->rlen += (size_t)n;
    uint32_t before = c->inflight;
    uint64_t now = loadgen_now_ns();
    if (!loadgen_conn_parse(c, now, loadgen_conn_arrival(now, &rx)))
        goto broken;
    if (c->inflight != before) {
        atomic_fetch_add_explicit(&c->th->prog_done, before - c->inflight, memory_order_relaxed);
        loadgen_conn_publish(c->th);
        loadgen_conn_pump(c);
    }
    return;
broken:
    event_base_loopbreak(c->th->base);
}
