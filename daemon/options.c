/*
 * daemon/options.c -- the option table and everything generated from it:
 * getopt_long parsing, -o sub-options, the -h text and `stats settings`.
 */
#include "config.h"

#include "daemon/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/logger.h"

/* Where a row lives. */
typedef enum options_where {
    OPTIONS_FLAG,    /* a command-line flag (short and/or long) */
    OPTIONS_EXT,     /* a -o sub-option cashew implements */
    OPTIONS_IGNORED, /* a memcached -o sub-option accepted and ignored ("x*" = prefix) */
    OPTIONS_STAT     /* a `stats settings` line only */
} options_where;

/* How a row's argument is read. */
typedef enum options_arg {
    OPTIONS_A_NONE,    /* no value (STAT and IGNORED rows) */
    OPTIONS_A_BOOL,    /* yes/no, 1/0, on/off, true/false */
    OPTIONS_A_COUNT,   /* each occurrence adds one (-v) */
    OPTIONS_A_INT,     /* decimal integer within [min, max] */
    OPTIONS_A_MEGS,    /* megabytes, or a number with a k/m/g suffix (-m) */
    OPTIONS_A_BYTES,   /* bytes, or a number with a k/m/g suffix (-I) */
    OPTIONS_A_REAL,    /* decimal number within (or [) min, max] */
    OPTIONS_A_OCTAL,   /* octal integer within [min, max] */
    OPTIONS_A_STR,     /* any non-empty string */
    OPTIONS_A_LIST,    /* non-empty comma list; a repeated flag appends (-l) */
    OPTIONS_A_SIZES,   /* ascending list "a-b-c" of chunk sizes (slab_sizes) */
    OPTIONS_A_EXT,     /* comma-separated -o sub-options */
    OPTIONS_A_HELP,    /* -h */
    OPTIONS_A_VERSION  /* -V */
} options_arg;

/* How a row's `stats settings` value (and -h default) is printed. */
typedef enum options_fmt {
    OPTIONS_F_VALUE,  /* numbers as memcached prints them, strings or "NULL" */
    OPTIONS_F_YESNO,  /* "yes" if the field is true / non-zero */
    OPTIONS_F_NOYES,  /* "yes" if the field is false / zero */
    OPTIONS_F_ONOFF,  /* "on" if true */
    OPTIONS_F_OCTAL,  /* %o */
    OPTIONS_F_FIXED   /* the row's `fixed` text */
} options_fmt;

/* The C type of the field a row sets (found with _Generic). */
typedef enum options_ftype {
    OPTIONS_T_NONE, OPTIONS_T_INT, OPTIONS_T_UINT, OPTIONS_T_SIZE,
    OPTIONS_T_DOUBLE, OPTIONS_T_BOOL, OPTIONS_T_STR
} options_ftype;

typedef struct options_row {
    options_where where;
    int flag;             /* short flag letter, 0 = long form only */
    const char *name;     /* long flag, -o sub-option, or NULL */
    options_arg arg;
    const char *metavar;  /* shown in -h, e.g. "<num>" */
    size_t off;           /* field offset in `options` */
    options_ftype ftype;  /* OPTIONS_T_NONE: no field */
    double min, max;      /* accepted range of numbers */
    bool min_open;        /* the value must be > min (not >=) */
    const char *dflt;     /* default, as an argument; NULL = the engine's / zero */
    const char *bare;     /* value when given without one (flags: no argument) */
    const char *no;       /* -o: value of the no_NAME form, NULL = no such form */
    const char *setting;  /* `stats settings` name, or NULL */
    options_fmt fmt;
    const char *fixed;    /* OPTIONS_F_FIXED text */
    const char *help;     /* -h text; NULL = not listed */
} options_row;

#define OPTIONS_FIELD(m)                                                       \
    .off = offsetof(options, m),                                               \
    .ftype = _Generic(((options *)0)->m, int: OPTIONS_T_INT,                   \
                      unsigned: OPTIONS_T_UINT, size_t: OPTIONS_T_SIZE,        \
                      double: OPTIONS_T_DOUBLE, bool: OPTIONS_T_BOOL,          \
                      const char *: OPTIONS_T_STR)

#define OPTIONS_IGNORE(n) {.where = OPTIONS_IGNORED, .name = n}

#define OPTIONS_MB (1024.0 * 1024.0)
#define OPTIONS_GB (1024.0 * OPTIONS_MB)

/*
 * THE option table. Flags come in memcached's -h order, then the -o
 * sub-options, then settings that only `stats settings` shows. `stats
 * settings` lists every row with a setting name, in table order. -o rows
 * never take OPTIONS_A_STR: their value points into a token buffer that is
 * freed after parsing.
 */
