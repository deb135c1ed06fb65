#!/bin/sh
# make check: the whole protocol suite against the ASAN+UBSAN build; the
# harness fails a test when the server's stderr shows a sanitizer report.
exec "$(dirname "$0")/run-suite.sh" cashew-debug-asan
