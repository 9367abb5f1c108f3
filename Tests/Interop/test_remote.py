"""`argus wrap --url`: the official MCP Python SDK's stdio client, through argus, to the
SDK's Streamable HTTP server, compared with the same client speaking HTTP directly, in
both protocol eras and every server flavour (SSE or JSON answers, sessions or none)."""

import json
import os
import socket
import subprocess
import sys
import pathlib

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query

HERE = pathlib.Path(__file__).resolve().parent
MODES = ["legacy", "2026-07-28"]
FLAVOURS = {"sse": [], "json": ["--json"], "stateless": ["--stateless"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HTTPServer:
    def __init__(self, *flags: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.process = subprocess.Popen([sys.executable, str(HERE / "http_mcp_server.py"), str(self.port), *flags],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the test server did not start: {line!r} {self.process.stderr.read()}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def http_server(request):
    servers = []

    def start(*flags):
        server = HTTPServer(*flags)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def through_argus(argus, db, url, *extra) -> StdioServerParameters:
    return StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--url", url, *extra],
                                 env={**os.environ})


def dump(model) -> dict:
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


async def session(target, mode, calls, **client_args):
    async with Client(target, mode=mode, **client_args) as client:
        tools = await client.list_tools()
        results = [dump(await client.call_tool(name, arguments)) for name, arguments in calls]
        return [dump(t) for t in tools.tools], results


def run(target, mode, calls, **client_args):
    return anyio.run(lambda: session(target, mode, calls, **client_args))


def transport_frames(db) -> list[dict]:
    rows = query(db, "SELECT body FROM messages WHERE method = 'argus/transport' ORDER BY seq")
    return [json.loads(r["body"])["params"] for r in rows]


CALLS = [
    ("echo", {"text": "héllo \u2028 world"}),
    ("add", {"a": 2, "b": 40}),
    ("fail", {"reason": "on purpose"}),
    ("count", {"n": 3}),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("mode", MODES)
def test_remote_server_behaves_the_same_through_argus(argus, db, http_server, flavour, mode):
    server = http_server(*FLAVOURS[flavour])
    tools_direct, results_direct = run(server.url, mode, CALLS)
    tools_wrapped, results_wrapped = run(through_argus(argus, db, server.url), mode, CALLS)
    assert tools_wrapped == tools_direct
    assert results_wrapped == results_direct
    assert results_wrapped[1]["structuredContent"] == {"result": 42}
    assert results_wrapped[2]["isError"] is True

    [run_row] = query(db, "SELECT * FROM runs")
    assert run_row["server_name"] == "127.0.0.1"
    assert run_row["end_reason"] == "client_eof"
    assert run_row["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    tool_calls = query(db, "SELECT tool, is_error, latency_us, status FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == [name for name, _ in CALLS]
    assert [c["is_error"] for c in tool_calls] == [0, 0, 1, 0]
    assert all(c["latency_us"] > 0 for c in tool_calls)
    events = [f["event"] for f in transport_frames(db)]
    if flavour != "stateless" and mode == "legacy":
        assert events[0] == "session_started" and events[-1] == "session_ended", events
    else:
        assert "session_started" not in events, events


def errors_in(exception) -> list:
    """The leaves of a (nested) exception group."""
    if isinstance(exception, BaseExceptionGroup):
        return [leaf for inner in exception.exceptions for leaf in errors_in(inner)]
    return [exception]


def test_unreachable_server_is_an_error_answer_not_a_hang(argus, db):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(Exception) as failure:
        run(through_argus(argus, db, url), "legacy", [])
    [error] = errors_in(failure.value)
    assert "could not be reached" in str(error) and "Connection refused" in str(error), error
    frames = transport_frames(db)
    assert frames and frames[0]["event"] == "request_failed", frames


def test_bearer_token_from_the_environment_is_sent_and_never_recorded(argus, db, http_server, monkeypatch):
    token = "tok_5f0c1e2d3b4a69788796a5b4c3d2e1f0"
    server = http_server("--token", token)
    monkeypatch.setenv("REMOTE_TOKEN", token)
    tools, results = run(through_argus(argus, db, server.url, "--header", "Authorization:Bearer ${REMOTE_TOKEN}"),
                         "legacy", [("echo", {"text": token})])
    assert {t["name"] for t in tools} >= {"echo", "add"}
    assert results[0]["content"][0]["text"] == token  # the client sees the server's answer unchanged
    dump_text = "\n".join(line for line in sqlite_dump(db))
    assert token not in dump_text
    [run_row] = query(db, "SELECT command, args, env_names FROM runs")
    assert run_row["command"] == server.url
    assert "Authorization" in run_row["args"] and json.loads(run_row["env_names"]) == ["REMOTE_TOKEN"], run_row


def test_wrong_token_gets_401_recorded_with_its_challenge(argus, db, http_server, monkeypatch):
    server = http_server("--token", "right-token-123456")
    monkeypatch.setenv("REMOTE_TOKEN", "wrong-token-654321")
    with pytest.raises(Exception) as failure:
        run(through_argus(argus, db, server.url, "--header", "Authorization:Bearer ${REMOTE_TOKEN}"), "legacy", [])
    [error] = errors_in(failure.value)
    assert "HTTP 401" in str(error), error
    challenge = {"scheme": "Bearer", "resource_metadata": f"http://127.0.0.1:{server.port}{METADATA_PATH}"}
    assert error.error.data["challenge"] == challenge
    frames = transport_frames(db)
    statuses = [f for f in frames if f["event"] == "http_status"]
    assert statuses and statuses[0]["status"] == 401, frames
    assert statuses[0]["challenge"] == challenge
    assert "wrong-token-654321" not in "\n".join(sqlite_dump(db))


def test_missing_header_variable_is_a_clear_error(argus, db, http_server):
    server = http_server()
    env = {k: v for k, v in os.environ.items() if k != "NOT_SET_ANYWHERE"}
    proc = subprocess.run([argus, "wrap", "--db", str(db), "--url", server.url, "--header", "X-Key:${NOT_SET_ANYWHERE}"],
                          input=b"", capture_output=True, env=env, timeout=30)
    assert proc.returncode == 1
    assert b"${NOT_SET_ANYWHERE}, which is not set" in proc.stderr


METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


def sqlite_dump(db):
    import sqlite3
    with sqlite3.connect(db) as conn:
        yield from conn.iterdump()


def test_server_to_client_requests_are_answered_and_correlated(argus, db, http_server):
    """Elicitation: the server's request rides the POST's SSE stream, the client's answer goes
    back as a POST of its own, and both are recorded as one call. (With JSON answers the SDK's
    server has no back-channel for its own requests, with or without argus.)"""
    from mcp_types import ElicitResult

    server = http_server()

    async def answer(context, params):
        return ElicitResult(action="accept", content={"colour": "teal"})

    direct = run(server.url, "legacy", [("ask", {})], elicitation_callback=answer)
    wrapped = run(through_argus(argus, db, server.url), "legacy", [("ask", {})], elicitation_callback=answer)
    assert wrapped == direct
    assert wrapped[1][0]["content"][0]["text"] == "accept:teal"
    [elicit] = query(db, "SELECT direction, status FROM calls WHERE method = 'elicitation/create'")
    assert elicit["status"] == "ok", elicit


def test_a_forgotten_session_is_renewed_without_the_client_noticing(argus, db, http_server):
    server = http_server()

    async def scenario():
        async with Client(through_argus(argus, db, server.url), mode="legacy") as client:
            first = await client.call_tool("add", {"a": 1, "b": 2})
            # The server restarts on the same port and forgets every session.
            server.stop()
            server.process = subprocess.Popen([sys.executable, str(HERE / "http_mcp_server.py"), str(server.port)],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert server.process.stdout.readline().strip() == "ready"
            second = await client.call_tool("add", {"a": 3, "b": 4})
            return dump(first), dump(second)

    first, second = anyio.run(scenario)
    assert first["structuredContent"] == {"result": 3}
    assert second["structuredContent"] == {"result": 7}
    events = [f["event"] for f in transport_frames(db)]
    assert events[:1] == ["session_started"] and "session_expired" in events and "session_renewed" in events, events


def test_a_remote_server_named_in_the_config(argus, db, http_server, tmp_path, monkeypatch):
    token = "tok_named_0123456789abcdef"
    server = http_server("--token", token)
    monkeypatch.setenv("NAMED_TOKEN", token)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"servers": {"remote": {"url": server.url,
                                                         "headers": {"Authorization": "Bearer ${NAMED_TOKEN}"}}}}))
    params = StdioServerParameters(command=argus, args=["wrap", "--config", str(config), "--db", str(db), "remote"],
                                   env={**os.environ})
    tools, results = run(params, "legacy", [("add", {"a": 20, "b": 22})])
    assert results[0]["structuredContent"] == {"result": 42}
    [run_row] = query(db, "SELECT server_name, command FROM runs")
    assert run_row == {"server_name": "remote", "command": server.url}
    assert token not in "\n".join(sqlite_dump(db))


def make_certificate(directory: pathlib.Path):
    """A CA made by the test, and a certificate it signs for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argus test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def test_https_upstream_trusted_through_ssl_cert_file_and_refused_otherwise(argus, db, http_server, tmp_path, monkeypatch):
    ca, cert, key = make_certificate(tmp_path)
    server = http_server("--tls", str(cert), str(key))
    url = server.url.replace("http://", "https://")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    tools, results = run(through_argus(argus, db, url), "legacy", [("add", {"a": 1, "b": 1})])
    assert results[0]["structuredContent"] == {"result": 2}

    # Without the test's CA the certificate does not verify: a clear error, never a silent skip.
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(Exception) as failure:
        run(through_argus(argus, db, url), "legacy", [])
    [error] = errors_in(failure.value)
    assert "could not be reached" in str(error) and "certificate" in str(error).lower(), error


def test_setup_writes_an_entry_that_reaches_the_remote_server(argus, db, http_server, tmp_path, monkeypatch):
    token = "tok_setup_0123456789abcdef"
    server = http_server("--token", token)
    monkeypatch.setenv("ARGUS_DB", str(db))
    client_file = tmp_path / "claude_desktop_config.json"
    subprocess.run([argus, "setup", "--client", "claude-desktop", "--write", "--client-config", str(client_file),
                    "--url", server.url, "--header", "Authorization:Bearer ${SETUP_TOKEN}"], check=True, capture_output=True)
    [entry] = json.loads(client_file.read_text())["mcpServers"].values()
    assert entry["args"][-2:] == ["--header", "Authorization:Bearer ${SETUP_TOKEN}"]
    assert list(entry["env"]) == ["SETUP_TOKEN"]
    # The client starts the entry as written, with the variable it was told to fill in.
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env={**os.environ, "SETUP_TOKEN": token})
    tools, results = run(params, "legacy", [("echo", {"text": "through setup"})])
    assert results[0]["content"][0]["text"] == "through setup"
    assert query(db, "SELECT server_name FROM runs") == [{"server_name": "127.0.0.1"}]


@pytest.mark.parametrize("mode", MODES)
def test_faults_are_injected_into_a_remote_session_and_marked(argus, db, http_server, tmp_path, mode):
    server = http_server()
    plan = tmp_path / "faults.json"
    plan.write_text(json.dumps({"seed": 3, "faults": [
        {"tool": "echo", "kind": "is_error", "message": "injected"},
        {"tool": "add", "kind": "latency", "ms": 300},
        {"tool": "count", "kind": "stale", "after_calls": 1},
    ]}))

    async def go():
        async with Client(through_argus(argus, db, server.url, "--faults", str(plan)), mode=mode) as client:
            echo = await client.call_tool("echo", {"text": "hi"})
            started = anyio.current_time()
            add = await client.call_tool("add", {"a": 2, "b": 40})
            held = anyio.current_time() - started
            counts = [dump(await client.call_tool("count", {"n": 2})) for _ in range(2)]
            return echo, add, held, counts

    echo, add, held, counts = anyio.run(go)
    assert echo.is_error and echo.content[0].text == "injected", dump(echo)
    assert add.structured_content == {"result": 42} and held >= 0.3, (dump(add), held)
    assert counts[1] == counts[0], counts
    [run_row] = query(db, "SELECT kind FROM runs")
    assert run_row["kind"] == "chaos"
    assert [f["kind"] for f in query(db, "SELECT kind FROM faults ORDER BY id")] == ["is_error", "latency", "stale"]
    tool_calls = query(db, "SELECT tool, status FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert [c["tool"] for c in tool_calls] == ["echo", "add", "count", "count"], tool_calls
