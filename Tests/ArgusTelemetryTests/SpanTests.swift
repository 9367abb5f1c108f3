import ArgusCore
import ArgusStore
import Testing
@testable import ArgusTelemetry

/// The recorder's real output for a few exchanges, turned into spans as `argus wrap` does.
final class Session {
    var ops: [RecordOp] = []
    var clock: UInt64 = 1_000_000_000
    lazy var recorder = SessionRecorder(
        config: RecorderConfig(
            serverName: "weather", launch: LaunchSpec(command: "srv", args: [], cwd: "/", envNames: []),
            redaction: .forEnvironment([:]))
    ) { [unowned self] in ops.append($0) }

    var now: Timestamp { Timestamp(monotonicNanos: clock, wallMicros: 1_700_000_000_000_000 + Int64(clock / 1000)) }

    init() { recorder.start(at: now) }

    func client(_ line: String) { recorder.ingest(.clientToServer, Array((line + "\n").utf8), at: now) }
    func server(_ line: String, afterMs ms: Double = 0) {
        clock += UInt64(ms * 1_000_000)
        recorder.ingest(.serverToClient, Array((line + "\n").utf8), at: now)
    }

    /// As the writer hands it over: ids for the run and each call.
    func committed() -> CommittedBatch {
        var callIDs: [CallReference: Int64] = [:]
        for case .call(let run, let c, _) in ops { callIDs[CallReference(run: run, requestSeq: c.requestSeq)] = Int64(100 + c.requestSeq) }
        return CommittedBatch(ops: ops, runIDs: [1: 7], callIDs: callIDs)
    }

    func exchanges(content: Bool = false) -> [ExportedCall] {
        var assembler = CallAssembler(captureContent: content)
        var events: [CallAssembler.Event] = []
        assembler.consume(committed(), into: &events)
        return events.compactMap { if case .call(let call) = $0 { return call } else { return nil } }
    }
}

extension Span {
    subscript(attribute key: String) -> String? {
        guard let value = attributes.first(where: { $0.key == key })?.value else { return nil }
        switch value.value {
        case .stringValue(let s): return s
        case .intValue(let i): return String(i)
        default: return nil
        }
    }
}

@Suite struct SpanTests {
    let initialize =
        #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#
    let initialized =
        #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}"#

