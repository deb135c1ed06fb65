#!/usr/bin/perl
# Real client libraries against the server: pymemcache and pylibmc (Python
# scripts in t/clients/), Cache::Memcached::Fast, and memccapable -a
# (libmemcached's ASCII protocol conformance checker).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use Cache::Memcached::Fast;

my $PY = '/usr/bin/python3';   # Debian's python: the one with pymemcache/pylibmc
my $srv = CashewTest::Server->start;
my $port = $srv->port;

sub run_script {
    my ($script) = @_;
    my $path = "$FindBin::Bin/clients/$script";
    my $out = `$PY $path $port 2>&1`;
    my $rc = $? >> 8;
    my $n = 0;
    for my $line (split /\n/, $out) {
        if ($line =~ /^PASS (.*)/) { ok(1, "$script: $1"); $n++ }
        elsif ($line =~ /^FAIL (.*)/) { ok(0, "$script: $1"); $n++ }
        else { diag("$script: $line") }
    }
    ok($n >= 30, "$script ran its checks ($n)");
    is($rc, 0, "$script exit status");
}

run_script('pymemcache_session.py');
run_script('pylibmc_session.py');

# Cache::Memcached::Fast
{
    my $m = Cache::Memcached::Fast->new({
        servers => ["127.0.0.1:$port"], io_timeout => 20, close_on_error => 1,
        utf8 => 1, compress_threshold => -1,
    });
    ok($m->set('cmf:a', 'alpha'), 'CMF set');
    is($m->get('cmf:a'), 'alpha', 'CMF get');
    is($m->get('cmf:missing'), undef, 'CMF get miss');
    ok(!$m->add('cmf:a', 'x'), 'CMF add existing');
    ok($m->add('cmf:b', 'beta'), 'CMF add new');
    ok(!$m->replace('cmf:none', 'x'), 'CMF replace missing');
    ok($m->replace('cmf:b', 'BETA'), 'CMF replace');
    ok($m->append('cmf:b', '++'), 'CMF append');
    ok($m->prepend('cmf:b', '--'), 'CMF prepend');
    is($m->get('cmf:b'), '--BETA++', 'CMF after append/prepend');
    my %data = map { ("cmf:m$_" => "value $_ " . ('x' x $_)) } 1 .. 100;
    my @res = $m->set_multi(map { [$_, $data{$_}] } sort keys %data);
    is(scalar(grep { $_ } @res), 100, 'CMF set_multi of 100');
    my $h = $m->get_multi(keys %data, 'cmf:missing');
    is_deeply($h, \%data, 'CMF get_multi of 100 and a miss');
    my $g = $m->gets('cmf:a');
    ok(ref $g eq 'ARRAY' && $g->[0] > 0 && $g->[1] eq 'alpha', 'CMF gets');
    my ($cas, $val) = @{ $g // [0, ''] };
    ok(!$m->cas('cmf:a', $cas + 1, 'stale'), 'CMF cas stale');
    ok($m->cas('cmf:a', $cas, 'new'), 'CMF cas right');
    is($m->get('cmf:a'), 'new', 'CMF value after cas');
    ok($m->set('cmf:n', 10), 'CMF set counter');
    is($m->incr('cmf:n', 5), 15, 'CMF incr');
    is($m->decr('cmf:n', 20), '0E0', 'CMF decr floors at 0 (zero but true)');
    is($m->get('cmf:n'), '0 ', 'CMF counter value after decr (padded)');
    ok(!$m->incr('cmf:nonum', 1), 'CMF incr missing');
    ok($m->touch('cmf:a', 100), 'CMF touch');
    ok(!$m->touch('cmf:zzz', 100), 'CMF touch missing');
    ok($m->delete('cmf:a'), 'CMF delete');
    ok(!$m->delete('cmf:a'), 'CMF delete missing');
    my $struct = { list => [1, 2, 3], text => "caf\x{e9}" };
    ok($m->set('cmf:obj', $struct), 'CMF set a reference (Storable, flags)');
    is_deeply($m->get('cmf:obj'), $struct, 'CMF reference round-trips');
    my $uni = "\x{fc}nic\x{f6}de \x{263a}";
    ok($m->set('cmf:utf8', $uni), 'CMF set utf8 (flags)');
    is($m->get('cmf:utf8'), $uni, 'CMF utf8 round-trips');
    my $bin = join('', map { chr } 0 .. 255) x 50;
    ok($m->set('cmf:bin', $bin), 'CMF set binary');
    is($m->get('cmf:bin'), $bin, 'CMF binary round-trips');
    my $big = 'W' x (900 * 1024);
    ok($m->set('cmf:big', $big), 'CMF set 900 KB');
    ok($m->get('cmf:big') eq $big, 'CMF get 900 KB');
    my $vers = $m->server_versions;
    ok(defined $vers->{"127.0.0.1:$port"}, 'CMF server_versions');
    ok($m->flush_all, 'CMF flush_all');
    is($m->get('cmf:b'), undef, 'CMF get after flush_all');
    $m->disconnect_all;
}

# memccapable -a: libmemcached's ASCII protocol tests (flushes the server)
{
    my $out = `memccapable -h 127.0.0.1 -p $port -a -t 20 2>&1`;
    my $rc = $? >> 8;
    like($out, qr/^All tests passed$/m, 'memccapable -a: All tests passed') or diag($out);
    is($rc, 0, 'memccapable exit status');
    my @fail = grep { /\[(fail|FAIL)/ } split /\n/, $out;
    is(scalar @fail, 0, 'memccapable: no failed test') or diag(join("\n", @fail));
    my $count = () = $out =~ /\[pass\]/g;
    cmp_ok($count, '>=', 25, "memccapable ran its ascii tests ($count)");
}

$srv->stop;
done_testing;
