import ArgusCore
import ArgusStore
import Foundation
import Testing

/// `argus mock` through the real binary: a session of argus-test-server recorded by `argus wrap`,
/// then served with no server by `argus mock`, read like a client reads it.
@Suite struct MockTests {
    /// `argus mock` on a recorded session's database, as a client's child process.
    static func mock(_ session: WrapSessionHarness, _ arguments: [String]) throws -> Spawned {
        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = session.argusHome
        return try Spawned(Binaries.argus, ["mock", "--db", session.database] + arguments, environment: environment)
    }

    static func request(_ peer: Spawned, _ id: JSONValue, _ method: String, _ params: JSONValue = [:]) -> JSONValue? {
        peer.send(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params])
        return peer.response(to: id)
    }

    static func callTool(_ peer: Spawned, _ id: JSONValue, _ tool: String, _ arguments: JSONValue = [:]) -> JSONValue? {
        request(peer, id, "tools/call", ["name": .string(tool), "arguments": arguments])
    }

    static func greet(_ peer: Spawned) -> JSONValue? {
        let answer = request(
            peer, "hello", "initialize",
            [
                "protocolVersion": "2025-11-25", "capabilities": [:],
                "clientInfo": ["name": "agent-under-test", "version": "2"],
            ])
        peer.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return answer
    }

    /// The mock's run, once it has exited.
    static func mockRun(_ session: WrapSessionHarness) throws -> RunRecord {
        try #require(try session.reader().runs().first { $0.kind == "mock" })
    }

    /// Records the test server answering these calls (after initialize and tools/list).
    static func record(_ calls: [(String, JSONValue)], environment extra: [String: String] = [:]) throws -> WrapSessionHarness {
        let session = try WrapSessionHarness(testServer: [], environment: ProcessInfo.processInfo.environment.merging(extra) { $1 })
        session.initialize()
        session.request("tools/list")
        for (tool, arguments) in calls { session.callTool(tool, arguments) }
        #expect(session.finish() == 0)
        return session
    }

    @Test func theHandshakeAndEveryCallAreAnsweredAsRecordedWithTheLiveIds() throws {
        let session = try Self.record([
            ("calculate", ["operation": "multiply", "a": 6, "b": 7]), ("echo", ["message": "hi"]),
            ("always_fail", [:]),
        ])
        let recorded = try session.reader()
        var filter = CallFilter()
        filter.run = 1
        let originals = try recorded.details(try recorded.calls(filter).reversed())
        let mock = try Self.mock(session, ["--run", "1"])
        #expect(mock.waitForStderr(containing: "answering from run 1 (argus-test-server, 5 recorded requests); match params"))

        let greeting = try #require(Self.greet(mock))
        #expect(greeting["id"] == "hello")
        #expect(greeting["result"] == originals[0].response?["result"])
        #expect(greeting["result"]?["serverInfo"]?["name"] == "argus-test-server")
        let tools = try #require(Self.request(mock, 7, "tools/list", ["_meta": ["progressToken": "whatever"]]))
        #expect(tools["result"] == originals[1].response?["result"])
        // Ids of any type come back as they were sent; the answers are the recorded ones, isError included.
        let product = try #require(
            Self.callTool(mock, .number("12345678901234567890"), "calculate", ["a": 6, "operation": "multiply", "b": 7]))
        #expect(JSONWriter.string(product).contains(#""id":12345678901234567890"#))
        #expect(product["result"]?["structuredContent"]?["result"] == 42)
        #expect(Self.callTool(mock, .number("2.5"), "echo", ["message": "hi"])?["result"] == originals[3].response?["result"])
        #expect(Self.callTool(mock, "f", "always_fail")?["result"]?["isError"] == true)
        #expect(Self.request(mock, "p", "ping")?["result"] == [:])  // ping needs no recording
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
        #expect(mock.stderrToEnd().contains("argus mock: answered 5 requests; the session is recorded as run 2 (kind mock)"))

        // The mock session is a run of its own, each call linked to the recorded call that answered it.
        let run = try Self.mockRun(session)
        #expect(run.id == 2 && run.serverName == "argus-test-server" && run.endReason == .clientEOF)
        #expect(run.clientName == "agent-under-test" && run.serverInfoName == "argus-test-server")
        #expect(run.args.starts(with: ["mock", "--db"]))
        filter.run = run.id
        let served = try session.reader().calls(filter).reversed()
        #expect(served.map(\.method) == ["initialize", "tools/list", "tools/call", "tools/call", "tools/call", "ping"])
        #expect(served.map(\.replayOf) == originals.map(\.call.id).map(Optional.some) + [nil])
        #expect(served.map(\.isError) == [false, false, false, false, true, false])
        // Mocked latencies are not the server's: the figures leave the mock run out.
        let stats = try session.reader().stats(excludeReplays: true)
        #expect(stats.first { $0.name == "calculate" }?.count == 1)
    }

    @Test func aRequestWithNoRecordedAnswerIsAnErrorNamingTheClosestRecordedCall() throws {
        let session = try Self.record([("calculate", ["operation": "add", "a": 2, "b": 40])])
        let calculate = try #require(
            try session.reader().calls(
                {
                    var f = CallFilter(); f.tool = "calculate"; return f
                }()
            ).first)
        let mock = try Self.mock(session, ["--run", "1"])
        _ = Self.greet(mock)
        let miss = try #require(Self.callTool(mock, 1, "calculate", ["operation": "add", "a": 2, "b": 41]))
        #expect(miss["result"] == nil)
        #expect(miss["error"]?["code"] == -32010)
        let message = try #require(miss["error"]?["message"]?.stringValue)
        #expect(
            message == #"argus mock: no recorded answer for tools/call calculate {"operation":"add","a":2,"b":41} (match: params); "#
                + #"the closest recorded request is call \#(calculate.id), tools/call calculate {"operation":"add","a":2,"b":40}, "#
                + "which differs at /arguments/b")
        #expect(miss["error"]?["data"]?["closest"]?["call_id"]?.intValue == Int(calculate.id))
        #expect(miss["error"]?["data"]?["closest"]?["differences"] == ["/arguments/b"])
        let other = try #require(Self.request(mock, 2, "resources/list"))
        #expect(
            other["error"]?["message"]?.stringValue?.hasSuffix(
                "the recording has no resources/list request; "
                    + "it has initialize, tools/list, tools/call") == true)
        // Lines that are not requests get JSON-RPC's own errors, and the session goes on.
        mock.send("{not json")
        #expect(try JSONParser.parse(try #require(mock.readLine()))["error"]?["code"] == -32700)
        mock.send(#"[{"jsonrpc":"2.0","id":9,"method":"ping"}]"#)
        #expect(try JSONParser.parse(try #require(mock.readLine()))["error"]?["code"] == -32600)
        #expect(
            Self.callTool(mock, 3, "calculate", ["operation": "add", "a": 2, "b": 40])?["result"]?["structuredContent"]?["result"] == 42)
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
        #expect(mock.stderrToEnd().contains("answered 2 requests, 2 without a recorded answer"))
        var filter = CallFilter()
        filter.run = try Self.mockRun(session).id
        filter.errorsOnly = true
        #expect(try session.reader().calls(filter).count == 2)  // the misses are recorded as the errors they were
    }

    @Test func sequenceAndStrictFollowTheRecordedOrder() throws {
        // Six identical calls with recorded outcomes that differ (a seeded server).
        let session = try Self.record(Array(repeating: ("random_failure", [:]), count: 6), environment: ["ARGUS_TEST_SEED": "1"])
        var filter = CallFilter()
        filter.tool = "random_failure"
        let recorded = try session.reader().details(try session.reader().calls(filter).reversed())
        let texts = recorded.map { $0.response?["result"]?["content"]?[0]?["text"] }
        #expect(Set(texts.compactMap { $0 }).count > 1, "the seed must give differing outcomes: \(texts)")

        func served(_ match: String, calls: Int) throws -> [JSONValue?] {
            let mock = try Self.mock(session, ["--run", "1", "--match", match])
            defer { mock.closeInput(); _ = mock.waitForExit() }
            _ = Self.greet(mock)
            _ = Self.request(mock, "list", "tools/list")
            return (0..<calls).map { Self.callTool(mock, .int($0), "random_failure")?["result"]?["content"]?[0]?["text"] }
        }
        #expect(try served("params", calls: 3) == Array(repeating: texts[0], count: 3))
        #expect(try served("sequence", calls: 8) == texts + [texts[5], texts[5]])

        let strict = try Self.mock(session, ["--run", "1", "--match", "strict"])
        _ = Self.greet(strict)
        let skipped = try #require(Self.callTool(strict, 1, "random_failure"))
        #expect(
            skipped["error"]?["message"]?.stringValue?.contains(
                "is out of the recorded order (match: strict): "
                    + "the next recorded request is call 2, tools/list") == true)
        #expect(Self.request(strict, 2, "tools/list")?["result"] != nil)
        #expect(Self.callTool(strict, 3, "random_failure")?["result"]?["content"]?[0]?["text"] == texts[0])
        strict.closeInput()
        #expect(strict.waitForExit() == 0)
    }

    @Test func redactedAnswersAreRefusedUnlessServedAndLiveSecretsMatchTheRedactedRecording() throws {
        let secret: JSONValue = ["password": "hunter2-correct-horse"]
        let session = try Self.record([("emit", ["result": secret])])
        let stored = try #require(
            try session.reader().calls(
                {
                    var f = CallFilter(); f.tool = "emit"; return f
                }()
            ).first)
        #expect(try session.reader().call(id: stored.id)?.response?["result"]?["structuredContent"]?["password"] == "[REDACTED]")

        let mock = try Self.mock(session, ["--run", "1"])
        _ = Self.greet(mock)
        // The live request carries the real password; the recording holds [REDACTED]: they match.
        let refused = try #require(Self.callTool(mock, 1, "emit", ["result": secret]))
        #expect(refused["error"]?["code"] == -32011)
        #expect(
            refused["error"]?["message"]?.stringValue?.contains(
                "was stored redacted, and a mocked [REDACTED] would mislead the agent; "
                    + "run argus mock with --serve-redacted") == true)
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
        #expect(mock.stderrToEnd().contains("1 refused"))

        let served = try Self.mock(session, ["--run", "1", "--serve-redacted"])
        _ = Self.greet(served)
        #expect(Self.callTool(served, 1, "emit", ["result": secret])?["result"]?["structuredContent"]?["password"] == "[REDACTED]")
        served.closeInput()
        #expect(served.waitForExit() == 0)
        // The secret the agent sent is redacted in the mock's own recording too.
        for file in [session.database, session.database + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            #expect(bytes.range(of: Data("hunter2-correct-horse".utf8)) == nil, "\(file)")
        }
    }

    @Test func aMockHookRewritesAnswersAnswersMissesAndFailsLoudly() throws {
        let session = try Self.record([("get_weather", ["city": "Oslo"]), ("echo", ["message": "hi"])])
        let script = session.directory + "/mock.lua"
        try """
        function mock(answer, call, ctx)
          if call.tool == "get_weather" and answer.result then
            answer.result.structuredContent.temperature_c = 99
            answer.result.content = argus.array({})
            return answer
          end
          if call.tool == "echo" and call.params.arguments.message == "boom" then error("no such luck") end
          if call.tool == "echo" and answer.error then
            return { result = { content = { { type = "text", text = "scripted: " .. call.params.arguments.message } } } }
          end
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let mock = try Self.mock(session, ["--run", "1", "--script", script])
        _ = Self.greet(mock)
        let weather = Self.callTool(mock, 1, "get_weather", ["city": "Oslo"])?["result"]
        #expect(weather?["structuredContent"]?["temperature_c"] == 99 && weather?["content"] == [])
        #expect(weather?["structuredContent"]?["city"] == "Oslo")  // what the hook left alone stays
        #expect(Self.callTool(mock, 2, "echo", ["message": "hi"])?["result"]?["content"]?[0]?["text"] == "hi")
        #expect(Self.callTool(mock, 3, "echo", ["message": "unrecorded"])?["result"]?["content"]?[0]?["text"] == "scripted: unrecorded")
        let failed = try #require(Self.callTool(mock, 4, "echo", ["message": "boom"]))
        #expect(failed["error"]?["code"] == -32012)
        #expect(failed["error"]?["message"]?.stringValue?.hasPrefix("argus mock: script mock: mock failed: ") == true)
        #expect(failed["error"]?["message"]?.stringValue?.contains("no such luck") == true)
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
    }

    @Test func recordedLatencyProgressAndLogMessagesArePlayedAtTheirTimesWithTheLiveToken() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.request("tools/list")
        session.request(
            "tools/call",
            [
                "name": "progress_task", "arguments": ["steps": 3, "delay_ms": 150],
                "_meta": ["progressToken": "recorded-token"],
            ])
        #expect(session.finish() == 0)

        for (latency, atLeast) in [("recorded", 0.35), ("none", 0.0)] {
            let mock = try Self.mock(session, ["--run", "1", "--latency", latency])
            _ = Self.greet(mock)
            let start = Date()
            mock.send([
                "jsonrpc": "2.0", "id": 5, "method": "tools/call",
                "params": ["name": "progress_task", "arguments": ["steps": 3, "delay_ms": 150], "_meta": ["progressToken": "live"]],
            ])
            var seen: [JSONValue] = []
            while let line = mock.readLine(), let message = try? JSONParser.parse(line) {
                seen.append(message)
                if message["id"] == 5 { break }
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(
                seen.map { $0["method"]?.stringValue ?? "response" }
                    == ["notifications/message", "notifications/progress", "notifications/progress", "notifications/progress", "response"])
            #expect(seen.compactMap { $0["params"]?["progressToken"] } == ["live", "live", "live"])
            #expect(seen.last?["result"]?["structuredContent"]?["steps"] == 3)
            #expect(elapsed >= atLeast, "latency \(latency): answered after \(elapsed) s")
            // Without a progress token the client asked for no progress: only the log message comes before the answer.
            mock.send([
                "jsonrpc": "2.0", "id": 6, "method": "tools/call",
                "params": ["name": "progress_task", "arguments": ["steps": 3, "delay_ms": 150]],
            ])
            let first = try JSONParser.parse(try #require(mock.readLine()))
            #expect(first["method"] == "notifications/message")
            #expect(try JSONParser.parse(try #require(mock.readLine()))["id"] == 6)
            mock.closeInput()
            #expect(mock.waitForExit() == 0)
        }
    }

    @Test func aCancelledRequestGetsNothingMore() throws {
        let session = try Self.record([("slow_operation", ["ms": 400])])
        let mock = try Self.mock(session, ["--run", "1", "--latency", "recorded"])
        _ = Self.greet(mock)
        mock.send(["jsonrpc": "2.0", "id": "slow", "method": "tools/call", "params": ["name": "slow_operation", "arguments": ["ms": 400]]])
        mock.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "slow", "reason": "the user gave up"]])
        #expect(Self.request(mock, "after", "ping")?["result"] == [:])
        #expect(mock.readLine(timeout: 1.5) == nil, "a cancelled request must not be answered")
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
        var filter = CallFilter()
        filter.run = try Self.mockRun(session).id
        filter.method = "tools/call"
        #expect(try session.reader().calls(filter).first?.status == .cancelled)
    }

    @Test func aRequestToTheClientIsSentAndItsAnswerAwaitedBeforeTheRecordedResult() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.proxy.send(["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": "client_roots", "arguments": [:]]])
        let ask = try JSONParser.parse(try #require(session.proxy.readLine()))
        #expect(ask["method"] == "roots/list")
        session.proxy.send(["jsonrpc": "2.0", "id": ask["id"] ?? .null, "result": ["roots": [["uri": "file:///work"]]]])
        #expect(session.proxy.response(to: 1)?["result"]?["structuredContent"]?["roots"] == [["uri": "file:///work"]])
        #expect(session.finish() == 0)

        let mock = try Self.mock(session, ["--run", "1"])
        _ = Self.greet(mock)
        mock.send(["jsonrpc": "2.0", "id": "call", "method": "tools/call", "params": ["name": "client_roots", "arguments": [:]]])
        let question = try JSONParser.parse(try #require(mock.readLine()))
        #expect(question["method"] == "roots/list" && question["id"] == "argus-mock-1")
        #expect(mock.readLine(timeout: 0.5) == nil, "the recorded result must wait for the client's answer")
        mock.send(["jsonrpc": "2.0", "id": "argus-mock-1", "result": ["roots": []]])
        let result = try #require(mock.response(to: "call"))
        #expect(result["result"]?["structuredContent"]?["roots"] == [["uri": "file:///work"]])  // as recorded
        mock.closeInput()
        #expect(mock.waitForExit() == 0)
        var filter = CallFilter()
        filter.run = try Self.mockRun(session).id
        filter.method = "roots/list"
        #expect(try session.reader().calls(filter).first?.direction == .serverToClient)  // the mock's own request, recorded and paired
    }

    @Test func aSuiteServesWhatItsRunServedInBothProtocolEras() throws {
        for version in ["2025-11-25", "2026-07-28"] {
            let session = try WrapSessionHarness(testServer: [])
            let meta: JSONValue = [
                "io.modelcontextprotocol/protocolVersion": .string(version),
                "io.modelcontextprotocol/clientInfo": ["name": "agent", "version": "1"],
            ]
            let stateless = version == "2026-07-28"
            if !stateless { session.initialize(version: version) }
            session.request("tools/list", stateless ? ["_meta": meta] : [:])
            session.request(
                "tools/call",
                [
                    "name": "calculate", "arguments": ["operation": "add", "a": 1, "b": 2],
                    "_meta": stateless ? meta : [:],
                ])
            #expect(session.finish() == 0)
            let suite = session.directory + "/suite.json"
            let exported = try ReplayTests.argus(["export", "--run", "1", "--out", suite], session: session)
            #expect(exported.status == 0, "\(exported.err)")
            let file = try JSONParser.parse(try String(contentsOfFile: suite, encoding: .utf8))
            #expect(file["other_calls"]?.arrayValue?.map { $0["method"] } == (stateless ? ["tools/list"] : ["initialize", "tools/list"]))

            let mock = try Self.mock(session, ["--suite", suite])
            if !stateless {
                #expect(Self.greet(mock)?["result"]?["protocolVersion"] == .string(version))
            }
            let liveMeta: JSONValue = [
                "io.modelcontextprotocol/protocolVersion": .string(version),
                "io.modelcontextprotocol/clientInfo": ["name": "another-agent", "version": "9"],
            ]
            #expect(
                Self.request(mock, 1, "tools/list", stateless ? ["_meta": liveMeta] : [:])?["result"]?["tools"]?.arrayValue?.isEmpty
                    == false)
            let sum = Self.callTool(mock, 2, "calculate", ["operation": "add", "a": 1, "b": 2])
            #expect(sum?["result"]?["structuredContent"]?["result"] == 3, "\(version): \(String(describing: sum))")
            if stateless { #expect(sum?["result"]?["resultType"] == "complete") }
            mock.closeInput()
            #expect(mock.waitForExit() == 0)
            #expect(try Self.mockRun(session).protocolVersion == version)
        }
    }

    @Test func aSignalEndsTheSessionAndTheRunSaysSo() throws {
        let session = try Self.record([])
        let mock = try Self.mock(session, ["--run", "1"])
        _ = Self.greet(mock)
        mock.signal(SIGTERM)
        #expect(mock.waitForExit() == 128 + SIGTERM)
        let run = try Self.mockRun(session)
        #expect(run.endReason == .signal && run.endDetail == "SIGTERM" && run.callCount == 1)
    }

    @Test func badInputIsAClearError() throws {
        let session = try Self.record([])
        for (arguments, message) in [
            (["--run", "1", "--match", "fuzzy"], "--match takes params, sequence or strict"),
            (["--run", "1", "--latency", "slow"], "--latency takes none, recorded, or xN"),
            (["--match", "params"], "give either --run ID or --suite FILE"),
            (["--run", "99"], "no run 99 in the database"),
        ] {
            let mock = try Self.mock(session, arguments)
            mock.closeInput()
            #expect(mock.waitForExit() != 0)
            #expect(mock.stderrToEnd().contains(message), "\(arguments)")
        }
    }
}
