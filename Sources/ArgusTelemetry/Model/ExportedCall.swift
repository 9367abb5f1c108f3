import ArgusCore

/// One recorded exchange as the exporter sees it: a completed call (request and its
/// answer) or a notification. Built from the records the recorder committed, or read
/// back from the database (`argus export --format otlp`); the bodies are the stored,
/// redacted ones, never sealed originals.
public struct ExportedCall: Sendable {
    public var callID: Int64?
    public var runID: Int64?
    public var server: String
    /// Who sent the request or notification.
    public var direction: Direction
    public var method: String
    public var tool: String?
    public var target: String?
    /// The JSON-RPC id as JSON text; nil for a notification.
    public var jsonrpcID: String?
    /// µs since the Unix epoch.
    public var startedAt: Int64
    public var endedAt: Int64?
    /// Nil for a notification.
    public var status: CallStatus?
    public var isError = false
    public var errorCode: Int?
    /// Redacted, as stored.
    public var errorMessage: String?
    public var protocolVersion: String?
    public var replayOf: Int64?
    /// From the request's `params._meta` (`traceparent`, `tracestate`).
    public var parent: TraceContext?
    /// `params.arguments` of a tools/call request and the response's `result`, as stored
    /// (after built-in and script redaction); only kept when content export is on.
    public var arguments: String?
    public var result: String?

    public init(server: String, direction: Direction, method: String, startedAt: Int64) {
        self.server = server
        self.direction = direction
        self.method = method
        self.startedAt = startedAt
    }

    public var isNotification: Bool { jsonrpcID == nil }

    /// `error.type` as the MCP conventions define it: the JSON-RPC code, `tool_error` for a
    /// result with `isError: true`, and Argus's own words for calls that never got an answer.
    public var errorType: String? {
        if let errorCode { return String(errorCode) }
        if isError { return "tool_error" }
        switch status {
        case .noResponse: return "no_response"
        case .cancelled: return "cancelled"
        default: return nil
        }
    }

    /// The trace context found in a request's or notification's `params._meta`, from its stored body.
    /// The body is parsed only when it mentions `traceparent`.
    public static func traceContext(inBody body: String) -> TraceContext? {
        guard body.utf8.count < 1 << 20, body.contains("traceparent"),
            let message = try? JSONParser.parse(body), let meta = message["params"]?["_meta"],
            let traceparent = meta["traceparent"]?.stringValue
        else { return nil }
        return TraceContext(traceparent: traceparent, tracestate: meta["tracestate"]?.stringValue)
    }

    /// What content export sends of a stored request: a tool call's `params.arguments`.
    public static func arguments(inRequestBody body: String) -> String? {
        guard let message = try? JSONParser.parse(body), let params = message["params"] else { return nil }
        if let arguments = params["arguments"] { return JSONWriter.string(arguments) }
        if case .string(let stub) = params { return stub }  // "[DROPPED by script …]", "[REDACTION FAILED]"
        return nil
    }

    /// A stored response's `result` (or its error, when it failed).
    public static func result(inResponseBody body: String) -> String? {
        guard let message = try? JSONParser.parse(body) else { return nil }
        if let result = message["result"] { return result.stringValue ?? JSONWriter.string(result) }
        return message["error"].map { JSONWriter.string($0) }
    }
}
