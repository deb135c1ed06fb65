#!/usr/bin/perl
# Meta set (ms): b c C F I k O q T, modes M<E A P R S>, the newer E s N
# (cashew only: not in memcached 1.6.18), return codes HD NS EX NF, quiet
# mode, data block errors, and ms items seen by text commands.
# Expectations are memcached 1.6.18's, probed byte for byte.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;
use MetaTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# ---- plain set ------------------------------------------------------------
is_meta($s, "ms foo 3\r\nbar\r\n", "HD\r\n", 'ms: HD');
is_meta($s, "get foo\r\n", "VALUE foo 0 3\r\nbar\r\nEND\r\n", 'text get reads it (flags 0)');
is_meta($s, "ms foo 5 F77\r\nhello\r\n", "HD\r\n", 'ms overwrites, F77');
is_meta($s, "get foo\r\n", "VALUE foo 77 5\r\nhello\r\nEND\r\n", 'text get: new value and flags');
is_meta($s, "ms foo 2\r\nhi\r\n", "HD\r\n", 'ms without F');
is_meta($s, "mg foo f v\r\n", "VA 2 f0\r\nhi\r\n", 'flags reset to 0 when F is absent');
is_meta($s, "ms fmax 1 F4294967295\r\nx\r\n", "HD\r\n", 'F 2^32-1');
is_meta($s, "gets fmax\r\n", "VALUE fmax 4294967295 1 " . mg_cas($s, 'fmax') . "\r\nx\r\nEND\r\n",
        'gets: flags 2^32-1 and the same cas as mg c');
is_meta($s, "ms empty 0\r\n\r\n", "HD\r\n", 'zero-length value');
is_meta($s, "mg empty v s\r\n", "VA 0 s0\r\n\r\n", 'zero-length value back');
my $crlf = "a\r\nb\r\n\r\nHD\r\n";
is_meta($s, "ms crlf " . length($crlf) . "\r\n$crlf\r\n", "HD\r\n", 'value with \r\n inside');
is_meta($s, "mg crlf v\r\n", "VA " . length($crlf) . "\r\n$crlf\r\n", '... round-trips');
my $bin = join('', map { chr } 0 .. 255);
is_meta($s, "ms bin 256\r\n$bin\r\n", "HD\r\n", 'all byte values');
is_meta($s, "get bin\r\n", "VALUE bin 0 256\r\n$bin\r\nEND\r\n", '... round-trip through get');
my $big = 'v' x 500000;
is_meta($s, "ms large 500000 T0\r\n$big\r\n", "HD\r\n", '500 kB value');
is_meta($s, "mg large s v\r\n", "VA 500000 s500000\r\n$big\r\n", '... back');
is_meta($s, "set tx 0 0 1\r\nx\r\n", "STORED\r\n", 'text set');
is_meta($s, "ms tx 1 F3\r\ny\r\n", "HD\r\n", 'ms overwrites a text-set item');
is_meta($s, "get tx\r\n", "VALUE tx 3 1\r\ny\r\nEND\r\n", 'text get sees ms');

# ---- return flags c k O and b ------------------------------------------------
my ($c1) = like_meta($s, "ms rk 1 c\r\nx\r\n", qr/^HD c(\d+)\r\n\z/, 'c: cas of the stored item');
is(gets_cas($s, 'rk'), $c1, 'gets shows the same cas');
my ($c2) = like_meta($s, "ms rk 1 c\r\ny\r\n", qr/^HD c(\d+)\r\n\z/, 'c again');
ok(defined $c1 && defined $c2 && $c2 != $c1, 'every store gets a new cas');
my ($c3) = like_meta($s, "ms rk 2 O99 k c\r\nzz\r\n", qr/^HD O99 krk c(\d+)\r\n\z/, 'O k c in request order');
my ($c4) = like_meta($s, "ms rk 2 c k O1\r\nzz\r\n", qr/^HD c(\d+) krk O1\r\n\z/, 'c k O in request order');
is(mg_cas($s, 'rk'), $c4, 'c is the cas of the stored item');
is_meta($s, "ms rk 1 P Lx\r\nx\r\n", "HD\r\n", 'P and L ignored');
# binary key "bin\0key" = YmluAGtleQ==
my ($bc) = like_meta($s, "ms YmluAGtleQ== 3 b k c O1\r\nabc\r\n", qr/^HD kYmluAGtleQ== b c(\d+) O1\r\n\z/,
                     'b + k: key in base64 and b right after it (1.6.18)');
