#!/usr/bin/env bash
# make bench: the same benchmark source (bench/bench.c, libcurl's API) built
# against libcurl and against multiperform through compat/curl/curl.h, plus
# a no-library poll loop (bench/floor.c) as the floor, all run here in one go
# against one local nginx (1 worker on CPU 0, clients on CPU 1). Prints a table
# with each figure for both libraries and the ratio, and writes it to
# bench/README.md. Every response is checked (status and byte count); a
# wrong answer fails the run.
#   BENCH_ROUNDS=5   keep-alive runs per program; the concurrent workload runs
#                    three times as often, the large bodies ten times (medians
#                    are reported)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/packages.sh
fresh_build_dir bench
mkdir -p "$B/www"
ROUNDS=${BENCH_ROUNDS:-5}
KA_TOTAL=${BENCH_KA_TOTAL:-100000}
CONC=${BENCH_CONCURRENT:-10000}
SOCKC=${BENCH_SOCKETS:-10000}  # transfers at once through socket_action
IDLE=${BENCH_IDLE:-10000}      # idle transfers beside one active stream
HTTPS_CONC=${BENCH_HTTPS_CONCURRENT:-200} # HTTPS transfers at once (memory per connection)
LARGE=$((256 * 1024 * 1024))

# ---- dependencies -------------------------------------------------------
need=""
command -v gcc >/dev/null || need="$need gcc"
command -v nginx >/dev/null || need="$need nginx-light"
command -v strace >/dev/null || need="$need strace"
command -v taskset >/dev/null || need="$need util-linux"
[ -f /usr/include/bearssl.h ] || need="$need libbearssl-dev"
command -v curl >/dev/null || need="$need curl"
# picohttpparser, a public parser to time beside ours, comes inside h2o's library
dpkg-query -W -f '${Status}' libh2o-evloop0.13 2>/dev/null | grep -q "ok installed" || need="$need libh2o-evloop0.13"
command -v xz >/dev/null || need="$need xz-utils"
command -v musl-gcc >/dev/null || need="$need musl-tools"
[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || need="$need libcurl4-openssl-dev"
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev" # the inflater's reference (bench/inflate.c)
command -v wget >/dev/null || need="$need wget" # the command-line tool's rows: curl and wget beside mperf
command -v openssl >/dev/null || need="$need openssl" # the HTTPS rows' certificates
[ -x /usr/bin/time ] || need="$need time"
. tests/servers.sh # nginx_conf_top
# shellcheck disable=SC2086
install_missing "$LOG" $need
CC=${CC:-gcc}
. tests/size.sh # SZFLAGS, SZ, text, minimal_text

# ---- sources, fetched before the network goes away ------------------------
# BearSSL compiled from Debian's source package with the same flags, as a
# static or firmware build compiles it (Debian's libbearssl.a is built -O2
# with unwind tables); kept in build/bearssl-VERSION between runs.
bearssl_from_source() {
    bearssl_source || return 1
    BEARSSL_SRC_A=$BEARSSL_DIR/libbearssl-size.a
    [ -f "$BEARSSL_SRC_A" ] || bearssl_build "$BEARSSL_SRC_A" $CC $SZFLAGS
}
# picohttpparser from the same h2o source Debian's libh2o-evloop0.13 is built
# from, to compile -O2 -msse4.2: its SSE4.2 paths, which Debian's baseline
# x86-64 build leaves out. The fastest public parser we can time here, built
# into parser.c as a second binary. Sets PICO_DIR (build/h2o-VERSION, kept
# between runs).
pico_source() {
    local ver dir txz want=""
    grep -qw sse4_2 /proc/cpuinfo || return 1
    ver=$(dpkg-query -W -f '${Version}' libh2o-evloop0.13 2>/dev/null) || return 1
    dir=$ROOT/build/h2o-$ver
    PICO_DIR=$dir
    [ -f "$dir/picohttpparser.c" ] && return 0
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    [ "$ver" = "2.2.5+dfsg2-7" ] && want=a46894bd85da6528d4ad90ce0443b48118718296175061a1a1156e9e3af60a0d
    txz=$(debian_orig h2o "$ver" "$want" "$dir") || return 1
    tar -xJf "$txz" -C "$dir" --strip-components=3 --wildcards '*/deps/picohttpparser/picohttpparser.[ch]' >>"$LOG" 2>&1 ||
        return 1
    rm -f "$txz"
}
if [ "${MPT_NETNS:-}" != 1 ]; then
    echo "fetching and building BearSSL from Debian's source with the size flags, fetching h2o's source"
    bearssl_from_source || echo "bench: could not fetch or build BearSSL's source (see $LOG)" >&2
    pico_source || echo "bench: could not fetch h2o's source (see $LOG)" >&2
fi
# from here on, only loopback: the servers and clients stay on this machine
own_network bench/run.sh "make bench"
# tens of thousands of short connections a run: in our own namespace, the
# whole port range, so that connect() is not a search among TIME_WAITs
# (both libraries gain alike; the figures say the client's CPU, kernel too)
if [ "${MPT_NETNS:-}" = 1 ]; then
    sysctl -qw net.ipv4.ip_local_port_range="1024 65535" 2>/dev/null || true
fi

fail() { echo "bench: $*" >&2; exit 1; }

# ---- builds ---------------------------------------------------------------
echo "building (log: $LOG)"
$CC -O2 -o "$B/bench-curl" bench/bench.c -lcurl -ldl >>"$LOG" 2>&1 || fail "could not build bench.c against libcurl"
$CC -O2 -I compat -D MULTIPERFORM_IMPLEMENTATION -o "$B/bench-mp" bench/bench.c -lbearssl -ldl >>"$LOG" 2>&1 ||
    fail "could not build bench.c against multiperform"
$CC -O2 -o "$B/bench-floor" bench/floor.c >>"$LOG" 2>&1 || fail "could not build floor.c"
$CC -O2 -D_GNU_SOURCE -o "$B/faultserver" tests/faultserver.c -lbearssl -lpthread >>"$LOG" 2>&1 ||
    fail "could not build tests/faultserver.c (the idle transfers' server)"
$CC -O2 -shared -fPIC -o "$B/mallocount.so" bench/mallocount.c >>"$LOG" 2>&1 || fail "could not build mallocount.c"
$CC -O2 -DBENCH_PICO -o "$B/parser" bench/parser.c -l:libh2o-evloop.so.0.13 >>"$LOG" 2>&1 ||
    $CC -O2 -o "$B/parser" bench/parser.c >>"$LOG" 2>&1 || fail "could not build parser.c"

# ---- the HTTPS rows' certificates: an ECDSA P-256 CA and server (localhost, 127.0.0.1) ----
mkdir -p "$B/pki"
(
    cd "$B/pki" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
            -subj "/CN=bench CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=localhost" &&
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >leaf.ext &&
        openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.pem
) >>"$LOG" 2>&1 || fail "could not make the HTTPS rows' certificates (openssl; see $LOG)"
export BENCH_CAINFO=$B/pki/ca.pem

# ---- nginx: one worker pinned to CPU 0 ------------------------------------
head -c 1024 /dev/urandom >"$B/www/1k.bin"
head -c $LARGE /dev/zero >"$B/www/large.bin"
chmod -R a+rX "$B/www"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" -gt $((SOCKC + 100)) ] || fail "need $((SOCKC + 100)) file descriptors (ulimit -n is $(ulimit -n))"
NCPU=$(nproc)
SRVCPU="" CLIPIN=""
if [ "$NCPU" -ge 2 ]; then SRVCPU="worker_cpu_affinity 01;"; CLIPIN="taskset -c 1"; fi
mkdir -p "$B/nginx/tmp"
nginx_pid=""
fault_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
    [ -n "$fault_pid" ] && kill "$fault_pid" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
for try in 1 2 3 4 5 6 7 8; do
    PORT=$((20000 + RANDOM % 30000))
    {
        nginx_conf_top "$B" "$SRVCPU"
        cat <<EOF
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$PORT backlog=8192;
        root $B/www;
    }
    server { # nginx's built-in default; distributions' configs (and the top of this one) turn sendfile on
        listen 127.0.0.1:$((PORT + 1)) backlog=8192;
        root $B/www;
        sendfile off;
    }
    server { # HTTPS as a packaged nginx serves it: TLS 1.2 and 1.3, a shared session cache, tickets on
        listen 127.0.0.1:$((PORT + 2)) ssl backlog=8192;
        root $B/www;
        ssl_certificate $B/pki/leaf.pem;
        ssl_certificate_key $B/pki/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:BENCH:10m;
    }
}
EOF
    } >"$B/nginx/nginx.conf"
    nginx -c "$B/nginx/nginx.conf" -e "$B/nginx/error.log" 2>>"$LOG" &
    nginx_pid=$!
    for i in $(seq 1 50); do
        kill -0 "$nginx_pid" 2>/dev/null || break
        (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break 2
        sleep 0.1
    done
    kill "$nginx_pid" 2>/dev/null
    wait "$nginx_pid" 2>/dev/null
    nginx_pid=""
done
[ -n "$nginx_pid" ] || fail "could not start nginx; see $B/nginx/error.log"
URL1=http://127.0.0.1:$PORT/1k.bin
URLL=http://127.0.0.1:$PORT/large.bin
URLL_OFF=http://127.0.0.1:$((PORT + 1))/large.bin
URLS1=https://127.0.0.1:$((PORT + 2))/1k.bin
URLSL=https://127.0.0.1:$((PORT + 2))/large.bin
# the faultserver's /hang: a request read and never answered (the idle transfers)
"$B/faultserver" -q -d "$B/www" >"$B/fault.port" 2>>"$LOG" &
fault_pid=$!
for i in $(seq 1 50); do [ -s "$B/fault.port" ] && break; sleep 0.1; done
[ -s "$B/fault.port" ] || fail "the faultserver did not start"
HANG=http://127.0.0.1:$(awk '{print $2}' "$B/fault.port")/hang

# ---- runs -----------------------------------------------------------------
RES=$B/results.txt
: >"$RES"
# run TAG WORKLOAD ARGS...: one run of one program, its result line kept
run() {
    local tag=$1 prog=$2
    shift 2
    local out
    out=$($CLIPIN "$B/bench-$prog" "$@" 2>>"$LOG") || fail "$prog $* failed (a wrong or missing response?); see $LOG"
    case "$out" in *"result "*) ;; *) fail "$prog $*: no result line" ;; esac
    echo "$tag $prog $(echo "$out" | grep '^result ')" >>"$RES"
}
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; } # kv KEY < line
# median TAG PROG EXPR: the median over the rounds of an awk expression of the result fields
median() {
    grep "^$1 $2 " "$RES" | awk -v e="$3" '{
        for (i = 3; i <= NF; i++) { split($i, kvp, "="); f[kvp[1]] = kvp[2] }
        if (e == "rps") v = f["measured"] / f["seconds"];
        else if (e == "ka_cpu") v = f["cpu_us"] / f["measured"];
        else if (e == "mallocs") v = f["mallocs"] / f["measured"];
        else if (e == "conc_cpu") v = f["cpu_us"] / f["requests"];
        else if (e == "conc_rss") v = (f["rss_kb_peak"] - f["rss_kb_before"]) / f["requests"];
        else if (e == "idle_cpu") v = f["cpu_us"] / f["measured"];
        else if (e == "mbps") v = f["bytes"] / f["seconds"] / 1e6;
        else if (e == "cpu_mb") v = f["cpu_us"] / (f["bytes"] / 1e6);
        print v }' | sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "nan"}'
}

