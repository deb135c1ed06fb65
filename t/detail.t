#!/usr/bin/perl
# stats detail on|off|dump: per key prefix counts (prefix = key up to ':').
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $srv = CashewTest::Server->start('-m', '32', '-t', '3');
my $s = $srv->sock;

# The dump as { prefix => "get N hit N set N del N" } (its order is not specified).
sub dump_detail {
    my ($sock) = @_;
    send_all($sock, "stats detail dump\r\n");
    my %h;
    while (defined(my $line = read_line($sock, 10))) {
        last if $line eq "END\r\n";
        if ($line =~ /\APREFIX (\S*) (get \d+ hit \d+ set \d+ del \d+)\r\n\z/) {
            $h{$1} = $2;
            next;
        }
        $h{'__bad_line'} = $line;
        last;
    }
    return \%h;
}

sub detail_setting { $srv->stats('settings', $_[0])->{detail_enabled} // '' }

is_deeply(dump_detail($s), {}, 'empty dump before detail on');
is(detail_setting($s), 'no', 'detail_enabled no by default');
is_reply($s, "set a:1 0 0 1\r\nx\r\n", "STORED\r\n", 'set while off');
is_deeply(dump_detail($s), {}, 'nothing counted while off');

is_reply($s, "stats detail on\r\n", "OK\r\n", 'detail on');
is(detail_setting($s), 'yes', 'detail_enabled yes');
is_reply($s, "set a:1 0 0 1\r\nx\r\n", "STORED\r\n", 'set a:1');
is_reply($s, "set a:2 0 0 1\r\nx\r\n", "STORED\r\n", 'set a:2');
is_reply($s, "set plain 0 0 1\r\nx\r\n", "STORED\r\n", 'set key without delimiter');
is_reply($s, "get a:1 a:9 b:1\r\n", "VALUE a:1 0 1\r\nx\r\nEND\r\n", 'get hit and misses');
is_reply($s, "get plain\r\n", "VALUE plain 0 1\r\nx\r\nEND\r\n", 'get key without delimiter');
is_reply($s, "delete a:1\r\n", "DELETED\r\n", 'delete hit');
is_reply($s, "delete b:zz\r\n", "NOT_FOUND\r\n", 'delete miss');
is_reply($s, "add a:2 0 0 1\r\nx\r\n", "NOT_STORED\r\n", 'failed add');
is_reply($s, "replace c:1 0 0 1\r\nx\r\n", "NOT_STORED\r\n", 'failed replace');
is_reply($s, "append a:2 0 0 1\r\ny\r\n", "STORED\r\n", 'append');
is_reply($s, "cas a:2 0 0 1 999999\r\nx\r\n", "EXISTS\r\n", 'cas mismatch');
is_reply($s, "touch a:2 10\r\n", "TOUCHED\r\n", 'touch is not counted');
is_reply($s, "gat 0 a:2\r\n", "VALUE a:2 0 2\r\nxy\r\nEND\r\n", 'gat counts as a get');
is_reply($s, "set :x 0 0 1\r\nx\r\n", "STORED\r\n", 'empty prefix');
is_reply($s, "set a:b:c 0 0 1\r\nx\r\n", "STORED\r\n", 'prefix ends at the first delimiter');
is_reply($s, "set nr:1 0 0 1 noreply\r\nx\r\n", "", 'noreply set');
is_reply($s, "set big:1 0 0 2000000\r\n" . ('x' x 2000000) . "\r\n",
         "SERVER_ERROR object too large for cache\r\n", 'too large set');
is_reply($s, "ms d:2 1\r\nx\r\n", "HD\r\n", 'meta set is not counted');
is_reply($s, "md d:2\r\n", "HD\r\n", 'meta delete is not counted');
is_reply($s, "mg d:2 v\r\n", "EN\r\n", 'meta get is not counted');

my %want = (
    'a'   => 'get 3 hit 2 set 6 del 1',
    'b'   => 'get 1 hit 0 set 0 del 1',
    'c'   => 'get 0 hit 0 set 1 del 0',
    ''    => 'get 0 hit 0 set 1 del 0',
    'nr'  => 'get 0 hit 0 set 1 del 0',
    'big' => 'get 0 hit 0 set 1 del 0',
);
is_deeply(dump_detail($s), \%want, 'dump counts per prefix');

# another connection sees the same (process-wide) numbers
my $s2 = $srv->new_sock;
is_deeply(dump_detail($s2), \%want, 'dump from another connection');

is_reply($s, "stats detail off\r\n", "OK\r\n", 'detail off');
is(detail_setting($s), 'no', 'detail_enabled no again');
is_reply($s, "get a:2\r\n", "VALUE a:2 0 2\r\nxy\r\nEND\r\n", 'get while off');
is_deeply(dump_detail($s), \%want, 'off keeps the numbers and stops counting');

is_reply($s, "stats detail\r\n", "CLIENT_ERROR usage: stats detail on|off|dump\r\n", 'no mode');
is_reply($s, "stats detail foo\r\n", "CLIENT_ERROR usage: stats detail on|off|dump\r\n", 'bad mode');
is_reply($s, "stats detail on\r\n", "OK\r\n", 'on again');
is_reply($s, "get a:2\r\n", "VALUE a:2 0 2\r\nxy\r\nEND\r\n", 'get while on again');
is((dump_detail($s)->{a} // ''), 'get 4 hit 3 set 6 del 1', 'counting resumes');

is_reply($s, "stats reset\r\n", "RESET\r\n", 'stats reset');
is_deeply(dump_detail($s), {}, 'stats reset clears the prefixes');
is(detail_setting($s), 'yes', 'stats reset keeps detail on');

# many prefixes from several connections at once
my @socks = map { $srv->new_sock } 1 .. 3;
for my $round (1 .. 20) {
    for my $i (0 .. $#socks) {
        send_all($socks[$i], "set p$round:$i 0 0 1 noreply\r\nx\r\nget p$round:$i\r\n");
    }
    for my $i (0 .. $#socks) {
        is_bytes(read_bytes($socks[$i], length("VALUE p$round:$i 0 1\r\nx\r\nEND\r\n")),
                 "VALUE p$round:$i 0 1\r\nx\r\nEND\r\n", "round $round conn $i");
    }
}
my $d = dump_detail($s);
is(scalar(keys %$d), 20, '20 prefixes');
is($d->{p7} // '', 'get 3 hit 3 set 3 del 0', 'p7 counted from 3 connections');
ok(!exists $d->{__bad_line}, 'dump lines well formed');

is_reply($s, "stats detail off\r\n", "OK\r\n", 'off at the end');
ok($srv->alive, 'server alive');

# -D: another delimiter, and detail counting on from the start (as memcached)
is($srv->stats('settings', $s)->{stat_key_prefix} // '', ':', 'stat_key_prefix : by default');
my $slash = CashewTest::Server->start('-D', '/');
my $t = $slash->sock;
my $set = $slash->stats('settings', $t);
is($set->{stat_key_prefix} // '', '/', '-D /: stat_key_prefix /');
is($set->{detail_enabled} // '', 'yes', '-D turns detail on');
is_reply($t, "set a/b 0 0 1\r\nx\r\n", "STORED\r\n", 'set a/b');
is_reply($t, "set c:d 0 0 1\r\nx\r\n", "STORED\r\n", 'set c:d');
is_reply($t, "get a/b c:d\r\n", "VALUE a/b 0 1\r\nx\r\nVALUE c:d 0 1\r\nx\r\nEND\r\n", 'get both');
is_deeply(dump_detail($t), { a => 'get 1 hit 1 set 1 del 0' }, 'prefixes end at / (c:d has none)');
ok($slash->alive, '-D server alive');
$slash->stop;
$srv->stop;
done_testing();
