#!/usr/bin/perl
# Worker spread (-o worker_spread, on by default): two workers that both
# have work all the time and find themselves on one CPU while another
# allowed CPU has no worker move apart; the kernel sees two runnable
# threads per CPU as balanced and may leave them that way. The test puts
# both workers of a loaded server on one CPU again and again until the -v
# log shows a move; with -o worker_spread=no there must be none.
# Also: the threads carry names (top -H, /proc/PID/task/*/comm).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CashewTest;

my $bin = CashewTest::server_bin();
plan skip_all => "worker_spread is cashew's own, not in $bin" if is_oracle();

sub allowed_cpus {
    open(my $fh, '<', '/proc/self/status') or return ();
    my ($list) = map { /^Cpus_allowed_list:\s*(\S+)/ ? $1 : () } <$fh>;
    return () unless defined $list;
    return map { /^(\d+)-(\d+)$/ ? ($1 .. $2) : ($_) } split /,/, $list;
}
my @cpus = allowed_cpus();
plan skip_all => 'worker_spread needs two CPUs; this process may use ' . scalar(@cpus)
    if @cpus < 2;
plan skip_all => 'needs taskset (util-linux)'
    unless system('sh', '-c', 'command -v taskset >/dev/null') == 0;
my ($cpu_a, $cpu_b) = @cpus[0, 1];
my $pair = "$cpu_a,$cpu_b";

my $builddir = $ENV{CASHEW_BUILDDIR} // '.';
my $loadgen = "$builddir/bench/cashew-loadgen";
ok(-x $loadgen, "loadgen built at $loadgen") or BAIL_OUT('build bench/cashew-loadgen first');

sub tasks_named {
    my ($pid, $name) = @_;
    my @tids;
    for my $dir (glob "/proc/$pid/task/*") {
        open(my $fh, '<', "$dir/comm") or next;
        my $comm = <$fh> // '';
        chomp $comm;
        push @tids, ($dir =~ m{/(\d+)$})[0] if $comm eq $name;
    }
    return @tids;
}

sub taskset {
    my @args = @_;
    return system('sh', '-c', 'exec taskset "$@" >/dev/null', 'taskset', @args) == 0;
}

my $MOVED = qr/^worker \d: moved from CPU $cpu_a, where another worker was busy too, to CPU $cpu_b$/m;

my $lg; # the running loadgen's pid
END { kill 'KILL', $lg if $lg }

# Runs the meta workload on a server of `threads` workers kept on CPUs a
# and b and puts all workers on CPU a every 100 ms, at least once and until
# a move shows in the -v log or `seconds` have passed. Returns the log.
sub crowd_workers {
    my ($seconds, $threads, @flags) = @_;
    my $srv = CashewTest::Server->start('-t', $threads, '-v', @flags);
    my @workers = tasks_named($srv->pid, 'cashew-worker');
    is(scalar @workers, $threads, "the $threads workers are named cashew-worker");
    ok(taskset('-a', '-p', '-c', $pair, $srv->pid), "server kept on CPUs $pair");
    $lg = fork() // die "fork: $!";
    if ($lg == 0) {
        open(STDOUT, '>', '/dev/null');
        exec('taskset', '-c', $pair, $loadgen, '-s', '127.0.0.1:' . $srv->port, '-q',
             qw(--proto meta -t 2 -c 4 -d 8 -r 1:10 -v 100 -k 5000 --no-verify),
             '-D', $seconds + 5)
            or POSIX::_exit(127);
    }
    sleep 0.2;
    my ($tries, $crowded) = (0, 0);
    my $deadline = time + $seconds;
    while ($tries == 0 || (time < $deadline && $srv->log_text !~ $MOVED)) {
        my $ok = 1;
        for my $tid (@workers) {
            $ok &&= taskset('-p', '-c', $cpu_a, $tid) && taskset('-p', '-c', $pair, $tid);
        }
        $tries++;
        $crowded += $ok;
        sleep 0.1;
    }
    is($crowded, $tries, "every attempt to put all workers on CPU $cpu_a worked ($tries)");
    kill 'TERM', $lg;
    waitpid($lg, 0);
    $lg = undef;
    my $log = $srv->log_text;
    $srv->stop;
    return $log;
}

{
    my $log = crowd_workers(15, 2);
    like($log, $MOVED, 'crowded workers moved apart') or diag($log =~ /(.{0,2000})\z/s);
}
{
    my $log = crowd_workers(2, 2, '-o', 'worker_spread=no');
    unlike($log, qr/moved from CPU/, 'with -o worker_spread=no no worker moves');
}
{
    my $log = crowd_workers(2, 3);
    unlike($log, qr/moved from CPU/, 'three workers on two CPUs: no worker moves');
}
{
    my $srv = CashewTest::Server->start('-t', '1');
    my %names = map { $_ => 1 } map { tasks_named($srv->pid, $_) ? ($_) : () }
        qw(cashew-worker cashew-lru cashew-crawler cashew-hash cashew-mover);
    is_deeply([sort keys %names], [sort qw(cashew-worker cashew-lru cashew-crawler cashew-hash cashew-mover)],
              'worker, LRU maintainer, crawler, hash expander and slab mover threads are named');
    $srv->stop;
}

done_testing;
