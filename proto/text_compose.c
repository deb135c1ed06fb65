/*
 * proto/text_compose.c -- replies (server side) and requests (client side)
 * written into caller buffers. Every function writes a whole line or
 * nothing: it returns 0 when the line does not fit in cap.
 */
#include "proto/text_internal.h"

#include <inttypes.h>
#include <stdio.h>

/* A bounded writer: appends until something does not fit, then only counts failure. */
typedef struct text_out {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
} text_out;

static text_out text_out_make(char *buf, size_t cap)
{
    text_out o = { buf, cap, 0, false };
    return o;
}

static void text_put(text_out *o, const void *p, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    if (n > 0)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void text_put_cstr(text_out *o, const char *s)
{
    text_put(o, s, strlen(s));
}

static void text_put_view(text_out *o, text_str s)
{
    text_put(o, s.ptr, s.len);
}

static void text_put_char(text_out *o, char c)
{
    text_put(o, &c, 1);
}

/* "00" "01" ... "99": two digits per division. */
const char text_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/*
 * The number of decimal digits of v (1 for 0): log10 estimated from the bit
 * length (1233 / 4096 ~ log10(2)), then corrected by one comparison.
 */
static unsigned text_u64_width(uint64_t v)
{
    static const uint64_t pow10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
        10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
        100000000000ull, 1000000000000ull, 10000000000000ull,
        100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull,
        10000000000000000000ull,
    };
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    unsigned t = (bits * 1233u) >> 12;
    return t + 1 - ((v | 1) < pow10[t]); /* v | 1: 0 has one digit */
}

/* Numbers of any size: two digits per division, from the right. */
static size_t text_u64_digits_large(char *out, uint64_t v)
{
    size_t len = text_u64_width(v), i = len;
    while (v >= 100) {
        unsigned pair = (unsigned)(v % 100) * 2;
        v /= 100;
        out[--i] = text_digit_pairs[pair + 1];
        out[--i] = text_digit_pairs[pair];
    }
    if (v >= 10) {
        out[--i] = text_digit_pairs[v * 2 + 1];
        out[--i] = text_digit_pairs[v * 2];
    } else {
        out[--i] = (char)('0' + v);
    }
    return len;
}

size_t text_u64_digits(char *out, uint64_t v)
{
    return v < TEXT_FP_SMALL ? text_digits_inline(out, v) : text_u64_digits_large(out, v);
}

static void text_put_u64(text_out *o, uint64_t v)
{
    char d[20];
    text_put(o, d, text_u64_digits(d, v));
}

static void text_put_i64(text_out *o, int64_t v)
{
    if (v < 0) {
        text_put_char(o, '-');
        text_put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        text_put_u64(o, (uint64_t)v);
    }
}

static void text_put_crlf(text_out *o)
{
    text_put(o, "\r\n", 2);
}

static size_t text_out_done(const text_out *o)
{
    return o->full ? 0 : o->len;
}

/* ---- replies ------------------------------------------------------------------ */

size_t text_compose_reply(char *buf, size_t cap, text_reply r)
{
    size_t n = text_reply_len(r);
    if (n > cap)
        return 0;
    text_copy_short(buf, text_reply_str(r), n);
    return n;
}

/* text_compose_value when cap is known to suffice: no bound checks. */
static size_t text_compose_value_fast(char *buf, text_str key, uint32_t flags,
                                      uint64_t nbytes, bool with_cas, uint64_t cas)
{
    char *p = buf;
    memcpy(p, "VALUE ", 6);
    p += 6;
    text_copy_short(p, key.ptr, key.len);
    p += key.len;
    *p++ = ' ';
    p += text_digits_inline(p, flags);
    *p++ = ' ';
    p += text_digits_inline(p, nbytes);
    if (with_cas) {
        *p++ = ' ';
        p += text_digits_inline(p, cas);
    }
    memcpy(p, "\r\n", 2);
    return (size_t)(p + 2 - buf);
}

