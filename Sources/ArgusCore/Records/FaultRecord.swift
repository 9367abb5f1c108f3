/// One row of `faults`: a fault argus injected into a call (`argus wrap --faults`), naming the
/// request it hit by its position in the run. Argus's own answer (error, is_error, empty, stale,
/// a script's) is that call's response; `responseSeq` is set only for a server answer argus
/// spoilt (`malformed`). A fault is never taken for the server's.
public struct FaultRecord: Sendable {
    /// The database id; 0 until the fault is stored.
    public var id: Int64
    public var runID: Int64
    /// The faulted request (nil only if its message could not be found when the fault was written).
    public var requestSeq: Int?
    /// The server's answer as the fault left it (`malformed`); argus's own answers are the call's response.
    public var responseSeq: Int?
    public var timestamp: Int64
    public var tool: String?
    /// `error`, `is_error`, `empty`, `timeout`, `latency`, `malformed`, `stale`, or `answer` (a script's own).
    public var kind: String
    /// The rules or scripts that decided it: `faults[0]`, `script flaky`.
    public var source: String
    /// For people: "not sent to the server", "answer held 800 ms", the seed.
    public var detail: String?

    public init(
        id: Int64 = 0, runID: Int64, requestSeq: Int?, responseSeq: Int? = nil, timestamp: Int64, tool: String?,
        kind: String, source: String, detail: String?
    ) {
        self.id = id
        self.runID = runID
        self.requestSeq = requestSeq
        self.responseSeq = responseSeq
        self.timestamp = timestamp
        self.tool = tool
        self.kind = kind
        self.source = source
        self.detail = detail
    }

    /// Whether argus answered in the server's place (the call's response is argus's).
    public var answeredByArgus: Bool {
        ["error", "is_error", "empty", "stale", "answer"].contains(kind)
    }

    /// Whether the recorded outcome is still the server's own answer (only delayed: `latency`).
    public var kept: Bool { kind == FaultKind.latency.rawValue }
}
