"""Replay of calls recorded from real PyPI servers driven by the official MCP SDK client."""

import json
import os
import subprocess

import pytest

from conftest import query
from test_interop import MODES, VENV_BIN, run, wrapped


def argus_cli(argus, db, *args):
    return subprocess.run([argus, *args, "--db", str(db)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.parametrize("mode", MODES)
def test_convert_time_replays_equal(argus, db, tmp_path, mode):
    server = str(VENV_BIN / "mcp-server-time")
    calls = [
        ("convert_time", {"source_timezone": "Europe/Paris", "time": "09:30", "target_timezone": "Asia/Tokyo"}),
        ("convert_time", {"source_timezone": "UTC", "time": "23:59", "target_timezone": "America/New_York"}),
        ("get_current_time", {"timezone": "Nowhere/Invalid"}),
    ]
    run(wrapped(argus, db, server), mode, calls)
    convert = query(db, "SELECT id FROM calls WHERE tool = 'convert_time' ORDER BY id")[0]["id"]

    single = argus_cli(argus, db, "replay", str(convert), "--json")
    assert single.returncode == 0, single.stdout + single.stderr
    result = json.loads(single.stdout)
    assert result["outcome"] == "equal"
    assert result["changes"] == []
    assert result["actual"]["result"]["structuredContent"]["target"]["timezone"] == "Asia/Tokyo"

    # The replay ran the client's own handshake and is linked to the original.
    replay_run = query(db, "SELECT * FROM runs WHERE kind = 'replay'")[0]
    assert replay_run["client_name"] == "mcp"
    assert replay_run["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    linked = query(db, "SELECT replay_of FROM calls WHERE run_id = ? AND method = 'tools/call'", replay_run["id"])
    assert linked == [{"replay_of": convert}]
    assert result["replay_run_id"] == replay_run["id"]  # handed over with the result

    # The whole run as a suite: both convert_time calls and the error result are equal again.
    suite = tmp_path / "time-suite.json"
    exported = argus_cli(argus, db, "export", "--run", "1", "--out", str(suite))
    assert exported.returncode == 0, exported.stderr
    junit = tmp_path / "junit.xml"
    tested = argus_cli(argus, db, "test", "--suite", str(suite), "--junit", str(junit))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 calls: 3 equal, 0 changed, 0 failed, 0 skipped" in tested.stdout
    assert 'tests="3" failures="0" errors="0"' in junit.read_text()


def test_edited_params_show_the_change(argus, db):
    server = str(VENV_BIN / "mcp-server-time")
    run(wrapped(argus, db, server), "legacy",
        [("convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"})])
    call = query(db, "SELECT id FROM calls WHERE tool = 'convert_time'")[0]["id"]
    edited = argus_cli(argus, db, "replay", str(call), "--params", '{"target_timezone": "Europe/London"}')
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert "/result/structuredContent/target/timezone" in edited.stdout
    assert '"Asia/Tokyo" → "Europe/London"' in edited.stdout