is_meta($s, "mg YmluAGtleQ== b v c\r\n", "VA 3 c$bc\r\nabc\r\n", 'mg b reads it');
is_meta($s, "ms aGVsbG8= 5 b F1\r\nworld\r\n", "HD\r\n", 'ms with b key "hello"');
is_meta($s, "get hello\r\n", "VALUE hello 1 5\r\nworld\r\nEND\r\n", 'text get of the decoded key');
is_meta($s, "ms !! 1 b\r\nz\r\nmn\r\n", "CLIENT_ERROR error decoding key\r\nMN\r\n",
        'bad base64 key: error, data block swallowed');

# ---- T: TTL --------------------------------------------------------------------
is_meta($s, "ms ttl 1 T100\r\nx\r\n", "HD\r\n", 'ms T100');
like_meta($s, "mg ttl t\r\n", qr/^HD t(99|100)\r\n\z/, 't from ms T');
is_meta($s, "ms ttl 1\r\nx\r\n", "HD\r\n", 'ms without T');
is_meta($s, "mg ttl t\r\n", "HD t-1\r\n", 'no T: never expires');
is_meta($s, "ms ttl 1 T0\r\nx\r\n", "HD\r\n", 'ms T0');
is_meta($s, "mg ttl t\r\n", "HD t-1\r\n", 'T0: never expires');
is_meta($s, "ms ttl 1 T-1\r\nx\r\n", "HD\r\n", 'ms T-1');
is_meta($s, "mg ttl v\r\n", "EN\r\n", 'T-1: expired at once');
is_meta($s, "ms ttl 1 T1\r\nx\r\n", "HD\r\n", 'ms T1');
$srv->advance(2);
is_meta($s, "mg ttl v\r\n", "EN\r\n", 'T1 item expired after 2 s');

# ---- modes ------------------------------------------------------------------------
# E = add
is_meta($s, "ms m 3 ME\r\nabc\r\n", "HD\r\n", 'ME on a missing key: stored');
is_meta($s, "ms m 3 ME\r\nxyz\r\n", "NS\r\n", 'ME on an existing key: NS');
is_meta($s, "ms m 3 ME c\r\nxyz\r\n", "NS c0\r\n", 'NS with c: c0');
is_meta($s, "mg m v\r\n", "VA 3\r\nabc\r\n", 'ME did not overwrite');
# A = append, P = prepend: flags and TTL of the item stay
is_meta($s, "ms m 2 MA F9 T100\r\nde\r\n", "HD\r\n", 'MA');
is_meta($s, "ms m 2 MP F9\r\nzz\r\n", "HD\r\n", 'MP');
my $mcas = mg_cas($s, 'm');
is_meta($s, "mg m v f t\r\n", "VA 7 f0 t-1\r\nzzabcde\r\n", 'append/prepend keep flags and TTL');
is_meta($s, "ms m 1 MA C1\r\n!\r\n", "EX\r\n", 'MA with a wrong C: EX');
is_meta($s, "ms m 1 MA C$mcas\r\n!\r\n", "HD\r\n", 'MA with the right C');
is_meta($s, "mg m v\r\n", "VA 8\r\nzzabcde!\r\n", 'append with C applied');
is_meta($s, "ms m 1 MP C$mcas\r\n?\r\n", "EX\r\n", 'MP with the old C: EX');
is_meta($s, "ms none 1 MA\r\n!\r\n", "NS\r\n", 'MA on a missing key: NS');
is_meta($s, "ms none 1 MP\r\n!\r\n", "NS\r\n", 'MP on a missing key: NS');
# R = replace
is_meta($s, "ms none 1 MR\r\n!\r\n", "NS\r\n", 'MR on a missing key: NS');
is_meta($s, "mg none v\r\n", "EN\r\n", 'MR/MA/MP created nothing');
is_meta($s, "ms m 3 MR F4\r\nrep\r\n", "HD\r\n", 'MR on an existing key');
is_meta($s, "mg m v f\r\n", "VA 3 f4\r\nrep\r\n", 'replaced');
# S = set
is_meta($s, "ms none 1 MS\r\n!\r\n", "HD\r\n", 'MS stores');
is_meta($s, "ms none 1 MS\r\n?\r\n", "HD\r\n", 'MS overwrites');
is_meta($s, "mg none v\r\n", "VA 1\r\n?\r\n", 'MS value');
# 1.6.18 takes upper-case modes only
is_meta($s, "ms m 1 Ms\r\n!\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n", 'lower-case mode s rejected');
is_meta($s, "ms m 1 Ma\r\n!\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n", 'lower-case mode a rejected');
is_meta($s, "ms m 1 MX\r\n!\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n", 'unknown mode');
is_meta($s, "ms m 1 M+\r\n!\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n", 'ma mode in ms');
is_meta($s, "ms m 1 M\r\n!\r\n", "CLIENT_ERROR incorrect length for M token\r\n", 'M without mode');
is_meta($s, "ms m 1 MSS\r\n!\r\n", "CLIENT_ERROR incorrect length for M token\r\n", 'M with two letters');
is_meta($s, "mg m v\r\n", "VA 3\r\nrep\r\n", 'bad modes changed nothing');

