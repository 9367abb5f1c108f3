import Foundation
import Testing
@testable import ArgusCore
@testable import ArgusStore

/// `argus store copy`: a SQLite file into PostgreSQL and back out, every row and link intact.
@Suite struct StoreCopyTests {
    /// Two runs with calls, a fault, a script's outputs and status, and a stderr line.
    static func recording() -> [RecordOp] {
        var ops = sampleSession(calls: 4)
        let second = sampleSession(calls: 2).map { op -> RecordOp in
            guard case .startRun(var start) = op else { return op }
            start.record.serverName = "second"
            return .startRun(start)
        }
        // Before the second session ends: its run is still open, the rows name it.
        let end = second.lastIndex { if case .endRun = $0 { true } else { false } } ?? second.count
        ops += second[..<end]
        ops += [
            .serverLog(1, ServerLogRecord(timestamp: 1, line: "STDERR line")),
            .fault(1, InjectedFault(requestID: "2", timestamp: 2, tool: "echo", kind: "error", source: "faults[0]", detail: "not sent")),
            .scriptOutput(
                1, ScriptOutputRecord(requestSeq: 2, timestamp: 3, script: "watch", kind: .alert, level: "warn", message: "slow")),
            .scriptOutput(nil, ScriptOutputRecord(requestSeq: nil, timestamp: 4, script: "broken", kind: .error, message: "did not load")),
            .scriptStatus(
                ScriptStatusRecord(
                    script: "watch", path: "/s/watch.lua", argusPID: 42, server: "sample", state: "loaded",
                    lastError: nil, hookStats: "{}", errorCount: 0, loadedAt: 1, updatedAt: 5)),
        ]
        ops += second[end...]
        return ops
    }

    /// What a reader sees of a store, in a form two stores can be compared by.
    static func contents(_ reader: any ArgusReader) throws -> [String] {
        var all = CallFilter()
        all.limit = 1000
        let runs = try reader.runs(limit: 100)
        var lines = runs.map {
            "run \($0.id) \($0.serverName) \($0.args) calls=\($0.callCount) messages=\($0.messageCount) \($0.endReason?.rawValue ?? "open")"
        }
        for call in try reader.calls(all) {
            lines.append(
                "call \(call.id) run=\(call.runID) \(call.method) \(call.tool ?? "-") \(call.status.rawValue) \(call.latencyMicros ?? -1)")
        }
        for run in runs {
            lines += try reader.messages(run: run.id).map { "message \($0.runID)/\($0.seq) \($0.body)" }
            lines += try reader.serverLogs(run: run.id).map { "log \($0.runID) \($0.line)" }
            lines += try reader.faults(run: run.id).map { "fault \($0.runID) \($0.requestSeq ?? -1) \($0.kind)" }
        }
        lines += try reader.scriptOutputs(kind: nil).map { "output \($0.id) \($0.runID ?? -1) \($0.callID ?? -1) \($0.message ?? "")" }
        lines += try reader.scriptStatuses().map { "status \($0.script) \($0.argusPID) \($0.state)" }
        return lines
    }

    @Test func aSQLiteFileGoesIntoPostgreSQLAndBackOutWhole() throws {
        guard let postgres = try TestStore.make(.postgres) else { return }
        let file = try #require(try TestStore.make(.sqlite))
        #expect(file.record(Self.recording()) == 0)
        let original = try Self.contents(file.reader())
        #expect(original.contains { $0.hasPrefix("fault ") } && original.contains { $0.contains("did not load") })

        let into = try StoreCopy.copy(from: file.location, to: postgres.location)
        #expect(into.count("calls") == 8 && into.count("messages") == 16 && into.count("faults") == 1, "\(into.rows)")
        #expect(try Self.contents(postgres.reader()) == original)

        let back = try #require(try TestStore.make(.sqlite))
        #expect(try StoreCopy.copy(from: postgres.location, to: back.location) == into)
        #expect(try Self.contents(back.reader()) == original)

        // New recordings go on after the copied ids.
        #expect(postgres.record(sampleSession(calls: 1)) == 0)
        let newest = try postgres.reader().runs(limit: 1).first
        #expect(newest?.id == 3 && newest?.callCount == 2, "\(String(describing: newest))")
    }

    @Test(arguments: TestStore.backends) func aTargetThatHoldsRunsIsRefusedUntouched(_ backend: TestStore.Backend) throws {
        guard let target = try TestStore.make(backend) else { return }
        let source = try #require(try TestStore.make(.sqlite))
        #expect(source.record(sampleSession(calls: 2)) == 0)
        #expect(target.record(sampleSession(calls: 1)) == 0)
        #expect {
            try StoreCopy.copy(from: source.location, to: target.location)
        } throws: { error in
            "\(error)".contains("already holds 1 run") && "\(error)".contains("nothing was copied")
        }
        #expect(try target.reader().counts() == (runs: 1, calls: 2, messages: 4))
    }
}
