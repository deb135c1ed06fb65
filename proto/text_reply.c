/*
 * proto/text_reply.c -- the fixed reply strings, and the reply parser used
 * by clients (tests, bench/).
 */
#include "proto/text_internal.h"

#include "proto/meta.h" /* meta_base64_encode, for mgdump's binary keys */

#define TEXT_REPLY_LINE(s) { s "\r\n", sizeof(s "\r\n") - 1 }

typedef struct text_reply_text {
    const char *str;
    size_t len;
} text_reply_text;

static const text_reply_text text_replies[TEXT_REPLY__FIXED] = {
    [TEXT_REPLY_NONE] = { "", 0 },
    [TEXT_REPLY_STORED] = TEXT_REPLY_LINE("STORED"),
    [TEXT_REPLY_NOT_STORED] = TEXT_REPLY_LINE("NOT_STORED"),
    [TEXT_REPLY_EXISTS] = TEXT_REPLY_LINE("EXISTS"),
    [TEXT_REPLY_NOT_FOUND] = TEXT_REPLY_LINE("NOT_FOUND"),
    [TEXT_REPLY_DELETED] = TEXT_REPLY_LINE("DELETED"),
    [TEXT_REPLY_TOUCHED] = TEXT_REPLY_LINE("TOUCHED"),
    [TEXT_REPLY_OK] = TEXT_REPLY_LINE("OK"),
    [TEXT_REPLY_END] = TEXT_REPLY_LINE("END"),
    [TEXT_REPLY_ERROR] = TEXT_REPLY_LINE("ERROR"),
    [TEXT_REPLY_RESET] = TEXT_REPLY_LINE("RESET"),
    [TEXT_REPLY_CE_BAD_FORMAT] = TEXT_REPLY_LINE("CLIENT_ERROR bad command line format"),
    [TEXT_REPLY_CE_BAD_DATA_CHUNK] = TEXT_REPLY_LINE("CLIENT_ERROR bad data chunk"),
    [TEXT_REPLY_CE_INVALID_DELTA] = TEXT_REPLY_LINE("CLIENT_ERROR invalid numeric delta argument"),
    [TEXT_REPLY_CE_INVALID_EXPTIME] = TEXT_REPLY_LINE("CLIENT_ERROR invalid exptime argument"),
    [TEXT_REPLY_CE_DELETE_USAGE] =
        TEXT_REPLY_LINE("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"),
    [TEXT_REPLY_CE_NON_NUMERIC] =
        TEXT_REPLY_LINE("CLIENT_ERROR cannot increment or decrement non-numeric value"),
    [TEXT_REPLY_CE_FLUSH_DISABLED] = TEXT_REPLY_LINE("CLIENT_ERROR flush_all not allowed"),
    [TEXT_REPLY_CE_STATS_DETAIL_USAGE] =
        TEXT_REPLY_LINE("CLIENT_ERROR usage: stats detail on|off|dump"),
    [TEXT_REPLY_CE_BAD_COMMAND_LINE] = TEXT_REPLY_LINE("CLIENT_ERROR bad command line"),
    [TEXT_REPLY_CE_SHUTDOWN_MODE] = TEXT_REPLY_LINE("CLIENT_ERROR invalid shutdown mode"),
    [TEXT_REPLY_SE_TOO_LARGE] = TEXT_REPLY_LINE("SERVER_ERROR object too large for cache"),
    [TEXT_REPLY_SE_OOM_STORING] = TEXT_REPLY_LINE("SERVER_ERROR out of memory storing object"),
    [TEXT_REPLY_SE_OOM] = TEXT_REPLY_LINE("SERVER_ERROR out of memory"),
    [TEXT_REPLY_SHUTDOWN_DISABLED] = TEXT_REPLY_LINE("ERROR: shutdown not enabled"),
    [TEXT_REPLY_TOO_MANY_CONNS] = TEXT_REPLY_LINE("ERROR Too many open connections"),
    [TEXT_REPLY_REASSIGN_BUSY] = TEXT_REPLY_LINE("BUSY currently processing reassign request"),
    [TEXT_REPLY_REASSIGN_BADCLASS] = TEXT_REPLY_LINE("BADCLASS invalid src or dst class id"),
    [TEXT_REPLY_REASSIGN_NOSPARE] = TEXT_REPLY_LINE("NOSPARE source class has no spare pages"),
    [TEXT_REPLY_REASSIGN_SAME] = TEXT_REPLY_LINE("SAME src and dst class are identical"),
    [TEXT_REPLY_CE_REASSIGN_DISABLED] =
        TEXT_REPLY_LINE("CLIENT_ERROR slab reassignment disabled"),
    [TEXT_REPLY_CRAWLER_BADCLASS] = TEXT_REPLY_LINE("BADCLASS invalid class id"),
    [TEXT_REPLY_CE_CRAWLER_DISABLED] = TEXT_REPLY_LINE("CLIENT_ERROR lru crawler disabled"),
    [TEXT_REPLY_CRAWLER_NOTSTARTED] = TEXT_REPLY_LINE("NOTSTARTED no items to crawl"),
    [TEXT_REPLY_CRAWLER_UNKNOWN] = TEXT_REPLY_LINE("ERROR an unknown error happened"),
};

