/*
 * proto/meta.h -- memcached's meta protocol (mg ms md ma mn me): parse
 * request lines into typed structs, compose the reply lines (server side),
 * compose requests and parse replies (client side: tests, bench/).
 *
 * A pure leaf library like proto/text.h (whose text_str views and
 * text_status results it shares): bytes in, structs out; text out into
 * caller buffers. No sockets, no allocation, no global state, no locks:
 * every function is safe from any thread on its own arguments.
 *
 * How the daemon gets a meta line. text_parse() classifies the line first.
 * For EVERY complete line whose command token is mg/ms/md/ma/mn/me,
 * text_parse leaves req.meta != TEXT_META_NONE (whatever status it returns:
 * its meta checks are a stub kept for old tests; ignore its status, reply
 * and swallow for such lines). The daemon then calls
 *
 *     st = meta_parse(rbuf, treq.line_len, &mreq);
 *
 * on the same bytes (or, cheaper, meta_parse_text(&treq, &mreq): the same
 * result) and uses only mreq:
 *     TEXT_OK           -> execute mreq.cmd (for ms: the data block of
 *                          mreq.nbytes + 2 bytes follows; check it with
 *                          text_data_block_ok, else answer
 *                          META_ERR_BAD_DATA_CHUNK and store nothing).
 *     TEXT_ERROR        -> answer "ERROR" (meta_error_str(META_ERR_UNKNOWN)).
 *     TEXT_CLIENT_ERROR -> answer meta_error_str(mreq.error) (ALWAYS, even
 *                          with q), then discard mreq.swallow bytes after the
 *                          line (an ms data block; 0 otherwise).
 * In all cases consume mreq.line_len bytes (== treq.line_len).
 *
 * Views. text_str fields point into the buffer given to meta_parse and live
 * as long as those bytes stay in place. The lookup key of a base64 (b) key
 * is decoded into the request itself: get it with meta_key(&req), which is
 * valid while the request struct lives (copying the struct is fine: meta_key
 * recomputes the pointer).
 *
 * Oracle: memcached 1.6.18, probed byte for byte, for everything 1.6.18
 * knows. Where it differs from doc/protocol.txt we follow 1.6.18, except for
 * the flags the newer protocol added, which we accept (1.6.18 rejects them
 * with "invalid flag" / "invalid or duplicate flag", or ignores them; the
 * cashew-only blocks of t/meta_*.t are their spec):
 *  - E<cas> (explicit new cas), every command: the item this request
 *    creates or rewrites gets cas <cas> instead of a fresh one (mg: only an
 *    item vivified by N; ms: the stored item; md: the item kept by I or x;
 *    ma: the new or vivified number). A bad number is a "bad token" on
 *    mg/ms, "invalid or duplicate flag" on md/ma (as C).
 *  - x (md): keep the item (key, client flags) with an empty value instead
 *    of deleting it; with T the TTL is updated too (as with I).
 *  - N<ttl> on ms in mode A or P: on a miss, store the data block as a new
 *    item with TTL <ttl> (then append/prepend proceeds as usual on a hit).
 *    1.6.18 accepts N on ms and ignores it.
 *  - s on ms: print "s<size>", the stored item's value size (after MA/MP
 *    the new total); 1.6.18 accepts s on ms and prints nothing.
 *    Like c, it prints on every ms status (s0 when nothing was stored).
 *  - md and ma answer EVERY flag error (unknown, repeated, bad number, bad
 *    base64 key) with "CLIENT_ERROR invalid or duplicate flag"; mg and ms
 *    have the specific messages listed below.
 *  - ms modes are upper case only (E A P R S: "Ms" -> "invalid mode for ms
 *    M token"); ma modes I + D - only ("Mi" -> "invalid mode for ma M
 *    token"). mg and md ignore any 2-byte M token.
 *  - The 'b' flag is never echoed where it stands: it is printed right after
 *    the k flag's key ("k<base64> b"), and only when k was asked for.
 *  - mg on a hit prints the ITEM's key, base64 only if the item was stored
 *    with a binary key (whatever the request's b); misses and the other
 *    commands print the key as the request sent it (see meta_facts).
 *  - q suppresses: mg -> EN only (a bare "HD" is still sent); ms -> HD;
 *    md -> HD; ma -> HD and VA (the value too) EXCEPT when the item was just
 *    created by N (1.6.18 then sends the VA/HD even with q: the daemon
 *    checks that case itself). NF/NS/EX and errors are always sent.
 *  - Every command accepts every known flag letter (b c f h k l q s t u v x
 *    C D E F I J L M N O P R T) and ignores the ones it does not use ("md k
 *    v", "mg k C5", "mg k x" are fine); anything else is "invalid flag"
 *    (md/ma: "invalid or duplicate flag").
 *  - At most 19 words per line (command, key, ms's length, flags): mg, md,
 *    ma take 17 flags, ms 16. One more: mg "options flags are too long",
 *    ms/md/ma "options flags too long" (sic). me and mn have no limit.
 *  - O: the token INCLUDING its 'O' may be 32 bytes, so the opaque value is
 *    at most 31 bytes (protocol.txt says 32; a 32-byte value is "opaque
 *    token too long").
 *    1.6.18 checks it after executing ma (the increment happens, then the
 *    error); we refuse ma before executing (deliberate difference).
 *  - A flag token starting with a byte >= 127 is a "duplicate flag".
 *  - ms: errors found before the flags (key too long, bad/missing length,
 *    too many flags) discard nothing; errors from the flags on discard the
 *    data block (req->swallow).
 *  - D and J parse errors on mg/ms: "invalid numeric delta value" /
 *    "invalid numeric initial value"; on md/ma every flag error is
 *    "invalid or duplicate flag". T/N/R/C/E: "bad token in command line
 *    format"; F: "bad command line format" (only if no other message was
 *    set). When several flags are bad, the LAST one's message is sent
 *    (except duplicate/invalid flag, which stop the scan at once).
 *  - ms data: a block not ending in "\r\n" -> "CLIENT_ERROR bad data chunk",
 *    the old item stays, nbytes + 2 bytes are consumed (as text `set`). A
 *    length above -I -> "SERVER_ERROR object too large for cache" (sent
 *    even with q), the block is discarded, and the old item is gone (mg
 *    answers EN afterwards; probed with modes S and A).
 *  - Misses print k and O (e.g. "EN knokey O1"); other flags are dropped.
 *  - "me <key> b" decodes the key; a bad key answers "CLIENT_ERROR bad
 *    command line format". me ignores all further tokens. "mn" ignores
 *    arguments.
 */
