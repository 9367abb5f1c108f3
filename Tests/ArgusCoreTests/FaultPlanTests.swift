import ArgusCore
import Testing

@Suite struct FaultPlanTests {
    func plan(_ text: String) throws -> FaultPlan { try FaultPlan.parse(text: text) }

    func parseError(_ text: String) -> String? {
        do {
            _ = try FaultPlan.parse(text: text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theIssuesExampleParses() throws {
        let p = try plan(
            #"{"seed": 7, "faults": [{"tool": "search_*", "kind": "empty", "probability": 0.3, "after_calls": 2}, {"tool": "*", "kind": "latency", "ms": 800}]}"#
        )
        #expect(p.seed == 7)
        #expect(p.rules.count == 2)
        #expect(p.rules[0].tool == "search_*" && p.rules[0].kind == .empty && p.rules[0].probability == 0.3 && p.rules[0].afterCalls == 2)
        #expect(p.rules[1].kind == .latency && p.rules[1].millis == 800 && p.rules[1].name == "faults[1]")
    }

    @Test func mistakesAreNamedWhereTheyAre() {
        #expect(parseError(#"{"faults": [{"kind": "errror"}]}"#)?.contains("faults[0].kind: unknown kind \"errror\"") == true)
        #expect(parseError(#"{"faults": [{"kind": "error", "probabilty": 0.5}]}"#)?.contains("faults[0].probabilty: unknown field") == true)
        #expect(
            parseError(#"{"faults": [{"kind": "error", "probability": 1.5}]}"#)?.contains("faults[0].probability: must be between 0 and 1")
                == true)
        #expect(parseError(#"{"faults": [{"kind": "latency"}]}"#)?.contains("faults[0].ms: required") == true)
        #expect(parseError(#"{"faults": [{"kind": "empty", "ms": 5}]}"#)?.contains("only a latency fault takes ms") == true)
        #expect(parseError(#"{"faults": [{"kind": "error", "schedule": {"period_ms": 100}}]}"#)?.contains("go together") == true)
        #expect(parseError(#"{"seed": -1, "faults": [{"kind": "error"}]}"#)?.contains("seed") == true)
        #expect(parseError(#"{"faults": []}"#)?.contains("no faults") == true)
        #expect(parseError("{\n  \"faults\": [,]\n}")?.contains("line 2") == true)
    }

    func decisions(_ p: FaultPlan, seed: UInt64, tools: [String], previous: Bool = true) -> [String] {
        let decider = FaultDecider(plan: p, seed: seed, startMonotonicNanos: 0)
        return tools.map { tool in
            guard let d = decider.decide(tool: tool, atMonotonicNanos: 0, hasPreviousAnswer: { previous }) else { return "-" }
            return d.recordedKind + (d.delayMillis > 0 && d.kind != nil ? "+\(Int(d.delayMillis))" : "")
        }
    }

    @Test func theSameSeedGivesTheSameFaultsAndAnotherSeedOthers() throws {
        let p = try plan(#"{"faults": [{"tool": "search", "kind": "error", "probability": 0.5}]}"#)
        let tools = Array(repeating: "search", count: 64)
        let first = decisions(p, seed: 7, tools: tools)
        #expect(first == decisions(p, seed: 7, tools: tools))
        #expect(first != decisions(p, seed: 8, tools: tools))
        let hits = first.filter { $0 == "error" }.count
        #expect(hits > 16 && hits < 48, "probability 0.5 gave \(hits) of 64")
    }

    @Test func addingARuleDoesNotChangeWhatAnotherDoes() throws {
        let one = try plan(#"{"faults": [{"tool": "a", "kind": "error", "probability": 0.5}]}"#)
        let two = try plan(
            #"{"faults": [{"tool": "a", "kind": "error", "probability": 0.5}, {"tool": "b", "kind": "empty", "probability": 0.5}]}"#)
        let tools = (0..<40).map { $0 % 3 == 0 ? "b" : "a" }
        let withOne = decisions(one, seed: 3, tools: tools).enumerated().filter { tools[$0.offset] == "a" }.map(\.element)
        let withTwo = decisions(two, seed: 3, tools: tools).enumerated().filter { tools[$0.offset] == "a" }.map(\.element)
        #expect(withOne == withTwo)
    }

    @Test func afterCallsEveryAndTimesCount() throws {
        let p = try plan(#"{"faults": [{"tool": "t", "kind": "error", "after_calls": 2, "schedule": {"every": 2}, "times": 2}]}"#)
        #expect(
            decisions(p, seed: 1, tools: Array(repeating: "t", count: 10)) == ["-", "-", "-", "error", "-", "error", "-", "-", "-", "-"])
    }

    @Test func aTimeScheduleFlaps() throws {
        let p = try plan(#"{"faults": [{"kind": "error", "schedule": {"period_ms": 100, "on_ms": 30}}]}"#)
        let decider = FaultDecider(plan: p, seed: 1, startMonotonicNanos: 1_000_000_000)
        let at = { (ms: UInt64) in
            decider.decide(tool: "x", atMonotonicNanos: 1_000_000_000 + ms * 1_000_000, hasPreviousAnswer: { true })?.kind
        }
        #expect(at(10) == .error && at(50) == nil && at(110) == .error && at(199) == nil)
    }

    @Test func theFirstAnswerWinsAndLatenciesAdd() throws {
        let p = try plan(
            #"{"faults": [{"kind": "latency", "ms": 100}, {"kind": "empty"}, {"kind": "error"}, {"kind": "latency", "ms": 50}]}"#)
        #expect(decisions(p, seed: 1, tools: ["x"]) == ["empty+150"])
    }

    @Test func aStaleFaultWithoutAPreviousAnswerDoesNotFireNorCount() throws {
        let p = try plan(#"{"faults": [{"kind": "stale", "times": 1}, {"kind": "error", "after_calls": 5}]}"#)
        #expect(decisions(p, seed: 1, tools: ["x", "x"], previous: false) == ["-", "-"])
        #expect(decisions(p, seed: 1, tools: ["x"], previous: true) == ["stale"])
    }

    @Test func answersLookLikeTheServersAndCarryTheRequestsID() throws {
        func answer(_ kind: FaultKind, id: JSONValue = .number("1.0"), modern: Bool = false, previous: JSONValue? = nil) throws
            -> JSONValue?
        {
            var decision = FaultDecision(kind: kind)
            decision.message = kind == .isError ? "quota exceeded" : nil
            return try FaultAnswer.line(for: decision, id: id, previousResult: previous, modern: modern).map { try JSONParser.parse($0) }
        }
        let error = try answer(.error)
        #expect(error?["error"]?["code"] == -32603)
        #expect(error.map { JSONWriter.string($0) }?.contains(#""id":1.0"#) == true, "the id keeps its literal")
        #expect(try answer(.isError)?["result"]?["isError"] == true)
        #expect(try answer(.isError)?["result"]?["content"]?[0]?["text"] == "quota exceeded")
        #expect(try answer(.empty, id: "a")?["result"]?["content"] == .array([]))
        #expect(try answer(.empty, modern: true)?["result"]?["resultType"] == "complete")
        #expect(try answer(.stale, previous: ["content": [["type": "text", "text": "old"]]])?["result"]?["content"]?[0]?["text"] == "old")
        #expect(try answer(.stale) == nil)
        #expect(try answer(.timeout) == nil && answer(.latency) == nil && answer(.malformed) == nil)
        let line = Array(#"{"jsonrpc":"2.0","id":4,"result":{"content":[]}}"#.utf8) + [0x0A]
        let cut = FaultAnswer.truncated(line[...])
        #expect(cut.last == 0x0A && cut.count < line.count)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(cut.dropLast())) }
    }
}
