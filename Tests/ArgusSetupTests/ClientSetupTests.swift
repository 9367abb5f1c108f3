import ArgusCore
import Foundation
import Testing
@testable import ArgusSetup

@Suite struct StarterConfigTests {
    @Test func theStarterConfigIsValidAndNeedsNoEnvironment() throws {
        let config = try Configuration.parse(StarterConfig.text, source: "config.json", environment: [:])
        #expect(config.servers.isEmpty)  // the examples are comments until renamed
        #expect(config.dashboardPort == 3000 && config.idleTimeoutSeconds == 60)
        #expect(config.redactPatterns.map(\.name) == ["internal-ticket"])
        #expect(config.replayIgnore["*"] == ["**/request_id"])
    }

    @Test func itsServerExamplesWorkOnceRenamed() throws {
        let text = StarterConfig.text.replacingOccurrences(
            of: "\"// github (in a container; -e NAME without a value forwards the variable)\"",
            with: "\"github\"")
        let config = try Configuration.parse(text, environment: ["GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"])
        #expect(try config.server("github")?.env == ["GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"])
        #expect(config.servers["github"]?.variables == ["GITHUB_PERSONAL_ACCESS_TOKEN"])
    }
}

@Suite struct ContainerRunOptionsTests {
    func forwarded(_ command: [String], files: [String: String] = [:]) -> [String] {
        ContainerRunOptions.parse(command, readFile: { files[$0] })?.forwardedVariables ?? []
    }

    @Test func dockerForwardedVariablesAreFound() {
        #expect(
            forwarded([
                "docker", "run", "-i", "--rm", "-e", "API_KEY", "-e", "MODE=fast", "--env", "TOKEN",
                "--env=REGION", "image", "-e", "NOT_DOCKER",
            ]) == ["API_KEY", "TOKEN", "REGION"])
        #expect(forwarded(["/usr/bin/podman", "run", "-e", "X", "img"]) == ["X"])
        #expect(ContainerRunOptions.parse(["npx", "-e", "X"]) == nil)
    }

    /// The vendors' own documented commands.
    @Test func vendorExamplesForwardTheirVariables() {
        // mnemonic's Argus API server: an option with a value (--name X) comes before -e NAME.
        let mnemonic = [
            "docker", "run", "--name", "argus-api-mcp-server-stdio", "--rm", "-i", "-e", "ARGUS_API_KEY",
            "ghcr.io/mnemonic-no/argus-api-mcp-server-stdio:latest",
        ]
        #expect(forwarded(mnemonic) == ["ARGUS_API_KEY"])
        #expect(ContainerRunOptions.parse(mnemonic)?.image == "ghcr.io/mnemonic-no/argus-api-mcp-server-stdio:latest")
        // GitHub's MCP server.
        #expect(
            forwarded(["docker", "run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"])
                == ["GITHUB_PERSONAL_ACCESS_TOKEN"])
        // podman: --name X and the --replace flag before -e.
        #expect(
            forwarded(["podman", "run", "--name", "argus-api", "--replace", "-i", "--rm", "-e", "ARGUS_API_KEY", "img:1"])
                == ["ARGUS_API_KEY"])
    }

    @Test func optionsAreReadAsDockerReadsThem() {
        // Values in every spelling; a volume's value that looks like NAME=... is not a variable.
        #expect(
            forwarded([
                "docker", "run", "-v", "a:b", "--volume=/x:/y", "-p", "8080:80", "--network", "host",
                "-w", "/work", "-u", "1000", "-eA", "-ie", "B", "-e=C", "--env", "D=1", "img", "--env", "E",
            ])
                == ["A", "B", "C"])
        // --env-file: lines without a value are forwarded (docker's rule); comments and NAME=value are not.
        #expect(
            forwarded(
                ["docker", "run", "--env-file", "/cfg/env", "-e", "A", "img"],
                files: ["/cfg/env": "# comment\nFROM_FILE\nSET=1\n\nALSO\n"]) == ["FROM_FILE", "ALSO", "A"])
        // Global options and `container run`.
        #expect(forwarded(["docker", "--context", "remote", "container", "run", "-e", "X", "img"]) == ["X"])
        #expect(forwarded(["docker", "-H", "tcp://h:2375", "run", "--rm", "-e", "Y", "img"]) == ["Y"])
        // Not a run at all.
        #expect(ContainerRunOptions.parse(["docker", "compose", "run", "-e", "X", "svc"]) == nil)
        // A glob or anything that is not a variable name is not forwarded.
        #expect(forwarded(["podman", "run", "-e", "FOO*", "-e", "1X", "img"]).isEmpty)
    }
}

