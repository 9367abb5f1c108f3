/// A request the fault hooks of user scripts may decide about.
public struct FaultRequest: Sendable {
    public var server: String
    public var method: String
    public var tool: String?
    /// The JSON-RPC id as JSON text.
    public var requestID: String
    /// The request as the client sent it (decoded only if a script reads `request.params`).
    public var body: String
    /// Calls of this tool in the session so far, this one included.
    public var toolCalls: Int
    /// Milliseconds since the session started.
    public var elapsedMillis: Double

    public init(
        server: String, method: String, tool: String?, requestID: String, body: String, toolCalls: Int,
        elapsedMillis: Double
    ) {
        self.server = server
        self.method = method
        self.tool = tool
        self.requestID = requestID
        self.body = body
        self.toolCalls = toolCalls
        self.elapsedMillis = elapsedMillis
    }
}

/// Scripts that decide faults on the relay path (Lua `fault` hooks). Implemented by the
/// scripting module; the proxy only receives a factory for it, as for `RecordingHooks`.
/// Called on the thread that reads the client, one request at a time.
public protocol FaultHooks: AnyObject {
    /// What to do with a request: nil leaves it alone.
    func fault(_ request: FaultRequest) -> FaultDecision?
}
