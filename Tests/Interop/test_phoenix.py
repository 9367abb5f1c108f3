"""OTLP export into a real backend, Arize Phoenix, read back through Phoenix's own REST API.
Run by Scripts/ci/phoenix.sh, which starts `phoenix serve` and sets ARGUS_PHOENIX_URL."""

import json
import os
import time
import urllib.request

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query

PHOENIX = os.environ.get("ARGUS_PHOENIX_URL")
pytestmark = pytest.mark.skipif(not PHOENIX, reason="needs a running Phoenix (Scripts/ci/phoenix.sh starts one)")
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def phoenix_spans(project):
    url = f"{PHOENIX}/v1/projects/{project}/spans?limit=100"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.load(answer)["data"]
    except urllib.error.HTTPError as error:
        if error.code == 404:  # the project appears with its first span
            return []
        raise


def test_spans_reach_phoenix_with_their_parents_and_attributes(argus, test_server, db):
    project = f"argus-{os.getpid()}-{int(time.time())}"
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": PHOENIX,
        "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_METRICS_EXPORTER": "none",  # Phoenix takes traces only
    }
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--", test_server], env=env)

    async def go():
        async with Client(params, mode="legacy") as client:
            await client.call_tool("echo", {"message": "to phoenix"}, meta={"traceparent": PARENT})
            await client.call_tool("always_fail", {})

    anyio.run(go)
    deadline = time.monotonic() + 60
    spans = []
    while time.monotonic() < deadline:
        spans = phoenix_spans(project)
        if len([s for s in spans if s["name"].startswith("tools/call")]) >= 4:
            break
        time.sleep(0.5)
    names = sorted(s["name"] for s in spans)
    assert names.count("tools/call echo") == 2 and names.count("tools/call always_fail") == 2, names

    echo = [s for s in spans if s["name"] == "tools/call echo"]
    # Phoenix shows execute_tool spans as its own kind TOOL: the hop's two spans are told apart by their parents.
    server = next((s for s in echo if s["parent_id"] == "b7ad6b7169203331"), None)
    assert server, json.dumps(echo, indent=1)
    client = next(s for s in echo if s is not server)
    assert server["context"]["trace_id"] == client["context"]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert client["parent_id"] == server["context"]["span_id"]
    assert client["attributes"]["peer.service"] == "argus-test-server"
    [call] = query(db, "SELECT id FROM calls WHERE tool = 'echo'")
    attributes = server["attributes"]
    assert attributes["mcp.method.name"] == "tools/call" and attributes["gen_ai.tool.name"] == "echo"
    assert attributes["argus.call.id"] == call["id"]
    failed = [s for s in spans if s["name"] == "tools/call always_fail"]
    assert all(s["status_code"] == "ERROR" and s["attributes"]["error.type"] == "tool_error" for s in failed)
