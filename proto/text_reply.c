/*
 * proto/text_reply.c -- the fixed reply strings, and the reply parser used
 * by clients (tests, bench/).
 */
#include "proto/text_internal.h"

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
