#!/usr/bin/env bash
# CI lane: the project's habits, checked. Swift sources are formatted as .swift-format says
# (Scripts/format.sh fixes them), shell scripts pass shellcheck. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/lib/environment.sh
ensure_swift
ensure_system_packages shellcheck

fail=0
echo "shellcheck: Scripts/ and .ci/run" >&2
shellcheck -x Scripts/*.sh Scripts/lib/*.sh Scripts/ci/*.sh Scripts/bench/*.sh .ci/run || fail=1
echo "swift format: Sources/, Tests/, Scripts/ (run Scripts/format.sh to fix)" >&2
bash Scripts/format.sh --check || fail=1
exit $fail
