#!/usr/bin/perl
# Stale-while-revalidate and anti-dogpiling with the meta protocol:
#  - md I (invalidate): old value served with X, one winner W, then Z,
#    until an ms with the right cas (C) revalidates the item;
#  - mg N (vivify on miss): one W, then Z, until the item is set;
#  - mg R (recache when the TTL is below the token);
#  - 20 clients racing on one missing key: exactly one W.
# Expectations are memcached 1.6.18's, probed byte for byte. Note the order
# 1.6.18 prints these flags in: "X W" for the winner of a stale item, "Z X"
# for the others.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use MetaTest;
use POSIX ();
use Time::HiRes ();

my $srv = CashewTest::Server->start;
my $s = $srv->sock;
my $s2 = $srv->new_sock;
my $s3 = $srv->new_sock;

# ---- stale-while-revalidate ---------------------------------------------------
is_meta($s, "ms sw 3 T0 F6\r\nold\r\n", "HD\r\n", 'ms sw');
my $c0 = mg_cas($s, 'sw');
is_meta($s, "md sw I T30\r\n", "HD\r\n", 'md sw I T30: mark stale');
my ($c1) = like_meta($s2, "mg sw v c t\r\n", qr/^VA 3 c(\d+) t(?:29|30) X W\r\nold\r\n\z/,
                     'first reader: old value, X and W');
ok(defined $c1 && $c0 != $c1, 'md I gave the item a new cas');
is_meta($s3, "mg sw v c\r\n", "VA 3 c$c1 Z X\r\nold\r\n", 'second reader: Z and X, no W');
is_meta($s, "mg sw v c f\r\n", "VA 3 c$c1 f6 Z X\r\nold\r\n", 'third reader: Z X, flags kept');
is_meta($s3, "mg sw c\r\n", "HD c$c1 Z X\r\n", 'without v: HD Z X');
is_meta($s3, "mg sw q v\r\nmn\r\n", "VA 3 Z X\r\nold\r\nMN\r\n", 'q does not hide a stale hit');
is_meta($s, "gets sw\r\n", "VALUE sw 6 3 $c1\r\nold\r\nEND\r\n", 'text gets serves the stale value');
is_meta($s2, "ms sw 3 C$c0\r\nnew\r\n", "EX\r\n", 'ms with the pre-invalidation cas: EX');
is_meta($s2, "ms sw 3 C" . ($c1 + 1000) . "\r\nnew\r\n", "EX\r\n", 'ms with a wrong cas: EX');
is_meta($s3, "mg sw v\r\n", "VA 3 Z X\r\nold\r\n", 'still stale after failed stores');
my ($c2) = like_meta($s2, "ms sw 3 C$c1 c F7\r\nnew\r\n", qr/^HD c(\d+)\r\n\z/,
                     'the winner stores with the cas it got');
is_meta($s3, "mg sw v c f\r\n", "VA 3 c$c2 f7\r\nnew\r\n", 'fresh again: no X, W, Z');
is_meta($s, "mg sw v\r\n", "VA 3\r\nnew\r\n", '... for every reader');

# invalidating again hands out a new win token
is_meta($s, "md sw I\r\n", "HD\r\n", 'md I again (no T)');
like_meta($s2, "mg sw v t\r\n", qr/^VA 3 t-1 X W\r\nnew\r\n\z/, 'new winner, TTL untouched');
is_meta($s3, "mg sw v\r\n", "VA 3 Z X\r\nnew\r\n", 'others: Z X');
is_meta($s, "md sw I q\r\nmn\r\n", "MN\r\n", 'md I under q');
my ($c3) = like_meta($s3, "mg sw c\r\n", qr/^HD c(\d+) X W\r\n\z/, 'every md I resets the token');
is_meta($s, "ms sw 3\r\nfin\r\n", "HD\r\n", 'a plain ms (no C) also revalidates');
is_meta($s2, "mg sw v\r\n", "VA 3\r\nfin\r\n", 'fresh');