# ---- C: compare and swap, NF/EX ------------------------------------------------
is_meta($s, "ms nokey 3 C5\r\nabc\r\n", "NF\r\n", 'C on a missing key: NF');
is_meta($s, "ms nokey 3 C0\r\nabc\r\n", "NF\r\n", 'C0 on a missing key: NF');
is_meta($s, "mg nokey v\r\n", "EN\r\n", 'NF stored nothing');
is_meta($s, "ms cs 3\r\nabc\r\n", "HD\r\n", 'ms cs');
my $ccas = mg_cas($s, 'cs');
is_meta($s, "ms cs 3 C" . ($ccas + 1000) . "\r\nxyz\r\n", "EX\r\n", 'C mismatch: EX');
is_meta($s, "ms cs 3 C0\r\nxyz\r\n", "EX\r\n", 'C0 on an existing key: EX');
is_meta($s, "mg cs v\r\n", "VA 3\r\nabc\r\n", 'EX stored nothing');
my ($ncas) = like_meta($s, "ms cs 3 C$ccas c\r\nxyz\r\n", qr/^HD c(\d+)\r\n\z/, 'C match: HD');
ok(defined $ncas && $ncas != $ccas, 'new cas after a cas store');
is_meta($s, "ms cs 3 C$ccas\r\nold\r\n", "EX\r\n", 'the old cas no longer matches');
is_meta($s, "gets cs\r\n", "VALUE cs 0 3 $ncas\r\nxyz\r\nEND\r\n", 'gets shows value and cas');
my $tcas = gets_cas($s, 'cs');
is_meta($s, "ms cs 3 C$tcas\r\nnew\r\n", "HD\r\n", 'ms C with the cas from text gets');
is_meta($s, "cas cs 0 0 1 " . mg_cas($s, 'cs') . "\r\nx\r\n", "STORED\r\n", 'text cas with mg c');
is_meta($s, "ms cs 1 C99999999999999999999\r\nx\r\n", "CLIENT_ERROR bad token in command line format\r\n",
        'C beyond 64 bits');

# ---- I: invalidate (set-to-stale when C is older) ----------------------------------
is_meta($s, "ms inv 3\r\nabc\r\n", "HD\r\n", 'ms inv');
my $icas = mg_cas($s, 'inv');
is_meta($s, "ms inv 3 I C" . ($icas + 5) . "\r\nnew\r\n", "EX\r\n", 'I with a NEWER cas: EX');
is_meta($s, "ms inv 3 I\r\nxyz\r\n", "HD\r\n", 'I without C: a plain store');
like_meta($s, "mg inv v c\r\n", qr/^VA 3 c\d+\r\nxyz\r\n\z/, '... not stale');
$icas = mg_cas($s, 'inv');
my ($scas) = like_meta($s, "ms inv 3 c I C" . ($icas - 1) . "\r\nold\r\n", qr/^HD c(\d+)\r\n\z/,
                       'I with an older cas: stored');
