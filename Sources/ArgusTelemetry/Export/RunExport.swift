import ArgusCore
import ArgusStore

/// `argus export --run ID --format otlp`: a recorded run as an OTLP/JSON traces request, for
/// someone with a backend but no Argus (`curl --data-binary @run.json …/v1/traces`, or a
/// collector's file receiver).
///
/// The run's stored rows are replayed as the records the recorder once committed, through the
/// same assembly and span building as live export, so a shared run looks like a live one.
public enum RunExport {
    public struct Options: Sendable {
        public var serviceName = "argus"
        public var exportContent = false
        public var dashboardURL: String?

        public init() {}
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The OTLP/JSON text, and how many calls and notifications it holds.
    public static func otlpJSON(reader: ArgusReader, runID: Int64, options: Options) throws -> (json: String, exchanges: Int) {
        guard let run = try reader.run(id: runID) else {
            throw Failure(description: "no run \(runID) (see argus runs)")
        }
        let batch = try committedBatch(reader: reader, run: run)
        var assembler = CallAssembler(captureContent: options.exportContent)
        var events: [CallAssembler.Event] = []
        assembler.consume(batch, into: &events)
        var spanOptions = SpanBuilder.Options()
        spanOptions.sampler = .alwaysOn
        spanOptions.exportContent = options.exportContent
        spanOptions.dashboardURL = options.dashboardURL
        var builder = SpanBuilder(options: spanOptions)
        var spans: [Span] = []
        var exchanges = 0
        for case .call(let call) in events {
            spans += builder.spans(for: call)
            exchanges += 1
        }
        let encoding = OTLPEncoding(identity: .init(serviceName: options.serviceName),
                                    processID: run.argusPID.map { Int32(truncatingIfNeeded: $0) })
        return (try OTLPEncoding.json(encoding.traceRequest(spans), pretty: true), exchanges)
    }

    /// The run's rows as the records the writer committed: messages in order, each call right
    /// after its response (or at the end, for calls that never got one).
    static func committedBatch(reader: ArgusReader, run: RunSummary) throws -> CommittedBatch {
        let local: LocalRunID = 1
        var ops: [RecordOp] = [.startRun(RunStart(run: local, serverName: run.serverName,
                                                  launch: LaunchSpec(command: run.command, args: [], cwd: run.cwd ?? "", envNames: []),
                                                  startedAt: run.startedAt, argusPID: Int32(truncatingIfNeeded: run.argusPID ?? 0),
                                                  serverPID: nil))]
        if run.protocolVersion != nil {
            ops.append(.updateRun(local, PeerInfo(protocolVersion: run.protocolVersion)))
        }
        var calls: [CallSummary] = []
        var filter = CallFilter()
        filter.run = run.id
        filter.afterID = 0
        filter.limit = 1000
        while true {
            let page = try reader.calls(filter)
            calls += page
            guard page.count == filter.limit, let last = page.last else { break }
            filter.afterID = last.id
        }
        var callsByResponse: [Int64: [CallSummary]] = [:]
        var unanswered: [CallSummary] = []
        var callIDs: [CallReference: Int64] = [:]
        for call in calls {
            callIDs[CallReference(run: local, requestSeq: Int(call.requestSeq))] = call.id
            if let response = call.responseSeq { callsByResponse[response, default: []].append(call) } else { unanswered.append(call) }
        }
        var afterSeq: Int64 = 0
        while true {
            let page = try reader.messages(run: run.id, afterSeq: afterSeq, limit: 1000)
            for m in page {
                ops.append(.message(MessageRecord(run: local, seq: Int(m.seq), direction: Direction(rawValue: m.direction) ?? .clientToServer,
                                                  timestamp: m.timestamp, kind: MessageKind(rawValue: m.kind) ?? .invalid,
                                                  method: m.method, jsonrpcID: m.jsonrpcID, body: m.body, size: Int(m.size),
                                                  redacted: m.redacted)))
                for call in callsByResponse[m.seq] ?? [] { ops.append(.call(record(call, run: local))) }
            }
            guard page.count == 1000, let last = page.last else { break }
            afterSeq = last.seq
        }
        for call in unanswered { ops.append(.call(record(call, run: local))) }
        return CommittedBatch(ops: ops, runIDs: [local: run.id], callIDs: callIDs)
    }

    static func record(_ c: CallSummary, run: LocalRunID) -> CallRecord {
        CallRecord(run: run, requestSeq: Int(c.requestSeq), responseSeq: c.responseSeq.map { Int($0) },
                   direction: Direction(rawValue: c.direction) ?? .clientToServer, method: c.method, tool: c.tool,
                   target: c.target, jsonrpcID: c.jsonrpcID, startedAt: c.startedAt, endedAt: c.endedAt,
                   latencyMicros: c.latencyMicros, status: CallStatus(rawValue: c.status) ?? .ok, isError: c.isError,
                   errorCode: c.errorCode.map { Int($0) }, errorMessage: c.errorMessage, progressCount: Int(c.progressCount),
                   cancelled: c.cancelled, bytesIn: Int(c.bytesIn ?? 0), bytesOut: c.bytesOut.map { Int($0) },
                   replayOf: c.replayOf)
    }
}
