"""Examples/scenarios against real MCP peers: the official MCP Python SDK client, driven by an
agent-style retry loop written here, talks through `argus wrap --faults` to the bundled test
server, mcp-server-time and mcp-server-git; `argus verdict` then says what the agent did."""

import json
import pathlib
import shutil
import subprocess
import sys
import time

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from conftest import ROOT, query

VENV_BIN = pathlib.Path(sys.executable).parent
SCENARIOS = ROOT / "Examples" / "scenarios"


def chaos(argus: str, db: pathlib.Path, faults: pathlib.Path, *server: str) -> StdioServerParameters:
    return StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--faults", str(faults), "--", *server])


class Agent:
    """What a careful agent does with a tool: wait a while, retry a failure (an error, a tool
    error, no answer in time) with exponential backoff, and give up after a few attempts."""

    def __init__(self, client: Client, attempts: int = 3, backoff: float = 0.2, timeout: float = 5.0):
        self.client, self.attempts, self.backoff, self.timeout = client, attempts, backoff, timeout
        self.failures: list[str] = []

    async def call(self, tool: str, arguments: dict, timeout: float | None = None):
        for attempt in range(self.attempts):
            try:
                result = await self.client.call_tool(tool, arguments, read_timeout_seconds=timeout or self.timeout)
            except MCPError as error:  # a JSON-RPC error, or no answer in time (the SDK cancels the request)
                self.failures.append(f"{tool}: {error}")
            else:
                if not result.is_error:
                    return result
                self.failures.append(f"{tool}: tool error")
            await anyio.sleep(self.backoff * 2 ** attempt)
        return None


def verdicts(argus: str, db: pathlib.Path, run: int = 1) -> dict:
    out = subprocess.run([argus, "verdict", "--db", str(db), "--run", str(run), "--json"], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    assert report["passed"] == (out.returncode == 0)
    return report


def kinds(report: dict) -> list[str]:
    return [v["kind"] for v in report["verdicts"]]


def text(result) -> str:
    return result.content[0].text if result and result.content else ""


def faults(db: pathlib.Path) -> list[str]:
    return [f["kind"] for f in query(db, "SELECT kind FROM faults ORDER BY id")]


def test_every_scenario_file_parses_and_has_a_readme_line(argus, tmp_path):
    readme = (SCENARIOS / "README.md").read_text()
    files = sorted(SCENARIOS.glob("*.json"))
    assert [f.name for f in files] == ["empty-result.json", "flapping-server.json", "slow-tool.json", "stale-answer.json",
                                       "timeout.json", "tool-failure.json"]
    for f in files:
        assert f"[`{f.name}`]({f.name})" in readme, f"{f.name} has no README line"
        plan = json.loads(f.read_text())
        assert plan["seed"] is not None and plan["faults"]


def test_empty_result(argus, db, test_server):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "empty-result.json", test_server), mode="legacy") as client:
            agent = Agent(client)
            first = await agent.call("get_weather", {"city": "Paris"})
            # Nothing came back: a good agent says so, or asks again another way; this one rephrases.
            again = await agent.call("get_weather", {"city": "Paris, France"}) if not first.content else first
            return first, again

    first, again = anyio.run(go)
    assert first.content == [] and "Paris" in text(again)
    assert faults(db) == ["empty"]
    report = verdicts(argus, db)
    assert kinds(report) == ["after_empty"]
    assert report["verdicts"][0]["fault"] == "empty" and report["verdicts"][0]["facts"]["other_arguments"] == 1


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_tool_failure(argus, db, test_server, mode):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "tool-failure.json", test_server), mode=mode) as client:
            agent = Agent(client)
            return await agent.call("echo", {"message": "hello"}), agent.failures

    result, failures = anyio.run(go)
    assert text(result) == "hello" and failures == ["echo: tool error"] * 2
    assert faults(db) == ["is_error", "is_error"]
    report = verdicts(argus, db)
    assert kinds(report) == ["retried"]
    retried = report["verdicts"][0]
    assert retried["facts"]["retries"] == 2 and retried["facts"]["recovered"] is True
    assert retried["level"] == "info", "backoff of 200 ms and more is not a fast retry"
    assert report["passed"]


def test_timeout(argus, db, test_server):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "timeout.json", test_server), mode="legacy") as client:
            agent = Agent(client, timeout=1.0)
            return await agent.call("calculate", {"operation": "multiply", "a": 6, "b": 7}), agent.failures

    result, failures = anyio.run(go)
    assert result.structured_content == {"result": 42} and len(failures) == 1
    first = query(db, "SELECT status FROM calls WHERE tool = 'calculate' ORDER BY request_seq")[0]
    assert first["status"] == "cancelled", "the SDK cancels what it stopped waiting for"
    report = verdicts(argus, db)
    assert kinds(report) == ["retried"]
    assert report["verdicts"][0]["fault"] == "timeout" and "went unanswered" in report["verdicts"][0]["message"]


