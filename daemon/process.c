/*
 * daemon/process.c -- runs text-protocol commands against the engine.
 *
 * Replies are composed by proto/ into the conn's reply queue; value bytes
 * are queued by reference (the item stays referenced until written).
 * Counters follow memcached: get counts per key, gat counts as touches.
 */
#include "config.h"

#include "daemon/process.h"

#include <stdio.h>
#include <string.h>

#include "daemon/detail.h"
#include "daemon/logger.h"
#include "daemon/process_admin.h"
#include "daemon/process_meta.h"
#include "daemon/process_observe.h"
#include "daemon/server_ctx.h"
#include "daemon/stats.h"
#include "daemon/worker.h"

#define PROCESS_LINE_ROOM 512 /* enough for any fixed-format reply line */

/* ---- the cache_status -> reply table -------------------------------------- */

typedef enum process_op {
    PROCESS_OP_STORE,
    PROCESS_OP_DELETE,
    PROCESS_OP_TOUCH,
    PROCESS_OP_DELTA,
    PROCESS_OP__COUNT
} process_op;

/* TEXT_REPLY_NONE: the caller composes the reply itself (incr/decr value). */
static const text_reply process_replies[PROCESS_OP__COUNT][CACHE_EINVAL + 1] = {
    [PROCESS_OP_STORE] = {
        [CACHE_OK] = TEXT_REPLY_STORED,
        [CACHE_NOT_FOUND] = TEXT_REPLY_NOT_FOUND,
        [CACHE_NOT_STORED] = TEXT_REPLY_NOT_STORED,
        [CACHE_EXISTS] = TEXT_REPLY_EXISTS,
        [CACHE_TOO_LARGE] = TEXT_REPLY_SE_TOO_LARGE,
        [CACHE_ENOMEM] = TEXT_REPLY_SE_OOM_STORING,
        [CACHE_NON_NUMERIC] = TEXT_REPLY_NOT_STORED,
        [CACHE_EINVAL] = TEXT_REPLY_CE_BAD_FORMAT,
    },
    [PROCESS_OP_DELETE] = {
        [CACHE_OK] = TEXT_REPLY_DELETED,
        [CACHE_NOT_FOUND] = TEXT_REPLY_NOT_FOUND,
        [CACHE_NOT_STORED] = TEXT_REPLY_NOT_FOUND,
        [CACHE_EXISTS] = TEXT_REPLY_EXISTS,
        [CACHE_TOO_LARGE] = TEXT_REPLY_CE_BAD_FORMAT,
        [CACHE_ENOMEM] = TEXT_REPLY_SE_OOM,
        [CACHE_NON_NUMERIC] = TEXT_REPLY_CE_BAD_FORMAT,
        [CACHE_EINVAL] = TEXT_REPLY_CE_BAD_FORMAT,
    },
    [PROCESS_OP_TOUCH] = {
        [CACHE_OK] = TEXT_REPLY_TOUCHED,
        [CACHE_NOT_FOUND] = TEXT_REPLY_NOT_FOUND,
        [CACHE_NOT_STORED] = TEXT_REPLY_NOT_FOUND,
        [CACHE_EXISTS] = TEXT_REPLY_EXISTS,
        [CACHE_TOO_LARGE] = TEXT_REPLY_CE_BAD_FORMAT,
        [CACHE_ENOMEM] = TEXT_REPLY_SE_OOM,
        [CACHE_NON_NUMERIC] = TEXT_REPLY_CE_BAD_FORMAT,
        [CACHE_EINVAL] = TEXT_REPLY_CE_BAD_FORMAT,
    },
    [PROCESS_OP_DELTA] = {
        [CACHE_OK] = TEXT_REPLY_NONE,
        [CACHE_NOT_FOUND] = TEXT_REPLY_NOT_FOUND,
        [CACHE_NOT_STORED] = TEXT_REPLY_NOT_FOUND,
        [CACHE_EXISTS] = TEXT_REPLY_EXISTS,
        [CACHE_TOO_LARGE] = TEXT_REPLY_SE_OOM,
        [CACHE_ENOMEM] = TEXT_REPLY_SE_OOM,
        [CACHE_NON_NUMERIC] = TEXT_REPLY_CE_NON_NUMERIC,
        [CACHE_EINVAL] = TEXT_REPLY_CE_BAD_FORMAT,
    },
};

static text_reply process_reply_for(process_op op, cache_status st)
{
    if ((unsigned)st > CACHE_EINVAL)
        return TEXT_REPLY_SE_OOM;
    return process_replies[op][st];
}

