import ArgusCore
import Testing
@testable import ArgusReplay

/// How `argus mock` finds a recorded answer: the match rules, the volatile `_meta` keys, and what a
/// miss says.
@Suite struct MockBookTests {
    static func call(_ id: Int64, _ method: String, _ params: JSONValue, answer: JSONValue, seq: Int64? = nil) -> ReplayCall {
        ReplayCall(
            callID: id, method: method, tool: params["name"]?.stringValue, params: params, sealed: nil,
            expected: ["result": answer], expectedIsError: false, latencyMicros: 100, startedAt: 0,
            inputSchema: nil, annotations: nil, requestSeq: seq ?? id * 2)
    }

    static func plan(_ calls: [ReplayCall], other: [ReplayCall] = []) -> ReplayPlan {
        var plan = ReplayPlan(
            serverName: "s", launch: ServerLaunch(command: "s", arguments: []), recordedEnvNames: [],
            handshake: Handshake(stateless: false, protocolVersion: "2025-11-25", initializeParams: nil, clientAnswers: [:]),
            calls: calls, sourceRun: 1)
        plan.otherCalls = other
        return plan
    }

    static func time(_ zone: String) -> JSONValue { ["name": "get_time", "arguments": ["timezone": .string(zone)]] }

    /// The call id a lookup answered with, or the miss's message.
    static func answer(_ book: MockBook, _ method: String, _ params: JSONValue?) -> Result<Int64, MissText> {
        switch book.lookup(method: method, params: params) {
        case .hit(let entry): return .success(entry.call.callID ?? -1)
        case .miss(let miss): return .failure(MissText(text: miss.message, closest: miss.closest?.call.callID, at: miss.differences))
        }
    }

    struct MissText: Error, Equatable {
        var text: String
        var closest: Int64?
        var at: [String]
    }

    let weather = [
        call(3, "tools/call", time("UTC"), answer: "first"), call(4, "tools/call", time("UTC"), answer: "second"),
        call(5, "tools/call", time("Asia/Tokyo"), answer: "tokyo"),
    ]

    @Test func paramsMatchWithoutVolatileMetaKeysAndInAnyKeyOrder() throws {
        let book = MockBook(plan: Self.plan(weather), rule: .params)
        let live: JSONValue = [
            "arguments": ["timezone": "UTC"], "name": "get_time",
            "_meta": [
                "progressToken": 99, "traceparent": "00-abc-def-01",
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            ],
        ]
        #expect(Self.answer(book, "tools/call", live) == .success(3))
        #expect(Self.answer(book, "tools/call", live) == .success(3))  // params: the first recorded answer, every time
        // A _meta key that is not volatile is part of the request.
        var kept = live
        if case .object(var o) = kept { o["_meta"] = ["tenant": "acme"]; kept = .object(o) }
        guard case .failure(let miss) = Self.answer(book, "tools/call", kept) else {
            Issue.record("a tenant in _meta must not match"); return
        }
        #expect(miss.at == ["/_meta"], "\(miss)")
        // Absent params are {} (and so is a stateless request's _meta alone).
        let listing = MockBook(plan: Self.plan([], other: [Self.call(1, "tools/list", nil, answer: ["tools": []])]), rule: .params)
        #expect(Self.answer(listing, "tools/list", ["_meta": ["io.modelcontextprotocol/clientInfo": ["name": "x"]]]) == .success(1))
    }

    @Test func theLookupKeyIsTheSameForValuesThatAreTheSame() throws {
        func key(_ text: String) throws -> String { MockBook.key(method: "m", matchParams: try JSONParser.parse(text)) }
        #expect(try key(#"{"b":1,"a":[1.0,"x",{"z":null,"y":true}]}"#) == (try key(#"{"a":[1,"x",{"y":true,"z":null}],"b":1e0}"#)))
        #expect(try key(#"{"a":0}"#) == (try key(#"{"a":-0.0}"#)))
        #expect(try key(#"{"a":1,"a":2}"#) == (try key(#"{"a":2}"#)))  // the last of duplicate keys, as lookups read them
        #expect(try key(#"{"a":[1,2]}"#) != (try key(#"{"a":[2,1]}"#)))
        #expect(try key(#"{"a":"1"}"#) != (try key(#"{"a":1}"#)))
        #expect(try key(#"{"a":0.1}"#) != (try key(#"{"a":0.10000001}"#)))
    }

