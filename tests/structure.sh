#!/usr/bin/env bash
# tests/structure.sh - checks the shape of multiperform.h that its readers
# rely on (make test runs it):
#   - the doc block's table of contents lists the >> anchors, in file order;
#   - e->state and the body state are written only by their setters;
#   - BearSSL (br_, BR_) appears only in the >>tls section;
#   - no function-like macro has a lowercase name (those are functions);
#   - every MPERF_ macro a program may define is in the doc block's list;
#   - the engine's formats keep to mpx_vfmt's subset of printf.
# Prints what is wrong and exits 1, or prints a summary and exits 0.
set -u
cd "$(dirname "$0")/.."
H=multiperform.h
bad=0
fail() { echo "structure: $*"; bad=1; }

toc=$(awk '/^\*\//{exit} /^     >>[a-z]+ /{print $1}' "$H" | tr -d '>')
anchors=$(grep -oE '^/\* >>[a-z]+:' "$H" | sed 's|^/\* >>||; s|:$||')
[ -n "$toc" ] || fail "no table of contents in the doc block"
[ "$toc" = "$anchors" ] || fail "the table of contents and the >> anchors differ:
$(diff <(echo "$toc") <(echo "$anchors"))"

# a setter is the one function that writes its state
writes_outside() { # PATTERN SETTER: lines writing PATTERN outside the function SETTER
    awk -v pat="$1" -v fn="$2" '
        $0 ~ "^[a-zA-Z].*[ *]" fn "\\(.*\\)$" {infn = 1}
        infn && /^}/ {infn = 0}
        !infn && $0 ~ pat {print FILENAME ":" NR ": " $0}' "$H"
}
w=$(writes_outside 'e->state = ' mpx_xfer_set)
[ -z "$w" ] || fail "e->state written outside mpx_xfer_set:
$w"
w=$(writes_outside 'body_state = ' mpx_body_set)
[ -z "$w" ] || fail "the body state written outside mpx_body_set:
$w"
[ "$(grep -c 'e->state = ' "$H")" -eq 1 ] || fail "mpx_xfer_set should write e->state once"

tls_from=$(grep -n '^/\* >>tls:' "$H" | cut -d: -f1)
tls_to=$(awk -v from="$tls_from" 'NR > from && /^\/\* >>[a-z]+:/ {print NR; exit}' "$H")
leaks=$(grep -nE '\b(br|BR)_' "$H" | awk -F: -v a="$tls_from" -v b="$tls_to" '$1 < a || $1 > b')
[ -z "$leaks" ] || fail "BearSSL outside the >>tls section (lines $tls_from-$tls_to):
$leaks"

# every macro a program may define is in the doc block's list
doc=$(awk '/^\*\//{exit} /CONFIGURATION MACROS/{on = 1} /LIMITS AND WHAT/{on = 0} on && /^   MPERF_/' "$H")
undoc=""
for mac in $(grep -oE '(#ifn?def|defined\() *MPERF_[A-Z0-9_]+' "$H" | grep -oE 'MPERF_[A-Z0-9_]+' | sort -u); do
    case "$mac" in MPERF_H) continue ;; esac
    echo "$doc" | grep -qw "$mac" || undoc="$undoc $mac"
done
[ -z "$undoc" ] || fail "macros a program may define but the doc block does not list:$undoc"

lower=$(grep -nE '^#define mpx_[a-z0-9_]+\(' "$H")
[ -z "$lower" ] || fail "function-like macros with a function's lowercase name:
$lower"

# the formats the engine writes with keep to MPERF_NO_LIBC_PRINTF's subset of printf (mpx_vfmt)
fmts=$(awk '/(MPX_FAIL|MPX_INFO|mpx_fmt|mpx_xfer_fail)\(/ {on = 1} on {print NR ": " $0} on && /;[^"]*$/ {on = 0}' "$H" |
    grep -v 'static int mpx_fmt' | grep -oE '^[0-9]+:|%[^a-zA-Z%]*(ll|l)?[a-zA-Z%]' |
    awk '/^[0-9]+:$/ {n = $0; next} !/^%(%|0?[0-9]*(l|ll)?[dux]|(\.\*)?s)$/ {print n " " $0}')
[ -z "$fmts" ] || fail "formats outside mpx_vfmt's subset (%s %.*s %d %u %x, l/ll, a width, %%):
$fmts"

[ $bad -eq 0 ] && echo "structure: $(echo "$anchors" | wc -l) anchors match the contents; state writes in their setters; BearSSL only in lines $tls_from-$tls_to; every configuration macro documented; formats within the printf subset"
exit $bad
