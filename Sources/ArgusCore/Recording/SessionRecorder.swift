/// Turns the bytes that crossed the proxy into records: frames, messages,
/// request/response pairs, runs, tool schemas and server log lines.
///
/// Pure and single-threaded: it is fed chunks with their timestamps and emits
/// `RecordOp`s in order; threads, queues and SQLite live elsewhere. Everything
/// it emits is already redacted.
///
/// It coordinates the steps of recording, each a type of its own: `FrameDecoder` (framing and
/// parsing), `Redactor` (built-in redaction), `ScriptRedaction` (the scripts' verdicts),
/// `CallCorrelator` (pairing), `RunBook` (runs and splits) and `PeerLearner` (peers and tools).
public final class SessionRecorder {
    public let config: RecorderConfig
    private let hooks: RecordingHooks?
    private let redactor: Redactor
    private let emit: (RecordOp) -> Void

    private var decoder: FrameDecoder
    private var runs: RunBook
    private var calls: CallCorrelator
    private var learner: PeerLearner
    private var stderrTail: [String] = []
    private var started = false
    private var finished = false

    public init(config: RecorderConfig, hooks: RecordingHooks? = nil, emit: @escaping (RecordOp) -> Void) {
        self.config = config
        self.hooks = hooks
        self.emit = emit
        let redactor = Redactor(policy: config.redaction)
        self.redactor = redactor
        decoder = FrameDecoder(maxLineBytes: config.maxLineBytes)
        let launch = Self.storedLaunch(config, redactor: redactor)
        var template = RunRecord(
            kind: config.runKind, serverName: config.serverName, command: launch.spec.command,
            args: launch.spec.args, cwd: launch.spec.cwd, envNames: launch.spec.envNames,
            argusPID: config.argusPID, serverPID: config.serverPID, startedAt: 0,
            recordingError: config.recordingError)
        template.sealedArgs = launch.sealedArgs
        runs = RunBook(
            template: template, numbering: config.runNumbering,
            idleTimeoutMicros: config.idleTimeoutMicros, emit: emit)
        calls = CallCorrelator(server: config.serverName, replayOf: config.replayOf, hooks: hooks, emit: emit)
        learner = PeerLearner(emit: emit)
    }

    public var currentRun: LocalRunID { runs.current }

    /// Opens the first run. Called once, when the proxy starts.
    public func start(at time: Timestamp, serverPID: Int32? = nil) {
        guard !started else { return }
        started = true
        if let serverPID { runs.serverPID = serverPID }
        runs.open(at: time.wallMicros)
    }

    /// The launch spec as stored: the command line redacted (`--api-key=…`, `--token X`,
    /// URLs with passwords), and the original arguments sealed for replay when they
    /// differ. Worked out once, before the first frame, so the values it removes are
    /// already remembered when the server echoes them.
    private static func storedLaunch(_ config: RecorderConfig, redactor: Redactor)
        -> (spec: LaunchSpec, sealedArgs: (keyID: String, sealed: [UInt8])?)
    {
        var spec = config.launch
        spec.command = redactor.redactText(spec.command) ?? spec.command
        spec.cwd = redactor.redactText(spec.cwd) ?? spec.cwd
        guard let args = redactor.redactArguments(command: config.launch.command, spec.args) else { return (spec, nil) }
        spec.args = args
        let sealed = config.sealer?.seal(JSONWriter.bytes(.array(config.launch.args.map(JSONValue.string))))
        return (spec, sealed)
    }

    // MARK: input

    public func ingest(_ direction: Direction, _ chunk: UnsafeRawBufferPointer, at time: Timestamp) {
        start(at: time)
        for line in decoder.lines(direction, chunk) { record(line, direction, at: time) }
    }

    public func ingest(_ direction: Direction, _ chunk: [UInt8], at time: Timestamp) {
        chunk.withUnsafeBytes { ingest(direction, $0, at: time) }
    }

    public func ingestStderr(_ chunk: UnsafeRawBufferPointer, at time: Timestamp) {
        start(at: time)
        for line in decoder.stderrLines(chunk) { recordStderr(line, at: time) }
    }

