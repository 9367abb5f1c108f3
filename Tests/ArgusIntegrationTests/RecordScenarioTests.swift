import ArgusCore
import ArgusStore
import Foundation
import Testing

/// `argus record --scenario`: argus-test-server driven through a hand-written list of calls, with
/// no client, recorded as a run that `argus export` and `argus test` take like any other.
@Suite struct RecordScenarioTests {
    /// Runs `argus record` with a scenario (JSON text) in a fresh directory; returns the status, output and paths.
    static func record(_ scenario: String, options: [String] = [], server: [String] = [Binaries.testServer])
        throws -> (status: Int32?, out: String, err: String, database: String, directory: String)
    {
        let directory = temporaryDirectory("record")
        let file = directory + "/scenario.json"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = directory + "/home"
        let database = directory + "/argus.db"
        let cli = try Spawned(
            Binaries.argus, ["record", "--db", database, "--scenario", file] + options + ["--"] + server,
            environment: environment, cwd: directory)
        cli.closeInput()
        let out = String(decoding: cli.readToEnd(), as: UTF8.self)
        return (cli.waitForExit(), out, cli.stderrToEnd(), database, directory)
    }

    @Test func aScenarioIsRecordedAsARunThatATestPasses() throws {
        let scenario = """
            {"client": {"name": "ci", "version": "7"},
             "calls": [{"tool": "calculate", "arguments": {"operation": "add", "a": 1, "b": 2}},
                       {"tool": "echo", "arguments": {"message": "again"}, "repeat": 2},
                       {"method": "prompts/get", "params": {"name": "greeting", "arguments": {"name": "Ada"}}},
                       {"tool": "always_fail"}]}
            """
        let result = try Self.record(scenario, options: ["--out", "suite.json"])
        #expect(result.status == 0, "\(result.out) \(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(result.out)")
        #expect(lines[0].hasPrefix("ok       calculate, ") && lines[3].hasPrefix("ok       prompts/get, "))
        #expect(lines[4].hasPrefix("error    always_fail, ") && lines[4].hasSuffix(": This tool always fails"))
        #expect(lines[5] == "5 calls: 5 answered (1 an error), 0 without an answer; recorded as run 1")

        let reader = try SQLiteReader(path: result.database)
        let run = try #require(try reader.run(id: 1))
        #expect(run.kind == "wrap" && run.clientName == "ci" && run.clientVersion == "7" && run.endReason == .clientEOF)
        #expect(run.serverInfoName == "argus-test-server" && run.protocolVersion == "2025-11-25")
        var filter = CallFilter()
        filter.run = 1
        let calls = try reader.calls(filter).reversed().map { $0.tool ?? $0.method }
        #expect(calls == ["initialize", "tools/list", "calculate", "echo", "echo", "prompts/get", "always_fail"])
        #expect(try reader.toolSchemas(run: 1).count > 5)  // the greeting's tools/list: what `argus test` checks annotations against

        // `--out` wrote the suite (relative to the working directory), and it passes.
        let suite = result.directory + "/suite.json"
        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = result.directory + "/home"
        let test = try Spawned(Binaries.argus, ["test", "--db", result.database, "--suite", suite], environment: environment)
        let out = String(decoding: test.readToEnd(), as: UTF8.self)
        #expect(test.waitForExit() == 0, "\(out) \(test.stderrToEnd())")
        #expect(out.contains("5 calls: 5 equal, 0 changed, 0 failed, 0 skipped"))
    }

    @Test func aStatelessScenarioSendsNoInitializeAndAnswersTheServersRequestsAsWritten() throws {
        let stateless = try Self.record(
            #"{"protocol_version": "2026-07-28", "calls": [{"tool": "calculate", "arguments": {"operation": "multiply", "a": 6, "b": 7}}]}"#
        )
        #expect(stateless.status == 0, "\(stateless.out) \(stateless.err)")
        var reader = try SQLiteReader(path: stateless.database)
        #expect(try reader.run(id: 1)?.protocolVersion == "2026-07-28")
        #expect(try reader.firstRequest(run: 1, method: "initialize") == nil)
        #expect(
            try reader.firstRequest(run: 1, method: "tools/call")?["params"]?["_meta"]?["io.modelcontextprotocol/protocolVersion"]
                == "2026-07-28")

        let roots = try Self.record(
            #"{"client_answers": {"roots/list": {"roots": [{"uri": "file:///scenario"}]}}, "calls": [{"tool": "client_roots"}]}"#)
        #expect(roots.status == 0, "\(roots.out) \(roots.err)")
        reader = try SQLiteReader(path: roots.database)
        var filter = CallFilter()
        filter.tool = "client_roots"
        let call = try #require(try reader.calls(filter).first)
        #expect(try reader.call(id: call.id)?.result?["structuredContent"]?["roots"] == [["uri": "file:///scenario"]])
    }

    @Test func aCallWithoutAnAnswerFailsTheRecordAndABadScenarioSaysWhere() throws {
        let gone = try Self.record(#"[{"tool": "calculate", "arguments": {"operation": "add", "a": 1, "b": 1}}, {"tool": "no_such_tool"}]"#)
        #expect(gone.status == 1)
        #expect(gone.out.contains("failed   no_such_tool: the server no longer has a tool named no_such_tool (it has: calculate, "))
        #expect(gone.out.contains("2 calls: 1 answered, 1 without an answer; recorded as run 1"))

        for (text, message) in [
            (#"{"calls": [{"arguments": {}}]}"#, "calls[0] needs a tool (with arguments) or a method (with params)"),
            (#"{"calls": [], "protocol": "x"}"#, #"unknown key "protocol""#),
            (#"[{"tool": "echo", "repeat": 0}]"#, "calls[0].repeat must be a positive integer"),
            (#"[]"#, "it has no calls"),
            (#"{"calls": [1,"#, "is not valid JSON"),
        ] {
            let bad = try Self.record(text)
            #expect(bad.status != 0 && bad.status != nil)
            #expect(bad.err.contains(message), "\(text): \(bad.err)")
            #expect(!FileManager.default.fileExists(atPath: bad.database), "nothing is started for a bad scenario")
        }
        let missing = try Self.record("[]", server: [])
        #expect(missing.status != 0 && missing.err.contains("give the server command after --"))
    }
}
