"""OpenTelemetry export: argus wrap sends every recorded call to a real OTLP/HTTP receiver
(decoding with the official opentelemetry-proto package) while a real MCP client (the
official Python SDK) talks to a real server through it. A backend that is down, slow or
refusing must change nothing for the session and lose nothing from the recording."""

import json
import os
import subprocess
import time

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query
from otlp_receiver import OTLPReceiver

SERVER, CLIENT = 2, 3  # Span.SpanKind
STATUS_ERROR = 2
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_METRIC_EXPORT_INTERVAL": "200"}


def wrap(argus, test_server, db, *flags, env=None):
    return StdioServerParameters(command=argus, args=["wrap", "--db", str(db), *flags, "--", test_server],
                                 env={**FAST_EXPORT, **(env or {})})


def session(params, body):
    async def go():
        async with Client(params, mode="legacy") as client:
            return await body(client)
    return anyio.run(go)


def by_name(spans, name, kind):
    found = [s for s in spans if s["name"] == name and s["kind"] == kind]
    assert found, f"no {name} span of kind {kind} among {[(s['name'], s['kind']) for s in spans]}"
    return found


def test_calls_errors_and_notifications_become_a_server_and_a_client_span_each(argus, test_server, db):
    receiver = OTLPReceiver()

    async def body(client):
        await client.call_tool("echo", {"message": "hello"})
        await client.call_tool("always_fail", {})
        try:
            await client.get_prompt("no_such_prompt")
        except Exception:
            pass

    session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint), body)
    receiver.wait_for(lambda r: len([s for s in r.spans() if s["name"].startswith(("tools/call", "prompts/get"))]) >= 6)
    spans = receiver.spans()
    receiver.stop()

    [echo_server] = by_name(spans, "tools/call echo", SERVER)
    [echo_client] = by_name(spans, "tools/call echo", CLIENT)
    assert echo_client["parent_span_id"] == echo_server["span_id"]
    assert echo_client["trace_id"] == echo_server["trace_id"]
    assert echo_server["parent_span_id"] == ""
    a = echo_server["attributes"]
    assert a["mcp.method.name"] == "tools/call"
    assert a["gen_ai.tool.name"] == "echo"
    assert a["gen_ai.operation.name"] == "execute_tool"
    assert a["network.transport"] == "pipe"
    assert a["mcp.protocol.version"]
    assert "error.type" not in a
    assert "gen_ai.tool.call.arguments" not in a, "content is off by default"
    [call] = query(db, "SELECT id, run_id, jsonrpc_id FROM calls WHERE tool = 'echo'")
    assert a["argus.call.id"] == call["id"] and a["argus.run.id"] == call["run_id"]
    assert a["jsonrpc.request.id"] == call["jsonrpc_id"]
    assert a["argus.call.url"].endswith(f"/#/calls/{call['id']}")
    assert echo_server["end"] >= echo_server["start"] > 0
    assert echo_server["resource"]["service.name"] == "argus"

    [failed] = by_name(spans, "tools/call always_fail", SERVER)
    assert failed["attributes"]["error.type"] == "tool_error"
    assert failed["status_code"] == STATUS_ERROR
    assert failed["status_message"] == "", "a tool's error text is content: not exported by default"

    [unknown] = by_name(spans, "prompts/get no_such_prompt", SERVER)
    assert unknown["attributes"]["gen_ai.prompt.name"] == "no_such_prompt"
    assert unknown["attributes"]["error.type"] == "-32602"
    assert unknown["attributes"]["rpc.response.status_code"] == "-32602"
    assert unknown["status_code"] == STATUS_ERROR and unknown["status_message"] == "Unknown prompt"

    initialized = by_name(spans, "notifications/initialized", SERVER)
    assert "jsonrpc.request.id" not in initialized[0]["attributes"]
    by_name(spans, "initialize", SERVER)


