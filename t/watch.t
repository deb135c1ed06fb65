#!/usr/bin/perl
# watch: live log streams (fetchers, mutations, evictions, connevents and
# cashew's deletions), -W, several watchers, a watcher that does not read
# (skipped=N), watchers that go away, and the log_* stats. Line formats are
# memcached 1.6.18's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Socket qw(SOL_SOCKET SO_RCVBUF sockaddr_in inet_aton);
use CashewTest;

my $TS = qr/ts=\d+\.\d+ gid=(\d+)/;
my $sentinel = 0;

# A new connection that ran `watch @streams` and got OK.
sub watcher {
    my ($srv, $streams, $name) = @_;
    my $w = $srv->new_sock;
    is_reply($w, "watch$streams\r\n", "OK\r\n", $name // "watch$streams answers OK");
    return $w;
}

# Reads log lines from $w until one matches $re; returns them all (the match
# last). Fails (and returns what came) after $timeout seconds.
sub lines_until {
    my ($w, $re, $timeout) = @_;
    my @lines;
    my $deadline = time + ($timeout // 10);
    while (time < $deadline) {
        my $line = read_line($w, $deadline - time);
        last unless defined $line;
        push @lines, $line;
        return @lines if $line =~ $re;
    }
    return (@lines, undef);
}

# Runs $cmds on $c, then a miss on a fresh key, and collects the watcher's
# lines up to that miss's item_get line (fetchers watchers).
sub fetch_lines {
    my ($w, $c, $cmds, $expect) = @_;
    send_all($c, $cmds);
    read_expect($c, $expect) eq $expect or diag('unexpected replies to ' . esc($cmds));
    my $key = 'sentinel' . ++$sentinel;
    is_reply($c, "get $key\r\n", "END\r\n", "get $key");
    my @l = lines_until($w, qr/type=item_get key=$key status=not_found /);
    ok(defined $l[-1], "the watcher saw the $key line") or diag(explain(\@l));
    pop @l;
    return grep { defined } @l;
}

sub grep_line {
    my ($lines, $re, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @m = grep { $_ =~ $re } @$lines;
    ok(scalar @m, $name) or diag("no line like $re in:\n" . join('', @$lines));
    return $m[0];
}

my $srv = CashewTest::Server->start('-m', '64');
my $c = $srv->sock;

# ---- arguments ----------------------------------------------------------------
for my $bad ("watch foo", "watch fetchers foo", "watch FETCHERS", "watch fetch",
             "watch noreply fetchers") {
    my $s = $srv->new_sock;
    is_reply($s, "$bad\r\n", "ERROR\r\n", "$bad: ERROR");
    is_reply($s, "mn\r\n", "MN\r\n", "$bad: the connection still answers");
    close $s;
}
# a last "noreply" is taken as memcached's noreply: the error goes unsaid
for my $quiet ("watch noreply", "watch fetchers noreply", "watch foo noreply") {
    my $s = $srv->new_sock;
    is_reply($s, "$quiet\r\nmn\r\n", "MN\r\n", "$quiet: no reply, no watch");
    close $s;
}

# ---- the default stream: fetchers ----------------------------------------------
{
    my $w = watcher($srv, '', 'watch with no stream answers OK');
    my @l = fetch_lines($w, $c, "set foo 5 0 3\r\nbar\r\nget foo\r\n",
                        "STORED\r\nVALUE foo 5 3\r\nbar\r\nEND\r\n");
    my $hit = grep_line(\@l, qr/^$TS type=item_get key=foo status=found clsid=\d+ cfd=\d+ size=3\n\z/,
                        'get hit: item_get ... status=found ... size=3');
    ok(!grep({ /type=item_store/ } @l), 'no item_store lines without mutations');
    my ($cfd) = ($hit // '') =~ / cfd=(\d+) /;

    @l = fetch_lines($w, $c, "get nope\r\nget foo nope2\r\n",
                     "END\r\nVALUE foo 5 3\r\nbar\r\nEND\r\n");
    grep_line(\@l, qr/^$TS type=item_get key=nope status=not_found clsid=0 cfd=$cfd size=0\n\z/,
              'get miss: status=not_found clsid=0 size=0, same cfd');
    grep_line(\@l, qr/^$TS type=item_get key=nope2 status=not_found /, 'multiget: one line per key');

    # delete / incr / decr / touch / gat / meta read the item too
    @l = fetch_lines($w, $c,
        "set n 0 0 1\r\n5\r\nincr n 3\r\ndecr n 1\r\ntouch n 100\r\ndelete n\r\ndelete n\r\n" .
        "ms m 2\r\nhi\r\nmg m v\r\nmg miss v\r\nma m\r\nmd m\r\n",
        "STORED\r\n8\r\n7\r\nTOUCHED\r\nDELETED\r\nNOT_FOUND\r\nHD\r\nVA 2\r\nhi\r\nEN\r\n" .
        "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\n");
    my @n = grep { /type=item_get key=n status=found / } @l;
    cmp_ok(scalar @n, '>=', 4, 'incr, decr, touch and delete each log a found item_get');
    grep_line(\@l, qr/type=item_get key=n status=not_found /, 'the second delete logs not_found');
    grep_line(\@l, qr/^$TS type=item_get key=m status=found clsid=\d+ cfd=$cfd size=2\n\z/,
              'mg hit: found, size=2');
    grep_line(\@l, qr/type=item_get key=miss status=not_found /, 'mg miss: not_found');

    # keys are URI-encoded
    @l = fetch_lines($w, $c, "set a\x01b 0 0 1\r\n1\r\nget a\x01b a,b%c=d A-z.0_9~\r\n",
                     "STORED\r\nVALUE a\x01b 0 1\r\n1\r\nEND\r\n");
    grep_line(\@l, qr/type=item_get key=a%01b status=found /, 'a binary byte prints as %01');
    grep_line(\@l, qr/type=item_get key=a%2Cb%25c%3Dd status=not_found /,
              ', % and = print as %2C %25 %3D');
    grep_line(\@l, qr/type=item_get key=A-z\.0_9~ status=not_found /,
              'letters, digits and -._~ print as they are');

    # gids grow along one connection's lines
    my @gids = map { /gid=(\d+)/ ? $1 : () } @l;
    ok(@gids > 1 && !grep({ $gids[$_] <= $gids[$_ - 1] } 1 .. $#gids), 'gids increase');

    # what a watcher sends is ignored: no reply comes back
    send_all($w, "version\r\nget foo\r\n");
    @l = fetch_lines($w, $c, "get foo\r\n", "VALUE foo 5 3\r\nbar\r\nEND\r\n");
    ok(!grep({ !/^ts=/ } @l), 'commands sent on a watcher get no reply');
    close $w;
}

# ---- mutations ------------------------------------------------------------------
{
    my $w = watcher($srv, ' mutations');
    send_all($c, "set s1 0 0 3\r\nabc\r\nadd s1 0 0 1\r\nx\r\nappend s1 0 0 1\r\nd\r\n" .
                 "prepend zz 0 0 1\r\n1\r\ncas s1 0 0 1 999\r\n1\r\nreplace s1 0 100 2\r\nxy\r\n" .
                 "ms ms1 2\r\nhi\r\nget s1\r\nset done1 0 0 1\r\n1\r\n");
    my $exp = "STORED\r\nNOT_STORED\r\nSTORED\r\nNOT_STORED\r\nEXISTS\r\nSTORED\r\nHD\r\n" .
              "VALUE s1 0 2\r\nxy\r\nEND\r\nSTORED\r\n";
    is_bytes(read_expect($c, $exp), $exp, 'storage replies');
    my @l = lines_until($w, qr/key=done1 /);
    ok(defined $l[-1], 'the watcher saw the last set');
    @l = grep { defined } @l;
    my $M = qr/^$TS type=item_store key=/;
    grep_line(\@l, qr/${M}s1 status=stored cmd=set ttl=0 clsid=\d+ cfd=\d+ size=3\n\z/, 'set: stored');
    grep_line(\@l, qr/${M}s1 status=not_stored cmd=add ttl=\d+ clsid=\d+ cfd=\d+ size=1\n\z/,
              'add on a present key: not_stored');
    grep_line(\@l, qr/${M}s1 status=stored cmd=append /, 'append: stored');
    grep_line(\@l, qr/${M}zz status=not_stored cmd=prepend /, 'prepend on a missing key: not_stored');
    grep_line(\@l, qr/${M}s1 status=exists cmd=cas /, 'cas mismatch: exists');
    grep_line(\@l, qr/${M}s1 status=stored cmd=replace ttl=(?:9\d|100) /,
              'replace with exptime 100: ttl shows the seconds left');
    grep_line(\@l, qr/${M}ms1 status=stored cmd=set ttl=0 clsid=\d+ cfd=\d+ size=2\n\z/,
              'ms: item_store cmd=set');
    ok(!grep({ /type=item_get/ } @l), 'no item_get lines without fetchers');
    close $w;
}

# ---- connevents ----------------------------------------------------------------
{
    my $w = watcher($srv, ' connevents');
    my $k = $srv->new_sock;
    my $port = $k->sockport;
    my @l = lines_until($w, qr/type=conn_new .*rport=$port /);
    my $new = $l[-1];
    like($new // '', qr/^$TS type=conn_new rip=127\.0\.0\.1 rport=$port transport=tcp cfd=(\d+)\n\z/,
         'conn_new: rip, rport, transport=tcp, cfd');
    my ($cfd) = ($new // '') =~ /cfd=(\d+)/;
    send_all($k, "quit\r\n");
    ok(expect_closed($k), 'quit closes');
    @l = lines_until($w, qr/type=conn_close .*rport=$port /);
    like($l[-1] // '', qr/^$TS type=conn_close rip=127\.0\.0\.1 rport=$port transport=tcp reason=normal cfd=$cfd\n\z/,
         'conn_close after quit: reason=normal, same cfd');

    my $k2 = $srv->new_sock;
    my $port2 = $k2->sockport;
    close $k2;
    @l = lines_until($w, qr/type=conn_close .*rport=$port2 /);
    like($l[-1] // '', qr/reason=normal cfd=\d+\n\z/, 'a client that hangs up: reason=normal');
    close $w;
}

# ---- deletions (current memcached; 1.6.18 has no such stream) ------------------
{
    my $w = $srv->new_sock;
    send_all($w, "watch deletions\r\n");
    my $r = read_line($w);
    if (is_oracle()) {
        is($r, "ERROR\r\n", 'memcached 1.6.18: watch deletions is unknown');
    } else {
        is($r, "OK\r\n", 'watch deletions answers OK');
        send_all($c, "set vfoo 0 0 4\r\nvbar\r\ndelete vfoo\r\nset vfoo 0 0 4\r\nvbar\r\nmd vfoo\r\n" .
                     "delete vfoo\r\n");
        my $exp = "STORED\r\nDELETED\r\nSTORED\r\nHD\r\nNOT_FOUND\r\n";
        is_bytes(read_expect($c, $exp), $exp, 'delete and md replies');
        my @l = lines_until($w, qr/cmd=md /);
        like($l[0] // '', qr/^$TS type=deleted key=vfoo cmd=delete clsid=\d+ size=4\n\z/,
             'delete: type=deleted cmd=delete size=4');
        like($l[-1] // '', qr/^$TS type=deleted key=vfoo cmd=md clsid=\d+ size=4\n\z/,
             'md: type=deleted cmd=md');
        is(scalar(grep { defined } @l), 2, 'a delete that finds nothing logs no line');
    }
    close $w;
}

# ---- several watchers at once; log_* stats --------------------------------------
{
    my $wf = watcher($srv, ' fetchers');
    my $wm = watcher($srv, ' mutations');
    my $wb = watcher($srv, ' mutations fetchers');
    my $st;
    my $deadline = time + 10;
    do { $st = $srv->stats('', $c); sleep 0.05 } while (($st->{log_watchers} // -1) != 3 && time < $deadline);
    is($st->{log_watchers}, 3, 'stats: log_watchers 3');
    for my $n (qw(log_worker_dropped log_worker_written log_watcher_skipped log_watcher_sent)) {
        like($st->{$n} // '', qr/^\d+\z/, "stats: $n");
    }
    send_all($c, "set multi 0 0 1\r\nx\r\nget multi\r\n");
    my $exp = "STORED\r\nVALUE multi 0 1\r\nx\r\nEND\r\n";
    is_bytes(read_expect($c, $exp), $exp, 'set and get');
    my @f = lines_until($wf, qr/key=multi status=found/);
    ok(defined $f[-1] && !grep({ defined && /item_store/ } @f), 'the fetchers watcher sees the get only');
    my @m = lines_until($wm, qr/type=item_store key=multi /);
    ok(defined $m[-1] && !grep({ defined && /item_get/ } @m), 'the mutations watcher sees the set only');
    my @b = lines_until($wb, qr/key=multi status=found/);
    ok(defined $b[-1] && grep({ defined && /type=item_store key=multi / } @b),
       'a watcher of both sees both');
    my $sent0 = $st->{log_watcher_sent};

    # watchers that go away are dropped; the server goes on
    close $_ for $wf, $wm, $wb;
    send_all($c, "get multi\r\n");   # a line to write to the closed watchers
    read_expect($c, "VALUE multi 0 1\r\nx\r\nEND\r\n");
    $deadline = time + 10;
    do { $st = $srv->stats('', $c); sleep 0.05 } while (($st->{log_watchers} // -1) != 0 && time < $deadline);
    is($st->{log_watchers}, 0, 'closed watchers are dropped (log_watchers 0)');
    cmp_ok($st->{log_watcher_sent}, '>', $sent0, 'log_watcher_sent grew');
    is_reply($c, "get multi\r\n", "VALUE multi 0 1\r\nx\r\nEND\r\n", 'the server still serves');

    # at most 20 watchers
    my @ws = map { my $x = $srv->new_sock; send_all($x, "watch connevents\r\n"); $x } 1 .. 20;
    is(scalar(grep { (read_line($_) // '') eq "OK\r\n" } @ws), 20, '20 watchers are accepted');
    my $extra = $srv->new_sock;
    is_reply($extra, "watch\r\n", "WATCHER_TOO_MANY log watcher limit reached\r\n",
             'the 21st: WATCHER_TOO_MANY');
    is_reply($extra, "mn\r\n", "MN\r\n", 'and its connection goes on');
    close $_ for @ws, $extra;
    $deadline = time + 10;
    do { $st = $srv->stats('', $c); sleep 0.05 } while (($st->{log_watchers} // -1) != 0 && time < $deadline);
    is($st->{log_watchers}, 0, 'all 20 dropped once closed');
}

# ---- a watcher that does not read: the server goes on, lines are skipped -----------
{
    my $w = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($w, SOL_SOCKET, SO_RCVBUF, 4096);
    connect($w, sockaddr_in($srv->port, inet_aton('127.0.0.1'))) or die "connect: $!";
    is_reply($w, "watch fetchers mutations\r\n", "OK\r\n", 'slow watcher: OK');
    my $key = 'k' x 200;
    my $ok = 1;
    for my $batch (0 .. 3999) {
        my $n = $batch * 5;
        my $req = join('', map { "set $key$_ 0 0 10 noreply\r\n0123456789\r\n" } $n .. $n + 4) .
                  'get ' . join(' ', map { "$key$_" } $n .. $n + 4) . "\r\n";
        send_all($c, $req);
        my $r = read_reply($c);
        my $values = () = $r =~ /^VALUE /mg;
        if ($values != 5 || $r !~ /END\r\n\z/) {
            $ok = 0;
            diag("batch $batch: " . esc(substr($r, 0, 200)));
            last;
        }
    }
    ok($ok, '20,000 sets (and gets) served while the watcher reads nothing');
    my $st = $srv->stats('', $c);
    cmp_ok($st->{log_watcher_skipped}, '>', 0, 'stats: log_watcher_skipped > 0');
    # now read everything; the next line comes after a skipped=N notice
    my $deadline = time + 30;
    my ($skipped, $last) = (0, '');
    my $key2 = 'after' . ++$sentinel;
    my $asked = 0;
    while (time < $deadline) {
        my $line = read_line($w, 2);
        if (!defined $line) {
            last if $asked;
            send_all($c, "get $key2\r\n");
            read_expect($c, "END\r\n");
            $asked = 1;
            next;
        }
        $skipped = $1 if $line =~ /^skipped=(\d+)\n\z/;
        if ($line =~ /key=$key2 /) { $last = $line; last }
    }
    cmp_ok($skipped, '>', 0, 'the watcher is told how many lines it missed (skipped=N)');
    like($last, qr/type=item_get key=$key2 status=not_found/, 'and then gets new lines');
    close $w;
}

# ---- watchers still attached at shutdown ------------------------------------------
my $w1 = watcher($srv, ' fetchers mutations evictions connevents');
my $w2 = watcher($srv, '');
$srv->stop;

# ---- evictions ---------------------------------------------------------------
{
    my $small = CashewTest::Server->start('-m', '2');
    my $s = $small->sock;
    my $w = watcher($small, ' evictions');
    my $val = 'x' x 1000;
    my $req = '';
    $req .= "set ttl$_ 0 3600 1000 noreply\r\n$val\r\n" for 0 .. 199;
    $req .= "set key$_ 0 0 1000 noreply\r\n$val\r\n" for 0 .. 4999;
    send_all($s, $req);
    is_reply($s, "mn\r\n", "MN\r\n", '5,200 sets of 1000 bytes into -m 2');
    my @l = lines_until($w, qr/type=eviction key=key\d+ /, 20);
    ok(defined $l[-1], 'evictions are logged');
    @l = grep { defined } @l;
    my @bad = grep { !/^$TS type=eviction key=(ttl|key)\d+ fetch=(yes|no) ttl=-?\d+ la=\d+ clsid=\d+ size=1000\n\z/ } @l;
    ok(!@bad, 'eviction lines: key fetch ttl la clsid size') or diag(join '', @bad);
    grep_line(\@l, qr/type=eviction key=ttl\d+ fetch=no ttl=3[56]\d\d la=\d+ /,
              'an item set with exptime 3600: ttl shows the seconds left');
    grep_line(\@l, qr/type=eviction key=key\d+ fetch=no ttl=-1 /, 'a never-expiring item: ttl=-1');
    close $w;
    $small->stop;
}

# ---- idle_timeout closes show their reason ------------------------------------------
{
    my $it = CashewTest::Server->start('-o', 'idle_timeout=1');
    my $w = watcher($it, ' connevents');
    my $k = $it->new_sock;
    my $port = $k->sockport;
    ok(expect_closed($k, 10), 'an idle client is closed');
    my @l = lines_until($w, qr/type=conn_close .*rport=$port /);
    like($l[-1] // '', qr/ reason=idle_timeout cfd=\d+\n\z/, 'conn_close reason=idle_timeout');
    $it->stop;
}

# ---- -W --------------------------------------------------------------------------
{
    my $nw = CashewTest::Server->start('-W');
    my $s = $nw->sock;
    for my $cmd ("watch", "watch fetchers", "watch foo") {
        is_reply($s, "$cmd\r\n", "CLIENT_ERROR watch commands not allowed\r\n", "-W: $cmd");
    }
    is_reply($s, "watch fetchers noreply\r\nmn\r\n", "MN\r\n", '-W: noreply silences it');
    is_reply($s, "mn\r\n", "MN\r\n", '-W: the connection goes on');
    $nw->stop;
}

done_testing;
