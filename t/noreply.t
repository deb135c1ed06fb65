#!/usr/bin/perl
# noreply: every command that takes it stays silent, on success and failure;
# the effect is checked by the reply of a following command.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CashewTest;

my $srv = CashewTest::Server->start;
my $s = $srv->sock;

sub silent_then {
    my ($req, $check, $expected, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_reply($s, $req . $check, $expected, $name);
}

silent_then("set a 1 0 1 noreply\r\n1\r\n", "get a\r\n", "VALUE a 1 1\r\n1\r\nEND\r\n", 'set noreply');
silent_then("add a 0 0 1 noreply\r\n2\r\n", "get a\r\n", "VALUE a 1 1\r\n1\r\nEND\r\n", 'add noreply (NOT_STORED silent)');
silent_then("add b 2 0 1 noreply\r\n2\r\n", "get b\r\n", "VALUE b 2 1\r\n2\r\nEND\r\n", 'add noreply (stored)');
silent_then("replace a 3 0 1 noreply\r\n3\r\n", "get a\r\n", "VALUE a 3 1\r\n3\r\nEND\r\n", 'replace noreply');
silent_then("replace nokey 0 0 1 noreply\r\n3\r\n", "get nokey\r\n", "END\r\n", 'replace noreply (NOT_STORED silent)');
silent_then("append a 0 0 1 noreply\r\n4\r\n", "get a\r\n", "VALUE a 3 2\r\n34\r\nEND\r\n", 'append noreply');
silent_then("prepend a 0 0 1 noreply\r\n5\r\n", "get a\r\n", "VALUE a 3 3\r\n534\r\nEND\r\n", 'prepend noreply');
silent_then("append nokey 0 0 1 noreply\r\n4\r\n", "version\r\n", $srv->{version}, 'append noreply to a missing key');
silent_then("prepend nokey 0 0 1 noreply\r\n4\r\n", "version\r\n", $srv->{version}, 'prepend noreply to a missing key');

send_all($s, "gets a\r\n");
my ($cas) = read_reply($s) =~ /^VALUE a 3 3 (\d+)/;
$cas //= 0;
silent_then("cas a 6 0 1 " . ($cas + 1) . " noreply\r\n6\r\n", "get a\r\n", "VALUE a 3 3\r\n534\r\nEND\r\n",
            'cas noreply (EXISTS silent)');
silent_then("cas a 6 0 1 $cas noreply\r\n6\r\n", "get a\r\n", "VALUE a 6 1\r\n6\r\nEND\r\n", 'cas noreply');
silent_then("cas nokey 0 0 1 1 noreply\r\n6\r\n", "get nokey\r\n", "END\r\n", 'cas noreply (NOT_FOUND silent)');

silent_then("incr a 10 noreply\r\n", "get a\r\n", "VALUE a 6 2\r\n16\r\nEND\r\n", 'incr noreply');
silent_then("decr a 3 noreply\r\n", "get a\r\n", "VALUE a 6 2\r\n13\r\nEND\r\n", 'decr noreply');
silent_then("incr nokey 1 noreply\r\n", "version\r\n", $srv->{version}, 'incr noreply (NOT_FOUND silent)');
silent_then("decr nokey 1 noreply\r\n", "version\r\n", $srv->{version}, 'decr noreply (NOT_FOUND silent)');
silent_then("incr a abc noreply\r\n", "version\r\n", $srv->{version}, 'incr noreply with a bad delta is silent');
silent_then("incr b 1 noreply\r\n", "get b\r\n", "VALUE b 2 1\r\n3\r\nEND\r\n", 'incr noreply on b');
silent_then("set t 0 0 1 noreply\r\nt\r\n", "incr t 1 noreply\r\nversion\r\n", $srv->{version},
            'incr noreply of a non-numeric value is silent');

silent_then("touch a 1000 noreply\r\n", "get a\r\n", "VALUE a 6 2\r\n13\r\nEND\r\n", 'touch noreply');
silent_then("touch nokey 1000 noreply\r\n", "version\r\n", $srv->{version}, 'touch noreply (NOT_FOUND silent)');
silent_then("touch a -1 noreply\r\n", "get a\r\n", "END\r\n", 'touch -1 noreply expired the item');

silent_then("delete b noreply\r\n", "get b\r\n", "END\r\n", 'delete noreply');
silent_then("delete b noreply\r\n", "version\r\n", $srv->{version}, 'delete noreply (NOT_FOUND silent)');
silent_then("set c 0 0 1\r\nc\r\n", "delete c 0 noreply\r\nget c\r\n", "STORED\r\nEND\r\n", 'delete KEY 0 noreply');

silent_then("verbosity 1 noreply\r\n", "version\r\n", $srv->{version}, 'verbosity noreply');
silent_then("verbosity 0 noreply\r\n", "version\r\n", $srv->{version}, 'verbosity 0 noreply');

silent_then("set f 0 0 1\r\nf\r\n", "flush_all noreply\r\nget f\r\n", "STORED\r\nEND\r\n", 'flush_all noreply');
silent_then("set f 0 0 1\r\nf\r\n", "flush_all 0 noreply\r\nget f\r\n", "STORED\r\nEND\r\n", 'flush_all 0 noreply');

silent_then("set e 0 0 -1 noreply\r\n", "version\r\n", $srv->{version}, 'set noreply with a bad length is silent');

# many noreply sets in one write, then one reply
my $batch = join('', map { "set k$_ 0 0 " . length($_) . " noreply\r\n$_\r\n" } 1 .. 200);
silent_then($batch, "get k1 k100 k200\r\n",
            "VALUE k1 0 1\r\n1\r\nVALUE k100 0 3\r\n100\r\nVALUE k200 0 3\r\n200\r\nEND\r\n",
            '200 sets with noreply in one write');
$batch = join('', map { "incr k1 1 noreply\r\n" } 1 .. 100);
silent_then($batch, "get k1\r\n", "VALUE k1 0 3\r\n101\r\nEND\r\n", '100 incr noreply in one write');

$srv->stop;
done_testing;
