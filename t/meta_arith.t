#!/usr/bin/perl
# Meta arithmetic (ma): b C N J D T M O q t c v k, the newer E (cashew only:
# not in memcached 1.6.18), return codes HD NF EX, quiet mode, errors, and
# ma on items of text commands. Expectations are memcached 1.6.18's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use MetaTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# ---- incr / decr ------------------------------------------------------------
is_meta($s, "ma nokey\r\n", "NF\r\n", 'missing key: NF');
is_meta($s, "ma nokey v\r\n", "NF\r\n", 'missing key with v: NF');
is_meta($s, "ma nokey k O2 v\r\n", "NF knokey O2\r\n", 'NF echoes k and O');
is_meta($s, "ms n 2 F5 T0\r\n10\r\n", "HD\r\n", 'ms n = 10, flags 5');
is_meta($s, "ma n\r\n", "HD\r\n", 'ma: HD, default +1');
is_meta($s, "ma n v\r\n", "VA 2\r\n12\r\n", 'v: the new value');
is_meta($s, "ma n v D5 MD\r\n", "VA 1\r\n7\r\n", 'MD D5: decrement');
# like text decr, 1.6.18 keeps the item length and pads with spaces
is_meta($s, "mg n v s f\r\n", "VA 2 s2 f5\r\n7 \r\n", 'shorter result padded, flags kept');
is_meta($s, "get n\r\n", "VALUE n 5 2\r\n7 \r\nEND\r\n", 'text get agrees');
is_meta($s, "ma n v D100 M-\r\n", "VA 1\r\n0\r\n", 'M- below zero stops at 0');
is_meta($s, "ma n v M+ D7\r\n", "VA 1\r\n7\r\n", 'M+ increments');
is_meta($s, "ma n v MI D100\r\n", "VA 3\r\n107\r\n", 'MI increments, value grows');
is_meta($s, "mg n v s f\r\n", "VA 3 s3 f5\r\n107\r\n", 'grown item keeps flags');
is_meta($s, "ma n v MD\r\n", "VA 3\r\n106\r\n", 'MD default delta 1');
is_meta($s, "ma n v P Lx\r\n", "VA 3\r\n107\r\n", 'P and L ignored');
is_meta($s, "incr n 3\r\n", "110\r\n", 'text incr on the same item');
is_meta($s, "ma n v\r\n", "VA 3\r\n111\r\n", 'ma continues from it');
is_meta($s, "set tn 0 0 1\r\n5\r\n", "STORED\r\n", 'text set a number');
is_meta($s, "ma tn v D10\r\n", "VA 2\r\n15\r\n", 'ma on a text-set item');
is_meta($s, "decr tn 20\r\n", "0\r\n", 'text decr');

# 64-bit edges
is_meta($s, "ms big 20\r\n18446744073709551615\r\n", "HD\r\n", 'ms 2^64-1');
is_meta($s, "ma big v\r\n", "VA 1\r\n0\r\n", 'incr wraps around at 2^64');
is_meta($s, "ma big v D18446744073709551615\r\n", "VA 20\r\n18446744073709551615\r\n", 'D 2^64-1');
is_meta($s, "ma big v D18446744073709551616\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n",
        'D beyond 64 bits (1.6.18 wording)');
is_meta($s, "ms txt 3\r\nabc\r\n", "HD\r\n", 'non-numeric value');
is_meta($s, "ma txt\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
        'ma on a non-number');
is_meta($s, "ma txt q\r\nmn\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nMN\r\n",
        '... also under q');

# ---- return flags c t k O, order -------------------------------------------------
my ($c1) = like_meta($s, "ma n v c\r\n", qr/^VA 3 c(\d+)\r\n112\r\n\z/, 'c: the new cas');
is(gets_cas($s, 'n'), $c1, 'same cas as gets');
is_meta($s, "ma n v t\r\n", "VA 3 t-1\r\n113\r\n", 't: -1 for no expiry');
like_meta($s, "ma n v k O3 t c\r\n", qr/^VA 3 kn O3 t-1 c\d+\r\n114\r\n\z/, 'k O t c in request order');
like_meta($s, "ma n c O4 k\r\n", qr/^HD c\d+ O4 kn\r\n\z/, 'HD with c O k');

# ---- C -----------------------------------------------------------------------------
my $cas = mg_cas($s, 'n');
is_meta($s, "ma n C" . ($cas + 1) . " v\r\n", "EX\r\n", 'C mismatch: EX');
is_meta($s, "ma n C1 k O5\r\n", "EX kn O5\r\n", 'EX with k and O');
is_meta($s, "ma n C$cas v\r\n", "VA 3\r\n116\r\n", 'C match: applied');
is_meta($s, "ma n C$cas v\r\n", "EX\r\n", 'the old cas no longer matches');
is_meta($s, "ma n C" . gets_cas($s, 'n') . " v\r\n", "VA 3\r\n117\r\n", 'C with the cas from text gets');
is_meta($s, "ma nokey C1\r\n", "NF\r\n", 'C on a missing key: NF');

# ---- T -----------------------------------------------------------------------------
is_meta($s, "ma n T100\r\n", "HD\r\n", 'T100 on success');
like_meta($s, "mg n t\r\n", qr/^HD t(99|100)\r\n\z/, 'TTL updated by ma T');
is_meta($s, "ma n C1 T5\r\n", "EX\r\n", 'T with a failing C');
like_meta($s, "mg n t\r\n", qr/^HD t(99|100)\r\n\z/, 'TTL not changed by a failed ma');
is_meta($s, "ma n T0\r\n", "HD\r\n", 'T0');
is_meta($s, "mg n t\r\n", "HD t-1\r\n", 'T0: never expires');

