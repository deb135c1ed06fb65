#!/usr/bin/perl
# The stats groups as monitoring scrapes them: every group is `STAT name
# value` lines and END; an exporter-style parser reads each one; `stats
# sizes`, `stats conns`, `verbosity` in `stats settings`; and many scrapers
# reading every group while clients run a set/get load.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use CashewTest;

my @GROUPS = ('', 'settings', 'items', 'slabs', 'sizes', 'conns');
# cashew's own groups (memcached answers ERROR to them)
push @GROUPS, 'hotkeys', 'latency', 'memory' unless CashewTest::is_oracle();
my $SCRAPERS = 10;
my $ROUNDS = 20;
my $LOADERS = 2;
my $LOAD_OPS = 1500;

my $srv = CashewTest::Server->start('-t', '4');
my $s = $srv->sock;
my $port = $srv->port;

for my $i (1 .. 20) {
    my $v = 'v' x (10 * $i);
    is_reply($s, "set seed:$i 0 0 " . length($v) . "\r\n$v\r\n", "STORED\r\n", "seed $i");
}

# Raw reply of one group; problems found in its shape (empty list: fine).
sub group_problems {
    my ($reply, $what) = @_;
    my @lines = split /(?<=\n)/, $reply;
    my @bad;
    my $last = pop(@lines) // '';
    push @bad, "$what: does not end with END: " . esc($last) unless $last eq "END\r\n";
    my %seen;
    for my $l (@lines) {
        if ($l !~ /\ASTAT (\S+) (\S[^\r\n]*)\r\n\z/) {
            push @bad, "$what: bad line " . esc($l);
            next;
        }
        push @bad, "$what: $1 twice" if $seen{$1}++;
    }
    return @bad;
}

sub read_group {
    my ($sock, $group) = @_;
    send_all($sock, length $group ? "stats $group\r\n" : "stats\r\n");
    return read_reply($sock, 10) // '';
}

# An exporter's reading of a group: name => value, numbers told apart from
# strings, per-class and per-connection names split into (id, field).
sub export_group {
    my ($reply) = @_;
    my (%flat, %by_id);
    for my $l (split /\r\n/, $reply) {
        next unless $l =~ /\ASTAT (\S+) (.*)\z/;
        my ($name, $value) = ($1, $2);
        $flat{$name} = $value;
        if ($name =~ /\A(?:items:)?(\d+):(\w+)\z/) {
            $by_id{$1}{$2} = $value;
        }
    }
    return (\%flat, \%by_id);
}

sub is_number { return defined $_[0] && $_[0] =~ /\A-?\d+(?:\.\d+)?\z/ }

# ---- every group: shape ----------------------------------------------------------

for my $g (@GROUPS) {
    my $name = length $g ? "stats $g" : 'stats';
    my @bad = group_problems(read_group($s, $g), $name);
    is(scalar(@bad), 0, "$name: STAT name value lines, then END") or diag(join "\n", @bad);
}

# ---- exporter-style parsing ----------------------------------------------------

