"""Alerts raised by a Lua script reach a webhook as JSON (a real HTTP server on 127.0.0.1),
configured through argus.config.json, while the MCP session goes on."""

import http.server
import json
import threading

import anyio
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

from conftest import query


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_alert_is_posted_to_the_configured_webhook(argus, test_server, db, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = tmp_path / "failures.lua"
    script.write_text("""
        SCRIPT = { name = "failures", match = { tool = "always_*" } }
        function alert(call)
          if call.is_error then
            return { level = "critical", message = call.tool .. " failed", key = call.tool }
          end
        end
    """)
    config = tmp_path / "argus.config.json"
    config.write_text(json.dumps({
        "scripts": [{"path": "failures.lua"}],
        "alerts": {"webhooks": [f"http://127.0.0.1:{server.server_port}/hook"]},
    }))
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--config", str(config), "--", test_server])

    async def go():
        async with Client(params, mode="legacy") as client:
            failed = await client.call_tool("always_fail", {})
            ok = await client.call_tool("echo", {"message": "still fine"})
            return failed, ok

    failed, ok = anyio.run(go)
    server.shutdown()
    assert failed.is_error and ok.structured_content == {"echo": "still fine"}
    assert len(Receiver.received) == 1
    path, content_type, alert = Receiver.received[0]
    assert path == "/hook" and content_type == "application/json"
    assert alert["type"] == "argus.alert"
    assert alert["level"] == "critical"
    assert alert["message"] == "always_fail failed"
    assert alert["script"] == "failures"
    assert alert["tool"] == "always_fail"
    [stored] = query(db, "SELECT * FROM script_outputs WHERE kind = 'alert'")
    assert stored["message"] == "always_fail failed"