def test_slow_tool(argus, db, test_server):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "slow-tool.json", test_server), mode="legacy") as client:
            patient = Agent(client, timeout=10.0)
            started = time.monotonic()
            slow = await patient.call("echo", {"message": "worth the wait"})
            waited = time.monotonic() - started
            hasty = Agent(client, attempts=2, timeout=0.5)
            return slow, waited, await hasty.call("echo", {"message": "in a hurry"})

    slow, waited, hasty = anyio.run(go)
    assert text(slow) == "worth the wait" and waited >= 2.0
    assert hasty is None, "half a second is not enough for a 2 s tool"
    assert faults(db) == ["latency"] * 3
    report = verdicts(argus, db)
    assert kinds(report) == ["retried"]
    assert report["verdicts"][0]["facts"]["recovered"] is False


def test_stale_answer(argus, db, test_server):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "stale-answer.json", test_server), mode="legacy") as client:
            agent = Agent(client)
            answers = []
            for _ in range(3):  # polling for fresh weather
                answers.append((await agent.call("get_weather", {"city": "Oslo"})).structured_content)
                await anyio.sleep(0.05)
            return answers

    answers = anyio.run(go)
    assert answers[0]["observed_at"] == answers[1]["observed_at"] == answers[2]["observed_at"], "the same answer again"
    assert faults(db) == ["stale", "stale"]
    report = verdicts(argus, db)
    assert kinds(report) == ["repeated_calls"]
    assert report["verdicts"][0]["facts"]["calls"] == 3


def test_flapping_server(argus, db, test_server):
    async def go():
        async with Client(chaos(argus, db, SCENARIOS / "flapping-server.json", test_server), mode="legacy") as client:
            agent = Agent(client)
            return [text(await agent.call("echo", {"message": f"m{i}"})) for i in range(3)], agent.failures

    results, failures = anyio.run(go)
    assert results == ["m0", "m1", "m2"]
    assert len(failures) == 2 and all("upstream unavailable" in f for f in failures)
    assert faults(db) == ["error", "error"]
    report = verdicts(argus, db)
    assert kinds(report) == ["retried", "retried"]
    assert all(v["facts"]["recovered"] for v in report["verdicts"])


# Real servers from PyPI under faults.

def test_time_server_under_faults(argus, db, tmp_path):
    plan = tmp_path / "faults.json"
    plan.write_text(json.dumps({"seed": 5, "faults": [
        {"tool": "get_current_time", "kind": "stale", "after_calls": 1},
        {"tool": "convert_time", "kind": "error", "times": 1, "message": "zoneinfo unavailable"},
    ]}))
    server = str(VENV_BIN / "mcp-server-time")

    async def go():
        async with Client(chaos(argus, db, plan, server), mode="legacy") as client:
            agent = Agent(client)
            first = await agent.call("get_current_time", {"timezone": "UTC"})
            await anyio.sleep(1.1)
            second = await agent.call("get_current_time", {"timezone": "UTC"})
            converted = await agent.call("convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"})
            return first, second, converted, agent.failures

    first, second, converted, failures = anyio.run(go)
    assert first.structured_content["datetime"] == second.structured_content["datetime"], "a second later, the same time: stale"
    assert "21:00" in converted.structured_content["target"]["datetime"]
    assert failures == ["convert_time: zoneinfo unavailable"]
    assert faults(db) == ["stale", "error"]
    [run] = query(db, "SELECT kind, server_name FROM runs")
    assert run == {"kind": "chaos", "server_name": "mcp-server-time"}
    assert "retried" in kinds(verdicts(argus, db))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_server_under_faults(argus, db, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "a.txt").write_text("a\n")
    plan = tmp_path / "faults.json"
    plan.write_text(json.dumps({"seed": 9, "faults": [
        {"tool": "git_status", "kind": "timeout", "times": 1},
        {"tool": "git_status", "kind": "latency", "ms": 300},
    ]}))
    server = str(VENV_BIN / "mcp-server-git")

    async def go():
        async with Client(chaos(argus, db, plan, server, "--repository", str(repo)), mode="legacy") as client:
            agent = Agent(client, timeout=1.5)
            started = time.monotonic()
            status = await agent.call("git_status", {"repo_path": str(repo)})
            return status, time.monotonic() - started, agent.failures

    status, took, failures = anyio.run(go)
    assert "a.txt" in text(status) and len(failures) == 1
    assert took >= 1.5 + 0.3, "one timeout, then an answer held 300 ms"
    assert faults(db) == ["timeout", "latency"], "a call gets one fault: the timeout, then the latency"
    statuses = [c["status"] for c in query(db, "SELECT status FROM calls WHERE tool = 'git_status' ORDER BY request_seq")]
    assert statuses == ["cancelled", "ok"]
    report = verdicts(argus, db)
    assert kinds(report) == ["retried"] and report["verdicts"][0]["facts"]["recovered"] is True
