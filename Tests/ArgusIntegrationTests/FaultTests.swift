import ArgusCore
import ArgusStore
import Foundation
import Testing

/// `argus wrap --faults` with real servers: what the client receives, what is recorded, and
/// what `argus verdict`, `argus calls` and `argus test` make of it.
@Suite struct FaultTests {
    static func file(_ text: String, name: String = "faults.json", in directory: String = temporaryDirectory("faults")) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static func chaos(_ plan: String, options: [String] = []) throws -> WrapSessionHarness {
        let session = try WrapSessionHarness(testServer: ["--faults", file(plan)] + options)
        session.initialize()
        session.request("tools/list")  // the annotations verdicts read
        return session
    }

    static func send(_ session: WrapSessionHarness, id: Int, _ tool: String, _ arguments: JSONValue = [:]) {
        session.proxy.send([
            "jsonrpc": "2.0", "id": .int(id), "method": "tools/call",
            "params": ["name": .string(tool), "arguments": arguments],
        ])
    }

    @Test func eachKindReachesTheClientLikeAServersAnswerAndIsRecordedAsInjected() throws {
        let session = try Self.chaos(
            """
            {"seed": 7, "faults": [
              {"tool": "echo", "kind": "error", "code": -32000, "message": "backend down", "times": 1},
              {"tool": "get_weather", "kind": "is_error", "message": "quota exceeded"},
              {"tool": "calculate", "kind": "empty"},
              {"tool": "random_failure", "kind": "stale", "after_calls": 1},
              {"tool": "slow_operation", "kind": "latency", "ms": 400},
              {"tool": "password_generate", "kind": "malformed"},
              {"tool": "always_fail", "kind": "timeout"}]}
            """)
        #expect(session.proxy.waitForStderr(containing: "argus: CHAOS: injecting faults"), "\(session.proxy.stderrText)")
        let error = session.request("tools/call", ["name": "echo", "arguments": ["message": "a"]])
        #expect(error?["error"]?["code"] == -32000 && error?["error"]?["message"] == "backend down", "\(String(describing: error))")
        #expect(session.callTool("echo", ["message": "b"])?["structuredContent"]?["echo"] == "b", "times: 1 means once")
        #expect(session.callTool("get_weather", ["city": "Oslo"])?["isError"] == true)
        #expect(session.callTool("calculate", ["operation": "add", "a": 1, "b": 2])?["content"] == .array([]))
        let fresh = session.callTool("random_failure", ["seed": 3])
        #expect(session.callTool("random_failure", ["seed": 3]) == fresh, "the previous answer again")
        let start = Date()
        #expect(session.callTool("slow_operation", ["ms": 0]) != nil)
        #expect(Date().timeIntervalSince(start) >= 0.4, "held for the fault's 400 ms")

        Self.send(session, id: 900, "password_generate", ["length": 12])
        let cut = try #require(session.proxy.readLine())
        #expect(cut.hasPrefix(#"{"jsonrpc":"2.0","id":900"#) && (try? JSONParser.parse(cut)) == nil, "cut short: \(cut)")

        Self.send(session, id: 901, "always_fail")
        #expect(session.proxy.readLine(timeout: 1) == nil, "a timeout is never answered")
        session.proxy.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":901}}"#)
        #expect(session.callTool("echo", ["message": "after"])?["structuredContent"]?["echo"] == "after", "the session goes on")
        #expect(session.finish() == 0)

        let reader = try session.reader()
        let run = try #require(try reader.runs().first)
        #expect(run.kind == "chaos")
        let faults = try reader.faults(run: run.id)
        #expect(faults.map(\.kind) == ["error", "is_error", "empty", "stale", "latency", "malformed", "timeout"])
        #expect(faults.allSatisfy { $0.requestSeq != nil && $0.detail?.contains("seed 7") == true })
        #expect(faults.first { $0.kind == "malformed" }?.responseSeq != nil)
        var filter = CallFilter()
        filter.method = "tools/call"
        let calls = try reader.withFaults(try reader.calls(filter))
        let marked = calls.filter { $0.fault != nil }
        #expect(marked.count == 7, "\(calls.map { "\($0.tool ?? "") \($0.fault?.kind ?? "-")" })")
        #expect(calls.first { $0.fault?.kind == "timeout" }?.status == .cancelled)
        #expect(calls.first { $0.fault?.kind == "error" }?.errorMessage == "backend down")
        #expect(calls.filter { $0.tool == "echo" && $0.fault == nil }.count == 2)
        #expect(calls.first { $0.fault?.kind == "latency" }.flatMap(\.latencyMicros) ?? 0 >= 400_000)

        let runs = try ListingTests.argus(["runs"], database: session.database)
        #expect(runs.out.contains("argus-test-server [chaos: faults injected]"), "\(runs.out)")
        let listed = try ListingTests.argus(["calls", "--run", String(run.id)], database: session.database)
        #expect(listed.out.contains("[injected: error] backend down") && listed.out.contains("[injected: timeout]"), "\(listed.out)")
        let errorCall = try #require(calls.first { $0.fault?.kind == "error" })
        let shown = try ListingTests.argus(["calls", String(errorCall.id)], database: session.database)
        #expect(
            shown.out.contains("INJECTED   error by argus (faults[0])") && shown.out.contains("argus's, not the server's"), "\(shown.out)")
        let json = try ListingTests.argus(["calls", "--run", String(run.id), "--json"], database: session.database)
        let listedCalls = try JSONParser.parse(json.out).arrayValue ?? []
        #expect(listedCalls.first { $0["fault"]?["kind"] == "error" }?["fault"]?["source"] == "faults[0]")
        #expect(listedCalls.filter { $0["fault"] != .null }.count == 7)
    }

    @Test func theSameSeedInjectsTheSameFaults() throws {
        func pattern(seed: Int) throws -> [Bool] {
            let session = try Self.chaos(#"{"seed": \#(seed), "faults": [{"tool": "echo", "kind": "error", "probability": 0.5}]}"#)
            let failed = (0..<24).map { i in
                session.request("tools/call", ["name": "echo", "arguments": ["message": .string("m\(i)")]])?["error"] != nil
            }
            #expect(session.finish() == 0)
            return failed
        }
        let first = try pattern(seed: 42)
        #expect(try pattern(seed: 42) == first)
        #expect(first.contains(true) && first.contains(false), "\(first)")
        #expect(try pattern(seed: 43) != first)
    }

    @Test func withoutASeedTheSeedChosenIsPrintedToRepeatTheRun() throws {
        let session = try Self.chaos(#"{"faults": [{"tool": "echo", "kind": "empty"}]}"#)
        #expect(session.finish() == 0)
        let stderr = session.proxy.stderrText
        #expect(stderr.contains("add \"seed\": "), "\(stderr)")
    }

    @Test func aLuaFaultHookAnswersDelaysFailsOrDrops() throws {
        let directory = temporaryDirectory("faults")
        _ = Self.file(
            """
            SCRIPT = { name = "flaky", match = { tool = "echo" } }
            function fault(request, ctx)
              local message = request.params.arguments.message
              if message == "answer" then return { result = { content = { { type = "text", text = "from lua " .. ctx.calls } } } } end
              if message == "drop" then return argus.DROP end
              if message == "slow" then return { ms = 300 } end
              if message == "fail" then return { kind = "is_error", message = "lua says no" } end
              if message == "broken" then error("oops") end
              return nil
            end
            """, name: "flaky.lua", in: directory)
        let plan = Self.file(#"{"seed": 1, "scripts": ["flaky.lua"]}"#, in: directory)
        let session = try WrapSessionHarness(testServer: ["--faults", plan])
        session.initialize()
        #expect(session.callTool("echo", ["message": "answer"])?["content"]?[0]?["text"] == "from lua 1")
        #expect(session.callTool("echo", ["message": "fail"])?["content"]?[0]?["text"] == "lua says no")
        let start = Date()
        #expect(session.callTool("echo", ["message": "slow"])?["structuredContent"]?["echo"] == "slow")
        #expect(Date().timeIntervalSince(start) >= 0.3)
        #expect(session.callTool("echo", ["message": "broken"])?["structuredContent"]?["echo"] == "broken", "a failing hook fails open")
        Self.send(session, id: 77, "echo", ["message": "drop"])
        #expect(session.proxy.readLine(timeout: 1) == nil)
        #expect(session.callTool("echo", ["message": "plain"])?["structuredContent"]?["echo"] == "plain")
        #expect(session.finish() == 0)
        #expect(session.proxy.stderrText.contains("argus: fault script flaky: "), "\(session.proxy.stderrText)")
        let faults = try session.reader().faults(run: 1)
        #expect(faults.map(\.kind) == ["answer", "is_error", "latency", "timeout"])
        #expect(faults.allSatisfy { $0.source == "script flaky" })
    }

    @Test func verdictsJudgeTheRunForPeopleProgramsAndCI() throws {
        let session = try Self.chaos(
            #"{"seed": 1, "faults": [{"tool": "delete_file", "kind": "is_error", "times": 1}, {"tool": "get_weather", "kind": "empty"}]}"#)
        session.callTool("delete_file", ["path": "/tmp/x"])
        session.callTool("delete_file", ["path": "/tmp/x"])  // again, unchecked: a blind write retry
        session.callTool("get_weather", ["city": "Paris"])
        session.callTool("echo", ["message": "moving on"])
        #expect(session.finish() == 0)
        let junit = temporaryDirectory("junit") + "/verdicts.xml"
        let text = try ReplayTests.argus(["verdict", "--run", "1", "--junit", junit], session: session)
        #expect(text.status == 1, "a blind write retry fails: \(text.out) \(text.err)")
        #expect(text.out.contains("FAIL  blind_write_retry  call"), "\(text.out)")
        #expect(text.out.contains("after_empty") && text.out.contains("get_weather answered nothing (injected: empty)"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains(#"<testsuite name="verdicts run-1""#) && xml.contains("<failure message="))
        let json = try ReplayTests.argus(["verdict", "--run", "1", "--json"], session: session)
        let parsed = try JSONParser.parse(json.out)
        #expect(parsed["passed"] == false && parsed["faults"] == 2)
        #expect(parsed["verdicts"]?.arrayValue?.contains { $0["kind"] == "retried" && $0["facts"]?["same_arguments"] == true } == true)
        #expect(try ReplayTests.argus(["verdict", "--run", "99"], session: session).status == 2)

        // argus test on the chaos run: the server's own answers are replayed, the injected ones
        // skipped, and the verdicts are a suite of their own.
        let testJUnit = temporaryDirectory("junit") + "/test.xml"
        let tested = try ReplayTests.argus(["test", "--run", "1", "--junit", testJUnit], session: session)
        #expect(tested.status == 1, "\(tested.out)\(tested.err)")
        #expect(tested.out.contains("Verdicts on run 1:") && tested.out.contains("blind_write_retry"), "\(tested.out)")
        let both = try String(contentsOfFile: testJUnit, encoding: .utf8)
        #expect(both.contains(#"<testsuite name="run-1""#) && both.contains(#"<testsuite name="verdicts run-1""#))
        #expect(!both.contains(#"classname="run-1.get_weather""#), "the injected empty answer is not replayed: \(both)")
        #expect(both.contains(#"classname="run-1.echo""#))
    }

    @Test func theDashboardMarksInjectedCallsAndServesTheVerdicts() throws {
        let session = try Self.chaos(#"{"seed": 1, "faults": [{"tool": "echo", "kind": "error", "times": 1}]}"#)
        session.request("tools/call", ["name": "echo", "arguments": ["message": "a"]])
        session.callTool("echo", ["message": "a"])
        #expect(session.finish() == 0)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let calls = try #require(dashboard.get("/api/calls?tool=echo").json?["calls"]?.arrayValue)
        #expect(calls.count == 2)
        let injected = try #require(calls.first { $0["fault"] != .null })
        #expect(injected["fault"]?["kind"] == "error" && injected["fault"]?["answered_by_argus"] == true)
        let id = try #require(injected["id"]?.intValue)
        #expect(dashboard.get("/api/calls/\(id)").json?["fault"]?["source"] == "faults[0]")
        #expect(dashboard.get("/api/runs/1").json?["calls"]?.arrayValue?.contains { $0["fault"]?["kind"] == "error" } == true)
        #expect(dashboard.get("/api/runs/1").json?["run"]?["kind"] == "chaos")
        let verdicts = try #require(dashboard.get("/api/runs/1/verdicts").json)
        #expect(verdicts["faults"] == 1 && verdicts["verdicts"]?[0]?["kind"] == "retried", "\(verdicts)")
        #expect(dashboard.get("/api/runs/42/verdicts").status == 404)
        #expect(
            dashboard.get("/api/stats").json?["tools"]?.arrayValue?.contains { $0["name"] == "echo" } != true,
            "a chaos run is not the server's figures")
    }

    @Test func aVerdictScriptAddsItsOwnFindings() throws {
        let session = try Self.chaos(#"{"seed": 1, "faults": [{"tool": "get_weather", "kind": "empty"}]}"#)
        session.callTool("get_weather", ["city": "Paris"])
        session.callTool("echo", ["message": "Paris is sunny"])
        #expect(session.finish() == 0)
        let script = Self.file(
            """
            local empties = 0
            function verdict(call, ctx)
              if call.outcome == "empty" then empties = empties + 1 end
              if call.tool == "echo" and empties > 0 and call.params.arguments.message:find("sunny") then
                return { kind = "made_up", level = "failure", message = "said it was sunny after an empty answer" }
              end
            end
            """, name: "madeup.lua")
        let out = try ReplayTests.argus(["verdict", "--run", "1", "--script", script], session: session)
        #expect(out.status == 1)
        #expect(out.out.contains("FAIL  made_up") && out.out.contains("(script madeup)"), "\(out.out)\(out.err)")
    }

    @Test func theConfigsFaultsApplyToItsServersUnlessTurnedOff() throws {
        let directory = temporaryDirectory("faults")
        let config = Self.file(
            #"{"faults": {"servers": ["argus-test-*"], "faults": [{"tool": "echo", "kind": "empty"}]}}"#,
            name: "config.json", in: directory)
        let on = try WrapSessionHarness(testServer: ["--config", config])
        on.initialize()
        #expect(on.callTool("echo", ["message": "x"])?["content"] == .array([]))
        #expect(on.finish() == 0)
        #expect(on.proxy.stderrText.contains("from the \"faults\" section of \(config)"))
        let off = try WrapSessionHarness(testServer: ["--config", config, "--no-faults"])
        off.initialize()
        #expect(off.callTool("echo", ["message": "x"])?["structuredContent"]?["echo"] == "x")
        #expect(off.finish() == 0)
        #expect(!off.proxy.stderrText.contains("CHAOS"))
        #expect(try off.reader().runs().first?.kind == "wrap")
        let elsewhere = try WrapSessionHarness(testServer: ["--config", config, "--name", "github"])
        elsewhere.initialize()
        #expect(elsewhere.callTool("echo", ["message": "x"])?["structuredContent"]?["echo"] == "x", "the plan names other servers")
        #expect(elsewhere.finish() == 0)
    }

    @Test func aBadFaultsFileIsRefusedSayingWhere() throws {
        let session = try WrapSessionHarness(testServer: ["--faults", Self.file(#"{"faults": [{"tool": "x", "kind": "slow"}]}"#)])
        #expect(session.proxy.waitForExit() != 0)
        #expect(session.proxy.stderrText.contains("faults[0].kind: unknown kind \"slow\""), "\(session.proxy.stderrText)")
    }

    /// A remote session applies the plan too: here the fault answers in the server's place, so the
    /// unreachable server is never asked, and the session ends normally when the client leaves.
    @Test func aRemoteSessionAppliesAFaultsFile() throws {
        let plan = Self.file(#"{"faults": [{"kind": "error"}]}"#)
        let proxy = try Spawned(
            Binaries.argus,
            ["wrap", "--db", temporaryDirectory("faults") + "/a.db", "--faults", plan, "--url", "http://127.0.0.1:9/mcp"])
        proxy.send(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{}}}"#)
        let answer = proxy.readLine(timeout: 60) ?? "no answer"
        #expect(answer.contains(#""id":7"#) && answer.contains(#""error""#), "\(answer)")
        proxy.closeInput()
        let status = proxy.waitForExit(timeout: 60)
        #expect(status == 0, "exit \(String(describing: status)): \(proxy.stderrText)")
        #expect(proxy.stderrText.contains("argus: CHAOS: injecting faults into this session"), "\(proxy.stderrText)")
    }

    @Test func deletingAChaosRunLeavesNoFaultBehind() throws {
        let session = try Self.chaos(
            #"{"seed": 1, "faults": [{"tool": "password_generate", "kind": "malformed"}, {"tool": "echo", "kind": "error"}]}"#)
        Self.send(session, id: 500, "password_generate")
        _ = session.proxy.readLine()
        session.callTool("echo", ["message": "x"])
        #expect(session.finish() == 0)
        #expect(try session.reader().faults(run: 1).count == 2)
        #expect(try ListingTests.argus(["runs", "delete", "1"], database: session.database).status == 0)
        let db = try SQLiteConnection(path: session.database)
        #expect(try db.scalarInt("SELECT COUNT(*) FROM faults") == 0)
        #expect(try db.scalarInt("SELECT COUNT(*) FROM messages") == 0)
    }

    /// With faults on but none matching, the line relay forwards every byte as the plain one does.
    @Test func aChaosSessionIsStillByteExactWhereNoFaultApplies() throws {
        let dir = temporaryDirectory("tap")
        let toClient = TransparencyTests.serverBytes()
        let fromClient = TransparencyTests.clientBytes()
        try Data(toClient).write(to: URL(fileURLWithPath: dir + "/server-out"))
        // A stale rule that never fires still makes the relay read every tool call's answer.
        let plan = Self.file(#"{"faults": [{"tool": "*", "kind": "stale", "after_calls": 1000}]}"#)
        let session = try WrapSessionHarness(
            server: ["/bin/sh", "-c", #"cat > "$0"; cat "$1""#, dir + "/server-in", dir + "/server-out"],
            options: ["--faults", plan])
        session.proxy.write(fromClient)
        session.proxy.closeInput()
        let received = session.proxy.readToEnd()
        #expect(session.proxy.waitForExit() == 0)
        let captured = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/server-in")))
        #expect(captured == fromClient, "client → server bytes differ")
        #expect(received == toClient, "server → client bytes differ")
        let reader = try session.reader()
        let messages = try reader.messages(run: 1)
        #expect(
            messages.filter { $0.direction == .clientToServer }.count == 16
                && messages.filter { $0.direction == .serverToClient }.count == 13)
        #expect(try reader.faults(run: 1).isEmpty)
    }
}
