#!/usr/bin/env bash
# CI lane: OpenTelemetry export into a real backend. Starts Arize Phoenix (`phoenix serve`,
# pinned in Tests/Phoenix/requirements.txt, in its own venv: its dependencies would clash with
# the interop pins) on loopback ports, runs argus wrap with the official MCP Python client,
# and reads the spans back through Phoenix's own REST API (Tests/Interop/test_phoenix.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/lib/environment.sh
ensure_swift
ensure_python_venv

requirements=Tests/Phoenix/requirements.txt
venv=.venv-phoenix
if ! [ -x "$venv/bin/phoenix" ] || ! cmp -s "$requirements" "$venv/.requirements"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.requirements"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
grpc_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PHOENIX_WORKING_DIR="$work" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$port" PHOENIX_GRPC_PORT="$grpc_port" \
    PHOENIX_TELEMETRY_ENABLED=false "$venv/bin/phoenix" serve > "$work/phoenix.log" 2>&1 &
phoenix=$!
# Phoenix ends by our SIGTERM (status 143): under set -e a bare wait in the trap would make that
# the lane's status, so the trap keeps the test's own.
trap 'kill "$phoenix" 2>/dev/null; wait "$phoenix" 2>/dev/null || true; rm -rf "$work"' EXIT

# Phoenix takes a while to start (database migrations): up to five minutes on a loaded machine.
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    kill -0 "$phoenix" 2>/dev/null || { echo "phoenix serve exited:" >&2; cat "$work/phoenix.log" >&2; exit 1; }
    sleep 1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "phoenix did not start:" >&2; tail -20 "$work/phoenix.log" >&2; exit 1; }

ARGUS_BIN_DIR="$(swift build --show-bin-path)" ARGUS_PHOENIX_URL="http://127.0.0.1:$port" \
    .venv/bin/python -m pytest Tests/Interop/test_phoenix.py -q
