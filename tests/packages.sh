# tests/packages.sh - sourced by tests/run.sh and bench/run.sh.
#   fresh_build_dir NAME             an empty build/NAME under $ROOT with an
#   empty log.txt in it; sets B and LOG
#   install_missing LOG PACKAGE...   installs the Debian packages given (the
#   caller lists only missing ones) with apt-get when run as root, else
#   prints the exact command and exits.
#   own_network SCRIPT WHAT          runs SCRIPT again (with MPT_NETNS=1) in a
#   fresh network namespace with only loopback up, so nothing it starts can
#   reach beyond this machine; returns when already there (or MPT_NETNS=off).
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
