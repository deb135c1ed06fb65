/*
 * daemon/process_meta.c -- runs meta commands (mg ms md ma mn me) against
 * the engine; see process_meta.h. Counters follow memcached 1.6.18: mg
 * counts as a get (as a touch when it has T and hits; a vivified miss as a
 * hit), ms as a set (plus cas_* with C), md as a delete (a C mismatch is a
 * delete miss; an invalidation counts nothing; x without I, newer than
 * 1.6.18, counts as a delete hit), ma as incr/decr (nothing for a creation
 * or a C mismatch), me as cmd_meta. The flags newer than 1.6.18 (E, md x,
 * ms N and s) map onto the engine's options: see proto/meta.h.
 */
#include "config.h"

#include "daemon/process_meta.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/logger.h"
#include "daemon/process.h"
#include "daemon/process_observe.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "proto/meta.h"

/* Room for any meta reply line: a base64 key (336), a 32-byte opaque, flags. */
#define PROCESS_META_LINE_ROOM 1024

/*
 * An ms waiting for its data block: the parsed request and a copy of its
 * line (the request's views are moved onto the copy), in one malloc'd block
 * kept in c->meta_line, c->meta_line_len its size (conn.c frees it with
 * free() when it drops the store). The line is not parsed a second time
 * when the block has arrived. A block of the usual size stays with the conn
 * for its next ms (m.cmd is TEXT_META_SET only while an ms waits).
 */
typedef struct process_ms_saved {
    meta_request m;
    char line[];
} process_ms_saved;

#define PROCESS_MS_LINE_KEEP 256 /* line room of a block that is kept for reuse */

static cache_thread *process_meta_ct(const conn *c) { return c->ct; }
static stats_counters *process_meta_counters(const conn *c) { return c->st; }

/* ---- replies --------------------------------------------------------------- */

static void process_meta_error(conn *c, meta_error e)
{
    size_t len = meta_error_len(e);
    char *p = conn_out_space(c, len);
    if (p == NULL) {
        c->close_after = true;
        return;
    }
    memcpy(p, meta_error_str(e), len);
    conn_out_commit(c, len);
}

/* Queues the header line for st unless q hides it; false if it was not queued. */
static bool process_meta_reply(conn *c, const meta_request *m, meta_status st,
                               const meta_facts *f, bool force)
{
    if (!force && m->quiet && meta_reply_suppressed(m, st))
        return false;
    char *p = conn_out_space(c, PROCESS_META_LINE_ROOM);
    size_t n = p ? meta_compose_reply(p, PROCESS_META_LINE_ROOM, m, st, f) : 0;
    if (n == 0) {
        c->close_after = true;
        return false;
    }
    conn_out_commit(c, n);
    return true;
}

/* The reply status for an engine result, or META_ST_NONE with *err set. */
static meta_status process_meta_status(cache_status st, meta_error *err)
{
    *err = META_ERR_NONE;
    switch (st) {
    case CACHE_OK: return META_ST_HD;
    case CACHE_NOT_FOUND: return META_ST_NF;
    case CACHE_NOT_STORED: return META_ST_NS;
    case CACHE_EXISTS: return META_ST_EX;
    case CACHE_TOO_LARGE: *err = META_ERR_TOO_LARGE; break;
    case CACHE_NON_NUMERIC: *err = META_ERR_NON_NUMERIC; break;
    case CACHE_EINVAL: *err = META_ERR_BAD_FORMAT; break;
    default: *err = META_ERR_OOM; break;
    }
    return META_ST_NONE;
}

/* ---- mg -------------------------------------------------------------------- */

static void process_mg_count(conn *c, const meta_request *m, bool hit, bool created)
{
    stats_counters *s = process_meta_counters(c);
    if (m->has_ttl && hit && !created) {
        stats_bump(&s->cmd_touch, 1);
        stats_bump(&s->touch_hits, 1);
        return;
    }
    stats_bump(&s->cmd_get, 1);
    stats_bump(hit ? &s->get_hits : &s->get_misses, 1);
}

/* What an mg hit reports (cas, flags and key only when c / f / k print them). */
/*
 * VA with a small one-span value: the header line, the bytes and "\r\n"
 * in one reservation (conn_out_value_space), and the item released at
 * once. False, with nothing queued and the item still held, when the value
 * is too big or chained, the reply is suppressed, or the buffer cannot grow.
 */
