/*
 * bench/loadgen.h -- the internals of cashew-loadgen shared by its files:
 * options, the run (state all threads share), threads and connections.
 *
 * Threading: main() parses the options, builds one loadgen_run and starts
 * N loadgen_threads. Each thread owns one libevent event_base and its M
 * connections; nothing of a thread is touched by another thread except the
 * _Atomic fields (progress counters, phase flags, per-key versions) and the
 * first-error message (under run->err_lock). main reads a thread's stats
 * only after joining it.
 */
#ifndef CASHEW_BENCH_LOADGEN_H
#define CASHEW_BENCH_LOADGEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netdb.h>

#include "bench/histo.h"
#include "bench/keydist.h"
#include "bench/value.h"
#include "proto/text.h"

typedef struct loadgen_opts {
    const char *host;
    const char *port;
    int threads;             /* event loops */
    int conns;               /* connections per thread */
    unsigned depth;          /* requests in flight per connection */
    unsigned set_ratio;      /* set:get mix, e.g. 1:10 */
    unsigned get_ratio;
    unsigned multiget;       /* keys per get */
    uint64_t nkeys;
    keydist_kind dist;
    double skew;
    size_t vmin, vmax;       /* value size range (inclusive) */
    const char *prefix;      /* key text = prefix + decimal key number */
    bool meta;               /* --proto meta: ms / mg (+ mn after quiet multigets) */
    bool populate;           /* set every key once before the timed phase */
    bool cache_aside;        /* gets only; each miss is followed by a set */
    bool verify;             /* check every value read (off for the floor server) */
    bool flush;              /* flush_all before starting */
    double duration;         /* seconds of timed phase (if count == 0) */
    double warmup;           /* seconds of traffic before counting starts */
    uint64_t count;          /* requests in the timed phase (0: run by time) */
    unsigned yield_us;       /* busy span before a thread yields its CPU (0: never) */
    bool json, quiet, marks;
} loadgen_opts;

typedef struct loadgen_stats {
    uint64_t gets;           /* get requests completed */
    uint64_t sets;           /* set requests completed (incl. cache-aside fills) */
    uint64_t get_keys;       /* keys asked by those gets */
    uint64_t hits;           /* values received */
    uint64_t fill_sets;      /* cache-aside sets */
    uint64_t set_fails;      /* SERVER_ERROR replies to sets (out of memory) */
    uint64_t fills_dropped;  /* cache-aside misses not refilled (queue full) */
    histo lat, lat_get, lat_set;
    histo lat_arrival;       /* send to the kernel's receive time of the reply */
} loadgen_stats;

typedef struct loadgen_run {
    loadgen_opts o;
    keydist dist;
    value_spec values;
    _Atomic uint32_t *versions;      /* highest version issued per key (0: never set) */
    struct addrinfo *addr;
    size_t prefix_len;               /* strlen(o.prefix) */
    size_t key_max;                  /* longest key text */
    size_t max_request;              /* bytes one request can take */
    _Atomic bool stop;               /* no new requests */
    _Atomic bool counting;           /* requests sent now are measured */
    _Atomic bool go;                 /* populate done everywhere: start the timed phase */
    _Atomic int ready;               /* threads done with connect + populate */
    _Atomic int finished;            /* threads done with the timed phase */
    _Atomic uint64_t populate_next;  /* next key to populate */
    _Atomic bool failed;
    pthread_mutex_t err_lock;
    char err[512];                   /* first failure (under err_lock) */
} loadgen_run;

typedef struct loadgen_thread loadgen_thread;

/* One request in flight. */
typedef struct loadgen_slot {
    uint64_t sent_ns;
    uint64_t *keys;          /* the keys asked (get) or set, in order */
    uint32_t nkeys;
    uint32_t next;           /* get: first key a VALUE may still match */
    bool is_get;
    bool counted;            /* sent while counting: recorded when complete */
    bool fill;               /* a cache-aside set */
} loadgen_slot;

typedef struct loadgen_conn {
    loadgen_thread *th;
    int fd;
    struct event *rev, *wev;
    bool idle;               /* nothing in flight and nothing more to send */
    char *wbuf;
    size_t wlen, wpos, wcap;
    char *rbuf;
    size_t rlen, rpos, rcap;
    loadgen_slot *slots;     /* ring of depth slots */
    uint32_t head, inflight;
    uint64_t *slot_keys;     /* depth * multiget keys */
    uint64_t *refill;        /* cache-aside: ring of keys to set */
    uint32_t refill_head, refill_count, refill_cap;
    char *keytext;           /* multiget * key_max bytes for composing */
    text_str *keyviews;      /* multiget views */
    keydist_cursor cur;
} loadgen_conn;

struct loadgen_thread {
    loadgen_run *run;
    int id;
    pthread_t tid;
    struct event_base *base;
    loadgen_conn *conns;
    int idle;                /* connections idle */
    bool populating;
    uint64_t budget;         /* count mode: requests left to send */
    loadgen_stats st;
    _Atomic uint64_t prog_done;  /* replies completed (all phases) */
    _Atomic uint64_t prog_keys;  /* counted get keys */
    _Atomic uint64_t prog_hits;  /* counted hits */
    _Atomic uint64_t prog_ops;   /* counted requests */
    unsigned yield_events;       /* read events since the last busy check */
    int64_t yield_cpu_ns;        /* thread CPU time at the window's start */
    int64_t yield_wall_ns;       /* monotonic time at the window's start */
};

/* ---- loadgen_conn.c: one connection ---- */

/* Opens connection c of thread th (blocking connect, then non-blocking) and
 * allocates its buffers. Returns false (with the run's error set) on failure. */
bool loadgen_conn_open(loadgen_conn *c, loadgen_thread *th, int index);

/* Releases c's socket, events and buffers (also after a failed open). */
void loadgen_conn_close(loadgen_conn *c);

/* Sends as many requests as c may have in flight (the next phase's, after a
 * phase change) and marks c idle when it has nothing left. Thread of c only. */
void loadgen_conn_pump(loadgen_conn *c);

/* ---- loadgen_meta.c: the meta protocol subset (ms, mg, mn) ---- */

/* "ms <key> <nbytes> F<flags>\r\n" (the caller appends data and "\r\n").
 * Like the text_compose_* functions: bytes written, 0 if it does not fit. */
size_t loadgen_meta_set_line(char *buf, size_t cap, text_str key, uint32_t flags, size_t nbytes);

/* "mg <key> v f k[ q]\r\n": value, flags and key returned; q: no EN on a miss. */
size_t loadgen_meta_get_line(char *buf, size_t cap, text_str key, bool quiet);

/* "mn\r\n" (answered "MN": ends a batch of quiet mg). */
size_t loadgen_meta_noop_line(char *buf, size_t cap);

/*
 * text_parse_reply for meta replies: same contract, and meta lines are
 * mapped onto text codes: HD -> STORED, NS -> NOT_STORED, EN and MN -> END,
 * "VA <size> f<flags> k<key>" plus its data block -> VALUE (key, flags,
 * nbytes, data set; len covers the data block). A VA line with a bad size or
 * flags, or a data block not ending in "\r\n", gives TEXT_CLIENT_ERROR.
 */
text_status loadgen_meta_parse_reply(const char *buf, size_t len, text_reply_msg *m);

/* ---- loadgen.c ---- */

/* Records the first failure (printf-style) and stops the run. Any thread. */
void loadgen_fail(loadgen_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t loadgen_now_ns(void);

/* Writes prefix + decimal key to dst (key_max bytes); returns the length. */
size_t loadgen_key_text(const loadgen_run *r, char *dst, uint64_t key);

#endif
