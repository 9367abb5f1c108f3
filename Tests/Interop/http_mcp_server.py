"""A Streamable HTTP MCP server from the official Python SDK, for tests of `argus wrap --url`.

    python http_mcp_server.py PORT [--json] [--stateless] [--token T] [--tls CERT KEY]

Prints "ready" on stdout once it listens. With --token, every request needs
`Authorization: Bearer T`; others get 401 with a `WWW-Authenticate` challenge, as a
protected MCP server answers (RFC 9728), and the protected-resource metadata it names is
served at /.well-known/oauth-protected-resource/mcp."""

import argparse
import sys

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel
from starlette.responses import JSONResponse


METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


def build(json_response: bool, stateless: bool):
    server = MCPServer("http-test", instructions="A test server over Streamable HTTP.")

    @server.tool()
    def echo(text: str) -> str:
        """Returns the text."""
        return text

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two integers."""
        return a + b

    @server.tool()
    def fail(reason: str) -> str:
        """Always fails."""
        raise ValueError(reason)

    @server.tool()
    async def count(n: int, ctx: Context) -> str:
        """Counts to n, reporting progress and logging each step."""
        for i in range(1, n + 1):
            await ctx.report_progress(i, n)
            await ctx.info(f"step {i}")
        return f"counted to {n}"

    class Answer(BaseModel):
        colour: str

    @server.tool()
    async def ask(ctx: Context) -> str:
        """Asks the client a question (elicitation, a server-to-client request)."""
        result = await ctx.elicit("Favourite colour?", Answer)
        return f"{result.action}:{result.data.colour if result.data else ''}"

    @server.tool()
    def big(kib: int) -> str:
        """Returns kib KiB of text."""
        return "x" * (kib * 1024)

    return server.streamable_http_app(json_response=json_response, stateless_http=stateless)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--token")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate and key")
    args = parser.parse_args()
    app = build(args.json, args.stateless)
    if args.token:
        inner = app

        async def guarded(scope, receive, send):
            if scope["type"] == "http" and scope["path"] == METADATA_PATH:
                metadata = {"resource": f"http://127.0.0.1:{args.port}/mcp",
                            "authorization_servers": ["https://auth.example.com"], "scopes_supported": ["mcp"]}
                await JSONResponse(metadata)(scope, receive, send)
                return
            if scope["type"] == "http":
                headers = dict(scope["headers"])
                if headers.get(b"authorization") != f"Bearer {args.token}".encode():
                    challenge = f'Bearer resource_metadata="http://127.0.0.1:{args.port}{METADATA_PATH}"'
                    response = JSONResponse({"error": "invalid_token"}, status_code=401,
                                            headers={"WWW-Authenticate": challenge})
                    await response(scope, receive, send)
                    return
            await inner(scope, receive, send)

        app = guarded
    tls = {"ssl_certfile": args.tls[0], "ssl_keyfile": args.tls[1]} if args.tls else {}
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on", **tls)
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(*a, **k):
        await original(*a, **k)
        print("ready", flush=True)

    server.startup = startup
    server.run()


if __name__ == "__main__":
    sys.exit(main())
