/*
 * proto/meta_compose.c -- meta replies (server side), meta requests and the
 * reply parser (client side). Every composer writes a whole line or
 * returns 0 (never a partial line, never past cap).
 */
#include "proto/meta.h"
#include "proto/text_internal.h"

/* A bounded writer: appends until something does not fit, then only records failure. */
typedef struct meta_out {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
} meta_out;

static void meta_put(meta_out *o, const void *p, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    if (n > 0)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void meta_put_str(meta_out *o, const char *s)
{
    meta_put(o, s, strlen(s));
}

static void meta_put_view(meta_out *o, text_str s)
{
    meta_put(o, s.ptr, s.len);
}

static void meta_put_u64(meta_out *o, uint64_t v)
{
    char d[20];
    meta_put(o, d, text_u64_digits(d, v));
}

static void meta_put_i64(meta_out *o, int64_t v)
{
    if (v < 0) {
        meta_put(o, "-", 1);
        meta_put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        meta_put_u64(o, (uint64_t)v);
    }
}

/* Binary key bytes in base64 (a key is at most 250 bytes: 336 characters). */
static void meta_put_base64(meta_out *o, text_str bytes)
{
    char enc[(META_KEY_MAX + 2) / 3 * 4];
    size_t n = meta_base64_encode((const uint8_t *)bytes.ptr, bytes.len, enc, sizeof(enc));
    if (n == 0 && bytes.len > 0)
        o->full = true;
    meta_put(o, enc, n);
}

static size_t meta_out_end(meta_out *o)
{
    meta_put(o, "\r\n", 2);
    return o->full ? 0 : o->len;
}

/* ---- server replies --------------------------------------------------------- */

static const char *const meta_status_words[] = {
    [META_ST_NONE] = "", [META_ST_VA] = "VA", [META_ST_HD] = "HD", [META_ST_EN] = "EN",
    [META_ST_NF] = "NF", [META_ST_NS] = "NS", [META_ST_EX] = "EX", [META_ST_MN] = "MN",
    [META_ST_ME] = "ME",
};

bool meta_reply_suppressed(const meta_request *req, meta_status st)
{
    if (!req->quiet)
        return false;
    switch (req->cmd) {
    case TEXT_META_GET: return st == META_ST_EN;
    case TEXT_META_SET:
    case TEXT_META_DELETE: return st == META_ST_HD;
    case TEXT_META_ARITH: return st == META_ST_HD || st == META_ST_VA;
    default: return false;
    }
}

/*
 * The reply header is written without bounds checks into a buffer known to
 * be big enough: meta_reply_worst() bounds its length first (a cap below
 * the bound goes through a scratch buffer, meta_compose_small).
 */

/* The key k prints: the item's on an mg hit, else the request's. */
typedef struct meta_key_out {
    text_str key;
    bool binary;
} meta_key_out;

static meta_key_out meta_reply_key(const meta_request *req, const meta_facts *f)
{
    meta_key_out k;
    bool item = f != NULL && f->has_item_key;
    k.binary = item ? f->item_key_binary : req->key_binary;
    k.key = item ? f->item_key : req->key_binary ? meta_key(req) : req->wire_key;
    return k;
}

/*
 * A bound on the header for this request (every return flag counted at the
 * longest any flag can be: no loop); 0 if a binary key cannot be encoded.
 */
static size_t meta_reply_worst(const meta_request *req, const meta_key_out *k)
{
    size_t key = k->binary ? (k->key.len + 2) / 3 * 4 + 2 : k->key.len;
    if (k->binary && key - 2 > (META_KEY_MAX + 2) / 3 * 4)
        return 0;
    size_t flag = key > 20 ? key : 20;
    if (req->opaque.len > flag)
        flag = req->opaque.len;
    /* code, " <value_len>", " Z X W", "\r\n", then " <letter><value>" each */
    return 2 + 1 + 20 + 6 + 2 + req->nret * (2 + flag);
}

static inline char *meta_w_flag(char *p, char letter)
{
    p[0] = ' ';
    p[1] = letter;
    return p + 2;
}

/* Decimal v at p; values below 10^8 without a call. */
static inline char *meta_w_u64(char *p, uint64_t v)
{
    return p + text_digits_inline(p, v);
}

static char *meta_w_key(char *p, const meta_key_out *k)
{
    if (!k->binary) {
        text_copy_short(p, k->key.ptr, k->key.len);
        return p + k->key.len;
    }
    p += meta_base64_encode((const uint8_t *)k->key.ptr, k->key.len, p,
                            (k->key.len + 2) / 3 * 4);
    memcpy(p, " b", 2);
    return p + 2;
}

/* One return flag with its value from facts (inlined: a call costs more than most flags). */
__attribute__((always_inline)) static inline char *
meta_w_ret(char *p, const meta_request *req, char c, const meta_facts *v, const meta_key_out *k)
{
    p = meta_w_flag(p, c);
    switch (c) {
    case 'k': return meta_w_key(p, k);
    case 'c': return meta_w_u64(p, v->cas);
    case 'f': return meta_w_u64(p, v->client_flags);
    case 'h': *p = v->hit_before ? '1' : '0'; return p + 1;
    case 'l': return meta_w_u64(p, v->last_access);
    case 'O':
        text_copy_short(p, req->opaque.ptr, req->opaque.len);
        return p + req->opaque.len;
    case 's': return meta_w_u64(p, v->size);
    case 't':
        if (v->ttl >= 0)
            return meta_w_u64(p, (uint64_t)v->ttl);
        *p = '-';
        return meta_w_u64(p + 1, (uint64_t)0 - (uint64_t)v->ttl);
    default: return p;
    }
}

/* Which flags a status prints: all on success (ms: always), else k and O only. */
static bool meta_prints_all(const meta_request *req, meta_status st)
{
    return st == META_ST_VA || st == META_ST_HD || req->cmd == TEXT_META_SET;
}

/* mg's recache marks, after the flags: Z, then X, then W (as 1.6.18). */
static char *meta_w_marks(char *p, const meta_facts *f)
{
    if (f->other_won)
        p = meta_w_flag(p, 'Z');
    if (f->stale)
        p = meta_w_flag(p, 'X');
    if (f->won)
        p = meta_w_flag(p, 'W');
    return p;
}

/* Room for any header meta_reply_worst() can ask for (k and O at their longest). */
#define META_REPLY_TMP (31 + META_RET_MAX * (2 + META_OPAQUE_MAX + (META_KEY_MAX + 2) / 3 * 4 + 2))

/* A cap below the bound: compose into a big enough buffer, copy if it fits. */
static size_t meta_compose_small(char *buf, size_t cap, const meta_request *req,
                                 meta_status st, const meta_facts *facts)
{
    char tmp[META_REPLY_TMP];
    size_t n = meta_compose_reply(tmp, sizeof(tmp), req, st, facts);
    if (n == 0 || n > cap)
        return 0;
    memcpy(buf, tmp, n);
    return n;
}

/* The status codes as 2 bytes each, indexed by meta_status. */
static const char meta_plain_words[] = "  VAHDENNFNSEXMNME";

/* " <letter><text>": k's key or O's opaque, no longer than 32 bytes in the usual case. */
static inline char *meta_w_text(char *p, char letter, text_str text)
{
    p = meta_w_flag(p, letter);
    text_copy_short(p, text.ptr, text.len);
    return p + text.len;
}

/*
 * The usual reply with item facts (VA HD, and every ms status): a key
 * printed as is (no base64), an opaque of at most 31 bytes, and cap at
 * least the bound of meta_plain_ok. Writes the same bytes as
 * meta_compose_general, with fewer steps.
 */
static size_t meta_compose_plain(char *buf, const meta_request *req, meta_status st,
                                 const meta_facts *facts, text_str key)
{
    static const meta_facts none;
    char *p = buf;
    memcpy(p, meta_plain_words + 2 * st, 2);
    p += 2;
    if (st == META_ST_VA) {
        *p++ = ' ';
        p = meta_w_u64(p, facts ? facts->value_len : 0);
    }
    const meta_facts *v = facts ? facts : &none;
    size_t nret = st == META_ST_MN ? 0 : req->nret;
    for (size_t i = 0; i < nret; i++) {
        char c = req->ret[i];
        if (c == 'k')
            p = meta_w_text(p, 'k', key);
        else if (c == 'O')
            p = meta_w_text(p, 'O', req->opaque);
        else
            p = meta_w_ret(p, req, c, v, NULL);
    }
    if (req->cmd == TEXT_META_GET && facts != NULL && (st == META_ST_VA || st == META_ST_HD))
        p = meta_w_marks(p, facts);
    memcpy(p, "\r\n", 2);
    return (size_t)(p + 2 - buf);
}

/*
 * True if meta_compose_plain may write the reply: the key k prints (*key)
 * is not base64, and cap holds every flag at its longest (2 + 21 bytes for
 * a number, 2 + 31 for O, 2 + META_KEY_MAX once for k).
 */
static inline bool meta_plain_ok(size_t cap, const meta_request *req, const meta_facts *f,
                                 text_str *key)
{
    bool item = f != NULL && f->has_item_key;
    if (item ? f->item_key_binary : req->key_binary)
        return false;
    *key = item ? f->item_key : req->wire_key;
    size_t bound = 31 + req->nret * (2 + META_OPAQUE_MAX) + 2 + META_KEY_MAX;
    return key->len <= META_KEY_MAX && req->opaque.len < META_OPAQUE_MAX && cap >= bound;
}

/* Any reply, base64 keys and small caps included (meta_reply_worst bounds it first). */
__attribute__((noinline)) static size_t
meta_compose_general(char *buf, size_t cap, const meta_request *req,
                     meta_status st, const meta_facts *facts, bool all)
{
    static const meta_facts none;
    /* k on a miss (or any status that is not "all") prints the request's key */
    meta_key_out k = meta_reply_key(req, all ? facts : NULL);
    size_t worst = meta_reply_worst(req, &k);
    if (worst == 0 || worst > META_REPLY_TMP)
        return 0;
    if (worst > cap)
        return meta_compose_small(buf, cap, req, st, facts);
    char *p = buf;
    memcpy(p, meta_status_words[st], 2);
    p += 2;
    if (st == META_ST_VA) {
        *p++ = ' ';
        p = meta_w_u64(p, facts ? facts->value_len : 0);
    }
    const meta_facts *v = all && facts ? facts : &none; /* k, O only when not all */
    size_t nret = st == META_ST_MN ? 0 : req->nret;
    for (size_t i = 0; i < nret; i++) {
        char c = req->ret[i];
        if (all || c == 'k' || c == 'O')
            p = meta_w_ret(p, req, c, v, &k);
    }
    if (req->cmd == TEXT_META_GET && facts != NULL && (st == META_ST_VA || st == META_ST_HD))
        p = meta_w_marks(p, facts);
    memcpy(p, "\r\n", 2);
    return (size_t)(p + 2 - buf);
}

/* meta_compose_plain for a reply that prints no item facts (EN NF NS EX MN): k and O only. */
static size_t meta_compose_plain_ko(char *buf, const meta_request *req, meta_status st,
                                    text_str key)
{
    char *p = buf;
    memcpy(p, meta_plain_words + 2 * st, 2);
    p += 2;
    size_t nret = st == META_ST_MN ? 0 : req->nret;
    for (size_t i = 0; i < nret; i++) {
        if (req->ret[i] == 'k')
            p = meta_w_text(p, 'k', key);
        else if (req->ret[i] == 'O')
            p = meta_w_text(p, 'O', req->opaque);
    }
    memcpy(p, "\r\n", 2);
    return (size_t)(p + 2 - buf);
}

size_t meta_compose_reply(char *buf, size_t cap, const meta_request *req,
                          meta_status st, const meta_facts *facts)
{
    if (st <= META_ST_NONE || st >= META_ST_ME)
        return 0;
    bool all = meta_prints_all(req, st);
    text_str plain_key;
    if (!meta_plain_ok(cap, req, all ? facts : NULL, &plain_key))
        return meta_compose_general(buf, cap, req, st, facts, all);
    if (!all)
        return meta_compose_plain_ko(buf, req, st, plain_key);
    return meta_compose_plain(buf, req, st, facts, plain_key);
}

size_t meta_compose_debug(char *buf, size_t cap, text_str item_key,
                          const meta_debug_facts *f)
{
    meta_out o = { buf, cap, 0, false };
    meta_put_str(&o, "ME ");
    if (f->key_binary)
        meta_put_base64(&o, item_key);
    else
        meta_put_view(&o, item_key);
    meta_put_str(&o, " exp=");
    meta_put_i64(&o, f->exp);
    meta_put_str(&o, " la=");
    meta_put_u64(&o, f->last_access);
    meta_put_str(&o, " cas=");
    meta_put_u64(&o, f->cas);
    meta_put_str(&o, f->fetched ? " fetch=yes cls=" : " fetch=no cls=");
    meta_put_u64(&o, f->slab_class);
    meta_put_str(&o, " size=");
    meta_put_u64(&o, f->size);
    return meta_out_end(&o);
}

/* ---- client requests -------------------------------------------------------- */

size_t meta_compose_request(char *buf, size_t cap, text_meta cmd, text_str key,
                            uint64_t nbytes, const char *flags)
{
    static const char *const names[] = { "", "mg", "ms", "md", "ma", "mn", "me" };
    if (cmd <= TEXT_META_NONE || cmd > TEXT_META_DEBUG)
        return 0;
    meta_out o = { buf, cap, 0, false };
    meta_put_str(&o, names[cmd]);
    if (cmd != TEXT_META_NOOP) {
        meta_put(&o, " ", 1);
        meta_put_view(&o, key);
    }
    if (cmd == TEXT_META_SET) {
        meta_put(&o, " ", 1);
        meta_put_u64(&o, nbytes);
    }
    if (flags != NULL && flags[0] != '\0') {
        meta_put(&o, " ", 1);
        meta_put_str(&o, flags);
    }
    return meta_out_end(&o);
}

/* ---- client: reply parsing ------------------------------------------------- */

static meta_status meta_status_of(text_str word)
{
    for (int s = META_ST_VA; s <= META_ST_ME; s++)
        if (text_str_eq(word, meta_status_words[s]))
            return (meta_status)s;
    return META_ST_NONE;
}

/* The error code whose line (without "\r\n") equals line, or NONE. */
static meta_error meta_error_of(text_str line)
{
    for (int e = META_ERR_UNKNOWN; e < META_ERR__COUNT; e++) {
        const char *s = meta_error_str((meta_error)e);
        size_t n = strlen(s) - 2;
        if (line.len == n && memcmp(line.ptr, s, n) == 0)
            return (meta_error)e;
    }
    return META_ERR_NONE;
}

/* VA: the length word and the data block after the header line. */
static text_status meta_parse_va(const char *buf, size_t len, meta_reply_msg *msg, text_str *rest)
{
    text_str word;
    int64_t n;
    if (!text_next_token(rest, &word) || !text_scan_i64(word, &n) || n < 0)
        return TEXT_CLIENT_ERROR;
    msg->nbytes = (uint64_t)n;
    size_t need = msg->len + (size_t)n + 2;
    if (len < need)
        return TEXT_EAGAIN;
    if (!text_data_block_ok(buf + msg->len, (size_t)n))
        return TEXT_CLIENT_ERROR;
    msg->data.ptr = buf + msg->len;
    msg->data.len = (size_t)n;
    msg->len = need;
    return TEXT_OK;
}

static text_str meta_trim(text_str s)
{
    while (s.len > 0 && s.ptr[0] == ' ') {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && s.ptr[s.len - 1] == ' ')
        s.len--;
    return s;
}

text_status meta_parse_reply(const char *buf, size_t len, meta_reply_msg *msg)
{
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    if (nl == NULL)
        return TEXT_EAGAIN;
    memset(msg, 0, sizeof(*msg));
    msg->len = (size_t)(nl - buf) + 1;
    msg->line.ptr = buf;
    msg->line.len = (size_t)(nl - buf) - (nl > buf && nl[-1] == '\r');
    text_str rest = msg->line, word;
    text_next_token(&rest, &word);
    msg->status = meta_status_of(word);
    if (msg->status == META_ST_NONE) {
        msg->error = meta_error_of(msg->line);
        return TEXT_OK;
    }
    text_status st = TEXT_OK;
    if (msg->status == META_ST_VA)
        st = meta_parse_va(buf, len, msg, &rest);
    msg->flags = meta_trim(rest);
    return st;
}

bool meta_reply_flag(const meta_reply_msg *msg, char c, text_str *val)
{
    text_str rest = msg->flags, tok;
    if (msg->status == META_ST_ME)
        return false;
    while (text_next_token(&rest, &tok)) {
        if (tok.ptr[0] == c) {
            val->ptr = tok.ptr + 1;
            val->len = tok.len - 1;
            return true;
        }
    }
    return false;
}

bool meta_reply_flag_u64(const meta_reply_msg *msg, char c, uint64_t *val)
{
    text_str v;
    return meta_reply_flag(msg, c, &v) && v.len > 0 && text_scan_u64(v, val);
}

bool meta_reply_flag_i64(const meta_reply_msg *msg, char c, int64_t *val)
{
    text_str v;
    return meta_reply_flag(msg, c, &v) && v.len > 0 && text_scan_i64(v, val);
}