const char *text_reply_str(text_reply r)
{
    return ((unsigned)r < TEXT_REPLY__FIXED) ? text_replies[r].str : "";
}

size_t text_reply_len(text_reply r)
{
    return ((unsigned)r < TEXT_REPLY__FIXED) ? text_replies[r].len : 0;
}

static const text_reply_text text_admin_replies[TEXT_ADMIN_REPLY__COUNT] = {
    [TEXT_ADMIN_REPLY_NONE] = { "", 0 },
    [TEXT_ADMIN_REPLY_CRAWLER_START_FAILED] =
        TEXT_REPLY_LINE("ERROR failed to start lru crawler thread"),
    [TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP] =
        TEXT_REPLY_LINE("CLIENT_ERROR sleep must be one second or less"),
    [TEXT_ADMIN_REPLY_LRU_PCTS] = TEXT_REPLY_LINE("ERROR hot and warm pcts must not exceed 80"),
    [TEXT_ADMIN_REPLY_LRU_FACTORS] =
        TEXT_REPLY_LINE("ERROR hot/warm age factors must be greater than 0"),
    [TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL] =
        TEXT_REPLY_LINE("MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m"),
    [TEXT_ADMIN_REPLY_MEMLIMIT_UNITS] =
        TEXT_REPLY_LINE("MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes"),
    [TEXT_ADMIN_REPLY_MEMLIMIT_FAILED] =
        TEXT_REPLY_LINE("MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust"),
    [TEXT_ADMIN_REPLY_CE_CACHEDUMP_DISABLED] =
        TEXT_REPLY_LINE("CLIENT_ERROR stats cachedump not allowed"),
    [TEXT_ADMIN_REPLY_CE_ILLEGAL_SLAB_ID] = TEXT_REPLY_LINE("CLIENT_ERROR Illegal slab id"),
    [TEXT_ADMIN_REPLY_METADUMP_DISABLED] = TEXT_REPLY_LINE("ERROR metadump not allowed"),
    [TEXT_ADMIN_REPLY_MGDUMP_DISABLED] = TEXT_REPLY_LINE("ERROR mgdump not allowed"),
    [TEXT_ADMIN_REPLY_EN] = TEXT_REPLY_LINE("EN"),
};

const char *text_admin_reply_str(text_admin_reply r)
{
    return ((unsigned)r < TEXT_ADMIN_REPLY__COUNT) ? text_admin_replies[r].str : "";
}

size_t text_admin_reply_len(text_admin_reply r)
{
    return ((unsigned)r < TEXT_ADMIN_REPLY__COUNT) ? text_admin_replies[r].len : 0;
}

text_admin_reply text_crawler_sleep_check(const text_request *req)
{
    if (req->cmd == TEXT_CMD_LRU_CRAWLER_SLEEP && req->value > TEXT_CRAWLER_SLEEP_MAX)
        return TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP;
    return TEXT_ADMIN_REPLY_NONE;
}

