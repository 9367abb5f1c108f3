"""Shared fixtures: where the argus binaries are, and a fresh database per test."""

import os
import pathlib
import sqlite3

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


def query(db: pathlib.Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]
