package CashewTest;

# Harness for cashew's protocol tests (t/*.t).
#
# Every test starts the server under test itself, talks to it over TCP on
# 127.0.0.1 and stops it at the end.  The binary is $ENV{CASHEW_BIN}; the
# same tests run against stock memcached (CASHEW_BIN=/usr/bin/memcached),
# which is the oracle for every expected reply.
#
#   my $srv  = CashewTest::Server->start('-m', 64);   # extra flags
#   my $sock = $srv->sock;          # the first connection (IO::Socket::INET)
#   my $s2   = $srv->new_sock;      # one more connection
#   is_reply($sock, "version\r\n", "VERSION ...\r\n", 'name');
#   $srv->advance(3);               # debugtime 3 if the server has it, else sleep 3
#   my $st = $srv->stats('items', $sock);   # { 'items:1:number' => ... }
#   $srv->wait_exit(10);            # after `shutdown`: true once the process exited
#   $srv->stop;                     # adds 2 tests: still running (unless it exited
#                                   # via wait_exit) and no sanitizer report in its log
#   my ($status, $out) = run_bin('-V');     # run the binary with exactly these args
#
# start() adds -p PORT -l 127.0.0.1, plus -U 0 for memcached and -u nobody
# when run as root; extra flags go after them. Call stop() before
# done_testing (an END block only kills what is left).
# Readers keep a per-socket buffer, so mixing read_line/read_bytes/read_reply
# on one socket is fine; never mix them with <$sock> or sysread on it.

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use IO::Select;
use POSIX qw(:sys_wait_h);
use File::Basename qw(basename);
use File::Temp qw(tempfile);
use Time::HiRes qw(time sleep);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Test::More;

our @EXPORT = qw(send_all read_bytes read_line read_reply read_until_closed
                 read_expect is_reply is_bytes expect_closed esc
                 server_bin is_oracle ensure_fd_limit run_bin);

my $DEFAULT_TIMEOUT = $ENV{CASHEW_TEST_TIMEOUT} || 20;

sub server_bin {
    my $bin = $ENV{CASHEW_BIN};
    die "CASHEW_BIN is not set (path of the server binary to test)\n"
        unless defined $bin && length $bin;
    die "CASHEW_BIN=$bin is not an executable file\n" unless -x $bin;
    return $bin;
}

# True when the server under test is stock memcached (the oracle).
sub is_oracle {
    return basename(server_bin()) =~ /^memcached/ ? 1 : 0;
}

# Make sure this process may open at least $want descriptors; re-executes the
# test under `ulimit -n` when the soft limit is lower.
sub ensure_fd_limit {
    my ($want) = @_;
    my $have = POSIX::sysconf(POSIX::_SC_OPEN_MAX()) || 0;
    return 1 if $have >= $want;
    die "fd limit $have < $want even after raising it\n" if $ENV{CASHEW_FD_RAISED};
    $ENV{CASHEW_FD_RAISED} = 1;
    my @inc = map { "-I$_" } grep { !ref } @INC;
    exec('/bin/sh', '-c', 'ulimit -n "$0" 2>/dev/null || ulimit -n hard; exec "$@"',
         $want, $^X, @inc, $0, @ARGV) or die "exec: $!";
}

# Runs the server binary with @args (no defaults added) and waits up to
# $CashewTest::RUN_TIMEOUT seconds; returns (exit status as in $?, combined
# stdout+stderr). For -h, -V and bad-option tests. Status is -1 on timeout.
our $RUN_TIMEOUT = 20;
sub run_bin {
    my (@args) = @_;
    my $bin = server_bin();
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT);
        open(STDIN, '<', '/dev/null');
        exec($bin, @args) or POSIX::_exit(127);
    }
    my $out = '';
    my $status;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm $RUN_TIMEOUT;
        local $/;
        $out = <$fh> // '';
        close $fh;
        $status = $?;
        alarm 0;
    };
    if ($@) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $status = -1;
    }
    return ($status, $out);
}

# Printable form of a byte string for diagnostics.
sub esc {
    my ($s) = @_;
    return 'undef' unless defined $s;
    $s =~ s/([\\])/\\\\/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return $s;
}

