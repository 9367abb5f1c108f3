import ArgusCore
import ArgusStore

/// Reads the records the recorder committed, in order, and puts together what the exporter
/// sends: each completed call with its request's trace context (and, when content export
/// is on, its stored arguments and result), each notification, each run's end, each metric
/// a script derived. It holds a request only while its call is open, and only what export needs.
struct CallAssembler {
    enum Event {
        case call(ExportedCall)
        case sessionEnded(server: String, protocolVersion: String?, seconds: Double, errorType: String?)
        case scriptMetric(ScriptOutputRecord, server: String)
    }

    private struct Run {
        var server: String
        var startedAt: Int64
        var protocolVersion: String?
    }

    private struct Request {
        var parent: TraceContext?
        var arguments: String?
    }

    let captureContent: Bool
    private var runs: [LocalRunID: Run] = [:]
    private var requests: [CallReference: Request] = [:]
    private var responses: [CallReference: String] = [:]
    /// A backstop: requests and responses kept for calls not yet completed.
    static let maxHeld = 65_536

    init(captureContent: Bool) {
        self.captureContent = captureContent
    }

    mutating func consume(_ batch: CommittedBatch, into events: inout [Event]) {
        for op in batch.ops {
            switch op {
            case .startRun(let start):
                runs[start.run] = Run(server: start.record.serverName, startedAt: start.record.startedAt)
            case .updateRun(let run, let info):
                if let version = info.protocolVersion { runs[run]?.protocolVersion = version }
            case .endRun(let end):
                guard let run = runs.removeValue(forKey: end.run) else { continue }
                events.append(
                    .sessionEnded(
                        server: run.server, protocolVersion: run.protocolVersion,
                        seconds: Double(end.endedAt - run.startedAt) / 1e6,
                        errorType: end.reason == .serverFailedToStart ? "server_failed_to_start" : nil))
            case .message(let run, let message):
                take(message, of: run, batch: batch, into: &events)
            case .rewriteMessage(let run, let seq, let body):
                let key = CallReference(run: run, requestSeq: seq)
                if requests[key] != nil, captureContent { requests[key]?.arguments = ExportedCall.arguments(inRequestBody: body) }
            case .call(let run, let record, _):
                events.append(.call(call(record, of: run, batch: batch)))
            case .scriptOutput(let run, let output) where output.kind == .metric:
                let server = run.flatMap { runs[$0]?.server } ?? ""
                events.append(.scriptMetric(output, server: server))
            default:
                continue
            }
        }
    }

    private mutating func take(_ message: MessageRecord, of localRun: LocalRunID, batch: CommittedBatch, into events: inout [Event]) {
        let key = CallReference(run: localRun, requestSeq: message.seq)
        switch message.kind {
        case .request:
            let parent = ExportedCall.traceContext(inBody: message.body)
            let arguments = captureContent && message.method == "tools/call" ? ExportedCall.arguments(inRequestBody: message.body) : nil
            if parent != nil || arguments != nil, requests.count < Self.maxHeld {
                requests[key] = Request(parent: parent, arguments: arguments)
            }
        case .notification:
            guard let method = message.method, let run = runs[localRun] else { return }
            var call = ExportedCall(server: run.server, direction: message.direction, method: method, startedAt: message.timestamp)
            call.endedAt = message.timestamp
            call.runID = batch.runIDs[localRun]
            call.protocolVersion = run.protocolVersion
            call.parent = ExportedCall.traceContext(inBody: message.body)
            events.append(.call(call))
        case .response, .error:
            guard captureContent, message.method == "tools/call", let result = ExportedCall.result(inResponseBody: message.body) else {
                return
            }
            if responses.count < Self.maxHeld { responses[key] = result }
        default:
            return
        }
    }

    private mutating func call(_ record: CallRecord, of localRun: LocalRunID, batch: CommittedBatch) -> ExportedCall {
        let run = runs[localRun]
        var call = ExportedCall(
            server: run?.server ?? "", direction: record.direction, method: record.method,
            startedAt: record.startedAt)
        call.callID = batch.callIDs[CallReference(run: localRun, requestSeq: record.requestSeq)]
        call.runID = batch.runIDs[localRun]
        call.tool = record.tool
        call.target = record.target
        call.jsonrpcID = record.jsonrpcID
        call.endedAt = record.endedAt
        call.status = record.status
        call.isError = record.isError
        call.errorCode = record.errorCode
        call.errorMessage = record.errorMessage
        call.protocolVersion = run?.protocolVersion
        call.replayOf = record.replayOf
        if let request = requests.removeValue(forKey: CallReference(run: localRun, requestSeq: record.requestSeq)) {
            call.parent = request.parent
            call.arguments = request.arguments
        }
        if let responseSeq = record.responseSeq {
            call.result = responses.removeValue(forKey: CallReference(run: localRun, requestSeq: responseSeq))
        }
        return call
    }
}
