/*
 * slab/cache_meta.c -- the extended operations behind memcached's meta
 * commands (cache.h, "meta-protocol operations"), which are also the
 * bodies of the plain store, delete and incr/decr:
 *
 *   cache_get_ex     lookup with touch, vivify (N), recache (R) and the
 *                    stale/win marks; facts from before this access
 *   cache_store_ex   store modes with compare (C), invalidate (I), explicit
 *                    cas (E) and vivify for append/prepend (N)
 *   cache_delete_ex  unlink, or rewrite the item stale / empty (I, x)
 *   cache_delta_ex   incr/decr with compare, explicit cas, touch, vivify
 *
 * The STALE and TOKEN marks change only under the key's stripe lock (a
 * mark set on a fresh, unlinked item is published by linking it), so a
 * win is handed out at most once per item. Rewrites allocate with no lock
 * held and then swap the copy in only if the old item is still the live
 * one, starting over otherwise (see cache.c).
 */
#include "slab/cache.h"

#include <stdio.h>
#include <string.h>

#include "slab/cache_internal.h"
#include "slab/engine.h"

#define CACHE_DELTA_MAX_LEN 64 /* longest value incr/decr will parse */

/* Debug builds: asserts (inside hash_find_locked) that hv's stripe is held. */
static void cache_meta_assert_locked(cache *c, uint64_t hv, const item *it)
{
#ifdef CASHEW_DEBUG
    (void)hash_find_locked(c->hash, hv, item_key(it), item_nkey(it));
#else
    (void)c;
    (void)hv;
    (void)it;
#endif
}

/* ---- item facts ------------------------------------------------------------ */

/* Seconds left before `it` expires as of `now`; -1 if it never does. */
static int64_t cache_ttl_left(const item *it, uint32_t now)
{
    uint32_t exp = item_exptime(it);
    if (exp == 0)
        return -1;
    return exp > now ? (int64_t)(exp - now) : 0;
}

static uint32_t cache_idle(const item *it, uint32_t now)
{
    uint32_t at = atomic_load_explicit(&((item *)it)->atime, memory_order_relaxed);
    return now > at ? now - at : 0;
}

void cache_item_describe(cache_thread *t, const cache_item *pub, cache_item_info *out)
{
    const item *it = (const item *)pub;
    uint32_t now = engine_now(t->c, NULL);
    uint32_t st = item_state(it);
    memset(out, 0, sizeof(*out));
    out->ttl = cache_ttl_left(it, now);
    out->idle = cache_idle(it, now);
    out->cas = item_cas(it);
    out->fetched = (st & ITEM_FETCHED) != 0;
    out->stale = (st & ITEM_STALE) != 0;
    out->token = (st & ITEM_TOKEN) != 0;
    out->key_binary = item_key_binary(it);
    out->class_id = engine_class_of(t->c, it);
    out->size = item_total(it);
}

cache_item *cache_peek(cache_thread *t, const char *key, size_t nkey)
{
    if (!cache_key_ok(key, nkey))
        return NULL;
    uint32_t now = engine_now(t->c, NULL);
    return (cache_item *)cache_get_ref(t, key, nkey, hash_key(key, nkey), now, false);
}

/* ---- get ------------------------------------------------------------------- */

/*
 * mg's verdict on a live, referenced item (stripe lock held): the facts as
 * they were, then the win (stale, or R and close to expiry, and no win
 * handed out yet), then the access itself.
 */
static void cache_get_decide_locked(cache_thread *t, item *it, uint64_t hv,
                                    const cache_get_opts *o, uint32_t recache_exp,
                                    uint32_t now, cache_get_info *info)
{
    cache_meta_assert_locked(t->c, hv, it);
    uint32_t st = item_state(it);
    uint32_t exp = item_exptime(it);
    info->hit_before = (st & ITEM_FETCHED) != 0;
    info->idle = cache_idle(it, now);
    info->lost = (st & ITEM_TOKEN) != 0;
    info->stale = (st & ITEM_STALE) != 0;
    bool near_expiry = o->recache && exp != 0 && exp < recache_exp;
    info->win = !info->lost && (info->stale || near_expiry);
    if (info->win)
        item_set_bits(it, ITEM_TOKEN);
    cache_count_hit(t, it);
    if (!o->no_bump)
        cache_mark_accessed(it, now);
    info->ttl = cache_ttl_left(it, now);
}

