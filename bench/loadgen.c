/*
 * bench/loadgen.c -- cashew-loadgen: a closed-loop load generator for
 * memcached servers (text protocol, or the meta subset of loadgen_meta.c)
 * that checks every reply against the self-checking values of value.h.
 *
 * N threads (one libevent loop each) x M connections, each keeping up to
 * --depth requests in flight. Optional populate phase (every key set once),
 * optional warmup, then a timed phase (--duration seconds or --count
 * requests). Reports throughput, hit ratio and client-side latency
 * percentiles (request composed to reply parsed; and "arrival": to the
 * kernel's receive time of the reply, which leaves out the loadgen's own
 * waits for a CPU) as a table or as JSON (--json). Exit status: 0 ok, 1 a reply
 * failed a check (or the server broke the stream), 2 usage, 3 no progress
 * for 10 s. See loadgen.h for the structure, --help for the options.
 */
#include "bench/loadgen.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOADGEN_STALL_NS (10ull * 1000000000ull)
#define LOADGEN_TICK_NS (10ull * 1000000ull)

uint64_t loadgen_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void loadgen_sleep_ns(uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
                           .tv_nsec = (long)(ns % 1000000000ull) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void loadgen_fail(loadgen_run *r, const char *fmt, ...)
{
    pthread_mutex_lock(&r->err_lock);
    if (!atomic_load(&r->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
        atomic_store(&r->failed, true);
    }
    pthread_mutex_unlock(&r->err_lock);
    atomic_store(&r->stop, true);
}

size_t loadgen_key_text(const loadgen_run *r, char *dst, uint64_t key)
{
    size_t n = r->prefix_len;
    memcpy(dst, r->o.prefix, n);
    char tmp[20];
    size_t d = 0;
    do {
        tmp[d++] = (char)('0' + key % 10);
        key /= 10;
    } while (key);
    while (d)
        dst[n++] = tmp[--d];
    return n;
}

/* ---- options ---------------------------------------------------------- */

static void loadgen_usage(FILE *out)
{
    fputs("usage: cashew-loadgen [options]\n"
          "  -s, --server HOST:PORT   server (127.0.0.1:11211)\n"
          "  -t, --threads N          client threads, one event loop each (1)\n"
          "  -c, --conns M            connections per thread (1)\n"
          "  -d, --depth D            pipeline depth: requests in flight per connection (1)\n"
          "  -r, --ratio S:G          set:get mix (1:10)\n"
          "  -g, --multiget K         keys per get (1)\n"
          "  -k, --keys N             key count: keys PREFIX0 .. PREFIX<N-1> (10000)\n"
          "      --dist KIND          uniform | zipf | sequential (uniform)\n"
          "      --skew S             zipf skew, > 0 (0.99)\n"
          "  -v, --value-size A[-B]   value bytes, fixed or a range (100; min 22)\n"
          "      --prefix P           key prefix (\"key:\")\n"
          "      --proto text|meta    protocol (text): meta sends ms / mg (quiet mg + mn for\n"
          "                           multigets) and expects HD / VA / EN / MN\n"
          "  -p, --populate           set every key once before the timed phase\n"
          "      --cache-aside        gets only; every miss is followed by a set of that key\n"
          "  -D, --duration SEC       timed phase length (5)\n"
          "  -n, --count N            run N requests instead of a duration\n"
          "  -w, --warmup SEC         run traffic this long before measuring (0)\n"
          "      --no-verify          do not check values (for the floor server)\n"
          "      --no-flush           do not send flush_all first\n"
          "      --json               print the result as one JSON object\n"
          "      --marks              print \"#mark start\"/\"#mark end\" around the timed phase\n"
          "      --yield-us N         a thread on its CPU for 90 % of the last N us yields it\n"
          "                           once, so its sibling threads wait less than a scheduler\n"
          "                           tick for their replies (250; 0 = never)\n"
          "  -q, --quiet              no progress lines\n"
          "  -h, --help\n", out);
}

static bool loadgen_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool loadgen_parse_pair(const char *s, char sep, uint64_t *a, uint64_t *b, bool optional)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *mid = strchr(buf, sep);
    if (mid == NULL) {
        if (!optional)
            return false;
        return loadgen_parse_u64(buf, 0, UINT32_MAX, a) && (*b = *a, true);
    }
    *mid = '\0';
    return loadgen_parse_u64(buf, 0, UINT32_MAX, a) && loadgen_parse_u64(mid + 1, 0, UINT32_MAX, b);
}

static bool loadgen_parse_server(loadgen_opts *o, char *arg)
{
    char *colon = strrchr(arg, ':');
    if (colon == NULL || colon == arg || colon[1] == '\0')
        return false;
    *colon = '\0';
    o->host = arg;
    o->port = colon + 1;
    return true;
}

static bool loadgen_parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || isinf(v))
        return false;
    *out = v;
    return true;
}

