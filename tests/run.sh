#!/usr/bin/env bash
# make test: installs what is missing (Debian), then, in a network namespace
# of its own with only loopback up, builds every suite, starts the loopback
# servers (faultserver, nginx, openssl, tlsfault, dnsserver), runs the suites plain,
# under ASan+UBSan and under valgrind, and ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/packages.sh
fresh_build_dir test

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }

# check NAME CMD...: one test line for one command
check() {
    local name=$1
    shift
    echo "== $name: $*" >>"$LOG"
    if "$@" >>"$LOG" 2>&1; then ok "$name"; else
        bad "$name"
        tail -n 15 "$LOG" | sed 's/^/    /'
    fi
}

# suite NAME CMD...: runs a test program and counts each of its tests
suite() {
    local name=$1 out line rc seen_fail=0 seen_end=0
    shift
    out=$B/$name.out
    "$@" >"$out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok "$name: ${line#ok - }" ;;
        "FAIL - "*) bad "$name: ${line#FAIL - }"; seen_fail=1 ;;
        "# "*) seen_end=1 ;;
        "  "*) echo "$line" ;;
        esac
    done <"$out"
    if [ $rc -ne 0 ] && [ $seen_fail -eq 0 ]; then
        bad "$name: exit status $rc (crash, sanitizer or valgrind report)"
        tail -n 30 "$out" | sed 's/^/    /'
    elif [ $seen_end -eq 0 ]; then
        bad "$name: did not finish"
        tail -n 30 "$out" | sed 's/^/    /'
    fi
}

