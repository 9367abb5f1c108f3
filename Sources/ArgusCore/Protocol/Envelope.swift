/// Which way a frame travelled through the proxy.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    case clientToServer = "c2s"
    case serverToClient = "s2c"

    public var opposite: Direction { self == .clientToServer ? .serverToClient : .clientToServer }
}

/// What a frame is, by JSON-RPC shape.
public enum MessageKind: String, Sendable, Hashable, CaseIterable {
    case request
    case response
    /// A response carrying a JSON-RPC `error`.
    case error
    case notification
    /// A JSON array (JSON-RPC batch); removed from MCP in 2025-06-18 but still forwarded and recorded.
    case batch
    /// Not JSON, not UTF-8, or not shaped like JSON-RPC.
    case invalid
}

/// The JSON-RPC parts of one message, read from a parsed copy.
public struct Envelope: Sendable {
    public var kind: MessageKind
    public var method: String?
    public var id: JSONValue?
    public var params: JSONValue?
    public var result: JSONValue?
    public var error: JSONValue?

    public init(_ value: JSONValue) {
        guard case .object(let object) = value else {
            kind = value.arrayValue != nil ? .batch : .invalid
            return
        }
        method = object["method"]?.stringValue
        id = object["id"]
        params = object["params"]
        result = object["result"]
        error = object["error"]
        if method != nil {
            kind = id != nil ? .request : .notification
        } else if id != nil, error != nil {
            kind = .error
        } else if id != nil, result != nil {
            kind = .response
        } else {
            kind = .invalid
        }
    }

    /// The id as JSON text (`7`, `"abc"`), the form stored and shown.
    public var idText: String? { id.map { JSONWriter.string($0) } }

    /// The request's `_meta` object, where progress tokens and (2026-07-28) protocol metadata live.
    public var meta: JSONObject? { params?["_meta"]?.objectValue }
}

/// A key that identifies a JSON-RPC id exactly, by type and literal text,
/// so `1`, `"1"` and `1.0` stay distinct as they are on the wire.
public struct RequestKey: Hashable, Sendable {
    public var direction: Direction
    public var id: String

    public init(direction: Direction, id: JSONValue) {
        self.direction = direction
        self.id = JSONWriter.string(id)
    }
}
