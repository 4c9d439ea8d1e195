#!/usr/bin/env bash
# bench/cli.sh BASE_URL WWW_DIR WORK_DIR MPERF [ROUNDS] - the command-line
# tool against curl and wget: 100 files of 1 MiB (made in WWW_DIR/cli100,
# served at BASE_URL/cli100/) fetched by each, ROUNDS times in turn; every
# file of every run is compared with its source. Prints a markdown table
# (binary size, median wall time, median peak RSS) on stdout. Called by
# bench/run.sh (make bench); $CLIPIN, when set, pins the clients to a CPU.
set -u
BASE=$1 WWW=$2 WORK=$3 MP=$(cd "$(dirname "$4")" && pwd)/$(basename "$4") ROUNDS=${5:-5}
N=100
mkdir -p "$WWW/cli100" "$WORK"
for i in $(seq 1 $N); do
    [ -f "$WWW/cli100/$i.bin" ] || head -c 1048576 /dev/urandom >"$WWW/cli100/$i.bin" || exit 1
done
chmod -R a+rX "$WWW/cli100"
URLS=()
for i in $(seq 1 $N); do URLS+=("$BASE/cli100/$i.bin"); done
: >"$WORK/cli-times.txt"
# one TAG CMD...: a run into a fresh directory, checked, "TAG seconds rss_kb" kept
one() {
    local tag=$1 d=$WORK/cli-out i
    shift
    rm -rf "$d" && mkdir -p "$d" || return 1
    # shellcheck disable=SC2086
    (cd "$d" && ${CLIPIN:-} /usr/bin/time -f '%e %M' -o "$WORK/cli-time.txt" "$@" >/dev/null 2>"$WORK/cli-err.txt") ||
        { echo "bench/cli.sh: $tag failed: $(tail -3 "$WORK/cli-err.txt")" >&2; return 1; }
    for i in $(seq 1 $N); do
        cmp -s "$d/$i.bin" "$WWW/cli100/$i.bin" || { echo "bench/cli.sh: $tag: $i.bin differs or is missing" >&2; return 1; }
    done
    echo "$tag $(cat "$WORK/cli-time.txt")" >>"$WORK/cli-times.txt"
}
for r in $(seq 1 "$ROUNDS"); do
    one mperf-Z "$MP" -s -Z --parallel-max 50 --remote-name-all "${URLS[@]}" || exit 1
    one curl-Z curl -s -Z --parallel-max 50 --remote-name-all "${URLS[@]}" || exit 1
    one mperf "$MP" -s --remote-name-all "${URLS[@]}" || exit 1
    one curl curl -s --remote-name-all "${URLS[@]}" || exit 1
    one wget wget -q "${URLS[@]}" || exit 1
done
med() { # med TAG COLUMN: the median of a column over the rounds
    awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$WORK/cli-times.txt" | sort -g |
        awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "nan"}'
}
size() { stat -L -c %s "$1"; }
CURLSO=$(ldd "$(command -v curl)" | awk '/libcurl/ {print $3}')
echo "| tool | binary | $N files of 1 MiB at once (-Z, 50 at a time): s / peak RSS KiB | the same one after another: s / peak RSS KiB |"
echo "|---|---|---|---|"
echo "| mperf (make cli-static) | $(size "$MP") B, static (libc, BearSSL and the header in it) | $(med mperf-Z 2) / $(med mperf-Z 3) | $(med mperf 2) / $(med mperf 3) |"
echo "| curl $(curl --version | awk 'NR == 1 {print $2}') (Debian) | $(size "$(command -v curl)") B + libcurl $(size "$CURLSO") B and its libraries, dynamic | $(med curl-Z 2) / $(med curl-Z 3) | $(med curl 2) / $(med curl 3) |"
echo "| wget $(wget --version | awk 'NR == 1 {print $3}') (Debian) | $(size "$(command -v wget)") B, dynamic | (no parallel mode) | $(med wget 2) / $(med wget 3) |"
