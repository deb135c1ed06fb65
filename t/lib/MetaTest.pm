package MetaTest;

# Helpers for the meta protocol tests (t/meta*.t), on top of CashewTest.
#
#   my ($line, $data) = meta_read($sock);     # one reply: header line (with
#                                             # "\r\n"), and for VA the data
#                                             # block with its "\r\n" (else undef)
#   my $all = meta_req($sock, "mg k v\r\n");  # send + one reply, as one string
#   my @cap = like_meta($sock, "mg k t\r\n", qr/^HD t(\d+)\r\n\z/, 'name');
#   my $v = meta_flag("HD c12 t-1\r\n", 'c');   # '12' (undef when absent)
#   my $cas = mg_cas($sock, 'key');           # c of "mg key c", undef on a miss
#   my $cas = gets_cas($sock, 'key');         # cas of text "gets key"
#   oracle_lacks('E flag') ...                # true (and a note) on memcached
#                                             # for features newer than 1.6.18
#
# Every read has a short timeout (MetaTest::TIMEOUT seconds) so that a server
# that stays silent where a reply is due fails fast instead of hanging.

use strict;
use warnings;
use Exporter 'import';
use Test::More;
use CashewTest;

our @EXPORT = qw(meta_read meta_req like_meta meta_flag mg_cas gets_cas
                 oracle_lacks is_meta);

our $TIMEOUT = 5;

sub meta_read {
    my ($sock, $timeout) = @_;
    $timeout //= $TIMEOUT;
    my $line = read_line($sock, $timeout);
    return (undef, undef) unless defined $line;
    if ($line =~ /^VA (\d+)/) {
        my $data = read_bytes($sock, $1 + 2, $timeout);
        return ($line, $data);
    }
    return ($line, undef);
}

sub meta_req {
    my ($sock, $request) = @_;
    send_all($sock, $request) if defined $request && length $request;
    my ($line, $data) = meta_read($sock);
    return undef unless defined $line;
    return $line . ($data // '');
}

# is_reply with the short timeout.
sub is_meta {
    my ($sock, $request, $expected, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return is_reply($sock, $request, $expected, $name, $TIMEOUT);
}

# Sends $request, reads ONE meta reply and matches it against $re; returns
# the captures (an empty list on failure).
sub like_meta {
    my ($sock, $request, $re, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $got = meta_req($sock, $request);
    if (defined $got && (my @cap = $got =~ $re)) {
        ok(1, $name);
        return @cap;
    }
    ok(0, $name);
    diag('     got: ' . esc($got));
    diag("expected: $re");
    return ();
}

# Token of return flag $c in a reply header line (after the code, and after
# the length for VA); undef when absent.
sub meta_flag {
    my ($line, $c) = @_;
    return undef unless defined $line;
    $line =~ s/\r\n\z//;
    my @tok = split / /, $line;
    shift @tok;
    shift @tok if @tok && $line =~ /^VA /;
    for my $t (@tok) {
        return substr($t, 1) if substr($t, 0, 1) eq $c;
    }
    return undef;
}

sub mg_cas {
    my ($sock, $key) = @_;
    my $r = meta_req($sock, "mg $key c\r\n");
    return undef unless defined $r && $r =~ /^HD /;
    return meta_flag($r, 'c');
}

sub gets_cas {
    my ($sock, $key) = @_;
    send_all($sock, "gets $key\r\n");
    my $r = read_reply($sock, $TIMEOUT);
    return $r =~ /^VALUE \S+ \d+ \d+ (\d+)\r\n/ ? $1 : undef;
}

# For features that memcached 1.6.18 does not have (it is older than the
# meta protocol the issue asks for): true on the oracle, with a note that
# the part is skipped there. Never true on cashew.
sub oracle_lacks {
    my ($what) = @_;
    return 0 unless is_oracle();
    note("memcached 1.6.18 lacks $what: that part runs on cashew only");
    return 1;
}

1;
