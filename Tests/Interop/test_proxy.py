"""`argus proxy`: the official MCP Python SDK's Streamable HTTP client, through the reverse
proxy, to the SDK's Streamable HTTP server, compared with the same client speaking to the
server directly, in both protocol eras and every server flavour; credentials, OAuth
discovery, refusals and an unreachable upstream."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import anyio
import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import postgres_store, query
from test_remote import CALLS, FLAVOURS, MODES, METADATA_PATH, dump, errors_in, free_port, http_server, run, sqlite_dump  # noqa: F401


class Proxy:
    """`argus proxy` on a free loopback port; `stop()` ends it with SIGTERM, as a service manager does."""

    def __init__(self, argus, db, *args):
        self.process = subprocess.Popen([argus, "proxy", "--db", str(db), "--listen", "127.0.0.1:0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The address comes first, or after the banner of --faults.
        for _ in range(2):
            line = self.process.stderr.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:(\d+))(\S*)", line)
            if found or "CHAOS" not in line:
                break
        if not found:
            self.process.kill()
            raise RuntimeError(f"argus proxy did not start: {line!r} {self.process.stderr.read()}")
        self.origin, self.port, self.url = found[1], int(found[2]), found[1] + found[3]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def proxy(argus, db):
    proxies = []

    def start(upstream, *extra):
        started = Proxy(argus, db, "--upstream", upstream, *extra)
        proxies.append(started)
        return started

    yield start
    for started in proxies:
        if started.process.poll() is None:
            started.stop()


def transport_frames(db) -> list[dict]:
    rows = query(db, "SELECT body FROM messages WHERE method = 'argus/transport' ORDER BY run_id, seq")
    return [json.loads(r["body"])["params"] for r in rows]


def with_headers(url, headers):
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("mode", MODES)
def test_a_session_through_the_proxy_equals_a_direct_one_and_is_recorded(db, http_server, proxy, flavour, mode):
    server = http_server(*FLAVOURS[flavour])
    through = proxy(server.url)
    assert through.url == f"{through.origin}/mcp"
    tools_direct, results_direct = run(server.url, mode, CALLS)
    tools_proxied, results_proxied = run(through.url, mode, CALLS)
    assert tools_proxied == tools_direct
    assert results_proxied == results_direct
    assert results_proxied[1]["structuredContent"] == {"result": 42}
    assert through.stop() == 0

    stateful = flavour != "stateless" and mode == "legacy"
    [run_row] = query(db, "SELECT * FROM runs")
    assert run_row["server_name"] == "127.0.0.1" and run_row["command"] == server.url
    assert run_row["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    # A stateful session ends with the client's DELETE; messages outside a session, when the proxy stops.
    assert (run_row["end_reason"], stateful) in {("client_eof", True), ("signal", False)}, run_row
    tool_calls = query(db, "SELECT tool, is_error, status FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == [name for name, _ in CALLS]
    assert [c["is_error"] for c in tool_calls] == [0, 0, 1, 0]
    assert all(c["status"] in ("ok", "error") for c in tool_calls), tool_calls
    # Every message the client and the server exchanged is in the recording, not one more (bar transport frames).
    methods = [r["method"] for r in query(db, "SELECT method FROM messages WHERE method != 'argus/transport' "
                                              "AND direction = 'c2s' ORDER BY seq")]
    assert methods.count("tools/call") == len(CALLS)
    events = [f["event"] for f in transport_frames(db)]
    if stateful:
        assert events[0] == "session_started" and "session_ended" in events, events
    else:
        assert "session_started" not in events, events


def test_each_session_is_a_run_of_its_own(db, http_server, proxy):
    server = http_server()
    through = proxy(server.url)

    async def two_sessions_at_once():
        async with Client(through.url, mode="legacy") as first, Client(through.url, mode="legacy") as second:
            a = await first.call_tool("add", {"a": 1, "b": 1})
            b = await second.call_tool("add", {"a": 2, "b": 2})
            return dump(a)["structuredContent"], dump(b)["structuredContent"]

    assert anyio.run(two_sessions_at_once) == ({"result": 2}, {"result": 4})
    through.stop()
    runs = query(db, "SELECT id, end_reason FROM runs ORDER BY id")
    assert [r["end_reason"] for r in runs] == ["client_eof", "client_eof"], runs
    per_run = query(db, "SELECT run_id, COUNT(*) AS n FROM calls WHERE method = 'tools/call' GROUP BY run_id")
    assert [r["n"] for r in per_run] == [1, 1], per_run


def test_server_to_client_requests_on_the_stream_are_correlated_with_the_answering_post(db, http_server, proxy):
    from mcp_types import ElicitResult

    server = http_server()
    through = proxy(server.url)

    async def answer(context, params):
        return ElicitResult(action="accept", content={"colour": "teal"})

    direct = run(server.url, "legacy", [("ask", {})], elicitation_callback=answer)
    proxied = run(through.url, "legacy", [("ask", {})], elicitation_callback=answer)
    assert proxied == direct and proxied[1][0]["content"][0]["text"] == "accept:teal"
    through.stop()
    [elicit] = query(db, "SELECT direction, status, latency_us FROM calls WHERE method = 'elicitation/create'")
    assert elicit["direction"] == "s2c" and elicit["status"] == "ok", elicit


def test_a_bearer_token_passes_through_untouched_and_never_reaches_disk(db, http_server, proxy):
    token = "tok_proxy_5f0c1e2d3b4a69788796a5b4"
    server = http_server("--token", token)
    through = proxy(server.url)
    tools, results = anyio.run(lambda: _session(with_headers(through.url, {"Authorization": f"Bearer {token}"}),
                                                [("echo", {"text": token})]))
    assert results[0]["content"][0]["text"] == token  # the client sees the server's answer unchanged
    through.stop()
    assert token not in "\n".join(sqlite_dump(db))
    assert query(db, "SELECT COUNT(*) AS n FROM calls WHERE tool = 'echo'") == [{"n": 1}]


def test_a_token_added_by_the_proxy_from_the_environment_is_never_recorded(argus, db, http_server, proxy, monkeypatch):
    token = "tok_added_0123456789abcdef01"
    server = http_server("--token", token)
    monkeypatch.setenv("UPSTREAM_TOKEN", token)
    through = proxy(server.url, "--header", "Authorization:Bearer ${UPSTREAM_TOKEN}")
    tools, results = run(through.url, "legacy", [("echo", {"text": token})])
    assert results[0]["content"][0]["text"] == token
    through.stop()
    assert token not in "\n".join(sqlite_dump(db))
    [run_row] = query(db, "SELECT args, env_names FROM runs")
    assert "Authorization" in run_row["args"] and json.loads(run_row["env_names"]) == ["UPSTREAM_TOKEN"], run_row


def test_401_and_its_challenge_pass_through_pointing_at_the_proxys_metadata(db, http_server, proxy):
    server = http_server("--token", "right-token-123456")
    through = proxy(server.url)
    request = urllib.request.Request(through.url, method="POST", data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                                              "Authorization": "Bearer wrong-token-654321"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    challenge = refused.value.headers["WWW-Authenticate"]
    assert challenge == f'Bearer resource_metadata="{through.origin}{METADATA_PATH}"', challenge

    # OAuth discovery at the address the challenge names: the resource is the proxy's, the rest the upstream's.
    with urllib.request.urlopen(f"{through.origin}{METADATA_PATH}", timeout=30) as response:
        metadata = json.load(response)
    assert metadata == {"resource": through.url, "authorization_servers": ["https://auth.example.com"],
                        "scopes_supported": ["mcp"]}
    # A forged X-Forwarded-Host changes nothing.
    forged = urllib.request.Request(f"{through.origin}{METADATA_PATH}", headers={"X-Forwarded-Host": "evil.example"})
    with urllib.request.urlopen(forged, timeout=30) as response:
        assert json.load(response)["resource"] == through.url

    through.stop()
    [status] = [f for f in transport_frames(db) if f["event"] == "http_status"]
    assert status["status"] == 401 and status["for"] == "ping"
    assert status["challenge"] == {"scheme": "Bearer", "resource_metadata": f"http://127.0.0.1:{server.port}{METADATA_PATH}"}
    assert "wrong-token-654321" not in "\n".join(sqlite_dump(db))


def test_an_unreachable_upstream_is_a_502_with_a_json_rpc_error_and_a_recorded_frame(db, proxy):
    through = proxy(f"http://127.0.0.1:{free_port()}/mcp")
    request = urllib.request.Request(through.url, method="POST", data=b'{"jsonrpc":"2.0","id":7,"method":"tools/list"}',
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=30)
    assert failed.value.code == 502
    body = json.load(failed.value)
    assert body["id"] == 7 and "could not be reached" in body["error"]["message"], body

    # The SDK's client fails the request with that message instead of hanging.
    with pytest.raises(Exception) as sdk_failure:
        run(through.url, "2026-07-28", [])
    assert any("could not be reached" in str(e) for e in errors_in(sdk_failure.value)), errors_in(sdk_failure.value)

    through.stop()
    frames = transport_frames(db)
    assert frames and frames[0]["event"] == "request_failed" and "onnection refused" in frames[0]["error"], frames
    [call] = query(db, "SELECT status, error_message FROM calls WHERE method = 'tools/list' ORDER BY id LIMIT 1")
    assert call["status"] == "error" and "could not be reached" in call["error_message"], call


def test_a_non_loopback_address_needs_allow_remote(argus, db):
    refused = subprocess.run([argus, "proxy", "--db", str(db), "--listen", "0.0.0.0:0", "--upstream", "http://127.0.0.1:1/mcp"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1 and "--allow-remote" in refused.stderr, refused.stderr


def test_a_request_for_another_host_is_refused(db, http_server, proxy):
    server = http_server()
    through = proxy(server.url)
    rebound = urllib.request.Request(through.url, method="POST", data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                     headers={"Host": "attacker.example:80", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebound, timeout=30)
    assert refused.value.code == 403 and b"DNS rebinding" in refused.value.read()


async def _session(target, calls):
    async with Client(target, mode="legacy") as client:
        tools = await client.list_tools()
        return [dump(t) for t in tools.tools], [dump(await client.call_tool(n, a)) for n, a in calls]


def test_an_event_stream_is_forwarded_as_it_arrives_and_a_cut_is_recorded(db, proxy):
    """An upstream that sends one SSE event, waits until the test has read it through the
    proxy (a proxy that buffered the answer would never deliver it), then breaks off in the
    middle of the next event."""
    import http.client
    import http.server
    import threading

    first_read = threading.Event()

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"one"}}\n\n')
            self.wfile.flush()
            first_read.wait(20)
            self.wfile.write(b'data: {"jsonrpc":"2.0","id":5,"res')
            self.wfile.flush()

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        through = proxy(f"http://127.0.0.1:{upstream.server_address[1]}/mcp")
        connection = http.client.HTTPConnection("127.0.0.1", through.port, timeout=10)
        connection.request("POST", "/mcp", body=b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow"}}',
                           headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        response = connection.getresponse()
        assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
        assert b'"data":"one"' in response.readline()  # before the upstream goes on: nothing is held back
        first_read.set()
        with pytest.raises(http.client.IncompleteRead):
            response.read()  # the cut reaches the client as a cut, not as a clean end
        through.stop()
    finally:
        first_read.set()
        upstream.shutdown()
    messages = query(db, "SELECT direction, method FROM messages WHERE method != 'argus/transport' ORDER BY seq")
    assert messages == [{"direction": "c2s", "method": "tools/call"}, {"direction": "s2c", "method": "notifications/message"}]
    broken = [f for f in transport_frames(db) if f["event"] == "stream_broken"]
    assert broken and "middle of an event" in broken[0]["error"], transport_frames(db)


@pytest.fixture
def json_rpc_upstream():
    """Starts a plain HTTP/1.1 JSON-RPC server on loopback (the standard library's, a thread per
    connection) and returns its port. `answer(request, client_port)` gives each POST's result
    and whether to close the connection after it (`Connection: close`)."""
    import http.server
    import threading

    servers = []

    def start(answer):
        class Upstream(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                result, closing = answer(request, self.client_address[1])
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if closing:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = closing

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()


def test_a_client_connection_keeps_one_upstream_connection_and_replaces_one_the_upstream_closed(db, proxy, json_rpc_upstream):
    """A plain-HTTP upstream is reached on a connection of the client connection's own: five
    calls on one keep-alive client connection arrive on one upstream connection; a connection
    the upstream closes after an answer (`Connection: close`) is replaced for the next call."""
    import http.client

    peers = []

    def answer(request, port):
        peers.append(port)
        return {"port": port}, request["params"].get("close", False)

    through = proxy(f"http://127.0.0.1:{json_rpc_upstream(answer)}/mcp")
    connection = http.client.HTTPConnection("127.0.0.1", through.port, timeout=30)

    def ping(i, close=False):
        body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "ping", "params": {"close": close}})
        connection.request("POST", "/mcp", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200 and answer["id"] == i, (response.status, answer)
        return answer["result"]["port"]

    kept = [ping(i) for i in range(5)]
    assert len(set(kept)) == 1, kept
    ping(5, close=True)
    after = [ping(i) for i in range(6, 9)]
    assert len(set(after)) == 1 and after[0] != kept[0], (kept, after)
    through.stop()
    assert len(peers) == 9, peers
    recorded = query(db, "SELECT COUNT(*) AS n FROM calls WHERE method = 'ping' AND status = 'ok'")
    assert recorded == [{"n": 9}], recorded


def test_pipelined_requests_are_answered_in_order_on_one_connection(db, proxy, json_rpc_upstream):
    """Requests a client sends before the answers to the ones before (HTTP/1.1 pipelining)
    are answered one after the other, in order, on the same connection, and recorded while
    the proxy runs; the connection then serves a request sent on its own."""
    import socket

    def answer(request, port):
        if request["id"] == 1:
            time.sleep(0.5)  # were the requests behind it sent at once, their answers would overtake it
        return {}, False

    through = proxy(f"http://127.0.0.1:{json_rpc_upstream(answer)}/mcp")

    def request(i):
        body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "ping"}).encode()
        return (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{through.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    with socket.create_connection(("127.0.0.1", through.port), timeout=30) as client:
        client.sendall(b"".join(request(i) for i in range(1, 6)))
        replies = client.makefile("rb")

        def reply():
            status = int(replies.readline().split()[1])
            headers = dict(line.decode().split(":", 1) for line in iter(replies.readline, b"\r\n"))
            lengths = [int(value) for name, value in headers.items() if name.lower() == "content-length"]
            assert lengths, headers
            return status, json.loads(replies.read(lengths[0]))["id"]

        ids = []
        for i in range(1, 7):
            if i == 6:
                client.sendall(request(6))
            ids.append(reply())
        assert ids == [(200, i) for i in range(1, 7)], ids
    # Recorded while the proxy runs: the recorder, woken after each write, is not left asleep.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        recorded = query(db, "SELECT COUNT(*) AS n FROM calls WHERE method = 'ping' AND status = 'ok'")
        if recorded == [{"n": 6}]:
            break
        time.sleep(0.1)
    assert recorded == [{"n": 6}], recorded
    through.stop()


def test_a_session_the_server_forgot_is_a_404_that_ends_its_run(db, http_server, proxy):
    server = http_server()
    through = proxy(server.url)
    request = urllib.request.Request(through.url, method="POST", data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                                              "Mcp-Session-Id": "0123456789abcdef", "MCP-Protocol-Version": "2025-11-25"})
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(request, timeout=30)
    assert gone.value.code == 404
    through.stop()
    events = [(f["event"], f.get("status"), f.get("session")) for f in transport_frames(db)]
    assert events[:2] == [("http_status", 404, "01234567…"), ("session_expired", None, "01234567…")], events
    [run_row] = query(db, "SELECT end_reason, end_detail FROM runs")
    assert run_row == {"end_reason": "server_exited", "end_detail": "the server no longer knows the session (HTTP 404)"}


def test_setup_writes_an_http_entry_and_a_unit_that_serves_it(argus, db, http_server, tmp_path, private_home, monkeypatch):
    """`argus setup --proxy … --service systemd --write`, then the unit's ExecStart run as systemd
    would run it (its variables from the EnvironmentFile), and the client's entry followed."""
    import shlex

    token = "tok_service_0123456789abcdef"
    server = http_server("--token", token)
    port = free_port()
    monkeypatch.setenv("ARGUS_DB", str(db))
    monkeypatch.setenv("SERVICE_TOKEN", token)
    client_file = tmp_path / ".mcp.json"
    done = subprocess.run([argus, "setup", "--client", "claude-code", "--write", "--client-config", str(client_file),
                           "--proxy", server.url, "--listen", f"127.0.0.1:{port}", "--service", "systemd", "--copy-env",
                           "--header", "Authorization:Bearer ${SERVICE_TOKEN}"], check=True, capture_output=True, text=True)
    assert "systemctl --user enable --now argus-proxy-127-0-0-1.service" in done.stdout, done.stdout
    [entry] = json.loads(client_file.read_text())["mcpServers"].values()
    assert entry == {"type": "http", "url": f"http://127.0.0.1:{port}/mcp"}

    unit = (private_home / ".config/systemd/user/argus-proxy-127-0-0-1.service").read_text()
    env_file = private_home / ".argus/argus-proxy-127-0-0-1.env"
    assert token not in unit and env_file.read_text() == f"SERVICE_TOKEN={token}\n"
    assert env_file.stat().st_mode & 0o077 == 0
    [exec_start] = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart=")]
    command = [word.replace("$$", "$").replace("%%", "%") for word in shlex.split(exec_start)]
    service_env = {"HOME": str(private_home), "PATH": "/usr/bin:/bin",
                   **dict(line.split("=", 1) for line in env_file.read_text().splitlines())}
    service = subprocess.Popen(command, env=service_env, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in service.stderr.readline()
        tools, results = run(entry["url"], "legacy", [("add", {"a": 40, "b": 2})])
        assert results[0]["structuredContent"] == {"result": 42}
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    assert query(db, "SELECT COUNT(*) AS n FROM calls WHERE tool = 'add'") == [{"n": 1}]
    assert token not in "\n".join(sqlite_dump(db))


# `argus proxy -- command`: a stdio server served over Streamable HTTP.

STDIO_CALLS = [
    ("calculate", {"operation": "add", "a": 2, "b": 40}),
    ("always_fail", {}),
    ("echo", {"message": "héllo \u2028 world"}),
]


@pytest.mark.parametrize("mode", MODES)
def test_a_stdio_server_served_over_http_behaves_as_it_does_on_stdio(argus, db, test_server, mode):
    from mcp.client.stdio import StdioServerParameters

    progress, logs = [], []

    async def on_progress(value, total, message):
        progress.append(value)

    async def on_log(params):
        logs.append(params.data)

    async def session(target):
        async with Client(target, mode=mode, logging_callback=on_log, log_level="info") as client:
            tools = await client.list_tools()
            results = [dump(await client.call_tool(name, arguments)) for name, arguments in STDIO_CALLS]
            steps = await client.call_tool("progress_task", {"steps": 3, "delay_ms": 5}, progress_callback=on_progress)
            return [dump(t) for t in tools.tools], results + [dump(steps)]

    direct = anyio.run(session, StdioServerParameters(command=test_server, args=[]))
    direct_progress, progress[:] = list(progress), []
    through = StdioProxy(argus, db, test_server)
    try:
        served = anyio.run(session, through.url)
    finally:
        assert through.stop() == 0
    assert served == direct
    assert progress == direct_progress == [1, 2, 3]

    [run_row] = query(db, "SELECT * FROM runs")
    assert run_row["server_name"] == "argus-test-server" and run_row["server_pid"] > 0
    assert run_row["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    # A session ends with the client's DELETE; messages outside a session, when the proxy stops.
    assert run_row["end_reason"] == ("client_eof" if mode == "legacy" else "signal"), run_row
    tool_calls = query(db, "SELECT tool, is_error, progress_count FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == [n for n, _ in STDIO_CALLS] + ["progress_task"]
    assert [c["is_error"] for c in tool_calls] == [0, 1, 0, 0] and tool_calls[-1]["progress_count"] == 3
    assert query(db, "SELECT COUNT(*) AS n FROM server_logs") != [{"n": 0}]  # its stderr, as on stdio


def StdioProxy(argus, db, *command):
    return Proxy(argus, db, "--", *command)


def test_each_http_session_gets_a_server_process_of_its_own_and_delete_ends_it(argus, db, test_server):
    from mcp_types import ListRootsResult, Root

    async def list_roots(context):
        return ListRootsResult(roots=[Root(uri="file:///work", name="work")])

    through = StdioProxy(argus, db, test_server)

    async def two_sessions():
        async with Client(through.url, mode="legacy", list_roots_callback=list_roots) as first, \
                Client(through.url, mode="legacy") as second:
            a = await first.call_tool("echo", {"message": "first"})
            b = await second.call_tool("echo", {"message": "second"})
            roots = await first.call_tool("client_roots", {})  # a server's request, answered by a POST of its own
            return dump(a), dump(b), dump(roots)

    try:
        first, second, roots = anyio.run(two_sessions)
    finally:
        through.stop()
    assert (first["content"][0]["text"], second["content"][0]["text"]) == ("first", "second")
    assert roots["structuredContent"] == {"roots": [{"uri": "file:///work", "name": "work"}]}
    runs = query(db, "SELECT server_pid, end_reason, end_detail FROM runs ORDER BY id")
    assert [r["end_reason"] for r in runs] == ["client_eof", "client_eof"], runs
    assert runs[0]["server_pid"] != runs[1]["server_pid"], runs
    assert all("the server exited with status 0" in r["end_detail"] for r in runs), runs
    [listed] = query(db, "SELECT direction, status FROM calls WHERE method = 'roots/list'")
    assert listed == {"direction": "s2c", "status": "ok"}


def test_an_unknown_session_is_a_404_and_a_missing_command_a_clear_error(argus, db, test_server):
    through = StdioProxy(argus, db, test_server)
    try:
        request = urllib.request.Request(through.url, method="POST", data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                         headers={"Content-Type": "application/json", "Mcp-Session-Id": "nope"})
        with pytest.raises(urllib.error.HTTPError) as unknown:
            urllib.request.urlopen(request, timeout=30)
        assert unknown.value.code == 404 and "initialize again" in json.load(unknown.value)["error"]["message"]
    finally:
        through.stop()
    missing = subprocess.run([argus, "proxy", "--db", str(db), "--listen", "127.0.0.1:0", "--", "no-such-mcp-server-xyz"],
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "no-such-mcp-server-xyz" in missing.stderr, missing.stderr


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, db, private_home):
    """A SQLite file, or a fresh PostgreSQL database (skipped without ARGUS_TEST_POSTGRES_URL)."""
    return db if request.param == "sqlite" else postgres_store(private_home)


@pytest.mark.parametrize("behind", ["http", "stdio"])
def test_concurrent_sessions_share_the_proxys_writer_each_in_a_run_of_its_own(argus, store, http_server, test_server, behind):
    """Sessions at once through one proxy (one recorder thread and one writer for all, runs
    numbered across them): each session is one run holding exactly its own messages, in order,
    and nothing is lost; sessions cost the proxy no thread each."""
    sessions, calls = (24, 5) if behind == "http" else (8, 5)
    if behind == "http":
        through = Proxy(argus, store, "--upstream", http_server().url)
        argument = "text"
    else:
        through = StdioProxy(argus, store, test_server)
        argument = "message"

    def proxy_threads():
        return len(os.listdir(f"/proc/{through.process.pid}/task"))

    threads = {"before": proxy_threads()}

    async def one(index, all_open):
        async with Client(through.url, mode="legacy") as client:
            all_open.append(index)
            while len(all_open) < sessions:  # every session is open before any calls
                await anyio.sleep(0.01)
            threads.setdefault("open", proxy_threads())
            return [dump(await client.call_tool("echo", {argument: f"s{index}-c{n}"}))["content"][0]["text"]
                    for n in range(calls)]

    async def all_sessions():
        results, all_open = {}, []

        async def keep(index):
            results[index] = await one(index, all_open)

        with anyio.fail_after(240):
            async with anyio.create_task_group() as group:
                for index in range(sessions):
                    group.start_soon(keep, index)
        return results

    try:
        results = anyio.run(all_sessions)
    finally:
        assert through.stop() == 0
    assert results == {i: [f"s{i}-c{n}" for n in range(calls)] for i in range(sessions)}
    if behind == "http":  # (a stdio server's session has relay threads for its process)
        assert threads["open"] - threads["before"] < sessions // 2, threads

    runs = query(store, "SELECT id, end_reason FROM runs ORDER BY id")
    assert len(runs) == sessions and {r["end_reason"] for r in runs} == {"client_eof"}, runs
    per_run = {}
    for row in query(store, "SELECT run_id, seq, body FROM messages WHERE direction = 'c2s' AND method = 'tools/call' "
                            "ORDER BY run_id, seq"):
        per_run.setdefault(row["run_id"], []).append(json.loads(row["body"])["params"]["arguments"][argument])
    # Each run holds one session's calls, all of them, in the order it made them.
    assert sorted(per_run.values()) == sorted([f"s{i}-c{n}" for n in range(calls)] for i in range(sessions)), per_run
    counts = query(store, "SELECT run_id, method, COUNT(*) AS n, SUM(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) AS ok "
                          "FROM calls WHERE method IN ('initialize', 'tools/call') GROUP BY run_id, method ORDER BY run_id, method")
    assert counts == [row for r in runs for row in (
        {"run_id": r["id"], "method": "initialize", "n": 1, "ok": 1},
        {"run_id": r["id"], "method": "tools/call", "n": calls, "ok": calls})], counts
    # Every answer is recorded with its request, in the same run.
    answers = query(store, "SELECT run_id, COUNT(*) AS n FROM messages WHERE direction = 's2c' AND kind = 'response' "
                           "AND method IN ('initialize', 'tools/call') GROUP BY run_id ORDER BY run_id")
    assert answers == [{"run_id": r["id"], "n": calls + 1} for r in runs], answers


def test_each_session_runs_the_scripts_in_a_state_of_its_own(argus, db, http_server, tmp_path):
    """The proxy's sessions share one recorder thread, but each has its own script state: a
    script counting the calls it saw counts each session's calls alone, in that session's run."""
    (tmp_path / "counter.lua").write_text("""
        SCRIPT = { name = "counter", match = { method = "tools/call" } }
        local seen = 0
        function metric(call)
          seen = seen + 1
          argus.metric.gauge("calls_seen", seen, { text = call.params.arguments.text })
        end
    """)
    config = tmp_path / "argus.config.json"
    config.write_text(json.dumps({"scripts": [{"path": "counter.lua"}]}))
    through = Proxy(argus, db, "--config", str(config), "--upstream", http_server().url)
    sessions, calls = 3, 4

    async def one(index):
        async with Client(through.url, mode="legacy") as client:
            for n in range(calls):
                await client.call_tool("echo", {"text": f"s{index}-c{n}"})

    async def all_sessions():
        with anyio.fail_after(120):
            async with anyio.create_task_group() as group:
                for index in range(sessions):
                    group.start_soon(one, index)

    try:
        anyio.run(all_sessions)
    finally:
        assert through.stop() == 0
    rows = query(db, "SELECT run_id, value, labels FROM script_outputs WHERE kind = 'metric' ORDER BY id")
    per_run = {}
    for row in rows:
        per_run.setdefault(row["run_id"], []).append((json.loads(row["labels"])["text"], row["value"]))
    # Each run: its session's calls, in order, counted from 1 by a state that saw no other session.
    assert sorted(per_run.values()) == [[(f"s{i}-c{n}", n + 1) for n in range(calls)] for i in range(sessions)], rows


def test_a_hook_that_never_returns_delays_no_traffic_and_not_the_proxys_exit(argus, db, http_server, tmp_path):
    """All sessions' hooks run on the proxy's one recorder thread: one stuck for good (possible
    with limits a user raised) stops recording, never a session's traffic, and on SIGTERM the
    proxy still exits, saying why, within its flush timeout."""
    (tmp_path / "stuck.lua").write_text("""
        SCRIPT = { name = "stuck", match = { method = "tools/call" } }
        function on_call(call)
          if call.params.arguments.text == "stick" then while true do end end
        end
    """)
    config = tmp_path / "argus.config.json"
    config.write_text(json.dumps({"script_limits": {"time_ms": 100000000, "instructions": 1000000000000000}}))
    through = Proxy(argus, db, "--config", str(config), "--script", str(tmp_path / "stuck.lua"), "--flush-timeout", "2",
                    "--upstream", http_server().url)

    async def sessions():
        with anyio.fail_after(60):
            async with Client(through.url, mode="legacy") as first, Client(through.url, mode="legacy") as second:
                stuck = await first.call_tool("echo", {"text": "stick"})
                # The hook is stuck on the recorder thread; both sessions' calls still go through.
                after = [await session.call_tool("echo", {"text": f"after-{n}"})
                         for n, session in enumerate([first, second, first, second])]
                return dump(stuck), [dump(result) for result in after]

    try:
        stuck, after = anyio.run(sessions)
    finally:
        through.process.send_signal(signal.SIGTERM)
        status = through.process.wait(timeout=60)
    assert stuck["content"][0]["text"] == "stick", stuck
    assert [result["content"][0]["text"] for result in after] == [f"after-{n}" for n in range(4)], after
    stderr = through.process.stderr.read()
    assert status == 0, stderr
    assert "a script hook has not returned for 2.0 s" in stderr, stderr


def test_a_run_stopped_by_hand_ends_only_its_sessions_run_and_the_session_goes_on(argus, db, http_server):
    """The proxy's sessions hear run requests through one reader: `argus runs stop` of one
    session's run splits that session alone."""
    through = Proxy(argus, db, "--upstream", http_server().url)

    def run_of(text):
        deadline = time.monotonic() + 30  # the shared writer commits within a moment
        while time.monotonic() < deadline:
            rows = query(db, "SELECT run_id FROM messages WHERE direction = 'c2s' AND method = 'tools/call' "
                             "AND body LIKE ?", f'%"{text}"%')
            if rows:
                return rows[0]["run_id"]
            time.sleep(0.1)
        raise AssertionError(f"the call {text} was not recorded within 30 s")

    async def two_sessions():
        async with Client(through.url, mode="legacy") as first, Client(through.url, mode="legacy") as second:
            await first.call_tool("echo", {"text": "a1"})
            await second.call_tool("echo", {"text": "b1"})
            stop = [argus, "runs", "stop", str(run_of("a1")), "--wait", "30", "--db", str(db)]
            stopped = await anyio.to_thread.run_sync(
                lambda: subprocess.run(stop, capture_output=True, text=True, timeout=60))
            assert stopped.returncode == 0, stopped.stderr
            await first.call_tool("echo", {"text": "a2"})
            await second.call_tool("echo", {"text": "b2"})

    try:
        anyio.run(two_sessions)
    finally:
        assert through.stop() == 0
    runs = {r["id"]: r for r in query(db, "SELECT id, end_reason, end_detail FROM runs")}
    a1, a2, b1, b2 = (run_of(text) for text in ("a1", "a2", "b1", "b2"))
    assert len({a1, a2, b1}) == 3 and b2 == b1, (a1, a2, b1, b2)
    assert runs[a1]["end_reason"] == "manual" and runs[a1]["end_detail"] == "ended by hand with argus runs", runs
    assert runs[a2]["end_reason"] == runs[b1]["end_reason"] == "client_eof", runs
    assert len(runs) == 3, runs


def test_a_server_named_in_the_config_is_served_by_its_name(argus, db, http_server, test_server, tmp_path, monkeypatch):
    token = "tok_proxy_named_0123456789ab"
    server = http_server("--token", token)
    monkeypatch.setenv("NAMED_TOKEN", token)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"servers": {
        "remote": {"url": server.url, "headers": {"Authorization": "Bearer ${NAMED_TOKEN}"}},
        "local": {"command": test_server},
    }}))

    remote = Proxy(argus, db, "--config", str(config), "remote")
    try:
        tools, results = run(remote.url, "legacy", [("add", {"a": 20, "b": 22})])
    finally:
        assert remote.stop() == 0
    assert results[0]["structuredContent"] == {"result": 42}
    local = Proxy(argus, db, "--config", str(config), "local")
    try:
        tools, results = run(local.url, "legacy", [("calculate", {"operation": "add", "a": 2, "b": 40})])
    finally:
        assert local.stop() == 0
    assert "42" in json.dumps(results[0]), results

    runs = query(db, "SELECT server_name, command FROM runs ORDER BY id")
    assert [(r["server_name"], r["command"]) for r in runs] == [("remote", server.url), ("local", test_server)], runs
    assert token not in "\n".join(sqlite_dump(db))

    unknown = subprocess.run([argus, "proxy", "--config", str(config), "--db", str(db), "--listen", "127.0.0.1:0", "github"],
                             capture_output=True, text=True, timeout=30)
    assert unknown.returncode != 0 and "github is not a server in" in unknown.stderr and "local, remote" in unknown.stderr, unknown.stderr


