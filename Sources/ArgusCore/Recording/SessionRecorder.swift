/// Settings for one proxy session's recording.
public struct RecorderConfig: Sendable {
    public var serverName: String
    public var launch: LaunchSpec
    /// A new run starts when a frame arrives after this much silence.
    public var idleTimeoutMicros: Int64
    public var redaction: RedactionPolicy
    public var maxLineBytes: Int
    public var argusPID: Int32
    public var serverPID: Int32?
    /// Lines of server stderr kept for the run's `stderr_tail`.
    public var stderrTailLines: Int
    /// Seals the original params of redacted requests for replay (nil: originals are not kept).
    public var sealer: SecretSealer?
    /// For replays: the recorded call a request (by JSON-RPC id text) replays.
    public var replayOf: (@Sendable (String) -> Int64?)?
    /// `wrap` for proxied sessions, `replay` for runs made by the replay engine.
    public var runKind = "wrap"
    /// Set when the session is relayed without recording its traffic: the reason, stored with the run.
    public var recordingError: String?

    public init(serverName: String, launch: LaunchSpec, idleTimeoutSeconds: Double = 60,
                redaction: RedactionPolicy = RedactionPolicy(), maxLineBytes: Int = 64 << 20,
                argusPID: Int32 = 0, serverPID: Int32? = nil, stderrTailLines: Int = 20) {
        self.serverName = serverName
        self.launch = launch
        self.idleTimeoutMicros = Int64(idleTimeoutSeconds * 1_000_000)
        self.redaction = redaction
        self.maxLineBytes = maxLineBytes
        self.argusPID = argusPID
        self.serverPID = serverPID
        self.stderrTailLines = stderrTailLines
    }
}

/// Turns the bytes that crossed the proxy into records: frames, messages,
/// request/response pairs, runs, tool schemas and server log lines.
///
/// Pure and single-threaded: it is fed chunks with their timestamps and emits
/// `RecordOp`s in order; threads, queues and SQLite live elsewhere. Everything
/// it emits is already redacted.
public final class SessionRecorder {
    public let config: RecorderConfig
    private let redactor: Redactor
    private let emit: (RecordOp) -> Void

    private var framers: [Direction: LineFramer]
    private var stderrFramer: LineFramer
    private var stderrTail: [String] = []

    private var run: LocalRunID = 0
    private var nextRun: LocalRunID = 1
    /// The server's pid as the proxy reported it, for every run of the session.
    private var serverPID: Int32?
    private var seq = 0
    private var lastTraffic: Timestamp?
    private var peer = PeerInfo()
    private var droppedFrames = 0
    private var started = false
    private var finished = false

    private var pending: [RequestKey: PendingCall] = [:]
    private var progressTokens: [RequestKey: RequestKey] = [:]
    /// Pending calls that are streams (`subscriptions/listen`): open for as long as the client listens,
    /// so they do not hold a run open the way a call in progress does.
    private var openStreams = 0
    /// 2026-07-28 calls that answered `input_required`, waiting for the client's retry.
    private var rounds = RoundTracker()
    /// A new run someone asked for, made as soon as no call is pending.
    private var requestedSplit: (label: String?, detail: String)?

    /// Calls recorded, for diagnostics and tests.
    public private(set) var callsRecorded = 0
    public private(set) var framesRecorded = 0

    /// User scripts (Lua), when loaded. Called on this recorder's thread.
    public let hooks: RecordingHooks?

    public init(config: RecorderConfig, hooks: RecordingHooks? = nil, emit: @escaping (RecordOp) -> Void) {
        self.config = config
        self.hooks = hooks
        self.redactor = Redactor(policy: config.redaction)
        self.emit = emit
        framers = [
            .clientToServer: LineFramer(maxLineBytes: config.maxLineBytes),
            .serverToClient: LineFramer(maxLineBytes: config.maxLineBytes),
        ]
        stderrFramer = LineFramer(maxLineBytes: 64 << 10)
    }

    public var currentRun: LocalRunID { run }

    /// Opens the first run. Called once, when the proxy starts.
    public func start(at time: Timestamp, serverPID: Int32? = nil) {
        guard !started else { return }
        started = true
        self.serverPID = serverPID ?? config.serverPID
        openRun(at: time.wallMicros, previous: nil)
    }

    // MARK: input

