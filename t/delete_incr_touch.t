#!/usr/bin/perl
# delete, incr/decr, touch.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

# delete
is_reply($s, "delete nokey\r\n", "NOT_FOUND\r\n", 'delete miss');
is_reply($s, "set d 0 0 1\r\nx\r\n", "STORED\r\n", 'set');
is_reply($s, "delete d\r\n", "DELETED\r\n", 'delete hit');
is_reply($s, "get d\r\n", "END\r\n", 'gone after delete');
is_reply($s, "delete d\r\n", "NOT_FOUND\r\n", 'second delete misses');
is_reply($s, "add d 0 0 1\r\ny\r\n", "STORED\r\n", 'add works after delete');
is_reply($s, "delete\r\n", "ERROR\r\n", 'delete without key');
is_reply($s, "delete d 0\r\n", "DELETED\r\n", 'delete with legacy time 0');
is_reply($s, "set d 0 0 1\r\nx\r\n", "STORED\r\n", 'set again');
is_reply($s, "delete d 1\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
         'delete with a nonzero time');
is_reply($s, "delete d x\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
         'delete with a junk argument');
is_reply($s, "get d\r\n", "VALUE d 0 1\r\nx\r\nEND\r\n", 'rejected deletes did not delete');

# incr / decr
is_reply($s, "incr nokey 1\r\n", "NOT_FOUND\r\n", 'incr miss');
is_reply($s, "decr nokey 1\r\n", "NOT_FOUND\r\n", 'decr miss');
is_reply($s, "get nokey\r\n", "END\r\n", 'incr does not create');
is_reply($s, "set n 5 0 1\r\n1\r\n", "STORED\r\n", 'set 1');
is_reply($s, "incr n 1\r\n", "2\r\n", 'incr 1');
is_reply($s, "incr n 40\r\n", "42\r\n", 'incr 40');
is_reply($s, "decr n 2\r\n", "40\r\n", 'decr 2');
is_reply($s, "incr n 0\r\n", "40\r\n", 'incr 0');
is_reply($s, "get n\r\n", "VALUE n 5 2\r\n40\r\nEND\r\n", 'flags kept, value stored as text');
is_reply($s, "decr n 100\r\n", "0\r\n", 'decr floors at 0');
is_reply($s, "decr n 1\r\n", "0\r\n", 'decr of 0 stays 0');
is_reply($s, "get n\r\n", "VALUE n 5 2\r\n0 \r\nEND\r\n", 'shorter result keeps the length, padded with spaces');

# length changes
is_reply($s, "set n 0 0 1\r\n9\r\n", "STORED\r\n", 'set 9');
is_reply($s, "incr n 1\r\n", "10\r\n", 'incr 9 -> 10');
is_reply($s, "get n\r\n", "VALUE n 0 2\r\n10\r\nEND\r\n", 'value grew to 2 bytes');
is_reply($s, "decr n 1\r\n", "9\r\n", 'decr 10 -> 9');
is_reply($s, "get n\r\n", "VALUE n 0 2\r\n9 \r\nEND\r\n", 'decr 10 -> 9 keeps length 2');
is_reply($s, "incr n 1\r\n", "10\r\n", 'incr of a space-padded number');
is_reply($s, "set n 0 0 2\r\n99\r\n", "STORED\r\n", 'set 99');
is_reply($s, "incr n 1\r\n", "100\r\n", 'incr 99 -> 100');
is_reply($s, "get n\r\n", "VALUE n 0 3\r\n100\r\nEND\r\n", 'value grew to 3 bytes');
is_reply($s, "set n 0 0 3\r\n007\r\n", "STORED\r\n", 'leading zeros');
is_reply($s, "incr n 1\r\n", "8\r\n", 'incr 007');
is_reply($s, "get n\r\n", "VALUE n 0 3\r\n8  \r\nEND\r\n", 'incr result padded to the old length');

# 64-bit range
is_reply($s, "set n 0 0 20\r\n18446744073709551615\r\n", "STORED\r\n", 'set 2^64-1');
is_reply($s, "incr n 1\r\n", "0\r\n", 'incr wraps at 2^64');
is_reply($s, "get n\r\n", "VALUE n 0 20\r\n0                   \r\nEND\r\n", 'wrapped value padded');
is_reply($s, "incr n 18446744073709551615\r\n", "18446744073709551615\r\n", 'incr by 2^64-1');
is_reply($s, "incr n 2\r\n", "1\r\n", 'wraps again');
is_reply($s, "decr n 18446744073709551615\r\n", "0\r\n", 'decr by 2^64-1 floors at 0');
is_reply($s, "set n 0 0 20\r\n18446744073709551615\r\n", "STORED\r\n", 'set 2^64-1');
is_reply($s, "decr n 1\r\n", "18446744073709551614\r\n", 'decr from 2^64-1');

