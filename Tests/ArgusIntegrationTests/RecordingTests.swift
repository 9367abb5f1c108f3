import ArgusCore
import ArgusStore
import Foundation
import Testing

/// What a session leaves in the database, seen through the store and the CLI.
@Suite struct RecordingTests {
    @Test func aFullSessionIsRecorded() throws {
        let session = try WrapSessionHarness(testServer: ["--name", "tester"])
        session.initialize()
        let tools = session.request("tools/list")?["result"]?["tools"]?.arrayValue ?? []
        #expect(tools.count >= 9)
        #expect(session.callTool("calculate", ["operation": "add", "a": 2, "b": 3])?["structuredContent"]?["result"] == 5)
        session.callTool("calculate", ["operation": "divide", "a": 1, "b": 0])
        session.callTool("get_weather", ["city": "Paris"])
        session.callTool("always_fail")
        session.request("nope/nope")
        session.request("tools/call", ["name": "progress_task", "arguments": ["steps": 4, "delay_ms": 5],
                                       "_meta": ["progressToken": 42]])
        session.request("resources/read", ["uri": "argus://test/readme"])
        session.request("prompts/get", ["name": "greeting", "arguments": ["name": "Ada"]])
        #expect(session.finish() == 0)
        #expect(session.proxy.stderrText.contains("argus-test-server 0.1.0 ready"))  // stderr passes through

        let reader = try session.reader()
        let run = try #require(try reader.runs().first)
        #expect(run.serverName == "tester")
        #expect(run.command == Binaries.testServer)
        #expect(run.cwd == FileManager.default.currentDirectoryPath)
        #expect(run.envNames.contains("PATH"))
        #expect(run.clientName == "argus-tests" && run.clientVersion == "1.0")
        #expect(run.serverInfoName == "argus-test-server")
        #expect(run.protocolVersion == "2025-11-25")
        #expect(run.endReason == "client_eof" && run.exitStatus == 0)
        #expect(run.callCount == 10)
        #expect(run.errorCount == 3)  // divide by zero, always_fail (isError results) and the unknown method

        var filter = CallFilter()
        filter.limit = 50
        let calls = try reader.calls(filter)
        let progress = try #require(calls.first { $0.tool == "progress_task" })
        #expect(progress.progressCount == 4)
        #expect(calls.first { $0.method == "nope/nope" }?.errorCode == -32601)
        #expect(calls.first { $0.tool == "always_fail" }?.errorMessage == "This tool always fails")
        #expect(calls.first { $0.method == "resources/read" }?.target == "argus://test/readme")
        #expect(calls.first { $0.method == "prompts/get" }?.target == "greeting")
        #expect(calls.allSatisfy { ($0.latencyMicros ?? -1) >= 0 })

        let schemas = try reader.toolSchemas(run: run.id)
        let delete = try #require(schemas.first { $0.name == "delete_file" })
        #expect(delete.annotations?.contains(#""destructiveHint":true"#) == true)
        #expect(schemas.first { $0.name == "calculate" }?.outputSchema != nil)
        let logs = try reader.serverLogs(run: run.id)
        #expect(logs.contains { $0.line.hasPrefix("argus-test-server 0.1.0 ready") })
    }

