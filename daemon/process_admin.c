/*
 * daemon/process_admin.c -- slabs reassign/automove, lru_crawler
 * crawl/metadump/mgdump/enable/disable/sleep/tocrawl, lru tune/mode/
 * temp_ttl, cache_memlimit, answered as memcached 1.6.18 does (mgdump as
 * current memcached, which added it).
 *
 * Differences kept on purpose (see the engine's contracts in slab/cache.h):
 * a crawl of a class list wakes one crawler pass over all classes when the
 * list names more than one class (the engine takes one class or all), and
 * never answers BUSY (a new request replaces a pending one); metadump walks
 * items in memory order, for "all", "hash" and lists alike, composes the
 * whole dump into the reply buffer before it is sent, and its size= is
 * cashew's item size (smaller headers than memcached's, so other numbers).
 */
#include "config.h"

#include "daemon/process_admin.h"

#include <stdio.h>
#include <string.h>

#include "daemon/options.h" /* -X: options_dump_enabled */
#include "daemon/server_ctx.h"
#include "daemon/worker.h"

static server_ctx *process_admin_srv(const conn *c) { return worker_server(c->w); }
static cache *process_admin_engine(const conn *c) { return process_admin_srv(c)->engine; }

static void process_admin_reply(conn *c, bool noreply, text_reply r)
{
    if (!noreply)
        conn_out_reply(c, r);
}

/* ---- slabs reassign / automove -------------------------------------------- */

static text_reply process_admin_reassign_reply(cache_reassign_status st)
{
    switch (st) {
    case CACHE_REASSIGN_OK: return TEXT_REPLY_OK;
    case CACHE_REASSIGN_BUSY: return TEXT_REPLY_REASSIGN_BUSY;
    case CACHE_REASSIGN_BADCLASS: return TEXT_REPLY_REASSIGN_BADCLASS;
    case CACHE_REASSIGN_NOSPARE: return TEXT_REPLY_REASSIGN_NOSPARE;
    case CACHE_REASSIGN_UNSAFE: return TEXT_REPLY_REASSIGN_SAME;
    case CACHE_REASSIGN_DISABLED: return TEXT_REPLY_CE_REASSIGN_DISABLED;
    }
    return TEXT_REPLY_ERROR;
}

/* A class's pages (id != 0), or whether any class but `id` has two pages (id == 0 query). */
typedef struct process_admin_pages {
    unsigned id, except;
    uint64_t pages;
    bool any_spare;
} process_admin_pages;

static void process_admin_count_pages(void *arg, const cache_class_stats *s)
{
    process_admin_pages *p = arg;
    if (s->id == p->id)
        p->pages = s->total_pages;
    if (s->id != p->except && s->total_pages >= 2)
        p->any_spare = true;
}

static uint64_t process_admin_class_pages(cache *e, unsigned id)
{
    process_admin_pages p = { id, id, 0, false };
    cache_stats_classes(e, process_admin_count_pages, &p);
    return p.pages;
}

/* memcached's "-1": some class other than dst can give a page (it keeps one). */
static bool process_admin_any_spare(cache *e, unsigned dst)
{
    process_admin_pages p = { 0, dst, 0, false };
    cache_stats_classes(e, process_admin_count_pages, &p);
    return p.any_spare;
}

/*
 * memcached's order: disabled, same ids, range, then the source must keep
 * one page (it needs two). Class 0 is memcached's global page pool, which
 * cashew does not have: as a source it has no spare page. For -1 ("any
 * class") memcached answers BADCLASS when no class can give a page; which
 * class gives it is the engine's choice. BUSY and OK come from the engine.
 */
static text_reply process_admin_reassign_check(cache *e, int64_t src, int64_t dst)
{
    int64_t n = (int64_t)cache_class_count(e);
    if (!cache_slab_reassign_enabled(e))
        return TEXT_REPLY_CE_REASSIGN_DISABLED;
    if (src == dst)
        return TEXT_REPLY_REASSIGN_SAME;
    if (src == -1 && !process_admin_any_spare(e, (unsigned)(dst > 0 ? dst : 0)))
        return TEXT_REPLY_REASSIGN_BADCLASS;
    if (src < -1 || src > n || dst < 0 || dst > n)
        return TEXT_REPLY_REASSIGN_BADCLASS;
    if (src == 0 || (src > 0 && process_admin_class_pages(e, (unsigned)src) < 2))
        return TEXT_REPLY_REASSIGN_NOSPARE;
    return TEXT_REPLY_NONE;
}

