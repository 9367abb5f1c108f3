#!/usr/bin/env bash
# CI lane: the project's habits, checked. Shell scripts pass shellcheck. Exits non-zero
# on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Scripts/lib/environment.sh
ensure_system_packages shellcheck

fail=0
echo "shellcheck: Scripts/ and .ci/run" >&2
shellcheck -x Scripts/*.sh Scripts/lib/*.sh Scripts/ci/*.sh Scripts/bench/*.sh .ci/run || fail=1
exit $fail