    public func ingest(_ direction: Direction, _ chunk: UnsafeRawBufferPointer, at time: Timestamp) {
        start(at: time)
        var lines: [LineFramer.Line] = []
        framers[direction, default: LineFramer()].push(chunk) { lines.append($0) }
        for line in lines { frame(direction, line, at: time) }
    }

    public func ingest(_ direction: Direction, _ chunk: [UInt8], at time: Timestamp) {
        chunk.withUnsafeBytes { ingest(direction, $0, at: time) }
    }

    public func ingestStderr(_ chunk: UnsafeRawBufferPointer, at time: Timestamp) {
        start(at: time)
        var lines: [LineFramer.Line] = []
        stderrFramer.push(chunk) { lines.append($0) }
        for line in lines { stderrLine(line, at: time) }
    }

    /// Bytes the proxy forwarded but could not queue for recording (memory
    /// bound reached). The partial line is dropped and the loss counted.
    public func lost(_ direction: Direction, frames: Int, at time: Timestamp) {
        if framers[direction]?.hasPartialLine == true {
            framers[direction]?.discardPartialLine()
        }
        droppedFrames += max(frames, 1)
    }

    /// About once a second: lets scripts reload and report their status, and makes a requested run.
    public func tick(at time: Timestamp) {
        hooks?.tick(at: time, emit: emit)
        splitIfRequested(at: time)
    }

    /// Ends the session: flushes partial lines, closes calls still waiting for
    /// a response, and ends the current run.
    public func finish(reason: EndReason, detail: String? = nil, exitStatus: Int32?, at time: Timestamp) {
        guard !finished else { return }
        start(at: time)
        finished = true
        for direction in Direction.allCases {
            var lines: [LineFramer.Line] = []
            framers[direction]?.finish { lines.append($0) }
            for line in lines { frame(direction, line, at: time, countsAsTraffic: false) }
        }
        var tail: [LineFramer.Line] = []
        stderrFramer.finish { tail.append($0) }
        for line in tail { stderrLine(line, at: time) }
        closeAllPending(at: time)
        hooks?.tick(at: time, emit: emit)
        emit(.endRun(RunEnd(run: run, endedAt: time.wallMicros, reason: reason, detail: detail, exitStatus: exitStatus,
                            stderrTail: stderrTail.isEmpty ? nil : stderrTail.joined(separator: "\n"),
                            droppedFrames: droppedFrames)))
    }

    // MARK: runs

    private func openRun(at wallMicros: Int64, previous: LocalRunID?, label: String? = nil) {
        run = nextRun
        nextRun += 1
        seq = 0
        let launch = storedLaunch
        var record = RunRecord(kind: config.runKind, serverName: config.serverName, command: launch.spec.command,
                               args: launch.spec.args, cwd: launch.spec.cwd, envNames: launch.spec.envNames,
                               argusPID: config.argusPID, serverPID: serverPID, startedAt: wallMicros, label: label,
                               recordingError: config.recordingError)
        record.sealedArgs = launch.sealedArgs
        emit(.startRun(RunStart(run: run, previousRun: previous, record: record)))
        if previous != nil, peer != PeerInfo() { emit(.updateRun(run, peer)) }
    }

    /// No call in progress (open streams do not count: a client may listen for the whole session).
    private var nothingPending: Bool { pending.count == openStreams }

    /// The launch spec as stored: the command line redacted (`--api-key=…`, `--token X`,
    /// URLs with passwords), and the original arguments sealed for replay when they
    /// differ. Worked out once, before the first frame, so the values it removes are
    /// already remembered when the server echoes them.
    private lazy var storedLaunch: (spec: LaunchSpec, sealedArgs: (keyID: String, sealed: [UInt8])?) = {
        var spec = config.launch
        spec.command = redactor.redactText(spec.command) ?? spec.command
        spec.cwd = redactor.redactText(spec.cwd) ?? spec.cwd
        guard let args = redactor.redactArguments(command: config.launch.command, spec.args) else { return (spec, nil) }
        spec.args = args
        let sealed = config.sealer?.seal(JSONWriter.bytes(.array(config.launch.args.map(JSONValue.string))))
        return (spec, sealed)
    }()

