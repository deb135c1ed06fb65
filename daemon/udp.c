/*
 * daemon/udp.c -- UDP datagrams in, framed reply datagrams out (see udp.h).
 */
#include "daemon/udp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "daemon/worker.h"

#define UDP_READS_PER_EVENT 16

static uint16_t udp_get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void udp_put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)(v & 0xff);
}

/* Copies up to `room` queued reply bytes from the cursor (seg, off) into dst. */
static size_t udp_gather(conn *c, size_t *seg, size_t *off, char *dst, size_t room)
{
    size_t n = 0;
    while (n < room && *seg < c->nsegs) {
        const conn_seg *s = &c->segs[*seg];
        const char *base = s->ptr != NULL ? s->ptr : c->tbuf + s->off;
        size_t take = s->len - *off;
        take = take < room - n ? take : room - n;
        memcpy(dst + n, base + *off, take);
        n += take;
        *off += take;
        if (*off == s->len) {
            (*seg)++;
            *off = 0;
        }
    }
    return n;
}

static void udp_send_replies(conn *c)
{
    const size_t per = UDP_DATAGRAM_MAX - UDP_HEADER_SIZE;
    uint64_t total = (c->out_pending + per - 1) / per;
    if (total == 0 || total > UINT16_MAX)
        return;
    unsigned char dgram[UDP_DATAGRAM_MAX];
    size_t seg = c->seg_head, off = 0;
    for (uint64_t seq = 0; seq < total; seq++) {
        size_t n = udp_gather(c, &seg, &off, (char *)dgram + UDP_HEADER_SIZE, per);
        udp_put16(dgram, c->udp_request_id);
        udp_put16(dgram + 2, (uint16_t)seq);
        udp_put16(dgram + 4, (uint16_t)total);
        udp_put16(dgram + 6, 0);
        ssize_t sent = sendto(c->fd, dgram, n + UDP_HEADER_SIZE, MSG_NOSIGNAL,
                              (struct sockaddr *)&c->peer, c->peer_len);
        if (sent < 0)
            return; /* lossy transport: drop the rest */
        stats_bump(&c->st->bytes_written, (uint64_t)sent);
    }
}

static void udp_handle_datagram(conn *c, size_t len)
{
    const unsigned char *h = (const unsigned char *)c->rbuf;
    if (len < UDP_HEADER_SIZE || udp_get16(h + 4) != 1)
        return; /* not a single-datagram request: memcached drops these too
                   (like memcached, the sequence number is not checked) */
    conn_reset_input(c);
    c->udp_request_id = udp_get16(h);
    c->rstart = UDP_HEADER_SIZE;
    c->rend = len;
    c->close_after = false;
    conn_drive(c, true);
    udp_send_replies(c);
    conn_out_reset(c);
    conn_reset_input(c);
    c->close_after = false;
}

static void udp_on_readable(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    (void)what;
    for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
        c->peer_len = sizeof c->peer;
        ssize_t n = recvfrom(fd, c->rbuf, c->rsize, 0,
                             (struct sockaddr *)&c->peer, &c->peer_len);
        if (n < 0)
            return; /* EAGAIN (another worker won it) or a transient error */
        stats_bump(&c->st->bytes_read, (uint64_t)n);
        udp_handle_datagram(c, (size_t)n);
    }
}

conn *udp_conn_create(worker *w, int fd)
{
    conn *c = conn_create_udp(w, fd);
    if (c == NULL)
        return NULL;
    c->ev_flags = EV_READ | EV_PERSIST;
    c->ev = event_new(worker_base(w), fd, c->ev_flags, udp_on_readable, c);
    if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
        conn_destroy(c);
        return NULL;
    }
    return c;
}
