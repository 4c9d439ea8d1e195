# tests/size.sh - sourced by tests/run.sh and bench/run.sh: the code-size
# measure of the targets. The text of bench/minimal_get.c built -Os with
# sections, gc-sections and stripped (libc linked dynamically), minus the
# same of an empty main.
SZFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
SZ="$SZFLAGS -Wl,--gc-sections -s"
text() { size "$1" | awk 'NR == 2 {print $1}'; }
# minimal_text DIR NAME FLAGS...: the measure with FLAGS (linked with
# $SIZELIBS), built in DIR with $CC; compiler output goes to stderr, and a
# failed build fails.
minimal_text() {
    local dir=$1 name=$2
    shift 2
    # shellcheck disable=SC2086
    $CC $SZ -o "$dir/empty" bench/empty_main.c >&2 &&
        $CC $SZ "$@" -o "$dir/min-$name" bench/minimal_get.c ${SIZELIBS:-} >&2 || return 1
    echo $(($(text "$dir/min-$name") - $(text "$dir/empty")))
}
