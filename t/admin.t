#!/usr/bin/perl
# Admin commands: slabs reassign / automove, lru_crawler crawl / metadump
# (memcached 1.6.18's replies).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CashewTest;

my $srv = CashewTest::Server->start('-m', '64');
my $s = $srv->sock;

send_all($s, "version\r\n");
my $version = read_line($s) // '';

# ---- argument checks and fixed replies (fresh server: no pages anywhere) ----
my @cases = (
    ["slabs\r\n", "ERROR\r\n"],
    ["slabs foo\r\n", "ERROR\r\n"],
    ["slabs reassign\r\n", "ERROR\r\n"],
    ["slabs reassign 1\r\n", "ERROR\r\n"],
    ["slabs reassign 1 2 3\r\n", "ERROR\r\n"],
    ["slabs reassign 1 2 noreply\r\n", "ERROR\r\n"],
    ["SLABS reassign 1 2\r\n", "ERROR\r\n"],
    ["slabs reassign x 2\r\n", "CLIENT_ERROR bad command line format\r\n"],
    ["slabs reassign 1 2x\r\n", "CLIENT_ERROR bad command line format\r\n"],
    ["slabs reassign 1 1\r\n", "SAME src and dst class are identical\r\n"],
    ["slabs reassign 1 2\r\n", "NOSPARE source class has no spare pages\r\n"],
    ["slabs reassign 0 2\r\n", "NOSPARE source class has no spare pages\r\n"],
    ["slabs reassign 99 2\r\n", "BADCLASS invalid src or dst class id\r\n"],
    ["slabs reassign 1 99\r\n", "BADCLASS invalid src or dst class id\r\n"],
    ["slabs reassign -2 2\r\n", "BADCLASS invalid src or dst class id\r\n"],
    ["slabs reassign -1 2\r\n", "BADCLASS invalid src or dst class id\r\n"],
    ["slabs automove\r\n", "ERROR\r\n"],
    ["slabs automove 3\r\n", "ERROR\r\n"],
    ["slabs automove -1\r\n", "CLIENT_ERROR bad command line format\r\n"],
    ["slabs automove x\r\n", "CLIENT_ERROR bad command line format\r\n"],
    ["slabs automove 2\r\n", "OK\r\n"],
    ["slabs automove 1 2\r\n", "OK\r\n"],
    ["slabs automove 0\r\n", "OK\r\n"],
    ["lru_crawler\r\n", "ERROR\r\n"],
    ["lru_crawler foo\r\n", "ERROR\r\n"],
    ["lru_crawler crawl\r\n", "ERROR\r\n"],
    ["lru_crawler crawl 1 2\r\n", "ERROR\r\n"],
    ["lru_crawler crawl all noreply\r\n", "ERROR\r\n"],
    ["lru_crawler crawl all\r\n", "OK\r\n"],
    ["lru_crawler crawl 1\r\n", "OK\r\n"],
    ["lru_crawler crawl 1,2,3\r\n", "OK\r\n"],
    ["lru_crawler crawl ,1,,2,\r\n", "OK\r\n"],
    ["lru_crawler crawl 63\r\n", "OK\r\n"],
    ["lru_crawler crawl 0\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler crawl 64\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler crawl 1,x\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler crawl -1\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler crawl ALL\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler crawl ,\r\n", "NOTSTARTED no items to crawl\r\n"],
    ["lru_crawler crawl hash\r\n", "ERROR an unknown error happened\r\n"],
    ["lru_crawler metadump\r\n", "ERROR\r\n"],
    ["lru_crawler metadump all noreply\r\n", "ERROR\r\n"],
    ["lru_crawler metadump x\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler metadump 64\r\n", "BADCLASS invalid class id\r\n"],
    ["lru_crawler metadump all\r\n", "END\r\n"],
    ["lru_crawler metadump hash\r\n", "END\r\n"],
    ["lru_crawler metadump 1,2\r\n", "END\r\n"],
);
# memcached answers BUSY while an earlier crawl still runs (cashew queues the
# new one instead): there, a crawl that should be taken is retried until it is.
sub crawl_reply_is {
    my ($cmd, $want, $name) = @_;
    my $line = '';
    for (1 .. 100) {
        send_all($s, $cmd);
        $line = read_line($s, 10) // '';
        last if $line ne "BUSY currently processing crawler request\r\n";
        select(undef, undef, undef, 0.05);
    }
    is_bytes($line, $want, $name);
}