is_meta($s, "mg inv v c\r\n", "VA 3 c$scas X W\r\nold\r\n", '... but stale (X), first reader wins');
is_meta($s, "mg inv v c\r\n", "VA 3 c$scas Z X\r\nold\r\n", '... later readers see Z');
is_meta($s, "ms inv 3 C$scas\r\nnew\r\n", "HD\r\n", 'a store with the right cas');
like_meta($s, "mg inv v c\r\n", qr/^VA 3 c\d+\r\nnew\r\n\z/, 'clears the stale state');

# ---- q: quiet -----------------------------------------------------------------------
is_meta($s, "ms q1 1 q\r\na\r\nms q2 1 q T30 F5 c k O1\r\nb\r\nmn\r\n", "MN\r\n", 'q hides HD (even with c k O)');
is_meta($s, "mg q1 v\r\nmg q2 v f\r\n", "VA 1\r\na\r\nVA 1 f5\r\nb\r\n", 'quiet stores happened');
is_meta($s, "ms q1 1 q ME\r\nx\r\nmn\r\n", "NS\r\nMN\r\n", 'q shows NS');
is_meta($s, "ms q1 1 q C1\r\nx\r\nmn\r\n", "EX\r\nMN\r\n", 'q shows EX');
is_meta($s, "ms qnone 1 q C1\r\nx\r\nmn\r\n", "NF\r\nMN\r\n", 'q shows NF');
is_meta($s, "ms q3 1 q O1\r\nx\r\nms q1 1 q ME O2\r\nx\r\nms q4 1 q O3\r\ny\r\nmn\r\n",
        "NS O2\r\nMN\r\n", 'quiet pipeline: only the failure, with its opaque');

# ---- errors ---------------------------------------------------------------------------
is_meta($s, "ms\r\n", "ERROR\r\n", 'ms without key: ERROR');
is_meta($s, "ms ek\r\n", "CLIENT_ERROR bad command line format\r\n", 'ms without length');
is_meta($s, "ms ek abc\r\nxyz\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n",
        'non-numeric length: the data line is then read as a command');
is_meta($s, "ms ek -1\r\n", "CLIENT_ERROR bad command line format\r\n", 'negative length');
is_meta($s, "ms ek 18446744073709551616\r\nabc\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n",
        'length beyond 64 bits');
is_meta($s, "ms ek 3\r\nabcd\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n", 'data block too long');
is_meta($s, "ms ek 3 q\r\nabcd\r\nmn\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n",
        'bad data chunk under q');
is_meta($s, "mg ek v\r\n", "EN\r\n", 'bad chunk stored nothing');
# flag errors: reported once, the data block is swallowed
is_meta($s, "ms ek 3 Fabc\r\nabc\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nMN\r\n", 'F not a number');
is_meta($s, "ms ek 3 F-1\r\nabc\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nMN\r\n", 'F negative');
is_meta($s, "ms ek 3 T1x\r\nabc\r\nmn\r\n", "CLIENT_ERROR bad token in command line format\r\nMN\r\n", 'T not a number');
is_meta($s, "ms ek 3 T\r\nabc\r\nmn\r\n", "CLIENT_ERROR bad token in command line format\r\nMN\r\n", 'T without token');
is_meta($s, "ms ek 3 C\r\nabc\r\nmn\r\n", "CLIENT_ERROR bad token in command line format\r\nMN\r\n", 'C without token');
is_meta($s, "ms ek 3 c c\r\nabc\r\nmn\r\n", "CLIENT_ERROR duplicate flag\r\nMN\r\n", 'duplicate c');
is_meta($s, "ms ek 3 C1 C2\r\nabc\r\nmn\r\n", "CLIENT_ERROR duplicate flag\r\nMN\r\n", 'duplicate C');
is_meta($s, "ms ek 3 S3\r\nabc\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n", 'S is not an ms flag in 1.6.18');
is_meta($s, "ms ek 3 Z\r\nabc\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n", 'unknown flag');
is_meta($s, "ms ek 3 O1234567890123456789012345678901\r\nabc\r\n", "HD O1234567890123456789012345678901\r\n",
        '31-byte opaque');