static const struct option loadgen_longopts[] = {
    { "server", 1, NULL, 's' }, { "threads", 1, NULL, 't' }, { "conns", 1, NULL, 'c' },
    { "depth", 1, NULL, 'd' }, { "ratio", 1, NULL, 'r' }, { "multiget", 1, NULL, 'g' },
    { "keys", 1, NULL, 'k' }, { "dist", 1, NULL, 1 }, { "skew", 1, NULL, 2 },
    { "value-size", 1, NULL, 'v' }, { "prefix", 1, NULL, 3 }, { "proto", 1, NULL, 4 },
    { "populate", 0, NULL, 'p' }, { "cache-aside", 0, NULL, 5 }, { "duration", 1, NULL, 'D' },
    { "count", 1, NULL, 'n' }, { "warmup", 1, NULL, 'w' }, { "no-verify", 0, NULL, 6 },
    { "no-flush", 0, NULL, 7 }, { "json", 0, NULL, 8 }, { "marks", 0, NULL, 9 },
    { "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' }, { "yield-us", 1, NULL, 10 },
    { NULL, 0, NULL, 0 }
};

/* One option; false on a bad value. */
static bool loadgen_option(loadgen_opts *o, int ch, char *arg)
{
    uint64_t a, b;
    switch (ch) {
    case 's': return loadgen_parse_server(o, arg);
    case 't': return loadgen_parse_u64(arg, 1, 256, &a) && (o->threads = (int)a, true);
    case 'c': return loadgen_parse_u64(arg, 1, 100000, &a) && (o->conns = (int)a, true);
    case 'd': return loadgen_parse_u64(arg, 1, 65536, &a) && (o->depth = (unsigned)a, true);
    case 'g': return loadgen_parse_u64(arg, 1, 10000, &a) && (o->multiget = (unsigned)a, true);
    case 'k': return loadgen_parse_u64(arg, 1, UINT32_MAX, &o->nkeys);
    case 'r':
        if (!loadgen_parse_pair(arg, ':', &a, &b, false) || a + b == 0)
            return false;
        o->set_ratio = (unsigned)a;
        o->get_ratio = (unsigned)b;
        return true;
    case 'v':
        if (!loadgen_parse_pair(arg, '-', &a, &b, true) || a < VALUE_MIN_SIZE || b < a ||
            b > (64u << 20))
            return false;
        o->vmin = a;
        o->vmax = b;
        return true;
    case 1: return keydist_parse_kind(arg, &o->dist);
    case 2: return loadgen_parse_double(arg, &o->skew) && o->skew > 0;
    case 3: return strlen(arg) <= 200 && strchr(arg, ' ') == NULL && (o->prefix = arg, true);
    case 4:
        o->meta = strcmp(arg, "meta") == 0;
        return o->meta || strcmp(arg, "text") == 0;
    case 'p': o->populate = true; return true;
    case 5: o->cache_aside = true; return true;
    case 'D': return loadgen_parse_double(arg, &o->duration) && o->duration > 0;
    case 'n': return loadgen_parse_u64(arg, 1, UINT64_MAX / 2, &o->count);
    case 'w': return loadgen_parse_double(arg, &o->warmup);
    case 6: o->verify = false; return true;
    case 7: o->flush = false; return true;
    case 8: o->json = true; return true;
    case 9: o->marks = true; return true;
    case 10: return loadgen_parse_u64(arg, 0, 1000000, &a) && (o->yield_us = (unsigned)a, true);
    case 'q': o->quiet = true; return true;
    default: return false;
    }
}

static void loadgen_defaults(loadgen_opts *o)
{
    static char server[] = "127.0.0.1:11211";
    memset(o, 0, sizeof *o);
    loadgen_parse_server(o, server);
    o->threads = o->conns = 1;
    o->depth = 1;
    o->set_ratio = 1;
    o->get_ratio = 10;
    o->multiget = 1;
    o->nkeys = 10000;
    o->dist = KEYDIST_UNIFORM;
    o->skew = 0.99;
    o->vmin = o->vmax = 100;
    o->prefix = "key:";
    o->verify = o->flush = true;
    o->duration = 5;
    o->yield_us = 250;
}

/* Parses argv into o; exits with status 2 on a usage error (0 for --help). */
static void loadgen_parse_args(loadgen_opts *o, int argc, char **argv)
{
    loadgen_defaults(o);
    int ch;
    while ((ch = getopt_long(argc, argv, "s:t:c:d:r:g:k:v:pD:n:w:qh", loadgen_longopts, NULL)) != -1) {
        if (ch == 'h') {
            loadgen_usage(stdout);
            exit(0);
        }
        if (ch == '?' || !loadgen_option(o, ch, optarg)) {
            if (ch != '?')
                fprintf(stderr, "cashew-loadgen: bad value for option: %s\n", argv[optind - 1]);
            loadgen_usage(stderr);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cashew-loadgen: unexpected argument: %s\n", argv[optind]);
        exit(2);
    }
    if (o->count && o->warmup > 0) {
        fprintf(stderr, "cashew-loadgen: --count and --warmup do not combine\n");
        exit(2);
    }
}

/* ---- setup ------------------------------------------------------------ */

static bool loadgen_resolve(loadgen_run *r)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    int rc = getaddrinfo(r->o.host, r->o.port, &hints, &r->addr);
    if (rc != 0)
        fprintf(stderr, "cashew-loadgen: %s:%s: %s\n", r->o.host, r->o.port, gai_strerror(rc));
    return rc == 0;
}

static bool loadgen_run_create(loadgen_run *r)
{
    r->prefix_len = strlen(r->o.prefix);
    r->key_max = r->prefix_len + 20;
    size_t set_max = r->key_max + 80 + r->o.vmax + TEXT_CRLF_LEN;
    size_t per_key = r->o.meta ? r->key_max + 16 : r->key_max + 1;
    size_t get_max = 8 + (size_t)r->o.multiget * per_key;
    r->max_request = set_max > get_max ? set_max : get_max;
    pthread_mutex_init(&r->err_lock, NULL);
    if (!keydist_create(&r->dist, r->o.dist, r->o.nkeys, r->o.skew) ||
        !value_spec_create(&r->values, r->o.vmin, r->o.vmax)) {
        fprintf(stderr, "cashew-loadgen: out of memory for the key or value tables\n");
        return false;
    }
    r->versions = calloc(r->o.nkeys, sizeof *r->versions);
    if (r->versions == NULL) {
        fprintf(stderr, "cashew-loadgen: out of memory for %llu key versions\n",
                (unsigned long long)r->o.nkeys);
        return false;
    }
    return loadgen_resolve(r);
}

static void loadgen_run_destroy(loadgen_run *r)
{
    keydist_destroy(&r->dist);
    value_spec_destroy(&r->values);
    free(r->versions);
    r->versions = NULL;
    if (r->addr)
        freeaddrinfo(r->addr);
    r->addr = NULL;
}

/* Sends flush_all on a short-lived connection and waits for its reply line. */
static bool loadgen_flush_all(loadgen_run *r)
{
    const struct addrinfo *a = r->addr;
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    char reply[256];
    ssize_t n = -1;
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        write(fd, "flush_all\r\n", 11) == 11)
        n = read(fd, reply, sizeof reply - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0) {
        fprintf(stderr, "cashew-loadgen: cannot reach %s:%s\n", r->o.host, r->o.port);
        return false;
    }
    if (r->o.verify && !(n >= 4 && memcmp(reply, "OK\r\n", 4) == 0)) {
        reply[n] = '\0';
        fprintf(stderr, "cashew-loadgen: flush_all answered: %s\n", reply);
        return false;
    }
    return true;
}

