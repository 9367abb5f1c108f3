"""A stand-in OTLP/HTTP backend for the benchmarks: accepts every POST with 200 and an empty
ExportTraceServiceResponse (which is zero bytes of protobuf), counting what it got. Prints its
port, then serves until stdin closes. Python's standard library only."""

import http.server
import sys
import threading


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = 0
    bytes = 0

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        Sink.requests += 1
        Sink.bytes += length
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_port, flush=True)
sys.stdin.read()
print(f"{Sink.requests} {Sink.bytes}", flush=True)