@pytest.mark.parametrize("behind", ["upstream-sse", "upstream-json", "stdio"])
@pytest.mark.parametrize("mode", MODES)
def test_faults_are_injected_into_each_proxied_session_and_marked(argus, db, http_server, test_server, tmp_path, behind, mode):
    """`argus proxy --faults`, as `argus wrap --faults`: argus's own answer in the server's place,
    an answer held back, a stale answer repeated, an answer cut short; all in a chaos run."""
    stdio = behind == "stdio"
    if stdio:
        echo_args, slow, slow_args, repeated, repeated_args, spoilt, unanswered = (
            {"message": "hi"}, "calculate", {"operation": "add", "a": 2, "b": 40}, "progress_task",
            {"steps": 1, "delay_ms": 1}, "always_fail", ("get_weather", {"city": "Oslo"}))
    else:
        echo_args, slow, slow_args, repeated, repeated_args, spoilt, unanswered = (
            {"text": "hi"}, "add", {"a": 2, "b": 40}, "count", {"n": 2}, "fail", ("big", {"kib": 1}))
    plan = tmp_path / "faults.json"
    plan.write_text(json.dumps({"seed": 7, "faults": [
        {"tool": "echo", "kind": "is_error", "message": "injected"},
        {"tool": slow, "kind": "latency", "ms": 300},
        {"tool": repeated, "kind": "stale", "after_calls": 1},
        {"tool": spoilt, "kind": "malformed"},
        {"tool": unanswered[0], "kind": "timeout"},
    ]}))
    if stdio:
        through = Proxy(argus, db, "--faults", str(plan), "--", test_server)
    else:
        server = http_server(*FLAVOURS[behind.split("-")[1]])
        through = Proxy(argus, db, "--upstream", server.url, "--faults", str(plan))

    async def go():
        async with Client(through.url, mode=mode) as client:
            echo = await client.call_tool("echo", echo_args)
            started = anyio.current_time()
            added = await client.call_tool(slow, slow_args)
            held = anyio.current_time() - started
            again = [dump(await client.call_tool(repeated, repeated_args)) for _ in range(2)]
            # A timeout: no answer ever; the client gives up, and the session goes on.
            answered = False
            with anyio.move_on_after(1):
                await client.call_tool(*unanswered)
                answered = True
            after_timeout = await client.call_tool("echo", echo_args)
            # A cut answer never parses: the client fails the call or waits for an answer that never comes.
            spoilt_outcome = "no answer"
            with anyio.move_on_after(3):
                try:
                    spoilt_outcome = dump(await client.call_tool(spoilt, {"reason": "x"} if not stdio else {}))
                except Exception as error:  # noqa: BLE001 - any failure is what a cut answer may cause
                    spoilt_outcome = f"failed: {error!r}"
            return echo, added, held, again, (answered, after_timeout), spoilt_outcome

    try:
        echo, added, held, again, (answered, after_timeout), spoilt_outcome = anyio.run(go)
    finally:
        assert through.stop() == 0
    assert echo.is_error and echo.content[0].text == "injected", dump(echo)
    assert not added.is_error and "42" in json.dumps(dump(added)) and held >= 0.3, (dump(added), held)
    assert again[1] == again[0], again
    assert not answered and after_timeout.is_error and after_timeout.content[0].text == "injected", dump(after_timeout)
    assert "42" not in str(spoilt_outcome) or spoilt_outcome == "no answer", spoilt_outcome

    runs = query(db, "SELECT kind FROM runs")
    assert runs and all(r["kind"] == "chaos" for r in runs), runs
    faults = query(db, "SELECT tool, kind, detail FROM faults ORDER BY id")
    assert [(f["tool"], f["kind"]) for f in faults] == [
        ("echo", "is_error"), (slow, "latency"), (repeated, "stale"), (unanswered[0], "timeout"), ("echo", "is_error"),
        (spoilt, "malformed")], faults
    assert all("seed 7" in f["detail"] for f in faults), faults
    # In the order the client sent them (an unanswered call's row is written when the client cancels it, or at the end).
    calls = query(db, "SELECT tool FROM calls WHERE method = 'tools/call' ORDER BY started_at, id")
    assert [c["tool"] for c in calls] == ["echo", slow, repeated, repeated, unanswered[0], "echo", spoilt], calls
    # The cut answer is what the recording holds as the call's answer: not a JSON value.
    [cut] = query(db, "SELECT m.body FROM faults f JOIN messages m ON m.run_id = f.run_id AND m.seq = f.response_seq "
                      "WHERE f.kind = 'malformed'")
    with pytest.raises(ValueError):
        json.loads(cut["body"])
