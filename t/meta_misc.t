#!/usr/bin/perl
# Meta no-op (mn), meta debug (me), and meta commands mixed with each other
# and with text commands on one connection: quiet pipelines ended by mn,
# opaque matching, errors inside quiet pipelines, split packets, unknown
# m-commands. Expectations are memcached 1.6.18's, probed byte for byte.
# (me is enabled by default in memcached 1.6.18, so nothing is skipped.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use CashewTest;
use MetaTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# ---- mn -------------------------------------------------------------------------
is_meta($s, "mn\r\n", "MN\r\n", 'mn: MN');
is_meta($s, "mn\n", "MN\r\n", 'mn with a bare \n');
is_meta($s, "mn q\r\n", "MN\r\n", 'mn ignores flags');
is_meta($s, "mn O1 k\r\n", "MN\r\n", 'mn does not echo an opaque');
is_meta($s, "mn\r\nmn\r\nmn\r\n", "MN\r\nMN\r\nMN\r\n", 'three mn');
is_meta($s, "mz k\r\n", "ERROR\r\n", 'unknown m-command');
is_meta($s, "m\r\n", "ERROR\r\n", 'm alone');
is_meta($s, "mgg k\r\n", "ERROR\r\n", 'three-letter m-command');
is_meta($s, "MG k\r\n", "ERROR\r\n", 'upper-case MG is not a command');
is_meta($s, "MN\r\n", "ERROR\r\n", 'upper-case MN is not a command');

# ---- me -------------------------------------------------------------------------
is_meta($s, "me nokey\r\n", "EN\r\n", 'me miss: EN');
is_meta($s, "me\r\n", "CLIENT_ERROR bad command line format\r\n", 'me without key');
is_meta($s, "set dbg 0 0 2\r\nhi\r\n", "STORED\r\n", 'text set dbg');
my $cas = gets_cas($s, 'dbg');
# gets above fetched it
my ($la, $cls, $size) = like_meta($s, "me dbg\r\n",
    qr/^ME dbg exp=-1 la=(\d+) cas=\Q$cas\E fetch=yes cls=(\d+) size=(\d+)\r\n\z/,
    'me: exp=-1, cas of gets, fetch=yes');
ok(defined $la && $la <= 1, 'la small right after the fetch');
ok(defined $size && $size >= 5, 'size counts at least key and value');
ok(defined $cls && $cls >= 1, 'slab class id');
is_meta($s, "ms dbg2 3\r\nabc\r\n", "HD\r\n", 'ms dbg2');
like_meta($s, "me dbg2\r\n", qr/^ME dbg2 exp=-1 la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n\z/,
          'fetch=no before any read');
