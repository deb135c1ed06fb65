/*
 * daemon/conn.h -- one client connection: its read buffer, its request
 * state, and its queue of replies. Internal to daemon/.
 *
 * A conn belongs to one worker thread for its whole life (see worker.h);
 * nothing here locks. Bytes flow like this:
 *
 *   socket -> rbuf[rstart..rend) -> text_parse (proto/) -> process.c
 *        -> reply segments (text in tbuf, or value bytes in item memory)
 *        -> sendmsg(iovec[]) -> socket; items released once their bytes left.
 *
 * Read buffer: a conn holds one only while it has unparsed input; it is
 * taken from (and given back to) its worker's pool of CONN_RBUF_INIT-byte
 * buffers, so idle connections cost none. A conn whose reads fill that
 * size (a client pipelining large values) moves to a CONN_RBUF_BULK buffer
 * from a second pool, and back once its reads bring little. It doubles while an incomplete
 * command line fills it (a huge multiget, bounded by proto's line limits)
 * and is dropped, i.e. shrinks back, once it is empty. Data blocks of
 * storage commands never make it grow: they are copied into the new item
 * as they arrive (or discarded, for a rejected value).
 *
 * Reply queue: an array of segments. A text segment is (offset, length) in
 * tbuf, a growable buffer that replies are composed into; an external
 * segment points at bytes that outlive the conn call: value spans of an
 * item (the segment holds the item's reference until written) or static
 * text. Writes are gathered, partial writes resume where they stopped.
 *
 * Flow control: -R caps the commands run per event (then the conn yields
 * and is re-activated behind the others; replies of up to CONN_OUT_BATCH
 * bytes wait for the rest of its input rather than going out per yield);
 * while more than CONN_OUT_HIGH
 * bytes of replies are unsent, the conn neither parses nor reads
 * (backpressure) until the queue drains.
 */
#ifndef CASHEW_DAEMON_CONN_H
#define CASHEW_DAEMON_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/stats.h"
#include "proto/text.h"
#include "slab/cache.h"

struct worker;
struct event;
struct server_ctx;

#define CONN_RBUF_INIT (16u * 1024)
#define CONN_RBUF_BULK (64u * 1024)
#define CONN_TBUF_INIT (4u * 1024)
#define CONN_OUT_HIGH (1u << 20)
#define CONN_OUT_BATCH (16u * 1024)

typedef enum conn_kind {
    CONN_TCP,
    CONN_UNIX,
    CONN_UDP
} conn_kind;

typedef enum conn_state {
    CONN_READ_CMD,   /* waiting for / running command lines */
    CONN_READ_VALUE, /* copying a data block into store.item */
    CONN_SWALLOW,    /* discarding `swallow` bytes of a rejected data block */
    CONN_CLOSING     /* write what is queued, then close; read nothing */
} conn_state;

typedef struct conn_seg {
    const char *ptr;  /* external bytes, or NULL: tbuf + off */
    size_t off;
    size_t len;
    cache_item *item; /* reference dropped once this segment is written */
} conn_seg;

/* A storage command whose data block is arriving. */
typedef struct conn_store {
    cache_item *item; /* allocated, unlinked, referenced */
    text_cmd cmd;
    uint64_t cas;
    bool noreply;
    size_t nbytes;    /* value length */
    size_t done;      /* value bytes copied so far */
    char tail[2];     /* the block's terminator, checked with proto */
    size_t ntail;
} conn_store;

/* Which of its worker's lists a conn waits on (worker_defer, worker_resume_later). */
typedef enum conn_listed {
    CONN_LISTED_NONE,
    CONN_LISTED_DEFERRED, /* read a request: runs after the event batch */
    CONN_LISTED_RESUMED   /* yielded: runs its next slice after the next poll */
} conn_listed;

typedef struct conn {
    int fd;
    conn_kind kind;
    conn_state state;
    struct worker *w;
    struct server_ctx *srv;   /* worker_server(w), kept for the hot path */
    cache_thread *ct;         /* worker_cache(w), kept for the hot path */
    stats_counters *st;       /* worker_stats(w), kept for the hot path */
    struct event *ev;
    short ev_flags;           /* what ev is registered for now */
    struct conn *prev, *next; /* worker's list */

    bool eof;                 /* the peer closed its side */
    bool close_after;         /* quit/shutdown/fatal: close once written */
    bool yielded;             /* -R reached with requests left */
    bool rbuf_bulk;           /* reads fill CONN_RBUF_INIT: use CONN_RBUF_BULK */
    bool blocked;             /* backpressure stopped requests left in rbuf */
    conn_listed listed;       /* the worker list it waits on (set by the worker) */
    unsigned list_slot;       /* its index there */
    const char *defer_key;    /* deferred: its first key, in rbuf, for prefetch */
    size_t defer_nkey;
    uint64_t defer_hv;        /* cache_key_hash of defer_key */
    unsigned reqs_this_event;
    int64_t last_active;      /* real seconds, for idle_timeout */
    bool ran_cmd;             /* at least one command ran */
    uint64_t cmd_started_ns;  /* `stats latency`: when the running command began */
    /* Read by other threads (`stats conns`, see conn_describe): */
    _Atomic int shown_state;  /* stats_conn_state mirroring state */
    _Atomic int64_t last_cmd; /* real seconds of the last command (or creation) */

    char *rbuf;
    size_t rsize, rstart, rend;
    text_request req;
    conn_store store;
    char *meta_line;          /* ms: malloc'd saved request (parsed fields and the
                                 line) while its block arrives (process_meta.c);
                                 freed with store */
    size_t meta_line_len;
    uint64_t swallow;

    char *tbuf;
    size_t tsize, tlen;
    conn_seg *segs;
    size_t nsegs, segs_cap, seg_head, head_off;
    uint64_t out_pending;     /* unsent reply bytes */
    bool unheld_refs;         /* last ref segment holds no item (more spans follow) */

    /* UDP: the datagram being answered. */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint16_t udp_request_id;
} conn;

