import ArgusCore
import Foundation
import Testing
@testable import ArgusScripting

/// Writes scripts to a temporary directory.
final class ScriptFiles {
    let directory = NSTemporaryDirectory() + "argus-scripts-\(UUID().uuidString.prefix(8))"

    init() { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

    @discardableResult
    func write(_ name: String, _ source: String) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(source.utf8))
        return path
    }

    func spec(_ name: String, _ source: String, config: JSONValue = [:]) -> ScriptSpec {
        ScriptSpec(path: write(name, source), config: config)
    }
}

let toolCall: JSONValue = [
    "tool": "login", "params": ["arguments": ["user": "ada", "secret_code": "ACME-1234-XYZ"]],
    "result": ["content": [["type": "text", "text": "welcome ada, code ACME-1234-XYZ"]]],
]

@Suite struct ScriptHostTests {
    @Test func redactorsRunByPriorityEachSeeingThePreviousResult() {
        let files = ScriptFiles()
        let first = files.spec(
            "first.lua",
            """
            SCRIPT = { priority = 100 }
            function redact(call, ctx)
              if ctx.phase == "request" then call.params.arguments.user = "[by first]" return call end
            end
            """)
        let second = files.spec(
            "second.lua",
            """
            SCRIPT = { priority = 1 }
            function redact(call, ctx)
              if ctx.phase == "request" then
                call.params.arguments.seen = call.params.arguments.user
                return call
              end
            end
            """)
        let result = FixtureRunner(specs: [second, first]).run([toolCall])
        let args = result.calls[0].storedRequest?["params"]?["arguments"]
        #expect(args?["user"] == "[by first]")
        #expect(args?["seen"] == "[by first]")
    }

    @Test func dropStoresOnlyMetadataForTheWholeCall() {
        let files = ScriptFiles()
        let spec = files.spec("drop.lua", "function redact(call) if call.tool == 'login' then return argus.DROP end end")
        let result = FixtureRunner(specs: [spec]).run([toolCall])
        let call = result.calls[0]
        #expect(call.storedRequest?["params"] == "[DROPPED by script drop]")
        #expect(call.storedResponse?["result"] == "[DROPPED by script drop]")
        #expect(call.call?.tool == "login")
        #expect(call.call?.status == .ok)
    }

    @Test func dropOnTheWayBackRewritesTheStoredRequest() {
        let files = ScriptFiles()
        let spec = files.spec("late.lua", "function redact(call, ctx) if ctx.phase == 'response' then return argus.DROP end end")
        let result = FixtureRunner(specs: [spec]).run([toolCall])
        #expect(result.calls[0].storedRequest?["params"] == "[DROPPED by script late]")
        #expect(result.calls[0].storedResponse?["result"] == "[DROPPED by script late]")
    }