/* ---- small helpers ---------------------------------------------------------- */

static cache_thread *process_ct(const conn *c) { return c->ct; }
static stats_counters *process_counters(const conn *c) { return c->st; }
static server_ctx *process_srv(const conn *c) { return worker_server(c->w); }

static void process_reply(conn *c, text_reply r)
{
    conn_out_reply(c, r);
}

static void process_reply_unless(conn *c, bool noreply, text_reply r)
{
    if (!noreply && r != TEXT_REPLY_NONE)
        process_reply(c, r);
}

/* ---- get / gets / gat / gats ------------------------------------------------ */

/*
 * A VALUE line and the item's value; small values go out in one copy
 * (conn_out_value_space). Takes over the reference to `it`.
 */
static void process_queue_value(conn *c, cache_item *it, bool with_cas)
{
    text_str key = {cache_item_key(it), cache_item_nkey(it)};
    size_t room = key.len + TEXT_VALUE_OVERHEAD;
    char *p = conn_out_value_space(c, it, room);
    bool small = p != NULL;
    if (!small && (p = conn_out_space(c, room)) == NULL) {
        cache_release(process_ct(c), it);
        c->close_after = true;
        return;
    }
    size_t n = text_compose_value(p, room, key, cache_item_flags(it), cache_item_nbytes(it),
                                  with_cas, cache_item_cas(it));
    if (small) {
        conn_out_value_commit(c, p, n, it);
        return;
    }
    conn_out_commit(c, n);
    conn_out_value_tail(c, it);
}

static void process_get_key(conn *c, const text_request *req, text_str key,
                            bool touch)
{
    stats_counters *st = process_counters(c);
    cache_item *it = touch
        ? cache_get_touch(process_ct(c), key.ptr, key.len, req->exptime)
        : cache_get(process_ct(c), key.ptr, key.len);
    if (touch) {
        stats_bump(&st->cmd_touch, 1);
        stats_bump(it != NULL ? &st->touch_hits : &st->touch_misses, 1);
    } else {
        stats_bump(&st->cmd_get, 1);
        stats_bump(it != NULL ? &st->get_hits : &st->get_misses, 1);
    }
    if (detail_enabled()) /* gat counts as a get here, as memcached */
        detail_count_get(key.ptr, key.len, it != NULL);
    process_observe_get(c, key, it);
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(process_ct(c), c->fd, key.ptr, key.len, it, false);
    if (it != NULL)
        process_queue_value(c, it, req->cmd == TEXT_CMD_GETS ||
                                       req->cmd == TEXT_CMD_GATS);
}

static void process_get(conn *c, text_request *req)
{
    bool touch = req->cmd == TEXT_CMD_GAT || req->cmd == TEXT_CMD_GATS;
    text_str key, next;
    text_rewind_keys(req);
    bool have = text_next_key(req, &key);
    while (have && !c->close_after) {
        /* One key ahead: its item loads while this one is looked up and copied. */
        bool more = text_next_key(req, &next);
        if (more)
            cache_prefetch_key(process_ct(c), next.ptr, next.len);
        process_get_key(c, req, key, touch);
        key = next;
        have = more;
    }
    process_reply(c, TEXT_REPLY_END);
}

/* ---- storage ------------------------------------------------------------------ */

static cache_store_mode process_store_mode(text_cmd cmd)
{
    switch (cmd) {
    case TEXT_CMD_ADD: return CACHE_ADD;
    case TEXT_CMD_REPLACE: return CACHE_REPLACE;
    case TEXT_CMD_APPEND: return CACHE_APPEND;
    case TEXT_CMD_PREPEND: return CACHE_PREPEND;
    case TEXT_CMD_CAS: return CACHE_CAS;
    default: return CACHE_SET;
    }
}

cache_item *process_store_begin(conn *c, const text_request *req)
{
    cache_item *it = NULL;
    cache_status st = CACHE_TOO_LARGE;
    if (detail_enabled()) /* every store attempt counts, as memcached */
        detail_count_set(req->key.ptr, req->key.len);
    if (req->nbytes <= SIZE_MAX - 2) {
        cache_prefetch_key(process_ct(c), req->key.ptr, req->key.len);
        st = cache_alloc(process_ct(c), req->key.ptr, req->key.len, req->flags,
                         req->exptime, (size_t)req->nbytes, &it);
    }
    if (st == CACHE_OK)
        return it;
    if (st == CACHE_TOO_LARGE)
        stats_bump(&process_counters(c)->store_too_large, 1);
    else if (st == CACHE_ENOMEM)
        stats_bump(&process_counters(c)->store_no_memory, 1);
    /* As memcached: a failed set must not leave the old value readable. */
    if (req->cmd == TEXT_CMD_SET)
        cache_delete(process_ct(c), req->key.ptr, req->key.len, 0);
    process_reply_unless(c, req->noreply, process_reply_for(PROCESS_OP_STORE, st));
    return NULL;
}

