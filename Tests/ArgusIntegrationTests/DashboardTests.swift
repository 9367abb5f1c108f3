import ArgusCore
import ArgusStore
import Foundation
import Testing

/// `argus dashboard` through the real binary, a real port on 127.0.0.1 and
/// sessions recorded by separate `argus wrap` processes.
@Suite struct DashboardTests {
    /// A finished session of the test server: initialize, tools/list, then the calls.
    static func record(
        _ calls: [(String, JSONValue)], options: [String] = [], environment: [String: String] = [:],
        database: String? = nil, home: String? = nil
    ) throws -> WrapSessionHarness {
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let home { env["ARGUS_HOME"] = home }
        let session = try WrapSessionHarness(server: [Binaries.testServer], options: options, environment: env, database: database)
        session.initialize()
        session.request("tools/list")
        for (tool, arguments) in calls { session.callTool(tool, arguments) }
        #expect(session.finish() == 0)
        return session
    }

    static func ids(_ reply: HTTPReply, _ key: String = "calls") -> [Int64] {
        reply.json?[key]?.arrayValue?.compactMap { $0["id"]?.intValue.map(Int64.init) } ?? []
    }

    @Test func theAPIServesRunsCallsSchemasAndStats() throws {
        let session = try Self.record([
            ("calculate", ["operation": "add", "a": 2, "b": 3]), ("always_fail", [:]),
            ("echo", ["message": "one", "api_key": "sk-live-abcdefghijklmnop123456"]), ("echo", ["message": "two"]),
            ("echo", ["message": "three"]), ("get_weather", ["city": "Lisbon"]),
        ])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }

        let health = dashboard.get("/api/health")
        #expect(health.status == 200 && health.json?["status"] == "ok" && health.json?["schema_version"] == .int(Schema.currentVersion))

        let runs = dashboard.get("/api/runs")
        #expect(runs.json?["runs"]?.arrayValue?.count == 1)
        #expect(runs.json?["runs"]?[0]?["call_count"] == 8)  // initialize, tools/list and six tool calls
        #expect(runs.json?["runs"]?[0]?["live_wrap"] == false)

        let run = dashboard.get("/api/runs/1")
        #expect(run.json?["calls"]?.arrayValue?.count == 8)
        #expect(run.json?["stderr"]?.arrayValue?.contains { $0["line"]?.stringValue?.contains("ready") == true } == true)
        #expect(dashboard.get("/api/runs/1/schema").json?["tools"]?.arrayValue?.count == 15)  // every tool argus-test-server lists
        #expect(dashboard.get("/api/runs/99").status == 404)

