/*
 * proto/text.h -- memcached's text protocol: parse requests, compose replies
 * (server side), compose requests and parse replies (client side).
 *
 * A pure leaf library: bytes in, structs out; text out into caller buffers.
 * No sockets, no allocation, no global state, no locks: every function is
 * safe to call from any thread on its own arguments.
 *
 * Views. A text_str is a (pointer, length) view into the caller's buffer. It
 * is NOT NUL-terminated. Every view that text_parse / text_parse_reply
 * stores in a request or reply points into the `buf` they were given and is
 * valid exactly as long as those bytes stay in place and unchanged: the
 * caller must finish with a request (or copy what it needs) before it
 * compacts, reuses or frees its read buffer.
 *
 * Server loop, in short (what daemon/conn.c does):
 *
 *     st = text_parse(rbuf, rlen, &req);
 *     TEXT_EAGAIN       -> read more bytes, call again (same req: the scan resumes)
 *     TEXT_TOO_LONG     -> close the connection (nothing is sent), as memcached
 *     TEXT_OK           -> consume req.line_len bytes, then:
 *        - storage commands (text_cmd_has_data): the data block is req.nbytes + 2
 *          bytes. If the item can never fit (bigger than -I), answer
 *          TEXT_REPLY_SE_TOO_LARGE and discard nbytes + 2 bytes (memcached also
 *          unlinks the old item for `set`, not for add/replace/...). Otherwise
 *          wait for the block, check text_data_block_ok() (else answer
 *          TEXT_REPLY_CE_BAD_DATA_CHUNK, store nothing, keep the old item),
 *          consume it (exactly nbytes + 2 bytes, good or bad), execute.
 *        - TEXT_CMD_META: hand the line to meta_parse (proto/meta.h), see
 *          below. (Stub, still answered by the old daemon code: answer
 *          req.reply (TEXT_REPLY_ERROR) and discard req.swallow bytes.)
 *        - everything else: execute.
 *     TEXT_ERROR / TEXT_CLIENT_ERROR
 *                       -> consume req.line_len bytes, then discard req.swallow
 *                          more bytes (0 today: memcached never skips a data block
 *                          after a bad storage line); send text_reply_str(req.reply)
 *                          unless text_reply_suppressed(&req).
 *     Any reply of a request with req.noreply set is dropped, errors included
 *     (text_reply_suppressed): memcached does so.
 *
 * Meta lines: for EVERY complete line (TEXT_OK, TEXT_ERROR or
 * TEXT_CLIENT_ERROR) whose command is mg/ms/md/ma/mn/me, req.meta is not
 * TEXT_META_NONE (even where req.cmd was reset to NONE, e.g. "mg" alone).
 * Such a line belongs to meta_parse(buf, req.line_len, &mreq): ignore
 * text_parse's status, reply and swallow for it.
 *
 * Disabled commands: on TEXT_OK and on TEXT_CLIENT_ERROR req.cmd tells the
 * command. memcached checks -F before flush_all's arguments and -A before
 * shutdown's: so for cmd == TEXT_CMD_FLUSH_ALL with flush disabled answer
 * TEXT_REPLY_CE_FLUSH_DISABLED (unless noreply), and for TEXT_CMD_SHUTDOWN
 * without -A answer TEXT_REPLY_SHUTDOWN_DISABLED, whatever the status was;
 * likewise TEXT_CMD_SLABS_REASSIGN with slab reassignment off answers
 * TEXT_REPLY_CE_REASSIGN_DISABLED even for bad class ids. lru_crawler
 * crawl|metadump always parse as TEXT_OK: the daemon checks that the
 * crawler is on before it checks the class list (text_class_list_check).
 * Stock memcached answers ERROR to `debugtime` (TEXT_REPLY_ERROR when the
 * daemon has it disabled).
 *
 * Line ends: a line ends at the first '\n'; a '\r' right before it is part
 * of the terminator. Tokens are separated by one or more spaces (' ' only;
 * a tab is part of a token, as in memcached).
 */
#ifndef CASHEW_PROTO_TEXT_H
#define CASHEW_PROTO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_KEY_MAX 250        /* longest key in bytes; longer -> CLIENT_ERROR */
#define TEXT_LINE_MAX 2048      /* a non-get line with no '\n' within this -> TEXT_TOO_LONG */
/*
 * Limit for get/gets/gat/gats lines (many keys): memcached has none (it
 * buffers a multiget line of any size); we close at 2 MiB (8,000 keys of 250
 * bytes). memcached closes a long gat/gats line like any other; we let them
 * be as long as get lines.
 */
