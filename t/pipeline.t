#!/usr/bin/perl
# Pipelining, split requests, big values, too-large values, slow readers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(sleep);
use CashewTest;

srand(42);
my $srv = CashewTest::Server->start;
my $s = $srv->sock;
my $version = $srv->{version};

# many requests in one write, replies in order
{
    my ($req, $exp) = ('', '');
    for my $i (1 .. 300) {
        my $v = "v$i" x ($i % 7 + 1);
        $req .= "set p$i $i 0 " . length($v) . "\r\n$v\r\n";
        $exp .= "STORED\r\n";
        $req .= "get p$i\r\n";
        $exp .= "VALUE p$i $i " . length($v) . "\r\n$v\r\nEND\r\n";
        if ($i % 10 == 0) {
            $req .= "incr ctr 1\r\n";
            $exp .= $i == 10 ? "NOT_FOUND\r\n" : ($i / 10) . "\r\n";
            $req .= "set ctr 0 0 1\r\n1\r\n" if $i == 10;
            $exp .= "STORED\r\n" if $i == 10;
            $req .= "delete p" . ($i - 1) . "\r\nget p" . ($i - 1) . "\r\n";
            $exp .= "DELETED\r\nEND\r\n";
            $req .= "version\r\n";
            $exp .= $version;
        }
    }
    is_reply($s, $req, $exp, '300 set/get pairs with incr/delete/version in one write');
}

# a request split into single bytes
sub nodelay { setsockopt($_[0], IPPROTO_TCP, TCP_NODELAY, 1) }
{
    my $c = $srv->new_sock;
    nodelay($c);
    my $req = "set split 7 0 10\r\n0123456789\r\nget split\r\nincr nokey 1\r\nget split nokey split\r\n";
    for my $ch (split //, $req) {
        send_all($c, $ch);
        sleep 0.002;
    }
    is_reply($c, '', "STORED\r\nVALUE split 7 10\r\n0123456789\r\nEND\r\nNOT_FOUND\r\n"
             . "VALUE split 7 10\r\n0123456789\r\nVALUE split 7 10\r\n0123456789\r\nEND\r\n",
             'requests sent one byte at a time');
    # \r and \n of one line end in two writes, data and its \r\n apart
    send_all($c, "get split\r");
    sleep 0.05;
    send_all($c, "\n");
    is_reply($c, '', "VALUE split 7 10\r\n0123456789\r\nEND\r\n", 'line end split between \r and \n');
    send_all($c, "set split 0 0 4\r\nab");
    sleep 0.05;
    send_all($c, "cd");
    sleep 0.05;
    send_all($c, "\r");
    sleep 0.05;
    send_all($c, "\n");
    is_reply($c, '', "STORED\r\n", 'data block in pieces');
    close $c;
}

# a long pipeline cut into random-sized pieces
{
    my $c = $srv->new_sock;
    nodelay($c);
    my ($req, $exp) = ('', '');
    for my $i (1 .. 200) {
        my $v = join('', map { chr(32 + ($i * 7 + $_) % 90) } 1 .. (1 + $i * 13 % 300));
        $req .= "set r$i 0 0 " . length($v) . "\r\n$v\r\nget r$i\r\n";
        $exp .= "STORED\r\nVALUE r$i 0 " . length($v) . "\r\n$v\r\nEND\r\n";
    }
    my $off = 0;
    my $n = 0;
    while ($off < length $req) {
        my $len = 1 + int(rand(40));
        send_all($c, substr($req, $off, $len));
        $off += $len;
        sleep 0.001 if ++$n % 20 == 0;
    }
    is_reply($c, '', $exp, '200 set/get pairs in random-sized writes');
    close $c;
}

# big values
my $k500 = join('', map { chr(ord('a') + $_ % 26) } 0 .. 500 * 1024 - 1);
is_reply($s, "set big500 1 0 " . length($k500) . "\r\n$k500\r\n", "STORED\r\n", 'set 500 KB');
is_reply($s, "get big500\r\n", "VALUE big500 1 512000\r\n$k500\r\nEND\r\n", 'get 500 KB');
my $max = 1024 * 1024 - 512;
my $m1 = join('', map { chr($_ % 251) } 0 .. $max - 1);
is_reply($s, "set big1m 2 0 $max\r\n$m1\r\n", "STORED\r\n", 'set 1 MB minus 512 bytes');
is_reply($s, "get big1m\r\n", "VALUE big1m 2 $max\r\n$m1\r\nEND\r\n", 'get 1 MB minus 512 bytes');
is_reply($s, "get big500 big1m big500\r\n",
         "VALUE big500 1 512000\r\n$k500\r\nVALUE big1m 2 $max\r\n$m1\r\nVALUE big500 1 512000\r\n$k500\r\nEND\r\n",
         'multiget of big values');
