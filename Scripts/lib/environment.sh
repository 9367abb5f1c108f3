# shellcheck shell=bash
# Shared by Scripts/*.sh: make sure the machine has what building and testing
# Argus needs, installing only what is missing. Source it; do not run it.

# Swift: use the toolchain on PATH, or the usual install location.
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            if [ -x "$dir/swift" ]; then export PATH="$dir:$PATH"; break; fi
        done
    fi
    command -v swift >/dev/null 2>&1 || { echo "error: Swift 6 is required (https://swift.org/install)" >&2; exit 1; }
}

# Debian packages: SQLite and Lua headers to build, git and a Python venv for the interop tests.
ensure_system_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing ${missing[*]}…" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
        || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }
}

# shellcheck disable=SC2034  # read by the scripts that source this file
build_packages=(libsqlite3-dev liblua5.4-dev)

# The pinned Python environment in .venv, rebuilt when the pins change.
ensure_python_venv() {
    local requirements="Tests/Interop/requirements.txt"
    local stamp=".venv/.requirements"
    if [ -x .venv/bin/python ] && cmp -s "$requirements" "$stamp"; then return 0; fi
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        ensure_system_packages python3-venv
    fi
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
}
