/*
 * proto/meta.c -- the meta request parser (mg ms md ma mn me), base64 and
 * the error strings. The acceptance rules and their order are memcached
 * 1.6.18's, probed byte for byte:
 *
 *   1. the command token, then the key (missing -> ERROR; me: bad format);
 *   2. key token longer than 250 -> bad command line format;
 *   3. more than META_WORDS_MAX words on the line -> options flags too long;
 *   4. ms: the data length -> bad command line format;
 *   5. every flag token, left to right: a byte >= 127 or a repeated letter
 *      -> duplicate flag, an unknown letter -> invalid flag (both stop at
 *      once); bad arguments mark an error and go on, the LAST message wins
 *      (bad token for T N R C E, D/J numbers, decoding for b, M length; a bad
 *      F sets no message of its own: "bad command line format" only if no
 *      other message was set);
 *      md and ma answer any of these "invalid or duplicate flag";
 *   6. ms/ma: the M mode; 7. the O length.
 * From step 5 on, a failed ms also discards its data block.
 * Each line is read in ONE pass over its tokens (meta_parse_keyed); flag
 * letters are classified by a table, the printing ones by a bit mask.
 * The flags newer than 1.6.18 (E<cas> and x, for every command) follow the
 * same rules: E's number is checked like C's, x like q (see meta.h).
 */
#include "proto/meta.h"
#include "proto/text_internal.h"

#define META_WORDS_MAX 19   /* cmd + key (+ datalen) + flags; one more -> too long */
_Static_assert(META_WORDS_MAX - 2 <= META_RET_MAX, "every flag of a line fits in ret");

/* ---- errors ------------------------------------------------------------ */

static const char *const meta_error_lines[META_ERR__COUNT] = {
    [META_ERR_NONE] = "",
    [META_ERR_UNKNOWN] = "ERROR\r\n",
    [META_ERR_BAD_FORMAT] = "CLIENT_ERROR bad command line format\r\n",
    [META_ERR_INVALID_FLAG] = "CLIENT_ERROR invalid flag\r\n",
    [META_ERR_DUPLICATE_FLAG] = "CLIENT_ERROR duplicate flag\r\n",
    [META_ERR_INVALID_OR_DUP] = "CLIENT_ERROR invalid or duplicate flag\r\n",
    [META_ERR_BAD_TOKEN] = "CLIENT_ERROR bad token in command line format\r\n",
    [META_ERR_OPAQUE_TOO_LONG] = "CLIENT_ERROR opaque token too long\r\n",
    [META_ERR_BAD_DATA_CHUNK] = "CLIENT_ERROR bad data chunk\r\n",
    [META_ERR_DECODE_KEY] = "CLIENT_ERROR error decoding key\r\n",
    [META_ERR_M_LENGTH] = "CLIENT_ERROR incorrect length for M token\r\n",
    [META_ERR_SET_MODE] = "CLIENT_ERROR invalid mode for ms M token\r\n",
    [META_ERR_ARITH_MODE] = "CLIENT_ERROR invalid mode for ma M token\r\n",
    [META_ERR_TOO_MANY_FLAGS] = "CLIENT_ERROR options flags are too long\r\n",
    [META_ERR_FLAGS_TOO_LONG] = "CLIENT_ERROR options flags too long\r\n",
    [META_ERR_DELTA] = "CLIENT_ERROR invalid numeric delta value\r\n",
    [META_ERR_INITIAL] = "CLIENT_ERROR invalid numeric initial value\r\n",
    [META_ERR_TOO_LARGE] = "SERVER_ERROR object too large for cache\r\n",
    [META_ERR_OOM] = "SERVER_ERROR out of memory storing object\r\n",
    [META_ERR_NON_NUMERIC] = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
};

const char *meta_error_str(meta_error e)
{
    return ((unsigned)e < META_ERR__COUNT) ? meta_error_lines[e] : "";
}

size_t meta_error_len(meta_error e)
{
    return strlen(meta_error_str(e));
}

/* ---- base64 -------------------------------------------------------------- */

static const char meta_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet byte, or -1. */
static int meta_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    return c == '/' ? 63 : -1;
}

/* Counts the bytes of src that are in the alphabet or '=' (the others are skipped). */
static size_t meta_b64_count(const unsigned char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += src[i] == '=' || meta_b64_value(src[i]) >= 0;
    return n;
}

