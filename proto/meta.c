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
 * The flags newer than 1.6.18 (E<cas> and x, for every command) follow the
 * same rules: E's number is checked like C's, x like q (see meta.h).
 */
#include "proto/meta.h"
#include "proto/text_internal.h"

#define META_WORDS_MAX 19   /* cmd + key (+ datalen) + flags; one more -> too long */

typedef struct meta_words {
    text_str tok[META_WORDS_MAX + 1];
    size_t n;               /* META_WORDS_MAX + 1 means "too many" */
} meta_words;

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

bool meta_has_flag(const meta_request *req, char c)
{
    return c >= 'A' && c <= 'z' && (req->flagset & META_FLAG(c)) != 0;
}

static void meta_split(text_str rest, meta_words *w)
{
    text_str tok;
    w->n = 0;
    while (text_next_token(&rest, &tok)) {
        if (w->n == META_WORDS_MAX + 1)
            return;
        w->tok[w->n++] = tok;
    }
}

static text_status meta_fail(meta_request *req, meta_error e)
{
    req->error = e;
    return e == META_ERR_UNKNOWN ? TEXT_ERROR : TEXT_CLIENT_ERROR;
}

/* The flag's argument: the token without its letter. */
static text_str meta_arg(text_str tok)
{
    text_str a = { tok.ptr + 1, tok.len - 1 };
    return a;
}

/* T N R: memcached reads a signed number and keeps 32 bits of it. */
static bool meta_scan_time(text_str tok, int32_t *out)
{
    int64_t v;
    if (!text_scan_i64(meta_arg(tok), &v))
        return false;
    *out = (int32_t)(uint32_t)(uint64_t)v;
    return true;
}

/* The ms data length: as the text protocol's, 0 .. INT32_MAX - 2. */
static bool meta_scan_nbytes(text_str tok, uint64_t *out)
{
    int64_t v;
    if (!text_scan_i64(tok, &v))
        return false;
    int32_t v32 = (int32_t)(uint32_t)(uint64_t)v;
    if (v32 < 0 || v32 > INT32_MAX - 2)
        return false;
    *out = (uint64_t)v32;
    return true;
}

/* ---- flags ---------------------------------------------------------------- */

/* Letters that print a return flag, per command (indexed by text_meta). */
static const char *const meta_ret_letters[] = {
    "", "cfhklOst", "cksO", "kO", "ckOt", "", "",
};

static void meta_note_ret(meta_request *req, char c)
{
    if (strchr(meta_ret_letters[req->cmd], c) != NULL && req->nret < META_RET_MAX)
        req->ret[req->nret++] = c;
}

static meta_error meta_flag_b(meta_request *req)
{
    req->key_binary = true;
    req->keybin_len_ = meta_base64_decode(req->wire_key.ptr, req->wire_key.len,
                                          req->keybin_, sizeof(req->keybin_));
    return req->keybin_len_ == 0 ? META_ERR_DECODE_KEY : META_ERR_NONE;
}

static meta_error meta_flag_time(text_str tok, bool *has, int32_t *out)
{
    *has = true;
    return meta_scan_time(tok, out) ? META_ERR_NONE : META_ERR_BAD_TOKEN;
}

static meta_error meta_flag_u64(text_str tok, uint64_t *out, meta_error bad)
{
    return text_scan_u64(meta_arg(tok), out) ? META_ERR_NONE : bad;
}

static meta_error meta_flag_client_flags(meta_request *req, text_str tok)
{
    uint64_t v;
    req->has_client_flags = true;
    if (!text_scan_u64(meta_arg(tok), &v))
        return META_ERR_BAD_FORMAT;
    req->client_flags = (uint32_t)v;
    return META_ERR_NONE;
}

/* The mode letter is checked later (meta_check_mode): here only the length. */
static meta_error meta_flag_mode(text_str tok)
{
    return tok.len == 2 ? META_ERR_NONE : META_ERR_M_LENGTH;
}

