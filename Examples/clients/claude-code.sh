#!/bin/sh
# Register wrapped servers with Claude Code (user scope).
claude mcp add --scope user time -- /usr/local/bin/argus wrap --name time -- uvx mcp-server-time
claude mcp add --scope user github -e GITHUB_PERSONAL_ACCESS_TOKEN=ghp_your_token_here -- \
  /usr/local/bin/argus wrap --name github -- \
  docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server