for my $c (@cases) {
    (my $name = $c->[0]) =~ s/\r\n\z//;
    if (CashewTest::is_oracle() && $c->[0] =~ /\Alru_crawler crawl / && $c->[1] eq "OK\r\n") {
        crawl_reply_is($c->[0], $c->[1], $name);
        next;
    }
    is_reply($s, $c->[0], $c->[1], $name);
}

# noreply is taken by automove only; its errors are silent too
send_all($s, "slabs automove 1 noreply\r\nslabs automove 3 noreply\r\n"
           . "slabs automove x noreply\r\nversion\r\n");
is(read_line($s), $version, 'slabs automove ... noreply answers nothing');

# ---- metadump -----------------------------------------------------------------
is_reply($s, "set foo 0 0 3\r\nbar\r\n", "STORED\r\n", 'set foo');
is_reply($s, "set a%20b 5 1000 2\r\nhi\r\n", "STORED\r\n", 'set a%20b with an exptime');
is_reply($s, "set never 0 0 1\r\nx\r\n", "STORED\r\n", 'set never');
send_all($s, "gets foo\r\n");
my $value = read_reply($s);
my ($foo_cas) = $value =~ /^VALUE foo 0 3 (\d+)\r\n/;
ok(defined $foo_cas, 'gets foo gives a cas');
is_reply($s, "delete never\r\n", "DELETED\r\n", 'deleted items are not dumped');

# One dump: lines ending in "\n" only, then END\r\n.
sub metadump {
    my ($sock, $which) = @_;
    send_all($sock, "lru_crawler metadump $which\r\n");
    my (@lines, $end);
    while (defined(my $line = read_line($sock, 10))) {
        if ($line eq "END\r\n") { $end = 1; last }
        push @lines, $line;
        last if $line =~ /\A(ERROR|CLIENT_ERROR|BADCLASS)/;
    }
    return (\@lines, $end);
}

my ($lines, $end) = metadump($s, 'all');
ok($end, 'metadump all ends with END');
is(scalar(@$lines), 2, 'metadump all lists the two live items');
my %item;
my $re = qr/\Akey=(\S+) exp=(-1|\d+) la=(\d+) cas=(\d+) fetch=(yes|no) cls=(\d+) size=(\d+)\n\z/;
for my $l (@$lines) {
    like($l, $re, 'metadump line format') or diag(esc($l));
    my @f = $l =~ $re;
    $item{$f[0]} = { exp => $f[1], la => $f[2], cas => $f[3], fetch => $f[4], cls => $f[5],
                     size => $f[6] } if @f;
}
ok(exists $item{foo}, 'foo is listed');
ok(exists $item{'a%2520b'}, 'the key is URL-encoded (a%20b -> a%2520b)');
my $now = time;
if (my $f = $item{foo}) {
    is($f->{exp}, -1, 'no exptime is exp=-1');
    is($f->{fetch}, 'yes', 'foo was fetched');
    is($f->{cas}, $foo_cas, 'cas matches gets');
    ok(abs($f->{la} - $now) < 30, 'la is a unix time');
    ok($f->{cls} >= 1 && $f->{cls} <= 63, 'cls is a class id');
    ok($f->{size} > 3, 'size counts more than the value');
}
if (my $f = $item{'a%2520b'}) {
    is($f->{fetch}, 'no', 'a%20b was not fetched');
    ok(abs($f->{exp} - ($now + 1000)) < 30, 'exp is a unix time');
}
my $cls = $item{foo} ? $item{foo}{cls} : 1;
($lines, $end) = metadump($s, $cls);
ok($end, "metadump $cls ends with END");
is(scalar(grep { /\Akey=foo / } @$lines), 1, "metadump $cls lists foo");
my $other = $cls == 1 ? 2 : 1;
($lines, $end) = metadump($s, $other);
ok($end && !grep({ /\Akey=foo / } @$lines), "metadump $other does not list foo");
($lines, $end) = metadump($s, 'hash');
is(scalar(@$lines), 2, 'metadump hash lists the two live items');
is_reply($s, "version\r\n", $version, 'connection fine after the dumps');