# ms I with an older cas stores the value but keeps it stale
is_meta($s, "md sw I\r\n", "HD\r\n", 'md I');
my $c4 = meta_flag(meta_req($s, "mg sw c\r\n"), 'c');
is_meta($s, "ms sw 3 I C" . ($c4 - 1) . "\r\nmid\r\n", "HD\r\n", 'ms I with an older cas: HD');
like_meta($s2, "mg sw v\r\n", qr/^VA 3 Z X\r\nmid\r\n\z/, 'new value, still stale (Z X)');

# md I T expires the stale item
is_meta($s, "ms sx 1\r\nx\r\n", "HD\r\n", 'ms sx');
is_meta($s, "md sx I T1\r\n", "HD\r\n", 'md I T1');
is_meta($s, "ms ex 1 T1\r\nx\r\n", "HD\r\n", 'ms ex T1');
$srv->advance(2);
is_meta($s, "mg sx v\r\n", "EN\r\n", 'stale item with T1 expired');
is_meta($s, "mg ex N30 v\r\n", "VA 0 W\r\n\r\n", 'N on an expired item: vivified, W');

# ---- vivify: mg N ------------------------------------------------------------------
my ($vc) = like_meta($s, "mg vv N30 v c t s f\r\n", qr/^VA 0 c(\d+) t(?:29|30) s0 f0 W\r\n\r\n\z/,
                     'miss with N30: empty item created, W');
is_meta($s2, "mg vv N30 v c\r\n", "VA 0 c$vc Z\r\n\r\n", 'next N reader: Z');
is_meta($s3, "mg vv v\r\n", "VA 0 Z\r\n\r\n", 'reader without N: Z');
is_meta($s3, "mg vv N30\r\n", "HD Z\r\n", 'without v: HD Z');
is_meta($s3, "mg vv N30 q k\r\nmn\r\n", "HD kvv Z\r\nMN\r\n", 'q does not hide it');
is_meta($s, "get vv\r\n", "VALUE vv 0 0\r\n\r\nEND\r\n", 'text get sees the empty item');
is_meta($s2, "ms vv 3 C" . ($vc + 7) . "\r\nabc\r\n", "EX\r\n", 'ms with a wrong cas: EX');
is_meta($s, "ms vv 3 C$vc T60\r\nabc\r\n", "HD\r\n", 'the winner stores with its cas');
like_meta($s2, "mg vv N30 v t\r\n", qr/^VA 3 t(?:59|60)\r\nabc\r\n\z/, 'set: no W/Z, N ignored on a hit');
like_meta($s, "mg vq N30 q k c\r\n", qr/^HD kvq c\d+ W\r\n\z/, 'vivify under q: the W is sent');
is_meta($s, "mn\r\n", "MN\r\n", '... then MN');
is_meta($s, "mg vq v\r\n", "VA 0 Z\r\n\r\n", 'then Z');
is_meta($s, "ms vq 2\r\nok\r\n", "HD\r\n", 'a plain ms clears it');
is_meta($s, "mg vq v\r\n", "VA 2\r\nok\r\n", 'fresh');
is_meta($s, "mg vm N30 k O1\r\n", "HD kvm O1 W\r\n", 'vivify without v: HD W with k O');
is_meta($s, "md vm\r\n", "HD\r\n", 'md removes the stub');
is_meta($s, "mg vm N30\r\n", "HD W\r\n", 'the next miss wins again');

# ---- recache: mg R ---------------------------------------------------------------------
is_meta($s, "ms rc 3 T100\r\nabc\r\n", "HD\r\n", 'ms rc T100');
like_meta($s, "mg rc R30 v t\r\n", qr/^VA 3 t(?:99|100)\r\nabc\r\n\z/, 'R30 with TTL 100: no win');
like_meta($s2, "mg rc R200 v t\r\n", qr/^VA 3 t(?:99|100) W\r\nabc\r\n\z/, 'R200 with TTL 100: W');
like_meta($s3, "mg rc R200 v t\r\n", qr/^VA 3 t(?:99|100) Z\r\nabc\r\n\z/, 'next R200 reader: Z');
like_meta($s3, "mg rc v\r\n", qr/^VA 3 Z\r\nabc\r\n\z/, 'reader without R: Z');
is_meta($s, "ms rc 3 T100\r\nxyz\r\n", "HD\r\n", 'recached');
like_meta($s2, "mg rc R200 v\r\n", qr/^VA 3 W\r\nxyz\r\n\z/, 'a new item can be won again');
is_meta($s, "ms rn 1\r\nx\r\n", "HD\r\n", 'ms rn (no TTL)');
is_meta($s, "mg rn R30 v\r\n", "VA 1\r\nx\r\n", 'R on an item without TTL: no win');

