/*
 * proto/text.c -- the request parser of the text protocol.
 *
 * Fast path first: one scan finds the line end and proves the line free of
 * control bytes; get/gets, storage and meta lines of the usual shape are
 * then parsed directly (and only the fields they use are reset). Anything
 * else takes the general path: find the '\n' (memchr), cut the line, split
 * the command token, dispatch on it, split the few argument tokens into a
 * small array on the stack (get* key lists are only walked, never stored).
 * No allocation, no copies: every string in the request is a view into the
 * caller's buffer.
 * The acceptance rules (token counts, numbers, noreply, error replies) are
 * memcached 1.6's, checked against the real server.
 */
#include "proto/text_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>

/*
 * The offset of the first byte of the 16 at p equal to c (SSE2, the x86-64
 * baseline), or 16 if none is.
 */
static inline unsigned text_sse_find_byte(const char *p, char c)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
    return hit != 0 ? (unsigned)__builtin_ctz(hit) : 16;
}

/* The offset of the first byte below ' ' of the 16 at p, or 16 if none is. */
static inline unsigned text_sse_find_ctl(const char *p)
{
    const __m128i top = _mm_set1_epi8(' ' - 1);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, top), top));
    return hit != 0 ? (unsigned)__builtin_ctz(hit) : 16;
}
#endif

#define TEXT_ARGS_MAX 7      /* arguments after the command that any fixed-form command takes */
#define TEXT_GET_PAD_MAX 100 /* leading spaces allowed before a long get line */

typedef struct text_args {
    text_str tok[TEXT_ARGS_MAX];
    size_t n;                /* TEXT_ARGS_MAX + 1 means "more than TEXT_ARGS_MAX" */
} text_args;

typedef text_status (*text_cmd_parser)(text_str rest, text_request *req);

/* ---- tokens and numbers ---------------------------------------------- */

/*
 * The first ' ' in [p, end), or end. Sixteen bytes at a time with SSE2,
 * then eight at a time where it can: a
 * word XOR "        " has a zero byte exactly where a space was, and the
 * classic zero-byte test flags the first such byte exactly (only bytes
 * above a true zero can be false hits). Little-endian only; else bytewise.
 */
static inline const char *text_find_space(const char *p, const char *end)
{
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned at = text_sse_find_byte(p, ' ');
        if (at < 16)
            return p + at;
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= ones * ' ';
        uint64_t hit = (w - ones) & ~w & highs;
        if (hit != 0)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != ' ')
        p++;
    return p;
}

/* The tokenizer's body, inlined into the parsers (text_next_token is its exported face). */
static inline bool text_token(text_str *rest, text_str *tok)
{
    const char *p = rest->ptr, *end = rest->ptr + rest->len;
    while (p < end && *p == ' ')
        p++;
    const char *start = p;
    p = text_find_space(p, end);
    tok->ptr = start;
    tok->len = (size_t)(p - start);
    rest->ptr = p;
    rest->len = (size_t)(end - p);
    return tok->len > 0;
}

bool text_next_token(text_str *rest, text_str *tok)
{
    return text_token(rest, tok);
}

bool text_str_eq(text_str tok, const char *word)
{
    return text_tok_is(tok, word, strlen(word));
}

bool text_scan_number(text_str tok, uint64_t *magnitude, bool *negative)
{
    const unsigned char *p = (const unsigned char *)tok.ptr;
    const unsigned char *end = p + tok.len;
    while (p < end && text_is_space(*p))
        p++;
    *negative = false;
    if (p < end && (*p == '+' || *p == '-'))
        *negative = (*p++ == '-');
    uint64_t v = 0;
    const unsigned char *digits = p;
    /* 19 digits cannot overflow 64 bits: check only beyond them. */
    const unsigned char *safe_end = end - p > 19 ? p + 19 : end;
    for (; p < safe_end && (unsigned)(*p - '0') <= 9; p++)
        v = v * 10 + (unsigned)(*p - '0');
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *magnitude = v;
    return p > digits && (p == end || text_is_space(*p));
}

bool text_scan_u64(text_str tok, uint64_t *out)
{
    uint64_t mag;
    bool neg;
    if (!text_scan_number(tok, &mag, &neg))
        return false;
    uint64_t v = neg ? (uint64_t)0 - mag : mag;
    if ((int64_t)v < 0 && memchr(tok.ptr, '-', tok.len) != NULL)
        return false;
    *out = v;
    return true;
}

bool text_scan_i64(text_str tok, int64_t *out)
{
    uint64_t mag;
    bool neg;
    if (!text_scan_number(tok, &mag, &neg))
        return false;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return false;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)mag;
    }
    return true;
}

/* memcached keeps exptimes in 32 bits: the 64-bit value is truncated, not refused. */
static bool text_scan_exptime(text_str tok, int64_t *out)
{
    int64_t v;
    if (!text_scan_i64(tok, &v))
        return false;
    *out = (int32_t)(uint32_t)(uint64_t)v;
    return true;
}

bool text_scan_nbytes(text_str tok, uint64_t *out)
{
    int64_t v;
    uint64_t plain = 0;
    if (tok.len > 0 && tok.len <= 9) { /* plain digits: below INT32_MAX - 2, no checks */
        size_t i = 0;
        while (i < tok.len && (unsigned)(tok.ptr[i] - '0') <= 9)
            plain = plain * 10 + (unsigned)(tok.ptr[i++] - '0');
        if (i == tok.len) {
            *out = plain;
            return true;
        }
    }
    if (!text_scan_i64(tok, &v))
        return false;
    int32_t v32 = (int32_t)(uint32_t)(uint64_t)v;
    if (v32 < 0 || v32 > INT32_MAX - 2)
        return false;
    *out = (uint64_t)v32;
    return true;
}

static void text_split_args(text_str rest, text_args *a)
{
    text_str tok;
    a->n = 0;
    while (text_token(&rest, &tok)) {
        if (a->n == TEXT_ARGS_MAX) {
            a->n = TEXT_ARGS_MAX + 1;
            return;
        }
        a->tok[a->n++] = tok;
    }
}

