"""Replay and tests against a URL: calls recorded over Streamable HTTP (`argus wrap --url`,
`argus record --url`) replay against the live server, in both protocol eras, with the
credential given by `--header` from the environment, never taken from or put into a recording
or a suite."""

import json
import os
import subprocess

import pytest

from conftest import query
from test_remote import FLAVOURS, MODES, http_server, run, sqlite_dump, through_argus  # noqa: F401 (http_server is a fixture)

TOKEN = "tok_replay_9c8b7a6f5e4d3c2b1a0f"
HEADER = "Authorization:Bearer ${REPLAY_TOKEN}"
CALLS = [("add", {"a": 2, "b": 40}), ("echo", {"text": "hello"}), ("fail", {"reason": "on purpose"}), ("count", {"n": 2})]
ALLOW = ["--allow", "*"]  # the SDK's tools carry no read-only annotation


def argus_cli(argus, db, *args, env=None, timeout=60):
    return subprocess.run([argus, *args, "--db", str(db)], capture_output=True, text=True, timeout=timeout,
                          env=env or {**os.environ})


def assert_no_token(db, *files):
    assert TOKEN not in "\n".join(sqlite_dump(db))
    for file in files:
        assert TOKEN not in file.read_text(), file


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("mode", MODES)
def test_calls_recorded_through_wrap_url_replay_and_test_against_the_url(argus, db, http_server, tmp_path, monkeypatch,
                                                                         mode, flavour):
    server = http_server("--token", TOKEN, *FLAVOURS[flavour])
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    run(through_argus(argus, db, server.url, "--header", HEADER), mode, CALLS)
    [recorded] = query(db, "SELECT id, protocol_version FROM runs")
    assert recorded["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    [add] = query(db, "SELECT id FROM calls WHERE tool = 'add'")

    replay = argus_cli(argus, db, "replay", str(add["id"]), "--json", "--allow", "add", "--header", HEADER)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    result = json.loads(replay.stdout)
    assert result["outcome"] == "equal", result
    assert result["actual"]["result"]["structuredContent"] == {"result": 42}
    [replay_run] = query(db, "SELECT kind, command, args, protocol_version FROM runs WHERE id = ?", result["replay_run_id"])
    assert replay_run["kind"] == "replay" and replay_run["command"] == server.url, replay_run
    assert replay_run["protocol_version"] == recorded["protocol_version"], replay_run
    assert json.loads(replay_run["args"])[0] == "--header" and "Authorization" in replay_run["args"], replay_run

    suite = tmp_path / "suite.json"
    exported = argus_cli(argus, db, "export", "--run", str(recorded["id"]), "--out", str(suite))
    assert exported.returncode == 0, exported.stderr
    tested = argus_cli(argus, db, "test", "--suite", str(suite), *ALLOW, "--header", HEADER)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 calls: 4 equal, 0 changed, 0 failed, 0 skipped" in tested.stdout, tested.stdout
    assert_no_token(db, suite)

    # Without the credential: a failed replay that says why (HTTP 401, the header to give), never a diff.
    bare = argus_cli(argus, db, "replay", str(add["id"]), "--allow", "add")
    assert bare.returncode == 2, bare.stdout + bare.stderr
    assert "HTTP 401" in bare.stdout and "--header" in bare.stderr, bare.stdout + bare.stderr


@pytest.mark.parametrize("mode", MODES)
def test_record_a_scenario_against_a_url_as_one_run_whose_suite_passes(argus, db, http_server, tmp_path, monkeypatch,
                                                                       mode):
    server = http_server("--token", TOKEN)
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    scenario = tmp_path / "scenario.json"
    calls = [{"tool": name, "arguments": arguments} for name, arguments in CALLS]
    scenario.write_text(json.dumps(calls if mode == "legacy" else {"protocol_version": mode, "calls": calls}))
    suite = tmp_path / "suite.json"

    recorded = argus_cli(argus, db, "record", "--scenario", str(scenario), "--url", server.url, "--header", HEADER,
                         "--out", str(suite))
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "4 calls: 4 answered (1 an error), 0 without an answer; recorded as run 1" in recorded.stdout, recorded.stdout
    runs = query(db, "SELECT kind, server_name, command, protocol_version FROM runs")
    assert runs == [{"kind": "wrap", "server_name": "127.0.0.1", "command": server.url,
                     "protocol_version": "2025-11-25" if mode == "legacy" else "2026-07-28"}], runs
    tools = query(db, "SELECT tool, is_error FROM calls WHERE method = 'tools/call' ORDER BY id")
    assert tools == [{"tool": name, "is_error": int(name == "fail")} for name, _ in CALLS], tools

    tested = argus_cli(argus, db, "test", "--suite", str(suite), *ALLOW, "--header", HEADER)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 calls: 4 equal" in tested.stdout, tested.stdout
    assert "argus/transport" not in suite.read_text()  # what HTTP did is argus's record, not the server's messages
    assert_no_token(db, suite)


def test_a_recorded_url_replays_with_the_headers_of_the_configured_server(argus, db, http_server, tmp_path, monkeypatch):
    server = http_server("--token", TOKEN)
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    run(through_argus(argus, db, server.url, "--header", HEADER), "legacy", CALLS[:1])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"servers": {"remote": {"url": server.url,
                                                         "headers": {"Authorization": "Bearer ${REPLAY_TOKEN}"}}}}))
    [add] = query(db, "SELECT id FROM calls WHERE tool = 'add'")
    replay = argus_cli(argus, db, "replay", str(add["id"]), "--allow", "add", "--config", str(config))
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_an_unset_header_variable_is_a_clear_error(argus, db, http_server, monkeypatch):
    server = http_server()
    run(through_argus(argus, db, server.url), "legacy", CALLS[:1])
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    [add] = query(db, "SELECT id FROM calls WHERE tool = 'add'")
    replay = argus_cli(argus, db, "replay", str(add["id"]), "--allow", "add", "--header", "X-Key:${NOT_SET_ANYWHERE}")
    assert replay.returncode == 2, replay.stdout + replay.stderr
    assert "${NOT_SET_ANYWHERE}, which is not set" in replay.stdout, replay.stdout


