import ArgusCore

/// How the recorded client talked to the server, and so how a replay talks to it: the same
/// `initialize` (or none, statelessly), the same `_meta`, the same answers to the server's
/// own requests.
public struct Handshake: Sendable {
    /// 2026-07-28 and later: no initialize, everything in each request's `_meta`.
    public var stateless: Bool
    public var protocolVersion: String?
    /// The recorded `initialize` params (legacy), used as they were.
    public var initializeParams: JSONValue?
    /// Responses the original client gave to server requests (roots/list, …), by method.
    public var clientAnswers: [String: JSONValue]

    public init(stateless: Bool, protocolVersion: String?, initializeParams: JSONValue?, clientAnswers: [String: JSONValue]) {
        self.stateless = stateless
        self.protocolVersion = protocolVersion
        self.initializeParams = initializeParams
        self.clientAnswers = clientAnswers
    }

    /// The `initialize` params to send: the recorded ones, else a client of our own.
    var initializeRequestParams: JSONValue {
        initializeParams ?? [
            "protocolVersion": .string(protocolVersion ?? MCP.Version.latestHandshake), "capabilities": [:],
            "clientInfo": ["name": "argus-replay", "version": .string(argusVersion)],
        ]
    }

    /// Request params as a stateless client sends them: the protocol version, client info and
    /// capabilities in `_meta`, unless the recorded request already carries them.
    func withMeta(_ params: JSONValue) -> JSONValue {
        guard case .object(var p) = params else { return params }
        var meta = p["_meta"]?.objectValue ?? JSONObject()
        if meta[MCP.MetaKey.protocolVersion] == nil {
            meta[MCP.MetaKey.protocolVersion] = .string(protocolVersion ?? MCP.Version.stateless)
            meta[MCP.MetaKey.clientInfo] = ["name": "argus-replay", "version": .string(argusVersion)]
            meta[MCP.MetaKey.clientCapabilities] = [:]
            p["_meta"] = .object(meta)
        }
        return .object(p)
    }

    /// The response to a request the server sends (roots/list, sampling, ...): what the
    /// original client answered, else empty roots or a ping, else "cannot answer".
    func answer(to request: JSONValue) -> JSONValue {
        let id = request["id"] ?? .null
        let method = request["method"]?.stringValue ?? ""
        if let recorded = clientAnswers[method] { return ["jsonrpc": "2.0", "id": id, "result": recorded] }
        switch method {
        case MCP.Method.ping: return ["jsonrpc": "2.0", "id": id, "result": [:]]
        case MCP.Method.rootsList: return ["jsonrpc": "2.0", "id": id, "result": ["roots": []]]
        default:
            return [
                "jsonrpc": "2.0", "id": id,
                "error": ["code": -32601, "message": .string("argus replay cannot answer \(method)")],
            ]
        }
    }
}