    @Test func aStatelessSessionIsRecorded() throws {
        let session = try WrapSessionHarness(testServer: [])
        let meta: JSONValue = ["io.modelcontextprotocol/protocolVersion": "2026-07-28",
                               "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2"],
                               "io.modelcontextprotocol/clientCapabilities": [:]]
        let discovered = session.request("server/discover", ["_meta": meta])?["result"]
        #expect(discovered?["supportedVersions"] == ["2026-07-28"])
        let result = session.request("tools/call", ["name": "echo", "arguments": ["message": "hi"], "_meta": meta])?["result"]
        #expect(result?["resultType"] == "complete")
        #expect(session.finish() == 0)
        let run = try #require(try session.reader().runs().first)
        #expect(run.protocolVersion == "2026-07-28")
        #expect(run.clientName == "modern-client")
        #expect(run.serverInfoName == "argus-test-server")
        #expect(run.callCount == 2)
    }

    @Test func serverToClientRequestsArePaired() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.proxy.send(#"{"jsonrpc":"2.0","id":"roots","method":"tools/call","params":{"name":"client_roots","arguments":{}}}"#)
        // The server asks us for roots; answer like a client would.
        var answered = false
        var result: JSONValue?
        while let line = session.proxy.readLine(), let message = try? JSONParser.parse(line) {
            if message["method"] == "roots/list", let id = message["id"] {
                session.proxy.send(["jsonrpc": "2.0", "id": id, "result": ["roots": [["uri": "file:///work", "name": "work"]]]])
                answered = true
            } else if message["id"] == "roots" {
                result = message["result"]
                break
            }
        }
        #expect(answered)
        #expect(result?["structuredContent"]?["roots"]?[0]?["name"] == "work")
        #expect(session.finish() == 0)
        let calls = try session.reader().calls(CallFilter())
        let roots = try #require(calls.first { $0.method == "roots/list" })
        #expect(roots.direction == "s2c")
        #expect(roots.status == "ok")
    }

    @Test func cancelledCallsAreMarked() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.proxy.send(#"{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"slow_operation","arguments":{"ms":5000},"_meta":{"progressToken":"p"}}}"#)
        Thread.sleep(forTimeInterval: 0.3)
        session.proxy.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"user pressed stop"}}"#)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(session.finish() == 0)
        let call = try #require(try session.reader().calls(CallFilter()).first { $0.tool == "slow_operation" })
        #expect(call.status == "cancelled")
        #expect(call.errorMessage == "user pressed stop")
        #expect(call.progressCount >= 1)
    }

    @Test func anIdleGapStartsANewRun() throws {
        let session = try WrapSessionHarness(testServer: ["--idle-timeout", "0.3"])
        session.initialize()
        session.callTool("echo", ["message": "first"])
        Thread.sleep(forTimeInterval: 0.6)
        session.callTool("echo", ["message": "second"])
        #expect(session.finish() == 0)
        let runs = try session.reader().runs()
        #expect(runs.count == 2)
        let (second, first) = (runs[0], runs[1])
        #expect(first.endReason == "idle")
        #expect(second.previousRunID == first.id)
        #expect(second.clientName == "argus-tests")  // carried over: no new handshake after idle
        #expect(second.endReason == "client_eof")
        #expect(first.callCount == 2 && second.callCount == 1)
    }

    @Test func theCLIPrintsRunsCallsAndStats() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.callTool("calculate", ["operation": "multiply", "a": 6, "b": 7])
        session.callTool("always_fail")
        #expect(session.finish() == 0)
        func argus(_ args: [String]) throws -> (Int32?, String) {
            let cli = try Spawned(Binaries.argus, args + ["--db", session.database])
            let out = String(decoding: cli.readToEnd(), as: UTF8.self)
            return (cli.waitForExit(), out)
        }
        let (runsStatus, runsJSON) = try argus(["runs", "--json"])
        #expect(runsStatus == 0)
        let runs = try #require(try JSONParser.parse(runsJSON).arrayValue)
        for key in ["id", "server", "command", "started_at", "ended_at", "end_reason", "exit_status", "call_count", "error_count"] {
            #expect(runs[0][key] != nil, "runs --json lacks \(key)")
        }
        #expect(runs[0]["call_count"] == 3 && runs[0]["error_count"] == 1)

        let (_, callsJSON) = try argus(["calls", "--json", "--tool", "calculate"])
        let calls = try #require(try JSONParser.parse(callsJSON).arrayValue)
        #expect(calls.count == 1)
        for key in ["id", "run_id", "method", "tool", "params", "result", "error", "is_error", "latency_us", "started_at"] {
            #expect(calls[0][key] != nil, "calls --json lacks \(key)")
        }
        #expect(calls[0]["params"]?["arguments"]?["a"] == 6)
        #expect(calls[0]["result"]?["structuredContent"]?["result"] == 42)

        let (_, errorsJSON) = try argus(["calls", "--json", "--errors"])
        let errors = try #require(try JSONParser.parse(errorsJSON).arrayValue)
        #expect(errors.map { $0["tool"] } == ["always_fail"])
        #expect(errors[0]["error"]?["message"] == "This tool always fails")

        let (_, statsJSON) = try argus(["stats", "--json"])
        let stats = try #require(try JSONParser.parse(statsJSON).arrayValue)
        let failing = try #require(stats.first { $0["name"] == "always_fail" })
        #expect(failing["error_rate"] == 1)
        #expect(failing["p50_us"] != nil)

        let (_, table) = try argus(["calls"])
        #expect(table.contains("calculate") && table.contains("always_fail") && table.contains("LATENCY"))
        let (_, statsTable) = try argus(["stats"])
        #expect(statsTable.contains("P95"))
    }

    @Test func listingsReadTheDatabaseTheConfigNames() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.callTool("echo", ["message": "x"])
        #expect(session.finish() == 0)
        let config = session.directory + "/argus.config.json"
        try #"{"database": "\#(session.database)"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_DB"] = nil
        for command in ["runs", "calls", "stats"] {
            let cli = try Spawned(Binaries.argus, [command, "--json", "--config", config], environment: env)
            let out = String(decoding: cli.readToEnd(), as: UTF8.self)
            #expect(cli.waitForExit() == 0, "\(command): \(cli.stderrText)")
            #expect(try JSONParser.parse(out).arrayValue?.isEmpty == false, "\(command) read another database")
        }
    }

    @Test func readingAMissingDatabaseIsAClearError() throws {
        let cli = try Spawned(Binaries.argus, ["runs", "--db", "/nonexistent/dir/argus.db"])
        #expect(cli.waitForExit() == 1)
        #expect(cli.stderrText.contains("no database at /nonexistent/dir/argus.db"))
    }
}

/// The README's first command: `argus demo` records a session and shows it.
@Suite struct DemoTests {
    @Test func theDemoRecordsASessionAndPrintsItsStats() throws {
        let db = temporaryDirectory("demo") + "/demo.db"
        let demo = try Spawned(Binaries.argus, ["demo", "--db", db])
        let output = String(decoding: demo.readToEnd(), as: UTF8.self)
        #expect(demo.waitForExit() == 0, "stderr: \(demo.stderrText)")
        #expect(output.contains("✓ initialize"))
        #expect(output.contains("✗ always_fail"))
        #expect(output.contains("P95"))
        #expect(output.contains("[REDACTED:bearer]"))
        #expect(!output.contains("sk-demo-1234567890abcdefghij\""))  // shown redacted, never in clear from the store
        let run = try #require(try ArgusReader(path: db).runs().first)
        #expect(run.serverName == "demo")
        #expect(run.callCount == 13)
        #expect(run.errorCount == 3)
    }
}
