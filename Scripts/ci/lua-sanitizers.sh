#!/usr/bin/env bash
# The Lua runtime (Sources/CArgusLua) under AddressSanitizer + UBSan, against a Lua 5.4
# built with LUA_USE_APICHECK and its internal assertions (Debian's liblua5.4 has
# neither): first the C checks (Tests/CArgusLuaChecks), then the seed corpus and a
# bounded libFuzzer run of the host API (Tests/Fuzz/lua-host). Any sanitizer report,
# API check or failed check fails the lane (exit 1).
#
# Lua's source comes from a registry at run time and is never committed: Debian's source
# package when deb-src is configured, otherwise the copy bundled in the `lupa` sdist on
# PyPI (pinned by version and hash). Everything is built under .build/lua-sanitizers.
#
#   Scripts/ci/lua-sanitizers.sh            # checks, corpus, 60 s of fuzzing
#   LUA_FUZZ_SECONDS=600 Scripts/ci/lua-sanitizers.sh
#
# About 3 minutes on 2 cores (most of it the fuzzing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${LUA_SANITIZERS_DIR:-$ROOT/.build/lua-sanitizers}
FUZZ_SECONDS=${LUA_FUZZ_SECONDS:-60}
LUPA_VERSION=2.8
LUPA_SHA256=d8022641b9ec8ecf2c5ecbe9f47e5a70e0b87c4b5ae921b92cb02a638e0acd08

# Swift's clang ships the sanitizer and libFuzzer runtimes; Debian's works too.
CC=${CC:-}
if [ -z "$CC" ]; then
    if [ -x /opt/swift/usr/bin/clang ]; then CC=/opt/swift/usr/bin/clang; else CC=clang; fi
fi
# lld, when there is one: gold warns about every ASan helper symbol.
LDFLAGS=""
if [ -x "$(dirname "$(command -v "$CC")")/ld.lld" ] || command -v ld.lld >/dev/null; then LDFLAGS="-fuse-ld=lld"; fi
say() { printf '\n== %s\n' "$*"; }

