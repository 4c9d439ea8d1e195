#!/usr/bin/env bash
# tests/test_cli.sh MPERF WWW - the command-line tool end to end: the binary
# MPERF (run under $MPT_CLI_WRAP when set, e.g. valgrind) against the
# loopback servers of tests/servers.sh (nginx serving WWW, the fault server,
# nginx over TLS with the test PKI, tinyproxy). One "ok -"/"FAIL -" line per
# test, then "# cli: N passed, M failed".
set -u
MP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
WWW=$2
WRAP=${MPT_CLI_WRAP:-}
N="http://127.0.0.1:$MPT_NGINX_PORT"
F="http://127.0.0.1:$MPT_FAULT_PORT"
T="https://localhost:$MPT_TLS_PORT"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
KEY=$(( (RANDOM << 8) + $$ )) # fault server keys: fresh on every run against the same server
t() { # t NAME CMD...: one test
    local name=$1
    shift
    if (cd "$W" && "$@") >"$W/.log" 2>&1; then
        echo "ok - $name"
        pass=$((pass + 1))
    else
        echo "FAIL - $name"
        sed 's/^/    /' "$W/.log" | tail -n 12
        fail=$((fail + 1))
    fi
    find "$W" -mindepth 1 -maxdepth 1 ! -name .log -exec rm -rf {} +
}
# mp ARGS...: the tool, exit status in $rc, stdout in $W/out, stderr in $W/err
mp() {
    # shellcheck disable=SC2086
    timeout 60 $WRAP "$MP" "$@" >"$W/out" 2>"$W/err"
    rc=$?
    return 0
}
expect_rc() { [ "$rc" = "$1" ] || { echo "exit status $rc, expected $1"; cat "$W/err"; return 1; }; }
no_partials() { ! ls -A "$W" | grep -q 'mperf-' || { ls -la "$W"; return 1; }; }
mkdir -p "$WWW/cli"
for i in $(seq 1 20); do [ -f "$WWW/cli/f$i.bin" ] || head -c $((1048576 + i * 1000)) /dev/urandom >"$WWW/cli/f$i.bin"; done
printf 'line one\r\nline two\n' >"$WWW/cli/lines.txt"

# ---- the command line ---------------------------------------------------------
help_lists_every_option() {
    mp --help && expect_rc 0 || return 1
    for o in output remote-name parallel parallel-max location max-redirs header user-agent referer data data-binary \
        upload-file request head range continue-at user retry connect-timeout max-time limit-rate fail fail-with-body \
        silent show-error verbose write-out cacert insecure pinnedpubkey proxy compressed resolve config; do
        grep -q -- "--$o" "$W/out" || { echo "--$o missing"; return 1; }
    done
}
t "--help lists the options (curl's spelling)" help_lists_every_option
bad_options() {
    mp --no-such-option "$N/f/1k.bin" && expect_rc 2 && grep -q "is unknown" "$W/err" || return 1
    mp -o && expect_rc 2 || return 1
    mp && expect_rc 2 && grep -q "no URL" "$W/err" || return 1
    mp --retry many "$N/" && expect_rc 2
}
t "a bad command line: exit status 2 and a message" bad_options
t "--version" sh -c "timeout 10 $WRAP $MP --version | grep -q '^mperf '"

