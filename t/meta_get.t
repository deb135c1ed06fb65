#!/usr/bin/perl
# Meta get (mg): every flag (b c f h k l O q s t u v E N R T; the N/R/X/W/Z
# recache machinery is in meta_swr.t), return flags in request order,
# quiet mode, base64 keys, errors, and how mg sees items of text commands.
# Expectations are memcached 1.6.18's, probed byte for byte; where 1.6.18
# differs from doc/protocol.txt the test says so.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use MetaTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# ---- misses ---------------------------------------------------------------
is_meta($s, "mg nokey v\r\n", "EN\r\n", 'miss: EN');
is_meta($s, "mg nokey\r\n", "EN\r\n", 'miss without flags: EN');
is_meta($s, "mg nokey v s f t c h l\r\n", "EN\r\n", 'miss prints no item flags');
# 1.6.18: a miss still echoes k and O (protocol.txt shows a bare "EN")
is_meta($s, "mg nokey k O77 v\r\n", "EN knokey O77\r\n", 'miss echoes k and O');
is_meta($s, "mg nokey O5 s k\r\n", "EN O5 knokey\r\n", 'miss: k and O in request order');
is_meta($s, "mg nokey T30 v\r\n", "EN\r\n", 'T on a miss creates nothing');
is_meta($s, "mg nokey v\r\n", "EN\r\n", '... still a miss');

# ---- hits and each return flag ---------------------------------------------
is_meta($s, "ms foo 3\r\nbar\r\n", "HD\r\n", 'ms foo');
is_meta($s, "mg foo\r\n", "HD\r\n", 'hit without flags: HD');
is_meta($s, "mg foo v\r\n", "VA 3\r\nbar\r\n", 'v: VA <len> and the data block');
is_meta($s, "set fl 42 0 5\r\nhello\r\n", "STORED\r\n", 'text set with client flags 42');
my $cas = gets_cas($s, 'fl');
ok(defined $cas && $cas > 0, 'gets gives a cas for fl');
is_meta($s, "mg fl f\r\n", "HD f42\r\n", 'f: client flags');
is_meta($s, "mg fl s\r\n", "HD s5\r\n", 's: value size');
is_meta($s, "mg fl t\r\n", "HD t-1\r\n", 't: -1 for no expiry');
is_meta($s, "mg fl k\r\n", "HD kfl\r\n", 'k: key');
is_meta($s, "mg fl O123\r\n", "HD O123\r\n", 'O: opaque echoed');
is_meta($s, "mg fl Oabc-DEF_9\r\n", "HD Oabc-DEF_9\r\n", 'O: any token');
is_meta($s, "mg fl c\r\n", "HD c$cas\r\n", 'c: same cas as gets');
is_meta($s, "mg fl v O9 t s k f c\r\n", "VA 5 O9 t-1 s5 kfl f42 c$cas\r\nhello\r\n",
        'return flags in request order');
is_meta($s, "mg fl c f k s t O9 v\r\n", "VA 5 c$cas f42 kfl s5 t-1 O9\r\nhello\r\n",
        'return flags in another order');
is_meta($s, "mg fl P L v\r\n", "VA 5\r\nhello\r\n", 'P and L are ignored');
is_meta($s, "mg fl Pfoo/bar Lbaz/ f\r\n", "HD f42\r\n", 'P and L with tokens are ignored');
is_meta($s, "mg fl v\n", "VA 5\r\nhello\r\n", 'bare \n line end');

# flags: full 32-bit range through ms F and text get
is_meta($s, "ms f32 1 F4294967295\r\nx\r\n", "HD\r\n", 'ms F2^32-1');
is_meta($s, "mg f32 f v\r\n", "VA 1 f4294967295\r\nx\r\n", 'f 2^32-1');
is_meta($s, "get f32\r\n", "VALUE f32 4294967295 1\r\nx\r\nEND\r\n", 'get sees the ms flags');

# ---- h (hit before), l (last access), u (no bump) ---------------------------
is_meta($s, "ms hk 1\r\nx\r\n", "HD\r\n", 'ms hk');
is_meta($s, "mg hk h u\r\n", "HD h0\r\n", 'h0: never fetched');
is_meta($s, "mg hk h u v\r\n", "VA 1 h0\r\nx\r\n", 'u does not mark it fetched');
is_meta($s, "mg hk h\r\n", "HD h0\r\n", 'h shows the state before this fetch');
is_meta($s, "mg hk h\r\n", "HD h1\r\n", 'h1 after a fetch');
is_meta($s, "set hk 0 0 1\r\ny\r\n", "STORED\r\n", 'text set replaces hk');
is_meta($s, "mg hk h\r\n", "HD h0\r\n", 'a new item is not fetched yet');
is_meta($s, "get hk\r\n", "VALUE hk 0 1\r\ny\r\nEND\r\n", 'text get');
is_meta($s, "mg hk h\r\n", "HD h1\r\n", 'text get marks it fetched');

