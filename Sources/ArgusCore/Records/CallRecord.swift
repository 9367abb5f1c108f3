/// One row of `calls`: a request and its response (or what happened instead), paired by the
/// recorder. The request and response bodies are not in it: they are the messages at
/// `requestSeq` and `responseSeq` of the run.
public struct CallRecord: Sendable {
    /// The database id; 0 until the call is stored.
    public var id: Int64
    /// The database id of its run; 0 until stored (a `RecordOp` names the run by the recorder's number).
    public var runID: Int64
    public var server: String
    public var requestSeq: Int
    public var responseSeq: Int?
    public var direction: Direction
    public var method: String
    /// `params.name` of a `tools/call`.
    public var tool: String?
    /// What else the call was about: a prompt name, a resource URI.
    public var target: String?
    /// The JSON-RPC id as JSON text.
    public var jsonrpcID: String
    public var startedAt: Int64
    public var endedAt: Int64?
    public var latencyMicros: Int64?
    public var status: CallStatus
    /// A JSON-RPC error, or a result with `isError: true`.
    public var isError: Bool
    public var errorCode: Int?
    public var errorMessage: String?
    public var progressCount: Int
    public var cancelled: Bool
    public var bytesIn: Int?
    public var bytesOut: Int?
    /// The recorded call this one replays.
    public var replayOf: Int64?
    /// 2026-07-28 multi round-trip: which round of its call this request is (1 for the first), nil for a single-round call.
    public var round: Int?
    /// For rounds after the first: the first round's call.
    public var firstCallID: Int64?
    /// The kind of the call's run (`wrap`, `replay`): read with the call, not stored in `calls`.
    public var runKind: String
    /// The fault argus injected into this call (`argus wrap --faults`): not in `calls`, filled
    /// in by `ArgusReader.withFaults`.
    public var fault: FaultRecord?

    public init(
        id: Int64 = 0, runID: Int64 = 0, server: String, requestSeq: Int, responseSeq: Int? = nil,
        direction: Direction, method: String, tool: String? = nil, target: String? = nil, jsonrpcID: String,
        startedAt: Int64, endedAt: Int64? = nil, latencyMicros: Int64? = nil, status: CallStatus,
        isError: Bool = false, errorCode: Int? = nil, errorMessage: String? = nil, progressCount: Int = 0,
        cancelled: Bool = false, bytesIn: Int? = nil, bytesOut: Int? = nil, replayOf: Int64? = nil,
        round: Int? = nil, firstCallID: Int64? = nil, runKind: String = "wrap"
    ) {
        self.id = id
        self.runID = runID
        self.server = server
        self.requestSeq = requestSeq
        self.responseSeq = responseSeq
        self.direction = direction
        self.method = method
        self.tool = tool
        self.target = target
        self.jsonrpcID = jsonrpcID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.latencyMicros = latencyMicros
        self.status = status
        self.isError = isError
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.progressCount = progressCount
        self.cancelled = cancelled
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.replayOf = replayOf
        self.round = round
        self.firstCallID = firstCallID
        self.runKind = runKind
    }
}