echo "warming up"
for p in mp curl floor; do run warm $p keepalive "$URL1" 20000 16 1024; done
# each workload in its own block, the three programs taking turns; the
# short ones (concurrent, large) run more often
for r in $(seq 1 "$ROUNDS"); do
    echo "keep-alive, round $r of $ROUNDS"
    for p in mp curl floor; do run ka $p keepalive "$URL1" "$KA_TOTAL" 16 1024; done
done
echo "concurrent transfers, $((ROUNDS * 3)) rounds"
for r in $(seq 1 $((ROUNDS * 3))); do
    for p in mp curl floor; do run conc $p concurrent "$URL1" "$CONC" 1024; done
done
echo "socket_action: $SOCKC transfers at once, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
    for p in mp curl; do run sock $p sockets "$URL1" "$SOCKC" 1024; done
done
echo "socket_action: one stream alone and beside $IDLE idle transfers, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
    for p in mp curl; do
        run idle0 $p idle "$URL1" 1024 5000 "$HANG" 0
        run idleN $p idle "$URL1" 1024 5000 "$HANG" "$IDLE"
    done
done
# large bodies: nginx with sendfile on and off; the floor with three receive
# buffers, and the largest waking for 128 KiB (SO_RCVLOWAT, as the engine
# does on Linux): the best one is its row. Runs of identical programs differ
# by up to 10% here, hence the rounds. A floor is BUFFER or BUFFERwLOWAT.
FLOORBUFS="16384 65536 262144 262144w131072"
# floor_args FLOOR: its buffer and SO_RCVLOWAT as floor.c takes them
floor_args() { if [ "${1#*w}" != "$1" ]; then echo "${1%w*} ${1#*w}"; else echo "$1"; fi; }
# floor_name FLOOR: what it is, for the table
floor_name() {
    if [ "${1#*w}" != "$1" ]; then echo "$((${1%w*} / 1024)) KiB buffer, waking for $((${1#*w} / 1024)) KiB"
    else echo "$(($1 / 1024)) KiB buffer"; fi
}
echo "large body, sendfile on and off, $((ROUNDS * 10)) rounds"
for r in $(seq 1 $((ROUNDS * 10))); do
    for sf in on off; do
        u=$URLL
        [ $sf = off ] && u=$URLL_OFF
        for p in mp curl; do run lg$sf $p large "$u" $LARGE; done
        # shellcheck disable=SC2046
        for fb in $FLOORBUFS; do run lg$sf$fb floor large "$u" $LARGE $(floor_args "$fb"); done
    done