    /// A call still waiting for its response keeps the run open however long
    /// it takes, so a request and its response always share a run.
    private func splitRunIfIdle(at time: Timestamp) {
        if let last = lastTraffic, nothingPending, time.micros(since: last) > config.idleTimeoutMicros {
            emit(.endRun(RunEnd(run: run, endedAt: last.wallMicros, reason: .idle, detail: nil, exitStatus: nil,
                                stderrTail: nil, droppedFrames: droppedFrames)))
            droppedFrames = 0
            openRun(at: time.wallMicros, previous: run)
        }
        lastTraffic = time
    }

    /// Asks for a new run (`argus runs new`, the dashboard): the current run ends (`manual`, with
    /// `detail`) and the next one, named `label`, begins as soon as no call is pending — at once
    /// when the session is quiet, otherwise before the first frame after the pending calls
    /// complete. Never mid-call: a request and its response always share a run.
    public func requestNewRun(label: String?, detail: String, at time: Timestamp) {
        guard !finished else { return }
        requestedSplit = (label, detail)
        splitIfRequested(at: time)
    }

    /// Whether a requested run is still waiting for pending calls to complete.
    public var newRunRequested: Bool { requestedSplit != nil }

    private func splitIfRequested(at time: Timestamp) {
        guard let request = requestedSplit, started, !finished, nothingPending else { return }
        requestedSplit = nil
        emit(.endRun(RunEnd(run: run, endedAt: time.wallMicros, reason: .manual, detail: request.detail, exitStatus: nil,
                            stderrTail: nil, droppedFrames: droppedFrames)))
        droppedFrames = 0
        openRun(at: time.wallMicros, previous: run, label: request.label)
        lastTraffic = nil  // the new run is not idle before its first frame
    }

    // MARK: frames

    private func frame(_ direction: Direction, _ line: LineFramer.Line, at time: Timestamp, countsAsTraffic: Bool = true) {
        var bytes = line.bytes[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }  // tolerate CRLF framing
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank lines carry nothing
        if countsAsTraffic {
            splitIfRequested(at: time)
            splitRunIfIdle(at: time)
        }
        seq += 1
        framesRecorded += 1

        if line.truncated {
            let text = String(decoding: bytes, as: UTF8.self)
            let body = redactor.redactText(text) ?? text
            emit(.message(run, MessageRecord(seq: seq, direction: direction, timestamp: time.wallMicros,
                                        kind: .invalid, method: nil, jsonrpcID: nil,
                                        body: "[TRUNCATED: \(line.size) bytes, first \(bytes.count) kept] " + body,
                                        size: line.size, redacted: true)))
            truncatedResponse(bytes, direction: direction, size: line.size, at: time)
            return
        }

        let parsed: JSONValue
        do {
            parsed = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        } catch {
            let text = String(decoding: bytes, as: UTF8.self)
            let redacted = redactor.redactText(text)
            emit(.message(run, MessageRecord(seq: seq, direction: direction, timestamp: time.wallMicros,
                                        kind: .invalid, method: nil, jsonrpcID: nil, body: redacted ?? text,
                                        size: line.size, redacted: redacted != nil)))
            return
        }

        var hits: [RedactionHit] = []
        var redacted = redactor.redact(parsed, hits: &hits)
        var body = redacted.map { JSONWriter.string($0) } ?? String(decoding: bytes, as: UTF8.self)
        // Correlation reads ids and progress tokens from the original; anything
        // that is stored (error messages, schemas, peer info) comes from the redacted copy.
        let envelope = Envelope(parsed)

        var method = envelope.method
        if envelope.kind == .response || envelope.kind == .error, let id = envelope.id {
            method = pending[RequestKey(direction: direction.opposite, id: id)]?.method
        }
        var rewrittenByScript = false
        if hooks?.hasRedactors == true,
           let rewritten = applyRedactHooks(envelope, value: redacted ?? parsed, body: body, direction: direction,
                                            size: line.size, at: time) {
            redacted = rewritten.value
            body = rewritten.body
            rewrittenByScript = true
        }
        let stored = redacted.map(Envelope.init) ?? envelope
        emit(.message(run, MessageRecord(seq: seq, direction: direction, timestamp: time.wallMicros,
                                    kind: envelope.kind, method: method, jsonrpcID: envelope.idText, body: body,
                                    size: line.size, redacted: !hits.isEmpty || rewrittenByScript)))
        // A request whose stored params differ from what was sent keeps its original, sealed, for replay;
        // not one a script dropped (dropping means keep nothing).
        let dropped = stored.params?.stringValue?.hasPrefix("[DROPPED by script") == true
        if envelope.kind == .request, redacted != nil, !dropped, let sealer = config.sealer, let params = envelope.params,
           stored.params.map({ !$0.sameValue(as: params) }) ?? true,
           let box = sealer.seal(JSONWriter.bytes(params)) {
            emit(.sealedParams(run, seq: seq, keyID: box.keyID, sealed: box.sealed))
        }

        if envelope.kind == .batch, let items = parsed.arrayValue {
            let storedItems = (redacted ?? parsed).arrayValue ?? items
            for (i, item) in items.enumerated() {
                let storedItem = i < storedItems.count ? Envelope(storedItems[i]) : Envelope(item)
                handle(Envelope(item), stored: storedItem, body: nil, direction: direction, size: line.size, at: time)
            }
        } else {
            handle(envelope, stored: stored, body: body, direction: direction, size: line.size, at: time)
        }
    }

