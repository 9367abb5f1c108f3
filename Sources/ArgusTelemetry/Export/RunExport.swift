import ArgusCore
import ArgusStore

/// `argus export --run ID --format otlp`: a recorded run as an OTLP/JSON traces request, for
/// someone with a backend but no Argus (`curl --data-binary @run.json …/v1/traces`, or a
/// collector's file receiver).
///
/// The spans are built as live export builds them, from the stored (redacted) rows, so a
/// shared run looks like a live one.
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
        let calls = try exchanges(reader: reader, run: run, content: options.exportContent)
        var spanOptions = SpanBuilder.Options()
        spanOptions.sampler = .alwaysOn
        spanOptions.exportContent = options.exportContent
        spanOptions.dashboardURL = options.dashboardURL
        var builder = SpanBuilder(options: spanOptions)
        var spans: [Span] = []
        var exchanges = 0
        for call in calls {
            spans += builder.spans(for: call)
            exchanges += 1
        }
        let encoding = OTLPEncoding(
            identity: .init(serviceName: options.serviceName),
            processID: run.argusPID.map { Int32(truncatingIfNeeded: $0) })
        return (try OTLPEncoding.json(encoding.traceRequest(spans), pretty: true), exchanges)
    }

    /// The run's calls and notifications in the order they began, with what export reads of
    /// their stored bodies: the request's trace context and, with content, arguments and result.
    static func exchanges(reader: ArgusReader, run: RunRecord, content: Bool) throws -> [ExportedCall] {
        var requests: [Int: String] = [:]
        var responses: [Int: String] = [:]
        var result: [ExportedCall] = []
        var afterSeq = 0
        while true {
            let page = try reader.messages(run: run.id, afterSeq: afterSeq, limit: 1000)
            for m in page {
                switch m.kind {
                case .request where m.body.contains("traceparent") || (content && m.method == "tools/call"):
                    requests[m.seq] = m.body
                case .response, .error:
                    if content && m.method == "tools/call" { responses[m.seq] = m.body }
                case .notification:
                    guard let method = m.method else { continue }
                    var call = ExportedCall(
                        server: run.serverName, direction: m.direction,
                        method: method, startedAt: m.timestamp)
                    call.endedAt = m.timestamp
                    call.runID = run.id
                    call.protocolVersion = run.protocolVersion
                    call.parent = ExportedCall.traceContext(inBody: m.body)
                    result.append(call)
                default:
                    continue
                }
            }
            guard page.count == 1000, let last = page.last else { break }
            afterSeq = last.seq
        }
        var filter = CallFilter()
        filter.run = run.id
        filter.afterID = 0
        filter.limit = 1000
        while true {
            let page = try reader.calls(filter)
            for c in page {
                var call = ExportedCall(
                    server: run.serverName, direction: c.direction,
                    method: c.method, startedAt: c.startedAt)
                call.callID = c.id
                call.runID = run.id
                call.tool = c.tool
                call.target = c.target
                call.jsonrpcID = c.jsonrpcID
                call.endedAt = c.endedAt
                call.status = c.status
                call.isError = c.isError
                call.errorCode = c.errorCode
                call.errorMessage = c.errorMessage
                call.protocolVersion = run.protocolVersion
                call.replayOf = c.replayOf
                if let body = requests[c.requestSeq] {
                    call.parent = ExportedCall.traceContext(inBody: body)
                    if content && c.method == "tools/call" { call.arguments = ExportedCall.arguments(inRequestBody: body) }
                }
                if content, let seq = c.responseSeq, let body = responses[seq] { call.result = ExportedCall.result(inResponseBody: body) }
                result.append(call)
            }
            guard page.count == filter.limit, let last = page.last else { break }
            filter.afterID = last.id
        }
        return result.sorted { $0.startedAt < $1.startedAt }
    }
}