#define TEXT_GET_LINE_MAX (2u << 20)

/* A view into a caller's buffer (not NUL-terminated). */
typedef struct text_str {
    const char *ptr;
    size_t len;
} text_str;

/* Result of text_parse / text_parse_reply. */
typedef enum text_status {
    TEXT_OK = 0,        /* one complete line parsed; see req->line_len */
    TEXT_EAGAIN,        /* no complete line yet: read more and call again */
    TEXT_ERROR,         /* unknown command or wrong token count: reply "ERROR" */
    TEXT_CLIENT_ERROR,  /* malformed arguments: reply req->reply (a CLIENT_ERROR line) */
    TEXT_TOO_LONG       /* no '\n' within the line limit: close the connection */
} text_status;

/*
 * Commands. TEXT_CMD_NONE only before/after a failed parse. memcached's
 * admin commands not listed here (misbehave, extstore, ...) are unknown
 * commands: TEXT_ERROR.
 *
 * Two-word admin commands ("slabs reassign", "lru_crawler crawl") are one
 * command each; text_cmd_name gives both words.
 */
typedef enum text_cmd {
    TEXT_CMD_NONE = 0,
    TEXT_CMD_GET, TEXT_CMD_GETS, TEXT_CMD_GAT, TEXT_CMD_GATS,
    TEXT_CMD_SET, TEXT_CMD_ADD, TEXT_CMD_REPLACE, TEXT_CMD_APPEND,
    TEXT_CMD_PREPEND, TEXT_CMD_CAS,
    TEXT_CMD_DELETE, TEXT_CMD_INCR, TEXT_CMD_DECR, TEXT_CMD_TOUCH,
    TEXT_CMD_FLUSH_ALL, TEXT_CMD_VERSION, TEXT_CMD_VERBOSITY, TEXT_CMD_QUIT,
    TEXT_CMD_SHUTDOWN, TEXT_CMD_STATS, TEXT_CMD_DEBUGTIME,
    TEXT_CMD_META,      /* mg ms md ma mn me: see req->meta and req->args */
    TEXT_CMD_SLABS_REASSIGN,        /* slabs reassign <src> <dst>: src_class, dst_class */
    TEXT_CMD_SLABS_AUTOMOVE,        /* slabs automove <0|1|2> [noreply]: value */
    TEXT_CMD_LRU_CRAWLER_CRAWL,     /* lru_crawler crawl <ids|all>: args, all_classes */
    TEXT_CMD_LRU_CRAWLER_METADUMP,  /* lru_crawler metadump <ids|all|hash>: args, all_classes */
    TEXT_CMD_LRU_CRAWLER_ENABLE,    /* lru_crawler enable (no argument) */
    TEXT_CMD_LRU_CRAWLER_DISABLE,   /* lru_crawler disable (no argument) */
    TEXT_CMD_LRU_CRAWLER_SLEEP,     /* lru_crawler sleep <usec>: value (check it with
                                       text_crawler_sleep_check) */
    TEXT_CMD_LRU_CRAWLER_TOCRAWL,   /* lru_crawler tocrawl <n>: value, kept in 32 bits as
                                       memcached does (4294967297 -> 1) */
    TEXT_CMD_WATCH,                 /* watch [stream ...]: args (the daemon checks the
                                       names, after -W, as memcached does); noreply if
                                       the last token is "noreply" */
    TEXT_CMD_LRU_CRAWLER_MGDUMP,    /* lru_crawler mgdump <ids|all|hash>: args, all_classes
                                       (not in memcached 1.6.18: current memcached's) */
    TEXT_CMD_LRU,                   /* "lru": text_parse turns it into one of the three
                                       below or a TEXT_ERROR; never returned as such */
    TEXT_CMD_LRU_TUNE,              /* lru tune <pct hot> <pct warm> <hot factor> <warm
                                       factor> [...] [noreply]: lru_*; check with
                                       text_lru_tune_check */
    TEXT_CMD_LRU_MODE,              /* lru mode flat|segmented [...]: value 1 = segmented */
    TEXT_CMD_LRU_TEMP_TTL,          /* lru temp_ttl <ttl> [...]: lru_temp_ttl (< 0: no TEMP LRU) */
    TEXT_CMD_CACHE_MEMLIMIT,        /* cache_memlimit <megabytes> [noreply]: value (kept in
                                       32 bits as memcached); check with text_memlimit_check */
    TEXT_CMD__COUNT
} text_cmd;