/* ---- threads ---------------------------------------------------------- */

/* Runs one phase: kicks every connection, loops until all are idle. */
static void loadgen_thread_phase(loadgen_thread *th)
{
    th->idle = 0;
    for (int i = 0; i < th->run->o.conns; i++) {
        th->conns[i].idle = false;
        loadgen_conn_pump(&th->conns[i]);
    }
    if (th->idle < th->run->o.conns && !atomic_load(&th->run->failed))
        event_base_dispatch(th->base);
}

static bool loadgen_thread_open(loadgen_thread *th)
{
    loadgen_run *r = th->run;
    histo_reset(&th->st.lat);
    histo_reset(&th->st.lat_get);
    histo_reset(&th->st.lat_set);
    histo_reset(&th->st.lat_arrival);
    th->base = event_base_new();
    th->conns = calloc((size_t)r->o.conns, sizeof *th->conns);
    if (th->base == NULL || th->conns == NULL) {
        loadgen_fail(r, "out of memory for thread %d", th->id);
        return false;
    }
    for (int i = 0; i < r->o.conns; i++)
        th->conns[i].fd = -1;
    for (int i = 0; i < r->o.conns; i++)
        if (!loadgen_conn_open(&th->conns[i], th, i))
            return false;
    return true;
}

static void loadgen_thread_close(loadgen_thread *th)
{
    for (int i = 0; th->conns && i < th->run->o.conns; i++)
        loadgen_conn_close(&th->conns[i]);
    free(th->conns);
    th->conns = NULL;
    if (th->base)
        event_base_free(th->base);
    th->base = NULL;
}