/*
 * Creates a conn on the calling worker for a non-blocking socket it now
 * owns, registers its read event and links it into the worker. kind is
 * CONN_TCP or CONN_UNIX. Returns NULL (fd closed) on allocation failure.
 */
conn *conn_create(struct worker *w, int fd, conn_kind kind);

/*
 * Creates the worker's conn for a shared UDP socket (fd is not owned and
 * not closed by conn_destroy); udp.c drives it. NULL on failure.
 */
conn *conn_create_udp(struct worker *w, int fd);

/* Releases everything the conn holds and frees it (closing its fd unless UDP). */
void conn_destroy(conn *c);

/*
 * Runs buffered requests until none is complete, the -R cap (unless
 * ignore_cap), backpressure or a close request stops it. Returns the number
 * of commands run.
 */
unsigned conn_drive(conn *c, bool ignore_cap);

/*
 * For the worker, on a conn that deferred its request
 * (worker_defer): steps 2 and 3 of the prefetch of its first key's item
 * (see cache_prefetch_key), and running it: its requests, then its replies
 * and events as after any read. conn_run_deferred may destroy c.
 */
void conn_prefetch_chain(conn *c);
void conn_prefetch_item(conn *c);
void conn_run_deferred(conn *c);

/* For the worker's resume list: the conn's next slice of requests after a
 * yield (or lifted backpressure), then its replies and events. May destroy c. */
void conn_run_resumed(conn *c);

/*
 * Forgets any partly received request: drops a half-filled item, a pending
 * swallow and the parser state (UDP: a datagram ended mid-request).
 */
void conn_reset_input(conn *c);

/* Worker shutdown: run what is buffered, write it, then close (async). */
void conn_stop(conn *c);

/* Idle scan (worker timer): closes the conn if idle longer than timeout s. */
void conn_check_idle(conn *c, int64_t now, unsigned timeout);

/*
 * `stats conns`: fills *out with what memcached shows of c (fd, state,
 * addresses, time of the last command); self is the conn asking (shown as
 * parsing a command). Any thread, while c cannot go away: the caller holds
 * the owning worker's conns lock (worker_conns_describe). Reads only the
 * fields fixed at creation and the atomics above; the fd is still open.
 */
void conn_describe(const conn *c, const conn *self, stats_conn_info *out);

/* ---- reply queue (process.c, udp.c) ------------------------------------ */

/*
 * Returns room for at least `need` bytes at the end of tbuf (NULL if memory
 * is exhausted); after composing n bytes there, call conn_out_commit(c, n).
 */
char *conn_out_space(conn *c, size_t need);
void conn_out_commit(conn *c, size_t n);

/* Queues the fixed reply line r (proto's text_reply_str); nothing if out of memory. */
void conn_out_reply(conn *c, text_reply r);

/*
 * Queues external bytes; `release` (may be NULL) is cache_release'd once
 * they are written or the conn goes away. Short byte runs (a small value)
 * may be copied into tbuf instead, and `release` released at once; the
 * spans of one item must be queued in order, `release` with the last.
 * Returns false if out of memory (then `release` has already been released).
 */
bool conn_out_ref(conn *c, const char *ptr, size_t len, cache_item *release);

/*
 * A value reply: a header line the caller composes, then the item's value
 * and "\r\n". Small one-span values are copied whole, in one reservation:
 * conn_out_value_space returns room for header_room bytes of header plus
 * the value and "\r\n" (NULL if the value is too big or chained, or no
 * memory: nothing reserved); compose the header at its start, then
 * conn_out_value_commit(c, p, header_len, it) copies the value after it,
 * commits everything and releases `it`. Otherwise queue the header with
 * conn_out_space/commit and call conn_out_value_tail, which queues the value
 * by reference and "\r\n" and takes over the caller's reference to `it`
 * (on out of memory the conn is marked to close).
 */
#define CONN_COPY_MAX 512 /* values up to this size are copied into tbuf */

static inline char *conn_out_value_space(conn *c, const cache_item *it, size_t header_room)
{
    size_t nbytes = cache_item_nbytes(it);
    if (nbytes > CONN_COPY_MAX || cache_item_span_count(it) != 1)
        return NULL;
    return conn_out_space(c, header_room + nbytes + TEXT_CRLF_LEN);
}

static inline void conn_out_value_commit(conn *c, char *p, size_t header_len, cache_item *it)
{
    cache_span v = cache_item_span(it, 0);
    memcpy(p + header_len, v.data, v.len);
    memcpy(p + header_len + v.len, text_crlf(), TEXT_CRLF_LEN);
    conn_out_commit(c, header_len + v.len + TEXT_CRLF_LEN);
    cache_release(c->ct, it);
}

void conn_out_value_tail(conn *c, cache_item *it);

/* Drops every queued reply, releasing item references (UDP after sending). */
void conn_out_reset(conn *c);

#endif
