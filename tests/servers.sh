# tests/servers.sh - sourced by tests/run.sh and bench: starts the loopback
# servers the suites use and exports where they are.
#   servers_start DIR   faultserver + nginx with their files under DIR
#   servers_stop
# Exports MPT_FAULT_PORT and MPT_FAULT2_PORT (two faultservers, for redirects
# across hosts), MPT_NOREAD_PORT and MPT_RESETNOW_PORT (the first one's ports
# that never read, and that reset every connection at once), MPT_FAULT_ABSTRACT
# (the first one's Linux abstract unix socket), MPT_NGINX_PORT, MPT_NGINX6_PORT
# (empty without IPv6), MPT_NGINX_UNIX (nginx's unix socket path), and
# for TLS (with a PKI from tests/pki.sh in MPT_PKI): MPT_TLS_PORT (nginx, leaf
# + intermediate, session cache, log in MPT_TLS_LOG), MPT_TLS_NOINT_PORT
# (missing intermediate), MPT_TLS_WRONG_PORT (unknown CA), MPT_TLS_EXPIRED_PORT,
# MPT_TLS_NOIP_PORT (no IP entry), MPT_TLS13_PORT (openssl s_server, TLS 1.3
# only), MPT_TLSFAULT_PORT (tests/tlsfault.c), MPT_TLSTRAIL_PORT (the same,
# sending a leaf certificate with bytes after its end), MPT_TLSBADTIME_PORT
# (the same, sending a leaf with a malformed date in records of 512 bytes)
# and MPT_TLSBIG_PORT (the same, sending a leaf of over 100 KiB); with a
# fourth argument, tests/dnsserver.c's binary, MPT_DNS_PORT (UDP and TCP).
# nginx also compresses what it serves under /gz/ (its gzip module) and serves
# www/gzs/NAME.gz for /gzs/NAME (gzip_static): text.txt, bomb.bin (20 MiB of
# zeros, no uncompressed file), damaged.txt (its stream's CRC spoilt).
# Proxies, where installed: MPT_TINYPROXY_PORT (tinyproxy), MPT_TINYPROXY_AUTH_PORT
# (tinyproxy asking for Basic "user:s3cret"), MPT_SQUID_PORT (squid); each
# empty when its server did not start.

servers_pids=""

servers_stop() {
    local p
    for p in $servers_pids; do kill "$p" 2>/dev/null; done
    for p in $servers_pids; do wait "$p" 2>/dev/null; done
    servers_pids=""
}

# The top of an nginx config with its files under DIR/nginx, up to the open
# http block: one worker (pinned when AFFINITY is "worker_cpu_affinity 01;"),
# no access log. bench/run.sh uses it too.
nginx_conf_top() {
    local dir=$1 affinity=$2
    cat <<EOF
worker_processes 1;
$affinity
worker_rlimit_nofile 65536;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
EOF
}

# nginx on a free port: tries a few random ones (nginx cannot pick its own).
start_nginx() {
    local dir=$1 try port port6 conf listen6 pki=$dir/pki
    mkdir -p "$dir/nginx/tmp"
    for try in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 30000))
        port6=""
        listen6=""
        if [ -e /proc/net/if_inet6 ] && grep -q '00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null; then
            port6=$((port + 1))
            listen6="listen [::1]:$port6;"
        fi
        conf="$dir/nginx/nginx.conf"
        {
            nginx_conf_top "$dir" "worker_cpu_affinity 01;"
            cat <<EOF
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$port reuseport backlog=8192;
        listen unix:$dir/nginx/http.sock;
        $listen6
        root $dir/www;
        location = /status { stub_status; }
        location = /r301 { return 301 /f/1k.bin; }
        location = /r302 { return 302 http://127.0.0.1:$port/f/64k.bin; }
        location /gz/ { alias $dir/www/; gzip on; gzip_types *; gzip_min_length 1; gzip_comp_level 6; }
        location /gzs/ { alias $dir/www/gzs/; gzip_static on; }
    }
    log_format tls '\$ssl_session_reused \$connection \$request_uri';
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:$((port + 10)) ssl reuseport;
        listen [::1]:$((port + 10)) ssl;
        ssl_certificate $pki/chain.pem;
        ssl_certificate_key $pki/leaf.key;
        ssl_session_cache shared:TLS:1m;
        ssl_session_tickets off;
        access_log $dir/nginx/tls.log tls;
        root $dir/www;
    }