/*
 * T on a referenced live item (stripe lock of hv held): sets the expiry in
 * place. An expiry already past unlinks the item (this caller still gets
 * it). False if the item has no exptime slot for `exp`: it needs a copy.
 */
static bool cache_get_touch_locked(cache_thread *t, item *it, uint64_t hv, uint32_t exp,
                                   uint32_t now)
{
    cache_meta_assert_locked(t->c, hv, it);
    bool has_slot = (item_state(it) & ITEM_HAS_EXP) != 0;
    if (!has_slot && exp != 0 && exp > now)
        return false;
    cache_count(t, engine_class_of(t->c, it), ENGINE_TOUCH_HITS);
    if (has_slot)
        item_set_exptime(it, exp);
    if (exp != 0 && exp <= now)
        engine_unlink_locked(t->c, it, hv, false);
    return true;
}

/* What cache_get_hit works with: the request's times, in engine seconds. */
typedef struct cache_get_when {
    uint32_t now;          /* the one clock reading of the request */
    uint32_t touch_exp;    /* T's new expiry (with o->touch) */
    uint32_t recache_exp;  /* R's threshold (with o->recache) */
} cache_get_when;

/*
 * Looks up, references and decides (see above); with touch sets the expiry
 * first. NULL on a miss, or with *need_copy when the touch needs a copy of
 * the item (nothing done then).
 */
static item *cache_get_hit(cache_thread *t, const char *key, size_t nkey, uint64_t hv,
                           const cache_get_opts *o, const cache_get_when *w,
                           cache_get_info *info, bool *need_copy)
{
    uint32_t now = w->now, touch_exp = w->touch_exp, recache_exp = w->recache_exp;
    *need_copy = false;
    hash_lock(t->c->hash, hv);
    item *it = cache_lookup_inline_locked(t, key, nkey, hv, now, true);
    if (it != NULL && !item_ref(it))
        it = NULL;
    if (it != NULL && o->touch && !cache_get_touch_locked(t, it, hv, touch_exp, now)) {
        *need_copy = true;
        item_unref(it); /* the table still holds it: never the last reference */
        it = NULL;
    }
    if (it != NULL)
        cache_get_decide_locked(t, it, hv, o, recache_exp, now, info);
    hash_unlock(t->c->hash, hv);
    return it;
}

/*
 * N on a miss: links an empty item that carries the TOKEN mark unless
 * another item appeared meanwhile (*raced). Returns it referenced, or NULL
 * (raced, or no memory).
 */
static item *cache_vivify(cache_thread *t, const char *key, size_t nkey, uint64_t hv,
                          const cache_get_opts *o, bool *raced)
{
    cache *c = t->c;
    int64_t unix_now;
    uint32_t now = engine_now(c, &unix_now);
    item *fresh;
    *raced = false;
    if (engine_item_alloc(c, key, nkey, 0, engine_exptime(c, o->vivify_exptime, unix_now), 0,
                          now, &fresh) != CACHE_OK)
        return NULL;
    item_set_bits(fresh, ITEM_TOKEN);
    cache_cas_rule rule = o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW;
    hash_lock(c->hash, hv);
    item *old = cache_lookup_locked(t, key, nkey, hv, now, false);
    if (old == NULL)
        cache_link_locked(t, fresh, NULL, hv, now, cache_pick_cas(c, NULL, rule, o->new_cas));
    hash_unlock(c->hash, hv);
    if (old != NULL) {
        *raced = true;
        cache_release(t, (cache_item *)fresh);
        return NULL;
    }
    cache_grow_if_wanted(c);
    return fresh;
}