#ifndef CASHEW_PROTO_META_H
#define CASHEW_PROTO_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/text.h"

#define META_KEY_MAX TEXT_KEY_MAX  /* 250: limit of the key token as sent (before base64 decoding) */
#define META_OPAQUE_MAX 32         /* longest O token INCLUDING its 'O' (value <= 31 bytes); longer ->
                                      META_ERR_OPAQUE_TOO_LONG */
#define META_RET_MAX 24            /* capacity of meta_request.ret (more flags than memcached allows) */

/* Bit of a flag letter ('A'..'z') in meta_request.flagset. */
#define META_FLAG(c) (UINT64_C(1) << ((unsigned)(c) - 'A'))

/* Error replies. meta_error_str() gives the exact line memcached 1.6.18 sends. */
typedef enum meta_error {
    META_ERR_NONE = 0,
    META_ERR_UNKNOWN,          /* ERROR  (e.g. "mg" without a key) */
    META_ERR_BAD_FORMAT,       /* CLIENT_ERROR bad command line format */
    META_ERR_INVALID_FLAG,     /* CLIENT_ERROR invalid flag */
    META_ERR_DUPLICATE_FLAG,   /* CLIENT_ERROR duplicate flag */
    META_ERR_INVALID_OR_DUP,   /* CLIENT_ERROR invalid or duplicate flag  (md) */
    META_ERR_BAD_TOKEN,        /* CLIENT_ERROR bad token in command line format */
    META_ERR_OPAQUE_TOO_LONG,  /* CLIENT_ERROR opaque token too long */
    META_ERR_BAD_DATA_CHUNK,   /* CLIENT_ERROR bad data chunk */
    META_ERR_DECODE_KEY,       /* CLIENT_ERROR error decoding key */
    META_ERR_M_LENGTH,         /* CLIENT_ERROR incorrect length for M token */
    META_ERR_SET_MODE,         /* CLIENT_ERROR invalid mode for ms M token */
    META_ERR_ARITH_MODE,       /* CLIENT_ERROR invalid mode for ma M token */
    META_ERR_TOO_MANY_FLAGS,   /* CLIENT_ERROR options flags are too long  (mg) */
    META_ERR_FLAGS_TOO_LONG,   /* CLIENT_ERROR options flags too long  (ms md ma) */
    META_ERR_DELTA,            /* CLIENT_ERROR invalid numeric delta value  (D, mg/ms) */
    META_ERR_INITIAL,          /* CLIENT_ERROR invalid numeric initial value  (J, mg/ms) */
    META_ERR_TOO_LARGE,        /* SERVER_ERROR object too large for cache (daemon decides) */
    META_ERR_OOM,              /* SERVER_ERROR out of memory storing object (daemon decides) */
    META_ERR_NON_NUMERIC,      /* CLIENT_ERROR cannot increment or decrement non-numeric value */
    META_ERR__COUNT
} meta_error;