/* Which meta command a TEXT_CMD_META line is. */
typedef enum text_meta {
    TEXT_META_NONE = 0,
    TEXT_META_GET,      /* mg */
    TEXT_META_SET,      /* ms (has a data block of req->nbytes, if parseable) */
    TEXT_META_DELETE,   /* md */
    TEXT_META_ARITH,    /* ma */
    TEXT_META_NOOP,     /* mn */
    TEXT_META_DEBUG     /* me */
} text_meta;

/*
 * Replies. The fixed ones (below TEXT_REPLY__FIXED) have a constant text,
 * available from text_reply_str(); the others are variable lines that only
 * text_parse_reply() reports (composed with the text_compose_* functions).
 */
typedef enum text_reply {
    TEXT_REPLY_NONE = 0,
    TEXT_REPLY_STORED,             /* STORED */
    TEXT_REPLY_NOT_STORED,         /* NOT_STORED */
    TEXT_REPLY_EXISTS,             /* EXISTS */
    TEXT_REPLY_NOT_FOUND,          /* NOT_FOUND */
    TEXT_REPLY_DELETED,            /* DELETED */
    TEXT_REPLY_TOUCHED,            /* TOUCHED */
    TEXT_REPLY_OK,                 /* OK */
    TEXT_REPLY_END,                /* END */
    TEXT_REPLY_ERROR,              /* ERROR */
    TEXT_REPLY_RESET,              /* RESET */
    TEXT_REPLY_CE_BAD_FORMAT,      /* CLIENT_ERROR bad command line format */
    TEXT_REPLY_CE_BAD_DATA_CHUNK,  /* CLIENT_ERROR bad data chunk */
    TEXT_REPLY_CE_INVALID_DELTA,   /* CLIENT_ERROR invalid numeric delta argument */
    TEXT_REPLY_CE_INVALID_EXPTIME, /* CLIENT_ERROR invalid exptime argument */
    TEXT_REPLY_CE_DELETE_USAGE,    /* CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply] */
    TEXT_REPLY_CE_NON_NUMERIC,     /* CLIENT_ERROR cannot increment or decrement non-numeric value */
    TEXT_REPLY_CE_FLUSH_DISABLED,  /* CLIENT_ERROR flush_all not allowed */
    TEXT_REPLY_CE_STATS_DETAIL_USAGE, /* CLIENT_ERROR usage: stats detail on|off|dump */
    TEXT_REPLY_CE_BAD_COMMAND_LINE, /* CLIENT_ERROR bad command line  (e.g. "stats cachedump 1") */
    TEXT_REPLY_CE_SHUTDOWN_MODE,   /* CLIENT_ERROR invalid shutdown mode */
    TEXT_REPLY_SE_TOO_LARGE,       /* SERVER_ERROR object too large for cache */
    TEXT_REPLY_SE_OOM_STORING,     /* SERVER_ERROR out of memory storing object */
    TEXT_REPLY_SE_OOM,             /* SERVER_ERROR out of memory */
    TEXT_REPLY_SHUTDOWN_DISABLED,  /* ERROR: shutdown not enabled */
    TEXT_REPLY_TOO_MANY_CONNS,     /* ERROR Too many open connections (then close) */
    TEXT_REPLY_REASSIGN_BUSY,      /* BUSY currently processing reassign request */
    TEXT_REPLY_REASSIGN_BADCLASS,  /* BADCLASS invalid src or dst class id */
    TEXT_REPLY_REASSIGN_NOSPARE,   /* NOSPARE source class has no spare pages */
    TEXT_REPLY_REASSIGN_SAME,      /* SAME src and dst class are identical */
    TEXT_REPLY_CE_REASSIGN_DISABLED, /* CLIENT_ERROR slab reassignment disabled */
    TEXT_REPLY_CRAWLER_BADCLASS,   /* BADCLASS invalid class id  (lru_crawler crawl|metadump) */
    TEXT_REPLY_CE_CRAWLER_DISABLED, /* CLIENT_ERROR lru crawler disabled */
    TEXT_REPLY_CRAWLER_NOTSTARTED, /* NOTSTARTED no items to crawl */
    TEXT_REPLY_CRAWLER_UNKNOWN,    /* ERROR an unknown error happened  ("lru_crawler crawl hash") */
    TEXT_REPLY__FIXED,             /* marker: number of fixed replies */
    /* Variable replies (reported by text_parse_reply only): */
    TEXT_REPLY_VALUE,              /* VALUE <key> <flags> <bytes>[ <cas>] + data block */
    TEXT_REPLY_NUMBER,             /* <decimal>  (incr/decr result) */
    TEXT_REPLY_STAT,               /* STAT <name> <value> */
    TEXT_REPLY_VERSION,            /* VERSION <string> */
    TEXT_REPLY_CLIENT_ERROR,       /* CLIENT_ERROR <other message> */
    TEXT_REPLY_SERVER_ERROR,       /* SERVER_ERROR <other message> */
    TEXT_REPLY_OTHER               /* any other line (e.g. meta replies "HD", "EN") */
} text_reply;

