"""`argus mock` as a server for the official MCP Python SDK client: recordings of real servers
(mcp-server-time from PyPI, the bundled argus-test-server) served back with no server, in both
protocol eras, compared with what the real servers answered."""

import os
import subprocess

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query
from test_interop import MODES, VENV_BIN, dump, run, wrapped


def mocked(argus, db, *args) -> StdioServerParameters:
    return StdioServerParameters(command=argus, args=["mock", "--db", str(db), *args])


TIME_CALLS = [
    ("convert_time", {"source_timezone": "Europe/Paris", "time": "09:30", "target_timezone": "Asia/Tokyo"}),
    ("convert_time", {"source_timezone": "UTC", "time": "23:59", "target_timezone": "America/New_York"}),
    ("get_current_time", {"timezone": "Nowhere/Invalid"}),
]


@pytest.mark.parametrize("mode", MODES)
def test_a_recorded_time_server_is_served_back_without_the_server(argus, db, tmp_path, mode):
    server = str(VENV_BIN / "mcp-server-time")
    tools_real, results_real = run(wrapped(argus, db, server), mode, TIME_CALLS)

    # The same client session against the recording: the same tools, the same answers, errors included.
    tools_mock, results_mock = run(mocked(argus, db, "--run", "1"), mode, TIME_CALLS)
    assert tools_mock == tools_real
    assert results_mock == results_real
    assert results_mock[2]["isError"] is True

    # The mock session is recorded: kind mock, the client's own handshake, each call linked to its original.
    [mock_run] = query(db, "SELECT * FROM runs WHERE kind = 'mock'")
    assert mock_run["client_name"] == "mcp"
    assert mock_run["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    originals = [c["id"] for c in query(db, "SELECT id FROM calls WHERE run_id = 1 AND method = 'tools/call' ORDER BY id")]
    linked = [c["replay_of"] for c in query(db, "SELECT replay_of FROM calls WHERE run_id = ? AND method = 'tools/call' ORDER BY id",
                                            mock_run["id"])]
    assert linked == originals

    # From an exported suite too, in the other match rules.
    suite = tmp_path / "time-suite.json"
    exported = subprocess.run([argus, "export", "--db", str(db), "--run", "1", "--out", str(suite)], capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    for match in ["sequence", "strict"]:
        tools_suite, results_suite = run(mocked(argus, db, "--suite", str(suite), "--match", match), mode, TIME_CALLS)
        assert (tools_suite, results_suite) == (tools_real, results_real), match


@pytest.mark.parametrize("mode", MODES)
def test_a_call_that_was_not_recorded_is_an_error_that_names_the_closest_one(argus, db, mode):
    server = str(VENV_BIN / "mcp-server-time")
    run(wrapped(argus, db, server), mode, TIME_CALLS[:1])
    recorded = query(db, "SELECT id FROM calls WHERE tool = 'convert_time'")[0]["id"]

    async def go():
        async with Client(mocked(argus, db, "--run", "1"), mode=mode) as client:
            await client.list_tools()
            with pytest.raises(Exception) as raised:
                await client.call_tool("convert_time", {**TIME_CALLS[0][1], "time": "10:30"})
            # The session goes on after a miss.
            again = await client.call_tool(*TIME_CALLS[0])
            return str(raised.value), again

    message, again = anyio.run(go)
    assert f"the closest recorded request is call {recorded}, tools/call convert_time" in message
    assert "which differs at /arguments/time" in message
    assert not again.is_error


@pytest.mark.parametrize("mode", MODES)
def test_progress_and_log_messages_are_replayed_in_order(argus, db, test_server, mode):
    async def session(params):
        progress, logs = [], []

        async def on_progress(value, total, message):
            progress.append((value, total, message))

        async def on_log(params):
            logs.append(params.data)

        async with Client(params, mode=mode, logging_callback=on_log) as client:
            ok = await client.call_tool("calculate", {"operation": "add", "a": 2, "b": 40})
            steps = await client.call_tool("progress_task", {"steps": 3, "delay_ms": 5}, progress_callback=on_progress)
            failed = await client.call_tool("always_fail", {})
            return [dump(ok), dump(steps), dump(failed)], progress, logs

    real = anyio.run(session, wrapped(argus, db, test_server))
    mock = anyio.run(session, mocked(argus, db, "--run", "1", "--latency", "recorded"))
    assert mock == real
    results, progress, logs = mock
    assert progress == [(1, 3, "step 1 of 3"), (2, 3, "step 2 of 3"), (3, 3, "step 3 of 3")]
    assert logs == ["starting 3 steps"]
    assert results[2]["isError"] is True


def test_the_mock_asks_the_client_for_its_roots_as_the_server_did(argus, db, test_server):
    asked = []

    async def go(params, uri):
        async def list_roots(context):
            from mcp_types import ListRootsResult, Root
            asked.append(uri)
            return ListRootsResult(roots=[Root(uri=uri, name="work")])

        async with Client(params, mode="legacy", list_roots_callback=list_roots) as client:
            return await client.call_tool("client_roots", {})

    real = anyio.run(go, wrapped(argus, db, test_server), "file:///recorded")
    mock = anyio.run(go, mocked(argus, db, "--run", "1"), "file:///live")
    assert asked == ["file:///recorded", "file:///live"]  # the live client was asked too
    assert mock.structured_content == real.structured_content == {"roots": [{"uri": "file:///recorded", "name": "work"}]}
    mock_run = query(db, "SELECT id FROM runs WHERE kind = 'mock'")[0]["id"]
    [roots] = query(db, "SELECT * FROM calls WHERE run_id = ? AND method = 'roots/list'", mock_run)
    assert roots["direction"] == "s2c" and roots["status"] == "ok"


@pytest.mark.parametrize("mode", MODES)
def test_a_mock_is_served_over_streamable_http_by_argus_proxy(argus, db, tmp_path, mode):
    from test_proxy import Proxy

    server = str(VENV_BIN / "mcp-server-time")
    tools_real, results_real = run(wrapped(argus, db, server), mode, TIME_CALLS)
    # The proxy records into a database of its own; the mock reads the recording and records its session.
    proxy = Proxy(argus, tmp_path / "proxy.db", "--", argus, "mock", "--db", str(db), "--run", "1")
    try:
        tools_http, results_http = run(proxy.url, mode, TIME_CALLS)
        assert proxy.stop() == 0
    finally:
        if proxy.process.poll() is None:
            proxy.process.kill()
    assert tools_http == tools_real
    assert results_http == results_real
    assert query(db, "SELECT count(*) AS n FROM runs WHERE kind = 'mock'")[0]["n"] >= 1
