#!/usr/bin/perl
# cashew's command line: -h, -V, bad flags (exit 64), ignored memcached -o
# options, the root check, -d with -P, and `stats settings` reflecting flags.
# It tests cashew's own CLI, so it runs against cashew binaries only.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use CashewTest;

my $bin = server_bin();
plan skip_all => "options.t tests cashew's own command line, not $bin" if is_oracle();

my $tmp = tempdir('cashew-options-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 01777, $tmp; # the daemon writes its pid file after becoming nobody
my @as_user = $> == 0 ? ('-u', 'nobody') : ();

# Runs the binary with @args; returns (exit status, stdout, stderr). A run
# that does not end within 10 s is killed and reported as status -1.
sub run_cli {
    my (@args) = @_;
    my ($out, $err) = ("$tmp/out", "$tmp/err");
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', $out);
        open(STDERR, '>', $err);
        exec($bin, @args) or POSIX::_exit(127);
    }
    my $deadline = time + 10;
    my $status = -1;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) { $status = $? >> 8; last }
        sleep 0.02;
    }
    if ($status == -1) { kill 'KILL', $pid; waitpid($pid, 0) }
    return ($status, slurp($out), slurp($err));
}

sub slurp {
    my ($path) = @_;
    open(my $fh, '<', $path) or return '';
    local $/;
    my $s = <$fh>;
    return $s // '';
}

