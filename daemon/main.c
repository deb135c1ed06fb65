/*
 * daemon/main.c -- cashew's entry point: parse the command line, prepare
 * the process (limits, privileges, daemon, pid file), create the engine and
 * hand everything to server_run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/detail.h"
#include "daemon/options.h"
#include "daemon/server.h"
#include "slab/cache.h"

/* sysexits.h values, as memcached uses them. */
#define MAIN_EX_NOUSER 67
#define MAIN_EX_OSERR 71

#define MAIN_SPARE_FDS 64 /* descriptors beyond -c: listeners, pipes, epoll, logs */

/* The pid file's absolute path (the daemon chdirs to /), "" = none. */
static char main_pidfile[PATH_MAX];

/* Raises RLIMIT_NOFILE so that -c connections fit. Returns 0 or an exit status. */
static int main_raise_nofile(const options *o)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)o->server.max_conns + MAIN_SPARE_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return 0;
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
        rl.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "failed to set rlimit for open files. Try starting as root or "
                        "requesting smaller maxconns value.\n");
        return MAIN_EX_OSERR;
    }
    return 0;
}

/* -r: lets the process dump a core of any size. */
static void main_enable_coredumps(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_CORE, &rl) != 0)
            fprintf(stderr, "failed to raise the core file size limit: %s\n", strerror(errno));
    }
}

/* As memcached: root must name a user with -u, and then becomes that user. */
static int main_drop_privileges(const options *o)
{
    if (getuid() != 0 && geteuid() != 0)
        return 0;
    if (o->user == NULL) {
        fprintf(stderr, "can't run as root without the -u switch\n");
        return OPTIONS_EX_USAGE;
    }
    const struct passwd *pw = getpwnam(o->user);
    if (pw == NULL) {
        fprintf(stderr, "can't find the user %s to switch to\n", o->user);
        return MAIN_EX_NOUSER;
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "failed to assume identity of user %s: %s\n", o->user,
                strerror(errno));
        return MAIN_EX_OSERR;
    }
    return 0;
}

/* Remembers the -P path as an absolute path (the daemon leaves its directory). */
static int main_resolve_pidfile(const options *o)
{
    char cwd[PATH_MAX];
    if (o->pidfile == NULL)
        return 0;
    int n = o->pidfile[0] == '/' || getcwd(cwd, sizeof cwd) == NULL
                ? snprintf(main_pidfile, sizeof main_pidfile, "%s", o->pidfile)
                : snprintf(main_pidfile, sizeof main_pidfile, "%s/%s", cwd, o->pidfile);
    if (n < 0 || (size_t)n >= sizeof main_pidfile) {
        fprintf(stderr, "pid file path too long: %s\n", o->pidfile);
        return OPTIONS_EX_USAGE;
    }
    return 0;
}

/*
 * Forks into the background: the parent exits 0, the child starts a new
 * session and (unless verbose) points stdin/stdout/stderr at /dev/null.
 */
static int main_daemonize(const options *o)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork failed: %s\n", strerror(errno));
        return MAIN_EX_OSERR;
    }
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return MAIN_EX_OSERR;
    if (chdir("/") != 0)
        return MAIN_EX_OSERR;
    int fd = o->server.verbose > 0 ? -1 : open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

static int main_write_pidfile(void)
{
    if (main_pidfile[0] == '\0')
        return 0;
    FILE *f = fopen(main_pidfile, "w");
    if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        fprintf(stderr, "could not write pid file %s: %s\n", main_pidfile, strerror(errno));
        main_pidfile[0] = '\0';
        return MAIN_EX_OSERR;
    }
    return 0;
}

static void main_remove_pidfile(void)
{
    if (main_pidfile[0] != '\0' && unlink(main_pidfile) != 0 && errno != ENOENT)
        fprintf(stderr, "could not remove pid file %s: %s\n", main_pidfile, strerror(errno));
}

/* Everything between parsing and creating the engine. Returns 0 or an exit status. */
static int main_prepare(const options *o)
{
    int status;
    if (o->prefix_delimiter != NULL) { /* -D: as memcached, it also turns detail on */
        detail_set_delimiter(o->prefix_delimiter[0]);
        detail_set_enabled(true);
    }
    if (o->coredumps)
        main_enable_coredumps();
    if ((status = main_raise_nofile(o)) != 0 || (status = main_resolve_pidfile(o)) != 0 ||
        (status = main_drop_privileges(o)) != 0)
        return status;
    if (o->daemonize && (status = main_daemonize(o)) != 0)
        return status;
    return main_write_pidfile();
}

/* -vv: the slab classes on stderr, in memcached's format (cashew's own sizes). */
static void main_print_slab_classes(const cache *engine)
{
    uint32_t size, per_page;
    for (unsigned id = 1; cache_class_geometry(engine, id, &size, &per_page); id++)
        fprintf(stderr, "slab class %3u: chunk size %9u perslab %7u\n", id, size, per_page);
}

int main(int argc, char **argv)
{
    static options opts;
    int status;
    if (!options_parse(&opts, argc, argv, stdout, stderr, &status))
        return status;
    if ((status = main_prepare(&opts)) != 0)
        return status;
    const char *why = NULL;
    cache *engine = cache_create(&opts.cache, &why);
    if (engine == NULL) {
        fprintf(stderr, "cannot create the cache: %s\n", why ? why : "unknown error");
        main_remove_pidfile();
        return MAIN_EX_OSERR;
    }
    if (opts.server.verbose > 1)
        main_print_slab_classes(engine);
    status = server_run(&opts.server, engine);
    cache_destroy(engine);
    main_remove_pidfile();
    return status;
}