done
echo "HTTPS: keep-alive, fresh and resumed connections, one large body, $HTTPS_CONC at once; $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
    for p in mp curl; do
        run tka $p keepalive "$URLS1" $((KA_TOTAL / 2)) 16 1024
        run tfresh $p fresh "$URLS1" 300 1024 0
        run tresume $p fresh "$URLS1" 1000 1024 1
        run tlarge $p large "$URLSL" $LARGE
        run tconc $p concurrent "$URLS1" "$HTTPS_CONC" 1024
    done
done

echo "the command-line tool: make cli-static's binary, curl and wget, 100 files of 1 MiB"
bash tools/cli-static.sh >>"$LOG" 2>&1 || fail "make cli-static failed; see $ROOT/build/cli/log.txt"
MPERF_CLI_TLS=0 MPERF_CLI_OUT="$B/mperf-http" bash tools/cli-static.sh >>"$LOG" 2>&1 || fail "make cli-static (http only) failed"
CLI_TLS_SIZE=$(stat -c %s "$ROOT/build/cli/mperf")
CLI_HTTP_SIZE=$(stat -c %s "$B/mperf-http")
CLI_TABLE=$(CLIPIN=$CLIPIN bash bench/cli.sh "http://127.0.0.1:$PORT" "$B/www" "$B" "$ROOT/build/cli/mperf" "$ROUNDS") ||
    fail "bench/cli.sh failed (a wrong or missing file?)"

echo "counting allocations and system calls"
for p in mp curl; do
    out=$(LD_PRELOAD=$B/mallocount.so $CLIPIN "$B/bench-$p" keepalive "$URL1" 20000 16 1024 2>>"$LOG") ||
        fail "$p under the allocation counter failed"
    echo "alloc $p $out" >>"$RES"
done
# syscalls per request: strace -f -c over a whole run, divided by its requests
for p in mp curl floor; do
    strace -f -c -o "$B/strace-$p.txt" $CLIPIN "$B/bench-$p" keepalive "$URL1" 20000 16 1024 >>"$LOG" 2>&1 ||
        fail "$p under strace failed"
done
sc() { awk '$NF == "total" {print $4 / 20000}' "$B/strace-$1.txt"; }
sigc() { awk '$NF == "rt_sigaction" {print $4 / 20000}' "$B/strace-$1.txt"; }

# ---- code size --------------------------------------------------------------
# size_of NAME FLAGS... : code size of minimal_get.c built with FLAGS ("nan" if it does not build)
size_of() {
    minimal_text "$B" "$@" 2>>"$LOG" || echo "nan"
}
SWITCHES="MPERF_NO_REDIRECTS MPERF_NO_UPLOADS MPERF_NO_VERBOSE MPERF_NO_AUTH MPERF_NO_PROGRESS MPERF_NO_RANGES MPERF_NO_ROUTING MPERF_NO_HEADER_API MPERF_NO_ERROR_TEXT MPERF_NO_EVENTS MPERF_NO_TRANSPORT MPERF_NO_RAW MPERF_NO_DIGEST MPERF_NO_PROXY MPERF_NO_DECODING MPERF_NO_COOKIES MPERF_SYSTEM_RESOLVER"
# shellcheck disable=SC2086
HTTPSW=$(printf -- '-D%s ' $SWITCHES)
SIZELIBS=""
S_SMALL=$(size_of smallest -DMPERF_MINIMAL)
S_NOTLS=$(size_of notls -DMPERF_NO_TLS)
S_NOPX=$(size_of nopx -DMPERF_NO_TLS -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES)
S_NODEC=$(size_of nodec -DMPERF_NO_TLS -DMPERF_NO_DECODING -DMPERF_NO_COOKIES)
S_NOCK=$(size_of nock -DMPERF_NO_TLS -DMPERF_NO_COOKIES)
S_NOROUTE=$(size_of noroute -DMPERF_NO_TLS -DMPERF_NO_ROUTING -DMPERF_NO_HEADER_API -DMPERF_SYSTEM_RESOLVER -DMPERF_NO_EVENTS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES)
S_NOSTUB=$(size_of nostub -DMPERF_NO_TLS -DMPERF_SYSTEM_RESOLVER -DMPERF_NO_EVENTS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES)
S_NOTP=$(size_of notp -DMPERF_NO_TLS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES)
# a static musl binary of the minimal GET (no TLS): its whole text, libc included, with the stub
# resolver and with getaddrinfo (musl's resolver then comes along)
musl_size() {
    command -v musl-gcc >/dev/null && musl-gcc -std=c99 $SZ -static "$@" -o "$B/min-musl" bench/minimal_get.c 2>>"$LOG" &&
        text "$B/min-musl" || echo "nan"
}
M_STUB=$(musl_size -DMPERF_NO_TLS)
M_SYS=$(musl_size -DMPERF_NO_TLS -DMPERF_SYSTEM_RESOLVER)
M_RES=$(musl_size -DMPERF_NO_TLS >/dev/null && { nm "$B/min-musl" 2>/dev/null | grep -cw getaddrinfo; true; })
# HTTPS sizes, first with Debian's prebuilt libbearssl.a
SIZELIBS="-Wl,-Bstatic -lbearssl -Wl,-Bdynamic"
# shellcheck disable=SC2086
D_TLS=$(size_of tls-deb -DMPERF_TLS_SMALL $HTTPSW)
D_TLSALL=$(size_of tlsall-deb -DMPERF_TLS_SMALL)
D_TLSFULL=$(size_of tlsfull-deb)
S_TLS=nan S_TLSALL=nan S_TLSFULL=nan
if bearssl_from_source; then
    SIZELIBS=$BEARSSL_SRC_A
    # shellcheck disable=SC2086
    S_TLS=$(size_of tls -DMPERF_TLS_SMALL $HTTPSW)
    S_TLSALL=$(size_of tlsall -DMPERF_TLS_SMALL)
    S_TLSFULL=$(size_of tlsfull)
