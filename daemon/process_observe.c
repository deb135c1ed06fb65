/*
 * daemon/process_observe.c -- `stats hotkeys`, `stats latency`, `stats
 * memory` and the hooks that feed them; see process_observe.h. Lines are
 * composed by proto/ (text_compose_stat_*), one "STAT name value" each.
 */
#include "config.h"

#include "daemon/process_observe.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/hotkeys.h"
#include "daemon/latency.h"
#include "daemon/server_ctx.h"
#include "daemon/worker.h"

#define OBSERVE_LINE_ROOM 512 /* a STAT line: name + value (a key: <= 250) */
#define OBSERVE_HOTKEYS_SHOWN 10 /* keys listed per ranking */

/* ---- composing ------------------------------------------------------------ */

static void process_observe_u64(conn *c, const char *name, uint64_t value)
{
    char *p = conn_out_space(c, OBSERVE_LINE_ROOM);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_u64(p, OBSERVE_LINE_ROOM, name, value));
}

static void process_observe_str(conn *c, const char *name, const char *value)
{
    char *p = conn_out_space(c, OBSERVE_LINE_ROOM);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_str(p, OBSERVE_LINE_ROOM, name, value));
}

static void process_observe_end(conn *c)
{
    conn_out_reply(c, TEXT_REPLY_END);
}

static void process_observe_oom(conn *c)
{
    conn_out_reply(c, TEXT_REPLY_SE_OOM);
}

/* "STAT <group>:<rank>:<field> <value>" */
static void process_observe_ranked(conn *c, const char *group, size_t rank,
                                   const char *field, uint64_t value)
{
    char name[64];
    snprintf(name, sizeof name, "%s:%zu:%s", group, rank, field);
    process_observe_u64(c, name, value);
}

/* ---- stats hotkeys ---------------------------------------------------------- */

/* A key that can go on a STAT line as one word (text keys always can). */
static bool process_observe_printable(const hotkeys_item *it)
{
    for (unsigned i = 0; i < it->nkey; i++) {
        unsigned char ch = (unsigned char)it->key[i];
        if (ch <= ' ' || ch == 0x7f)
            return false;
    }
    return it->nkey > 0;
}

static void process_observe_hotkey(conn *c, const char *group, size_t rank,
                                   const hotkeys_item *it)
{
    char name[64], key[HOTKEYS_KEY_MAX + 1];
    memcpy(key, it->key, it->nkey);
    key[it->nkey] = '\0';
    snprintf(name, sizeof name, "%s:%zu:key", group, rank);
    process_observe_str(c, name, key);
    process_observe_ranked(c, group, rank, "requests", it->requests);
    process_observe_ranked(c, group, rank, "bytes", it->bytes);
    process_observe_ranked(c, group, rank, "error", it->error);
}

/* One ranking: every worker's table, merged and sorted; false if out of memory. */
static bool process_observe_ranking(conn *c, hotkeys_by by, hotkeys_list *list)
{
    server_ctx *srv = worker_server(c->w);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (!hotkeys_collect(worker_hotkeys(srv->workers[i]), by, list))
            return false;
    hotkeys_list_finish(list, by);
    return true;
}

static void process_observe_top(conn *c, const hotkeys_list *list, const char *group)
{
    size_t rank = 0;
    for (size_t i = 0; i < list->n && rank < OBSERVE_HOTKEYS_SHOWN; i++)
        if (process_observe_printable(&list->items[i]))
            process_observe_hotkey(c, group, ++rank, &list->items[i]);
}

static void process_observe_hotkeys(conn *c)
{
    hotkeys_list by_requests = {NULL, 0, 0}, by_bytes = {NULL, 0, 0};
    if (process_observe_ranking(c, HOTKEYS_BY_REQUESTS, &by_requests) &&
        process_observe_ranking(c, HOTKEYS_BY_BYTES, &by_bytes)) {
        process_observe_u64(c, "hotkeys_sample_every", HOTKEYS_SAMPLE);
        process_observe_u64(c, "hotkeys_slots", HOTKEYS_SLOTS);
        process_observe_top(c, &by_requests, "hotkey");
        process_observe_top(c, &by_bytes, "hotbytes");
        process_observe_end(c);
    } else {
        process_observe_oom(c);
    }
    hotkeys_list_free(&by_requests);
    hotkeys_list_free(&by_bytes);
}