# ---- dependencies -------------------------------------------------------
need=""
command -v gcc >/dev/null || need="$need gcc"
command -v g++ >/dev/null || need="$need g++"
command -v clang >/dev/null || need="$need clang"
command -v nginx >/dev/null || need="$need nginx-light"
command -v valgrind >/dev/null || need="$need valgrind"
command -v openssl >/dev/null || need="$need openssl"
[ -f /usr/include/bearssl.h ] || need="$need libbearssl-dev"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need="$need libclang-rt-dev"
command -v x86_64-w64-mingw32-gcc >/dev/null || need="$need gcc-mingw-w64-x86-64"
command -v wine >/dev/null || need="$need wine wine64"
command -v musl-gcc >/dev/null || need="$need musl-tools"
[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || need="$need libcurl4-openssl-dev"
command -v ip >/dev/null || need="$need iproute2"
command -v cmake >/dev/null || need="$need cmake"
command -v curl >/dev/null || need="$need curl"
command -v s390x-linux-gnu-gcc >/dev/null || need="$need gcc-s390x-linux-gnu"
command -v arm-linux-gnueabihf-gcc >/dev/null || need="$need gcc-arm-linux-gnueabihf"
command -v riscv64-linux-gnu-gcc >/dev/null || need="$need gcc-riscv64-linux-gnu"
command -v qemu-s390x-static >/dev/null || need="$need qemu-user-static"
command -v tinyproxy >/dev/null || need="$need tinyproxy"
[ -x /usr/sbin/squid ] || need="$need squid"
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev" # the reference the inflater is compared with (tests only)
command -v xz >/dev/null || need="$need xz-utils"
command -v meson >/dev/null || need="$need meson"
command -v pkg-config >/dev/null || need="$need pkg-config"
[ -f /usr/include/lwip/lwip/sockets.h ] || need="$need liblwip-dev"
# shellcheck disable=SC2086
install_missing "$LOG" $need
# BearSSL's source from Debian, for the static musl build with TLS (fetched
# once into build/, while the network is there)
if [ "${MPT_NETNS:-}" != 1 ] && ! bearssl_source; then
    echo "note: could not fetch BearSSL's source from $DEBIAN_POOL (see $LOG): the static musl TLS build will fail"
fi
# from here on, only loopback: nothing a test starts can leave the machine
own_network tests/run.sh "make test"
# the machine's proxy settings are not the tests': a suite that wants one sets it
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

CC=${CC:-gcc}
WARN="-Wall -Wextra -Wpedantic -Wshadow"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# ---- the header alone: warnings, C and C++, symbols ----------------------
printf '#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n' >"$B/impl.c"
printf '#include <stdio.h>\n#include <string.h>\n#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n' >"$B/impl_after_libc.c"
printf '#define MPERF_STATIC\n#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n#include "multiperform.h"\n' >"$B/impl_static.c"
printf '#define MPERF_NO_TLS\n#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n' >"$B/impl_notls.c"
printf '#define MPERF_TLS_MONO\n#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n' >"$B/impl_mono.c"
for cc in gcc clang; do
    for std in c99 c11; do
        check "warning-free: $cc -std=$std" $cc -std=$std $WARN -Werror -I. -c "$B/impl.c" -o "$B/impl_$cc$std.o"
    done
done
check "warning-free: gcc -std=c99, libc headers included first" gcc -std=c99 $WARN -Werror -I. -c "$B/impl_after_libc.c" -o "$B/impl_libc.o"
check "warning-free: static mode, included twice" gcc -std=c99 $WARN -Werror -I. -c "$B/impl_static.c" -o "$B/impl_static.o"
check "warning-free: without TLS (MPERF_NO_TLS), gcc and clang" sh -c "gcc -std=c99 $WARN -Werror -I. -c $B/impl_notls.c -o $B/impl_notls.o && clang -std=c99 $WARN -Werror -I. -c $B/impl_notls.c -o $B/impl_notls2.o"
check "warning-free: -Os (no separate fast field path) and -O2 -DMPERF_NO_SIMD, gcc and clang" sh -c "gcc -std=c99 $WARN -Werror -Os -I. -c $B/impl.c -o $B/impl_os.o && clang -std=c99 $WARN -Werror -Os -I. -c $B/impl.c -o $B/impl_os2.o && gcc -std=c99 $WARN -Werror -O2 -DMPERF_NO_SIMD -I. -c $B/impl.c -o $B/impl_nosimd.o && clang -std=c99 $WARN -Werror -O2 -DMPERF_NO_SIMD -I. -c $B/impl.c -o $B/impl_nosimd2.o"
check "warning-free: half-duplex TLS buffer (MPERF_TLS_MONO)" gcc -std=c99 $WARN -Werror -I. -c "$B/impl_mono.c" -o "$B/impl_mono.o"
check "a build without TLS needs no BearSSL symbol" sh -c "! nm -u $B/impl_notls.o | grep -q ' br_'"
# every feature switch, alone and all together, and the reduced TLS profile
for sw in MPERF_NO_REDIRECTS MPERF_NO_UPLOADS MPERF_NO_VERBOSE MPERF_NO_AUTH MPERF_NO_PROGRESS MPERF_NO_RANGES MPERF_NO_ROUTING MPERF_NO_HEADER_API \
    MPERF_MINIMAL MPERF_TLS_SMALL MPERF_NO_TRANSPORT MPERF_TEST_TRANSPORT "MPERF_MINIMAL -DMPERF_TRANSPORT -DMPERF_TEST_TRANSPORT" \
    "MPERF_ARENA -DMPERF_MAX_TRANSFERS=8 -DMPERF_MAX_CONNECTIONS=2" "MPERF_MINIMAL -DMPERF_ARENA" MPERF_NO_RAW MPERF_NO_DIGEST MPERF_NO_LIBC_PRINTF MPERF_NO_STDIO "MPERF_MINIMAL -DMPERF_NO_STDIO"; do
    o=$(echo "$sw" | tr ' -' '__')
    check "warning-free: -D$sw, gcc and clang" sh -c "gcc -std=c99 $WARN -Werror -D$sw -I. -c $B/impl.c -o $B/impl_$o.o && clang -std=c99 $WARN -Werror -D$sw -I. -c $B/impl.c -o $B/impl_$o.2.o"
done
printf '#define MPERF_NO_TLS\n#define MULTIPERFORM_IMPLEMENTATION\n#include "multiperform.h"\n' >"$B/impl_win.c"
check "warning-free: Windows (mingw-w64, winsock2 and WSAPoll)" x86_64-w64-mingw32-gcc -std=c99 $WARN -Werror -I. -c "$B/impl_win.c" -o "$B/impl_win.o"
check "warning-free: musl (musl-gcc -static), every feature and MPERF_MINIMAL" sh -c "musl-gcc -std=c99 $WARN -Werror -DMPERF_NO_TLS -I. -c $B/impl.c -o $B/impl_musl.o && musl-gcc -std=c99 $WARN -Werror -DMPERF_MINIMAL -I. -c $B/impl.c -o $B/impl_musl_min.o"
check "MPERF_NO_LIBC_PRINTF: a static musl build (every feature but TLS) links no printf, inet_pton or inet_ntop" sh -c \
    "musl-gcc -std=c99 -Os -static -DMPERF_NO_TLS -DMPERF_NO_LIBC_PRINTF -o $B/min-musl-noprintf bench/minimal_get.c && ! nm $B/min-musl-noprintf | grep -wE 'vfprintf|vsnprintf|inet_pton|inet_ntop'"
# (with libc's printf, musl's snprintf brings FILE code of its own: the switch goes with MPERF_NO_LIBC_PRINTF)
check "MPERF_NO_STDIO with MPERF_NO_LIBC_PRINTF: a static musl build (every feature but TLS) links no FILE stream code" sh -c \
    "musl-gcc -std=c99 -Os -static -DMPERF_NO_TLS -DMPERF_NO_LIBC_PRINTF -DMPERF_NO_STDIO -o $B/min-musl-nostdio bench/minimal_get.c && ! nm $B/min-musl-nostdio | grep -wE 'fwrite|fread|fopen|fputs|stdout|stderr|stdin|__stdio_write'"
check "... and without MPERF_NO_STDIO the same build does (the check above can fail)" sh -c \
    "musl-gcc -std=c99 -Os -static -DMPERF_NO_TLS -DMPERF_NO_LIBC_PRINTF -o $B/min-musl-stdio bench/minimal_get.c && nm $B/min-musl-stdio | grep -qwE 'fwrite|stdout'"
check "the smallest build (MPERF_MINIMAL) needs no BearSSL symbol" sh -c "! nm -u $B/impl_MPERF_MINIMAL.o | grep -q ' br_'"
# as firmware codebases compile it: conversions, casts that drop const,
# fall-throughs, undefined macros in #if, old-style prototypes
STRICT="$WARN -Wconversion -Wcast-qual -Wimplicit-fallthrough -Wundef -Wstrict-prototypes"
strict() {
    local cc flags
    for cc in gcc clang; do
        for flags in "" -DMPERF_MINIMAL -DMPERF_TLS_SMALL -DMPERF_NO_ERROR_TEXT -Os -DMPERF_NO_SIMD -DMPERF_TRACE -DMPERF_NO_LIBC_PRINTF; do
            $cc -std=c99 $STRICT -Werror $flags -I. -c "$B/impl.c" -o "$B/impl_strict.o" || return 1
        done
    done
}
check "warning-free with -Wconversion -Wcast-qual -Wimplicit-fallthrough -Wundef -Wstrict-prototypes: gcc and clang, eight builds" strict
check "the header's structure: contents and anchors, state setters, BearSSL only in >>tls (tests/structure.sh)" bash tests/structure.sh
for cxx in g++ clang++; do
    for std in c++11 c++17; do
        check "warning-free: $cxx -std=$std" $cxx -std=$std $WARN -Werror -x c++ -I. -c "$B/impl.c" -o "$B/impl_$cxx$std.o"
    done
done
nm_check() {
    local o=$1 extra
    extra=$(nm -g --defined-only "$o" | awk '{print $3}' | grep -v '^mperf_' || true)
    [ -z "$extra" ] || { echo "symbols outside the mperf_ prefix: $extra"; return 1; }
    nm -g --defined-only "$o" | grep -q ' T mperf_multi_perform$'
}
check "nm: only mperf_ symbols exported (C)" nm_check "$B/impl_gccc99.o"
check "nm: only mperf_ symbols exported (C++)" nm_check "$B/impl_g++c++17.o"
check "nm: static mode exports nothing" test -z "$(nm -g --defined-only "$B/impl_static.o")"
check "nm: only mperf_ symbols exported (no TLS)" nm_check "$B/impl_notls.o"

# ---- code size -------------------------------------------------------------
# The code-size targets that make bench reports, checked here as well so a
# change that breaks one fails make test (the measure: tests/size.sh). Sizes
# depend on the compiler, so this runs with gcc 12 (Debian 12's, which the
# targets are measured with).
. tests/size.sh
# size_within LIMIT FLAGS...: minimal_get.c built with FLAGS has at most LIMIT bytes of text
size_within() {
    local limit=$1 n
    shift
    n=$(minimal_text "$B" size "$@") || return 1
    echo "minimal_get.c $*: $n bytes of text (at most $limit)"
    [ "$n" -le "$limit" ]
}
if [ "$($CC -dumpversion)" = 12 ] && $CC --version | grep -q gcc; then
    check "code size: smallest build (MPERF_MINIMAL) within 24 KiB, gcc 12 -Os as make bench builds it" size_within 24576 -DMPERF_MINIMAL
    check "code size: default build without TLS, the features added after the 40 KiB target was set (routing options, header API, stub resolver, event API, transport interface, raw connections, Digest, proxies, decoding, cookies) left out, within 40 KiB, gcc 12 -Os" size_within 40960 -DMPERF_NO_TLS -DMPERF_NO_ROUTING -DMPERF_NO_HEADER_API -DMPERF_SYSTEM_RESOLVER -DMPERF_NO_EVENTS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES
    check "code size: default build without TLS, the stub resolver, the event API, the transport interface, raw connections, Digest, proxies, decoding and cookies, within 48 KiB, gcc 12 -Os" size_within 49152 -DMPERF_NO_TLS -DMPERF_SYSTEM_RESOLVER -DMPERF_NO_EVENTS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES
    check "code size: default build without TLS, every feature in but the transport interface, raw connections, Digest, proxies, decoding and cookies (added after this check was set), within 56 KiB, gcc 12 -Os" size_within 57344 -DMPERF_NO_TLS -DMPERF_NO_TRANSPORT -DMPERF_NO_RAW -DMPERF_NO_DIGEST -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES
    check "code size: default build without TLS, every feature in but proxies, decoding and cookies (added after this check was set), within 64 KiB, gcc 12 -Os" size_within 65536 -DMPERF_NO_TLS -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES
    check "code size: default build without TLS, every feature in but decoding and cookies (added after this check was set), within 72 KiB, gcc 12 -Os" size_within 73728 -DMPERF_NO_TLS -DMPERF_NO_DECODING -DMPERF_NO_COOKIES
    check "code size: default build without TLS, every feature in but cookies (added after this check was set), within 80 KiB, gcc 12 -Os" size_within 81920 -DMPERF_NO_TLS -DMPERF_NO_COOKIES
    check "code size: default build without TLS, every feature in (proxies, decoding and cookies too), within 88 KiB, gcc 12 -Os" size_within 90112 -DMPERF_NO_TLS
else
    echo "note: the code-size checks run with gcc 12 only (this is $CC $($CC -dumpversion)); skipped"
fi

# ---- builds --------------------------------------------------------------
build() { # name flags sources...
    local name=$1 flags=$2
    shift 2
    check "build $name" $CC -std=c99 $WARN -D_GNU_SOURCE $flags -o "$B/$name" "$@" -lbearssl -lpthread
}
# sanitized NAME FLAGS SOURCES...: NAME-asan (ASan+UBSan) and NAME-vg (for valgrind)
sanitized() {
    local name=$1 flags=$2
    shift 2
    build "$name-asan" "-O1 -g $SAN $flags" "$@"
    build "$name-vg" "-O1 -g $flags" "$@"
}
build faultserver "-O2" tests/faultserver.c
build tlsfault "-O2" tests/tlsfault.c
build dnsserver "-O2" tests/dnsserver.c
build parser "-O2" tests/test_parser.c
sanitized parser "" tests/test_parser.c
# the parser's other paths: the reference path alone in -Os builds, the word scan without SIMD
build parser-os-asan "-Os -g $SAN" tests/test_parser.c
build parser-nosimd-asan "-O1 -g $SAN -DMPERF_NO_SIMD" tests/test_parser.c
build fuzz-response-os "-Os -g $SAN" tests/fuzz/fuzz_response.c
build fuzz-response-nosimd "-O1 -g $SAN -DMPERF_NO_SIMD" tests/fuzz/fuzz_response.c
build url-asan "-O1 -g $SAN" tests/test_url.c
build url-owntext-asan "-O1 -g $SAN -DMPERF_NO_LIBC_PRINTF" tests/test_url.c # the printf subset and address text against libc's
sanitized multi "" tests/test_multi.c tests/second_tu.c
sanitized dns "" tests/test_dns.c
build dns-nodns "-O1 -g $SAN -DMPERF_NO_DNS" tests/test_dns.c
sanitized events "" tests/test_events.c
build multi-notls "-O1 -g $SAN -DMPERF_NO_TLS" tests/test_multi.c tests/second_tu.c
sanitized http "-I compat" tests/test_http.c
sanitized proxy "-I compat" tests/test_proxy.c
sanitized inflate "" tests/test_inflate.c -lz
sanitized decoding "-I compat" tests/test_decoding.c
sanitized cookies "-I compat" tests/test_cookies.c
sanitized tls "-I compat" tests/test_tls.c
# the command-line tool (mperf.c), its manual from the same option table, its static build
sanitized cli "" mperf.c
build cli-notls "-O1 -g $SAN -DMPERF_NO_TLS" mperf.c
check "warning-free: mperf.c, gcc and clang, -Wconversion and the other strict warnings" sh -c \
    "gcc -std=c99 $WARN -Wconversion -Wcast-qual -Wundef -Wstrict-prototypes -Werror -O2 -c mperf.c -o $B/mperf.o && clang -std=c99 $WARN -Wconversion -Wcast-qual -Wundef -Wstrict-prototypes -Werror -O2 -c mperf.c -o $B/mperf2.o"
check "mperf.1 is what the option table makes (make cli writes it)" sh -c "$CC -std=c99 -DMPERF_CLI_MAN -o $B/mperf-man mperf.c && $B/mperf-man | cmp - mperf.1"
cli_static() { # make cli-static's script; the binary must be static
    bash tools/cli-static.sh && ! readelf -l build/cli/mperf | grep -q INTERP
}
check "make cli-static: one static musl binary with HTTPS (BearSSL from source)" cli_static
build tls-small "-O1 -g $SAN -I compat -DMPERF_TLS_SMALL" tests/test_tls.c
# the feature switches: MPERF_MINIMAL, every feature in, and single switches
build switches-minimal "-O1 -g $SAN -DMPERF_MINIMAL" tests/test_switches.c
build switches-full "-O1 -g $SAN" tests/test_switches.c
build switches-noredirects "-O1 -g $SAN -DMPERF_NO_REDIRECTS" tests/test_switches.c
build switches-noauth "-O1 -g $SAN -DMPERF_NO_AUTH -DMPERF_NO_UPLOADS -DMPERF_NO_PROGRESS -DMPERF_NO_RANGES -DMPERF_NO_HEADER_API" tests/test_switches.c
build switches-noerrortext "-O1 -g $SAN -DMPERF_NO_ERROR_TEXT" tests/test_switches.c
build switches-nostdio "-O1 -g $SAN -DMPERF_NO_STDIO" tests/test_switches.c
build switches-nodigest-noraw "-O1 -g $SAN -DMPERF_NO_DIGEST -DMPERF_NO_RAW -DMPERF_NO_PROXY -DMPERF_NO_DECODING -DMPERF_NO_COOKIES" tests/test_switches.c
build platforms-asan "-O1 -g $SAN" tests/test_platforms.c
check "build platforms-musl (musl-gcc -static)" musl-gcc -std=c99 $WARN -O1 -static -o "$B/platforms-musl" tests/test_platforms.c
check "build platforms.exe (mingw-w64, -lws2_32)" x86_64-w64-mingw32-gcc -std=c99 $WARN -O1 -o "$B/platforms.exe" tests/test_platforms.c -lws2_32
win_tls() { # BearSSL from Debian's source built by mingw-w64, then the portable HTTPS suite as a Windows program
    mkdir -p "$B/bearssl-win" && bearssl_source && bearssl_build "$B/bearssl-win/libbearssl.a" x86_64-w64-mingw32-gcc -O2 &&
        x86_64-w64-mingw32-gcc -std=c99 $WARN -Wconversion -Wundef -Werror -I. -isystem "$BEARSSL_SRC/inc" -c "$B/impl.c" -o "$B/impl_wintls.o" &&
        x86_64-w64-mingw32-gcc -std=c99 $WARN -O1 -isystem "$BEARSSL_SRC/inc" -o "$B/tls-platforms.exe" \
            tests/test_tls_platforms.c "$B/bearssl-win/libbearssl.a" -lws2_32 -lcrypt32
}
check "build tls-platforms.exe: BearSSL from Debian's source with mingw-w64, HTTPS warning-free on Windows" win_tls
build tls-platforms-asan "-O1 -g $SAN" tests/test_tls_platforms.c
check "the musl build is one static binary (no program interpreter)" sh -c "! readelf -l $B/platforms-musl | grep -q INTERP"
# other architectures, under qemu-user: 64-bit big-endian s390x, 32-bit ARM and RISC-V 64,
# static; the TLS suite with BearSSL built from Debian's source by the cross
# compiler (the cross sysroots have none), the others without TLS (url with the
# engine's own printf subset, checked against the target's libc); 64-bit
# file offsets so that a 32-bit readdir works on any file system
CROSS="s390x:s390x-linux-gnu arm:arm-linux-gnueabihf riscv64:riscv64-linux-gnu"
static_tls() { # NAME CC: BearSSL from Debian's source built by CC, then the TLS suite as one static binary
    mkdir -p "$B/bearssl-$1" && bearssl_source && bearssl_build "$B/bearssl-$1/libbearssl.a" "$2" -O2 &&
        "$2" -std=c99 $WARN -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -static -I compat -I "$BEARSSL_SRC/inc" \
            -o "$B/$1-tls" tests/test_tls.c "$B/bearssl-$1/libbearssl.a" && ! readelf -l "$B/$1-tls" | grep -q INTERP
}
for x in $CROSS; do
    arch=${x%%:*} tc=${x#*:}
    for t in parser url platforms; do
        check "build $t for $arch ($tc-gcc -static)" $tc-gcc -std=c99 $WARN -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 \
            -static -DMPERF_NO_TLS $([ $t = url ] && echo -DMPERF_NO_LIBC_PRINTF) -o "$B/$arch-$t" "tests/test_$t.c"
    done
    check "build inflate_file for $arch" $tc-gcc -std=c99 $WARN -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -static \
        -DMPERF_NO_TLS -o "$B/$arch-inflate_file" tests/inflate_file.c
    for t in response chunked dns inflate; do
        check "build fuzz-$t for $arch" $tc-gcc -std=c99 $WARN -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -static \
            -DMPERF_NO_TLS -o "$B/$arch-fuzz-$t" "tests/fuzz/fuzz_$t.c"
    done
    check "build tls for $arch: BearSSL from Debian's source with $tc-gcc" static_tls "$arch" "$tc-gcc"
done
check "build tls-musl: BearSSL from Debian's source with musl-gcc, the TLS suite one static binary" static_tls musl musl-gcc
musl_resolver() { # FLAGS...: whether a static musl build of bench/minimal_get.c links libc's getaddrinfo
    musl-gcc -std=c99 -Os -static "$@" -o "$B/minimal-musl" bench/minimal_get.c && nm "$B/minimal-musl" | grep -qw getaddrinfo
}
musl_no_resolver() { ! musl_resolver -DMPERF_NO_TLS; }
check "a static musl build of the minimal GET carries no libc resolver (the stub resolver's)" musl_no_resolver
check "... and with MPERF_SYSTEM_RESOLVER it does (the check above can fail)" musl_resolver -DMPERF_NO_TLS -DMPERF_SYSTEM_RESOLVER
sanitized vnet "" tests/test_vnet.c
sanitized memory "" tests/test_memory.c
sanitized lwip "-I. -I/usr/include/lwip" tests/test_lwip.c -llwip
sanitized misuse "" tests/test_api_misuse.c
sanitized hostile "" tests/test_hostile_servers.c
sanitized allocfail "" tests/test_alloc_failure.c
FUZZ_TARGETS="response chunked url headers pem dns digest proxy inflate cookie"
for t in $FUZZ_TARGETS; do
    sanitized "fuzz-$t" "" "tests/fuzz/fuzz_$t.c"
    check "fuzz target builds with clang's libFuzzer: $t" clang -g -O1 -D_GNU_SOURCE -DMPT_LIBFUZZER \
        -fsanitize=fuzzer,address,undefined -o "$B/libfuzzer-$t" "tests/fuzz/fuzz_$t.c" -lbearssl
done

# ---- unit suites ---------------------------------------------------------
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
# both NAME TITLE: the suite built by sanitized, under ASan and under valgrind
both() {
    suite "$2 [asan]" "$B/$1-asan"
    suite "$2 [valgrind]" $VG "$B/$1-vg"
}
suite "parser" "$B/parser"
both parser "parser"
suite "parser, -Os: the reference path alone [asan]" "$B/parser-os-asan"
suite "parser, MPERF_NO_SIMD: word-at-a-time scan [asan]" "$B/parser-nosimd-asan"
suite "url [asan]" "$B/url-asan"
suite "url [asan, MPERF_NO_LIBC_PRINTF]" "$B/url-owntext-asan"

# ---- fuzz corpus replay (with the parser's whole / byte-by-byte / every-split check)
for t in $FUZZ_TARGETS; do
    check "fuzz corpus replay [asan]: $t ($(ls tests/fuzz/corpus/$t | wc -l) inputs)" "$B/fuzz-$t-asan" "tests/fuzz/corpus/$t"
    check "fuzz corpus replay [valgrind]: $t" $VG "$B/fuzz-$t-vg" "tests/fuzz/corpus/$t"
done
check "fuzz corpus replay, -Os [asan]: response" "$B/fuzz-response-os" tests/fuzz/corpus/response
check "fuzz corpus replay, MPERF_NO_SIMD [asan]: response" "$B/fuzz-response-nosimd" tests/fuzz/corpus/response

# ---- servers ---------------------------------------------------------------
. tests/servers.sh
trap servers_stop EXIT
if ! servers_start "$B/srv" "$B/faultserver" "$B/tlsfault" "$B/dnsserver"; then
    bad "start the loopback servers"
    echo "$passed passed, $failed failed"
    exit 1
fi
echo "servers: faultserver 127.0.0.1:$MPT_FAULT_PORT, nginx 127.0.0.1:$MPT_NGINX_PORT${MPT_NGINX6_PORT:+ and [::1]:$MPT_NGINX6_PORT}"
# the namespace holds loopback only: a connect anywhere else fails at once
off_the_machine() {
    local t0=$SECONDS
    ! ip -o link | grep -v ': lo:' | grep -q . || { ip -o link; return 1; }
    ! timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>/dev/null || return 1
    [ $((SECONDS - t0)) -lt 2 ]
}
if [ "${MPT_NETNS:-}" = 1 ]; then
    check "a network namespace with loopback only: a connect to 192.0.2.1 fails at once" off_the_machine
fi

# ---- end-to-end suites ------------------------------------------------------
suite "multi [asan]" "$B/multi-asan"
MPT_CONCURRENT=1000 suite "multi [valgrind]" $VG "$B/multi-vg" # (10,000 transfers under valgrind take minutes)
both http "http"
both proxy "proxies: tinyproxy, squid, the fault server as one"
both inflate "inflate: against zlib at every level and strategy, corrupted streams"
both decoding "compressed bodies: nginx gzip and gzip_static, bombs, pauses"
both cookies "cookies: limits, public suffixes, secure cookies, handles apart"
both dns "dns: the stub resolver"
suite "dns, MPERF_NO_DNS: only a resolver of the program's own [asan]" "$B/dns-nodns"
both events "events: socket_action"
suite "cli: the command-line tool end to end [asan]" bash tests/test_cli.sh "$B/cli-asan" "$B/srv/www"
MPT_CLI_WRAP="$VG" suite "cli [valgrind]" bash tests/test_cli.sh "$B/cli-vg" "$B/srv/www"
suite "cli [make cli-static's binary: musl, BearSSL from source, reduced suites]" bash tests/test_cli.sh "$ROOT/build/cli/mperf" "$B/srv/www"
embedded_ca() { # make cli-static MPERF_CA_EMBED=FILE: the test CA inside the binary, trusted without --cacert
    MPERF_CA_EMBED="$MPT_PKI/ca.pem" bash tools/cli-static.sh && [ "$(build/cli/mperf -s -o /dev/null -w '%{http_code}' \
        "https://localhost:$MPT_TLS_PORT/f/1k.bin")" = 200 ] && bash tools/cli-static.sh && ! build/cli/mperf -s -o /dev/null \
        "https://localhost:$MPT_TLS_PORT/f/1k.bin"
}
check "make cli-static MPERF_CA_EMBED=the test CA: trusted without --cacert (and not without it built in)" embedded_ca
suite "tls [asan]" "$B/tls-asan"
MPT_LARGE_MB=64 suite "tls [valgrind]" $VG "$B/tls-vg"
suite "multi, built without TLS [asan]" "$B/multi-notls"
suite "switches: MPERF_MINIMAL [asan]" "$B/switches-minimal"
suite "switches: every feature in [asan]" "$B/switches-full"
suite "switches: MPERF_NO_REDIRECTS [asan]" "$B/switches-noredirects"
suite "switches: MPERF_NO_DIGEST, MPERF_NO_RAW, MPERF_NO_PROXY, MPERF_NO_DECODING and MPERF_NO_COOKIES [asan]" "$B/switches-nodigest-noraw"
suite "switches: no auth, uploads, progress, ranges or header API [asan]" "$B/switches-noauth"
suite "switches: MPERF_NO_ERROR_TEXT [asan]" "$B/switches-noerrortext"
suite "switches: MPERF_NO_STDIO [asan]" "$B/switches-nostdio"
suite "tls, reduced suites MPERF_TLS_SMALL [asan]" "$B/tls-small"
suite "platforms [asan]" "$B/platforms-asan"
suite "tls-platforms [asan]" "$B/tls-platforms-asan"
suite "platforms [musl, static]" "$B/platforms-musl"
suite "tls [musl, static, BearSSL from source]" "$B/musl-tls"
for x in $CROSS; do
    arch=${x%%:*}
    for t in parser url platforms tls; do suite "$t [$arch, qemu-user]" "qemu-$arch-static" "$B/$arch-$t"; done
    check "inflate [$arch, qemu-user]: nginx's gzip_static file decodes, CRC-32 and length checked" "qemu-$arch-static" \
        "$B/$arch-inflate_file" "$B/srv/www/gzs/text.txt.gz" "$(stat -c %s "$B/srv/www/gzs/text.txt")"
    for t in response chunked dns inflate; do
        check "fuzz corpus replay [$arch, qemu-user]: $t" "qemu-$arch-static" "$B/$arch-fuzz-$t" "tests/fuzz/corpus/$t"
    done
done
export WINEPREFIX="$B/wine" WINEDEBUG=-all
if timeout 120 wine cmd /c exit >/dev/null 2>&1; then
    suite "platforms [Windows build, under wine]" timeout 300 wine "$B/platforms.exe"
    # this prefix is the suite's own: it may add the test PKI's root to its store "ROOT"
    suite "tls-platforms [Windows build, BearSSL, under wine]" env MPT_TRUST_TEST_CA=1 timeout 300 wine "$B/tls-platforms.exe"
else
    echo "(wine cannot run Windows programs on this machine: the Windows build was compiled, not run)"
fi
both vnet "virtual clock: the test transport"
both memory "a fixed memory budget: the arena, the caps, the README's table"
# lwIP has no way to stop its stack: its thread, sockets and buffers are
# still reachable at exit, so only lost blocks count as leaks for this one
suite "lwIP: the engine over lwIP's sockets in this process [asan]" "$B/lwip-asan"
suite "lwIP: the engine over lwIP's sockets in this process [valgrind]" valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "$B/lwip-vg"
both misuse "API misuse"
both hostile "hostile servers"
both allocfail "allocation failure sweep"

# ---- libcurl programs through the compat header ------------------------------
mkdir -p "$B/compat"
for src in tests/compat/*.c; do
    n=$(basename "$src" .c)
    check "compat build: $n (cc -std=c99 -I compat -D MULTIPERFORM_IMPLEMENTATION ... -lbearssl)" \
        cc -std=c99 -I compat -D MULTIPERFORM_IMPLEMENTATION "$src" -o "$B/compat/$n" -lbearssl
    check "compat source is a real libcurl program: $n" cc -std=c99 -Werror=implicit-function-declaration "$src" -o "$B/compat/$n.libcurl" -lcurl
done
# compat/curl/ copied into another tree, the header elsewhere on the include path
copied_compat() {
    rm -rf "$B/vendored" && mkdir -p "$B/vendored/app" "$B/vendored/third_party" &&
        cp -r compat/curl "$B/vendored/app/" && cp multiperform.h "$B/vendored/third_party/" &&
        cp tests/compat/easy_get.c "$B/vendored/app/" &&
        (cd "$B/vendored/app" && cc -std=c99 $WARN -Werror -I . -I ../third_party -D MULTIPERFORM_IMPLEMENTATION \
            easy_get.c -o easy_get -lbearssl)
}
check "compat/curl/ copied into another tree builds with -I for the header's directory" copied_compat
N="http://127.0.0.1:$MPT_NGINX_PORT"
F="http://127.0.0.1:$MPT_FAULT_PORT"
check "compat run: seed_example (the man page EXAMPLE)" timeout 60 "$B/compat/seed_example"
stdout_body() { "$B/compat/seed_with_url" "$N/f/64k.bin" >"$B/compat/stdout.bin" && cmp "$B/compat/stdout.bin" "$B/srv/www/f/64k.bin"; }
check "compat run: seed loop with a URL, body to stdout by default" stdout_body
check "compat run: ten_at_a_time, 200 transfers" timeout 120 "$B/compat/ten_at_a_time" "$N/f/1k.bin" 200 1024
check "compat run: easy_get" timeout 60 "$B/compat/easy_get" "$N/f/64k.bin" 65536
check "compat run: fdset_loop" timeout 60 "$B/compat/fdset_loop" "$F/gen/300000?chunked=1000" 300000
check "compat run: options" timeout 60 "$B/compat/options"
head -c 200000 /dev/urandom >"$B/compat/upload.bin"
stdin_upload() { # $1: size argument or empty (chunked)
    "$B/compat/upload_stdin" "$F/echo" $1 <"$B/compat/upload.bin" >"$B/compat/upload.out" &&
        grep -q '^body-length: 200000$' "$B/compat/upload.out" && grep -q '^PUT /echo ' "$B/compat/upload.out"
}
check "compat run: PUT from stdin (libcurl's default read), known size" stdin_upload 200000
check "compat run: PUT from stdin, unknown size (chunked)" stdin_upload ""
# the smallest static builds bench/README.md measures, run: body to descriptor 1 (MPERF_NO_STDIO), and with no heap
# at all (every byte on a static arena; no malloc or free linked), through the stub resolver ("localhost")
min_static() { # NAME FLAGS...: bench/minimal_get.c built static with musl fetches 64k.bin byte for byte
    local n=$1
    shift
    musl-gcc -std=c99 -Os -static -DMPERF_NO_TLS -DMPERF_NO_ROUTING -DMPERF_NO_STDIO -DMPERF_NO_LIBC_PRINTF "$@" \
        -o "$B/min-$n" bench/minimal_get.c && "$B/min-$n" "http://localhost:$MPT_NGINX_PORT/f/64k.bin" >"$B/min-$n.out" &&
        cmp "$B/min-$n.out" "$B/srv/www/f/64k.bin"
}
check "static musl minimal GET with MPERF_NO_STDIO: the body to descriptor 1" min_static nostdio
min_arena() { min_static arena -DMPERF_ARENA -DMINIMAL_ARENA=65536 && ! nm "$B/min-arena" | grep -wE 'malloc|calloc|free'; }
check "static musl minimal GET on a 64 KiB arena with no heap (MPERF_ARENA): the same body, and no malloc or free linked" min_arena
small_arena() { # ... and a 16 KiB arena is too small: out of memory (27), nothing written
    musl-gcc -std=c99 -Os -static -DMPERF_NO_TLS -DMPERF_NO_STDIO -DMPERF_ARENA -DMINIMAL_ARENA=16384 -o "$B/min-arena16" bench/minimal_get.c
    "$B/min-arena16" "http://localhost:$MPT_NGINX_PORT/f/64k.bin" >"$B/min-arena16.out"
    [ $? = 27 ] && [ ! -s "$B/min-arena16.out" ]
}
check "... on a 16 KiB arena: MPERF_E_OUT_OF_MEMORY (27), no body" small_arena
T="https://localhost:$MPT_TLS_PORT"
check "compat run over HTTPS: easy_get" env CAINFO="$MPT_PKI/ca.pem" timeout 60 "$B/compat/easy_get" "$T/f/64k.bin" 65536
check "compat run over HTTPS: ten_at_a_time, 100 transfers" env CAINFO="$MPT_PKI/ca.pem" timeout 120 "$B/compat/ten_at_a_time" "$T/f/1k.bin" 100 1024
check "compat run over HTTPS without the CA: refused" sh -c "! timeout 60 $B/compat/easy_get $T/f/1k.bin 1024"
check "compat run under valgrind: ten_at_a_time" timeout 300 $VG "$B/compat/ten_at_a_time" "$N/f/64k.bin" 50 65536

# ---- the game-loop example: perform once a frame, never a wait ----
check "build examples/game_loop.c (cc -O2 ... -lbearssl)" cc -std=c99 $WARN -Werror -O2 -o "$B/game_loop" examples/game_loop.c -lbearssl
game_frames() { # a 64 MiB asset, 20 small files and 21 HTTPS handshakes: no call over 50 ms, 40+ progress calls
    local urls="$N/f/large.bin" i out ms calls
    for i in $(seq 20); do urls="$urls $N/f/1k.bin"; done
    for i in $(seq 21); do urls="$urls $T/f/1k.bin"; done
    # shellcheck disable=SC2086
    out=$(timeout 120 "$B/game_loop" -k "$MPT_PKI/ca.pem" $urls) || { echo "$out" | tail -5; return 1; }
    echo "$out" | tail -3
    ms=$(echo "$out" | sed -n 's/^longest perform call: \([0-9.]*\) ms.*/\1/p')
    calls=$(echo "$out" | sed -n 's/^largest transfer: .* with \([0-9]*\) progress calls$/\1/p')
    awk -v ms="$ms" -v calls="$calls" 'BEGIN { exit !(ms != "" && ms < 50 && calls >= 40) }'
}
check "game loop: 42 transfers (64 MiB asset, 20 small, 21 HTTPS) with perform once a frame: no call over 50 ms, the asset's progress 40+ times" game_frames
grep -h '^longest perform call' "$LOG" | tail -n 1 | sed 's/^/    /'

# ---- consumer projects: CMake (add_subdirectory, FetchContent, find_package), pkg-config, Meson ----
suite "consumers" bash tests/consumers.sh . "$B/consumers" "$N/f/1k.bin" 1024
check "make demo (the README's first command) builds with a C compiler alone and its files arrive intact" bash examples/demo.sh

# ---- the event-loop example: epoll and socket_action, built both ways ----
check "build examples/event_loop.c through the compat header" cc -std=c99 $WARN -Werror -O2 -I compat -D MULTIPERFORM_IMPLEMENTATION -o "$B/event_loop" examples/event_loop.c -lbearssl
check "build examples/event_loop.c against libcurl" cc -std=c99 $WARN -Werror -O2 -o "$B/event_loop-libcurl" examples/event_loop.c -lcurl
event_loop_both() { # 10,000 transfers at once, every one checked, the same summary from both builds
    local ours theirs
    ours=$(timeout 300 "$B/event_loop" "$N/f/1k.bin" 10000) || { echo "$ours"; return 1; }
    theirs=$(timeout 300 "$B/event_loop-libcurl" "$N/f/1k.bin" 10000) || { echo "$theirs"; return 1; }
    echo "header: $(echo "$ours" | tr '\n' ' ')"
    echo "libcurl: $(echo "$theirs" | tr '\n' ' ')"
    [ "$(echo "$ours" | head -n 1)" = "$(echo "$theirs" | head -n 1)" ] &&
        [ "$(echo "$ours" | head -n 1)" = "event_loop: 10000 transfers, 10000 ok, 0 failed" ]
}
check "event loop: 10,000 concurrent transfers through socket_action and epoll, each checked, the same with libcurl" event_loop_both
check "build examples/lwip_get.c (the engine over lwIP, -llwip)" cc -std=c99 $WARN -Werror -O2 -I. -I/usr/include/lwip -D MULTIPERFORM_IMPLEMENTATION -o "$B/lwip_get" examples/lwip_get.c -llwip -lbearssl -lpthread
lwip_get_both() { # the example over HTTP and over HTTPS, 8 transfers at once each, every one checked
    timeout 120 "$B/lwip_get" "http://127.0.0.1:$MPT_NGINX_PORT/f/64k.bin" 8 &&
        timeout 120 "$B/lwip_get" --cacert "$MPT_PKI/ca.pem" "https://localhost:$MPT_TLS_PORT/f/64k.bin" 8
}
check "lwIP example: 8 GETs at once over HTTP and 8 over HTTPS through lwIP's sockets, each checked" lwip_get_both
grep -h '^header: event_loop\|^libcurl: event_loop' "$LOG" | tail -n 2 | sed 's/^/    /'

# ---- differential: one libcurl program, built against libcurl and against the header ----
# (tests/differential.c; the allowed differences are in tests/differential.expected)
check "build differential against libcurl (cc tests/differential.c -lcurl -lz; zlib makes the compressed bodies)" \
    cc -std=c99 $WARN -Werror -O1 -g -o "$B/differential-libcurl" tests/differential.c -lcurl -lz
check "build differential through the compat header (cc -I compat -D MULTIPERFORM_IMPLEMENTATION ... -lbearssl)" \
    cc -std=c99 $WARN -Werror -O1 -g -I compat -D MULTIPERFORM_IMPLEMENTATION -o "$B/differential" tests/differential.c -lbearssl -lz
suite "differential" env MPT_DIFF_DIR="$B/differential.d" bash tests/differential.sh "$B/differential-libcurl" "$B/differential"
grep '^differential: ' "$B/differential.out" || true
# the engine's own printf subset and address text (MPERF_NO_LIBC_PRINTF): the same messages and getinfo texts
check "build differential through the compat header with MPERF_NO_LIBC_PRINTF" \
    cc -std=c99 $WARN -Werror -O1 -g -I compat -D MULTIPERFORM_IMPLEMENTATION -DMPERF_NO_LIBC_PRINTF -o "$B/differential-owntext" tests/differential.c -lbearssl -lz
suite "differential, MPERF_NO_LIBC_PRINTF" env MPT_DIFF_DIR="$B/differential-owntext.d" bash tests/differential.sh "$B/differential-libcurl" "$B/differential-owntext"
suite "differential [valgrind]" env MPT_DIFF_DIR="$B/differential-vg.d" bash tests/differential.sh "$B/differential-libcurl" "$B/differential" $VG

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
