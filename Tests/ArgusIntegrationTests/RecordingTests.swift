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
        session.request(
            "tools/call",
            [
                "name": "progress_task", "arguments": ["steps": 4, "delay_ms": 5],
                "_meta": ["progressToken": 42],
            ])
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
        #expect(run.endReason == .clientEOF && run.exitStatus == 0)
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
        let meta: JSONValue = [
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2"],
            "io.modelcontextprotocol/clientCapabilities": [:],
        ]
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
        #expect(roots.direction == .serverToClient)
        #expect(roots.status == .ok)
    }

    @Test func cancelledCallsAreMarked() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.proxy.send(
            #"{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"slow_operation","arguments":{"ms":5000},"_meta":{"progressToken":"p"}}}"#
        )
        Thread.sleep(forTimeInterval: 0.3)
        session.proxy.send(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"user pressed stop"}}"#)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(session.finish() == 0)
        let call = try #require(try session.reader().calls(CallFilter()).first { $0.tool == "slow_operation" })
        #expect(call.status == .cancelled)
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
        #expect(first.endReason == .idle)
        #expect(second.previousRunID == first.id)
        #expect(second.clientName == "argus-tests")  // carried over: no new handshake after idle
        #expect(second.endReason == .clientEOF)
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
        let run = try #require(try SQLiteReader(path: db).runs().first)
        #expect(run.serverName == "demo")
        #expect(run.callCount == 13)
        #expect(run.errorCount == 3)
    }
}

/// 2026-07-28 shapes through a real `argus wrap`: multi round-trip calls and subscription
/// streams, and the notifications of a run on its timeline (`argus runs show`).
@Suite struct StatelessShapesAndTimelineTests {
    static let meta: JSONValue = [
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2"],
    ]

    static func toolCall(_ name: String, _ arguments: JSONValue, extra: JSONObject = [:]) -> JSONValue {
        var params: JSONObject = ["name": .string(name), "arguments": arguments, "_meta": meta]
        for member in extra.members { params[member.key] = member.value }
        return .object(params)
    }

    @Test func inputRequiredRoundsAndTheirRetriesAreOneCall() throws {
        let session = try WrapSessionHarness(testServer: [])
        let arguments: JSONValue = ["action": "deploy", "questions": 2]
        let first = try #require(session.request("tools/call", Self.toolCall("confirm_action", arguments))?["result"])
        #expect(first["resultType"] == "input_required", "\(first)")
        let second = try #require(
            session.request(
                "tools/call",
                Self.toolCall(
                    "confirm_action", arguments,
                    extra: [
                        "inputResponses": ["q1": ["action": "accept", "content": ["confirm": true]]],
                        "requestState": first["requestState"] ?? nil,
                    ]))?["result"])
        #expect(second["resultType"] == "input_required")
        let done = session.request(
            "tools/call",
            Self.toolCall(
                "confirm_action", arguments,
                extra: [
                    "inputResponses": ["q2": ["action": "accept", "content": ["confirm": true]]],
                    "requestState": second["requestState"] ?? nil,
                ]))?["result"]
        #expect(done?["structuredContent"]?["confirmed"] == true)
        #expect(session.finish() == 0)

        let reader = try session.reader()
        var filter = CallFilter()
        filter.tool = "confirm_action"
        let rounds = try reader.calls(filter).sorted { $0.id < $1.id }
        #expect(rounds.map(\.status) == [.inputRequired, .inputRequired, .ok], "\(rounds.map(\.status))")
        #expect(rounds.map(\.round) == [1, 2, 3])
        #expect(rounds.map(\.firstCallID) == [nil, rounds[0].id, rounds[0].id])
        #expect(rounds.allSatisfy { !$0.isError })
        #expect(try reader.runs().first?.errorCount == 0)
        // Any round leads to all of them.
        #expect(try reader.rounds(of: rounds[1]).map(\.id) == rounds.map(\.id))