/* ---- stats latency ---------------------------------------------------------- */

/* "STAT <kind>:<field> <ns as microseconds, 3 decimals>" */
static void process_observe_micros(conn *c, const char *kind, const char *field,
                                   uint64_t ns)
{
    char name[64], value[32];
    snprintf(name, sizeof name, "%s:%s", kind, field);
    snprintf(value, sizeof value, "%llu.%03llu", (unsigned long long)(ns / 1000),
             (unsigned long long)(ns % 1000));
    process_observe_str(c, name, value);
}

static void process_observe_latency_kind(conn *c, const latency_sum *sum,
                                         latency_kind k)
{
    const char *kind = latency_kind_name(k);
    char name[64];
    snprintf(name, sizeof name, "%s:count", kind);
    process_observe_u64(c, name, sum->count[k]);
    snprintf(name, sizeof name, "%s:timed", kind);
    process_observe_u64(c, name, sum->timed[k]);
    process_observe_micros(c, kind, "p50_us", latency_quantile(sum, k, 0.50));
    process_observe_micros(c, kind, "p90_us", latency_quantile(sum, k, 0.90));
    process_observe_micros(c, kind, "p99_us", latency_quantile(sum, k, 0.99));
    process_observe_micros(c, kind, "p999_us", latency_quantile(sum, k, 0.999));
    process_observe_micros(c, kind, "max_us", sum->max_ns[k]);
}

static void process_observe_latency(conn *c)
{
    server_ctx *srv = worker_server(c->w);
    latency_sum *sum = calloc(1, sizeof *sum);
    if (sum == NULL) {
        process_observe_oom(c);
        return;
    }
    for (unsigned i = 0; i < srv->nworkers; i++)
        latency_fold(sum, worker_latency(srv->workers[i]));
    process_observe_u64(c, "latency_sample_every", LATENCY_SAMPLE);
    for (unsigned k = 0; k < LATENCY__COUNT; k++)
        process_observe_latency_kind(c, sum, (latency_kind)k);
    free(sum);
    process_observe_end(c);
}

/* ---- stats memory ------------------------------------------------------------ */

/* Resident bytes of the process (/proc/self/statm); 0 if unreadable. */
static uint64_t process_observe_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? resident * (uint64_t)page : 0;
}

static void process_observe_memory(conn *c)
{
    server_ctx *srv = worker_server(c->w);
    cache_stats es;
    cache_stats_read(srv->engine, &es);
    int64_t buffers = 0, pooled = 0;
    for (unsigned i = 0; i < srv->nworkers; i++) {
        buffers += worker_buffer_bytes(srv->workers[i]);
        pooled += worker_pooled_bytes(srv->workers[i]);
    }
    uint64_t conn_bytes = buffers > 0 ? (uint64_t)buffers : 0;
    uint64_t rss = process_observe_rss();
    /* Slab pages are mapped but become resident only as chunks are used:
     * count the items' bytes, not the pages, against RSS. */
    uint64_t known = es.bytes + es.hash_bytes + conn_bytes;
    process_observe_u64(c, "rss_bytes", rss);
    process_observe_u64(c, "item_pages_bytes", es.total_malloced);
    process_observe_u64(c, "item_bytes", es.bytes);
    process_observe_u64(c, "limit_maxbytes", es.limit_maxbytes);
    process_observe_u64(c, "hash_bytes", es.hash_bytes);
    process_observe_u64(c, "conn_buffer_bytes", conn_bytes);
    process_observe_u64(c, "conn_buffer_pooled_bytes", pooled > 0 ? (uint64_t)pooled : 0);
    process_observe_u64(c, "other_bytes", rss > known ? rss - known : 0);
    process_observe_end(c);
}

/* ---- dispatch and reset ---------------------------------------------------- */

bool process_observe_stats(conn *c, text_str sub)
{
    if (text_str_eq(sub, "hotkeys"))
        process_observe_hotkeys(c);
    else if (text_str_eq(sub, "latency"))
        process_observe_latency(c);
    else if (text_str_eq(sub, "memory"))
        process_observe_memory(c);
    else
        return false;
    return true;
}

void process_observe_reset(conn *c)
{
    server_ctx *srv = worker_server(c->w);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        hotkeys_reset(worker_hotkeys(srv->workers[i]));
        latency_reset(worker_latency(srv->workers[i]));
    }
}

