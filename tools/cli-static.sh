#!/usr/bin/env bash
# make cli-static: build/cli/mperf, one static binary built with musl-gcc,
# BearSSL compiled from Debian's source with the size flags (kept in
# build/bearssl-VERSION); prints its size.
#   MPERF_CLI_TLS=0           http only (no BearSSL)
#   MPERF_CA_BUNDLE=PATH      the CA file used without --cacert (default: Debian's)
#   MPERF_CA_EMBED=FILE.pem   those certificates built into the binary instead
#   MPERF_CLI_OUT=PATH        the binary's path (default build/cli/mperf)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/packages.sh
. tests/size.sh
B=$ROOT/build/cli
mkdir -p "$B"
LOG=$B/log.txt
: >"$LOG"
need=""
command -v musl-gcc >/dev/null || need="$need musl-tools"
command -v curl >/dev/null || need="$need curl"
command -v xz >/dev/null || need="$need xz-utils"
[ -f /usr/include/bearssl.h ] || need="$need libbearssl-dev" # its version names the source fetched
# shellcheck disable=SC2086
install_missing "$LOG" $need
flags=(-std=c99 $SZFLAGS -static -Wl,--gc-sections -s -Wl,-z,noseparate-code -Wl,--build-id=none)
libs=()
if [ "${MPERF_CLI_TLS:-1}" = 0 ]; then
    flags+=(-DMPERF_NO_TLS)
else
    bearssl_source || { echo "cli-static: could not fetch BearSSL's source from $DEBIAN_POOL (see $LOG)"; exit 1; }
    A=$BEARSSL_DIR/libbearssl-musl.a
    [ -f "$A" ] || bearssl_build "$A" musl-gcc $SZFLAGS || { echo "cli-static: building BearSSL failed (see $LOG)"; exit 1; }
    flags+=(-DMPERF_TLS_SMALL -I "$BEARSSL_SRC/inc")
    libs+=("$A")
    [ -n "${MPERF_CA_BUNDLE:-}" ] && flags+=("-DMPERF_CA_BUNDLE=\"$MPERF_CA_BUNDLE\"")
    if [ -n "${MPERF_CA_EMBED:-}" ]; then # the PEM text as a C string
        { echo '#define MPERF_CLI_CA_EMBED_DATA \'; sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n" \\/' "$MPERF_CA_EMBED"; echo '""'; } >"$B/ca_embed.h" ||
            { echo "cli-static: cannot read $MPERF_CA_EMBED"; exit 1; }
        flags+=(-DMPERF_CLI_CA_EMBED -include "$B/ca_embed.h")
    fi
fi
OUT=${MPERF_CLI_OUT:-$B/mperf}
musl-gcc "${flags[@]}" -o "$OUT" mperf.c "${libs[@]}" 2>>"$LOG" || { echo "cli-static: the build failed (see $LOG)"; exit 1; }
echo "${OUT#"$ROOT"/}: $(stat -c %s "$OUT") bytes, static ($(text "$OUT") of code and data)"
