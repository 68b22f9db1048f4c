#!/usr/bin/perl
# DomainKeys (RFC 4870) interop between signet and Mail::DKIM, both ways.
#
#   Mail::DKIM signs (Mail::DKIM::Signer + Mail::DKIM::DkSignature; c=nofws
#   and c=simple; with and without h=)  ->  `signet verify --json`
#   `signet sign --domainkeys`          ->  Mail::DKIM::Verifier
# plus the negative cases (tampered body and header, revoked key, missing key,
# wrong domain, granularity), messages with awkward white space and folding, a
# Sender header, Received headers above From, empty bodies, and DKIM and
# DomainKeys signatures on one message.
#
# Keys are made with openssl (never with the code under test). They are
# served to Mail::DKIM by a resolver object handed to Mail::DKIM::DNS, and to
# signet by an unbound configuration file (local-zone static + local-data)
# given with --resolver-conf; no network is used.
#
# usage: domainkeys_interop.pl --signet PATH [--keep] [--verbose]
# Prints one line per check and, last, "domainkeys interop: N passed, M failed";
# exits non-zero when a check failed.
use strict;
use warnings;

use File::Temp qw(tempdir);
use Getopt::Long;
use JSON::PP;
use MIME::Base64;
use Mail::DKIM::DkSignature;
use Mail::DKIM::DNS;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Net::DNS;

my ($signet, $keep, $verbose);
GetOptions('signet=s' => \$signet, 'keep' => \$keep, 'verbose' => \$verbose)
  and $signet
  or die "usage: $0 --signet PATH [--keep] [--verbose]\n";
-x $signet or die "$0: $signet is not executable\n";

my $DOMAIN = 'example.com';
my $work = tempdir('signet-dk-interop-XXXXXX', TMPDIR => 1, CLEANUP => !$keep);
print "# work directory: $work\n" if $keep || $verbose;

# --- keys and DNS ---------------------------------------------------------

my %zone;    # owner name (lower case, no final dot) => TXT text

sub run_quiet {
    my @command = @_;
    system(@command) == 0 or die "@command failed\n";
}

# An RSA key made by openssl, in PKCS#1 PEM (what Mail::DKIM::PrivateKey
# reads and signet accepts); returns the PEM path and the base64 p= value.
sub make_key {
    my ($name) = @_;
    my $pem = "$work/$name.pem";
    run_quiet('openssl', 'genrsa', '-traditional', '-out', $pem, '1024');
    chmod 0600, $pem;
    my $der = `openssl rsa -in '$pem' -pubout -outform DER 2>/dev/null`;
    die "cannot read the public key of $pem\n" unless length $der;
    return ($pem, encode_base64($der, ''));
}

sub publish { my ($selector, $text) = @_; $zone{"$selector._domainkey.$DOMAIN"} = $text; }

my %key;    # selector => PEM path
for my $selector (qw(sel revoked missing testing gran shared)) {
    my ($pem, $p) = make_key($selector);
    $key{$selector} = $pem;
    publish($selector, "k=rsa; p=$p") if $selector eq 'sel';
    publish($selector, 'k=rsa; p=') if $selector eq 'revoked';
    publish($selector, "k=rsa; t=y; p=$p") if $selector eq 'testing';
    publish($selector, "k=rsa; g=alice; n=only alice; p=$p") if $selector eq 'gran';
    publish($selector, "v=DKIM1; k=rsa; p=$p") if $selector eq 'shared';
}

# The unbound configuration signet reads: TXT texts cut into strings of at
# most 255 bytes.
my $unbound_conf = "$work/unbound.conf";
{
    open my $conf, '>', $unbound_conf or die "$unbound_conf: $!\n";
    print $conf "server:\n  local-zone: \"$DOMAIN.\" static\n";
    for my $name (sort keys %zone) {
        my $text = $zone{$name};
        my @strings = $text eq '' ? ('') : ($text =~ /(.{1,255})/gs);
        print $conf "  local-data: '$name. 3600 IN TXT " . join(' ', map { "\"$_\"" } @strings) . "'\n";
    }
    close $conf;
}

