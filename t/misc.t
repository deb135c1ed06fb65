#!/usr/bin/perl
# version, verbosity, quit, unknown commands, shutdown, stats.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CashewTest;

my $srv = CashewTest::Server->start('-m', '32', '-t', '3');
my $s = $srv->sock;

# version
send_all($s, "version\r\n");
my $version = read_line($s) // '';
like($version, qr/\AVERSION \S+\r\n\z/, 'version');
my ($vnum) = $version =~ /^VERSION (\S+)/;
$vnum //= '';

# verbosity
is_reply($s, "verbosity 1\r\n", "OK\r\n", 'verbosity 1');
is_reply($s, "verbosity 0\r\n", "OK\r\n", 'verbosity 0');
is_reply($s, "verbosity\r\n", "ERROR\r\n", 'verbosity without level');

# unknown commands
is_reply($s, "bogus\r\n", "ERROR\r\n", 'unknown command');
is_reply($s, "bogus with args 1 2 3\r\n", "ERROR\r\n", 'unknown command with arguments');
is_reply($s, "\r\n", "ERROR\r\n", 'empty line');
is_reply($s, "SET a 0 0 1\r\n", "ERROR\r\n", 'upper-case command');
is_reply($s, ('x' x 1000) . "\r\n", "ERROR\r\n", 'unknown 1000-byte command');
is_reply($s, "version\r\n", $version, 'connection still usable');

# shutdown is disabled without -A
is_reply($s, "shutdown\r\n", "ERROR: shutdown not enabled\r\n", 'shutdown without -A');
is_reply($s, "shutdown graceful\r\n", "ERROR: shutdown not enabled\r\n", 'shutdown graceful without -A');
is_reply($s, "version\r\n", $version, 'server still there');