else
    echo "bench: could not fetch or build BearSSL's source (see $LOG); HTTPS sizes with it are left out" >&2
fi
# static musl binaries with HTTPS: BearSSL from Debian's source built by musl-gcc with the size flags,
# the minimal GET's whole text, libc included: the smallest HTTPS build, and every feature in
# and the smallest static builds a firmware or container user makes: every MPERF_NO_ switch but TLS
# with the built-in stub resolver (no libc resolver), MPERF_NO_LIBC_PRINTF and MPERF_NO_STDIO; HTTP only and HTTPS
STUBSW="$(printf -- '-D%s ' $SWITCHES | sed 's/-DMPERF_SYSTEM_RESOLVER//') -DMPERF_NO_LIBC_PRINTF -DMPERF_NO_STDIO"
# shellcheck disable=SC2086
M_SMALL=$(musl_size -DMPERF_NO_TLS $STUBSW)
M_NODNS=$(musl_size -DMPERF_MINIMAL -DMPERF_NO_DNS -DMPERF_NO_LIBC_PRINTF -DMPERF_NO_STDIO)
# the same smallest builds without a heap, as firmware often is: all of the engine's memory on a static arena
# (bss, not text) and the default allocator giving nothing, so no malloc or free is linked
ARENASW="-DMPERF_ARENA -DMINIMAL_ARENA=1048576"
# shellcheck disable=SC2086
M_ARENA=$(musl_size -DMPERF_NO_TLS $STUBSW $ARENASW)
M_TLS=nan M_TLSFULL=nan M_SMALLTLS=nan M_ARENATLS=nan
if command -v musl-gcc >/dev/null && bearssl_source &&
    { [ -f "$BEARSSL_DIR/libbearssl-musl.a" ] || bearssl_build "$BEARSSL_DIR/libbearssl-musl.a" musl-gcc $SZFLAGS; }; then
    # shellcheck disable=SC2086
    M_TLS=$(musl-gcc -std=c99 $SZ -static -DMPERF_TLS_SMALL $HTTPSW -I "$BEARSSL_SRC/inc" -o "$B/min-musl-tls" \
        bench/minimal_get.c "$BEARSSL_DIR/libbearssl-musl.a" 2>>"$LOG" && text "$B/min-musl-tls") || M_TLS=nan
    # shellcheck disable=SC2086
    M_SMALLTLS=$(musl-gcc -std=c99 $SZ -static -DMPERF_TLS_SMALL $STUBSW -I "$BEARSSL_SRC/inc" -o "$B/min-musl-smalltls" \
        bench/minimal_get.c "$BEARSSL_DIR/libbearssl-musl.a" 2>>"$LOG" && text "$B/min-musl-smalltls") || M_SMALLTLS=nan
    # shellcheck disable=SC2086
    M_ARENATLS=$(musl-gcc -std=c99 $SZ -static -DMPERF_TLS_SMALL $STUBSW $ARENASW -I "$BEARSSL_SRC/inc" -o "$B/min-musl-arenatls" \
        bench/minimal_get.c "$BEARSSL_DIR/libbearssl-musl.a" 2>>"$LOG" && text "$B/min-musl-arenatls") || M_ARENATLS=nan
    # shellcheck disable=SC2086
    M_TLSFULL=$(musl-gcc -std=c99 $SZ -static -I "$BEARSSL_SRC/inc" -o "$B/min-musl-tlsfull" \
        bench/minimal_get.c "$BEARSSL_DIR/libbearssl-musl.a" 2>>"$LOG" && text "$B/min-musl-tlsfull") || M_TLSFULL=nan
