"""A real OTLP/HTTP receiver for the tests: it decodes what argus sends with the official
`opentelemetry-proto` package (binary protobuf, or OTLP/JSON through protobuf's own JSON
parser), keeps every request with its headers, and can be told to refuse or to stall.
Being stopped and started again on the same port stands for a backend that goes down."""

import base64
import http.server
import json
import threading
import time

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

ID_FIELDS = {"traceId", "spanId", "parentSpanId"}


def _hex_ids_to_base64(value):
    """OTLP/JSON writes ids in hex; protobuf's JSON parser expects base64 for bytes."""
    if isinstance(value, dict):
        return {
            k: (base64.b64encode(bytes.fromhex(v)).decode() if k in ID_FIELDS and isinstance(v, str) else _hex_ids_to_base64(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_hex_ids_to_base64(v) for v in value]
    return value


class OTLPReceiver:
    def __init__(self, port: int = 0):
        self.requests = []  # (path, headers dict, decoded message)
        self.status = 200  # what to answer
        self.delay = 0.0  # seconds to wait before answering
        self.lock = threading.Lock()
        self.port = port
        self._server = None
        self.start()

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.status != 200:
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                kind = self.headers.get("Content-Type", "")
                if self.path == "/v1/traces":
                    message, answer = ExportTraceServiceRequest(), ExportTraceServiceResponse()
                elif self.path == "/v1/metrics":
                    message, answer = ExportMetricsServiceRequest(), ExportMetricsServiceResponse()
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "application/json":
                    json_format.ParseDict(_hex_ids_to_base64(json.loads(body)), message)
                    out, out_type = json_format.MessageToJson(answer).encode(), "application/json"
                else:
                    message.ParseFromString(body)
                    out, out_type = answer.SerializeToString(), "application/x-protobuf"
                with receiver.lock:
                    receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, message, kind))
                self.send_response(200)
                self.send_header("Content-Type", out_type)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spans(self):
        """Every span received so far, with its resource's attributes, as dicts."""
        out = []
        with self.lock:
            for path, _, message, _ in self.requests:
                if path != "/v1/traces":
                    continue
                for rs in message.resource_spans:
                    resource = {a.key: _value(a.value) for a in rs.resource.attributes}
                    for ss in rs.scope_spans:
                        for s in ss.spans:
                            out.append({
                                "name": s.name,
                                "kind": s.kind,
                                "trace_id": s.trace_id.hex(),
                                "span_id": s.span_id.hex(),
                                "parent_span_id": s.parent_span_id.hex(),
                                "trace_state": s.trace_state,
                                "start": s.start_time_unix_nano,
                                "end": s.end_time_unix_nano,
                                "status_code": s.status.code,
                                "status_message": s.status.message,
                                "attributes": {a.key: _value(a.value) for a in s.attributes},
                                "resource": resource,
                            })
        return out

    def metrics(self):
        """The newest export's metrics by name: {name: (kind, [(attributes, point)])}."""
        with self.lock:
            latest = [m for p, _, m, _ in self.requests if p == "/v1/metrics"]
        if not latest:
            return {}
        out = {}
        for rm in latest[-1].resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    points = getattr(metric, kind).data_points
                    out[metric.name] = (kind, metric.unit, [({a.key: _value(a.value) for a in p.attributes}, p) for p in points])
        return out

    def wait_for(self, predicate, timeout=30.0):
        """Waits until predicate(self) is true; returns it, or fails saying what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s; received {len(self.requests)} requests, spans: "
                             f"{[s['name'] for s in self.spans()]}")


def _value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None
