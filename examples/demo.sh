#!/usr/bin/env bash
# make demo: starts the project's loopback file server, downloads several
# files from it in parallel with examples/download.c, and checks every byte.
# Needs only a C compiler and make.
set -eu
cd "$(dirname "$0")/.."
B=build/demo
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing gcc"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null
        CC=gcc
    else
        echo "make demo needs a C compiler: sudo apt-get install -y gcc"
        exit 1
    fi
fi
rm -rf "$B"
mkdir -p "$B/www" "$B/out"
"$CC" -std=c99 -O2 -D_GNU_SOURCE -DMPT_NO_BEARSSL -o "$B/faultserver" tests/faultserver.c # (its Digest check needs BearSSL; the demo serves files)
"$CC" -std=c99 -O2 -DMPERF_NO_TLS -o "$B/download" examples/download.c
sizes="1 3 8 12 20 32"
for mb in $sizes; do "$B/faultserver" -w $((mb * 1024 * 1024)) "$B/www/file-${mb}MB.bin"; done

"$B/faultserver" -q -d "$B/www" > "$B/port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for i in $(seq 1 50); do [ -s "$B/port" ] && break; sleep 0.1; done
port=$(awk '{print $2}' "$B/port")
echo "file server on 127.0.0.1:$port (each file served at 16 MiB/s so the progress shows)"
urls=""
for mb in $sizes; do urls="$urls http://127.0.0.1:$port/file/file-${mb}MB.bin?rate=16777216"; done
"$B/download" -p 4 -o "$B/out" $urls
for mb in $sizes; do cmp "$B/www/file-${mb}MB.bin" "$B/out/file-${mb}MB.bin"; done
echo "all $(echo $sizes | wc -w) files arrived intact (compared byte for byte)"