static bool process_meta_small_value(conn *c, const meta_request *m, const meta_facts *f,
                                     cache_item *it)
{
    if (m->quiet && meta_reply_suppressed(m, META_ST_VA))
        return false;
    char *p = conn_out_value_space(c, it, PROCESS_META_LINE_ROOM);
    size_t n = p ? meta_compose_reply(p, PROCESS_META_LINE_ROOM, m, META_ST_VA, f) : 0;
    if (n == 0)
        return false;
    conn_out_value_commit(c, p, n, it);
    return true;
}

static void process_mg_facts(const meta_request *m, const cache_item *it,
                             const cache_get_info *in, meta_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->value_len = cache_item_nbytes(it);
    if (m->flagset & META_FLAG('c'))
        f->cas = cache_item_cas(it);
    if (m->flagset & META_FLAG('f'))
        f->client_flags = cache_item_flags(it);
    f->size = f->value_len;
    f->ttl = in->ttl;
    f->last_access = in->idle;
    f->hit_before = in->hit_before;
    f->won = in->win;
    f->stale = in->stale;
    f->other_won = in->lost;
    if (m->flagset & META_FLAG('k')) {
        f->has_item_key = true;
        f->item_key = (text_str){cache_item_key(it), cache_item_nkey(it)};
        f->item_key_binary = cache_item_key_binary(it);
    }
}

static void process_mg(conn *c, const meta_request *m)
{
    text_str key = m->key_binary ? meta_key(m) : m->wire_key;
    cache_get_opts o = {
        .no_bump = m->no_bump,
        .touch = m->has_ttl, .touch_exptime = m->ttl,
        .vivify = m->has_vivify, .vivify_exptime = m->vivify_ttl,
        .recache = m->has_recache, .recache_exptime = m->recache_ttl,
        .set_cas = m->has_new_cas, .new_cas = m->new_cas,
    };
    cache_get_info in;
    cache_item *it = cache_get_ex(process_meta_ct(c), key.ptr, key.len, &o, &in);
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(process_meta_ct(c), c->fd, key.ptr, key.len, it, false);
    process_mg_count(c, m, it != NULL, in.created);
    process_observe_get(c, m->wire_key, it);
    if (it == NULL) {
        process_meta_reply(c, m, META_ST_EN, NULL, false);
        return;
    }
    meta_facts f;
    process_mg_facts(m, it, &in, &f);
    if (m->want_value && process_meta_small_value(c, m, &f, it))
        return;
    bool queued = process_meta_reply(c, m, m->want_value ? META_ST_VA : META_ST_HD, &f, false);
    if (queued && m->want_value)
        conn_out_value_tail(c, it);
    else
        cache_release(process_meta_ct(c), it);
}

/* ---- ms -------------------------------------------------------------------- */

static cache_store_mode process_ms_mode(meta_mode mode)
{
    switch (mode) {
    case META_MODE_ADD: return CACHE_ADD;
    case META_MODE_REPLACE: return CACHE_REPLACE;
    case META_MODE_APPEND: return CACHE_APPEND;
    case META_MODE_PREPEND: return CACHE_PREPEND;
    default: return CACHE_SET;
    }
}

/* MA/MP: N (vivify) stores the block itself on a miss. */
static bool process_ms_concat(const meta_request *m)
{
    return m->mode == META_MODE_APPEND || m->mode == META_MODE_PREPEND;
}

/*
 * The new item's expiry: T, or for MA/MP with N the vivify TTL (a hit
 * keeps the old item's expiry anyway, so N only matters for a miss).
 */
static int64_t process_ms_exptime(const meta_request *m)
{
    return process_ms_concat(m) && m->has_vivify ? m->vivify_ttl : m->ttl;
}

/* Discards the data block after an error reply. */
static void process_ms_reject(conn *c, meta_error e, uint64_t nbytes)
{
    process_meta_error(c, e);
    c->swallow = nbytes + 2;
    c->state = CONN_SWALLOW;
}