# ---- N and J: auto-create -----------------------------------------------------------------
is_meta($s, "ma auto J5 v\r\n", "NF\r\n", 'J without N: NF');
is_meta($s, "ma auto N0 J13 v\r\n", "VA 2\r\n13\r\n", 'N0 J13: created with 13');
is_meta($s, "ma auto N0 J13 v\r\n", "VA 2\r\n14\r\n", 'then incremented');
is_meta($s, "mg auto f v\r\n", "VA 2 f0\r\n14\r\n", 'created with flags 0');
is_meta($s, "ma auto2 N50 t v\r\n", "VA 1 t50\r\n0\r\n", 'N50 without J: 0, TTL 50');
like_meta($s, "mg auto2 t\r\n", qr/^HD t(49|50)\r\n\z/, 'created with TTL 50');
is_meta($s, "ma auto3 N0 MD J5 v\r\n", "VA 1\r\n5\r\n", 'MD on a miss: J as is');
like_meta($s, "ma auto4 N0 J7 c k O1 v\r\n", qr/^VA 1 c\d+ kauto4 O1\r\n7\r\n\z/, 'created with c k O');
is_meta($s, "get auto4\r\n", "VALUE auto4 0 1\r\n7\r\nEND\r\n", 'text get of a created item');
is_meta($s, "ma auto J\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'J without a number');
is_meta($s, "ma auto N0 Jx\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'J not a number');
is_meta($s, "ma auto Nx\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'N not a number');

# ---- b -----------------------------------------------------------------------------------
is_meta($s, "set hello 0 0 1\r\n1\r\n", "STORED\r\n", 'text set hello = 1');
is_meta($s, "ma aGVsbG8= b v\r\n", "VA 1\r\n2\r\n", 'ma b on the text key');
is_meta($s, "ma aGVsbG8= b k v\r\n", "VA 1 kaGVsbG8= b\r\n3\r\n", 'k in base64 with b');
is_meta($s, "get hello\r\n", "VALUE hello 0 1\r\n3\r\nEND\r\n", 'text get sees it');
is_meta($s, "ma Ym9ndXM= b k\r\n", "NF kYm9ndXM= b\r\n", 'NF with b k');
is_meta($s, "ma !! b\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'bad base64 key (1.6.18 wording)');

# ---- q -------------------------------------------------------------------------------------
is_meta($s, "ms q 1\r\n1\r\n", "HD\r\n", 'ms q = 1');
is_meta($s, "ma q q\r\nmn\r\n", "MN\r\n", 'q hides HD');
# 1.6.18 hides the VA of a successful ma q v too
is_meta($s, "ma q q v\r\nmn\r\n", "MN\r\n", 'q hides VA as well (1.6.18)');
is_meta($s, "mg q v\r\n", "VA 1\r\n3\r\n", 'both quiet increments happened');
is_meta($s, "ma nokey q\r\nmn\r\n", "NF\r\nMN\r\n", 'q shows NF');
is_meta($s, "ma q q C1\r\nmn\r\n", "EX\r\nMN\r\n", 'q shows EX');
# 1.6.18 sends HD for an item created by N even under q (protocol.txt: q
# hides HD)
is_meta($s, "ma qnew N0 J9 q\r\nmn\r\n", "HD\r\nMN\r\n", 'q still shows HD of an auto-created item (1.6.18)');
is_meta($s, "mg qnew v\r\n", "VA 1\r\n9\r\n", 'created');
is_meta($s, "ma qnew N0 q O1\r\nmn\r\n", "MN\r\n", 'q on the next (plain) increment: silent');

# ---- errors ------------------------------------------------------------------------------------
is_meta($s, "ma\r\n", "ERROR\r\n", 'ma without key');
is_meta($s, "ma n Dabc\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'D not a number');
is_meta($s, "ma n D\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'D without number');
is_meta($s, "ma n D-1 v\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'D negative');
is_meta($s, "ma n MX\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n", 'unknown mode');
is_meta($s, "ma n Mi v\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n", 'lower-case mode (1.6.18)');
is_meta($s, "ma n Md v\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n", 'lower-case d (1.6.18)');
is_meta($s, "ma n M\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'M without mode');
is_meta($s, "ma n MII v\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'M with two letters');
is_meta($s, "ma n v v\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'duplicate v');
is_meta($s, "ma n Z\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'unknown flag');
is_meta($s, "ma n Z q\r\nma n v v q\r\nmn\r\n",
        "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nMN\r\n",
        'errors under q');
is_meta($s, "ma " . ('k' x 251) . "\r\n", "CLIENT_ERROR bad command line format\r\n", '251-byte key');
like_meta($s, "mg n v\r\n", qr/^VA 3\r\n119\r\n\z/, 'errors changed nothing');
# 1.6.18 answers the error but still applies the increment (a bug; what
# happens to the value is not asserted)
is_meta($s, "ma n O12345678901234567890123456789012\r\n", "CLIENT_ERROR opaque token too long\r\n",
        '32-byte opaque');
is_meta($s, "ms n 3\r\n119\r\n", "HD\r\n", 'reset n');

# ---- newer flag E (explicit new cas) -----------------------------------------------------------
is_meta($s, "ma n E5\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n", 'memcached 1.6.18 rejects ma E')
    if is_oracle();
unless (oracle_lacks('ma E (explicit new cas)')) {
    is_meta($s, "ma n E999 c v\r\n", "VA 3 c999\r\n120\r\n", 'E sets the new cas');
    is_meta($s, "gets n\r\n", "VALUE n 0 3 999\r\n120\r\nEND\r\n", 'gets shows it');
    is_meta($s, "ma ecr N0 J4 E4242 c v\r\n", "VA 1 c4242\r\n4\r\n", 'E for an auto-created item');
}

$srv->stop;
done_testing;
