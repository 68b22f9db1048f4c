#!/usr/bin/perl
# Mail::DKIM's ARC side of the ARC interop test (arc_interop.py), one
# message per run, keys from a zone file and never from the network:
#
#   arc_peer.pl verify ZONE < message
#       prints one line: the result (pass|fail|invalid|none), a tab, the detail
#   arc_peer.pl seal ZONE --domain D --selector S --key PEM --srv-id ID
#                    [--chain pass|fail|none] < message
#       validates the arriving chain itself (unless --chain is given), then
#       prints the message with Mail::DKIM::ARC::Signer's new set on top.
#
# ZONE holds "owner<TAB>TXT text" lines; an owner whose text is
# "@SERVFAIL" answers SERVFAIL, so that a DNS error can be tried.
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Mail::DKIM::ARC::Signer;
use Mail::DKIM::ARC::Verifier;
use Mail::DKIM::DNS;
use Mail::DKIM::TextWrap;
use Net::DNS;

my ($command, $zone_file, @rest) = @ARGV;
die "usage: arc_peer.pl verify|seal ZONE [options] < message\n" unless $command && $zone_file;

my %zone;
open my $zf, '<', $zone_file or die "arc_peer.pl: cannot read $zone_file: $!\n";
while (my $line = <$zf>) {
    chomp $line;
    next unless $line =~ /\S/;
    my ($owner, $text) = split /\t/, $line, 2;
    $zone{lc $owner} = $text;
}
close $zf;

{
    package ZoneResolver;
    sub new { my ($class, $zone) = @_; return bless { zone => $zone, error => 'NOERROR' }, $class }
    sub errorstring { return $_[0]{error} }
    sub send {
        my ($self, $name, $type) = @_;
        my $packet = Net::DNS::Packet->new($name, $type, 'IN');
        (my $owner = lc $name) =~ s/\.\z//;
        my $text = $self->{zone}{$owner};
        if (defined $text && $text eq '@SERVFAIL') {
            $packet->header->rcode('SERVFAIL');
        } elsif (defined $text && uc($type) eq 'TXT') {
            my @strings = $text eq '' ? ('') : ($text =~ /(.{1,255})/gs);
            $packet->push(answer => Net::DNS::RR->new(name => $owner, type => 'TXT', txtdata => [@strings]));
        } else {
            $packet->header->rcode('NXDOMAIN');
        }
        return $packet;
    }
}
Mail::DKIM::DNS::resolver(ZoneResolver->new(\%zone));

my $message = do { local $/; <STDIN> };
$message =~ s/\r?\n/\r\n/g;

sub validate {
    my ($text) = @_;
    my $arc = Mail::DKIM::ARC::Verifier->new(Strict => 1);
    $arc->PRINT($text);
    $arc->CLOSE;
    return ($arc->result, $arc->result_detail // '');
}

if ($command eq 'verify') {
    my ($result, $detail) = validate($message);
    $detail =~ s/\s+/ /g;
    print "$result\t$detail\n";
    exit 0;
}
die "arc_peer.pl: unknown command $command\n" unless $command eq 'seal';

my %opt = (algorithm => 'rsa-sha256');
GetOptionsFromArray(\@rest, \%opt, 'domain=s', 'selector=s', 'key=s', 'srv-id=s', 'chain=s', 'algorithm=s')
    or die "arc_peer.pl: bad options\n";
my $chain = $opt{chain};
unless (defined $chain) {
    my ($result) = validate($message);
    $chain = $result eq 'pass' ? 'pass' : $result eq 'none' ? 'none' : 'fail';
}
my $signer = Mail::DKIM::ARC::Signer->new(
    Algorithm => $opt{algorithm},
    Chain     => $chain,
    Domain    => $opt{domain},
    Selector  => $opt{selector},
    SrvId     => $opt{'srv-id'},
    KeyFile   => $opt{key},
);
$signer->PRINT($message);
$signer->CLOSE;
if ($signer->result ne 'sealed') {
    print STDERR "arc_peer.pl: not sealed: ", $signer->result, " ", ($signer->result_detail // ''), "\n";
    exit 3;
}
my $fields = $signer->as_string;
$fields =~ s/\r?\n/\r\n/g;
$fields .= "\r\n" unless $fields =~ /\r\n\z/;
print $fields, $message;
