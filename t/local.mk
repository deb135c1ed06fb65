# t/: protocol tests against the real binary (Perl Test::More under prove),
# written against stock memcached first so the expectations are memcached's.
#   t/run-suite.sh BINARY [TEST.t ...]   runs t/*.t against one binary
#   t/lib/CashewTest.pm                  starts/stops the server, reply helpers
# make check runs the whole suite against cashew-debug and (with the
# sanitizer builds) cashew-debug-asan, plus the concurrency/pipelining/
# many-connection part against cashew-debug-tsan; a sanitizer report in the
# server's stderr fails the test that stopped it.
# `make check-memcached` runs the same suite against /usr/bin/memcached (the
# oracle); it is not part of make check. Needs: perl (Test::More, prove),
# libcache-memcached-fast-perl, python3-pymemcache, python3-pylibmc,
# libmemcached-tools (memccapable), memcached.
TSUITE_RUNNERS = t/run-suite.sh t/run-debug.sh t/run-asan.sh t/run-tsan.sh t/run-memcached.sh
TSUITE_FILES = t/lib/CashewTest.pm t/storage.t t/get.t t/delete_incr_touch.t t/expiry.t \
          t/noreply.t t/misc.t t/pipeline.t t/limits.t t/concurrency.t t/clients.t t/memory.t \
          t/lib/MetaTest.pm t/meta_get.t t/meta_set.t t/meta_delete.t t/meta_arith.t t/meta_misc.t t/meta_swr.t \
          t/transports.t t/lifecycle.t t/options.t t/stats.t t/admin.t t/detail.t t/admin_crawler.t t/watch.t \
          t/dump.t t/lru_tune.t t/observe.t t/loadgen.t t/batch.t t/spread.t \
          t/clients/pymemcache_session.py t/clients/pylibmc_session.py
EXTRA_DIST += $(TSUITE_RUNNERS) $(TSUITE_FILES)

TESTS += t/run-debug.sh
if SANITIZER_BUILDS
TESTS += t/run-asan.sh t/run-tsan.sh
endif

check-memcached:
	$(SHELL) $(srcdir)/t/run-memcached.sh
.PHONY: check-memcached
