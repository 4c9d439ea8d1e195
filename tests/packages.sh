# tests/packages.sh - sourced by tests/run.sh and bench/run.sh.
#   fresh_build_dir NAME             an empty build/NAME under $ROOT with an
#   empty log.txt in it; sets B and LOG
#   install_missing LOG PACKAGE...   installs the Debian packages given (the
#   caller lists only missing ones) with apt-get when run as root, else
#   prints the exact command and exits.
#   own_network SCRIPT WHAT          runs SCRIPT again (with MPT_NETNS=1) in a
#   fresh network namespace with only loopback up, so nothing it starts can
#   reach beyond this machine; returns when already there (or MPT_NETNS=off).
#   debian_orig, bearssl_source, bearssl_build: Debian's BearSSL source,
#   fetched and checked once into build/bearssl-VERSION, compiled as asked.
fresh_build_dir() {
    B=$ROOT/build/$1
    rm -rf "$B"
    mkdir -p "$B"
    LOG=$B/log.txt
    : >"$LOG"
}

install_missing() {
    local log=$1
    shift
    [ $# -gt 0 ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing: $*"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >>"$log" 2>&1 ||
            { echo "apt-get install failed; see $log"; exit 1; }
    else
        echo "missing packages; install them with: sudo apt-get install -y $*"
        exit 1
    fi
}

own_network() {
    local script=$1 what=$2
    case "${MPT_NETNS:-}" in
    1) return 0 ;;
    off) echo "note: MPT_NETNS=off: $what runs without a network namespace of its own"; return 0 ;;
    esac
    if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
        exec unshare -n -- env MPT_NETNS=1 bash -c "ip link set lo up && exec bash $script"
    fi
    echo "$what runs its servers in a network namespace of its own (unshare -n, then ip link set lo up), which"
    echo "needs root here: run it as root (sudo), or with MPT_NETNS=off to run it without that isolation."
    exit 1
}

DEBIAN_POOL=${DEBIAN_POOL:-http://deb.debian.org/debian/pool/main}
# debian_orig SRCPKG VERSION SHA256 DIR: fetches Debian's upstream tarball
# (SRCPKG_UPSTREAM.orig.tar.xz) of source version VERSION into DIR and
# checks it: against SHA256 (Debian 12's version), or for another version
# against its .dsc. Prints the tarball's path.
debian_orig() {
    local pkg=$1 ver=$2 want=$3 dir=$4 up txz sum
    up=${ver#*:}
    up=${up%-*}
    txz=$dir/${pkg}_$up.orig.tar.xz
    curl -fsS --max-time 300 -o "$txz" "$DEBIAN_POOL/${pkg:0:1}/$pkg/${pkg}_$up.orig.tar.xz" >>"$LOG" 2>&1 || return 1
    if [ -z "$want" ]; then
        want=$(curl -fsS --max-time 60 "$DEBIAN_POOL/${pkg:0:1}/$pkg/${pkg}_$ver.dsc" |
            awk -v f="${pkg}_$up.orig.tar.xz" '/^Checksums-Sha256:/ {on = 1; next} /^[^ ]/ {on = 0} on && $3 == f {print $1}')
    fi
    sum=$(sha256sum "$txz" | awk '{print $1}')
    [ -n "$want" ] && [ "$sum" = "$want" ] || { echo "$pkg source: checksum $sum, expected ${want:-?}" >>"$LOG"; return 1; }
    echo "$txz"
}

# bearssl_source: Debian's BearSSL source (the installed libbearssl-dev's
# version), fetched and unpacked once into build/bearssl-VERSION (needs the
# network: call it before own_network). Sets BEARSSL_DIR and BEARSSL_SRC.
bearssl_source() {
    local ver txz want=""
    ver=$(dpkg-query -W -f '${Version}' libbearssl-dev 2>/dev/null) || return 1
    BEARSSL_DIR=$ROOT/build/bearssl-$ver
    BEARSSL_SRC=$(echo "$BEARSSL_DIR"/bearssl-*/)
    [ -d "$BEARSSL_SRC/src" ] && return 0
    rm -rf "$BEARSSL_DIR" && mkdir -p "$BEARSSL_DIR" || return 1
    [ "$ver" = "0.6+dfsg.1-3" ] && want=102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004
    txz=$(debian_orig bearssl "$ver" "$want" "$BEARSSL_DIR") || return 1
    tar -xJf "$txz" -C "$BEARSSL_DIR" >>"$LOG" 2>&1 || return 1
    BEARSSL_SRC=$(echo "$BEARSSL_DIR"/bearssl-*/)
    [ -d "$BEARSSL_SRC/src" ]
}

# bearssl_build OUT.a COMPILER FLAGS...: BEARSSL_SRC compiled into OUT.a.
bearssl_build() {
    local out=$1 obj
    shift
    obj=$out.obj
    rm -rf "$obj" && mkdir -p "$obj" || return 1
    (cd "$BEARSSL_SRC" && find src -name '*.c' | sort | xargs -P "$(nproc)" -I{} sh -c \
        'o=$1/$(echo "$2" | tr / _).o; shift 2; "$@" -I inc -I src -c "$0" -o "$o"' {} "$obj" {} "$@") >>"$LOG" 2>&1 || return 1
    ar rcs "$out" "$obj"/*.o >>"$LOG" 2>&1
}
