#!/usr/bin/perl
# cashew's own stats groups: `stats hotkeys` (the most requested keys and
# the keys serving the most bytes), `stats latency` (per command kind
# count and percentiles) and `stats memory` (where the bytes are); `stats
# reset` empties the first two; scrapes of all three from several clients
# while others keep the server busy. Stock memcached has none of these
# groups (it answers ERROR): against it only that is checked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use CashewTest;

my @GROUPS = qw(hotkeys latency memory);
my @KINDS = qw(get set delete incr_decr touch mg ms md ma other);

my $srv = CashewTest::Server->start('-t', '4');
my $s = $srv->sock;

if (is_oracle()) {
    is_reply($s, "stats $_\r\n", "ERROR\r\n", "memcached: stats $_ is unknown") for @GROUPS;
    note('stats hotkeys/latency/memory are cashew-only groups: the rest of observe.t '
         . 'is skipped against memcached');
    $srv->stop;
    done_testing;
    exit 0;
}

# Reads one group; returns (name => value, problems found in its shape).
sub group {
    my ($sock, $g) = @_;
    send_all($sock, "stats $g\r\n");
    my $reply = read_reply($sock, 10) // '';
    my @lines = split /(?<=\n)/, $reply;
    my (%h, @bad);
    my $last = pop(@lines) // '';
    push @bad, "stats $g: does not end with END: " . esc($last) unless $last eq "END\r\n";
    for my $l (@lines) {
        if ($l !~ /\ASTAT (\S+) (\S+)\r\n\z/) {
            push @bad, "stats $g: bad line " . esc($l);
            next;
        }
        push @bad, "stats $g: $1 twice" if exists $h{$1};
        $h{$1} = $2;
    }
    return (\%h, @bad);
}