is_meta($s, "ms ek 3 O12345678901234567890123456789012\r\nabc\r\nmn\r\n",
        "CLIENT_ERROR opaque token too long\r\nMN\r\n", '32-byte opaque is too long (1.6.18; protocol.txt: 32 allowed)');
is_meta($s, "ms ek 3 q Z\r\nabc\r\nms ek 3 q C1 C1\r\nabc\r\nmn\r\n",
        "CLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\nMN\r\n", 'flag errors under q');
my $k250 = 'k' x 250;
is_meta($s, "ms $k250 1\r\nz\r\n", "HD\r\n", '250-byte key');
is_meta($s, "ms ${k250}k 1\r\nz\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n",
        '251-byte key: error, data line then read as a command (1.6.18)');
is_meta($s, "ms ek 1048577\r\n" . ('x' x 1048577) . "\r\nmn\r\n",
        "SERVER_ERROR object too large for cache\r\nMN\r\n", 'value over the 1 MB item limit');
is_meta($s, "ms ek 1048577 q\r\n" . ('x' x 1048577) . "\r\nmn\r\n",
        "SERVER_ERROR object too large for cache\r\nMN\r\n", 'too large under q');
is_meta($s, "mg ek v\r\nmg m v\r\n", "EN\r\nVA 3\r\nrep\r\n", 'errors stored nothing, connection fine');

# ---- newer flags: E (explicit cas), s (size), N (vivify in append mode) ------------------
is_meta($s, "ms ek 2 E99\r\nhi\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n", 'memcached 1.6.18 rejects ms E')
    if is_oracle();
unless (oracle_lacks('ms E (explicit new cas)')) {
    is_meta($s, "ms ecas 2 E777 c\r\nhi\r\n", "HD c777\r\n", 'E sets the new cas');
    is_meta($s, "gets ecas\r\n", "VALUE ecas 0 2 777\r\nhi\r\nEND\r\n", 'gets shows it');
    is_meta($s, "ms ecas 2 C777 E778\r\nho\r\n", "HD\r\n", 'C with E');
    is_meta($s, "mg ecas c v\r\n", "VA 2 c778\r\nho\r\n", 'cas is E again');
    is_meta($s, "ms ecas 2 C777 E779\r\nhu\r\n", "EX\r\n", 'old C with E: EX');
    is_meta($s, "ms ecas 2 Exyz\r\nhu\r\nmn\r\n", "CLIENT_ERROR bad token in command line format\r\nMN\r\n", 'E with a word');
}
unless (oracle_lacks('ms s (size of the stored item); 1.6.18 accepts s and prints nothing')) {
    is_meta($s, "ms sz 3 s\r\nabc\r\n", "HD s3\r\n", 's returns the stored size');
    is_meta($s, "ms sz 2 MA s k\r\nde\r\n", "HD s5 ksz\r\n", 's on append: the new size, in request order');
}
unless (oracle_lacks('ms N (vivify on miss in append mode); 1.6.18 accepts N and answers NS')) {
    is_meta($s, "ms viv 3 MA N30\r\nabc\r\n", "HD\r\n", 'MA N30 on a missing key: created');
    like_meta($s, "mg viv v t\r\n", qr/^VA 3 t(29|30)\r\nabc\r\n\z/, '... with the value and TTL 30');
    is_meta($s, "ms viv 3 MA N30\r\ndef\r\n", "HD\r\n", 'MA N30 on an existing key appends');
    is_meta($s, "mg viv v\r\n", "VA 6\r\nabcdef\r\n", '... appended');
}

$srv->stop;
done_testing;