static void process_admin_reassign(conn *c, const text_request *req)
{
    cache *e = process_admin_engine(c);
    text_reply r = process_admin_reassign_check(e, req->src_class, req->dst_class);
    if (r == TEXT_REPLY_NONE)
        r = process_admin_reassign_reply(
            cache_slabs_reassign(e, (int)req->src_class, (int)req->dst_class));
    process_admin_reply(c, false, r);
}

static void process_admin_automove(conn *c, const text_request *req)
{
    bool ok = cache_slabs_automove(process_admin_engine(c), (unsigned)req->value);
    process_admin_reply(c, req->noreply, ok ? TEXT_REPLY_OK : TEXT_REPLY_ERROR);
}

/* ---- lru_crawler crawl / metadump -------------------------------------------- */

/* Crawler off or the class list refused: the reply to give, else NONE. */
static text_reply process_admin_crawl_refusal(conn *c, const text_request *req)
{
    if (!cache_lru_crawler_enabled(process_admin_engine(c)))
        return TEXT_REPLY_CE_CRAWLER_DISABLED;
    return text_class_list_check(req);
}

/* The engine's class argument for req's list: 0 (all) unless it names one class. */
static unsigned process_admin_one_class(const text_request *req)
{
    if (req->all_classes)
        return 0;
    text_str rest = req->args;
    uint64_t first, id;
    if (!text_next_class(&rest, &first))
        return 0;
    while (text_next_class(&rest, &id)) {
        if (id != first)
            return 0;
    }
    return (unsigned)first;
}

/*
 * memcached accepts any id up to 63, also classes this server does not
 * have (they hold nothing to crawl): an out-of-range class crawls nothing.
 */
static void process_admin_crawl(conn *c, const text_request *req)
{
    text_reply r = process_admin_crawl_refusal(c, req);
    if (r != TEXT_REPLY_NONE) {
        process_admin_reply(c, false, r);
        return;
    }
    cache_crawl(process_admin_engine(c), process_admin_one_class(req));
    process_admin_reply(c, false, TEXT_REPLY_OK);
}

typedef struct process_admin_dump {
    conn *c;
    cache *engine;
    bool all;                           /* "all" / "hash": every class, also those above 63 */
    bool wanted[TEXT_CLASS_ID_MAX + 1]; /* by class id, for a list */
} process_admin_dump;

static bool process_admin_dump_wanted(const process_admin_dump *d, unsigned class_id)
{
    return d->all || (class_id <= TEXT_CLASS_ID_MAX && d->wanted[class_id]);
}

static bool process_admin_dump_item(void *arg, const cache_item_meta *m)
{
    process_admin_dump *d = arg;
    if (!process_admin_dump_wanted(d, m->class_id))
        return true;
    text_metadump_item line = {
        .key = { m->key, m->nkey },
        .exptime = m->exptime,
        .last_access = m->last_access,
        .cas = m->cas,
        .fetched = m->fetched,
        .class_id = m->class_id,
        .size = cache_item_meta_size(d->engine, m),
    };
    char *p = conn_out_space(d->c, TEXT_METADUMP_LINE_MAX);
    if (p == NULL) {
        d->c->close_after = true;
        return false;
    }
    conn_out_commit(d->c, text_compose_metadump(p, TEXT_METADUMP_LINE_MAX, &line));
    return true;
}

static void process_admin_reply_admin(conn *c, text_admin_reply r);

/*
 * metadump / mgdump refusals in memcached's order: crawler off, -X (the
 * `denied` reply), then the class list. True if a refusal was answered.
 */
static bool process_admin_dump_refused(conn *c, const text_request *req,
                                       text_admin_reply denied)
{
    if (cache_lru_crawler_enabled(process_admin_engine(c)) && !options_dump_enabled()) {
        process_admin_reply_admin(c, denied);
        return true;
    }
    text_reply r = process_admin_crawl_refusal(c, req); /* crawler off, class list */
    if (r != TEXT_REPLY_NONE)
        process_admin_reply(c, false, r);
    return r != TEXT_REPLY_NONE;
}

/* Which classes req's list names. */
static void process_admin_dump_select(process_admin_dump *d, const text_request *req)
{
    text_str rest = req->args;
    uint64_t id;
    d->all = req->all_classes;
    while (!req->all_classes && text_next_class(&rest, &id))
        d->wanted[id] = true;
}

static void process_admin_metadump(conn *c, const text_request *req)
{
    if (process_admin_dump_refused(c, req, TEXT_ADMIN_REPLY_METADUMP_DISABLED))
        return;
    process_admin_dump d = { .c = c, .engine = process_admin_engine(c) };
    process_admin_dump_select(&d, req);
    cache_walk(d.engine, process_admin_one_class(req), process_admin_dump_item, &d);
    if (!c->close_after)
        process_admin_reply(c, false, TEXT_REPLY_END);
}

