import ArgusCore
import ArgusSystem

/// The faults of one `argus wrap --faults` session, applied on the relay path (the stdio
/// relay's, or `argus wrap --url`'s).
///
/// The thread reading the client hands over each whole line: a `tools/call` request is parsed,
/// the plan's rules and the scripts' `fault` hooks decide, and the request is recorded as the
/// client sent it, then forwarded, or answered in the server's place (`error`, `is_error`,
/// `empty`, `stale`, a script's answer), or left unanswered (`timeout`). For the faults that let
/// the server answer (`latency`, `malformed`) the request's id is watched, and the thread
/// reading the server delays or cuts that answer. Every fault is recorded with its request.
public final class FaultInjector: @unchecked Sendable {
    public struct Options {
        var plan: FaultPlan
        var seed: UInt64
        var serverName: String
        var makeHooks: (@Sendable () -> FaultHooks?)?

        public init(_ faults: FaultOptions, seed: UInt64, serverName: String) {
            plan = faults.plan
            self.seed = seed
            self.serverName = serverName
            makeHooks = faults.makeHooks
        }
    }

    /// What to do with the server's answer to a watched request.
    private struct Watch {
        var delayMillis = 0.0
        /// A `malformed` fault: the answer is cut, and recorded with this fault.
        var spoil: InjectedFault?
        /// Keep a successful answer for later `stale` faults, under this key.
        var rememberAs: String?
    }

    let output: any FaultClientOutput
    private let held: HeldAnswers
    private let pipeline: RecordingPipeline?
    /// Sends a line to the server; false once the server can no longer be written to.
    private let sendToServer: (UnsafeRawBufferPointer) -> Bool
    private let options: Options
    private let startNanos: UInt64

    // The client-reading thread's own.
    private let decider: FaultDecider
    private var hooks: FaultHooks?
    private var hooksMade = false
    private var toolCalls: [String: Int] = [:]
    private var serverInputOK = true

    // Shared by both relay threads.
    private let monitor = Monitor()
    private var watched: [String: Watch] = [:]
    private var previousAnswers: [String: JSONValue] = [:]
    private static let maxPreviousAnswers = 1024

    /// - Parameters:
    ///   - sendToServer: called on the client-reading thread only.
    ///   - pipeline: nil when the session is not recorded.
    public init(
        options: Options, pipeline: RecordingPipeline?, output: any FaultClientOutput,
        sendToServer: @escaping (UnsafeRawBufferPointer) -> Bool
    ) {
        self.options = options
        self.sendToServer = sendToServer
        self.pipeline = pipeline
        self.output = output
        held = HeldAnswers(output: output)
        startNanos = SystemClock.monotonicNanos()
        decider = FaultDecider(plan: options.plan, seed: options.seed, startMonotonicNanos: startNanos)
    }

    // MARK: client → server