def test_a_traceparent_in_meta_becomes_the_parent(argus, test_server, db):
    receiver = OTLPReceiver()

    async def body(client):
        await client.call_tool("echo", {"message": "traced"}, meta={"traceparent": PARENT, "tracestate": "rojo=00f067aa0ba902b7"})

    session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint), body)
    receiver.wait_for(lambda r: len([s for s in r.spans() if s["name"] == "tools/call echo"]) == 2)
    server = by_name(receiver.spans(), "tools/call echo", SERVER)[0]
    client = by_name(receiver.spans(), "tools/call echo", CLIENT)[0]
    receiver.stop()
    assert server["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert server["parent_span_id"] == "00f067aa0ba902b7"
    assert server["trace_state"] == "rojo=00f067aa0ba902b7"
    assert client["trace_id"] == server["trace_id"] and client["parent_span_id"] == server["span_id"]


def test_the_standard_variables_alone_switch_it_on_with_headers_and_json(argus, test_server, db):
    receiver = OTLPReceiver()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=abc%20123,Authorization=Bearer token-42",
        "OTEL_SERVICE_NAME": "mcp-fleet",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,team=tools",
    }

    async def body(client):
        await client.call_tool("echo", {"message": "env"})

    session(wrap(argus, test_server, db, env=env), body)
    receiver.wait_for(lambda r: any(s["name"] == "tools/call echo" for s in r.spans()))
    receiver.wait_for(lambda r: "mcp.server.operation.duration" in r.metrics())
    receiver.stop()
    path, headers, _, content_type = receiver.requests[0]
    assert content_type == "application/json"
    assert headers["x-honeycomb-team"] == "abc 123"
    assert headers["authorization"] == "Bearer token-42"
    span = by_name(receiver.spans(), "tools/call echo", SERVER)[0]
    assert span["resource"]["service.name"] == "mcp-fleet"
    assert span["resource"]["deployment.environment"] == "test" and span["resource"]["team"] == "tools"
    assert len(span["trace_id"]) == 32


def test_metrics_carry_durations_and_what_lua_scripts_derive(argus, test_server, db, tmp_path):
    receiver = OTLPReceiver()
    script = tmp_path / "count.lua"
    script.write_text("""
        SCRIPT = { name = "count" }
        function metric(call)
          if call.tool then argus.metric.counter("tool_calls", 1, { tool = call.tool, failed = call.is_error }) end
        end
    """)

    async def body(client):
        for _ in range(3):
            await client.call_tool("echo", {"message": "m"})
        await client.call_tool("always_fail", {})

    session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint, "--script", str(script)), body)
    receiver.wait_for(lambda r: "tool_calls" in r.metrics() and "mcp.server.session.duration" in r.metrics())
    metrics = receiver.metrics()
    receiver.stop()

    kind, unit, points = metrics["mcp.server.operation.duration"]
    assert kind == "histogram" and unit == "s"
    echo = [p for attrs, p in points if attrs.get("gen_ai.tool.name") == "echo"]
    assert len(echo) == 1 and echo[0].count == 3
    assert list(echo[0].explicit_bounds)[:3] == [0.01, 0.02, 0.05]
    failed = [attrs for attrs, _ in points if attrs.get("gen_ai.tool.name") == "always_fail"]
    assert failed[0]["error.type"] == "tool_error"
    assert "mcp.client.operation.duration" in metrics

    kind, _, points = metrics["tool_calls"]
    assert kind == "sum"
    values = {(a["tool"], a["failed"]): p.as_double for a, p in points}
    assert values == {("echo", "false"): 3.0, ("always_fail", "true"): 1.0}
    assert all(a["argus.script"] == "count" for a, _ in points)


def test_content_is_exported_only_when_asked_and_only_redacted(argus, test_server, db):
    receiver = OTLPReceiver()
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"

    async def body(client):
        await client.call_tool("echo", {"message": f"my token is {secret}"})

    session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint, "--otlp-content"), body)
    receiver.wait_for(lambda r: any(s["name"] == "tools/call echo" for s in r.spans()))
    span = by_name(receiver.spans(), "tools/call echo", SERVER)[0]
    receiver.stop()
    arguments = span["attributes"]["gen_ai.tool.call.arguments"]
    result = span["attributes"]["gen_ai.tool.call.result"]
    assert "my token is" in arguments and "REDACTED" in arguments
    assert secret not in arguments and secret not in result
    assert secret not in json.dumps([s["attributes"] for s in receiver.spans()])