/* ---- lru_crawler mgdump (current memcached's; 1.6.18 answers ERROR) --------------- */

static bool process_admin_mgdump_item(void *arg, const cache_dump_item *m)
{
    process_admin_dump *d = arg;
    char *p = conn_out_space(d->c, TEXT_MGDUMP_LINE_MAX);
    if (p == NULL) {
        d->c->close_after = true;
        return false;
    }
    text_str key = { m->key, m->nkey };
    conn_out_commit(d->c, text_compose_mgdump_item(p, TEXT_MGDUMP_LINE_MAX, key,
                                                   m->key_binary));
    return true;
}

/* One class at a time (cache_walk_keys takes one class or all). */
static void process_admin_mgdump(conn *c, const text_request *req)
{
    if (process_admin_dump_refused(c, req, TEXT_ADMIN_REPLY_MGDUMP_DISABLED))
        return;
    process_admin_dump d = { .c = c, .engine = process_admin_engine(c) };
    process_admin_dump_select(&d, req);
    if (d.all)
        cache_walk_keys(d.engine, 0, process_admin_mgdump_item, &d);
    for (unsigned id = 1; !d.all && id <= TEXT_CLASS_ID_MAX && !c->close_after; id++) {
        if (d.wanted[id])
            cache_walk_keys(d.engine, id, process_admin_mgdump_item, &d);
    }
    if (!c->close_after)
        process_admin_reply_admin(c, TEXT_ADMIN_REPLY_EN);
}

/* ---- lru_crawler enable / disable / sleep / tocrawl ---------------------------- */

static void process_admin_reply_admin(conn *c, text_admin_reply r)
{
    size_t len = text_admin_reply_len(r);
    char *p = conn_out_space(c, len);
    if (p != NULL) {
        memcpy(p, text_admin_reply_str(r), len);
        conn_out_commit(c, len);
    }
}

/* memcached answers an enable of a running crawler with its start error. */
static void process_admin_crawler_enable(conn *c)
{
    if (cache_crawler_enable(process_admin_engine(c)))
        process_admin_reply(c, false, TEXT_REPLY_OK);
    else
        process_admin_reply_admin(c, TEXT_ADMIN_REPLY_CRAWLER_START_FAILED);
}

/* Disabling a stopped crawler is fine (OK), as in memcached. */
static void process_admin_crawler_disable(conn *c)
{
    cache_crawler_disable(process_admin_engine(c));
    process_admin_reply(c, false, TEXT_REPLY_OK);
}

static void process_admin_crawler_sleep(conn *c, const text_request *req)
{
    text_admin_reply r = text_crawler_sleep_check(req);
    if (r != TEXT_ADMIN_REPLY_NONE) {
        process_admin_reply_admin(c, r);
        return;
    }
    cache_crawler_set_sleep(process_admin_engine(c), (uint32_t)req->value);
    process_admin_reply(c, false, TEXT_REPLY_OK);
}

static void process_admin_crawler_tocrawl(conn *c, const text_request *req)
{
    cache_crawler_set_tocrawl(process_admin_engine(c), (uint32_t)req->value);
    process_admin_reply(c, false, TEXT_REPLY_OK);
}

/* ---- lru tune / mode / temp_ttl, cache_memlimit ---------------------------------- */

static void process_admin_reply_admin_unless(conn *c, bool noreply, text_admin_reply r)
{
    if (!noreply)
        process_admin_reply_admin(c, r);
}

static void process_admin_lru_tune(conn *c, const text_request *req)
{
    text_admin_reply r = text_lru_tune_check(req);
    if (r != TEXT_ADMIN_REPLY_NONE) {
        process_admin_reply_admin_unless(c, req->noreply, r);
        return;
    }
    cache_lru_tuning t = { req->lru_hot_pct, req->lru_warm_pct, req->lru_hot_factor,
                           req->lru_warm_factor };
    cache_lru_tune(process_admin_engine(c), &t);
    process_admin_reply(c, req->noreply, TEXT_REPLY_OK);
}

/* memcached refuses mode and temp_ttl (ERROR) without the LRU maintainer. */
static void process_admin_lru_mode(conn *c, const text_request *req)
{
    bool ok = cache_lru_set_segmented(process_admin_engine(c), req->value == 1);
    process_admin_reply(c, req->noreply, ok ? TEXT_REPLY_OK : TEXT_REPLY_ERROR);
}

