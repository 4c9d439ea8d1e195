#!/usr/bin/env bash
# tests/differential.sh LIBCURL_BUILD MPERF_BUILD [WRAPPER...]
# Runs every scenario of tests/differential.c in both builds (the second under
# WRAPPER, e.g. valgrind, if given) against the loopback servers in the
# environment, and compares the traces scenario by scenario. A difference is
# a failure unless tests/differential.expected lists the scenario with its
# reason; a listed scenario that no longer differs fails too (stale list).
# Prints a TAP-like line per scenario, then "differential: N identical, M
# listed differences" and "# done".
set -u
here=$(dirname "$0")
ref=$1
ours=$2
shift 2
out=${MPT_DIFF_DIR:-$(mktemp -d)}
mkdir -p "$out"
expected=$here/differential.expected
timeout 600 "$ref" all >"$out/libcurl.txt" 2>"$out/libcurl.err"
rc_ref=$?
timeout 900 "$@" "$ours" all >"$out/ours.txt" 2>"$out/ours.err"
rc_ours=$?
same=0
listed=0
failed=0
reason() { awk -v n="$1" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' "$expected"; }
for name in $("$ref" list); do
    grep -F "$name: " "$out/libcurl.txt" | grep "^$name: " >"$out/a"
    grep -F "$name: " "$out/ours.txt" | grep "^$name: " >"$out/b"
    why=$(reason "$name")
    if [ ! -s "$out/a" ]; then
        echo "FAIL - $name: no trace from the libcurl build"
        failed=$((failed + 1))
    elif cmp -s "$out/a" "$out/b"; then
        if [ -n "$why" ]; then
            echo "FAIL - $name: listed in differential.expected but now identical: take it off the list"
            failed=$((failed + 1))
        else
            echo "ok - $name: identical"
            same=$((same + 1))
        fi
    elif [ -n "$why" ]; then
        echo "ok - $name: differs as listed ($why)"
        listed=$((listed + 1))
    else
        echo "FAIL - $name: differs from libcurl"
        diff "$out/a" "$out/b" | head -n 20 | sed 's/^/  /'
        failed=$((failed + 1))
    fi
done
# every listed scenario exists
for name in $(grep -v '^#' "$expected" | awk 'NF {print $1}'); do
    "$ref" list | grep -qx "$name" || { echo "FAIL - $name: listed in differential.expected but no such scenario"; failed=$((failed + 1)); }
done
if [ $rc_ref -ne 0 ] || [ $rc_ours -ne 0 ]; then
    echo "FAIL - the runs themselves: libcurl build exit $rc_ref, ours exit $rc_ours"
    tail -n 20 "$out/ours.err" | sed 's/^/  /'
    failed=$((failed + 1))
fi
echo "differential: $same identical, $listed listed differences"
echo "# done"
[ $failed -eq 0 ]
