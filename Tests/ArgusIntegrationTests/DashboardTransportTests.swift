import ArgusCore
import ArgusStore
import Foundation
import Testing

/// What HTTP did, as the dashboard shows it, from a real remote session: `argus wrap --url` in
/// front of `argus proxy -- argus-test-server`, both recording into one database. The stdio
/// server behind the proxy dies mid-session, so the wrap's next call meets a 404, the wrap opens
/// a new session and sends the call again: every step is a transport frame of one run or another.
@Suite struct DashboardTransportTests {
    @Test func runsCarryTheirTransportSessionAndLatestEventAndTimelinesShowWhatHTTPDid() throws {
        let directory = temporaryDirectory("transport")
        let database = directory + "/argus.db"
        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = directory + "/home"

        let proxy = try Spawned(
            Binaries.argus, ["proxy", "--db", database, "--listen", "127.0.0.1:0", "--", Binaries.testServer], environment: environment)
        defer {
            proxy.signal(SIGTERM)
            _ = proxy.waitForExit(timeout: 30)
        }
        #expect(proxy.waitForStderr(containing: "/mcp → "), "\(proxy.stderrText)")
        let listening = try #require(proxy.stderrText.firstMatch(of: /127\.0\.0\.1:(\d+)\/mcp/), "\(proxy.stderrText)")
        let port = try #require(Int(listening.1))

        let wrap = try Spawned(
            Binaries.argus, ["wrap", "--db", database, "--url", "http://127.0.0.1:\(port)/mcp"], environment: environment)
        func request(_ id: Int, _ method: String, _ params: JSONValue) -> JSONValue? {
            wrap.send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
            return wrap.response(to: .int(id))
        }
        let initialize: JSONValue = [
            "protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "argus-tests", "version": "1.0"],
        ]
        #expect(request(1, "initialize", initialize)?["result"] != nil)
        wrap.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        #expect(request(2, "tools/call", ["name": "echo", "arguments": ["message": "before"]])?["result"] != nil)

        // The stdio server behind the proxy dies; the proxy ends its session's run.
        var first: RunRecord?
        #expect(
            waitUntil(timeout: 30) {
                first = try? SQLiteReader(path: database).runs().first { $0.command == Binaries.testServer && $0.serverPID != nil }
                return first != nil
            })
        let serverPID = try #require(first?.serverPID)
        kill(serverPID, SIGKILL)
        #expect(waitUntil(timeout: 30) { (try? SQLiteReader(path: database).run(id: first?.id ?? 0))?.endedAt != nil })

        // The next call meets a 404: the wrap opens a new session with the client's handshake and sends it again.
        #expect(request(3, "tools/call", ["name": "echo", "arguments": ["message": "after"]])?["result"] != nil)
        wrap.closeInput()
        #expect(wrap.waitForExit(timeout: 60) == 0)
        proxy.signal(SIGTERM)
        #expect(proxy.waitForExit(timeout: 60) == 0)