/*
 * memcached keeps temp_lru (on/off) and temporary_ttl apart: a negative ttl
 * turns the TEMP LRU off and leaves temporary_ttl as it was. The engine
 * has one number (0 = off); `stats settings` shows the pair kept here,
 * packed as PROCESS_ADMIN_TEMP_SET | on << 32 | ttl (0 = never changed).
 */
#define PROCESS_ADMIN_TEMP_SET ((uint64_t)1 << 33)
static _Atomic uint64_t process_admin_temp_state;

bool process_admin_temp_lru(bool *on, unsigned *ttl)
{
    uint64_t v = atomic_load_explicit(&process_admin_temp_state, memory_order_relaxed);
    *on = (v >> 32) & 1;
    *ttl = (uint32_t)v;
    return v != 0;
}

static void process_admin_lru_temp_ttl(conn *c, const text_request *req)
{
    cache *e = process_admin_engine(c);
    if (!cache_lru_maintainer_running(e)) {
        process_admin_reply(c, req->noreply, TEXT_REPLY_ERROR);
        return;
    }
    bool on;
    unsigned shown;
    if (!process_admin_temp_lru(&on, &shown))
        shown = cache_temporary_ttl(e);
    on = req->lru_temp_ttl >= 0;
    if (on)
        shown = (unsigned)req->lru_temp_ttl;
    cache_set_temporary_ttl(e, on ? shown : 0);
    atomic_store_explicit(&process_admin_temp_state,
                          PROCESS_ADMIN_TEMP_SET | (uint64_t)on << 32 | shown,
                          memory_order_relaxed);
    process_admin_reply(c, req->noreply, TEXT_REPLY_OK);
}

/*
 * cache_memlimit <MB>: cashew can grow the budget only up to what the
 * arena reserved at start (about -m): beyond, MEMLIMIT_ADJUST_FAILED.
 */
static void process_admin_memlimit(conn *c, const text_request *req)
{
    text_admin_reply r = text_memlimit_check(req);
    if (r == TEXT_ADMIN_REPLY_NONE &&
        !cache_set_memory_limit(process_admin_engine(c), (size_t)req->value << 20))
        r = TEXT_ADMIN_REPLY_MEMLIMIT_FAILED;
    if (r != TEXT_ADMIN_REPLY_NONE) {
        process_admin_reply_admin_unless(c, req->noreply, r);
        return;
    }
    if (atomic_load_explicit(&process_admin_srv(c)->verbose, memory_order_relaxed) > 0)
        fprintf(stderr, "maxbytes adjusted to %llum\n", (unsigned long long)req->value);
    process_admin_reply(c, req->noreply, TEXT_REPLY_OK);
}

text_reply process_admin_disabled_reply(conn *c, text_cmd cmd)
{
    if (cmd == TEXT_CMD_SLABS_REASSIGN && !cache_slab_reassign_enabled(process_admin_engine(c)))
        return TEXT_REPLY_CE_REASSIGN_DISABLED;
    return TEXT_REPLY_NONE;
}

bool process_admin_command(conn *c, const text_request *req)
{
    switch (req->cmd) {
    case TEXT_CMD_SLABS_REASSIGN: process_admin_reassign(c, req); return true;
    case TEXT_CMD_SLABS_AUTOMOVE: process_admin_automove(c, req); return true;
    case TEXT_CMD_LRU_CRAWLER_CRAWL: process_admin_crawl(c, req); return true;
    case TEXT_CMD_LRU_CRAWLER_METADUMP: process_admin_metadump(c, req); return true;
    case TEXT_CMD_LRU_CRAWLER_ENABLE: process_admin_crawler_enable(c); return true;
    case TEXT_CMD_LRU_CRAWLER_DISABLE: process_admin_crawler_disable(c); return true;
    case TEXT_CMD_LRU_CRAWLER_SLEEP: process_admin_crawler_sleep(c, req); return true;
    case TEXT_CMD_LRU_CRAWLER_TOCRAWL: process_admin_crawler_tocrawl(c, req); return true;
    case TEXT_CMD_LRU_CRAWLER_MGDUMP: process_admin_mgdump(c, req); return true;
    case TEXT_CMD_LRU_TUNE: process_admin_lru_tune(c, req); return true;
    case TEXT_CMD_LRU_MODE: process_admin_lru_mode(c, req); return true;
    case TEXT_CMD_LRU_TEMP_TTL: process_admin_lru_temp_ttl(c, req); return true;
    case TEXT_CMD_CACHE_MEMLIMIT: process_admin_memlimit(c, req); return true;
    default: return false;
    }
}
