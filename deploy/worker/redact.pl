#!/usr/bin/perl
# The worker's redactor (entrypoint.sh calls it for everything it logs, posts or reports).
#
#   redact.pl SECRETS INPUT MAXBYTES MODE COUNT CAP
#   redact.pl --check        compiles the shapes and exits: 0 when they are sound
#
# SECRETS holds secret values, NUL-separated; those of 8 bytes or more are replaced literally,
# longest first, then the shapes of redaction-patterns.txt beside this file, in order. INPUT is a
# file, or "-" for stdin; MAXBYTES > 0 reads only that many bytes from the file's end. MODE "all"
# prints everything; "chars" the last COUNT characters; "lines" the last COUNT cleaned lines of at
# most CAP characters each. The tail is taken after redaction, so no cut can split a secret it keeps.
use strict;
use warnings;
use Encode ();

my $R = "[REDACTED]";
(my $dir = __FILE__) =~ s{[^/]*\z}{};
my $patterns = "${dir}redaction-patterns.txt";

# The shapes, compiled: a group named "keep" is kept in front of the replacement.
my @shapes;
open(my $pf, "<:raw", $patterns) or die "redact.pl: cannot read $patterns: $!\n";
while (my $line = <$pf>) {
    $line =~ s/\A\s+|\s+\z//g;
    next if $line eq "" || $line =~ /\A#/;
    my $re = eval { qr/$line/ } or die "redact.pl: $patterns line $.: $@";
    push @shapes, $re;
}
close $pf;
die "redact.pl: $patterns holds no pattern\n" unless @shapes;
exit 0 if @ARGV == 1 && $ARGV[0] eq "--check";

my ($secrets, $input, $maxbytes, $mode, $count, $cap) = @ARGV;
my @values;
if (open(my $f, "<:raw", $secrets)) {
    local $/ = "\0";
    while (defined(my $v = <$f>)) { chomp $v; push @values, $v if length($v) >= 8; }
    close $f;
}
@values = sort { length($b) <=> length($a) } @values;
my ($t, $cut) = ("", 0);
if ($input eq "-") { binmode STDIN; local $/; $t = <STDIN> // ""; }
elsif (open(my $in, "<:raw", $input)) {
    my $size = -s $in;
    if ($maxbytes && $size > $maxbytes) { seek($in, $size - $maxbytes, 0); $cut = 1; }
    local $/; $t = <$in> // ""; close $in;
}
# Escapes and control characters go first: one inside a secret must not keep it from matching.
$t =~ s/\e\[[0-?]*[ -\/]*[@-~]//g;
$t =~ s/\e\][^\a\e]*(?:\a|\e\\)//g;
$t =~ s/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]//g;
for my $v (@values) { $t =~ s/\Q$v\E/$R/g; }
for my $re (@shapes) { $t =~ s/$re/(defined $+{keep} ? $+{keep} : "") . $R/ge; }
if ($mode eq "all") { binmode STDOUT; print $t; exit 0; }
$t = Encode::decode("UTF-8", $t, Encode::FB_DEFAULT);
$t =~ s/\e\[[0-?]*[ -\/]*[@-~]//g;
$t =~ s/\e\][^\a\e]*(?:\a|\e\\)//g;
binmode STDOUT, ":encoding(UTF-8)";
if ($mode eq "chars") {
    $t =~ s/[^\S\n\t]*\r\n/\n/g;
    $t =~ s/[\x00-\x08\x0b-\x1f\x7f]//g;
    print length($t) > $count ? substr($t, -$count) : $t;
    exit 0;
}
my @lines = split /\n/, $t, -1;
pop @lines if @lines && $lines[-1] eq "";
shift @lines if $cut && @lines;
@lines = @lines[-$count .. -1] if @lines > $count;
for (@lines) {
    s/\r+\z//; s/\A.*\r//s;
    s/[\x00-\x08\x0b-\x1f\x7f]//g;
    $_ = substr($_, 0, $cap) . "\x{2026}" if length($_) > $cap;
    print "$_\n";
}
