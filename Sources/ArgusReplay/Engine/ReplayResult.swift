import ArgusCore

/// What a replay came to.
public struct ReplayResult: Sendable {
    public enum Outcome: String, Sendable { case equal, changed, failed, skipped }

    public var call: ReplayCall
    public var outcome: Outcome
    /// What was sent (redacted for display).
    public var sentParams: JSONValue?
    /// What came back (redacted), `{"result": …}` or `{"error": …}`.
    public var actual: JSONValue?
    public var actualIsError: Bool
    public var changes: [JSONDiff.Change]
    public var latencyMicros: Int64?
    public var failure: String?
    /// The run the engine records into (kind `replay`, one per engine): nil before it has started
    /// a server, for a skipped call, or when the run's row could not be written in time.
    public var replayRunID: Int64?

    public var isErrorChanged: Bool { outcome != .failed && outcome != .skipped && actualIsError != call.expectedIsError }

    public var json: JSONValue {
        var o: JSONObject = ["outcome": .string(outcome.rawValue), "method": .string(call.method)]
        o["call_id"] = call.callID.map { .number(String($0)) } ?? .null
        o["tool"] = call.tool.map(JSONValue.string) ?? .null
        o["params"] = sentParams ?? .null
        o["expected"] = call.expected ?? .null
        o["actual"] = actual ?? .null
        o["is_error"] = ["before": .bool(call.expectedIsError), "after": .bool(actualIsError), "changed": .bool(isErrorChanged)]
        o["latency_us"] = [
            "before": call.latencyMicros.map { .number(String($0)) } ?? .null,
            "after": latencyMicros.map { .number(String($0)) } ?? .null,
        ]
        o["changes"] = .array(changes.map(\.json))
        o["failure"] = failure.map(JSONValue.string) ?? .null
        o["replay_run_id"] = replayRunID.map { .number(String($0)) } ?? .null
        return .object(o)
    }

    /// A response as replay compares it: `{"result": …}` or `{"error": …}`.
    static func outcome(of response: JSONValue) -> JSONValue {
        if let error = response["error"] { return ["error": error] }
        return ["result": response["result"] ?? .null]
    }

    /// A JSON-RPC error, or a tool's result with `isError: true`.
    static func isError(_ response: JSONValue) -> Bool {
        response["error"] != nil || response["result"]?["isError"]?.boolValue == true
    }
}