text_admin_reply text_lru_tune_check(const text_request *req)
{
    if (req->cmd != TEXT_CMD_LRU_TUNE)
        return TEXT_ADMIN_REPLY_NONE;
    if ((uint32_t)(req->lru_hot_pct + req->lru_warm_pct) > 80)
        return TEXT_ADMIN_REPLY_LRU_PCTS;
    if (req->lru_warm_factor <= 0 || req->lru_hot_factor <= 0)
        return TEXT_ADMIN_REPLY_LRU_FACTORS;
    return TEXT_ADMIN_REPLY_NONE;
}

text_admin_reply text_memlimit_check(const text_request *req)
{
    if (req->cmd != TEXT_CMD_CACHE_MEMLIMIT)
        return TEXT_ADMIN_REPLY_NONE;
    if (req->value < TEXT_MEMLIMIT_MIN_MB)
        return TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL;
    if (req->value > TEXT_MEMLIMIT_MAX_MB)
        return TEXT_ADMIN_REPLY_MEMLIMIT_UNITS;
    return TEXT_ADMIN_REPLY_NONE;
}

/* One cachedump number: unsigned, memcached's rules, kept in 32 bits. */
static bool text_cachedump_number(text_str tok, uint32_t *out)
{
    uint64_t v;
    if (!text_scan_u64(tok, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

text_reply text_cachedump_args(text_str rest, uint32_t *id, uint32_t *limit)
{
    text_str tid, tlimit;
    if (!text_next_token(&rest, &tid) || !text_next_token(&rest, &tlimit))
        return TEXT_REPLY_CE_BAD_COMMAND_LINE;
    if (!text_cachedump_number(tid, id) || !text_cachedump_number(tlimit, limit))
        return TEXT_REPLY_CE_BAD_FORMAT;
    return TEXT_REPLY_NONE;
}

/* Appends src[0..n) at *at if it fits in cap; false (nothing written) if not. */
static bool text_put(char *buf, size_t cap, size_t *at, const char *src, size_t n)
{
    if (n > cap - *at)
        return false;
    memcpy(buf + *at, src, n);
    *at += n;
    return true;
}

static bool text_put_i64(char *buf, size_t cap, size_t *at, int64_t v)
{
    char digits[24];
    size_t n = 0;
    if (v < 0)
        digits[n++] = '-';
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    n += text_u64_digits(digits + n, mag);
    return text_put(buf, cap, at, digits, n);
}

size_t text_compose_cachedump_item(char *buf, size_t cap, text_str key, uint64_t nbytes,
                                   int64_t exptime)
{
    const char *nul = key.len ? memchr(key.ptr, '\0', key.len) : NULL;
    size_t nkey = nul ? (size_t)(nul - key.ptr) : key.len;
    size_t at = 0;
    bool ok = text_put(buf, cap, &at, "ITEM ", 5) && text_put(buf, cap, &at, key.ptr, nkey) &&
              text_put(buf, cap, &at, " [", 2) &&
              text_put_i64(buf, cap, &at, (int64_t)nbytes) &&
              text_put(buf, cap, &at, " b; ", 4) && text_put_i64(buf, cap, &at, exptime) &&
              text_put(buf, cap, &at, " s]\r\n", 5);
    return ok ? at : 0;
}

size_t text_compose_mgdump_item(char *buf, size_t cap, text_str key, bool binary)
{
    size_t at = 0;
    if (!text_put(buf, cap, &at, "mg ", 3))
        return 0;
    if (binary) {
        size_t n = meta_base64_encode((const uint8_t *)key.ptr, key.len, buf + at, cap - at);
        if (n == 0 && key.len > 0)
            return 0;
        at += n;
        return text_put(buf, cap, &at, " b\r\n", 4) ? at : 0;
    }
    bool ok = text_put(buf, cap, &at, key.ptr, key.len) && text_put(buf, cap, &at, "\r\n", 2);
    return ok ? at : 0;
}

const char *text_crlf(void)
{
    return "\r\n";
}

/* ---- reply parser ---------------------------------------------------------- */

static bool text_starts_with(text_str s, const char *prefix, size_t plen)
{
    return s.len >= plen && memcmp(s.ptr, prefix, plen) == 0;
}

static text_str text_after(text_str s, size_t n)
{
    text_str t = { s.ptr + n, s.len - n };
    return t;
}

/* The fixed reply whose text (without "\r\n") is exactly line, or NONE. */
static text_reply text_fixed_reply_of(text_str line)
{
    for (unsigned r = TEXT_REPLY_NONE + 1; r < TEXT_REPLY__FIXED; r++) {
        if (text_replies[r].len == line.len + 2 &&
            memcmp(text_replies[r].str, line.ptr, line.len) == 0)
            return (text_reply)r;
    }
    return TEXT_REPLY_NONE;
}

static bool text_all_digits(text_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
    }
    return true;
}

/* "VALUE <key> <flags> <bytes>[ <cas>]" then the data block; buf holds the whole reply. */
static text_status text_parse_value(const char *buf, size_t len, text_str fields,
                                    text_reply_msg *msg)
{
    text_str tok[4];
    size_t n = 0;
    text_str rest = fields, t;
    while (text_next_token(&rest, &t)) {
        if (n == 4)
            return TEXT_CLIENT_ERROR;
        tok[n++] = t;
    }
    uint64_t flags;
    if (n < 3 || tok[0].len > TEXT_KEY_MAX || !text_scan_u64(tok[1], &flags) ||
        flags > UINT32_MAX || !text_scan_u64(tok[2], &msg->nbytes) ||
        (n == 4 && !text_scan_u64(tok[3], &msg->cas)))
        return TEXT_CLIENT_ERROR;
    msg->code = TEXT_REPLY_VALUE;
    msg->key = tok[0];
    msg->flags = (uint32_t)flags;
    msg->has_cas = (n == 4);
    size_t header = msg->len;
    if (len - header < 2 || msg->nbytes > len - header - 2)
        return TEXT_EAGAIN;
    if (!text_data_block_ok(buf + header, (size_t)msg->nbytes))
        return TEXT_CLIENT_ERROR;
    msg->data.ptr = buf + header;
    msg->data.len = (size_t)msg->nbytes;
    msg->len = header + (size_t)msg->nbytes + 2;
    return TEXT_OK;
}

/* Everything but VALUE: one line. */
static void text_classify_line(text_str line, text_reply_msg *msg)
{
    text_reply fixed = text_fixed_reply_of(line);
    if (fixed != TEXT_REPLY_NONE) {
        msg->code = fixed;
    } else if (text_starts_with(line, "STAT ", 5)) {
        text_str rest = text_after(line, 5);
        text_next_token(&rest, &msg->name);
        msg->code = TEXT_REPLY_STAT;
        msg->text = rest.len > 0 ? text_after(rest, 1) : rest;
    } else if (text_starts_with(line, "VERSION ", 8)) {
        msg->code = TEXT_REPLY_VERSION;
        msg->text = text_after(line, 8);
    } else if (text_starts_with(line, "CLIENT_ERROR ", 13)) {
        msg->code = TEXT_REPLY_CLIENT_ERROR;
        msg->text = text_after(line, 13);
    } else if (text_starts_with(line, "SERVER_ERROR ", 13)) {
        msg->code = TEXT_REPLY_SERVER_ERROR;
        msg->text = text_after(line, 13);
    } else if (text_all_digits(line) && line.len <= 20 &&
               text_scan_u64(line, &msg->number)) {
        msg->code = TEXT_REPLY_NUMBER;
    } else {
        msg->code = TEXT_REPLY_OTHER;
        msg->text = line;
    }
}

text_status text_parse_reply(const char *buf, size_t len, text_reply_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    if (nl == NULL)
        return TEXT_EAGAIN;
    msg->len = (size_t)(nl - buf) + 1;
    text_str line = { buf, (size_t)(nl - buf) };
    if (line.len > 0 && line.ptr[line.len - 1] == '\r')
        line.len--;
    if (text_starts_with(line, "VALUE ", 6))
        return text_parse_value(buf, len, text_after(line, 6), msg);
    text_classify_line(line, msg);
    return TEXT_OK;
}