        // Cursor pagination: every call once, newest first.
        var seen: [Int64] = []
        var cursor: String? = nil
        repeat {
            let page = dashboard.get("/api/calls?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.status == 200)
            seen += Self.ids(page)
            cursor = page.json?["next_cursor"]?.intValue.map(String.init)
        } while cursor != nil
        #expect(seen == seen.sorted(by: >) && Set(seen).count == 8)

        #expect(Self.ids(dashboard.get("/api/calls?tool=echo")).count == 3)
        let errors = dashboard.get("/api/calls?errors=1").json?["calls"]?.arrayValue ?? []
        #expect(errors.map { $0["tool"] } == ["always_fail"])
        #expect(dashboard.get("/api/calls?q=Lisbon").json?["calls"]?[0]?["tool"] == "get_weather")
        #expect(Self.ids(dashboard.get("/api/calls?method=initialize")).count == 1)
        #expect(Self.ids(dashboard.get("/api/calls?since=2999-01-01T00:00:00Z")).isEmpty)
        #expect(Self.ids(dashboard.get("/api/calls?status=ok&server=argus-test-server")).count == 7)
        #expect(dashboard.get("/api/calls?limit=0").status == 400)
        #expect(dashboard.get("/api/calls?status=weird").status == 400)
        #expect(dashboard.get("/api/calls?since=yesterday").status == 400)

        let echoID = try #require(Self.ids(dashboard.get("/api/calls?tool=echo")).last)
        let detail = try #require(dashboard.get("/api/calls/\(echoID)").json)
        #expect(detail["params"]?["arguments"]?["api_key"] == "[REDACTED]")
        #expect(detail["redacted_paths"] == ["/arguments/api_key"])
        #expect(detail["result_redacted_paths"] == [] && detail["error_redacted_paths"] == [])
        #expect(detail["sealed"] == true)
        #expect(detail["schema"]?["name"] == "echo" && detail["replayable"] == true)
        #expect(!dashboard.get("/api/calls/\(echoID)").body.contains("sk-live-abcdefghijklmnop123456"))
        #expect(dashboard.get("/api/calls/9999").status == 404)

        let stats = try #require(dashboard.get("/api/stats").json)
        let echoStats = try #require(stats["tools"]?.arrayValue?.first { $0["name"] == "echo" })
        #expect(echoStats["count"] == 3 && echoStats["p50_us"]?.intValue != nil && echoStats["histogram"]?.arrayValue?.isEmpty == false)
        #expect(stats["tools"]?.arrayValue?.first { $0["name"] == "always_fail" }?["error_rate"] == 1)
        #expect(stats["servers"]?[0]?["count"] == 8)
        #expect(stats["timeline"]?["points"]?.arrayValue?.isEmpty == false)
        let exact = dashboard.get("/api/stats?run=1").json
        #expect(exact?["exact"] == true && exact?["servers"]?[0]?["count"] == 8)

        let metrics = dashboard.get("/metrics")
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(metrics.body.contains(#"argus_calls_total{server="argus-test-server",method="tools/call",tool="echo"} 3"#))
        #expect(metrics.body.contains(#"argus_call_errors_total{server="argus-test-server",method="tools/call",tool="always_fail"} 1"#))
        #expect(metrics.body.contains("argus_call_latency_seconds_bucket"))

        let page = dashboard.get("/")
        #expect(page.status == 200 && page.body.contains(#"<meta name="argus-token" content="\#(dashboard.token)">"#))
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(page.headers["x-frame-options"] == "DENY")
        #expect(dashboard.get("/app.js").headers["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(dashboard.get("/api/nothing").status == 404)

        // HEAD on the event stream answers with headers and subscribes nobody.
        let head = HTTPProbe.request("HEAD", "/api/events", port: dashboard.port)
        #expect(head.status == 200 && head.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(dashboard.get("/api/sse/status").json?["clients"] == 0)
    }

    @Test func callsFromAnotherWrapProcessArriveOverSSEAndResumeWithLastEventID() throws {
        let first = try Self.record([("echo", ["message": "before"])])
        let dashboard = try DashboardProcess(database: first.database, home: first.argusHome)
        defer { dashboard.stop() }
        let stream = try #require(EventStreamReader(port: dashboard.port))
        defer { stream.close() }
        #expect(stream.waitFor { $0.name == "hello" } != nil)
        #expect(stream.headerText.contains("text/event-stream"))

        // A separate proxy, knowing nothing of the dashboard, records a call.
        let started = Date()
        let live = try WrapSessionHarness(
            server: [Binaries.testServer], options: [],
            environment: ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": first.argusHome]) { $1 },
            database: first.database)
        live.initialize()
        live.callTool("calculate", ["operation": "multiply", "a": 6, "b": 7])
        let event = try #require(stream.waitFor { $0.name == "call" && $0.data?["tool"] == "calculate" })
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(event.data?["status"] == "ok" && event.id != nil)
        #expect(stream.waitFor { $0.name == "run" && $0.data?["ended_at"] == .null } != nil)
        #expect(dashboard.get("/api/sse/status").json?["clients"] == 1)
        #expect(live.finish() == 0)
        #expect(stream.waitFor { $0.name == "run" && $0.data?["end_reason"] == "client_eof" && $0.data?["id"] == 2 } != nil)

        // A client that missed the call gets it when it reconnects.
        let callID = try #require(event.data?["id"]?.intValue)
        let eventID = try #require(event.id.flatMap { Int64($0) })
        let resumed = try #require(EventStreamReader(port: dashboard.port, lastEventID: eventID - 1))
        defer { resumed.close() }
        #expect(resumed.waitFor { $0.name == "call" && $0.data?["id"] == .int(callID) } != nil)

        // The compatibility nudge, for `wrap --api`: needs the token like every change.
        #expect(dashboard.send("POST", "/api/notify").status == 202)
        #expect(HTTPProbe.request("POST", "/api/notify", port: dashboard.port).status == 401)
        let pushing = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--api", "http://127.0.0.1:\(dashboard.port)"],
            environment: ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": first.argusHome]) { $1 },
            database: first.database)
        pushing.initialize()
        pushing.callTool("echo", ["message": "pushed"])
        #expect(waitUntil { (dashboard.get("/api/sse/status").json?["notifications"]?.intValue ?? 0) >= 2 })
        #expect(pushing.finish() == 0)
        #expect(!pushing.proxy.stderrText.contains("cannot notify"))
    }

    @Test func replayThroughTheAPIWithSessionsAndDestructiveConfirmation() throws {
        let session = try Self.record([
            ("calculate", ["operation": "add", "a": 2, "b": 3]), ("get_weather", ["city": "Oslo"]),
            ("delete_file", ["path": "/tmp/nothing"]),
        ])
        let log = session.directory + "/received.jsonl"
        let dashboard = try DashboardProcess(
            database: session.database, home: session.argusHome,
            environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        defer { dashboard.stop() }
        func id(_ tool: String) -> Int64 { DashboardTests.ids(dashboard.get("/api/calls?tool=\(tool)")).first ?? 0 }

        let descriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(dashboard.process.pid)/fd").count) ?? 0 }
        let equal = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: "{}")
        #expect(equal.status == 200 && equal.json?["outcome"] == "equal", "\(equal.body)")
        #expect(equal.json?["replay_run_id"]?.intValue != nil)
        // A leak grows with the number of replays; pooled connections and threads do not. So the
        // count after one replay (pools warm) is compared with the count after ten more.
        let afterOne = descriptors()
        for _ in 0..<10 { _ = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: "{}") }
        #expect(
            waitUntil { descriptors() < afterOne + 10 },
            "replays leave descriptors open: \(afterOne) after one replay, \(descriptors()) after ten more")