# The resolver Mail::DKIM::DNS uses: answers from %zone, NXDOMAIN otherwise.
{
    package InteropResolver;
    sub new { my ($class, $zone) = @_; return bless { zone => $zone }, $class }
    sub errorstring { return 'NOERROR' }
    sub send {
        my ($self, $name, $type) = @_;
        my $packet = Net::DNS::Packet->new($name, $type, 'IN');
        (my $owner = lc $name) =~ s/\.\z//;
        my $text = $self->{zone}{$owner};
        if (defined $text && uc($type) eq 'TXT') {
            my @strings = $text eq '' ? ('') : ($text =~ /(.{1,255})/gs);
            $packet->push(answer => Net::DNS::RR->new(name => $owner, type => 'TXT', txtdata => [@strings]));
        } else {
            $packet->header->rcode('NXDOMAIN');
        }
        return $packet;
    }
}
Mail::DKIM::DNS::resolver(InteropResolver->new(\%zone));

# --- messages -------------------------------------------------------------

sub crlf { my ($text) = @_; $text =~ s/\r?\n/\r\n/g; return $text; }

my %message = (
    plain => crlf(<<'EOF'),
From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: DomainKeys interop
Date: Mon, 1 Jan 2024 10:00:00 +0000
Message-ID: <dk-plain@example.com>

Hello Bob,

a plain message.
EOF
    # Folding with tabs, runs of white space, white space at line ends, lines
    # of white space only, trailing empty lines, a tab inside a word.
    awkward => crlf("From:   \"Alice  Q.\"   <alice\@example.com> (the sender)  \n"
          . "To: Bob <bob\@example.net>,\n\t  Carol <carol\@example.net>\n"
          . "Subject:   folded\n \t  across   three\n\t lines   \n"
          . "X-Spaces:\t \t\n"
          . "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
          . "\n"
          . "  indented line  \n"
          . "tab\there\t\n"
          . "   \n"
          . "\t\n"
          . "last  line\n"
          . "\n"
          . "  \n"
          . "\n"),
    # The Sender header gives the sending address, not From.
    sender => crlf(<<'EOF'),
From: Alice <alice@example.org>
Sender: Secretary <secretary@example.com>
To: Bob <bob@example.net>
Subject: sent on behalf
Date: Mon, 1 Jan 2024 10:00:00 +0000

Sent by the secretary.
EOF
    # Trace headers above From (as a queue program sees them), and a name
    # that occurs both above and below From.
    received => crlf(<<'EOF'),
Received: from client.example.net (client.example.net [192.0.2.1])
	by mx.example.com with ESMTP; Mon, 1 Jan 2024 10:00:01 +0000
Received: (qmail 1234 invoked by uid 89); 1 Jan 2024 10:00:00 -0000
X-Trace: above
From: Alice <alice@example.com>
To: Bob <bob@example.net>
X-Trace: below
Subject: with trace headers
Date: Mon, 1 Jan 2024 10:00:00 +0000

Body.
EOF
    empty_body => crlf(<<'EOF'),
From: alice@example.com
To: bob@example.net
Subject: nothing inside

EOF
    blank_body => crlf("From: alice\@example.com\nTo: bob\@example.net\nSubject: blank lines only\n\n\n\n \n\n"),
    no_final_newline => crlf("From: alice\@example.com\nTo: bob\@example.net\nSubject: unterminated\n\nline one\n")
      . "last line without newline",
    bob => crlf(<<'EOF'),
From: Bob <bob@example.com>
To: Alice <alice@example.net>
Subject: from bob

Hi.
EOF
    other_domain => crlf(<<'EOF'),
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: not from example.com

Hi.
EOF
);

# --- the two sides ----------------------------------------------------------

sub write_file {
    my ($path, $data) = @_;
    open my $fh, '>:raw', $path or die "$path: $!\n";
    print $fh $data;
    close $fh;
}