size_t text_compose_value(char *buf, size_t cap, text_str key, uint32_t flags,
                          uint64_t nbytes, bool with_cas, uint64_t cas)
{
    if (key.len <= TEXT_KEY_MAX && cap >= key.len + TEXT_VALUE_OVERHEAD)
        return text_compose_value_fast(buf, key, flags, nbytes, with_cas, cas);
    text_out o = text_out_make(buf, cap);
    text_put(&o, "VALUE ", 6);
    text_put_view(&o, key);
    text_put_char(&o, ' ');
    text_put_u64(&o, flags);
    text_put_char(&o, ' ');
    text_put_u64(&o, nbytes);
    if (with_cas) {
        text_put_char(&o, ' ');
        text_put_u64(&o, cas);
    }
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_number(char *buf, size_t cap, uint64_t number)
{
    text_out o = text_out_make(buf, cap);
    text_put_u64(&o, number);
    text_put_crlf(&o);
    return text_out_done(&o);
}

static size_t text_compose_prefixed(char *buf, size_t cap, const char *prefix,
                                    const char *text)
{
    text_out o = text_out_make(buf, cap);
    text_put_cstr(&o, prefix);
    text_put_cstr(&o, text);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_version(char *buf, size_t cap, const char *version)
{
    return text_compose_prefixed(buf, cap, "VERSION ", version);
}

size_t text_compose_client_error(char *buf, size_t cap, const char *msg)
{
    return text_compose_prefixed(buf, cap, "CLIENT_ERROR ", msg);
}

size_t text_compose_server_error(char *buf, size_t cap, const char *msg)
{
    return text_compose_prefixed(buf, cap, "SERVER_ERROR ", msg);
}

/* "STAT <name> " */
static void text_put_stat_name(text_out *o, const char *name)
{
    text_put(o, "STAT ", 5);
    text_put_cstr(o, name);
    text_put_char(o, ' ');
}

size_t text_compose_stat_u64(char *buf, size_t cap, const char *name, uint64_t value)
{
    text_out o = text_out_make(buf, cap);
    text_put_stat_name(&o, name);
    text_put_u64(&o, value);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_stat_i64(char *buf, size_t cap, const char *name, int64_t value)
{
    text_out o = text_out_make(buf, cap);
    text_put_stat_name(&o, name);
    text_put_i64(&o, value);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_stat_str(char *buf, size_t cap, const char *name, const char *value)
{
    text_out o = text_out_make(buf, cap);
    text_put_stat_name(&o, name);
    text_put_cstr(&o, value);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_stat_timeval(char *buf, size_t cap, const char *name,
                                 int64_t seconds, int64_t micros)
{
    char digits[8];
    uint64_t us = micros < 0 ? 0 : (uint64_t)micros % 1000000;
    for (int i = 5; i >= 0; i--, us /= 10)
        digits[i] = (char)('0' + us % 10);
    text_out o = text_out_make(buf, cap);
    text_put_stat_name(&o, name);
    text_put_i64(&o, seconds);
    text_put_char(&o, '.');
    text_put(&o, digits, 6);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_stat_double(char *buf, size_t cap, const char *name, double value)
{
    char num[64];
    int n = snprintf(num, sizeof(num), "%.2f", value);
    if (n < 0 || (size_t)n >= sizeof(num))
        return 0;
    return text_compose_stat_str(buf, cap, name, num);
}

size_t text_compose_stat_prefixed_u64(char *buf, size_t cap, const char *prefix,
                                      unsigned id, const char *name, uint64_t value)
{
    text_out o = text_out_make(buf, cap);
    text_put(&o, "STAT ", 5);
    if (prefix != NULL && prefix[0] != '\0') {
        text_put_cstr(&o, prefix);
        text_put_char(&o, ':');
    }
    text_put_u64(&o, id);
    text_put_char(&o, ':');
    text_put_cstr(&o, name);
    text_put_char(&o, ' ');
    text_put_u64(&o, value);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_detail_prefix(char *buf, size_t cap, text_str prefix, uint64_t gets,
                                  uint64_t hits, uint64_t sets, uint64_t deletes)
{
    text_out o = text_out_make(buf, cap);
    text_put_cstr(&o, "PREFIX ");
    text_put_view(&o, prefix);
    text_put_cstr(&o, " get ");
    text_put_u64(&o, gets);
    text_put_cstr(&o, " hit ");
    text_put_u64(&o, hits);
    text_put_cstr(&o, " set ");
    text_put_u64(&o, sets);
    text_put_cstr(&o, " del ");
    text_put_u64(&o, deletes);
    text_put_crlf(&o);
    return text_out_done(&o);
}

/* ---- lru_crawler metadump ------------------------------------------------------ */

/* RFC 3986 unreserved characters stay as they are in a metadump key. */
static bool text_uri_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static void text_put_uri(text_out *o, text_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (text_uri_unreserved(c)) {
            text_put_char(o, (char)c);
            continue;
        }
        char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
        text_put(o, esc, 3);
    }
}

size_t text_compose_metadump(char *buf, size_t cap, const text_metadump_item *m)
{
    text_out o = text_out_make(buf, cap);
    text_put_cstr(&o, "key=");
    text_put_uri(&o, m->key);
    text_put_cstr(&o, " exp=");
    text_put_i64(&o, m->exptime > 0 ? m->exptime : -1);
    text_put_cstr(&o, " la=");
    text_put_i64(&o, m->last_access);
    text_put_cstr(&o, " cas=");
    text_put_u64(&o, m->cas);
    text_put_cstr(&o, m->fetched ? " fetch=yes cls=" : " fetch=no cls=");
    text_put_u64(&o, m->class_id);
    text_put_cstr(&o, " size=");
    text_put_u64(&o, m->size);
    text_put_char(&o, '\n');
    return text_out_done(&o);
}

/* ---- requests ----------------------------------------------------------------- */

static void text_put_cmd(text_out *o, text_cmd cmd)
{
    text_put_cstr(o, text_cmd_name(cmd));
}

static void text_put_noreply(text_out *o, bool noreply)
{
    if (noreply)
        text_put(o, " noreply", 8);
}

static void text_put_keys(text_out *o, const text_str *keys, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++) {
        text_put_char(o, ' ');
        text_put_view(o, keys[i]);
    }
}

size_t text_compose_get(char *buf, size_t cap, text_cmd cmd, const text_str *keys,
                        size_t nkeys)
{
    if (cmd != TEXT_CMD_GET && cmd != TEXT_CMD_GETS)
        return 0;
    text_out o = text_out_make(buf, cap);
    text_put_cmd(&o, cmd);
    text_put_keys(&o, keys, nkeys);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_gat(char *buf, size_t cap, text_cmd cmd, int64_t exptime,
                        const text_str *keys, size_t nkeys)
{
    if (cmd != TEXT_CMD_GAT && cmd != TEXT_CMD_GATS)
        return 0;
    text_out o = text_out_make(buf, cap);
    text_put_cmd(&o, cmd);
    text_put_char(&o, ' ');
    text_put_i64(&o, exptime);
    text_put_keys(&o, keys, nkeys);
    text_put_crlf(&o);
    return text_out_done(&o);
}

/* "<cmd> <key> <flags> <exptime> <bytes>[ <cas>][ noreply]" without the line end. */
static void text_put_store_line(text_out *o, text_cmd cmd, text_str key, uint32_t flags,
                                int64_t exptime, uint64_t nbytes, uint64_t cas,
                                bool noreply)
{
    text_put_cmd(o, cmd);
    text_put_char(o, ' ');
    text_put_view(o, key);
    text_put_char(o, ' ');
    text_put_u64(o, flags);
    text_put_char(o, ' ');
    text_put_i64(o, exptime);
    text_put_char(o, ' ');
    text_put_u64(o, nbytes);
    if (cmd == TEXT_CMD_CAS) {
        text_put_char(o, ' ');
        text_put_u64(o, cas);
    }
    text_put_noreply(o, noreply);
}

size_t text_compose_store(char *buf, size_t cap, text_cmd cmd, text_str key,
                          uint32_t flags, int64_t exptime, const void *data,
                          size_t nbytes, uint64_t cas, bool noreply)
{
    if (!text_cmd_has_data(cmd))
        return 0;
    text_out o = text_out_make(buf, cap);
    text_put_store_line(&o, cmd, key, flags, exptime, nbytes, cas, noreply);
    text_put_crlf(&o);
    text_put(&o, data, nbytes);
    text_put_crlf(&o);
    return text_out_done(&o);
}

/* "<cmd> <key>" */
static void text_put_cmd_key(text_out *o, text_cmd cmd, text_str key)
{
    text_put_cmd(o, cmd);
    text_put_char(o, ' ');
    text_put_view(o, key);
}

size_t text_compose_delete(char *buf, size_t cap, text_str key, bool noreply)
{
    text_out o = text_out_make(buf, cap);
    text_put_cmd_key(&o, TEXT_CMD_DELETE, key);
    text_put_noreply(&o, noreply);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_arith(char *buf, size_t cap, text_cmd cmd, text_str key,
                          uint64_t delta, bool noreply)
{
    if (cmd != TEXT_CMD_INCR && cmd != TEXT_CMD_DECR)
        return 0;
    text_out o = text_out_make(buf, cap);
    text_put_cmd_key(&o, cmd, key);
    text_put_char(&o, ' ');
    text_put_u64(&o, delta);
    text_put_noreply(&o, noreply);
    text_put_crlf(&o);
    return text_out_done(&o);
}

size_t text_compose_touch(char *buf, size_t cap, text_str key, int64_t exptime,
                          bool noreply)
{
    text_out o = text_out_make(buf, cap);
    text_put_cmd_key(&o, TEXT_CMD_TOUCH, key);
    text_put_char(&o, ' ');
    text_put_i64(&o, exptime);
    text_put_noreply(&o, noreply);
    text_put_crlf(&o);
    return text_out_done(&o);
}

static const char *const text_meta_names[] = { "", "mg", "ms", "md", "ma", "mn", "me" };

/* The command word plus " <args>" when args are given. */
static void text_put_cmd_args(text_out *o, const char *word, text_str args)
{
    text_put_cstr(o, word);
    if (args.len > 0) {
        text_put_char(o, ' ');
        text_put_view(o, args);
    }
}

/* flush_all, verbosity: "<cmd>[ <number>][ noreply]" */
static void text_put_numbered(text_out *o, const text_request *req)
{
    text_put_cmd(o, req->cmd);
    if (req->has_value) {
        text_put_char(o, ' ');
        if (req->cmd == TEXT_CMD_FLUSH_ALL)
            text_put_i64(o, req->exptime);
        else
            text_put_u64(o, req->value);
    }
    text_put_noreply(o, req->noreply);
}

static void text_put_request(text_out *o, const text_request *req)
{
    switch (req->cmd) {
    case TEXT_CMD_GET: case TEXT_CMD_GETS:
        text_put_cmd_args(o, text_cmd_name(req->cmd), req->keys);
        break;
    case TEXT_CMD_GAT: case TEXT_CMD_GATS:
        text_put_cmd(o, req->cmd);
        text_put_char(o, ' ');
        text_put_i64(o, req->exptime);
        if (req->keys.len > 0) {
            text_put_char(o, ' ');
            text_put_view(o, req->keys);
        }
        break;
    case TEXT_CMD_SET: case TEXT_CMD_ADD: case TEXT_CMD_REPLACE:
    case TEXT_CMD_APPEND: case TEXT_CMD_PREPEND: case TEXT_CMD_CAS:
        text_put_store_line(o, req->cmd, req->key, req->flags, req->exptime,
                            req->nbytes, req->cas, req->noreply);
        break;
    case TEXT_CMD_DELETE:
        text_put_cmd_key(o, req->cmd, req->key);
        text_put_noreply(o, req->noreply);
        break;
    case TEXT_CMD_INCR: case TEXT_CMD_DECR:
        text_put_cmd_key(o, req->cmd, req->key);
        text_put_char(o, ' ');
        text_put_u64(o, req->delta);
        text_put_noreply(o, req->noreply);
        break;
    case TEXT_CMD_TOUCH:
        text_put_cmd_key(o, req->cmd, req->key);
        text_put_char(o, ' ');
        text_put_i64(o, req->exptime);
        text_put_noreply(o, req->noreply);
        break;
    case TEXT_CMD_FLUSH_ALL: case TEXT_CMD_VERBOSITY:
        text_put_numbered(o, req);
        break;
    case TEXT_CMD_VERSION: case TEXT_CMD_QUIT:
        text_put_cmd(o, req->cmd);
        break;
    case TEXT_CMD_STATS: case TEXT_CMD_SHUTDOWN: case TEXT_CMD_DEBUGTIME:
    case TEXT_CMD_LRU_CRAWLER_CRAWL: case TEXT_CMD_LRU_CRAWLER_METADUMP:
    case TEXT_CMD_LRU_CRAWLER_MGDUMP:
        text_put_cmd_args(o, text_cmd_name(req->cmd), req->args);
        break;
    case TEXT_CMD_SLABS_REASSIGN:
        text_put_cmd(o, req->cmd);
        text_put_char(o, ' ');
        text_put_i64(o, req->src_class);
        text_put_char(o, ' ');
        text_put_i64(o, req->dst_class);
        break;
    case TEXT_CMD_SLABS_AUTOMOVE:
        text_put_numbered(o, req);
        break;
    case TEXT_CMD_META:
        if ((unsigned)req->meta >= sizeof(text_meta_names) / sizeof(text_meta_names[0]) ||
            req->meta == TEXT_META_NONE) {
            o->full = true;
            break;
        }
        text_put_cmd_args(o, text_meta_names[req->meta], req->args);
        break;
    default:
        o->full = true;
        break;
    }
}

size_t text_compose_request(char *buf, size_t cap, const text_request *req)
{
    text_out o = text_out_make(buf, cap);
    text_put_request(&o, req);
    text_put_crlf(&o);
    return text_out_done(&o);
}