def test_a_backend_that_is_down_then_back_gets_everything_that_was_queued(argus, test_server, db):
    receiver = OTLPReceiver()
    port = receiver.port
    receiver.stop()  # down before the session starts

    async def body(client):
        for i in range(5):
            started = time.monotonic()
            await client.call_tool("echo", {"message": f"while down {i}"})
            assert time.monotonic() - started < 2, "the session waited on the backend"
        await anyio.sleep(1.0)  # a failed attempt or two, with backoff
        back = OTLPReceiver(port)
        await client.call_tool("echo", {"message": "back"})
        return back

    back = session(wrap(argus, test_server, db, "--otlp-endpoint", f"http://127.0.0.1:{port}"), body)
    back.wait_for(lambda r: len(by_name_or_empty(r.spans(), "tools/call echo")) == 12)
    back.stop()
    assert len(query(db, "SELECT id FROM calls WHERE tool = 'echo'")) == 6
    [status] = query(db, "SELECT * FROM export_status")
    assert status["spans_dropped"] == 0 and status["spans_exported"] >= 12 and status["finished"] == 1
    assert status["last_error"], "the outage is remembered"


def by_name_or_empty(spans, name):
    return [s for s in spans if s["name"] == name]


def test_drops_past_the_queue_are_counted_and_shown(argus, test_server, db, tmp_path):
    receiver = OTLPReceiver()
    port = receiver.port
    receiver.stop()
    config = tmp_path / "argus.config.json"
    config.write_text(json.dumps({"telemetry": {"otlp": {"endpoint": f"http://127.0.0.1:{port}", "queue_size": 4}}}))

    async def body(client):
        for i in range(10):
            await client.call_tool("echo", {"message": f"call {i}"})

    session(wrap(argus, test_server, db, "--config", str(config)), body)
    assert len(query(db, "SELECT id FROM calls WHERE tool = 'echo'")) == 10, "the recording lost nothing"
    [status] = query(db, "SELECT * FROM export_status")
    assert status["spans_dropped"] > 0 and status["spans_exported"] == 0
    diagnose = subprocess.run([argus, "diagnose", "--db", str(db), "--config", str(config)], capture_output=True, text=True)
    assert f"{status['spans_dropped']} spans dropped" in diagnose.stdout, diagnose.stdout


def test_a_slow_or_refusing_backend_changes_nothing_for_the_session(argus, test_server, db):
    receiver = OTLPReceiver()
    receiver.delay = 3.0

    async def body(client):
        timings = []
        for i in range(20):
            started = time.monotonic()
            result = await client.call_tool("echo", {"message": f"slow {i}"})
            timings.append(time.monotonic() - started)
            assert result.structured_content == {"echo": f"slow {i}"}
        return timings

    timings = session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint, "--grace", "1"), body)
    assert max(timings) < 1.0, f"round trips waited on a slow backend: {max(timings):.3f} s"
    receiver.status = 400
    receiver.delay = 0

    async def refused(client):
        return await client.call_tool("echo", {"message": "refused"})

    db2 = db.with_name("refused.db")
    result = session(wrap(argus, test_server, db2, "--otlp-endpoint", receiver.endpoint), refused)
    receiver.stop()
    assert result.structured_content == {"echo": "refused"}
    [status] = query(db2, "SELECT * FROM export_status")
    assert status["spans_rejected"] > 0 and "HTTP 400" in status["last_error"]


