import ArgusCore

/// One entry of a run's timeline, in the order the frames crossed the proxy: a call (at its
/// request), a request still waiting for its response, or a frame that belongs to no call —
/// notifications above all (server log messages, progress, `resources/updated`, `list_changed`,
/// cancellations), and lines that were not JSON-RPC.
public struct TimelineEntry: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case call
        /// A request with no response yet.
        case pending
        case notification
        /// What HTTP did in a remote run: an `argus/transport` frame (a status, a session, a broken stream).
        case transport
        /// A frame that is not a JSON-RPC message (or a batch, which is recorded whole).
        case other
    }

    public var seq: Int
    public var timestamp: Int64
    public var direction: Direction
    public var kind: Kind
    public var method: String?
    public var size: Int
    public var call: CallRecord?
    /// The stored (redacted) frame, for entries that are not calls.
    public var body: String?
}

/// Which entries a timeline lists.
public struct TimelineFilter: Sendable {
    /// nil: every kind.
    public var kinds: Set<TimelineEntry.Kind>?
    public var method: String?
    /// Cursor: entries after this sequence number (the timeline reads forward in time).
    public var afterSeq: Int64 = 0
    public var limit = 500

    public init() {}
}

extension TimelineEntry {
    /// The recorded message of an entry that is not a call.
    public var message: JSONValue? { body.flatMap { try? JSONParser.parse($0) } }

    /// What HTTP did, for a `transport` entry.
    public var transportEvent: TransportEvent? { kind == .transport ? TransportEvent(message: message) : nil }

    /// One line that says what a notification said: the log message, the progress, the resource.
    public var summary: String {
        if let call {
            let what = call.tool ?? call.target.map { "\(call.method) \($0)" } ?? call.method
            return call.errorMessage.map { "\(what): \($0)" } ?? what
        }
        guard let message else { return body.map { Self.shorten($0) } ?? "" }
        if let event = transportEvent { return Self.shorten(event.text) }
        let params = message["params"]
        switch method {
        case MCP.Method.logMessage:
            let level = params?["level"]?.stringValue ?? "info"
            let logger = params?["logger"]?.stringValue.map { " \($0):" } ?? ""
            let data = params?["data"].map { $0.stringValue ?? JSONWriter.string($0) } ?? ""
            return Self.shorten("[\(level)]\(logger) \(data)")
        case MCP.Method.progress:
            var text = "progress " + (params?["progress"].map { JSONWriter.string($0) } ?? "?")
            if let total = params?["total"] { text += "/" + JSONWriter.string(total) }
            if let note = params?["message"]?.stringValue { text += ": " + note }
            return Self.shorten(text)
        case MCP.Method.resourceUpdated:
            return params?["uri"]?.stringValue ?? ""
        case MCP.Method.cancelled:
            let id = params?["requestId"].map { JSONWriter.string($0) } ?? "?"
            return Self.shorten("request \(id)" + (params?["reason"]?.stringValue.map { ": \($0)" } ?? ""))
        default:
            guard case .object(var members)? = params else { return "" }
            members.members.removeAll { $0.key == "_meta" }
            return members.isEmpty ? "" : Self.shorten(JSONWriter.string(.object(members)))
        }
    }

    static func shorten(_ text: String, to limit: Int = 300) -> String {
        let line = text.replacing("\n", with: " ")
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "seq": .number(String(seq)), "time": .string(TimeFormat.iso8601(micros: timestamp)),
            "time_us": .number(String(timestamp)), "direction": .string(direction.rawValue),
            "kind": .string(kind.rawValue), "method": method.map(JSONValue.string) ?? .null,
            "size": .number(String(size)), "summary": .string(summary),
        ]
        o["call"] = call?.json ?? .null
        if call == nil {
            o["params"] = message?["params"] ?? .null
            if let event = transportEvent { o["transport"] = event.json }
            if message == nil, let body { o["text"] = .string(Self.shorten(body, to: 2000)) }
        }
        return .object(o)
    }
}
