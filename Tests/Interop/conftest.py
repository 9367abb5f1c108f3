"""Shared fixtures: where the argus binaries are, and a fresh database per test."""

import csv
import io
import os
import pathlib
import re
import sqlite3
import subprocess
import urllib.parse
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _bin_dir() -> pathlib.Path:
    if os.environ.get("ARGUS_BIN_DIR"):
        return pathlib.Path(os.environ["ARGUS_BIN_DIR"])
    return ROOT / ".build" / "debug"


@pytest.fixture(scope="session")
def argus() -> str:
    path = _bin_dir() / "argus"
    if not path.exists():
        pytest.fail(f"{path} is missing: build first (swift build)")
    return str(path)


@pytest.fixture(scope="session")
def test_server() -> str:
    return str(_bin_dir() / "argus-test-server")


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch) -> pathlib.Path:
    """Each test's argus keeps its state (the replay key) in the test's directory.

    HOME as well as ARGUS_HOME: the MCP SDK starts servers with only a few
    variables of this environment, HOME among them.
    """
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ARGUS_HOME", str(home / ".argus"))
    return home


@pytest.fixture
def db(tmp_path) -> pathlib.Path:
    return tmp_path / "argus.db"


def postgres_store(home: pathlib.Path) -> str:
    """A fresh database on the PostgreSQL server Scripts/test.sh starts, as a `postgres://` URL
    for --db; its password in the test's ~/.pgpass (mode 0600), where every argus finds it
    (the MCP SDK starts servers with HOME and few other variables)."""
    url = os.environ.get("ARGUS_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("ARGUS_REQUIRE_POSTGRES") == "1":
            pytest.fail("ARGUS_REQUIRE_POSTGRES=1 but ARGUS_TEST_POSTGRES_URL is not set")
        pytest.skip("ARGUS_TEST_POSTGRES_URL is not set (Scripts/test.sh starts a PostgreSQL server)")
    name = f"argus_interop_{uuid.uuid4().hex[:8]}"
    _psql(url, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(url)
    pgpass = home / ".pgpass"
    pgpass.write_text(f"{parts.hostname}:{parts.port}:*:{parts.username}:{os.environ['ARGUS_TEST_POSTGRES_PASSWORD']}\n")
    pgpass.chmod(0o600)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _psql(url: str, sql: str) -> str:
    env = dict(os.environ, PGPASSWORD=os.environ.get("ARGUS_TEST_POSTGRES_PASSWORD", ""))
    done = subprocess.run(["psql", url, "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _literal(value) -> str:
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def query(db, sql: str, *args):
    """Rows as dicts, from a SQLite file or a `postgres://` store (`?` placeholders either way)."""
    if str(db).startswith("postgres://"):
        for value in args:
            sql = sql.replace("?", _literal(value), 1)
        rows = list(csv.DictReader(io.StringIO(_psql(str(db), sql))))
        return [{k: int(v) if re.fullmatch(r"-?\d+", v or "") else v for k, v in row.items()} for row in rows]
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]
