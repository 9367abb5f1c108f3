/// 2026-07-28 multi round-trip requests. A server that needs something from the client answers
/// `tools/call`, `prompts/get` or `resources/read` with `resultType: "input_required"`: questions
/// keyed by name in `inputRequests`, and an opaque `requestState`. The client then sends the same
/// request again, under a new JSON-RPC id, with the answers in `inputResponses` (same keys) and the
/// `requestState` echoed. Each exchange is still recorded as a call of its own (each is a real
/// request with its own latency); this tracker tells the recorder which earlier call a retry
/// continues, so every round links to the first and they read as one call.
///
/// Matching, most specific first: the echoed `requestState`; else the same method and tool (or
/// prompt, or resource) whose answers are keyed like the questions. The newest waiting call wins.
struct RoundTracker {
    private struct Waiting {
        var first: CallReference
        var nextRound: Int
        var method: String
        var subject: String?
        var direction: Direction
        var requestState: String?
        var questions: Set<String>
    }

    /// Oldest first. Bounded: a client that never retries must not grow the recorder's memory.
    private var waiting: [Waiting] = []
    static let capacity = 256

    static func asksForInput(_ response: Envelope) -> Bool {
        response.result?["resultType"]?.stringValue == "input_required"
    }

    /// What a retry names: the tool or prompt, or the resource.
    private static func subject(method: String, params: JSONValue?) -> String? {
        method == MCP.Method.resourcesRead ? params?["uri"]?.stringValue : params?["name"]?.stringValue
    }

    /// A call (round `round`) answered `input_required`: its retry is round `round + 1`.
    mutating func awaitRetry(
        of response: Envelope, call: CallReference, round: Int, first: CallReference?, method: String,
        tool: String?, target: String?, direction: Direction
    ) {
        let result = response.result
        waiting.append(
            Waiting(
                first: first ?? call, nextRound: round + 1, method: method, subject: tool ?? target,
                direction: direction, requestState: result?["requestState"]?.stringValue,
                questions: Set(result?["inputRequests"]?.objectValue?.keys ?? [])))
        if waiting.count > Self.capacity { waiting.removeFirst(waiting.count - Self.capacity) }
    }

    /// If `request` retries a call that asked for input: its round and the first round's call.
    mutating func retry(_ request: Envelope, method: String, direction: Direction) -> (round: Int, first: CallReference)? {
        guard !waiting.isEmpty, let params = request.params else { return nil }
        let state = params["requestState"]?.stringValue
        let answers = Set(params["inputResponses"]?.objectValue?.keys ?? [])
        guard state != nil || !answers.isEmpty else { return nil }
        var index = state.flatMap { state in waiting.lastIndex { $0.direction == direction && $0.requestState == state } }
        if index == nil {
            let subject = Self.subject(method: method, params: params)
            index = waiting.lastIndex { w in
                w.direction == direction && w.method == method && w.subject == subject
                    && (w.questions.isEmpty || answers.isSubset(of: w.questions))
            }
        }
        guard let index else { return nil }
        let matched = waiting.remove(at: index)
        return (matched.nextRound, matched.first)
    }
}
