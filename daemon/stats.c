/*
 * daemon/stats.c -- folding per-worker counters, the `stats reset`
 * baseline, and the order of the general `stats` section.
 */
#include "daemon/stats.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/logger.h"

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static stats_inputs stats_baseline; /* guarded by stats_lock */

void stats_fold(stats_snapshot *sum, const stats_counters *c)
{
#define STATS_ADD_(name) \
    sum->name += atomic_load_explicit(&c->name, memory_order_relaxed);
    STATS_WORKER_COUNTERS(STATS_ADD_)
#undef STATS_ADD_
}

static uint64_t stats_minus(uint64_t value, uint64_t base)
{
    return value > base ? value - base : 0;
}

/* Engine counters that only grow (gauges like curr_items are not reset). */
#define STATS_ENGINE_RESETTABLE(X)                                        \
    X(total_items) X(evictions) X(reclaimed) X(expired_unfetched)         \
    X(evicted_unfetched) X(evicted_active) X(crawler_reclaimed)           \
    X(outofmemory) X(get_expired) X(get_flushed) X(slabs_moved)           \
    X(slab_reassign_rescues) X(slab_reassign_evictions) X(moves_to_cold)  \
    X(moves_to_warm) X(moves_within_lru) X(lru_maintainer_juggles)

static void stats_subtract(stats_inputs *in, const stats_inputs *base)
{
#define STATS_SUB_W_(name) \
    in->workers.name = stats_minus(in->workers.name, base->workers.name);
    STATS_WORKER_COUNTERS(STATS_SUB_W_)
#undef STATS_SUB_W_
#define STATS_SUB_E_(name) \
    in->engine.name = stats_minus(in->engine.name, base->engine.name);
    STATS_ENGINE_RESETTABLE(STATS_SUB_E_)
#undef STATS_SUB_E_
    in->total_conns = stats_minus(in->total_conns, base->total_conns);
    in->rejected_conns = stats_minus(in->rejected_conns, base->rejected_conns);
}

void stats_apply_baseline(stats_inputs *in)
{
    pthread_mutex_lock(&stats_lock);
    stats_subtract(in, &stats_baseline);
    pthread_mutex_unlock(&stats_lock);
}

void stats_reset_baseline(const stats_inputs *in)
{
    pthread_mutex_lock(&stats_lock);
    stats_baseline = *in;
    pthread_mutex_unlock(&stats_lock);
}

static void stats_emit_process(const stats_inputs *in, const stats_emitter *e)
{
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    getrusage(RUSAGE_SELF, &ru);
    e->u64(e->arg, "pid", (uint64_t)getpid());
    e->i64(e->arg, "uptime", in->now - in->started);
    e->i64(e->arg, "time", in->now);
    e->str(e->arg, "version", in->version);
    e->str(e->arg, "libevent", event_get_version());
    e->u64(e->arg, "pointer_size", 8 * sizeof(void *));
    e->timeval(e->arg, "rusage_user", ru.ru_utime.tv_sec, ru.ru_utime.tv_usec);
    e->timeval(e->arg, "rusage_system", ru.ru_stime.tv_sec, ru.ru_stime.tv_usec);
    e->u64(e->arg, "max_connections", in->max_conns);
    e->u64(e->arg, "curr_connections", in->curr_conns);
    e->u64(e->arg, "total_connections", in->total_conns);
    e->u64(e->arg, "rejected_connections", in->rejected_conns);
    e->u64(e->arg, "connection_structures", in->conn_structures);
}

static void stats_emit_commands(const stats_inputs *in, const stats_emitter *e)
{
    const stats_snapshot *w = &in->workers;
    e->u64(e->arg, "cmd_get", w->cmd_get);
    e->u64(e->arg, "cmd_set", w->cmd_set);
    e->u64(e->arg, "cmd_flush", w->cmd_flush);
    e->u64(e->arg, "cmd_touch", w->cmd_touch);
    e->u64(e->arg, "cmd_meta", w->cmd_meta);
    e->u64(e->arg, "get_hits", w->get_hits);
    e->u64(e->arg, "get_misses", w->get_misses);
    e->u64(e->arg, "get_expired", in->engine.get_expired);
    e->u64(e->arg, "get_flushed", in->engine.get_flushed);
    e->u64(e->arg, "delete_misses", w->delete_misses);
    e->u64(e->arg, "delete_hits", w->delete_hits);
    e->u64(e->arg, "incr_misses", w->incr_misses);
    e->u64(e->arg, "incr_hits", w->incr_hits);
    e->u64(e->arg, "decr_misses", w->decr_misses);
    e->u64(e->arg, "decr_hits", w->decr_hits);
    e->u64(e->arg, "cas_misses", w->cas_misses);
    e->u64(e->arg, "cas_hits", w->cas_hits);
    e->u64(e->arg, "cas_badval", w->cas_badval);
    e->u64(e->arg, "touch_hits", w->touch_hits);
    e->u64(e->arg, "touch_misses", w->touch_misses);
    e->u64(e->arg, "store_too_large", w->store_too_large);
    e->u64(e->arg, "store_no_memory", w->store_no_memory);
    e->u64(e->arg, "idle_kicks", w->idle_kicks);
    e->u64(e->arg, "bytes_read", w->bytes_read);
    e->u64(e->arg, "bytes_written", w->bytes_written);
}

/* The `watch` counters (logger.h), where memcached shows them. */
static void stats_emit_logger(const stats_emitter *e)
{
    logger_stats l;
    logger_get_stats(&l);
    e->u64(e->arg, "log_worker_dropped", l.worker_dropped);
    e->u64(e->arg, "log_worker_written", l.worker_written);
    e->u64(e->arg, "log_watcher_skipped", l.watcher_skipped);
    e->u64(e->arg, "log_watcher_sent", l.watcher_sent);
    e->u64(e->arg, "log_watchers", l.watchers);
}

