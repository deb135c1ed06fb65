#!/usr/bin/perl
# Many connections ready in the same event batch: a worker reads them all
# before it runs their requests (more than its deferred list holds, too).
# Every client must get exactly its own replies, in order, whatever the
# others in the batch do (quit, close, half a line, a value over 16 KB).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use CashewTest;

my $conns = 150;
CashewTest::ensure_fd_limit($conns + 64);
my $srv = CashewTest::Server->start('-t', '1', '-c', '1024');

sub value_of { my ($i, $round) = @_; return "c$i-r$round-" . ('x' x ($i % 13)) }

# Every conn sends its requests before any reply is read, so one epoll
# batch of the single worker sees (nearly) all of them readable at once.
my @socks = map { $srv->new_sock } 1 .. $conns;
my @storing = grep { $_ % 3 != 1 } 0 .. $#socks;
my @reading = grep { $_ % 3 == 1 } 0 .. $#socks;
for my $round (1 .. 3) {
    my @expect;
    for my $i (@storing) {
        my $v = value_of($i, $round);
        my $len = length $v;
        if ($i % 3 == 0) {
            send_all($socks[$i], "set k$i $round 0 $len\r\n$v\r\nget k$i\r\n");
            $expect[$i] = "STORED\r\nVALUE k$i $round $len\r\n$v\r\nEND\r\n";
        } else {
            send_all($socks[$i], "mg none$i v\r\nms k$i $len\r\n$v\r\nmg k$i v f\r\n");
            $expect[$i] = "EN\r\nHD\r\nVA $len f0\r\n$v\r\n";
        }
    }
    my $ok = grep { (read_bytes($socks[$_], length $expect[$_]) // '') eq $expect[$_] } @storing;
    is($ok, scalar @storing, "round $round: each of " . @storing . " storing conns got its own replies");
    # all sets are in: now every reading conn asks for its neighbour's key
    for my $i (@reading) {
        send_all($socks[$i], "get k$i k" . ($i - 1) . "\r\n"); # k$i is never set
        my $prev = value_of($i - 1, $round);
        $expect[$i] = "VALUE k" . ($i - 1) . " $round " . length($prev) . "\r\n$prev\r\nEND\r\n";
    }
    $ok = grep { (read_bytes($socks[$_], length $expect[$_]) // '') eq $expect[$_] } @reading;
    is($ok, scalar @reading, "round $round: each of " . @reading . " reading conns got its own reply");
}

# A batch in which some conns quit, some close right after sending, some
# send half a line, and one sends a value larger than the read buffer.
{
    my @s = map { $srv->new_sock } 1 .. 90;
    my $big = 'B' x 40000;
    for my $i (0 .. $#s) {
        if ($i % 5 == 0) {
            send_all($s[$i], "get k0\r\nquit\r\nget k0\r\n");
        } elsif ($i % 5 == 1) {
            send_all($s[$i], "set gone$i 0 0 1\r\nx\r\n");
            close $s[$i];
            $s[$i] = undef;
        } elsif ($i % 5 == 2) {
            send_all($s[$i], "get half");
        } elsif ($i % 5 == 3) {
            send_all($s[$i], "set big$i 0 0 " . length($big) . "\r\n$big\r\nget k0\r\n");
        } else {
            send_all($s[$i], "version\r\n");
        }
    }
    my ($quit, $big_ok, $ver) = (0, 0, 0);
    for my $i (0 .. $#s) {
        next unless defined $s[$i];
        if ($i % 5 == 0) {
            my ($r, $closed) = read_until_closed($s[$i]);
            $quit++ if $closed && $r =~ /\AVALUE k0 3 \d+\r\n[^\r]*\r\nEND\r\n\z/;
        } elsif ($i % 5 == 3) {
            my $r = read_line($s[$i]);
            $big_ok++ if defined $r && $r eq "STORED\r\n";
            read_line($s[$i]) for 1 .. 3; # VALUE, data, END of k0
        } elsif ($i % 5 == 4) {
            my $r = read_line($s[$i]);
            $ver++ if defined $r && $r =~ /\AVERSION /;
        }
    }
    is($quit, 18, 'conns that quit mid-batch got their first reply, then EOF');
    is($big_ok, 18, 'a value over the read buffer in the same batch is stored');
    is($ver, 18, 'other conns of the batch answered');
    # the half lines complete later
    my $done = 0;
    for my $i (grep { $_ % 5 == 2 } 0 .. $#s) {
        send_all($s[$i], "\r\n");
        my $r = read_line($s[$i]);
        $done++ if defined $r && $r eq "END\r\n";
    }
    is($done, 18, 'half a line left in a batch completes on the next read');
    # a conn that closed right after sending its set: the set ran
    my $c = $srv->new_sock;
    my $got = '';
    for (1 .. 50) {
        send_all($c, "get gone1\r\n");
        $got = read_reply($c);
        last if $got ne "END\r\n";
        sleep 0.02;
    }
    is($got, "VALUE gone1 0 1\r\nx\r\nEND\r\n", 'a conn that closed right after its set still stored it');
}

# -R: a conn with a long pipeline runs -R requests, then the conns read in
# the same batch get their turn (here B, deferred behind A's first slice).
# A third conn keeps the worker busy meanwhile, so that A and B arrive
# together; B's get shows how many of A's incrs ran before it.
{
    my $r = CashewTest::Server->start('-t', '1', '-R', '20');
    my $ctl = $r->sock;
    my $blocker = 'get ' . join(' ', map { sprintf 'miss%06d', $_ } 1 .. 100000) . "\r\n";
    my @seen;
    for my $round (1 .. 3) {
        is_reply($ctl, "set fair 0 0 1\r\n0\r\n", "STORED\r\n", "round $round: counter reset");
        my ($a, $b, $c) = map { $r->new_sock } 1 .. 3;
        is_reply($_, "version\r\n", $r->{version}, "round $round: conn up") for $a, $b, $c;
        send_all($c, $blocker);
        sleep 0.003;
        send_all($a, "incr fair 1\r\n" x 3000);
        send_all($b, "get fair\r\n");
        my $got = read_reply($b);
        push @seen, $got =~ /\AVALUE fair 0 \d+\r\n(\d+)\r\nEND\r\n\z/ ? $1 : "bad: " . esc($got);
        my $lines = 0;
        $lines++ while $lines < 3000 && defined read_line($a);
        is($lines, 3000, "round $round: the pipelining conn got all 3000 replies");
        is(read_reply($c, 30), "END\r\n", "round $round: the busy conn's get of misses ends");
    }
    is(scalar(grep { /\A\d+\z/ && $_ <= 40 } @seen), 3,
       "-R 20: the other conn ran after at most two slices of the pipeline (saw @seen)");
    $r->stop;
}

ok($srv->alive, 'server still running');
$srv->stop;
done_testing;
