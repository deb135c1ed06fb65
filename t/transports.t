#!/usr/bin/perl
# Transports other than plain TCP on 127.0.0.1: UDP (-U) with memcached's
# 8-byte frame header, unix domain sockets (-s/-a, and -c over them), IPv6
# listeners (-l ::1, comma lists and repeated -l; run only where the machine
# has ::1, and then they must work). Expectations are memcached 1.6.18's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Socket::UNIX;
use IO::Select;
use File::Temp qw(tempdir tempfile);
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_STREAM SOCK_DGRAM);
use Time::HiRes qw(sleep time);
use CashewTest;

# ---------------------------------------------------------------------------
# A server started with exactly the given arguments (the harness always adds
# -p/-l 127.0.0.1 and waits on TCP, which the unix socket and IPv6-only cases
# cannot use). $ready->() returns a connected socket once the server answers.
package Spawned;
use POSIX qw(:sys_wait_h);
use File::Temp qw(tempfile);
use Time::HiRes qw(sleep time);
use Test::More;

my @SPAWNED;
my $SANITIZER_RE = qr/ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer: reported/;

sub new {
    my ($class, @args) = @_;
    my ($fh, $log) = tempfile('cashew-ttrans-XXXXXX', SUFFIX => '.log', TMPDIR => 1);
    close $fh;
    chmod 0666, $log;
    push @args, '-u', 'nobody' if $> == 0;
    my $self = bless { log => $log, args => [@args] }, $class;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', $log);
        open(STDERR, '>>', $log);
        exec(CashewTest::server_bin(), @args) or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    push @SPAWNED, $self;
    return $self;
}

sub alive {
    my ($self) = @_;
    return 0 if defined $self->{exited};
    if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
        $self->{exited} = $?;
        return 0;
    }
    return 1;
}

