#!/usr/bin/env bash
# Fuzzes the parsers that take hostile input with libFuzzer and AddressSanitizer:
# the dashboard's HTTP request parser, the JSON parser and the stdio line framer.
# Each target runs for FUZZ_SECONDS (default 40) from the seeds in Tests/Fuzz/<target>/;
# the whole lane takes about four minutes on two cores. Exits non-zero when a target
# crashes or breaks one of its checks; the input that did it is kept in
# .build/fuzz/artifacts/ (add it to Tests/Fuzz/<target>/ with the fix).
#
#   Scripts/ci/fuzz.sh                 every target
#   Scripts/ci/fuzz.sh json http       some
#   FUZZ_SECONDS=600 Scripts/ci/fuzz.sh framer
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/lib/environment.sh
ensure_swift

seconds="${FUZZ_SECONDS:-40}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(http json framer)
work=".build/fuzz"
mkdir -p "$work/artifacts"
# shellcheck disable=SC2054  # "fuzzer,address" is one swiftc argument
flags=(-parse-as-library -sanitize=fuzzer,address -O -g)
# Swift's own crash reporter would wait on a process ASan is already reporting on.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"

# ArgusCore, instrumented, once for every target (rebuilt when a source is newer).
core="$work/libArgusCore.a"
mapfile -t core_sources < <(find Sources/ArgusCore -name '*.swift' | sort)
if [ ! -f "$core" ] || [ -n "$(find Sources/ArgusCore -name '*.swift' -newer "$core" | head -1)" ]; then
    echo "fuzz: building ArgusCore with -sanitize=fuzzer,address…" >&2
    swiftc "${flags[@]}" -emit-library -static -emit-module -module-name ArgusCore \
        -emit-module-path "$work/ArgusCore.swiftmodule" -o "$core" "${core_sources[@]}" 2>&1 | grep -v 'ld.gold: warning' >&2 || true
    [ -f "$core" ] || { echo "fuzz: ArgusCore did not build" >&2; exit 1; }
fi

failed=()
for target in "${targets[@]}"; do
    case "$target" in
        http) sources=(Tests/Fuzz/http.swift Sources/ArgusDashboard/HTTP/HTTPMessage.swift Sources/ArgusDashboard/HTTP/RequestParser.swift) ;;
        json) sources=(Tests/Fuzz/json.swift) ;;
        framer) sources=(Tests/Fuzz/framer.swift) ;;
        *) echo "fuzz: unknown target $target (http, json, framer)" >&2; exit 2 ;;
    esac
    binary="$work/fuzz-$target"
    # The Dashboard's files import ArgusCore; here they are compiled into the target's own module next to it.
    swiftc "${flags[@]}" -module-name "Fuzz_$target" -I "$work" -L "$work" -lArgusCore "${sources[@]}" -o "$binary" 2>&1 \
        | grep -v 'ld.gold: warning' >&2 || true
    [ -x "$binary" ] || { echo "fuzz: $target did not build" >&2; exit 1; }

    # New inputs go to a scratch corpus, so the run does not rewrite the seeds in the repository.
    corpus="$work/corpus/$target"
    mkdir -p "$corpus"
    echo "fuzz: $target for ${seconds}s" >&2
    if ! "$binary" "$corpus" "Tests/Fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" >"$work/$target.log" 2>&1; then
        tail -n 60 "$work/$target.log" >&2
        failed+=("$target")
    else
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$work/$target.log" | sed "s/^/fuzz: $target /" >&2 || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $work/artifacts/)" >&2
    exit 1
fi
echo "fuzz: ${targets[*]}: no crash, no broken check" >&2
