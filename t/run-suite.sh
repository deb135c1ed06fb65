#!/bin/sh
# Runs cashew's protocol tests (t/*.t) under prove against one server binary.
#
#   t/run-suite.sh [BINARY [TEST.t ...]]
#
# BINARY defaults to $CASHEW_BIN; a bare name (cashew-debug) is looked up in
# the build directory: $CASHEW_BUILDDIR, else $abs_top_builddir, else the
# current directory (make check runs tests from the build directory).
# TESTs default to every t/*.t; bare names (pipeline.t) are taken from t/.
# The sanitizer builds report through the server's stderr log, which the
# harness (t/lib/CashewTest.pm) checks after each server stops.
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=${CASHEW_BUILDDIR:-${abs_top_builddir:-$(pwd)}}

bin=${1:-${CASHEW_BIN:-}}
[ $# -gt 0 ] && shift
if [ -z "$bin" ]; then
    echo "run-suite.sh: no binary (give one or set CASHEW_BIN)" >&2
    exit 2
fi
case $bin in
    */*) ;;
    *) bin=$builddir/$bin ;;
esac
if [ ! -x "$bin" ]; then
    echo "run-suite.sh: $bin is not an executable (build it first)" >&2
    exit 1
fi
case $bin in
    /*) ;;
    *) bin=$(pwd)/$bin ;;
esac

tests=
if [ $# -eq 0 ]; then
    tests=$(ls "$here"/*.t)
else
    for t in "$@"; do
        case $t in
            */*) tests="$tests $t" ;;
            *) tests="$tests $here/$t" ;;
        esac
    done
fi

# The 1000-connection test needs descriptors for both ends.
ulimit -n 8192 2>/dev/null || ulimit -n hard 2>/dev/null || true

# Sanitizer reports go to the server's stderr; keep going after a report so
# the log shows it, and never let LSan/ASan abort silently.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:print_summary=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
export ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS

CASHEW_BIN=$bin
CASHEW_BUILDDIR=$builddir
export CASHEW_BIN CASHEW_BUILDDIR
echo "# protocol tests against $CASHEW_BIN"
# shellcheck disable=SC2086
exec prove -j "${CASHEW_PROVE_JOBS:-2}" -I "$here/lib" $tests