# ---- saving ------------------------------------------------------------------------
save_o() { mp -s -o x.bin "$N/f/64k.bin" && expect_rc 0 && cmp x.bin "$WWW/f/64k.bin" && no_partials; }
t "-o FILE" save_o
save_stdout() { mp -s "$N/f/64k.bin" && expect_rc 0 && cmp "$W/out" "$WWW/f/64k.bin"; }
t "no -o: the body to standard output" save_stdout
save_O() {
    mkdir d && mp -s --output-dir d -O "$N/cli/f1.bin" -O "$N/cli/f2.bin" && expect_rc 0 &&
        cmp d/f1.bin "$WWW/cli/f1.bin" && cmp d/f2.bin "$WWW/cli/f2.bin"
}
t "-O twice with --output-dir" save_O
create_dirs() { mp -s --create-dirs -o a/b/c.bin "$N/f/1k.bin" && expect_rc 0 && cmp a/b/c.bin "$WWW/f/1k.bin"; }
t "--create-dirs" create_dirs
dev_null() { mp -s -o /dev/null "$N/f/64k.bin" && expect_rc 0 && [ -c /dev/null ]; }
t "-o /dev/null is written, not replaced (not a regular file: no temporary file)" dev_null
failed_leaves_nothing() {
    mp -s -o x.bin "$F/gen/100000?key=$((KEY + 1))&fails=1&cut=5000" && expect_rc 18 && [ ! -e x.bin ] && no_partials || return 1
    echo keep >y.bin
    mp -s -o y.bin "$F/gen/100000?key=$((KEY + 2))&fails=1&cut=5000" && expect_rc 18 && [ "$(cat y.bin)" = keep ] && no_partials
}
t "a failed download leaves no partial file, and an existing file as it was" failed_leaves_nothing
resume() {
    local u="$F/gen/300000?key=$((KEY + 3))&fails=1&cut=100000"
    mp -s -C - -o r.bin "$u" && expect_rc 18 && [ "$(stat -c %s r.bin)" = 100000 ] || return 1
    mp -s -C - -o r.bin "$u" -w '%{http_code}' && expect_rc 0 && [ "$(cat "$W/out")" = 206 ] || return 1
    curl -s "$F/gen/300000" -o whole.bin && cmp r.bin whole.bin
}
t "-C -: a cut download kept, then resumed from the file's size (206)" resume
resume_retry() {
    mp -s -C - --retry 2 --retry-all-errors --retry-delay 0.1 -o r.bin "$F/gen/300000?key=$((KEY + 4))&fails=2&cut=70000" \
        -w '%{num_retries}' && expect_rc 0 && [ "$(cat "$W/out")" = 2 ] || return 1
    curl -s "$F/gen/300000" -o whole.bin && cmp r.bin whole.bin
}
t "-C - with --retry: each retry resumes where the file ends" resume_retry

# ---- names from the server ------------------------------------------------------------
no_name() { mp -s -O "$N/f/" && expect_rc 23 && [ -z "$(ls -A "$W" | grep -v '^\.log$\|^out$\|^err$')" ]; }
t "-O with no file name in the URL: refused (23)" no_name
dispo() { # dispo VALUE: a 200 carrying Content-Disposition: VALUE
    printf '%s/raw?pre=%s' "$F" "$(printf 'HTTP/1.1 200 OK\r\nContent-Disposition: %s\r\nContent-Length: 2\r\n\r\nhi' "$1" |
        od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g')"
}
header_name() {
    mp -s -OJ "$(dispo 'attachment; filename="../../up.txt"')" && expect_rc 0 && [ "$(cat up.txt)" = hi ] || return 1
    [ ! -e ../up.txt ] || return 1
    mp -s -OJ "$(dispo 'attachment; filename="up.txt"')" && expect_rc 23 || return 1 # exists: not overwritten
    mp -s -OJ "$(dispo "attachment; filename=\"a$(printf '\t')b\"")" && expect_rc 23 || return 1
    mp -s -OJ "$(dispo 'attachment; filename=..\\..\\win.txt')" && expect_rc 0 && [ "$(cat win.txt)" = hi ] || return 1
    mp -s -OJ "$(dispo 'attachment; filename=".."')" && expect_rc 23 && no_partials
}
t "-J: the last part of the server's name only (/ and \\); control characters, '..' and overwriting refused" header_name