sub free_port {
    for (1 .. 50) {
        my $port = 20000 + int(rand(40000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                      Proto => 'tcp', Listen => 1, ReuseAddr => 1);
        next unless $s;
        close $s;
        return $port;
    }
    die "no free port\n";
}

# ---- -V and -h ----------------------------------------------------------------

for my $flag ('-V', '--version') {
    my ($st, $out, $err) = run_cli($flag);
    is($st, 0, "$flag exits 0");
    like($out, qr/\Acashew \d+\.\d+\.\d+\n\z/, "$flag prints 'cashew x.y.z'");
    is($err, '', "$flag prints nothing on stderr");
}

{
    my ($st, $out, $err) = run_cli('-h');
    is($st, 0, '-h exits 0');
    is($err, '', '-h prints nothing on stderr');
    for my $long (qw(port udp-port unix-socket unix-mask enable-shutdown listen daemon
                     user memory-limit disable-evictions conn-limit verbose help version
                     pidfile slab-growth-factor slab-min-size threads max-reqs-per-event
                     disable-cas listen-backlog max-item-size disable-flush-all extended)) {
        like($out, qr/^-\w, --\Q$long\E\b/m, "-h lists --$long");
    }
    for my $sub (qw(hashpower slab_reassign slab_automove slab_chunk_max slab_sizes
                    lru_crawler lru_maintainer hot_lru_pct warm_lru_pct hot_max_factor
                    warm_max_factor temporary_ttl lru_crawler_sleep lru_crawler_tocrawl
                    idle_timeout worker_yield_us worker_spread)) {
        like($out, qr/^\s+- (\[no_\])?\Q$sub\E\b/m, "-h lists -o $sub");
    }
    like($out, qr/--listen.*?default: 127\.0\.0\.1/s, '-h says cashew listens on 127.0.0.1 by default');
    like($out, qr/--port.*\(default: 11211\)/, '-h shows the default port');
    like($out, qr/--memory-limit.*?\(default: 64\)/s, '-h shows the default memory limit');
    like($out, qr/--threads.*\(default: 4\)/, '-h shows the default thread count');
    like($out, qr/--conn-limit.*\(default: 1024\)/, '-h shows the default connection limit');
    my ($st2, $out2) = run_cli('--help');
    is($st2, 0, '--help exits 0');
    is($out2, $out, '--help prints the same text as -h');
}

# ---- bad command lines: exit 64 with a reason ---------------------------------

my @bad = (
    [['-Q'],                                 qr/invalid option/],
    [['--no-such-flag'],                     qr/unrecognized option/],
    [['-p'],                                 qr/requires an argument/],
    [['--port'],                             qr/requires an argument/],
    [['-p', 'abc'],                          qr/--port: bad value "abc"/],
    [['-p', '70000'],                        qr/--port: 70000 is out of range/],
    [['-U', '-1'],                           qr/--udp-port: bad value/],
    [['-t', '0'],                            qr/--threads: 0 is out of range/],
    [['-t', '1000'],                         qr/--threads: 1000 is out of range/],
    [['-c', '0'],                            qr/--conn-limit: 0 is out of range/],
    [['-R', '0'],                            qr/--max-reqs-per-event: 0 is out of range/],
    [['-f', '1'],                            qr/--slab-growth-factor: 1 is out of range \(must be > 1/],
    [['-f', '0.5'],                          qr/--slab-growth-factor: 0.5 is out of range/],
    [['-f', 'x'],                            qr/--slab-growth-factor: bad value "x"/],
    [['-I', '1000'],                         qr/--max-item-size: 1000 is out of range/],
    [['-I', '2g'],                           qr/--max-item-size: 2g is out of range/],
    [['-I', '64m', '-m', '64'],              qr/higher than 1\/2 of memory max/],
    [['-m', '0'],                            qr/--memory-limit: 0 is out of range/],
    [['-m', '64x'],                          qr/--memory-limit: bad value "64x"/],
    [['-n', '0'],                            qr/--slab-min-size: 0 is out of range/],
    [['-a', '9'],                            qr/--unix-mask: bad value "9"/],
    [['-l', ''],                             qr/--listen: empty argument/],
    [['stray'],                              qr/unexpected argument "stray"/],
    [['-o', 'bogus'],                        qr/illegal suboption "bogus"/],
    [['-o', 'no_hashpower'],                 qr/illegal suboption "no_hashpower"/],
    [['-o', 'hashpower'],                    qr/-o hashpower: missing argument/],
    [['-o', 'hashpower=99'],                 qr/-o hashpower: 99 is out of range/],
    [['-o', 'hashpower=x'],                  qr/-o hashpower: bad value "x"/],
    [['-o', 'slab_automove=3'],              qr/-o slab_automove: 3 is out of range/],
    [['-o', 'slab_sizes=300-200'],           qr/slab size 200 cannot be lower than or equal/],
    [['-o', 'hot_lru_pct=50,warm_lru_pct=40'], qr/cannot be more than 80% combined/],
    [['-o', 'no_lru_maintainer,temporary_ttl=10'], qr/temporary_ttl requires lru_maintainer/],
    [['-o', 'no_lru_crawler=1'],             qr/-o no_lru_crawler takes no value/],
    [['-o', 'lru_crawler_sleep=2000000'],    qr/-o lru_crawler_sleep: 2000000 is out of range/],
    [['-o', 'hot_max_factor=0'],             qr/-o hot_max_factor: 0 is out of range/],
    [['-o', 'worker_yield_us=1000001'],      qr/-o worker_yield_us: 1000001 is out of range/],
);
for my $case (@bad) {
    my ($args, $re) = @$case;
    my ($st, $out, $err) = run_cli(@as_user, @$args);
    my $name = join(' ', map { length $_ ? $_ : "''" } @$args);
    is($st, 64, "'$name' exits 64");
    like($err, $re, "'$name' says why");
    is($out, '', "'$name' prints nothing on stdout");
}

# ---- the root check -------------------------------------------------------------

if ($> == 0) {
    my ($st, $out, $err) = run_cli('-p', free_port());
    is($st, 64, 'root without -u exits 64');
    like($err, qr/can't run as root without the -u switch/, 'root without -u: memcached\'s message');
    ($st, $out, $err) = run_cli('-p', free_port(), '-u', 'no-such-user-cashew');
    is($st, 67, 'unknown -u user exits 67 (EX_NOUSER)');
    like($err, qr/can't find the user no-such-user-cashew to switch to/, 'unknown -u user: message');
}

# ---- -d and -P ------------------------------------------------------------------

# Alive and not a zombie (the daemon is re-parented, so we cannot reap it).
sub alive {
    my ($pid) = @_;
    return 0 unless kill(0, $pid);
    my $stat = slurp("/proc/$pid/stat");
    return $stat !~ /^\d+ \(.*\) Z/s;
}

sub wait_for {
    my ($cond, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return 0;
}

{
    my $port = free_port();
    my $pidfile = "$tmp/cashew.pid";
    my ($st, $out, $err) = run_cli(@as_user, '-d', '-P', $pidfile, '-p', $port, '-U', '0', '-t', '2');
    is($st, 0, '-d: the foreground process exits 0');
    ok(wait_for(sub { -s $pidfile }, 20), '-d -P writes the pid file');
    my ($pid) = slurp($pidfile) =~ /\A(\d+)\n\z/;
    ok(defined $pid && alive($pid), 'the pid file names a live process');
    my $s;
    ok(wait_for(sub { $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                                 Proto => 'tcp', Timeout => 2) }, 20),
       'the daemon accepts on its port');
    if ($s) {
        send_all($s, "version\r\n");
        like(read_line($s) // '', qr/\AVERSION \d+\.\d+\.\d+\r\n\z/, 'the daemon answers');
        send_all($s, "stats settings\r\n");
        my $settings = '';
        while (defined(my $l = read_line($s))) { last if $l eq "END\r\n"; $settings .= $l }
        like($settings, qr/^STAT inter 127\.0\.0\.1\r$/m, 'without -l it listens on 127.0.0.1');
        close $s;
    }
    # Bound to 127.0.0.1 only, not to every address: 127.0.0.2 is refused.
    my $other = IO::Socket::INET->new(PeerAddr => '127.0.0.2', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 2);
    ok(!$other, 'without -l nothing listens on 127.0.0.2');
    if (defined $pid) {
        kill 'TERM', $pid;
        ok(wait_for(sub { !alive($pid) }, 20), 'the daemon exits on SIGTERM');
        ok(wait_for(sub { !-e $pidfile }, 5), 'the pid file is removed at exit');
        kill 'KILL', $pid if alive($pid);
    }
}

# ---- ignored memcached -o options --------------------------------------------

{
    my $srv = CashewTest::Server->start('-v', '-o',
        'modern,no_modern,track_sizes,relaxed_privileges,watcher_logbuf_size=512,ext_path=/x:1G');
    my $s = $srv->sock;
    is_reply($s, "set k 0 0 1\r\nv\r\n", "STORED\r\n", 'runs with memcached-only -o options');
    like($srv->log_text, qr/ignoring memcached-only options: modern, no_modern, track_sizes, relaxed_privileges, watcher_logbuf_size, ext_path/,
         '-v notes the ignored -o options on stderr');
    $srv->stop;
}

# ---- stats settings reflect the flags -----------------------------------------

{
    my $srv = CashewTest::Server->start();
    my $st = $srv->stats('settings');
    my %want = (maxbytes => 67108864, maxconns => 1024, tcpport => $srv->port, udpport => 0,
                num_threads => 4, item_size_max => 1048576, evictions => 'on',
                cas_enabled => 'yes', growth_factor => '1.25', chunk_size => 48,
                tcp_backlog => 1024, reqs_per_event => 20, umask => 700,
                domain_socket => 'NULL', verbosity => 0, flush_enabled => 'yes',
                shutdown_command => 'no', lru_crawler => 'yes', lru_maintainer_thread => 'yes',
                slab_reassign => 'yes', slab_automove => 1, hot_lru_pct => 20,
                warm_lru_pct => 40, hot_max_factor => '0.20', warm_max_factor => '2.00',
                idle_timeout => 0, temp_lru => 'no', maxconns_fast => 'yes',
                worker_yield_us => 250, worker_spread => 'yes');
    is($st->{$_}, $want{$_}, "default: stats settings $_ = $want{$_}") for sort keys %want;
    $srv->stop;
}

{
    my $srv = CashewTest::Server->start('-m', '32', '-c', '77', '-t', '3', '-I', '2m',
        '-f', '1.5', '-n', '64', '-C', '-F', '-A', '-M', '-R', '7', '-b', '99', '-vv',
        '-o', 'hashpower=18,no_lru_crawler,temporary_ttl=30,slab_automove=2',
        '-o', 'hot_lru_pct=10,warm_lru_pct=30,idle_timeout=600,slab_chunk_max=256k',
        '-o', 'worker_yield_us=0,no_worker_spread');
    my $st = $srv->stats('settings');
    my %want = (maxbytes => 33554432, maxconns => 77, num_threads => 3,
                item_size_max => 2097152, growth_factor => '1.50', chunk_size => 64,
                cas_enabled => 'no', flush_enabled => 'no', shutdown_command => 'yes',
                evictions => 'off', reqs_per_event => 7, tcp_backlog => 99, verbosity => 2,
                hashpower_init => 18, lru_crawler => 'no', temp_lru => 'yes',
                temporary_ttl => 30, slab_automove => 2, hot_lru_pct => 10,
                warm_lru_pct => 30, idle_timeout => 600, slab_chunk_max => 262144,
                worker_yield_us => 0, worker_spread => 'no', inter => '127.0.0.1');
    is($st->{$_}, $want{$_}, "flags: stats settings $_ = $want{$_}") for sort keys %want;
    $srv->stop;
}

{
    my $srv = CashewTest::Server->start('--memory-limit=1g', '--conn-limit=300',
                                        '--threads=2', '--extended=no_slab_reassign');
    my $st = $srv->stats('settings');
    is($st->{maxbytes}, 1073741824, '-m 1g: maxbytes is one gigabyte');
    is($st->{maxconns}, 300, '--conn-limit=300');
    is($st->{num_threads}, 2, '--threads=2');
    is($st->{slab_reassign}, 'no', '--extended=no_slab_reassign');
    $srv->stop;
}

done_testing();
