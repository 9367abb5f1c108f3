"""The official MCP Python SDK client and real MCP servers from PyPI, through `argus wrap`,
compared with the same calls made directly."""

import os
import pathlib
import shutil
import subprocess
import sys

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query

VENV_BIN = pathlib.Path(sys.executable).parent
MODES = ["legacy", "2026-07-28"]  # initialize handshake, and the stateless revision


def direct(command: str, *args: str) -> StdioServerParameters:
    return StdioServerParameters(command=command, args=list(args))


def wrapped(argus: str, db: pathlib.Path, command: str, *args: str, name: str | None = None) -> StdioServerParameters:
    extra = ["--name", name] if name else []
    return StdioServerParameters(command=argus, args=["wrap", "--db", str(db), *extra, "--", command, *args])


def dump(result) -> dict:
    """A tool result as comparable data (the SDK's own model dump)."""
    return result.model_dump(mode="json", exclude_none=True, by_alias=True)


async def session(params: StdioServerParameters, mode: str, calls, **client_args):
    async with Client(params, mode=mode, **client_args) as client:
        tools = await client.list_tools()
        results = [dump(await client.call_tool(name, arguments)) for name, arguments in calls]
        return [t.model_dump(mode="json", exclude_none=True, by_alias=True) for t in tools.tools], results


def run(params, mode, calls, **client_args):
    return anyio.run(lambda: session(params, mode, calls, **client_args))


@pytest.mark.parametrize("mode", MODES)
def test_time_server_behaves_the_same_through_argus(argus, db, mode):
    server = str(VENV_BIN / "mcp-server-time")
    calls = [
        ("convert_time", {"source_timezone": "Europe/Paris", "time": "09:30", "target_timezone": "Asia/Tokyo"}),
        ("convert_time", {"source_timezone": "UTC", "time": "23:59", "target_timezone": "America/New_York"}),
        ("get_current_time", {"timezone": "Nowhere/Invalid"}),
    ]
    tools_direct, results_direct = run(direct(server), mode, calls)
    tools_wrapped, results_wrapped = run(wrapped(argus, db, server), mode, calls)
    assert tools_wrapped == tools_direct
    assert results_wrapped == results_direct
    assert results_wrapped[2]["isError"] is True

    [run_row] = query(db, "SELECT * FROM runs")
    assert run_row["server_name"] == "mcp-server-time"
    assert run_row["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    assert run_row["client_name"] == "mcp"
    assert run_row["server_info_name"] == "mcp-time"
    assert run_row["end_reason"] == "client_eof"
    assert run_row["exit_status"] == 0
    tool_calls = query(db, "SELECT * FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == ["convert_time", "convert_time", "get_current_time"]
    assert [c["is_error"] for c in tool_calls] == [0, 0, 1]
    assert all(c["latency_us"] > 0 for c in tool_calls)
    schemas = query(db, "SELECT name, annotations FROM tool_schemas ORDER BY name")
    assert [s["name"] for s in schemas] == ["convert_time", "get_current_time"]
    assert '"readOnlyHint":true' in schemas[0]["annotations"]
    # The server process is gone with the session.
    pid = run_row["server_pid"]
    assert pid and not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"


@pytest.fixture
def git_repo(tmp_path) -> pathlib.Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    def git(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    (repo / "README.md").write_text("hello\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "first commit")
    (repo / "README.md").write_text("hello\nworld\n")
    (repo / "new.txt").write_text("untracked\n")
    return repo


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("mode", MODES)
def test_git_server_behaves_the_same_through_argus(argus, db, git_repo, tmp_path, mode):
    server = str(VENV_BIN / "mcp-server-git")
    repo = str(git_repo)
    calls = [
        ("git_status", {"repo_path": repo}),
        ("git_diff_unstaged", {"repo_path": repo}),
        ("git_log", {"repo_path": repo, "max_count": 5}),
        ("git_branch", {"repo_path": repo, "branch_type": "local"}),
        ("git_status", {"repo_path": str(tmp_path / "not-a-repo")}),
    ]
    tools_direct, results_direct = run(direct(server, "--repository", repo), mode, calls)
    tools_wrapped, results_wrapped = run(wrapped(argus, db, server, "--repository", repo), mode, calls)
    assert tools_wrapped == tools_direct
    assert results_wrapped == results_direct
    assert "first commit" in results_wrapped[2]["content"][0]["text"]

    tool_calls = query(db, "SELECT tool, is_error, status FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == [c[0] for c in calls]
    assert tool_calls[-1]["is_error"] == results_wrapped[-1].get("isError", False)
    assert len(query(db, "SELECT name FROM tool_schemas")) == len(tools_wrapped)


@pytest.mark.parametrize("mode", MODES)
def test_test_server_progress_logging_and_errors(argus, db, test_server, mode):
    progress = []
    logs = []

    async def on_progress(value, total, message):
        progress.append(value)

    async def on_log(params):
        logs.append(params.data)

    async def go():
        async with Client(wrapped(argus, db, test_server), mode=mode, logging_callback=on_log,
                          log_level="info") as client:
            ok = await client.call_tool("calculate", {"operation": "add", "a": 2, "b": 40})
            failed = await client.call_tool("always_fail", {})
            steps = await client.call_tool("progress_task", {"steps": 3, "delay_ms": 5}, progress_callback=on_progress)
            return ok, failed, steps

    ok, failed, steps = anyio.run(go)
    assert ok.structured_content == {"result": 42}
    assert failed.is_error
    assert not steps.is_error
    assert progress == [1, 2, 3]
    assert any("starting 3 steps" in str(entry) for entry in logs)

    calls = {c["tool"]: c for c in query(db, "SELECT * FROM calls WHERE method = 'tools/call'")}
    assert calls["always_fail"]["is_error"] == 1
    assert calls["always_fail"]["error_message"] == "This tool always fails"
    assert calls["progress_task"]["progress_count"] == 3
    log_messages = query(db, "SELECT * FROM messages WHERE method = 'notifications/message'")
    assert len(log_messages) == 1


def test_server_to_client_roots_request_is_answered_and_paired(argus, db, test_server):
    async def list_roots(context):
        from mcp_types import ListRootsResult, Root
        return ListRootsResult(roots=[Root(uri="file:///work", name="work")])

    async def go():
        async with Client(wrapped(argus, db, test_server), mode="legacy", list_roots_callback=list_roots) as client:
            return await client.call_tool("client_roots", {})

    result = anyio.run(go)
    assert result.structured_content == {"roots": [{"uri": "file:///work", "name": "work"}]}
    [roots] = query(db, "SELECT * FROM calls WHERE method = 'roots/list'")
    assert roots["direction"] == "s2c"
    assert roots["status"] == "ok"
