import Testing
@testable import ArgusCore

/// Drives a SessionRecorder with lines at chosen times and collects what it emits.
final class RecorderHarness {
    var ops: [RecordOp] = []
    var clock: UInt64 = 1_000_000_000
    lazy var recorder = SessionRecorder(config: config) { [unowned self] in ops.append($0) }
    var config: RecorderConfig

    init(idleTimeout: Double = 60, environment: [String: String] = [:]) {
        config = RecorderConfig(
            serverName: "test", launch: LaunchSpec(command: "srv", args: [], cwd: "/", envNames: []),
            idleTimeoutSeconds: idleTimeout, redaction: .forEnvironment(environment))
    }

    var now: Timestamp { Timestamp(monotonicNanos: clock, wallMicros: Int64(clock / 1000)) }

    func advance(ms: Double) { clock += UInt64(ms * 1_000_000) }

    func client(_ line: String) { recorder.ingest(.clientToServer, Array((line + "\n").utf8), at: now) }
    func server(_ line: String) { recorder.ingest(.serverToClient, Array((line + "\n").utf8), at: now) }

    func finish(_ reason: EndReason = .clientEOF) { recorder.finish(reason: reason, exitStatus: 0, at: now) }

    var messages: [MessageRecord] { messageOps.map(\.message) }
    var messageOps: [(run: LocalRunID, message: MessageRecord)] {
        ops.compactMap { if case .message(let run, let m) = $0 { return (run, m) } else { return nil } }
    }
    var calls: [CallRecord] { callOps.map(\.call) }
    var callOps: [(run: LocalRunID, call: CallRecord, firstRound: CallReference?)] {
        ops.compactMap { if case .call(let run, let c, let first) = $0 { return (run, c, first) } else { return nil } }
    }
    var runStarts: [RunStart] { ops.compactMap { if case .startRun(let r) = $0 { return r } else { return nil } } }
    var runEnds: [RunEnd] { ops.compactMap { if case .endRun(let r) = $0 { return r } else { return nil } } }
    var peerUpdates: [PeerInfo] { ops.compactMap { if case .updateRun(_, let p) = $0 { return p } else { return nil } } }
}