static void *loadgen_thread_main(void *arg)
{
    loadgen_thread *th = arg;
    loadgen_run *r = th->run;
    bool ok = loadgen_thread_open(th);
    if (ok && r->o.populate) {
        th->populating = true;
        loadgen_thread_phase(th);
        th->populating = false;
    }
    atomic_fetch_add(&r->ready, 1);
    while (!atomic_load(&r->go))
        loadgen_sleep_ns(1000000);
    if (ok && !atomic_load(&r->failed))
        loadgen_thread_phase(th);
    atomic_fetch_add(&r->finished, 1);
    return NULL;
}

/* ---- main: phases, progress, watchdog ---------------------------------- */

typedef struct loadgen_progress {
    uint64_t done, ops, keys, hits;
} loadgen_progress;

static loadgen_progress loadgen_progress_sum(loadgen_thread *ths, int n)
{
    loadgen_progress p = { 0, 0, 0, 0 };
    for (int i = 0; i < n; i++) {
        p.done += atomic_load_explicit(&ths[i].prog_done, memory_order_relaxed);
        p.ops += atomic_load_explicit(&ths[i].prog_ops, memory_order_relaxed);
        p.keys += atomic_load_explicit(&ths[i].prog_keys, memory_order_relaxed);
        p.hits += atomic_load_explicit(&ths[i].prog_hits, memory_order_relaxed);
    }
    return p;
}

typedef struct loadgen_clock {
    uint64_t start;          /* when the phase started */
    uint64_t last_change;    /* last time replies completed */
    uint64_t last_done;
    uint64_t next_line;      /* next progress line */
    loadgen_progress last;   /* at the previous progress line */
} loadgen_clock;

