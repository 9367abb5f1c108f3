import ArgusCore

/// A message the server sent on its own during a call, or after it and before the client's next
/// request: a notification (progress, a log line, `list_changed`) or a request to the client
/// (`roots/list`, sampling, elicitation) with what the client answered. Peers that record
/// request/response pairs only drop these; a mock sends them again, in order, and suites keep them.
public struct ServerMessage: Sendable, Equatable {
    /// When the server sent it, in µs after the call's request was received.
    public var offsetMicros: Int64
    /// The message as stored (redacted).
    public var message: JSONValue
    /// For a request: what the client answered, `{"result": …}` or `{"error": …}`, as stored.
    public var clientAnswer: JSONValue?
    /// Sent after the call's answer (by recorded order, which timestamps taken a microsecond apart
    /// on two clocks cannot be trusted to tell).
    public var afterAnswer = false

    public init(offsetMicros: Int64, message: JSONValue, clientAnswer: JSONValue? = nil, afterAnswer: Bool = false) {
        self.offsetMicros = offsetMicros
        self.message = message
        self.clientAnswer = clientAnswer
        self.afterAnswer = afterAnswer
    }

    /// A request to the client (it has an id), as opposed to a notification.
    public var isRequest: Bool { message["id"] != nil }

    public var method: String? { message["method"]?.stringValue }

    var suiteJSON: JSONValue {
        var o: JSONObject = ["offset_us": .number(String(offsetMicros)), "message": message]
        if let clientAnswer { o["client_answer"] = clientAnswer }
        if afterAnswer { o["after_answer"] = true }
        return .object(o)
    }

    init?(suiteJSON value: JSONValue) {
        guard let message = value["message"], message["method"] != nil else { return nil }
        self.init(
            offsetMicros: value["offset_us"]?.intValue.map(Int64.init) ?? 0, message: message,
            clientAnswer: value["client_answer"]?.nonNull, afterAnswer: value["after_answer"]?.boolValue ?? false)
    }
}