# stats: names and values we rely on
my $st = $srv->stats('', $s);
for my $k (qw(pid uptime time version curr_connections total_connections cmd_get cmd_set
              cmd_flush cmd_touch get_hits get_misses get_expired delete_misses delete_hits
              incr_misses incr_hits decr_misses decr_hits cas_misses cas_hits cas_badval
              touch_hits touch_misses bytes curr_items total_items evictions limit_maxbytes
              threads bytes_read bytes_written)) {
    ok(exists $st->{$k}, "stats has $k");
}
ok(!exists $st->{__bad_line}, 'stats reply is STAT lines and END') or diag(esc($st->{__bad_line}));
is($st->{pid}, $srv->pid, 'stats pid is the server pid');
is($st->{version}, $vnum, 'stats version matches the version command');
is($st->{limit_maxbytes}, 32 * 1024 * 1024, 'limit_maxbytes follows -m 32');
is($st->{threads}, 3, 'threads follows -t 3');
like($st->{uptime}, qr/^\d+$/, 'uptime is a number');
ok(abs(($st->{time} // 0) - time) < 5, 'stats time is the current unix time');

# counters move
sub delta_ok {
    my ($before, $after, %want) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    for my $k (sort keys %want) {
        is(($after->{$k} // 0) - ($before->{$k} // 0), $want{$k}, "$k moved by $want{$k}");
    }
}
my $before = $srv->stats('', $s);
is_reply($s, "set c1 0 0 1\r\n1\r\n", "STORED\r\n", 'set c1');
is_reply($s, "set c2 0 0 1\r\n2\r\n", "STORED\r\n", 'set c2');
is_reply($s, "set c1 0 0 1\r\n3\r\n", "STORED\r\n", 'overwrite c1');
is_reply($s, "get c1\r\n", "VALUE c1 0 1\r\n3\r\nEND\r\n", 'get hit');
is_reply($s, "get nokey\r\n", "END\r\n", 'get miss');
is_reply($s, "get c1 c2 nokey1 nokey2 nokey3\r\n", "VALUE c1 0 1\r\n3\r\nVALUE c2 0 1\r\n2\r\nEND\r\n", 'multiget');
is_reply($s, "delete c2\r\n", "DELETED\r\n", 'delete hit');
is_reply($s, "delete c2\r\n", "NOT_FOUND\r\n", 'delete miss');
is_reply($s, "incr c1 1\r\n", "4\r\n", 'incr hit');
is_reply($s, "incr nokey 1\r\n", "NOT_FOUND\r\n", 'incr miss');
is_reply($s, "decr c1 1\r\n", "3\r\n", 'decr hit');
is_reply($s, "decr nokey 1\r\n", "NOT_FOUND\r\n", 'decr miss');
is_reply($s, "touch c1 100\r\n", "TOUCHED\r\n", 'touch hit');
is_reply($s, "touch nokey 100\r\n", "NOT_FOUND\r\n", 'touch miss');
is_reply($s, "cas nokey 0 0 1 1\r\nx\r\n", "NOT_FOUND\r\n", 'cas miss');
send_all($s, "gets c1\r\n");
my ($cas) = read_reply($s) =~ /^VALUE c1 0 1 (\d+)/;
$cas //= 0;
is_reply($s, "cas c1 0 0 1 " . ($cas + 1) . "\r\nx\r\n", "EXISTS\r\n", 'cas badval');
is_reply($s, "cas c1 0 0 1 $cas\r\n5\r\n", "STORED\r\n", 'cas hit');
my $after = $srv->stats('', $s);
delta_ok($before, $after,
         cmd_get => 8, get_hits => 4, get_misses => 4,
         cmd_set => 6, curr_items => 1,
         delete_hits => 1, delete_misses => 1, incr_hits => 1, incr_misses => 1,
         decr_hits => 1, decr_misses => 1, touch_hits => 1, touch_misses => 1, cmd_touch => 2,
         cas_misses => 1, cas_hits => 1, cas_badval => 1);
ok($after->{bytes} > 0, 'bytes counts stored data');
ok($after->{bytes_read} > $before->{bytes_read}, 'bytes_read grew');
ok($after->{bytes_written} > $before->{bytes_written}, 'bytes_written grew');

my $ti = $srv->stats('', $s);
is_reply($s, "set t1 0 0 1\r\n1\r\nset t2 0 0 1\r\n2\r\nset t1 0 0 1\r\n3\r\n", "STORED\r\n" x 3, 'three sets');
is_reply($s, "add t1 0 0 1\r\n1\r\n", "NOT_STORED\r\n", 'failed add');
my $ti2 = $srv->stats('', $s);
delta_ok($ti, $ti2, total_items => 3, curr_items => 2, cmd_set => 4);
$after = $ti2;

# connections
my @extra = map { $srv->new_sock } 1 .. 3;
is_reply($_, "version\r\n", $version, 'extra connection answers') for @extra;
my $c = $srv->stats('', $s);
is($c->{curr_connections} - $after->{curr_connections}, 3, 'curr_connections counts 3 new connections');
cmp_ok($c->{total_connections} - $after->{total_connections}, '>=', 3, 'total_connections grew by 3');
close $_ for @extra;
my $back = 0;
for (1 .. 100) {
    my $now = $srv->stats('', $s);
    if ($now->{curr_connections} == $after->{curr_connections}) { $back = 1; last }
    sleep 0.05;
}
ok($back, 'curr_connections drops back after the connections close');

# flush counter
my $f0 = $srv->stats('', $s);
is_reply($s, "flush_all\r\n", "OK\r\n", 'flush_all');
my $f1 = $srv->stats('', $s);
delta_ok($f0, $f1, cmd_flush => 1);

# stats settings
my $set = $srv->stats('settings', $s);
for my $k (qw(maxbytes maxconns tcpport verbosity evictions growth_factor chunk_size
              num_threads cas_enabled item_size_max)) {
    ok(exists $set->{$k}, "stats settings has $k");
}
is($set->{maxbytes}, 32 * 1024 * 1024, 'settings maxbytes');
is($set->{tcpport}, $srv->port, 'settings tcpport');
is($set->{num_threads}, 3, 'settings num_threads');
is($set->{item_size_max}, 1024 * 1024, 'settings item_size_max');
is($set->{maxconns}, 1024, 'settings maxconns default');
is($set->{evictions}, 'on', 'settings evictions');
is($set->{cas_enabled}, 'yes', 'settings cas_enabled');

# stats items / slabs
is_reply($s, "set small 0 0 10\r\n" . ('s' x 10) . "\r\n", "STORED\r\n", 'small item');
is_reply($s, "set large 0 0 5000\r\n" . ('l' x 5000) . "\r\n", "STORED\r\n", 'large item');
# read stats items between two stats that agree on curr_items (a background
# crawler may reclaim the items flushed above at any moment)
my ($st2, $items);
for (1 .. 20) {
    $st2 = $srv->stats('', $s);
    $items = $srv->stats('items', $s);
    last if $srv->stats('', $s)->{curr_items} == $st2->{curr_items};
    sleep 0.1;
}
ok(!exists $items->{__bad_line}, 'stats items is STAT lines and END');
my %classes;
for my $k (keys %$items) {
    $classes{$1}{$2} = $items->{$k} if $k =~ /^items:(\d+):(\w+)$/;
}
is(scalar(keys %classes), 2, 'stats items lists two classes');
my $sum = 0;
for my $cl (sort { $a <=> $b } keys %classes) {
    for my $f (qw(number age evicted outofmemory)) {
        ok(exists $classes{$cl}{$f}, "items:$cl:$f");
    }
    $sum += $classes{$cl}{number} // 0;
}
is($sum, $st2->{curr_items}, 'items:N:number adds up to curr_items');

my $slabs = $srv->stats('slabs', $s);
ok(!exists $slabs->{__bad_line}, 'stats slabs is STAT lines and END');
ok(exists $slabs->{$_}, "stats slabs has $_") for qw(active_slabs total_malloced);
is($slabs->{active_slabs}, 2, 'two active slab classes');
my %sc;
for my $k (keys %$slabs) {
    $sc{$1}{$2} = $slabs->{$k} if $k =~ /^(\d+):(\w+)$/;
}
for my $cl (sort { $a <=> $b } keys %sc) {
    for my $f (qw(chunk_size chunks_per_page total_pages used_chunks)) {
        ok(exists $sc{$cl}{$f}, "slabs $cl:$f");
    }
}
my @cls = sort { $a <=> $b } keys %sc;
ok(@cls == 2 && $sc{$cls[0]}{chunk_size} < $sc{$cls[1]}{chunk_size}, 'chunk_size grows with the class id');
ok(@cls == 2 && $sc{$cls[1]}{chunk_size} >= 5000, 'the large item fits its chunk');
ok(exists $classes{$_}, "class $_ is in stats items too") for @cls;

# stats reset
is_reply($s, "stats reset\r\n", "RESET\r\n", 'stats reset');
my $r = $srv->stats('', $s);
is($r->{$_}, 0, "$_ is 0 after reset") for qw(cmd_get get_hits get_misses total_items cmd_set delete_hits);
cmp_ok($r->{curr_items}, '>=', 2, 'curr_items is not reset (small and large are live)');
is_reply($s, "stats bogus\r\n", "ERROR\r\n", 'unknown stats group');

# quit
is_reply($s, "set q 0 0 1\r\nq\r\nquit\r\nget q\r\n", "STORED\r\n", 'quit after a set in one write');
my ($closed, $rest) = expect_closed($s);
ok($closed, 'quit closes the connection');
is($rest, '', 'nothing answered after quit');
my $s2 = $srv->new_sock;
is_reply($s2, "get q\r\n", "VALUE q 0 1\r\nq\r\nEND\r\n", 'the set before quit happened');
$srv->stop;

# shutdown with -A
my $srv2 = CashewTest::Server->start('-A');
my $t = $srv2->sock;
send_all($t, "shutdown\r\n");
($closed) = expect_closed($t, 20);
ok($closed, 'shutdown with -A closes the connection');
ok($srv2->wait_exit(20), 'server exits after shutdown');
$srv2->stop;

my $srv3 = CashewTest::Server->start('-A');
$t = $srv3->sock;
send_all($t, "shutdown graceful\r\n");
($closed) = expect_closed($t, 20);
ok($closed, 'shutdown graceful with -A closes the connection');
ok($srv3->wait_exit(20), 'server exits after shutdown graceful');
$srv3->stop;

done_testing;