EOF
            # one server per certificate case: the leaf without its intermediate,
            # an unknown CA, an expired leaf, a leaf without the IP entry
            local k=11 leaf
            for leaf in leaf wrong expired noip; do
                printf '    server {\n        listen 127.0.0.1:%s ssl;\n        ssl_certificate %s;\n' $((port + k)) "$pki/$leaf.pem"
                printf '        ssl_certificate_key %s;\n        root %s;\n    }\n' "$pki/$leaf.key" "$dir/www"
                k=$((k + 1))
            done
            echo "}"
        } > "$conf"
        [ -n "$listen6" ] || sed -i '/listen \[::1\]:.* ssl;/d' "$conf"
        rm -f "$dir/nginx/http.sock"
        nginx -c "$conf" -e "$dir/nginx/error.log" 2>>"$dir/nginx/start.log" &
        local pid=$!
        local i
        for i in $(seq 1 50); do
            if ! kill -0 "$pid" 2>/dev/null; then break; fi
            if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
                servers_pids="$servers_pids $pid"
                export MPT_NGINX_PORT=$port MPT_NGINX6_PORT=$port6 MPT_NGINX_PID=$pid MPT_NGINX_UNIX=$dir/nginx/http.sock
                export MPT_TLS_PORT=$((port + 10)) MPT_TLS_NOINT_PORT=$((port + 11)) MPT_TLS_WRONG_PORT=$((port + 12))
                export MPT_TLS_EXPIRED_PORT=$((port + 13)) MPT_TLS_NOIP_PORT=$((port + 14)) MPT_TLS_LOG=$dir/nginx/tls.log
                return 0
            fi
            sleep 0.1
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    echo "could not start nginx; see $dir/nginx/error.log" >&2
    return 1
}

# start_port_printer VAR NAME CMD...: starts CMD, which prints "PORT n" once
# listening, and exports VAR=n. Not to be called in $(...): the server's pid
# must reach servers_pids in this shell, or servers_stop leaves it running.
start_port_printer() {
    local var=$1 name=$2 i
    shift 2
    rm -f "$srvdir/$name.port"
    "$@" >"$srvdir/$name.port" 2>"$srvdir/$name.log" &
    servers_pids="$servers_pids $!"
    for i in $(seq 1 50); do
        [ -s "$srvdir/$name.port" ] && break
        sleep 0.1
    done
    export "$var=$(awk '{print $2}' "$srvdir/$name.port")"
}

# openssl s_server speaking TLS 1.3 only, on a free port.
start_tls13() {
    local try port pid i
    for try in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        openssl s_server -accept 127.0.0.1:$port -tls1_3 -cert "$MPT_PKI/leaf.pem" -key "$MPT_PKI/leaf.key" \
            -cert_chain "$MPT_PKI/int.pem" -www -quiet >"$srvdir/tls13.log" 2>&1 &
        pid=$!
        for i in $(seq 1 30); do
            if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
                servers_pids="$servers_pids $pid"
                export MPT_TLS13_PORT=$port
                return 0
            fi
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
        kill $pid 2>/dev/null
    done
    return 1
}

# start_listener VAR NAME FUNC: runs "FUNC PORT" (which execs a server on
# PORT) with random ports until one listens, and exports VAR=port (empty
# when five tries failed).
start_listener() {
    local var=$1 name=$2 func=$3 try port pid i
    export "$var="
    for try in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        "$func" "$port" >"$srvdir/$name.log" 2>&1 &
        pid=$!
        for i in $(seq 1 100); do
            if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
                servers_pids="$servers_pids $pid"
                export "$var=$port"
                return 0
            fi
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
        kill $pid 2>/dev/null
        wait $pid 2>/dev/null
    done
    echo "could not start $name; see $srvdir/$name.log" >&2
    return 1
}

# tinyproxy on port $1, asking for Basic credentials with a second argument.
run_tinyproxy() {
    local conf=$srvdir/proxy/tinyproxy-$1.conf
    {
        echo "Port $1"
        echo "Listen 127.0.0.1"
        echo "Allow 127.0.0.1"
        echo "DisableViaHeader Yes"
        echo "MaxClients 100"
        echo "PidFile \"$srvdir/proxy/tinyproxy-$1.pid\""
        echo "LogFile \"$srvdir/proxy/tinyproxy-$1.log\""
        [ -z "${2:-}" ] || echo "BasicAuth user s3cret"
    } >"$conf"
    exec tinyproxy -d -c "$conf"
}
run_tinyproxy_auth() { run_tinyproxy "$1" auth; }

# squid on port $1: loopback clients to any port, no cache, no name servers.
run_squid() {
    local conf=$srvdir/proxy/squid-$1.conf
    cat >"$conf" <<SQUID
http_port 127.0.0.1:$1
http_access allow localhost
http_access deny all
cache deny all
access_log none
cache_log $srvdir/proxy/squid-cache.log
pid_filename $srvdir/proxy/squid.pid
coredump_dir $srvdir/proxy
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
hosts_file /etc/hosts
pinger_enable off
via off
forwarded_for delete
SQUID
    exec /usr/sbin/squid -N -f "$conf"
}