# bad values and deltas
is_reply($s, "set n 0 0 3\r\nabc\r\n", "STORED\r\n", 'set non-numeric');
is_reply($s, "incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'incr of text');
is_reply($s, "decr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'decr of text');
is_reply($s, "get n\r\n", "VALUE n 0 3\r\nabc\r\nEND\r\n", 'text unchanged');
is_reply($s, "set n 0 0 2\r\n-5\r\n", "STORED\r\n", 'set negative number');
is_reply($s, "incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'incr of -5');
is_reply($s, "set n 0 0 4\r\n0x10\r\n", "STORED\r\n", 'set hex');
is_reply($s, "incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'incr of 0x10');
is_reply($s, "set n 0 0 21\r\n123456789012345678901\r\n", "STORED\r\n", 'set a number above 2^64');
is_reply($s, "incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'incr of a number above 2^64');
is_reply($s, "set n 0 0 0\r\n\r\n", "STORED\r\n", 'set empty');
is_reply($s, "incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", 'incr of an empty value');
is_reply($s, "set n 0 0 2\r\n10\r\n", "STORED\r\n", 'set 10');
is_reply($s, "incr n abc\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n", 'non-numeric delta');
is_reply($s, "incr n -1\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n", 'negative delta');
is_reply($s, "decr n -1\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n", 'negative decr delta');
is_reply($s, "incr n 18446744073709551616\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n", 'delta 2^64');
is_reply($s, "incr n 1x\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n", 'delta with junk');
is_reply($s, "incr n\r\n", "ERROR\r\n", 'incr without delta');
is_reply($s, "decr\r\n", "ERROR\r\n", 'decr without arguments');
is_reply($s, "get n\r\n", "VALUE n 0 2\r\n10\r\nEND\r\n", 'errors left the value');

# incr changes the cas unique
send_all($s, "gets n\r\n");
my ($c1) = read_reply($s) =~ /^VALUE n 0 2 (\d+)/;
is_reply($s, "incr n 1\r\n", "11\r\n", 'incr');
send_all($s, "gets n\r\n");
my ($c2) = read_reply($s) =~ /^VALUE n 0 2 (\d+)/;
ok(defined $c1 && defined $c2 && $c1 != $c2, 'unique changed by incr');
is_reply($s, "cas n 0 0 1 $c1\r\n1\r\n", "EXISTS\r\n", 'old unique rejected after incr');

# touch
is_reply($s, "touch nokey 10\r\n", "NOT_FOUND\r\n", 'touch miss');
is_reply($s, "touch\r\n", "ERROR\r\n", 'touch without arguments');
is_reply($s, "touch n\r\n", "ERROR\r\n", 'touch without exptime');
is_reply($s, "touch n abc\r\n", "CLIENT_ERROR invalid exptime argument\r\n", 'touch with a bad exptime');
is_reply($s, "set mortal 3 0 1\r\nm\r\n", "STORED\r\n", 'set mortal (no exptime)');
is_reply($s, "set immortal 4 2 1\r\ni\r\n", "STORED\r\n", 'set immortal (exptime 2)');
is_reply($s, "touch mortal 2\r\n", "TOUCHED\r\n", 'touch mortal 2');
is_reply($s, "touch immortal 0\r\n", "TOUCHED\r\n", 'touch immortal 0');
is_reply($s, "get mortal immortal\r\n", "VALUE mortal 3 1\r\nm\r\nVALUE immortal 4 1\r\ni\r\nEND\r\n",
         'touch keeps values and flags');
$srv->advance(3);
is_reply($s, "get mortal immortal\r\n", "VALUE immortal 4 1\r\ni\r\nEND\r\n",
         'touch exptimes applied');
is_reply($s, "touch mortal 0\r\n", "NOT_FOUND\r\n", 'touch of an expired item');
is_reply($s, "touch immortal -1\r\n", "TOUCHED\r\n", 'touch -1');
is_reply($s, "get immortal\r\n", "END\r\n", 'touch -1 expires the item');

$srv->stop;
done_testing;