lua_source() {
    local dir=$WORK/lua
    if [ -f "$dir/lapi.c" ] && [ -f "$dir/SOURCE" ]; then
        echo "Lua source: $(cat "$dir/SOURCE") (cached in $dir)"
        return
    fi
    rm -rf "$WORK/download" "$dir"
    mkdir -p "$WORK/download" "$dir"
    if (cd "$WORK/download" && apt-get source --download-only lua5.4 >/dev/null 2>&1); then
        local origs=("$WORK"/download/lua5.4_*.orig.tar.*)
        local orig=${origs[0]}
        tar -xf "$orig" -C "$WORK/download"
        cp "$WORK"/download/lua-5.4*/src/*.[ch] "$dir/"
        echo "Debian source package $(basename "$orig")" >"$dir/SOURCE"
    else
        # lupa's sdist bundles Lua 5.4; its metadata step would build LuaJIT, which these
        # variables skip (the source is all that is needed).
        printf 'lupa==%s --hash=sha256:%s\n' "$LUPA_VERSION" "$LUPA_SHA256" >"$WORK/download/requirements.txt"
        LUPA_NO_BUNDLE=true LUPA_NO_LUAJIT=true python3 -m pip download --quiet --no-deps --no-binary lupa \
            --require-hashes -r "$WORK/download/requirements.txt" -d "$WORK/download"
        tar -xzf "$WORK/download/lupa-$LUPA_VERSION.tar.gz" -C "$WORK/download" "lupa-$LUPA_VERSION/third-party/lua54"
        cp "$WORK/download/lupa-$LUPA_VERSION/third-party/lua54/"*.[ch] "$dir/"
        echo "lupa $LUPA_VERSION sdist (PyPI), third-party/lua54" >"$dir/SOURCE"
    fi
    echo "Lua source: $(cat "$dir/SOURCE"), $(grep -h '#define LUA_VERSION_RELEASE\b' "$dir/lua.h" | tr -s ' \t' ' ')"
}

# The core and the libraries a sandbox opens (no io, os, package, debug, coroutine).
LUA_FILES="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring ltable
ltm lundump lvm lzio lauxlib lbaselib lstrlib ltablib lmathlib lutf8lib"
# The runtime (Sources/CArgusLua), by name: objects are linked from these lists only, so one
# left in the work directory by a file since renamed or removed is never linked.
RUNTIME_FILES="bridge charged host json limits pattern sandbox sha256"
for f in "$ROOT"/Sources/CArgusLua/*.c; do
    case " $RUNTIME_FILES " in *" $(basename "$f" .c) "*) ;;
        *) echo "lua-sanitizers: $f is not in RUNTIME_FILES" >&2; exit 1 ;;
    esac
done
SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LUA_CHECKS="-DLUA_USE_APICHECK -DLUAI_ASSERT"
CFLAGS="-g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers"

# build_objects OUT EXTRA_FLAGS: Lua and the runtime as objects in OUT, two at a time.
build_objects() {
    local out=$1 extra=$2 pids=() f warn
    mkdir -p "$out"
    for f in $(for n in $LUA_FILES; do echo "$WORK/lua/$n.c"; done) \
             $(for n in $RUNTIME_FILES; do echo "$ROOT/Sources/CArgusLua/$n.c"; done); do
        case $f in */CArgusLua/*) warn=-Werror ;; *) warn=-w ;; esac
        # shellcheck disable=SC2086
        $CC $CFLAGS $SANITIZE $LUA_CHECKS $extra $warn -I"$WORK/include" -I"$ROOT/Sources/CArgusLua/include" \
            -I"$ROOT/Sources/CArgusLua" -c "$f" -o "$out/$(basename "$f" .c).o" &
        pids+=($!)
        if [ ${#pids[@]} -ge 2 ]; then
            wait "${pids[0]}"
            pids=("${pids[@]:1}")
        fi
    done
    for f in "${pids[@]}"; do wait "$f"; done
}

# objects DIR: what build_objects made there, by name.
objects() {
    local n
    for n in $LUA_FILES $RUNTIME_FILES; do echo "$1/$n.o"; done
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

say "Lua 5.4 with LUA_USE_APICHECK"
lua_source
mkdir -p "$WORK/include/lua5.4"
cp "$WORK/lua/lua.h" "$WORK/lua/luaconf.h" "$WORK/lua/lualib.h" "$WORK/lua/lauxlib.h" "$WORK/include/lua5.4/"

say "checks (Tests/CArgusLuaChecks) with $($CC --version | head -1)"
build_objects "$WORK/obj" ""
# shellcheck disable=SC2046,SC2086  # the flag strings and the object lists are lists of words
$CC $CFLAGS $SANITIZE -I"$ROOT/Sources/CArgusLua/include" "$ROOT/Tests/CArgusLuaChecks/checks.c" $(objects "$WORK/obj") -lm \
    $LDFLAGS -o "$WORK/checks"
"$WORK/checks"

say "fuzzing the host API (Tests/Fuzz/lua-host): the corpus, then ${FUZZ_SECONDS} s"
build_objects "$WORK/obj-fuzz" "-fsanitize=fuzzer-no-link"
# shellcheck disable=SC2046,SC2086  # the flag strings and the object lists are lists of words
$CC $CFLAGS $SANITIZE -fsanitize=fuzzer -I"$ROOT/Sources/CArgusLua/include" "$ROOT/Tests/Fuzz/lua-host/fuzz_host.c" \
    $(objects "$WORK/obj-fuzz") -lm $LDFLAGS -o "$WORK/fuzz_host"
SEEDS=$ROOT/Tests/Fuzz/lua-host/corpus
mkdir -p "$WORK/corpus" "$WORK/artifacts"
# New inputs go to $WORK/corpus (kept between runs, never committed); crashes to $WORK/artifacts.
"$WORK/fuzz_host" -runs=0 -artifact_prefix="$WORK/artifacts/" "$SEEDS"
if ! "$WORK/fuzz_host" -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2048 -max_len=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" "$WORK/corpus" "$SEEDS" >"$WORK/fuzz.log" 2>&1; then
    tail -n 80 "$WORK/fuzz.log" >&2
    echo "lua-sanitizers: the fuzzer found a problem; the input is in $WORK/artifacts (replay: $WORK/fuzz_host FILE)" >&2
    exit 1
fi
grep -E '^(stat::|Done|#[0-9]+\s+DONE)' "$WORK/fuzz.log" || tail -n 5 "$WORK/fuzz.log"
echo "lua-sanitizers: passed"
