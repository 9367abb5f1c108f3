/// A fault injected into a call, as the injector reports it for recording: what was done, by
/// which rule, to which request (by its JSON-RPC id: the store finds the request's message, and
/// writes a `FaultRecord`). It is what tells an injected answer from a server's (`argus calls`,
/// the dashboard, verdicts).
public struct InjectedFault: Sendable, Equatable {
    /// The faulted request's JSON-RPC id as JSON text, as `messages.jsonrpc_id` stores it.
    public var requestID: String
    /// Whether the server → client message recorded just before this record is the server's
    /// answer as the fault left it (`malformed`). Argus's own answers (`error`, `is_error`,
    /// `empty`, `stale`, `answer`) are recorded after this record, as the call's response.
    public var spoiltResponse: Bool
    public var timestamp: Int64
    public var tool: String?
    /// `error`, `is_error`, `empty`, `timeout`, `latency`, `malformed`, `stale`, or `answer` (a script's own).
    public var kind: String
    /// The rules or scripts that decided it: `faults[0]`, `script flaky`.
    public var source: String
    /// For people: "not sent to the server", "answer held 800 ms", the seed.
    public var detail: String?

    public init(
        requestID: String, spoiltResponse: Bool = false, timestamp: Int64, tool: String?, kind: String,
        source: String, detail: String?
    ) {
        self.requestID = requestID
        self.spoiltResponse = spoiltResponse
        self.timestamp = timestamp
        self.tool = tool
        self.kind = kind
        self.source = source
        self.detail = detail
    }
}
