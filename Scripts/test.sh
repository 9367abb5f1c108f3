#!/usr/bin/env bash
# Runs every test lane and reports them together: the Swift suites (real
# processes, real SQLite files, real ports), the interop tests (the official MCP
# Python SDK, real servers from PyPI, the UI in chromium), and the C lanes
# (sanitizers, fuzzers). A failing lane does not stop the others; the exit
# status is non-zero if any lane failed. Installs what is missing first.
#
#   Scripts/test.sh                 every lane
#   Scripts/test.sh swift interop   only these lanes
set -uo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh
source Scripts/lib/postgres.sh

all_lanes=(swift interop)
for lane_script in Scripts/ci/*.sh; do
    [ -e "$lane_script" ] && all_lanes+=("$(basename "$lane_script" .sh)")
done
lanes=("$@")
[ ${#lanes[@]} -eq 0 ] && lanes=("${all_lanes[@]}")

set -e
ensure_swift
ensure_system_packages "${build_packages[@]}" git python3 libcurl4 chromium chromium-driver nodejs
ensure_python_venv
# The PostgreSQL store's tests run against a real server (stopped when this script exits).
start_test_postgres
export ARGUS_REQUIRE_POSTGRES=1
set +e

results=()
failed=0
record() {  # lane, status, seconds
    local verdict="passed"
    [ "$2" -ne 0 ] && { verdict="FAILED (exit $2)"; failed=1; }
    results+=("$(printf '%-16s %-16s %5ss' "$1" "$verdict" "$3")")
}

started=$SECONDS
swift build --build-tests
build_status=$?
record build $build_status $((SECONDS - started))
bin_dir="$(swift build --show-bin-path)"

for lane in "${lanes[@]}"; do
    echo "━━━ lane: $lane" >&2
    started=$SECONDS
    case "$lane" in
        swift|interop)
            if [ $build_status -ne 0 ]; then
                record "$lane" 1 0
                continue
            fi
            if [ "$lane" = swift ]; then
                swift test --skip-build
            else
                ARGUS_BIN_DIR="$bin_dir" .venv/bin/python -m pytest Tests/Interop -q
            fi
            ;;
        *)
            if [ ! -f "Scripts/ci/$lane.sh" ]; then
                echo "unknown lane: $lane (lanes: ${all_lanes[*]})" >&2
                record "$lane" 2 0
                continue
            fi
            bash "Scripts/ci/$lane.sh"
            ;;
    esac
    record "$lane" $? $((SECONDS - started))
done

echo >&2
echo "━━━ summary" >&2
printf '%s\n' "${results[@]}" >&2
exit $failed