like_meta($s, "me dbg2\r\n", qr/ fetch=no /, 'me itself does not fetch');
is_meta($s, "mg dbg2 u\r\n", "HD\r\n", 'mg u');
like_meta($s, "me dbg2\r\n", qr/ fetch=no /, 'mg u does not fetch either');
is_meta($s, "mg dbg2\r\n", "HD\r\n", 'mg');
like_meta($s, "me dbg2\r\n", qr/ fetch=yes /, 'mg fetched it');
# 1.6.18 prints the remaining TTL with the wrong sign (exp=-100 for T100);
# only the magnitude is asserted
is_meta($s, "ms dbgt 1 T100\r\nx\r\n", "HD\r\n", 'ms with T100');
my ($ttl) = like_meta($s, "me dbgt\r\n", qr/^ME dbgt exp=(-?\d+) la=/, 'me of an item with a TTL');
ok(defined $ttl && abs($ttl) >= 99 && abs($ttl) <= 100, 'exp is 100 seconds (sign not asserted)')
    or diag("exp=" . ($ttl // 'undef'));
is_meta($s, "me bm9rZXk= b\r\n", "EN\r\n", 'me b of a missing key');    # "nokey"
like_meta($s, "me ZGJnMg== b\r\n", qr/^ME dbg2 exp=-1 /, 'me b decodes the key (text-stored: plain key)');
is_meta($s, "ms YmluAGtleQ== 1 b\r\nx\r\n", "HD\r\n", 'binary key');
like_meta($s, "me YmluAGtleQ== b\r\n", qr/^ME YmluAGtleQ== exp=-1 la=\d+ cas=\d+ fetch=no /,
          'me of a binary key: base64');
is_meta($s, "me !!!! b\r\n", "CLIENT_ERROR bad command line format\r\n", 'me with a bad base64 key');
is_meta($s, "me dbg b\r\n", "CLIENT_ERROR bad command line format\r\n", 'me b with a key that is not base64');
is_meta($s, "me " . ('k' x 251) . "\r\n", "CLIENT_ERROR bad command line format\r\n", 'me 251-byte key');
like_meta($s, "me dbg2 q x y\r\n", qr/^ME dbg2 /, 'me ignores further tokens');

# ---- quiet pipelines ended by mn -----------------------------------------------------
is_meta($s, "ms p1 1\r\n1\r\nms p2 1\r\n2\r\n", "HD\r\nHD\r\n", 'two ms');
is_meta($s,
    "mg p1 q v O1\r\nmg px q v O2\r\nmg p2 q v O3\r\nmg py q v O4\r\nmn\r\n",
    "VA 1 O1\r\n1\r\nVA 1 O3\r\n2\r\nMN\r\n",
    'multi-get: hits only, opaques tell them apart');
is_meta($s,
    "ms p3 1 q O1\r\n3\r\nms p1 1 q ME O2\r\nx\r\nmd p2 q O3\r\nmd px q O4\r\n"
    . "ma p3 q O5\r\nma px q O6\r\nmg p3 q v O7\r\nmg p2 q v O8\r\nmn\r\n",
    "NS O2\r\nNF O4\r\nNF O6\r\nVA 1 O7\r\n4\r\nMN\r\n",
    'mixed quiet pipeline: only failures and hits');
is_meta($s,
    "mg p1 q v\r\nmg p1 c c q\r\nms p1 1 q Z\r\nx\r\nmd p1 I I q\r\nma p1 q v v\r\nmg !! b q\r\nmg p1 q v\r\nmn\r\n",
    "VA 1\r\n1\r\nCLIENT_ERROR duplicate flag\r\nCLIENT_ERROR invalid flag\r\n"
    . "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
    . "CLIENT_ERROR error decoding key\r\nVA 1\r\n1\r\nMN\r\n",
    'errors inside a quiet pipeline are always sent, in order');

# ---- meta and text commands on one connection ------------------------------------------
is_meta($s,
    "set t1 5 0 2\r\naa\r\nmg t1 v f\r\nms t1 2 F6\r\nbb\r\nget t1\r\nmd t1\r\nget t1\r\nmn\r\n",
    "STORED\r\nVA 2 f5\r\naa\r\nHD\r\nVALUE t1 6 2\r\nbb\r\nEND\r\nHD\r\nEND\r\nMN\r\n",
    'text and meta interleaved in one write');
is_meta($s, "ms t2 2 q\r\nxx\r\nget t2\r\n", "VALUE t2 0 2\r\nxx\r\nEND\r\n", 'quiet ms then text get');
is_meta($s, "set t3 0 0 1 noreply\r\nz\r\nmg t3 v\r\n", "VA 1\r\nz\r\n", 'text noreply then mg');
is_meta($s, "mg t3 q v\r\nversion\r\n", "VA 1\r\nz\r\n$srv->{version}", 'mg q then version');
is_meta($s, "mg nokey q v\r\nversion\r\n", $srv->{version}, 'quiet miss then version');
my $ms_cas = meta_flag(meta_req($s, "ms t4 2 c\r\nyy\r\n"), 'c');
is_meta($s, "gets t4\r\n", "VALUE t4 0 2 $ms_cas\r\nyy\r\nEND\r\n", 'gets cas equals ms c');
is_meta($s, "cas t4 0 0 1 $ms_cas\r\nw\r\n", "STORED\r\n", 'text cas with the ms c value');
is_meta($s, "incr t4 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
        'text incr on an ms value');

# ---- opaque echo on every command -----------------------------------------------------------
is_meta($s, "ms op 1 Oabc\r\n5\r\n", "HD Oabc\r\n", 'ms O');
is_meta($s, "mg op Oabc v\r\n", "VA 1 Oabc\r\n5\r\n", 'mg O');
is_meta($s, "ma op Oabc v\r\n", "VA 1 Oabc\r\n6\r\n", 'ma O');
is_meta($s, "md op Oabc\r\n", "HD Oabc\r\n", 'md O');
is_meta($s, "mg op Oabc v\r\n", "EN Oabc\r\n", 'mg O on a miss');

# ---- split packets ----------------------------------------------------------------------------
for my $part ("mg p1", " v", " O", "9\r", "\n") {
    send_all($s, $part);
    sleep 0.02;
}
is_meta($s, undef, "VA 1 O9\r\n1\r\n", 'mg split over five writes');
for my $part ("ms sp 5 T0", "\r\nhel", "lo", "\r", "\nmn\r\n") {
    send_all($s, $part);
    sleep 0.02;
}
is_meta($s, undef, "HD\r\nMN\r\n", 'ms header and data split');
is_meta($s, "mg sp v\r\n", "VA 5\r\nhello\r\n", 'split ms stored');

# ---- a long quiet pipeline -----------------------------------------------------------------------
my $req = '';
my $exp = '';
for my $i (10 .. 99) {
    $req .= "ms pk$i 3 q\r\nv$i\r\n";
}
for my $i (0 .. 199) {
    $req .= "mg pk$i q v k\r\n";
    $exp .= "VA 3 kpk$i\r\nv$i\r\n" if $i >= 10 && $i <= 99;
}
is_meta($s, $req . "mn\r\n", $exp . "MN\r\n", '90 quiet sets, 200 quiet gets, one mn');

# ---- too many tokens ---------------------------------------------------------------------------
# 1.6.18 takes at most 19 tokens on a meta line (command, key, [length,]
# flags); beyond that it answers before looking at the flags, with two
# different wordings, and for ms it does not swallow the data block.
is_meta($s, "ms k 1\r\nx\r\n", "HD\r\n", 'ms k');          # "k" = aw==
like_meta($s, "mg aw== b c f h k l O1 q s t u v N30 R30 T30 P L\r\n", qr/^VA 1 c\d+ f0 h\d kk l\d+ O1 s1 t/,
          'mg with 17 flags is served');
is_meta($s, "mg aw== b c f h k l O1 q s t u v N30 R30 T30 P L Z\r\n",
        "CLIENT_ERROR options flags are too long\r\n", 'mg with 18 flags');
my $p17 = join(' ', ('P') x 17);
my $p18 = join(' ', ('P') x 18);
is_meta($s, "mg k $p17\r\n", "CLIENT_ERROR duplicate flag\r\n", 'mg with 17 flags: flags checked');
is_meta($s, "mg k $p18\r\n", "CLIENT_ERROR options flags are too long\r\n", 'mg with 18 flags: too long');
is_meta($s, "md k $p18\r\n", "CLIENT_ERROR options flags too long\r\n", 'md with 18 flags');
is_meta($s, "ma k $p18\r\n", "CLIENT_ERROR options flags too long\r\n", 'ma with 18 flags');
my $p16 = join(' ', ('P') x 16);
is_meta($s, "ms k 1 $p16\r\nx\r\nmn\r\n", "CLIENT_ERROR duplicate flag\r\nMN\r\n", 'ms with 16 flags: flags checked');
is_meta($s, "ms k 1 $p17\r\nx\r\nmn\r\n", "CLIENT_ERROR options flags too long\r\nERROR\r\nMN\r\n",
        'ms with 17 flags: too long, data line read as a command');
is_meta($s, "mg k v\r\n", "VA 1\r\nx\r\n", 'nothing changed');

# ---- flush_all ------------------------------------------------------------------------------
is_meta($s, "ms fa 1\r\nx\r\nmg fa N30 v\r\n", "HD\r\nVA 1\r\nx\r\n", 'ms fa');
is_meta($s, "flush_all\r\n", "OK\r\n", 'flush_all');
is_meta($s, "mg fa v\r\nma fa\r\nmd fa\r\n", "EN\r\nNF\r\nNF\r\n", 'mg/ma/md miss after flush_all');
is_meta($s, "ms fa 1 MR\r\ny\r\n", "NS\r\n", 'ms MR misses after flush_all');
is_meta($s, "mg fa N30 v\r\n", "VA 0 W\r\n\r\n", 'mg N after flush_all wins');

# ---- counters in "stats" ------------------------------------------------------------------------
my @counters = qw(cmd_get get_hits get_misses cmd_set cmd_touch touch_hits touch_misses
                  delete_hits delete_misses incr_hits incr_misses decr_hits decr_misses
                  cas_hits cas_misses cas_badval);
my $st_sock = $srv->new_sock;
sub counters_after {
    my ($req) = @_;
    my $before = $srv->stats('', $st_sock);
    meta_req($s, $req);
    my $after = $srv->stats('', $st_sock);
    my @d;
    for my $c (@counters) {
        my $n = ($after->{$c} // 0) - ($before->{$c} // 0);
        push @d, "$c+$n" if $n;
    }
    return join(' ', @d);
}
is_meta($s, "ms sc 1\r\n5\r\n", "HD\r\n", 'ms sc');
my $sc_cas = mg_cas($s, 'sc');
is(counters_after("mg nokey v\r\n"), 'cmd_get+1 get_misses+1', 'mg miss counts a get miss');
is(counters_after("mg sc v\r\n"), 'cmd_get+1 get_hits+1', 'mg hit counts a get hit');
is(counters_after("mg sc s\r\n"), 'cmd_get+1 get_hits+1', 'mg hit without v too');
# 1.6.18: an mg with T on a hit counts as a touch, not as a get
is(counters_after("mg sc T0 v\r\n"), 'cmd_touch+1 touch_hits+1', 'mg T hit counts a touch');
is(counters_after("ms sc 1\r\n6\r\n"), 'cmd_set+1', 'ms counts a set');
is(counters_after("ms sc 1 C999999\r\n7\r\n"), 'cmd_set+1 cas_badval+1', 'ms C mismatch: cas_badval');
is(counters_after("ms nokey 1 C1\r\n7\r\n"), 'cmd_set+1 cas_misses+1', 'ms C on a miss: cas_misses');
is(counters_after("ms sc 1 C" . mg_cas($s, 'sc') . "\r\n8\r\n"), 'cmd_set+1 cas_hits+1', 'ms C match: cas_hits');
is(counters_after("ma sc\r\n"), 'incr_hits+1', 'ma hit: incr_hits');
is(counters_after("ma sc MD\r\n"), 'decr_hits+1', 'ma MD hit: decr_hits');
is(counters_after("ma nokey\r\n"), 'incr_misses+1', 'ma miss: incr_misses');
is(counters_after("ma nokey MD\r\n"), 'decr_misses+1', 'ma MD miss: decr_misses');
is(counters_after("md sc\r\n"), 'delete_hits+1', 'md hit: delete_hits');
is(counters_after("md sc\r\n"), 'delete_misses+1', 'md miss: delete_misses');
is(counters_after("mn\r\n"), '', 'mn counts nothing');
is(counters_after("me nokey\r\n"), '', 'me counts nothing');
close $st_sock;

$srv->stop;
done_testing;