    /// A whole line from the client.
    public func clientLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        guard let call = ToolCallLine(bytes) else {
            pipeline?.record(.clientToServer, bytes, at: time)
            forward(bytes)
            return
        }
        // Answers are kept by tool and arguments only where a stale fault may want them back.
        let remember = remembersAnswers(of: call.tool) ? call.answerKey : nil
        let key = remember ?? ""
        let decision = decide(call, bytes, key: key, at: time)
        pipeline?.record(.clientToServer, bytes, at: time)
        guard let decision else {
            if let remember { watch(call.idText, Watch(rememberAs: remember)) }
            forward(bytes)
            return
        }
        let fault = InjectedFault(
            requestID: call.idText, timestamp: time.wallMicros, tool: call.tool, kind: decision.recordedKind,
            source: decision.sources.joined(separator: ", "), detail: detail(of: decision))
        if !decision.forwardsRequest {
            let previous = decision.kind == .stale ? monitor.locked { previousAnswers[key] } : nil
            if let line = FaultAnswer.line(for: decision, id: call.id, previousResult: previous, modern: call.modern) {
                if decision.delayMillis > 0 {
                    held.hold(line, millis: decision.delayMillis, fault: fault)
                } else {
                    output.injected(line, fault: fault)
                }
            } else {
                pipeline?.recordFault(fault, answer: nil, at: time)  // a timeout: no answer at all
            }
            return
        }
        // The server answers; its answer is delayed or spoilt on its way back. Watched before it is
        // forwarded: the server may answer at once.
        let spoils = decision.kind == .malformed
        watch(call.idText, Watch(delayMillis: decision.delayMillis, spoil: spoils ? fault : nil, rememberAs: spoils ? nil : remember))
        if !spoils { pipeline?.recordFault(fault, answer: nil, at: time) }
        forward(bytes)
    }

    /// Part of a client line too long to examine: passed on as it is.
    func clientPiece(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        pipeline?.record(.clientToServer, bytes, at: time)
        forward(bytes)
    }

    private func decide(_ call: ToolCallLine, _ bytes: UnsafeRawBufferPointer, key: String, at time: Timestamp) -> FaultDecision? {
        let count = toolCalls[call.tool, default: 0] + 1
        toolCalls[call.tool] = count
        let hasPrevious = { self.monitor.locked { self.previousAnswers[key] != nil } }
        var decision = decider.decide(tool: call.tool, atMonotonicNanos: time.monotonicNanos, hasPreviousAnswer: hasPrevious)
        // Scripts decide what the rules left alone; a delay of theirs adds to the rules'.
        guard decision?.kind == nil, let hooks = scriptHooks() else { return decision }
        let request = FaultRequest(
            server: options.serverName, method: "tools/call", tool: call.tool, requestID: call.idText,
            body: ToolCallLine.body(bytes), toolCalls: count,
            elapsedMillis: Double(time.monotonicNanos &- startNanos) / 1e6)
        guard var scripted = hooks.fault(request) else { return decision }
        if scripted.kind == .stale && !hasPrevious() { scripted.kind = nil }
        if let rules = decision {
            scripted.delayMillis += rules.delayMillis
            scripted.sources = rules.sources + scripted.sources
        }
        decision = scripted
        return decision?.isEmpty == true ? nil : decision
    }

    private func scriptHooks() -> FaultHooks? {
        if !hooksMade {
            hooksMade = true
            hooks = options.makeHooks?()
        }
        return hooks
    }

    private func remembersAnswers(of tool: String) -> Bool {
        !options.plan.scripts.isEmpty || options.plan.rules.contains { $0.kind == .stale && Glob.matches($0.tool, tool) }
    }

    private func detail(of decision: FaultDecision) -> String {
        var parts: [String] = []
        switch decision.kind {
        case .timeout: parts.append("not sent to the server, never answered")
        case .malformed: parts.append("the server's answer cut short")
        case .error: parts.append("not sent to the server; code \(decision.code)")
        case .isError, .empty, .stale: parts.append("not sent to the server")
        case .latency, nil: if decision.answer != nil { parts.append("not sent to the server") }
        }
        if decision.delayMillis > 0, decision.kind != .timeout { parts.append("answer held \(Int(decision.delayMillis.rounded())) ms") }
        parts.append("seed \(options.seed)")
        return parts.joined(separator: "; ")
    }

    private func watch(_ id: String, _ watch: Watch) {
        monitor.locked { watched[id] = watch }
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) {
        guard serverInputOK else { return }
        serverInputOK = sendToServer(bytes)
    }

    // MARK: server → client

    /// A whole line from the server.
    public func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        guard monitor.locked({ !watched.isEmpty }), let response = ResponseLine(bytes),
            let watch = monitor.locked({ watched.removeValue(forKey: response.idText) })
        else {
            output.serverLine(bytes, at: time)
            return
        }
        if let key = watch.rememberAs, let result = response.successfulResult {
            monitor.locked {
                if previousAnswers.count >= Self.maxPreviousAnswers { previousAnswers.removeAll() }
                previousAnswers[key] = result
            }
        }
        if var fault = watch.spoil {
            fault.spoiltResponse = true
            let cut = FaultAnswer.truncated(ArraySlice(bytes))
            if watch.delayMillis > 0 {
                held.hold(cut, millis: watch.delayMillis, fault: fault)
            } else {
                output.injected(cut, fault: fault)
            }
        } else if watch.delayMillis > 0 {
            held.hold(Array(bytes), millis: watch.delayMillis, fault: nil)
        } else {
            output.serverLine(bytes, at: time)
        }
    }

    /// The server's output ended: what is still held goes out now.
    public func serverClosed() {
        output.serverClosed()
        held.releaseAll()
    }
}