static void loadgen_progress_line(loadgen_run *r, loadgen_clock *k, loadgen_progress p,
                                  uint64_t now, const char *phase)
{
    double secs = (double)(now - k->start) / 1e9;
    double dops = (double)(p.ops - k->last.ops), dkeys = (double)(p.keys - k->last.keys);
    double dhits = (double)(p.hits - k->last.hits);
    if (!r->o.quiet)
        fprintf(stderr, "[%6.1fs] %-8s %10.0f ops/s  hit %6.2f%%  (%llu replies so far)\n", secs,
                phase, dops, dkeys > 0 ? 100.0 * dhits / dkeys : 0.0,
                (unsigned long long)p.done);
    k->last = p;
    k->next_line += 1000000000ull;
}

/* One 10 ms tick of the main loop: progress line, stall watchdog. */
static void loadgen_tick(loadgen_run *r, loadgen_thread *ths, loadgen_clock *k, const char *phase)
{
    loadgen_sleep_ns(LOADGEN_TICK_NS);
    uint64_t now = loadgen_now_ns();
    loadgen_progress p = loadgen_progress_sum(ths, r->o.threads);
    if (p.done != k->last_done) {
        k->last_done = p.done;
        k->last_change = now;
    } else if (now - k->last_change > LOADGEN_STALL_NS) {
        fprintf(stderr, "cashew-loadgen: no reply for 10 s (%s phase): server stalled\n", phase);
        exit(3);
    }
    if (now >= k->next_line)
        loadgen_progress_line(r, k, p, now, phase);
}

static void loadgen_clock_start(loadgen_clock *k)
{
    k->start = k->last_change = loadgen_now_ns();
    k->next_line = k->start + 1000000000ull;
}

static void loadgen_mark(const loadgen_run *r, const char *what)
{
    if (r->o.marks) {
        printf("#mark %s\n", what);
        fflush(stdout);
    }
}

typedef struct loadgen_times {
    double populate_s;       /* connect + populate */
    double timed_s;          /* measured phase */
} loadgen_times;

/* Drives the phases from the main thread; fills the phase times. */
static void loadgen_drive(loadgen_run *r, loadgen_thread *ths, loadgen_times *t)
{
    loadgen_clock k = { 0 };
    loadgen_clock_start(&k);
    while (atomic_load(&r->ready) < r->o.threads)
        loadgen_tick(r, ths, &k, "populate");
    t->populate_s = (double)(loadgen_now_ns() - k.start) / 1e9;
    bool warm = r->o.warmup > 0;
    if (!warm) {
        loadgen_mark(r, "start");
        if (r->o.marks)
            loadgen_sleep_ns(50000000);   /* lets the reader sample an idle server */
        atomic_store(&r->counting, true);
    }
    loadgen_clock_start(&k);
    uint64_t t0 = k.start, warm_end = t0 + (uint64_t)(r->o.warmup * 1e9);
    atomic_store(&r->go, true);
    while (atomic_load(&r->finished) < r->o.threads) {
        loadgen_tick(r, ths, &k, warm ? "warmup" : "run");
        uint64_t now = loadgen_now_ns();
        if (warm && now >= warm_end) {
            warm = false;
            loadgen_mark(r, "start");
            atomic_store(&r->counting, true);
            t0 = now;
        }
        if (!warm && r->o.count == 0 && now - t0 >= (uint64_t)(r->o.duration * 1e9))
            atomic_store(&r->stop, true);
    }
    t->timed_s = (double)(loadgen_now_ns() - t0) / 1e9;
    loadgen_mark(r, "end");
}

/* ---- report ----------------------------------------------------------- */

static void loadgen_fold(loadgen_thread *ths, int n, loadgen_stats *all)
{
    memset(all, 0, sizeof *all);
    histo_reset(&all->lat);
    histo_reset(&all->lat_get);
    histo_reset(&all->lat_set);
    histo_reset(&all->lat_arrival);
    for (int i = 0; i < n; i++) {
        const loadgen_stats *s = &ths[i].st;
        all->gets += s->gets;
        all->sets += s->sets;
        all->get_keys += s->get_keys;
        all->hits += s->hits;
        all->fill_sets += s->fill_sets;
        all->set_fails += s->set_fails;
        all->fills_dropped += s->fills_dropped;
        histo_merge(&all->lat, &s->lat);
        histo_merge(&all->lat_get, &s->lat_get);
        histo_merge(&all->lat_set, &s->lat_set);
        histo_merge(&all->lat_arrival, &s->lat_arrival);
    }
}

