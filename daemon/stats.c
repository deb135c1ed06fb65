/*
 * daemon/stats.c -- folding per-worker counters, the `stats reset`
 * baseline, and the order of the general `stats` section.
 */
#include "daemon/stats.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

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