static void stats_emit_engine(const stats_inputs *in, const stats_emitter *e)
{
    const cache_stats *s = &in->engine;
    e->u64(e->arg, "limit_maxbytes", s->limit_maxbytes);
    e->u64(e->arg, "threads", in->threads);
    e->u64(e->arg, "conn_yields", in->workers.conn_yields);
    e->u64(e->arg, "hash_power_level", s->hash_power_level);
    e->u64(e->arg, "hash_bytes", s->hash_bytes);
    e->u64(e->arg, "hash_is_expanding", s->hash_is_expanding ? 1 : 0);
    e->u64(e->arg, "slab_reassign_rescues", s->slab_reassign_rescues);
    e->u64(e->arg, "slab_reassign_evictions_nomem", s->slab_reassign_evictions);
    e->u64(e->arg, "slabs_moved", s->slabs_moved);
    e->u64(e->arg, "lru_maintainer_juggles", s->lru_maintainer_juggles);
    stats_emit_logger(e);
    e->u64(e->arg, "bytes", s->bytes);
    e->u64(e->arg, "curr_items", s->curr_items);
    e->u64(e->arg, "total_items", s->total_items);
    e->u64(e->arg, "expired_unfetched", s->expired_unfetched);
    e->u64(e->arg, "evicted_unfetched", s->evicted_unfetched);
    e->u64(e->arg, "evicted_active", s->evicted_active);
    e->u64(e->arg, "evictions", s->evictions);
    e->u64(e->arg, "reclaimed", s->reclaimed);
    e->u64(e->arg, "crawler_reclaimed", s->crawler_reclaimed);
    e->u64(e->arg, "moves_to_cold", s->moves_to_cold);
    e->u64(e->arg, "moves_to_warm", s->moves_to_warm);
    e->u64(e->arg, "moves_within_lru", s->moves_within_lru);
}

void stats_emit_general(const stats_inputs *in, const stats_emitter *e)
{
    stats_emit_process(in, e);
    stats_emit_commands(in, e);
    stats_emit_engine(in, e);
}

/* ---- `stats conns` ----------------------------------------------------------- */

const char *stats_conn_state_name(stats_conn_state s)
{
    static const char *const names[] = {
        [STATS_CONN_LISTENING] = "conn_listening",
        [STATS_CONN_NEW_CMD] = "conn_new_cmd",
        [STATS_CONN_PARSE_CMD] = "conn_parse_cmd",
        [STATS_CONN_READ] = "conn_read",
        [STATS_CONN_NREAD] = "conn_nread",
        [STATS_CONN_SWALLOW] = "conn_swallow",
        [STATS_CONN_CLOSING] = "conn_closing",
        [STATS_CONN_UDP_READ] = "conn_read",
    };
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "conn_unknown";
    return names[s];
}

static void stats_conn_addr_format(const struct sockaddr_storage *ss,
                                   socklen_t len, bool udp, char *buf,
                                   size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    const char *proto = udp ? "udp" : "tcp";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(buf, cap, "%s:%s:%u", proto, host, ntohs(in->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(buf, cap, "%s6:[%s]:%u", proto, host, ntohs(in6->sin6_port));
    } else if (ss->ss_family == AF_UNIX &&
               len > (socklen_t)offsetof(struct sockaddr_un, sun_path)) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        snprintf(buf, cap, "unix:%.*s", (int)strnlen(un->sun_path, n),
                 un->sun_path);
    } else {
        snprintf(buf, cap, "?:<AF 0>"); /* an unnamed peer, as memcached */
    }
}

void stats_conn_addr(int fd, bool peer, bool udp, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        memset(&ss, 0, sizeof ss);
    stats_conn_addr_format(&ss, rc == 0 ? len : 0, udp, buf, cap);
}

stats_conn_info *stats_conn_list_next(stats_conn_list *list)
{
    if (list->n == list->cap) {
        size_t cap = list->cap == 0 ? 16 : list->cap * 2;
        stats_conn_info *items = realloc(list->items, cap * sizeof *items);
        if (items == NULL)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    stats_conn_info *info = &list->items[list->n];
    memset(info, 0, sizeof *info);
    return info;
}

static bool stats_fd_is_listener(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0)
        return false;
    return on != 0;
}

bool stats_conn_list_add_listeners(stats_conn_list *list, int64_t opened)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return true; /* no procfs: listeners are not shown */
    bool ok = true;
    struct dirent *de;
    while (ok && (de = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end != '\0' || end == de->d_name || fd == dirfd(dir) ||
            !stats_fd_is_listener((int)fd))
            continue;
        stats_conn_info *info = stats_conn_list_next(list);
        if (info == NULL) {
            ok = false;
            break;
        }
        info->fd = (int)fd;
        info->state = STATS_CONN_LISTENING;
        info->last_cmd = opened;
        stats_conn_addr((int)fd, false, false, info->addr, sizeof info->addr);
        list->n++;
    }
    closedir(dir);
    return ok;
}

static int stats_conn_cmp(const void *a, const void *b)
{
    int fa = ((const stats_conn_info *)a)->fd;
    int fb = ((const stats_conn_info *)b)->fd;
    return (fa > fb) - (fa < fb);
}

void stats_conn_list_sort(stats_conn_list *list)
{
    if (list->n > 1)
        qsort(list->items, list->n, sizeof *list->items, stats_conn_cmp);
}