# ---- several at once, progress ---------------------------------------------------------
parallel() {
    local urls="" i
    for i in $(seq 1 20); do urls="$urls $N/cli/f$i.bin"; done
    # shellcheck disable=SC2086
    mp -s -Z --parallel-max 5 --remote-name-all $urls && expect_rc 0 || return 1
    for i in $(seq 1 20); do cmp "f$i.bin" "$WWW/cli/f$i.bin" || return 1; done
    curl -s "$F/stats?reset=1" >/dev/null
    urls=""
    for i in $(seq 1 8); do urls="$urls $F/gen/200000?rate=400000"; done
    # shellcheck disable=SC2086
    mp -s -Z --parallel-max 3 -o /dev/null $urls && expect_rc 0 || return 1
    curl -s "$F/stats" | tee stats | grep -q 'maxbusy=3 '
}
t "-Z: 20 files at most 5 at a time, each intact; --parallel-max 3 keeps 3 busy" parallel
no_spin() { # waiting transfers cost no CPU: two 1 s downloads one after another, then four two at a time
    local TIMEFORMAT='%U %S %R' cpu
    [ -z "$WRAP" ] || return 0 # (under valgrind the tool's own start costs more than the bound)
    { time mp -s -o /dev/null "$F/gen/300000?rate=300000" -o /dev/null "$F/gen/300000?rate=300000"; } 2>cpu1 || return 1
    expect_rc 0 || return 1
    { time mp -s -Z --parallel-max 2 "$F/gen/300000?rate=300000" "$F/gen/300000?rate=300000" \
        "$F/gen/300000?rate=300000" "$F/gen/300000?rate=300000"; } 2>cpu2 || return 1
    expect_rc 0 || return 1
    cat cpu1 cpu2
    awk '{if ($1 + $2 > 0.25 * $3) bad = 1} END {exit bad}' cpu1 cpu2
}
t "waiting costs no CPU: one after another and with -Z, under a quarter of the wall time" no_spin
tty_bars() { # a pseudo terminal 60 columns wide: bars, a total line, nothing wider
    local urls="" i
    for i in 1 2 3; do urls="$urls $F/gen/600000?rate=600000"; done
    script -q -e -c "stty cols 60; timeout 60 $WRAP $MP -Z --output-dir $W --remote-name-all $urls" "$W/tty" >/dev/null </dev/null || return 1
    grep -q $'\033\\[K' tty && grep -q '\[##*\.*\] *[0-9]*%' tty && grep -q '3 of 3 done' tty || { cat -v tty | tail; return 1; }
    tr '\r' '\n' <tty | sed 's/\x1b\[[0-9]*[A-Za-z]//g' | grep -v '^Script ' | awk 'length > 59 {bad = 1; print} END {exit bad}' ||
        return 1
    # the window narrows to 40 columns mid-transfer: the lines follow
    urls=""
    for i in 1 2 3; do urls="$urls $F/gen/1200000?rate=600000"; done
    # (once the first bars are out, however slowly the tool started: under valgrind too)
    script -q -e -c "stty cols 60; (for i in \$(seq 200); do grep -q running $W/tty2 && break; sleep 0.05; done; sleep 0.3;
        stty cols 40) & timeout 60 $WRAP $MP -Z --output-dir $W --remote-name-all $urls" "$W/tty2" >/dev/null </dev/null || return 1
    tr '\r' '\n' <tty2 | sed 's/\x1b\[[0-9]*[A-Za-z]//g' | grep -v '^Script ' >lines
    awk 'length > 45 {wide = 1} END {exit !wide}' lines && tail -n 3 lines | awk 'length > 39 {bad = 1; print} END {exit bad}' ||
        { cat lines; return 1; }
}
t "on a terminal: a bar per transfer and a total line, within the window's width, following a resize" tty_bars
plain_lines() {
    mp -o x.bin "$F/gen/800000?rate=400000" && expect_rc 0 || return 1
    ! grep -q $'\033' "$W/err" && grep -q "%.*/s" "$W/err" && grep -q 'x.bin .* done' "$W/err" || { cat "$W/err"; return 1; }
}
t "not a terminal: plain periodic lines, then a done line" plain_lines
silent() {
    mp -s -o x.bin "$N/f/64k.bin" && expect_rc 0 && [ ! -s "$W/err" ] || return 1
    mp -s "http://127.0.0.1:$MPT_RESETNOW_PORT/" && [ "$rc" != 0 ] && [ ! -s "$W/err" ] || return 1
    mp -sS -o x.bin "$N/nope" -f && expect_rc 22 && grep -q '^mperf: (22)' "$W/err"
}
t "-s: nothing on standard error; -S: errors still" silent