/*
 * One parsed request line. Filled by text_parse; fields that a command
 * does not use are zero / empty. All text_str fields are views into the
 * buffer given to text_parse (see "Views" above).
 *
 * Zero-initialise a text_request once (e.g. = {0}) before its first use;
 * after that just keep passing it to text_parse: it resets itself, and on
 * TEXT_EAGAIN it remembers how far it already scanned so that a long line
 * arriving in pieces is scanned only once. The buffer given to the next
 * call must start at the same line start (appending bytes is fine; moving
 * the unconsumed bytes to the buffer start is fine too).
 */
typedef struct text_request {
    text_cmd cmd;        /* the command; also set on TEXT_CLIENT_ERROR (NONE on TEXT_ERROR) */
    text_meta meta;      /* set for every complete mg/ms/md/ma/mn/me line, whatever the
                            status: then use meta_parse (proto/meta.h) */
    size_t line_len;     /* bytes the line took, incl. "\r\n" or "\n" (also on errors) */

    text_str key;        /* storage, delete, incr, decr, touch; get*: the first key */
    text_str keys;       /* get/gets/gat/gats: the whole key list; walk it with text_next_key */
    size_t nkeys;        /* get*: how many keys (all validated, each 1..TEXT_KEY_MAX bytes).
                            >= 1 for get/gets; may be 0 for gat/gats ("gat 10" answers END) */

    uint32_t flags;      /* storage: client flags. memcached 1.6.18 reads a 64-bit number
                            and keeps its low 32 bits (4294967297 -> 1); so do we */
    int64_t exptime;     /* storage, touch, gat/gats: exptime; flush_all: delay (0 if absent).
                            Read as a signed 64-bit number, kept as memcached's 32-bit
                            value (4294967296 -> 0): always within INT32_MIN..INT32_MAX */
    uint64_t nbytes;     /* storage (and ms): length of the data block that FOLLOWS the line;
                            the block is nbytes + 2 bytes ("\r\n" must end it).
                            0 .. INT32_MAX - 2 (memcached's bounds) */
    uint64_t cas;        /* cas: the compare-and-swap unique */
    uint64_t delta;      /* incr/decr: the amount */
    uint64_t value;      /* verbosity: level; debugtime: first argument if it is a number */
    bool has_value;      /* verbosity, debugtime: value is set; flush_all: a delay was given */
    bool noreply;        /* "noreply" was the last token (where memcached takes it) */
    bool graceful;       /* shutdown: "shutdown graceful" */
    int64_t src_class;   /* slabs reassign: source class id (as sent: -1, 0, 99 ... the
                            daemon checks the range) within INT32_MIN..INT32_MAX */
    int64_t dst_class;   /* slabs reassign: destination class id (same rules) */
    bool all_classes;    /* lru_crawler crawl|metadump: "all" (or "hash" for metadump);
                            else args is the class list: check it with
                            text_class_list_check, walk it with text_next_class */

    text_str args;       /* stats: the arguments, trimmed (may be empty; e.g. "settings",
                            "detail on", "cachedump 1 10": split with text_next_token);
                            shutdown, debugtime, meta, watch: all after the command, trimmed;
                            lru_crawler crawl|metadump: the class list token */

    /* lru tune (memcached's types: 32-bit pcts, doubles) and lru temp_ttl (signed 32 bits) */
    uint32_t lru_hot_pct, lru_warm_pct;
    double lru_hot_factor, lru_warm_factor;
    int32_t lru_temp_ttl;

    /* Errors (TEXT_ERROR / TEXT_CLIENT_ERROR): what to answer and what to skip. */
    text_reply reply;    /* TEXT_REPLY_ERROR or a TEXT_REPLY_CE_* code (and for TEXT_CMD_META,
                            the stub answer TEXT_REPLY_ERROR even on TEXT_OK) */
    uint64_t swallow;    /* bytes after the line to discard: ms's data block; else 0 */

    /* Private resume state; do not touch. */
    size_t scanned_;
    text_str next_;      /* text_next_key cursor */
    bool dirty_;         /* a field outside the fast path's set may be non-zero */
} text_request;

