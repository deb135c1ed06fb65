#!/usr/bin/perl
# Meta delete (md): b C I k O q T, the newer E and x (cashew only: not in
# memcached 1.6.18), return codes HD NF EX, quiet mode, errors.
# Expectations are memcached 1.6.18's, probed byte for byte. The full
# stale-while-revalidate sequence is in meta_swr.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use MetaTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# ---- plain delete ---------------------------------------------------------
is_meta($s, "md nokey\r\n", "NF\r\n", 'missing key: NF');
is_meta($s, "ms d 1\r\nx\r\n", "HD\r\n", 'ms d');
is_meta($s, "md d\r\n", "HD\r\n", 'md: HD');
is_meta($s, "mg d v\r\n", "EN\r\n", 'gone for mg');
is_meta($s, "get d\r\n", "END\r\n", 'gone for get');
is_meta($s, "md d\r\n", "NF\r\n", 'second md: NF');
is_meta($s, "set td 0 0 1\r\nx\r\n", "STORED\r\n", 'text set');
is_meta($s, "md td\r\n", "HD\r\n", 'md deletes a text-set item');
is_meta($s, "delete td\r\n", "NOT_FOUND\r\n", 'text delete agrees');
is_meta($s, "ms d 1\r\nx\r\n", "HD\r\n", 'ms d');
is_meta($s, "md d k O7\r\n", "HD kd O7\r\n", 'k and O on HD');
is_meta($s, "md d O8 k\r\n", "NF O8 kd\r\n", 'O and k on NF, in request order');
is_meta($s, "ms d 1\r\nx\r\n", "HD\r\n", 'ms d');
is_meta($s, "md d P Lfoo\r\n", "HD\r\n", 'P and L ignored');
is_meta($s, "ms d 1\r\nx\r\n", "HD\r\n", 'ms d');
is_meta($s, "md d T30\r\n", "HD\r\n", 'T without I: a plain delete');
is_meta($s, "mg d v\r\n", "EN\r\n", '... gone');

# ---- b ------------------------------------------------------------------------
is_meta($s, "set hello 0 0 5\r\nworld\r\n", "STORED\r\n", 'text set hello');
is_meta($s, "md aGVsbG8= b k\r\n", "HD kaGVsbG8= b\r\n", 'md b deletes the text key; k in base64 + b');
is_meta($s, "get hello\r\n", "END\r\n", '... gone');
is_meta($s, "md aGVsbG8= b k\r\n", "NF kaGVsbG8= b\r\n", 'NF with b');
is_meta($s, "ms YmluAGtleQ== 1 b\r\nx\r\n", "HD\r\n", 'binary key');
is_meta($s, "md YmluAGtleQ== b q\r\nmn\r\n", "MN\r\n", 'md b q');
is_meta($s, "mg YmluAGtleQ== b v\r\n", "EN\r\n", 'binary key gone');

# ---- C --------------------------------------------------------------------------
is_meta($s, "ms c 1\r\nx\r\n", "HD\r\n", 'ms c');
my $cas = mg_cas($s, 'c');
is_meta($s, "md c C" . ($cas + 1) . "\r\n", "EX\r\n", 'C mismatch: EX');
is_meta($s, "md c k O1 C1\r\n", "EX kc O1\r\n", 'EX with k and O');
is_meta($s, "mg c v\r\n", "VA 1\r\nx\r\n", 'EX deleted nothing');
is_meta($s, "md c C$cas\r\n", "HD\r\n", 'C match: deleted');
is_meta($s, "mg c v\r\n", "EN\r\n", '... gone');
is_meta($s, "md c C$cas\r\n", "NF\r\n", 'C on a missing key: NF');
is_meta($s, "set c 0 0 1\r\ny\r\n", "STORED\r\n", 'text set');
is_meta($s, "md c C" . gets_cas($s, 'c') . "\r\n", "HD\r\n", 'md C with the cas of text gets');

# ---- I (invalidate) and T ----------------------------------------------------------
is_meta($s, "md nokey I\r\n", "NF\r\n", 'I on a missing key: NF');
is_meta($s, "ms st 3 T0\r\nold\r\n", "HD\r\n", 'ms st');
my $c0 = mg_cas($s, 'st');
is_meta($s, "md st I C1\r\n", "EX\r\n", 'I with a wrong C: EX');
is_meta($s, "mg st c v\r\n", "VA 3 c$c0\r\nold\r\n", '... nothing changed');
is_meta($s, "md st I k O5 T30\r\n", "HD kst O5\r\n", 'I T30: HD');
my ($c1) = like_meta($s, "mg st c v t\r\n", qr/^VA 3 c(\d+) t(?:29|30) X W\r\nold\r\n\z/,
                     'stale: value kept, new cas, TTL 30, X and W');
