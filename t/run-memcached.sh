#!/bin/sh
# make check-memcached: the whole suite against stock memcached, the oracle.
exec "$(dirname "$0")/run-suite.sh" "${MEMCACHED:-/usr/bin/memcached}"