/* Writes the 3 bytes of a full group; returns how many of them count (pad 0..2), 0 if bad. */
static size_t meta_b64_emit(const uint8_t g[4], size_t pad, uint8_t *out, size_t room)
{
    if (pad > 2 || 3 - pad > room)
        return 0;
    uint8_t three[3] = { (uint8_t)(g[0] << 2 | g[1] >> 4), (uint8_t)(g[1] << 4 | g[2] >> 2),
                         (uint8_t)(g[2] << 6 | g[3]) };
    memcpy(out, three, 3 - pad);
    return 3 - pad;
}

size_t meta_base64_decode(const char *src, size_t len, uint8_t *out, size_t cap)
{
    const unsigned char *in = (const unsigned char *)src;
    size_t count = meta_b64_count(in, len);
    if (count == 0 || count % 4 != 0)
        return 0;
    uint8_t g[4];
    size_t n = 0, got = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        int v = in[i] == '=' ? 0 : meta_b64_value(in[i]);
        if (v < 0)
            continue;
        pad += in[i] == '=';
        g[got++] = (uint8_t)v;
        if (got < 4)
            continue;
        size_t wrote = meta_b64_emit(g, pad, out + n, cap - n);
        if (wrote == 0)
            return 0;
        n += wrote;
        got = 0;
        if (pad > 0)
            break;
    }
    return n;
}

size_t meta_base64_encode(const uint8_t *src, size_t len, char *out, size_t cap)
{
    size_t need = (len + 2) / 3 * 4;
    if (need > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        size_t left = len - i;
        uint32_t bits = (uint32_t)src[i] << 16;
        if (left > 1)
            bits |= (uint32_t)src[i + 1] << 8;
        if (left > 2)
            bits |= src[i + 2];
        out[o++] = meta_b64_alphabet[(bits >> 18) & 63];
        out[o++] = meta_b64_alphabet[(bits >> 12) & 63];
        out[o++] = left > 1 ? meta_b64_alphabet[(bits >> 6) & 63] : '=';
        out[o++] = left > 2 ? meta_b64_alphabet[bits & 63] : '=';
    }
    return need;
}

/* ---- small helpers ------------------------------------------------------- */

text_str meta_key(const meta_request *req)
{
    if (!req->key_binary)
        return req->wire_key;
    text_str k = { (const char *)req->keybin_, req->keybin_len_ };
    return k;
}

void meta_request_copy(meta_request *dst, const meta_request *src)
{
    memcpy(dst, src, offsetof(meta_request, keybin_));
    dst->keybin_len_ = src->keybin_len_;
    if (src->key_binary)
        memcpy(dst->keybin_, src->keybin_, src->keybin_len_);
}

bool meta_has_flag(const meta_request *req, char c)
{
    return c >= 'A' && c <= 'z' && (req->flagset & META_FLAG(c)) != 0;
}

/* The next ' '-separated token of *rest (false at the end); advances *rest. */
static inline bool meta_token(text_str *rest, text_str *tok)
{
    const char *p = rest->ptr, *end = rest->ptr + rest->len;
    while (p < end && *p == ' ')
        p++;
    const char *start = p;
    while (p < end && *p != ' ')
        p++;
    tok->ptr = start;
    tok->len = (size_t)(p - start);
    rest->ptr = p;
    rest->len = (size_t)(end - p);
    return tok->len > 0;
}

static text_status meta_fail(meta_request *req, meta_error e)
{
    req->error = e;
    return e == META_ERR_UNKNOWN ? TEXT_ERROR : TEXT_CLIENT_ERROR;
}

/*
 * Clears every field (ret and the private key buffer only logically). A
 * copy from a zero struct compiles to a few vector moves where memset of
 * this size becomes a "rep stos".
 */
static void meta_reset(meta_request *req, text_meta cmd, size_t line_len)
{
    static const meta_request zero;
    memcpy(req, &zero, offsetof(meta_request, ret));
    req->keybin_len_ = 0;
    req->cmd = cmd;
    req->line_len = line_len;
}

/* The flag's argument: the token without its letter. */
static text_str meta_arg(text_str tok)
{
    text_str a = { tok.ptr + 1, tok.len - 1 };
    return a;
}

/*
 * The common case of every number below: 1..18 plain digits (no sign, no
 * white space, no overflow possible) read inline; false sends the token to
 * the full reader (text_scan_*), which gives the same value for these.
 */