# Runs signet with `input` on standard input; returns (exit code, stdout).
my $runs = 0;
sub run_signet {
    my ($input, @args) = @_;
    my $in = "$work/in." . ++$runs;
    write_file($in, $input);
    my $pid = open(my $out, '-|');
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<:raw', $in or die "$in: $!\n";
        open STDERR, '>', '/dev/null' unless $verbose;
        exec $signet, @args or die "exec $signet: $!\n";
    }
    local $/;
    binmode $out;
    my $text = <$out> // '';
    close $out;
    return ($? >> 8, $text);
}

sub signet_sign {
    my ($text, $selector, $canon, @extra) = @_;
    return run_signet($text, 'sign', '--domain', $DOMAIN, '--selector', $selector, '--key', $key{$selector},
        '--domainkeys', '--dk-canonicalization', $canon, @extra);
}

# signet's results for a message: list of hashes from --json.
sub signet_verify {
    my ($text) = @_;
    my ($code, $out) = run_signet($text, 'verify', '--resolver-conf', $unbound_conf, '--json');
    my @results = map { decode_json($_) } grep { /\S/ } split /\n/, $out;
    return @results;
}

sub signet_status_header {
    my ($text) = @_;
    my ($code, $out) = run_signet($text, 'verify', '--resolver-conf', $unbound_conf, '--domainkey-status');
    return $out =~ /^DomainKey-Status: ([^\r\n]*)/m ? $1 : '(none)';
}

# Mail::DKIM signs with a DomainKey-Signature; returns the signed message.
sub perl_sign {
    my ($text, %o) = @_;
    my $private = Mail::DKIM::PrivateKey->load(File => $key{ $o{selector} });
    my $signer = Mail::DKIM::Signer->new(
        Key    => $private,
        Policy => sub {
            my $dkim = shift;
            $dkim->add_signature(Mail::DKIM::DkSignature->new(
                Algorithm => 'rsa-sha1',
                Method    => $o{method},
                Headers   => $o{headers},
                Domain    => $o{domain} // $DOMAIN,
                Selector  => $o{selector},
                Key       => $private,
            ));
            return;
        },
    );
    $signer->PRINT($text);
    $signer->CLOSE;
    my $field = $signer->signature->as_string;
    $field =~ s/\r?\n/\r\n/g;
    return "$field\r\n$text";
}