        let dashboard = try DashboardProcess(database: database, home: directory + "/home")
        defer { dashboard.stop() }
        let runs = try #require(dashboard.get("/api/runs").json?["runs"]?.arrayValue)
        let remote = try #require(runs.first { $0["command"]?.stringValue?.hasPrefix("http://") == true }, "\(runs)")
        let behindProxy = runs.filter { $0["command"]?.stringValue == Binaries.testServer }.sorted {
            ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0)
        }
        #expect(behindProxy.count == 2, "a session per server process: \(runs)")

        // The wrap's run: Streamable HTTP to the proxy's address, its newest session, its latest news.
        let transport = try #require(remote["transport"])
        #expect(transport["kind"] == "http" && transport["via"] == "wrap", "\(transport)")
        #expect(transport["host"]?.stringValue == "127.0.0.1:\(port)")
        #expect(transport["text"]?.stringValue == "Streamable HTTP · 127.0.0.1:\(port)")
        #expect(transport["label"]?.stringValue == "HTTP · 127.0.0.1:\(port)")
        let session = try #require(transport["session"]?.stringValue)
        #expect(session.wholeMatch(of: /[0-9a-f]{8}…/) != nil, "only the start of a session id is ever recorded: \(session)")
        #expect(transport["last_event"]?["event"] == "session_renewed", "\(transport)")
        #expect(transport["last_event"]?["level"] == "info")

        // The proxy's runs: an HTTP session in front of a stdio server, each with the session the wrap saw.
        for run in behindProxy {
            let own = try #require(run["transport"])
            #expect(own["kind"] == "http" && own["via"] == "proxy" && own["host"] == .null, "\(own)")
            #expect(own["text"]?.stringValue == "Streamable HTTP → stdio server (argus proxy)")
            #expect(own["label"]?.stringValue == "HTTP · argus proxy → stdio")
            #expect(own["session"]?.stringValue?.wholeMatch(of: /[0-9a-f]{8}…/) != nil, "\(own)")
        }
        #expect(behindProxy.last?["transport"]?["session"]?.stringValue == session, "the renewed session is the second server's")
        #expect(behindProxy.first?["transport"]?["session"]?.stringValue != session)

        // The wrap's timeline: transport entries, with the 404 the call met, and the call's HTTP answer.
        let id = try #require(remote["id"]?.intValue)
        let entries = try #require(dashboard.get("/api/runs/\(id)/timeline").json?["entries"]?.arrayValue)
        let frames = entries.filter { $0["kind"] == "transport" }
        let events = frames.compactMap { $0["transport"]?["event"]?.stringValue }
        #expect(events.first == "session_started" && events.last == "session_ended", "\(events)")
        #expect(events.contains("session_expired") && events.contains("session_renewed"), "\(events)")
        let status = try #require(frames.first { $0["transport"]?["event"] == "http_status" }?["transport"], "\(events)")
        #expect(status["status"] == 404 && status["level"] == "error" && status["text"] == "404 Not Found", "\(status)")
        #expect(status["http_method"] == "POST" && status["request_method"] == "tools/call", "\(status)")
        #expect(frames.first { $0["transport"]?["event"] == "session_expired" }?["summary"] == "404 session expired")
        #expect(!entries.contains { $0["kind"] == "notification" && $0["method"] == "argus/transport" })

        let calls = entries.compactMap { $0["call"]?.nonNull }
        let retried = try #require(calls.first { $0["jsonrpc_id"] == 3 }, "\(calls)")
        #expect(retried["http_answer"]?["status"] == 404 && retried["status"] == "ok", "\(retried)")
        #expect(calls.filter { $0["jsonrpc_id"] != 3 }.allSatisfy { $0["http_answer"] == .null }, "2xx answers record no status")
        let runCalls = try #require(dashboard.get("/api/runs/\(id)").json?["calls"]?.arrayValue)
        #expect(runCalls.first { $0["jsonrpc_id"] == 3 }?["http_answer"]?["text"] == "404 Not Found")

        // The live feed sends the same: runs with their transport, calls with their HTTP answer.
        let stream = try #require(EventStreamReader(port: dashboard.port, lastEventID: 0))
        defer { stream.close() }
        let runEvent = stream.waitFor(timeout: 30) { $0.name == "run" && $0.data?["id"] == .int(id) }
        #expect(runEvent?.data?["transport"]?["session"]?.stringValue == session, "\(String(describing: runEvent?.data))")
        let callEvent = stream.waitFor(timeout: 30) { $0.name == "call" && $0.data?["run_id"] == .int(id) && $0.data?["jsonrpc_id"] == 3 }
        #expect(callEvent?.data?["http_answer"]?["status"] == 404, "\(String(describing: callEvent?.data))")

        // Kinds filter them apart: notifications are the server's, transport entries argus's.
        let onlyTransport = dashboard.get("/api/runs/\(id)/timeline?kind=transport").json?["entries"]?.arrayValue ?? []
        #expect(onlyTransport.count == frames.count && onlyTransport.allSatisfy { $0["method"] == "argus/transport" })
        let notifications = dashboard.get("/api/runs/\(id)/timeline?kind=notification").json?["entries"]?.arrayValue ?? []
        #expect(!notifications.contains { $0["method"] == "argus/transport" })

        // A stdio run of `argus wrap --` says so, with no session or transport news.
        let local = try DashboardTests.record([], database: directory + "/stdio.db")
        let stdio = try DashboardProcess(database: local.database, home: local.argusHome)
        defer { stdio.stop() }
        let plain = stdio.get("/api/runs").json?["runs"]?[0]?["transport"]
        #expect(plain?["kind"] == "stdio" && plain?["text"] == "stdio" && plain?["session"] == .null && plain?["last_event"] == .null)
    }
}