# Polls $connect->() (a socket or undef) until the server answers "version";
# gives up after $timeout s or when the process exits. Returns the socket.
sub wait_ready {
    my ($self, $connect, $timeout) = @_;
    my $deadline = time + ($timeout // 30);
    while (time < $deadline && $self->alive) {
        my $s = $connect->();
        if ($s && CashewTest::send_all($s, "version\r\n")) {
            my $line = CashewTest::read_line($s, 5) // '';
            return $s if $line =~ /^VERSION /;
        }
        sleep 0.05;
    }
    return undef;
}

sub log_text {
    my ($self) = @_;
    open(my $fh, '<', $self->{log}) or return '';
    local $/;
    return <$fh> // '';
}

# SIGINT, bounded wait, then KILL. Returns the wait status.
sub kill_wait {
    my ($self, $sig, $timeout) = @_;
    return $self->{exited} unless $self->alive;
    kill $sig // 'INT', $self->{pid};
    my $deadline = time + ($timeout // 15);
    while (time < $deadline) {
        return $self->{exited} unless $self->alive;
        sleep 0.02;
    }
    kill 'KILL', $self->{pid};
    waitpid($self->{pid}, 0);
    $self->{exited} = $?;
    return -1;
}

# Stops the server; adds tests: it was still running, it exited with status
# 0 on SIGINT, its log has no sanitizer report.
sub stop {
    my ($self, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok($self->alive, "$name: server still running at the end")
        or diag("exit status $self->{exited}; log:\n" . $self->log_text);
    my $st = $self->kill_wait('INT', 15);
    is($st, 0, "$name: exits with status 0 on SIGINT");
    my $log = $self->log_text;
    ok($log !~ $SANITIZER_RE, "$name: no sanitizer report in the server log")
        or diag(substr($log, 0, 20000));
    unlink $self->{log} if $log !~ $SANITIZER_RE;
    @SPAWNED = grep { $_ != $self } @SPAWNED;
}

END {
    for my $s (@SPAWNED) {
        next if defined $s->{exited};
        kill 'KILL', $s->{pid};
        waitpid($s->{pid}, 0);
    }
}

package main;

local $SIG{ALRM} = sub { die "transports.t: overall time limit hit\n" };
alarm 240;

sub free_port {
    my ($proto) = @_;
    for (1 .. 50) {
        my $port = 20000 + int(rand(12000));
        my $t = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                      Proto => 'tcp', Listen => 1, ReuseAddr => 1) or next;
        my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                      Proto => 'udp') or next;
        close $t;
        close $u;
        return $port;
    }
    die "no free port\n";
}

# `stats SUB` on any connected socket, as a hash.
sub stats_on {
    my ($sock, $sub) = @_;
    send_all($sock, length $sub ? "stats $sub\r\n" : "stats\r\n");
    my %h;
    while (defined(my $l = read_line($sock, 10))) {
        last if $l eq "END\r\n";
        $h{$1} = $2 if $l =~ /^STAT (\S+) (.*)\r\n/;
    }
    return \%h;
}

# ---------------------------------------------------------------------------
# UDP
my $UDP_MAX = 1400;   # memcached never sends a datagram larger than this

sub udp_frame {
    my ($id, $body, $seq, $count, $rsv) = @_;
    return pack('nnnn', $id, $seq // 0, $count // 1, $rsv // 0) . $body;
}

# Reads datagrams until $want_id's message is complete (all `count` sequence
# numbers seen) or $timeout passes. Returns (payload reassembled by sequence
# number, number of datagrams, header count, [ids of other datagrams seen],
# max datagram size, all counts consistent).
sub udp_collect {
    my ($u, $want_id, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my (%part, $total, @others, $max, $consistent);
    $max = 0;
    $consistent = 1;
    my $sel = IO::Select->new($u);
    while (time < $deadline) {
        last if defined $total && keys(%part) == $total;
        next unless $sel->can_read($deadline - time);
        my $d;
        defined(recv($u, $d, 65536, 0)) or next;
        $max = length $d if length $d > $max;
        if (length $d < 8) { push @others, -1; next }
        my ($id, $seq, $count) = unpack('nnn', $d);
        if ($id != $want_id) { push @others, $id; next }
        $consistent = 0 if defined $total && $total != $count;
        $total = $count;
        $part{$seq} = substr($d, 8);
    }
    return (undef, 0, undef, \@others, $max, $consistent) unless defined $total;
    my $data = join('', map { $part{$_} // '' } 0 .. $total - 1);
    $data = undef unless keys(%part) == $total;
    return ($data, scalar keys %part, $total, \@others, $max, $consistent);
}

# Payloads of the datagrams carrying $want_id, concatenated in arrival order,
# until $want_len bytes arrived or $timeout passes. For multiget replies:
# memcached 1.6.18 sends each hit as a message of its own (sequence numbers
# restart at 0 for every key), so only the arrival order is common ground.
sub udp_collect_arrival {
    my ($u, $want_id, $want_len, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my $data = '';
    my $sel = IO::Select->new($u);
    while (length $data < $want_len && time < $deadline) {
        next unless $sel->can_read($deadline - time);
        my $d;
        defined(recv($u, $d, 65536, 0)) or next;
        next unless length $d >= 8 && unpack('n', $d) == $want_id;
        $data .= substr($d, 8);
    }
    return $data;
}

sub udp_is {
    my ($u, $id, $body, $expected, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    send($u, udp_frame($id, $body), 0);
    my ($data) = udp_collect($u, $id, 5);
    return is_bytes($data, $expected, $name);
}

{
    my $uport = free_port();
    my $srv = CashewTest::Server->start('-U', $uport);
    my $s = $srv->sock;
    my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $uport, Proto => 'udp')
        or die "udp socket: $!";

    udp_is($u, 7, "set u1 3 0 5\r\nhello\r\n", "STORED\r\n", 'UDP set');
    udp_is($u, 8, "get u1\r\n", "VALUE u1 3 5\r\nhello\r\nEND\r\n", 'UDP get');
    is_reply($s, "get u1\r\n", "VALUE u1 3 5\r\nhello\r\nEND\r\n", 'the UDP set is visible over TCP');
    is_reply($s, "set t1 0 0 2\r\nhi\r\n", "STORED\r\n", 'TCP set');
    udp_is($u, 0xFFFF, "get nokey t1\r\n", "VALUE t1 0 2\r\nhi\r\nEND\r\n",
           'UDP get of a TCP-set key, request id 0xffff');
    {
        my $exp = "VALUE t1 0 2\r\nhi\r\nVALUE u1 3 5\r\nhello\r\nEND\r\n";
        send($u, udp_frame(0xFFFE, "get t1 nokey u1\r\n"), 0);
        is_bytes(udp_collect_arrival($u, 0xFFFE, length $exp, 5), $exp, 'UDP multiget with two hits');
    }
    udp_is($u, 0, "get nokey\r\n", "END\r\n", 'UDP miss, request id 0');
    udp_is($u, 9, "delete u1\r\n", "DELETED\r\n", 'UDP delete');
    udp_is($u, 10, "incr nokey 1\r\n", "NOT_FOUND\r\n", 'UDP incr miss');
    udp_is($u, 11, "bogus\r\n", "ERROR\r\n", 'UDP unknown command');
    udp_is($u, 12, "version\r\n", $srv->{version}, 'UDP version');

    # the reply carries the request id: two requests in flight, answered apart
    send($u, udp_frame(0x1234, "get t1\r\n"), 0);
    send($u, udp_frame(0x4321, "get nokey\r\n"), 0);
    my %got;
    my $deadline = time + 5;
    my $sel = IO::Select->new($u);
    while (keys %got < 2 && time < $deadline) {
        next unless $sel->can_read($deadline - time);
        my $d;
        recv($u, $d, 65536, 0) // next;
        my ($id, $seq, $count, $rsv) = unpack('nnnn', $d);
        $got{$id} = [$seq, $count, $rsv, substr($d, 8)];
    }
    is_deeply($got{0x1234}, [0, 1, 0, "VALUE t1 0 2\r\nhi\r\nEND\r\n"], 'reply to id 0x1234: seq 0 of 1, its own data');
    is_deeply($got{0x4321}, [0, 1, 0, "END\r\n"], 'reply to id 0x4321: seq 0 of 1, its own data');

    # a multi-datagram reply
    my $v = join('', map { chr(65 + $_ % 26) } 0 .. 4999);
    is_reply($s, "set big5k 9 0 5000\r\n$v\r\n", "STORED\r\n", 'set a 5000-byte value over TCP');
    send($u, udp_frame(321, "get big5k\r\n"), 0);
    my ($data, $n, $total, $others, $max, $consistent) = udp_collect($u, 321, 5);
    is_bytes($data, "VALUE big5k 9 5000\r\n$v\r\nEND\r\n", '5000-byte value over UDP reassembled by sequence number');
    ok(defined $total && $total >= 4, 'the reply spans several datagrams (count >= 4)')
        or diag('count ' . ($total // 'undef'));
    is($n, $total, 'every sequence number 0..count-1 arrived');
    ok($consistent, 'every datagram carries the same total count');
    cmp_ok($max, '<=', $UDP_MAX, "no datagram above $UDP_MAX bytes (header included)");

    # a 60 KB value: ~45 datagrams
    my $v60 = join('', map { chr($_ % 256) } 0 .. 59_999);
    is_reply($s, "set big60k 1 0 60000\r\n$v60\r\n", "STORED\r\n", 'set a 60 KB binary value over TCP');
    send($u, udp_frame(0x8001, "get big60k\r\n"), 0);
    ($data, $n, $total, $others, $max, $consistent) = udp_collect($u, 0x8001, 5);
    is_bytes($data, "VALUE big60k 1 60000\r\n$v60\r\nEND\r\n", '60 KB binary value over UDP reassembled');
    ok(defined $total && $total >= 43 && $n == $total && $consistent, '60 KB: all datagrams with one count')
        or diag('count ' . ($total // 'undef') . ", got $n");
    cmp_ok($max, '<=', $UDP_MAX, "60 KB: no datagram above $UDP_MAX bytes");

    # stats over UDP (more than one datagram's worth in memcached)
    send($u, udp_frame(0x8002, "stats\r\n"), 0);
    ($data, $n, $total, $others, $max, $consistent) = udp_collect($u, 0x8002, 5);
    like($data // '', qr/\A(STAT \S+ [^\r\n]*\r\n)+END\r\n\z/, 'stats over UDP: STAT lines and END');
    like($data // '', qr/^STAT pid \d+\r$/m, 'stats over UDP: has pid');
    cmp_ok($max, '<=', $UDP_MAX, "stats over UDP: no datagram above $UDP_MAX bytes");

    # a multiget whose reply spans datagrams, 3 values
    my @w = map { ($_ x 3000) } qw(p q r);
    is_reply($s, "set w$_ 0 0 3000\r\n$w[$_]\r\n", "STORED\r\n", "set w$_") for 0 .. 2;
    my $exp = join('', map { "VALUE w$_ 0 3000\r\n$w[$_]\r\n" } 0 .. 2) . "END\r\n";
    send($u, udp_frame(4000, "get w0 w1 w2\r\n"), 0);
    is_bytes(udp_collect_arrival($u, 4000, length $exp, 5), $exp, '9000-byte multiget over UDP in order');

    # bad datagrams are dropped without a reply; the server keeps serving
    send($u, '', 0);
    send($u, 'abc', 0);
    send($u, "\x00\x05\x00", 0);
    send($u, "\x00\x06\x00\x00\x00\x01\x00", 0);             # 7 bytes: header cut short
    send($u, udp_frame(0x0A0A, "get t1\r\n", 0, 2), 0);      # a request over 2 datagrams
    send($u, udp_frame(0x0B0B, "get t1\r\n", 0, 0), 0);      # datagram count 0
    send($u, "\xff" x 300, 0);
    send($u, udp_frame(600, "get t1"), 0);                   # no line end
    send($u, udp_frame(77, "get t1\r\n"), 0);
    my @seen;
    ($data, $n, $total, $others) = udp_collect($u, 77, 5);
    is_bytes($data, "VALUE t1 0 2\r\nhi\r\nEND\r\n", 'UDP still served after bad datagrams');
    push @seen, @$others;
    (undef, undef, undef, $others) = udp_collect($u, 999, 0.5);
    push @seen, @$others;
    my @stray = grep { $_ == 0x0A0A || $_ == 0x0B0B || $_ == 0x0005 || $_ == 0x0006 || $_ == 0xFFFF
                       || $_ == 600 || $_ == -1 } @seen;
    is(scalar @stray, 0, 'no reply to the bad datagrams nor to a request without line end')
        or diag("ids: @stray");

    # memcached checks only the datagram count of a request: a nonzero
    # sequence number or reserved field is answered as usual
    send($u, udp_frame(501, "get t1\r\n", 0, 1, 7), 0);
    ($data) = udp_collect($u, 501, 3);
    is_bytes($data, "VALUE t1 0 2\r\nhi\r\nEND\r\n", 'request with a nonzero reserved field is answered');
    send($u, udp_frame(502, "get t1\r\n", 5, 1, 0), 0);
    ($data) = udp_collect($u, 502, 3);
    is_bytes($data, "VALUE t1 0 2\r\nhi\r\nEND\r\n", 'request with sequence number 5 (count 1) is answered');

    # several UDP clients at once, requests interleaved: every reply goes to
    # the client and request id that asked
    {
        my @cl = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $uport, Proto => 'udp') } 0 .. 3;
        is_reply($s, join('', map { "set mu$_ 0 0 " . length("m$_") . "\r\nm$_\r\n" } 0 .. 39),
                 "STORED\r\n" x 40, '40 keys for the UDP clients');
        my ($good, $all) = (0, 0);
        for my $round (0 .. 9) {
            for my $c (0 .. 3) {
                my $k = $round * 4 + $c;
                send($cl[$c], udp_frame(1000 * $c + $round, "get mu$k\r\n"), 0);
            }
            for my $c (0 .. 3) {
                my $k = $round * 4 + $c;
                my ($d) = udp_collect($cl[$c], 1000 * $c + $round, 5);
                $all++;
                $good++ if defined $d && $d eq "VALUE mu$k 0 " . length("m$k") . "\r\nm$k\r\nEND\r\n";
            }
        }
        is($good, $all, "4 UDP clients x 10 rounds: every reply to its own client and id ($good/$all)");
    }

    my $st = $srv->stats('settings', $s);
    is($st->{udpport}, $uport, 'stats settings udpport is the -U port');
    is_reply($s, "version\r\n", $srv->{version}, 'TCP still fine');
    $srv->stop;
}

# ---------------------------------------------------------------------------
# unix domain socket
my $dir = tempdir('cashew-ttrans-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0777, $dir;   # the server may bind it after dropping to -u nobody

sub unix_connect {
    my ($path) = @_;
    return sub { IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) };
}

for my $case (['0770', 0770], ['0700', 0700]) {
    my ($mask, $mode) = @$case;
    my $path = "$dir/cashew-$mask.sock";
    # a stale socket file left by an earlier server (memcached leaves it)
    {
        my $stale = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 1)
            or die "stale socket: $!";
        close $stale;
    }
    ok(-S $path, "-a $mask: a stale socket file is in place");
    my $tcp_port = free_port();
    my $srv = Spawned->new('-s', $path, '-a', $mask, '-p', $tcp_port);
    my $s = $srv->wait_ready(unix_connect($path), 30);
    ok($s, "-a $mask: server answers on the unix socket (stale file replaced)")
        or diag($srv->log_text);
    unless ($s) { $srv->stop("-a $mask"); next }
    my @st = stat $path;
    ok(-S $path, "-a $mask: the path is a socket");
    is(sprintf('%04o', $st[2] & 07777), sprintf('%04o', $mode), "-a $mask: the socket file has mode $mask");
    is_reply($s, "set us 5 0 3\r\nabc\r\n", "STORED\r\n", "-a $mask: set over the unix socket");
    my $s2 = unix_connect($path)->();
    is_reply($s2, "get us\r\n", "VALUE us 5 3\r\nabc\r\nEND\r\n", "-a $mask: get on a second unix connection");
    my $big = 'u' x 300000;
    is_reply($s2, "set ubig 0 0 300000\r\n$big\r\nget ubig us\r\n",
             "STORED\r\nVALUE ubig 0 300000\r\n$big\r\nVALUE us 5 3\r\nabc\r\nEND\r\n",
             "-a $mask: 300 KB value round trip");
    my $sets = stats_on($s, 'settings');
    is($sets->{domain_socket}, $path, "-a $mask: stats settings domain_socket");
    is($sets->{umask}, substr($mask, 1), "-a $mask: stats settings umask");
    my $tcp = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tcp_port,
                                    Proto => 'tcp', Timeout => 3);
    ok(!$tcp, "-a $mask: with -s the TCP port $tcp_port is not listening");
    close $_ for grep { defined } $s, $s2, $tcp;
    $srv->stop("-s -a $mask");
}

# -c over the unix socket: beyond the limit a connection gets the memcached
# error and is closed; the accepted ones are served
{
    my $path = "$dir/cashew-limit.sock";
    my $limit = 64;
    my $srv = Spawned->new('-s', $path, '-c', $limit);
    my $s0 = $srv->wait_ready(unix_connect($path), 30);
    ok($s0, '-s -c: server answers on the unix socket') or diag($srv->log_text);
    if ($s0) {
        close $s0;
        sleep 0.2;
        my @c = grep { defined } map { unix_connect($path)->() } 1 .. $limit + 16;
        is(scalar @c, $limit + 16, '-s -c: all connects succeed at the socket level');
        my $sel = IO::Select->new(@c);
        my %rej;
        my $deadline = time + 1.5;
        while (time < $deadline) {
            my @r = $sel->can_read($deadline - time);
            last unless @r;
            for my $r (@r) {
                $rej{$r} = [read_until_closed($r, 5)];
                $sel->remove($r);
            }
        }
        my @rej = grep { $rej{$_} } @c;
        my @acc = grep { !$rej{$_} } @c;
        cmp_ok(scalar @rej, '>=', 16, '-s -c: at least the 16 connections over the limit are rejected');
        cmp_ok(scalar @acc, '>=', $limit / 2, '-s -c: at least half the limit is accepted');
        is(scalar(grep { $rej{$_}[0] eq "ERROR Too many open connections\r\n" && $rej{$_}[1] } @rej),
           scalar @rej, '-s -c: each rejected one got "ERROR Too many open connections" and was closed');
        my $served = grep { send_all($_, "version\r\n") && (read_line($_, 10) // '') =~ /^VERSION / } @acc;
        is($served, scalar @acc, '-s -c: the accepted connections are served');
        close $_ for @c;
    }
    $srv->stop('-s -c');
}

# ---------------------------------------------------------------------------
# IPv6 (only where the machine has ::1; when it has, it must work)
my $have_v6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Proto => 'tcp', Listen => 1);
if (!$have_v6) {
    note('this machine has no ::1; IPv6 listener tests not run');
} else {
    close $have_v6;
    my $connect = sub {
        my ($host, $port) = @_;
        return IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => 'tcp', Timeout => 3);
    };
    my @cases = (
        ['-l ::1', ['-l', '::1'], { '::1' => 1, '127.0.0.1' => 0 }],
        ['-l 127.0.0.1,::1', ['-l', '127.0.0.1,::1'], { '::1' => 1, '127.0.0.1' => 1 }],
        ['-l 127.0.0.1 -l ::1', ['-l', '127.0.0.1', '-l', '::1'], { '::1' => 1, '127.0.0.1' => 1 }],
    );
    for my $c (@cases) {
        my ($name, $args, $want) = @$c;
        my $port = free_port();
        my $srv = Spawned->new('-p', $port, '-U', $port, @$args);
        my $s = $srv->wait_ready(sub { $connect->('::1', $port) }, 15);
        ok($s, "$name: answers on [::1]:$port") or diag($srv->log_text);
        if ($s) {
            is_reply($s, "set v6 0 0 4\r\nsix!\r\n", "STORED\r\n", "$name: set over IPv6");
        }
        my $s4 = $want->{'127.0.0.1'} ? $srv->wait_ready(sub { $connect->('127.0.0.1', $port) }, 3)
                                      : $connect->('127.0.0.1', $port);
        if ($want->{'127.0.0.1'}) {
            ok($s4, "$name: answers on 127.0.0.1:$port too");
            if ($s4) {
                is_reply($s4, "get v6\r\n", "VALUE v6 0 4\r\nsix!\r\nEND\r\n", "$name: same cache over IPv4");
            } else {
                ok(0, "$name: same cache over IPv4");
            }
        } else {
            ok(!$s4, "$name: 127.0.0.1:$port is not listening");
        }
        if ($s) {
            my $sets = stats_on($s, '');
            cmp_ok($sets->{curr_connections} // 0, '>=', 1, "$name: stats over IPv6");
        }
        if ($s) {
            my $u6 = IO::Socket::IP->new(PeerHost => '::1', PeerPort => $port, Proto => 'udp');
            ok($u6, "$name: UDP socket to [::1]:$port");
            if ($u6) {
                send($u6, udp_frame(66, "get v6\r\n"), 0);
                my ($d) = udp_collect($u6, 66, 5);
                is_bytes($d, "VALUE v6 0 4\r\nsix!\r\nEND\r\n", "$name: UDP get over IPv6");
            }
        }
        close $_ for grep { defined } $s, $s4;
        $srv->stop($name);
    }
}

alarm 0;
done_testing;