def test_export_format_otlp_writes_a_run_a_backend_accepts(argus, test_server, db, tmp_path):
    async def body(client):
        await client.call_tool("echo", {"message": "shared"}, meta={"traceparent": PARENT})
        await client.call_tool("always_fail", {})

    session(wrap(argus, test_server, db), body)
    [run] = query(db, "SELECT id FROM runs")
    out = tmp_path / "run.json"
    done = subprocess.run([argus, "export", "--db", str(db), "--run", str(run["id"]), "--format", "otlp", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    receiver = OTLPReceiver()
    subprocess.run(["curl", "-sf", "-H", "Content-Type: application/json", "--data-binary", f"@{out}",
                    f"{receiver.endpoint}/v1/traces"], check=True)
    spans = receiver.spans()
    receiver.stop()
    [echo] = by_name(spans, "tools/call echo", SERVER)
    assert echo["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and echo["parent_span_id"] == "00f067aa0ba902b7"
    [call] = query(db, "SELECT id FROM calls WHERE tool = 'echo'")
    assert echo["attributes"]["argus.call.id"] == call["id"]
    assert by_name(spans, "tools/call always_fail", SERVER)[0]["attributes"]["error.type"] == "tool_error"


def test_injection_is_opt_in_and_makes_the_client_span_the_servers_parent(argus, test_server, db):
    receiver = OTLPReceiver()

    async def body(client):
        plain = await client.call_tool("echo", {"message": "injected"})
        given = await client.call_tool("echo", {"message": "kept"}, meta={"traceparent": PARENT})
        return plain, given

    plain, given = session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint, "--otlp-inject"), body)
    assert plain.structured_content == {"echo": "injected"} and given.structured_content == {"echo": "kept"}
    receiver.wait_for(lambda r: len(by_name_or_empty(r.spans(), "tools/call echo")) == 4)
    spans = receiver.spans()
    receiver.stop()
    # What the server received (the recording reads the forwarded bytes) carries the context...
    bodies = [json.loads(r["body"]) for r in query(db, "SELECT body FROM messages WHERE method = 'tools/call' AND kind = 'request' ORDER BY seq")]
    injected = bodies[0]["params"]["_meta"]
    assert injected["tracestate"].startswith("argus=")
    _, trace_id, span_id, _ = injected["traceparent"].split("-")
    # ...naming Argus's CLIENT span, whose SERVER parent starts the trace.
    [client_span] = [s for s in spans if s["span_id"] == span_id]
    assert client_span["kind"] == CLIENT and client_span["trace_id"] == trace_id
    [server_span] = [s for s in spans if s["span_id"] == client_span["parent_span_id"]]
    assert server_span["kind"] == SERVER and server_span["parent_span_id"] == ""
    # A request that had a traceparent is forwarded as it came.
    assert bodies[1]["params"]["_meta"] == {"traceparent": PARENT}


def test_without_a_flag_the_bytes_are_forwarded_unchanged(argus, test_server, db):
    receiver = OTLPReceiver()

    async def body(client):
        await client.call_tool("echo", {"message": "plain"})

    session(wrap(argus, test_server, db, "--otlp-endpoint", receiver.endpoint), body)
    receiver.stop()
    [request] = query(db, "SELECT body FROM messages WHERE method = 'tools/call' AND kind = 'request'")
    assert "traceparent" not in request["body"]


def test_a_remote_server_session_exports_over_tcp_with_the_servers_address(argus, db):
    """argus wrap --url: the same spans and metrics, with network.transport=tcp and the server's
    address and port from the URL; injection reaches the remote server too."""
    from test_remote import HTTPServer

    server = HTTPServer()
    receiver = OTLPReceiver()

    async def body(client):
        await client.call_tool("echo", {"text": "over http"})
        return await client.call_tool("fail", {"reason": "on purpose"})

    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--url", server.url,
                                                        "--otlp-endpoint", receiver.endpoint, "--otlp-inject"],
                                   env={**os.environ, **FAST_EXPORT})
    try:
        failed = session(params, body)
        assert failed.is_error
        receiver.wait_for(lambda r: len(by_name_or_empty(r.spans(), "tools/call echo")) == 2
                          and len(by_name_or_empty(r.spans(), "tools/call fail")) == 2)
        receiver.wait_for(lambda r: "mcp.client.operation.duration" in r.metrics())
        spans, metrics = receiver.spans(), receiver.metrics()
    finally:
        receiver.stop()
        server.stop()

    [echo_server] = by_name(spans, "tools/call echo", SERVER)
    [echo_client] = by_name(spans, "tools/call echo", CLIENT)
    # The CLIENT span faces the remote server (tcp, its address); the SERVER span faces the stdio client.
    a = echo_client["attributes"]
    assert a["network.transport"] == "tcp", a
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == server.port, a
    a = echo_server["attributes"]
    assert a["network.transport"] == "pipe" and "server.address" not in a, a
    assert echo_client["attributes"]["argus.server.name"] == a["argus.server.name"] == "127.0.0.1"
    [call] = query(db, "SELECT id FROM calls WHERE tool = 'echo'")
    assert echo_server["attributes"]["argus.call.id"] == call["id"]
    [fail_server] = by_name(spans, "tools/call fail", SERVER)
    assert fail_server["attributes"]["error.type"] == "tool_error" and fail_server["status_code"] == STATUS_ERROR

    # The request went to the remote server with Argus's CLIENT span as its parent.
    [request] = query(db, "SELECT body FROM messages WHERE method = 'tools/call' AND kind = 'request' AND body LIKE '%over http%'")
    _, trace_id, span_id, _ = json.loads(request["body"])["params"]["_meta"]["traceparent"].split("-")
    assert (echo_client["trace_id"], echo_client["span_id"]) == (trace_id, span_id)

    _, _, points = metrics["mcp.client.operation.duration"]
    echo = [attrs for attrs, _ in points if attrs.get("gen_ai.tool.name") == "echo"]
    assert echo and echo[0]["network.transport"] == "tcp" and echo[0]["server.address"] == "127.0.0.1"