static bool text_is_noreply(text_str tok)
{
    return text_tok_is(tok, "noreply", 7);
}

/* The last argument is "noreply" (memcached looks only there). */
static bool text_args_noreply(const text_args *a)
{
    return a->n > 0 && a->n <= TEXT_ARGS_MAX && text_is_noreply(a->tok[a->n - 1]);
}

static bool text_key_ok(text_str key)
{
    return key.len > 0 && key.len <= TEXT_KEY_MAX;
}

/* s without its leading and trailing spaces. */
static text_str text_trim(text_str s)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end && *p == ' ')
        p++;
    while (end > p && end[-1] == ' ')
        end--;
    return (text_str){ p, (size_t)(end - p) };
}

/* ---- results ----------------------------------------------------------- */

static text_status text_fail(text_request *req, text_status st, text_reply r)
{
    req->reply = r;
    return st;
}

static text_status text_unknown(text_request *req)
{
    req->noreply = false;
    return text_fail(req, TEXT_ERROR, TEXT_REPLY_ERROR);
}

static text_status text_bad_format(text_request *req)
{
    return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_BAD_FORMAT);
}

/* ---- per-command parsers ------------------------------------------------ */

/* Walks a key list: counts keys, refuses one longer than TEXT_KEY_MAX. */
static text_status text_take_keys(text_str list, text_request *req)
{
    text_str rest = list, key;
    const char *last_end = NULL;
    while (text_token(&rest, &key)) {
        if (key.len > TEXT_KEY_MAX)
            return text_bad_format(req);
        if (req->nkeys++ == 0)
            req->key = key;
        last_end = key.ptr + key.len;
    }
    if (req->nkeys > 0) {
        req->keys.ptr = req->key.ptr;
        req->keys.len = (size_t)(last_end - req->key.ptr);
    }
    req->next_ = req->keys;
    return TEXT_OK;
}

static text_status text_parse_get(text_str rest, text_request *req)
{
    text_status st = text_take_keys(rest, req);
    return (st == TEXT_OK && req->nkeys == 0) ? text_unknown(req) : st;
}

static text_status text_parse_gat(text_str rest, text_request *req)
{
    text_str tok;
    if (!text_token(&rest, &tok))
        return text_unknown(req);
    if (!text_scan_exptime(tok, &req->exptime))
        return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_INVALID_EXPTIME);
    return text_take_keys(rest, req);
}

/* set/add/replace/append/prepend: <key> <flags> <exptime> <bytes> [noreply]; cas adds <cas>. */
static text_status text_parse_store(text_str rest, text_request *req)
{
    text_args a;
    size_t need = req->cmd == TEXT_CMD_CAS ? 5 : 4;
    text_split_args(rest, &a);
    if (a.n != need && a.n != need + 1)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    req->key = a.tok[0];
    uint64_t flags;
    if (!text_key_ok(a.tok[0]) || !text_scan_u64(a.tok[1], &flags) ||
        !text_scan_exptime(a.tok[2], &req->exptime) ||
        !text_scan_nbytes(a.tok[3], &req->nbytes))
        return text_bad_format(req);
    req->flags = (uint32_t)flags;
    if (req->cmd == TEXT_CMD_CAS && !text_scan_u64(a.tok[4], &req->cas))
        return text_bad_format(req);
    return TEXT_OK;
}

/* delete <key> [0] [noreply]: any other extra argument is a usage error. */
static text_status text_parse_delete(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n < 1 || a.n > 3)
        return text_unknown(req);
    req->key = a.tok[0];
    if (a.n > 1) {
        bool zero = text_tok_is(a.tok[1], "0", 1);
        req->noreply = text_args_noreply(&a);
        bool valid = (a.n == 2 && (zero || req->noreply)) ||
                     (a.n == 3 && zero && req->noreply);
        if (!valid)
            return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_DELETE_USAGE);
    }
    if (!text_key_ok(req->key))
        return text_bad_format(req);
    return TEXT_OK;
}

/* incr|decr <key> <delta> [noreply] */
static text_status text_parse_arith(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n != 2 && a.n != 3)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    req->key = a.tok[0];
    if (!text_key_ok(req->key))
        return text_bad_format(req);
    if (!text_scan_u64(a.tok[1], &req->delta))
        return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_INVALID_DELTA);
    return TEXT_OK;
}

/* touch <key> <exptime> [noreply] */
static text_status text_parse_touch(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n != 2 && a.n != 3)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    req->key = a.tok[0];
    if (!text_key_ok(req->key))
        return text_bad_format(req);
    if (!text_scan_exptime(a.tok[1], &req->exptime))
        return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_INVALID_EXPTIME);
    return TEXT_OK;
}

/* flush_all [delay] [noreply] */
static text_status text_parse_flush_all(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n > 2)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    if (a.n == (req->noreply ? 1u : 0u))
        return TEXT_OK;
    req->has_value = true;
    if (!text_scan_exptime(a.tok[0], &req->exptime))
        return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_INVALID_EXPTIME);
    return TEXT_OK;
}

/* verbosity <level> [noreply] */
static text_status text_parse_verbosity(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n != 1 && a.n != 2)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    req->has_value = true;
    if (!text_scan_u64(a.tok[0], &req->value))
        return text_bad_format(req);
    return TEXT_OK;
}

/* version and quit take (and ignore) any arguments, as memcached. */
static text_status text_parse_bare(text_str rest, text_request *req)
{
    (void)rest;
    (void)req;
    return TEXT_OK;
}

/* stats [args...]: the daemon interprets req->args. */
static text_status text_parse_stats(text_str rest, text_request *req)
{
    req->args = text_trim(rest);
    return TEXT_OK;
}

/* shutdown [graceful] */
static text_status text_parse_shutdown(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    req->args = text_trim(rest);
    if (a.n == 0)
        return TEXT_OK;
    if (a.n == 1 && text_tok_is(a.tok[0], "graceful", 8)) {
        req->graceful = true;
        return TEXT_OK;
    }
    return text_fail(req, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_SHUTDOWN_MODE);
}

