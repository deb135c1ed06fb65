# daemon/: the cashew and cashew-debug programs (and the sanitizer builds of
# cashew-debug that the t/ suite also runs against).
# options.c, options.h, main.c and the man page are listed in daemon/options.mk.
DAEMON_SRC = daemon/server.h
include daemon/options.mk
DAEMON_SRC += daemon/server.c daemon/server_ctx.h \
              daemon/worker.c daemon/worker.h \
              daemon/conn.c daemon/conn.h \
              daemon/process.c daemon/process_stats.c daemon/process.h \
              daemon/process_meta.c daemon/process_meta.h \
              daemon/process_admin.c daemon/process_admin.h \
              daemon/stats.c daemon/stats.h \
              daemon/detail.c daemon/detail.h \
              daemon/udp.c daemon/udp.h \
              daemon/logger.c daemon/logger.h \
              daemon/hotkeys.c daemon/hotkeys.h \
              daemon/latency.c daemon/latency.h \
              daemon/process_observe.c daemon/process_observe.h

DAEMON_LIBS = $(LIBEVENT_LIBS)
bin_PROGRAMS += cashew cashew-debug
cashew_SOURCES = $(DAEMON_SRC)
cashew_CFLAGS = $(AM_CFLAGS) $(RELEASE_CFLAGS) $(LIBEVENT_CFLAGS) $(JEMALLOC_CFLAGS)
cashew_LDADD = libproto.a libslab.a $(DAEMON_LIBS) $(JEMALLOC_LIBS)
cashew_debug_SOURCES = $(DAEMON_SRC)
cashew_debug_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS) $(LIBEVENT_CFLAGS) $(JEMALLOC_CFLAGS)
cashew_debug_LDADD = libproto_debug.a libslab_debug.a $(DAEMON_LIBS) $(JEMALLOC_LIBS)

check_PROGRAMS += cashew-debug-asan cashew-debug-tsan
cashew_debug_asan_SOURCES = $(DAEMON_SRC)
cashew_debug_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS) $(LIBEVENT_CFLAGS)
cashew_debug_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
cashew_debug_asan_LDADD = libproto_asan.a libslab_asan.a $(DAEMON_LIBS)
cashew_debug_tsan_SOURCES = $(DAEMON_SRC)
cashew_debug_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS) $(LIBEVENT_CFLAGS)
cashew_debug_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
cashew_debug_tsan_LDADD = libproto_tsan.a libslab_tsan.a $(DAEMON_LIBS)
