import ArgusCore
import ArgusSystem
import ArgusProxy
import ArgusScripting
import ArgusStore
import CArgusSystem
import Foundation

/// `argus mock`: a stdio MCP server that answers from a recording, with no real server.
///
/// Each request is looked up in a `MockBook` by the match rule and answered as recorded, with the
/// live request's id; what the server sent on its own while answering (progress, log lines,
/// requests to the client) is sent again, in order, with the live progress token. A request with
/// no recorded answer gets a JSON-RPC error naming the closest recorded request, never a made-up
/// success; so does an answer that was stored redacted, unless `serveRedacted`. A `mock` Lua hook
/// may rewrite any answer. The session itself is recorded like a wrapped one, as a run of kind
/// `mock` whose calls link (`replay_of`) to the recorded calls that answered them.
///
/// The reader thread answers at once when nothing is to wait for; an answer with a delay (recorded
/// latency) or with messages of its own is played on a thread of its own, so it holds up no other.
public final class MockServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var match = MatchRule.params
        public var latency = LatencyMode.none
        /// Serve answers that were stored redacted. Off by default: a mocked `[REDACTED]` would mislead the agent.
        public var serveRedacted = false
        /// How long a request to the client (`roots/list`, sampling, elicitation) waits for its answer.
        public var clientTimeoutSeconds: Double = 30
        public var databasePath: String
        public var keyPath: String
        public var scripts: [ScriptSpec] = []
        public var scriptLimits = ScriptLimits()
        /// Redaction for the recording, and for the live params before they are matched (a secret sent
        /// now must match the `[REDACTED]` stored then).
        public var redaction = RedactionPolicy()
        /// How this mock was started: its run's command line.
        public var launch: LaunchSpec

        public init(databasePath: String, keyPath: String, launch: LaunchSpec) {
            self.databasePath = databasePath
            self.keyPath = keyPath
            self.launch = launch
        }
    }

    /// What a session came to.
    public struct Summary: Sendable {
        public var answered = 0
        public var missed = 0
        public var refused = 0
        /// The mock run's id, once written.
        public var runID: Int64?
    }

    /// JSON-RPC error codes of the mock's own answers (the server-error range JSON-RPC leaves to implementations).
    public enum ErrorCode {
        /// No recorded request matches.
        public static let noRecordedAnswer = -32010
        /// The recorded answer was stored redacted, and `--serve-redacted` was not given.
        public static let redactedAnswer = -32011
        /// A `mock` hook failed.
        public static let scriptFailed = -32012
        /// The matching request was recorded, but its answer was not (cancelled, or the session ended first).
        public static let unanswered = -32013
    }

    private let plan: ReplayPlan
    private let options: Options
    private let book: MockBook
    private let recording: ReplayRecording
    private let scripts: ReplayScripts?
    private let mockHooks: Bool
    private let redactor: Redactor
    private let output: Int32
    private let report: @Sendable (String) -> Void

    private let writing = Monitor()
    private var outputBroken = false
    private let state = Monitor()
    private var cancelled: Set<String> = []
    /// Requests to the client waiting for their answer, and those answered (by id text).
    private var waitingForClient: Set<String> = []
    private var answeredByClient: Set<String> = []
    private var nextClientRequest = 1
    private var summary = Summary()
    private var finished = false

    public init(plan: ReplayPlan, options: Options, output: Int32 = 1, report: @escaping @Sendable (String) -> Void) {
        self.plan = plan
        self.options = options
        self.output = output
        self.report = report
        book = MockBook(plan: plan, rule: options.match)
        redactor = Redactor(policy: options.redaction)
        let scripts =
            options.scripts.isEmpty
            ? nil
            : ReplayScripts(specs: options.scripts, serverName: plan.serverName, limits: options.scriptLimits, report: report)
        self.scripts = scripts
        mockHooks = scripts?.hasMockHooks ?? false
        recording = ReplayRecording(
            serverName: plan.serverName, launch: options.launch, redaction: options.redaction,
            keyPath: options.keyPath, databasePath: options.databasePath, scripts: scripts,
            kind: RunRecord.mockKind, report: report)
    }

    /// Serves the client on `input` until it closes it; SIGTERM, SIGINT, SIGHUP and SIGQUIT end the
    /// session too (the recording is written, then the process exits). Call on the main thread, as the
    /// first thing that starts threads: the signals are blocked here for every thread to come.
    public static func run(plan: ReplayPlan, options: Options, report: @escaping @Sendable (String) -> Void) -> Summary {
        argus_block_termination_signals()
        let server = MockServer(plan: plan, options: options, report: report)
        OSThread(name: "mock-signals") {
            let signal = argus_wait_signal()
            _ = server.finish(reason: .signal, detail: signalName(signal))
            exit(128 + signal)
        }
        return server.serve()
    }

    /// Answers what arrives on `input` until it closes, then writes the recording.
    public func serve(input: Int32 = 0) -> Summary {
        recording.pipeline.start(serverPID: nil)
        var framer = LineFramer(maxLineBytes: 1 << 30)
        _ = Relay.run(from: input, to: -1) { bytes, time in
            recording.pipeline.record(.clientToServer, bytes, at: time)
            var lines: [LineFramer.Line] = []
            framer.push(bytes) { lines.append($0) }
            for line in lines { handle(line) }
        }
        var last: [LineFramer.Line] = []
        framer.finish { last.append($0) }
        for line in last { handle(line) }
        return finish(reason: .clientEOF, detail: nil)
    }

    private func finish(reason: EndReason, detail: String?) -> Summary {
        let first = state.locked {
            defer { finished = true }
            return !finished
        }
        if first { recording.finish(reason: reason, detail: detail, exitStatus: nil) }
        let runID = recording.databaseRunID(timeout: 1)
        return state.locked {
            summary.runID = runID
            return summary
        }
    }

    // MARK: what the client sends

    private func handle(_ line: LineFramer.Line) {
        var bytes = line.bytes[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        guard !line.truncated, let message = try? bytes.withUnsafeBytes({ try JSONParser.parse($0) }) else {
            send(Self.error(id: .null, code: -32700, message: "argus mock: the line is not JSON"))
            return
        }
        let envelope = Envelope(message)
        switch envelope.kind {
        case .request:
            request(envelope)
        case .response, .error:
            guard let id = envelope.idText else { return }
            state.locked {
                guard waitingForClient.contains(id) else { return }
                answeredByClient.insert(id)
                state.broadcast()
            }
        case .notification:
            if envelope.method == MCP.Method.cancelled, let id = envelope.params?["requestId"] {
                state.locked {
                    cancelled.insert(JSONWriter.string(id))
                    state.broadcast()
                }
            }
        case .batch:
            send(
                Self.error(
                    id: .null, code: -32600, message: "argus mock: JSON-RPC batches are not supported (MCP removed them in 2025-06-18)"))
        case .invalid:
            send(Self.error(id: envelope.id ?? .null, code: -32600, message: "argus mock: not a JSON-RPC request"))
        }
    }

    private func request(_ request: Envelope) {
        guard let id = request.id, let method = request.method, let idText = request.idText else { return }
        let arrived = SystemClock.monotonicNanos()
        if method == MCP.Method.ping {
            send(Self.response(id: id, tail: Array(#""result":{}}"#.utf8)))
            return
        }
        let params = request.params.map { redactor.redact($0) ?? $0 }
        switch book.lookup(method: method, params: params) {
        case .hit(let entry):
            if let original = entry.call.callID { recording.link(requestID: idText, to: original) }
            answer(entry, request: request, params: params, arrived: arrived)
        case .miss(let miss):
            var data: JSONObject = ["match": .string(book.rule.rawValue)]
            if let closest = miss.closest {
                data["closest"] = [
                    "call_id": closest.call.callID.map { .number(String($0)) } ?? .null,
                    "method": .string(closest.call.method), "params": closest.call.params,
                    "differences": .array(miss.differences.map(JSONValue.string)),
                ]
            }
            let outcome: JSONValue = [
                "error": [
                    "code": .int(ErrorCode.noRecordedAnswer), "message": .string("argus mock: " + miss.message),
                    "data": .object(data),
                ]
            ]
            let final = hooked(outcome, entry: nil, request: request, params: params)
            count(final.refused ? \.refused : final.changed ? \.answered : \.missed)
            send(Self.response(id: id, tail: Self.tail(final.outcome)))
        }
    }

    /// Answers a request the recording has: at once, or on a thread of its own when the answer waits
    /// (latency) or brings messages of its own.
    private func answer(_ entry: MockBook.Entry, request: Envelope, params: JSONValue?, arrived: UInt64) {
        guard let id = request.id else { return }
        let tail: [UInt8]
        var counted = \Summary.answered
        if mockHooks || entry.answerTail == nil || (entry.redacted && !options.serveRedacted) {
            let recorded: JSONValue =
                entry.call.expected
                ?? Self.errorOutcome(ErrorCode.unanswered, "argus mock: \(entry.label) was recorded without an answer")
            var final = hooked(recorded, entry: entry, request: request, params: params)
            if entry.call.expected != nil, entry.redacted, !options.serveRedacted, !final.changed, !final.refused {
                final.outcome = Self.errorOutcome(
                    ErrorCode.redactedAnswer,
                    "argus mock: the recorded answer to \(entry.label) was "
                        + "stored redacted, and a mocked [REDACTED] would mislead the agent; run argus mock "
                        + "with --serve-redacted to serve it anyway, or answer it in a mock hook")
                final.refused = true
            }
            if final.refused {
                counted = \.refused
            } else if entry.call.expected == nil && !final.changed {
                counted = \.missed
            }
            tail = Self.tail(final.outcome)
        } else {
            tail = entry.answerTail ?? []
        }
        count(counted)
        let delay = options.latency.scale(entry.call.latencyMicros)
        if delay == 0 && entry.call.serverMessages.isEmpty {
            send(Self.response(id: id, tail: tail))
            return
        }
        let response = Self.response(id: id, tail: tail)
        OSThread(name: "mock-answer") { [self] in
            play(entry, request: request, response: response, delay: delay, arrived: arrived)
        }
    }

    /// The answer after `mock` hooks, whether one changed it, and whether a hook failed (then the
    /// answer is an error naming the script).
    private func hooked(_ outcome: JSONValue, entry: MockBook.Entry?, request: Envelope, params: JSONValue?)
        -> (outcome: JSONValue, changed: Bool, refused: Bool)
    {
        guard mockHooks, let scripts, let method = request.method else { return (outcome, false, false) }
        var body: JSONObject = ["jsonrpc": "2.0", "id": request.id ?? .null, "method": .string(method)]
        if let params { body["params"] = params }
        let call = HookCall(
            phase: .response, run: ReplayRecording.run, server: plan.serverName, direction: .clientToServer,
            method: method, tool: method == MCP.Method.toolsCall ? params?["name"]?.stringValue : nil,
            target: method == MCP.Method.toolsCall ? nil : MockBook.name(params).nilIfEmpty, requestID: request.idText,
            startedAt: SystemClock.wallMicros(), latencyMicros: entry?.call.latencyMicros,
            isError: ReplayResult.isError(outcome), requestBody: JSONWriter.string(.object(body)),
            responseBody: JSONWriter.string(outcome), replayOf: entry?.call.callID)
        switch scripts.mock(outcome, call: call) {
        case .success(let answer):
            return (answer, !answer.sameValue(as: outcome), false)
        case .failure(let problem):
            return (
                Self.errorOutcome(ErrorCode.scriptFailed, "argus mock: script \(problem.script): mock failed: \(problem.message)"),
                false, true
            )
        }
    }

    // MARK: answers that wait

    /// Sends what the server sent while answering at its (scaled) time, the answer after its delay,
    /// then what the server sent after answering; nothing more once the client cancels the request.
    private func play(_ entry: MockBook.Entry, request: Envelope, response: [UInt8], delay: Int64, arrived: UInt64) {
        guard let idText = request.idText else { return }
        let token = request.meta?[MCP.MetaKey.progressToken]
        let during = entry.call.serverMessages.filter { !$0.afterAnswer }
        let after = entry.call.serverMessages.filter(\.afterAnswer)
        for message in during {
            guard waitUntil(arrived, plus: options.latency.scale(message.offsetMicros), unlessCancelled: idText) else { return }
            replay(message, progressToken: token, cancelling: idText)
        }
        guard waitUntil(arrived, plus: delay, unlessCancelled: idText) else { return }
        send(response)
        for message in after {
            _ = waitUntil(arrived, plus: options.latency.scale(message.offsetMicros), unlessCancelled: nil)
            replay(message, progressToken: token, cancelling: nil)
        }
    }

    /// Waits until `micros` after `start`; false when the client cancelled the request meanwhile.
    private func waitUntil(_ start: UInt64, plus micros: Int64, unlessCancelled id: String?) -> Bool {
        let deadline = start + UInt64(max(micros, 0)) * 1000
        return state.locked {
            while SystemClock.monotonicNanos() < deadline {
                if let id, cancelled.contains(id) { return false }
                state.wait(untilMonotonicNanos: deadline)
            }
            return id.map { !cancelled.contains($0) } ?? true
        }
    }

    /// Sends a message the server sent on its own: a notification (a progress notification only when
    /// the live request asked for progress, with its token), or a request to the client, with an id of
    /// the mock's, waiting for the client's answer.
    private func replay(_ recorded: ServerMessage, progressToken: JSONValue?, cancelling id: String?) {
        guard case .object(var message) = recorded.message else { return }
        if !recorded.isRequest {
            if recorded.method == MCP.Method.progress {
                guard let progressToken, case .object(var params)? = message["params"] else { return }
                params[MCP.MetaKey.progressToken] = progressToken
                message["params"] = .object(params)
            }
            send(JSONWriter.bytes(.object(message)) + [0x0A])
            return
        }
        let requestID = state.locked { () -> JSONValue in
            defer { nextClientRequest += 1 }
            return .string("argus-mock-\(nextClientRequest)")
        }
        let key = JSONWriter.string(requestID)
        state.locked { _ = waitingForClient.insert(key) }
        message["id"] = requestID
        send(JSONWriter.bytes(.object(message)) + [0x0A])
        let deadline = SystemClock.monotonicNanos() + UInt64(options.clientTimeoutSeconds * 1e9)
        let timedOut = state.locked { () -> Bool in
            defer {
                waitingForClient.remove(key)
                answeredByClient.remove(key)
            }
            while !answeredByClient.contains(key) {
                if let id, cancelled.contains(id) { return false }
                if SystemClock.monotonicNanos() >= deadline { return true }
                state.wait(untilMonotonicNanos: deadline)
            }
            return false
        }
        if timedOut {
            report(
                "argus mock: the client did not answer \(recorded.method ?? "a request") within "
                    + "\(String(oneDecimal: options.clientTimeoutSeconds)) s; the call goes on")
        }
    }

    // MARK: output

    private func count(_ field: WritableKeyPath<Summary, Int>) {
        state.locked { summary[keyPath: field] += 1 }
    }

    /// Writes one message; the copy for the recording is taken first, as the relay does.
    private func send(_ bytes: [UInt8]) {
        writing.locked {
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                recording.pipeline.record(.serverToClient, raw, at: SystemClock.now())
                if !outputBroken, !Relay.writeAll(output, base, raw.count) { outputBroken = true }
            }
        }
    }

    /// `{"jsonrpc":"2.0","id":ID,` and the answer's tail, and a newline.
    static func response(id: JSONValue, tail: [UInt8]) -> [UInt8] {
        var bytes = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        bytes += JSONWriter.bytes(id)
        bytes.append(UInt8(ascii: ","))
        bytes += tail
        bytes.append(0x0A)
        return bytes
    }

    /// `"result":…}` of `{"result":…}`.
    static func tail(_ outcome: JSONValue) -> [UInt8] { Array(JSONWriter.bytes(outcome).dropFirst()) }

    static func errorOutcome(_ code: Int, _ message: String) -> JSONValue {
        ["error": ["code": .int(code), "message": .string(message)]]
    }

    static func error(id: JSONValue, code: Int, message: String) -> [UInt8] {
        response(id: id, tail: tail(errorOutcome(code, message)))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