        let weather = dashboard.send("POST", "/api/calls/\(id("get_weather"))/replay", body: #"{"ignore": ["observed_at"]}"#)
        #expect(weather.json?["outcome"] == "equal", "\(weather.body)")
        // The page sends what the user changed: a merge patch over the recorded arguments.
        let edited = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: #"{"params_patch": {"a": 40}}"#)
        #expect(edited.json?["outcome"] == "changed")
        #expect(
            edited.json?["changes"]?.arrayValue?.contains { $0["path"] == "/result/structuredContent/result" && $0["after"] == 43 } == true)
        let invalid = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: #"{"params_patch": {"a": null, "b": null}}"#)
        #expect(invalid.json?["outcome"] == "failed")
        #expect(invalid.json?["failure"]?.stringValue?.contains("missing required \"a\"") == true)
        #expect(dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: "[1]").status == 400)
        let whole = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: #"{"arguments": {"operation": "add"}}"#)
        #expect(whole.status == 400 && whole.body.contains("params_patch"), "\(whole.body)")

        // Edited arguments are checked by the server, with the replay's own words, before a replay is sent.
        let check = { (body: String) in dashboard.send("POST", "/api/calls/\(id("calculate"))/replay/check", body: body) }
        #expect(check(#"{"arguments": {"operation": "add", "a": 1, "b": 2}}"#).json == ["problems": [], "confirmation": .null])
        #expect(check("{}").json == ["problems": [], "confirmation": .null])
        let problems =
            check(#"{"arguments": {"operation": "root", "a": "one"}}"#).json?["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(
            problems.contains("arguments: missing required \"b\"") && problems.contains { $0.hasPrefix("arguments/a: expected") }
                && problems.contains { $0.hasPrefix("arguments/operation: must be one of") }, "\(problems)")
        #expect(check(#"{"arguments": [1]}"#).status == 400)
        #expect(dashboard.send("POST", "/api/calls/999/replay/check", body: #"{"arguments": {}}"#).status == 404)
        #expect(
            HTTPProbe.request("POST", "/api/calls/\(id("calculate"))/replay/check", port: dashboard.port, body: #"{"arguments": {}}"#)
                .status == 401)