def test_injection_reaches_the_server_through_the_fault_relay(argus, test_server, db, tmp_path):
    """With --faults the client's lines go through the fault injector: trace context is injected
    before it, so a call that no fault hits reaches the server with Argus's CLIENT span as parent."""
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"seed": 1, "faults": [{"tool": "always_fail", "kind": "empty"}]}))
    receiver = OTLPReceiver()

    async def body(client):
        return await client.call_tool("echo", {"message": "through faults"})

    result = session(wrap(argus, test_server, db, "--faults", str(faults), "--otlp-endpoint", receiver.endpoint,
                          "--otlp-inject"), body)
    assert result.structured_content == {"echo": "through faults"}
    receiver.wait_for(lambda r: len(by_name_or_empty(r.spans(), "tools/call echo")) == 2)
    spans = receiver.spans()
    receiver.stop()
    [request] = query(db, "SELECT body FROM messages WHERE method = 'tools/call' AND kind = 'request'")
    _, trace_id, span_id, _ = json.loads(request["body"])["params"]["_meta"]["traceparent"].split("-")
    [client_span] = by_name(spans, "tools/call echo", CLIENT)
    assert (client_span["trace_id"], client_span["span_id"]) == (trace_id, span_id)


def test_argus_proxy_exports_each_sessions_calls(argus, db, monkeypatch):
    """argus proxy: the same spans, per MCP session; both sides of the hop are tcp (the HTTP
    client, and the upstream with its address)."""
    from test_proxy import Proxy
    from test_remote import HTTPServer, run as run_session

    for name, value in FAST_EXPORT.items():
        monkeypatch.setenv(name, value)
    server = HTTPServer()
    receiver = OTLPReceiver()
    proxy = Proxy(argus, db, "--upstream", server.url, "--otlp-endpoint", receiver.endpoint)
    try:
        _, results = run_session(proxy.url, "legacy", [("echo", {"text": "through the proxy"})])
        assert results[0]["content"][0]["text"] == "through the proxy"
        receiver.wait_for(lambda r: len(by_name_or_empty(r.spans(), "tools/call echo")) == 2)
        spans = receiver.spans()
        assert proxy.stop() == 0
    finally:
        if proxy.process.poll() is None:
            proxy.process.kill()
        receiver.stop()
        server.stop()

    [echo_server] = by_name(spans, "tools/call echo", SERVER)
    [echo_client] = by_name(spans, "tools/call echo", CLIENT)
    assert echo_server["attributes"]["network.transport"] == "tcp", echo_server["attributes"]
    a = echo_client["attributes"]
    assert a["network.transport"] == "tcp" and a["server.address"] == "127.0.0.1" and a["server.port"] == server.port, a
    [call] = query(db, "SELECT id, run_id FROM calls WHERE tool = 'echo'")
    assert (a["argus.call.id"], a["argus.run.id"]) == (call["id"], call["run_id"])


def test_sigterm_ends_an_exporting_session_cleanly(argus, test_server, db):
    """The exporter's thread starts before the session's: a SIGTERM must still reach the
    session (run ended as `signal`, exit 143), not kill the process by default action."""
    receiver = OTLPReceiver()
    process = subprocess.Popen([argus, "wrap", "--db", str(db), "--otlp-endpoint", receiver.endpoint, "--", test_server],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, **FAST_EXPORT})
    try:
        process.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
                            b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n')
        process.stdin.flush()
        assert b'"id":1' in process.stdout.readline()  # the session is up: the server answered
        process.terminate()
        status = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        receiver.stop()
    assert status == 128 + 15, (status, process.stderr.read().decode())
    [run_row] = query(db, "SELECT end_reason FROM runs")
    assert run_row["end_reason"] == "signal"
