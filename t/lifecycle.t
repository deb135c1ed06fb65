#!/usr/bin/perl
# Connection and process lifecycle: -o idle_timeout, SIGTERM/SIGINT with a
# reply in flight, shutdown with and without -A (exit status), -R fairness,
# backpressure from a client that stops reading.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use Time::HiRes qw(sleep time);
use CashewTest;

local $SIG{ALRM} = sub { die "lifecycle.t: overall time limit hit\n" };
alarm 300;

# Waits up to $timeout s for the server to exit on its own; returns the wait
# status (0 = exit code 0) or undef when it is still running.
sub exit_status {
    my ($srv, $timeout) = @_;
    return undef unless $srv->wait_exit($timeout);
    return $srv->{exited};
}

# True when the peer closed $sock (EOF or reset) within $timeout s; bytes
# that arrive first are kept in the harness buffer.
sub closed_within {
    my ($sock, $timeout) = @_;
    my (undef, $closed) = read_until_closed($sock, $timeout);
    return $closed;
}

# ---------------------------------------------------------------------------
# -o idle_timeout=2: an idle client is closed, an active one is not
{
    my $srv = CashewTest::Server->start('-o', 'idle_timeout=2');
    my $idle = $srv->new_sock;
    my $busy = $srv->new_sock;
    is_reply($idle, "version\r\n", $srv->{version}, 'idle client: one request');
    is_reply($busy, "set act 0 0 1\r\na\r\n", "STORED\r\n", 'active client: set');
    my $vlen = 100_000;
    my @v = map { my $i = $_; substr("<$i>" . join('', map { chr(48 + ($_ * 3 + $i) % 70) } 0 .. 99) x 1001, 0, $vlen) }
            0 .. 19;
    is_reply($busy, join('', map { "set iv$_ 0 0 $vlen\r\n$v[$_]\r\n" } 0 .. 19), "STORED\r\n" x 20,
             'active client: 20 x 100 KB stored');
    # a client with 20 MB of replies pending that it does not read: memcached
    # does not count it as idle (it waits for the client, not for a command)
    my $slow = $srv->new_sock;
    my $slow_exp = join('', map { "VALUE iv$_ 0 $vlen\r\n$v[$_]\r\nEND\r\n" } map { $_ % 20 } 0 .. 199);
    send_all($slow, join('', map { "get iv" . ($_ % 20) . "\r\n" } 0 .. 199));
    # a client that stopped in the middle of a command line is idle ...
    my $partline = $srv->new_sock;
    send_all($partline, "get act a");
    # ... one that stopped in the middle of a set's data block is not
    my $partdata = $srv->new_sock;
    send_all($partdata, "set pd 0 0 10\r\nabc");
    my $t0 = time;
    my $sel = IO::Select->new($idle);
    my ($closed_at, $busy_ok, $busy_n) = (undef, 1, 0);
    # the busy client talks every 0.3 s; watch the idle one meanwhile; keep
    # going 3 s past the idle close so the busy client outlives two checks
    while (time - $t0 < 15) {
        last if defined $closed_at && time - $closed_at > 3;
        send_all($busy, "get act\r\n");
        $busy_ok = 0 unless read_expect($busy, "VALUE act 0 1\r\na\r\nEND\r\n", 5) eq "VALUE act 0 1\r\na\r\nEND\r\n";
        $busy_n++;
        if (!defined $closed_at && $sel->can_read(0.3)) {
            my ($data, $closed) = read_until_closed($idle, 1);
            $closed_at = time if $closed;
            is($data, '', 'idle client: closed without any bytes') if $closed;
        } elsif (defined $closed_at) {
            sleep 0.3;
        }
    }
    ok(defined $closed_at, 'idle client closed within 15 s of idle_timeout=2');
    ok(defined $closed_at && $closed_at - $t0 >= 1.5, 'idle client not closed before its 2 s idle time')
        or diag(sprintf('closed after %.2f s', ($closed_at // 0) - $t0));
    note(sprintf('idle client closed after %.2f s', $closed_at - $t0)) if defined $closed_at;
    ok($busy_ok && $busy_n > 5, "active client got all $busy_n replies right");
    is_reply($busy, "version\r\n", $srv->{version}, 'active client still connected');
    my $st = $srv->stats('', $busy);
    cmp_ok($st->{idle_kicks} // -1, '>=', 1, 'stats idle_kicks counts the kicked client');
    is($srv->stats('settings', $busy)->{idle_timeout}, 2, 'stats settings idle_timeout');
    my $fresh = $srv->new_sock;
    is_reply($fresh, "get act\r\n", "VALUE act 0 1\r\na\r\nEND\r\n", 'a new client is served');
    ok(closed_within($partline, 5), 'a client idle in the middle of a command line is closed too');
    is_reply($partdata, "defghij\r\n", "STORED\r\n",
             'a client idle in the middle of a set data block is kept; its set completes');
    # memcached 1.6.18 leaves such a client in conn_new_cmd once its socket
    # is full and closes it as idle (seen in most runs, not all); cashew keeps
    # it, a documented difference (README, "Signals")
    my $got = read_expect($slow, $slow_exp, 30);
    if (is_oracle() && length($got) < length($slow_exp)) {
        is_bytes($got, substr($slow_exp, 0, length $got),
                 'memcached: a client with unread replies pending gets a correct prefix, then is kicked');
    } else {
        is_bytes($got, $slow_exp, 'a client with unread replies pending is not kicked: all 20 MB arrive');
    }
    $srv->stop;
}

# ---------------------------------------------------------------------------
# SIGTERM / SIGINT: exit status 0; a reply in flight is either delivered in
# full or cut off cleanly (a prefix of it, then EOF), never garbled.
for my $sig (qw(TERM INT)) {
    my $srv = CashewTest::Server->start('-m', '64');
    my $s = $srv->sock;
    my $n = 100;
    my $vlen = 100_000;
    my @v = map { chr(97 + $_ % 26) x $vlen } 0 .. $n - 1;
    my $sets = join('', map { "set sig$_ $_ 0 $vlen\r\n$v[$_]\r\n" } 0 .. $n - 1);
    is_reply($s, $sets, "STORED\r\n" x $n, "SIG$sig: stored $n x 100 KB");
    my $exp = join('', map { "VALUE sig$_ $_ $vlen\r\n$v[$_]\r\n" } 0 .. $n - 1) . "END\r\n";
    my $other = $srv->new_sock;
    is_reply($other, "version\r\n", $srv->{version}, "SIG$sig: an idle second client");
    send_all($s, 'get ' . join(' ', map { "sig$_" } 0 .. $n - 1) . "\r\n");
    my $first = read_bytes($s, 1, 10);
    is($first, 'V', "SIG$sig: the multiget reply started");
    kill $sig, $srv->pid;
    my ($data, $closed) = read_until_closed($s, 20);
    $data = $first . $data;
    ok($closed, "SIG$sig: the connection ends after the signal");
    ok(substr($exp, 0, length $data) eq $data, "SIG$sig: what arrived is a prefix of the reply (not garbled)")
        or diag(sprintf('got %d bytes', length $data));
    note(sprintf("SIG$sig: %d of %d reply bytes arrived (%s)", length $data, length $exp,
                 $data eq $exp ? 'complete' : 'cut off'));
    ok(closed_within($other, 20), "SIG$sig: the idle client is disconnected");
    is(exit_status($srv, 20), 0, "SIG$sig: server exits with status 0");
    $srv->stop;
}

# SIGTERM while a client does not read its pending 5 MB reply: the server
# does not wait for it forever; the client sees a prefix, then EOF
{
    my $srv = CashewTest::Server->start;
    my $s = $srv->sock;
    my $v = 'w' x 100_000;
    is_reply($s, join('', map { "set st$_ 0 0 100000\r\n$v\r\n" } 0 .. 49), "STORED\r\n" x 50,
             'SIGTERM/stalled reader: 50 x 100 KB stored');
    my $exp = join('', map { "VALUE st$_ 0 100000\r\n$v\r\n" } 0 .. 49) . "END\r\n";
    send_all($s, 'get ' . join(' ', map { "st$_" } 0 .. 49) . "\r\n");
    sleep 0.5;
    kill 'TERM', $srv->pid;
    is(exit_status($srv, 20), 0, 'SIGTERM/stalled reader: server exits with status 0 within 20 s');
    my ($data, $closed) = read_until_closed($s, 10);
    ok($closed, 'SIGTERM/stalled reader: the connection ends');
    ok(substr($exp, 0, length $data) eq $data, 'SIGTERM/stalled reader: what arrived is a prefix of the reply')
        or diag(sprintf('got %d bytes', length $data));
    $srv->stop;
}

# ---------------------------------------------------------------------------
# SIGHUP is ignored (the server keeps serving); SIGUSR1 is memcached's
# graceful stop: clients are disconnected and the exit status is 0
{
    my $srv = CashewTest::Server->start;
    my $s = $srv->sock;
    is_reply($s, "set hup 0 0 1\r\nh\r\n", "STORED\r\n", 'SIGHUP: set first');
    kill 'HUP', $srv->pid;
    sleep 0.5;
    ok($srv->alive, 'SIGHUP: server still running') or diag("wait status $srv->{exited}");
    my $s2 = eval { $srv->new_sock };
    if ($s2) {
        is_reply($s2, "get hup\r\n", "VALUE hup 0 1\r\nh\r\nEND\r\n", 'SIGHUP: new connections are served');
    } else {
        ok(0, 'SIGHUP: new connections are served');
    }
    $srv->stop;
}
{
    my $srv = CashewTest::Server->start;
    my $s = $srv->sock;
    my $mid = $srv->new_sock;
    send_all($mid, "set usr 0 0 10\r\nabc");   # in the middle of a set
    is_reply($s, "version\r\n", $srv->{version}, 'SIGUSR1: server up');
    kill 'USR1', $srv->pid;
    ok(closed_within($s, 20), 'SIGUSR1: an idle client is disconnected');
    ok(closed_within($mid, 20), 'SIGUSR1: a client in the middle of a set is disconnected');
    is(exit_status($srv, 20), 0, 'SIGUSR1: server exits with status 0 (graceful stop)');
    $srv->stop;
}

# ---------------------------------------------------------------------------
# shutdown
{
    my $srv = CashewTest::Server->start;
    my $s = $srv->sock;
    is_reply($s, "shutdown\r\n", "ERROR: shutdown not enabled\r\n", 'shutdown without -A: error');
    is_reply($s, "get x\r\n", "END\r\n", 'shutdown without -A: connection still served');
    $srv->stop;

    my $a = CashewTest::Server->start('-A');
    my $t = $a->sock;
    my $u = $a->new_sock;
    is_reply($t, "set keep 0 0 1\r\nk\r\n", "STORED\r\n", 'shutdown with -A: set first');
    send_all($t, "shutdown\r\n");
    my ($closed, $rest) = expect_closed($t, 20);
    ok($closed, 'shutdown with -A: the connection is closed');
    is($rest, '', 'shutdown with -A: no reply bytes');
    ok(closed_within($u, 20), 'shutdown with -A: other clients are disconnected');
    is(exit_status($a, 20), 0, 'shutdown with -A: server exits with status 0');
    $a->stop;

    my $g = CashewTest::Server->start('-A');
    send_all($g->sock, "shutdown graceful\r\n");
    ok(closed_within($g->sock, 20), 'shutdown graceful with -A: the connection is closed');
    is(exit_status($g, 20), 0, 'shutdown graceful with -A: server exits with status 0');
    $g->stop;
}

# ---------------------------------------------------------------------------
# -R 1: a client pipelining 1000 gets and one sending a single get are both
# answered correctly
{
    my $srv = CashewTest::Server->start('-R', '1', '-t', '1');
    my $s = $srv->sock;
    my $keys = 50;
    is_reply($s, join('', map { "set r$_ $_ 0 " . length("val$_") . "\r\nval$_\r\n" } 0 .. $keys - 1),
             "STORED\r\n" x $keys, "-R 1: $keys keys stored");
    my ($req, $exp) = ('', '');
    for my $i (0 .. 999) {
        my $k = $i % ($keys + 10);   # every 6th key misses
        $req .= "get r$k\r\n";
        $exp .= ($k < $keys ? "VALUE r$k $k " . length("val$k") . "\r\nval$k\r\n" : '') . "END\r\n";
    }
    my $pipe = $srv->new_sock;
    my $single = $srv->new_sock;
    my $before = $srv->stats('', $s);
    send_all($pipe, $req);
    send_all($single, "get r7\r\n");
    is_reply($single, undef, "VALUE r7 7 4\r\nval7\r\nEND\r\n", '-R 1: the single get is answered');
    is_bytes(read_expect($pipe, $exp, 30), $exp, '-R 1: all 1000 pipelined gets answered in order');
    is_reply($single, "get r8 r9\r\n", "VALUE r8 8 4\r\nval8\r\nVALUE r9 9 4\r\nval9\r\nEND\r\n",
             '-R 1: the single client again');
    my $after = $srv->stats('', $s);
    # yielding between requests must not reorder or lose state: sets with
    # data blocks, gets and incrs in one pipelined write
    my ($mreq, $mexp) = ("set ctr 0 0 1\r\n0\r\n", "STORED\r\n");
    for my $i (0 .. 299) {
        my $d = 'd' x ($i % 50);
        $mreq .= "set m$i 0 0 " . length($d) . "\r\n$d\r\nincr ctr 1\r\nget m$i\r\n";
        $mexp .= "STORED\r\n" . ($i + 1) . "\r\nVALUE m$i 0 " . length($d) . "\r\n$d\r\nEND\r\n";
    }
    send_all($pipe, $mreq);
    is_bytes(read_expect($pipe, $mexp, 30), $mexp, '-R 1: 900 pipelined set/incr/get in order');
    is($after->{cmd_get} - $before->{cmd_get}, 1003, '-R 1: cmd_get counts every get');
    cmp_ok(($after->{conn_yields} // 0) - ($before->{conn_yields} // 0), '>', 0,
           '-R 1: stats conn_yields grew');
    $srv->stop;
}

# ---------------------------------------------------------------------------
# backpressure: 200 gets of 100 KB values pipelined by a client that does not
# read for 2 s; another client is served meanwhile; then everything arrives
{
    my $srv = CashewTest::Server->start('-m', '64');
    my $s = $srv->sock;
    my $nv = 20;
    my $vlen = 100_000;
    my @v = map { my $i = $_; substr("<$i>" . join('', map { chr(48 + ($_ * 7 + $i) % 75) } 0 .. 99) x 1001, 0, $vlen) }
            0 .. $nv - 1;
    is_reply($s, join('', map { "set bp$_ 0 0 $vlen\r\n$v[$_]\r\n" } 0 .. $nv - 1), "STORED\r\n" x $nv,
             "backpressure: $nv x 100 KB stored");
    my $slow = $srv->new_sock;
    my ($req, @exp) = ('');
    for my $i (0 .. 199) {
        my $k = ($i * 7) % $nv;
        $req .= "get bp$k\r\n";
        push @exp, "VALUE bp$k 0 $vlen\r\n$v[$k]\r\nEND\r\n";
    }
    send_all($slow, $req);
    my $t0 = time;
    my ($fast_ok, $fast_n) = (1, 0);
    while (time - $t0 < 2) {
        my $k = $fast_n % $nv;
        my $e = "VALUE bp$k 0 $vlen\r\n$v[$k]\r\nEND\r\n";
        send_all($s, "set fast$fast_n 0 0 1\r\nf\r\nget bp$k\r\n");
        $fast_ok = 0 unless read_expect($s, "STORED\r\n$e", 10) eq "STORED\r\n$e";
        $fast_n++;
        sleep 0.05;
    }
    ok($fast_ok && $fast_n >= 3, "backpressure: the other client was served meanwhile ($fast_n rounds)");
    my $good = 0;
    for my $i (0 .. 199) {
        my $got = read_expect($slow, $exp[$i], 30);
        if ($got ne $exp[$i]) {
            is_bytes($got, $exp[$i], "backpressure: reply $i");
            last;
        }
        $good++;
    }
    is($good, 200, 'backpressure: all 200 replies (20 MB) complete and in order');
    is_reply($slow, "version\r\n", $srv->{version}, 'backpressure: the slow client is in sync');
    $srv->stop;
}

alarm 0;
done_testing;