static const options_row options_table[] = {
    {OPTIONS_FLAG, 'p', "port", OPTIONS_A_INT, "<num>", OPTIONS_FIELD(server.tcp_port),
     .max = 65535, .dflt = "11211", .setting = "tcpport",
     .help = "TCP port to listen on, 0 = off"},
    {OPTIONS_FLAG, 'U', "udp-port", OPTIONS_A_INT, "<num>", OPTIONS_FIELD(server.udp_port),
     .max = 65535, .dflt = "0", .setting = "udpport",
     .help = "UDP port to listen on, 0 = off"},
    {OPTIONS_FLAG, 's', "unix-socket", OPTIONS_A_STR, "<file>",
     OPTIONS_FIELD(server.unix_socket), .setting = "domain_socket",
     .help = "UNIX socket to listen on (disables TCP and UDP)"},
    {OPTIONS_FLAG, 'a', "unix-mask", OPTIONS_A_OCTAL, "<mask>",
     OPTIONS_FIELD(server.unix_mask), .max = 0777, .dflt = "700", .setting = "umask",
     .fmt = OPTIONS_F_OCTAL, .help = "access mask for the UNIX socket, in octal"},
    {OPTIONS_FLAG, 'A', "enable-shutdown", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(server.allow_shutdown), .bare = "yes", .setting = "shutdown_command",
     .fmt = OPTIONS_F_YESNO, .help = "enable the ascii \"shutdown\" command"},
    {OPTIONS_FLAG, 'l', "listen", OPTIONS_A_LIST, "<addr>", OPTIONS_FIELD(server.listen),
     .dflt = "127.0.0.1", .setting = "inter",
     .help = "comma-separated addresses to listen on, each optionally\n"
             "with :port; * = every interface. Unlike memcached, which\n"
             "listens on every interface, cashew defaults to localhost"},
    {OPTIONS_FLAG, 'd', "daemon", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(daemonize),
     .bare = "yes", .help = "run as a daemon"},
    {OPTIONS_FLAG, 'r', "enable-coredumps", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(coredumps),
     .bare = "yes", .help = "maximize the core file size limit"},
    {OPTIONS_FLAG, 'u', "user", OPTIONS_A_STR, "<user>", OPTIONS_FIELD(user),
     .help = "become <user> (required, and only used, when started as root)"},
    {OPTIONS_FLAG, 'm', "memory-limit", OPTIONS_A_MEGS, "<num>",
     OPTIONS_FIELD(cache.memory_limit), .min = OPTIONS_MB, .max = 65536 * OPTIONS_GB,
     .setting = "maxbytes",
     .help = "item memory in megabytes; a k, m or g suffix gives other units"},
    {OPTIONS_FLAG, 'M', "disable-evictions", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(cache.evict_to_free), .bare = "no", .setting = "evictions",
     .fmt = OPTIONS_F_ONOFF, .help = "return an error when memory is full instead of evicting"},
    {OPTIONS_FLAG, 'c', "conn-limit", OPTIONS_A_INT, "<num>", OPTIONS_FIELD(server.max_conns),
     .min = 1, .max = 1048576, .dflt = "1024", .setting = "maxconns",
     .help = "max simultaneous connections"},
    {OPTIONS_FLAG, 'v', "verbose", OPTIONS_A_COUNT, NULL, OPTIONS_FIELD(server.verbose),
     .bare = "1", .setting = "verbosity",
     .help = "verbose: errors and warnings; -vv also client commands\n"
             "and responses; -vvv also internal state transitions"},
    {OPTIONS_FLAG, 'h', "help", OPTIONS_A_HELP, NULL, .bare = "yes",
     .help = "print this help and exit"},
    {OPTIONS_FLAG, 'V', "version", OPTIONS_A_VERSION, NULL, .bare = "yes",
     .help = "print the version and exit"},
    {OPTIONS_FLAG, 'P', "pidfile", OPTIONS_A_STR, "<file>", OPTIONS_FIELD(pidfile),
     .help = "write the daemon's pid to <file> (removed at exit)"},
    {OPTIONS_FLAG, 'f', "slab-growth-factor", OPTIONS_A_REAL, "<num>",
     OPTIONS_FIELD(cache.growth_factor), .min = 1, .min_open = true, .max = 100,
     .setting = "growth_factor", .help = "chunk size growth factor, > 1"},
    {OPTIONS_FLAG, 'n', "slab-min-size", OPTIONS_A_BYTES, "<bytes>",
     OPTIONS_FIELD(cache.chunk_min), .min = 1, .max = 1048576, .setting = "chunk_size",
     .help = "min space used for key+value+flags"},
    {OPTIONS_FLAG, 't', "threads", OPTIONS_A_INT, "<num>", OPTIONS_FIELD(server.threads),
     .min = 1, .max = 256, .dflt = "4", .setting = "num_threads",
     .help = "number of worker threads"},
    {OPTIONS_STAT, .setting = "num_threads_per_udp", OPTIONS_FIELD(server.threads)},
    {OPTIONS_FLAG, 'R', "max-reqs-per-event", OPTIONS_A_INT, "<num>",
     OPTIONS_FIELD(server.reqs_per_event), .min = 1, .max = 1000000, .dflt = "20",
     .setting = "reqs_per_event",
     .help = "requests served per connection before others get a turn"},
    {OPTIONS_FLAG, 'C', "disable-cas", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(cache.use_cas),
     .bare = "no", .setting = "cas_enabled", .fmt = OPTIONS_F_YESNO,
     .help = "disable use of CAS"},
    {OPTIONS_FLAG, 'b', "listen-backlog", OPTIONS_A_INT, "<num>",
     OPTIONS_FIELD(server.backlog), .max = 1048576, .dflt = "1024", .setting = "tcp_backlog",
     .help = "set the backlog queue limit"},
    {OPTIONS_FLAG, 'I', "max-item-size", OPTIONS_A_BYTES, "<num>",
     OPTIONS_FIELD(cache.item_size_max), .min = 1024, .max = OPTIONS_GB,
     .setting = "item_size_max",
     .help = "max item size: bytes, or with a k, m or g suffix\n"
             "(min: 1k, max: 1g)"},
    {OPTIONS_FLAG, 'F', "disable-flush-all", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(server.disable_flush_all), .bare = "yes", .setting = "flush_enabled",
     .fmt = OPTIONS_F_NOYES, .help = "disable the flush_all command"},
    {OPTIONS_FLAG, 'X', "disable-dumping", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(disable_dumping), .bare = "yes", .setting = "dump_enabled",
     .fmt = OPTIONS_F_NOYES,
     .help = "disable stats cachedump, lru_crawler metadump and mgdump"},
    {OPTIONS_FLAG, 'W', "disable-watch", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(server.disable_watch), .bare = "yes",
     .help = "disable watch commands (live logging)"},
    {OPTIONS_FLAG, 'D', "prefix-delimiter", OPTIONS_A_STR, "<char>",
     OPTIONS_FIELD(prefix_delimiter),
     .help = "use <char> as the delimiter between key prefixes and IDs in the "
             "per-prefix stats (stats detail), and turn them on (default ':')"},
    {OPTIONS_FLAG, 'o', "extended", OPTIONS_A_EXT, "<opts>",
     .help = "comma-separated list of the extended options below"},

    {OPTIONS_EXT, 0, "hashpower", OPTIONS_A_INT, "<num>", OPTIONS_FIELD(cache.hashpower),
     .min = 10, .max = 32, .setting = "hashpower_init",
     .help = "log2 of the initial hash table size; it grows at run time"},
    {OPTIONS_EXT, 0, "slab_reassign", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(cache.slab_reassign),
     .bare = "yes", .no = "no", .setting = "slab_reassign", .fmt = OPTIONS_F_YESNO,
     .help = "let slab pages move between classes"},
    {OPTIONS_EXT, 0, "slab_automove", OPTIONS_A_INT, "<0|1|2>",
     OPTIONS_FIELD(cache.slab_automove), .max = 2, .bare = "1", .no = "0",
     .setting = "slab_automove",
     .help = "0 = never move pages by itself, 1 = move idle pages\n"
             "slowly, 2 = move them on every eviction (aggressive)"},
    {OPTIONS_EXT, 0, "slab_chunk_max", OPTIONS_A_BYTES, "<bytes>",
     OPTIONS_FIELD(cache.slab_chunk_max), .min = 1, .max = OPTIONS_GB,
     .setting = "slab_chunk_max",
     .help = "largest slab chunk, in bytes (k/m suffixes accepted);\n"
             "bigger items are chained. Use with care"},
    {OPTIONS_EXT, 0, "slab_sizes", OPTIONS_A_SIZES, "<a-b-c>",
     .help = "explicit ascending chunk sizes instead of -f and -n"},
    {OPTIONS_EXT, 0, "lru_crawler", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(cache.lru_crawler),
     .bare = "yes", .no = "no", .setting = "lru_crawler", .fmt = OPTIONS_F_YESNO,
     .help = "run the background thread that reclaims expired items"},
    {OPTIONS_EXT, 0, "lru_crawler_sleep", OPTIONS_A_INT, "<usec>",
     OPTIONS_FIELD(cache.lru_crawler_sleep), .max = 1000000, .setting = "lru_crawler_sleep",
     .help = "microseconds the crawler sleeps between batches"},
    {OPTIONS_EXT, 0, "lru_crawler_tocrawl", OPTIONS_A_INT, "<num>",
     OPTIONS_FIELD(cache.lru_crawler_tocrawl), .max = 4294967295.0,
     .setting = "lru_crawler_tocrawl", .help = "max items crawled per class per run, 0 = all"},
    {OPTIONS_EXT, 0, "lru_maintainer", OPTIONS_A_BOOL, NULL,
     OPTIONS_FIELD(cache.lru_maintainer), .bare = "yes", .no = "no",
     .setting = "lru_maintainer_thread", .fmt = OPTIONS_F_YESNO,
     .help = "run the background thread that keeps the HOT/WARM/COLD\n"
             "LRU segments balanced"},
    {OPTIONS_STAT, .setting = "lru_segmented", OPTIONS_FIELD(cache.lru_maintainer),
     .fmt = OPTIONS_F_YESNO},
    {OPTIONS_EXT, 0, "hot_lru_pct", OPTIONS_A_INT, "<pct>", OPTIONS_FIELD(cache.hot_lru_pct),
     .min = 1, .max = 80, .setting = "hot_lru_pct",
     .help = "share of a class's memory kept in the HOT LRU"},
    {OPTIONS_EXT, 0, "warm_lru_pct", OPTIONS_A_INT, "<pct>", OPTIONS_FIELD(cache.warm_lru_pct),
     .min = 1, .max = 80, .setting = "warm_lru_pct",
     .help = "share of a class's memory kept in the WARM LRU"},
    {OPTIONS_EXT, 0, "hot_max_factor", OPTIONS_A_REAL, "<num>",
     OPTIONS_FIELD(cache.hot_max_factor), .min_open = true, .max = 1000,
     .setting = "hot_max_factor",
     .help = "items idle longer than COLD's age times this leave HOT"},
    {OPTIONS_EXT, 0, "warm_max_factor", OPTIONS_A_REAL, "<num>",
     OPTIONS_FIELD(cache.warm_max_factor), .min_open = true, .max = 1000,
     .setting = "warm_max_factor",
     .help = "items idle longer than COLD's age times this leave WARM"},
    {OPTIONS_STAT, .setting = "temp_lru", OPTIONS_FIELD(cache.temporary_ttl),
     .fmt = OPTIONS_F_YESNO},
    {OPTIONS_EXT, 0, "temporary_ttl", OPTIONS_A_INT, "<sec>",
     OPTIONS_FIELD(cache.temporary_ttl), .max = 2592000, .setting = "temporary_ttl",
     .help = "items with a TTL below this go to a TEMP LRU and are never\n"
             "evicted (needs lru_maintainer; 0 = no TEMP LRU)"},
    {OPTIONS_EXT, 0, "idle_timeout", OPTIONS_A_INT, "<sec>", OPTIONS_FIELD(server.idle_timeout),
     .max = 2147483647.0, .dflt = "0", .setting = "idle_timeout",
     .help = "close connections idle this long, 0 = never"},

    OPTIONS_IGNORE("maxconns_fast"), OPTIONS_IGNORE("no_maxconns_fast"),
    OPTIONS_IGNORE("tail_repair_time"), OPTIONS_IGNORE("hash_algorithm"),
    OPTIONS_IGNORE("read_buf_mem_limit"), OPTIONS_IGNORE("watcher_logbuf_size"),
    OPTIONS_IGNORE("worker_logbuf_size"), OPTIONS_IGNORE("track_sizes"),
    OPTIONS_IGNORE("no_hashexpand"), OPTIONS_IGNORE("modern"),
    OPTIONS_IGNORE("no_modern"), OPTIONS_IGNORE("sock_cookie_id"),
    OPTIONS_IGNORE("slab_automove_ratio"), OPTIONS_IGNORE("slab_automove_window"),
    OPTIONS_IGNORE("slab_automove_freeratio"), OPTIONS_IGNORE("relaxed_privileges"),
    OPTIONS_IGNORE("drop_privileges"), OPTIONS_IGNORE("no_drop_privileges"),
    OPTIONS_IGNORE("inline_ascii_resp"), OPTIONS_IGNORE("ext_*"),
    OPTIONS_IGNORE("ssl_*"),

    {OPTIONS_EXT, 0, "worker_yield_us", OPTIONS_A_INT, "<usec>",
     OPTIONS_FIELD(server.worker_yield_us), .max = 1000000, .dflt = "250",
     .setting = "worker_yield_us",
     .help = "a worker that has kept its CPU this long without running out\n"
             "of ready connections gives it up once (sched_yield); 0 = never"},
    {OPTIONS_EXT, 0, "worker_spread", OPTIONS_A_BOOL, NULL, OPTIONS_FIELD(server.worker_spread),
     .bare = "yes", .no = "no", .dflt = "yes", .setting = "worker_spread",
     .fmt = OPTIONS_F_YESNO,
     .help = "a busy worker that shares its CPU with another busy worker\n"
             "moves to an allowed CPU that has none"},
    {OPTIONS_STAT, .setting = "oldest", .fmt = OPTIONS_F_FIXED, .fixed = "0"},
    {OPTIONS_STAT, .setting = "stat_key_prefix", .fmt = OPTIONS_F_FIXED, .fixed = ":"},
    {OPTIONS_STAT, .setting = "detail_enabled", .fmt = OPTIONS_F_FIXED, .fixed = "no"},
    {OPTIONS_STAT, .setting = "binding_protocol", .fmt = OPTIONS_F_FIXED, .fixed = "ascii"},
    {OPTIONS_STAT, .setting = "auth_enabled_sasl", .fmt = OPTIONS_F_FIXED, .fixed = "no"},
    {OPTIONS_STAT, .setting = "auth_enabled_ascii", .fmt = OPTIONS_F_FIXED, .fixed = "no"},
    {OPTIONS_STAT, .setting = "maxconns_fast", .fmt = OPTIONS_F_FIXED, .fixed = "yes"},
    {OPTIONS_STAT, .setting = "hash_algorithm", .fmt = OPTIONS_F_FIXED, .fixed = "xxh3"},
    {OPTIONS_STAT, .setting = "track_sizes", .fmt = OPTIONS_F_FIXED, .fixed = "no"},
};