is_meta($s, "ms lk 1\r\nx\r\n", "HD\r\n", 'ms lk');
like_meta($s, "mg lk l\r\n", qr/^HD l[01]\r\n\z/, 'l right after the store: 0 or 1');
$srv->advance(2);
my ($l1) = like_meta($s, "mg lk l u\r\n", qr/^HD l(\d+)\r\n\z/, 'l with u after 2 s');
ok(defined $l1 && $l1 >= 2 && $l1 <= 6, 'l counts the idle seconds') or diag("l$l1");
my ($l2) = like_meta($s, "mg lk u l\r\n", qr/^HD l(\d+)\r\n\z/, 'l with u again');
ok(defined $l2 && $l2 >= 2, 'u did not update the access time') or diag("l$l2");
my ($l3) = like_meta($s, "mg lk l\r\n", qr/^HD l(\d+)\r\n\z/, 'l without u');
ok(defined $l3 && $l3 >= 2, 'l shows the time before this access') or diag("l$l3");
# (whether a plain access resets l depends on the LRU: memcached only moves
# the access time of an item it bumps, so that is not asserted)

# ---- t and T ---------------------------------------------------------------
is_meta($s, "ms tk 2 T100\r\nhi\r\n", "HD\r\n", 'ms with T100');
like_meta($s, "mg tk t v\r\n", qr/^VA 2 t(99|100)\r\nhi\r\n\z/, 't counts down from 100');
like_meta($s, "mg tk T50 t\r\n", qr/^HD t(49|50)\r\n\z/, 'T updates the TTL before t reports it');
like_meta($s, "mg tk t\r\n", qr/^HD t(49|50)\r\n\z/, 'the new TTL stays');
is_meta($s, "mg tk T0 t\r\n", "HD t-1\r\n", 'T0: no expiry');
is_meta($s, "mg tk t\r\n", "HD t-1\r\n", '... stays without expiry');
like_meta($s, "mg tk T300 t v c\r\n", qr/^VA 2 t(299|300) c\d+\r\nhi\r\n\z/, 'T with v and c');
is_meta($s, "gat 0 tk\r\n", "VALUE tk 0 2\r\nhi\r\nEND\r\n", 'text gat 0');
is_meta($s, "mg tk t\r\n", "HD t-1\r\n", 'mg t sees the TTL set by gat');
is_meta($s, "touch tk 1000\r\n", "TOUCHED\r\n", 'text touch 1000');
like_meta($s, "mg tk t\r\n", qr/^HD t(999|1000)\r\n\z/, 'mg t sees the TTL set by touch');
is_meta($s, "mg tk T-1\r\n", "HD\r\n", 'T-1 expires the item');
is_meta($s, "mg tk v\r\n", "EN\r\n", '... it is gone');

# ---- q: quiet mode ----------------------------------------------------------
is_meta($s, "ms qk 2\r\nqq\r\n", "HD\r\n", 'ms qk');
is_meta($s, "mg nokey q v\r\nmg nokey q\r\nmg nokey q k O1\r\nmn\r\n", "MN\r\n",
        'q hides EN on misses');
is_meta($s, "mg qk q v\r\nmn\r\n", "VA 2\r\nqq\r\nMN\r\n", 'q keeps a VA hit');
# 1.6.18 still sends HD for a hit without v under q (protocol.txt: q hides
# only EN for mg)
is_meta($s, "mg qk q\r\nmn\r\n", "HD\r\nMN\r\n", 'q keeps HD for a hit without v');
is_meta($s, "mg qk q k s\r\nmn\r\n", "HD kqk s2\r\nMN\r\n", 'q keeps HD with return flags');
is_meta($s, "mg qk q v O1\r\nmg nokey q v O2\r\nmg fl q f O3\r\nmg nokey2 q O4\r\nmn\r\n",
        "VA 2 O1\r\nqq\r\nHD f42 O3\r\nMN\r\n", 'quiet pipeline: only hits, matched by opaque');

