#!/usr/bin/perl
# Limits and bad input: key length, line length, bad data, garbage,
# disconnects, 1000 connections, the -c connection limit.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use Time::HiRes qw(sleep time);
use CashewTest;

ensure_fd_limit(4096);
srand(7);

my $srv = CashewTest::Server->start;
my $s = $srv->sock;
my $version = $srv->{version};
my $BAD = "CLIENT_ERROR bad command line format\r\n";

# key length: 250 is the maximum
my $k250 = 'k' x 250;
my $k251 = 'k' x 251;
is_reply($s, "set $k250 1 0 3\r\nabc\r\n", "STORED\r\n", 'set with a 250-byte key');
is_reply($s, "get $k250\r\n", "VALUE $k250 1 3\r\nabc\r\nEND\r\n", 'get with a 250-byte key');
is_reply($s, "append $k250 0 0 1\r\nd\r\n", "STORED\r\n", 'append with a 250-byte key');
is_reply($s, "touch $k250 100\r\n", "TOUCHED\r\n", 'touch with a 250-byte key');
is_reply($s, "gat 100 $k250\r\n", "VALUE $k250 1 4\r\nabcd\r\nEND\r\n", 'gat with a 250-byte key');
is_reply($s, "delete $k250\r\n", "DELETED\r\n", 'delete with a 250-byte key');
is_reply($s, "set $k251 0 0 3\r\nabc\r\n", $BAD . "ERROR\r\n", 'set with a 251-byte key');
is_reply($s, "add $k251 0 0 3\r\nabc\r\n", $BAD . "ERROR\r\n", 'add with a 251-byte key');
is_reply($s, "cas $k251 0 0 3 1\r\nabc\r\n", $BAD . "ERROR\r\n", 'cas with a 251-byte key');
# (one request at a time: memcached drops earlier pipelined replies on these)
is_reply($s, "get $k251\r\n", $BAD, 'get with a 251-byte key');
is_reply($s, "get a $k251 b\r\n", $BAD, 'multiget with one 251-byte key');
is_reply($s, "delete $k251\r\n", $BAD, 'delete with a 251-byte key');
is_reply($s, "incr $k251 1\r\n", $BAD, 'incr with a 251-byte key');
is_reply($s, "touch $k251 1\r\n", $BAD, 'touch with a 251-byte key');
is_reply($s, "gat 1 $k251\r\n", $BAD, 'gat with a 251-byte key');
is_reply($s, "get " . substr($k251, 0, 250) . "\r\n", "END\r\n", 'nothing stored under the truncated key');
is_reply($s, "version\r\n", $version, 'connection fine after key errors');

# lengths
is_reply($s, "set neg 0 0 -1\r\nx\r\n", $BAD . "ERROR\r\n", 'negative length');
is_reply($s, "set neg 0 0 2147483647\r\n", $BAD, 'length 2^31-1');
is_reply($s, "set neg 0 0 99999999999999999999\r\n", $BAD, 'length above 2^64');
is_reply($s, "get neg\r\n", "END\r\n", 'nothing stored');
{
    my $c = $srv->new_sock;
    # memcached 1.6.18 truncates this length to 32 bits (and then waits for
    # 0 bytes of data), so only survival is checked here
    send_all($c, "set huge 0 0 4294967296\r\n");
    close $c;
    is_reply($s, "version\r\n", $version, 'server fine after a length of 2^32');
}

# bad data chunk: exactly length+2 bytes are consumed
is_reply($s, "set bd 0 0 1\r\nx\r\n", "STORED\r\n", 'set bd');
is_reply($s, "set bd 0 0 3\r\nabcde\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n",
         'data longer than the length');
is_reply($s, "set bd 0 0 3\r\nabc\n\nget bd\r\n", "CLIENT_ERROR bad data chunk\r\nVALUE bd 0 1\r\nx\r\nEND\r\n",
         'data ended by \n\n; old value kept');
is_reply($s, "set bd 0 0 1\r\nx\r\nget bd\r\n", "STORED\r\nVALUE bd 0 1\r\nx\r\nEND\r\n", 'connection in sync');