/*
 * ms modes (M token, default SET) and ma modes (default INCR). The parser
 * takes upper case only, as 1.6.18: "Ms" answers META_ERR_SET_MODE ("invalid
 * mode for ms M token"), "Mi"/"Md" META_ERR_ARITH_MODE ("invalid mode for ma
 * M token"). mg and md accept any 2-byte M token and ignore it (mode stays
 * NONE); an M token of another length is META_ERR_M_LENGTH everywhere.
 */
typedef enum meta_mode {
    META_MODE_NONE = 0,
    META_MODE_SET,      /* ms MS */
    META_MODE_ADD,      /* ms ME */
    META_MODE_REPLACE,  /* ms MR */
    META_MODE_APPEND,   /* ms MA */
    META_MODE_PREPEND,  /* ms MP */
    META_MODE_INCR,     /* ma MI / M+ */
    META_MODE_DECR      /* ma MD / M- */
} meta_mode;

/*
 * One parsed meta request line. Zero-initialise before the first use; after
 * that meta_parse resets it on every complete line.
 *
 * Times (T, N, R) are the numbers as sent (memcached's 32-bit signed
 * exptime rules: relative seconds, or an absolute unix time above 30 days,
 * negative = already expired): the daemon converts them like text exptimes.
 */
typedef struct meta_request {
    /* (Fields grouped by size so that meta_parse's reset is short.) */
    text_meta cmd;          /* TEXT_META_GET .. TEXT_META_DEBUG; NONE if not a meta line */
    meta_mode mode;         /* ms: SET default; ma: INCR default; else NONE */
    size_t line_len;        /* bytes of the line incl. its "\n" (also on errors) */
    text_str wire_key;      /* the key token as sent (base64 text when key_binary) */
    uint64_t nbytes;        /* ms: data block length that follows (block = nbytes + 2) */
    uint64_t flagset;       /* META_FLAG(c) for every flag letter present */

    /* Behaviour flags. */
    bool key_binary;        /* b: the key was base64; meta_key() gives the decoded bytes */
    bool quiet;             /* q */
    bool no_bump;           /* u   (mg) */
    bool want_value;        /* v   (mg: VA + data; ma: VA + number) */
    bool invalidate;        /* I   (ms: set-to-invalid when C is older; md: mark stale) */
    bool remove_value;      /* x   (md: keep the item, empty its value) */

    /* Flags with arguments: has_* tells whether present. */
    bool has_cas;           /* C<cas>   ms md ma: compare */
    bool has_new_cas;       /* E<cas>   mg (vivified item) ms md ma: the cas the
                               new/rewritten item gets */
    bool has_ttl;           /* T<ttl>   mg md ma: update; ms: item TTL (0 if absent) */
    bool has_vivify;        /* N<ttl>   mg ma: create on miss; ms MA/MP: store as a
                               new item on miss */
    bool has_recache;       /* R<ttl>   mg: win if remaining TTL < this */
    bool has_client_flags;  /* F<flags> ms (0 if absent) */
    bool has_opaque;        /* O<token> */
    uint64_t cas;           /* C */
    uint64_t new_cas;       /* E */
    int32_t ttl;            /* T */
    int32_t vivify_ttl;     /* N */
    int32_t recache_ttl;    /* R */
    uint32_t client_flags;  /* F */
    uint64_t delta;         /* D<n> ma (1 if absent) */
    uint64_t initial;       /* J<n> ma (0 if absent) */
    text_str opaque;        /* O: the value without the 'O' (0..31 bytes) */

    /* Errors (TEXT_CLIENT_ERROR / TEXT_ERROR). */
    meta_error error;
    uint64_t swallow;       /* bytes after the line to discard (ms data block), else 0 */

    /*
     * Flags that print something, in request order, as their letters: mg
     * c f h k l O s t; ms c k O s; md k O; ma c k O t (v is the VA code, not
     * a flag). 'b' is not listed (it rides on 'k'). Only ret[0..nret) is set.
     */
    size_t nret;
    char ret[META_RET_MAX];

    /* Private. */
    uint8_t keybin_[META_KEY_MAX];
    size_t keybin_len_;
} meta_request;

