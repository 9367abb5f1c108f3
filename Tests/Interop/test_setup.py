"""`argus setup`: each client's entry merged into a realistic existing config file, read
back with a real JSON or TOML parser; other entries untouched; idempotent; backed up.
And a named server from the config, set up and then driven by the MCP SDK client."""

import json
import os
import subprocess
import tomllib

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

ARGUS_PATH = "/opt/argus/bin/argus"  # what the entries should call (need not exist to be written)


def setup(argus, *args, env=None):
    return subprocess.run([argus, "setup", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


EXISTING_JSON = {
    "claude-desktop": {"globalShortcut": "Ctrl+Space", "mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me"]}}},
    "claude-code": {"mcpServers": {"memory": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}}},
    "cursor": {"mcpServers": {"linear": {"url": "https://mcp.linear.app/sse"}}},
    "vscode": {"servers": {"playwright": {"type": "stdio", "command": "npx", "args": ["@playwright/mcp@latest"]}},
               "inputs": [{"type": "promptString", "id": "other", "description": "x"}]},
}
SERVERS_KEY = {"claude-desktop": "mcpServers", "claude-code": "mcpServers", "cursor": "mcpServers", "vscode": "servers"}
ENV_STYLE = {"claude-desktop": "<set API_KEY here>", "claude-code": "${API_KEY}", "cursor": "${env:API_KEY}",
             "vscode": "${input:argus-api-key}"}


@pytest.mark.parametrize("client", list(EXISTING_JSON))
def test_json_clients_get_the_entry_and_keep_the_rest(argus, tmp_path, client):
    path = tmp_path / "client.json"
    path.write_text(json.dumps(EXISTING_JSON[client], indent=4))
    original = path.read_text()
    command = ["--client", client, "--write", "--client-config", str(path), "--argus", ARGUS_PATH,
               "--", "docker", "run", "-i", "--rm", "-e", "API_KEY", "ghcr.io/acme/weather-mcp"]
    first = setup(argus, *command)
    assert first.returncode == 0, first.stderr
    assert "Wrote weather-mcp" in first.stdout

    data = json.loads(path.read_text())
    key = SERVERS_KEY[client]
    for name, entry in EXISTING_JSON[client][key].items():
        assert data[key][name] == entry  # other servers untouched
    for other in EXISTING_JSON[client]:
        if other != key:
            assert other in data
    entry = data[key]["weather-mcp"]
    assert entry["command"] == ARGUS_PATH
    assert entry["args"] == ["wrap", "--name", "weather-mcp", "--", "docker", "run", "-i", "--rm", "-e", "API_KEY",
                             "ghcr.io/acme/weather-mcp"]
    assert entry["env"] == {"API_KEY": ENV_STYLE[client]}
    if client == "vscode":
        assert [i["id"] for i in data["inputs"]] == ["other", "argus-api-key"]

    backups = list(tmp_path.glob("client.json.argus-backup-*"))
    assert len(backups) == 1 and backups[0].read_text() == original

    # Again: nothing to do, nothing written.
    written = path.read_text()
    second = setup(argus, *command)
    assert second.returncode == 0 and "already has this entry" in second.stdout
    assert path.read_text() == written
    assert len(list(tmp_path.glob("client.json.argus-backup-*"))) == 1


def test_codex_gets_a_toml_table_and_the_rest_of_the_file_stays(argus, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# my settings\nmodel = "o4"\n\n[mcp_servers.time]\ncommand = "uvx"\nargs = ["mcp-server-time"]\n\n'
                    '[profiles.fast]\nmodel = "o4-mini"\n')
    result = setup(argus, "--client", "codex", "--write", "--client-config", str(path), "--argus", ARGUS_PATH,
                   "--name", "acme", "--env", "ACME_TOKEN", "--", "npx", "-y", "acme-mcp")
    assert result.returncode == 0, result.stderr
    data = tomllib.loads(path.read_text())
    assert data["model"] == "o4" and data["profiles"]["fast"]["model"] == "o4-mini"
    assert data["mcp_servers"]["time"] == {"command": "uvx", "args": ["mcp-server-time"]}
    assert data["mcp_servers"]["acme"] == {"command": ARGUS_PATH, "args": ["wrap", "--name", "acme", "--", "npx", "-y", "acme-mcp"],
                                           "env_vars": ["ACME_TOKEN"]}
    assert path.read_text().startswith("# my settings\n")
    assert "already has this entry" in setup(argus, "--client", "codex", "--write", "--client-config", str(path), "--argus",
                                             ARGUS_PATH, "--name", "acme", "--env", "ACME_TOKEN", "--", "npx", "-y", "acme-mcp").stdout

    # --copy-env writes the current value instead, for setups without a forwarded environment.
    copied = setup(argus, "--client", "codex", "--write", "--client-config", str(path), "--argus", ARGUS_PATH, "--name", "acme",
                   "--env", "ACME_TOKEN", "--copy-env", "--", "npx", "-y", "acme-mcp", env={"ACME_TOKEN": 'tok"en'})
    assert copied.returncode == 0, copied.stderr
    assert tomllib.loads(path.read_text())["mcp_servers"]["acme"]["env"] == {"ACME_TOKEN": 'tok"en'}