# long command lines
{
    my $c = $srv->new_sock;
    send_all($c, 'x' x 2049);
    my ($closed, $data) = expect_closed($c, 10);
    ok($closed, 'a 2049-byte line without newline closes the connection');
    is($data, '', 'without a reply');
    $c = $srv->new_sock;
    send_all($c, 'set ' . ('k' x 4000));
    ($closed, $data) = expect_closed($c, 10);
    ok($closed, 'a 4004-byte set line without newline closes the connection');
    $c = $srv->new_sock;
    send_all($c, ('z' x (1024 * 1024)) . "\r\nversion\r\n");
    ($closed, $data) = expect_closed($c, 10);
    ok($closed, 'a 1 MB line closes the connection');
    unlike($data, qr/VERSION/, 'and nothing after it is served');
    $c = $srv->new_sock;
    send_all($c, 'x' x 2000);
    is_reply($c, "\r\nversion\r\n", "ERROR\r\n$version", 'a 2000-byte unknown command is answered');
}
{
    my @keys = map { sprintf('longget:%05d', $_) } 0 .. 999;
    my ($req, $exp) = ('', '');
    for my $i (grep { $_ % 100 == 0 } 0 .. 999) {
        $req .= "set $keys[$i] 0 0 " . length($i) . "\r\n$i\r\n";
        $exp .= "VALUE $keys[$i] 0 " . length($i) . "\r\n$i\r\n";
    }
    is_reply($s, $req, "STORED\r\n" x 10, '10 sets');
    my $line = "get @keys\r\n";
    ok(length $line > 2048, 'get line of ' . length($line) . ' bytes');
    is_reply($s, $line, $exp . "END\r\n", 'get with 1000 keys (14 KB line)');
    my @many = map { $keys[$_ % 1000] } 0 .. 9999;
    is_reply($s, "get @many\r\n", $exp x 10 . "END\r\n", 'get with 10000 keys (140 KB line)');
    is_reply($s, "gets @keys\r\n", '', 'gets with 1000 keys (sent)');
    my $r = read_reply($s);
    my @got = $r =~ /^VALUE (longget:\d+) 0 \d+ \d+\r\n/mg;
    is(scalar @got, 10, 'gets with 1000 keys: 10 hits');
}

# garbage
{
    my $c = $srv->new_sock;
    my ($req, $exp) = ('', '');
    for (1 .. 100) {
        my $len = 1 + int(rand(200));
        $req .= 'Z' . join('', map { chr(33 + int(rand(94))) } 1 .. $len) . "\r\n";
        $exp .= "ERROR\r\n";
    }
    is_reply($c, $req . "version\r\n", $exp . $version, '100 lines of printable garbage: ERROR each');
    close $c;
}
for my $round (1 .. 5) {
    my $c = $srv->new_sock;
    my $junk = 'Z' . join('', map { chr(int(rand(256))) } 1 .. 65535);
    send_all($c, $junk);
    # the garbage connection may be answered or closed; the server must live on
    my $other = $srv->new_sock;
    is_reply($other, "set g$round 0 0 1\r\n1\r\nget g$round\r\n", "STORED\r\nVALUE g$round 0 1\r\n1\r\nEND\r\n",
             "server serves others after 64 KB of binary garbage (round $round)");
    close $other;
    close $c;
}

# clients that disconnect mid-request
# wait until the server has seen every earlier close: the count stops moving
sub settled_conns {
    my ($server, $sock) = @_;
    my $last = -1;
    for (1 .. 50) {
        my $now = $server->stats('', $sock)->{curr_connections} // -2;
        return $now if $now == $last;
        $last = $now;
        sleep 0.2;
    }
    return $last;
}
my $base = settled_conns($srv, $s);
{
    my $c = $srv->new_sock;
    send_all($c, "set mid 0 0 100\r\n" . ('m' x 50));
    sleep 0.1;
    close $c;
    $c = $srv->new_sock;
    send_all($c, "set mid2 0 0 100000\r\n" . ('m' x 70000));
    sleep 0.1;
    close $c;
    $c = $srv->new_sock;
    send_all($c, "get mi");
    sleep 0.1;
    close $c;
    $c = $srv->new_sock;
    send_all($c, "get " . join(' ', ('big') x 100) . "\r\n");   # no such key; reply unread
    close $c;
    is_reply($s, "get mid mid2\r\n", "END\r\n", 'half-sent values were not stored');
    my $back = 0;
    for (1 .. 100) {
        if ($srv->stats('', $s)->{curr_connections} == $base) { $back = 1; last }
        sleep 0.05;
    }
    ok($back, 'curr_connections back to where it was');
}
# a client that vanishes while a big reply is being written
{
    my $v = 'B' x 500000;
    is_reply($s, "set bigv 0 0 500000\r\n$v\r\n", "STORED\r\n", 'set 500 KB');
    for (1 .. 5) {
        my $c = $srv->new_sock;
        send_all($c, "get bigv\r\n" x 20);
        sleep 0.05;
        close $c;
    }
    is_reply($s, "get bigv\r\n", "VALUE bigv 0 500000\r\n$v\r\nEND\r\n", 'server fine after readers vanished');
}
$srv->stop;

