# proto/: the text protocol parser and composer, and its unit tests.
PROTO_SRC += proto/text.h proto/text_internal.h proto/text.c proto/text_compose.c \
             proto/text_reply.c

check_PROGRAMS += tests/test_text tests/test_text_asan
TESTS += tests/test_text tests/test_text_asan
tests_test_text_SOURCES = tests/test_text.c tests/check.h
tests_test_text_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_text_LDADD = libproto_debug.a
tests_test_text_asan_SOURCES = tests/test_text.c tests/check.h
tests_test_text_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_text_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LDFLAGS)
tests_test_text_asan_LDADD = libproto_asan.a
