"""Start-up of `argus wrap --url` next to `argus wrap --`, interleaved in one run.

Each sample spawns argus, writes an `initialize` request on its stdin and times the answer
line on its stdout: the stdio server is the bundled argus-test-server; the remote one is the
MCP Python SDK's Streamable HTTP server (Tests/Interop/http_mcp_server.py), already running,
and its answer time alone (a direct POST) is measured in the same run as the baseline.

    .venv/bin/python Scripts/bench/remote_startup.py [BIN_DIR] [RUNS]
"""

import json
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".build" / "debug"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def through_argus(args, db):
    start = time.monotonic()
    p = subprocess.Popen([str(BIN / "argus"), "wrap", "--db", db, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write((json.dumps(INIT) + "\n").encode())
    p.stdin.flush()
    line = p.stdout.readline()
    elapsed = (time.monotonic() - start) * 1000
    assert b'"result"' in line, line
    p.stdin.close()
    p.wait()
    return elapsed


def direct_post(url):
    start = time.monotonic()
    request = urllib.request.Request(url, data=json.dumps(INIT).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with urllib.request.urlopen(request) as response:
        response.read()
    return (time.monotonic() - start) * 1000


def main():
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    server = subprocess.Popen([sys.executable, str(ROOT / "Tests/Interop/http_mcp_server.py"), str(port), "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout.readline().strip() == "ready"
    db = tempfile.mkdtemp() + "/bench.db"
    samples = {"stdio": [], "url": [], "direct": []}
    try:
        for i in range(RUNS + 2):
            stdio = through_argus(["--", str(BIN / "argus-test-server")], db)
            remote = through_argus(["--url", url], db)
            direct = direct_post(url)
            if i >= 2:
                samples["stdio"].append(stdio)
                samples["url"].append(remote)
                samples["direct"].append(direct)
    finally:
        server.terminate()
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"remote start-up: spawn to the initialize answer, {RUNS} runs each, interleaved")
    print("| argus wrap -- argus-test-server (ms) | argus wrap --url (ms) | of which the HTTP server's answer, direct (ms) | --url minus -- (ms) |")
    print("|---|---|---|---|")
    print(f"| {med['stdio']:.1f} | {med['url']:.1f} | {med['direct']:.1f} | {med['url'] - med['stdio']:.1f} |")


if __name__ == "__main__":
    main()
