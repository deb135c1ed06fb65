#!/usr/bin/perl
# Key dumps: stats cachedump, lru_crawler mgdump, -X (--disable-dumping) and
# the -vv slab class list (memcached 1.6.18's replies; mgdump is newer than
# 1.6.18, so its part follows current memcached and runs against cashew only).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $BADLINE = "CLIENT_ERROR bad command line\r\n";
my $BADFMT = "CLIENT_ERROR bad command line format\r\n";
my $ILLEGAL = "CLIENT_ERROR Illegal slab id\r\n";

# Without the LRU maintainer new items go straight to COLD, the one LRU
# memcached's cachedump shows (with it, items show once moved to COLD).
my $srv = CashewTest::Server->start('-m', '64', '-o', 'no_lru_maintainer');
my $s = $srv->sock;

# The one class that holds items (the class ids differ between servers).
sub item_class {
    my ($server) = @_;
    my $st = $server->stats('items');
    my %ids = map { /^items:(\d+):number\z/ ? ($1 => 1) : () } keys %$st;
    return (sort { $a <=> $b } keys %ids);
}

# Reads a dump up to (and including) $end; returns its lines.
sub read_dump {
    my ($sock, $end) = @_;
    my @lines;
    while (defined(my $line = read_line($sock, 10))) {
        push @lines, $line;
        last if $line eq $end || $line =~ /^(ERROR|CLIENT_ERROR|BADCLASS)/;
    }
    return @lines;
}

# ---- stats cachedump: arguments ----------------------------------------------------
my @cases = (
    ["stats cachedump\r\n", $BADLINE],
    ["stats cachedump 1\r\n", $BADLINE],
    ["stats cachedump x 0\r\n", $BADFMT],
    ["stats cachedump 1 x\r\n", $BADFMT],
    ["stats cachedump 1 -1\r\n", $BADFMT],
    ["stats cachedump -1 0\r\n", $BADFMT],
    ["stats cachedump 1e3 0\r\n", $BADFMT],
    ["stats cachedump 256 0\r\n", $ILLEGAL],
    ["stats cachedump 999 1\r\n", $ILLEGAL],
    ["stats cachedump 4294967295 0\r\n", $ILLEGAL],
    ["stats cachedump 0 0\r\n", "END\r\n"],
    ["stats cachedump 1 0\r\n", "END\r\n"],   # nothing stored yet
    ["stats cachedump 50 5\r\n", "END\r\n"],
);
for my $c (@cases) {
    (my $name = $c->[0]) =~ s/\r\n\z//;
    is_reply($s, $c->[0], $c->[1], $name);
}

# ---- stats cachedump: the items of a class, newest first -----------------------------
is_reply($s, "set a 0 0 5\r\nhello\r\n", "STORED\r\n", 'set a');
my $t0 = time;
is_reply($s, "set b 0 100 3\r\nabc\r\n", "STORED\r\n", 'set b (relative exptime)');
is_reply($s, "set c 0 2000000000 1\r\nx\r\n", "STORED\r\n", 'set c (absolute exptime)');
my @ids = item_class($srv);
is(scalar @ids, 1, 'the three items share one class');
my $id = $ids[0] // 1;

