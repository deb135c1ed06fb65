# proto/: the text and meta protocol parsers and composers, and their unit tests.
PROTO_SRC += proto/text.h proto/text_internal.h proto/text.c proto/text_compose.c \
             proto/text_reply.c proto/meta.h proto/meta.c proto/meta_compose.c

check_PROGRAMS += tests/test_text tests/test_text_asan
TESTS += tests/test_text tests/test_text_asan
tests_test_text_SOURCES = tests/test_text.c tests/check.h
tests_test_text_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_text_LDADD = libproto_debug.a
tests_test_text_asan_SOURCES = tests/test_text.c tests/check.h
tests_test_text_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_text_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_text_asan_LDADD = libproto_asan.a

check_PROGRAMS += tests/test_meta tests/test_meta_asan
TESTS += tests/test_meta tests/test_meta_asan
tests_test_meta_SOURCES = tests/test_meta.c tests/check.h
tests_test_meta_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_meta_LDADD = libproto_debug.a
tests_test_meta_asan_SOURCES = tests/test_meta.c tests/check.h
tests_test_meta_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_meta_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_meta_asan_LDADD = libproto_asan.a

check_PROGRAMS += tests/test_text_admin tests/test_text_admin_asan
TESTS += tests/test_text_admin tests/test_text_admin_asan
tests_test_text_admin_SOURCES = tests/test_text_admin.c tests/check.h
tests_test_text_admin_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_text_admin_LDADD = libproto_debug.a
tests_test_text_admin_asan_SOURCES = tests/test_text_admin.c tests/check.h
tests_test_text_admin_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_text_admin_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_text_admin_asan_LDADD = libproto_asan.a