/* Flags with an argument. Returns META_ERR_INVALID_FLAG for unknown letters. */
static meta_error meta_flag_with_arg(meta_request *req, text_str tok)
{
    switch (tok.ptr[0]) {
    case 'T': return meta_flag_time(tok, &req->has_ttl, &req->ttl);
    case 'N': return meta_flag_time(tok, &req->has_vivify, &req->vivify_ttl);
    case 'R': return meta_flag_time(tok, &req->has_recache, &req->recache_ttl);
    case 'C':
        req->has_cas = true;
        return meta_flag_u64(tok, &req->cas, META_ERR_BAD_TOKEN);
    case 'E':
        req->has_new_cas = true;
        return meta_flag_u64(tok, &req->new_cas, META_ERR_BAD_TOKEN);
    case 'D': return meta_flag_u64(tok, &req->delta, META_ERR_DELTA);
    case 'J': return meta_flag_u64(tok, &req->initial, META_ERR_INITIAL);
    case 'F': return meta_flag_client_flags(req, tok);
    case 'M': return meta_flag_mode(tok);
    case 'O':
        req->has_opaque = true;
        req->opaque = meta_arg(tok);
        return META_ERR_NONE;
    case 'P': case 'L': case 'I':
        req->invalidate |= tok.ptr[0] == 'I';
        return META_ERR_NONE;
    default:
        return META_ERR_INVALID_FLAG;
    }
}

/* One flag token: fills its field; returns its error (META_ERR_NONE if good). */
static meta_error meta_flag(meta_request *req, text_str tok)
{
    switch (tok.ptr[0]) {
    case 'b': return meta_flag_b(req);
    case 'q': req->quiet = true; return META_ERR_NONE;
    case 'u': req->no_bump = true; return META_ERR_NONE;
    case 'v': req->want_value = true; return META_ERR_NONE;
    case 'x': req->remove_value = true; return META_ERR_NONE;
    case 'c': case 'f': case 'h': case 'k': case 'l': case 's': case 't':
        return META_ERR_NONE;
    default:
        return meta_flag_with_arg(req, tok);
    }
}

/*
 * Step 5: all flag tokens. Duplicate and invalid flags stop at once; other
 * errors are remembered (the last one wins) and the walk goes on.
 */
static meta_error meta_flags(meta_request *req, const meta_words *w, size_t first)
{
    meta_error last = META_ERR_NONE;
    for (size_t i = first; i < w->n; i++) {
        unsigned char c = (unsigned char)w->tok[i].ptr[0];
        if (c >= 127 || (c >= 'A' && c <= 'z' && (req->flagset & META_FLAG(c))))
            return META_ERR_DUPLICATE_FLAG;
        if (c < 'A' || c > 'z')
            return META_ERR_INVALID_FLAG;
        req->flagset |= META_FLAG(c);
        meta_error e = meta_flag(req, w->tok[i]);
        if (e == META_ERR_INVALID_FLAG)
            return e;
        if (e != META_ERR_NONE && (e != META_ERR_BAD_FORMAT || last == META_ERR_NONE))
            last = e;
        meta_note_ret(req, (char)c);
    }
    return last;
}

/* Step 6: the M letter of ms and ma (mg and md ignore it). */
static meta_error meta_check_mode(meta_request *req, const meta_words *w, size_t first)
{
    static const char set_modes[] = "SERAP", arith_modes[] = "I+D-"; /* meta_mode order */
    char m = 0;
    for (size_t i = first; i < w->n; i++)
        if (w->tok[i].ptr[0] == 'M')
            m = w->tok[i].ptr[1];
    if (req->cmd == TEXT_META_SET) {
        const char *hit = m ? strchr(set_modes, m) : set_modes;
        if (hit == NULL)
            return META_ERR_SET_MODE;
        req->mode = (meta_mode)(META_MODE_SET + (hit - set_modes));
    } else if (req->cmd == TEXT_META_ARITH) {
        const char *hit = m ? strchr(arith_modes, m) : arith_modes;
        if (hit == NULL)
            return META_ERR_ARITH_MODE;
        req->mode = (hit - arith_modes) < 2 ? META_MODE_INCR : META_MODE_DECR;
    }
    return META_ERR_NONE;
}

