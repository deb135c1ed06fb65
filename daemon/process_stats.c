/*
 * daemon/process_stats.c -- the `stats` command family. Lines are composed
 * by proto/ (text_compose_stat_*); the numbers come from stats.c (worker
 * and connection counters), the engine (cache_stats_read,
 * cache_stats_classes) and options.c (settings).
 */
#include "config.h"

#include "daemon/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conn.h"
#include "daemon/detail.h"
#include "daemon/options.h"       /* -X: options_dump_enabled */
#include "daemon/process_admin.h" /* `lru temp_ttl` as shown by stats settings */
#include "daemon/process_observe.h"
#include "daemon/server_ctx.h"
#include "daemon/stats.h"
#include "daemon/worker.h"

#define PROCESS_STATS_ROOM 256 /* fixed part of a STAT line */

/* ---- composing one line ------------------------------------------------------ */

static void process_stats_u64(void *arg, const char *name, uint64_t value)
{
    conn *c = arg;
    size_t cap = strlen(name) + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_u64(p, cap, name, value));
}

static void process_stats_i64(void *arg, const char *name, int64_t value)
{
    conn *c = arg;
    size_t cap = strlen(name) + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_i64(p, cap, name, value));
}

static void process_stats_str(void *arg, const char *name, const char *value)
{
    conn *c = arg;
    if (value == NULL)
        value = "NULL";
    size_t cap = strlen(name) + strlen(value) + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_str(p, cap, name, value));
}

static void process_stats_timeval(void *arg, const char *name, int64_t sec,
                                  int64_t usec)
{
    conn *c = arg;
    size_t cap = strlen(name) + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_timeval(p, cap, name, sec, usec));
}

/* "STAT <prefix>:<id>:<name> <value>" (prefix NULL: "STAT <id>:<name> ..."). */
static void process_stats_class(conn *c, const char *prefix, unsigned id,
                                const char *name, uint64_t value)
{
    size_t cap = strlen(name) + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_stat_prefixed_u64(p, cap, prefix, id,
                                                          name, value));
}

static void process_stats_end(conn *c)
{
    conn_out_reply(c, TEXT_REPLY_END);
}

static void process_stats_fixed(conn *c, text_reply r)
{
    conn_out_reply(c, r);
}

static void process_stats_admin(conn *c, text_admin_reply r)
{
    size_t len = text_admin_reply_len(r);
    char *p = conn_out_space(c, len);
    if (p != NULL) {
        memcpy(p, text_admin_reply_str(r), len);
        conn_out_commit(c, len);
    }
}

/* ---- general ------------------------------------------------------------------- */

static void process_stats_gather(conn *c, stats_inputs *in)
{
    server_ctx *srv = worker_server(c->w);
    memset(in, 0, sizeof *in);
    for (unsigned i = 0; i < srv->nworkers; i++)
        stats_fold(&in->workers, worker_counters(srv->workers[i]));
    cache_stats_read(srv->engine, &in->engine);
    in->curr_conns = atomic_load(&srv->conns.curr);
    in->total_conns = atomic_load(&srv->conns.total);
    in->rejected_conns = atomic_load(&srv->conns.rejected);
    in->conn_structures = atomic_load(&srv->conns.structures);
    in->max_conns = srv->opts->max_conns;
    in->now = server_clock(NULL);
    in->started = srv->started;
    in->threads = srv->nworkers;
    in->version = PROCESS_VERSION;
}

static void process_stats_general(conn *c)
{
    stats_inputs in;
    process_stats_gather(c, &in);
    stats_apply_baseline(&in);
    stats_emitter e = {c, process_stats_u64, process_stats_i64,
                       process_stats_str, process_stats_timeval};
    stats_emit_general(&in, &e);
    process_stats_end(c);
}

/*
 * The engine zeroes its per-class counters first, so the baseline taken
 * next already holds the zeroed sums (the general counters derived from
 * them start again from zero, not below it).
 */
static void process_stats_reset(conn *c)
{
    stats_inputs in;
    cache_stats_reset(worker_server(c->w)->engine);
    process_stats_gather(c, &in);
    stats_reset_baseline(&in);
    detail_clear();
    process_observe_reset(c); /* stats hotkeys, stats latency */
    process_stats_fixed(c, TEXT_REPLY_RESET);
}