        // A tool without recorded annotations is not assumed harmless either.
        let bare = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--name", "bare"],
            environment: ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": session.argusHome]) { $1 },
            database: session.database)
        bare.initialize()
        bare.callTool("echo", ["message": "no tools/list before me"])
        #expect(bare.finish() == 0)
        let bareEcho = DashboardTests.ids(dashboard.get("/api/calls?tool=echo&server=bare")).first ?? 0
        let unannotated = dashboard.send("POST", "/api/calls/\(bareEcho)/replay", body: "{}")
        #expect(unannotated.status == 409 && unannotated.body.contains("no annotations"), "\(unannotated.body)")

        let destructive = dashboard.send("POST", "/api/calls/\(id("delete_file"))/replay", body: "{}")
        #expect(destructive.status == 409 && destructive.body.contains("annotated destructive"))
        #expect(
            destructive.json?["error"]?["message"]?.stringValue == "delete_file may change something when replayed: "
                + "it is annotated destructive (destructiveHint: true). Confirm to replay (confirm_destructive: true).")
        // The page asks first, with the same words, from the check it makes before a replay.
        #expect(
            dashboard.send("POST", "/api/calls/\(id("delete_file"))/replay/check", body: "{}").json?["confirmation"]
                == "delete_file may change something when replayed: it is annotated destructive (destructiveHint: true).")
        #expect(
            dashboard.send("POST", "/api/calls/\(bareEcho)/replay/check", body: "{}").json?["confirmation"]?.stringValue?
                .contains("no annotations") == true)
        let confirmed = dashboard.send("POST", "/api/calls/\(id("delete_file"))/replay", body: #"{"confirm_destructive": true}"#)
        #expect(confirmed.json?["outcome"] == "equal", "\(confirmed.body)")

        // A session: one warm server for several replays.
        try? FileManager.default.removeItem(atPath: log)
        let started = dashboard.send("POST", "/api/runs/start", body: #"{"from_run": 1}"#)
        #expect(started.status == 201, "\(started.body)")
        let run = try #require(started.json?["run_id"]?.intValue)
        #expect(dashboard.get("/api/runs").json?["runs"]?.arrayValue?.first { $0["id"] == .int(run) }?["replay_session"] == true)
        for _ in 0..<3 {
            let replay = dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: #"{"session_run": \#(run)}"#)
            #expect(replay.json?["outcome"] == "equal" && replay.json?["replay_run_id"] == .int(run))
        }
        let received = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(received.components(separatedBy: "\"method\":\"initialize\"").count - 1 == 1)
        #expect(received.components(separatedBy: "\"name\":\"calculate\"").count - 1 == 3)
        #expect(dashboard.send("POST", "/api/runs/\(run)/stop").status == 200)
        #expect(dashboard.send("POST", "/api/calls/\(id("calculate"))/replay", body: #"{"session_run": \#(run)}"#).status == 404)
        #expect(dashboard.send("POST", "/api/runs/start", body: #"{"server": "nope"}"#).status == 404)

        // A run that has ended cannot be stopped (a live wrap's run can: RunControlTests).
        #expect(dashboard.send("POST", "/api/runs/1/stop").status == 409)
    }

    @Test func deletingCallsNeedsTheTokenAndAFilterAndUpdatesEverything() throws {
        let session = try Self.record([("echo", ["message": "a"]), ("echo", ["message": "b"])])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let stream = try #require(EventStreamReader(port: dashboard.port))
        defer { stream.close() }
        #expect(stream.waitFor { $0.name == "hello" } != nil)
        #expect(HTTPProbe.request("DELETE", "/api/calls?run=1", port: dashboard.port).status == 401)
        #expect(dashboard.send("DELETE", "/api/calls").status == 400)
        let echo = Self.ids(dashboard.get("/api/calls?tool=echo"))
        let one = dashboard.send("DELETE", "/api/calls?ids=\(echo[0])")
        #expect(one.json?["deleted"] == 1)
        #expect(Self.ids(dashboard.get("/api/calls?tool=echo")) == [echo[1]])
        #expect(stream.waitFor { $0.name == "reset" } != nil)
        let all = dashboard.send("DELETE", "/api/calls?run=1")
        #expect(all.json?["deleted"] == 3)
        #expect(Self.ids(dashboard.get("/api/calls")).isEmpty)
        #expect(dashboard.get("/api/runs/1").json?["run"]?["call_count"] == 0)
        #expect(dashboard.get("/api/stats").json?["tools"]?.arrayValue?.isEmpty == true)
        #expect(try session.reader().db.scalarInt("SELECT COUNT(*) FROM messages WHERE method = 'tools/call'") == 0)

        // SQLite gives the next calls the ids of the deleted ones: they still arrive, and are counted.
        _ = try Self.record([("echo", ["message": "after the delete"])], database: session.database, home: session.argusHome)
        #expect(stream.waitFor { $0.name == "call" && $0.data?["tool"] == "echo" && $0.data?["id"]?.intValue ?? 99 <= 4 } != nil)
        #expect(waitUntil { dashboard.get("/api/stats").json?["tools"]?.arrayValue?.contains { $0["name"] == "echo" } == true })
    }

    @Test func scriptAlertsMetricsAndStatusAreServed() throws {
        let dir = temporaryDirectory("dash-script")
        let script = dir + "/watch.lua"
        try """
        function alert(call)
          if call.is_error then return { level = "warning", message = "failed: " .. (call.tool or call.method) } end
        end
        function metric(call)
          argus.metric.counter("calls_by_tool", 1, { tool = call.tool or call.method })
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let session = try Self.record([("always_fail", [:]), ("echo", ["message": "x"])], options: ["--script", script])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let alerts = dashboard.get("/api/alerts").json?["alerts"]?.arrayValue ?? []
        #expect(alerts.count == 1 && alerts.first?["message"] == "failed: always_fail")
        #expect(alerts.first?["call_id"]?.intValue != nil)
        let metrics = dashboard.get("/api/metrics").json?["metrics"]?.arrayValue ?? []
        #expect(
            metrics.contains { $0["name"] == "calls_by_tool" && $0["labels"]?["tool"] == "echo" && $0["samples"]?.arrayValue?.count == 1 })
        let scripts = dashboard.get("/api/scripts").json?["scripts"]?.arrayValue ?? []
        #expect(scripts.first?["script"] == "watch" && scripts.first?["state"] == "active" && scripts.first?["live"] == false)
    }

    @Test func theDoorIsLocked() throws {
        let session = try Self.record([("echo", ["message": "x"])])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let port = dashboard.port
        #expect(try FileManager.default.attributesOfItem(atPath: session.argusHome + "/token")[.posixPermissions] as? Int == 0o600)

        // DNS rebinding: another name for 127.0.0.1.
        let rebound = HTTPProbe.request("GET", "/api/runs", port: port, headers: ["Host": "attacker.example:\(port)"])
        #expect(rebound.status == 403 && rebound.body.contains("DNS rebinding"))
        #expect(HTTPProbe.request("GET", "/", port: port, headers: ["Host": "attacker.example"]).status == 403)
        // Cross-origin, even with the token.
        let crossOrigin = dashboard.send("POST", "/api/notify", headers: ["Origin": "https://attacker.example"])
        #expect(crossOrigin.status == 403)
        #expect(HTTPProbe.request("GET", "/api/runs", port: port, headers: ["Origin": "https://attacker.example"]).status == 403)
        // No token, wrong token.
        #expect(HTTPProbe.request("POST", "/api/calls/1/replay", port: port, body: "{}").status == 401)
        #expect(dashboard.send("POST", "/api/calls/1/replay", body: "{}", headers: ["X-Argus-Token": "guess"]).status == 403)
        #expect(HTTPProbe.request("DELETE", "/api/calls?all=true", port: port).status == 401)
        #expect(HTTPProbe.request("POST", "/api/runs/start", port: port, body: "{}").status == 401)
        // No CORS, ever.
        let preflight = HTTPProbe.request(
            "OPTIONS", "/api/calls", port: port,
            headers: ["Origin": "https://attacker.example", "Access-Control-Request-Method": "DELETE"])
        #expect(preflight.status == 403 && preflight.headers["access-control-allow-origin"] == nil)
        #expect(dashboard.get("/api/runs").headers["access-control-allow-origin"] == nil)
        #expect(try session.reader().runs().first?.callCount == 3)  // nothing was changed by any of it
    }

    @Test func listeningBeyondLoopbackNeedsAnExplicitFlag() throws {
        let session = try Self.record([])
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = session.argusHome
        let refused = try Spawned(
            Binaries.argus, ["dashboard", "--db", session.database, "--host", "0.0.0.0", "--port", "0"], environment: env)
        #expect(refused.waitForExit() == 1)
        #expect(refused.stderrText.contains("--allow-remote"))

        let open = try DashboardProcess(
            database: session.database, home: session.argusHome, extra: ["--host", "0.0.0.0", "--allow-remote"])
        defer { open.stop() }
        #expect(open.process.waitForStderr(containing: "anyone who can reach this address can read the recordings"))
        #expect(open.get("/api/health").status == 200)
        // The page does not hand the token to whoever reaches it: the browser asks for it.
        let page = open.get("/")
        #expect(page.body.contains(#"<meta name="argus-token" content="">"#) && !page.body.contains(open.token))
        #expect(HTTPProbe.request("GET", "/api/health", port: open.port, headers: ["Host": "attacker.example"]).status == 403)
    }

    @Test func startupProblemsAreExplained() throws {
        let session = try Self.record([])
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = session.argusHome
        func attempt(_ arguments: [String]) throws -> (Int32?, String) {
            let process = try Spawned(Binaries.argus, ["dashboard"] + arguments, environment: env)
            let status = process.waitForExit()
            _ = process.waitForStderr(containing: "\u{0}")  // returns when stderr has been read to its end
            return (status, process.stderrText)
        }
        // Port in use: say who holds it.
        let holder = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { holder.stop() }
        let (busyStatus, busy) = try attempt(["--db", session.database, "--port", String(holder.port)])
        #expect(busyStatus == 1)
        #expect(busy.contains("port \(holder.port) on 127.0.0.1 is already in use by process \(holder.process.pid) (argus)"), "\(busy)")

        let newer = session.directory + "/newer.db"
        let db = try SQLiteConnection(path: newer)
        try db.execute("PRAGMA user_version = 99")
        let (_, newerText) = try attempt(["--db", newer, "--port", "0"])
        #expect(newerText.contains("newer than this argus supports"), "\(newerText)")

        let corrupt = session.directory + "/corrupt.db"
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: corrupt))
        let (corruptStatus, corruptText) = try attempt(["--db", corrupt, "--port", "0"])
        #expect(corruptStatus == 1)
        #expect(corruptText.contains("not a database"), "\(corruptText)")
    }
}

/// What issue 9 added to the dashboard: a run's timeline, runs begun, ended and deleted by
/// hand, replay runs kept out of the real figures, and a `--db` that does not exist yet.
@Suite struct DashboardRunControlTests {
    static func liveRun(_ session: WrapSessionHarness) throws -> Int64 {
        var found: Int64?
        #expect(
            waitUntil(timeout: 20) {
                found = try? session.reader().runs().first { $0.endedAt == nil && $0.argusPID == Int32(session.proxy.pid) }?.id
                return found != nil
            })
        return try #require(found)
    }

    @Test func theTimelineListsNotificationsBetweenCallsPagedBySequence() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.request("tools/call", ["name": "progress_task", "arguments": ["steps": 2, "delay_ms": 1], "_meta": ["progressToken": 5]])
        #expect(session.finish() == 0)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }

        let all = try #require(dashboard.get("/api/runs/1/timeline").json?["entries"]?.arrayValue)
        #expect(
            all.map { $0["kind"]?.stringValue ?? "" } == [
                "call", "notification", "call", "notification", "notification",
                "notification",
            ], "\(all)")
        let log = try #require(all.first { $0["method"] == "notifications/message" })
        #expect(log["summary"] == "[info] progress_task: starting 2 steps" && log["params"]?["logger"] == "progress_task")
        #expect(all[2]["call"]?["tool"] == "progress_task")

        let notes = try #require(dashboard.get("/api/runs/1/timeline?kind=notification&limit=2").json)
        #expect(notes["entries"]?.arrayValue?.map { $0["method"] } == ["notifications/initialized", "notifications/message"])
        let cursor = try #require(notes["next_cursor"]?.intValue)
        let rest = dashboard.get("/api/runs/1/timeline?kind=notification&after=\(cursor)").json
        #expect(rest?["entries"]?.arrayValue?.map { $0["summary"] } == ["progress 1/2: step 1 of 2", "progress 2/2: step 2 of 2"])
        #expect(rest?["next_cursor"] == .null)
        #expect(dashboard.get("/api/runs/1/timeline?kind=weird").status == 400)
        #expect(dashboard.get("/api/runs/9/timeline").status == 404)
    }

    @Test func aNewRunOfLiveWrapsIsStartedStoppedAndDeletedFromTheAPI() throws {
        let session = try WrapSessionHarness(testServer: ["--name", "alpha"])
        session.initialize()
        let first = try Self.liveRun(session)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        #expect(dashboard.get("/api/runs/\(first)").json?["run"]?["live_wrap"] == true)  // the page offers Stop from this
        #expect(HTTPProbe.request("POST", "/api/runs/start", port: dashboard.port, body: #"{"live": true}"#).status == 401)
        #expect(dashboard.send("POST", "/api/runs/start", body: #"{"live": true, "server": "beta"}"#).status == 409)

        let started = dashboard.send("POST", "/api/runs/start", body: #"{"live": true, "server": "alpha", "label": "repro 7"}"#)
        #expect(started.status == 202, "\(started.body)")
        #expect(started.json?["ending"]?[0]?["run_id"] == .int(Int(first)))
        var labelled: JSONValue?
        #expect(
            waitUntil(timeout: 20) {
                labelled = dashboard.get("/api/runs").json?["runs"]?.arrayValue?.first { $0["previous_run_id"] == .int(Int(first)) }
                return labelled != nil
            })
        #expect(labelled?["label"] == "repro 7" && labelled?["ended_at"] == .null)
        #expect(dashboard.get("/api/runs/\(first)").json?["run"]?["end_reason"] == "manual")
        let second = try #require(labelled?["id"]?.intValue)
        #expect(session.callTool("echo", ["message": "in the new run"]) != nil)
        #expect(waitUntil { Self.callRuns(dashboard, tool: "echo") == [second] })

        // Deleting a run still being recorded is refused; stopping it is not.
        #expect(dashboard.send("DELETE", "/api/runs/\(second)").status == 409)
        let stopped = dashboard.send("POST", "/api/runs/\(second)/stop")
        #expect(stopped.status == 202 && stopped.json?["stopping"] == true, "\(stopped.body)")
        #expect(waitUntil(timeout: 20) { dashboard.get("/api/runs/\(second)").json?["run"]?["end_reason"] == "manual" })
        let deleted = dashboard.send("DELETE", "/api/runs/\(second)")
        #expect(deleted.status == 200 && deleted.json?["deleted_runs"] == 1 && deleted.json?["deleted_calls"] == 1, "\(deleted.body)")
        #expect(dashboard.get("/api/runs/\(second)").status == 404)
        #expect(Self.callRuns(dashboard, tool: "echo").isEmpty)
        #expect(session.finish() == 0)
    }

    static func callRuns(_ dashboard: DashboardProcess, tool: String) -> [Int] {
        dashboard.get("/api/calls?tool=\(tool)").json?["calls"]?.arrayValue?.compactMap { $0["run_id"]?.intValue } ?? []
    }

    @Test func replayRunsStayOutOfRunsErrorsStatsAndMetricsUnlessAskedFor() throws {
        let (session, ids) = try ReplayTests.record([("always_fail", [:])])
        #expect(try ReplayTests.argus(["replay", String(ids[0])], session: session).status != nil)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        #expect(waitUntil { dashboard.get("/api/health").json?["stats_ready"] == true })

        #expect(dashboard.get("/api/runs").json?["runs"]?.arrayValue?.map { $0["kind"] } == ["wrap"])
        #expect(dashboard.get("/api/runs?include_replays=1").json?["runs"]?.arrayValue?.count == 2)
        #expect(DashboardTests.ids(dashboard.get("/api/calls?errors=1")).count == 1)
        #expect(DashboardTests.ids(dashboard.get("/api/calls?errors=1&include_replays=1")).count == 2)
        let replayRun = try #require(try session.reader().runs().first { $0.kind == "replay" }?.id)
        #expect(DashboardTests.ids(dashboard.get("/api/calls?run=\(replayRun)")).isEmpty == false)

        func failures(_ query: String) -> JSONValue? {
            dashboard.get("/api/stats\(query)").json?["tools"]?.arrayValue?.first { $0["name"] == "always_fail" }?["count"]
        }
        #expect(failures("") == 1)
        #expect(failures("?include_replays=1") == 2)
        #expect(
            dashboard.get("/metrics").body.contains(
                #"argus_calls_total{server="argus-test-server",method="tools/call",tool="always_fail"} 1"#))

        // A replay made while the dashboard runs: counted with replays, not in the real figures
        // (the in-memory index skipping what the live feed delivers is StatsIndexRealTrafficTests).
        let replayed = dashboard.send("POST", "/api/calls/\(ids[0])/replay", body: "{}")
        #expect(replayed.status == 200, "\(replayed.body)")
        #expect(failures("?include_replays=1") == 3)
        #expect(failures("") == 1)
    }

    @Test func theDashboardCreatesADatabaseThatDoesNotExistYet() throws {
        let directory = temporaryDirectory("dash-new") + "/nested"
        let path = directory + "/fresh.db"
        let dashboard = try DashboardProcess(database: path, home: temporaryDirectory("dash-home"))
        defer { dashboard.stop() }
        #expect(dashboard.get("/api/health").json?["status"] == "ok")
        #expect(dashboard.process.stderrText.contains("created an empty database at \(path)"))
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "mode \(String(mode ?? 0, radix: 8))")
        let directoryMode = (try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? NSNumber)?.intValue
        #expect(directoryMode == 0o700, "mode \(String(directoryMode ?? 0, radix: 8))")

        // What a wrap then records into it shows up.
        let stream = try #require(EventStreamReader(port: dashboard.port))
        defer { stream.close() }
        let session = try WrapSessionHarness(
            server: [Binaries.testServer], options: [],
            environment: ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": dashboard.home]) { $1 },
            database: path)
        session.initialize()
        #expect(stream.waitFor(timeout: 20) { $0.name == "call" && $0.data?["method"] == "initialize" } != nil)
        #expect(session.finish() == 0)
    }
}