@Suite struct ClientCommandTests {
    @Test func aBareCommandIsWrittenByTheAbsolutePathThisShellFinds() throws {
        let dir = NSTemporaryDirectory() + "argus-cmd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        let tool = dir + "/bin/mcp-tool"
        try "#!/bin/sh\nexit 0\n".write(toFile: tool, atomically: true, encoding: .utf8)
        chmod(tool, 0o755)
        let found = ClientCommand.resolve("mcp-tool", searchPath: "/nowhere:\(dir)/bin", currentDirectory: "/")
        #expect(found == .init(command: tool, warnings: []))
        // ./tool is relative to here, not to the directory the client starts argus in.
        #expect(ClientCommand.resolve("./bin/mcp-tool", searchPath: "", currentDirectory: dir).command == dir + "/./bin/mcp-tool")
        // Not found: written as given, with a warning that says so.
        let missing = ClientCommand.resolve("no-such-mcp-tool", searchPath: dir + "/bin", currentDirectory: "/")
        #expect(missing.command == "no-such-mcp-tool")
        #expect(missing.warnings.first?.contains("not on this shell's PATH") == true)

        // A script whose interpreter the desktop PATH lacks (npx and node from nvm): found, and warned about.
        let script = dir + "/bin/npx-like"
        try "#!/usr/bin/env mcp-only-here-node\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let warned = ClientCommand.resolve("npx-like", searchPath: dir + "/bin", currentDirectory: "/", desktopPath: "/usr/bin:/bin")
        #expect(warned.command == script)
        #expect(warned.warnings.first?.contains("runs `mcp-only-here-node` through /usr/bin/env") == true)
        try FileManager.default.createDirectory(atPath: dir + "/node-bin", withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: dir + "/node-bin/mcp-only-here-node", atomically: true, encoding: .utf8)
        chmod(dir + "/node-bin/mcp-only-here-node", 0o755)
        #expect(
            ClientCommand.resolve(
                "npx-like", searchPath: dir + "/bin", currentDirectory: "/",
                desktopPath: "/usr/bin:\(dir)/node-bin"
            ).warnings.isEmpty)
    }
}

@Suite struct JSONClientMergeTests {
    let entry = ClientEntry(
        name: "github", argusPath: "/usr/local/bin/argus", arguments: ["wrap", "github"], environment: ["GITHUB_TOKEN"])

    let existing = """
        {
          "globalShortcut": "Ctrl+Space",
          "mcpServers": {
            "filesystem": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me"] },
            "github": { "command": "old", "args": [] },
            "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }
          },
          "theme": "dark"
        }
        """

    @Test func anEntryReplacesItsOldSelfAndNothingElseChanges() throws {
        let result = try ClientSetup.merge(entry, for: .claudeDesktop, into: existing, path: "c.json")
        #expect(result.changed)
        let merged = try JSONParser.parse(result.text)
        let before = try JSONParser.parse(existing)
        #expect(merged.objectValue?.members.map(\.key) == ["globalShortcut", "mcpServers", "theme"])
        #expect(merged["mcpServers"]?.objectValue?.members.map(\.key) == ["filesystem", "github", "memory"])
        #expect(merged["mcpServers"]?["filesystem"]?.sameValue(as: before["mcpServers"]!["filesystem"]!) == true)
        #expect(merged["mcpServers"]?["memory"]?.sameValue(as: before["mcpServers"]!["memory"]!) == true)
        #expect(merged["mcpServers"]?["github"]?["command"] == "/usr/local/bin/argus")
        #expect(merged["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "<set GITHUB_TOKEN here>")
        #expect(merged["theme"] == "dark")

        let again = try ClientSetup.merge(entry, for: .claudeDesktop, into: result.text, path: "c.json")
        #expect(!again.changed)
    }

