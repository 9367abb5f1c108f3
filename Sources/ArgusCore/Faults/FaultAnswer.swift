/// The messages a fault sends the client in place of the server's answer. They look like
/// what a real server sends (a client or model must not be able to tell), so nothing in
/// them says "injected": the recording says it instead (`InjectedFault`).
public enum FaultAnswer {
    public static let defaultErrorMessage = "Internal error"
    public static let defaultToolFailure = "The tool failed: the service is unavailable. Try again later."

    /// The line (newline included) that answers request `id` for `decision`, or nil when the
    /// decision sends none of its own (a timeout, a delay, a spoilt server answer; a stale
    /// fault without a previous answer). `modern` adds 2026-07-28's `resultType`.
    public static func line(for decision: FaultDecision, id: JSONValue, previousResult: JSONValue?, modern: Bool) -> [UInt8]? {
        var message: JSONObject = ["jsonrpc": "2.0", "id": id]
        if let answer = decision.answer {
            if let error = answer["error"] {
                message["error"] = error
            } else {
                message["result"] = completed(answer["result"] ?? [:], modern: modern)
            }
            return JSONWriter.bytes(.object(message)) + [0x0A]
        }
        switch decision.kind {
        case .error:
            message["error"] = ["code": .int(decision.code), "message": .string(decision.message ?? defaultErrorMessage)]
        case .isError:
            message["result"] = completed(
                [
                    "content": [["type": "text", "text": .string(decision.message ?? defaultToolFailure)]],
                    "isError": true,
                ], modern: modern)
        case .empty:
            message["result"] = completed(["content": []], modern: modern)
        case .stale:
            guard let previousResult else { return nil }
            message["result"] = previousResult
        case .timeout, .latency, .malformed, nil:
            return nil
        }
        return JSONWriter.bytes(.object(message)) + [0x0A]
    }

    /// A server's answer cut short: about half of it, never the whole (so it cannot parse),
    /// and a newline so the client reads it as a line.
    public static func truncated(_ line: ArraySlice<UInt8>) -> [UInt8] {
        var body = line
        while body.last == 0x0A || body.last == 0x0D { body = body.dropLast() }
        let keep = max(1, min(body.count - 1, body.count / 2))
        return Array(body.prefix(keep)) + [0x0A]
    }

    private static func completed(_ result: JSONValue, modern: Bool) -> JSONValue {
        guard modern, case .object(var object) = result, object["resultType"] == nil else { return result }
        object["resultType"] = "complete"
        return .object(object)
    }
}