{
    my ($st) = export_group(read_group($s, ''));
    for my $k (qw(pid uptime time pointer_size curr_connections total_connections
                  connection_structures cmd_get cmd_set get_hits get_misses bytes_read
                  bytes_written limit_maxbytes threads bytes curr_items total_items
                  evictions rusage_user rusage_system)) {
        ok(is_number($st->{$k}), "stats: $k is a number") or diag("$k = " . ($st->{$k} // 'missing'));
    }
    like($st->{version} // '', qr/\A\S+\z/, 'stats: version is one token');
    cmp_ok($st->{curr_items} // 0, '>=', 20, 'stats: the seeded items are counted');
}
{
    my ($set) = export_group(read_group($s, 'settings'));
    for my $k (qw(maxbytes maxconns tcpport verbosity num_threads item_size_max chunk_size)) {
        ok(is_number($set->{$k}), "stats settings: $k is a number");
    }
    is($set->{tcpport}, $port, 'stats settings: tcpport is our port');
    is($set->{num_threads}, 4, 'stats settings: num_threads follows -t 4');
    is($set->{maxbytes}, 64 * 1024 * 1024, 'stats settings: maxbytes is the default 64 MB');
}
{
    my ($flat, $cls) = export_group(read_group($s, 'items'));
    ok(scalar(keys %$cls) >= 1, 'stats items: at least one class');
    my $bad = grep { !/\Aitems:\d+:\w+\z/ || !is_number($flat->{$_}) } keys %$flat;
    is($bad, 0, 'stats items: every name is items:<class>:<field> with a number');
    my $total = 0;
    $total += $_->{number} // 0 for values %$cls;
    cmp_ok($total, '>=', 20, 'stats items: numbers add up to the seeded items');
}
{
    my ($flat, $cls) = export_group(read_group($s, 'slabs'));
    ok(scalar(keys %$cls) >= 1, 'stats slabs: at least one class');
    my $bad = grep { !/\A(?:\d+:\w+|active_slabs|total_malloced)\z/ || !is_number($flat->{$_}) }
              keys %$flat;
    is($bad, 0, 'stats slabs: <class>:<field> numbers, active_slabs, total_malloced');
    is($flat->{active_slabs}, scalar(keys %$cls), 'stats slabs: active_slabs counts the classes');
    my $bad_chunk = grep { !is_number($_->{chunk_size}) } values %$cls;
    is($bad_chunk, 0, 'stats slabs: every class has a chunk_size');
}

# ---- stats sizes: memcached 1.6.18 without -o track_sizes -----------------------

is_reply($s, "stats sizes\r\n", "STAT sizes_status disabled\r\nEND\r\n", 'stats sizes: disabled');

# ---- stats conns ------------------------------------------------------------------

# Per fd: { addr, listen_addr, state, secs_since_last_cmd, UDP }.
sub conns_by_fd {
    my ($sock) = @_;
    my ($flat, $by_fd) = export_group(read_group($sock, 'conns'));
    return $by_fd;
}

sub conn_of {
    my ($by_fd, $client) = @_;
    my $addr = 'tcp:127.0.0.1:' . $client->sockport;
    my ($hit) = grep { ($_->{addr} // '') eq $addr } values %$by_fd;
    return $hit;
}

# The server learns about a new connection asynchronously: ask until it shows.
sub conn_state_when {
    my ($client, $want) = @_;
    my $me;
    for (1 .. 100) {
        $me = conn_of(conns_by_fd($s), $client);
        return $me if $me && $me->{state} eq $want;
        select(undef, undef, undef, 0.05);
    }
    return $me;
}

{
    my $conns = conns_by_fd($s);
    my $bad = grep { !defined $_->{addr} || !defined $_->{state}
                     || !is_number($_->{secs_since_last_cmd}) } values %$conns;
    is($bad, 0, 'stats conns: each fd has addr, state and secs_since_last_cmd');
    my $bad_state = grep { ($_->{state} // '') !~ /\Aconn_[a-z_]+\z/ } values %$conns;
    is($bad_state, 0, 'stats conns: states are conn_* names');
    my $me = conn_of($conns, $s);
    ok($me, 'stats conns: the asking connection is listed by its address');
    is($me && $me->{state}, 'conn_parse_cmd', 'stats conns: it is parsing a command');
    is($me && $me->{listen_addr}, "tcp:127.0.0.1:$port", 'stats conns: its listen_addr');
    my @listeners = grep { ($_->{state} // '') eq 'conn_listening' } values %$conns;
    ok(scalar(@listeners) >= 1, 'stats conns: the listener is listed');
    is(scalar(grep { ($_->{addr} // '') eq "tcp:127.0.0.1:$port" } @listeners), 1,
       'stats conns: listener addr is tcp:127.0.0.1:<port>');
    is(scalar(grep { exists $_->{listen_addr} } @listeners), 0, 'stats conns: listeners have no listen_addr');
}
sub conn_listed {
    my ($client_port) = @_;
    return grep { ($_->{addr} // '') eq "tcp:127.0.0.1:$client_port" } values %{ conns_by_fd($s) };
}

{
    my $fresh = $srv->new_sock;
    my $e = conn_state_when($fresh, 'conn_new_cmd');
    is($e && $e->{state}, 'conn_new_cmd', 'stats conns: an unused connection waits for its first command');

    send_all($fresh, "version\r\n");
    like(read_line($fresh) // '', qr/\AVERSION /, 'fresh connection runs a command');
    $e = conn_state_when($fresh, 'conn_read');
    is($e && $e->{state}, 'conn_read', 'stats conns: an idle connection after a command reads');

    send_all($fresh, "set partial 0 0 10\r\nabc");
    $e = conn_state_when($fresh, 'conn_nread');
    is($e && $e->{state}, 'conn_nread', 'stats conns: a connection mid data block');
    send_all($fresh, "defghij\r\n");
    is(read_line($fresh), "STORED\r\n", 'the data block completes');

    my $fresh_port = $fresh->sockport;
    ok(scalar(conn_listed($fresh_port)), 'stats conns: the connection is listed while open');
    close $fresh;
    for (1 .. 100) {
        last unless conn_listed($fresh_port);
        select(undef, undef, undef, 0.05);
    }
    ok(!conn_listed($fresh_port), 'stats conns: a closed connection disappears');
}

# ---- verbosity shows in stats settings -----------------------------------------

{
    is_reply($s, "verbosity 2\r\n", "OK\r\n", 'verbosity 2');
    my ($set) = export_group(read_group($s, 'settings'));
    is($set->{verbosity}, 2, 'stats settings: verbosity follows the verbosity command');
    is_reply($s, "verbosity 0\r\n", "OK\r\n", 'verbosity 0');
    ($set) = export_group(read_group($s, 'settings'));
    is($set->{verbosity}, 0, 'stats settings: verbosity back to 0');
}

# ---- scrape under load ------------------------------------------------------------

sub scraper {
    my ($id) = @_;
    my $c = $srv->new_sock;
    my $errors = 0;
    for my $round (1 .. $ROUNDS) {
        for my $g (@GROUPS) {
            my @bad = group_problems(read_group($c, $g), "scraper $id stats $g");
            if (@bad) { $errors++; print STDERR "$_\n" for @bad[0 .. ($#bad < 2 ? $#bad : 2)] }
        }
    }
    return $errors;
}

sub loader {
    my ($id) = @_;
    my $c = $srv->new_sock;
    my $errors = 0;
    for my $i (1 .. $LOAD_OPS) {
        my $k = "load:$id:" . ($i % 50);
        my $v = "$id-$i";
        send_all($c, "set $k 0 0 " . length($v) . "\r\n$v\r\n");
        my $l = read_line($c) // '';
        if ($l ne "STORED\r\n") { $errors++; print STDERR "loader $id set: " . esc($l) . "\n"; next }
        send_all($c, "get $k\r\n");
        my $r = read_reply($c) // '';
        if ($r ne "VALUE $k 0 " . length($v) . "\r\n$v\r\nEND\r\n") {
            $errors++;
            print STDERR "loader $id get: " . esc($r) . "\n";
        }
    }
    return $errors;
}

my %kids;
for my $job ((map { "scrape$_" } 1 .. $SCRAPERS), (map { "load$_" } 1 .. $LOADERS)) {
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        my ($kind, $n) = $job =~ /\A(scrape|load)(\d+)\z/;
        my $errors = eval { $kind eq 'scrape' ? scraper($n) : loader($n) };
        if ($@) { print STDERR "$job died: $@"; $errors = 1000 }
        print "errors=$errors\n";
        POSIX::_exit(0);
    }
    $kids{$job} = $fh;
}
my $errors = 0;
for my $job (sort keys %kids) {
    my $fh = $kids{$job};
    my $line = <$fh> // '';
    close $fh;
    my ($e) = $line =~ /errors=(\d+)/;
    ok(defined $e, "$job finished") or diag("$job said: $line");
    $errors += $e // 1000;
}
is($errors, 0, 'every scrape was well formed and every load reply correct');

for my $g (@GROUPS) {
    my $name = length $g ? "stats $g" : 'stats';
    my @bad = group_problems(read_group($s, $g), $name);
    is(scalar(@bad), 0, "$name still well formed after the scrape") or diag(join "\n", @bad);
}
my ($st) = export_group(read_group($s, ''));
cmp_ok($st->{cmd_set} // 0, '>=', $LOADERS * $LOAD_OPS, 'stats: the load is counted');
is_reply($s, "get load:1:0\r\n", "VALUE load:1:0 0 " . length("1-$LOAD_OPS") . "\r\n1-$LOAD_OPS\r\nEND\r\n",
         'the daemon still answers with the last value');

$srv->stop;
done_testing;
