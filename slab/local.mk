# slab/: the storage engine (everything but the hash table, see hash.mk).
SLAB_SRC += slab/cache.h slab/cache.c slab/cache_stats.c \
            slab/cache_internal.h slab/cache_meta.c slab/cache_tune.c \
            slab/engine.h slab/engine.c slab/slab.h slab/slab.c \
            slab/item.h slab/item.c slab/lru.h slab/lru.c \
            slab/crawler.h slab/crawler.c slab/rebalance.h slab/rebalance.c

# Unit tests. tests/test_cache_util.c is #included by the engine tests.
EXTRA_DIST += tests/test_cache_util.c

check_PROGRAMS += tests/test_slab tests/test_slab_asan
TESTS += tests/test_slab tests/test_slab_asan
tests_test_slab_SOURCES = tests/test_slab.c tests/check.h
tests_test_slab_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_slab_LDADD = libslab_debug.a
tests_test_slab_asan_SOURCES = tests/test_slab.c tests/check.h
tests_test_slab_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_slab_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_slab_asan_LDADD = libslab_asan.a

check_PROGRAMS += tests/test_item tests/test_item_asan
TESTS += tests/test_item tests/test_item_asan
tests_test_item_SOURCES = tests/test_item.c tests/check.h
tests_test_item_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_item_LDADD = libslab_debug.a
tests_test_item_asan_SOURCES = tests/test_item.c tests/check.h
tests_test_item_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_item_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_item_asan_LDADD = libslab_asan.a

check_PROGRAMS += tests/test_cache tests/test_cache_asan tests/test_cache_tsan
TESTS += tests/test_cache tests/test_cache_asan tests/test_cache_tsan
tests_test_cache_SOURCES = tests/test_cache.c tests/check.h
tests_test_cache_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_cache_LDADD = libslab_debug.a
tests_test_cache_asan_SOURCES = tests/test_cache.c tests/check.h
tests_test_cache_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_cache_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_cache_asan_LDADD = libslab_asan.a
tests_test_cache_tsan_SOURCES = tests/test_cache.c tests/check.h
tests_test_cache_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_cache_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_cache_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_lru tests/test_lru_asan tests/test_lru_tsan
TESTS += tests/test_lru tests/test_lru_asan tests/test_lru_tsan
tests_test_lru_SOURCES = tests/test_lru.c tests/check.h
tests_test_lru_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_lru_LDADD = libslab_debug.a
tests_test_lru_asan_SOURCES = tests/test_lru.c tests/check.h
tests_test_lru_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_lru_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_lru_asan_LDADD = libslab_asan.a
tests_test_lru_tsan_SOURCES = tests/test_lru.c tests/check.h
tests_test_lru_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_lru_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_lru_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_cache_crawler tests/test_cache_crawler_asan tests/test_cache_crawler_tsan
TESTS += tests/test_cache_crawler tests/test_cache_crawler_asan tests/test_cache_crawler_tsan
tests_test_cache_crawler_SOURCES = tests/test_cache_crawler.c tests/check.h
tests_test_cache_crawler_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_cache_crawler_LDADD = libslab_debug.a
tests_test_cache_crawler_asan_SOURCES = tests/test_cache_crawler.c tests/check.h
tests_test_cache_crawler_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_cache_crawler_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_cache_crawler_asan_LDADD = libslab_asan.a
tests_test_cache_crawler_tsan_SOURCES = tests/test_cache_crawler.c tests/check.h
tests_test_cache_crawler_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_cache_crawler_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_cache_crawler_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_cache_rebalance tests/test_cache_rebalance_asan tests/test_cache_rebalance_tsan
TESTS += tests/test_cache_rebalance tests/test_cache_rebalance_asan tests/test_cache_rebalance_tsan
tests_test_cache_rebalance_SOURCES = tests/test_cache_rebalance.c tests/check.h
tests_test_cache_rebalance_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_cache_rebalance_LDADD = libslab_debug.a
tests_test_cache_rebalance_asan_SOURCES = tests/test_cache_rebalance.c tests/check.h
tests_test_cache_rebalance_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_cache_rebalance_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_cache_rebalance_asan_LDADD = libslab_asan.a
tests_test_cache_rebalance_tsan_SOURCES = tests/test_cache_rebalance.c tests/check.h
tests_test_cache_rebalance_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_cache_rebalance_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_cache_rebalance_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_stress tests/test_stress_asan tests/test_stress_tsan
TESTS += tests/test_stress tests/test_stress_asan tests/test_stress_tsan
tests_test_stress_SOURCES = tests/test_stress.c tests/check.h
tests_test_stress_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_stress_LDADD = libslab_debug.a
tests_test_stress_asan_SOURCES = tests/test_stress.c tests/check.h
tests_test_stress_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_stress_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_stress_asan_LDADD = libslab_asan.a
tests_test_stress_tsan_SOURCES = tests/test_stress.c tests/check.h
tests_test_stress_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_stress_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_stress_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_cache_meta tests/test_cache_meta_asan tests/test_cache_meta_tsan
TESTS += tests/test_cache_meta tests/test_cache_meta_asan tests/test_cache_meta_tsan
tests_test_cache_meta_SOURCES = tests/test_cache_meta.c tests/check.h
tests_test_cache_meta_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_cache_meta_LDADD = libslab_debug.a
tests_test_cache_meta_asan_SOURCES = tests/test_cache_meta.c tests/check.h
tests_test_cache_meta_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_cache_meta_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_cache_meta_asan_LDADD = libslab_asan.a
tests_test_cache_meta_tsan_SOURCES = tests/test_cache_meta.c tests/check.h
tests_test_cache_meta_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_cache_meta_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_cache_meta_tsan_LDADD = libslab_tsan.a

check_PROGRAMS += tests/test_cache_tune tests/test_cache_tune_asan tests/test_cache_tune_tsan
TESTS += tests/test_cache_tune tests/test_cache_tune_asan tests/test_cache_tune_tsan
tests_test_cache_tune_SOURCES = tests/test_cache_tune.c tests/check.h
tests_test_cache_tune_CFLAGS = $(AM_CFLAGS) $(DEBUG_CFLAGS)
tests_test_cache_tune_LDADD = libslab_debug.a
tests_test_cache_tune_asan_SOURCES = tests/test_cache_tune.c tests/check.h
tests_test_cache_tune_asan_CFLAGS = $(AM_CFLAGS) $(ASAN_CFLAGS)
tests_test_cache_tune_asan_LDFLAGS = $(AM_LDFLAGS) $(ASAN_LINKFLAGS)
tests_test_cache_tune_asan_LDADD = libslab_asan.a
tests_test_cache_tune_tsan_SOURCES = tests/test_cache_tune.c tests/check.h
tests_test_cache_tune_tsan_CFLAGS = $(AM_CFLAGS) $(TSAN_CFLAGS)
tests_test_cache_tune_tsan_LDFLAGS = $(AM_LDFLAGS) $(TSAN_LINKFLAGS)
tests_test_cache_tune_tsan_LDADD = libslab_tsan.a