/* A view into line[0..len) moved to the same place in copy. */
static text_str process_ms_rebase(text_str v, const char *line, const char *copy)
{
    if (v.ptr != NULL)
        v.ptr = copy + (v.ptr - line);
    return v;
}

/* A block with room for a len-byte line (the conn's own if big enough); NULL if out of memory. */
static process_ms_saved *process_ms_block(conn *c, size_t len)
{
    if (c->meta_line != NULL && c->meta_line_len >= sizeof(process_ms_saved) + len)
        return (process_ms_saved *)(void *)c->meta_line;
    free(c->meta_line);
    size_t room = len > PROCESS_MS_LINE_KEEP ? len : PROCESS_MS_LINE_KEEP;
    c->meta_line = malloc(sizeof(process_ms_saved) + room);
    c->meta_line_len = c->meta_line ? sizeof(process_ms_saved) + room : 0;
    return (process_ms_saved *)(void *)c->meta_line;
}

/* Saves the request in c->meta_line (see process_ms_saved); NULL if out of memory. */
static process_ms_saved *process_ms_save(conn *c, const meta_request *m, const char *line,
                                         size_t len)
{
    process_ms_saved *sv = process_ms_block(c, len);
    if (sv == NULL)
        return NULL;
    meta_request_copy(&sv->m, m);
    memcpy(sv->line, line, len);
    sv->m.wire_key = process_ms_rebase(m->wire_key, line, sv->line);
    if (m->has_opaque)
        sv->m.opaque = process_ms_rebase(m->opaque, line, sv->line);
    return sv;
}

static void process_ms_begin(conn *c, const meta_request *m, const char *line, size_t len)
{
    text_str key = meta_key(m);
    cache_item *it = NULL;
    cache_status st = CACHE_TOO_LARGE;
    if (m->nbytes <= SIZE_MAX - 2) {
        cache_prefetch_key(process_meta_ct(c), key.ptr, key.len); /* lookup after the value */
        st = cache_alloc(process_meta_ct(c), key.ptr, key.len, m->client_flags,
                         process_ms_exptime(m), (size_t)m->nbytes, &it);
    }
    process_ms_saved *saved = st == CACHE_OK ? process_ms_save(c, m, line, len) : NULL;
    if (saved == NULL) {
        stats_counters *s = process_meta_counters(c);
        stats_bump(st == CACHE_TOO_LARGE ? &s->store_too_large : &s->store_no_memory, 1);
        cache_release(process_meta_ct(c), it);
        /* As memcached 1.6.18, whatever the mode: no old value survives. */
        cache_delete(process_meta_ct(c), key.ptr, key.len, 0);
        meta_error e;
        process_meta_status(st == CACHE_OK ? CACHE_ENOMEM : st, &e);
        process_ms_reject(c, e, m->nbytes);
        return;
    }
    cache_item_set_key_binary(it, m->key_binary);
    c->store = (conn_store){.item = it, .cmd = TEXT_CMD_META, .nbytes = (size_t)m->nbytes};
    c->state = CONN_READ_VALUE;
}

static void process_ms_count(conn *c, const meta_request *m, cache_status st)
{
    stats_counters *s = process_meta_counters(c);
    stats_bump(&s->cmd_set, 1);
    if (!m->has_cas)
        return;
    if (st == CACHE_OK)
        stats_bump(&s->cas_hits, 1);
    else if (st == CACHE_EXISTS)
        stats_bump(&s->cas_badval, 1);
    else if (st == CACHE_NOT_FOUND)
        stats_bump(&s->cas_misses, 1);
}

/*
 * s: the stored value's size. After MA/MP the engine built a new item: read
 * its size back (only when s was asked for). If another client replaced
 * the key in between, this is the size of what is stored now.
 */
static uint64_t process_ms_size(conn *c, const meta_request *m, const cache_item *it)
{
    uint64_t size = cache_item_nbytes(it);
    if (!process_ms_concat(m) || !meta_has_flag(m, 's'))
        return size;
    text_str key = meta_key(m);
    cache_item *now = cache_peek(process_meta_ct(c), key.ptr, key.len);
    if (now != NULL) {
        size = cache_item_nbytes(now);
        cache_release(process_meta_ct(c), now);
    }
    return size;
}