@Suite struct SessionRecorderTests {
    @Test func pairsRequestsWithResponsesAndMeasuresLatency() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}"#)
        h.advance(ms: 12.5)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}"#)
        h.finish()
        #expect(h.calls.count == 1)
        let call = h.calls[0]
        #expect(call.method == "tools/call")
        #expect(call.tool == "echo")
        #expect(call.latencyMicros == 12_500)
        #expect(call.status == .ok)
        #expect(call.requestSeq == 1 && call.responseSeq == 2)
        #expect(h.messages.map(\.kind) == [.request, .response])
        #expect(h.messages[1].method == "tools/call")  // responses carry their request's method
    }

    @Test func countsToolFailuresAndProtocolErrorsAsErrors() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"always_fail"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":"a","result":{"content":[{"type":"text","text":"boom"}],"isError":true}}"#)
        h.client(#"{"jsonrpc":"2.0","id":"b","method":"nope"}"#)
        h.server(#"{"jsonrpc":"2.0","id":"b","error":{"code":-32601,"message":"Method not found"}}"#)
        h.finish()
        #expect(h.calls.map(\.isError) == [true, true])
        #expect(h.calls[0].errorMessage == "boom")
        #expect(h.calls[0].errorCode == nil)
        #expect(h.calls[1].errorCode == -32601)
        #expect(h.calls[1].errorMessage == "Method not found")
        #expect(h.messages.map(\.kind) == [.request, .response, .request, .error])
    }

    @Test func keepsIdTypesApart() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        h.client(#"{"jsonrpc":"2.0","id":"1","method":"ping"}"#)
        h.client(#"{"jsonrpc":"2.0","id":18446744073709551617,"method":"ping"}"#)
        h.server(#"{"jsonrpc":"2.0","id":"1","result":{}}"#)
        h.server(#"{"jsonrpc":"2.0","id":18446744073709551617,"result":{}}"#)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        h.finish()
        #expect(h.calls.map(\.jsonrpcID) == [#""1""#, "18446744073709551617", "1"])
        #expect(h.calls.allSatisfy { $0.status == .ok })
    }

    @Test func correlatesServerToClientRequests() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"client_roots"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":1,"method":"roots/list"}"#)  // same id, other direction
        h.client(#"{"jsonrpc":"2.0","id":1,"result":{"roots":[]}}"#)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#)
        h.finish()
        #expect(h.calls.map(\.method) == ["roots/list", "tools/call"])
        #expect(h.calls.map(\.direction) == [.serverToClient, .clientToServer])
    }

    @Test func countsProgressAndRecordsCancellation() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"t"}}}"#)
        h.server(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}"#)
        h.server(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":2}}"#)
        h.server(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"other","progress":2}}"#)
        h.client(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}"#)
        h.finish()
        #expect(h.calls.count == 1)
        #expect(h.calls[0].progressCount == 2)
        #expect(h.calls[0].status == .cancelled)
        #expect(h.calls[0].cancelled)
        #expect(h.calls[0].errorMessage == "user")
    }

    @Test func closesUnansweredCallsAtTheEnd() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang"}}"#)
        h.finish(.serverExited)
        #expect(h.calls.map(\.status) == [.noResponse])
        #expect(h.calls[0].latencyMicros == nil)
        #expect(h.runEnds.map(\.reason) == [.serverExited])
    }

    @Test func recordsInvalidLinesAndBatches() {
        let h = RecorderHarness()
        h.client("this is not json")
        h.client("")
        h.client(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]"#)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        h.recorder.ingest(.clientToServer, [0x7B, 0xFF, 0xFE, 0x7D, 0x0A], at: h.now)
        h.finish()
        #expect(h.messages.map(\.kind) == [.invalid, .batch, .response, .invalid])
        #expect(h.calls.map(\.method) == ["ping"])
        #expect(h.messages[0].body == "this is not json")
    }

    @Test func learnsPeersFromTheHandshake() {
        let h = RecorderHarness()
        h.client(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"claude-ai","version":"0.1"},"capabilities":{}}}"#
        )
        h.server(
            #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","serverInfo":{"name":"srv","version":"2"},"capabilities":{}}}"#
        )
        h.finish()
        let last = h.peerUpdates.last
        #expect(
            last
                == PeerInfo(
                    clientName: "claude-ai", clientVersion: "0.1", serverName: "srv", serverVersion: "2",
                    protocolVersion: "2025-06-18"))
    }

    @Test func learnsPeersFromStatelessMeta() {
        let h = RecorderHarness()
        h.client(
            #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"},"io.modelcontextprotocol/clientCapabilities":{}}}}"#
        )
        h.server(
            #"{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{},"serverInfo":{"name":"srv","version":"9"}}}"#
        )
        h.finish()
        #expect(
            h.peerUpdates.last
                == PeerInfo(
                    clientName: "mcp", clientVersion: "0.1.0", serverName: "srv", serverVersion: "9",
                    protocolVersion: "2026-07-28"))
    }

    @Test func storesToolSchemasFromToolsList() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        h.server(
            #"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rm","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true}}]}}"#
        )
        h.finish()
        let schemas = h.ops.compactMap { if case .toolSchemas(_, let s) = $0 { return s } else { return nil } }.flatMap { $0 }
        #expect(schemas.map(\.name) == ["rm"])
        #expect(schemas[0].annotations == #"{"destructiveHint":true}"#)
        #expect(schemas[0].inputSchema == #"{"type":"object"}"#)
    }

    @Test func splitsRunsAfterIdleButNeverInsideACall() {
        let h = RecorderHarness(idleTimeout: 1)
        h.recorder.start(at: h.now)
        h.client(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"clientInfo":{"name":"c"}}}"#)
        h.server(#"{"jsonrpc":"2.0","id":0,"result":{"serverInfo":{"name":"s"}}}"#)
        h.advance(ms: 1500)
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}"#)  // new run
        h.advance(ms: 5000)  // a long call: still the same run
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        h.finish()
        #expect(h.runStarts.map(\.run) == [1, 2])
        #expect(h.runStarts[1].previousRun == 1)
        #expect(h.runEnds.map(\.reason) == [.idle, .clientEOF])
        #expect(h.callOps.map(\.run) == [1, 2])
        #expect(h.calls[1].responseSeq == 2)
        // the new run inherits what was learnt about the peers
        #expect(h.ops.contains { if case .updateRun(2, let p) = $0 { return p.clientName == "c" } else { return false } })
    }

    @Test func redactsBeforeEmittingAndKeepsUntouchedBytes() {
        let h = RecorderHarness(environment: ["GITHUB_TOKEN": "ghp_000000000000000000000000000000000000"])
        let untouched = #"{"jsonrpc":"2.0", "id":1 ,"method":"tools/call","params":{"name":"x","arguments":{"n":1.0}}}"#
        h.client(untouched)
        h.server(
            #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"token ghp_000000000000000000000000000000000000"}],"isError":true}}"#
        )
        h.recorder.ingestStderr(UnsafeRawBufferPointer(start: nil, count: 0), at: h.now)
        Array("auth with ghp_000000000000000000000000000000000000 failed\n".utf8).withUnsafeBytes { h.recorder.ingestStderr($0, at: h.now) }
        h.finish()
        #expect(h.messages[0].body == untouched)
        #expect(!h.messages[0].redacted)
        #expect(h.messages[1].redacted)
        #expect(!h.messages[1].body.contains("ghp_0000"))
        #expect(h.calls[0].errorMessage == "token [REDACTED:env:GITHUB_TOKEN]")
        let logs = h.ops.compactMap { if case .serverLog(_, let l) = $0 { return l.line } else { return nil } }
        #expect(logs == ["auth with [REDACTED:env:GITHUB_TOKEN] failed"])
        #expect(h.runEnds.last?.stderrTail == "auth with [REDACTED:env:GITHUB_TOKEN] failed")
    }
}