#define OPTIONS_NROWS (sizeof options_table / sizeof options_table[0])

/* What `stats settings` reports; set by options_parse. */
static const options *options_current;

/* ---- messages ------------------------------------------------------------------ */

/* Parsing context: where messages go and what -v notes are pending. */
typedef struct options_ctx {
    options *o;
    const char *prog;
    FILE *out, *err;
    char ignored[256]; /* memcached-only -o options seen, for the -v note */
    bool list_seen;    /* a list flag (-l) was given: later ones append */
} options_ctx;

static void options_fail(options_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(x->err, "%s: ", x->prog);
    vfprintf(x->err, fmt, ap);
    fprintf(x->err, "\nTry '%s -h' for more information.\n", x->prog);
    va_end(ap);
}

/* "-p/--port", "--port" or "-o hashpower", for messages. */
static const char *options_row_label(const options_row *r, char *buf, size_t len)
{
    if (r->where != OPTIONS_FLAG)
        snprintf(buf, len, "-o %s", r->name);
    else if (r->flag != 0)
        snprintf(buf, len, "-%c/--%s", r->flag, r->name);
    else
        snprintf(buf, len, "--%s", r->name);
    return buf;
}

/* ---- reading values ------------------------------------------------------------ */

/* Decimal number with an optional k/m/g suffix; *scale gets 1024^n or 0. */
static bool options_read_scaled(const char *s, double *value, double *scale)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0]) || strpbrk(s, "xX") != NULL)
        return false;
    double v = strtod(s, &end);
    if (errno != 0 || end == s)
        return false;
    *scale = 0;
    switch (tolower((unsigned char)*end)) {
    case 'k': *scale = 1024.0; end++; break;
    case 'm': *scale = OPTIONS_MB; end++; break;
    case 'g': *scale = OPTIONS_GB; end++; break;
    default: break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    *value = v;
    return *end == '\0' && (*scale != 0 || strpbrk(s, ".eE") == NULL);
}

