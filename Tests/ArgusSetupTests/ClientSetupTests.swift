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
        let text = StarterConfig.text.replacingOccurrences(of: "\"// github (in a container; -e NAME without a value forwards the variable)\"",
                                                           with: "\"github\"")
        let config = try Configuration.parse(text, environment: ["GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"])
        #expect(try config.server("github")?.env == ["GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"])
        #expect(config.servers["github"]?.variables == ["GITHUB_PERSONAL_ACCESS_TOKEN"])
    }
}

@Suite struct ClientEntryTests {
    @Test func dockerForwardedVariablesAreFound() {
        #expect(ClientEntry.dockerForwardedVariables(["docker", "run", "-i", "--rm", "-e", "API_KEY", "-e", "MODE=fast", "--env", "TOKEN",
                                                      "--env=REGION", "image", "-e", "NOT_DOCKER"]) == ["API_KEY", "TOKEN", "REGION"])
        #expect(ClientEntry.dockerForwardedVariables(["/usr/bin/podman", "run", "-e", "X", "img"]) == ["X"])
        #expect(ClientEntry.dockerForwardedVariables(["npx", "-e", "X"]).isEmpty)
    }
}

@Suite struct JSONClientMergeTests {
    let entry = ClientEntry(name: "github", argusPath: "/usr/local/bin/argus", arguments: ["wrap", "github"], environment: ["GITHUB_TOKEN"])

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
        #expect(code["mcpServers"]?["github"]?["type"] == "stdio" && code["mcpServers"]?["github"]?["env"]?["GITHUB_TOKEN"] == "${GITHUB_TOKEN}")
        let vscodeText = try ClientSetup.merge(entry, for: .vscode, into: #"{"servers": {"x": {"command": "y"}}, "inputs": []}"#, path: "mcp.json").text
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

@Suite struct CodexTOMLTests {
    let entry = ClientEntry(name: "github", argusPath: "/usr/local/bin/argus", arguments: ["wrap", "--name", "github", "--", "docker", "run", "-e", "TOKEN", "img"],
                            environment: ["TOKEN"])

    @Test func theTableIsValidTOMLWithForwardedVariables() {
        #expect(CodexTOML.table(entry) == """
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