/// Keeps what it is asked to seal, reversibly, so tests can check what would be encrypted.
final class RecordingSealer: SecretSealer, @unchecked Sendable {
    var sealed: [[UInt8]] = []
    func seal(_ plaintext: [UInt8]) -> (keyID: String, sealed: [UInt8])? {
        sealed.append(plaintext)
        return ("k1", plaintext.reversed())
    }
}

@Suite struct SealingInRecorderTests {
    @Test func onlyRequestsWhoseParamsWereRedactedAreSealed() throws {
        let h = RecorderHarness()
        let sealer = RecordingSealer()
        h.config.sealer = sealer
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}"#)
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"login","arguments":{"password":"hunter2-horse"}}}"#)
        h.server(#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"token sk-abcdefghijklmnopqrstuvwx"}]}}"#)
        h.finish()
        let sealedOps = h.ops.compactMap { op -> (Int, String, [UInt8])? in
            if case .sealedParams(_, let seq, let keyID, let bytes) = op { return (seq, keyID, bytes) }
            return nil
        }
        #expect(sealedOps.map(\.0) == [2])  // not the plain request, not the (redacted) response
        #expect(sealedOps.first?.1 == "k1")
        let original = try JSONParser.parse(String(decoding: sealer.sealed[0], as: UTF8.self))
        #expect(original["arguments"]?["password"] == "hunter2-horse")
        #expect(h.messages[1].body.contains("[REDACTED]") && !h.messages[1].body.contains("hunter2"))
    }

    @Test func nothingIsSealedWithoutASealer() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"login","arguments":{"password":"hunter2-horse"}}}"#)
        h.finish()
        #expect(!h.ops.contains { if case .sealedParams = $0 { return true } else { return false } })
    }
}

@Suite struct TruncatedResponseTests {
    @Test func aResponseTooLargeToKeepStillCompletesItsCall() {
        let h = RecorderHarness()
        h.config.maxLineBytes = 200
        let big = String(repeating: "x", count: 1000)
        h.client(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"dump"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"\#(big)"}]}}"#)
        h.client(#"{"jsonrpc":"2.0","id":"e","method":"tools/call","params":{"name":"dump"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":"e","error":{"code":-32000,"message":"\#(big)"}}"#)
        h.finish()
        #expect(h.calls.count == 2)
        #expect(h.calls[0].status == .ok && h.calls[0].bytesOut ?? 0 > 1000)
        #expect(h.calls[0].errorMessage?.contains("recorded truncated") == true)
        #expect(h.calls[1].status == .error && h.calls[1].isError)  // `error` is in the kept part: known even though cut
        #expect(h.messages.filter { $0.kind == .invalid }.count == 2)
    }

    @Test func theScannerReadsOnlyTopLevelKeys() {
        let text = Array(#"{"result":{"id":99,"error":1},"id":"a\"b","jsonrpc":"2.0"}"#.utf8)
        let summary = TruncatedFrame.summarize(text[...])
        #expect(summary.id == "a\"b" && summary.isResponse && !summary.isError)
        #expect(TruncatedFrame.summarize(Array(#"{"method":"x","params":{"id":1}}"#.utf8)[...]).isResponse == false)
    }
}