/* ---- per-command parsers ---------------------------------------------------- */

/* me <key> [b] [anything]: only an exact "b" as the third word decodes the key. */
static text_status meta_parse_debug(meta_request *req, const meta_words *w)
{
    if (w->n < 2 || w->tok[1].len > META_KEY_MAX)
        return meta_fail(req, META_ERR_BAD_FORMAT);
    req->wire_key = w->tok[1];
    if (w->n > 2 && text_str_eq(w->tok[2], "b")) {
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

/* Steps 5..7 for mg ms md ma. */
static meta_error meta_parse_flags(meta_request *req, const meta_words *w, size_t first)
{
    meta_error e = meta_flags(req, w, first);
    if (e != META_ERR_NONE) {
        bool own_loop = req->cmd == TEXT_META_DELETE || req->cmd == TEXT_META_ARITH;
        return own_loop ? META_ERR_INVALID_OR_DUP : e;
    }
    e = meta_check_mode(req, w, first);
    if (e != META_ERR_NONE)
        return e;
    if (req->has_opaque && req->opaque.len + 1 > META_OPAQUE_MAX)
        return META_ERR_OPAQUE_TOO_LONG;
    return META_ERR_NONE;
}

/* mg ms md ma <key> [datalen] <flags>* */
static text_status meta_parse_keyed(meta_request *req, const meta_words *w)
{
    if (w->n < 2)
        return meta_fail(req, META_ERR_UNKNOWN);
    req->wire_key = w->tok[1];
    if (req->wire_key.len > META_KEY_MAX)
        return meta_fail(req, META_ERR_BAD_FORMAT);
    if (w->n > META_WORDS_MAX)
        return meta_fail(req, meta_too_many(req));
    size_t first = 2;
    if (req->cmd == TEXT_META_SET) {
        if (w->n < 3 || !meta_scan_nbytes(w->tok[2], &req->nbytes))
            return meta_fail(req, META_ERR_BAD_FORMAT);
        first = 3;
    }
    if (req->cmd == TEXT_META_ARITH)
        req->delta = 1;
    meta_error e = meta_parse_flags(req, w, first);
    if (e == META_ERR_NONE)
        return TEXT_OK;
    if (req->cmd == TEXT_META_SET)
        req->swallow = req->nbytes + 2;
    return meta_fail(req, e);
}

/* ---- the entry point ------------------------------------------------------- */

static text_meta meta_cmd_of(text_str tok)
{
    static const char letters[] = "gsdane"; /* TEXT_META_GET .. TEXT_META_DEBUG */
    if (tok.len != 2 || tok.ptr[0] != 'm' || tok.ptr[1] == '\0')
        return TEXT_META_NONE;
    const char *hit = memchr(letters, tok.ptr[1], sizeof(letters) - 1);
    return hit ? (text_meta)(TEXT_META_GET + (hit - letters)) : TEXT_META_NONE;
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

text_status meta_parse(const char *buf, size_t len, meta_request *req)
{
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    if (nl == NULL)
        return TEXT_EAGAIN;
    memset(req, 0, sizeof(*req));
    req->line_len = (size_t)(nl - buf) + 1;
    meta_words w;
    meta_split(meta_line_content(buf, nl), &w);
    req->cmd = w.n ? meta_cmd_of(w.tok[0]) : TEXT_META_NONE;
    switch (req->cmd) {
    case TEXT_META_NONE:
        return meta_fail(req, META_ERR_UNKNOWN);
    case TEXT_META_NOOP:
        return TEXT_OK;
    case TEXT_META_DEBUG:
        return meta_parse_debug(req, &w);
    default:
        return meta_parse_keyed(req, &w);
    }
}