cache_item *cache_get_ex(cache_thread *t, const char *key, size_t nkey,
                         const cache_get_opts *o, cache_get_info *info)
{
    static const cache_get_opts plain;
    cache_get_info scratch;
    o = o ? o : &plain;
    info = info ? info : &scratch;
    memset(info, 0, sizeof(*info));
    if (!cache_key_ok(key, nkey))
        return NULL;
    cache *c = t->c;
    int64_t unix_now;
    cache_get_when w = {.now = engine_now(c, &unix_now)};
    if (o->recache)
        w.recache_exp = engine_exptime(c, o->recache_exptime, unix_now);
    if (o->touch)
        w.touch_exp = engine_exptime(c, o->touch_exptime, unix_now);
    uint64_t hv = hash_key(key, nkey);
    for (;;) {
        bool need_copy;
        item *it = cache_get_hit(t, key, nkey, hv, o, &w, info, &need_copy);
        if (need_copy) {
            cache_status st;
            cache_touch_item(t, key, nkey, w.touch_exp, false, &st);
            if (st == CACHE_OK)
                continue; /* now it has a slot: look again */
        }
        if (it != NULL || !o->vivify)
            return (cache_item *)it;
        bool raced;
        it = cache_vivify(t, key, nkey, hv, o, &raced);
        if (it != NULL) {
            info->created = info->win = true;
            info->ttl = cache_ttl_left(it, engine_now(c, NULL));
            return (cache_item *)it;
        }
        if (!raced)
            return NULL;
    }
}

/* ---- store ----------------------------------------------------------------- */

/*
 * The verdict of a SET/ADD/REPLACE/CAS store given the present item (stripe
 * lock held); *stale tells an invalidating store of an older cas.
 */
static cache_status cache_store_verdict(cache_thread *t, const cache_store_opts *o,
                                        const item *old, bool *stale)
{
    *stale = false;
    if (o->mode == CACHE_ADD)
        return old ? CACHE_NOT_STORED : CACHE_OK;
    bool compare = o->compare || o->mode == CACHE_CAS;
    if (!compare)
        return (o->mode == CACHE_REPLACE && old == NULL) ? CACHE_NOT_STORED : CACHE_OK;
    if (old == NULL)
        return CACHE_NOT_FOUND;
    uint64_t cur = item_cas(old);
    unsigned id = engine_class_of(t->c, old);
    if (cur == o->compare_cas || (o->invalidate && o->compare_cas < cur)) {
        *stale = cur != o->compare_cas;
        cache_count(t, id, ENGINE_CAS_HITS);
        return CACHE_OK;
    }
    cache_count(t, id, ENGINE_CAS_BADVAL);
    return CACHE_EXISTS;
}

/*
 * An invalidating store takes old's expiry and TOKEN mark and is STALE
 * (stripe lock of hv held).
 * False (nothing changed) if `it` has no exptime slot for old's expiry:
 * *want_exp then tells the expiry to copy the item with.
 */
static bool cache_make_stale_locked(cache *c, uint64_t hv, item *it, const item *old,
                                    uint32_t *want_exp)
{
    cache_meta_assert_locked(c, hv, old);
    uint32_t exp = item_exptime(old);
    *want_exp = exp;
    if (!(item_state(it) & ITEM_HAS_EXP) && exp != 0)
        return false;
    if (item_state(it) & ITEM_HAS_EXP)
        item_set_exptime(it, exp);
    item_set_bits(it, ITEM_STALE | (item_state(old) & ITEM_TOKEN));
    return true;
}

/*
 * Links `it` per o (stripe lock taken inside). *need_exp is set (and
 * nothing done) when an invalidating store needs a copy of `it` with an
 * exptime slot, expiring at *want_exp.
 */
static cache_status cache_store_link(cache_thread *t, item *it, const cache_store_opts *o,
                                     bool *need_exp, uint32_t *want_exp, uint64_t *cas_out)
{
    cache *c = t->c;
    uint64_t hv = engine_item_hv(it);
    uint32_t now = engine_now(c, NULL);
    *need_exp = false;
    hash_lock(c->hash, hv);
    item *old = cache_lookup_inline_locked(t, item_key(it), item_nkey(it), hv, now, false);
    bool stale;
    cache_status st = cache_store_verdict(t, o, old, &stale);
    if (st == CACHE_OK && stale && !cache_make_stale_locked(c, hv, it, old, want_exp))
        *need_exp = true;
    if (st == CACHE_OK && !*need_exp) {
        cache_cas_rule rule = o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW;
        uint64_t cas = cache_link_locked(t, it, old, hv, now,
                                         cache_pick_cas(c, old, rule, o->new_cas));
        if (cas_out)
            *cas_out = cas;
    }
    hash_unlock(c->hash, hv);
    if (st == CACHE_OK && !*need_exp && old == NULL) /* a replace adds no item */
        cache_grow_if_wanted(c);
    return st;
}

