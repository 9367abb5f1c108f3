/// Pairs each request with its response — by direction and exact id, so `1`, `"1"` and `1.0`
/// stay apart — and turns every call into a `CallRecord` when it ends: answered, cancelled, a
/// stream closed, or no response before the session ended. Counts progress notifications and
/// links the rounds of a 2026-07-28 multi round-trip call.
///
/// Ids and progress tokens are read from the messages as they were sent; everything stored
/// (error messages, targets) from the redacted copies.
struct CallCorrelator {
    private let server: String
    private let replayOf: (@Sendable (String) -> Int64?)?
    private let hooks: RecordingHooks?
    private let emit: (RecordOp) -> Void

    private var pending: [RequestKey: PendingCall] = [:]
    private var progressTokens: [RequestKey: RequestKey] = [:]
    /// Pending calls that are streams (`subscriptions/listen`): open for as long as the client listens,
    /// so they do not hold a run open the way a call in progress does.
    private var openStreams = 0
    /// 2026-07-28 calls that answered `input_required`, waiting for the client's retry.
    private var rounds = RoundTracker()

    init(server: String, replayOf: (@Sendable (String) -> Int64?)?, hooks: RecordingHooks?, emit: @escaping (RecordOp) -> Void) {
        self.server = server
        self.replayOf = replayOf
        self.hooks = hooks
        self.emit = emit
    }

    /// A call in progress (open streams do not count: a client may listen for the whole session).
    var callInProgress: Bool { pending.count != openStreams }

    /// The call a response answers, if it is still waiting.
    func call(answeredBy response: Envelope, from direction: Direction) -> PendingCall? {
        response.id.flatMap { pending[RequestKey(direction: direction.opposite, id: $0)] }
    }

    mutating func requestSeen(_ call: PendingCall, request: Envelope, stored: Envelope, at time: Timestamp) {
        guard let id = request.id else { return }
        let key = RequestKey(direction: call.direction, id: id)
        if let previous = pending.removeValue(forKey: key) {
            complete(previous, status: .noResponse, errorMessage: "request id reused before a response", at: time)
        }
        var call = call
        let params = stored.params
        switch call.method {
        case MCP.Method.toolsCall: call.tool = call.tool ?? params?["name"]?.stringValue
        case MCP.Method.promptsGet: call.target = params?["name"]?.stringValue
        case MCP.Method.resourcesRead, MCP.Method.resourcesSubscribe, MCP.Method.resourcesUnsubscribe:
            call.target = params?["uri"]?.stringValue
        default: break
        }
        if let token = request.meta?[MCP.MetaKey.progressToken], !token.isNull {
            let tokenKey = RequestKey(direction: call.direction, id: token)
            call.progressToken = tokenKey
            progressTokens[tokenKey] = key
        }
        if let earlier = rounds.retry(request, method: call.method, direction: call.direction) {
            call.round = earlier.round
            call.firstRound = earlier.first
        }
        if call.isStream { openStreams += 1 }
        pending[key] = call
    }

    /// A script dropped a call on its way back: its request is already stored, so that is rewritten too.
    mutating func drop(answeredBy response: Envelope, from direction: Direction, script: String) {
        guard let id = response.id, let call = pending[RequestKey(direction: direction.opposite, id: id)],
            call.droppedBy == nil
        else { return }
        pending[RequestKey(direction: direction.opposite, id: id)]?.droppedBy = script
        emit(.rewriteMessage(call.run, seq: call.seq, body: ScriptRedaction.droppedRequest(call, script: script)))
    }

    /// Takes the call a response answers out of those waiting.
    mutating func take(answeredBy response: Envelope, from direction: Direction) -> PendingCall? {
        guard let id = response.id, let call = pending.removeValue(forKey: RequestKey(direction: direction.opposite, id: id))
        else { return nil }  // unmatched: the message row still records it
        if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
        return call
    }

    /// Completes a call taken with `take`. Whether the server asks for input is read from what it
    /// sent: a script may have dropped the stored result.
    mutating func answered(
        _ call: PendingCall, by response: Envelope, stored: Envelope, seq: Int, size: Int,
        body: String?, at time: Timestamp
    ) {
        let asksForInput = RoundTracker.asksForInput(response)
        if asksForInput {
            rounds.awaitRetry(
                of: response, call: CallReference(run: call.run, requestSeq: call.seq), round: call.round ?? 1,
                first: call.firstRound, method: call.method, tool: call.tool, target: call.target,
                direction: call.direction)
        }
        complete(call, response: (stored, seq, size), status: asksForInput ? .inputRequired : nil, responseBody: body, at: time)
    }