    @Test(arguments: [
        ("error('boom')", "boom"),
        ("return 42", "it returned number"),
        ("return 'text'", "it returned string"),
        ("while true do end", "instruction limit exceeded"),
        ("local t = {} while true do t[#t + 1] = ('x'):rep(1000) end", "memory limit exceeded"),
        (#"return ("a"):rep(5000):find(".-.-.-.-b")"#, "pattern too complex"),
    ])
    func aFailingRedactorFailsClosedButBuiltInRedactionStillApplies(_ body: String, _ message: String) {
        let files = ScriptFiles()
        var limits = ScriptLimits()
        limits.memoryBytes = 4 << 20
        limits.timeMillis = 60_000  // each case trips its own limit, however loaded the machine
        let spec = files.spec("bad.lua", "function redact(call, ctx)\n  \(body)\nend")
        let input: JSONValue = ["tool": "login", "params": ["arguments": ["password": "hunter2", "note": "n"]]]
        let result = FixtureRunner(specs: [spec], limits: limits).run([input])
        #expect(result.calls[0].storedRequest?["params"] == "[REDACTION FAILED]")
        #expect(result.calls[0].storedRequest?["method"] == "tools/call")
        #expect(result.errors.first?.name == "redact")
        #expect(result.errors.first?.message?.contains(message) == true, "\(result.errors.first?.message ?? "")")
        #expect(result.calls[0].call?.tool == "login")  // metadata survives
        #expect(result.lines.contains { $0.contains("stored as [REDACTION FAILED]") })
    }

    @Test func observersFailOpen() {
        let files = ScriptFiles()
        let spec = files.spec(
            "observer.lua",
            """
            function on_call(call) error("observer broke") end
            function metric(call) argus.metric.counter("calls") end
            function alert(call) return 7 end
            """)
        let result = FixtureRunner(specs: [spec]).run([toolCall])
        #expect(result.calls[0].storedRequest?["params"]?["arguments"]?["user"] == "ada")
        #expect(result.metrics.count == 1)
        #expect(result.errors.map { $0.name } == ["on_call", "alert"])
        #expect(result.errors.last?.message?.contains("alert must return nil or") == true)
    }

    @Test func aScriptThatKeepsFailingIsSwitchedOffAndItsRedactionStaysClosed() {
        let files = ScriptFiles()
        var limits = ScriptLimits()
        limits.maxErrors = 3
        let spec = files.spec("flaky.lua", "function redact(call, ctx) if ctx.phase == 'request' then error('nope') end end")
        let calls = Array(repeating: toolCall, count: 5)
        let result = FixtureRunner(specs: [spec], limits: limits).run(calls)
        #expect(result.errors.count == 3)  // then it stops running
        #expect(result.calls.allSatisfy { $0.storedRequest?["params"] == "[REDACTION FAILED]" })
        #expect(result.statuses.last?.state == "disabled")
        #expect(result.lines.contains { $0.contains("switched off after 3 errors") })
    }

    @Test func matchLimitsWhichCallsAScriptSees() {
        let files = ScriptFiles()
        let spec = files.spec(
            "only-search.lua",
            """
            SCRIPT = { match = { tool = "search*", server = "fix*" } }
            function on_call(call) argus.metric.counter("seen", 1, { tool = call.tool }) end
            """)
        let calls: [JSONValue] = [["tool": "search_docs"], ["tool": "login"], ["tool": "searchAll"]]
        let result = FixtureRunner(specs: [spec]).run(calls)
        #expect(result.metrics.map { $0.labels } == [#"{"tool":"search_docs"}"#, #"{"tool":"searchAll"}"#])
    }

    @Test func alertsAreDeduplicatedByKeyAndWaitForTheirDuration() {
        var tracker = AlertTracker()
        let fired = [
            tracker.raise(key: "a", forSeconds: 0, at: 0),
            tracker.raise(key: "a", forSeconds: 0, at: 1_000_000),
            tracker.raise(key: "b", forSeconds: 0, at: 1_000_000),
            tracker.raise(key: "a", forSeconds: 0, at: 200_000_000),  // quiet for a while: fires again
            tracker.raise(key: "slow", forSeconds: 10, at: 0),
            tracker.raise(key: "slow", forSeconds: 10, at: 5_000_000),
            tracker.raise(key: "slow", forSeconds: 10, at: 10_000_000),
        ]
        #expect(fired == [true, false, true, true, false, false, true])
    }

    @Test func outputsAreCapped() {
        let files = ScriptFiles()
        var limits = ScriptLimits()
        limits.labelSetsPerMetric = 3
        limits.logsPerMinute = 2
        let spec = files.spec(
            "noisy.lua",
            """
            function on_call(call)
              for i = 1, 5 do argus.metric.counter("by_user", 1, { user = "u" .. i }) end
              for i = 1, 5 do argus.log("line " .. i) end
            end
            """)
        let result = FixtureRunner(specs: [spec], limits: limits).run([toolCall])
        #expect(result.metrics.count == 3)
        #expect(result.logs.filter { $0.message?.hasPrefix("line") == true }.count == 2)
        #expect(result.logs.contains { $0.message?.contains("more than 3 label sets") == true })
        #expect(result.logs.contains { $0.message?.contains("3 log lines dropped") == true })
    }

    @Test func outputBytesAreCappedPerMinute() {
        let files = ScriptFiles()
        var limits = ScriptLimits()
        limits.outputBytesPerMinute = 20_000
        limits.logsPerMinute = 1000
        let spec = files.spec(
            "chatty.lua",
            """
            function on_call(call) for i = 1, 3 do argus.log(("z"):rep(3000)) end end
            function alert(call) return { level = "warning", message = ("m"):rep(10000), key = call.tool .. math.random() } end
            """)
        let result = FixtureRunner(specs: [spec], limits: limits).run(Array(repeating: toolCall, count: 5))
        let kept = result.outputs.filter { $0.message?.hasPrefix("z") == true || $0.kind == .alert }
        let bytes = kept.reduce(0) { $0 + ($1.message?.utf8.count ?? 0) + ($1.key?.utf8.count ?? 0) }
        #expect(bytes <= 20_000, "\(bytes) bytes kept")
        #expect(kept.count < 5 * 4)
        // An alert returned by the hook is cut like one raised with argus.alert.
        #expect(result.alerts.allSatisfy { ($0.message?.utf8.count ?? 0) <= 4096 + 40 })
        #expect(result.alerts.first?.message?.hasSuffix("bytes cut]") == true)
        let report = result.logs.first { $0.message?.contains("outputs and errors dropped") == true }
        #expect(
            report?.message?.contains("(limit 20000 bytes per minute)") == true,
            "\(result.logs.compactMap(\.message).filter { !$0.hasPrefix("z") })")
        #expect(result.lines.contains { $0.contains("outputs and errors dropped") })
    }