/// 2026-07-28 shapes (multi round-trip requests, subscription streams) and runs started by hand.
@Suite struct RecorderRoundsStreamsAndSplitsTests {
    static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#

    @Test func anInputRequiredAnswerAndItsRetriesAreRoundsOfOneCall() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"deploy","arguments":{"env":"prod"},\#(Self.meta)}}"#)
        h.server(
            #"{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","inputRequests":{"q1":{"method":"elicitation/create","params":{"message":"Sure?"}}},"requestState":"s-1"}}"#
        )
        // An unrelated call in between must not be taken for the retry.
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"deploy","arguments":{"env":"dev"},\#(Self.meta)}}"#)
        h.server(#"{"jsonrpc":"2.0","id":2,"result":{"resultType":"complete","content":[]}}"#)
        h.client(
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"deploy","arguments":{"env":"prod"},"inputResponses":{"q1":{"action":"accept","content":{"confirm":true}}},"requestState":"s-1",\#(Self.meta)}}"#
        )
        h.server(
            #"{"jsonrpc":"2.0","id":3,"result":{"resultType":"input_required","inputRequests":{"q2":{"method":"elicitation/create","params":{"message":"Really?"}}},"requestState":"s-2"}}"#
        )
        h.client(
            #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"deploy","arguments":{"env":"prod"},"inputResponses":{"q2":{"action":"accept"}},"requestState":"s-2",\#(Self.meta)}}"#
        )
        h.server(#"{"jsonrpc":"2.0","id":4,"result":{"resultType":"complete","content":[{"type":"text","text":"deployed"}]}}"#)
        h.finish()
        let ops = h.callOps.sorted { $0.call.requestSeq < $1.call.requestSeq }
        let calls = ops.map(\.call)
        #expect(calls.map(\.jsonrpcID) == ["1", "2", "3", "4"])
        #expect(calls.map(\.status) == [.inputRequired, .ok, .inputRequired, .ok], "\(calls.map(\.status))")
        #expect(calls.map(\.round) == [1, nil, 2, 3], "\(calls.map(\.round))")
        let first = CallReference(run: ops[0].run, requestSeq: calls[0].requestSeq)
        #expect(ops.map(\.firstRound) == [nil, nil, first, first])
        #expect(calls.allSatisfy { !$0.isError })
    }

    @Test func aRetryWithoutStateIsMatchedByToolAndAnswerKeys() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":"a","method":"prompts/get","params":{"name":"plan",\#(Self.meta)}}"#)
        h.server(#"{"jsonrpc":"2.0","id":"a","result":{"resultType":"input_required","inputRequests":{"roots":{"method":"roots/list"}}}}"#)
        h.client(
            #"{"jsonrpc":"2.0","id":"b","method":"prompts/get","params":{"name":"other","inputResponses":{"roots":{"roots":[]}},\#(Self.meta)}}"#
        )
        h.client(
            #"{"jsonrpc":"2.0","id":"c","method":"prompts/get","params":{"name":"plan","inputResponses":{"roots":{"roots":[]}},\#(Self.meta)}}"#
        )
        h.server(#"{"jsonrpc":"2.0","id":"b","result":{"messages":[]}}"#)
        h.server(#"{"jsonrpc":"2.0","id":"c","result":{"messages":[]}}"#)
        h.finish()
        let byID = Dictionary(uniqueKeysWithValues: h.callOps.map { ($0.call.jsonrpcID, $0) })
        #expect(byID[#""b""#]?.call.round == nil)  // another prompt: not a retry of "plan"
        #expect(byID[#""c""#]?.call.round == 2)
        #expect(byID[#""c""#]?.firstRound?.requestSeq == byID[#""a""#]?.call.requestSeq)
    }

    @Test func aListenStreamClosedByEitherSideEndsInsteadOfBeingCancelled() {
        let h = RecorderHarness()
        h.client(
            #"{"jsonrpc":"2.0","id":10,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},\#(Self.meta)}}"#
        )
        h.server(
            #"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{"notifications":{"toolsListChanged":true},"_meta":{"io.modelcontextprotocol/subscriptionId":10}}}"#
        )
        h.client(
            #"{"jsonrpc":"2.0","id":11,"method":"subscriptions/listen","params":{"notifications":{"resourcesListChanged":true},\#(Self.meta)}}"#
        )
        h.client(#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"slow","arguments":{}}}"#)
        h.advance(ms: 50)
        h.client(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10,"reason":"done listening"}}"#)
        h.server(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":11,"reason":"shutting down"}}"#)
        h.client(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12}}"#)
        h.finish()
        let byID = Dictionary(uniqueKeysWithValues: h.calls.map { ($0.jsonrpcID, $0) })
        #expect(byID["10"]?.status == .ended && byID["10"]?.cancelled == false)
        #expect(byID["10"]?.errorMessage == "closed by the client: done listening")
        #expect(byID["10"]?.latencyMicros == 50_000)
        #expect(byID["11"]?.status == .ended)
        #expect(byID["11"]?.errorMessage == "closed by the server: shutting down")
        #expect(byID["12"]?.status == .cancelled)  // an ordinary call cancelled is still cancelled
    }

    @Test func anOpenStreamDoesNotHoldTheRunOpenForIdleSplits() {
        let h = RecorderHarness(idleTimeout: 1)
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{},\#(Self.meta)}}"#)
        h.advance(ms: 1500)
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        h.finish()
        #expect(h.runEnds.map(\.reason) == [.idle, .clientEOF])
    }

    @Test func aRequestedRunBeginsAtOnceWhenNothingIsPending() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        h.advance(ms: 5)
        h.recorder.requestNewRun(label: "bug 42", detail: "asked by a test", at: h.now)
        #expect(!h.recorder.newRunRequested)
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}"#)
        h.server(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        h.finish()
        #expect(h.runStarts.map(\.record.label) == [nil, "bug 42"])
        #expect(h.runStarts.last?.previousRun == h.runStarts.first?.run)
        #expect(h.runEnds.map(\.reason) == [.manual, .clientEOF])
        #expect(h.runEnds.first?.detail == "asked by a test")
        #expect(h.callOps.map(\.run) == [1, 2])
    }

    @Test func aRequestedRunWaitsForThePendingCallAndNeverSplitsIt() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}"#)
        h.recorder.requestNewRun(label: "repro", detail: "asked", at: h.now)
        #expect(h.recorder.newRunRequested)
        h.server(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}}"#)
        h.recorder.tick(at: h.now)
        #expect(h.runStarts.count == 1)  // still one run: the call is pending
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        #expect(h.runStarts.count == 1)  // the response shares its request's run
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}"#)  // the next call opens the new run
        h.server(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        h.finish()
        #expect(h.runStarts.map(\.record.label) == [nil, "repro"])
        let requests = h.messageOps.filter { $0.message.kind == .request }
        #expect(requests.map(\.run) == [1, 2])
        #expect(h.messageOps.first { $0.message.kind == .response && $0.message.jsonrpcID == "1" }?.run == 1)
        #expect(h.callOps.map(\.run) == [1, 2])
    }

    @Test func aRequestedRunWaitingForACallIsMadeByTheTickOnceItCompletes() {
        let h = RecorderHarness()
        h.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}"#)
        h.recorder.requestNewRun(label: nil, detail: "asked", at: h.now)
        h.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        h.recorder.tick(at: h.now)
        #expect(h.runStarts.count == 2 && !h.recorder.newRunRequested)
    }

    /// `argus proxy`'s sessions share one writer, which knows runs by number: recorders drawing
    /// from one numbering never give two runs the same one, splits included, and each call stays
    /// in its own session's run.
    @Test func recordersSharingANumberingNeverReuseARunNumber() {
        let shared = RunNumbering()
        let a = RecorderHarness(idleTimeout: 1), b = RecorderHarness(idleTimeout: 1)
        a.config.runNumbering = shared
        b.config.runNumbering = shared
        a.recorder.start(at: a.now)
        b.recorder.start(at: b.now)
        a.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#)
        b.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"y"}}"#)
        a.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        b.server(#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        a.advance(ms: 1500)  // an idle split in one session: its next run needs a new number too
        a.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}"#)
        a.server(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        a.finish()
        b.finish()
        #expect(a.runStarts.map(\.run) == [1, 3] && b.runStarts.map(\.run) == [2], "\(a.runStarts) \(b.runStarts)")
        #expect(a.runStarts[1].previousRun == 1)
        #expect(a.callOps.map(\.run) == [1, 3] && b.callOps.map(\.run) == [2])
        #expect(a.runEnds.map(\.run) == [1, 3] && b.runEnds.map(\.run) == [2])
    }
}
