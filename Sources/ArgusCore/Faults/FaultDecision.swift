/// What happens to one tool call: an answer instead of the server's (or none at all),
/// and a delay. Built by `FaultDecider` from a plan's rules, or by a script's `fault` hook.
public struct FaultDecision: Sendable, Equatable {
    /// The fault that replaces or spoils the server's answer; nil when the call is only delayed.
    public var kind: FaultKind?
    /// Added before the answer reaches the client (the sum of the latency faults that fired).
    public var delayMillis = 0.0
    /// For `error`: the JSON-RPC error code; for `error` and `is_error`: the message.
    public var code = -32603
    public var message: String?
    /// A script's own answer, `{"result": …}` or `{"error": …}`, sent instead of the server's.
    public var answer: JSONValue?
    /// What decided it, for the recording: rule names (`faults[0]`), `script NAME`.
    public var sources: [String] = []

    public init(kind: FaultKind? = nil, delayMillis: Double = 0) {
        self.kind = kind
        self.delayMillis = delayMillis
    }

    /// Whether the call goes to the server at all.
    public var forwardsRequest: Bool { answer == nil && (kind?.forwardsRequest ?? true) }

    /// Whether anything happens to the call.
    public var isEmpty: Bool { kind == nil && answer == nil && delayMillis <= 0 }

    /// The kind as recorded and shown: a file's kinds, `answer` for a script's own answer,
    /// `latency` for a delay alone.
    public var recordedKind: String { answer != nil ? "answer" : kind?.rawValue ?? FaultKind.latency.rawValue }

    /// Adds a delay (and its source) to this decision.
    public mutating func delay(by millis: Double, source: String) {
        delayMillis += millis
        sources.append(source)
    }
}
