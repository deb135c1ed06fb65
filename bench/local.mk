# bench/: benchmarks, never part of make check.
EXTRA_DIST += bench/memfill.py bench/RESULTS.md

# Items kept per MiB of RSS, cashew vs stock memcached (issue: slab/ memory target).
bench-memory: cashew
	$(top_srcdir)/bench/memfill.py --cashew $(abs_top_builddir)/cashew --rounds 3 -- -m 64
.PHONY: bench-memory

# The load generator: links only libproto.a and libevent (issue: bench/ load generator).
noinst_PROGRAMS += bench/cashew-loadgen
bench_cashew_loadgen_SOURCES = bench/loadgen.c bench/loadgen.h bench/loadgen_conn.c \
                               bench/loadgen_meta.c \
                               bench/histo.c bench/histo.h bench/keydist.c bench/keydist.h \
                               bench/value.c bench/value.h
bench_cashew_loadgen_CFLAGS = $(AM_CFLAGS) $(RELEASE_CFLAGS) $(LIBEVENT_CFLAGS)
bench_cashew_loadgen_LDADD = libproto.a $(LIBEVENT_LIBS) -lm
EXTRA_DIST += bench/compare

# Throughput, latency and server CPU per op: cashew vs stock memcached vs the
# nullserver floor, alternating rounds (BENCH_FLAGS: extra bench/compare options,
# e.g. BENCH_FLAGS="--rounds 5 --duration 5").
bench: cashew bench/cashew-loadgen
	$(top_srcdir)/bench/compare --cashew $(abs_top_builddir)/cashew \
	    --loadgen $(abs_top_builddir)/bench/cashew-loadgen \
	    --nullserver-src $(top_srcdir)/../shared/tools/nullserver.c \
	    --workdir $(abs_top_builddir)/bench $(BENCH_FLAGS)
.PHONY: bench
