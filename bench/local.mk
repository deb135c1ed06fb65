# bench/: benchmarks, never part of make check.
EXTRA_DIST += bench/memfill.py bench/RESULTS.md

# Items kept per MiB of RSS, cashew vs stock memcached (issue: slab/ memory target).
bench-memory: cashew
	$(top_srcdir)/bench/memfill.py --cashew $(abs_top_builddir)/cashew --rounds 3 -- -m 64
.PHONY: bench-memory
