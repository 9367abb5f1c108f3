#!/usr/bin/env bash
# CI lane: Scripts/install.sh into a temporary prefix, then check what a user gets:
# stripped binaries (no symbol table: the real check; before remote servers brought SwiftNIO
# and a second BoringSSL it was 94 MB unstripped, 62 MB stripped, of which 34 MB are ICU data
# that Foundation links in), a size bound that catches a heavy dependency linked in by
# mistake, and an installed argus that runs the demo end to end. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
bash Scripts/install.sh --prefix "$prefix"

fail=0
for binary in argus argus-test-server; do
    path="$prefix/bin/$binary"
    if readelf -S "$path" | grep -q '\.symtab'; then
        echo "FAIL: $path still has a symbol table (not stripped)" >&2
        fail=1
    fi
done
size=$(du -m "$prefix/bin/argus" | cut -f1)
echo "installed argus: ${size} MB"
if [ "$size" -gt 110 ]; then
    echo "FAIL: the installed argus is ${size} MB (over 110 MB: what was linked in?)" >&2
    fail=1
fi
"$prefix/bin/argus" --version
HOME="$prefix/home" ARGUS_HOME="$prefix/home/.argus" "$prefix/bin/argus" demo --db "$prefix/demo.db" > "$prefix/demo.txt" \
    || { echo "FAIL: the installed argus demo failed" >&2; cat "$prefix/demo.txt" >&2; fail=1; }
grep -q "calls" "$prefix/demo.txt" || { echo "FAIL: the demo printed no run" >&2; fail=1; }
exit $fail