def test_printed_snippets_parse(argus):
    for client in ["claude-desktop", "cursor", "vscode"]:
        result = setup(argus, "--client", client, "--argus", ARGUS_PATH, "--", "uvx", "mcp-server-time")
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout)
    codex = setup(argus, "--client", "codex", "--argus", ARGUS_PATH, "--", "uvx", "mcp-server-time")
    assert tomllib.loads(codex.stdout)["mcp_servers"]["mcp-server-time"]["command"] == ARGUS_PATH
    # --claude is the original tool's spelling of --client claude-desktop.
    alias = setup(argus, "--claude", "--argus", ARGUS_PATH, "--", "uvx", "mcp-server-time")
    assert json.loads(alias.stdout) == json.loads(setup(argus, "--client", "claude-desktop", "--argus", ARGUS_PATH, "--", "uvx",
                                                        "mcp-server-time").stdout)
    bad = setup(argus, "--client", "notepad", "--", "x")
    assert bad.returncode != 0 and "unknown client notepad" in bad.stderr


def test_init_writes_a_valid_commented_config_and_never_overwrites(argus, tmp_path):
    path = tmp_path / "argus.config.json"
    first = setup(argus, "--init", "--config", str(path))
    assert first.returncode == 0, first.stderr
    text = path.read_text()
    assert '"// redaction"' in text and json.loads(text)["dashboard"]["port"] == 3000
    path.write_text(text + "\n")
    again = setup(argus, "--init", "--config", str(path))
    assert again.returncode != 0 and "--force" in again.stderr
    assert path.read_text() == text + "\n"
    assert setup(argus, "--init", "--force", "--config", str(path)).returncode == 0
    assert path.read_text() == text
    diagnose = subprocess.run([argus, "diagnose", "--config", str(path), "--json"], capture_output=True, text=True, timeout=60)
    checks = json.loads(diagnose.stdout)["checks"]
    assert any(c["section"] == "config" and c["status"] == "ok" for c in checks)


def test_a_named_server_is_set_up_and_runs_as_the_client_would_start_it(argus, test_server, tmp_path, db):
    config = tmp_path / "argus.config.json"
    config.write_text(json.dumps({"database": str(db), "servers": {
        "tester": {"command": test_server, "env": {"TEST_API_TOKEN": "${TEST_API_TOKEN}", "ARGUS_TEST_SEED": "7"}}}}))
    client_file = tmp_path / "mcp.json"
    result = setup(argus, "--client", "cursor", "--server", "tester", "--write", "--client-config", str(client_file),
                   "--config", str(config))
    assert result.returncode == 0, result.stderr
    entry = json.loads(client_file.read_text())["mcpServers"]["tester"]
    assert entry["args"] == ["wrap", "--config", str(config), "tester"]
    assert entry["env"] == {"TEST_API_TOKEN": "${env:TEST_API_TOKEN}"}

    # Start it the way Cursor would: the entry's command and args, the env it expands.
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env={"TEST_API_TOKEN": "tok-1234567890abc"})

    async def go():
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("echo", {"message": "hello"})
            return result.model_dump(mode="json")

    result = anyio.run(go)
    assert result["content"][0]["text"] == "hello"
    runs = subprocess.run([argus, "runs", "--db", str(db), "--json"], capture_output=True, text=True, timeout=30)
    [run] = json.loads(runs.stdout)
    assert run["server"] == "tester"
    assert "TEST_API_TOKEN" in run["env_names"]

    # Without the variable, the server is refused with a message that names it.
    missing = subprocess.run([argus, "wrap", "--config", str(config), "tester"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL, env={k: v for k, v in os.environ.items() if k != "TEST_API_TOKEN"})
    assert missing.returncode != 0
    assert "TEST_API_TOKEN is not set" in missing.stderr
