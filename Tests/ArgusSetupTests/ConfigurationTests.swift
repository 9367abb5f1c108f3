import Testing
import ArgusCore
@testable import ArgusSetup

@Suite struct ConfigurationTests {
    @Test func aFullFileParses() throws {
        let text = """
            {
              "// comment": "keys starting with // are ignored",
              "database": "~/argus/recordings.db",
              "idle_timeout": 120,
              "redaction": { "enabled": true, "keys": ["ssn", "account_number"] },
              "scripts": [
                "scripts/pii.lua",
                { "path": "/abs/slow.lua", "config": { "threshold_ms": 500 }, "priority": 10, "match": { "tool": "search*" } }
              ],
              "scripts_dir": "scripts.d",
              "script_limits": { "memory_mb": 32, "time_ms": 50, "max_errors": 5 },
              "alerts": { "webhooks": ["https://hooks.example.com/argus"] },
              "dashboard": { "port": 3001, "host": "127.0.0.1" },
              "replay": { "ignore": { "*": ["/result/_meta"], "get_weather": ["/result/structuredContent/observed_at"] } },
              "servers": {
                "github": { "command": "docker", "args": ["run", "-i", "--rm", "-e", "GITHUB_TOKEN", "${IMAGE}"],
                            "env": { "GITHUB_TOKEN": "${GITHUB_TOKEN}" } }
              }
            }
            """
        let config = try Configuration.parse(
            text, source: "/etc/argus/argus.config.json",
            environment: ["IMAGE": "ghcr.io/github/github-mcp-server", "GITHUB_TOKEN": "ghp_x"])
        #expect(config.idleTimeoutSeconds == 120)
        #expect(config.redactKeys == ["ssn", "account_number"])
        #expect(config.scripts.map(\.path) == ["scripts/pii.lua", "/abs/slow.lua"])
        #expect(config.scripts[1].config == ["threshold_ms": 500])
        #expect(config.scripts[1].priority == 10)
        #expect(config.scriptLimits.memoryMB == 32)
        #expect(config.alertWebhooks == ["https://hooks.example.com/argus"])
        #expect(config.dashboardPort == 3001)
        #expect(config.replayIgnore["get_weather"] == ["/result/structuredContent/observed_at"])
        #expect(config.servers["github"]?.args.last == "ghcr.io/github/github-mcp-server")
        #expect(config.servers["github"]?.env["GITHUB_TOKEN"] == "ghp_x")
        #expect(config.resolve("scripts/pii.lua", home: "/home/u") == "/etc/argus/scripts/pii.lua")
        #expect(config.resolve("~/x.lua", home: "/home/u") == "/home/u/x.lua")
    }

    @Test(arguments: [
        (#"{"scripts": [{"config": {}}]}"#, "scripts[0].path: required"),
        (#"{"scripts": [42]}"#, "scripts[0]: expected an object"),
        (#"{"idle_timeout": "soon"}"#, "idle_timeout: expected a number"),
        (#"{"idel_timeout": 5}"#, "idel_timeout: unknown field"),
        (#"{"script_limits": {"memory_mb": 0}}"#, "script_limits.memory_mb: must be at least 1.0"),
        (#"{"alerts": {"webhooks": ["ftp://x"]}}"#, "alerts.webhooks[0]: expected an http:// or https:// URL"),
        (#"{"servers": {"gh": {"command": "x", "env": {"T": "${}"}}}}"#, "servers.gh.env.T: empty ${}"),
        (#"{"redaction": {"patterns": ["a[b"]}}"#, "redaction.patterns[0]: invalid regular expression \"a[b\""),
        (#"{"redaction": {"patterns": [{"name": "x"}]}}"#, "redaction.patterns[0].regex: required"),
        (#"{"servers": {"gh": {"args": []}}}"#, "servers.gh.command: required"),
        ("{ not json", "line 1, column 3: not valid JSON"),
        ("{\n  \"idle_timeout\": 5,\n  \"dashboard\": {\"port\": 3000,}\n}", "line 3, column 30: not valid JSON"),
        ("{\n  \"// é\": \"ü\", \"x\" 1}", "line 2, column 20: not valid JSON"),
    ])
    func badFilesNameTheOffendingField(_ text: String, _ message: String) {
        #expect {
            try Configuration.parse(text, source: "argus.config.json")
        } throws: { error in
            "\(error)".hasPrefix("argus.config.json: ") && "\(error)".contains(message)
        }
    }

    @Test func aMissingVariableIsAnErrorOnlyForTheServerThatUsesIt() throws {
        let text =
            #"{"servers": {"gh": {"command": "x", "env": {"T": "pre-${MISSING_VAR}"}}, "time": {"command": "uvx", "args": ["${TZ_ARG}"]}}}"#
        let config = try Configuration.parse(text, source: "argus.config.json", environment: ["TZ_ARG": "--local-timezone=UTC"])
        #expect(try config.server("time")?.args == ["--local-timezone=UTC"])
        #expect(config.servers["gh"]?.variables == ["MISSING_VAR"])
        #expect {
            try config.server("gh")
        } throws: { "\($0)" == "argus.config.json: servers.gh.env.T: environment variable MISSING_VAR is not set (used as ${MISSING_VAR})" }
        #expect(try config.server("none") == nil)
    }

    @Test func valuePatternsRedactWhatTheyMatch() throws {
        let config = try Configuration.parse(#"{"redaction": {"patterns": ["TKT-[0-9]{6}", {"name": "acct", "regex": "ACCT[0-9]+"}]}}"#)
        var policy = RedactionPolicy()
        policy.valuePatterns = try config.redactPatterns.map { try $0.compiled() }
        let redacted = Redactor(policy: policy).redact(["note": "see TKT-123456 and TKT-654321 for ACCT42, not TKT-12"])
        #expect(redacted?["note"] == "see [REDACTED:pattern] and [REDACTED:pattern] for [REDACTED:acct], not TKT-12")
    }

    @Test func commentKeysAreIgnoredEverywhereAServerCanBe() throws {
        let config = try Configuration.parse(#"{"servers": {"// note": "about servers", "a": {"command": "x", "env": {"// why": "x"}}}}"#)
        #expect(config.servers.keys.sorted() == ["a"] && config.servers["a"]?.env.isEmpty == true)
    }
}
