#!/usr/bin/env python3
"""Memory efficiency, side by side: cashew vs stock memcached.

Starts each server with identical flags on a free port, fills it past
capacity with 100-byte values under keys key:0 .. key:N-1, reads every key
back, and reports the items kept (counted from the client side), the peak RSS
of the server process (VmHWM), items per MiB of peak RSS, and the ratio
cashew/memcached. Usage:
    bench/memfill.py [--cashew PATH] [--memcached PATH] [--keys N] [--rounds R]
                     [-- extra server flags]
"""
import argparse
import os
import socket
import subprocess
import sys
import time

VALUE_BYTES = 100
BATCH = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, port, flags):
    argv = [binary, "-p", str(port), "-l", "127.0.0.1", "-U", "0"] + flags
    if os.getuid() == 0:
        argv += ["-u", "nobody"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            return proc, socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{binary} did not start")


def fill(sock, keys):
    value = b"v" * VALUE_BYTES
    for first in range(0, keys, BATCH):
        last = min(keys, first + BATCH)
        sock.sendall(b"".join(b"set key:%d 0 0 %d noreply\r\n%s\r\n" % (i, VALUE_BYTES, value)
                              for i in range(first, last)))
    sock.sendall(b"version\r\n")
    reader = sock.makefile("rb")
    line = reader.readline()
    if not line.startswith(b"VERSION"):
        sys.exit(f"unexpected reply after fill: {line!r}")
    return reader


def count_kept(sock, reader, keys):
    kept = 0
    for first in range(0, keys, 100):
        last = min(keys, first + 100)
        sock.sendall(b"get " + b" ".join(b"key:%d" % i for i in range(first, last)) + b"\r\n")
        while True:
            line = reader.readline()
            if line == b"END\r\n":
                break
            if not line.startswith(b"VALUE "):
                sys.exit(f"unexpected reply: {line!r}")
            data = reader.read(int(line.split()[3]) + 2)
            if data[:VALUE_BYTES] != b"v" * VALUE_BYTES:
                sys.exit("corrupt value read back")
            kept += 1
    return kept


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(binary, keys, flags):
    port = free_port()
    proc, sock = start(binary, port, flags)
    try:
        reader = fill(sock, keys)
        kept = count_kept(sock, reader, keys)
        rss = peak_rss_mib(proc.pid)
    finally:
        sock.close()
        proc.terminate()
        proc.wait()
    return kept, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cashew", default="./cashew")
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--keys", type=int, default=800000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("flags", nargs="*", default=[])
    args = ap.parse_args()
    flags = args.flags or ["-m", "64"]
    print(f"flags: {' '.join(flags)}; {args.keys} keys of {VALUE_BYTES}-byte values")
    print(f"{'server':<10} {'items kept':>11} {'peak RSS MiB':>13} {'items/MiB':>10}")
    per_mib = {}
    for _ in range(args.rounds):
        for name, binary in (("memcached", args.memcached), ("cashew", args.cashew)):
            kept, rss = measure(binary, args.keys, flags)
            per_mib.setdefault(name, []).append(kept / rss)
            print(f"{name:<10} {kept:>11} {rss:>13.1f} {kept / rss:>10.0f}")
    best = {name: sorted(v)[len(v) // 2] for name, v in per_mib.items()}
    print(f"ratio cashew/memcached items per MiB RSS: {best['cashew'] / best['memcached']:.3f}")


if __name__ == "__main__":
    main()