/*
 * Parses ONE meta command line from the start of buf[0..len): mg ms md ma
 * mn me. Returns TEXT_EAGAIN if there is no '\n' yet; otherwise
 * req->line_len is set and the result is TEXT_OK (fields filled),
 * TEXT_ERROR (not a meta command, or a meta command without its key: answer
 * "ERROR"), or TEXT_CLIENT_ERROR (req->error says which CLIENT_ERROR;
 * req->swallow how many bytes after the line to discard). No line-length
 * limit here: text_parse enforces TEXT_LINE_MAX before the daemon calls
 * meta_parse on a complete line.
 * Tokens are split on ' ' only; a NUL ends the line's content (as
 * text_parse). Never reads past buf[len-1], never allocates.
 */
text_status meta_parse(const char *buf, size_t len, meta_request *req);

/*
 * The same as meta_parse for a line that text_parse already classified as
 * meta (treq->meta != TEXT_META_NONE, any status): reads treq->meta,
 * treq->args (the line's content after the command token: cut at "\r\n"
 * and at a NUL, spaces trimmed), treq->line_len, and treq->key when it is
 * args' first token. Lets the daemon skip finding the line end, the
 * command and the key again. Views point into the bytes treq's views point
 * into. Returns as meta_parse (never TEXT_EAGAIN); treq->meta
 * TEXT_META_NONE gives TEXT_ERROR.
 */
text_status meta_parse_text(const text_request *treq, meta_request *req);

/* The lookup key: the decoded bytes for a b key, else req->wire_key. */
text_str meta_key(const meta_request *req);

/*
 * *dst = *src, cheaper: the decoded key buffer is copied only for a b key
 * (views still point where src's point).
 */
void meta_request_copy(meta_request *dst, const meta_request *src);

/* True if the flag letter c was in the request. */
bool meta_has_flag(const meta_request *req, char c);

/* The full error line incl. "\r\n" (static storage); "" for META_ERR_NONE. */
const char *meta_error_str(meta_error e);
size_t meta_error_len(meta_error e);

/*
 * Base64 (RFC 4648 alphabet, '=' padding), decoded the way memcached
 * 1.6.18 decodes b keys: bytes outside the alphabet are skipped ("Zm9v!" is
 * "foo"); the alphabet bytes plus '=' must be a nonzero multiple of 4; '='
 * counts as a zero digit, and the first group holding one or two '=' ends
 * the data (the rest is ignored: "Zg==Zg==" is "f"; "Zm=v" is "f`"); three
 * or four '=' in a group are an error. meta_base64_decode writes into
 * out[0..cap) and returns the decoded length, 0 on error or if it does
 * not fit. meta_base64_encode writes canonical base64 and returns its
 * length, 0 if it does not fit (memcached prints k keys re-encoded, so
 * "mg Zm9= b k" answers "kZm8= b").
 */
size_t meta_base64_decode(const char *src, size_t len, uint8_t *out, size_t cap);
size_t meta_base64_encode(const uint8_t *src, size_t len, char *out, size_t cap);

/* ---- Composing replies (server side) --------------------------------- */

/* Return codes of the header line. */
typedef enum meta_status {
    META_ST_NONE = 0,
    META_ST_VA,   /* VA <len> <flags>  (then the data block and "\r\n") */
    META_ST_HD,   /* HD <flags> */
    META_ST_EN,   /* EN  (miss) */
    META_ST_NF,   /* NF  (not found) */
    META_ST_NS,   /* NS  (not stored) */
    META_ST_EX,   /* EX  (exists / cas mismatch) */
    META_ST_MN,   /* MN  (reply of mn) */
    META_ST_ME    /* ME <key> <k>=<v>...  (me hit; only meta_parse_reply reports it) */
} meta_status;

/*
 * Facts about the item a reply talks about; the daemon fills what it has
 * (on a miss, nothing: the composer prints only k and O then).
 */