fi
SIZELIBS=""
CURLSO=$(for d in /usr/lib/*/libcurl.so.4 /usr/lib/libcurl.so.4; do [ -e "$d" ] && text "$(readlink -f "$d")" && break; done)
# what each switch saves from the default build without TLS
: >"$B/switches.txt"
for s in $SWITCHES; do
    v=$(size_of "$s" -DMPERF_NO_TLS -D$s)
    echo "$s $((S_NOTLS - v))" >>"$B/switches.txt"
done

# ---- parser -----------------------------------------------------------------
POUT=$($CLIPIN "$B/parser" 2>>"$LOG") || fail "parser benchmark failed (a head did not parse)"
P_PICO42=nan P_WHOLE42=nan
if pico_source && $CC -O2 -msse4.2 -c -o "$B/pico-sse42.o" "$PICO_DIR/picohttpparser.c" >>"$LOG" 2>&1 &&
    $CC -O2 -DBENCH_PICO -o "$B/parser-sse42" bench/parser.c "$B/pico-sse42.o" >>"$LOG" 2>&1; then
    POUT42=$($CLIPIN "$B/parser-sse42" 2>>"$LOG") || fail "parser benchmark (SSE4.2 picohttpparser) failed"
    P_PICO42=$(echo "$POUT42" | kv pico_ns)
    P_WHOLE42=$(echo "$POUT42" | kv whole_ns)
else
    echo "bench: could not fetch or build picohttpparser from h2o's source (see $LOG); its SSE4.2 row is left out" >&2
fi

# ---- report -----------------------------------------------------------------
r() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'; }
f0() { awk -v a="$1" 'BEGIN {printf "%.0f", a}'; }
f1() { awk -v a="$1" 'BEGIN {printf "%.1f", a}'; }
f2() { awk -v a="$1" 'BEGIN {printf "%.2f", a}'; }
ok_ge() { awk -v a="$1" -v b="$2" 'BEGIN {print (a >= b) ? "yes" : "**no**"}'; }
ok_le() { awk -v a="$1" -v b="$2" 'BEGIN {print (a <= b) ? "yes" : "**no**"}'; }
KA_MP=$(median ka mp rps) KA_CU=$(median ka curl rps) KA_FL=$(median ka floor rps)
KC_MP=$(median ka mp ka_cpu) KC_CU=$(median ka curl ka_cpu) KC_FL=$(median ka floor ka_cpu)
AL_MP=$(median alloc mp mallocs) AL_CU=$(median alloc curl mallocs)
SC_MP=$(sc mp) SC_CU=$(sc curl) SC_FL=$(sc floor)
SG_MP=$(sigc mp) SG_CU=$(sigc curl)
CC_MP=$(median conc mp conc_cpu) CC_CU=$(median conc curl conc_cpu) CC_FL=$(median conc floor conc_cpu)
CR_MP=$(median conc mp conc_rss) CR_CU=$(median conc curl conc_rss) CR_FL=$(median conc floor conc_rss)
# large: per setting, the medians and the floor's best buffer
for sf in on off; do
    eval "LG_MP_$sf=\$(median lg$sf mp mbps) LG_CU_$sf=\$(median lg$sf curl mbps)"
    eval "LC_MP_$sf=\$(median lg$sf mp cpu_mb) LC_CU_$sf=\$(median lg$sf curl cpu_mb)"
    best=0 bestb=""
    for fb in $FLOORBUFS; do
        v=$(median lg$sf$fb floor mbps)
        if awk -v a="$v" -v b="$best" 'BEGIN {exit !(a > b)}'; then best=$v bestb=$fb; fi
    done
    eval "LG_FL_$sf=$best LG_FB_$sf=$bestb LC_FL_$sf=\$(median lg$sf$bestb floor cpu_mb)"
done
# ratio_ci TAG_A PROG_A TAG_B PROG_B: a 95% interval for the ratio of the two programs' MB/s medians, from a
# bootstrap (2,000 resamples of each one's runs, a fixed seed): how far the run's spread lets the ratio move
ratio_ci() {
    { grep "^$1 $2 " "$RES" | sed 's/^/A /'; grep "^$3 $4 " "$RES" | sed 's/^/B /'; } | awk '
    function rmed(x, n, s, i, j, t) { # the median of a resample of x[1..n], as median() takes it
        for (i = 1; i <= n; i++) {
            t = x[int(rand() * n) + 1]
            for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]
            s[j + 1] = t
        }
        return s[int((n + 1) / 2)]
    }
    {
        for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        v = f["bytes"] / f["seconds"] / 1e6
        if ($1 == "A") a[++na] = v; else b[++nb] = v
    }
    END {
        if (!na || !nb) { print "nan"; exit }
        srand(1)
        for (k = 1; k <= 2000; k++) {
            t = rmed(a, na) / rmed(b, nb)
            for (j = k - 1; j >= 1 && r[j] > t; j--) r[j + 1] = r[j]
            r[j + 1] = t
        }
        printf "%.2f-%.2f", r[51], r[1950]
    }'
}
# large_row SETTING WHAT: the MB/s row and its CPU row
large_row() {
    local sf=$1 what=$2 mp cu fl fb mc cc fc
    eval "mp=\$LG_MP_$sf cu=\$LG_CU_$sf fl=\$LG_FL_$sf fb=\$LG_FB_$sf mc=\$LC_MP_$sf cc=\$LC_CU_$sf fc=\$LC_FL_$sf"
    echo "| 256 MiB body, one transfer, $what: MB/s | $(f0 $cu) | $(f0 $mp) | $(f0 $fl) ($(floor_name "$fb"), the best of $(echo $FLOORBUFS | awk '{for (i = 1; i <= NF; i++) if ($i !~ /w/) printf "%s%d", (i > 1 ? "/" : ""), $i / 1024}') KiB and 256 KiB waking for 128 KiB) | $(r $mp $cu) ($(r $mp $fl) of the floor; 95% intervals $(ratio_ci lg$sf mp lg$sf curl) and $(ratio_ci lg$sf mp lg$sf$fb floor)) | >= 1.0x libcurl, >= 0.95x floor | $(awk -v a=$mp -v b=$cu -v c=$fl 'BEGIN {print (a >= b && a >= 0.95 * c) ? "yes" : "**no**"}') |"
    echo "| same: client CPU per MB (us) | $(f1 $cc) | $(f1 $mc) | $(f1 $fc) | $(r $mc $cc) | | |"
}
T_KA_MP=$(median tka mp rps) T_KA_CU=$(median tka curl rps)
T_FR_MP=$(median tfresh mp ka_cpu) T_FR_CU=$(median tfresh curl ka_cpu)
T_RE_MP=$(median tresume mp ka_cpu) T_RE_CU=$(median tresume curl ka_cpu)
T_LG_MP=$(median tlarge mp mbps) T_LG_CU=$(median tlarge curl mbps)
T_LC_MP=$(median tlarge mp cpu_mb) T_LC_CU=$(median tlarge curl cpu_mb)
T_CR_MP=$(median tconc mp conc_rss) T_CR_CU=$(median tconc curl conc_rss)
SA_MP=$(median sock mp conc_cpu) SA_CU=$(median sock curl conc_cpu)
SR_MP=$(median sock mp conc_rss) SR_CU=$(median sock curl conc_rss)
I0_MP=$(median idle0 mp idle_cpu) I0_CU=$(median idle0 curl idle_cpu)
IN_MP=$(median idleN mp idle_cpu) IN_CU=$(median idleN curl idle_cpu)
P_WHOLE=$(echo "$POUT" | kv whole_ns) P_BYTE=$(echo "$POUT" | kv bytewise_ns_per_byte)
P_LONG=$(echo "$POUT" | kv long_bytewise_ns_per_byte)
P_MEMCHR=$(echo "$POUT" | kv memchr_lines_ns)
P_PICO=$(echo "$POUT" | kv pico_ns)
# ---- inflate: the header's against zlib's, the same gzip bodies in 16 KiB pieces (bench/inflate.c) ----
INFL=""
if $CC -O2 -D_GNU_SOURCE -o "$B/inflate" bench/inflate.c -lz -lbearssl >>"$LOG" 2>&1; then
    # shellcheck disable=SC2046
    INFL=$($CLIPIN "$B/inflate" $(ls /usr/include/*.h 2>/dev/null | head -300) /usr/bin/gcc-12 2>>"$LOG") || fail "inflate benchmark failed"
else
    fail "inflate benchmark did not build (see $LOG)"
fi
infl_row() { # NAME WHAT
    echo "$INFL" | awk -v n="$1" -v w="$2" '$1 == n {printf "| gzip body inflated, %s (%.1f MB, ratio %.1f): MB/s of output, 16 KiB pieces | %.0f (zlib %s) | %.0f | | %.2fx zlib | >= 0.8x zlib | %s |\n", w, $2 / 1e6, $2 / $3, $5, "'"$(dpkg-query -W -f '${Version}' zlib1g 2>/dev/null | sed 's/^1://; s/-.*//')"'", $4, $6, ($6 >= 0.8) ? "yes" : "**no**"}'
}
CURLV=$(curl-config --version 2>/dev/null || echo "libcurl $(dpkg-query -W -f '${Version}' libcurl4-openssl-dev 2>/dev/null)")
REPORT=$ROOT/bench/README.md
{
    echo "# make bench: multiperform against libcurl"
    echo
    echo "Written by \`make bench\` (bench/run.sh) from its last run; figures from different runs or machines"
    echo "are not comparable. One benchmark source written against libcurl's API (bench/bench.c) is built"
    echo "against libcurl and against multiperform through compat/curl/curl.h, and bench/floor.c is a"
    echo "hand-rolled poll loop with no library (the kernel's share); all three run in the same invocation"
    echo "against one local nginx, taking turns. Every response is checked (status 200 and byte count)."
    echo "Allocations are counted with an LD_PRELOAD shim (bench/mallocount.c), system calls with strace -f -c."
    echo
    echo "- run: $(date -u '+%Y-%m-%d %H:%M UTC'), at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- multiperform.h 2>/dev/null || echo ' (multiperform.h modified)')"
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $NCPU CPUs, $(uname -sr)"
    echo "- against: $CURLV; $(nginx -v 2>&1 | sed 's/.*: //'), 1 worker${SRVCPU:+ on CPU 0, clients on CPU 1}; medians of $ROUNDS keep-alive runs, $((ROUNDS * 3)) concurrent runs and $((ROUNDS * 10)) large-body runs"
    echo
    echo "| workload | libcurl | multiperform | floor (no library) | multiperform / libcurl | target | met |"
    echo "|---|---:|---:|---:|---:|---|---|"
    echo "| 1 KiB GETs, keep-alive, 16 at a time: requests/s | $(f0 $KA_CU) | $(f0 $KA_MP) | $(f0 $KA_FL) | $(r $KA_MP $KA_CU) | >= 1.05x | $(ok_ge "$(awk -v a=$KA_MP -v b=$KA_CU 'BEGIN{print a/b}')" 1.05) |"
    echo "| same: client CPU per request (us) | $(f1 $KC_CU) | $(f1 $KC_MP) | $(f1 $KC_FL) | $(r $KC_MP $KC_CU) | <= 0.8x | $(ok_le "$(awk -v a=$KC_MP -v b=$KC_CU 'BEGIN{print a/b}')" 0.8) |"
    echo "| same: system calls per request (strace -f -c) | $(f2 $SC_CU) ($(f2 ${SG_CU:-0}) rt_sigaction) | $(f2 $SC_MP) ($(f2 ${SG_MP:-0}) rt_sigaction) | $(f2 $SC_FL) | $(r $SC_MP $SC_CU) | <= 2.5 | $(ok_le $SC_MP 2.5) |"
    echo "| same: heap allocations per request, warm | $(f2 $AL_CU) | $(f2 $AL_MP) | 0 | - | 0 | $(ok_le $AL_MP 0) |"
    echo "| $CONC concurrent 1 KiB transfers: CPU per request (us) | $(f1 $CC_CU) | $(f1 $CC_MP) | $(f1 $CC_FL) | $(r $CC_MP $CC_CU) | <= 0.5x | $(ok_le "$(awk -v a=$CC_MP -v b=$CC_CU 'BEGIN{print a/b}')" 0.5) |"
    echo "| same: peak RSS per concurrent transfer (KiB) | $(f2 $CR_CU) | $(f2 $CR_MP) | $(f2 $CR_FL) | $(r $CR_MP $CR_CU) | <= 4 KiB | $(ok_le $CR_MP 4) |"
    echo "| $SOCKC concurrent 1 KiB transfers through socket_action and epoll: CPU per request (us) | $(f1 $SA_CU) | $(f1 $SA_MP) | | $(r $SA_MP $SA_CU) | <= 0.5x | $(ok_le "$(awk -v a=$SA_MP -v b=$SA_CU 'BEGIN{print a/b}')" 0.5) |"
    echo "| same: peak RSS per concurrent transfer (KiB) | $(f2 $SR_CU) | $(f2 $SR_MP) | | $(r $SR_MP $SR_CU) | <= 4 KiB | $(ok_le $SR_MP 4) |"
    echo "| one keep-alive stream of 1 KiB GETs through socket_action, alone: CPU per request (us) | $(f1 $I0_CU) | $(f1 $I0_MP) | | $(r $I0_MP $I0_CU) | | |"
    echo "| same stream beside $IDLE idle transfers: CPU per request (us) | $(f1 $IN_CU) | $(f1 $IN_MP) | | $(r $IN_MP $IN_CU) | within 2x of alone ($(r $IN_MP $I0_MP)) | $(ok_le "$(awk -v a=$IN_MP -v b=$I0_MP 'BEGIN{print a/b}')" 2) |"
    large_row on "nginx with sendfile on (as Debian's and other distributions' configs have it)"
    large_row off "nginx with sendfile off (nginx's built-in default)"
    echo "| HTTPS, 1 KiB GETs, keep-alive, 16 at a time: requests/s | $(f0 $T_KA_CU) | $(f0 $T_KA_MP) | | $(r $T_KA_MP $T_KA_CU) | >= 1.05x | $(ok_ge "$(awk -v a=$T_KA_MP -v b=$T_KA_CU 'BEGIN{print a/b}')" 1.05) |"
    echo "| HTTPS, a new connection per GET, no session reuse (full handshake): client CPU per GET (us) | $(f0 $T_FR_CU) | $(f0 $T_FR_MP) | | $(r $T_FR_MP $T_FR_CU) | <= 1.5x | $(ok_le "$(awk -v a=$T_FR_MP -v b=$T_FR_CU 'BEGIN{print a/b}')" 1.5) |"
    echo "| HTTPS, a new connection per GET, the TLS session resumed: client CPU per GET (us) | $(f0 $T_RE_CU) | $(f0 $T_RE_MP) | | $(r $T_RE_MP $T_RE_CU) | <= 1.0x | $(ok_le "$(awk -v a=$T_RE_MP -v b=$T_RE_CU 'BEGIN{print a/b}')" 1.0) |"
    echo "| HTTPS, 256 MiB body, one connection: MB/s | $(f0 $T_LG_CU) | $(f0 $T_LG_MP) | | $(r $T_LG_MP $T_LG_CU) | >= 1.0x | $(ok_ge "$(awk -v a=$T_LG_MP -v b=$T_LG_CU 'BEGIN{print a/b}')" 1.0) |"
    echo "| same: client CPU per MB (us) | $(f1 $T_LC_CU) | $(f1 $T_LC_MP) | | $(r $T_LC_MP $T_LC_CU) | | |"
    echo "| HTTPS, $HTTPS_CONC transfers at once (each its own connection): peak RSS per transfer (KiB) | $(f1 $T_CR_CU) | $(f1 $T_CR_MP) | | $(r $T_CR_MP $T_CR_CU) | | |"
    echo "| minimal GET program, smallest build (MPERF_MINIMAL), bytes of text | | $S_SMALL | | | <= 24 KiB (24576) | $(ok_le $S_SMALL 24576) |"
    echo "| same, default build without TLS (MPERF_NO_TLS), routing options, header API, stub resolver, event API, transport interface, raw connections, Digest, proxies, decoding and cookies left out (MPERF_NO_ROUTING, MPERF_NO_HEADER_API, MPERF_SYSTEM_RESOLVER, MPERF_NO_EVENTS, MPERF_NO_TRANSPORT, MPERF_NO_RAW, MPERF_NO_DIGEST, MPERF_NO_PROXY, MPERF_NO_DECODING, MPERF_NO_COOKIES): the feature set the 40 KiB target was set for | | $S_NOROUTE | | | <= 40 KiB (40960) | $(ok_le $S_NOROUTE 40960) |"
    echo "| same, default build without TLS, stub resolver, event API, transport interface, raw connections, Digest, proxies, decoding and cookies left out: the feature set the 48 KiB check was set for | | $S_NOSTUB | | | <= 48 KiB (49152) | $(ok_le $S_NOSTUB 49152) |"
    echo "| same, default build without TLS, every feature in but the transport interface, raw connections, Digest, proxies, decoding and cookies (MPERF_NO_TRANSPORT, MPERF_NO_RAW, MPERF_NO_DIGEST, MPERF_NO_PROXY, MPERF_NO_DECODING, MPERF_NO_COOKIES): the feature set the 56 KiB check was set for | | $S_NOTP | | | <= 56 KiB (57344) | $(ok_le $S_NOTP 57344) |"
    echo "| same, default build without TLS, every feature in but proxies, decoding and cookies (MPERF_NO_PROXY, MPERF_NO_DECODING, MPERF_NO_COOKIES): the feature set the 64 KiB check was set for | | $S_NOPX | | | <= 64 KiB (65536) | $(ok_le $S_NOPX 65536) |"
    echo "| same, default build without TLS, every feature in but decoding and cookies (MPERF_NO_DECODING, MPERF_NO_COOKIES): the feature set the 72 KiB check was set for | | $S_NODEC | | | <= 72 KiB (73728) | $(ok_le $S_NODEC 73728) |"
    echo "| same, default build without TLS, every feature in but cookies (MPERF_NO_COOKIES): the feature set the 80 KiB check was set for | | $S_NOCK | | | <= 80 KiB (81920) | $(ok_le $S_NOCK 81920) |"
    echo "| same, default build without TLS (MPERF_NO_TLS), every feature in (stub resolver, event API, transport interface, raw connections, Digest, HTTP proxies, decoding, cookies) | | $S_NOTLS | | | <= 88 KiB (90112) | $(ok_le $S_NOTLS 90112) |"
    echo "| same, a static musl binary (MPERF_NO_TLS), whole text with libc: stub resolver / getaddrinfo | | $M_STUB / $M_SYS | | | no libc resolver with the stub | $([ "$M_RES" = 0 ] && echo yes || echo '**no**') |"
    echo "| same, smallest HTTPS build (MPERF_TLS_SMALL and every MPERF_NO_ switch but MPERF_NO_TLS), BearSSL static | | $S_TLS | | | <= 100 KiB (102400) | $(ok_le $S_TLS 102400) |"
    echo "| same, a static musl binary with HTTPS (BearSSL built by musl-gcc), whole text with libc: smallest HTTPS build / every feature, default suites | | $M_TLS / $M_TLSFULL | | | | |"
    echo "| minimal GET as a static musl binary, libc included: every MPERF_NO_ switch but TLS, the built-in stub resolver (no libc resolver), MPERF_NO_LIBC_PRINTF, MPERF_NO_STDIO: HTTP only / HTTPS (MPERF_TLS_SMALL, BearSSL built by musl-gcc) | | $M_SMALL / $M_SMALLTLS | | | HTTP only <= 40 KiB (40960), HTTPS <= 120 KiB (122880) | $(ok_le "$M_SMALL" 40960) / $(ok_le "$M_SMALLTLS" 122880) |"
    echo "| same builds with no heap: every byte the engine uses on a static arena (MPERF_ARENA, 1 MiB of bss), the default allocator giving nothing, so no malloc or free is linked (a firmware build): HTTP only / HTTPS | | $M_ARENA / $M_ARENATLS | | | | |"
    echo "| same, HTTP only, with no resolver of its own (MPERF_MINIMAL, MPERF_NO_DNS, MPERF_NO_LIBC_PRINTF, MPERF_NO_STDIO: IP literals, RESOLVE and the program's resolver) | | $M_NODNS | | | | |"
    echo "| same, HTTPS, MPERF_TLS_SMALL with every HTTP feature | | $S_TLSALL | | | | |"
    echo "| same, HTTPS, default suites, every HTTP feature | | $S_TLSFULL | | | | |"
    echo "| response head, 430 B, 13 fields, whole: ns | | $(f0 $P_WHOLE) | | | <= 150 ns | $(ok_le $P_WHOLE 150) |"
    echo "| same head, picohttpparser (phr_parse_response from Debian's libh2o-evloop0.13), same run: ns | | $(awk -v a="$P_PICO" 'BEGIN {if (a > 0) printf "%.0f (multiperform / picohttpparser %.2fx)", a, '"${P_WHOLE:-0}"' / a; else print "not built"}') | | | | |"
    echo "| same head, picohttpparser built -O2 -msse4.2 from Debian's h2o source, timed beside ours again: ns | | $(awk -v a="$P_PICO42" -v w="$P_WHOLE42" 'BEGIN {if (a > 0) printf "%.0f (beside multiperform %.0f: %.2fx)", a, w, w / a; else print "not built"}') | | | | |"
    echo "| same head, calibration: only finding its line ends with glibc memchr, no checks: ns | | $(f0 $P_MEMCHR) | | | | |"
    echo "| same, fed one byte per call: ns per byte (430 B head / 3.3 KB head) | | $(f1 $P_BYTE) / $(f1 $P_LONG) | | | linear | $(awk -v a=$P_BYTE -v b=$P_LONG 'BEGIN{print (b <= a * 2) ? "yes" : "**no**"}') |"
    infl_row files "the machine's C headers and a compiler binary"
    infl_row html "an HTML-like page"
    infl_row records "JSON-like records"
    echo
    echo "The 256 MiB rows: the floor reads with each of the buffer sizes named, and with the largest asking the kernel to wake it for 128 KiB (SO_RCVLOWAT, as multiperform does on Linux while a long body streams in fast); the best median is shown; the 95% intervals are for multiperform's ratio to libcurl and to that floor, from a bootstrap over the runs (2,000 resamples): a target inside its interval is within what this many runs can tell apart."
    echo "The HTTPS rows: the same nginx with an ECDSA P-256 certificate signed by a P-256 CA (made by the run), TLS 1.2 and 1.3, a shared session cache and session tickets (nginx's defaults)."
    echo "libcurl (OpenSSL $(dpkg-query -W -f '${Version}' libssl3 2>/dev/null)) negotiates TLS 1.3 with X25519 and resumes with tickets; multiperform (BearSSL $(dpkg-query -W -f '${Version}' libbearssl-dev 2>/dev/null), TLS 1.2 only) negotiates ECDHE on the curve nginx picks from its list and resumes by session ID."
    echo "A fresh GET here is 300 GETs one after another, each on a new connection; a resumed one 1000 (bench.c fresh)."
    echo
    echo "Code size is the text of bench/minimal_get.c built with $SZ, minus an empty main."
    echo "The HTTPS builds link BearSSL $(dpkg-query -W -f '${Version}' libbearssl-dev 2>/dev/null) compiled from Debian's source package with the same flags ($SZFLAGS)."
    echo "Linked with Debian's prebuilt libbearssl.a (-O2, unwind tables) instead they are $D_TLS, $D_TLSALL and $D_TLSFULL bytes."
    echo "For reference, Debian's shared libcurl (every protocol, linked dynamically) has ${CURLSO:-?} bytes of text."
    echo
    echo "## The command-line tool (mperf) beside curl and wget"
    echo
    echo "The same nginx serves 100 files of 1 MiB; each tool fetches all of them into an empty directory,"
    echo "$ROUNDS times in turn (medians; wall time and peak RSS from GNU time, clients on the same CPU as above);"
    echo "every file of every run is compared with its source (bench/cli.sh)."
    echo
    echo "$CLI_TABLE"
    echo
    echo "| make cli-static, stripped file size | bytes | target | met |"
    echo "|---|---:|---|---|"
    echo "| with HTTPS (MPERF_TLS_SMALL, BearSSL from source) and every option | $CLI_TLS_SIZE | <= 160 KiB (163840) | $(ok_le "$CLI_TLS_SIZE" 163840) |"
    echo "| http only (MPERF_CLI_TLS=0) | $CLI_HTTP_SIZE | <= 64 KiB (65536) | $(ok_le "$CLI_HTTP_SIZE" 65536) |"
    echo
    echo "What each switch saves from the default build without TLS ($S_NOTLS bytes), by the same measure"
    echo "(the switches are described in the doc block of multiperform.h):"
    echo
    echo "| switch | bytes saved |"
    echo "|---|---:|"
    while read -r s v; do echo "| $s | $v |"; done <"$B/switches.txt"
    echo "| MPERF_MINIMAL (all of them and TLS; no big receive buffer) | $((S_NOTLS - S_SMALL)) |"
} >"$REPORT"
echo
cat "$REPORT"
echo
echo "report written to bench/README.md"