send_all($s, "stats cachedump $id 0\r\n");
my @lines = read_dump($s, "END\r\n");
is(scalar @lines, 4, 'three items and END');
is($lines[0], "ITEM c [1 b; 2000000000 s]\r\n", 'newest first, absolute exptime as given');
like($lines[1] // '', qr/^ITEM b \[3 b; (\d+) s\]\r\n\z/, 'value length and unix exptime');
my ($exp) = ($lines[1] // '') =~ /; (\d+) s/;
ok(defined $exp && abs($exp - ($t0 + 100)) <= 3, 'relative exptime shown as unix time')
    or diag("exp=" . ($exp // 'undef') . " want about " . ($t0 + 100));
is($lines[2], "ITEM a [5 b; 0 s]\r\n", 'no expiry shows 0');
is($lines[3], "END\r\n", 'END');

is_reply($s, "stats cachedump $id 1\r\n", "ITEM c [1 b; 2000000000 s]\r\nEND\r\n", 'limit 1');
send_all($s, "stats cachedump $id 2 extra args\r\n");
@lines = read_dump($s, "END\r\n");
is_deeply([map { /^ITEM (\S+)/ ? $1 : $_ } @lines], ['c', 'b', "END\r\n"],
          'limit 2, extra arguments ignored');
is_reply($s, "stats cachedump " . (4294967296 + $id) . " 4294967297\r\n",
         "ITEM c [1 b; 2000000000 s]\r\nEND\r\n", 'numbers kept in 32 bits');

# a dump is not a read: nothing counts as fetched
my $before = $srv->stats('', $s);
send_all($s, "stats cachedump $id 0\r\n");
read_dump($s, "END\r\n");
my $after = $srv->stats('', $s);
is($after->{get_hits}, $before->{get_hits}, 'cachedump counts no get hits');

# ---- -vv lists the slab classes at start ----------------------------------------------
my $vv = CashewTest::Server->start('-vv');
my $log = $vv->log_text;
like($log, qr/^slab class   1: chunk size +\d+ perslab +\d+$/m, '-vv: first class line');
my @classes = $log =~ /^slab class +(\d+): chunk size +(\d+) perslab +(\d+)$/mg;
ok(@classes >= 3 * 10, '-vv: every class listed');
my $sane = 1;
for (my $i = 3; $i < @classes; $i += 3) {
    $sane = 0 unless $classes[$i] == $classes[$i - 3] + 1 && $classes[$i + 1] > $classes[$i - 2];
}
ok($sane, '-vv: ids count up, chunk sizes grow');
$vv->stop;

# ---- -X: dumps are refused ------------------------------------------------------------
my $x = CashewTest::Server->start('-X');
my $xs = $x->sock;
is_reply($xs, "stats cachedump 1 0\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n",
         '-X: cachedump');
is_reply($xs, "stats cachedump\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n",
         '-X: refused before the arguments are read');
is_reply($xs, "lru_crawler metadump all\r\n", "ERROR metadump not allowed\r\n",
         '-X: metadump');
is_reply($xs, "lru_crawler metadump 99\r\n", "ERROR metadump not allowed\r\n",
         '-X: metadump refused before the class list');
is_reply($xs, "lru_crawler metadump\r\n", "ERROR\r\n", '-X: metadump without argument');
is_reply($xs, "stats detail dump\r\n", "END\r\n", '-X: stats detail dump still works');
is($x->stats('settings', $xs)->{dump_enabled}, 'no', '-X: dump_enabled no');
is($srv->stats('settings', $s)->{dump_enabled}, 'yes', 'dump_enabled yes by default');
$x->stop;

my $xc = CashewTest::Server->start('--disable-dumping', '-o', 'no_lru_crawler');
is_reply($xc->sock, "lru_crawler metadump all\r\n", "CLIENT_ERROR lru crawler disabled\r\n",
         '-X: the crawler check comes first');
is_reply($xc->sock, "stats cachedump 1 0\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n",
         '--disable-dumping: cachedump');
$xc->stop;

# ---- lru_crawler mgdump ----------------------------------------------------------------
if (is_oracle()) {
    # memcached 1.6.18 predates mgdump: an unknown command.
    is_reply($s, "lru_crawler mgdump all\r\n", "ERROR\r\n", 'mgdump: unknown in 1.6.18');
}
SKIP: {
    skip 'lru_crawler mgdump is newer than memcached 1.6.18 (cashew follows current memcached)', 14
        if is_oracle();
    send_all($s, "lru_crawler mgdump all\r\n");
    my @dump = read_dump($s, "EN\r\n");
    is($dump[-1], "EN\r\n", 'mgdump ends with EN');
    is_deeply([sort @dump[0 .. $#dump - 1]], ["mg a\r\n", "mg b\r\n", "mg c\r\n"],
              'one mg line per item');
    send_all($s, "lru_crawler mgdump hash\r\n");
    @dump = read_dump($s, "EN\r\n");
    is(scalar @dump, 4, 'mgdump hash: the same items');
    send_all($s, "lru_crawler mgdump $id\r\n");
    @dump = read_dump($s, "EN\r\n");
    is(scalar @dump, 4, 'mgdump of the class');
    is_reply($s, "lru_crawler mgdump 50\r\n", "EN\r\n", 'mgdump of an empty class');
    is_reply($s, "lru_crawler mgdump 99\r\n", "BADCLASS invalid class id\r\n", 'bad class');
    is_reply($s, "lru_crawler mgdump ,\r\n", "NOTSTARTED no items to crawl\r\n", 'no class');
    is_reply($s, "lru_crawler mgdump\r\n", "ERROR\r\n", 'no argument');
    is_reply($s, "ms Zm9vYg== 1 b\r\nz\r\n", "HD\r\n", 'ms with a base64 key');
    send_all($s, "lru_crawler mgdump all\r\n");
    @dump = read_dump($s, "EN\r\n");
    ok((grep { $_ eq "mg Zm9vYg== b\r\n" } @dump), 'a binary key is dumped base64 with b');
    is_reply($s, "mg c v\r\n", "VA 1\r\nx\r\n", 'a dumped line works as a command');
    my $xm = CashewTest::Server->start('-X');
    is_reply($xm->sock, "lru_crawler mgdump all\r\n", "ERROR mgdump not allowed\r\n",
             '-X: mgdump');
    $xm->stop;
}

$srv->stop;
done_testing();
