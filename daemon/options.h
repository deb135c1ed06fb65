/*
 * daemon/options.h -- cashew's command line.
 *
 * One table in options.c lists every flag and every -o sub-option: its
 * short and long spelling, argument, default, help text, the field of
 * cache_options / server_options it sets, and its `stats settings` name.
 * getopt_long parsing, the -h text and server_options.emit_settings are all
 * generated from that table, so they cannot drift apart.
 *
 * Flags and spellings follow memcached 1.6.18. Where cashew differs (it
 * listens on 127.0.0.1 unless -l is given, -m also takes k/m/g suffixes,
 * some memcached-only -o options are accepted and ignored) the -h text and
 * the man page (daemon/cashew.1) say so.
 */
#ifndef CASHEW_DAEMON_OPTIONS_H
#define CASHEW_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "daemon/server.h"
#include "slab/cache.h"

#define OPTIONS_EX_USAGE 64      /* exit status for a bad command line (sysexits EX_USAGE) */
#define OPTIONS_SLAB_SIZES_MAX 62 /* most explicit chunk sizes -o slab_sizes takes */
#define OPTIONS_LISTEN_MAX 1024   /* longest address list that repeated -l flags add up to */

/* Everything the command line sets. */
typedef struct options {
    cache_options cache;   /* handed to cache_create (clock = server_clock) */
    server_options server; /* handed to server_run (emit_settings set) */
    const char *user;      /* -u: user to become when started as root, or NULL */
    const char *pidfile;   /* -P: file to write our pid into, or NULL */
    bool daemonize;        /* -d */
    bool coredumps;        /* -r: raise the core file size limit */
    bool disable_dumping;  /* -X: stats cachedump and lru_crawler metadump|mgdump refused */
    const char *prefix_delimiter; /* -D: its first char ends a key's prefix for `stats
                                     detail`, and -D turns detail on; NULL: ':' */
    uint32_t slab_sizes[OPTIONS_SLAB_SIZES_MAX]; /* storage behind cache.slab_sizes */
    char listen_joined[OPTIONS_LISTEN_MAX];      /* storage for repeated -l, joined by ',' */
} options;

/*
 * Fills *o with cashew's defaults: the engine's (cache_options_default,
 * clock = server_clock) overlaid with the table's defaults (port 11211,
 * listen on 127.0.0.1, UDP off, 4 threads, 1024 connections, ...).
 */
void options_default(options *o);

/*
 * Parses argv (argv[0] names the program in messages) into *o, which it
 * first fills with options_default. Strings in *o (-l, -s, -u, -P) point
 * into argv, which must outlive *o; repeated -l flags add up, as memcached's
 * do ("-l a -l b" is "a,b", kept in o->listen_joined).
 *
 * Returns true if the daemon should run. Returns false with *exit_status set
 * when it should not: 0 after -h (usage printed on `out`) or -V (version
 * printed on `out`); OPTIONS_EX_USAGE (64) after a bad flag, a missing or
 * malformed argument, a value out of range or an inconsistent combination,
 * with a one-line reason printed on `err`.
 *
 * Also remembers *o as the options `stats settings` reports (see
 * options_emit_settings); *o must stay valid while the server runs. Not
 * thread-safe (getopt_long keeps global state): call it from main only.
 */
bool options_parse(options *o, int argc, char **argv, FILE *out, FILE *err,
                   int *exit_status);

/* Prints the -h text for program name `prog` on `out`. */
void options_usage(FILE *out, const char *prog);

/*
 * server_options.emit_settings: calls emit(emit_arg, name, value) once per
 * `stats settings` line, with memcached's setting names and value formats,
 * for the options last passed to options_parse. Reads only; safe from any
 * thread once parsing is over.
 */
void options_emit_settings(void *emit_arg,
                           void (*emit)(void *emit_arg, const char *name, const char *value));

/*
 * False when the options last passed to options_parse had -X
 * (--disable-dumping): `stats cachedump`, `lru_crawler metadump` and
 * `lru_crawler mgdump` then answer their "not allowed" errors. True before
 * any parse. Reads only; any thread once parsing is over.
 */
bool options_dump_enabled(void);

#endif
