#!/bin/sh
# Installs what cashew needs on Debian 12: the build tool chain and libraries,
# and the peers the test suite talks to (stock memcached as the oracle, real
# clients). Run as root (or through sudo). Safe to run again.
set -e
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential autoconf automake pkg-config \
    libevent-dev libjemalloc-dev libxxhash-dev \
    memcached libmemcached-tools python3 python3-pymemcache python3-pylibmc \
    perl libtest-simple-perl libcache-memcached-fast-perl procps >/dev/null
# The Debian package starts a memcached service on 11211; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop memcached >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/memcached ]; then /etc/init.d/memcached stop >/dev/null 2>&1 || true; fi
exit 0
