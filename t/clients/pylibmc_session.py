"""A scripted pylibmc (libmemcached, ASCII protocol) session against
127.0.0.1:PORT (argv[1]).

Prints one "PASS name" or "FAIL name: detail" line per check; t/clients.t
turns them into TAP. Run it with /usr/bin/python3 (Debian's pylibmc).
"""
import sys

import pylibmc

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
    mc = pylibmc.Client(["127.0.0.1:%d" % PORT], binary=False,
                        behaviors={"cas": True, "tcp_nodelay": True})
    check("set", mc.set("pl:a", b"alpha"), True)
    check("get", mc.get("pl:a"), b"alpha")
    check("get miss", mc.get("pl:missing"), None)
    check("add existing", mc.add("pl:a", b"x"), False)
    check("add new", mc.add("pl:b", b"beta"), True)
    check("replace missing", mc.replace("pl:none", b"x"), False)
    check("replace", mc.replace("pl:b", b"BETA"), True)
    check("append", mc.append("pl:b", b"++"), True)
    check("prepend", mc.prepend("pl:b", b"--"), True)
    check("after append/prepend", mc.get("pl:b"), b"--BETA++")
    data = {"pl:m%03d" % i: ("v%d" % i).encode() * (i + 1) for i in range(100)}
    check("set_multi of 100", mc.set_multi(data), [])
    check("get_multi of 100 and a miss", mc.get_multi(list(data) + ["pl:missing"]), data)
    value, cas = mc.gets("pl:a")
    check("gets value", value, b"alpha")
    check("cas stale", mc.cas("pl:a", b"new", cas + 1), False)
    check("cas right", mc.cas("pl:a", b"new", cas), True)
    check("value after cas", mc.get("pl:a"), b"new")
    check("set counter", mc.set("pl:n", b"10"), True)
    check("incr", mc.incr("pl:n", 5), 15)
    check("decr", mc.decr("pl:n", 20), 0)
    try:
        mc.incr("pl:nonum", 1)
        check("incr missing raises NotFound", "no exception", "NotFound")
    except pylibmc.NotFound:
        check("incr missing raises NotFound", "NotFound", "NotFound")
    check("touch", mc.touch("pl:a", 100), True)
    check("touch missing", mc.touch("pl:zzz", 100), False)
    check("delete", mc.delete("pl:a"), True)
    check("delete missing", mc.delete("pl:a"), False)
    check("delete_multi", mc.delete_multi(["pl:m000", "pl:m001"]), True)
    check("get after delete_multi", mc.get_multi(["pl:m000", "pl:m001", "pl:m002"]),
          {"pl:m002": data["pl:m002"]})
    binary = bytes(range(256)) * 100 + b"\r\nEND\r\n"
    check("set binary", mc.set("pl:bin", binary), True)
    check("get binary", mc.get("pl:bin"), binary)
    big = b"Q" * (700 * 1024)
    check("set 700 KB", mc.set("pl:big", big), True)
    check("get 700 KB", mc.get("pl:big"), big)
    obj = {"tuple": (1, 2), "text": "caf\u00e9"}
    check("pickled object (flags)", (mc.set("pl:obj", obj), mc.get("pl:obj")), (True, obj))
    check("int value (flags)", (mc.set("pl:int", 77), mc.get("pl:int")), (True, 77))
    check("unicode value (flags)", (mc.set("pl:str", "\u00fcnic\u00f6de"), mc.get("pl:str")),
          (True, "\u00fcnic\u00f6de"))
    stats = mc.get_stats()
    check("one server in stats", len(stats), 1)
    st = stats[0][1]
    check("stats curr_items", int(st.get("curr_items", 0)) >= 98, True)
    check("stats has cmd_get", "cmd_get" in st, True)
    check("flush_all", mc.flush_all(), True)
    check("get after flush", mc.get("pl:obj"), None)
    mc.disconnect_all()
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
