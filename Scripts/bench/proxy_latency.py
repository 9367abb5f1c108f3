"""Added latency per call through `argus proxy` on loopback, against the same calls made
directly, in one run; and, like for like, the stdio→HTTP bridges `argus wrap --url` and
PyPI's `mcp-proxy` (client mode) side by side.

The upstream is the MCP Python SDK's Streamable HTTP server (Tests/Interop/http_mcp_server.py,
stateful, JSON answers). Each round makes one `tools/call` on every path, in a shuffled order,
so that the machine's drift falls on all paths alike. Times are client-side, per call, from
the request's first byte to the answer's last.

    .venv/bin/python Scripts/bench/proxy_latency.py BIN_DIR [--rounds N] [--mcp-proxy PATH] [--baseline-argus PATH]

`--baseline-argus` adds `argus proxy` from another build (say, main's) as a path of its own,
so a change is measured against what it replaces in the same run. After the table, the
CPU time `argus proxy` spent per call, by thread (from /proc/PID/task/*/stat), says where
its added latency goes.

mcp-proxy has no HTTP→HTTP mode: in front of an HTTP client it takes two of its processes,
server mode (HTTP→stdio) in front of client mode (stdio→HTTP). That chain is measured too,
labelled as what it is. Its server mode is like for like with `argus proxy -- command`: both
serve the bundled argus-test-server (stdio) over Streamable HTTP, measured side by side (no
direct baseline exists for a stdio server spoken to over HTTP).
"""

import argparse
import http.client
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def call(i):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "add", "arguments": {"a": i, "b": 1}}}


def calculate(i):
    """The same call to argus-test-server."""
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": "calculate", "arguments": {"operation": "add", "a": i, "b": 1}}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class HTTPPath:
    """An MCP session over one keep-alive HTTP connection."""

    def __init__(self, port, path="/mcp", make_call=call):
        self.make_call = make_call
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path
        self.headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        response = self.post(INIT)
        session = response.getheader("Mcp-Session-Id")
        response.read()
        if session:
            self.headers["Mcp-Session-Id"] = session
        self.headers["MCP-Protocol-Version"] = "2025-11-25"
        self.post(INITIALIZED).read()

    def post(self, message):
        self.connection.request("POST", self.path, body=json.dumps(message).encode(), headers=self.headers)
        return self.connection.getresponse()

    def timed(self, i):
        start = time.perf_counter_ns()
        response = self.post(self.make_call(i))
        body = response.read()
        elapsed = time.perf_counter_ns() - start
        assert response.status == 200 and b'"result"' in body, (response.status, body[:200])
        return elapsed