static double loadgen_us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static void loadgen_json_latency(const char *name, const histo *h, bool last)
{
    printf("\"%s\":{\"count\":%llu,\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,"
           "\"mean\":%.1f}%s", name, (unsigned long long)h->count,
           loadgen_us(histo_percentile(h, 0.5)), loadgen_us(histo_percentile(h, 0.99)),
           loadgen_us(histo_percentile(h, 0.999)), loadgen_us(h->count ? h->max : 0),
           histo_mean(h) / 1000.0, last ? "" : ",");
}

/* Prints s as the inside of a JSON string (quotes and backslashes escaped,
 * control bytes as '?'). */
static void loadgen_json_text(const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar((unsigned char)*s < 32 ? '?' : *s);
    }
}

static void loadgen_json(const loadgen_run *r, const loadgen_stats *s, const loadgen_times *t)
{
    const loadgen_opts *o = &r->o;
    uint64_t ops = s->gets + s->sets;
    printf("{\"ok\":%s,\"error\":\"", r->failed ? "false" : "true");
    loadgen_json_text(r->err);
    printf("\",\"server\":\"%s:%s\",\"threads\":%d,\"conns\":%d,\"depth\":%u,"
           "\"set_ratio\":%u,\"get_ratio\":%u,\"multiget\":%u,\"keys\":%llu,\"dist\":\"%s\","
           "\"skew\":%.3f,\"value_min\":%zu,\"value_max\":%zu,\"cache_aside\":%s,\"verify\":%s,"
           "\"proto\":\"%s\",\"yield_us\":%u,",
           o->host, o->port, o->threads, o->conns, o->depth, o->set_ratio, o->get_ratio,
           o->multiget, (unsigned long long)o->nkeys, keydist_kind_name(o->dist), o->skew,
           o->vmin, o->vmax, o->cache_aside ? "true" : "false", o->verify ? "true" : "false",
           o->meta ? "meta" : "text", o->yield_us);
    printf("\"populate_s\":%.3f,\"seconds\":%.3f,\"ops\":%llu,\"ops_per_sec\":%.1f,"
           "\"gets\":%llu,\"sets\":%llu,\"get_keys\":%llu,\"hits\":%llu,\"hit_ratio\":%.5f,"
           "\"fill_sets\":%llu,\"set_fails\":%llu,\"fills_dropped\":%llu,\"latency_us\":{",
           t->populate_s, t->timed_s, (unsigned long long)ops,
           t->timed_s > 0 ? (double)ops / t->timed_s : 0.0, (unsigned long long)s->gets,
           (unsigned long long)s->sets, (unsigned long long)s->get_keys,
           (unsigned long long)s->hits, s->get_keys ? (double)s->hits / (double)s->get_keys : 0.0,
           (unsigned long long)s->fill_sets, (unsigned long long)s->set_fails,
           (unsigned long long)s->fills_dropped);
    loadgen_json_latency("all", &s->lat, false);
    loadgen_json_latency("get", &s->lat_get, false);
    loadgen_json_latency("set", &s->lat_set, false);
    loadgen_json_latency("arrival", &s->lat_arrival, true);
    printf("}}\n");
}

static void loadgen_table_latency(const char *name, const histo *h)
{
    if (h->count)
        printf("  %-14s %10.1f %10.1f %10.1f %10.1f %10.1f\n", name,
               loadgen_us(histo_percentile(h, 0.5)), loadgen_us(histo_percentile(h, 0.99)),
               loadgen_us(histo_percentile(h, 0.999)), loadgen_us(h->max), histo_mean(h) / 1000.0);
}