/* debugtime [args]: has_value/value when the first argument is a number. */
static text_status text_parse_debugtime(text_str rest, text_request *req)
{
    text_str probe = rest, tok;
    req->args = text_trim(rest);
    if (text_token(&probe, &tok) && text_scan_u64(tok, &req->value))
        req->has_value = true;
    return TEXT_OK;
}

/*
 * mg ms md ma mn me: only classified here (req->args is what meta_parse_args
 * reads); the key and ms's length are looked at for old callers, nothing
 * beyond them (the daemon parses the flags once, in proto/meta.c).
 */
static text_status text_parse_meta(text_str rest, text_request *req)
{
    text_str probe, tok;
    req->args = text_trim(rest);
    req->reply = TEXT_REPLY_ERROR;
    if (req->meta == TEXT_META_NOOP)
        return TEXT_OK;
    probe = req->args;
    if (!text_token(&probe, &tok))
        return text_unknown(req);
    req->key = tok;
    if (!text_key_ok(req->key))
        return text_bad_format(req);
    if (req->meta != TEXT_META_SET)
        return TEXT_OK;
    if (!text_token(&probe, &tok) || !text_scan_nbytes(tok, &req->nbytes))
        return text_bad_format(req);
    req->swallow = req->nbytes + 2;
    return TEXT_OK;
}

/* ---- admin commands: slabs, lru_crawler ---------------------------------- */

/* A class id of slabs reassign: memcached reads a signed long and keeps an int. */
static bool text_scan_class(text_str tok, int64_t *out)
{
    int64_t v;
    if (!text_scan_i64(tok, &v))
        return false;
    *out = (int32_t)(uint32_t)(uint64_t)v;
    return true;
}

/* slabs reassign <src> <dst>: exactly two arguments (no noreply). */
static text_status text_parse_slabs_reassign(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n != 2)
        return text_unknown(req);
    if (!text_scan_class(a.tok[0], &req->src_class) ||
        !text_scan_class(a.tok[1], &req->dst_class))
        return text_bad_format(req);
    return TEXT_OK;
}

/* slabs automove <level> [anything] [noreply]: the level is kept in 32 bits; above 2 -> ERROR. */
static text_status text_parse_slabs_automove(text_str rest, text_request *req)
{
    text_args a;
    uint64_t level;
    text_split_args(rest, &a);
    if (a.n < 1)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    if (!text_scan_u64(a.tok[0], &level))
        return text_bad_format(req);
    req->value = (uint32_t)level;
    req->has_value = true;
    if (req->value > 2) {
        bool noreply = req->noreply;
        text_status st = text_unknown(req);
        req->noreply = noreply;
        return st;
    }
    return TEXT_OK;
}

/* lru_crawler crawl|metadump <list>: exactly one argument. */
static text_status text_parse_crawler_list(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    if (a.n != 1)
        return text_unknown(req);
    req->args = a.tok[0];
    req->all_classes = text_tok_is(a.tok[0], "all", 3) ||
                       ((req->cmd == TEXT_CMD_LRU_CRAWLER_METADUMP ||
                         req->cmd == TEXT_CMD_LRU_CRAWLER_MGDUMP) &&
                        text_tok_is(a.tok[0], "hash", 4));
    return TEXT_OK;
}

/* lru_crawler enable|disable: no argument at all. */
static text_status text_parse_crawler_switch(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    return a.n == 0 ? TEXT_OK : text_unknown(req);
}

/*
 * lru_crawler sleep|tocrawl <n>: exactly one argument, an unsigned 64-bit
 * number (no noreply). tocrawl keeps the low 32 bits as memcached does;
 * sleep keeps the whole value for text_crawler_sleep_check.
 */
static text_status text_parse_crawler_number(text_str rest, text_request *req)
{
    text_args a;
    uint64_t v;
    text_split_args(rest, &a);
    if (a.n != 1)
        return text_unknown(req);
    if (!text_scan_u64(a.tok[0], &v))
        return text_bad_format(req);
    req->value = req->cmd == TEXT_CMD_LRU_CRAWLER_TOCRAWL ? (uint32_t)v : v;
    req->has_value = true;
    return TEXT_OK;
}

/* The next ','-separated piece of *rest, empty pieces skipped; false at the end. */
static bool text_next_piece(text_str *rest, text_str *piece)
{
    while (rest->len > 0 && rest->ptr[0] == ',') {
        rest->ptr++;
        rest->len--;
    }
    const char *comma = rest->len ? memchr(rest->ptr, ',', rest->len) : NULL;
    piece->ptr = rest->ptr;
    piece->len = comma ? (size_t)(comma - rest->ptr) : rest->len;
    rest->ptr += piece->len;
    rest->len -= piece->len;
    return piece->len > 0;
}

static bool text_class_ok(text_str piece, uint64_t *id)
{
    return text_scan_u64(piece, id) && *id >= 1 && *id <= TEXT_CLASS_ID_MAX;
}

text_reply text_class_list_check(const text_request *req)
{
    if (req->all_classes)
        return TEXT_REPLY_NONE;
    if (req->cmd == TEXT_CMD_LRU_CRAWLER_CRAWL && text_tok_is(req->args, "hash", 4))
        return TEXT_REPLY_CRAWLER_UNKNOWN;
    text_str rest = req->args, piece;
    uint64_t id;
    size_t n = 0;
    for (; text_next_piece(&rest, &piece); n++) {
        if (!text_class_ok(piece, &id))
            return TEXT_REPLY_CRAWLER_BADCLASS;
    }
    return n == 0 ? TEXT_REPLY_CRAWLER_NOTSTARTED : TEXT_REPLY_NONE;
}

bool text_next_class(text_str *rest, uint64_t *id)
{
    text_str piece;
    while (text_next_piece(rest, &piece)) {
        if (text_class_ok(piece, id))
            return true;
    }
    return false;
}

/*
 * watch [stream ...]: any arguments; the daemon knows the stream names. A
 * last "noreply" sets noreply (memcached then answers nothing at all).
 */
static text_status text_parse_watch(text_str rest, text_request *req)
{
    text_args a;
    text_split_args(rest, &a);
    req->noreply = text_args_noreply(&a);
    req->args = text_trim(rest);
    return TEXT_OK;
}