def test_a_run_recorded_by_argus_proxy_replays_against_its_upstream(argus, db, http_server, monkeypatch):
    import anyio
    from test_proxy import Proxy, _session, with_headers

    server = http_server("--token", TOKEN)
    proxy = Proxy(argus, db, "--upstream", server.url)
    try:
        anyio.run(lambda: _session(with_headers(proxy.url, {"Authorization": f"Bearer {TOKEN}"}), CALLS))
    finally:
        proxy.stop()
    [recorded] = query(db, "SELECT id, command FROM runs")
    assert recorded["command"] == server.url, recorded
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    tested = argus_cli(argus, db, "test", "--run", str(recorded["id"]), *ALLOW, "--header", HEADER)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 calls: 4 equal" in tested.stdout, tested.stdout
    assert_no_token(db)


def test_the_dashboard_replays_a_remote_call_with_the_configured_servers_headers(argus, db, http_server, tmp_path,
                                                                                 private_home, monkeypatch):
    import re
    import urllib.request

    server = http_server("--token", TOKEN)
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    run(through_argus(argus, db, server.url, "--header", HEADER), "2026-07-28", CALLS[:1])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"servers": {"remote": {"url": server.url,
                                                         "headers": {"Authorization": "Bearer ${REPLAY_TOKEN}"}}}}))
    process = subprocess.Popen([argus, "dashboard", "--db", str(db), "--port", "0", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        found = re.search(r"http://127\.0\.0\.1:\d+/", process.stdout.readline())
        assert found, process.stderr.read() if process.poll() is not None else "no URL"
        [add] = query(db, "SELECT id FROM calls WHERE tool = 'add'")
        request = urllib.request.Request(
            f"{found[0]}api/calls/{add['id']}/replay", data=json.dumps({"confirm_destructive": True}).encode(),
            headers={"X-Argus-Token": (private_home / ".argus" / "token").read_text().strip(),
                     "Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.load(response)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result["outcome"] == "equal", result
    assert result["actual"]["result"]["structuredContent"] == {"result": 42}
    assert_no_token(db)