# 1000 connections at once
{
    my $n = 1000;
    my $big = CashewTest::Server->start('-c', '1200');
    my @c;
    for my $i (1 .. $n) {
        my $c = eval { $big->new_sock };
        last unless $c;
        push @c, $c;
    }
    is(scalar @c, $n, "$n connections opened");
    send_all($c[$_], "set conn$_ 0 0 " . length($_) . "\r\n$_\r\n") for 0 .. $#c;
    my $stored = grep { (read_line($c[$_], 30) // '') eq "STORED\r\n" } 0 .. $#c;
    is($stored, $n, "all $n connections served a set");
    my $st = $big->stats('', $c[0]);
    cmp_ok($st->{curr_connections}, '>=', $n, 'curr_connections counts them all');
    send_all($c[$_], "get conn$_ conn" . ($n - 1 - $_) . "\r\n") for 0 .. $#c;
    my $good = 0;
    for my $i (0 .. $#c) {
        my $j = $n - 1 - $i;
        my $exp = "VALUE conn$i 0 " . length($i) . "\r\n$i\r\nVALUE conn$j 0 " . length($j) . "\r\n$j\r\nEND\r\n";
        $good++ if read_expect($c[$i], $exp, 30) eq $exp;
    }
    is($good, $n, "all $n connections read two values");
    close $_ for @c;
    $big->stop;
}

# -c: beyond the limit a connection gets an error and is closed
{
    my $limit = 64;
    my $lim = CashewTest::Server->start('-c', $limit);
    my @c = map { $lim->new_sock } 1 .. $limit + 20;
    my $sel = IO::Select->new(@c);
    my %rejected;
    my $deadline = time + 3;
    while (time < $deadline) {
        my @r = $sel->can_read($deadline - time);
        last unless @r;
        for my $r (@r) {
            my ($data, $closed) = read_until_closed($r, 5);
            $rejected{$r} = [$data, $closed];
            $sel->remove($r);
        }
    }
    my @rej = grep { $rejected{$_} } @c;
    my @acc = grep { !$rejected{$_} } @c;
    cmp_ok(scalar @rej, '>=', 20, 'at least the 20 connections over the limit are rejected');
    cmp_ok(scalar @acc, '>=', $limit / 2, 'at least half the limit is accepted');
    is(scalar(grep { $rejected{$_}[0] eq "ERROR Too many open connections\r\n" } @rej), scalar @rej,
       'each rejected connection got "ERROR Too many open connections"');
    is(scalar(grep { $rejected{$_}[1] } @rej), scalar @rej, 'and was closed');
    my $served = 0;
    for my $c (@acc) {
        send_all($c, "version\r\n");
        $served++ if (read_line($c, 10) // '') =~ /^VERSION /;
    }
    is($served, scalar @acc, 'accepted connections are served');
    my $st = $lim->stats('', $acc[0]);
    is($st->{rejected_connections}, scalar @rej, 'stats rejected_connections counts them');
    is($st->{max_connections}, $limit, 'stats max_connections is the -c limit');
    close $_ for @c;
    sleep 0.5;
    my $again = 0;
    for (1 .. 50) {
        my $c = $lim->new_sock;
        send_all($c, "version\r\n");
        if ((read_line($c, 5) // '') =~ /^VERSION /) { $again = 1; last }
        close $c;
        sleep 0.1;
    }
    ok($again, 'new connections are accepted once the others closed');
    $lim->stop;
}

done_testing;