/* `lru tune|mode|temp_ttl` and `cache_memlimit` settings as they are now, or NULL. */
static const char *process_stats_tuned(conn *c, const char *name, char *buf, size_t cap)
{
    cache *e = worker_server(c->w)->engine;
    cache_lru_tuning t;
    cache_lru_tuning_read(e, &t);
    bool temp_lru;
    unsigned temp_ttl;
    bool temp_changed = process_admin_temp_lru(&temp_lru, &temp_ttl);
    if (strcmp(name, "maxbytes") == 0)
        snprintf(buf, cap, "%zu", cache_memory_limit(e));
    else if (strcmp(name, "hot_lru_pct") == 0 || strcmp(name, "warm_lru_pct") == 0)
        snprintf(buf, cap, "%u", name[0] == 'h' ? t.hot_lru_pct : t.warm_lru_pct);
    else if (strcmp(name, "hot_max_factor") == 0 || strcmp(name, "warm_max_factor") == 0)
        snprintf(buf, cap, "%.2f", name[0] == 'h' ? t.hot_max_factor : t.warm_max_factor);
    else if (strcmp(name, "lru_segmented") == 0)
        snprintf(buf, cap, "%s", cache_lru_segmented(e) ? "yes" : "no");
    else if (temp_changed && strcmp(name, "temp_lru") == 0)
        snprintf(buf, cap, "%s", temp_lru ? "yes" : "no");
    else if (temp_changed && strcmp(name, "temporary_ttl") == 0)
        snprintf(buf, cap, "%u", temp_ttl);
    else
        return NULL;
    return buf;
}

/*
 * Settings come from options.c's table, which knows the start-up values;
 * the few that commands change at run time (verbosity, stats detail and
 * -D, the lru_crawler, lru and cache_memlimit settings) are read from where they live now.
 */
static void process_stats_setting(void *arg, const char *name, const char *value)
{
    conn *c = arg;
    char now[24];
    char tuned[127]; /* memcached cuts a stats value at 126 characters (1e300 factors) */
    if (process_stats_tuned(c, name, tuned, sizeof tuned) != NULL) {
        value = tuned;
    } else if (strcmp(name, "verbosity") == 0) {
        snprintf(now, sizeof now, "%u",
                 atomic_load_explicit(&worker_server(c->w)->verbose,
                                      memory_order_relaxed));
        value = now;
    } else if (strcmp(name, "stat_key_prefix") == 0) { /* -D */
        snprintf(now, sizeof now, "%c", detail_delimiter());
        value = now;
    } else if (strcmp(name, "detail_enabled") == 0) {
        value = detail_enabled() ? "yes" : "no"; /* `stats detail on|off` */
    } else if (strcmp(name, "lru_crawler") == 0) { /* `lru_crawler enable|disable` */
        value = cache_lru_crawler_enabled(worker_server(c->w)->engine) ? "yes" : "no";
    } else if (strcmp(name, "lru_crawler_sleep") == 0) { /* `lru_crawler sleep` */
        snprintf(now, sizeof now, "%u", cache_crawler_sleep(worker_server(c->w)->engine));
        value = now;
    } else if (strcmp(name, "lru_crawler_tocrawl") == 0) { /* `lru_crawler tocrawl` */
        snprintf(now, sizeof now, "%u", cache_crawler_tocrawl(worker_server(c->w)->engine));
        value = now;
    }
    process_stats_str(c, name, value);
}

static void process_stats_settings(conn *c)
{
    const server_options *opts = worker_server(c->w)->opts;
    if (opts->emit_settings != NULL)
        opts->emit_settings(c, process_stats_setting);
    process_stats_end(c);
}

/* ---- per class ------------------------------------------------------------------- */

typedef struct process_items_walk {
    conn *c;
    bool temp_lru; /* memcached lists number_temp only while the TEMP LRU is on */
} process_items_walk;

static void process_stats_item_class(void *arg, const cache_class_stats *s)
{
    process_items_walk *walk = arg;
    conn *c = walk->c;
    if (s->number == 0)
        return;
#define PROCESS_ITEM_(field) process_stats_class(c, "items", s->id, #field, s->field);
    PROCESS_ITEM_(number) PROCESS_ITEM_(number_hot) PROCESS_ITEM_(number_warm)
    PROCESS_ITEM_(number_cold)
    if (walk->temp_lru)
        PROCESS_ITEM_(number_temp)
    PROCESS_ITEM_(age_hot) PROCESS_ITEM_(age_warm)
    PROCESS_ITEM_(age) PROCESS_ITEM_(mem_requested) PROCESS_ITEM_(evicted)
    PROCESS_ITEM_(evicted_nonzero) PROCESS_ITEM_(evicted_time)
    PROCESS_ITEM_(outofmemory) PROCESS_ITEM_(tailrepairs) PROCESS_ITEM_(reclaimed)
    PROCESS_ITEM_(expired_unfetched) PROCESS_ITEM_(evicted_unfetched)
    PROCESS_ITEM_(evicted_active) PROCESS_ITEM_(crawler_reclaimed)
    PROCESS_ITEM_(crawler_items_checked) PROCESS_ITEM_(lrutail_reflocked)
    PROCESS_ITEM_(moves_to_cold) PROCESS_ITEM_(moves_to_warm)
    PROCESS_ITEM_(moves_within_lru) PROCESS_ITEM_(direct_reclaims)
    PROCESS_ITEM_(hits_to_hot) PROCESS_ITEM_(hits_to_warm)
    PROCESS_ITEM_(hits_to_cold) PROCESS_ITEM_(hits_to_temp)
#undef PROCESS_ITEM_
}