    @Test func sequenceAnswersIdenticalRequestsInRecordedOrderThenTheLastAgain() {
        let book = MockBook(plan: Self.plan(weather), rule: .sequence)
        #expect(Self.answer(book, "tools/call", Self.time("UTC")) == .success(3))
        #expect(Self.answer(book, "tools/call", Self.time("Asia/Tokyo")) == .success(5))
        #expect(Self.answer(book, "tools/call", Self.time("UTC")) == .success(4))
        #expect(Self.answer(book, "tools/call", Self.time("UTC")) == .success(4))
    }

    @Test func strictWantsTheRecordedOrderAndSaysWhatComesNext() {
        let initialize = Self.call(1, "initialize", ["protocolVersion": "2025-11-25"], answer: [:], seq: 1)
        let ping = Self.call(2, "ping", nil, answer: [:], seq: 2)
        let book = MockBook(plan: Self.plan(weather, other: [ping, initialize]), rule: .strict)
        #expect(book.entries.map { $0.call.callID } == [1, 3, 4, 5])  // in recorded order, pings aside
        #expect(Self.answer(book, "initialize", ["protocolVersion": "2025-11-25"]) == .success(1))
        guard case .failure(let early) = Self.answer(book, "tools/call", Self.time("Asia/Tokyo")) else {
            Issue.record("out of order must miss")
            return
        }
        #expect(early.closest == 3 && early.at == ["/arguments/timezone"])
        #expect(early.text.contains("out of the recorded order (match: strict): the next recorded request is call 3, tools/call get_time"))
        for id: Int64 in [3, 4] { #expect(Self.answer(book, "tools/call", Self.time("UTC")) == .success(id)) }
        #expect(Self.answer(book, "tools/call", Self.time("Asia/Tokyo")) == .success(5))
        guard case .failure(let done) = Self.answer(book, "tools/call", Self.time("UTC")) else {
            Issue.record("past the end must miss"); return
        }
        #expect(done.text.contains("all 4 recorded requests were answered"))
    }

    @Test func aMissNamesTheClosestRecordedRequestAndWhereItDiffers() {
        let book = MockBook(
            plan: Self.plan(
                weather + [
                    Self.call(
                        6, "tools/call", ["name": "convert", "arguments": ["timezone": "UTC"]],
                        answer: "x")
                ]), rule: .params)
        guard case .failure(let miss) = Self.answer(book, "tools/call", Self.time("Europe/Paris")) else {
            Issue.record("must miss"); return
        }
        // The same tool wins over the same arguments.
        #expect(miss.closest == 3 && miss.at == ["/arguments/timezone"])
        #expect(
            miss.text == #"no recorded answer for tools/call get_time {"timezone":"Europe/Paris"} (match: params); the closest "#
                + #"recorded request is call 3, tools/call get_time {"timezone":"UTC"}, which differs at /arguments/timezone"#)
        guard case .failure(let other) = Self.answer(book, "resources/read", ["uri": "file:///a"]) else {
            Issue.record("must miss"); return
        }
        #expect(other.closest == nil)
        #expect(other.text.hasSuffix("the recording has no resources/read request; it has tools/call"))
    }

    @Test func latencyModesScaleTheRecordedTime() {
        #expect(LatencyMode("none") == LatencyMode.none && LatencyMode("recorded") == .recorded && LatencyMode("x0.5") == .scaled(0.5))
        #expect(LatencyMode("x") == nil && LatencyMode("x-1") == nil && LatencyMode("fast") == nil)
        #expect(LatencyMode.none.scale(1000) == 0 && LatencyMode.recorded.scale(1000) == 1000 && LatencyMode.scaled(2).scale(1000) == 2000)
    }
}
