/*
 * bench/loadgen_meta.c -- the meta protocol subset the load generator
 * speaks (--proto meta): ms / mg / mn requests, composed with proto's
 * text_compose_request (TEXT_CMD_META), and their replies, read with
 * text_parse_reply and mapped onto the text protocol's reply codes so that
 * loadgen_conn.c checks both protocols with the same code:
 *
 *     HD -> STORED    NS -> NOT_STORED    EN, MN -> END   (with any return flags:
 *     memcached 1.6.18 answers a missed "mg <key> k" with "EN k<key>")
 *     VA <size> f<flags> k<key> + data block -> VALUE (key, flags, data)
 *
 * proto/ reports a meta line as TEXT_REPLY_OTHER and does not frame the
 * data block after "VA": that framing is done here.
 */
#include "bench/loadgen.h"

#include <string.h>

#define LOADGEN_META_ARGS_MAX (TEXT_KEY_MAX + 64)

/* Writes v in decimal at dst; returns the digit count. */
static size_t loadgen_meta_put_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        dst[i++] = tmp[--n];
    return i;
}

static size_t loadgen_meta_line(char *buf, size_t cap, text_meta meta, const char *args,
                                size_t args_len)
{
    text_request q = { .cmd = TEXT_CMD_META, .meta = meta };
    q.args.ptr = args;
    q.args.len = args_len;
    return text_compose_request(buf, cap, &q);
}

size_t loadgen_meta_set_line(char *buf, size_t cap, text_str key, uint32_t flags, size_t nbytes)
{
    char args[LOADGEN_META_ARGS_MAX];
    if (key.len > TEXT_KEY_MAX)
        return 0;
    size_t n = key.len;
    memcpy(args, key.ptr, n);
    args[n++] = ' ';
    n += loadgen_meta_put_u64(args + n, nbytes);
    memcpy(args + n, " F", 2);
    n += 2;
    n += loadgen_meta_put_u64(args + n, flags);
    return loadgen_meta_line(buf, cap, TEXT_META_SET, args, n);
}

size_t loadgen_meta_get_line(char *buf, size_t cap, text_str key, bool quiet)
{
    char args[LOADGEN_META_ARGS_MAX];
    if (key.len > TEXT_KEY_MAX)
        return 0;
    memcpy(args, key.ptr, key.len);
    const char *tail = quiet ? " v f k q" : " v f k";
    size_t tail_len = strlen(tail);
    memcpy(args + key.len, tail, tail_len);
    return loadgen_meta_line(buf, cap, TEXT_META_GET, args, key.len + tail_len);
}

size_t loadgen_meta_noop_line(char *buf, size_t cap)
{
    return loadgen_meta_line(buf, cap, TEXT_META_NOOP, "", 0);
}

/* Reads a decimal token; false if it is empty, not all digits or too long. */
static bool loadgen_meta_number(text_str tok, uint64_t *v)
{
    if (tok.len == 0 || tok.len > 19)
        return false;
    *v = 0;
    for (size_t i = 0; i < tok.len; i++) {
        if (tok.ptr[i] < '0' || tok.ptr[i] > '9')
            return false;
        *v = *v * 10 + (uint64_t)(tok.ptr[i] - '0');
    }
    return true;
}

/* The "f<flags>" and "k<key>" return flags of a VA line (others ignored). */
static bool loadgen_meta_va_flags(text_str rest, text_reply_msg *m)
{
    text_str tok;
    uint64_t v;
    while (text_next_token(&rest, &tok)) {
        text_str arg = { tok.ptr + 1, tok.len - 1 };
        if (tok.ptr[0] == 'f') {
            if (!loadgen_meta_number(arg, &v) || v > UINT32_MAX)
                return false;
            m->flags = (uint32_t)v;
        } else if (tok.ptr[0] == 'k') {
            m->key = arg;
        }
    }
    return true;
}

/* Frames "VA <size> <flags>*\r\n<data>\r\n" whose line m already holds. */
static text_status loadgen_meta_va(const char *buf, size_t len, text_reply_msg *m)
{
    text_str rest = { m->text.ptr + 3, m->text.len - 3 }, tok;
    uint64_t size;
    if (!text_next_token(&rest, &tok) || !loadgen_meta_number(tok, &size) ||
        size > INT32_MAX || !loadgen_meta_va_flags(rest, m))
        return TEXT_CLIENT_ERROR;
    if (len - m->len < size + TEXT_CRLF_LEN)
        return TEXT_EAGAIN;
    if (!text_data_block_ok(buf + m->len, size))
        return TEXT_CLIENT_ERROR;
    m->code = TEXT_REPLY_VALUE;
    m->nbytes = size;
    m->data.ptr = buf + m->len;
    m->data.len = size;
    m->len += size + TEXT_CRLF_LEN;
    return TEXT_OK;
}

text_status loadgen_meta_parse_reply(const char *buf, size_t len, text_reply_msg *m)
{
    text_status st = text_parse_reply(buf, len, m);
    if (st != TEXT_OK || m->code != TEXT_REPLY_OTHER)
        return st;
    if (m->text.len >= 3 && memcmp(m->text.ptr, "VA ", 3) == 0) {
        memset(&m->key, 0, sizeof m->key);
        m->flags = 0;
        return loadgen_meta_va(buf, len, m);
    }
    text_str rest = m->text, word;
    text_next_token(&rest, &word);      /* HD, NS and EN may carry return flags */
    if (text_str_eq(word, "HD"))
        m->code = TEXT_REPLY_STORED;
    else if (text_str_eq(word, "NS"))
        m->code = TEXT_REPLY_NOT_STORED;
    else if (text_str_eq(word, "EN") || text_str_eq(m->text, "MN"))
        m->code = TEXT_REPLY_END;
    return TEXT_OK;
}
