#!/usr/bin/env bash
# Builds a release argus (static Swift runtime: the binary needs only the
# system's libc, SQLite and Lua) and installs it, stripped of its symbol tables,
# with argus-test-server and shell completions.
#
#   Scripts/install.sh                  # to /usr/local (or ~/.local when /usr/local is not writable)
#   Scripts/install.sh --prefix DIR     # to DIR/bin, DIR/share/...
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/environment.sh

prefix=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$prefix" ]; then
    if [ -w /usr/local/bin ] || [ "$(id -u)" -eq 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
fi

ensure_swift
ensure_system_packages "${build_packages[@]}"

scratch=.build-release
static=(-Xswiftc -static-stdlib)
for product in argus argus-test-server; do
    if ! swift build -c release --scratch-path "$scratch" "${static[@]}" --product "$product" >&2; then
        echo "static Swift runtime unavailable; building with the shared one" >&2
        static=()
        swift build -c release --scratch-path "$scratch" --product "$product" >&2
    fi
done
bin="$scratch/release"

install -d "$prefix/bin" "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
    "$prefix/share/fish/vendor_completions.d"
install -m 755 "$bin/argus" "$bin/argus-test-server" "$prefix/bin/"
# Symbol tables are most of a release binary with the Swift runtime linked in; crash
# reports do not need them (Swift prints a backtrace without them). strip is binutils'.
command -v strip >/dev/null 2>&1 || ensure_system_packages binutils
strip "$prefix/bin/argus" "$prefix/bin/argus-test-server"
"$prefix/bin/argus" --generate-completion-script bash > "$prefix/share/bash-completion/completions/argus"
"$prefix/bin/argus" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_argus"
"$prefix/bin/argus" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/argus.fish"

size=$(du -m "$prefix/bin/argus" | cut -f1)
echo "Installed $("$prefix/bin/argus" --version) to $prefix/bin/argus (${size} MB; and argus-test-server), with bash, zsh and fish completions."
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "Add $prefix/bin to your PATH." ;; esac
echo "Next: argus setup --init, then argus setup --client claude-desktop --server NAME (or -- <server command>)."
