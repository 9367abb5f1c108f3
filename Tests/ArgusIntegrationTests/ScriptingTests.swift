import ArgusCore
import ArgusStore
import Foundation
import Testing

/// Lua scripts in a real `argus wrap` session.
@Suite struct ScriptingTests {
    func script(_ source: String, name: String = "s.lua") -> String {
        let path = temporaryDirectory("lua") + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(source.utf8))
        return path
    }

    /// Runs a session with the script and checks the proxy relays every call promptly.
    func relaysThrough(_ source: String, calls: Int = 6) throws -> (WrapSessionHarness, ArgusReader) {
        let session = try WrapSessionHarness(testServer: ["--script", script(source)])
        session.initialize()
        for i in 0..<calls {
            let start = Date()
            let result = session.callTool("echo", ["message": .string("call \(i)")])
            #expect(result?["structuredContent"]?["echo"] == .string("call \(i)"), "call \(i) was not relayed")
            #expect(Date().timeIntervalSince(start) < 2, "call \(i) took \(Date().timeIntervalSince(start)) s")
        }
        #expect(session.finish() == 0)
        return (session, try session.reader())
    }

    static let hostile: [(String, String)] = [
        ("infinite loop", "function on_call(call) while true do end end"),
        ("memory bomb", "function on_call(call) local t = {} while true do t[#t + 1] = ('x'):rep(65536) end end"),
        ("pattern bomb", #"function on_call(call) return ("a"):rep(5000):find(".-.-.-.-b") end"#),
        ("os.execute", "function on_call(call) os.execute('touch /tmp/argus-pwned') end"),
        ("io.open", "function on_call(call) io.open('/etc/passwd') end"),
        ("require", "function on_call(call) require('socket') end"),
        ("bytecode", #"function on_call(call) local f = assert(load("\27Lua\84\0\25\147\r\n\26\n")) f() end"#),
        ("string.dump", "function on_call(call) return string.dump(on_call) end"),
        ("global creation", "function on_call(call) leaked_global = call.tool end"),
        // A finalizer runs outside every limit: this one hung the recorder, and wrap never exited.
        (
            "finalizer",
            "function on_call(call) setmetatable({}, {__gc = function() while true do end end}) "
                + "local t = {} for i = 1, 1e5 do t[i] = {} end end"
        ),
        (
            "error in every hook",
            """
            function redact(call) error('redact broke') end
            function on_call(call) error('on_call broke') end
            function alert(call) error('alert broke') end
            function metric(call) error('metric broke') end
            """
        ),
        (
            "garbage return types",
            """
            function redact(call) return 12 end
            function alert(call) return "not an alert" end
            function on_call(call) return function() end end
            """
        ),
    ]

    @Test(arguments: hostile.map(\.0))
    func aHostileScriptIsContainedWhileTheSessionRelays(_ name: String) throws {
        let source = try #require(Self.hostile.first { $0.0 == name }?.1)
        let (session, reader) = try relaysThrough(source)
        let errors = try reader.scriptOutputs(kind: .error, limit: 100)
        #expect(!errors.isEmpty, "\(name): no script error was recorded")
        #expect(session.proxy.stderrText.contains("argus: script s: "), "\(name): the user was not told")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/argus-pwned"))
        // Every error names the hook, and the line when the script has one.
        for error in errors { #expect(error.name != nil) }
        if name == "error in every hook" {
            #expect(Set(errors.compactMap(\.name)) == ["redact", "on_call", "alert", "metric"])
            // The failing redactor stored the payloads closed.
            let messages = try reader.messages(run: try #require(try reader.runs().first).id)
            let echoes = messages.filter { $0.method == "tools/call" }
            #expect(echoes.allSatisfy { $0.body.contains("[REDACTION FAILED]") })
            #expect(errors.first { $0.name == "on_call" }?.location == "s.lua:2")
        }
    }

    @Test func aDebuggingPrintDoesNotKillTheSession() throws {
        // print with a long argument corrupted Lua's string buffer and crashed argus wrap.
        let (session, reader) = try relaysThrough(#"function on_call(call) print("call", ("x"):rep(3000), call.tool) end"#, calls: 3)
        let logs = try reader.scriptOutputs(kind: .log, limit: 10).compactMap(\.message)
        let line = "call\t" + String(repeating: "x", count: 3000) + "\techo"
        #expect(logs.filter { $0 == line }.count == 3, "\(logs.map { $0.prefix(8) + "…" + $0.suffix(8) })")
        #expect(!session.proxy.stderrText.contains("script s: "), "\(session.proxy.stderrText)")
    }

    @Test func aRedactionScriptThatDoesNotLoadFailsClosed() throws {
        // Its job is to mask e-mail addresses; a stray `end` keeps it from loading.
        let masker = script(
            """
            SCRIPT = { name = "mask-email" }
            function redact(call, ctx)
              local part = ctx.phase == "response" and "result" or "params"
              if call[part] then
                call[part] = argus.json.decode((argus.json.encode(call[part]):gsub("[%w.]+@[%w.]+", "[email]")))
                return call
              end
            end
            end
            """, name: "mask-email.lua")
        let session = try WrapSessionHarness(testServer: ["--script", masker])
        session.initialize()
        let echoed = session.callTool("echo", ["message": "write to ada@example.com"])
        #expect(echoed?["structuredContent"]?["echo"] == "write to ada@example.com")  // forwarding is untouched
        #expect(session.finish() == 0)
        let stderr = session.proxy.stderrText
        #expect(
            stderr.contains("script mask-email (") && stderr.contains("not loaded")
                && stderr.contains("stored as [REDACTION FAILED]"), "\(stderr)")
        let stored = ["", "-wal"].compactMap { FileManager.default.contents(atPath: session.database + $0) }.reduce(Data(), +)
        #expect(stored.range(of: Data("ada@example.com".utf8)) == nil, "the address it was meant to mask is in the database")
        let reader = try session.reader()
        let echoes = try reader.messages(run: try #require(try reader.runs().first).id).filter { $0.method == "tools/call" }
        #expect(!echoes.isEmpty && echoes.allSatisfy { $0.body.contains("[REDACTION FAILED]") })
        // and argus scripts says why
        let status = try #require(try reader.scriptStatuses().first)
        #expect(status.state == "error")
        #expect(status.lastError?.contains("stored as [REDACTION FAILED]") == true, "\(status.lastError ?? "")")
        let cli = try Spawned(Binaries.argus, ["scripts", "--all", "--db", session.database])
        let out = String(decoding: cli.readToEnd(), as: UTF8.self)
        #expect(out.contains("mask-email") && out.contains("error"), "\(out)")
        // and so does argus diagnose
        let diagnose = try Spawned(Binaries.argus, ["diagnose", "--db", session.database])
        let report = String(decoding: diagnose.readToEnd(), as: UTF8.self)
        #expect(report.contains("script mask-email was error") && report.contains("stored as [REDACTION FAILED]"), "\(report)")
    }

    /// A hook that never returns (possible with limits a user raised) must not keep
    /// `argus wrap` from exiting: the recorder is not waited for once a hook has run that long.
    @Test(arguments: ["EOF", "SIGTERM"])
    func wrapExitsWhenARecorderHookNeverReturns(_ ending: String) throws {
        let directory = temporaryDirectory("stuck")
        let config = directory + "/config.json"
        let limits = #"{"script_limits": {"time_ms": 100000000, "instructions": 1000000000000000}}"#
        _ = FileManager.default.createFile(atPath: config, contents: Data(limits.utf8))
        let session = try WrapSessionHarness(testServer: [
            "--config", config, "--flush-timeout", "2",
            "--script", script("function on_call(call) while true do end end"),
        ])
        session.initialize()
        #expect(session.callTool("echo", ["message": "still relayed"])?["structuredContent"]?["echo"] == "still relayed")
        if ending == "EOF" { session.proxy.closeInput() } else { session.proxy.signal(SIGTERM) }
        let status = session.proxy.waitForExit(timeout: 60)
        #expect(status != nil, "argus wrap did not exit after \(ending) while a hook was stuck")
        #expect(session.proxy.stderrText.contains("a script hook has not returned for 2.0 s"), "\(session.proxy.stderrText)")
        // What was recorded before the hook got stuck is in the database.
        #expect(try session.reader().runs().first?.callCount ?? 0 >= 1)
    }

    @Test func aScriptThatKeepsFailingIsSwitchedOff() throws {
        let session = try WrapSessionHarness(testServer: ["--script", script("function on_call(call) error('always') end")])
        session.initialize()
        for i in 0..<25 { session.callTool("echo", ["message": .int(i)]) }
        #expect(session.finish() == 0)
        #expect(session.proxy.stderrText.contains("switched off after 20 errors in 60 s"))
        let reader = try session.reader()
        #expect(try reader.scriptOutputs(kind: .error, limit: 100).count == 20)
        let status = try #require(try reader.scriptStatuses().first)
        #expect(status.state == "disabled")
        // argus scripts --all shows it in its Error state.
        let cli = try Spawned(Binaries.argus, ["scripts", "--all", "--db", session.database])
        let out = String(decoding: cli.readToEnd(), as: UTF8.self)
        #expect(out.contains("disabled"))
    }

    @Test func aRedactionScriptsSecretNeverReachesTheDatabase() throws {
        let secret = "ACME-7f3a9c2e-INTERNAL"
        let redactor = script(
            """
            SCRIPT = { name = "acme" }
            local function scrub(v)
              for k, x in pairs(v) do
                if type(x) == "string" then v[k] = x:gsub("ACME%-%x+%-INTERNAL", "[acme]")
                elseif type(x) == "table" then scrub(x) end
              end
            end
            function redact(call, ctx)
              local part = ctx.phase == "response" and call.result or call.params
              if part then scrub(part) return call end
            end
            """)
        let session = try WrapSessionHarness(testServer: ["--script", redactor])
        session.initialize()
        #expect(
            session.callTool("echo", ["message": .string("internal id \(secret)")])?["structuredContent"]?["echo"]
                == .string("internal id \(secret)"))  // the client still gets the real value
        session.proxy.send([
            "jsonrpc": "2.0", "method": "notifications/message",
            "params": ["level": "info", "data": .string("log \(secret)")],
        ])
        #expect(waitUntil { ((try? session.reader().runs().first?.callCount) ?? 0) >= 2 })
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: session.database + suffix) {
                #expect(data.range(of: Data(secret.utf8)) == nil, "the secret is in the database\(suffix) while live")
            }
        }
        #expect(session.finish() == 0)
        let data = ["", "-wal"].compactMap { FileManager.default.contents(atPath: session.database + $0) }.reduce(Data(), +)
        #expect(data.range(of: Data(secret.utf8)) == nil)
        #expect(data.range(of: Data("internal id [acme]".utf8)) != nil)
    }

    @Test func editingAScriptReloadsItInARunningSession() throws {
        let path = script("function on_call(call) argus.metric.counter('version', 1, { v = '1' }) end", name: "live.lua")
        let session = try WrapSessionHarness(testServer: ["--script", path])
        session.initialize()
        session.callTool("echo", ["message": "a"])
        Thread.sleep(forTimeInterval: 0.05)
        _ = FileManager.default.createFile(
            atPath: path, contents: Data("function on_call(call) argus.metric.counter('version', 1, { v = '2' }) end".utf8))
        #expect(session.proxy.waitForStderr(containing: "argus: script live reloaded"))
        session.callTool("echo", ["message": "b"])
        _ = FileManager.default.createFile(atPath: path, contents: Data("function on_call(call) oops oops end".utf8))
        #expect(session.proxy.waitForStderr(containing: "reload failed"))
        session.callTool("echo", ["message": "c"])
        #expect(session.finish() == 0)
        let versions = try session.reader().scriptOutputs(kind: .metric, limit: 10).reversed().compactMap(\.labels)
        #expect(Array(versions.suffix(3)) == [#"{"v":"1"}"#, #"{"v":"2"}"#, #"{"v":"2"}"#])
    }

    @Test func alertsAreStoredPrintedAndListed() throws {
        let alerting = script(
            """
            function alert(call)
              if call.is_error then return { level = "critical", message = call.tool .. " failed: " .. (call.error_message or "?"), key = call.tool } end
            end
            """)
        let session = try WrapSessionHarness(testServer: ["--script", alerting])
        session.initialize()
        session.callTool("always_fail")
        session.callTool("always_fail")
        #expect(session.finish() == 0)
        #expect(session.proxy.stderrText.contains("argus: ALERT [critical] s: always_fail failed: This tool always fails"))
        let cli = try Spawned(Binaries.argus, ["alerts", "--json", "--db", session.database])
        let alerts = try #require(try JSONParser.parse(String(decoding: cli.readToEnd(), as: UTF8.self)).arrayValue)
        #expect(alerts.count == 1)  // de-duplicated by key
        #expect(alerts[0]["level"] == "critical")
        #expect(alerts[0]["tool"] == "always_fail")
        #expect(alerts[0]["call_id"] != .null)
    }

    @Test func theExampleScriptsPassTheirFixtureTests() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/scripts").path
        let cli = try Spawned(Binaries.argus, ["script", "test", examples])
        let out = String(decoding: cli.readToEnd(), as: UTF8.self)
        #expect(cli.waitForExit() == 0, "\(out)")
        #expect(out.contains(", 0 failed"))
        // and a failing expectation fails the command
        let dir = temporaryDirectory("fixture")
        _ = FileManager.default.createFile(atPath: dir + "/x.lua", contents: Data("function on_call(call) end".utf8))
        _ = FileManager.default.createFile(
            atPath: dir + "/x.test.json",
            contents: Data(
                """
                {"script": "x.lua", "cases": [{"name": "wants an alert", "call": {"tool": "t"}, "expect": {"alerts": 1}}]}
                """.utf8))
        let failing = try Spawned(Binaries.argus, ["script", "test", dir])
        let report = String(decoding: failing.readToEnd(), as: UTF8.self)
        #expect(failing.waitForExit() == 1)
        #expect(report.contains("✗ wants an alert") && report.contains("alerts: expected 1, got 0"))
    }
}
