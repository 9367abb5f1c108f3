import ArgusCore

/// Where `StreamableHTTPConnection` puts what the remote server sends: the stdio client of
/// `argus wrap --url` (`ClientOutput`), or the replay engine (`RemoteReplayConnection`).
protocol ServerMessageSink: AnyObject, Sendable {
    /// One JSON-RPC message from the server (a JSON body, an SSE event's data), as it was sent.
    func send(_ message: [UInt8])
    /// A fact of the HTTP transport, recorded as an `argus/transport` frame and never delivered.
    func recordTransport(_ params: JSONValue)
}
