#!/usr/bin/env bash
# Runs every test: Swift unit and integration tests (real processes, real
# SQLite files), then the interop tests with the official MCP Python SDK and
# real servers from PyPI. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh

ensure_swift
ensure_system_packages "${build_packages[@]}" git python3 libcurl4 chromium chromium-driver
ensure_python_venv

swift build --build-tests
bin_dir="$(swift build --show-bin-path)"
swift test --skip-build
ARGUS_BIN_DIR="$bin_dir" .venv/bin/python -m pytest Tests/Interop -q