    @Test func eachJSONClientGetsItsOwnShape() throws {
        let cursor = try JSONParser.parse(try ClientSetup.merge(entry, for: .cursor, into: nil, path: "m.json").text)
        #expect(cursor["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "${env:GITHUB_TOKEN}")
        let code = try JSONParser.parse(try ClientSetup.merge(entry, for: .claudeCode, into: "", path: ".mcp.json").text)
        #expect(
            code["mcpServers"]?["github"]?["type"] == "stdio" && code["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "${GITHUB_TOKEN}"
        )
        let vscodeText = try ClientSetup.merge(
            entry, for: .vscode, into: #"{"servers": {"x": {"command": "y"}}, "inputs": []}"#, path: "mcp.json"
        ).text
        let vscode = try JSONParser.parse(vscodeText)
        #expect(vscode["servers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "${input:argus-github-token}")
        #expect(vscode["servers"]?["x"] != nil)
        #expect(vscode["inputs"]?.arrayValue?.count == 1 && vscode["inputs"]?[0]?["password"] == true)
        // Twice: the input is not duplicated.
        #expect(!(try ClientSetup.merge(entry, for: .vscode, into: vscodeText, path: "mcp.json").changed))
    }

    @Test func literalValuesAreWrittenOnlyWhenAskedFor() throws {
        var copied = entry
        copied.literalValues = ["GITHUB_TOKEN": "ghp_value"]
        let desktop = try JSONParser.parse(try ClientSetup.merge(copied, for: .claudeDesktop, into: nil, path: "c.json").text)
        #expect(desktop["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "ghp_value")
        let cursor = try JSONParser.parse(try ClientSetup.merge(copied, for: .cursor, into: nil, path: "c.json").text)
        #expect(cursor["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "${env:GITHUB_TOKEN}")  // Cursor can reference it
    }

    @Test func filesThatAreNotJSONAreLeftAlone() {
        #expect {
            try ClientSetup.merge(entry, for: .cursor, into: "// a comment\n{}", path: "/x/mcp.json")
        } throws: { "\($0)".contains("cannot read /x/mcp.json as JSON") }
        #expect {
            try ClientSetup.merge(entry, for: .cursor, into: #"{"mcpServers": []}"#, path: "m.json")
        } throws: { "\($0)".contains("\"mcpServers\" is not an object") }
    }

    @Test func writingKeepsABackupOfThePreviousFile() throws {
        let dir = NSTemporaryDirectory() + "argus-setup-\(UUID().uuidString.prefix(8))"
        let path = dir + "/nested/client.json"
        #expect(try ClientSetup.write("{}\n", to: path) == nil)  // new file, directories created
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)  // it may hold secrets
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let backup = try #require(try ClientSetup.write("{\"a\": 1}\n", to: path))
        #expect(try String(contentsOfFile: backup, encoding: .utf8) == "{}\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"a\": 1}\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o640)  // the user's mode is kept

        // A config that is a link (dotfiles managers): the file it points to is replaced, the link stays.
        let link = dir + "/link.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        try ClientSetup.write("{\"b\": 2}\n", to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"b\": 2}\n")
    }
}