static inline bool meta_scan_digits(text_str tok, uint64_t *out)
{
    if (tok.len == 0 || tok.len > 18)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < tok.len; i++) {
        unsigned d = (unsigned)(unsigned char)tok.ptr[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* memcached's signed / unsigned number rules (text_scan_*), fast for plain digits. */
static bool meta_scan_i64(text_str tok, int64_t *out)
{
    uint64_t v;
    if (!meta_scan_digits(tok, &v))
        return text_scan_i64(tok, out);
    *out = (int64_t)v;
    return true;
}

static bool meta_scan_u64(text_str tok, uint64_t *out)
{
    return meta_scan_digits(tok, out) || text_scan_u64(tok, out);
}

/* T N R: memcached reads a signed number and keeps 32 bits of it. */
static meta_error meta_scan_time(text_str tok, bool *has, int32_t *out)
{
    int64_t v;
    *has = true;
    if (!meta_scan_i64(meta_arg(tok), &v))
        return META_ERR_BAD_TOKEN;
    *out = (int32_t)(uint32_t)(uint64_t)v;
    return META_ERR_NONE;
}

/* ---- flags ---------------------------------------------------------------- */

/*
 * What a flag letter does: meta_flag_kinds[letter - 'A'] (0: not a flag).
 * The presence-only letters (PLAIN) are also in meta_noarg_bits: the walk
 * takes them without looking at the kind (meta_take_letter).
 */
enum {
    META_K_INVALID = 0,
    META_K_PLAIN,   /* c f h k l s t P L q u v x I: presence only */
    META_K_B,
    META_K_T, META_K_N, META_K_R, META_K_C, META_K_E, META_K_D, META_K_J,
    META_K_F, META_K_M, META_K_O
};

#define META_KIND(c, k) [(c) - 'A'] = (k)
static const uint8_t meta_flag_kinds['z' - 'A' + 1] = {
    META_KIND('c', META_K_PLAIN), META_KIND('f', META_K_PLAIN), META_KIND('h', META_K_PLAIN),
    META_KIND('k', META_K_PLAIN), META_KIND('l', META_K_PLAIN), META_KIND('s', META_K_PLAIN),
    META_KIND('t', META_K_PLAIN), META_KIND('P', META_K_PLAIN), META_KIND('L', META_K_PLAIN),
    META_KIND('q', META_K_PLAIN), META_KIND('u', META_K_PLAIN), META_KIND('v', META_K_PLAIN),
    META_KIND('x', META_K_PLAIN), META_KIND('I', META_K_PLAIN), META_KIND('b', META_K_B),
    META_KIND('T', META_K_T), META_KIND('N', META_K_N), META_KIND('R', META_K_R),
    META_KIND('C', META_K_C), META_KIND('E', META_K_E), META_KIND('D', META_K_D),
    META_KIND('J', META_K_J), META_KIND('F', META_K_F), META_KIND('M', META_K_M),
    META_KIND('O', META_K_O),
};

/* Letters that print a return flag, per command (indexed by text_meta). */
#define META_F(c) META_FLAG(c)
static const uint64_t meta_ret_masks[] = {
    [TEXT_META_GET] = META_F('c') | META_F('f') | META_F('h') | META_F('k') | META_F('l') |
                      META_F('O') | META_F('s') | META_F('t'),
    [TEXT_META_SET] = META_F('c') | META_F('k') | META_F('s') | META_F('O'),
    [TEXT_META_DELETE] = META_F('k') | META_F('O'),
    [TEXT_META_ARITH] = META_F('c') | META_F('k') | META_F('O') | META_F('t'),
    [TEXT_META_NOOP] = 0,
    [TEXT_META_DEBUG] = 0,
};

static meta_error meta_flag_b(meta_request *req)
{
    req->key_binary = true;
    req->keybin_len_ = meta_base64_decode(req->wire_key.ptr, req->wire_key.len,
                                          req->keybin_, sizeof(req->keybin_));
    return req->keybin_len_ == 0 ? META_ERR_DECODE_KEY : META_ERR_NONE;
}

static meta_error meta_flag_u64(text_str tok, uint64_t *out, meta_error bad)
{
    return meta_scan_u64(meta_arg(tok), out) ? META_ERR_NONE : bad;
}

static meta_error meta_flag_client_flags(meta_request *req, text_str tok)
{
    uint64_t v;
    req->has_client_flags = true;
    if (!meta_scan_u64(meta_arg(tok), &v))
        return META_ERR_BAD_FORMAT;
    req->client_flags = (uint32_t)v;
    return META_ERR_NONE;
}

/* Flags with an argument (kinds T .. O). The M letter itself is checked later. */
static meta_error meta_flag_with_arg(meta_request *req, unsigned kind, text_str tok)
{
    switch (kind) {
    case META_K_T: return meta_scan_time(tok, &req->has_ttl, &req->ttl);
    case META_K_N: return meta_scan_time(tok, &req->has_vivify, &req->vivify_ttl);
    case META_K_R: return meta_scan_time(tok, &req->has_recache, &req->recache_ttl);
    case META_K_C:
        req->has_cas = true;
        return meta_flag_u64(tok, &req->cas, META_ERR_BAD_TOKEN);
    case META_K_E:
        req->has_new_cas = true;
        return meta_flag_u64(tok, &req->new_cas, META_ERR_BAD_TOKEN);
    case META_K_D: return meta_flag_u64(tok, &req->delta, META_ERR_DELTA);
    case META_K_J: return meta_flag_u64(tok, &req->initial, META_ERR_INITIAL);
    case META_K_F: return meta_flag_client_flags(req, tok);
    case META_K_M: return tok.len == 2 ? META_ERR_NONE : META_ERR_M_LENGTH;
    default: /* META_K_O */
        req->has_opaque = true;
        req->opaque = meta_arg(tok);
        return META_ERR_NONE;
    }
}

/* One flag token of a known kind: fills its field; returns its error. */
static inline meta_error meta_flag(meta_request *req, unsigned kind, text_str tok)
{
    switch (kind) {
    case META_K_PLAIN: return META_ERR_NONE;
    case META_K_B: return meta_flag_b(req);
    default: return meta_flag_with_arg(req, kind, tok);
    }
}

/* The state of the walk over the flag tokens (step 5). */
typedef struct meta_walk {
    meta_error stop;    /* duplicate / invalid flag: no further flag is looked at */
    meta_error last;    /* the last other error (bad format only if nothing else) */
    char mode;          /* the letter after M (a 2-byte M token), else 0 */
    uint64_t ret_mask;  /* meta_ret_masks[] of the command */
} meta_walk;

/*
 * One flag token, left to right: a byte >= 127 or a repeated letter is a
 * duplicate, an unknown letter invalid (both stop the walk); other errors
 * are remembered, the last one winning.
 */
static inline void meta_walk_flag(meta_request *req, meta_walk *w, text_str tok)
{
    unsigned char c = (unsigned char)tok.ptr[0];
    unsigned idx = (unsigned)c - 'A'; /* wraps below 'A' */
    if (idx > 'z' - 'A') {
        w->stop = c >= 127 ? META_ERR_DUPLICATE_FLAG : META_ERR_INVALID_FLAG;
        return;
    }
    uint64_t bit = UINT64_C(1) << idx;
    unsigned kind = meta_flag_kinds[idx];
    if ((req->flagset & bit) || kind == META_K_INVALID) {
        w->stop = (req->flagset & bit) ? META_ERR_DUPLICATE_FLAG : META_ERR_INVALID_FLAG;
        return;
    }
    req->flagset |= bit;
    if (w->ret_mask & bit) {
        if (req->nret < META_RET_MAX)
            req->ret[req->nret++] = (char)c;
        if (kind == META_K_PLAIN)
            return;
    }
    meta_error e = meta_flag(req, kind, tok);
    if (e != META_ERR_NONE && (e != META_ERR_BAD_FORMAT || w->last == META_ERR_NONE))
        w->last = e;
    if (kind == META_K_M && tok.len == 2)
        w->mode = tok.ptr[1];
}

/* The bit of every presence-only letter by byte value (0 for any other byte). */
#define META_NOARG(c) [(unsigned char)(c)] = META_FLAG(c)
static const uint64_t meta_noarg_bits[256] = {
    META_NOARG('c'), META_NOARG('f'), META_NOARG('h'), META_NOARG('k'), META_NOARG('l'),
    META_NOARG('s'), META_NOARG('t'), META_NOARG('P'), META_NOARG('L'), META_NOARG('q'),
    META_NOARG('u'), META_NOARG('v'), META_NOARG('x'), META_NOARG('I'),
};

/* Behaviour flags among them: q u v x I. */
#define META_BOOL_LETTERS \
    (META_FLAG('q') | META_FLAG('u') | META_FLAG('v') | META_FLAG('x') | META_FLAG('I'))

/* Sets the behaviour flag of one of META_BOOL_LETTERS. */
static void meta_set_bool(meta_request *req, char c)
{
    switch (c) {
    case 'q': req->quiet = true; break;
    case 'u': req->no_bump = true; break;
    case 'v': req->want_value = true; break;
    case 'x': req->remove_value = true; break;
    default: req->invalidate = true; break; /* 'I' */
    }
}

/* A presence-only letter (bit) seen for the first time: its bit, its place in ret. */
static inline void meta_take_letter(meta_request *req, const meta_walk *w, uint64_t bit, char c)
{
    req->flagset |= bit;
    if (w->ret_mask & bit)
        req->ret[req->nret++] = c;
    if (bit & META_BOOL_LETTERS)
        meta_set_bool(req, c);
}

/*
 * One flag token of the walk: a presence-only letter seen for the first
 * time is taken here; anything else goes to meta_walk_flag. Nothing is
 * looked at once the walk has stopped. (ret cannot overflow: a line has
 * at most META_WORDS_MAX - 2 flags.)
 */
static inline void meta_walk_token(meta_request *req, meta_walk *w, text_str tok)
{
    if (w->stop != META_ERR_NONE)
        return;
    uint64_t bit = meta_noarg_bits[(unsigned char)tok.ptr[0]];
    if (bit == 0 || (req->flagset & bit) != 0)
        meta_walk_flag(req, w, tok);
    else
        meta_take_letter(req, w, bit, tok.ptr[0]);
}

/*
 * The usual shape first: " x" pairs (one space, one presence-only letter,
 * then a space or the end), each letter new. Takes them as
 * meta_walk_token would and returns where the first other token (or
 * space) starts; the general loop goes on from there.
 */
static inline const char *meta_walk_letters(meta_request *req, const meta_walk *w,
                                            const char *p, const char *end, size_t *words)
{
    size_t n = *words, nret = req->nret;
    uint64_t flags = req->flagset; /* in registers: the stores to ret may alias req */
    while (end - p >= 2 && p[0] == ' ' && (end - p == 2 || p[2] == ' ') &&
           n < META_WORDS_MAX) {
        uint64_t bit = meta_noarg_bits[(unsigned char)p[1]];
        if (bit == 0 || (flags & bit) != 0)
            break;
        flags |= bit;
        if (w->ret_mask & bit)
            req->ret[nret++] = p[1];
        if (bit & META_BOOL_LETTERS)
            meta_set_bool(req, p[1]);
        n++;
        p += 2;
    }
    req->flagset = flags;
    req->nret = nret;
    *words = n;
    return p;
}

/* Step 6: the M letter of ms and ma (mg and md ignore it). */
static meta_error meta_check_mode(meta_request *req, char m)
{
    if (req->cmd == TEXT_META_SET) {
        switch (m) {
        case 0: case 'S': req->mode = META_MODE_SET; break;
        case 'E': req->mode = META_MODE_ADD; break;
        case 'R': req->mode = META_MODE_REPLACE; break;
        case 'A': req->mode = META_MODE_APPEND; break;
        case 'P': req->mode = META_MODE_PREPEND; break;
        default: return META_ERR_SET_MODE;
        }
    } else if (req->cmd == TEXT_META_ARITH) {
        switch (m) {
        case 0: case 'I': case '+': req->mode = META_MODE_INCR; break;
        case 'D': case '-': req->mode = META_MODE_DECR; break;
        default: return META_ERR_ARITH_MODE;
        }
    }
    return META_ERR_NONE;
}

/* Steps 5 (its result) .. 7 for mg ms md ma. */
static meta_error meta_finish_flags(meta_request *req, const meta_walk *w)
{
    meta_error e = w->stop != META_ERR_NONE ? w->stop : w->last;
    if (e != META_ERR_NONE) {
        bool own_loop = req->cmd == TEXT_META_DELETE || req->cmd == TEXT_META_ARITH;
        return own_loop ? META_ERR_INVALID_OR_DUP : e;
    }
    e = meta_check_mode(req, w->mode);
    if (e != META_ERR_NONE)
        return e;
    if (req->has_opaque && req->opaque.len + 1 > META_OPAQUE_MAX)
        return META_ERR_OPAQUE_TOO_LONG;
    return META_ERR_NONE;
}

/* ---- per-command parsers ---------------------------------------------------- */

/* me <key> [b] [anything]: only an exact "b" as the third word decodes the key. */
static text_status meta_parse_debug(meta_request *req, text_str rest)
{
    text_str tok;
    if (!meta_token(&rest, &tok) || tok.len > META_KEY_MAX)
        return meta_fail(req, META_ERR_BAD_FORMAT);
    req->wire_key = tok;
    if (meta_token(&rest, &tok) && tok.len == 1 && tok.ptr[0] == 'b') {
        req->flagset |= META_FLAG('b');
        if (meta_flag_b(req) != META_ERR_NONE)
            return meta_fail(req, META_ERR_BAD_FORMAT);
    }
    return TEXT_OK;
}

static meta_error meta_too_many(const meta_request *req)
{
    return req->cmd == TEXT_META_GET ? META_ERR_TOO_MANY_FLAGS : META_ERR_FLAGS_TOO_LONG;
}

/*
 * The whole flag part of the usual mg or md: rest (after the key) is " x"
 * pairs only, each x a presence-only letter seen once, at most
 * META_WORDS_MAX words in all. Then nothing can fail: fills flagset, ret
 * and the behaviour flags and returns true. False for anything else: the
 * general walk decides (it sees the same tokens up to where this stopped,
 * so the behaviour flags set so far stay right; flagset and nret are
 * untouched, and bytes of ret past nret do not count).
 */
static inline bool meta_parse_letters(meta_request *req, text_str rest)
{
    if (rest.len % 2 != 0 || rest.len > 2 * (META_WORDS_MAX - 2))
        return false;
    uint64_t flags = 0, ret_mask = meta_ret_masks[req->cmd];
    size_t nret = 0;
    for (size_t i = 0; i < rest.len; i += 2) {
        uint64_t bit = meta_noarg_bits[(unsigned char)rest.ptr[i + 1]];
        if (rest.ptr[i] != ' ' || bit == 0 || (flags & bit) != 0)
            return false;
        flags |= bit;
        req->ret[nret] = rest.ptr[i + 1];
        nret += (ret_mask & bit) != 0;
        if (bit & META_BOOL_LETTERS) /* the general walk would set it for this token too */
            meta_set_bool(req, rest.ptr[i + 1]);
    }
    req->flagset = flags;
    req->nret = nret;
    return true;
}

/* meta_parse_keyed's nbytes_known when the caller has not read ms's length. */
#define META_NBYTES_UNKNOWN UINT64_MAX

/* ms's length token: nbytes_known if the caller read this token already. */
static bool meta_scan_nbytes(text_str tok, uint64_t nbytes_known, uint64_t *out)
{
    if (nbytes_known != META_NBYTES_UNKNOWN) {
        *out = nbytes_known;
        return true;
    }
    return tok.len > 0 && text_scan_nbytes(tok, out);
}

/*
 * mg ms md ma <key> [datalen] <flags>*, in one pass over the tokens. The
 * checks keep 1.6.18's order (see the top): the word count is known only
 * at the end of the walk, and it outranks the length and the flags.
 */
static text_status meta_parse_keyed(meta_request *req, text_str rest, size_t key_len,
                                    uint64_t nbytes_known)
{
    text_str tok, nbytes_tok = { NULL, 0 };
    if (key_len > 0) { /* the caller knows the first token's length */
        req->wire_key.ptr = rest.ptr;
        req->wire_key.len = key_len;
        rest.ptr += key_len;
        rest.len -= key_len;
    } else if (!meta_token(&rest, &req->wire_key)) {
        return meta_fail(req, META_ERR_UNKNOWN);
    }
    if (req->wire_key.len > META_KEY_MAX)
        return meta_fail(req, META_ERR_BAD_FORMAT);
    size_t words = 2;
    if (req->cmd == TEXT_META_SET)
        words += meta_token(&rest, &nbytes_tok);
    if (req->cmd == TEXT_META_ARITH)
        req->delta = 1;
    meta_walk w = { META_ERR_NONE, META_ERR_NONE, 0, meta_ret_masks[req->cmd] };
    const char *p = rest.ptr, *end = rest.ptr + rest.len;
    p = meta_walk_letters(req, &w, p, end, &words);
    while (p < end) { /* the flag tokens (meta_token, unrolled for one-letter flags) */
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *q = p + 1;
        while (q < end && *q != ' ')
            q++;
        tok.ptr = p;
        tok.len = (size_t)(q - p);
        if (++words > META_WORDS_MAX)
            return meta_fail(req, meta_too_many(req));
        meta_walk_token(req, &w, tok);
        if (q == end)
            break;
        p = q + 1; /* past the space that ended the token */
    }
    if (req->cmd == TEXT_META_SET &&
        !meta_scan_nbytes(nbytes_tok, nbytes_known, &req->nbytes))
        return meta_fail(req, META_ERR_BAD_FORMAT);
    meta_error e = meta_finish_flags(req, &w);
    if (e == META_ERR_NONE)
        return TEXT_OK;
    if (req->cmd == TEXT_META_SET)
        req->swallow = req->nbytes + 2;
    return meta_fail(req, e);
}

/* ---- the entry points ------------------------------------------------------ */

static text_meta meta_cmd_of(text_str tok)
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

/* The line without "\r\n" / "\n", cut at a NUL (memcached reads a C string). */
static text_str meta_line_content(const char *buf, const char *nl)
{
    text_str s = { buf, (size_t)(nl - buf) };
    if (s.len > 0 && s.ptr[s.len - 1] == '\r')
        s.len--;
    const char *nul = s.len ? memchr(s.ptr, '\0', s.len) : NULL;
    if (nul != NULL)
        s.len = (size_t)(nul - s.ptr);
    return s;
}

/*
 * Parses the arguments of a meta command; key_len > 0 is the length of
 * args' first token when the caller already knows it (args starts with it),
 * nbytes_known ms's length read from args' second token (else
 * META_NBYTES_UNKNOWN).
 */
static inline text_status meta_parse_args(text_meta cmd, text_str args, size_t key_len,
                                          uint64_t nbytes_known, size_t line_len,
                                          meta_request *req)
{
    meta_reset(req, cmd, line_len);
    switch (cmd) {
    case TEXT_META_GET:
    case TEXT_META_SET:
    case TEXT_META_DELETE:
    case TEXT_META_ARITH:
        return meta_parse_keyed(req, args, key_len, nbytes_known);
    case TEXT_META_NOOP:
        return TEXT_OK;
    case TEXT_META_DEBUG:
        return meta_parse_debug(req, args);
    default:
        req->cmd = TEXT_META_NONE;
        return meta_fail(req, META_ERR_UNKNOWN);
    }
}

text_status meta_parse(const char *buf, size_t len, meta_request *req)
{
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    if (nl == NULL)
        return TEXT_EAGAIN;
    text_str rest = meta_line_content(buf, nl), cmd_tok;
    text_meta cmd = meta_token(&rest, &cmd_tok) ? meta_cmd_of(cmd_tok) : TEXT_META_NONE;
    return meta_parse_args(cmd, rest, 0, META_NBYTES_UNKNOWN, (size_t)(nl - buf) + 1, req);
}

text_status meta_parse_text(const text_request *treq, meta_request *req)
{
    /* text_parse_meta sets key to args' first token when there is one */
    bool key_known = treq->key.len > 0 && treq->key.ptr == treq->args.ptr &&
                     treq->key.len <= treq->args.len;
    if (key_known && treq->key.len <= META_KEY_MAX &&
        (treq->meta == TEXT_META_GET || treq->meta == TEXT_META_DELETE)) {
        /* the usual mg / md: the key, then only presence-only letters */
        meta_reset(req, treq->meta, treq->line_len);
        text_str flags = { treq->args.ptr + treq->key.len, treq->args.len - treq->key.len };
        if (meta_parse_letters(req, flags)) {
            req->wire_key = treq->key;
            return TEXT_OK;
        }
    }
    /* text_parse_meta read ms's length (the token after the key) when swallow is set */
    bool nbytes_known = key_known && treq->meta == TEXT_META_SET && treq->swallow > 0 &&
                        treq->swallow == treq->nbytes + 2;
    return meta_parse_args(treq->meta, treq->args, key_known ? treq->key.len : 0,
                           nbytes_known ? treq->nbytes : META_NBYTES_UNKNOWN, treq->line_len,
                           req);
}