static void process_count_store(conn *c, text_cmd cmd, cache_status st)
{
    stats_counters *s = process_counters(c);
    stats_bump(&s->cmd_set, 1);
    if (cmd != TEXT_CMD_CAS)
        return;
    if (st == CACHE_OK)
        stats_bump(&s->cas_hits, 1);
    else if (st == CACHE_EXISTS)
        stats_bump(&s->cas_badval, 1);
    else if (st == CACHE_NOT_FOUND)
        stats_bump(&s->cas_misses, 1);
}

void process_store_finish(conn *c, const conn_store *s, cache_item *it,
                          bool block_ok)
{
    if (s->cmd == TEXT_CMD_META) {
        process_meta_store_finish(c, s, it, block_ok);
        return;
    }
    if (!block_ok) {
        cache_release(process_ct(c), it);
        process_reply_unless(c, s->noreply, TEXT_REPLY_CE_BAD_DATA_CHUNK);
        return;
    }
    cache_status st = cache_store(process_ct(c), it, process_store_mode(s->cmd),
                                  s->cas, NULL);
    if (logger_watching(LOGGER_MUTATIONS))
        logger_log_store(process_ct(c), c->fd, it, process_store_mode(s->cmd), st);
    cache_release(process_ct(c), it);
    process_count_store(c, s->cmd, st);
    process_reply_unless(c, s->noreply, process_reply_for(PROCESS_OP_STORE, st));
}

/* ---- delete / incr / decr / touch ----------------------------------------- */

static void process_delete(conn *c, const text_request *req)
{
    cache_item *seen = logger_watching(LOGGER_DELETIONS)
        ? logger_peek(process_ct(c), req->key.ptr, req->key.len) : NULL;
    cache_status st = cache_delete(process_ct(c), req->key.ptr, req->key.len, 0);
    if (seen != NULL || logger_watching(LOGGER_FETCHERS | LOGGER_DELETIONS))
        logger_log_delete(process_ct(c), c->fd, req->key.ptr, req->key.len, seen,
                          st == CACHE_OK, "delete");
    stats_counters *s = process_counters(c);
    stats_bump(st == CACHE_OK ? &s->delete_hits : &s->delete_misses, 1);
    if (detail_enabled())
        detail_count_delete(req->key.ptr, req->key.len);
    process_reply_unless(c, req->noreply, process_reply_for(PROCESS_OP_DELETE, st));
}

static void process_delta(conn *c, const text_request *req)
{
    bool incr = req->cmd == TEXT_CMD_INCR;
    uint64_t value = 0;
    cache_status st = cache_delta(process_ct(c), req->key.ptr, req->key.len,
                                  incr, req->delta, &value, NULL);
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(process_ct(c), c->fd, req->key.ptr, req->key.len, NULL,
                         st != CACHE_NOT_FOUND);
    stats_counters *s = process_counters(c);
    if (st == CACHE_OK)
        stats_bump(incr ? &s->incr_hits : &s->decr_hits, 1);
    else if (st == CACHE_NOT_FOUND)
        stats_bump(incr ? &s->incr_misses : &s->decr_misses, 1);
    if (req->noreply)
        return;
    if (st != CACHE_OK) {
        process_reply(c, process_reply_for(PROCESS_OP_DELTA, st));
        return;
    }
    char *p = conn_out_space(c, PROCESS_LINE_ROOM);
    if (p != NULL)
        conn_out_commit(c, text_compose_number(p, PROCESS_LINE_ROOM, value));
}

static void process_touch(conn *c, const text_request *req)
{
    cache_status st = cache_touch(process_ct(c), req->key.ptr, req->key.len,
                                  req->exptime);
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(process_ct(c), c->fd, req->key.ptr, req->key.len, NULL,
                         st == CACHE_OK);
    stats_counters *s = process_counters(c);
    stats_bump(&s->cmd_touch, 1);
    stats_bump(st == CACHE_OK ? &s->touch_hits : &s->touch_misses, 1);
    process_reply_unless(c, req->noreply, process_reply_for(PROCESS_OP_TOUCH, st));
}