typedef struct process_slab_walk {
    conn *c;
    uint64_t active;
} process_slab_walk;

static void process_stats_slab_class(void *arg, const cache_class_stats *s)
{
    process_slab_walk *walk = arg;
    conn *c = walk->c;
    walk->active++;
#define PROCESS_SLAB_(field) process_stats_class(c, NULL, s->id, #field, s->field);
    PROCESS_SLAB_(chunk_size) PROCESS_SLAB_(chunks_per_page)
    PROCESS_SLAB_(total_pages) PROCESS_SLAB_(total_chunks)
    PROCESS_SLAB_(used_chunks) PROCESS_SLAB_(free_chunks)
    process_stats_class(c, NULL, s->id, "free_chunks_end", 0);
    PROCESS_SLAB_(get_hits) PROCESS_SLAB_(cmd_set) PROCESS_SLAB_(delete_hits)
    PROCESS_SLAB_(incr_hits) PROCESS_SLAB_(decr_hits) PROCESS_SLAB_(cas_hits)
    PROCESS_SLAB_(cas_badval) PROCESS_SLAB_(touch_hits)
#undef PROCESS_SLAB_
}

static void process_stats_items(conn *c)
{
    cache *e = worker_server(c->w)->engine;
    process_items_walk walk = {c, false};
    unsigned ttl;
    if (!process_admin_temp_lru(&walk.temp_lru, &ttl)) /* else: as started */
        walk.temp_lru = cache_temporary_ttl(e) > 0;
    cache_stats_classes(e, process_stats_item_class, &walk);
    process_stats_end(c);
}

static void process_stats_slabs(conn *c)
{
    process_slab_walk walk = {c, 0};
    cache *engine = worker_server(c->w)->engine;
    cache_stats_classes(engine, process_stats_slab_class, &walk);
    cache_stats total;
    cache_stats_read(engine, &total);
    process_stats_u64(c, "active_slabs", walk.active);
    process_stats_u64(c, "total_malloced", total.total_malloced);
    process_stats_end(c);
}

/* ---- connections --------------------------------------------------------------- */

/* "STAT <fd>:<name> <value>" */
static void process_stats_conn_str(conn *c, int fd, const char *name,
                                   const char *value)
{
    char full[64];
    snprintf(full, sizeof full, "%d:%s", fd, name);
    process_stats_str(c, full, value);
}

static void process_stats_conn_entry(conn *c, const stats_conn_info *info,
                                     int64_t now)
{
    char secs[24];
    int64_t idle = now > info->last_cmd ? now - info->last_cmd : 0;
    snprintf(secs, sizeof secs, "%lld", (long long)idle);
    if (info->udp)
        process_stats_conn_str(c, info->fd, "UDP", "UDP");
    process_stats_conn_str(c, info->fd, "addr", info->addr);
    if (info->listen_addr[0] != '\0')
        process_stats_conn_str(c, info->fd, "listen_addr", info->listen_addr);
    process_stats_conn_str(c, info->fd, "state",
                           stats_conn_state_name(info->state));
    process_stats_conn_str(c, info->fd, "secs_since_last_cmd", secs);
}

/*
 * One group per connection, sorted by fd as memcached's table: listeners,
 * the UDP sockets (once each, from the first worker: the workers share
 * them), and every worker's clients (each worker's list read under its
 * conns lock, one worker at a time).
 */
static void process_stats_conns(conn *c)
{
    server_ctx *srv = worker_server(c->w);
    int64_t now = server_real_now();
    stats_conn_list list = {NULL, 0, 0};
    int64_t uptime = server_clock(NULL) - srv->started;
    bool ok = stats_conn_list_add_listeners(&list, now - uptime);
    for (unsigned i = 0; ok && i < srv->nworkers; i++)
        ok = worker_conns_describe(srv->workers[i], c, i == 0, &list);
    if (!ok) {
        free(list.items);
        process_stats_fixed(c, TEXT_REPLY_SE_OOM);
        return;
    }
    stats_conn_list_sort(&list);
    for (size_t i = 0; i < list.n; i++)
        process_stats_conn_entry(c, &list.items[i], now);
    free(list.items);
    process_stats_end(c);
}

/* ---- dispatch ------------------------------------------------------------------ */

