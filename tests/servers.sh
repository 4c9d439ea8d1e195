# tests/servers.sh - sourced by tests/run.sh and bench: starts the loopback
# servers the suites use and exports where they are.
#   servers_start DIR   faultserver + nginx with their files under DIR
#   servers_stop
# Exports MPT_FAULT_PORT and MPT_FAULT2_PORT (two faultservers, for redirects
# across hosts), MPT_NGINX_PORT, MPT_NGINX6_PORT (empty without IPv6).

servers_pids=""

servers_stop() {
    local p
    for p in $servers_pids; do kill "$p" 2>/dev/null; done
    for p in $servers_pids; do wait "$p" 2>/dev/null; done
    servers_pids=""
}

# nginx on a free port: tries a few random ones (nginx cannot pick its own).
start_nginx() {
    local dir=$1 try port port6 conf listen6
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
        cat > "$conf" <<EOF
worker_processes 1;
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
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port reuseport backlog=8192;
        $listen6
        root $dir/www;
        location = /status { stub_status; }
        location = /r301 { return 301 /f/1k.bin; }
        location = /r302 { return 302 http://127.0.0.1:$port/f/64k.bin; }
    }
}
EOF
        nginx -c "$conf" -e "$dir/nginx/error.log" 2>>"$dir/nginx/start.log" &
        local pid=$!
        local i
        for i in $(seq 1 50); do
            if ! kill -0 "$pid" 2>/dev/null; then break; fi
            if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
                servers_pids="$servers_pids $pid"
                export MPT_NGINX_PORT=$port MPT_NGINX6_PORT=$port6 MPT_NGINX_PID=$pid
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

servers_start() {
    local dir=$1 fs=$2
    mkdir -p "$dir/www/f"
    [ -f "$dir/www/f/1k.bin" ] || "$fs" -w 1024 "$dir/www/f/1k.bin" || return 1
    [ -f "$dir/www/f/64k.bin" ] || "$fs" -w 65536 "$dir/www/f/64k.bin" || return 1
    [ -f "$dir/www/f/large.bin" ] || "$fs" -w $((64 * 1024 * 1024)) "$dir/www/f/large.bin" || return 1
    chmod -R a+rX "$dir/www"
    local i n
    for n in 1 2; do
        rm -f "$dir/fault$n.port"
        "$fs" -q -d "$dir/www/f" > "$dir/fault$n.port" 2>"$dir/fault$n.log" &
        servers_pids="$servers_pids $!"
        for i in $(seq 1 50); do
            [ -s "$dir/fault$n.port" ] && break
            sleep 0.1
        done
        [ -s "$dir/fault$n.port" ] || { echo "faultserver did not start" >&2; return 1; }
    done
    export MPT_FAULT_PORT=$(awk '{print $2}' "$dir/fault1.port")
    export MPT_FAULT2_PORT=$(awk '{print $2}' "$dir/fault2.port")
    start_nginx "$dir"
}
