"""A scripted pymemcache session against 127.0.0.1:PORT (argv[1]).

Prints one "PASS name" or "FAIL name: detail" line per check; t/clients.t
turns them into TAP. Run it with /usr/bin/python3 (Debian's pymemcache).
"""
import sys

from pymemcache import serde
from pymemcache.client.base import Client

PORT = int(sys.argv[1])
failures = 0


def check(name, got, expected):
    global failures
    if got == expected:
        print("PASS %s" % name)
    else:
        failures += 1
        print("FAIL %s: got %r, expected %r" % (name, got, expected)[:400])


def main():
    c = Client(("127.0.0.1", PORT), connect_timeout=10, timeout=20)
    check("set", c.set("pm:a", b"alpha", noreply=False), True)
    check("get", c.get("pm:a"), b"alpha")
    check("get miss", c.get("pm:missing"), None)
    check("add existing", c.add("pm:a", b"x", noreply=False), False)
    check("add new", c.add("pm:b", b"beta", noreply=False), True)
    check("replace missing", c.replace("pm:none", b"x", noreply=False), False)
    check("replace", c.replace("pm:b", b"BETA", noreply=False), True)
    check("append", c.append("pm:b", b"++", noreply=False), True)
    check("prepend", c.prepend("pm:b", b"--", noreply=False), True)
    check("after append/prepend", c.get("pm:b"), b"--BETA++")
    check("get_many", c.get_many(["pm:a", "pm:b", "pm:missing"]),
          {"pm:a": b"alpha", "pm:b": b"--BETA++"})
    keys = {"pm:m%03d" % i: ("v%d" % i).encode() * (i + 1) for i in range(100)}
    check("set_many of 100", c.set_many(keys, noreply=False), [])
    check("get_many of 100", c.get_many(list(keys)), keys)
    value, cas = c.gets("pm:a")
    check("gets value", value, b"alpha")
    check("gets cas is a number", cas is not None and int(cas) > 0, True)
    check("cas stale", c.cas("pm:a", b"new", int(cas) + 1, noreply=False), False)
    check("cas right", c.cas("pm:a", b"new", cas, noreply=False), True)
    check("value after cas", c.get("pm:a"), b"new")
    check("cas missing", c.cas("pm:zzz", b"v", cas, noreply=False), None)
    check("set counter", c.set("pm:n", b"10", noreply=False), True)
    check("incr", c.incr("pm:n", 5), 15)
    check("decr", c.decr("pm:n", 20), 0)
    check("incr missing", c.incr("pm:nonum", 1), None)
    c.set("pm:n", b"18446744073709551615", noreply=False)
    check("incr wraps", c.incr("pm:n", 1), 0)
    check("touch", c.touch("pm:a", 100, noreply=False), True)
    check("touch missing", c.touch("pm:zzz", 100, noreply=False), False)
    check("delete", c.delete("pm:a", noreply=False), True)
    check("delete missing", c.delete("pm:a", noreply=False), False)
    check("get deleted", c.get("pm:a"), None)
    binary = bytes(range(256)) * 100 + b"\r\nEND\r\n"
    check("set binary", c.set("pm:bin", binary, noreply=False), True)
    check("get binary", c.get("pm:bin"), binary)
    big = b"Z" * (500 * 1024)
    check("set 500 KB", c.set("pm:big", big, noreply=False), True)
    check("get 500 KB", c.get("pm:big"), big)
    check("set empty", c.set("pm:empty", b"", noreply=False), True)
    check("get empty", c.get("pm:empty"), b"")
    stats = c.stats()
    check("stats curr_items", stats.get(b"curr_items", 0) >= 100, True)
    check("stats get_hits", stats.get(b"get_hits", 0) > 0, True)
    check("version", len(c.version()) > 0, True)
    c.close()

    # flags through a serializer
    s = Client(("127.0.0.1", PORT), serde=serde.pickle_serde, timeout=20)
    obj = {"list": [1, 2, 3], "text": "caf\u00e9", "n": 42}
    check("pickle set", s.set("pm:obj", obj, noreply=False), True)
    check("pickle get", s.get("pm:obj"), obj)
    check("int set", s.set("pm:int", 12345, noreply=False), True)
    check("int get", s.get("pm:int"), 12345)
    check("str get", (s.set("pm:str", "\u00fcnic\u00f6de", noreply=False), s.get("pm:str")),
          (True, "\u00fcnic\u00f6de"))
    check("noreply set", s.set("pm:nr", "quiet", noreply=True), True)
    check("after noreply set", s.get("pm:nr"), "quiet")
    check("flush_all", s.flush_all(noreply=False), True)
    check("get after flush", s.get("pm:obj"), None)
    s.close()
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
