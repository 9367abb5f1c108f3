/// A recorded tool call, as the verdicts read it.
public struct VerdictCall: Sendable {
    public enum Outcome: String, Sendable {
        case ok
        /// A result with no content (and no structured content).
        case empty
        /// A JSON-RPC error or an `isError` result.
        case failed
        /// No usable answer: cancelled by the client, none before the session ended, or one that was not JSON.
        case noAnswer = "no_answer"

        public var isFailure: Bool { self == .failed || self == .noAnswer }
    }

    public var id: Int64
    public var tool: String
    /// The arguments in a form equal for equal arguments (`JSONValue.canonicalText`).
    public var argumentsKey: String
    /// µs since the epoch.
    public var startedAt: Int64
    public var endedAt: Int64?
    public var outcome: Outcome
    /// The fault argus injected (`error`, `timeout`, …), nil for the server's own answer.
    public var fault: String?
    /// The tool's `readOnlyHint` as recorded by `tools/list` (nil: not annotated, or no listing).
    public var readOnly: Bool?
    /// As recorded, for scripts' `verdict` hooks: the call's status, latency and (redacted) messages.
    public var status = "ok"
    public var latencyMicros: Int64?
    public var requestBody: String?
    public var responseBody: String?

    public init(
        id: Int64, tool: String, argumentsKey: String, startedAt: Int64, endedAt: Int64?, outcome: Outcome,
        fault: String? = nil, readOnly: Bool? = nil
    ) {
        self.id = id
        self.tool = tool
        self.argumentsKey = argumentsKey
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.fault = fault
        self.readOnly = readOnly
    }

    /// What a recorded answer amounts to. `status` is the call's (`ok`, `error`, `cancelled`, `no_response`, …).
    public static func outcome(status: String, isError: Bool, result: JSONValue?, fault: String?) -> Outcome {
        if fault == FaultKind.malformed.rawValue || fault == FaultKind.timeout.rawValue { return .noAnswer }
        if isError { return .failed }
        switch status {
        case "cancelled", "no_response": return .noAnswer
        default: break
        }
        return isEmptyResult(result) ? .empty : .ok
    }

    /// No content blocks (or only empty texts) and no structured content with anything in it.
    public static func isEmptyResult(_ result: JSONValue?) -> Bool {
        guard let result, case .object(let object) = result else { return false }
        if let structured = object["structuredContent"], !isEmptyValue(structured) { return false }
        guard let content = object["content"]?.arrayValue else { return object["structuredContent"] != nil }
        return content.allSatisfy { block in block["type"]?.stringValue == "text" && (block["text"]?.stringValue ?? "").isEmpty }
    }

    private static func isEmptyValue(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .array(let items): return items.isEmpty
        case .object(let object): return object.members.isEmpty || object.members.allSatisfy { isEmptyValue($0.value) }
        default: return false
        }
    }
}