# ---- requests ------------------------------------------------------------------------------
redirects() {
    mp -s -L "$F/hop/3" && expect_rc 0 && [ "$(cat "$W/out")" = "hops!" ] || return 1
    mp -s -L --max-redirs 1 "$F/hop/3" && expect_rc 47 || return 1
    mp -s "$F/hop/3" -w '%{http_code} %{redirect_url}' && expect_rc 0 && grep -q '^302 .*/hop/2$' "$W/out"
}
t "-L and --max-redirs" redirects
headers() {
    mp -s -H 'X-One: 1' -H 'Accept:' -A 'agent/9' -e 'http://ref.test/' "$F/echo" && expect_rc 0 || return 1
    grep -q '^X-One: 1' "$W/out" && ! grep -qi '^accept:' "$W/out" && grep -q '^User-Agent: agent/9' "$W/out" &&
        grep -q '^Referer: http://ref.test/' "$W/out" || { cat "$W/out"; return 1; }
    mp -s "$F/echo" && grep -q '^User-Agent: mperf/' "$W/out"
}
t "-H, -A, -e (and mperf/VERSION as the default agent)" headers
data() {
    mp -s -d a=1 -d b=2 "$F/echo" && grep -q '^POST /echo' "$W/out" && grep -q '^body-length: 7$' "$W/out" || return 1
    mp -s -d "@$WWW/cli/lines.txt" "$F/echo" && grep -q '^body-length: 16$' "$W/out" || return 1 # CR and LF dropped
    mp -s --data-binary "@$WWW/cli/lines.txt" "$F/echo" && grep -q '^body-length: 19$' "$W/out" || return 1
    mp -s --data-raw '@x' "$F/echo" && grep -q '^body-length: 2$' "$W/out"
}
t "-d, -d @file, --data-binary @file, --data-raw" data
upload() {
    mp -s -T "$WWW/cli/f1.bin" "$F/echo" && grep -q '^PUT /echo' "$W/out" &&
        grep -q "^body-length: $(stat -c %s "$WWW/cli/f1.bin")$" "$W/out" || return 1
    mp -s -T "$WWW/cli/lines.txt" "$F/" -w '%{url_effective}' -o /dev/null && [ "$(cat "$W/out")" = "$F/lines.txt" ] || return 1
    mp -s -T - "$F/echo" <"$WWW/cli/lines.txt" && grep -q '^body-length: 19$' "$W/out" && grep -qi '^transfer-encoding: chunked' "$W/out" || return 1
    mp -s -T no-such-file "$F/echo" && expect_rc 26
}
t "-T FILE (PUT), a URL ending in / gets the file's name, -T - (chunked), a missing file (26)" upload
methods() {
    mp -s -X PATCH -d x "$F/echo" && grep -q '^PATCH /echo' "$W/out" || return 1
    mp -s -I "$N/f/64k.bin" && grep -q '^HTTP/1.1 200' "$W/out" && grep -qi '^content-length: 65536' "$W/out" &&
        [ "$(stat -c %s "$W/out")" -lt 1000 ] || return 1
    mp -s -i "$N/f/1k.bin" && grep -q '^HTTP/1.1 200' "$W/out" && [ "$(stat -c %s "$W/out")" -gt 1024 ]
}
t "-X, -I, -i" methods
range() { mp -s -r 100-199 -o part "$N/f/64k.bin" && expect_rc 0 && cmp part <(tail -c +101 "$WWW/f/64k.bin" | head -c 100); }
t "-r" range
user() { mp -s -u user:pass "$F/echo" && grep -q '^Authorization: Basic dXNlcjpwYXNz' "$W/out"; }
t "-u" user
retry_after() {
    local t0=$SECONDS
    mp -s --retry 3 -o x "$F/gen/1000?key=$((KEY + 5))&fails=2&status=503&ra=1" -w '%{http_code} %{num_retries}' &&
        expect_rc 0 && [ "$(cat "$W/out")" = "200 2" ] && [ "$(stat -c %s x)" = 1000 ] || return 1
    [ $((SECONDS - t0)) -ge 1 ] || { echo "no wait"; return 1; }
    mp -s --retry 1 -o x2 "$F/gen/1000?key=$((KEY + 6))&fails=1&status=429&ra=date" -w '%{num_retries}' && expect_rc 0 &&
        [ "$(cat "$W/out")" = 1 ] || return 1
    mp -s --retry 1 -f -o x3 "$F/gen/1000?key=$((KEY + 7))&fails=5&status=503&ra=0" && expect_rc 22 && [ ! -e x3 ] || return 1
    mp -s -o x4 "$F/gen/1000?key=$((KEY + 8))&fails=1&status=503" -w '%{http_code}' && expect_rc 0 && [ "$(cat "$W/out")" = 503 ] || return 1
    mp --retry 1 -o x5 "$F/gen/1000?key=$((KEY + 9))&fails=1&status=500&ra=0" && expect_rc 0 && grep -q 'Will retry' "$W/err" &&
        [ "$(stat -c %s x5)" = 1000 ]
}
t "--retry: 503 and 429 with Retry-After (seconds and a date), -f, no retry without --retry" retry_after
timeouts() {
    local t0=$SECONDS
    mp -s -m 1 "$F/hang" && expect_rc 28 && [ $((SECONDS - t0)) -lt 10 ] || return 1
    mp -s --connect-timeout 1 --retry 1 --retry-delay 0.1 -m 1 "$F/hang" -w '%{num_retries}' && expect_rc 28 && [ "$(cat "$W/out")" = 1 ]
}
t "-m and --connect-timeout; a timeout is retried" timeouts
limit_rate() { # 600 KB at 300 KB/s: not under 1.5 s (a lower bound: a slow machine only adds)
    local t0 t1
    t0=$(date +%s%N)
    mp -s --limit-rate 300000 -o x "$F/gen/600000" && expect_rc 0 && [ "$(stat -c %s x)" = 600000 ] || return 1
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -ge 1500 ] || { echo "took $(((t1 - t0) / 1000000)) ms"; return 1; }
}
t "--limit-rate" limit_rate
fail_body() {
    mp -s -f -o x "$N/nope" && expect_rc 22 && [ ! -e x ] || return 1
    mp -s --fail-with-body -o x "$N/nope" && expect_rc 22 && grep -qi 'not found' x || return 1
    mp -s -o x "$N/nope" && expect_rc 0 && grep -qi 'not found' x
}
t "-f, --fail-with-body, neither" fail_body
verbose() { mp -v -o x "$N/f/1k.bin" && expect_rc 0 && grep -q '^> GET /f/1k.bin' "$W/err" && grep -q '^< HTTP/1.1 200' "$W/err"; }
t "-v" verbose
write_out() {
    mp -s -o x.bin -w '%{http_code} %{size_download} %{url_effective} %{filename_effective} %{exitcode} %{content_type}\n%%' "$N/f/64k.bin" &&
        [ "$(cat "$W/out")" = "200 65536 $N/f/64k.bin x.bin 0 application/octet-stream
%" ] || { cat "$W/out"; return 1; }
    mp -s -o x -w '%{time_total} %{time_connect} %{speed_download} %{remote_ip}:%{remote_port} %{num_connects}' "$N/f/1k.bin" &&
        grep -Eq '^[0-9]+\.[0-9]{6} [0-9]+\.[0-9]{6} [0-9]+ 127\.0\.0\.1:[0-9]+ 1$' "$W/out" || { cat "$W/out"; return 1; }
    mp -s -w '%{exitcode} %{errormsg}' "http://127.0.0.1:$MPT_RESETNOW_PORT/" && grep -Eq "^(7|52|55|56) [A-Z]" "$W/out" || { cat "$W/out"; return 1; }
    mp -s -o x -w '%{nope}' "$N/f/1k.bin" && grep -q "unknown --write-out variable: 'nope'" "$W/err" || return 1
    printf '%%{http_code}' >fmt && mp -s -o x -w @fmt "$N/f/1k.bin" && [ "$(cat "$W/out")" = 200 ]
}
t "-w: variables, escapes, an unknown one, @file" write_out

# ---- HTTPS, proxies, compression, names -------------------------------------------------------
https() {
    mp -s --cacert "$MPT_PKI/ca.pem" -o x "$T/f/64k.bin" && expect_rc 0 && cmp x "$WWW/f/64k.bin" || return 1
    mp -s -o x "$T/f/1k.bin" && expect_rc 60 || return 1
    mp -s -k -o x "$T/f/1k.bin" && expect_rc 0 || return 1
    mp -s --cacert "$MPT_PKI/ca.pem" --pinnedpubkey "$(cat "$MPT_PKI/leaf.pin")" -o x "$T/f/1k.bin" && expect_rc 0 || return 1
    mp -s --cacert "$MPT_PKI/ca.pem" --pinnedpubkey 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' -o x "$T/f/1k.bin" && expect_rc 90
}
t "HTTPS: --cacert, not trusted (60), -k, --pinnedpubkey (90 when wrong)" https
https_parallel() {
    local urls="" i
    for i in $(seq 1 6); do urls="$urls $T/cli/f$i.bin"; done
    # shellcheck disable=SC2086
    mp -s -Z --cacert "$MPT_PKI/ca.pem" --remote-name-all $urls && expect_rc 0 || return 1
    for i in $(seq 1 6); do cmp "f$i.bin" "$WWW/cli/f$i.bin" || return 1; done
}
t "HTTPS: six files at once" https_parallel
proxy() {
    mp -s -x "127.0.0.1:$MPT_TINYPROXY_PORT" -o x "$N/f/64k.bin" && expect_rc 0 && cmp x "$WWW/f/64k.bin" || return 1
    mp -s -x "127.0.0.1:$MPT_TINYPROXY_PORT" --cacert "$MPT_PKI/ca.pem" -o x "$T/f/1k.bin" && expect_rc 0 && cmp x "$WWW/f/1k.bin" || return 1
    mp -s -x "127.0.0.1:$MPT_TINYPROXY_AUTH_PORT" -U user:s3cret -o x "$N/f/1k.bin" && expect_rc 0 && cmp x "$WWW/f/1k.bin" || return 1
    mp -s -x "127.0.0.1:$MPT_TINYPROXY_AUTH_PORT" -o x "$N/f/1k.bin" -w '%{http_code}' && [ "$(cat "$W/out")" = 407 ] || return 1
    mp -s -x "127.0.0.1:1" --noproxy 127.0.0.1 -o x "$N/f/1k.bin" && expect_rc 0
}
t "-x through tinyproxy (http, https by CONNECT), -U, --noproxy" proxy
compressed() {
    mp -s --compressed -o x "$N/gz/f/64k.bin" -w '%{size_download}' && expect_rc 0 && cmp x "$WWW/f/64k.bin" &&
        [ "$(cat "$W/out")" -lt 65536 ]
}
t "--compressed: nginx's gzip, decoded" compressed
resolve() {
    mp -s --resolve "files.test:$MPT_NGINX_PORT:127.0.0.1" -o x "http://files.test:$MPT_NGINX_PORT/f/1k.bin" && expect_rc 0 &&
        cmp x "$WWW/f/1k.bin"
}
t "--resolve" resolve
config() {
    cat >cfg <<EOF
# a config file
url = "$N/f/1k.bin"
output "from config.bin"
-s
header = "X-Quoted: a \"b\""
write-out: "%{http_code}\\n"
EOF
    mp -K cfg && expect_rc 0 && cmp "from config.bin" "$WWW/f/1k.bin" && [ "$(cat "$W/out")" = 200 ] || return 1
    printf 'no-such-option\n' >bad && mp -K bad "$N/" && expect_rc 2
}
t "-K: a config file (quotes, escapes, = and :, comments)" config

more_options() {
    mp -s --max-filesize 1000 -o x "$N/f/64k.bin" && expect_rc 63 && [ ! -e x ] || return 1
    mp -s --connect-to "elsewhere.test:80:127.0.0.1:$MPT_NGINX_PORT" -o x "http://elsewhere.test/f/1k.bin" && expect_rc 0 &&
        cmp x "$WWW/f/1k.bin" || return 1
    mp -s -4 -o x "$N/f/1k.bin" && expect_rc 0 || return 1
    mp -s -p -x "127.0.0.1:$MPT_TINYPROXY_PORT" -o x "$N/f/1k.bin" -w '%{http_code}' && [ "$rc" = 0 ] || [ "$rc" = 56 ] || return 1
    mp -s --retry 1 --retry-delay 0.1 --retry-connrefused "http://127.0.0.1:$MPT_RESETNOW_PORT/" -w '%{num_retries}' &&
        [ "$rc" != 0 ] || return 1
    mp -s --retry 2 --retry-delay 0.1 --retry-connrefused "http://127.0.0.1:1/" -w '%{num_retries}' && expect_rc 7 &&
        [ "$(cat "$W/out")" = 2 ] || return 1
    mp -s --retry 2 --retry-delay 0.1 "http://127.0.0.1:1/" -w '%{num_retries}' && expect_rc 7 && [ "$(cat "$W/out")" = 0 ] || return 1
    mp -s --retry 5 --retry-delay 1 --retry-max-time 1 -m 1 "$F/hang" -w '%{num_retries}' && expect_rc 28 &&
        [ "$(cat "$W/out")" -le 1 ] || return 1
    mp -s -L -e 'http://start.test/;auto' "$F/redir?code=302&to=/echo" && grep -q "^Referer: $F/redir" "$W/out"
}
t "--max-filesize, --connect-to, -4, -p, --retry-connrefused, --retry-max-time, -e ';auto'" more_options

# ---- exit status ------------------------------------------------------------------------------------
exit_codes() {
    mp -s -o a "$N/f/1k.bin" -o b "http://127.0.0.1:$MPT_RESETNOW_PORT/" && [ "$rc" != 0 ] || return 1
    mp -s -o a "http://127.0.0.1:$MPT_RESETNOW_PORT/" -o b "$N/f/1k.bin" && expect_rc 0 || return 1 # curl's: the last one
    mp -s -o a "$N/f/1k.bin" "http://[::1" && expect_rc 3
}
t "exit status: the last transfer's, as curl's" exit_codes

echo "# cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