/* Unsigned decimal (or octal) integer, nothing else. */
static bool options_read_integer(const char *s, int base, double *value)
{
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    *value = (double)v;
    return true;
}

static bool options_read_real(const char *s, double *value)
{
    char *end;
    if (s[0] == '\0' || isspace((unsigned char)s[0]) || strpbrk(s, "xX") != NULL)
        return false;
    errno = 0;
    *value = strtod(s, &end);
    return errno == 0 && *end == '\0' && isfinite(*value);
}

static bool options_read_bool(const char *s, double *value)
{
    static const char *const yes[] = {"yes", "1", "on", "true"};
    static const char *const no[] = {"no", "0", "off", "false"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *value = strcasecmp(s, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

/* Reads a numeric argument of row r into *value (bytes for MEGS/BYTES). */
static bool options_read_number(const options_row *r, const char *s, double *value)
{
    double scale;
    switch (r->arg) {
    case OPTIONS_A_BOOL: return options_read_bool(s, value);
    case OPTIONS_A_INT: return options_read_integer(s, 10, value);
    case OPTIONS_A_OCTAL: return options_read_integer(s, 8, value);
    case OPTIONS_A_REAL: return options_read_real(s, value);
    case OPTIONS_A_MEGS:
    case OPTIONS_A_BYTES:
        if (!options_read_scaled(s, value, &scale))
            return false;
        *value *= scale != 0 ? scale : r->arg == OPTIONS_A_MEGS ? OPTIONS_MB : 1;
        return true;
    default: return false;
    }
}

static bool options_in_range(const options_row *r, double v)
{
    if (r->arg == OPTIONS_A_BOOL)
        return true;
    if (v < r->min || (r->min_open && v == r->min))
        return false;
    return v <= r->max;
}

/* ---- storing values ------------------------------------------------------------ */

static void *options_field(options *o, const options_row *r)
{
    return (char *)o + r->off;
}

static void options_store_number(options *o, const options_row *r, double v)
{
    void *f = options_field(o, r);
    switch (r->ftype) {
    case OPTIONS_T_INT: *(int *)f = (int)v; break;
    case OPTIONS_T_UINT: *(unsigned *)f = (unsigned)v; break;
    case OPTIONS_T_SIZE: *(size_t *)f = (size_t)v; break;
    case OPTIONS_T_DOUBLE: *(double *)f = v; break;
    case OPTIONS_T_BOOL: *(bool *)f = v != 0; break;
    default: break;
    }
}

/* "100-200-300": ascending chunk sizes, into o->slab_sizes. */
static bool options_apply_sizes(options_ctx *x, const char *s)
{
    size_t n = 0;
    const char *p = s;
    while (*p != '\0') {
        char *end;
        errno = 0;
        unsigned long v = isdigit((unsigned char)*p) ? strtoul(p, &end, 10) : 0;
        if (v == 0 || errno != 0 || v > OPTIONS_GB || (*end != '-' && *end != '\0')) {
            options_fail(x, "-o slab_sizes: bad size list \"%s\" (want e.g. 96-240-1024)", s);
            return false;
        }
        if (n == OPTIONS_SLAB_SIZES_MAX) {
            options_fail(x, "-o slab_sizes: more than %d sizes", OPTIONS_SLAB_SIZES_MAX);
            return false;
        }
        if (n > 0 && v <= x->o->slab_sizes[n - 1]) {
            options_fail(x, "-o slab_sizes: slab size %lu cannot be lower than or equal to "
                            "a previous class size", v);
            return false;
        }
        x->o->slab_sizes[n++] = (uint32_t)v;
        p = *end == '-' ? end + 1 : end;
    }
    x->o->cache.slab_sizes = n > 0 ? x->o->slab_sizes : NULL;
    x->o->cache.slab_sizes_count = n;
    return n > 0 || (options_fail(x, "-o slab_sizes: empty size list"), false);
}

/* "1m" / "512k" / "1000" for a byte count. */
static void options_format_bytes(size_t v, char *buf, size_t len)
{
    if (v != 0 && v % ((size_t)1 << 30) == 0)
        snprintf(buf, len, "%zug", v >> 30);
    else if (v != 0 && v % ((size_t)1 << 20) == 0)
        snprintf(buf, len, "%zum", v >> 20);
    else if (v != 0 && v % 1024 == 0)
        snprintf(buf, len, "%zuk", v >> 10);
    else
        snprintf(buf, len, "%zu", v);
}

/* A range bound of row r, for messages. */
static void options_format_bound(const options_row *r, double v, char *buf, size_t len)
{
    if (r->arg == OPTIONS_A_MEGS || r->arg == OPTIONS_A_BYTES)
        options_format_bytes((size_t)v, buf, len);
    else if (v == (double)(long long)v)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%g", v);
}

static bool options_apply_ext(options_ctx *x, const char *list);

/*
 * A list flag given again adds to the list (memcached joins repeated -l);
 * the first occurrence replaces the default.
 */
static bool options_append_list(options_ctx *x, const options_row *r, const char *value)
{
    const char **field = (const char **)options_field(x->o, r);
    if (!x->list_seen) { /* the first occurrence replaces the default */
        x->list_seen = true;
        *field = value;
        return true;
    }
    char *joined = x->o->listen_joined;
    size_t have = strlen(*field);
    if (have + 1 + strlen(value) >= OPTIONS_LISTEN_MAX) {
        char label[64];
        options_fail(x, "%s: address list too long", options_row_label(r, label, sizeof label));
        return false;
    }
    if (*field != joined)
        memcpy(joined, *field, have + 1);
    snprintf(joined + have, OPTIONS_LISTEN_MAX - have, ",%s", value);
    *field = joined;
    return true;
}

/* Applies one value (never NULL) to row r. */
static bool options_apply(options_ctx *x, const options_row *r, const char *value)
{
    char label[64];
    double v = 0;
    switch (r->arg) {
    case OPTIONS_A_STR:
        if (value[0] == '\0') {
            options_fail(x, "%s: empty argument", options_row_label(r, label, sizeof label));
            return false;
        }
        *(const char **)options_field(x->o, r) = value;
        return true;
    case OPTIONS_A_LIST:
        if (value[0] == '\0') {
            options_fail(x, "%s: empty argument", options_row_label(r, label, sizeof label));
            return false;
        }
        return options_append_list(x, r, value);
    case OPTIONS_A_COUNT:
        (*(unsigned *)options_field(x->o, r))++;
        return true;
    case OPTIONS_A_SIZES: return options_apply_sizes(x, value);
    case OPTIONS_A_EXT: return options_apply_ext(x, value);
    default: break;
    }
    if (!options_read_number(r, value, &v)) {
        options_fail(x, "%s: bad value \"%s\"", options_row_label(r, label, sizeof label), value);
        return false;
    }
    if (!options_in_range(r, v)) {
        char lo[32], hi[32];
        options_format_bound(r, r->min, lo, sizeof lo);
        options_format_bound(r, r->max, hi, sizeof hi);
        options_fail(x, "%s: %s is out of range (must be %s%s and <= %s)",
                     options_row_label(r, label, sizeof label), value,
                     r->min_open ? "> " : ">= ", lo, hi);
        return false;
    }
    options_store_number(x->o, r, v);
    return true;
}

/* ---- -o sub-options ------------------------------------------------------------ */

/* Does the IGNORED row's name ("x" or prefix "x*") match name? */
static bool options_ignored_match(const options_row *r, const char *name)
{
    size_t n = strlen(r->name);
    if (r->name[n - 1] == '*')
        return strncmp(r->name, name, n - 1) == 0;
    return strcmp(r->name, name) == 0;
}

/* The row for sub-option `name`, *negated set for its no_ form; NULL if unknown. */
static const options_row *options_find_ext(const char *name, bool *negated)
{
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        const options_row *r = &options_table[i];
        *negated = false;
        if (r->where == OPTIONS_IGNORED && options_ignored_match(r, name))
            return r;
        if (r->where != OPTIONS_EXT)
            continue;
        if (strcmp(r->name, name) == 0)
            return r;
        *negated = r->no != NULL && strncmp(name, "no_", 3) == 0 && strcmp(r->name, name + 3) == 0;
        if (*negated)
            return r;
    }
    return NULL;
}

static void options_note_ignored(options_ctx *x, const char *name)
{
    size_t used = strlen(x->ignored);
    if (used + strlen(name) + 3 < sizeof x->ignored)
        snprintf(x->ignored + used, sizeof x->ignored - used, "%s%s", used ? ", " : "", name);
}

/* One "name" or "name=value" token of -o. */
static bool options_apply_subopt(options_ctx *x, char *token)
{
    char *value = strchr(token, '=');
    if (value != NULL)
        *value++ = '\0';
    bool negated;
    const options_row *r = options_find_ext(token, &negated);
    if (r == NULL) {
        options_fail(x, "-o: illegal suboption \"%s\"", token);
        return false;
    }
    if (r->where == OPTIONS_IGNORED) {
        options_note_ignored(x, token);
        return true;
    }
    if (negated && value != NULL) {
        options_fail(x, "-o %s takes no value", token);
        return false;
    }
    value = (char *)(negated ? r->no : value != NULL ? value : r->bare);
    if (value == NULL) {
        options_fail(x, "-o %s: missing argument (%s=%s)", token, token, r->metavar);
        return false;
    }
    return options_apply(x, r, value);
}

static bool options_apply_ext(options_ctx *x, const char *list)
{
    char *copy = strdup(list);
    bool ok = copy != NULL;
    char *save = NULL;
    for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; t != NULL && ok;
         t = strtok_r(NULL, ",", &save))
        ok = options_apply_subopt(x, t);
    free(copy);
    return ok;
}

/* ---- defaults ------------------------------------------------------------------ */

/* Fields that two sides read from one flag. */
static void options_sync(options *o)
{
    o->server.item_size_max = o->cache.item_size_max; /* -I */
}

void options_default(options *o)
{
    memset(o, 0, sizeof(*o));
    cache_options_default(&o->cache);
    o->cache.clock = server_clock;
    o->cache.on_evict = logger_on_evict; /* `watch evictions` */
    options_ctx x = {.o = o, .prog = "cashew", .out = stdout, .err = stderr};
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        if (options_table[i].dflt != NULL)
            options_apply(&x, &options_table[i], options_table[i].dflt);
    }
    o->server.emit_settings = options_emit_settings;
    options_sync(o);
#ifdef CASHEW_DEBUG
    o->server.debug_commands = true;
#endif
}