        let (status, out, err) = try ReplayTests.argus(["runs", "show", "1"], session: session)
        #expect(status == 0, "\(err)")
        #expect(out.contains("input required (round 1)") && out.contains("ok (round 3 of call \(rounds[0].id))"), "\(out)")
    }

    @Test func listenStreamsEndWhenEitherSideClosesThem() throws {
        let session = try WrapSessionHarness(testServer: [])
        let listen: JSONValue = ["notifications": ["resourceSubscriptions": ["argus://test/readme"]], "_meta": Self.meta]
        session.proxy.send(["jsonrpc": "2.0", "id": "by-client", "method": "subscriptions/listen", "params": listen])
        session.proxy.send(["jsonrpc": "2.0", "id": "by-server", "method": "subscriptions/listen", "params": listen])
        // The server handles requests concurrently: both streams are open once both are acknowledged.
        var acknowledged = 0
        while acknowledged < 2, let line = session.proxy.readLine(timeout: 20) {
            if line.contains("notifications/subscriptions/acknowledged") { acknowledged += 1 }
        }
        #expect(acknowledged == 2)
        #expect(session.request("tools/call", Self.toolCall("notify_listeners", [:]))?["result"]?["structuredContent"]?["streams"] == 2)
        session.proxy.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "by-client"]])
        #expect(session.request("tools/call", Self.toolCall("close_listeners", [:]))?["result"]?["structuredContent"]?["streams"] == 1)
        #expect(session.finish() == 0)

        var filter = CallFilter()
        filter.method = "subscriptions/listen"
        let streams = Dictionary(uniqueKeysWithValues: try session.reader().calls(filter).map { ($0.jsonrpcID, $0) })
        #expect(streams[#""by-client""#]?.status == .ended, "\(streams)")
        #expect(streams[#""by-client""#]?.cancelled == false)
        #expect(streams[#""by-client""#]?.errorMessage == "closed by the client")
        #expect(streams[#""by-server""#]?.status == .ended)
        #expect(streams[#""by-server""#]?.errorMessage == "closed by the server: closed by argus-test-server")
    }

    @Test func notificationsAreOnTheRunsTimeline() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.request(
            "tools/call", ["name": "progress_task", "arguments": ["steps": 2, "delay_ms": 1], "_meta": ["progressToken": "p"]])
        #expect(session.finish() == 0)

        let reader = try session.reader()
        var notificationsOnly = TimelineFilter()
        notificationsOnly.kinds = [.notification]
        let notes = try reader.timeline(run: 1, notificationsOnly)
        #expect(
            notes.map(\.method) == [
                "notifications/initialized", "notifications/message", "notifications/progress",
                "notifications/progress",
            ], "\(notes.map(\.method))")
        #expect(notes[1].summary == "[info] progress_task: starting 2 steps")
        #expect(notes[3].summary == "progress 2/2: step 2 of 2")
        // Calls and notifications interleaved in wire order, paged by sequence number.
        let all = try reader.timeline(run: 1)
        #expect(all.map(\.seq) == all.map(\.seq).sorted())
        #expect(all.filter { $0.kind == .call }.map { $0.call?.method } == ["initialize", "tools/call"])
        var page = TimelineFilter()
        page.limit = 2
        page.afterSeq = Int64(all[1].seq)
        #expect(try reader.timeline(run: 1, page).map(\.seq) == Array(all[2...3].map(\.seq)))

        let (status, out, err) = try ReplayTests.argus(["runs", "show", "1", "--notifications"], session: session)
        #expect(status == 0, "\(err)")
        #expect(out.contains("notifications/message") && out.contains("[info] progress_task: starting 2 steps"), "\(out)")
        #expect(!out.contains("tools/call"))
        let (_, json, _) = try ReplayTests.argus(["runs", "show", "1", "--json"], session: session)
        let entries = try JSONParser.parse(json)["entries"]?.arrayValue ?? []
        #expect(entries.contains { $0["kind"] == "notification" && $0["params"]?["level"] == "info" })
    }
}

