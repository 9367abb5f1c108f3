"""Sessions for the screenshots: the MCP SDK client through `argus wrap`, with example scripts loaded."""

import os
import sys

import anyio
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

bin_dir, scripts = sys.argv[1], sys.argv[2]
wrap = ["wrap", "--name", "weather-desk", "--script", f"{scripts}/slow-call-alert.lua",
        "--script", f"{scripts}/error-rate-alert.lua", "--script", f"{scripts}/cost-metric.lua", "--", f"{bin_dir}/argus-test-server"]


async def main():
    # The SDK passes only a few variables to the server; ARGUS_DB and ARGUS_HOME must reach argus.
    params = StdioServerParameters(command=f"{bin_dir}/argus", args=wrap, env=dict(os.environ))
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        for i, city in enumerate(["Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Quito"]):
            await client.call_tool("get_weather", {"city": city})
            await client.call_tool("calculate", {"operation": "divide", "a": 100, "b": i})
            await client.call_tool("random_failure", {"seed": i})
        await client.call_tool("slow_operation", {"ms": 1200})
        await client.call_tool("echo", {"message": "deploy", "api_key": "sk-live-0123456789abcdefghij"})


anyio.run(main)