    // MARK: script redaction

    static let failedMarker: JSONValue = "[REDACTION FAILED]"

    /// Runs the scripts' redact hooks on a request, response or notification.
    /// Returns the value and body to store instead, or nil to store as is.
    private func applyRedactHooks(_ envelope: Envelope, value: JSONValue, body: String, direction: Direction,
                                  size: Int, at time: Timestamp) -> (value: JSONValue, body: String)? {
        guard case .object(var message) = value, let hooks else { return nil }
        let verdict: HookVerdict
        var pendingKey: RequestKey?
        switch envelope.kind {
        case .request:
            guard let method = envelope.method else { return nil }
            let params = envelope.params
            verdict = hooks.redact(HookCall(phase: .request, run: run, server: config.serverName, direction: direction,
                                            method: method, tool: method == "tools/call" ? params?["name"]?.stringValue : nil,
                                            requestID: envelope.idText, requestSeq: seq, startedAt: time.wallMicros,
                                            bytesIn: size, requestBody: body), emit: emit)
        case .response, .error:
            guard let id = envelope.id, let call = pending[RequestKey(direction: direction.opposite, id: id)] else { return nil }
            pendingKey = RequestKey(direction: direction.opposite, id: id)
            if let script = call.droppedBy {
                verdict = .drop(script: script)
            } else {
                verdict = hooks.redact(HookCall(phase: .response, run: call.run, server: config.serverName,
                                                direction: call.direction, method: call.method, tool: call.tool,
                                                target: call.target, requestID: call.idText, requestSeq: call.seq,
                                                startedAt: call.start.wallMicros, latencyMicros: time.micros(since: call.start),
                                                isError: envelope.kind == .error || envelope.result?["isError"]?.boolValue == true,
                                                bytesIn: call.bytesIn, bytesOut: size, requestBody: call.storedBody,
                                                responseBody: body), emit: emit)
            }
        case .notification:
            guard let method = envelope.method else { return nil }
            verdict = hooks.redact(HookCall(phase: .notification, run: run, server: config.serverName, direction: direction,
                                            method: method, startedAt: time.wallMicros, bytesIn: size, requestBody: body),
                                   emit: emit)
        case .batch, .invalid:
            return nil
        }

        switch verdict {
        case .keep:
            return nil
        case .replace(let parts):
            // Only what really differs counts: a script that returns the call
            // untouched leaves the original bytes (and key order) alone.
            var changed = false
            for member in parts.members where ["params", "result", "error"].contains(member.key)
                && !(message[member.key]?.sameValue(as: member.value) ?? false) {
                message[member.key] = message[member.key].map { member.value.reordered(like: $0) } ?? member.value
                changed = true
            }
            if !changed { return nil }
        case .drop(let script):
            let stub = JSONValue.string("[DROPPED by script \(script)]")
            if envelope.kind == .request || envelope.kind == .notification {
                message["params"] = stub
            } else {
                message["result"] = message["result"] == nil ? nil : stub
                message["error"] = message["error"].map { error in
                    .object(JSONObject(["code": error["code"] ?? .null, "message": stub]))
                }
            }
            if envelope.kind == .request, let id = envelope.id {
                droppedRequests[RequestKey(direction: direction, id: id)] = script
            }
            if let key = pendingKey, let call = pending[key], call.droppedBy == nil {
                // Dropped on the way back: the request is already stored, so rewrite it too.
                pending[key]?.droppedBy = script
                var request: JSONObject = ["jsonrpc": "2.0", "method": .string(call.method), "params": stub]
                if let id = try? JSONParser.parse(call.idText) { request["id"] = id }
                emit(.rewriteMessage(call.run, seq: call.seq, body: JSONWriter.string(.object(request))))
            }
        case .failed:
            if envelope.kind == .request || envelope.kind == .notification {
                if message["params"] != nil { message["params"] = Self.failedMarker }
            } else {
                if message["result"] != nil { message["result"] = Self.failedMarker }
                if let error = message["error"] {
                    message["error"] = .object(JSONObject(["code": error["code"] ?? .null, "message": Self.failedMarker]))
                }
            }
        }
        let rewritten = JSONValue.object(message)
        return (rewritten, JSONWriter.string(rewritten))
    }