/* Stores `it` as the saved ms request m asks, and answers. */
static void process_ms_store(conn *c, const meta_request *m, cache_item *it)
{
    cache_store_opts o = {
        .mode = process_ms_mode(m->mode),
        .compare = m->has_cas, .compare_cas = m->cas,
        .invalidate = m->invalidate,
        .set_cas = m->has_new_cas, .new_cas = m->new_cas,
        .vivify = m->has_vivify && process_ms_concat(m),
    };
    uint64_t cas = 0;
    cache_status st = cache_store_ex(process_meta_ct(c), it, &o, &cas);
    if (logger_watching(LOGGER_MUTATIONS))
        logger_log_store(process_meta_ct(c), c->fd, it, o.mode, st);
    uint64_t size = st == CACHE_OK ? process_ms_size(c, m, it) : 0;
    cache_release(process_meta_ct(c), it);
    process_ms_count(c, m, st);
    meta_error e;
    meta_status ms = process_meta_status(st, &e);
    if (ms == META_ST_NONE) {
        process_meta_error(c, e);
        return;
    }
    meta_facts f;
    memset(&f, 0, sizeof(f));
    f.cas = st == CACHE_OK ? cas : 0;
    f.size = size;
    process_meta_reply(c, m, ms, &f, false);
}

void process_meta_store_finish(conn *c, const conn_store *s, cache_item *it, bool block_ok)
{
    process_ms_saved *saved = (process_ms_saved *)(void *)c->meta_line;
    (void)s;
    if (!block_ok || saved == NULL || saved->m.cmd != TEXT_META_SET) {
        cache_release(process_meta_ct(c), it);
        process_meta_error(c, META_ERR_BAD_DATA_CHUNK);
    } else {
        process_ms_store(c, &saved->m, it);
    }
    if (saved == NULL)
        return;
    saved->m.cmd = TEXT_META_NONE; /* nothing waits now */
    if (c->meta_line_len > sizeof(*saved) + PROCESS_MS_LINE_KEEP) {
        free(c->meta_line);
        c->meta_line = NULL;
        c->meta_line_len = 0;
    }
}

/* ---- md -------------------------------------------------------------------- */

static void process_md(conn *c, const meta_request *m)
{
    text_str key = meta_key(m);
    cache_delete_opts o = {
        .compare = m->has_cas, .compare_cas = m->cas,
        .invalidate = m->invalidate,
        .empty_value = m->remove_value,
        .touch = (m->invalidate || m->remove_value) && m->has_ttl, .exptime = m->ttl,
        .set_cas = m->has_new_cas, .new_cas = m->new_cas,
    };
    cache_item *seen = logger_watching(LOGGER_DELETIONS)
        ? logger_peek(process_meta_ct(c), key.ptr, key.len) : NULL;
    cache_status st = cache_delete_ex(process_meta_ct(c), key.ptr, key.len, &o);
    if (seen != NULL || logger_watching(LOGGER_FETCHERS | LOGGER_DELETIONS))
        logger_log_delete(process_meta_ct(c), c->fd, key.ptr, key.len, seen,
                          st == CACHE_OK, "md");
    stats_counters *s = process_meta_counters(c);
    if (st == CACHE_OK && !m->invalidate)
        stats_bump(&s->delete_hits, 1);
    else if (st == CACHE_NOT_FOUND || st == CACHE_EXISTS)
        stats_bump(&s->delete_misses, 1);
    meta_error e;
    meta_status ms = process_meta_status(st, &e);
    if (ms == META_ST_NONE)
        process_meta_error(c, e);
    else
        process_meta_reply(c, m, ms, NULL, false);
}

/* ---- ma -------------------------------------------------------------------- */

static void process_ma_count(conn *c, bool decr, cache_status st, bool created)
{
    stats_counters *s = process_meta_counters(c);
    if (st == CACHE_OK && !created)
        stats_bump(decr ? &s->decr_hits : &s->incr_hits, 1);
    else if (st == CACHE_NOT_FOUND)
        stats_bump(decr ? &s->decr_misses : &s->incr_misses, 1);
}

/* The VA body of ma: the number and "\r\n". */
static void process_ma_queue_number(conn *c, uint64_t value)
{
    char *p = conn_out_space(c, TEXT_VALUE_OVERHEAD);
    size_t n = p ? text_compose_number(p, TEXT_VALUE_OVERHEAD, value) : 0;
    if (n == 0) {
        c->close_after = true;
        return;
    }
    conn_out_commit(c, n);
}

