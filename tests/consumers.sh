#!/usr/bin/env bash
# tests/consumers.sh REPO WORK URL BYTES - a consumer project out of tree for
# each way of taking the header in: CMake add_subdirectory, CMake
# FetchContent (from REPO's git), CMake find_package and pkg-config after
# `make install PREFIX=WORK/prefix`, and a Meson subproject. Each builds a
# program that GETs URL (through multiperform's names, or libcurl's through
# the compat target) and checks it got BYTES bytes. Prints a line per way
# and "# consumers: N passed, M failed".
set -u
repo=$(cd "$1" && pwd)
work=$2
url=$3
bytes=$4
rm -rf "$work"
mkdir -p "$work/src"
passed=0
failed=0
log=$work/log.txt
: >"$log"

cat >"$work/src/app.c" <<'EOF'
#define MULTIPERFORM_IMPLEMENTATION
#include "multiperform.h"
#include <stdio.h>
#include <stdlib.h>
static size_t count(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    *(size_t *)u += s * n;
    return s * n;
}
int main(int argc, char **argv)
{
    size_t got = 0;
    mperf_easy *e = mperf_easy_init();
    mperf_code rc;
    if (argc != 3) return 2;
    mperf_easy_setopt(e, MPERF_OPT_URL, argv[1]);
    mperf_easy_setopt(e, MPERF_OPT_WRITEFUNCTION, count);
    mperf_easy_setopt(e, MPERF_OPT_WRITEDATA, &got);
    rc = mperf_easy_perform(e);
    printf("multiperform %s: %s, %lu bytes\n", mperf_version(), mperf_easy_strerror(rc), (unsigned long)got);
    mperf_easy_cleanup(e);
    return rc == MPERF_E_OK && got == (size_t)atol(argv[2]) ? 0 : 1;
}
EOF
cat >"$work/src/app_curl.c" <<'EOF'
#define MULTIPERFORM_IMPLEMENTATION
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
static size_t count(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    *(size_t *)u += s * n;
    return s * n;
}
int main(int argc, char **argv)
{
    size_t got = 0;
    CURL *h = curl_easy_init();
    CURLcode rc;
    if (argc != 3) return 2;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
    rc = curl_easy_perform(h);
    printf("libcurl's names: %s, %lu bytes\n", curl_easy_strerror(rc), (unsigned long)got);
    curl_easy_cleanup(h);
    return rc == CURLE_OK && got == (size_t)atol(argv[2]) ? 0 : 1;
}
EOF

# way NAME DIR: builds DIR's project (its build.sh) and runs its programs
way() {
    local name=$1 dir=$2 ok=1 p
    echo "== $name" >>"$log"
    if (cd "$dir" && bash build.sh) >>"$log" 2>&1; then
        for p in "$dir"/out/*; do
            "$p" "$url" "$bytes" >>"$log" 2>&1 || ok=0
        done
        [ -n "$(ls "$dir"/out 2>/dev/null)" ] || ok=0
    else
        ok=0
    fi
    if [ $ok = 1 ]; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "FAIL - $name"
        tail -n 15 "$log" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

cmake_project() { # DIR HOW: a CMake consumer; HOW is the lines that bring the targets in
    mkdir -p "$1/out"
    cp "$work/src/app.c" "$work/src/app_curl.c" "$1/"
    cat >"$1/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.14)
project(consumer C)
$2
add_executable(app app.c)
target_link_libraries(app PRIVATE multiperform::multiperform)
add_executable(app_curl app_curl.c)
target_link_libraries(app_curl PRIVATE multiperform::compat)
EOF
    cat >"$1/build.sh" <<EOF
set -e
cmake -S . -B b ${3:-} >/dev/null
cmake --build b >/dev/null
cp b/app b/app_curl out/
EOF
}

# CMake, add_subdirectory
cmake_project "$work/subdir" "add_subdirectory(\"$repo\" multiperform)"
way "CMake add_subdirectory, multiperform::multiperform and multiperform::compat" "$work/subdir"

# CMake, FetchContent from the repository's git (the committed tree)
if git -C "$repo" rev-parse HEAD >/dev/null 2>&1; then
    cmake_project "$work/fetch" "include(FetchContent)
FetchContent_Declare(multiperform GIT_REPOSITORY \"$repo\" GIT_TAG $(git -C "$repo" rev-parse HEAD))
FetchContent_MakeAvailable(multiperform)"
    way "CMake FetchContent (git)" "$work/fetch"
fi

# make install, then find_package and pkg-config
if make -C "$repo" -s install PREFIX="$work/prefix" >>"$log" 2>&1; then
    cmake_project "$work/findpkg" "find_package(multiperform 0.1 CONFIG REQUIRED)" "-DCMAKE_PREFIX_PATH=$work/prefix"
    way "CMake find_package after make install" "$work/findpkg"
    mkdir -p "$work/pkgconfig/out"
    cp "$work/src/app.c" "$work/src/app_curl.c" "$work/pkgconfig/"
    cat >"$work/pkgconfig/build.sh" <<EOF
set -e
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cc -std=c99 \$(pkg-config --cflags multiperform) -o out/app app.c \$(pkg-config --libs multiperform)
cc -std=c99 \$(pkg-config --cflags multiperform) -I\$(pkg-config --variable=compatdir multiperform) \\
    -o out/app_curl app_curl.c \$(pkg-config --libs multiperform)
cc -std=c99 \$(pkg-config --cflags multiperform-notls) -o out/app_notls app.c \$(pkg-config --libs multiperform-notls)
EOF
    way "pkg-config after make install (multiperform, multiperform-notls)" "$work/pkgconfig"
else
    echo "FAIL - make install PREFIX=$work/prefix"
    failed=$((failed + 1))
fi

# Meson, the repository as a subproject
mkdir -p "$work/meson/out" "$work/meson/subprojects"
ln -s "$repo" "$work/meson/subprojects/multiperform"
cp "$work/src/app.c" "$work/src/app_curl.c" "$work/meson/"
cat >"$work/meson/meson.build" <<'EOF'
project('consumer', 'c')
mp = dependency('multiperform', fallback: ['multiperform', 'multiperform_dep'])
mpc = subproject('multiperform').get_variable('multiperform_compat_dep')
executable('app', 'app.c', dependencies: mp)
executable('app_curl', 'app_curl.c', dependencies: mpc)
EOF
cat >"$work/meson/build.sh" <<'EOF'
set -e
meson setup b >/dev/null
ninja -C b >/dev/null
cp b/app b/app_curl out/
EOF
way "Meson subproject (multiperform_dep, multiperform_compat_dep)" "$work/meson"

echo "# consumers: $passed passed, $failed failed"
[ $failed = 0 ]
