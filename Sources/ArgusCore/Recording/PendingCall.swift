/// A request on its way to a response: what the call record and the hooks need of it.
struct PendingCall {
    var run: LocalRunID
    var seq: Int
    var direction: Direction
    var method: String
    var tool: String?
    var target: String?
    /// The JSON-RPC id as JSON text.
    var idText: String
    var start: Timestamp
    var bytesIn: Int
    var progressToken: RequestKey?
    var progressCount = 0
    /// The request as stored (or about to be), for hooks that read `call.params`; nil without hooks.
    var requestBody: String?
    /// A script dropped this call: the response is stubbed too, and hooks see no bodies.
    var droppedBy: String?
    /// 2026-07-28 multi round-trip: this request's round, and the first round's request.
    var round: Int?
    var firstRound: CallReference?

    /// A request as it arrives, before anything of it is stored. Its tool is read from what the
    /// client sent (metadata, kept even when a script drops or fails the params).
    init?(request: Envelope, run: LocalRunID, seq: Int, direction: Direction, size: Int, body: String?, at time: Timestamp) {
        guard let id = request.id, let method = request.method else { return nil }
        self.run = run
        self.seq = seq
        self.direction = direction
        self.method = method
        self.idText = JSONWriter.string(id)
        self.start = time
        self.bytesIn = size
        self.requestBody = body
        if method == MCP.Method.toolsCall { tool = request.params?["name"]?.stringValue }
    }

    /// A `subscriptions/listen` stream: open until the client or the server closes it.
    var isStream: Bool { method == MCP.Method.subscriptionsListen }

    // MARK: the call as hooks see it

    /// The request, before it is stored.
    func hookCall(server: String) -> HookCall { hookCall(.request, server: server) }

    /// The call with its response, before the response is stored.
    func hookCall(answeredBy response: Envelope, size: Int, body: String, at time: Timestamp, server: String) -> HookCall {
        var call = hookCall(.response, server: server)
        call.latencyMicros = time.micros(since: start)
        call.isError = response.kind == .error || response.result?["isError"]?.boolValue == true
        call.bytesOut = size
        call.responseBody = body
        return call
    }

    /// The call as it was recorded, for observers (`on_call`, `alert`, `metric`).
    func hookCall(completedAs record: CallRecord, responseBody: String?, server: String) -> HookCall {
        var call = hookCall(.response, server: server)
        call.latencyMicros = record.latencyMicros
        call.status = record.status
        call.isError = record.isError
        call.errorCode = record.errorCode
        call.errorMessage = record.errorMessage
        call.progressCount = record.progressCount
        call.bytesOut = record.bytesOut
        call.responseBody = droppedBy == nil ? responseBody : nil
        call.replayOf = record.replayOf
        return call
    }

    /// What every phase shares: what the request said.
    private func hookCall(_ phase: HookPhase, server: String) -> HookCall {
        HookCall(
            phase: phase, run: run, server: server, direction: direction, method: method, tool: tool, target: target,
            requestID: idText, requestSeq: seq, startedAt: start.wallMicros, bytesIn: bytesIn,
            requestBody: droppedBy == nil ? requestBody : nil)
    }
}
