#!/usr/bin/perl
# bench/cashew-loadgen against the server: several thousand requests per
# workload from several connections at once (depth-1, pipelined large sets,
# pipelined small gets past -R, 100-key multigets, meta), where the loadgen
# checks every reply (each value carries its key and a version this run
# wrote). Also checks the loadgen's own report: counts, hit ratio, and that
# the "arrival" latency (kernel receive time) never exceeds the full one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use CashewTest;

my $builddir = $ENV{CASHEW_BUILDDIR} // '.';
my $loadgen = "$builddir/bench/cashew-loadgen";
ok(-x $loadgen, "loadgen built at $loadgen") or BAIL_OUT('build bench/cashew-loadgen first');

my $srv = CashewTest::Server->start('-t', '2');
my $server = '127.0.0.1:' . $srv->port;

my @workloads = (
    ['1:10 mix, depth 1, 16 connections', 20000, 1,
     qw(-t 2 -c 8 -r 1:10 -v 100 -k 5000 --populate)],
    ['pipelined 4 KB sets, depth 32 (reads past 16 KB)', 6000, 0,
     qw(-t 2 -c 2 -d 32 -r 1:0 -v 4096 -k 2000)],
    ['pipelined gets, depth 64 (past -R 20)', 30000, 1,
     qw(-t 1 -c 4 -d 64 -r 0:1 -v 32 -k 5000 --populate)],
    ['100-key multigets, depth 2', 400, 1,
     qw(-t 2 -c 2 -d 2 -g 100 -r 0:1 -v 100 -k 5000 --populate)],
    ['meta 1:10, depth 8', 20000, 1,
     qw(--proto meta -t 2 -c 4 -d 8 -r 1:10 -v 100 -k 5000 --populate)],
    ['mixed sizes 1-20 KB, depth 8', 4000, 0,
     qw(-t 2 -c 2 -d 8 -r 1:2 -v 22-20000 -k 1000)],
);

for my $w (@workloads) {
    my ($name, $count, $all_hit, @args) = @$w;
    my $out = `$loadgen -s $server -n $count --json -q @args 2>&1`;
    my $status = $? >> 8;
    is($status, 0, "$name: loadgen exit status 0") or diag($out);
    my ($line) = grep { /^\{/ } split /\n/, $out;
    my $r = eval { decode_json($line // '') };
    ok($r && $r->{ok}, "$name: every reply checked out") or do { diag($out); next };
    is($r->{ops}, $count, "$name: $count requests answered");
    is($r->{hit_ratio}, 1, "$name: every key hit") if $all_hit;
    my ($all, $arr) = ($r->{latency_us}{all}, $r->{latency_us}{arrival});
    is($arr->{count}, $all->{count}, "$name: an arrival time for every request");
    cmp_ok($arr->{p50}, '<=', $all->{p50}, "$name: arrival p50 not after completion p50");
}

ok($srv->alive, 'server alive after all workloads');
$srv->stop;
done_testing;