/// Runs begun and ended by hand (`argus runs new/stop`), deleted (`argus runs delete`), and
/// replay runs kept out of the listings of real traffic.
@Suite struct RunControlTests {
    static func liveRun(_ session: WrapSessionHarness) throws -> RunRecord {
        var found: RunRecord?
        #expect(
            waitUntil(timeout: 20) {
                found = try? session.reader().runs().first { $0.endedAt == nil && $0.argusPID == Int32(session.proxy.pid) }
                return found != nil
            })
        return try #require(found)
    }

    @Test func aNewRunBeginsInLiveWrapsAtTheirNextCallNeverMidCall() throws {
        let alpha = try WrapSessionHarness(testServer: ["--name", "alpha"])
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = alpha.argusHome
        let beta = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--name", "beta"], environment: env,
            database: alpha.database)
        alpha.initialize()
        beta.initialize()
        let alphaRun = try Self.liveRun(alpha)
        let betaRun = try Self.liveRun(beta)

        // A call in progress in alpha (until the client cancels it): the run is not split under it.
        alpha.proxy.send([
            "jsonrpc": "2.0", "id": "slow", "method": "tools/call",
            "params": ["name": "slow_operation", "arguments": ["ms": 60000]],
        ])
        let (status, out, err) = try ReplayTests.argus(
            ["runs", "new", "--server", "alpha", "--label", "bug 42", "--wait", "1.5"],
            session: alpha)
        #expect(status == 0, "\(err)")
        #expect(out.contains("run \(alphaRun.id) (alpha): asked; it ends as soon as its pending calls complete"), "\(out)")
        #expect(try alpha.reader().run(id: alphaRun.id)?.endedAt == nil)
        alpha.proxy.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "slow"]])
        alpha.callTool("echo", ["message": "the repro"])

        let reader = try alpha.reader()
        #expect(waitUntil(timeout: 20) { (try? reader.run(id: alphaRun.id)?.endReason) == .manual })
        let next = try #require(try reader.runs().first { $0.previousRunID == alphaRun.id })
        #expect(next.label == "bug 42" && next.serverName == "alpha")
        var filter = CallFilter()
        filter.tool = "slow_operation"
        #expect(try reader.calls(filter).map(\.runID) == [alphaRun.id])  // the call, and its cancellation, in the old run
        #expect(try reader.timeline(run: alphaRun.id).last?.method == "notifications/cancelled")
        filter.tool = "echo"
        #expect(waitUntil(timeout: 20) { (try? reader.calls(filter).map(\.runID)) == [next.id] })
        #expect(try reader.run(id: betaRun.id)?.endedAt == nil)  // another server's wrap goes on as it was

        let (_, listing, _) = try ReplayTests.argus(["runs"], session: alpha)
        #expect(listing.contains("alpha \"bug 42\""), "\(listing)")
        #expect(alpha.finish() == 0 && beta.finish() == 0)
        let (noneStatus, _, noneErr) = try ReplayTests.argus(["runs", "new"], session: alpha)
        #expect(noneStatus == 1 && noneErr.contains("no argus wrap is recording to"), "\(noneErr)")
    }

    @Test func stoppingALiveRunEndsItAndTheSessionGoesOn() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        let run = try Self.liveRun(session)
        let (status, out, err) = try ReplayTests.argus(["runs", "stop", String(run.id), "--wait", "20"], session: session)
        #expect(status == 0, "\(err)")
        #expect(out.contains("run \(run.id) ended; argus-test-server goes on in run"), "\(out)")
        #expect(session.callTool("echo", ["message": "still here"])?["structuredContent"]?["echo"] == "still here")
        #expect(session.finish() == 0)
        let reader = try session.reader()
        #expect(try reader.run(id: run.id)?.endReason == .manual)
        #expect(try reader.run(id: run.id)?.endDetail == "ended by hand with argus runs")
        let (_, stopped, stoppedErr) = try ReplayTests.argus(["runs", "stop", String(run.id)], session: session)
        #expect(stopped.isEmpty && stoppedErr.contains("run \(run.id) has already ended"))
    }

    @Test func deletingRunsRemovesEverythingRecordedInThem() throws {
        let (session, _) = try ReplayTests.record([("progress_task", ["steps": 1]), ("always_fail", [:])])
        let keep = try WrapSessionHarness(
            server: [Binaries.testServer], options: [],
            environment: ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": session.argusHome]) { $1 },
            database: session.database)
        keep.initialize()
        let live = try Self.liveRun(keep)
        let (refused, _, refusedErr) = try ReplayTests.argus(["runs", "delete", "1", String(live.id)], session: session)
        #expect(
            refused == 1 && refusedErr.contains("run \(live.id) is still being recorded") && refusedErr.contains("Nothing was deleted"),
            "\(refusedErr)")
        #expect(try session.reader().run(id: 1) != nil)

        let (status, out, err) = try ReplayTests.argus(["runs", "delete", "1"], session: session)
        #expect(status == 0 && out.contains("Deleted 1 run and 4 calls."), "\(out) \(err)")
        let db = try SQLiteConnection(path: session.database)
        for table in [
            "runs WHERE id = 1", "messages WHERE run_id = 1", "calls WHERE run_id = 1", "server_logs WHERE run_id = 1",
            "tool_schemas WHERE run_id = 1",
        ] {
            #expect(try db.scalarInt("SELECT COUNT(*) FROM \(table)") == 0, "\(table)")
        }
        #expect(try session.reader().run(id: live.id) != nil)
        #expect(keep.finish() == 0)
    }

    @Test func replayRunsAreLeftOutOfListingsStatsAndDiagnoseUnlessAskedFor() throws {
        let (session, ids) = try ReplayTests.record([("always_fail", [:]), ("echo", ["message": "x"])])
        for id in ids { #expect(try ReplayTests.argus(["replay", String(id)], session: session).status != nil) }
        let reader = try session.reader()
        let replayRuns = try reader.runs(excludeReplays: false).filter { $0.kind == "replay" }.map(\.id)
        #expect(replayRuns.count == 2)

        func json(_ arguments: [String]) throws -> [JSONValue] {
            let (status, out, err) = try ReplayTests.argus(arguments + ["--json"], session: session)
            #expect(status == 0, "\(err)")
            return (try? JSONParser.parse(out).arrayValue) ?? []
        }
        #expect(try json(["runs"]).map(\.["kind"]) == ["wrap"])
        #expect(try json(["runs", "--include-replays"]).count == 3)
        #expect(try json(["calls", "--errors"]).map(\.["run_id"]) == [1])
        #expect(try json(["calls", "--errors", "--include-replays"]).count == 2)
        #expect(try json(["calls", "--run", String(replayRuns[0])]).isEmpty == false)  // one run named: shown whatever its kind
        #expect(try json(["stats"]).first { $0["name"] == "always_fail" }?["count"] == 1)
        #expect(try json(["stats", "--include-replays"]).first { $0["name"] == "always_fail" }?["count"] == 2)
        let (_, diagnosis, _) = try ReplayTests.argus(["diagnose", "--json"], session: session)
        let runChecks = (try? JSONParser.parse(diagnosis))?["checks"]?.arrayValue?.filter { $0["section"] == "runs" } ?? []
        #expect(runChecks.count == 1 && runChecks[0]["title"]?.stringValue?.hasPrefix("run 1 ") == true, "\(runChecks)")
    }
}
