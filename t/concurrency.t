#!/usr/bin/perl
# Many clients at once (forked processes, one or more connections each):
# counters, cas loops, add races, appends and torn-value checks must come out
# exact. Meant to run under the TSAN build too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $CHILDREN = 8;
my $srv = CashewTest::Server->start('-t', '4');
my $s = $srv->sock;

is_reply($s, "set shared 0 0 1\r\n0\r\n", "STORED\r\n", 'shared counter');
is_reply($s, "set casctr 0 0 1\r\n0\r\n", "STORED\r\n", 'cas counter');
is_reply($s, "set log 0 0 0\r\n\r\n", "STORED\r\n", 'append log');
my $A = 'A' x 3000;
my $B = 'B' x 3000;
is_reply($s, "set torn 0 0 3000\r\n$A\r\n", "STORED\r\n", 'torn-check value');

my $INCRS = 500;
my $CAS = 30;
my $APPENDS = 100;
my $RACES = 100;

# Runs in a child; returns a hash of counts reported to the parent.
sub child_work {
    my ($id) = @_;
    my %r = (errors => 0, added => 0, cas_retries => 0);
    my $c = $srv->new_sock;
    my $c2 = $srv->new_sock;
    my $err = sub { $r{errors}++; print STDERR "child $id: $_[0]\n" if $r{errors} < 5 };
    for my $i (1 .. $INCRS) {
        send_all($c, "incr shared 1\r\n");
        my $l = read_line($c) // '';
        $err->("incr: " . esc($l)) unless $l =~ /^\d+\r\n\z/;
        # own keys, pipelined on the second connection
        if ($i % 10 == 0) {
            my ($req, $exp) = ('', '');
            for my $j (1 .. 10) {
                my $v = "c$id-$i-$j-" . ('v' x ($j * 37));
                $req .= "set own:$id:$i:$j $id 0 " . length($v) . "\r\n$v\r\nget own:$id:$i:$j\r\n";
                $exp .= "STORED\r\nVALUE own:$id:$i:$j $id " . length($v) . "\r\n$v\r\nEND\r\n";
            }
            my $got = do { send_all($c2, $req); read_expect($c2, $exp) };
            $err->("own keys batch $i") unless $got eq $exp;
        }
        if ($i % 4 == 0) {
            my $v = $id % 2 ? $A : $B;
            send_all($c2, "set torn 0 0 3000\r\n$v\r\nget torn\r\n");
            my $got = read_reply($c2) . read_reply($c2);
            $err->('torn value: ' . esc(substr($got, 0, 80)))
                unless $got =~ /\ASTORED\r\nVALUE torn 0 3000\r\n(A{3000}|B{3000})\r\nEND\r\n\z/;
        }
    }
    for my $i (1 .. $CAS) {
        for my $try (1 .. 1000) {
            send_all($c, "gets casctr\r\n");
            my $g = read_reply($c);
            my ($u, $v) = $g =~ /^VALUE casctr 0 \d+ (\d+)\r\n(\d+)\r\nEND\r\n\z/;
            if (!defined $u) { $err->('gets: ' . esc($g)); last }
            my $nv = $v + 1;
            send_all($c, "cas casctr 0 0 " . length($nv) . " $u\r\n$nv\r\n");
            my $l = read_line($c) // '';
            last if $l eq "STORED\r\n";
            if ($l ne "EXISTS\r\n") { $err->('cas: ' . esc($l)); last }
            $r{cas_retries}++;
        }
    }
    for my $i (1 .. $APPENDS) {
        send_all($c, "append log 0 0 2\r\n" . chr(97 + $id) . "$id\r\n");
        my $l = read_line($c) // '';
        $err->('append: ' . esc($l)) unless $l eq "STORED\r\n";
    }
    for my $j (1 .. $RACES) {
        send_all($c, "add race:$j 0 0 " . length($id) . "\r\n$id\r\n");
        my $l = read_line($c) // '';
        if ($l eq "STORED\r\n") { $r{added}++ }
        elsif ($l ne "NOT_STORED\r\n") { $err->('add: ' . esc($l)) }
    }
    close $c;
    close $c2;
    return %r;
}