/*
 * Parses ONE command line from the start of buf[0..len).
 *
 * Returns TEXT_EAGAIN if buf holds no '\n' yet and the line limit is not
 * exceeded (nothing in req but the resume state is meaningful). Returns
 * TEXT_TOO_LONG if there is no '\n' within TEXT_LINE_MAX bytes, or within
 * TEXT_GET_LINE_MAX bytes for a line that starts with get/gets/gat/gats:
 * the caller closes the connection. Otherwise the line is complete,
 * req->line_len is set and the result is TEXT_OK (req->cmd and its fields
 * filled), TEXT_ERROR (unknown command or wrong number of arguments;
 * req->reply == TEXT_REPLY_ERROR) or TEXT_CLIENT_ERROR (req->reply is the
 * CLIENT_ERROR reply memcached gives for that mistake; req->swallow tells
 * how many following bytes to discard).
 *
 * A TEXT_TOO_LONG check happens only while the '\n' is missing: a longer
 * line that arrived whole is parsed (as memcached, which checks its buffer
 * the same way). Tokens are split on ' ' only. Like memcached (which reads
 * the line as a C string), a NUL byte ends the line's content early.
 *
 * Never reads past buf[len-1], never writes anything but *req, never
 * allocates. buf may contain any bytes (NULs included).
 */
text_status text_parse(const char *buf, size_t len, text_request *req);

/*
 * For get/gets/gat/gats requests: stores the next key of req->keys in *key
 * and returns true; returns false when all keys were returned. The first
 * call after text_parse returns the first key (== req->key). Keys are
 * views into the parse buffer (same lifetime).
 */
bool text_next_key(text_request *req, text_str *key);

/* Restarts text_next_key from the first key. */
void text_rewind_keys(text_request *req);

/*
 * Generic tokenizer (e.g. for the daemon to split req->args of stats):
 * skips spaces at the front of *rest, stores the next space-delimited token
 * in *tok, advances *rest past it and returns true; returns false (and an
 * empty *tok) when only spaces remain.
 */
bool text_next_token(text_str *rest, text_str *tok);

/* Highest class id that lru_crawler crawl|metadump accept (memcached's limit). */
#define TEXT_CLASS_ID_MAX 63

/*
 * lru_crawler crawl|metadump: checks the class list of req (memcached's
 * rules: "all"; "hash" for metadump; else ids 1..TEXT_CLASS_ID_MAX joined by
 * ',', empty pieces skipped). Returns TEXT_REPLY_NONE if it is usable, else
 * the reply: TEXT_REPLY_CRAWLER_BADCLASS (a piece is not such a number),
 * TEXT_REPLY_CRAWLER_NOTSTARTED (no id at all, e.g. ","),
 * TEXT_REPLY_CRAWLER_UNKNOWN ("crawl hash"). The daemon checks that the
 * crawler is enabled before calling this, as memcached does.
 */
text_reply text_class_list_check(const text_request *req);

/*
 * Walks a list that text_class_list_check accepted (not all_classes):
 * start with *rest = req->args; stores the next id in *id and returns
 * true, false when the list is used up.
 */
bool text_next_class(text_str *rest, uint64_t *id);

/* True if tok equals the NUL-terminated word (e.g. text_str_eq(tok, "on")). */
bool text_str_eq(text_str tok, const char *word);

/* True for commands followed by a data block (set add replace append prepend cas). */
bool text_cmd_has_data(text_cmd cmd);

/* The command's name as sent on the wire ("get", "flush_all", ...); "" for NONE/META. */
const char *text_cmd_name(text_cmd cmd);

/*
 * True iff data[nbytes] == '\r' and data[nbytes+1] == '\n'; the caller
 * guarantees nbytes + 2 readable bytes. If false, the daemon does not store
 * the item (an old item under the key stays) and answers
 * TEXT_REPLY_CE_BAD_DATA_CHUNK (unless noreply); the nbytes + 2 bytes are
 * consumed all the same: the next command starts right after them
 * ("set k 0 0 5\r\nhelloXXget k\r\n" runs the get), as memcached 1.6.18.
 */
bool text_data_block_ok(const char *data, size_t nbytes);