# Mail::DKIM's results: list of [method, result, detail].
sub perl_verify {
    my ($text) = @_;
    my $dkim = Mail::DKIM::Verifier->new();
    $dkim->PRINT($text);
    $dkim->CLOSE;
    return map {
        [ ref($_) eq 'Mail::DKIM::DkSignature' ? 'domainkeys' : 'dkim', $_->result // '', $_->result_detail // '' ]
    } $dkim->signatures;
}

# --- checks -------------------------------------------------------------------

my ($passed, $failed) = (0, 0);
sub check {
    my ($ok, $name, $detail) = @_;
    if ($ok) { $passed++; print "ok - $name\n"; }
    else { $failed++; print "not ok - $name" . (defined $detail ? " ($detail)" : '') . "\n"; }
}

sub signet_dk {
    my ($text) = @_;
    my @dk = grep { $_->{method} eq 'domainkeys' } signet_verify($text);
    return @dk ? $dk[0] : { result => 'none', reason => 'no domainkeys result' };
}

sub perl_dk {
    my ($text) = @_;
    my @dk = grep { $_->[0] eq 'domainkeys' } perl_verify($text);
    return @dk ? $dk[0] : [ 'domainkeys', 'none', 'no domainkeys result' ];
}

sub expect_signet {
    my ($name, $text, $want, %o) = @_;
    my $r = signet_dk($text);
    my $ok = $r->{result} eq $want;
    $ok &&= ($r->{reason} // '') =~ $o{reason} if $o{reason};
    $ok &&= ($r->{identity} // '') eq $o{identity} if $o{identity};
    check($ok, "signet verifies $name: $want", "got $r->{result}: " . ($r->{reason} // ''));
}

sub expect_perl {
    my ($name, $text, $want, %o) = @_;
    my $r = perl_dk($text);
    my $ok = $r->[1] eq $want;
    $ok &&= $r->[2] =~ $o{detail} if $o{detail};
    check($ok, "Mail::DKIM verifies $name: $want", "got $r->[1]: $r->[2]");
}

# (When there is nothing to tamper with, the message comes back unchanged and
# the check that expects a failure reports it.)
sub tamper_body { my ($t) = @_; $t =~ s/(\r\n\r\n.*?)([A-Za-z])/$1 . ($2 eq 'X' ? 'Y' : 'X')/se; return $t; }
sub tamper_header { my ($t) = @_; $t =~ s/^(Subject:[^\r]*)/$1 tampered/m; return $t; }
# White space changes that nofws ignores and simple does not.
sub respace {
    my ($t) = @_;
    $t =~ s/^(Subject:)/$1  /m;
    $t =~ s/^(To:[^\r]*)/$1 \t/m;
    my $at = index($t, "\r\n\r\n");
    substr($t, $at + 4) =~ s/ /  /g;
    substr($t, $at + 4) =~ s/\r\n\z/ \r\n\r\n\r\n/;
    return $t;
}

sub run_checks {
# 1. Mail::DKIM signs, signet verifies.
my %headers_for = (plain => 'From:To:Subject:Date:Message-ID', sender => 'From:Sender:To:Subject',
    received => 'From:To:Subject', awkward => 'From:To:Subject:Date');
for my $method (qw(nofws simple)) {
    for my $name (sort keys %message) {
        next if $name eq 'other_domain';
        my $signed = perl_sign($message{$name}, method => $method, selector => 'sel');
        my $identity = $name eq 'sender' ? 'secretary@example.com' : $name eq 'bob' ? 'bob@example.com' : 'alice@example.com';
        expect_signet("Mail::DKIM $method/$name", $signed, 'pass', identity => $identity);
        next unless $headers_for{$name};
        my $with_h = perl_sign($message{$name}, method => $method, selector => 'sel', headers => $headers_for{$name});
        check($with_h =~ /^DomainKey-Signature:[^\r]*(?:\r\n[ \t][^\r]*)*\bh=/, "Mail::DKIM $method/$name carries h=");
        expect_signet("Mail::DKIM $method/$name with h=", $with_h, 'pass');
        expect_signet("Mail::DKIM $method/$name with h=, unsigned header added",
            "X-Added: later\r\n" . substr($with_h, 0, index($with_h, "\r\n\r\n")) . "\r\nX-Added: inside"
              . substr($with_h, index($with_h, "\r\n\r\n")), 'pass');
    }
}

# 2. signet signs, Mail::DKIM verifies (and signet verifies its own).
for my $canon (qw(nofws simple)) {
    for my $name (sort keys %message) {
        next if $name eq 'other_domain';
        my ($code, $signed) = signet_sign($message{$name}, 'sel', $canon, '--no-dkim');
        check($code == 0 && $signed =~ /\ADomainKey-Signature:/, "signet signs $canon/$name (exit $code)");
        next unless $code == 0;
        expect_perl("signet $canon/$name", $signed, 'pass');
        expect_signet("signet $canon/$name", $signed, 'pass');
        my $above = $name eq 'received' || $name eq 'sender';    # fields above the sender header
        my $has_h = $signed =~ /\ADomainKey-Signature:[^\r]*(?:\r\n[ \t][^\r]*)*\bh=/ ? 1 : 0;
        check($has_h == ($above ? 1 : 0), "signet $canon/$name writes h= " . ($above ? '' : 'only ')
            . 'when fields stand above the sender header');
    }
}
{
    my ($code, $signed) = signet_sign($message{received}, 'sel', 'nofws', '--no-dkim');
    my ($h) = $signed =~ /\bh=([^;]*);/;
    ($h //= '') =~ s/\s+//g;
    check($h eq 'X-Trace:From:To:X-Trace:Subject:Date', 'signet h= starts at From and keeps every X-Trace', "h=$h");
    ($code, $signed) = signet_sign($message{sender}, 'sel', 'nofws', '--no-dkim');
    ($h) = $signed =~ /\bh=([^;]*);/;
    ($h //= '') =~ s/\s+//g;
    check($h eq 'Sender:To:Subject:Date', 'signet h= starts at Sender when Sender gives the address', "h=$h");
}

# 3. Both DKIM and DomainKeys on one message, both verifiers.
{
    my ($code, $signed) = run_signet($message{sender}, 'sign', '--domain', $DOMAIN, '--selector', 'sel',
        '--key', $key{sel}, '--domainkeys');
    check($code == 0 && $signed =~ /\ADKIM-Signature:.*^DomainKey-Signature:/ms,
        'signet signs DKIM and DomainKeys, DKIM-Signature on top');
    my @perl = perl_verify($signed);
    my %perl = map { $_->[0] => $_->[1] } @perl;
    check(($perl{dkim} // '') eq 'pass' && ($perl{domainkeys} // '') eq 'pass', 'Mail::DKIM passes both',
        join(', ', map { "$_->[0]=$_->[1] $_->[2]" } @perl));
    my @ours = signet_verify($signed);
    my %ours = map { $_->{method} => $_->{result} } @ours;
    check(($ours{dkim} // '') eq 'pass' && ($ours{domainkeys} // '') eq 'pass', 'signet passes both');
    my ($c2, $ar) = run_signet($signed, 'verify', '--resolver-conf', $unbound_conf, '--authserv-id', 'mx.test');
    (my $unfolded = $ar) =~ s/\r?\n\t/ /g;
    check($c2 == 0 && $unfolded =~ /domainkeys=pass .*header\.sender=secretary\@example\.com header\.d=example\.com/,
        'Authentication-Results says domainkeys=pass header.sender=...', $unfolded);
    # Mail::DKIM's own DKIM + DomainKeys pair, verified by signet.
    my $private = Mail::DKIM::PrivateKey->load(File => $key{sel});
    my $dk = perl_sign($message{plain}, method => 'nofws', selector => 'sel');
    my $dkim_signer = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => 'relaxed', Domain => $DOMAIN,
        Selector => 'sel', Key => $private);
    $dkim_signer->PRINT($dk);
    $dkim_signer->CLOSE;
    (my $dkim_field = $dkim_signer->signature->as_string) =~ s/\r?\n/\r\n/g;
    my @both = signet_verify("$dkim_field\r\n$dk");
    my %both = map { $_->{method} => $_->{result} } @both;
    check(($both{dkim} // '') eq 'pass' && ($both{domainkeys} // '') eq 'pass',
        'signet passes Mail::DKIM\'s DKIM + DomainKeys pair', join(', ', map { "$_->{method}=$_->{result}" } @both));
}

# 4. White space: nofws survives re-spacing, simple does not.
for my $canon (qw(nofws simple)) {
    my $want_perl = $canon eq 'nofws' ? 'pass' : 'fail';
    my $want_signet = $canon eq 'nofws' ? 'pass' : 'fail';
    my ($code, $signed) = signet_sign($message{plain}, 'sel', $canon, '--no-dkim');
    expect_perl("signet $canon, re-spaced", respace($signed), $want_perl);
    my $theirs = perl_sign($message{plain}, method => $canon, selector => 'sel');
    expect_signet("Mail::DKIM $canon, re-spaced", respace($theirs), $want_signet);
}

# 5. Negative cases, both ways.
for my $canon (qw(nofws simple)) {
    my ($code, $ours) = signet_sign($message{plain}, 'sel', $canon, '--no-dkim');
    my $theirs = perl_sign($message{plain}, method => $canon, selector => 'sel');
    expect_perl("signet $canon, tampered body", tamper_body($ours), 'fail');
    expect_perl("signet $canon, tampered header", tamper_header($ours), 'fail');
    expect_signet("Mail::DKIM $canon, tampered body", tamper_body($theirs), 'fail', reason => qr/did not verify/);
    expect_signet("Mail::DKIM $canon, tampered header", tamper_header($theirs), 'fail');
}
for my $case ([ 'revoked', qr/revoked/, 'revoked' ], [ 'missing', qr/no key/, 'no key' ]) {
    my ($selector, $reason, $status) = @$case;
    my ($code, $ours) = signet_sign($message{plain}, $selector, 'nofws', '--no-dkim');
    my $theirs = perl_sign($message{plain}, method => 'nofws', selector => $selector);
    expect_perl("signet, $selector key", $ours, 'invalid');
    expect_signet("Mail::DKIM, $selector key", $theirs, 'permerror', reason => $reason);
    my $header = signet_status_header($theirs);
    check($header eq $status, "DomainKey-Status for a $selector key is '$status'", "got '$header'");
}
{
    # Wrong domain: d=example.com on mail from example.org.
    my $theirs = perl_sign($message{other_domain}, method => 'nofws', selector => 'sel');
    expect_signet('Mail::DKIM, d= outside the sender domain', $theirs, 'permerror', reason => qr/neither/);
    expect_perl('Mail::DKIM, d= outside the sender domain (own check)', $theirs, 'invalid');
    my ($code) = signet_sign($message{other_domain}, 'sel', 'nofws', '--no-dkim');
    check($code == 65, 'signet refuses to sign mail whose sender is outside d= (exit 65)', "exit $code");
    my $sub = $message{plain};
    $sub =~ s/alice\@example\.com/alice\@mail.example.com/;
    my ($c2, $signed) = signet_sign($sub, 'sel', 'nofws', '--no-dkim');
    expect_perl('signet, sender in a subdomain of d=', $signed, 'pass');
    expect_signet('signet, sender in a subdomain of d=', $signed, 'pass');
}
{
    # Granularity g=alice: alice passes, bob does not.
    my ($c1, $alice) = signet_sign($message{plain}, 'gran', 'nofws', '--no-dkim');
    expect_perl('signet, g=alice, from alice', $alice, 'pass');
    expect_signet('signet, g=alice, from alice', $alice, 'pass');
    my $bob = perl_sign($message{bob}, method => 'nofws', selector => 'gran');
    expect_signet('Mail::DKIM, g=alice, from bob', $bob, 'permerror', reason => qr/g=/);
    expect_perl('Mail::DKIM, g=alice, from bob (own check)', $bob, 'invalid', detail => qr/granularity/);
}
{
    # A key in testing mode (t=y): a bad signature is neutral, never fail.
    my $theirs = perl_sign($message{plain}, method => 'nofws', selector => 'testing');
    expect_signet('Mail::DKIM, t=y key', $theirs, 'pass');
    expect_signet('Mail::DKIM, t=y key, tampered', tamper_body($theirs), 'neutral');
    my $header = signet_status_header(tamper_body($theirs));
    check($header eq 'bad (test mode)', "DomainKey-Status under t=y is 'bad (test mode)'", "got '$header'");
    # A record shared with DKIM (v=DKIM1) serves DomainKeys too.
    my ($c, $ours) = signet_sign($message{plain}, 'shared', 'nofws', '--no-dkim');
    expect_perl('signet, v=DKIM1 record', $ours, 'pass');
    expect_signet('signet, v=DKIM1 record', $ours, 'pass');
}
{
    my $header = signet_status_header($message{plain});
    check($header eq 'no signature', "DomainKey-Status of an unsigned message is 'no signature'", "got '$header'");
    my ($c, $ours) = signet_sign($message{plain}, 'sel', 'nofws', '--no-dkim');
    $header = signet_status_header($ours);
    check($header eq 'good', "DomainKey-Status of a good signature is 'good'", "got '$header'");
}

}

# A driver error counts as a failure; the summary line comes last regardless.
eval { run_checks(); 1 } or do { chomp(my $error = $@); check(0, 'the driver ran to the end', $error); };
print "domainkeys interop: $passed passed, $failed failed\n";
exit($failed == 0 && $passed > 0 ? 0 : 1);
