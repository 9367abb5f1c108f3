"""`argus setup`: each client's entry merged into a realistic existing config file, read
back with a real JSON or TOML parser; other entries untouched; idempotent; backed up.
And a named server from the config, set up and then driven by the MCP SDK client."""

import json
import os
import shutil
import stat
import subprocess
import tomllib

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

ARGUS_PATH = "/opt/argus/bin/argus"  # what the entries should call (need not exist to be written)


def client_path(command):
    """What setup writes for a bare command: its absolute path on this PATH (clients lack the shell's PATH)."""
    return shutil.which(command) or command


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
    assert entry["args"] == ["wrap", "--name", "weather-mcp", "--", client_path("docker"), "run", "-i", "--rm", "-e", "API_KEY",
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
    assert data["mcp_servers"]["acme"] == {"command": ARGUS_PATH,
                                           "args": ["wrap", "--name", "acme", "--", client_path("npx"), "-y", "acme-mcp"],
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


def test_vendor_container_commands_forward_their_variables(argus):
    """The vendors' own documented `docker run` / `podman run` lines: options with values (--name X) and flags
    (--replace) before -e NAME must not hide it, and --env adds to what was found."""
    mnemonic = setup(argus, "--client", "codex", "--argus", ARGUS_PATH, "--env", "DOCKER_HOST", "--", "docker", "run", "--name",
                     "argus-api-mcp-server-stdio", "--rm", "-i", "-e", "ARGUS_API_KEY",
                     "ghcr.io/mnemonic-no/argus-api-mcp-server-stdio:latest")
    assert mnemonic.returncode == 0, mnemonic.stderr
    table = tomllib.loads(mnemonic.stdout)["mcp_servers"]["argus-api-mcp-server-stdio"]
    assert table["env_vars"] == ["DOCKER_HOST", "ARGUS_API_KEY"]

    github = setup(argus, "--client", "codex", "--argus", ARGUS_PATH, "--", "docker", "run", "-i", "--rm", "-e",
                   "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server")
    assert tomllib.loads(github.stdout)["mcp_servers"]["github-mcp-server"]["env_vars"] == ["GITHUB_PERSONAL_ACCESS_TOKEN"]

    podman = setup(argus, "--client", "cursor", "--argus", ARGUS_PATH, "--", "podman", "run", "--name", "argus-api", "--replace",
                   "-i", "--rm", "-e", "ARGUS_API_KEY", "ghcr.io/mnemonic-no/argus-api-mcp-server-stdio:latest")
    entry = json.loads(podman.stdout)["mcpServers"]["argus-api-mcp-server-stdio"]
    assert entry["env"] == {"ARGUS_API_KEY": "${env:ARGUS_API_KEY}"}


def test_bare_commands_are_written_by_absolute_path(argus, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    server = tools / "mcp-fake-server"
    server.write_text("#!/bin/sh\nexit 0\n")
    server.chmod(0o755)
    path = f"{tools}:{os.environ['PATH']}"
    found = setup(argus, "--client", "cursor", "--argus", ARGUS_PATH, "--", "mcp-fake-server", "--flag", env={"PATH": path})
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["mcpServers"]["mcp-fake-server"]["args"] == ["wrap", "--name", "mcp-fake-server", "--",
                                                                                 str(server), "--flag"]
    missing = setup(argus, "--client", "cursor", "--argus", ARGUS_PATH, "--", "no-such-mcp-server-xyz")
    assert missing.returncode == 0
    assert "no-such-mcp-server-xyz is not on this shell's PATH" in missing.stderr


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_are_private_and_home_is_honoured(argus, tmp_path, private_home):
    """$HOME decides where client files go (and `~` in --db); new files are 0600 and ~/.argus 0700; a token written
    by --copy-env narrows a readable file to its owner."""
    init = setup(argus, "--init")
    assert init.returncode == 0, init.stderr
    assert mode(private_home / ".argus") == 0o700 and mode(private_home / ".argus" / "config.json") == 0o600

    written = setup(argus, "--client", "cursor", "--write", "--argus", ARGUS_PATH, "--db", "~/recordings/argus.db",
                    "--", "/bin/cat")
    assert written.returncode == 0, written.stderr
    cursor = private_home / ".cursor" / "mcp.json"
    assert mode(cursor) == 0o600
    assert json.loads(cursor.read_text())["mcpServers"]["cat"]["args"][:3] == ["wrap", "--db", f"{private_home}/recordings/argus.db"]

    desktop = tmp_path / "claude_desktop_config.json"
    desktop.write_text("{}")
    desktop.chmod(0o644)
    copied = setup(argus, "--client", "claude-desktop", "--write", "--client-config", str(desktop), "--argus", ARGUS_PATH,
                   "--env", "ACME_TOKEN", "--copy-env", "--", "/bin/cat", env={"ACME_TOKEN": "tok-secret-1234567890"})
    assert copied.returncode == 0, copied.stderr
    assert "tok-secret-1234567890" in desktop.read_text()
    assert mode(desktop) == 0o600


def test_a_link_does_not_lead_setup_out_of_the_project(argus, tmp_path):
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    target = outside / "mcp.json"  # another tool's JSON: it would merge cleanly, which makes it the dangerous case
    target.write_text('{"mcpServers": {}}\n')
    (project / ".mcp.json").symlink_to(target)
    result = subprocess.run([argus, "setup", "--client", "claude-code", "--write", "--argus", ARGUS_PATH, "--", "/bin/cat"],
                            capture_output=True, text=True, timeout=60, cwd=project)
    assert result.returncode != 0 and "outside" in result.stderr, result.stderr
    assert target.read_text() == '{"mcpServers": {}}\n'
    assert sorted(p.name for p in outside.iterdir()) == ["mcp.json"]
