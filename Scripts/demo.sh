#!/usr/bin/env bash
# Builds Argus and records a demo: argus-test-server wrapped, a short scripted
# MCP session (tool calls, failures, progress, a redacted secret), then the
# run's statistics. Installs the build dependencies first if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh

ensure_swift
ensure_system_packages "${build_packages[@]}"
swift build --product argus >&2
swift build --product argus-test-server >&2
exec "$(swift build --show-bin-path)/argus" demo "$@"