/*
 * True if the daemon must not send the reply for this request: memcached
 * drops every reply, errors included, of a request that ended in
 * "noreply" (noreply is detected before the arguments are validated).
 */
bool text_reply_suppressed(const text_request *req);

/* ---- Composing replies (server side) --------------------------------- */
/*
 * All text_compose_* functions write into buf[0..cap) and return the number
 * of bytes written. If the whole line does not fit they write nothing useful
 * and return 0 (never a partial line, never past cap). No NUL is appended.
 */

/* The full text of a fixed reply, incl. "\r\n" (static storage); "" if r is not fixed. */
const char *text_reply_str(text_reply r);
/* strlen(text_reply_str(r)). */
size_t text_reply_len(text_reply r);
/*
 * Fixed replies of the runtime crawler controls, kept apart from text_reply
 * (whose fixed set other code counts). memcached 1.6.18's texts.
 */
typedef enum text_admin_reply {
    TEXT_ADMIN_REPLY_NONE = 0,
    TEXT_ADMIN_REPLY_CRAWLER_START_FAILED, /* ERROR failed to start lru crawler thread
                                              (lru_crawler enable while it runs) */
    TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP,     /* CLIENT_ERROR sleep must be one second or less */
    TEXT_ADMIN_REPLY_LRU_PCTS,             /* ERROR hot and warm pcts must not exceed 80 */
    TEXT_ADMIN_REPLY_LRU_FACTORS,          /* ERROR hot/warm age factors must be greater than 0 */
    TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL,   /* MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m */
    TEXT_ADMIN_REPLY_MEMLIMIT_UNITS,       /* MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes */
    TEXT_ADMIN_REPLY_MEMLIMIT_FAILED,      /* MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust */
    TEXT_ADMIN_REPLY_CE_CACHEDUMP_DISABLED, /* CLIENT_ERROR stats cachedump not allowed (-X) */
    TEXT_ADMIN_REPLY_CE_ILLEGAL_SLAB_ID,   /* CLIENT_ERROR Illegal slab id */
    TEXT_ADMIN_REPLY_METADUMP_DISABLED,    /* ERROR metadump not allowed (-X) */
    TEXT_ADMIN_REPLY_MGDUMP_DISABLED,      /* ERROR mgdump not allowed (-X; cashew's wording) */
    TEXT_ADMIN_REPLY_EN,                   /* EN  (ends an mgdump) */
    TEXT_ADMIN_REPLY__COUNT
} text_admin_reply;

/* The full text of r, incl. "\r\n" (static storage); "" for NONE or out of range. */
const char *text_admin_reply_str(text_admin_reply r);
/* strlen(text_admin_reply_str(r)). */
size_t text_admin_reply_len(text_admin_reply r);

/* Longest pause `lru_crawler sleep` accepts, in microseconds (one second). */
#define TEXT_CRAWLER_SLEEP_MAX 1000000

/*
 * lru_crawler sleep: memcached parses the number first (bad number:
 * TEXT_CLIENT_ERROR from text_parse) and then refuses pauses above
 * TEXT_CRAWLER_SLEEP_MAX. For a TEXT_OK sleep request returns
 * TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP if req->value is too large, else
 * TEXT_ADMIN_REPLY_NONE (apply req->value). Pure.
 */
text_admin_reply text_crawler_sleep_check(const text_request *req);

/*
 * lru tune: memcached checks the pcts first ((uint32)(hot + warm) > 80,
 * wrapping as its 32-bit sum does), then the factors (<= 0; NaN passes).
 * For a TEXT_OK tune request returns TEXT_ADMIN_REPLY_LRU_PCTS,
 * TEXT_ADMIN_REPLY_LRU_FACTORS, or NONE (apply the four values). Pure.
 */
text_admin_reply text_lru_tune_check(const text_request *req);

#define TEXT_MEMLIMIT_MIN_MB 8            /* cache_memlimit's smallest value */
#define TEXT_MEMLIMIT_MAX_MB 1000000000u  /* above: "megabytes not bytes" */

/*
 * cache_memlimit: for a TEXT_OK request returns
 * TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL (below TEXT_MEMLIMIT_MIN_MB),
 * TEXT_ADMIN_REPLY_MEMLIMIT_UNITS (above TEXT_MEMLIMIT_MAX_MB) or NONE:
 * then set the limit to req->value megabytes (OK), or answer
 * TEXT_ADMIN_REPLY_MEMLIMIT_FAILED if that cannot be done. Pure.
 */
