#!/usr/bin/env bash
# make fuzz: builds every target in tests/fuzz with clang's libFuzzer (plus
# ASan and UBSan) and runs each for FUZZ_SECONDS (default 120), starting from
# the committed corpus. New inputs land in build/fuzz/corpus/TARGET; a
# finding (crash, leak, sanitizer report or a failed invariant) leaves its
# input in build/fuzz/ and makes the run fail. Not part of make test, which
# replays the committed corpus instead.
#   FUZZ_SECONDS=120   time per target      FUZZ_TARGETS="response url"   which
set -u
cd "$(dirname "$0")/../.."
B=build/fuzz
mkdir -p "$B"
LOG=$B/log.txt
: >"$LOG"
need=""
command -v clang >/dev/null || need="$need clang"
[ -f /usr/include/bearssl.h ] || need="$need libbearssl-dev"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need="$need libclang-rt-dev"
. tests/packages.sh
# shellcheck disable=SC2086
install_missing "$LOG" $need
SECONDS_EACH=${FUZZ_SECONDS:-120}
TARGETS=${FUZZ_TARGETS:-"response chunked url headers pem dns digest proxy inflate cookie"}
status=0
for t in $TARGETS; do
    clang -g -O1 -D_GNU_SOURCE -DMPT_LIBFUZZER -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$B/fuzz_$t" "tests/fuzz/fuzz_$t.c" -lbearssl >>"$LOG" 2>&1 || { echo "$t: build failed, see $LOG"; status=1; continue; }
    mkdir -p "$B/corpus/$t"
    "$B/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$B/$t-" "$B/corpus/$t" "tests/fuzz/corpus/$t" >"$B/$t.log" 2>&1
    rc=$?
    last=$(grep -E '^#[0-9]+' "$B/$t.log" | tail -n 1)
    execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
    if [ $rc -eq 0 ]; then
        echo "$t: ${execs:-?} executions in ${SECONDS_EACH} s, no finding ($(echo "$last" | grep -o 'cov: [0-9]*'))"
    else
        echo "$t: FINDING after ${execs:-?} executions; see $B/$t.log and $B/$t-*"
        status=1
    fi
done
exit $status