static void loadgen_table(const loadgen_run *r, const loadgen_stats *s, const loadgen_times *t)
{
    const loadgen_opts *o = &r->o;
    uint64_t ops = s->gets + s->sets;
    printf("server %s:%s  threads %d x conns %d  depth %u  set:get %u:%u  multiget %u  %s\n",
           o->host, o->port, o->threads, o->conns, o->depth, o->set_ratio, o->get_ratio,
           o->multiget, o->meta ? "meta" : "text");
    printf("keys %llu %s", (unsigned long long)o->nkeys, keydist_kind_name(o->dist));
    if (o->dist == KEYDIST_ZIPF)
        printf(" (skew %.2f)", o->skew);
    printf("  values %zu-%zu bytes%s%s\n", o->vmin, o->vmax, o->cache_aside ? "  cache-aside" : "",
           o->verify ? "" : "  (values not verified)");
    if (o->populate)
        printf("populate       %10.2f s\n", t->populate_s);
    printf("time           %10.2f s\n", t->timed_s);
    printf("requests       %10llu  (%.0f/s)\n", (unsigned long long)ops,
           t->timed_s > 0 ? (double)ops / t->timed_s : 0.0);
    printf("gets / sets    %10llu / %llu", (unsigned long long)s->gets, (unsigned long long)s->sets);
    if (o->cache_aside)
        printf("  (fills %llu, dropped %llu)", (unsigned long long)s->fill_sets,
               (unsigned long long)s->fills_dropped);
    printf("\nhit ratio      %10.2f %%  (%llu of %llu keys)\n",
           s->get_keys ? 100.0 * (double)s->hits / (double)s->get_keys : 0.0,
           (unsigned long long)s->hits, (unsigned long long)s->get_keys);
    if (s->set_fails)
        printf("set failures   %10llu  (SERVER_ERROR)\n", (unsigned long long)s->set_fails);
    printf("latency (us)          p50        p99      p99.9        max       mean\n");
    loadgen_table_latency("all", &s->lat);
    loadgen_table_latency("get", &s->lat_get);
    loadgen_table_latency("set", &s->lat_set);
    loadgen_table_latency("arrival", &s->lat_arrival);
    printf("result         %s%s\n", r->failed ? "FAILED: " : "ok", r->failed ? r->err : "");
}

/* ---- main ------------------------------------------------------------- */

static bool loadgen_start_threads(loadgen_run *r, loadgen_thread *ths)
{
    uint64_t share = r->o.count / (uint64_t)r->o.threads;
    for (int i = 0; i < r->o.threads; i++) {
        ths[i].run = r;
        ths[i].id = i;
        ths[i].budget = share + (i == 0 ? r->o.count % (uint64_t)r->o.threads : 0);
        if (pthread_create(&ths[i].tid, NULL, loadgen_thread_main, &ths[i]) != 0) {
            fprintf(stderr, "cashew-loadgen: cannot start thread %d\n", i);
            exit(1);
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    static loadgen_run run;
    loadgen_parse_args(&run.o, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if (!loadgen_run_create(&run) || (run.o.flush && !loadgen_flush_all(&run)))
        return 1;
    loadgen_thread *ths = calloc((size_t)run.o.threads, sizeof *ths);
    if (ths == NULL)
        return 1;
    loadgen_times times = { 0, 0 };
    loadgen_start_threads(&run, ths);
    loadgen_drive(&run, ths, &times);
    for (int i = 0; i < run.o.threads; i++) {
        pthread_join(ths[i].tid, NULL);
        loadgen_thread_close(&ths[i]);
    }
    loadgen_stats all;
    loadgen_fold(ths, run.o.threads, &all);
    if (run.o.json)
        loadgen_json(&run, &all, &times);
    else
        loadgen_table(&run, &all, &times);
    if (run.failed)
        fprintf(stderr, "cashew-loadgen: FAILED: %s\n", run.err);
    free(ths);
    loadgen_run_destroy(&run);
    return run.failed ? 1 : 0;
}
