"""The client configurations in Examples/clients parse with real parsers, and the argus
options they use are accepted by the real binary (the server part is swapped for the
bundled test server, so no network or docker is needed)."""

import json
import pathlib
import subprocess
import tomllib

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import ROOT, query

EXAMPLES = ROOT / "Examples" / "clients"


def entries():
    for name in ["claude_desktop_config.json", "cursor-mcp.json"]:
        for server, entry in json.loads((EXAMPLES / name).read_text())["mcpServers"].items():
            yield name, server, entry
    for server, entry in json.loads((EXAMPLES / "vscode-mcp.json").read_text())["servers"].items():
        yield "vscode-mcp.json", server, entry
    for server, entry in tomllib.loads((EXAMPLES / "codex-config.toml").read_text())["mcp_servers"].items():
        yield "codex-config.toml", server, entry


@pytest.mark.parametrize("source,server,entry", list(entries()), ids=lambda v: v if isinstance(v, str) else "")
def test_example_entry_runs_through_argus(argus, test_server, db, source, server, entry):
    assert entry["command"].endswith("/argus"), "examples call argus by absolute path"
    args = entry["args"]
    assert args[0] == "wrap" and "--" in args
    split = args.index("--")
    assert args[split + 1:], "a server command follows --"
    options = args[1:split]
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), *options, "--", test_server],
                                   env=entry.get("env"))

    async def go():
        async with Client(params, mode="legacy") as client:
            return await client.call_tool("echo", {"message": "hi"})

    assert anyio.run(go).structured_content == {"echo": "hi"}
    [run] = query(db, "SELECT server_name FROM runs")
    assert run["server_name"] == server


def test_claude_code_script_is_valid_shell():
    subprocess.run(["sh", "-n", str(EXAMPLES / "claude-code.sh")], check=True)


def test_example_config_runs_its_scripts(argus, test_server, db):
    """Examples/argus.config.json loads (with its scripts) and records a session."""
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--config",
                                                        str(ROOT / "Examples" / "argus.config.json"), "--", test_server])

    async def go():
        async with Client(params, mode="legacy") as client:
            await client.call_tool("echo", {"message": "write to ada@example.com"})
            return await client.call_tool("always_fail", {})

    assert anyio.run(go).is_error
    states = {row["script"]: row["state"] for row in query(db, "SELECT script, state FROM script_status")}
    assert states == {name: "active" for name in ["api-key-redactor", "pii-masker", "slow-call-alert",
                                                  "error-rate-alert", "empty-result-detector"]}
    bodies = " ".join(row["body"] for row in query(db, "SELECT body FROM messages"))
    assert "ada@example.com" not in bodies and "a***@example.com" in bodies