# ---- base64 keys (b) ---------------------------------------------------------
# "hello" = aGVsbG8=; the b key and the text key are the same key.
is_meta($s, "set hello 3 0 5\r\nworld\r\n", "STORED\r\n", 'text set hello');
is_meta($s, "mg aGVsbG8= b v f s\r\n", "VA 5 f3 s5\r\nworld\r\n", 'mg b reads the text-set key');
is_meta($s, "ms aGVsbG8= 2 b F4\r\nhi\r\n", "HD\r\n", 'ms b overwrites it');
is_meta($s, "get hello\r\n", "VALUE hello 4 2\r\nhi\r\nEND\r\n", 'text get reads the ms b key');
is_meta($s, "mg hello v\r\n", "VA 2\r\nhi\r\n", 'mg without b reads it too');
# binary key "bin\0key"
is_meta($s, "ms YmluAGtleQ== 3 b\r\nabc\r\n", "HD\r\n", 'ms with a binary (NUL) key');
is_meta($s, "mg YmluAGtleQ== b v\r\n", "VA 3\r\nabc\r\n", 'mg b reads the binary key');
# 1.6.18: k prints the key in base64 followed by a b flag (right after k,
# wherever b was in the request) when the item was stored with a b key
is_meta($s, "mg YmluAGtleQ== b k v\r\n", "VA 3 kYmluAGtleQ== b\r\nabc\r\n", 'k of a binary key: base64 + b');
is_meta($s, "mg YmluAGtleQ== c k b v O2 s\r\n",
        "VA 3 c" . mg_cas_b($s) . " kYmluAGtleQ== b O2 s3\r\nabc\r\n", 'b is printed right after k');
is_meta($s, "mg YmluAGtleQ== b\r\n", "HD\r\n", 'b without k prints no b');
is_meta($s, "mg Ym9ndXM= b k v\r\n", "EN kYm9ndXM= b\r\n", 'miss with b and k: key as sent + b');
is_meta($s, "mg Ym9ndXM= b q v\r\nmn\r\n", "MN\r\n", 'b miss under q');
# 1.6.18: on a hit, k prints the ITEM's key: plain for an item stored with a
# text key even when the request used b, base64 for one stored with b even
# when the request used the text form
is_meta($s, "set hello2 0 0 2\r\nho\r\n", "STORED\r\n", 'text set hello2');
is_meta($s, "mg aGVsbG8y b k v\r\n", "VA 2 khello2\r\nho\r\n", 'k of a text-stored item read with b');
is_meta($s, "ms aGVsbG8y 2 b\r\nhi\r\n", "HD\r\n", 'ms b hello2');
is_meta($s, "mg hello2 k v\r\n", "VA 2 kaGVsbG8y b\r\nhi\r\n", 'k of a b-stored item read as text');
# bad base64
is_meta($s, "mg !!!! b v\r\n", "CLIENT_ERROR error decoding key\r\n", 'b: bad characters');
is_meta($s, "mg YQ= b v\r\n", "CLIENT_ERROR error decoding key\r\n", 'b: bad length');
is_meta($s, "mg YQ b v\r\n", "CLIENT_ERROR error decoding key\r\n", 'b: missing padding');
is_meta($s, "mg a b v\r\n", "CLIENT_ERROR error decoding key\r\n", 'b: one character');
is_meta($s, "mg !!!! b q v\r\nmn\r\n", "CLIENT_ERROR error decoding key\r\nMN\r\n", 'b error also under q');

# ---- key length ----------------------------------------------------------------
my $k250 = 'k' x 250;
is_meta($s, "ms $k250 1\r\nx\r\n", "HD\r\n", 'ms 250-byte key');
is_meta($s, "mg $k250 k v\r\n", "VA 1 k$k250\r\nx\r\n", 'mg 250-byte key');
is_meta($s, "mg ${k250}k v\r\n", "CLIENT_ERROR bad command line format\r\n", 'mg 251-byte key');
is_meta($s, "mg ${k250}k q v\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nMN\r\n",
        '251-byte key error under q');