/* ---- getopt_long from the table ------------------------------------------------ */

#define OPTIONS_LONG_BASE 256 /* getopt value of a long-only row i: BASE + i */

static void options_build_getopt(char *shorts, struct option *longs)
{
    size_t ns = 0, nl = 0;
    shorts[ns++] = '+'; /* stop at the first non-option: it is an error anyway */
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        const options_row *r = &options_table[i];
        if (r->where != OPTIONS_FLAG)
            continue;
        bool takes_arg = r->bare == NULL;
        int val = r->flag != 0 ? r->flag : OPTIONS_LONG_BASE + (int)i;
        longs[nl++] = (struct option){r->name, takes_arg ? required_argument : no_argument,
                                      NULL, val};
        if (r->flag != 0) {
            shorts[ns++] = (char)r->flag;
            if (takes_arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[nl] = (struct option){0};
}

static const options_row *options_find_flag(int val)
{
    if (val >= OPTIONS_LONG_BASE && (size_t)(val - OPTIONS_LONG_BASE) < OPTIONS_NROWS)
        return &options_table[val - OPTIONS_LONG_BASE];
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        if (options_table[i].where == OPTIONS_FLAG && options_table[i].flag == val)
            return &options_table[i];
    }
    return NULL;
}

/* Handles one getopt result; false stops parsing with *status set. */
static bool options_handle_flag(options_ctx *x, int val, int *status)
{
    const options_row *r = options_find_flag(val);
    *status = OPTIONS_EX_USAGE;
    if (r == NULL) { /* getopt_long has printed why */
        fprintf(x->err, "Try '%s -h' for more information.\n", x->prog);
        return false;
    }
    if (r->arg == OPTIONS_A_HELP || r->arg == OPTIONS_A_VERSION) {
        if (r->arg == OPTIONS_A_HELP)
            options_usage(x->out, x->prog);
        else
            fprintf(x->out, "cashew %s\n", PACKAGE_VERSION);
        *status = 0;
        return false;
    }
    return options_apply(x, r, r->bare != NULL ? r->bare : optarg);
}

/* ---- checks across options ----------------------------------------------------- */

static bool options_check(options_ctx *x)
{
    const cache_options *c = &x->o->cache;
    const char *why = NULL;
    if (c->item_size_max > c->memory_limit / 2)
        why = "cannot set item size limit (-I) higher than 1/2 of memory max (-m)";
    else if (c->hot_lru_pct + c->warm_lru_pct > 80)
        why = "hot_lru_pct + warm_lru_pct cannot be more than 80% combined";
    else if (c->temporary_ttl > 0 && !c->lru_maintainer)
        why = "temporary_ttl requires lru_maintainer to be enabled";
    if (why == NULL)
        why = cache_options_check(c);
    if (why != NULL)
        options_fail(x, "%s", why);
    return why == NULL;
}

static bool options_parse_argv(options_ctx *x, int argc, char **argv, int *status)
{
    char shorts[2 + 3 * OPTIONS_NROWS];
    struct option longs[OPTIONS_NROWS + 1];
    options_build_getopt(shorts, longs);
    optind = 0; /* full reinitialisation (GNU) */
    int val;
    while ((val = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (!options_handle_flag(x, val, status))
            return false;
    }
    if (optind < argc) {
        options_fail(x, "unexpected argument \"%s\"", argv[optind]);
        return false;
    }
    return true;
}

bool options_parse(options *o, int argc, char **argv, FILE *out, FILE *err,
                   int *exit_status)
{
    options_default(o);
    options_ctx x = {.o = o, .prog = argc > 0 && argv[0] ? argv[0] : "cashew",
                     .out = out, .err = err};
    const char *slash = strrchr(x.prog, '/');
    x.prog = slash ? slash + 1 : x.prog;
    *exit_status = OPTIONS_EX_USAGE;
    if (!options_parse_argv(&x, argc, argv, exit_status) || !options_check(&x))
        return false;
    options_sync(o);
    if (x.ignored[0] != '\0' && o->server.verbose > 0)
        fprintf(err, "%s: ignoring memcached-only options: %s\n", x.prog, x.ignored);
    options_current = o;
    *exit_status = 0;
    return true;
}

/* ---- printing values ----------------------------------------------------------- */

/* The field of row r in *o, as memcached prints it. */
static void options_format_field(const options *o, const options_row *r, char *buf,
                                 size_t len)
{
    const void *f = (const char *)o + r->off;
    switch (r->ftype) {
    case OPTIONS_T_INT: snprintf(buf, len, "%d", *(const int *)f); break;
    case OPTIONS_T_UINT:
        snprintf(buf, len, r->fmt == OPTIONS_F_OCTAL ? "%o" : "%u", *(const unsigned *)f);
        break;
    case OPTIONS_T_SIZE: snprintf(buf, len, "%zu", *(const size_t *)f); break;
    case OPTIONS_T_DOUBLE: snprintf(buf, len, "%.2f", *(const double *)f); break;
    case OPTIONS_T_BOOL: snprintf(buf, len, "%s", *(const bool *)f ? "yes" : "no"); break;
    case OPTIONS_T_STR:
        snprintf(buf, len, "%s", *(const char *const *)f ? *(const char *const *)f : "NULL");
        break;
    default: snprintf(buf, len, "%s", r->fixed ? r->fixed : ""); break;
    }
}

/* Is the field of row r true / non-zero? */
static bool options_field_set(const options *o, const options_row *r)
{
    char buf[64];
    options_format_field(o, r, buf, sizeof buf);
    return strcmp(buf, "no") != 0 && strcmp(buf, "0") != 0 && strcmp(buf, "NULL") != 0;
}

static void options_format_setting(const options *o, const options_row *r, char *buf,
                                   size_t len)
{
    switch (r->fmt) {
    case OPTIONS_F_YESNO: snprintf(buf, len, options_field_set(o, r) ? "yes" : "no"); break;
    case OPTIONS_F_NOYES: snprintf(buf, len, options_field_set(o, r) ? "no" : "yes"); break;
    case OPTIONS_F_ONOFF: snprintf(buf, len, options_field_set(o, r) ? "on" : "off"); break;
    case OPTIONS_F_FIXED: snprintf(buf, len, "%s", r->fixed); break;
    default: options_format_field(o, r, buf, len); break;
    }
}

void options_emit_settings(void *emit_arg,
                           void (*emit)(void *emit_arg, const char *name, const char *value))
{
    const options *o = options_current;
    for (size_t i = 0; o != NULL && i < OPTIONS_NROWS; i++) {
        char value[128];
        if (options_table[i].setting == NULL)
            continue;
        options_format_setting(o, &options_table[i], value, sizeof value);
        emit(emit_arg, options_table[i].setting, value);
    }
}

/* ---- -h ------------------------------------------------------------------------ */

/* The default of row r (from *d, filled with options_default) as -h shows it. */
static bool options_format_default(const options *d, const options_row *r, char *buf,
                                   size_t len)
{
    if (r->ftype == OPTIONS_T_BOOL && r->where == OPTIONS_EXT) {
        snprintf(buf, len, options_field_set(d, r) ? "enabled" : "disabled");
        return true;
    }
    if (r->ftype == OPTIONS_T_NONE || r->ftype == OPTIONS_T_BOOL || r->arg == OPTIONS_A_COUNT)
        return false;
    size_t bytes = r->ftype == OPTIONS_T_SIZE ? *(const size_t *)((const char *)d + r->off) : 0;
    if (r->arg == OPTIONS_A_MEGS)
        snprintf(buf, len, "%zu", bytes >> 20);
    else if (r->arg == OPTIONS_A_BYTES)
        options_format_bytes(bytes, buf, len);
    else
        options_format_field(d, r, buf, len);
    return strcmp(buf, "NULL") != 0;
}

#define OPTIONS_HELP_COL 32   /* where help text starts */
#define OPTIONS_HELP_WIDTH 79 /* where it wraps */

/* Prints one word of help text at column *col, wrapping first if needed. */
static void options_print_word(FILE *out, const char *word, int n, int *col)
{
    if (*col > OPTIONS_HELP_COL && *col + 1 + n > OPTIONS_HELP_WIDTH) {
        fprintf(out, "\n%*s", OPTIONS_HELP_COL, "");
        *col = OPTIONS_HELP_COL;
    }
    if (*col > OPTIONS_HELP_COL)
        *col += fprintf(out, " ");
    *col += fprintf(out, "%.*s", n, word);
}

/* Prints help text word-wrapped, then " (default: X)" if dflt is not NULL. */
static void options_print_help(FILE *out, const char *help, const char *dflt)
{
    char tail[96];
    int col = OPTIONS_HELP_COL;
    snprintf(tail, sizeof tail, "(default: %s)", dflt ? dflt : "");
    for (const char *p = help; *p != '\0';) {
        size_t n = strcspn(p, " \n");
        if (n > 0)
            options_print_word(out, p, (int)n, &col);
        p += n + (p[n] != '\0');
    }
    if (dflt != NULL)
        options_print_word(out, tail, (int)strlen(tail), &col);
    fputc('\n', out);
}

static void options_usage_row(FILE *out, const options *d, const options_row *r)
{
    char head[80], dflt[64];
    bool has_default = options_format_default(d, r, dflt, sizeof dflt);
    const char *meta = r->metavar ? r->metavar : "";
    if (r->where == OPTIONS_FLAG) {
        snprintf(head, sizeof head, "-%c, --%s%s%s", r->flag, r->name, *meta ? "=" : "", meta);
        fprintf(out, "%-*s", OPTIONS_HELP_COL, head);
        options_print_help(out, r->help, has_default ? dflt : NULL);
        return;
    }
    snprintf(head, sizeof head, "   - %s%s%s%s:", r->no ? "[no_]" : "", r->name,
             r->bare || !*meta ? "" : "=", r->bare ? "" : meta);
    fprintf(out, "%-*s", OPTIONS_HELP_COL, head);
    options_print_help(out, r->help, has_default ? dflt : NULL);
}

void options_usage(FILE *out, const char *prog)
{
    options d;
    options_default(&d);
    fprintf(out, "cashew %s, a memcached-compatible cache daemon\n", PACKAGE_VERSION);
    fprintf(out, "usage: %s [options]\n", prog);
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        if (options_table[i].help != NULL)
            options_usage_row(out, &d, &options_table[i]);
    }
    fprintf(out, "   memcached-only options accepted and ignored (noted with -v):\n    ");
    int col = 4;
    for (size_t i = 0; i < OPTIONS_NROWS; i++) {
        if (options_table[i].where != OPTIONS_IGNORED)
            continue;
        if (col + (int)strlen(options_table[i].name) > OPTIONS_HELP_WIDTH) {
            fprintf(out, "\n    ");
            col = 4;
        }
        col += fprintf(out, " %s", options_table[i].name);
    }
    fprintf(out, "\nIt refuses to run as root without -u. See cashew(1).\n");
}

bool options_dump_enabled(void)
{
    return options_current == NULL || !options_current->disable_dumping;
}