text_admin_reply text_memlimit_check(const text_request *req);

/*
 * stats cachedump <class> <limit>: reads the two numbers from `rest` (the
 * stats arguments after "cachedump"; more tokens are ignored) as memcached
 * does (unsigned, kept in 32 bits). Returns TEXT_REPLY_NONE with *id and
 * *limit set, TEXT_REPLY_CE_BAD_COMMAND_LINE if a number is missing, or
 * TEXT_REPLY_CE_BAD_FORMAT if one is not a number. The class range (and
 * -X) are the daemon's: memcached refuses ids of 64 and above with
 * TEXT_ADMIN_REPLY_CE_ILLEGAL_SLAB_ID. Pure.
 */
text_reply text_cachedump_args(text_str rest, uint32_t *id, uint32_t *limit);

/* Longest cachedump line (key of TEXT_KEY_MAX bytes), and memcached's cap on a whole dump. */
#define TEXT_CACHEDUMP_LINE_MAX (TEXT_KEY_MAX + 64)
#define TEXT_CACHEDUMP_BYTES_MAX (2u << 20)

/*
 * "ITEM <key> [<nbytes> b; <exptime> s]\r\n": one line of stats cachedump
 * (exptime: unix time, 0 = never). The key is written up to its first NUL
 * byte, as memcached copies it as a C string.
 */
size_t text_compose_cachedump_item(char *buf, size_t cap, text_str key, uint64_t nbytes,
                                   int64_t exptime);

/* Longest mgdump line: "mg " + base64 of a TEXT_KEY_MAX-byte key + " b\r\n". */
#define TEXT_MGDUMP_LINE_MAX (3 + 4 * ((TEXT_KEY_MAX + 2) / 3) + 4)

/*
 * "mg <key>\r\n", or "mg <base64 of key> b\r\n" for a key that was sent
 * base64-encoded (binary): one line of lru_crawler mgdump.
 */
size_t text_compose_mgdump_item(char *buf, size_t cap, text_str key, bool binary);

/* "\r\n", the line and data block terminator (static storage; 2 bytes). */
const char *text_crlf(void);
#define TEXT_CRLF_LEN 2

/* A VALUE header is at most key.len + TEXT_VALUE_OVERHEAD bytes long. */
#define TEXT_VALUE_OVERHEAD 64

/* Copies a fixed reply into buf. */
size_t text_compose_reply(char *buf, size_t cap, text_reply r);

/* "VALUE <key> <flags> <nbytes>\r\n", or with " <cas>" when with_cas (gets/gats). */
size_t text_compose_value(char *buf, size_t cap, text_str key, uint32_t flags,
                          uint64_t nbytes, bool with_cas, uint64_t cas);
/* "<number>\r\n": the incr/decr result. */
size_t text_compose_number(char *buf, size_t cap, uint64_t number);
/* "VERSION <version>\r\n". */
size_t text_compose_version(char *buf, size_t cap, const char *version);
/* "CLIENT_ERROR <msg>\r\n" / "SERVER_ERROR <msg>\r\n" for messages without a fixed code. */
size_t text_compose_client_error(char *buf, size_t cap, const char *msg);
size_t text_compose_server_error(char *buf, size_t cap, const char *msg);

/* "STAT <name> <value>\r\n" with the value as a decimal u64 / i64 / string. */
size_t text_compose_stat_u64(char *buf, size_t cap, const char *name, uint64_t value);
size_t text_compose_stat_i64(char *buf, size_t cap, const char *name, int64_t value);
size_t text_compose_stat_str(char *buf, size_t cap, const char *name, const char *value);
/* "STAT <name> <seconds>.<micros>\r\n", e.g. rusage_user 0.123456 (6 decimals, as memcached). */
size_t text_compose_stat_timeval(char *buf, size_t cap, const char *name,
                                 int64_t seconds, int64_t micros);
/* "STAT <name> <value>\r\n" with value printed like printf("%.2f"), as memcached's ratios. */
size_t text_compose_stat_double(char *buf, size_t cap, const char *name, double value);
/* One item of `lru_crawler metadump` (filled by the daemon from the engine). */
typedef struct text_metadump_item {
    text_str key;        /* raw key bytes: written URL-encoded (RFC 3986 unreserved kept) */
    int64_t exptime;     /* unix time; <= 0 is written as -1 (never expires) */
    int64_t last_access; /* unix time */
    uint64_t cas;
    bool fetched;
    unsigned class_id;
    uint64_t size;       /* bytes the item takes */
} text_metadump_item;

