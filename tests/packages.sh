# tests/packages.sh - sourced by tests/run.sh and bench/run.sh.
#   fresh_build_dir NAME             an empty build/NAME under $ROOT with an
#   empty log.txt in it; sets B and LOG
#   install_missing LOG PACKAGE...   installs the Debian packages given (the
#   caller lists only missing ones) with apt-get when run as root, else
#   prints the exact command and exits.
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
