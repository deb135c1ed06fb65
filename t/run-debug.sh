#!/bin/sh
# make check: the whole protocol suite against cashew-debug.
exec "$(dirname "$0")/run-suite.sh" cashew-debug