# ---- errors (always sent, also under q) ----------------------------------------
is_meta($s, "mg\r\n", "ERROR\r\n", 'mg without key: ERROR');
is_meta($s, "mg fl c c\r\n", "CLIENT_ERROR duplicate flag\r\n", 'duplicate c');
is_meta($s, "mg fl v v\r\n", "CLIENT_ERROR duplicate flag\r\n", 'duplicate v');
is_meta($s, "mg fl O1 O2\r\n", "CLIENT_ERROR duplicate flag\r\n", 'duplicate O');
is_meta($s, "mg fl T1 v T2\r\n", "CLIENT_ERROR duplicate flag\r\n", 'duplicate T');
is_meta($s, "mg fl Z\r\n", "CLIENT_ERROR invalid flag\r\n", 'unknown flag Z');
is_meta($s, "mg fl 12\r\n", "CLIENT_ERROR invalid flag\r\n", 'digit as flag');
is_meta($s, "mg fl N\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'N without token');
is_meta($s, "mg fl Nabc\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'N with a word');
is_meta($s, "mg fl T\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'T without token');
is_meta($s, "mg fl Tabc v\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'T with a word');
is_meta($s, "mg fl R\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'R without token');
# 1.6.18 takes opaques up to 31 bytes (protocol.txt says 32)
my $o31 = join('', map { $_ % 10 } 1 .. 31);
is_meta($s, "mg fl O$o31\r\n", "HD O$o31\r\n", '31-byte opaque');
is_meta($s, "mg fl O${o31}2\r\n", "CLIENT_ERROR opaque token too long\r\n", '32-byte opaque is too long');
is_meta($s, "mg fl O${o31}23 v\r\n", "CLIENT_ERROR opaque token too long\r\n", '33-byte opaque');
is_meta($s, "mg fl c c q\r\nmn\r\n", "CLIENT_ERROR duplicate flag\r\nMN\r\n", 'duplicate flag under q');
is_meta($s, "mg fl Z q\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n", 'invalid flag under q');
is_meta($s, "mg fl T q\r\nmn\r\n", "CLIENT_ERROR bad token in command line format\r\nMN\r\n",
        'bad token under q');
is_meta($s, "mg fl q O${o31}2\r\nmn\r\n", "CLIENT_ERROR opaque token too long\r\nMN\r\n",
        'opaque too long under q');
is_meta($s, "mg fl v\r\n", "VA 5\r\nhello\r\n", 'errors changed nothing');

# ---- text commands and mg -------------------------------------------------------
is_meta($s, "set tx 7 0 3\r\nabc\r\n", "STORED\r\n", 'text set flags 7');
my $tcas = gets_cas($s, 'tx');
is_meta($s, "mg tx f c s t v\r\n", "VA 3 f7 c$tcas s3 t-1\r\nabc\r\n", 'mg f c s t of a text set');
is_meta($s, "append tx 0 0 2\r\nde\r\n", "STORED\r\n", 'text append');
my $acas = gets_cas($s, 'tx');
isnt($acas, $tcas, 'append changed the cas');
is_meta($s, "mg tx f c s v\r\n", "VA 5 f7 c$acas s5\r\nabcde\r\n", 'mg after append: flags kept, new cas');
is_meta($s, "incr nx 1\r\n", "NOT_FOUND\r\n", 'incr on a missing key');
is_meta($s, "set nx 3 0 1\r\n9\r\n", "STORED\r\n", 'set a number');
is_meta($s, "incr nx 1\r\n", "10\r\n", 'incr');
is_meta($s, "mg nx f s c v\r\n", "VA 2 f3 s2 c" . gets_cas($s, 'nx') . "\r\n10\r\n", 'mg after incr');
is_meta($s, "cas nx 0 0 1 $tcas\r\nx\r\n", "EXISTS\r\n", 'text cas with a stale value');
my $ncas = mg_cas($s, 'nx');
is_meta($s, "cas nx 5 0 1 $ncas\r\nx\r\n", "STORED\r\n", 'text cas with the cas from mg c');
is_meta($s, "mg nx f v\r\n", "VA 1 f5\r\nx\r\n", 'mg sees the cas store');
is_meta($s, "delete nx\r\n", "DELETED\r\n", 'text delete');
is_meta($s, "mg nx v\r\n", "EN\r\n", 'mg misses after delete');

# ---- E: explicit new cas (newer than 1.6.18) --------------------------------------
is_meta($s, "mg fl E5 v\r\n", "CLIENT_ERROR invalid flag\r\n", 'memcached 1.6.18 rejects mg E')
    if is_oracle();
unless (oracle_lacks('mg E (explicit cas for a vivified item)')) {
    is_meta($s, "mg ek N30 E5000 c\r\n", "HD c5000 W\r\n", 'mg N with E: the new item gets cas E');
    is_meta($s, "mg ek c\r\n", "HD c5000 Z\r\n", '... and keeps it');
    is_meta($s, "gets ek\r\n", "VALUE ek 0 0 5000\r\n\r\nEND\r\n", 'gets shows cas E');
    is_meta($s, "mg fl Eabc\r\n", "CLIENT_ERROR bad token in command line format\r\n", 'E with a word');
}

$srv->stop;
done_testing;

# cas of the binary key (for a line built before the request is sent)
sub mg_cas_b {
    my ($sock) = @_;
    my $r = meta_req($sock, "mg YmluAGtleQ== b c\r\n");
    return meta_flag($r, 'c') // 'NONE';
}