    private func handle(_ envelope: Envelope, stored: Envelope, body: String?, direction: Direction, size: Int,
                        at time: Timestamp) {
        switch envelope.kind {
        case .request: requestSeen(envelope, stored: stored, body: body, direction: direction, size: size, at: time)
        case .response, .error: responseSeen(envelope, stored: stored, body: body, direction: direction, size: size, at: time)
        case .notification: notificationSeen(envelope, stored: stored, direction: direction, at: time)
        case .batch, .invalid: break
        }
    }

    private func stderrLine(_ line: LineFramer.Line, at time: Timestamp) {
        var bytes = line.bytes[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        let text = String(decoding: bytes, as: UTF8.self)
        let redacted = redactor.redactText(text) ?? text
        stderrTail.append(redacted)
        if stderrTail.count > config.stderrTailLines { stderrTail.removeFirst(stderrTail.count - config.stderrTailLines) }
        emit(.serverLog(run, ServerLogRecord(timestamp: time.wallMicros, line: redacted)))
    }

    // MARK: correlation

    private struct PendingCall {
        var run: LocalRunID
        var seq: Int
        var direction: Direction
        var method: String
        var tool: String?
        var target: String?
        var idText: String
        var start: Timestamp
        var progressToken: RequestKey?
        var progressCount = 0
        var bytesIn: Int
        /// The request as stored, for hooks that read `call.params` later.
        var storedBody: String?
        /// A script dropped this call: the response is stubbed too.
        var droppedBy: String?
        /// 2026-07-28 multi round-trip: this request's round, and the first round's request.
        var round: Int?
        var firstRound: CallReference?

        /// A `subscriptions/listen` stream: open until the client or the server closes it.
        var isStream: Bool { method == Self.streamMethod }
        static let streamMethod = "subscriptions/listen"
    }

    /// Requests a script dropped, until requestSeen files them (same frame).
    private var droppedRequests: [RequestKey: String] = [:]

    private func requestSeen(_ envelope: Envelope, stored: Envelope, body: String?, direction: Direction, size: Int,
                             at time: Timestamp) {
        guard let id = envelope.id, let method = envelope.method else { return }
        let key = RequestKey(direction: direction, id: id)
        if let previous = pending.removeValue(forKey: key) {
            complete(previous, response: nil, status: .noResponse, errorMessage: "request id reused before a response",
                     responseBody: nil, at: time)
        }
        let params = stored.params
        var call = PendingCall(run: run, seq: seq, direction: direction, method: method, idText: JSONWriter.string(id),
                               start: time, bytesIn: size, storedBody: hooks == nil ? nil : body,
                               droppedBy: droppedRequests.removeValue(forKey: key))
        switch method {
        // The tool's name is metadata: kept even when a script drops or fails the params.
        case "tools/call": call.tool = envelope.params?["name"]?.stringValue ?? params?["name"]?.stringValue
        case "prompts/get": call.target = params?["name"]?.stringValue
        case "resources/read", "resources/subscribe", "resources/unsubscribe": call.target = params?["uri"]?.stringValue
        default: break
        }
        if let token = envelope.meta?["progressToken"], !token.isNull {
            let tokenKey = RequestKey(direction: direction, id: token)
            call.progressToken = tokenKey
            progressTokens[tokenKey] = key
        }
        if let earlier = rounds.retry(envelope, method: method, direction: direction) {
            call.round = earlier.round
            call.firstRound = earlier.first
        }
        if call.isStream { openStreams += 1 }
        pending[key] = call
        learnFromRequest(stored, method: method)
    }

    private func responseSeen(_ envelope: Envelope, stored: Envelope, body: String?, direction: Direction, size: Int,
                              at time: Timestamp) {
        guard let id = envelope.id else { return }
        let key = RequestKey(direction: direction.opposite, id: id)
        guard let call = pending.removeValue(forKey: key) else { return }  // unmatched: the message row still records it
        if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
        learnFromResponse(stored, method: call.method, at: time)
        // Read from what the server sent: a script may have dropped the stored result.
        let asksForInput = RoundTracker.asksForInput(envelope)
        if asksForInput {
            rounds.awaitRetry(of: envelope, call: CallReference(run: call.run, requestSeq: call.seq), round: call.round ?? 1,
                              first: call.firstRound, method: call.method, tool: call.tool, target: call.target,
                              direction: call.direction)
        }
        complete(call, response: (stored, seq, size), status: asksForInput ? .inputRequired : nil, errorMessage: nil,
                 responseBody: body, at: time)
    }

    /// A response too large to keep whole still completes its call (the status
    /// from whether it carried `error`; the result itself is not recorded).
    private func truncatedResponse(_ bytes: ArraySlice<UInt8>, direction: Direction, size: Int, at time: Timestamp) {
        let summary = TruncatedFrame.summarize(bytes)
        guard summary.isResponse, let id = summary.id,
              let call = pending.removeValue(forKey: RequestKey(direction: direction.opposite, id: id)) else { return }
        if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
        let stub: JSONValue = summary.isError
            ? ["jsonrpc": "2.0", "id": id, "error": ["code": nil, "message": .string("error response of \(size) bytes, too large to record")]]
            : ["jsonrpc": "2.0", "id": id, "result": [:]]
        complete(call, response: (Envelope(stub), seq, size), status: nil,
                 errorMessage: summary.isError ? nil : "response of \(size) bytes recorded truncated", responseBody: nil, at: time)
    }

    private func notificationSeen(_ envelope: Envelope, stored: Envelope, direction: Direction, at time: Timestamp) {
        switch envelope.method {
        case "notifications/progress":
            guard let token = envelope.params?["progressToken"] else { return }
            if let key = progressTokens[RequestKey(direction: direction.opposite, id: token)] {
                pending[key]?.progressCount += 1
            }
        case "notifications/cancelled":
            guard let requestID = envelope.params?["requestId"] else { return }
            if streamClosed(requestID, by: direction, reason: stored.params?["reason"]?.stringValue, at: time) { return }
            let key = RequestKey(direction: direction, id: requestID)
            guard let call = pending.removeValue(forKey: key) else { return }
            if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
            complete(call, response: nil, status: .cancelled, errorMessage: stored.params?["reason"]?.stringValue,
                     responseBody: nil, at: time)
        default:
            break
        }
    }

    /// `notifications/cancelled` for a `subscriptions/listen` stream is how a stream ends (the
    /// client stops listening, or on stdio the server closes it): recorded as `ended`, not as a
    /// cancelled call. Returns whether the notification closed a stream.
    private func streamClosed(_ requestID: JSONValue, by direction: Direction, reason: String?, at time: Timestamp) -> Bool {
        // The client cancels its own request; the server names the client's request.
        for key in [RequestKey(direction: direction, id: requestID), RequestKey(direction: direction.opposite, id: requestID)] {
            guard let call = pending[key], call.isStream else { continue }
            pending.removeValue(forKey: key)
            if let token = call.progressToken { progressTokens.removeValue(forKey: token) }
            let closer = key.direction == direction ? "closed by the client" : "closed by the server"
            complete(call, response: nil, status: .ended, errorMessage: reason.map { "\(closer): \($0)" } ?? closer,
                     responseBody: nil, at: time)
            return true
        }
        return false
    }

    private func complete(_ call: PendingCall, response: (Envelope, Int, Int)?, status: CallStatus?,
                          errorMessage: String?, responseBody: String?, at time: Timestamp) {
        if call.isStream { openStreams -= 1 }
        var record = CallRecord(server: config.serverName, requestSeq: call.seq, direction: call.direction, method: call.method,
                                tool: call.tool, target: call.target, jsonrpcID: call.idText, startedAt: call.start.wallMicros,
                                endedAt: time.wallMicros, latencyMicros: time.micros(since: call.start), status: status ?? .ok,
                                errorMessage: errorMessage, progressCount: call.progressCount, cancelled: status == .cancelled,
                                bytesIn: call.bytesIn, replayOf: config.replayOf?(call.idText))
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
        callsRecorded += 1
        emit(.call(call.run, record, firstRound: call.firstRound))
        if let hooks {
            hooks.completed(HookCall(phase: .response, run: call.run, server: config.serverName, direction: call.direction,
                                     method: call.method, tool: call.tool, target: call.target, requestID: call.idText,
                                     requestSeq: call.seq, startedAt: record.startedAt, latencyMicros: record.latencyMicros,
                                     status: record.status, isError: record.isError, errorCode: record.errorCode,
                                     errorMessage: record.errorMessage, progressCount: record.progressCount,
                                     bytesIn: call.bytesIn, bytesOut: record.bytesOut,
                                     requestBody: call.droppedBy == nil ? call.storedBody : nil,
                                     responseBody: call.droppedBy == nil ? responseBody : nil,
                                     replayOf: record.replayOf), emit: emit)
        }
    }

    private func closeAllPending(at time: Timestamp) {
        let open = pending.values.sorted { ($0.run, $0.seq) < ($1.run, $1.seq) }
        pending.removeAll()
        progressTokens.removeAll()
        for call in open {
            complete(call, response: nil, status: .noResponse, errorMessage: "no response before the session ended",
                     responseBody: nil, at: time)
        }
    }

    /// The first text content block of a tool result, shortened: the message a
    /// tool failure carries.
    static func firstText(of result: JSONValue?) -> String? {
        guard let content = result?["content"]?.arrayValue else { return nil }
        for block in content {
            if let text = block["text"]?.stringValue {
                return text.shortened(to: 500)
            }
        }
        return nil
    }

    // MARK: run metadata

    static let metaVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let metaClientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let metaServerInfoKey = "io.modelcontextprotocol/serverInfo"

    private func learnFromRequest(_ envelope: Envelope, method: String) {
        var info = peer
        if method == "initialize", let params = envelope.params {
            info.protocolVersion = params["protocolVersion"]?.stringValue ?? info.protocolVersion
            info.clientName = params["clientInfo"]?["name"]?.stringValue ?? info.clientName
            info.clientVersion = params["clientInfo"]?["version"]?.stringValue ?? info.clientVersion
        }
        if let meta = envelope.meta {
            if let version = meta[Self.metaVersionKey]?.stringValue { info.protocolVersion = version }
            if let client = meta[Self.metaClientInfoKey] {
                info.clientName = client["name"]?.stringValue ?? info.clientName
                info.clientVersion = client["version"]?.stringValue ?? info.clientVersion
            }
        }
        updatePeer(info)
    }

    private func learnFromResponse(_ envelope: Envelope, method: String, at time: Timestamp) {
        guard let result = envelope.result else { return }
        var info = peer
        if method == "initialize" {
            info.protocolVersion = result["protocolVersion"]?.stringValue ?? info.protocolVersion
        }
        let serverInfo = result["serverInfo"] ?? result["_meta"]?[Self.metaServerInfoKey]
        if let serverInfo {
            info.serverName = serverInfo["name"]?.stringValue ?? info.serverName
            info.serverVersion = serverInfo["version"]?.stringValue ?? info.serverVersion
        }
        updatePeer(info)
        if method == "tools/list", let tools = result["tools"]?.arrayValue {
            recordToolSchemas(tools, at: time)
        }
    }

    private func updatePeer(_ info: PeerInfo) {
        guard info != peer else { return }
        peer = info
        emit(.updateRun(run, info))
    }

    private func recordToolSchemas(_ tools: [JSONValue], at time: Timestamp) {
        let records = tools.compactMap { tool -> ToolSchemaRecord? in
            guard let name = tool["name"]?.stringValue else { return nil }
            return ToolSchemaRecord(name: name, title: tool["title"]?.stringValue,
                                    description: tool["description"]?.stringValue,
                                    inputSchema: tool["inputSchema"].map { JSONWriter.string($0) },
                                    outputSchema: tool["outputSchema"].map { JSONWriter.string($0) },
                                    annotations: tool["annotations"].map { JSONWriter.string($0) },
                                    seenAt: time.wallMicros)
        }
        if !records.isEmpty { emit(.toolSchemas(run, records)) }
    }
}