/* SET/ADD/REPLACE/CAS: links it, or a copy with an exptime slot if needed. */
CACHE_INLINE cache_status cache_store_plain(cache_thread *t, item *it, const cache_store_opts *o,
                                      uint64_t *cas_out)
{
    bool need_exp;
    uint32_t want_exp;
    cache_status st = cache_store_link(t, it, o, &need_exp, &want_exp, cas_out);
    while (st == CACHE_OK && need_exp) {
        item *copy;
        st = cache_alloc_like(t, it, want_exp, item_nbytes(it), &copy);
        if (st != CACHE_OK)
            return st;
        cache_copy_value(copy, 0, it);
        st = cache_store_link(t, copy, o, &need_exp, &want_exp, cas_out);
        cache_release(t, (cache_item *)copy);
    }
    return st;
}

/* APPEND/PREPEND onto the live `old`: false if old changed meanwhile. */
static bool cache_concat_onto(cache_thread *t, item *it, item *old,
                              const cache_store_opts *o, cache_status *st,
                              uint64_t *cas_out)
{
    bool append = o->mode == CACHE_APPEND;
    item *fresh;
    *st = cache_alloc_like(t, old, item_exptime(old), item_nbytes(old) + item_nbytes(it),
                           &fresh);
    if (*st != CACHE_OK)
        return true;
    cache_copy_value(fresh, append ? 0 : item_nbytes(it), old);
    cache_copy_value(fresh, append ? item_nbytes(old) : 0, it);
    cache_swap_how how = {o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW, o->new_cas, false};
    bool swapped = cache_swap_ex(t, old, fresh, &how, cas_out);
    if (swapped)
        cache_count(t, engine_class_of(t->c, fresh), ENGINE_CMD_SET);
    cache_release(t, (cache_item *)fresh);
    return swapped;
}

/* APPEND/PREPEND: a new item from the present value and it's bytes. */
static cache_status cache_store_concat(cache_thread *t, item *it, const cache_store_opts *o,
                                       uint64_t *cas_out)
{
    uint64_t hv = engine_item_hv(it);
    cache_store_opts add = *o;
    add.mode = CACHE_ADD;
    for (;;) {
        uint32_t now = engine_now(t->c, NULL);
        item *old = cache_get_ref(t, item_key(it), item_nkey(it), hv, now, false);
        cache_status st;
        if (old == NULL) {
            if (!o->vivify)
                return CACHE_NOT_STORED;
            st = cache_store_plain(t, it, &add, cas_out);
            if (st == CACHE_OK)
                cache_count(t, engine_class_of(t->c, it), ENGINE_CMD_SET);
            if (st != CACHE_NOT_STORED)
                return st;
            continue; /* someone added it meanwhile: concatenate onto theirs */
        }
        bool done = true;
        if (o->compare && item_cas(old) != o->compare_cas) {
            cache_count(t, engine_class_of(t->c, old), ENGINE_CAS_BADVAL);
            st = CACHE_EXISTS;
        } else {
            done = cache_concat_onto(t, it, old, o, &st, cas_out);
        }
        cache_release(t, (cache_item *)old);
        if (done)
            return st;
    }
}

cache_status cache_store_ex(cache_thread *t, cache_item *pub, const cache_store_opts *o,
                            uint64_t *cas_out)
{
    static const cache_store_opts plain;
    item *it = (item *)pub;
    o = o ? o : &plain;
    if (it == NULL || item_is_linked(it))
        return CACHE_EINVAL;
    if (o->mode == CACHE_APPEND || o->mode == CACHE_PREPEND)
        return cache_store_concat(t, it, o, cas_out);
    cache_count(t, engine_class_of(t->c, it), ENGINE_CMD_SET);
    return cache_store_plain(t, it, o, cas_out);
}

/* ---- delete ---------------------------------------------------------------- */