sub group_ok {
    my ($sock, $g, $name) = @_;
    my ($h, @bad) = group($sock, $g);
    is(scalar(@bad), 0, $name) or diag(join "\n", @bad[0 .. ($#bad < 4 ? $#bad : 4)]);
    return $h;
}

sub is_number { return defined $_[0] && $_[0] =~ /\A\d+(?:\.\d+)?\z/ }

sub set_value {
    my ($sock, $key, $value) = @_;
    send_all($sock, "set $key 0 0 " . length($value) . "\r\n$value\r\n");
    return (read_line($sock) // '') eq "STORED\r\n";
}

# ---- stats latency: counts match the commands sent --------------------------------
# A fresh server has run only `version` (the harness's start check): every
# kind but "other" starts at 0.

{
    my %sent = (get => 0, set => 0, delete => 0, incr_decr => 0, touch => 0,
                mg => 0, ms => 0, md => 0, ma => 0);
    my $c = $srv->new_sock;
    my $run = sub {
        my ($kind, $req, $want) = @_;
        send_all($c, $req);
        my $got = $want =~ /END\r\n\z/ ? read_reply($c, 10) : read_line($c);
        $got .= read_line($c) // '' if defined $got && $got =~ /\AVA /;
        $sent{$kind}++;
        is($got // '', $want, "latency load: " . esc($req));
    };
    $run->('set', "set n 0 0 1\r\n5\r\n", "STORED\r\n");
    $run->('set', "add n 0 0 1\r\n6\r\n", "NOT_STORED\r\n");
    $run->('set', "append n 0 0 1\r\n0\r\n", "STORED\r\n");
    $run->('get', "get n\r\n", "VALUE n 0 2\r\n50\r\nEND\r\n");
    $run->('get', "get n nope n\r\n", "VALUE n 0 2\r\n50\r\nVALUE n 0 2\r\n50\r\nEND\r\n");
    $run->('get', "get nope\r\n", "END\r\n");
    $run->('incr_decr', "incr n 5\r\n", "55\r\n");
    $run->('incr_decr', "decr n 5\r\n", "50\r\n");
    $run->('touch', "touch n 100\r\n", "TOUCHED\r\n");
    $run->('touch', "gat 100 n\r\n", "VALUE n 0 2\r\n50\r\nEND\r\n");
    $run->('mg', "mg n v\r\n", "VA 2\r\n50\r\n");
    $run->('mg', "mg nope v\r\n", "EN\r\n");
    $run->('ms', "ms m 2\r\nhi\r\n", "HD\r\n");
    $run->('ma', "ma n\r\n", "HD\r\n");
    $run->('md', "md m\r\n", "HD\r\n");
    $run->('delete', "delete n\r\n", "DELETED\r\n");
    $run->('delete', "delete n\r\n", "NOT_FOUND\r\n");
    my $lat = group_ok($c, 'latency', 'stats latency: STAT name value lines, then END');
    for my $k (sort keys %sent) {
        is($lat->{"$k:count"}, $sent{$k}, "stats latency: $k:count counts the $k commands sent");
    }
    my ($bad_num, $bad_order) = (0, 0);
    for my $k (@KINDS) {
        my @v = map { $lat->{"$k:$_"} } qw(p50_us p90_us p99_us p999_us max_us);
        $bad_num += grep { !defined $_ || !/\A\d+\.\d{3}\z/ } @v;
        next if grep { !defined } @v;
        for my $i (1 .. $#v) { $bad_order++ if $v[$i] < $v[$i - 1] }
        $bad_order++ if ($lat->{"$k:timed"} // 0) > 0 && $v[4] <= 0;
        $bad_order++ if ($lat->{"$k:timed"} // 1e9) > $lat->{"$k:count"};
    }
    is($bad_num, 0, 'stats latency: every percentile is microseconds with 3 decimals');
    is($bad_order, 0, 'stats latency: p50 <= p90 <= p99 <= p999 <= max, max > 0 once timed, '
                      . 'timed <= count');
    is($lat->{latency_sample_every}, 16, 'stats latency: the timing sample rate is shown');
    cmp_ok($lat->{'other:count'} // 0, '>=', 1, 'stats latency: other counts version');
    close $c;
}

# ---- stats hotkeys: a skewed key set -------------------------------------------------

my %gets = ('hot:a' => 1600, 'hot:b' => 400, 'hot:c' => 100);
$gets{"cool:$_"} = 10 for 1 .. 30;
my $big = 'B' x 40000;
{
    ok(set_value($s, $_, "v-$_"), "seed $_") for sort keys %gets;
    ok(set_value($s, 'big', $big), 'seed big');
}

# Several clients (spread over the workers) read the keys, plain and meta.
sub getter {
    my ($id) = @_;
    my $c = $srv->new_sock;
    my @keys = map { ($_) x int($gets{$_} / 4) } sort keys %gets;
    push @keys, ('big') x 50;
    my $errors = 0;
    my $i = 0;
    for my $k (@keys) {
        my $meta = ($i++ + $id) % 3 == 0;
        send_all($c, $meta ? "mg $k v\r\n" : "get $k\r\n");
        my $r = $meta ? read_line($c) // '' : read_reply($c, 10) // '';
        $r .= read_line($c) // '' if $meta && $r =~ /\AVA /; # the value line
        $errors++ unless $r =~ /\A(?:VALUE|VA) /;
    }
    return $errors;
}

sub run_kids {
    my ($label, $n, $fn) = @_;
    my %kids;
    for my $id (1 .. $n) {
        my $pid = open(my $fh, '-|') // die "fork: $!";
        if ($pid == 0) {
            my $errors = eval { $fn->($id) };
            if ($@) { print STDERR "$label $id died: $@"; $errors = 1000 }
            print "errors=$errors\n";
            POSIX::_exit(0);
        }
        $kids{"$label $id"} = $fh;
    }
    my $errors = 0;
    for my $job (sort keys %kids) {
        my $fh = $kids{$job};
        my $line = <$fh> // '';
        close $fh;
        my ($e) = $line =~ /errors=(\d+)/;
        $errors += $e // 1000;
    }
    return $errors;
}

is(run_kids('getter', 4, \&getter), 0, 'hotkeys load: every lookup answered');
{
    my $hk = group_ok($s, 'hotkeys', 'stats hotkeys: STAT name value lines, then END');
    is($hk->{'hotkey:1:key'}, 'hot:a', 'stats hotkeys: the most requested key ranks first');
    is($hk->{'hotkey:2:key'}, 'hot:b', 'stats hotkeys: the second one second');
    is($hk->{'hotbytes:1:key'}, 'big', 'stats hotkeys: the key serving the most bytes ranks first by bytes');
    my $est = $hk->{'hotkey:1:requests'} // 0;
    ok($est > 1600 * 0.6 && $est < 1600 * 1.4, "stats hotkeys: hot:a's estimate ($est) near its 1600 lookups");
    my $bad = grep { /\Ahot(?:key|bytes):\d+:(?:requests|bytes|error)\z/ && !is_number($hk->{$_}) } keys %$hk;
    is($bad, 0, 'stats hotkeys: counts are numbers');
    my $ranks = grep { /\Ahotkey:\d+:key\z/ } keys %$hk;
    ok($ranks >= 3 && $ranks <= 10, "stats hotkeys: 3 to 10 keys ranked ($ranks)");
    is($hk->{hotkeys_sample_every}, 16, 'stats hotkeys: the sample rate is shown');
}

# ---- stats memory ---------------------------------------------------------------------

{
    my $m = group_ok($s, 'memory', 'stats memory: STAT name value lines, then END');
    my @names = qw(rss_bytes item_pages_bytes item_bytes limit_maxbytes hash_bytes
                   conn_buffer_bytes conn_buffer_pooled_bytes other_bytes);
    is(scalar(grep { is_number($m->{$_}) } @names), scalar(@names), 'stats memory: every line is a number');
    cmp_ok($m->{item_bytes} // 0, '>', 40000, 'stats memory: item bytes hold the values');
    cmp_ok($m->{rss_bytes} // 0, '>', $m->{item_bytes} // 0, 'stats memory: RSS > item bytes');
    cmp_ok($m->{item_pages_bytes} // 0, '>=', $m->{item_bytes} // 0, 'stats memory: pages >= item bytes');
    cmp_ok($m->{hash_bytes} // 0, '>', 0, 'stats memory: the hash table has bytes');
    cmp_ok($m->{conn_buffer_bytes} // 0, '>', 0, 'stats memory: connections have buffers');

    my @extra = map { $srv->new_sock } 1 .. 20;
    is_reply($_, "version\r\n", $srv->{version}, 'extra connection answers') for @extra[0, 19];
    send_all($_, "version\r\n") for @extra[1 .. 18];
    read_line($_) for @extra[1 .. 18];
    my $more = group_ok($s, 'memory', 'stats memory with 20 more connections');
    cmp_ok($more->{conn_buffer_bytes} - $m->{conn_buffer_bytes}, '>=', 20 * 4096,
           'stats memory: 20 connections add their reply buffers');
    cmp_ok($more->{conn_buffer_pooled_bytes}, '<=', $more->{conn_buffer_bytes},
           'stats memory: pooled read buffers are part of the buffer bytes');
    # The pools may grow meanwhile (a worker reading a closing connection
    # while a `stats memory` waits in the same batch needs two read buffers
    # at once): compare the buffers held by connections.
    my $held = sub { ($_[0]{conn_buffer_bytes} // 1e12) - ($_[0]{conn_buffer_pooled_bytes} // 0) };
    close $_ for @extra;
    my $after;
    for (1 .. 100) {
        ($after) = group($s, 'memory');
        last if $held->($after) < $held->($more) - 19 * 4096;
        select(undef, undef, undef, 0.05);
    }
    cmp_ok($held->($after), '<', $held->($more) - 19 * 4096,
           'stats memory: closed connections give their buffers back');
}

# ---- stats reset ------------------------------------------------------------------------

{
    is_reply($s, "stats reset\r\n", "RESET\r\n", 'stats reset');
    my $hk = group_ok($s, 'hotkeys', 'stats hotkeys after reset');
    is(scalar(grep { /\Ahot(?:key|bytes):/ } keys %$hk), 0, 'stats reset: no hot keys left');
    my $lat = group_ok($s, 'latency', 'stats latency after reset');
    is(scalar(grep { ($lat->{"$_:count"} // -1) != 0 } grep { $_ ne 'other' } @KINDS), 0,
       'stats reset: every command count is 0');
    is_reply($s, "get hot:b\r\n", "VALUE hot:b 0 7\r\nv-hot:b\r\nEND\r\n", 'a get after reset');
    $lat = group_ok($s, 'latency', 'stats latency counts again');
    is($lat->{'get:count'}, 1, 'stats latency: counting restarts after reset');
}

# ---- scrape all three under load ----------------------------------------------------------

sub scraper {
    my ($id) = @_;
    my $c = $srv->new_sock;
    my $errors = 0;
    for my $round (1 .. 25) {
        for my $g (@GROUPS) {
            my ($h, @bad) = group($c, $g);
            if (@bad) { $errors++; print STDERR "scraper $id: $bad[0]\n" }
        }
    }
    return $errors;
}

sub loader {
    my ($id) = @_;
    my $c = $srv->new_sock;
    my $errors = 0;
    for my $i (1 .. 800) {
        my $k = $i % 2 ? "load:$id:hot" : "load:$id:" . ($i % 40);
        my $v = "$id-$i";
        send_all($c, "set $k 0 0 " . length($v) . "\r\n$v\r\n");
        my $l = read_line($c) // '';
        if ($l ne "STORED\r\n") { $errors++; next }
        send_all($c, "get $k\r\n");
        my $r = read_reply($c, 10) // '';
        $errors++ if $r ne "VALUE $k 0 " . length($v) . "\r\n$v\r\nEND\r\n";
    }
    return $errors;
}

{
    my $pid = open(my $lfh, '-|') // die "fork: $!";
    if ($pid == 0) {
        my $e = eval { run_kids('loader', 2, \&loader) } // 1000;
        print "errors=$e\n";
        POSIX::_exit(0);
    }
    my $scrape_errors = run_kids('scraper', 5, \&scraper);
    my $line = <$lfh> // '';
    close $lfh;
    my ($load_errors) = $line =~ /errors=(\d+)/;
    is($scrape_errors, 0, 'every scrape of hotkeys/latency/memory was well formed under load');
    is($load_errors, 0, 'every load reply was right while scrapers ran');
    my $lat = group_ok($s, 'latency', 'stats latency after the load');
    cmp_ok($lat->{'set:count'} // 0, '>=', 1600, 'stats latency: the load sets are counted');
    my $hk = group_ok($s, 'hotkeys', 'stats hotkeys after the load');
    like($hk->{'hotkey:1:key'} // '', qr/\Aload:\d:hot\z/, 'stats hotkeys: a hot key of the load ranks first');
}

$srv->stop;
done_testing;
