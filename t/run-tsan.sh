#!/bin/sh
# make check: the concurrency, pipelining and many-connection tests against
# the TSAN build; any "WARNING: ThreadSanitizer" in the server log fails.
exec "$(dirname "$0")/run-suite.sh" cashew-debug-tsan \
    concurrency.t pipeline.t limits.t clients.t noreply.t memory.t meta_swr.t meta_misc.t watch.t observe.t \
    loadgen.t batch.t spread.t
