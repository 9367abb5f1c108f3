#!/usr/bin/env bash
# Formats the Swift sources with the committed .swift-format configuration, or with --check
# fails (listing each finding) where a file is not formatted. Generated code (the OTLP types
# under */Generated/, rewritten by Scripts/generate-otlp.sh) is left as its generator wrote it.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh
ensure_swift

files=()
while IFS= read -r -d '' file; do files+=("$file"); done \
    < <(find Sources Tests Scripts -name '*.swift' -not -path '*/Generated/*' -print0 | sort -z)

if [ "${1:-}" = "--check" ]; then
    swift format lint --strict --parallel "${files[@]}"
else
    swift format --in-place --parallel "${files[@]}"
fi
