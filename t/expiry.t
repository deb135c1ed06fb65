#!/usr/bin/perl
# Expiry: relative, absolute, negative and zero exptime; flush_all.
# Time moves with `debugtime` on cashew-debug, with real sleeps on memcached.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# The server's own clock (moved by debugtime): absolute exptimes are based on it.
my $now = $srv->stats('', $s)->{time};
like($now, qr/^\d+$/, 'stats time is a number');
$now //= time;

is_reply($s, "set forever 1 0 1\r\nf\r\n", "STORED\r\n", 'exptime 0');
is_reply($s, "set rel2 2 2 1\r\nr\r\n", "STORED\r\n", 'relative exptime 2');
is_reply($s, "set rel1000 3 1000 1\r\nR\r\n", "STORED\r\n", 'relative exptime 1000');
is_reply($s, "set month 4 2592000 1\r\nM\r\n", "STORED\r\n", 'relative exptime of 30 days');
my $abs = $now + 3;
is_reply($s, "set abs3 5 $abs 1\r\na\r\n", "STORED\r\n", 'absolute exptime now+3');
my $abs_far = $now + 100000;
is_reply($s, "set absfar 6 $abs_far 1\r\nA\r\n", "STORED\r\n", 'absolute exptime now+100000');
is_reply($s, "get forever rel2 rel1000 month abs3 absfar\r\n",
         "VALUE forever 1 1\r\nf\r\nVALUE rel2 2 1\r\nr\r\nVALUE rel1000 3 1\r\nR\r\n"
         . "VALUE month 4 1\r\nM\r\nVALUE abs3 5 1\r\na\r\nVALUE absfar 6 1\r\nA\r\nEND\r\n",
         'all present before their time');

# already expired at store time
my $past = $now - 10;
is_reply($s, "set abspast 0 $past 1\r\np\r\n", "STORED\r\n", 'absolute exptime in the past is STORED');
is_reply($s, "get abspast\r\n", "END\r\n", '... and already expired');
is_reply($s, "set epoch 0 2592001 1\r\np\r\n", "STORED\r\n", 'exptime just over 30 days is absolute (1970)');
is_reply($s, "get epoch\r\n", "END\r\n", '... and already expired');
is_reply($s, "set neg 0 -1 1\r\nn\r\n", "STORED\r\n", 'negative exptime is STORED');
is_reply($s, "get neg\r\n", "END\r\n", '... and immediately expired');
is_reply($s, "set neg 0 -1000 1\r\nn\r\n", "STORED\r\n", 'exptime -1000');
is_reply($s, "get neg\r\n", "END\r\n", '... expired');
is_reply($s, "add neg 0 0 1\r\nN\r\n", "STORED\r\n", 'add over an expired item');
is_reply($s, "get neg\r\n", "VALUE neg 0 1\r\nN\r\nEND\r\n", 'added value');

$srv->advance(4);

is_reply($s, "get forever rel2 rel1000 month abs3 absfar\r\n",
         "VALUE forever 1 1\r\nf\r\nVALUE rel1000 3 1\r\nR\r\nVALUE month 4 1\r\nM\r\n"
         . "VALUE absfar 6 1\r\nA\r\nEND\r\n",
         'relative 2 and absolute now+3 expired, the rest kept');
is_reply($s, "gets rel2 abs3\r\n", "END\r\n", 'gets misses expired items');
is_reply($s, "replace rel2 0 0 1\r\nx\r\n", "NOT_STORED\r\n", 'replace of an expired item');
is_reply($s, "append rel2 0 0 1\r\nx\r\n", "NOT_STORED\r\n", 'append to an expired item');
is_reply($s, "incr rel2 1\r\n", "NOT_FOUND\r\n", 'incr of an expired item');
is_reply($s, "touch rel2 10\r\n", "NOT_FOUND\r\n", 'touch of an expired item');
is_reply($s, "delete rel2\r\n", "NOT_FOUND\r\n", 'delete of an expired item');
is_reply($s, "cas rel2 0 0 1 1\r\nx\r\n", "NOT_FOUND\r\n", 'cas of an expired item');
is_reply($s, "add rel2 0 0 1\r\nx\r\n", "STORED\r\n", 'add over an expired item');
is_reply($s, "get rel2\r\n", "VALUE rel2 0 1\r\nx\r\nEND\r\n", 'new value readable');

# flush_all
is_reply($s, "flush_all\r\n", "OK\r\n", 'flush_all');
is_reply($s, "get forever rel1000 month absfar rel2 neg\r\n", "END\r\n", 'everything gone');
is_reply($s, "add forever 0 0 1\r\nF\r\n", "STORED\r\n", 'add after flush_all');
is_reply($s, "get forever\r\n", "VALUE forever 0 1\r\nF\r\nEND\r\n", 'items stored after flush_all are kept');
is_reply($s, "flush_all 0\r\n", "OK\r\n", 'flush_all 0');
is_reply($s, "get forever\r\n", "END\r\n", 'flush_all 0 flushes now');
is_reply($s, "set k 0 0 1\r\nk\r\n", "STORED\r\n", 'set');
is_reply($s, "flush_all noreply\r\n", '', 'flush_all noreply (no reply)');
is_reply($s, "get k\r\n", "END\r\n", 'flush_all noreply flushed');
is_reply($s, "set k 0 0 1\r\nk\r\n", "STORED\r\n", 'set');
is_reply($s, "flush_all 0 noreply\r\n", '', 'flush_all 0 noreply (no reply)');
is_reply($s, "get k\r\n", "END\r\n", 'flush_all 0 noreply flushed');
is_reply($s, "flush_all abc\r\n", "CLIENT_ERROR invalid exptime argument\r\n", 'flush_all with a bad delay');

# flush_all with a delay: items stay until then
is_reply($s, "set d1 0 0 2\r\nd1\r\n", "STORED\r\n", 'set d1');
is_reply($s, "set d2 0 1000 2\r\nd2\r\n", "STORED\r\n", 'set d2');
is_reply($s, "flush_all 3\r\n", "OK\r\n", 'flush_all 3');
is_reply($s, "get d1 d2\r\n", "VALUE d1 0 2\r\nd1\r\nVALUE d2 0 2\r\nd2\r\nEND\r\n", 'still there before the delay');
$srv->advance(4);
is_reply($s, "get d1 d2\r\n", "END\r\n", 'flushed after the delay');
is_reply($s, "set d3 0 0 2\r\nd3\r\n", "STORED\r\n", 'set after the delayed flush');
is_reply($s, "get d3\r\n", "VALUE d3 0 2\r\nd3\r\nEND\r\n", 'items stored after the flush time are kept');

$srv->stop;
done_testing;