typedef struct meta_facts {
    uint64_t value_len;     /* VA <value_len>: the data block length (ma: digits of the number) */
    uint64_t cas;           /* c */
    uint32_t client_flags;  /* f */
    uint64_t size;          /* s: the value size in bytes (ms: of the stored item) */
    int64_t ttl;            /* t: seconds left, -1 for never expires */
    uint64_t last_access;   /* l: seconds since the last access (before this request) */
    bool hit_before;        /* h: fetched before this request */
    bool won;               /* W */
    bool stale;             /* X */
    bool other_won;         /* Z */
    /*
     * mg hits: the item's own key and whether it was stored with b. If
     * has_item_key, k prints item_key (base64 + " b" when item_key_binary);
     * otherwise k prints req->wire_key (+ " b" when req->key_binary).
     */
    bool has_item_key;
    text_str item_key;
    bool item_key_binary;
} meta_facts;

/*
 * True if the reply with this status must not be sent because of q (see
 * the list at the top). Errors are never suppressed.
 */
bool meta_reply_suppressed(const meta_request *req, meta_status st);

/*
 * Composes the whole reply header line for req with status st into
 * buf[0..cap): the code ("VA <value_len>" for META_ST_VA), then the
 * requested return flags in request order (c f h k l O s t from facts;
 * ms prints its c k O s on every status, the other commands only k and O
 * on EN NF NS EX), then for mg VA/HD the marks Z, X, W from facts, then
 * "\r\n". Which flags a status prints follows 1.6.18. The daemon appends
 * the data block and "\r\n" after a VA header itself. Returns bytes written, 0 if it
 * does not fit (nothing useful written). facts may be NULL for statuses
 * that print no item facts (EN NF NS EX MN).
 */
size_t meta_compose_reply(char *buf, size_t cap, const meta_request *req,
                          meta_status st, const meta_facts *facts);

/* Item facts for the me reply. */
typedef struct meta_debug_facts {
    int64_t exp;            /* exp: seconds left, -1 for never */
    uint64_t last_access;   /* la: seconds since last access */
    uint64_t cas;           /* cas */
    bool fetched;           /* fetch=yes|no */
    unsigned slab_class;    /* cls */
    uint64_t size;          /* size: total item size in bytes (header + key + value) */
    bool key_binary;        /* the item was stored with a b key: key printed in base64 */
} meta_debug_facts;

/*
 * "ME <key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<cls> size=<size>\r\n"
 * with the item's key (base64 when f->key_binary). Returns bytes written, 0
 * if it does not fit. A miss is meta_compose_reply(.., META_ST_EN, NULL).
 */
size_t meta_compose_debug(char *buf, size_t cap, text_str item_key,
                          const meta_debug_facts *f);

/* ---- Client side: requests and replies (tests, bench/) ---------------- */

/*
 * "<cm> <key>[ <nbytes>][ <flags>]\r\n": cm from cmd (mg ms md ma mn me),
 * nbytes only for TEXT_META_SET, flags verbatim (e.g. "v c T30"; may be
 * NULL or ""). mn prints no key. Returns bytes written, 0 if it does not fit.
 */
size_t meta_compose_request(char *buf, size_t cap, text_meta cmd, text_str key,
                            uint64_t nbytes, const char *flags);

/* One parsed meta reply. */
typedef struct meta_reply_msg {
    meta_status status;     /* NONE if the line is an error or unknown (see line) */
    size_t len;             /* bytes taken incl. "\r\n" (VA: header + data + "\r\n") */
    text_str line;          /* the header line without its terminator */
    uint64_t nbytes;        /* VA: data length */
    text_str data;          /* VA: the data block (without "\r\n") */
    text_str flags;         /* the flag tokens after the code (and VA length), trimmed */
    meta_error error;       /* a known CLIENT_ERROR/SERVER_ERROR/ERROR line, else NONE */
} meta_reply_msg;

/*
 * Parses one reply (server -> client) from the start of buf[0..len):
 * TEXT_EAGAIN until complete (VA: header, data block, "\r\n"), TEXT_OK
 * with *msg filled, TEXT_CLIENT_ERROR if a VA header is malformed or its
 * block does not end in "\r\n". Error lines are TEXT_OK with status NONE,
 * msg->error set when the text is one of meta_error's, and msg->line.
 */
text_status meta_parse_reply(const char *buf, size_t len, meta_reply_msg *msg);

/*
 * Finds the return flag c in msg->flags; stores its token (without the
 * letter) in *val and returns true, false if absent. Numbers: read with
 * meta_reply_flag_u64 / _i64 (false if absent or not a number).
 */
bool meta_reply_flag(const meta_reply_msg *msg, char c, text_str *val);
bool meta_reply_flag_u64(const meta_reply_msg *msg, char c, uint64_t *val);
bool meta_reply_flag_i64(const meta_reply_msg *msg, char c, int64_t *val);

#endif