static cache_status cache_delete_unlink(cache_thread *t, const char *key, size_t nkey,
                                        const cache_delete_opts *o)
{
    cache *c = t->c;
    uint64_t hv = hash_key(key, nkey);
    uint32_t now = engine_now(c, NULL);
    hash_lock(c->hash, hv);
    item *it = cache_lookup_locked(t, key, nkey, hv, now, false);
    cache_status st = CACHE_NOT_FOUND;
    if (it != NULL && o->compare && item_cas(it) != o->compare_cas) {
        st = CACHE_EXISTS;
    } else if (it != NULL) {
        cache_count(t, engine_class_of(c, it), ENGINE_DELETE_HITS);
        engine_unlink_locked(c, it, hv, false);
        st = CACHE_OK;
    }
    hash_unlock(c->hash, hv);
    return st;
}

/* I / x on the live `old`: swaps in the rewritten copy; false if old changed. */
static bool cache_delete_rewrite_one(cache_thread *t, item *old, const cache_delete_opts *o,
                                     int64_t unix_now, cache_status *st)
{
    uint32_t exp = o->touch ? engine_exptime(t->c, o->exptime, unix_now) : item_exptime(old);
    size_t n = o->empty_value ? 0 : item_nbytes(old);
    item *fresh;
    *st = cache_alloc_like(t, old, exp, n, &fresh);
    if (*st != CACHE_OK)
        return true;
    if (n > 0)
        cache_copy_value(fresh, 0, old);
    if (o->invalidate || (item_state(old) & ITEM_STALE))
        item_set_bits(fresh, ITEM_STALE);
    cache_swap_how how = {o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW, o->new_cas, false};
    bool swapped = cache_swap_ex(t, old, fresh, &how, NULL);
    if (swapped)
        cache_count(t, engine_class_of(t->c, old), ENGINE_DELETE_HITS);
    cache_release(t, (cache_item *)fresh);
    return swapped;
}

static cache_status cache_delete_rewrite(cache_thread *t, const char *key, size_t nkey,
                                         const cache_delete_opts *o)
{
    uint64_t hv = hash_key(key, nkey);
    for (;;) {
        int64_t unix_now;
        uint32_t now = engine_now(t->c, &unix_now);
        item *old = cache_get_ref(t, key, nkey, hv, now, false);
        if (old == NULL)
            return CACHE_NOT_FOUND;
        cache_status st = CACHE_EXISTS;
        bool done = true;
        if (!o->compare || item_cas(old) == o->compare_cas)
            done = cache_delete_rewrite_one(t, old, o, unix_now, &st);
        cache_release(t, (cache_item *)old);
        if (done)
            return st;
    }
}

cache_status cache_delete_ex(cache_thread *t, const char *key, size_t nkey,
                             const cache_delete_opts *o)
{
    static const cache_delete_opts plain;
    o = o ? o : &plain;
    if (!cache_key_ok(key, nkey))
        return CACHE_EINVAL;
    if (o->invalidate || o->empty_value)
        return cache_delete_rewrite(t, key, nkey, o);
    return cache_delete_unlink(t, key, nkey, o);
}

/* ---- incr / decr ----------------------------------------------------------- */

