# shellcheck shell=bash
# Shared by Scripts/*.sh: a real PostgreSQL server for the tests, started as a user would run
# one (Debian's `postgresql`): a new cluster in a temporary directory, listening on 127.0.0.1
# only, with a password (SCRAM) for the role the tests use. Source it, then call
# `start_test_postgres` (with `ARGUS_TEST_POSTGRES_SETTINGS="-c name=value …"` for other server
# settings, e.g. `-c fsync=on` for benchmarks: the tests run with fsync off); it exports ARGUS_TEST_POSTGRES_URL (no password in it) and
# ARGUS_TEST_POSTGRES_PASSWORD, and stops the server when the calling shell exits.

postgres_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    return 1
}

# A free TCP port on 127.0.0.1 (the kernel picks one; the server binds it right after).
postgres_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_test_postgres() {
    ensure_system_packages postgresql
    local bin
    bin="$(postgres_bin_dir)" || { echo "error: PostgreSQL's server programs were not found after installing postgresql" >&2; return 1; }

    # The server refuses to run as root; under root it runs as Debian's `postgres` user.
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)

    ARGUS_TEST_POSTGRES_DIR="$(mktemp -d /tmp/argus-postgres.XXXXXX)"
    chmod 755 "$ARGUS_TEST_POSTGRES_DIR"
    [ ${#as[@]} -gt 0 ] && chown postgres "$ARGUS_TEST_POSTGRES_DIR"
    local password
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    "${as[@]}" bash -c "umask 077; printf '%s\n' '$password' > '$ARGUS_TEST_POSTGRES_DIR/pwfile'"
    "${as[@]}" "$bin/initdb" -D "$ARGUS_TEST_POSTGRES_DIR/data" -U argus --pwfile="$ARGUS_TEST_POSTGRES_DIR/pwfile" \
        --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --no-locale >"$ARGUS_TEST_POSTGRES_DIR/initdb.log" 2>&1 \
        || { cat "$ARGUS_TEST_POSTGRES_DIR/initdb.log" >&2; return 1; }
    "${as[@]}" rm -f "$ARGUS_TEST_POSTGRES_DIR/pwfile"

    local port
    port="$(postgres_free_port)"
    # 20 concurrent wraps, the dashboard and the tests' own connections: room for all of them.
    "${as[@]}" "$bin/pg_ctl" -D "$ARGUS_TEST_POSTGRES_DIR/data" -l "$ARGUS_TEST_POSTGRES_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $ARGUS_TEST_POSTGRES_DIR -c max_connections=200 -c fsync=off ${ARGUS_TEST_POSTGRES_SETTINGS:-}" start >/dev/null \
        || { cat "$ARGUS_TEST_POSTGRES_DIR/server.log" >&2; return 1; }
    trap stop_test_postgres EXIT

    export ARGUS_TEST_POSTGRES_URL="postgres://argus@127.0.0.1:$port/postgres?sslmode=disable"
    export ARGUS_TEST_POSTGRES_PASSWORD="$password"
    # Where the server's programs are and whom they run as: the test of a server restarted
    # mid-session makes a cluster of its own with them (restarting this one would cut every
    # other test's connections).
    export ARGUS_TEST_POSTGRES_BIN="$bin"
    export ARGUS_TEST_POSTGRES_RUN_AS="${as[*]}"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($ARGUS_TEST_POSTGRES_DIR)" >&2
}

stop_test_postgres() {
    [ -n "${ARGUS_TEST_POSTGRES_DIR:-}" ] || return 0
    local bin as=()
    bin="$(postgres_bin_dir)" || return 0
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$ARGUS_TEST_POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$ARGUS_TEST_POSTGRES_DIR"
}