    @Test func aToolCallIsAServerSpanWithAClientChildCarryingTheConventionsAttributes() throws {
        let s = Session()
        s.client(initialize)
        s.server(initialized)
        s.client(#"{"jsonrpc":"2.0","id":"req-1","method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Oslo"}}}"#)
        s.server(#"{"jsonrpc":"2.0","id":"req-1","result":{"content":[{"type":"text","text":"cold"}]}}"#, afterMs: 25)
        let calls = s.exchanges()
        let call = try #require(calls.first { $0.method == "tools/call" })
        var builder = SpanBuilder(
            options: {
                var o = SpanBuilder.Options(); o.dashboardURL = "http://127.0.0.1:3000/#/calls/{call_id}?run={run_id}"; return o
            }())
        let spans = builder.spans(for: call)
        try #require(spans.count == 2)
        let (server, client) = (spans[0], spans[1])
        #expect(server.name == "tools/call get_weather" && client.name == server.name)
        #expect(server.kind == .server && client.kind == .client)
        #expect(client.parentSpanID == server.spanID && client.traceID == server.traceID)
        #expect(server.parentSpanID.isEmpty && server.traceID.count == 16 && server.spanID.count == 8)
        #expect(server.endTimeUnixNano - server.startTimeUnixNano == 25_000_000)
        #expect(server[attribute: "mcp.method.name"] == "tools/call")
        #expect(server[attribute: "gen_ai.tool.name"] == "get_weather")
        #expect(server[attribute: "gen_ai.operation.name"] == "execute_tool")
        #expect(server[attribute: "jsonrpc.request.id"] == "req-1")
        #expect(server[attribute: "mcp.protocol.version"] == "2025-06-18")
        #expect(server[attribute: "network.transport"] == "pipe")
        #expect(server[attribute: "argus.run.id"] == "7")
        #expect(server[attribute: "argus.call.id"] == String(100 + 3))
        #expect(server[attribute: "argus.call.url"] == "http://127.0.0.1:3000/#/calls/103?run=7")
        #expect(server[attribute: "error.type"] == nil && server.status.code == .unset)
        #expect(client[attribute: "peer.service"] == "weather")
        #expect(server[attribute: "gen_ai.tool.call.arguments"] == nil)
    }

    @Test func errorsCarryTheirTypeAndOnlyProtocolMessagesByDefault() throws {
        let s = Session()
        s.client(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"always_fail"}}"#)
        s.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"disk full at /home/alice"}],"isError":true}}"#)
        s.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope"}}"#)
        s.server(#"{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Unknown tool: nope"}}"#)
        var builder = SpanBuilder(options: .init())
        let spans = s.exchanges().flatMap { builder.spans(for: $0) }
        let toolError = try #require(spans.first { $0.name == "tools/call always_fail" })
        #expect(toolError[attribute: "error.type"] == "tool_error" && toolError.status.code == .error)
        #expect(toolError.status.message.isEmpty)  // a tool's error text is content
        let rpcError = try #require(spans.first { $0.name == "tools/call nope" })
        #expect(rpcError[attribute: "error.type"] == "-32602" && rpcError[attribute: "rpc.response.status_code"] == "-32602")
        #expect(rpcError.status.message == "Unknown tool: nope")
        #expect(rpcError[attribute: "jsonrpc.request.id"] == "2")
    }

    @Test func aTraceparentInMetaIsTheParentAndANotificationIsAHopToo() throws {
        let s = Session()
        s.client(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"rojo=1"}}}"#
        )
        s.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#)
        s.client(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"_meta":{"traceparent":"00-11111111111111111111111111111111-2222222222222222-00"}}}"#
        )
        var builder = SpanBuilder(options: .init())
        let calls = s.exchanges()
        let call = try #require(calls.first { $0.method == "tools/call" })
        let spans = builder.spans(for: call)
        #expect(Hex.encode(spans[0].traceID) == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(Hex.encode(spans[0].parentSpanID) == "00f067aa0ba902b7")
        #expect(spans[0].traceState == "rojo=1" && spans[1].traceState == "rojo=1")
        let cancelled = try #require(calls.first { $0.method == "notifications/cancelled" })
        #expect(cancelled.isNotification && cancelled.parent?.sampled == false)
        // The sender sampled it out: a parent-based sampler follows.
        #expect(builder.spans(for: cancelled).isEmpty)
        var always = SpanBuilder(
            options: {
                var o = SpanBuilder.Options(); o.sampler = .alwaysOn; return o
            }())
        let hop = always.spans(for: cancelled)
        #expect(hop.map(\.name) == ["notifications/cancelled", "notifications/cancelled"])
        #expect(hop[0][attribute: "jsonrpc.request.id"] == nil)
    }

    @Test func contentIsTheStoredRedactedCopyAndOnlyWhenAsked() throws {
        let s = Session()
        let secret = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
        s.client(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"user":"al","password":"hunter2-hunter2","note":"token \#(secret)"}}}"#
        )
        s.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok \#(secret)"}]}}"#)
        var builder = SpanBuilder(
            options: {
                var o = SpanBuilder.Options(); o.exportContent = true; return o
            }())
        let span = try #require(s.exchanges(content: true).first.map { builder.spans(for: $0) }?.first)
        let arguments = try #require(span[attribute: "gen_ai.tool.call.arguments"])
        let result = try #require(span[attribute: "gen_ai.tool.call.result"])
        #expect(arguments.contains("\"user\":\"al\"") && arguments.contains("REDACTED"))
        #expect(!arguments.contains("hunter2") && !arguments.contains(secret) && !result.contains(secret))
        // Without content capture, nothing of the bodies is held or sent.
        var plain = SpanBuilder(
            options: {
                var o = SpanBuilder.Options(); o.exportContent = true; return o
            }())
        let bare = try #require(s.exchanges(content: false).first.map { plain.spans(for: $0) }?.first)
        #expect(bare[attribute: "gen_ai.tool.call.arguments"] == nil)
    }

    @Test func traceparentParsingFollowsTheW3CRules() {
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.sampled == true)
        #expect(TraceContext(traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01") == nil)
        #expect(TraceContext(traceparent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceContext(traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") == nil)
        #expect(TraceContext(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        let context = TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
        #expect(context?.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
    }

    @Test func theRatioSamplerKeepsAboutTheRatioAndDecidesPerTrace() {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<20_000).map { _ in TraceContext.newTraceID(using: &generator) }
        let kept = ids.filter { SpanBuilder.ratioSampled($0, 0.25) }.count
        #expect(abs(Double(kept) / Double(ids.count) - 0.25) < 0.02, "kept \(kept) of \(ids.count)")
        #expect(ids.allSatisfy { SpanBuilder.ratioSampled($0, 0.25) == SpanBuilder.ratioSampled($0, 0.25) })
    }

    @Test func otlpJSONWritesIdsInHexAndEnumsAsNumbers() throws {
        let s = Session()
        s.client(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}"#
        )
        s.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#)
        var builder = SpanBuilder(options: .init())
        let spans = s.exchanges().flatMap { builder.spans(for: $0) }
        let encoding = OTLPEncoding(identity: .init(serviceName: "svc"))
        let json = try JSONParser.parse(try OTLPEncoding.json(encoding.traceRequest(spans), pretty: false))
        let span = try #require(json["resourceSpans"]?[0]?["scopeSpans"]?[0]?["spans"]?[0])
        #expect(span["traceId"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(span["parentSpanId"]?.stringValue == "00f067aa0ba902b7")
        #expect(span["kind"]?.intValue == 2)
        let binary = try OTLPEncoding.body(encoding.traceRequest(spans), as: .protobuf)
        let decoded = try ExportTraceRequest(serializedBytes: binary)
        #expect(decoded.resourceSpans[0].scopeSpans[0].spans == spans)
    }
}