# ---- 20 clients race on one missing key -------------------------------------------------------
my @cl = map { $srv->new_sock } 1 .. 20;
for my $round (1 .. 5) {
    my $key = "race$round";
    send_all($_, "mg $key N30 v c\r\n") for @cl;
    my (@w, @z, @bad, %cas);
    for my $i (0 .. $#cl) {
        my ($line, $data) = meta_read($cl[$i]);
        if (!defined $line || $line !~ /^VA 0 c(\d+) ([WZ])\r\n\z/ || ($data // '') ne "\r\n") {
            push @bad, esc($line) . ' ' . esc($data);
            next;
        }
        $cas{$1}++;
        push @{ $2 eq 'W' ? \@w : \@z }, $i;
    }
    is(scalar(@bad), 0, "round $round: every client got VA 0 c<cas> W|Z") or diag(join("\n", @bad));
    is(scalar(@w), 1, "round $round: exactly one client won") or diag('winners: ' . join(',', @w));
    is(scalar(@z), 19, "round $round: the others got Z");
    is(scalar(keys %cas), 1, "round $round: all saw the same item");
}
# the same race from 20 processes released together by closing a pipe
{
    pipe(my $gate_r, my $gate_w) or die "pipe: $!";
    my @kids;
    for my $i (1 .. 20) {
        pipe(my $res_r, my $res_w) or die "pipe: $!";
        my $pid = fork() // die "fork: $!";
        if ($pid == 0) {
            close $gate_w;
            close $res_r;
            my $c = $srv->new_sock;
            my $dummy;
            sysread($gate_r, $dummy, 1);    # returns 0 when the parent closes the gate
            send_all($c, "mg forkrace N30 v c\r\n");
            my ($line, $data) = meta_read($c);
            syswrite($res_w, ($line // "none\r\n") . ($data // ''));
            close $res_w;
            POSIX::_exit(0);
        }
        close $res_w;
        push @kids, [$pid, $res_r];
    }
    close $gate_r;
    Time::HiRes::sleep(0.2);    # let every child connect
    close $gate_w;
    my %got;
    for my $k (@kids) {
        my ($pid, $fh) = @$k;
        local $/;
        my $r = <$fh> // '';
        close $fh;
        waitpid($pid, 0);
        $r =~ s/ c\d+ / c<cas> /;
        $got{$r}++;
    }
    is($got{"VA 0 c<cas> W\r\n\r\n"}, 1, 'process race: exactly one W')
        or diag(join(', ', map { esc($_) . "=$got{$_}" } keys %got));
    is($got{"VA 0 c<cas> Z\r\n\r\n"}, 19, 'process race: 19 Z');
}
# stale race: 20 readers of an invalidated item, one W
is_meta($s, "ms stale 1\r\nx\r\n", "HD\r\n", 'ms stale');
is_meta($s, "md stale I\r\n", "HD\r\n", 'md stale I');
send_all($_, "mg stale v\r\n") for @cl;
my %got;
$got{ meta_req($_) // 'undef' }++ for @cl;
is($got{"VA 1 X W\r\nx\r\n"}, 1, 'stale race: exactly one X W');
is($got{"VA 1 Z X\r\nx\r\n"}, 19, 'stale race: 19 Z X') or diag(join(', ', map { esc($_) . "=$got{$_}" } keys %got));
close $_ for @cl;

$srv->stop;
done_testing;
