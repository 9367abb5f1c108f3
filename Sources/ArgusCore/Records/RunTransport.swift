/// How a run's MCP session travelled, as the dashboard shows it: stdio, or Streamable HTTP to
/// a host (`argus wrap --url`, `argus proxy`), its MCP session, and the latest transport event
/// of note. Derived from the run's launch (a remote run's command is its URL) and its
/// `argus/transport` frames, so nothing more is stored.
public struct RunTransport: Sendable {
    public enum Kind: String, Sendable {
        case stdio
        /// Streamable HTTP, on the client's side (`argus proxy`), the server's (`argus wrap --url`) or both.
        case http
    }

    /// A transport frame and where it sits in its run.
    public struct Frame: Sendable {
        public var seq: Int
        public var timestamp: Int64
        public var event: TransportEvent

        public init?(_ message: MessageRecord) {
            guard let event = TransportEvent(body: message.body) else { return nil }
            seq = message.seq
            timestamp = message.timestamp
            self.event = event
        }

        public var json: JSONValue {
            guard case .object(var o) = event.json else { return event.json }
            o["seq"] = .int(seq)
            o["time"] = .string(TimeFormat.iso8601(micros: timestamp))
            return .object(o)
        }
    }

    public var kind: Kind
    /// `argus proxy` carried the session (an HTTP server at `listen`); otherwise `argus wrap`.
    public var viaProxy: Bool
    /// The remote server's address (without credentials or query, as recorded), when it is remote.
    public var url: String?
    public var host: String?
    /// The address `argus proxy --upstream` listened on, as recorded in its launch.
    public var listen: String?
    /// The MCP session as recorded (its first 8 characters and `…`).
    public var session: String?
    public var lastEvent: Frame?

    /// `frames`: the run's transport frames, or its first and its newest ones (any order).
    public init(run: RunRecord, frames: [MessageRecord]) {
        let frames = frames.compactMap(Frame.init).sorted { $0.seq < $1.seq }
        let lower = run.command.lowercased()
        let remote = lower.hasPrefix("http://") || lower.hasPrefix("https://")
        let listenIndex = remote ? run.args.firstIndex(of: "--listen") : nil
        viaProxy = listenIndex != nil || frames.contains { $0.event.via == "proxy" }
        kind = remote || viaProxy ? .http : .stdio
        url = remote ? run.command : nil
        host = remote ? Self.host(of: run.command) : nil
        listen = listenIndex.flatMap { run.args.indices.contains($0 + 1) ? run.args[$0 + 1] : nil }
        session = frames.last { $0.event.session != nil }?.event.session
        lastEvent = frames.last { $0.event.isOfNote }
    }

    /// One line: `stdio`, `Streamable HTTP · mcp.example.com`, `Streamable HTTP → stdio server (argus proxy)`.
    public var text: String {
        switch (kind, host) {
        case (.stdio, _): return "stdio"
        case (.http, let host?): return "Streamable HTTP · \(host)" + (viaProxy ? " (argus proxy)" : "")
        case (.http, nil): return "Streamable HTTP → stdio server (argus proxy)"
        }
    }

    /// A few words for a list: `stdio`, `HTTP · mcp.example.com`, `HTTP · argus proxy → stdio`.
    public var label: String {
        switch (kind, host) {
        case (.stdio, _): return "stdio"
        case (.http, let host?): return "HTTP · \(host)"
        case (.http, nil): return "HTTP · argus proxy → stdio"
        }
    }

    public var json: JSONValue {
        [
            "kind": .string(kind.rawValue), "text": .string(text), "label": .string(label), "via": .string(viaProxy ? "proxy" : "wrap"),
            "url": url.map(JSONValue.string) ?? .null, "host": host.map(JSONValue.string) ?? .null,
            "listen": listen.map(JSONValue.string) ?? .null, "session": session.map(JSONValue.string) ?? .null,
            "last_event": lastEvent?.json ?? .null,
        ]
    }

    /// The authority of a URL, without user info: `mcp.example.com`, `127.0.0.1:8931`.
    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return String(authority)
    }

    /// The HTTP status a frame recorded for each call's answer (`http_status` names the request by
    /// its JSON-RPC id; it belongs to the latest request with that id before it), by call id.
    /// Calls answered with a 2xx have none: only other statuses are recorded.
    public static func answerStatuses(of calls: [CallRecord], frames: [MessageRecord]) -> [Int64: Frame] {
        var requests: [String: [CallRecord]] = [:]
        for call in calls where call.direction == .clientToServer {
            requests[canonicalID(call.jsonrpcID), default: []].append(call)
        }
        guard !requests.isEmpty else { return [:] }
        var answers: [Int64: Frame] = [:]
        for frame in frames.compactMap(Frame.init) where frame.event.event == "http_status" && frame.event.status != nil {
            guard let id = frame.event.requestID,
                let call = requests[canonicalID(id)]?.filter({ $0.requestSeq < frame.seq }).max(by: { $0.requestSeq < $1.requestSeq })
            else { continue }
            if answers[call.id] == nil { answers[call.id] = frame }
        }
        return answers
    }

    /// A JSON-RPC id as JSON text, the same however it was spelt (`1`, `1.0` stay apart; spaces do not matter).
    private static func canonicalID(_ text: String) -> String {
        (try? JSONParser.parse(text)).map { JSONWriter.string($0) } ?? text
    }
}