    /// A response too large to keep whole still completes its call (the status from whether it
    /// carried `error`; the result itself is not recorded).
    mutating func truncatedResponse(
        _ bytes: ArraySlice<UInt8>, from direction: Direction, seq: Int, size: Int,
        at time: Timestamp
    ) {
        let summary = TruncatedFrame.summarize(bytes)
        guard summary.isResponse, let id = summary.id,
            let call = pending.removeValue(forKey: RequestKey(direction: direction.opposite, id: id))
        else { return }
        if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
        let stub: JSONValue =
            summary.isError
            ? [
                "jsonrpc": "2.0", "id": id,
                "error": ["code": nil, "message": .string("error response of \(size) bytes, too large to record")],
            ]
            : ["jsonrpc": "2.0", "id": id, "result": [:]]
        complete(
            call, response: (Envelope(stub), seq, size), status: nil,
            errorMessage: summary.isError ? nil : "response of \(size) bytes recorded truncated", at: time)
    }

    mutating func notificationSeen(_ notification: Envelope, stored: Envelope, from direction: Direction, at time: Timestamp) {
        switch notification.method {
        case MCP.Method.progress:
            guard let token = notification.params?["progressToken"] else { return }
            if let key = progressTokens[RequestKey(direction: direction.opposite, id: token)] {
                pending[key]?.progressCount += 1
            }
        case MCP.Method.cancelled:
            guard let requestID = notification.params?["requestId"] else { return }
            let reason = stored.params?["reason"]?.stringValue
            if streamClosed(requestID, by: direction, reason: reason, at: time) { return }
            let key = RequestKey(direction: direction, id: requestID)
            guard let call = pending.removeValue(forKey: key) else { return }
            if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
            complete(call, status: .cancelled, errorMessage: reason, at: time)
        default:
            break
        }
    }

    /// `notifications/cancelled` for a `subscriptions/listen` stream is how a stream ends (the
    /// client stops listening, or on stdio the server closes it): recorded as `ended`, not as a
    /// cancelled call. Returns whether the notification closed a stream.
    private mutating func streamClosed(
        _ requestID: JSONValue, by direction: Direction, reason: String?,
        at time: Timestamp
    ) -> Bool {
        // The client cancels its own request; the server names the client's request.
        for key in [RequestKey(direction: direction, id: requestID), RequestKey(direction: direction.opposite, id: requestID)] {
            guard let call = pending[key], call.isStream else { continue }
            pending.removeValue(forKey: key)
            if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
            let closer = key.direction == direction ? "closed by the client" : "closed by the server"
            complete(call, status: .ended, errorMessage: reason.map { "\(closer): \($0)" } ?? closer, at: time)
            return true
        }
        return false
    }

    /// At the end of the session: the calls still waiting, in the order they began.
    mutating func closeAll(at time: Timestamp) {
        let open = pending.values.sorted { ($0.run, $0.seq) < ($1.run, $1.seq) }
        pending.removeAll()
        progressTokens.removeAll()
        for call in open {
            complete(call, status: .noResponse, errorMessage: "no response before the session ended", at: time)
        }
    }

    private mutating func complete(
        _ call: PendingCall, response: (Envelope, seq: Int, size: Int)? = nil, status: CallStatus?,
        errorMessage: String? = nil, responseBody: String? = nil, at time: Timestamp
    ) {
        if call.isStream { openStreams -= 1 }
        var record = CallRecord(
            server: server, requestSeq: call.seq, direction: call.direction, method: call.method,
            tool: call.tool, target: call.target, jsonrpcID: call.idText, startedAt: call.start.wallMicros,
            endedAt: time.wallMicros, latencyMicros: time.micros(since: call.start), status: status ?? .ok,
            errorMessage: errorMessage, progressCount: call.progressCount, cancelled: status == .cancelled,
            bytesIn: call.bytesIn, replayOf: replayOf?(call.idText))
        record.round = status == .inputRequired ? (call.round ?? 1) : call.round
        if let (envelope, responseSeq, size) = response {
            record.responseSeq = responseSeq
            record.bytesOut = size
            if let error = envelope.error {
                record.isError = true
                record.status = .error
                record.errorCode = error["code"]?.intValue
                record.errorMessage = error["message"]?.stringValue ?? JSONWriter.string(error)
            } else if envelope.result?["isError"]?.boolValue == true {
                record.isError = true
                record.status = .error
                record.errorMessage = Self.firstText(of: envelope.result)
            }
        } else if status == .noResponse {
            record.latencyMicros = nil
        }
        if call.droppedBy != nil { record.errorMessage = nil }  // only metadata for dropped calls
        emit(.call(call.run, record, firstRound: call.firstRound))
        hooks?.completed(call.hookCall(completedAs: record, responseBody: responseBody, server: server), emit: emit)
    }

    /// The first text content block of a tool result, shortened: the message a tool failure carries.
    static func firstText(of result: JSONValue?) -> String? {
        guard let content = result?["content"]?.arrayValue else { return nil }
        for block in content {
            if let text = block["text"]?.stringValue {
                return text.shortened(to: 500)
            }
        }
        return nil
    }
}
