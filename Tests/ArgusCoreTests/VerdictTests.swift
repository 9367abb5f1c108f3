import ArgusCore
import Testing

@Suite struct VerdictTests {
    /// A call `ms` milliseconds into the run.
    func call(
        _ id: Int64, _ tool: String, at ms: Int64, _ outcome: VerdictCall.Outcome = .ok, args: String = "{}",
        readOnly: Bool? = true, fault: String? = nil, lasting: Int64 = 5
    ) -> VerdictCall {
        VerdictCall(
            id: id, tool: tool, argumentsKey: args, startedAt: ms * 1000, endedAt: (ms + lasting) * 1000,
            outcome: outcome, fault: fault, readOnly: readOnly)
    }

    func kinds(_ calls: [VerdictCall], _ thresholds: VerdictThresholds = VerdictThresholds()) -> [String] {
        VerdictAnalyzer.verdicts(for: calls, thresholds: thresholds).map(\.kind)
    }

    @Test func aRetryIsCountedTimedAndJudged() throws {
        let calls = [
            call(1, "search", at: 0, .failed, fault: "error"), call(2, "search", at: 1000, .failed),
            call(3, "search", at: 2000),
        ]
        let verdicts = VerdictAnalyzer.verdicts(for: calls)
        let retried = try #require(verdicts.first { $0.kind == "retried" })
        #expect(verdicts.count == 1, "\(verdicts.map(\.kind)): the second failure belongs to the same episode")
        #expect(retried.callID == 1 && retried.fault == "error" && retried.level == .info)
        #expect(retried.facts["retries"] == 2 && retried.facts["recovered"] == true)
        #expect(retried.facts["first_retry_ms"]?.doubleValue == 995)
        #expect(retried.message.contains("retried 2 times") && retried.message.contains("injected: error"), "\(retried.message)")
    }

    @Test func aRetryWithoutBackoffOrTooManyIsAWarning() {
        let fast = VerdictAnalyzer.verdicts(for: [call(1, "s", at: 0, .failed, lasting: 1), call(2, "s", at: 20)])
        #expect(fast.first?.level == .warning && fast.first?.message.contains("no backoff") == true)
        var many = [call(1, "s", at: 0, .failed)]
        for i in 1...5 { many.append(call(Int64(i + 1), "s", at: Int64(i) * 1000, .failed)) }
        #expect(VerdictAnalyzer.verdicts(for: many).first { $0.kind == "retried" }?.level == .warning)
    }

    @Test func aWriteRepeatedUncheckedIsABlindRetry() {
        let blind = [
            call(1, "delete", at: 0, .noAnswer, args: "{\"p\":1}", readOnly: nil, fault: "timeout"),
            call(2, "delete", at: 500, args: "{\"p\":1}", readOnly: nil),
        ]
        #expect(kinds(blind) == ["retried", "blind_write_retry"])
        #expect(VerdictAnalyzer.verdicts(for: blind).last?.level == .failure)
        let checked = [blind[0], call(2, "list", at: 200, readOnly: true), call(3, "delete", at: 500, args: "{\"p\":1}", readOnly: nil)]
        #expect(kinds(checked) == ["retried"], "a read in between is a check")
        let readOnly = [call(1, "get", at: 0, .failed), call(2, "get", at: 500)]
        #expect(kinds(readOnly) == ["retried"])
        let otherArguments = [
            call(1, "put", at: 0, .failed, args: "{\"v\":1}", readOnly: false),
            call(2, "put", at: 500, args: "{\"v\":2}", readOnly: false),
        ]
        #expect(kinds(otherArguments) == ["retried"])
    }

    @Test func noRetryIsGivingUpOrGoingOn() {
        #expect(kinds([call(1, "a", at: 0), call(2, "b", at: 10, .failed)]) == ["gave_up"])
        let wentOn = VerdictAnalyzer.verdicts(for: [
            call(1, "b", at: 0, .failed), call(2, "c", at: 10), call(3, "d", at: 20), call(4, "c", at: 30),
        ])
        #expect(wentOn.map(\.kind) == ["went_on"])
        #expect(wentOn.first?.message.contains("c ×2, d") == true && wentOn.first?.level == .warning, "\(wentOn.first?.message ?? "")")
    }