/* "PREFIX <prefix> get <n> hit <n> set <n> del <n>" (detail_dump's emit). */
static void process_stats_detail_line(void *arg, text_str prefix,
                                      const detail_counts *n)
{
    conn *c = arg;
    size_t cap = prefix.len + PROCESS_STATS_ROOM;
    char *p = conn_out_space(c, cap);
    if (p != NULL)
        conn_out_commit(c, text_compose_detail_prefix(p, cap, prefix, n->gets,
                                                      n->hits, n->sets,
                                                      n->deletes));
}

static void process_stats_detail(conn *c, text_str rest)
{
    text_str mode;
    if (!text_next_token(&rest, &mode))
        process_stats_fixed(c, TEXT_REPLY_CE_STATS_DETAIL_USAGE);
    else if (text_str_eq(mode, "on") || text_str_eq(mode, "off")) {
        detail_set_enabled(text_str_eq(mode, "on"));
        process_stats_fixed(c, TEXT_REPLY_OK);
    } else if (text_str_eq(mode, "dump")) {
        detail_dump(process_stats_detail_line, c);
        process_stats_end(c);
    } else {
        process_stats_fixed(c, TEXT_REPLY_CE_STATS_DETAIL_USAGE);
    }
}

/* ---- cachedump ------------------------------------------------------------------ */

#define PROCESS_CACHEDUMP_CLASS_MAX 63 /* memcached's highest class id */

typedef struct process_cachedump {
    conn *c;
    uint32_t limit;  /* items to show, 0 = all */
    uint32_t shown;
    size_t bytes;    /* dump bytes so far (memcached stops at 2 MB, END included) */
} process_cachedump;

/* Runs under the class's LRU lock (cache_dump_class): composes one line, nothing more. */
static bool process_stats_cachedump_item(void *arg, const cache_dump_item *d)
{
    process_cachedump *dc = arg;
    char line[TEXT_CACHEDUMP_LINE_MAX];
    if (dc->limit != 0 && dc->shown >= dc->limit)
        return false;
    text_str key = {d->key, d->nkey};
    size_t n = text_compose_cachedump_item(line, sizeof line, key, d->nbytes, d->exptime);
    if (n == 0 || dc->bytes + n + text_reply_len(TEXT_REPLY_END) + 1 > TEXT_CACHEDUMP_BYTES_MAX)
        return false;
    char *p = conn_out_space(dc->c, n);
    if (p == NULL)
        return false;
    memcpy(p, line, n);
    conn_out_commit(dc->c, n);
    dc->bytes += n;
    dc->shown++;
    return true;
}

/*
 * memcached's order: -X, two numbers, the class range. Class ids above
 * memcached's 63 are refused as there, unless cashew has that class (it
 * may have up to 255); class 0 and empty classes dump nothing.
 */
static void process_stats_cachedump(conn *c, text_str rest)
{
    uint32_t id, limit;
    if (!options_dump_enabled()) {
        process_stats_admin(c, TEXT_ADMIN_REPLY_CE_CACHEDUMP_DISABLED);
        return;
    }
    text_reply r = text_cachedump_args(rest, &id, &limit);
    if (r != TEXT_REPLY_NONE) {
        process_stats_fixed(c, r);
        return;
    }
    cache *e = worker_server(c->w)->engine;
    if (id > PROCESS_CACHEDUMP_CLASS_MAX && id > cache_class_count(e)) {
        process_stats_admin(c, TEXT_ADMIN_REPLY_CE_ILLEGAL_SLAB_ID);
        return;
    }
    process_cachedump dc = {c, limit, 0, 0};
    cache_dump_class(e, id, process_stats_cachedump_item, &dc);
    process_stats_end(c);
}

void process_stats_command(conn *c, const text_request *req)
{
    text_str rest = req->args, sub;
    if (!text_next_token(&rest, &sub)) {
        process_stats_general(c);
        return;
    }
    if (text_str_eq(sub, "settings"))
        process_stats_settings(c);
    else if (text_str_eq(sub, "items"))
        process_stats_items(c);
    else if (text_str_eq(sub, "slabs"))
        process_stats_slabs(c);
    else if (text_str_eq(sub, "reset"))
        process_stats_reset(c);
    else if (text_str_eq(sub, "sizes")) {
        process_stats_str(c, "sizes_status", "disabled");
        process_stats_end(c);
    } else if (text_str_eq(sub, "conns"))
        process_stats_conns(c);
    else if (text_str_eq(sub, "detail"))
        process_stats_detail(c, rest);
    else if (text_str_eq(sub, "cachedump"))
        process_stats_cachedump(c, rest);
    else if (!process_observe_stats(c, sub)) /* hotkeys, latency, memory */
        process_stats_fixed(c, TEXT_REPLY_ERROR);
}