sub _buf { my ($sock) = @_; my $r = \${*$sock}{'cashew_buf'}; $$r //= ''; return $r }

sub send_all {
    my ($sock, $data) = @_;
    my $off = 0;
    my $len = length $data;
    local $SIG{PIPE} = 'IGNORE';
    while ($off < $len) {
        my $n = syswrite($sock, $data, $len - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            if ($! == EAGAIN || $! == EWOULDBLOCK) {
                IO::Select->new($sock)->can_write(1);
                next;
            }
            return 0;
        }
        $off += $n;
    }
    return 1;
}

# Reads more bytes into the socket's buffer. Returns the count, 0 on EOF
# (or reset), undef on timeout.
sub _fill {
    my ($sock, $deadline) = @_;
    my $buf = _buf($sock);
    while (1) {
        my $left = $deadline - time;
        return undef if $left <= 0;
        my @r = IO::Select->new($sock)->can_read($left);
        next unless @r;
        my $n = sysread($sock, $$buf, 1 << 20, length $$buf);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            ${*$sock}{'cashew_eof'} = 1;
            return 0;
        }
        ${*$sock}{'cashew_eof'} = 1 if $n == 0;
        return $n;
    }
}

# Exactly $n bytes, or fewer on EOF/timeout.
sub read_bytes {
    my ($sock, $n, $timeout) = @_;
    my $deadline = time + ($timeout // $DEFAULT_TIMEOUT);
    my $buf = _buf($sock);
    while (length $$buf < $n) {
        my $r = _fill($sock, $deadline);
        last unless $r;
    }
    return substr($$buf, 0, $n < length $$buf ? $n : length $$buf, '');
}

# One line including its "\n"; undef on EOF/timeout before a full line.
sub read_line {
    my ($sock, $timeout) = @_;
    my $deadline = time + ($timeout // $DEFAULT_TIMEOUT);
    my $buf = _buf($sock);
    while (1) {
        my $i = index($$buf, "\n");
        return substr($$buf, 0, $i + 1, '') if $i >= 0;
        my $r = _fill($sock, $deadline);
        return undef unless $r;
    }
}

# One complete reply, shaped by its first line: VALUE blocks up to END,
# STAT lines up to END, or a single line. Returns the raw bytes (partial on
# EOF/timeout).
sub read_reply {
    my ($sock, $timeout) = @_;
    my $out = '';
    while (1) {
        my $line = read_line($sock, $timeout);
        return $out unless defined $line;
        $out .= $line;
        if ($line =~ /^VALUE \S+ \d+ (\d+)/) {
            $out .= read_bytes($sock, $1 + 2, $timeout);
            next;
        }
        next if $line =~ /^(STAT|ITEM|CONFIG) /;
        return $out;
    }
}

# Reads until the server closes the connection (or timeout); returns
# (data, closed).
sub read_until_closed {
    my ($sock, $timeout) = @_;
    my $deadline = time + ($timeout // $DEFAULT_TIMEOUT);
    my $buf = _buf($sock);
    while (1) {
        my $r = _fill($sock, $deadline);
        if (!defined $r) { my $d = $$buf; $$buf = ''; return ($d, 0) }
        if ($r == 0)     { my $d = $$buf; $$buf = ''; return ($d, 1) }
    }
}

# Reads as many bytes as $expected has, stopping early (after a short grace
# period for the rest of a wrong reply) as soon as the bytes diverge.
sub read_expect {
    my ($sock, $expected, $timeout) = @_;
    my $deadline = time + ($timeout // $DEFAULT_TIMEOUT);
    my $buf = _buf($sock);
    my $want = length $expected;
    my $diverged = 0;
    while (1) {
        my $have = length $$buf;
        my $prefix = $have >= $want ? $want : $have;
        if (!$diverged && substr($$buf, 0, $prefix) ne substr($expected, 0, $prefix)) {
            # wrong reply: collect what else comes for a moment, return it all
            $diverged = 1;
            my $grace = time + 0.3;
            $deadline = $grace if $grace < $deadline;
        }
        return substr($$buf, 0, $want, '') if !$diverged && $have >= $want;
        my $r = _fill($sock, $deadline);
        if (!$r) {
            my $d = $$buf;
            $$buf = '';
            return $d;
        }
    }
}

# Like Test::More::is for (possibly huge, binary) byte strings: on failure it
# prints lengths and the escaped neighbourhood of the first difference.
sub is_bytes {
    my ($got, $exp, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (defined $got && $got eq $exp) {
        return ok(1, $name);
    }
    ok(0, $name);
    $got //= '';
    my $i = 0;
    my $max = length($got) < length($exp) ? length($got) : length($exp);
    $i++ while $i < $max && substr($got, $i, 1) eq substr($exp, $i, 1);
    my $from = $i > 60 ? $i - 60 : 0;
    diag(sprintf("lengths: got %d, expected %d; first difference at byte %d",
                 length $got, length $exp, $i));
    diag('     got: ' . esc(substr($got, $from, 160)) . (length($got) > $from + 160 ? '...' : ''));
    diag('expected: ' . esc(substr($exp, $from, 160)) . (length($exp) > $from + 160 ? '...' : ''));
    return 0;
}

# Sends $request and checks that the next bytes on the connection are exactly
# $expected.
sub is_reply {
    my ($sock, $request, $expected, $name, $timeout) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $name //= esc(length $request > 60 ? substr($request, 0, 60) . '...' : $request);
    send_all($sock, $request) if defined $request && length $request;
    return is_bytes(read_expect($sock, $expected, $timeout), $expected, $name);
}

# True when the server closes the connection within $timeout seconds; any
# bytes it still sent are returned as the second value.
sub expect_closed {
    my ($sock, $timeout) = @_;
    my ($data, $closed) = read_until_closed($sock, $timeout // 5);
    return wantarray ? ($closed, $data) : $closed;
}

package CashewTest::Server;

use strict;
use warnings;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use File::Basename qw(basename);
use File::Temp qw(tempfile);
use Time::HiRes qw(time sleep);
use Test::More;

my @LIVE;

sub _port_free {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

sub _connect {
    my ($port) = @_;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 5);
}

# Starts the server with the standard flags plus @extra; retries on another
# port when the chosen one turns out to be busy. Dies when it cannot start.
sub start {
    my ($class, @extra) = @_;
    my $bin = CashewTest::server_bin();
    my $last_err = '';
    for my $try (1 .. 8) {
        # below the ephemeral range; mixed with the pid and clock, since tests may srand()
        my $port = 20000 + ($$ * 7919 + int(time * 1000) + int(rand(12000))) % 12000;
        next unless _port_free($port);
        my $self = bless { bin => $bin, port => $port, extra => [@extra], owner => $$ }, $class;
        my $ok = $self->_spawn;
        return $self if $ok;
        $last_err = $self->{start_error} // '';
    }
    die "could not start $bin @extra: $last_err\n";
}

sub _args {
    my ($self) = @_;
    my @args = ('-p', $self->{port}, '-l', '127.0.0.1');
    push @args, '-U', '0' if CashewTest::is_oracle();
    push @args, '-u', 'nobody' if $> == 0;
    return (@args, @{ $self->{extra} });
}

sub _spawn {
    my ($self) = @_;
    my ($fh, $log) = tempfile('cashew-test-XXXXXX', SUFFIX => '.log', TMPDIR => 1);
    close $fh;
    chmod 0666, $log;
    $self->{log} = $log;
    my @cmd = ($self->{bin}, $self->_args);
    $self->{cmd} = "@cmd";
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', $log);
        open(STDERR, '>>', $log);
        exec(@cmd) or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    push @LIVE, $self;
    my $deadline = time + ($ENV{CASHEW_START_TIMEOUT} || 60);
    while (time < $deadline) {
        if (!$self->alive) {
            $self->{start_error} = "exited with status $self->{exited} at start: " . $self->log_text;
            @LIVE = grep { $_ != $self } @LIVE;
            unlink $log;
            return 0;
        }
        my $s = _connect($self->{port});
        if ($s) {
            if (CashewTest::send_all($s, "version\r\n")) {
                my $line = CashewTest::read_line($s, 10);
                # make sure the answer came from our process, not from
                # another test's server that got the port first
                sleep 0.05;
                if (defined $line && $line =~ /^VERSION / && $self->alive) {
                    $self->{version} = $line;
                    $self->{sock} = $s;
                    return 1;
                }
            }
            close $s;
        }
        sleep 0.05;
    }
    $self->{start_error} = "no answer on port $self->{port}: " . $self->log_text;
    $self->_kill;
    return 0;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }
sub bin  { $_[0]{bin} }
sub cmd  { $_[0]{cmd} }

# The first connection, opened while waiting for the server to answer.
sub sock {
    my ($self) = @_;
    $self->{sock} //= $self->new_sock;
    return $self->{sock};
}

# A new connection; dies when the server does not accept it.
sub new_sock {
    my ($self) = @_;
    my $s = _connect($self->{port}) or die "connect to port $self->{port}: $!\n";
    return $s;
}

sub log_text {
    my ($self) = @_;
    open(my $fh, '<', $self->{log}) or return '';
    local $/;
    my $t = <$fh>;
    return $t // '';
}

sub alive {
    my ($self) = @_;
    return 0 if defined $self->{exited};
    if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
        $self->{exited} = $?;
        return 0;
    }
    return 1;
}

# True when the server has the cashew-debug command `debugtime`; it is
# expected of every cashew-debug* binary and absent from memcached.
sub has_debugtime {
    my ($self) = @_;
    return $self->{debugtime} if defined $self->{debugtime};
    my $s = $self->new_sock;
    CashewTest::send_all($s, "debugtime 0\r\n");
    my $line = CashewTest::read_line($s, 10) // '';
    close $s;
    $self->{debugtime} = $line eq "OK\r\n" ? 1 : 0;
    if (basename($self->{bin}) =~ /^cashew-debug/ && !$self->{debugtime}) {
        ok(0, 'cashew-debug binaries answer "debugtime 0" with OK');
        diag('got: ' . CashewTest::esc($line));
    }
    return $self->{debugtime};
}

# Moves the server's clock $secs seconds forward: `debugtime` where the
# server has it, otherwise (memcached) a real sleep of that long.
sub advance {
    my ($self, $secs) = @_;
    if ($self->has_debugtime) {
        my $s = $self->new_sock;
        CashewTest::send_all($s, "debugtime $secs\r\n");
        my $line = CashewTest::read_line($s, 10) // '';
        close $s;
        die "debugtime $secs answered " . CashewTest::esc($line) . "\n" unless $line eq "OK\r\n";
        return;
    }
    sleep $secs;
}

# Parses `stats [sub]` into a hash (STAT name value).
sub stats {
    my ($self, $sub, $sock) = @_;
    $sock //= $self->new_sock;
    my $cmd = defined $sub && length $sub ? "stats $sub\r\n" : "stats\r\n";
    CashewTest::send_all($sock, $cmd);
    my %h;
    while (1) {
        my $line = CashewTest::read_line($sock, 10);
        last unless defined $line;
        last if $line eq "END\r\n";
        if ($line =~ /^STAT (\S+) ?(.*)\r\n\z/) { $h{$1} = $2; next }
        $h{'__bad_line'} = $line;
        last;
    }
    return \%h;
}

sub _kill {
    my ($self) = @_;
    return if defined $self->{exited};
    # SIGINT: both memcached and cashew exit cleanly on it, so LeakSanitizer
    # gets to run at exit in the ASAN build; TERM, then KILL if it hangs.
    for my $step (['INT', 15], ['TERM', 10]) {
        my ($sig, $wait) = @$step;
        kill $sig, $self->{pid};
        my $deadline = time + $wait;
        while (time < $deadline) {
            if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
                $self->{exited} = $?;
                last;
            }
            sleep 0.02;
        }
        last if defined $self->{exited};
        diag("server pid $self->{pid} ignored SIG$sig for $wait s");
    }
    if (!defined $self->{exited}) {
        kill 'KILL', $self->{pid};
        waitpid($self->{pid}, 0);
        $self->{exited} = $?;
    }
    @LIVE = grep { $_ != $self } @LIVE;
}

# Waits up to $timeout seconds for the server to exit by itself (after
# `shutdown`); true when it did. stop() then skips its "still running" test.
sub wait_exit {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // 20);
    while (time < $deadline) {
        if (!$self->alive) {
            $self->{expected_exit} = 1;
            @LIVE = grep { $_ != $self } @LIVE;
            return 1;
        }
        sleep 0.05;
    }
    return 0;
}

my $SANITIZER_RE = qr/ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer: reported/;

# Stops the server. Adds two tests: the server was still running (did not
# crash during the test), and its stderr log has no sanitizer report.
sub stop {
    my ($self) = @_;
    return if $self->{stopped}++;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    close $self->{sock} if $self->{sock};
    if (!$self->{expected_exit}) {
        my $was_alive = $self->alive;
        ok($was_alive, 'server still running at the end of the test')
            or diag("server exit status $self->{exited}; log:\n" . $self->log_text);
    }
    $self->_kill;
    my $log = $self->log_text;
    my $clean = $log !~ $SANITIZER_RE;
    ok($clean, 'no sanitizer report in the server log')
        or diag("server log ($self->{log}):\n" . substr($log, 0, 20000));
    unlink $self->{log} if $clean && !$ENV{CASHEW_KEEP_LOGS};
}

END {
    for my $srv (@LIVE) {
        next unless $srv->{owner} == $$;   # not in forked children
        $srv->_kill;
    }
}

1;