/* ---- administrative commands ------------------------------------------------ */

static void process_flush_all(conn *c, const text_request *req)
{
    if (process_srv(c)->opts->disable_flush_all) {
        process_reply_unless(c, req->noreply, TEXT_REPLY_CE_FLUSH_DISABLED);
        return;
    }
    stats_bump(&process_counters(c)->cmd_flush, 1);
    cache_flush(process_ct(c), req->has_value ? req->exptime : 0);
    process_reply_unless(c, req->noreply, TEXT_REPLY_OK);
}

static void process_version(conn *c)
{
    char *p = conn_out_space(c, PROCESS_LINE_ROOM);
    if (p != NULL)
        conn_out_commit(c, text_compose_version(p, PROCESS_LINE_ROOM, PROCESS_VERSION));
}

static void process_verbosity(conn *c, const text_request *req)
{
    unsigned level = req->value > 10 ? 10 : (unsigned)req->value;
    atomic_store(&process_srv(c)->verbose, level);
    process_reply_unless(c, req->noreply, TEXT_REPLY_OK);
}

static void process_shutdown(conn *c, const text_request *req)
{
    if (!process_srv(c)->opts->allow_shutdown) {
        process_reply_unless(c, req->noreply, TEXT_REPLY_SHUTDOWN_DISABLED);
        return;
    }
    if (atomic_load(&process_srv(c)->verbose) > 0)
        fprintf(stderr, "<%d shutdown requested\n", c->fd);
    server_request_shutdown(process_srv(c));
    c->close_after = true;
}

static void process_debugtime(conn *c, const text_request *req)
{
#ifdef CASHEW_DEBUG
    if (process_srv(c)->opts->debug_commands && req->has_value) {
        server_clock_advance((int64_t)req->value);
        process_reply_unless(c, req->noreply, TEXT_REPLY_OK);
        return;
    }
#endif
    process_reply_unless(c, req->noreply, TEXT_REPLY_ERROR);
}

void process_command(conn *c, text_request *req)
{
    switch (req->cmd) {
    case TEXT_CMD_GET: case TEXT_CMD_GETS: case TEXT_CMD_GAT: case TEXT_CMD_GATS:
        process_get(c, req);
        break;
    case TEXT_CMD_DELETE: process_delete(c, req); break;
    case TEXT_CMD_INCR: case TEXT_CMD_DECR: process_delta(c, req); break;
    case TEXT_CMD_TOUCH: process_touch(c, req); break;
    case TEXT_CMD_FLUSH_ALL: process_flush_all(c, req); break;
    case TEXT_CMD_VERSION: process_version(c); break;
    case TEXT_CMD_VERBOSITY: process_verbosity(c, req); break;
    case TEXT_CMD_QUIT: c->close_after = true; break;
    case TEXT_CMD_SHUTDOWN: process_shutdown(c, req); break;
    case TEXT_CMD_STATS: process_stats_command(c, req); break;
    case TEXT_CMD_DEBUGTIME: process_debugtime(c, req); break;
    case TEXT_CMD_WATCH: logger_watch_command(c, req); break;
    default:
        if (process_admin_command(c, req)) break; /* slabs, lru_crawler */
        /* Meta lines never get here: conn.c hands them to process_meta. */
        process_reply_unless(c, req->noreply, req->reply != TEXT_REPLY_NONE
                                                  ? req->reply : TEXT_REPLY_ERROR);
        break;
    }
}

/* -F / no -A answer before any argument check, as memcached. */
static text_reply process_disabled_reply(conn *c, text_cmd cmd)
{
    const server_options *o = process_srv(c)->opts;
    if (cmd == TEXT_CMD_FLUSH_ALL && o->disable_flush_all)
        return TEXT_REPLY_CE_FLUSH_DISABLED;
    if (cmd == TEXT_CMD_SHUTDOWN && !o->allow_shutdown)
        return TEXT_REPLY_SHUTDOWN_DISABLED;
    return TEXT_REPLY_NONE;
}

void process_parse_error(conn *c, const text_request *req)
{
    text_reply r = process_disabled_reply(c, req->cmd);
    if (r == TEXT_REPLY_NONE) r = process_admin_disabled_reply(c, req->cmd);
    if (r == TEXT_REPLY_NONE)
        r = req->reply != TEXT_REPLY_NONE ? req->reply : TEXT_REPLY_ERROR;
    if (!text_reply_suppressed(req))
        process_reply(c, r);
}
