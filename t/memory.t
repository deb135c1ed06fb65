#!/usr/bin/perl
# Memory limits: LRU eviction under -m, "out of memory" under -M, and the
# item size limit under -I.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $SIZE = 100_000;
my $V = 'v' x $SIZE;

sub set_ok {
    my ($sock, $key) = @_;
    send_all($sock, "set $key 0 0 $SIZE\r\n$V\r\n");
    return read_line($sock) // '';
}

sub present {
    my ($sock, @keys) = @_;
    send_all($sock, "get @keys\r\n");
    my $r = read_reply($sock);
    my %got = map { $_ => 1 } $r =~ /^VALUE (\S+) 0 $SIZE\r\n/mg;
    return \%got;
}

# -m 8: 40 MB of sets into 8 MB evict the least recently used items
{
    my $srv = CashewTest::Server->start('-m', '8');
    my $s = $srv->sock;
    is(set_ok($s, 'hot'), "STORED\r\n", 'set hot');
    my $stored = 0;
    for my $i (0 .. 399) {
        $stored++ if set_ok($s, "k$i") eq "STORED\r\n";
        present($s, 'hot') if $i % 10 == 0;   # keep "hot" recently used
    }
    is($stored, 400, '400 sets of 100 KB all STORED in 8 MB');
    my $last = present($s, map { "k$_" } 380 .. 399);
    is(scalar(keys %$last), 20, 'the 20 newest items are present');
    my $first = present($s, map { "k$_" } 0 .. 19);
    is(scalar(keys %$first), 0, 'the 20 oldest items were evicted');
    ok(present($s, 'hot')->{hot}, 'a frequently read item survived');
    my $st = $srv->stats('', $s);
    cmp_ok($st->{evictions}, '>', 0, 'evictions counted');
    is($st->{evictions} + $st->{curr_items}, $st->{total_items}, 'evictions + curr_items = total_items');
    cmp_ok($st->{bytes}, '<=', $st->{limit_maxbytes}, 'bytes stay within limit_maxbytes');
    cmp_ok($st->{curr_items} * $SIZE, '<=', 8 * 1024 * 1024, 'no more items than fit');
    my $items = $srv->stats('items', $s);
    my $evicted = 0;
    $evicted += $items->{$_} for grep { /^items:\d+:evicted$/ } keys %$items;
    is($evicted, $st->{evictions}, 'items:N:evicted adds up to evictions');
    is_reply($s, "set small 0 0 5\r\nsmall\r\nget small\r\n", "STORED\r\nVALUE small 0 5\r\nsmall\r\nEND\r\n",
             'small items still work');
    $srv->stop;
}

# -m 8 -M: no eviction, an error instead
{
    my $srv = CashewTest::Server->start('-m', '8', '-M');
    my $s = $srv->sock;
    my ($stored, $first_error) = (0, '');
    for my $i (0 .. 199) {
        my $r = set_ok($s, "k$i");
        if ($r eq "STORED\r\n") { $stored++; next }
        $first_error = $r;
        last;
    }
    is($first_error, "SERVER_ERROR out of memory storing object\r\n", '-M: out of memory error when full');
    cmp_ok($stored, '>=', 40, "-M: $stored items stored before that");
    cmp_ok($stored, '<', 82, '-M: no more than fit in 8 MB');
    is(set_ok($s, 'again'), "SERVER_ERROR out of memory storing object\r\n", '-M: still full');
    is_reply($s, "version\r\n", $srv->{version}, 'connection fine after the error (data swallowed)');
    my $all = present($s, map { "k$_" } 0 .. $stored - 1);
    is(scalar(keys %$all), $stored, '-M: every stored item is still there');
    my $st = $srv->stats('', $s);
    is($st->{evictions}, 0, '-M: no evictions');
    is_reply($s, join('', map { "delete k$_\r\n" } 0 .. 9), "DELETED\r\n" x 10, 'delete 10 items');
    my $again = grep { set_ok($s, "n$_") eq "STORED\r\n" } 0 .. 9;
    is($again, 10, '-M: freed memory is reused');
    $srv->stop;
}

# -I 2m: bigger items
{
    my $srv = CashewTest::Server->start('-I', '2m');
    my $s = $srv->sock;
    my $n = 2 * 1024 * 1024 - 1024;
    my $v = join('', map { chr(65 + $_ % 26) } 1 .. $n);
    is_reply($s, "set big 5 0 $n\r\n$v\r\n", "STORED\r\n", '-I 2m: 2 MB minus 1 KB stored');
    is_reply($s, "get big\r\n", "VALUE big 5 $n\r\n$v\r\nEND\r\n", '-I 2m: and read back');
    my $m = 2 * 1024 * 1024;
    is_reply($s, "set big 0 0 $m\r\n" . ('x' x $m) . "\r\n", "SERVER_ERROR object too large for cache\r\n",
             '-I 2m: 2 MB is too large');
    is($srv->stats('settings', $s)->{item_size_max}, $m, '-I 2m: stats settings item_size_max');
    $srv->stop;
}

done_testing;
