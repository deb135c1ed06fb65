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
              daemon/latency.c daemon/latency.h daemon/sample_gap.h \
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

# Unit tests of the pure observability modules (stats hotkeys / latency):
# each compiles just its own .c file, no library.
check_PROGRAMS += tests/test_hotkeys tests/test_hotkeys_asan tests/test_hotkeys_tsan
TESTS += tests/test_hotkeys tests/test_hotkeys_asan tests/test_hotkeys_tsan
tests_test_hotkeys_SOURCES = tests/test_hotkeys.c tests/check.h daemon/hotkeys.c daemon/hotkeys.h
tests_test_hotkeys_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_hotkeys_asan_SOURCES = $(tests_test_hotkeys_SOURCES)
tests_test_hotkeys_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_hotkeys_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_hotkeys_tsan_SOURCES = $(tests_test_hotkeys_SOURCES)
tests_test_hotkeys_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_hotkeys_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)

check_PROGRAMS += tests/test_latency tests/test_latency_asan tests/test_latency_tsan
TESTS += tests/test_latency tests/test_latency_asan tests/test_latency_tsan
tests_test_latency_SOURCES = tests/test_latency.c tests/check.h daemon/latency.c daemon/latency.h
tests_test_latency_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_latency_asan_SOURCES = $(tests_test_latency_SOURCES)
tests_test_latency_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_latency_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_latency_tsan_SOURCES = $(tests_test_latency_SOURCES)
tests_test_latency_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_latency_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
