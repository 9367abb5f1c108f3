/// What HTTP did in a remote session, as `argus wrap --url` and `argus proxy` record it: an
/// `argus/transport` notification in the server→client direction (the client never sees it),
/// whose `params.event` names the event (`session_started`, `http_status`, `stream_broken`, …).
/// Read here once, so that every listing says the same words for the same frame.
public struct TransportEvent: Sendable, Equatable {
    /// The method name of transport frames in recordings.
    public static let method = "argus/transport"

    public enum Level: String, Sendable {
        /// What a healthy session does: a session opened, a stream opened or closed.
        case info
        /// What the transport recovered from, or what a server may mean: an expired session, a mismatched header.
        case warning
        /// What failed: a non-2xx answer, a broken stream, a server that could not be reached.
        case error
    }

    public var event: String
    /// The HTTP status, for `http_status`, `session_ended`, `stream_refused`, ….
    public var status: Int?
    /// The HTTP method of the exchange (`POST`, `GET`, `DELETE`).
    public var httpMethod: String?
    /// The JSON-RPC method of the message the exchange carried.
    public var requestMethod: String?
    /// The JSON-RPC id of that message, as JSON text.
    public var requestID: String?
    /// The scheme of a `WWW-Authenticate` challenge (a 401's `Bearer`).
    public var challengeScheme: String?
    /// The MCP session, as recorded: its first 8 characters, never the whole id.
    public var session: String?
    /// `proxy` for `argus proxy`'s frames; nil for `argus wrap --url`'s.
    public var via: String?
    public var error: String?
    /// Who closed a stream (`client`, `server`), when a frame says.
    public var closedBy: String?
    /// The header of a `header_mismatch`.
    public var header: String?

    /// The event of a recorded message, or nil when it is not a transport frame.
    public init?(message: JSONValue?) {
        guard let message, message["method"]?.stringValue == Self.method, let params = message["params"],
            let event = params["event"]?.stringValue
        else { return nil }
        self.event = event
        status = params["status"]?.intValue
        httpMethod = params["method"]?.stringValue
        requestMethod = params["for"]?.stringValue
        requestID = params["id"]?.stringValue
        challengeScheme = params["challenge"]?["scheme"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        session = params["session"]?.stringValue
        via = params["via"]?.stringValue
        error = params["error"]?.stringValue
        closedBy = params["by"]?.stringValue
        header = params["header"]?.stringValue
    }

    /// The event of a recorded line (a stored message body).
    public init?(body: String) {
        // Cheap test first: most messages of a run are not transport frames.
        guard body.contains(Self.method) else { return nil }
        self.init(message: try? JSONParser.parse(body))
    }

    /// One line for people: `401 Unauthorized (Bearer)`, `404 session expired`, `stream broken`.
    public var text: String {
        switch event {
        case "http_status":
            var text = status.map(Self.statusText) ?? "HTTP status"
            if status == 202 || status == 204 { text += ", no answer" }
            if let challengeScheme { text += " (\(challengeScheme))" }
            return text
        case "session_expired":
            return "404 session expired"
        case "session_ended":
            guard let status, !(200..<300).contains(status) else { return "session ended" }
            return "session not ended: DELETE \(Self.statusText(status))"
        case "stream_refused":
            return "GET stream refused" + (status.map { ": \(Self.statusText($0))" } ?? "")
        case "stream_opened", "stream_closed":
            let what = (httpMethod.map { "\($0) " } ?? "") + event.replacing("_", with: " ")
            return closedBy.map { "\(what) by the \($0)" } ?? what
        case "session_renewal_failed":
            return "session renewal failed" + (status.map { ": \(Self.statusText($0))" } ?? "")
        case "header_mismatch":
            return (header ?? "header") + " header does not match the body"
        default:
            return event.replacing("_", with: " ")
        }
    }

    public var level: Level {
        switch event {
        case "session_started", "session_renewed", "stream_opened", "stream_closed":
            return .info
        case "stream_refused", "session_ended":
            // A server may offer no GET stream and may not let clients end sessions (405): allowed.
            guard let status, !(200..<300).contains(status), status != 405 else { return .info }
            return .error
        case "session_expired", "header_mismatch":
            return .warning
        case "http_status":
            return .error  // only non-2xx answers, and 202 to a request, are recorded
        default:
            return .error
        }
    }

    /// Worth showing as a run's latest transport news: anything but the ordinary life of a
    /// session (opened, streams opened and closed, ended as asked).
    public var isOfNote: Bool { level != .info || event == "session_renewed" }

    /// The event as the dashboard sends it, with the line and level the page shows.
    public var json: JSONValue {
        var o: JSONObject = ["event": .string(event), "text": .string(text), "level": .string(level.rawValue)]
        o["status"] = status.map { .int($0) } ?? .null
        o["http_method"] = httpMethod.map(JSONValue.string) ?? .null
        o["request_method"] = requestMethod.map(JSONValue.string) ?? .null
        o["challenge_scheme"] = challengeScheme.map(JSONValue.string) ?? .null
        o["session"] = session.map(JSONValue.string) ?? .null
        o["via"] = via.map(JSONValue.string) ?? .null
        o["error"] = error.map(JSONValue.string) ?? .null
        return .object(o)
    }

    /// `404 Not Found`: the status with its reason phrase, for the statuses MCP servers use.
    public static func statusText(_ status: Int) -> String {
        let reasons = [
            200: "OK", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
            308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 413: "Content Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
            501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return reasons[status].map { "\(status) \($0)" } ?? "HTTP \(status)"
    }
}