/* Parses a decimal uint64 (spaces around allowed, as memcached pads). */
static bool cache_parse_u64(const item *it, uint64_t *out)
{
    size_t n = item_nbytes(it), i = 0, digits = 0;
    char buf[CACHE_DELTA_MAX_LEN];
    if (n == 0 || n > sizeof(buf))
        return false;
    item_read(it, 0, buf, n);
    uint64_t v = 0;
    while (i < n && buf[i] == ' ')
        i++;
    for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
        uint64_t d = (uint64_t)(buf[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    while (i < n && (buf[i] == ' ' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    *out = v;
    return digits > 0 && digits <= 20 && i == n;
}

static uint64_t cache_apply_delta(uint64_t v, bool decr, uint64_t delta)
{
    if (!decr)
        return v + delta;
    return delta > v ? 0 : v - delta;
}

/*
 * The stored text of an incr/decr result (memcached's layout): the decimal
 * digits of v, padded with trailing spaces to the old value's length
 * old_len when they are shorter. text holds CACHE_DELTA_MAX_LEN bytes
 * (old_len never exceeds it: see cache_parse_u64). Returns the length.
 */
static size_t cache_delta_text(uint64_t v, size_t old_len, char *text)
{
    int n = snprintf(text, CACHE_DELTA_MAX_LEN, "%llu", (unsigned long long)v);
    size_t len = (size_t)n;
    if (old_len > len && old_len <= CACHE_DELTA_MAX_LEN) {
        memset(text + len, ' ', old_len - len);
        len = old_len;
    }
    return len;
}

/* Applies the delta to the live `old`; false (*st unset) if old changed meanwhile. */
static bool cache_delta_apply(cache_thread *t, item *old, const cache_delta_opts *o,
                              int64_t unix_now, cache_delta_info *info, cache_status *st)
{
    uint64_t v;
    *st = CACHE_EXISTS;
    if (o->compare && item_cas(old) != o->compare_cas)
        return true;
    *st = CACHE_NON_NUMERIC;
    if (!cache_parse_u64(old, &v))
        return true;
    char text[CACHE_DELTA_MAX_LEN];
    v = cache_apply_delta(v, o->decr, o->delta);
    size_t len = cache_delta_text(v, item_nbytes(old), text);
    uint32_t exp = o->touch ? engine_exptime(t->c, o->exptime, unix_now) : item_exptime(old);
    item *fresh;
    *st = cache_alloc_like(t, old, exp, len, &fresh);
    if (*st != CACHE_OK)
        return true;
    item_write(fresh, 0, text, len);
    /* as memcached's in-place incr: a stale item stays stale */
    cache_swap_how how = {o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW, o->new_cas, true};
    bool swapped = cache_swap_ex(t, old, fresh, &how, &info->cas);
    if (swapped) {
        cache_count(t, engine_class_of(t->c, old), o->decr ? ENGINE_DECR_HITS : ENGINE_INCR_HITS);
        info->value = v;
        info->ttl = cache_ttl_left(fresh, engine_now(t->c, NULL));
    }
    cache_release(t, (cache_item *)fresh);
    return swapped;
}

/* N on a miss: links the item holding `initial`; false if one appeared meanwhile. */
static bool cache_delta_create(cache_thread *t, const char *key, size_t nkey, uint64_t hv,
                               const cache_delta_opts *o, cache_delta_info *info,
                               cache_status *st)
{
    cache *c = t->c;
    char text[CACHE_DELTA_MAX_LEN];
    size_t len = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)o->initial);
    int64_t unix_now;
    uint32_t now = engine_now(c, &unix_now);
    item *fresh;
    *st = engine_item_alloc(c, key, nkey, 0, engine_exptime(c, o->vivify_exptime, unix_now),
                            len, now, &fresh);
    if (*st != CACHE_OK)
        return true;
    item_write(fresh, 0, text, len);
    hash_lock(c->hash, hv);
    item *old = cache_lookup_locked(t, key, nkey, hv, now, false);
    if (old == NULL) {
        cache_cas_rule rule = o->set_cas ? CACHE_CAS_GIVEN : CACHE_CAS_NEW;
        info->cas = cache_link_locked(t, fresh, NULL, hv, now,
                                      cache_pick_cas(c, NULL, rule, o->new_cas));
        info->value = o->initial;
        info->ttl = cache_ttl_left(fresh, now);
        info->created = true;
    }
    hash_unlock(c->hash, hv);
    if (old == NULL)
        cache_grow_if_wanted(c);
    cache_release(t, (cache_item *)fresh);
    return old == NULL;
}

cache_status cache_delta_ex(cache_thread *t, const char *key, size_t nkey,
                            const cache_delta_opts *o, cache_delta_info *info)
{
    static const cache_delta_opts plain;
    cache_delta_info scratch;
    o = o ? o : &plain;
    info = info ? info : &scratch;
    memset(info, 0, sizeof(*info));
    if (!cache_key_ok(key, nkey))
        return CACHE_EINVAL;
    uint64_t hv = hash_key(key, nkey);
    for (;;) {
        int64_t unix_now;
        uint32_t now = engine_now(t->c, &unix_now);
        item *old = cache_get_ref(t, key, nkey, hv, now, false);
        cache_status st = CACHE_NOT_FOUND;
        bool done = true;
        if (old == NULL && o->vivify)
            done = cache_delta_create(t, key, nkey, hv, o, info, &st);
        else if (old != NULL)
            done = cache_delta_apply(t, old, o, unix_now, info, &st);
        if (old != NULL)
            cache_release(t, (cache_item *)old);
        if (done)
            return st;
    }
}