# ---- slabs reassign moves a page ---------------------------------------------
# Fill one class with several pages of 2000-byte values.
my $data = 'v' x 2000;
my $batch = '';
$batch .= "set fill$_ 0 0 2000 noreply\r\n$data\r\n" for 1 .. 2500;
send_all($s, $batch);
is_reply($s, "version\r\n", $version, 'filled a class');

sub class_pages {
    my ($st) = @_;
    my %pages;
    for my $k (keys %$st) {
        $pages{$1} = $st->{$k} if $k =~ /^(\d+):total_pages$/;
    }
    return \%pages;
}
my $pages = class_pages($srv->stats('slabs', $s));
my ($src) = sort { $pages->{$b} <=> $pages->{$a} } keys %$pages;
ok(defined $src && $pages->{$src} >= 3, 'one class has several pages')
    or diag(join ' ', map { "$_:$pages->{$_}" } sort keys %$pages);
$src //= 1;
my $dst = $src + 1;
my $before = $pages->{$dst} // 0;
is_reply($s, "slabs reassign $src $src\r\n", "SAME src and dst class are identical\r\n",
         'reassign to the same class');
is_reply($s, "slabs reassign $src $dst\r\n", "OK\r\n", "slabs reassign $src $dst");
my $moved = 0;
for (1 .. 100) {
    my $p = class_pages($srv->stats('slabs', $s));
    if (($p->{$dst} // 0) > $before) { $moved = 1; last }
    sleep 0.1;
}
ok($moved, "a page moved to class $dst");
is_reply($s, "get foo\r\n", "VALUE foo 0 3\r\nbar\r\nEND\r\n", 'other classes untouched');
is_reply($s, "version\r\n", $version, 'server fine after the move');
$srv->stop;

# ---- both features off -----------------------------------------------------------
my $off = CashewTest::Server->start('-o', 'no_lru_crawler,no_slab_reassign');
my $t = $off->sock;
is_reply($t, "slabs reassign 1 2\r\n", "CLIENT_ERROR slab reassignment disabled\r\n",
         'reassign with no_slab_reassign');
is_reply($t, "slabs reassign x 2\r\n", "CLIENT_ERROR slab reassignment disabled\r\n",
         'reassign off is answered before the class ids are read');
is_reply($t, "slabs reassign 1 1\r\n", "CLIENT_ERROR slab reassignment disabled\r\n",
         'reassign off is answered before SAME');
is_reply($t, "slabs reassign 1\r\n", "ERROR\r\n", 'reassign off: wrong token count is ERROR');
is_reply($t, "lru_crawler crawl ,\r\n", "CLIENT_ERROR lru crawler disabled\r\n",
         'crawler off is answered before NOTSTARTED');
is_reply($t, "lru_crawler crawl all\r\n", "CLIENT_ERROR lru crawler disabled\r\n",
         'crawl with no_lru_crawler');
is_reply($t, "lru_crawler crawl 99\r\n", "CLIENT_ERROR lru crawler disabled\r\n",
         'crawler off is answered before the class check');
is_reply($t, "lru_crawler metadump all\r\n", "CLIENT_ERROR lru crawler disabled\r\n",
         'metadump with no_lru_crawler');
is_reply($t, "slabs automove 1\r\n", "OK\r\n", 'automove still answers');
$off->stop;

done_testing;