is_reply($s, "append big500 0 0 10\r\n0123456789\r\n", "STORED\r\n", 'append to a 500 KB value');
is_reply($s, "get big500\r\n", "VALUE big500 1 512010\r\n${k500}0123456789\r\nEND\r\n", 'appended big value');

# too large: error, data swallowed, connection keeps working
for my $len (1024 * 1024, 1024 * 1024 + 1, 2 * 1024 * 1024) {
    is_reply($s, "set toobig 0 0 $len\r\n" . ('z' x $len) . "\r\nversion\r\n",
             "SERVER_ERROR object too large for cache\r\n$version",
             "set of $len bytes: too large, data swallowed");
}
is_reply($s, "set big1m 0 0 2097152\r\n" . ('z' x 2097152) . "\r\n",
         "SERVER_ERROR object too large for cache\r\n", 'too-large set of an existing key');
is_reply($s, "get big1m\r\n", "END\r\n", 'a failed set removes the old value');
is_reply($s, "set after 0 0 2\r\nok\r\nget after\r\n", "STORED\r\nVALUE after 0 2\r\nok\r\nEND\r\n",
         'next requests work');
# pipelined: the too-large set in the middle of a batch
is_reply($s, "set a1 0 0 1\r\n1\r\nset toobig 0 0 1100000\r\n" . ('y' x 1100000)
         . "\r\nset a2 0 0 1\r\n2\r\nget a1 a2 toobig\r\n",
         "STORED\r\nSERVER_ERROR object too large for cache\r\nSTORED\r\n"
         . "VALUE a1 0 1\r\n1\r\nVALUE a2 0 1\r\n2\r\nEND\r\n",
         'too-large set inside a pipeline');

# a slow reader of big replies: the server must finish partial writes later
is_reply($s, "set big1m 3 0 $max\r\n$m1\r\n", "STORED\r\n", 'set 1 MB value again');
{
    my $c = $srv->new_sock;
    setsockopt($c, SOL_SOCKET, SO_RCVBUF, 65536);
    my $n = 6;
    send_all($c, "get big1m\r\n" x $n . "version\r\n");
    sleep 0.3;
    # meanwhile other clients are served
    my $o = $srv->new_sock;
    is_reply($o, "get after\r\n", "VALUE after 0 2\r\nok\r\nEND\r\n", 'other client served while a reader is slow');
    close $o;
    my $got = '';
    my $want = length("VALUE big1m 3 $max\r\n$m1\r\nEND\r\n") * $n + length($version);
    while (length $got < $want) {
        my $left = $want - length $got;
        my $piece = read_bytes($c, $left < 65536 ? $left : 65536, 10);
        last unless length $piece;
        $got .= $piece;
        sleep 0.01;
    }
    is_bytes($got, "VALUE big1m 3 $max\r\n$m1\r\nEND\r\n" x $n . $version, "$n MB read slowly");
    close $c;
}

# a client that sends a big pipeline but reads nothing until the end
{
    my $c = $srv->new_sock;
    my $req = "get big500\r\n" x 20;
    send_all($c, $req);
    my $exp = "VALUE big500 1 512010\r\n${k500}0123456789\r\nEND\r\n" x 20;
    my $got = read_bytes($c, length $exp, 20);
    is_bytes($got, $exp, '20 pipelined gets of 500 KB (10 MB of replies)');
    close $c;
}

# bursts larger than a read buffer, then small ones, then a large one that
# starts in the middle of a data block: replies stay whole and in order
{
    my $c = $srv->new_sock;
    my ($req, $exp) = ('', '');
    for my $i (1 .. 400) {
        my $v = sprintf('%04d', $i) x 250;
        $req .= "set bulk$i $i 0 1000\r\n$v\r\n";
        $exp .= "STORED\r\n";
        next if $i % 50;
        $req .= "get bulk$i\r\n";
        $exp .= "VALUE bulk$i $i 1000\r\n$v\r\nEND\r\n";
    }
    is_reply($c, $req, $exp, '400 pipelined 1000-byte sets (400 KB) in one write');
    is_reply($c, "get bulk7\r\n", "VALUE bulk7 7 1000\r\n" . ('0007' x 250) . "\r\nEND\r\n",
             'a small request after the burst');
    my $v = 'z' x 30000;
    my $big = ("set bz 5 0 30000\r\n$v\r\n") x 10 . "get bz\r\n";
    send_all($c, substr($big, 0, 20000));
    sleep 0.05;
    send_all($c, substr($big, 20000));
    is_reply($c, '', "STORED\r\n" x 10 . "VALUE bz 5 30000\r\n$v\r\nEND\r\n",
             'a burst split inside a 30 KB data block');
    close $c;
}

is_reply($s, "version\r\n", $version, 'main connection still fine');
$srv->stop;
done_testing;