    /// Bytes the proxy forwarded but could not queue for recording (memory
    /// bound reached). The partial line is dropped and the loss counted.
    public func lost(_ direction: Direction, frames: Int, at time: Timestamp) {
        decoder.discardPartialLine(direction)
        runs.lost(frames: frames)
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
            for line in decoder.remainingLines(direction) { record(line, direction, at: time, countsAsTraffic: false) }
        }
        for line in decoder.remainingStderrLines() { recordStderr(line, at: time) }
        calls.closeAll(at: time)
        hooks?.tick(at: time, emit: emit)
        runs.end(
            at: time.wallMicros, reason: reason, detail: detail, exitStatus: exitStatus,
            stderrTail: stderrTail.isEmpty ? nil : stderrTail.joined(separator: "\n"))
    }

    // MARK: runs

    /// Asks for a new run (`argus runs new`, the dashboard): the current run ends (`manual`, with
    /// `detail`) and the next one, named `label`, begins as soon as no call is pending — at once
    /// when the session is quiet, otherwise before the first frame after the pending calls
    /// complete. Never mid-call: a request and its response always share a run.
    public func requestNewRun(label: String?, detail: String, at time: Timestamp) {
        guard !finished else { return }
        runs.requestSplit(label: label, detail: detail)
        splitIfRequested(at: time)
    }

    /// Whether a requested run is still waiting for pending calls to complete.
    public var newRunRequested: Bool { runs.newRunRequested }

    private func splitIfRequested(at time: Timestamp) {
        guard started, !finished, runs.splitIfRequested(at: time, callInProgress: calls.callInProgress) else { return }
        learner.carryOver(to: runs.current)
    }

    // MARK: frames

    private func record(_ line: LineFramer.Line, _ direction: Direction, at time: Timestamp, countsAsTraffic: Bool = true) {
        guard let frame = FrameDecoder.frame(line) else { return }
        if countsAsTraffic {
            splitIfRequested(at: time)
            if runs.trafficArrives(at: time, callInProgress: calls.callInProgress) { learner.carryOver(to: runs.current) }
        }
        let seq = runs.nextSeq()
        switch frame {
        case .truncated(let bytes, let size):
            let text = String(decoding: bytes, as: UTF8.self)
            let body = redactor.redactText(text) ?? text
            emitMessage(
                seq, direction, at: time, kind: .invalid, method: nil, id: nil,
                body: "[TRUNCATED: \(size) bytes, first \(bytes.count) kept] " + body, size: size, redacted: true)
            calls.truncatedResponse(bytes, from: direction, seq: seq, size: size, at: time)
        case .notJSON(let bytes, let size):
            let text = String(decoding: bytes, as: UTF8.self)
            let redacted = redactor.redactText(text)
            emitMessage(
                seq, direction, at: time, kind: .invalid, method: nil, id: nil, body: redacted ?? text, size: size,
                redacted: redacted != nil)
        case .message(let parsed, let bytes, let size):
            message(parsed, bytes: bytes, seq: seq, direction, size: size, at: time)
        }
    }

    private func message(
        _ parsed: JSONValue, bytes: ArraySlice<UInt8>, seq: Int, _ direction: Direction, size: Int,
        at time: Timestamp
    ) {
        var hits: [RedactionHit] = []
        var redacted = redactor.redact(parsed, hits: &hits)
        var body = redacted.map { JSONWriter.string($0) } ?? String(decoding: bytes, as: UTF8.self)
        // Correlation reads ids and progress tokens from the original; anything
        // that is stored (error messages, schemas, peer info) comes from the redacted copy.
        let envelope = Envelope(parsed)
        let opening =
            envelope.kind == .request
            ? PendingCall(request: envelope, run: runs.current, seq: seq, direction: direction, size: size, body: body, at: time)
            : nil

        var method = envelope.method
        if envelope.kind == .response || envelope.kind == .error {
            method = calls.call(answeredBy: envelope, from: direction)?.method
        }
        var droppedBy: String?
        var rewrittenByScript = false
        if let outcome = redactByScripts(
            envelope, value: redacted ?? parsed, body: body, opening: opening,
            direction: direction, size: size, at: time)
        {
            redacted = outcome.value
            body = outcome.body
            droppedBy = outcome.droppedBy
            rewrittenByScript = true
        }
        let stored = redacted.map(Envelope.init) ?? envelope
        emitMessage(
            seq, direction, at: time, kind: envelope.kind, method: method, id: envelope.idText, body: body, size: size,
            redacted: !hits.isEmpty || rewrittenByScript)
        // A request whose stored params differ from what was sent keeps its original, sealed, for replay;
        // not one a script dropped (dropping means keep nothing).
        if envelope.kind == .request, redacted != nil, droppedBy == nil, let sealer = config.sealer, let params = envelope.params,
            stored.params.map({ !$0.sameValue(as: params) }) ?? true,
            let box = sealer.seal(JSONWriter.bytes(params))
        {
            emit(.sealedParams(runs.current, seq: seq, keyID: box.keyID, sealed: box.sealed))
        }

        if envelope.kind == .batch, let items = parsed.arrayValue {
            let storedItems = (redacted ?? parsed).arrayValue ?? items
            for (i, item) in items.enumerated() {
                let storedItem = i < storedItems.count ? Envelope(storedItems[i]) : Envelope(item)
                let itemEnvelope = Envelope(item)
                let itemCall =
                    itemEnvelope.kind == .request
                    ? PendingCall(request: itemEnvelope, run: runs.current, seq: seq, direction: direction, size: size, body: nil, at: time)
                    : nil
                correlate(
                    itemEnvelope, stored: storedItem, opening: itemCall, body: nil, droppedBy: nil, seq: seq,
                    direction: direction, size: size, at: time)
            }
        } else {
            correlate(
                envelope, stored: stored, opening: opening, body: body, droppedBy: droppedBy, seq: seq,
                direction: direction, size: size, at: time)
        }
    }

    private func emitMessage(
        _ seq: Int, _ direction: Direction, at time: Timestamp, kind: MessageKind, method: String?,
        id: String?, body: String, size: Int, redacted: Bool
    ) {
        emit(
            .message(
                runs.current,
                MessageRecord(
                    seq: seq, direction: direction, timestamp: time.wallMicros, kind: kind,
                    method: method, jsonrpcID: id, body: body, size: size, redacted: redacted)))
    }

    /// Runs the scripts' redact hooks on a request, response or notification.
    /// Returns what to store instead, or nil to store it as is.
    private func redactByScripts(
        _ envelope: Envelope, value: JSONValue, body: String, opening: PendingCall?,
        direction: Direction, size: Int, at time: Timestamp
    ) -> ScriptRedaction.Outcome? {
        guard let hooks, hooks.hasRedactors, case .object(let object) = value else { return nil }
        let message = RedactableMessage(object, text: body)
        let verdict: HookVerdict
        switch envelope.kind {
        case .request:
            guard let opening else { return nil }
            verdict = hooks.redact(opening.hookCall(server: config.serverName), message: message, emit: emit)
        case .response, .error:
            guard let call = calls.call(answeredBy: envelope, from: direction) else { return nil }
            if let script = call.droppedBy {
                verdict = .drop(script: script)
            } else {
                let hookCall = call.hookCall(answeredBy: envelope, size: size, body: body, at: time, server: config.serverName)
                verdict = hooks.redact(hookCall, message: message, emit: emit)
                if case .drop(let script) = verdict { calls.drop(answeredBy: envelope, from: direction, script: script) }
            }
        case .notification:
            guard let method = envelope.method else { return nil }
            let hookCall = HookCall(
                phase: .notification, run: runs.current, server: config.serverName, direction: direction,
                method: method, startedAt: time.wallMicros, bytesIn: size, requestBody: body)
            verdict = hooks.redact(hookCall, message: message, emit: emit)
        case .batch, .invalid:
            return nil
        }
        return ScriptRedaction.outcome(of: verdict, for: message, kind: envelope.kind)
    }

    private func correlate(
        _ envelope: Envelope, stored: Envelope, opening: PendingCall?, body: String?, droppedBy: String?,
        seq: Int, direction: Direction, size: Int, at time: Timestamp
    ) {
        switch envelope.kind {
        case .request:
            guard var call = opening else { return }
            call.requestBody = hooks == nil ? nil : body
            call.droppedBy = droppedBy
            calls.requestSeen(call, request: envelope, stored: stored, at: time)
            learner.learn(fromRequest: stored, method: call.method, run: runs.current)
        case .response, .error:
            guard let call = calls.take(answeredBy: envelope, from: direction) else { return }
            learner.learn(fromResponse: stored, to: call.method, run: runs.current, at: time)
            calls.answered(call, by: envelope, stored: stored, seq: seq, size: size, body: body, at: time)
        case .notification:
            calls.notificationSeen(envelope, stored: stored, from: direction, at: time)
        case .batch, .invalid:
            break
        }
    }

    private func recordStderr(_ line: String, at time: Timestamp) {
        let redacted = redactor.redactText(line) ?? line
        stderrTail.append(redacted)
        if stderrTail.count > config.stderrTailLines { stderrTail.removeFirst(stderrTail.count - config.stderrTailLines) }
        emit(.serverLog(runs.current, ServerLogRecord(timestamp: time.wallMicros, line: redacted)))
    }
}