    @Test func configIsCheckedAgainstTheDeclaredSchema() {
        let files = ScriptFiles()
        let source = """
            SCRIPT = { config = { threshold = { type = "number", default = 5 }, name = { type = "string", required = true } } }
            function on_call(call, ctx) argus.log(ctx.config.threshold, ctx.config.name) end
            """
        let good = FixtureRunner(specs: [files.spec("cfg.lua", source, config: ["name": "x"])]).run([toolCall])
        #expect(good.logs.first?.message == "5\tx")
        let missing = FixtureRunner(specs: [files.spec("cfg.lua", source)]).run([toolCall])
        #expect(missing.lines.first?.contains("config.name is required") == true)
        let wrong = FixtureRunner(specs: [files.spec("cfg.lua", source, config: ["name": "x", "threshold": "high"])]).run([toolCall])
        #expect(wrong.lines.first?.contains("config.threshold: expected a number, got string") == true)
    }

    @Test func aFailingMutatorAbortsTheReplay() {
        let files = ScriptFiles()
        let spec = files.spec("mut.lua", "function mutate_replay(params) error('cannot shift') end")
        let result = FixtureRunner(specs: [spec]).run([toolCall], mutateLast: true)
        #expect(result.mutationError?.contains("cannot shift") == true)
        #expect(result.mutatedParams == nil)
    }

    @Test func editingAScriptReloadsItAndABrokenEditKeepsTheOldVersion() throws {
        let files = ScriptFiles()
        let path = files.write("live.lua", "function on_call(call) argus.metric.counter('version', 1, { v = '1' }) end")
        var lines: [String] = []
        let host = ScriptHost(
            specs: [ScriptSpec(path: path)], options: .init(server: "s", argusPID: 1),
            report: { lines.append($0) })
        func version() -> String? {
            var ops: [RecordOp] = []
            host.completed(
                HookCall(
                    phase: .response, run: 1, server: "s", direction: .clientToServer, method: "tools/call",
                    tool: "t", startedAt: 0)
            ) { ops.append($0) }
            for op in ops { if case .scriptOutput(_, let o) = op { return o.labels } }
            return nil
        }
        #expect(version() == #"{"v":"1"}"#)
        Thread.sleep(forTimeInterval: 0.01)
        files.write("live.lua", "function on_call(call) argus.metric.counter('version', 1, { v = '2' }) end")
        host.reloadChangedScripts()
        #expect(version() == #"{"v":"2"}"#)
        #expect(lines.last?.contains("reloaded") == true)
        Thread.sleep(forTimeInterval: 0.01)
        files.write("live.lua", "function on_call(call) this is not lua end")
        host.reloadChangedScripts()
        #expect(version() == #"{"v":"2"}"#)
        #expect(lines.last?.contains("reload failed") == true)
        #expect(lines.last?.contains("the previous version stays active") == true)
    }
}

/// Metrics without labels (the scripts page reads their series).
@Suite struct MetricLabelTests {
    @Test func aMetricWithoutLabelsHasNoneAndStaysOneSeries() {
        let files = ScriptFiles()
        let spec = files.spec(
            "weights.lua",
            """
            function metric(call)
              argus.metric.counter("weight", 0.1)
              argus.metric.counter("weight", 0.2)
              argus.metric.gauge("load", 1 / 3)
            end
            """)
        let result = FixtureRunner(specs: [spec]).run([toolCall])
        // Without labels the record itself was taken for them: {"kind":…,"value":"0.1"}, one series per value.
        #expect(
            result.metrics.count == 3 && result.metrics.allSatisfy { $0.labels == nil || $0.labels == "{}" },
            "\(result.metrics.map { $0.labels })")
    }
}