/* ---- hooks ------------------------------------------------------------------ */

/*
 * The calling worker's sketch and histograms, looked up once per thread: a
 * worker thread serves only its own worker, so the hot path needs no call.
 */
static _Thread_local hotkeys *process_observe_hot;
static _Thread_local latency_set *process_observe_lat;

static hotkeys *process_observe_hotkeys_of(const conn *c)
{
    if (process_observe_hot == NULL)
        process_observe_hot = worker_hotkeys(c->w);
    return process_observe_hot;
}

static latency_set *process_observe_latency_of(const conn *c)
{
    if (process_observe_lat == NULL)
        process_observe_lat = worker_latency(c->w);
    return process_observe_lat;
}

__attribute__((noinline)) static void process_observe_sample(hotkeys *h, text_str key,
                                                            const cache_item *it)
{
    hotkeys_sample(h, key.ptr, key.len, it != NULL ? cache_item_nbytes(it) : 0);
}

void process_observe_get(conn *c, text_str key, const cache_item *it)
{
    hotkeys *h = process_observe_hotkeys_of(c);
    if (__builtin_expect(hotkeys_tick(h), 0))
        process_observe_sample(h, key, it);
}

__attribute__((noinline)) static void process_observe_start_clock(conn *c,
                                                                 latency_set *s)
{
    latency_rearm(s);
    c->cmd_started_ns = latency_now_ns();
}

void process_observe_begin(conn *c)
{
    latency_set *s = process_observe_latency_of(c);
    c->cmd_started_ns = 0; /* not timed */
    if (__builtin_expect(latency_tick(s), 0))
        process_observe_start_clock(c, s);
}

static latency_kind process_observe_meta_kind(text_meta m)
{
    switch (m) {
    case TEXT_META_GET: return LATENCY_MG;
    case TEXT_META_SET: return LATENCY_MS;
    case TEXT_META_DELETE: return LATENCY_MD;
    case TEXT_META_ARITH: return LATENCY_MA;
    default: return LATENCY_OTHER;
    }
}

static latency_kind process_observe_kind(const text_request *req)
{
    switch (req->cmd) {
    case TEXT_CMD_GET: case TEXT_CMD_GETS: return LATENCY_GET;
    case TEXT_CMD_GAT: case TEXT_CMD_GATS: case TEXT_CMD_TOUCH: return LATENCY_TOUCH;
    case TEXT_CMD_SET: case TEXT_CMD_ADD: case TEXT_CMD_REPLACE:
    case TEXT_CMD_APPEND: case TEXT_CMD_PREPEND: case TEXT_CMD_CAS:
        return LATENCY_SET;
    case TEXT_CMD_DELETE: return LATENCY_DELETE;
    case TEXT_CMD_INCR: case TEXT_CMD_DECR: return LATENCY_INCR_DECR;
    case TEXT_CMD_META: return process_observe_meta_kind(req->meta);
    default: return LATENCY_OTHER;
    }
}

/* A timed command, or a reset to apply first. */
__attribute__((noinline)) static void process_observe_record_slow(conn *c,
                                                                 latency_set *s,
                                                                 latency_kind k)
{
    latency_count(s, k);
    if (c->cmd_started_ns == 0)
        return;
    uint64_t now = latency_now_ns();
    latency_time(s, k, now > c->cmd_started_ns ? now - c->cmd_started_ns : 0);
    c->cmd_started_ns = 0;
}

/* The command ran on this thread after process_observe_begin, which set
 * process_observe_lat. */
static void process_observe_record(conn *c, latency_kind k)
{
    latency_set *s = process_observe_lat;
    assert(s == worker_latency(c->w));
    if (__builtin_expect(c->cmd_started_ns != 0 || latency_reset_pending(s), 0))
        process_observe_record_slow(c, s, k);
    else
        latency_count_settled(s, k);
}

void process_observe_command_done(conn *c)
{
    if (c->state != CONN_READ_VALUE)
        process_observe_record(c, process_observe_kind(&c->req));
}

void process_observe_store_done(conn *c)
{
    process_observe_record(c, c->store.cmd == TEXT_CMD_META ? LATENCY_MS
                                                            : LATENCY_SET);
}
