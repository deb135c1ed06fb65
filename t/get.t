#!/usr/bin/perl
# Retrieval: get/gets with one and many keys, misses, gat/gats.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

is_reply($s, "get nokey\r\n", "END\r\n", 'miss');
is_reply($s, "gets nokey\r\n", "END\r\n", 'gets miss');
is_reply($s, "get a b c d\r\n", "END\r\n", 'multi miss');
is_reply($s, "get\r\n", "ERROR\r\n", 'get without key');
is_reply($s, "gets\r\n", "ERROR\r\n", 'gets without key');
is_reply($s, "GET nokey\r\n", "ERROR\r\n", 'commands are case sensitive');

is_reply($s, "set k1 1 0 2\r\nv1\r\n", "STORED\r\n", 'set k1');
is_reply($s, "set k2 2 0 2\r\nv2\r\n", "STORED\r\n", 'set k2');
is_reply($s, "set k3 3 0 0\r\n\r\n", "STORED\r\n", 'set k3 empty');
is_reply($s, "get k1\r\n", "VALUE k1 1 2\r\nv1\r\nEND\r\n", 'hit');
is_reply($s, "get k1 k2 k3\r\n",
         "VALUE k1 1 2\r\nv1\r\nVALUE k2 2 2\r\nv2\r\nVALUE k3 3 0\r\n\r\nEND\r\n", 'three hits in order');
is_reply($s, "get k3 nokey k1 nokey2 k2\r\n",
         "VALUE k3 3 0\r\n\r\nVALUE k1 1 2\r\nv1\r\nVALUE k2 2 2\r\nv2\r\nEND\r\n", 'hits and misses, request order');
is_reply($s, "get k1 k1 k1\r\n",
         "VALUE k1 1 2\r\nv1\r\n" x 3 . "END\r\n", 'a repeated key is returned each time');
is_reply($s, "get  k1   k2 \r\n",
         "VALUE k1 1 2\r\nv1\r\nVALUE k2 2 2\r\nv2\r\nEND\r\n", 'extra spaces between keys');
is_reply($s, "get k1\n", "VALUE k1 1 2\r\nv1\r\nEND\r\n", 'bare \n ends a command line');

# gets: same values plus a cas unique per item
send_all($s, "gets k1 k2 nokey k3\r\n");
my $r = read_reply($s);
like($r, qr/\AVALUE k1 1 2 (\d+)\r\nv1\r\nVALUE k2 2 2 (\d+)\r\nv2\r\nVALUE k3 3 0 (\d+)\r\n\r\nEND\r\n\z/,
     'gets of three keys and a miss');
my @cas = $r =~ /^VALUE k\d \d \d+ (\d+)\r\n/mg;
is(scalar(keys %{ { map { $_ => 1 } @cas } }), 3, 'distinct uniques');
send_all($s, "gets k1\r\n");
my ($c1) = read_reply($s) =~ /^VALUE k1 1 2 (\d+)/;
is($c1, $cas[0], 'gets is stable while the item is unchanged');

# multiget of 100 keys, every other one present
my @keys = map { sprintf('multi:%03d', $_) } 0 .. 99;
my $sets = '';
for my $i (grep { $_ % 2 == 0 } 0 .. 99) {
    my $v = "value-$i-" . ('x' x $i);
    $sets .= "set $keys[$i] $i 0 " . length($v) . "\r\n$v\r\n";
}
is_reply($s, $sets, "STORED\r\n" x 50, '50 sets in one write');
my $exp = '';
for my $i (0 .. 99) {
    next if $i % 2;
    my $v = "value-$i-" . ('x' x $i);
    $exp .= "VALUE $keys[$i] $i " . length($v) . "\r\n$v\r\n";
}
is_reply($s, "get @keys\r\n", $exp . "END\r\n", 'multiget of 100 keys (50 hits)');
my @rev = reverse @keys;
my $exprev = '';
for my $i (reverse 0 .. 99) {
    next if $i % 2;
    my $v = "value-$i-" . ('x' x $i);
    $exprev .= "VALUE $keys[$i] $i " . length($v) . "\r\n$v\r\n";
}
is_reply($s, "get @rev\r\n", $exprev . "END\r\n", 'multiget in reverse order');
send_all($s, "gets @keys\r\n");
$r = read_reply($s);
my @vals = $r =~ /^VALUE (multi:\d+) \d+ \d+ \d+\r\n/mg;
is(scalar @vals, 50, 'gets of 100 keys: 50 values with uniques');
like($r, qr/END\r\n\z/, 'gets of 100 keys ends with END');

# 100 hits in one multiget, each value 1000 bytes
my $big = '';
my $bigexp = '';
for my $i (0 .. 99) {
    my $v = sprintf('%04d', $i) x 250;
    $big .= "set big$i 0 0 1000\r\n$v\r\n";
    $bigexp .= "VALUE big$i 0 1000\r\n$v\r\n";
}
is_reply($s, $big, "STORED\r\n" x 100, '100 sets of 1000 bytes');
is_reply($s, "get " . join(' ', map { "big$_" } 0 .. 99) . "\r\n", $bigexp . "END\r\n",
         'multiget of 100 hits (100 KB reply)');

# gat / gats: fetch and set a new exptime
is_reply($s, "gat 100 nokey\r\n", "END\r\n", 'gat miss');
is_reply($s, "gats 100 nokey\r\n", "END\r\n", 'gats miss');
is_reply($s, "gat\r\n", "ERROR\r\n", 'gat without arguments');
is_reply($s, "gat 100 k1 nokey k2\r\n", "VALUE k1 1 2\r\nv1\r\nVALUE k2 2 2\r\nv2\r\nEND\r\n", 'gat hits and a miss');
send_all($s, "gats 100 k1\r\n");
$r = read_reply($s);
like($r, qr/\AVALUE k1 1 2 \d+\r\nv1\r\nEND\r\n\z/, 'gats shows a unique');
my ($gc) = $r =~ /^VALUE k1 1 2 (\d+)/;
is($gc, $cas[0], 'gat does not change the unique');
is_reply($s, "gat abc k1\r\n", "CLIENT_ERROR invalid exptime argument\r\n", 'gat with a bad exptime');

# gat changes the expiry time: make one item mortal and one immortal
is_reply($s, "set mortal 0 0 1\r\nm\r\n", "STORED\r\n", 'set mortal (no exptime)');
is_reply($s, "set immortal 0 2 1\r\ni\r\n", "STORED\r\n", 'set immortal (exptime 2)');
is_reply($s, "gat 2 mortal\r\n", "VALUE mortal 0 1\r\nm\r\nEND\r\n", 'gat 2 mortal');
is_reply($s, "gats 0 immortal\r\n", '', 'gats 0 immortal (sent)');
like(read_reply($s), qr/\AVALUE immortal 0 1 \d+\r\ni\r\nEND\r\n\z/, 'gats 0 immortal');
$srv->advance(3);
is_reply($s, "get mortal immortal\r\n", "VALUE immortal 0 1\r\ni\r\nEND\r\n",
         'gat exptime applied: mortal expired, immortal kept');
is_reply($s, "gat -1 immortal\r\n", "VALUE immortal 0 1\r\ni\r\nEND\r\n", 'gat -1 still returns the value');
is_reply($s, "get immortal\r\n", "END\r\n", 'and then the item is expired');

$srv->stop;
done_testing;