/* ---- lru tune|mode|temp_ttl, cache_memlimit ----------------------------------- */

/* ERROR, but the reply still obeys a noreply already seen (memcached sets it first). */
static text_status text_error_keep_noreply(text_request *req)
{
    bool noreply = req->noreply;
    text_status st = text_unknown(req);
    req->noreply = noreply;
    return st;
}

#define TEXT_LRU_ARGS 5 /* "lru" arguments memcached reads: tune and its four numbers */

typedef struct text_lru_args {
    text_str tok[TEXT_LRU_ARGS];
    size_t n;            /* all arguments, also those beyond TEXT_LRU_ARGS */
    bool noreply;        /* the last one is "noreply" */
} text_lru_args;

static void text_lru_split(text_str rest, text_lru_args *a)
{
    text_str tok, last = { NULL, 0 };
    a->n = 0;
    while (text_token(&rest, &tok)) {
        if (a->n < TEXT_LRU_ARGS)
            a->tok[a->n] = tok;
        a->n++;
        last = tok;
    }
    a->noreply = a->n > 0 && text_is_noreply(last);
}

/* memcached's strtod rule: a number, then the token end or white space; no ERANGE. */
static bool text_scan_double(text_str tok, double *out)
{
    char buf[TEXT_LINE_MAX + 1];
    if (tok.len == 0 || tok.len > TEXT_LINE_MAX)
        return false;
    memcpy(buf, tok.ptr, tok.len);
    buf[tok.len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (errno == ERANGE || end == buf || (*end != '\0' && !text_is_space((unsigned char)*end)))
        return false;
    *out = d;
    return true;
}

/* memcached's unsigned rule, kept in 32 bits (4294967306 -> 10). */
static bool text_scan_u32(text_str tok, uint32_t *out)
{
    uint64_t v;
    if (!text_scan_u64(tok, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static text_status text_parse_lru_tune(const text_lru_args *a, text_request *req)
{
    req->cmd = TEXT_CMD_LRU_TUNE;
    if (!text_scan_u32(a->tok[1], &req->lru_hot_pct) ||
        !text_scan_u32(a->tok[2], &req->lru_warm_pct) ||
        !text_scan_double(a->tok[3], &req->lru_hot_factor) ||
        !text_scan_double(a->tok[4], &req->lru_warm_factor))
        return text_error_keep_noreply(req);
    return TEXT_OK;
}

static text_status text_parse_lru_mode(const text_lru_args *a, text_request *req)
{
    req->cmd = TEXT_CMD_LRU_MODE;
    req->has_value = true;
    if (text_tok_is(a->tok[1], "segmented", 9))
        req->value = 1;
    else if (!text_tok_is(a->tok[1], "flat", 4))
        return text_error_keep_noreply(req);
    return TEXT_OK;
}

static text_status text_parse_lru_temp_ttl(const text_lru_args *a, text_request *req)
{
    int64_t ttl;
    req->cmd = TEXT_CMD_LRU_TEMP_TTL;
    if (!text_scan_i64(a->tok[1], &ttl))
        return text_error_keep_noreply(req);
    req->lru_temp_ttl = (int32_t)(uint32_t)(uint64_t)ttl;
    return TEXT_OK;
}

/*
 * lru tune <4 numbers> | mode <word> | temp_ttl <n>, any further arguments
 * ignored; noreply (the last argument) silences every answer, ERROR too.
 */
static text_status text_parse_lru(text_str rest, text_request *req)
{
    text_lru_args a;
    text_lru_split(rest, &a);
    if (a.n == 0)
        return text_unknown(req);
    req->noreply = a.noreply;
    if (text_tok_is(a.tok[0], "tune", 4) && a.n >= 5)
        return text_parse_lru_tune(&a, req);
    if (text_tok_is(a.tok[0], "mode", 4) && a.n >= 2)
        return text_parse_lru_mode(&a, req);
    if (text_tok_is(a.tok[0], "temp_ttl", 8) && a.n >= 2)
        return text_parse_lru_temp_ttl(&a, req);
    return text_error_keep_noreply(req);
}

/* cache_memlimit <megabytes> [noreply]: one or two arguments. */
static text_status text_parse_memlimit(text_str rest, text_request *req)
{
    text_args a;
    uint32_t mb;
    text_split_args(rest, &a);
    if (a.n != 1 && a.n != 2)
        return text_unknown(req);
    req->noreply = text_args_noreply(&a);
    if (!text_scan_u32(a.tok[0], &mb))
        return text_error_keep_noreply(req);
    req->value = mb;
    req->has_value = true;
    return TEXT_OK;
}

/* The admin family words: "slabs <sub>", "lru_crawler <sub>". */
typedef struct text_admin_word {
    const char *family, *sub;
    text_cmd cmd;
} text_admin_word;

static const text_admin_word text_admin_words[] = {
    { "slabs", "reassign", TEXT_CMD_SLABS_REASSIGN },
    { "slabs", "automove", TEXT_CMD_SLABS_AUTOMOVE },
    { "lru_crawler", "crawl", TEXT_CMD_LRU_CRAWLER_CRAWL },
    { "lru_crawler", "metadump", TEXT_CMD_LRU_CRAWLER_METADUMP },
    { "lru_crawler", "enable", TEXT_CMD_LRU_CRAWLER_ENABLE },
    { "lru_crawler", "disable", TEXT_CMD_LRU_CRAWLER_DISABLE },
    { "lru_crawler", "sleep", TEXT_CMD_LRU_CRAWLER_SLEEP },
    { "lru_crawler", "tocrawl", TEXT_CMD_LRU_CRAWLER_TOCRAWL },
    { "lru_crawler", "mgdump", TEXT_CMD_LRU_CRAWLER_MGDUMP },
};

/* The admin command of "<family> <sub>" (consumes sub from *rest), or NONE. */
static text_cmd text_admin_of(text_str family, text_str *rest)
{
    text_str probe = *rest, sub;
    if (!text_token(&probe, &sub))
        return TEXT_CMD_NONE;
    for (size_t i = 0; i < sizeof(text_admin_words) / sizeof(text_admin_words[0]); i++) {
        const text_admin_word *w = &text_admin_words[i];
        if (text_str_eq(family, w->family) && text_str_eq(sub, w->sub)) {
            *rest = probe;
            return w->cmd;
        }
    }
    return TEXT_CMD_NONE;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef struct text_cmd_info {
    const char *name;
    uint8_t len;
    bool has_data;
    text_cmd_parser parse;
} text_cmd_info;

#define TEXT_CMD_INFO(name, data, fn) { name, (uint8_t)(sizeof(name) - 1), data, fn }

static const text_cmd_info text_cmds[TEXT_CMD__COUNT] = {
    [TEXT_CMD_NONE] = TEXT_CMD_INFO("", false, NULL),
    [TEXT_CMD_GET] = TEXT_CMD_INFO("get", false, text_parse_get),
    [TEXT_CMD_GETS] = TEXT_CMD_INFO("gets", false, text_parse_get),
    [TEXT_CMD_GAT] = TEXT_CMD_INFO("gat", false, text_parse_gat),
    [TEXT_CMD_GATS] = TEXT_CMD_INFO("gats", false, text_parse_gat),
    [TEXT_CMD_SET] = TEXT_CMD_INFO("set", true, text_parse_store),
    [TEXT_CMD_ADD] = TEXT_CMD_INFO("add", true, text_parse_store),
    [TEXT_CMD_REPLACE] = TEXT_CMD_INFO("replace", true, text_parse_store),
    [TEXT_CMD_APPEND] = TEXT_CMD_INFO("append", true, text_parse_store),
    [TEXT_CMD_PREPEND] = TEXT_CMD_INFO("prepend", true, text_parse_store),
    [TEXT_CMD_CAS] = TEXT_CMD_INFO("cas", true, text_parse_store),
    [TEXT_CMD_DELETE] = TEXT_CMD_INFO("delete", false, text_parse_delete),
    [TEXT_CMD_INCR] = TEXT_CMD_INFO("incr", false, text_parse_arith),
    [TEXT_CMD_DECR] = TEXT_CMD_INFO("decr", false, text_parse_arith),
    [TEXT_CMD_TOUCH] = TEXT_CMD_INFO("touch", false, text_parse_touch),
    [TEXT_CMD_FLUSH_ALL] = TEXT_CMD_INFO("flush_all", false, text_parse_flush_all),
    [TEXT_CMD_VERSION] = TEXT_CMD_INFO("version", false, text_parse_bare),
    [TEXT_CMD_VERBOSITY] = TEXT_CMD_INFO("verbosity", false, text_parse_verbosity),
    [TEXT_CMD_QUIT] = TEXT_CMD_INFO("quit", false, text_parse_bare),
    [TEXT_CMD_SHUTDOWN] = TEXT_CMD_INFO("shutdown", false, text_parse_shutdown),
    [TEXT_CMD_STATS] = TEXT_CMD_INFO("stats", false, text_parse_stats),
    [TEXT_CMD_DEBUGTIME] = TEXT_CMD_INFO("debugtime", false, text_parse_debugtime),
    [TEXT_CMD_META] = TEXT_CMD_INFO("", false, text_parse_meta),
    [TEXT_CMD_SLABS_REASSIGN] = TEXT_CMD_INFO("slabs reassign", false, text_parse_slabs_reassign),
    [TEXT_CMD_SLABS_AUTOMOVE] = TEXT_CMD_INFO("slabs automove", false, text_parse_slabs_automove),
    [TEXT_CMD_LRU_CRAWLER_CRAWL] =
        TEXT_CMD_INFO("lru_crawler crawl", false, text_parse_crawler_list),
    [TEXT_CMD_LRU_CRAWLER_METADUMP] =
        TEXT_CMD_INFO("lru_crawler metadump", false, text_parse_crawler_list),
    [TEXT_CMD_LRU_CRAWLER_ENABLE] =
        TEXT_CMD_INFO("lru_crawler enable", false, text_parse_crawler_switch),
    [TEXT_CMD_LRU_CRAWLER_DISABLE] =
        TEXT_CMD_INFO("lru_crawler disable", false, text_parse_crawler_switch),
    [TEXT_CMD_LRU_CRAWLER_SLEEP] =
        TEXT_CMD_INFO("lru_crawler sleep", false, text_parse_crawler_number),
    [TEXT_CMD_LRU_CRAWLER_TOCRAWL] =
        TEXT_CMD_INFO("lru_crawler tocrawl", false, text_parse_crawler_number),
    [TEXT_CMD_WATCH] = TEXT_CMD_INFO("watch", false, text_parse_watch),
    [TEXT_CMD_LRU_CRAWLER_MGDUMP] =
        TEXT_CMD_INFO("lru_crawler mgdump", false, text_parse_crawler_list),
    [TEXT_CMD_LRU] = TEXT_CMD_INFO("lru", false, text_parse_lru),
    [TEXT_CMD_LRU_TUNE] = TEXT_CMD_INFO("lru tune", false, text_parse_lru),
    [TEXT_CMD_LRU_MODE] = TEXT_CMD_INFO("lru mode", false, text_parse_lru),
    [TEXT_CMD_LRU_TEMP_TTL] = TEXT_CMD_INFO("lru temp_ttl", false, text_parse_lru),
    [TEXT_CMD_CACHE_MEMLIMIT] = TEXT_CMD_INFO("cache_memlimit", false, text_parse_memlimit),
};

/* "mg" -> TEXT_META_GET, ...: a switch on the second byte (no memchr on the hot path). */
static inline text_meta text_meta_of(text_str tok)
{
    if (tok.len != 2 || tok.ptr[0] != 'm')
        return TEXT_META_NONE;
    switch (tok.ptr[1]) {
    case 'g': return TEXT_META_GET;
    case 's': return TEXT_META_SET;
    case 'd': return TEXT_META_DELETE;
    case 'a': return TEXT_META_ARITH;
    case 'n': return TEXT_META_NOOP;
    case 'e': return TEXT_META_DEBUG;
    default: return TEXT_META_NONE;
    }
}

/* Finds the command of the first token: a switch on its first byte, then one compare. */
static text_cmd text_cmd_of(text_str tok)
{
    static const text_cmd by_letter[][4] = {
        ['g' - 'a'] = { TEXT_CMD_GET, TEXT_CMD_GETS, TEXT_CMD_GAT, TEXT_CMD_GATS },
        ['s' - 'a'] = { TEXT_CMD_SET, TEXT_CMD_STATS, TEXT_CMD_SHUTDOWN },
        ['a' - 'a'] = { TEXT_CMD_ADD, TEXT_CMD_APPEND },
        ['r' - 'a'] = { TEXT_CMD_REPLACE },
        ['p' - 'a'] = { TEXT_CMD_PREPEND },
        ['c' - 'a'] = { TEXT_CMD_CAS, TEXT_CMD_CACHE_MEMLIMIT },
        ['d' - 'a'] = { TEXT_CMD_DELETE, TEXT_CMD_DECR, TEXT_CMD_DEBUGTIME },
        ['i' - 'a'] = { TEXT_CMD_INCR },
        ['t' - 'a'] = { TEXT_CMD_TOUCH },
        ['f' - 'a'] = { TEXT_CMD_FLUSH_ALL },
        ['v' - 'a'] = { TEXT_CMD_VERSION, TEXT_CMD_VERBOSITY },
        ['q' - 'a'] = { TEXT_CMD_QUIT },
        ['l' - 'a'] = { TEXT_CMD_LRU },
        ['w' - 'a'] = { TEXT_CMD_WATCH },
        ['z' - 'a'] = { TEXT_CMD_NONE },
    };
    unsigned char c = (unsigned char)tok.ptr[0];
    if (c < 'a' || c > 'z')
        return TEXT_CMD_NONE;
    const text_cmd *cands = by_letter[c - 'a'];
    for (size_t i = 0; i < 4 && cands[i] != TEXT_CMD_NONE; i++) {
        const text_cmd_info *info = &text_cmds[cands[i]];
        if (text_tok_is(tok, info->name, info->len))
            return cands[i];
    }
    return text_meta_of(tok) != TEXT_META_NONE ? TEXT_CMD_META : TEXT_CMD_NONE;
}

/* The line's content: without "\r\n" / "\n", and cut at a NUL (memcached reads it as a C string). */
static text_str text_line_content(const char *buf, const char *nl)
{
    text_str s = { buf, (size_t)(nl - buf) };
    if (s.len > 0 && s.ptr[s.len - 1] == '\r')
        s.len--;
    const char *nul = s.len ? memchr(s.ptr, '\0', s.len) : NULL;
    if (nul != NULL)
        s.len = (size_t)(nul - s.ptr);
    return s;
}

static text_status text_parse_line(text_str line, text_request *req)
{
    text_str cmd_tok;
    if (!text_token(&line, &cmd_tok))
        return text_unknown(req);
    req->cmd = text_cmd_of(cmd_tok);
    if (req->cmd == TEXT_CMD_NONE)
        req->cmd = text_admin_of(cmd_tok, &line);
    if (req->cmd == TEXT_CMD_NONE)
        return text_unknown(req);
    if (req->cmd == TEXT_CMD_META)
        req->meta = text_meta_of(cmd_tok);
    text_status st = text_cmds[req->cmd].parse(line, req);
    if (st == TEXT_ERROR)
        req->cmd = TEXT_CMD_NONE;
    return st;
}

/* True if the (incomplete) line is a get/gets/gat/gats, which may be long. */
static bool text_is_long_get(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && buf[i] == ' ' && i <= TEXT_GET_PAD_MAX)
        i++;
    if (i > TEXT_GET_PAD_MAX || len - i < 5 || buf[i] != 'g')
        return false;
    const char *p = buf + i;
    return memcmp(p, "get ", 4) == 0 || memcmp(p, "gets ", 5) == 0 ||
           memcmp(p, "gat ", 4) == 0 || memcmp(p, "gats ", 5) == 0;
}

static text_status text_parse_incomplete(const char *buf, size_t len, text_request *req)
{
    if (len > TEXT_LINE_MAX &&
        (len > TEXT_GET_LINE_MAX || !text_is_long_get(buf, len))) {
        req->scanned_ = 0;
        return TEXT_TOO_LONG;
    }
    req->scanned_ = len;
    return TEXT_EAGAIN;
}

/* ---- the fast path: clean get/gets, storage and meta lines ------------------ */
/*
 * A line is clean when its first byte below ' ' is its '\n' (or the "\r\n"
 * that ends it): no NUL, tab or other control byte anywhere. Clean lines of
 * the hot commands in their usual shape (single spaces, plain digits, keys
 * of 1..TEXT_KEY_MAX bytes) are parsed right here; every other line, and
 * any doubt, goes to the general parser, which gives the same result for
 * the lines the fast path takes (tests/test_text.c compares the two).
 */

/*
 * The first byte below ' ' in [begin, end), or end: sixteen bytes at a time
 * with SSE2, then eight at a time like
 * text_find_space (w - 0x20.. sets the high bit of a byte below 0x20; ~w
 * drops bytes >= 0x80; only bytes above a true hit can be false hits).
 */
static inline const char *text_find_ctl(const char *begin, const char *end)
{
    const char *p = begin;
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned at = text_sse_find_ctl(p);
        if (at < 16)
            return p + at;
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t hit = (w - ones * ' ') & ~w & highs;
        if (hit != 0)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
    if (p < end && end - begin >= 8) {
        /* the tail: the last 8 bytes, whose first ones were checked already */
        uint64_t w;
        memcpy(&w, end - 8, 8);
        uint64_t hit = (w - ones * ' ') & ~w & highs;
        return hit != 0 ? end - 8 + (__builtin_ctzll(hit) >> 3) : end;
    }
#endif
    while (p < end && (unsigned char)*p >= ' ')
        p++;
    return p;
}

/*
 * Resets the fields the fast path sets; the others are already zero unless
 * the general parser ran last (dirty_): then everything is cleared.
 */
static inline void text_fast_reset(text_request *req, size_t line_len)
{
    if (req->dirty_)
        memset(req, 0, sizeof(*req));
    req->cmd = TEXT_CMD_NONE;
    req->meta = TEXT_META_NONE;
    req->line_len = line_len;
    req->key = req->keys = req->args = req->next_ = (text_str){ NULL, 0 };
    req->nkeys = 0;
    req->flags = 0;
    req->exptime = 0;
    req->nbytes = req->cas = 0;
    req->noreply = false;
    req->reply = TEXT_REPLY_NONE;
    req->swallow = 0;
    req->scanned_ = 0;
}

/* get|gets <key>+ with single spaces: false for anything else. */
static bool text_fast_get(text_str line, size_t skip, text_request *req)
{
    const char *p = line.ptr + skip, *end = line.ptr + line.len;
    text_str first = { p, 0 };
    size_t n = 0;
    for (;;) {
        const char *q = text_find_space(p, end);
        if (q == p || q - p > TEXT_KEY_MAX)
            return false;
        if (n++ == 0)
            first.len = (size_t)(q - p);
        if (q == end)
            break;
        p = q + 1;
    }
    req->nkeys = n;
    req->key = first;
    req->keys.ptr = first.ptr;
    req->keys.len = (size_t)(end - first.ptr);
    req->next_ = req->keys;
    return true;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * d: eight bytes read as a little-endian word, xor '0' in each byte (the
 * digits become 0..9). Returns a mask with the high bit of each byte that
 * was no digit (d > 9 there), exact up to and including the first such
 * byte ("+ 0x76" carries out of a byte only from d >= 0x8a, itself no
 * digit, so only the bytes after it can be wrong).
 */
static inline uint64_t text_swar_nondigits(uint64_t d)
{
    return ((d + 0x7676767676767676ull) | d) & 0x8080808080808080ull;
}

/*
 * The value of the first n (1..8) bytes of d, all digits (0..9): moved to
 * the top (the zero bytes below are leading zeros), then pairs, quads and
 * the octet are joined by three multiplications.
 */
static inline uint64_t text_swar_value(uint64_t d, unsigned n)
{
    d <<= 8 * (8 - n);
    d = ((d * (10 * 256 + 1)) >> 8) & 0x00ff00ff00ff00ffull;
    d = ((d * (100 * 65536 + 1)) >> 16) & 0x0000ffff0000ffffull;
    return (d * ((10000ull << 32) + 1)) >> 32;
}

/*
 * The digits at *q by one 8-byte word, if 8 bytes up to limit can be read:
 * *v gets their value, *q the byte after them. True if that byte was seen
 * to be no digit; false if the caller has to go on byte by byte (from *q:
 * after eight digits, or at q if the word could not be read).
 */
static inline bool text_swar_digits(const char **q, const char *limit, uint64_t *v)
{
    const char *s = *q;
    if (limit - s < 8)
        return false;
    uint64_t d;
    memcpy(&d, s, 8);
    d ^= 0x3030303030303030ull;
    uint64_t nd = text_swar_nondigits(d);
    if (nd == 0) {
        *v = text_swar_value(d, 8);
        *q = s + 8;
        return false;
    }
    unsigned n = (unsigned)__builtin_ctzll(nd) >> 3;
    *v = n > 0 ? text_swar_value(d, n) : 0;
    *q = s + n;
    return true;
}
#endif

/*
 * 1..18 plain digits at *p (no overflow possible: the value the text_scan_*
 * readers give), ended by a ' ' (skipped) or, if may_end, by the line end.
 * Bytes up to limit (>= end; the byte at end is no digit) may be read.
 */
__attribute__((always_inline)) static inline bool
text_fast_number(const char **p, const char *end, const char *limit, bool may_end, uint64_t *out)
{
    const char *s = *p, *q = s;
    uint64_t v = 0;
    if ((unsigned)(*s - '0') <= 9 && s[1] == ' ') { /* one digit (s[1] is at most end) */
        *p = s + 2;
        *out = (unsigned)(*s - '0');
        return true;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (text_swar_digits(&q, limit, &v)) { /* 0..7 digits */
        if (q == s)
            return false;
    } else
#else
    (void)limit;
#endif
    {
        while (q < end && q - s <= 18 && (unsigned)(*q - '0') <= 9)
            v = v * 10 + (unsigned)(*q++ - '0');
        if (q == s || q - s > 18)
            return false;
    }
    if (q < end) {
        if (*q != ' ')
            return false;
        q++;
    } else if (!may_end) {
        return false;
    }
    *p = q;
    *out = v;
    return true;
}

/* <key> <flags> <exptime> <bytes>[ <cas>][ noreply] in their plain form. */
static bool text_fast_store(text_str line, size_t skip, const char *limit, text_request *req,
                            bool is_cas)
{
    const char *p = line.ptr + skip, *end = line.ptr + line.len;
    const char *q = text_find_space(p, end);
    uint64_t flags, exptime, nbytes, cas = 0;
    if (q == p || q - p > TEXT_KEY_MAX || q == end)
        return false;
    text_str key = { p, (size_t)(q - p) };
    p = q + 1;
    if (!text_fast_number(&p, end, limit, false, &flags) ||
        !text_fast_number(&p, end, limit, false, &exptime) ||
        !text_fast_number(&p, end, limit, !is_cas, &nbytes) ||
        (is_cas && !text_fast_number(&p, end, limit, true, &cas)) || nbytes > INT32_MAX - 2)
        return false;
    bool noreply = p < end; /* then the rest must be exactly "noreply" */
    if (noreply && !text_tok_is((text_str){ p, (size_t)(end - p) }, "noreply", 7))
        return false;
    req->key = key;
    req->flags = (uint32_t)flags;
    req->exptime = (int32_t)(uint32_t)exptime;
    req->nbytes = nbytes;
    req->cas = cas;
    req->noreply = noreply;
    return true;
}

/*
 * The get/gets or storage command a line (>= 4 bytes) starts with, followed
 * by one space (*skip: the length of both), or NONE.
 */
static text_cmd text_fast_cmd(text_str line, size_t *skip)
{
    const char *s = line.ptr;
    text_cmd cmd = TEXT_CMD_NONE;
    if (memcmp(s, "get ", 4) == 0)
        cmd = TEXT_CMD_GET;
    else if (memcmp(s, "set ", 4) == 0)
        cmd = TEXT_CMD_SET;
    else if (line.len >= 5 && memcmp(s, "gets ", 5) == 0)
        cmd = TEXT_CMD_GETS;
    else if (memcmp(s, "add ", 4) == 0)
        cmd = TEXT_CMD_ADD;
    else if (memcmp(s, "cas ", 4) == 0)
        cmd = TEXT_CMD_CAS;
    else if (line.len >= 8 && memcmp(s, "replace ", 8) == 0)
        cmd = TEXT_CMD_REPLACE;
    else if (line.len >= 8 && memcmp(s, "prepend ", 8) == 0)
        cmd = TEXT_CMD_PREPEND;
    else if (line.len >= 7 && memcmp(s, "append ", 7) == 0)
        cmd = TEXT_CMD_APPEND;
    *skip = (size_t)text_cmds[cmd].len + 1;
    return cmd;
}

/*
 * mg ms md ma mn me: the same text_parse_meta the general parser calls.
 * (perfM) First the usual mg/md/ma/me shape, "mX <key>..." with one space
 * before the key and none at the end: args and key without trimming or
 * token walks (what text_parse_meta gives for it); ms, mn, any other
 * spacing and a key longer than TEXT_KEY_MAX go to text_parse_meta.
 */
static text_status text_fast_meta(text_str line, text_meta meta, text_request *req)
{
    text_str rest = { line.ptr + 2, line.len - 2 };
    req->cmd = TEXT_CMD_META;
    req->meta = meta;
    const char *key = line.ptr + 3, *end = line.ptr + line.len;
    if (meta != TEXT_META_SET && meta != TEXT_META_NOOP && key < end && *key != ' ' &&
        end[-1] != ' ') {
        const char *key_end = text_find_space(key, end);
        if (key_end - key <= TEXT_KEY_MAX) {
            req->args = (text_str){ key, (size_t)(end - key) };
            req->key = (text_str){ key, (size_t)(key_end - key) };
            req->reply = TEXT_REPLY_ERROR;
            return TEXT_OK;
        }
    }
    text_status st = text_parse_meta(rest, req);
    if (st == TEXT_ERROR)
        req->cmd = TEXT_CMD_NONE;
    return st;
}

/*
 * A clean line (>= 4 bytes) in a buffer readable up to limit; TEXT_EAGAIN
 * is "not taken": run the general parser.
 */
static text_status text_fast_line(text_str line, size_t line_len, const char *limit,
                                  text_request *req)
{
    if (line.ptr[0] == 'm' && line.ptr[2] == ' ') {
        text_meta meta = text_meta_of((text_str){ line.ptr, 2 });
        if (meta == TEXT_META_NONE)
            return TEXT_EAGAIN;
        text_fast_reset(req, line_len);
        return text_fast_meta(line, meta, req);
    }
    size_t skip;
    text_cmd cmd = text_fast_cmd(line, &skip);
    if (cmd == TEXT_CMD_NONE)
        return TEXT_EAGAIN;
    text_fast_reset(req, line_len);
    bool ok = cmd <= TEXT_CMD_GETS ? text_fast_get(line, skip, req)
                                   : text_fast_store(line, skip, limit, req,
                                                     cmd == TEXT_CMD_CAS);
    if (!ok)
        return TEXT_EAGAIN;
    req->cmd = cmd;
    return TEXT_OK;
}

/* The general parser for the complete line ending at nl. */
static text_status text_parse_general(const char *buf, const char *nl, text_request *req)
{
    memset(req, 0, sizeof(*req));
    req->dirty_ = true;
    req->line_len = (size_t)(nl - buf) + 1;
    return text_parse_line(text_line_content(buf, nl), req);
}

text_status text_parse(const char *buf, size_t len, text_request *req)
{
    size_t from = req->scanned_ <= len ? req->scanned_ : 0;
    if (from == 0) {
        const char *ctl = text_find_ctl(buf, buf + len);
        if (ctl == buf + len)
            return text_parse_incomplete(buf, len, req);
        const char *nl = *ctl == '\n' ? ctl
                         : (*ctl == '\r' && ctl + 1 < buf + len && ctl[1] == '\n') ? ctl + 1
                                                                                    : NULL;
        if (nl != NULL) {
            text_str line = { buf, (size_t)(ctl - buf) };
            text_status st = line.len >= 4
                                 ? text_fast_line(line, (size_t)(nl - buf) + 1, buf + len, req)
                                 : TEXT_EAGAIN;
            if (st != TEXT_EAGAIN)
                return st;
            return text_parse_general(buf, nl, req);
        }
        from = (size_t)(ctl - buf); /* no '\n' before the control byte */
    }
    const char *nl = len > from ? memchr(buf + from, '\n', len - from) : NULL;
    if (nl == NULL)
        return text_parse_incomplete(buf, len, req);
    return text_parse_general(buf, nl, req);
}

/* ---- small helpers -------------------------------------------------------- */

bool text_next_key(text_request *req, text_str *key)
{
    if (req->next_.len == 0) {
        *key = req->next_;
        return false;
    }
    if (req->nkeys == 1) { /* next_ is the whole, only key */
        *key = req->next_;
        req->next_.ptr += req->next_.len;
        req->next_.len = 0;
        return true;
    }
    return text_token(&req->next_, key);
}

void text_rewind_keys(text_request *req)
{
    req->next_ = req->keys;
}

bool text_cmd_has_data(text_cmd cmd)
{
    return cmd > TEXT_CMD_NONE && cmd < TEXT_CMD__COUNT && text_cmds[cmd].has_data;
}

const char *text_cmd_name(text_cmd cmd)
{
    return (cmd > TEXT_CMD_NONE && cmd < TEXT_CMD__COUNT) ? text_cmds[cmd].name : "";
}

bool text_data_block_ok(const char *data, size_t nbytes)
{
    return data[nbytes] == '\r' && data[nbytes + 1] == '\n';
}

bool text_reply_suppressed(const text_request *req)
{
    return req->noreply;
}