    @Test func whatFollowsAnEmptyResultIsTold() {
        let v = VerdictAnalyzer.verdicts(for: [
            call(1, "search", at: 0, .empty, args: "{\"q\":\"x\"}"),
            call(2, "search", at: 10, args: "{\"q\":\"y\"}"), call(3, "fetch", at: 20),
        ])
        #expect(v.map(\.kind) == ["after_empty"])
        #expect(v.first?.facts["other_arguments"] == 1 && v.first?.facts["calls_after"] == 2)
        #expect(VerdictAnalyzer.verdicts(for: [call(1, "s", at: 0, .empty)]).first?.message.contains("no further calls") == true)
    }

    @Test func identicalCallsAreALoopInAShortWindowAndRepetitionsOtherwise() {
        let loop = (0..<6).map { call(Int64($0 + 1), "poll", at: Int64($0) * 100) }
        let found = VerdictAnalyzer.verdicts(for: loop)
        #expect(found.map(\.kind) == ["runaway_loop"])
        #expect(found.first?.facts["calls"] == 6 && found.first?.level == .failure)
        let slow = (0..<3).map { call(Int64($0 + 1), "get", at: Int64($0) * 60_000) }
        #expect(kinds(slow) == ["repeated_calls"])
        #expect(kinds(Array(slow.prefix(2))) == [])
    }

    @Test func thresholdsAndLevelsAreConfigurable() throws {
        var thresholds = try VerdictThresholds.parse(["loop_calls": 3, "loop_window_s": 1, "levels": ["went_on": "failure"]])
        #expect(kinds((0..<3).map { call(Int64($0 + 1), "p", at: Int64($0) * 100) }, thresholds) == ["runaway_loop"])
        #expect(
            VerdictAnalyzer.verdicts(for: [call(1, "b", at: 0, .failed), call(2, "c", at: 10)], thresholds: thresholds)
                .first?.level == .failure)
        thresholds.fastRetryMillis = 0
        #expect(
            VerdictAnalyzer.verdicts(for: [call(1, "s", at: 0, .failed), call(2, "s", at: 20)], thresholds: thresholds).first?.level
                == .info)
        #expect(throws: VerdictThresholds.ParseError.self) { try VerdictThresholds.parse(["levels": ["nope": "failure"]]) }
        #expect(throws: VerdictThresholds.ParseError.self) { try VerdictThresholds.parse(["loop_calls": 1]) }
    }

    @Test func outcomesAreReadFromTheRecording() {
        #expect(VerdictCall.outcome(status: "ok", isError: false, result: ["content": []], fault: nil) == .empty)
        #expect(
            VerdictCall.outcome(status: "ok", isError: false, result: ["content": [["type": "text", "text": ""]]], fault: nil) == .empty)
        #expect(
            VerdictCall.outcome(status: "ok", isError: false, result: ["content": [], "structuredContent": ["hits": []]], fault: nil)
                == .empty)
        #expect(
            VerdictCall.outcome(status: "ok", isError: false, result: ["content": [], "structuredContent": ["count": 0]], fault: nil) == .ok
        )
        #expect(VerdictCall.outcome(status: "error", isError: true, result: nil, fault: nil) == .failed)
        #expect(VerdictCall.outcome(status: "cancelled", isError: false, result: nil, fault: nil) == .noAnswer)
        #expect(
            VerdictCall.outcome(
                status: "ok", isError: false, result: ["content": [["type": "text", "text": "x"]]],
                fault: "malformed") == .noAnswer)
    }

    @Test func theReportFailsOnlyOnFailuresAndWritesJUnit() {
        let report = VerdictReport(
            runID: 3,
            verdicts: VerdictAnalyzer.verdicts(for: [
                call(1, "del", at: 0, .failed, readOnly: false), call(2, "del", at: 500, readOnly: false),
            ]), calls: 2, faults: 1)
        #expect(!report.passed)
        let xml = report.junit(name: "verdicts run-3")
        #expect(xml.contains(#"failures="1""#) && xml.contains("<failure message=") && xml.contains("blind_write_retry del #1"))
        let clean = VerdictReport(runID: 3, verdicts: [], calls: 0, faults: 0)
        #expect(clean.passed && clean.junit(name: "v").contains("no findings"))
    }
}