class StdioPath:
    """An MCP session over a bridge's stdin and stdout."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.send(INIT)
        self.answer(0)
        self.send(INITIALIZED)

    def send(self, message):
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def answer(self, i):
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the bridge closed its output")
            message = json.loads(line)
            if message.get("id") == i and "method" not in message:
                return message

    def timed(self, i):
        start = time.perf_counter_ns()
        self.send(call(i))
        answer = self.answer(i)
        elapsed = time.perf_counter_ns() - start
        assert "result" in answer, answer
        return elapsed

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def listening_port(proxy):
    """The port `argus proxy` says it listens on (after any warning, such as a configuration it cannot read)."""
    for line in proxy.stderr:
        if found := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
            return int(found[1])
    raise RuntimeError("argus proxy ended without listening")


def thread_cpu(pid):
    """CPU seconds per thread name of a process (threads of one name summed), and its context switches."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu, switches = {}, 0
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            status = (task / "status").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        cpu[name] = cpu.get(name, 0) + (int(fields[11]) + int(fields[12])) / ticks
        switches += sum(int(m) for m in re.findall(r"ctxt_switches:\s+(\d+)", status))
    return cpu, switches


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin", type=pathlib.Path)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--mcp-proxy", help="PyPI mcp-proxy's executable (a venv of its own)")
    parser.add_argument("--baseline-argus", help="another build's argus, measured as a path of its own")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp()
    db = f"{scratch}/bench.db"
    upstream_port = free_port()
    url = f"http://127.0.0.1:{upstream_port}/mcp"
    processes = []

    def start(command, **kwargs):
        process = subprocess.Popen(command, **kwargs)
        processes.append(process)
        return process

    try:
        upstream = start([sys.executable, str(ROOT / "Tests/Interop/http_mcp_server.py"), str(upstream_port), "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert upstream.stdout.readline().strip() == "ready"
        proxy = start([str(args.bin / "argus"), "proxy", "--db", db, "--listen", "127.0.0.1:0", "--upstream", url],
                      stderr=subprocess.PIPE, text=True)
        proxy_port = listening_port(proxy)
        if args.baseline_argus:
            baseline = start([args.baseline_argus, "proxy", "--db", f"{scratch}/baseline.db", "--listen", "127.0.0.1:0",
                              "--upstream", url], stderr=subprocess.PIPE, text=True)
            baseline_port = listening_port(baseline)

        chain_port = free_port()
        if args.mcp_proxy:
            start([args.mcp_proxy, "--port", str(chain_port), "--host", "127.0.0.1", "--log-level", "WARNING", "--",
                   args.mcp_proxy, "--transport", "streamablehttp", "--log-level", "WARNING", url],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(chain_port)
        # The floor for any extra hop on this machine: a TCP relay that does nothing but copy bytes.
        relay_port = free_port() if shutil.which("socat") else None
        if relay_port:
            start(["socat", f"TCP-LISTEN:{relay_port},bind=127.0.0.1,reuseaddr,fork,nodelay", f"TCP:127.0.0.1:{upstream_port},nodelay"])
            wait_for_port(relay_port)
        stdio_proxy = start([str(args.bin / "argus"), "proxy", "--db", db, "--listen", "127.0.0.1:0", "--",
                             str(args.bin / "argus-test-server")], stderr=subprocess.PIPE, text=True)
        stdio_proxy_port = int(re.search(r"127\.0\.0\.1:(\d+)", stdio_proxy.stderr.readline())[1])
        stdio_bridge_port = free_port()
        if args.mcp_proxy:
            start([args.mcp_proxy, "--port", str(stdio_bridge_port), "--host", "127.0.0.1", "--log-level", "WARNING", "--",
                   str(args.bin / "argus-test-server")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(stdio_bridge_port)
        # Sessions open once every process is up: an HTTP server closes a connection left idle for seconds.
        # Stdio bridges first (mcp-proxy's takes seconds to start); then the HTTP sessions, which
        # an HTTP server would close if left idle for seconds.
        bridges = {"argus wrap --url (stdio→HTTP)": StdioPath([str(args.bin / "argus"), "wrap", "--db", db, "--url", url])}
        if args.mcp_proxy:
            bridges["mcp-proxy (stdio→HTTP)"] = StdioPath([args.mcp_proxy, "--transport", "streamablehttp", "--log-level",
                                                           "WARNING", url])
        paths = {"direct (HTTP)": HTTPPath(upstream_port)}
        if relay_port:
            paths["socat TCP relay (a hop that only copies bytes)"] = HTTPPath(relay_port)
        paths["argus proxy (HTTP→HTTP)"] = HTTPPath(proxy_port)
        if args.baseline_argus:
            paths["argus proxy, baseline build (HTTP→HTTP)"] = HTTPPath(baseline_port)
        paths.update(bridges)
        if args.mcp_proxy:
            paths["mcp-proxy server→client chain (HTTP→stdio→HTTP)"] = HTTPPath(chain_port)
        paths["argus proxy -- argus-test-server (HTTP→stdio)"] = HTTPPath(stdio_proxy_port, make_call=calculate)
        if args.mcp_proxy:
            paths["mcp-proxy -- argus-test-server (HTTP→stdio)"] = HTTPPath(stdio_bridge_port, make_call=calculate)

        samples = {name: [] for name in paths}
        names = list(paths)
        for i in range(1, args.warmup + args.rounds + 1):
            random.shuffle(names)
            for name in names:
                try:
                    elapsed = paths[name].timed(i)
                except Exception as error:
                    raise RuntimeError(f"{name}: call {i}") from error
                if i > args.warmup:
                    samples[name].append(elapsed / 1000)
            if i == args.warmup:
                cpu_before, switches_before = thread_cpu(proxy.pid)
        cpu_after, switches_after = thread_cpu(proxy.pid)
        rss_kib = int(re.search(r"VmRSS:\s+(\d+)", pathlib.Path(f"/proc/{proxy.pid}/status").read_text())[1])
    finally:
        for path in list(locals().get("paths", {}).values()):
            if isinstance(path, StdioPath):
                path.close()
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    base = statistics.median(samples["direct (HTTP)"])
    print(f"Added latency per `tools/call` through proxies on loopback: {args.rounds} calls on each path, interleaved "
          f"(shuffled order each round, {args.warmup} warm-up rounds), upstream: the MCP Python SDK's Streamable HTTP server "
          f"(stateful, JSON answers); recording on.")
    print()
    print("| path | p50 (µs) | p90 (µs) | p99 (µs) | p50 added to direct (µs) |")
    print("|---|---|---|---|---|")
    for name, values in samples.items():
        p50 = statistics.median(values)
        added = "—" if name.startswith("direct") or "argus-test-server" in name else f"{p50 - base:+.0f}"
        print(f"| {name} | {p50:.0f} | {percentile(values, 0.9):.0f} | {percentile(values, 0.99):.0f} | {added} |")
    print()
    print(f"argus proxy's resident memory after the run: {rss_kib / 1024:.1f} MiB.")
    print()
    spent = {name: cpu_after[name] - cpu_before.get(name, 0) for name in cpu_after}
    total = sum(spent.values())
    print(f"argus proxy's CPU per call (HTTP→HTTP, the {args.rounds} measured calls): {total / args.rounds * 1e6:.0f} µs, "
          f"{(switches_after - switches_before) / args.rounds:.1f} context switches; by thread: "
          + ", ".join(f"{name} {value / args.rounds * 1e6:.0f} µs" for name, value in sorted(spent.items(), key=lambda item: -item[1])
                      if value > 0) + ".")


if __name__ == "__main__":
    main()