/// `setup --write` never widens a file's mode and never writes out of the project through a link.
@Suite struct ClientFileModeTests {
    let dir = NSTemporaryDirectory() + "argus-modes-\(UUID().uuidString.prefix(8))"

    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test func aDanglingLinkGetsAPrivateFile() throws {
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        let link = dir + "/mcp.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real/mcp.json")  // nothing there yet
        try ClientSetup.write("{}\n", to: link)
        #expect(mode(dir + "/real/mcp.json") == 0o600, "mode \(String(mode(dir + "/real/mcp.json") ?? 0, radix: 8))")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real/mcp.json")
    }

    @Test func aSecretNarrowsTheFileAndNothingWidensIt() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/claude_desktop_config.json"
        try "{}\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        let backup = try #require(try ClientSetup.write("{\"a\": 1}\n", to: path))
        #expect(mode(path) == 0o644)  // no secret in it: the user's mode stays
        #expect(mode(backup) == 0o600)
        try ClientSetup.write("{\"token\": \"t\"}\n", to: path, secret: true)
        #expect(mode(path) == 0o600, "a token was written into a file others can read: \(String(mode(path) ?? 0, radix: 8))")
        chmod(path, 0o400)
        try ClientSetup.write("{}\n", to: path, secret: true)
        #expect(mode(path) == 0o400)
    }

    @Test func aProjectFileIsNotWrittenThroughALinkOutOfTheProject() throws {
        let project = dir + "/project", outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "# my shell\n".write(toFile: outside + "/.bashrc", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: project + "/.mcp.json", withDestinationPath: outside + "/.bashrc")
        #expect {
            try ClientSetup.write("{}\n", to: project + "/.mcp.json", confinedTo: project)
        } throws: { "\($0)".contains("outside \(project)") }
        #expect(try String(contentsOfFile: outside + "/.bashrc", encoding: .utf8) == "# my shell\n")
        #expect(FileManager.default.subpaths(atPath: outside)?.count == 1)  // no backup, no temporary file left there

        // A link that stays inside the project is followed.
        try FileManager.default.removeItem(atPath: project + "/.mcp.json")
        try FileManager.default.createDirectory(atPath: project + "/config", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project + "/.mcp.json", withDestinationPath: "config/mcp.json")
        try ClientSetup.write("{}\n", to: project + "/.mcp.json", confinedTo: project)
        #expect(try String(contentsOfFile: project + "/config/mcp.json", encoding: .utf8) == "{}\n")
    }
}

@Suite struct CodexTOMLTests {
    let entry = ClientEntry(
        name: "github", argusPath: "/usr/local/bin/argus",
        arguments: ["wrap", "--name", "github", "--", "docker", "run", "-e", "TOKEN", "img"],
        environment: ["TOKEN"])

    @Test func theTableIsValidTOMLWithForwardedVariables() {
        #expect(
            CodexTOML.table(entry) == """
                [mcp_servers.github]
                command = "/usr/local/bin/argus"
                args = ["wrap", "--name", "github", "--", "docker", "run", "-e", "TOKEN", "img"]
                env_vars = ["TOKEN"]

                """)
        var literal = entry
        literal.literalValues = ["TOKEN": "a\"b\\c"]
        #expect(CodexTOML.table(literal).contains(#"env = { TOKEN = "a\"b\\c" }"#))
        #expect(CodexTOML.key("my server") == "\"my server\"" && CodexTOML.key("my-server_2") == "my-server_2")
    }

    @Test func mergingReplacesOnlyTheEntrysOwnTable() throws {
        let existing = """
            # my codex config
            model = "o4"

            [mcp_servers.time]
            command = "uvx"
            args = ["mcp-server-time"]

            [mcp_servers.github]
            command = "old"
            args = []
            env = { TOKEN = "literal" }

            # tool approvals I set by hand
            [mcp_servers.github.tools.create_issue]
            approval_mode = "prompt"

            [profiles.fast]
            model = "o4-mini"
            """
        let result = try CodexTOML.merge(entry, into: existing)
        #expect(result.changed)
        let expected = """
            # my codex config
            model = "o4"

            [mcp_servers.time]
            command = "uvx"
            args = ["mcp-server-time"]

            [mcp_servers.github]
            command = "/usr/local/bin/argus"
            args = ["wrap", "--name", "github", "--", "docker", "run", "-e", "TOKEN", "img"]
            env_vars = ["TOKEN"]

            # tool approvals I set by hand
            [mcp_servers.github.tools.create_issue]
            approval_mode = "prompt"

            [profiles.fast]
            model = "o4-mini"

            """
        #expect(result.text == expected)
        #expect(!(try CodexTOML.merge(entry, into: result.text)).changed)
    }

    @Test func aNewEntryIsAppended() throws {
        let result = try CodexTOML.merge(entry, into: "model = \"o4\"")
        #expect(result.text == "model = \"o4\"\n\n" + CodexTOML.table(entry))
        #expect(try CodexTOML.merge(entry, into: "").text == CodexTOML.table(entry))
    }
}