# Side jobs running alongside the workers: stats readers, connection churn,
# and delete/set churn on a key range nobody else checks exactly.
sub side_work {
    my ($role) = @_;
    my %r = (errors => 0, added => 0, cas_retries => 0);
    my $err = sub { $r{errors}++; print STDERR "$role: $_[0]\n" if $r{errors} < 5 };
    if ($role eq 'stats') {
        my $c = $srv->new_sock;
        for my $i (1 .. 150) {
            for my $sub ('', 'items', 'slabs', 'settings') {
                send_all($c, $sub eq '' ? "stats\r\n" : "stats $sub\r\n");
                my $rep = read_reply($c);
                $err->("stats $sub: " . esc(substr($rep, -40))) unless $rep =~ /\A(STAT [^\r\n]+\r\n)+END\r\n\z/;
            }
        }
    } elsif ($role eq 'churn') {
        for my $i (1 .. 300) {
            my $c = $srv->new_sock;
            send_all($c, "version\r\n");
            my $l = read_line($c) // '';
            $err->('version: ' . esc($l)) unless $l =~ /^VERSION /;
            close $c;
        }
    } elsif ($role eq 'delete') {
        my $c = $srv->new_sock;
        for my $i (1 .. 1500) {
            my $k = 'churn:' . ($i % 37);
            my $op = $i % 3;
            if ($op == 0) {
                send_all($c, "set $k 0 0 5\r\nchurn\r\n");
                my $l = read_line($c) // '';
                $err->('set: ' . esc($l)) unless $l eq "STORED\r\n";
            } elsif ($op == 1) {
                send_all($c, "delete $k\r\n");
                my $l = read_line($c) // '';
                $err->('delete: ' . esc($l)) unless $l =~ /^(DELETED|NOT_FOUND)\r\n\z/;
            } else {
                send_all($c, "get $k\r\n");
                my $rep = read_reply($c);
                $err->('get: ' . esc($rep)) unless $rep =~ /\A(VALUE $k 0 5\r\nchurn\r\n)?END\r\n\z/;
            }
        }
    }
    return %r;
}

my %kids;
for my $id (1 .. $CHILDREN, 'stats', 'churn', 'delete') {
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        my %r = eval { $id =~ /^\d+$/ ? child_work($id) : side_work($id) };
        %r = (errors => 1000) if $@;
        print STDERR "child $id died: $@" if $@;
        print join(' ', map { "$_=$r{$_}" } sort keys %r), "\n";
        POSIX::_exit(0);
    }
    $kids{$id} = $fh;
}
my %total = (errors => 0, added => 0, cas_retries => 0);
for my $id (sort keys %kids) {
    my $fh = $kids{$id};
    my $line = <$fh> // '';
    close $fh;
    my %r = $line =~ /(\w+)=(\d+)/g;
    ok(exists $r{errors}, "child $id reported") or diag("child $id said: $line");
    $total{$_} += $r{$_} // 0 for keys %total;
}
is($total{errors}, 0, 'no protocol errors in any child');
is($total{added}, $RACES, 'each raced add stored exactly once');
note("cas retries: $total{cas_retries}");

my $n = $CHILDREN * $INCRS;
send_all($s, "get shared\r\n");
like(read_reply($s), qr/\AVALUE shared 0 \d+\r\n$n *\r\nEND\r\n\z/, "shared counter is $n");
my $c = $CHILDREN * $CAS;
send_all($s, "get casctr\r\n");
like(read_reply($s), qr/\AVALUE casctr 0 \d+\r\n$c\r\nEND\r\n\z/, "cas counter is $c");
send_all($s, "get log\r\n");
my $log = read_reply($s);
my ($data) = $log =~ /^VALUE log 0 \d+\r\n(.*)\r\nEND\r\n\z/s;
$data //= '';
is(length $data, 2 * $CHILDREN * $APPENDS, 'append log has every append');
my %per;
$per{$1}++ while $data =~ /([a-z]\d)/g;
is(scalar(grep { ($per{chr(97 + $_) . $_} // 0) == $APPENDS } 1 .. $CHILDREN), $CHILDREN,
   'every child\'s appends are whole and all there');
my $st = $srv->stats('', $s);
cmp_ok($st->{curr_items}, '>=', 4 + $RACES + $CHILDREN * ($INCRS / 10) * 10, 'all items present');

$srv->stop;
done_testing;