/* Longest metadump line for a key of TEXT_KEY_MAX bytes (each byte may take 3). */
#define TEXT_METADUMP_LINE_MAX (3 * TEXT_KEY_MAX + 160)

/*
 * "key=<key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<id> size=<size>\n"
 * (memcached ends these lines with "\n" only; END\r\n closes the dump).
 */
size_t text_compose_metadump(char *buf, size_t cap, const text_metadump_item *m);

/* "STAT items:<slab class>:<name> <value>\r\n" / "STAT <slab class>:<name> <value>\r\n". */
size_t text_compose_stat_prefixed_u64(char *buf, size_t cap, const char *prefix,
                                      unsigned id, const char *name, uint64_t value);

/*
 * "PREFIX <prefix> get <gets> hit <hits> set <sets> del <deletes>\r\n": one
 * line of `stats detail dump` (prefix bytes written as they are; may be empty).
 */
size_t text_compose_detail_prefix(char *buf, size_t cap, text_str prefix, uint64_t gets,
                                  uint64_t hits, uint64_t sets, uint64_t deletes);

/* ---- Composing requests (client side: tests, bench/) ----------------- */

/*
 * Composes the request line for req->cmd from the fields text_parse fills
 * (keys of get* from req->keys as a space separated list; args for stats,
 * shutdown, debugtime and meta). Storage commands get the line only: the
 * caller appends nbytes of data and "\r\n" (or use text_compose_store).
 * Returns bytes written, 0 if it does not fit or req->cmd is NONE.
 * text_parse(buf, n, &r) of the result gives back the same fields.
 */
size_t text_compose_request(char *buf, size_t cap, const text_request *req);

/* "get|gets <k1> <k2> ...\r\n" from an array of keys (cmd: GET or GETS). */
size_t text_compose_get(char *buf, size_t cap, text_cmd cmd,
                        const text_str *keys, size_t nkeys);
/* "gat|gats <exptime> <k1> ...\r\n" (cmd: GAT or GATS). */
size_t text_compose_gat(char *buf, size_t cap, text_cmd cmd, int64_t exptime,
                        const text_str *keys, size_t nkeys);
/* A whole storage request: line, data, "\r\n". cas is used for TEXT_CMD_CAS only. */
size_t text_compose_store(char *buf, size_t cap, text_cmd cmd, text_str key,
                          uint32_t flags, int64_t exptime, const void *data,
                          size_t nbytes, uint64_t cas, bool noreply);
/* "delete <key>[ noreply]\r\n". */
size_t text_compose_delete(char *buf, size_t cap, text_str key, bool noreply);
/* "incr|decr <key> <delta>[ noreply]\r\n" (cmd: INCR or DECR). */
size_t text_compose_arith(char *buf, size_t cap, text_cmd cmd, text_str key,
                          uint64_t delta, bool noreply);
/* "touch <key> <exptime>[ noreply]\r\n". */
size_t text_compose_touch(char *buf, size_t cap, text_str key, int64_t exptime,
                          bool noreply);

/* ---- Parsing replies (client side) ----------------------------------- */

typedef struct text_reply_msg {
    text_reply code;     /* a fixed code if the line is a fixed reply, else a variable kind */
    size_t len;          /* bytes taken, incl. "\r\n" (for VALUE: header + data + "\r\n") */
    text_str key;        /* VALUE */
    uint32_t flags;      /* VALUE */
    uint64_t nbytes;     /* VALUE */
    bool has_cas;        /* VALUE: a cas field was present */
    uint64_t cas;        /* VALUE */
    text_str data;       /* VALUE: the data block (without its "\r\n") */
    uint64_t number;     /* NUMBER */
    text_str name;       /* STAT: name */
    text_str text;       /* STAT: value; VERSION: version; CLIENT/SERVER_ERROR: message;
                            OTHER: the whole line without its terminator */
} text_reply_msg;

/*
 * Parses one reply from the start of buf[0..len). Returns TEXT_EAGAIN until
 * the whole reply is present (for VALUE: the header line, the data block and
 * its "\r\n"); TEXT_OK with *msg filled; TEXT_CLIENT_ERROR if a VALUE header
 * is malformed or its data block does not end in "\r\n" (the stream is
 * unusable then). Pure: call again from the same start with more bytes.
 * Views in *msg point into buf.
 */
text_status text_parse_reply(const char *buf, size_t len, text_reply_msg *msg);

#endif
