/// What the traffic tells about the peers — names, versions, the protocol revision — and the
/// server's tools. Read from wherever it appears: `initialize` params and result, and the
/// 2026-07-28 `_meta` of requests and results (`server/discover` answers with `serverInfo`).
/// Reads the stored (redacted) messages: what it learns is stored too.
struct PeerLearner {
    private(set) var peer = PeerInfo()
    private let emit: (RecordOp) -> Void

    init(emit: @escaping (RecordOp) -> Void) { self.emit = emit }

    mutating func learn(fromRequest request: Envelope, method: String, run: LocalRunID) {
        var info = peer
        if method == MCP.Method.initialize, let params = request.params {
            info.protocolVersion = params["protocolVersion"]?.stringValue ?? info.protocolVersion
            info.clientName = params["clientInfo"]?["name"]?.stringValue ?? info.clientName
            info.clientVersion = params["clientInfo"]?["version"]?.stringValue ?? info.clientVersion
        }
        if let meta = request.meta {
            if let version = meta[MCP.MetaKey.protocolVersion]?.stringValue { info.protocolVersion = version }
            if let client = meta[MCP.MetaKey.clientInfo] {
                info.clientName = client["name"]?.stringValue ?? info.clientName
                info.clientVersion = client["version"]?.stringValue ?? info.clientVersion
            }
        }
        update(info, run: run)
    }

    mutating func learn(fromResponse response: Envelope, to method: String, run: LocalRunID, at time: Timestamp) {
        guard let result = response.result else { return }
        var info = peer
        if method == MCP.Method.initialize {
            info.protocolVersion = result["protocolVersion"]?.stringValue ?? info.protocolVersion
        }
        if let serverInfo = result["serverInfo"] ?? result["_meta"]?[MCP.MetaKey.serverInfo] {
            info.serverName = serverInfo["name"]?.stringValue ?? info.serverName
            info.serverVersion = serverInfo["version"]?.stringValue ?? info.serverVersion
        }
        update(info, run: run)
        if method == MCP.Method.toolsList, let tools = result["tools"]?.arrayValue {
            recordToolSchemas(tools, run: run, at: time)
        }
    }

    /// A run opened later in the session knows what the earlier ones learnt: there is no second handshake.
    func carryOver(to run: LocalRunID) {
        if peer != PeerInfo() { emit(.updateRun(run, peer)) }
    }

    private mutating func update(_ info: PeerInfo, run: LocalRunID) {
        guard info != peer else { return }
        peer = info
        emit(.updateRun(run, info))
    }

    private func recordToolSchemas(_ tools: [JSONValue], run: LocalRunID, at time: Timestamp) {
        let records = tools.compactMap { tool -> ToolSchemaRecord? in
            guard let name = tool["name"]?.stringValue else { return nil }
            return ToolSchemaRecord(
                name: name, title: tool["title"]?.stringValue,
                description: tool["description"]?.stringValue,
                inputSchema: tool["inputSchema"].map { JSONWriter.string($0) },
                outputSchema: tool["outputSchema"].map { JSONWriter.string($0) },
                annotations: tool["annotations"].map { JSONWriter.string($0) },
                seenAt: time.wallMicros)
        }
        if !records.isEmpty { emit(.toolSchemas(run, records)) }
    }
}