ok(defined $c1 && $c1 != $c0, 'I bumped the cas');
is_meta($s, "mg st c v\r\n", "VA 3 c$c1 Z X\r\nold\r\n", 'second reader: Z X');
is_meta($s, "get st\r\n", "VALUE st 0 3\r\nold\r\nEND\r\n", 'text get still sees the value');
is_meta($s, "md st I\r\n", "HD\r\n", 'I again');
my ($c2) = like_meta($s, "mg st c v\r\n", qr/^VA 3 c(\d+) X W\r\nold\r\n\z/, 'a new I hands out a new W');
ok(defined $c2 && $c2 != $c1, 'I bumped the cas again');
is_meta($s, "md st I C$c2 q\r\nmn\r\n", "MN\r\n", 'I with matching C under q: silent');
is_meta($s, "md st C1 q\r\nmn\r\n", "EX\r\nMN\r\n", 'EX under q');
is_meta($s, "md st\r\n", "HD\r\n", 'a plain md deletes a stale item');
is_meta($s, "mg st v\r\n", "EN\r\n", '... gone');

# ---- q --------------------------------------------------------------------------------
is_meta($s, "ms q1 1\r\nx\r\n", "HD\r\n", 'ms q1');
is_meta($s, "md q1 q\r\nmd q1 q\r\nmd q1 q O3\r\nmn\r\n", "NF\r\nNF O3\r\nMN\r\n", 'q hides HD, shows NF');
is_meta($s, "md nokey I q\r\nmn\r\n", "NF\r\nMN\r\n", 'q shows NF for I');

# ---- errors (1.6.18: md collapses most of them into "invalid or duplicate flag") ----------
is_meta($s, "md\r\n", "ERROR\r\n", 'md without key');
is_meta($s, "ms e 1\r\nx\r\n", "HD\r\n", 'ms e');
is_meta($s, "md e I I\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'duplicate I');
is_meta($s, "md e O1 O2\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'duplicate O');
is_meta($s, "md e Q\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'unknown flag');
is_meta($s, "md e Tx I\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'T not a number');
is_meta($s, "md e T\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'T without token');
is_meta($s, "md e Cx\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'C not a number');
is_meta($s, "md e C\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'C without token');
is_meta($s, "md !! b\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'bad base64 key (1.6.18 wording)');
is_meta($s, "md e O12345678901234567890123456789012\r\n", "CLIENT_ERROR opaque token too long\r\n",
        '32-byte opaque');
is_meta($s, "md e Q q\r\nmd e I I q\r\nmn\r\n",
        "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nMN\r\n",
        'errors under q');
is_meta($s, "md " . ('k' x 251) . "\r\n", "CLIENT_ERROR bad command line format\r\n", '251-byte key');
is_meta($s, "mg e v\r\n", "VA 1\r\nx\r\n", 'errors deleted nothing');
is_meta($s, "md e O1234567890123456789012345678901\r\n", "HD O1234567890123456789012345678901\r\n",
        '31-byte opaque');

# ---- newer flags: E (explicit cas with I), x (remove the value only) ----------------------
if (is_oracle()) {
    is_meta($s, "ms e 1\r\nx\r\n", "HD\r\n", 'ms e');
    is_meta($s, "md e I E5\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'memcached 1.6.18 rejects md E');
    is_meta($s, "md e x\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'memcached 1.6.18 rejects md x');
}
unless (oracle_lacks('md E (explicit new cas)')) {
    is_meta($s, "ms ee 1\r\nx\r\n", "HD\r\n", 'ms ee');
    is_meta($s, "md ee I E888\r\n", "HD\r\n", 'md I E888');
    is_meta($s, "mg ee c v\r\n", "VA 1 c888 X W\r\nx\r\n", 'stale item has cas E');
    is_meta($s, "ms ee 1 C888\r\ny\r\n", "HD\r\n", 'ms with that cas revalidates');
    is_meta($s, "mg ee v\r\n", "VA 1\r\ny\r\n", '... fresh again');
}
unless (oracle_lacks('md x (remove the value, keep the item)')) {
    is_meta($s, "ms xk 5 T0\r\nhello\r\n", "HD\r\n", 'ms xk');
    is_meta($s, "md xk x\r\n", "HD\r\n", 'md x');
    is_meta($s, "mg xk v s\r\n", "VA 0 s0\r\n\r\n", 'the item is still there, value empty');
    is_meta($s, "md nokey x\r\n", "NF\r\n", 'md x on a missing key: NF');
}

$srv->stop;
done_testing;
