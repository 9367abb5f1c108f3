import ArgusCore
import ArgusSystem

/// Decides, for each `tools/call` of one session, whether a fault happens to it: the plan's
/// rules first, then the scripts' `fault` hooks for what the rules left alone. It also keeps
/// the successful answers a `stale` fault may send again. Used by `FaultInjector` on the
/// line relays and by `argus proxy` for each HTTP session; calls are serialized by a lock, in
/// the order they arrive, so the same seed and the same calls give the same faults.
public final class FaultJudge: @unchecked Sendable {
    /// What happens to one call.
    public struct Ruling {
        /// Nil: the call goes to the server untouched.
        public var decision: FaultDecision?
        /// The fault as recorded (with `decision`).
        public var fault: InjectedFault?
        /// The line (newline included) sent in the server's place: for a decision that does not
        /// forward the request and has an answer (nil for a timeout).
        public var answer: [UInt8]?
        /// The key to keep the server's successful answer under, for later `stale` faults.
        public var rememberAs: String?

        /// Whether the request goes to the server.
        public var forwardsRequest: Bool { decision?.forwardsRequest ?? true }
        /// Whether the server's answer is cut short (`malformed`).
        public var spoilsAnswer: Bool { decision?.kind == .malformed }
        /// How long the answer (the server's or argus's) is held back.
        public var delayMillis: Double { decision?.delayMillis ?? 0 }
    }

    private let options: FaultInjector.Options
    private let startNanos: UInt64
    private let monitor = Monitor()
    private let decider: FaultDecider
    private var hooks: FaultHooks?
    private var hooksMade = false
    private var toolCalls: [String: Int] = [:]
    private var previousAnswers: [String: JSONValue] = [:]
    private static let maxPreviousAnswers = 1024

    public init(options: FaultInjector.Options, startMonotonicNanos: UInt64 = SystemClock.monotonicNanos()) {
        self.options = options
        startNanos = startMonotonicNanos
        decider = FaultDecider(plan: options.plan, seed: options.seed, startMonotonicNanos: startMonotonicNanos)
    }

    /// The ruling on a call; `bytes` is the request as the client sent it (for scripts).
    public func rule(on call: ToolCallLine, _ bytes: UnsafeRawBufferPointer, at time: Timestamp) -> Ruling {
        // Answers are kept by tool and arguments only where a stale fault may want them back.
        let key = remembersAnswers(of: call.tool) ? call.answerKey : nil
        return monitor.locked {
            guard let decision = decide(call, bytes, key: key ?? "", at: time) else { return Ruling(rememberAs: key) }
            let fault = InjectedFault(
                requestID: call.idText, timestamp: time.wallMicros, tool: call.tool, kind: decision.recordedKind,
                source: decision.sources.joined(separator: ", "), detail: detail(of: decision))
            var ruling = Ruling(decision: decision, fault: fault)
            if !decision.forwardsRequest {
                let previous = decision.kind == .stale ? previousAnswers[key ?? ""] : nil
                ruling.answer = FaultAnswer.line(for: decision, id: call.id, previousResult: previous, modern: call.modern)
            } else if decision.kind != .malformed {
                ruling.rememberAs = key
            }
            return ruling
        }
    }

    /// Keeps a server's successful answer for later `stale` faults on the same tool and arguments.
    public func remember(_ result: JSONValue, as key: String) {
        monitor.locked {
            if previousAnswers.count >= Self.maxPreviousAnswers { previousAnswers.removeAll() }
            previousAnswers[key] = result
        }
    }

    private func decide(_ call: ToolCallLine, _ bytes: UnsafeRawBufferPointer, key: String, at time: Timestamp) -> FaultDecision? {
        let count = toolCalls[call.tool, default: 0] + 1
        toolCalls[call.tool] = count
        let hasPrevious = { self.previousAnswers[key] != nil }
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

    /// The scripts' hooks, made on first use by the thread that first needs them.
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
}
