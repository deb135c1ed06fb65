# slab/hash: the lock-striped hash table and its unit tests.
SLAB_SRC += slab/hash.c slab/hash.h

check_PROGRAMS += tests/test_hash tests/test_hash_asan tests/test_hash_tsan
TESTS += tests/test_hash tests/test_hash_asan tests/test_hash_tsan
tests_test_hash_SOURCES = tests/test_hash.c tests/check.h
tests_test_hash_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_hash_LDADD = libslab_debug.a
tests_test_hash_asan_SOURCES = tests/test_hash.c tests/check.h
tests_test_hash_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_hash_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_hash_asan_LDADD = libslab_asan.a
tests_test_hash_tsan_SOURCES = tests/test_hash.c tests/check.h
tests_test_hash_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_hash_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_hash_tsan_LDADD = libslab_tsan.a

# Growth-stall benchmark (release build; never run by make check):
#   bench/hash_growth [items] [reader-threads]
noinst_PROGRAMS += bench/hash_growth
bench_hash_growth_SOURCES = bench/hash_growth.c
bench_hash_growth_CFLAGS = $(AM_CFLAGS) $(RELEASE_CFLAGS)
bench_hash_growth_LDADD = libslab.a