static void process_ma(conn *c, const meta_request *m)
{
    text_str key = meta_key(m);
    bool decr = m->mode == META_MODE_DECR;
    cache_delta_opts o = {
        .decr = decr, .delta = m->delta,
        .compare = m->has_cas, .compare_cas = m->cas,
        .set_cas = m->has_new_cas, .new_cas = m->new_cas,
        .vivify = m->has_vivify, .vivify_exptime = m->vivify_ttl, .initial = m->initial,
        .touch = m->has_ttl, .exptime = m->ttl,
    };
    cache_delta_info in;
    cache_status st = cache_delta_ex(process_meta_ct(c), key.ptr, key.len, &o, &in);
    if (logger_watching(LOGGER_FETCHERS))
        logger_log_fetch(process_meta_ct(c), c->fd, key.ptr, key.len, NULL,
                         st != CACHE_NOT_FOUND);
    process_ma_count(c, decr, st, in.created);
    meta_error e;
    meta_status ms = process_meta_status(st, &e);
    if (ms == META_ST_NONE) {
        process_meta_error(c, e);
        return;
    }
    meta_facts f;
    memset(&f, 0, sizeof(f));
    char digits[TEXT_VALUE_OVERHEAD];
    f.value_len = text_compose_number(digits, sizeof(digits), in.value) - TEXT_CRLF_LEN;
    f.cas = in.cas;
    f.ttl = in.ttl;
    if (st == CACHE_OK && m->want_value)
        ms = META_ST_VA;
    /* memcached 1.6.18 answers a creation even under q */
    if (process_meta_reply(c, m, ms, &f, in.created) && ms == META_ST_VA)
        process_ma_queue_number(c, in.value);
}

/* ---- me, mn ---------------------------------------------------------------- */

static void process_me(conn *c, const meta_request *m)
{
    text_str key = meta_key(m);
    stats_bump(&process_meta_counters(c)->cmd_meta, 1);
    cache_item *it = cache_peek(process_meta_ct(c), key.ptr, key.len);
    if (it == NULL) {
        process_meta_reply(c, m, META_ST_EN, NULL, true);
        return;
    }
    cache_item_info in;
    cache_item_describe(process_meta_ct(c), it, &in);
    meta_debug_facts f = {
        .exp = in.ttl, .last_access = in.idle, .cas = in.cas, .fetched = in.fetched,
        .slab_class = in.class_id, .size = in.size, .key_binary = in.key_binary,
    };
    char *p = conn_out_space(c, PROCESS_META_LINE_ROOM);
    size_t n = p ? meta_compose_debug(p, PROCESS_META_LINE_ROOM,
                                      (text_str){cache_item_key(it), cache_item_nkey(it)}, &f)
                 : 0;
    cache_release(process_meta_ct(c), it);
    if (n == 0)
        c->close_after = true;
    else
        conn_out_commit(c, n);
}

/* ---- dispatch -------------------------------------------------------------- */

void process_meta(conn *c, const char *line, size_t len)
{
    meta_request m;
    /* text_parse already found the line, its command and its arguments */
    text_status st = meta_parse_text(&c->req, &m);
    if (st != TEXT_OK) {
        process_meta_error(c, st == TEXT_CLIENT_ERROR ? m.error : META_ERR_UNKNOWN);
        c->swallow = st == TEXT_CLIENT_ERROR ? m.swallow : 0;
        if (c->swallow > 0)
            c->state = CONN_SWALLOW;
        return;
    }
    switch (m.cmd) {
    case TEXT_META_GET: process_mg(c, &m); break;
    case TEXT_META_SET: process_ms_begin(c, &m, line, len); break;
    case TEXT_META_DELETE: process_md(c, &m); break;
    case TEXT_META_ARITH: process_ma(c, &m); break;
    case TEXT_META_DEBUG: process_me(c, &m); break;
    case TEXT_META_NOOP: process_meta_reply(c, &m, META_ST_MN, NULL, true); break;
    default: process_meta_error(c, META_ERR_UNKNOWN); break;
    }
}