# The proxies that are installed (tests that need one skip without it).
start_proxies() {
    mkdir -p "$srvdir/proxy"
    chmod 777 "$srvdir/proxy"
    if command -v tinyproxy >/dev/null; then
        start_listener MPT_TINYPROXY_PORT tinyproxy run_tinyproxy
        start_listener MPT_TINYPROXY_AUTH_PORT tinyproxy-auth run_tinyproxy_auth
    fi
    [ ! -x /usr/sbin/squid ] || start_listener MPT_SQUID_PORT squid run_squid
    return 0
}

servers_start() {
    local dir=$1 fs=$2 tf=${3:-} ds=${4:-}
    srvdir=$dir
    export MPT_PKI=$dir/pki
    bash "$(dirname "${BASH_SOURCE[0]}")/pki.sh" "$MPT_PKI" || { echo "could not make the test PKI" >&2; return 1; }
    mkdir -p "$dir/www/f"
    [ -f "$dir/www/f/1k.bin" ] || "$fs" -w 1024 "$dir/www/f/1k.bin" || return 1
    [ -f "$dir/www/f/64k.bin" ] || "$fs" -w 65536 "$dir/www/f/64k.bin" || return 1
    [ -f "$dir/www/f/large.bin" ] || "$fs" -w $((64 * 1024 * 1024)) "$dir/www/f/large.bin" || return 1
    # compressed bodies: text and its gzip for gzip_static, a bomb, a damaged stream
    if [ ! -f "$dir/www/gzs/text.txt.gz" ]; then
        mkdir -p "$dir/www/gzs"
        awk 'BEGIN { for (i = 0; i < 20000; i++) printf "line %d: %s %d\n", i, substr("the quick brown fox jumps over the lazy dog", 1 + i % 30), i * i % 9973 }' \
            >"$dir/www/gzs/text.txt"
        gzip -9 -n -k "$dir/www/gzs/text.txt"
        head -c $((20 * 1024 * 1024)) /dev/zero >"$dir/www/gzs/bomb.bin"
        gzip -9 -n "$dir/www/gzs/bomb.bin"
        cp "$dir/www/gzs/text.txt" "$dir/www/gzs/damaged.txt"
        cp "$dir/www/gzs/text.txt.gz" "$dir/www/gzs/damaged.txt.gz"
        printf '\377' | dd of="$dir/www/gzs/damaged.txt.gz" bs=1 seek=$(($(stat -c %s "$dir/www/gzs/damaged.txt.gz") - 6)) conv=notrunc 2>/dev/null
    fi
    chmod -R a+rX "$dir/www"
    local i n
    export MPT_FAULT_ABSTRACT=mpt-fault-$$-$RANDOM
    for n in 1 2; do
        rm -f "$dir/fault$n.port"
        # shellcheck disable=SC2046
        "$fs" -q -d "$dir/www/f" $([ $n = 1 ] && echo "-a $MPT_FAULT_ABSTRACT") > "$dir/fault$n.port" 2>"$dir/fault$n.log" &
        servers_pids="$servers_pids $!"
        for i in $(seq 1 50); do
            [ -s "$dir/fault$n.port" ] && break
            sleep 0.1
        done
        [ -s "$dir/fault$n.port" ] || { echo "faultserver did not start" >&2; return 1; }
    done
    export MPT_FAULT_PORT=$(awk '{print $2}' "$dir/fault1.port")
    export MPT_FAULT2_PORT=$(awk '{print $2}' "$dir/fault2.port")
    export MPT_NOREAD_PORT=$(awk '{print $4}' "$dir/fault1.port")
    export MPT_RESETNOW_PORT=$(awk '{print $6}' "$dir/fault1.port")
    if [ -n "$tf" ]; then
        start_port_printer MPT_TLSFAULT_PORT tlsfault "$tf" "$MPT_PKI/chain.pem" "$MPT_PKI/leaf.key"
        start_port_printer MPT_TLSTRAIL_PORT tlstrail "$tf" "$MPT_PKI/trailing.pem" "$MPT_PKI/leaf.key"
        start_port_printer MPT_TLSBADTIME_PORT tlsbadtime "$tf" "$MPT_PKI/badtime.pem" "$MPT_PKI/leaf.key" small-records
        start_port_printer MPT_TLSBIG_PORT tlsbig "$tf" "$MPT_PKI/bigchain.pem" "$MPT_PKI/leaf.key"
    fi
    [ -z "$ds" ] || start_port_printer MPT_DNS_PORT dns "$ds"
    start_tls13 || echo "could not start openssl s_server" >&2
    start_proxies
    start_nginx "$dir"
}
