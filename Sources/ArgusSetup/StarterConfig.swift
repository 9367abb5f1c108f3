/// The file `argus setup --init` writes: every setting, at its default or as an
/// example, explained by "// …" keys (JSON has no comments; argus ignores keys
/// that start with //).
public enum StarterConfig {
    public static let text = #"""
        {
          "// argus": "Argus configuration. Keys starting with // are comments. Flags on the command line win over this file.",

          "// database": "Where recordings go. Default ~/.argus/argus.db; ARGUS_DB and --db win over this. Example: \"database\": \"~/argus/recordings.db\"",

          "// idle_timeout": "Seconds without traffic after which the next message starts a new run.",
          "idle_timeout": 60,

          "// redaction": "Secrets are replaced before anything is stored. keys: extra key names; patterns: extra value shapes (POSIX regular expressions).",
          "redaction": {
            "enabled": true,
            "keys": [],
            "patterns": [
              { "name": "internal-ticket", "regex": "TKT-[0-9]{6}" }
            ]
          },

          "// scripts": "Lua scripts run on every call (see Docs/LUA.md). Each: a path, or { path, config, priority, match }.",
          "scripts": [],
          "// scripts_dir": "Or: every .lua file in a directory, e.g. \"~/.argus/scripts\".",

          "// script_limits": "What each script may use per call.",
          "script_limits": { "memory_mb": 16, "instructions": 2000000, "time_ms": 100 },

          "// alerts": "Alerts raised by scripts are also POSTed to these URLs.",
          "alerts": { "webhooks": [] },

          "// dashboard": "argus dashboard listens here (loopback only unless --allow-remote).",
          "dashboard": { "port": 3000, "host": "127.0.0.1" },

          "// replay": "Differences to ignore when replaying, per tool (or * for all): JSON pointers, * and ** globs, or bare names. safe_tools: tools (globs) that only read, which argus test and argus replay may replay although their server does not annotate them read-only.",
          "replay": {
            "ignore": { "*": ["**/request_id"] },
            "safe_tools": [],
            "seal": true
          },

          "// servers": "Named servers: `argus wrap NAME`, `argus setup --client … --server NAME`, `argus replay --server NAME`. ${VAR} comes from the environment.",
          "// servers, an example": "Rename a key below without its // to use it. Commands need absolute paths when a desktop client starts argus.",
          "servers": {
            "// time": { "command": "/usr/local/bin/uvx", "args": ["mcp-server-time"] },
            "// github (in a container; -e NAME without a value forwards the variable)": {
              "command": "docker",
              "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
              "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PERSONAL_ACCESS_TOKEN}" }
            }
          }
        }

        """#
}
