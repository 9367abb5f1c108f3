#!/usr/bin/env bash
# Regenerates the dashboard screenshots in Docs/screenshots: records a few
# sessions in a scratch database (the demo, a scripted session with alerts
# and metrics, a replay), serves them with `argus dashboard`, and captures the
# main views with headless chromium.
#
#   Scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh
ensure_swift
ensure_system_packages "${build_packages[@]}" python3 chromium chromium-driver
ensure_python_venv

swift build --product argus >&2
swift build --product argus-test-server >&2
bin="$(swift build --show-bin-path)"
scratch="$(mktemp -d)"
trap 'kill "${dashboard_pid:-0}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
export ARGUS_HOME="$scratch/home" ARGUS_DB="$scratch/argus.db" PATH="$bin:$PATH"

argus demo >/dev/null
.venv/bin/python Scripts/lib/screenshot_sessions.py "$bin" Examples/scripts
argus replay 5 >/dev/null || true

argus dashboard --port 0 > "$scratch/dashboard.out" &
dashboard_pid=$!
for _ in $(seq 50); do grep -q http "$scratch/dashboard.out" 2>/dev/null && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*' "$scratch/dashboard.out")"
mkdir -p Docs/screenshots
.venv/bin/python Scripts/lib/screenshots.py "$url" Docs/screenshots
echo "screenshots written to Docs/screenshots" >&2
