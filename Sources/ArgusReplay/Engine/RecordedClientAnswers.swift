import ArgusCore
import ArgusSystem

/// What the original client answered to the server's own requests during the call being replayed,
/// in order: the second `elicitation/create` of a call gets the second recorded answer, not the
/// first again. Set by the engine's thread before each call, taken by the connection's reader
/// thread; a request the recording has no answer for falls back to the handshake's answers.
final class RecordedClientAnswers: @unchecked Sendable {
    private let monitor = Monitor()
    private var queue: [(method: String, answer: JSONValue)] = []

    /// The answers the server's requests during `call` got, in order (none between calls).
    func expect(_ call: ReplayCall?) {
        let answers = (call?.serverMessages ?? []).compactMap { message -> (String, JSONValue)? in
            guard message.isRequest, let method = message.method, let answer = message.clientAnswer else { return nil }
            return (method, answer)
        }
        monitor.locked { queue = answers }
    }

    /// The response to `request` from the next recorded answer to its method, if any is left.
    func answer(to request: JSONValue) -> JSONValue? {
        guard let method = request["method"]?.stringValue else { return nil }
        let answer = monitor.locked { () -> JSONValue? in
            guard let index = queue.firstIndex(where: { $0.method == method }) else { return nil }
            return queue.remove(at: index).answer
        }
        guard case .object(let outcome)? = answer else { return nil }
        return .object(JSONObject([JSONMember("jsonrpc", "2.0"), JSONMember("id", request["id"] ?? .null)] + outcome.members))
    }
}
