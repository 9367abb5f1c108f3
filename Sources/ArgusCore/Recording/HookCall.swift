/// When a hook sees a message: as the request goes out, as the response comes
/// back, or for a notification (which has no response).
public enum HookPhase: String, Sendable {
    case request
    case response
    case notification
}

/// A call as user hooks see it: metadata plus the stored (already redacted)
/// request and response bodies, which a script decodes only if it reads them.
public struct HookCall: Sendable {
    public var phase: HookPhase
    public var run: LocalRunID
    public var server: String
    public var direction: Direction
    public var method: String
    public var tool: String?
    public var target: String?
    /// The JSON-RPC id as JSON text.
    public var requestID: String?
    public var requestSeq: Int?
    public var startedAt: Int64
    public var latencyMicros: Int64?
    public var status: CallStatus?
    public var isError: Bool
    public var errorCode: Int?
    public var errorMessage: String?
    public var progressCount: Int
    public var bytesIn: Int
    public var bytesOut: Int?
    public var requestBody: String?
    public var responseBody: String?
    /// The Argus call id, when known (replays, fixtures); nil while recording live.
    public var callID: Int64?
    public var replayOf: Int64?

    public init(
        phase: HookPhase, run: LocalRunID, server: String, direction: Direction, method: String,
        tool: String? = nil, target: String? = nil, requestID: String? = nil, requestSeq: Int? = nil,
        startedAt: Int64, latencyMicros: Int64? = nil, status: CallStatus? = nil, isError: Bool = false,
        errorCode: Int? = nil, errorMessage: String? = nil, progressCount: Int = 0, bytesIn: Int = 0,
        bytesOut: Int? = nil, requestBody: String? = nil, responseBody: String? = nil,
        callID: Int64? = nil, replayOf: Int64? = nil
    ) {
        self.phase = phase
        self.run = run
        self.server = server
        self.direction = direction
        self.method = method
        self.tool = tool
        self.target = target
        self.requestID = requestID
        self.requestSeq = requestSeq
        self.startedAt = startedAt
        self.latencyMicros = latencyMicros
        self.status = status
        self.isError = isError
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.progressCount = progressCount
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.requestBody = requestBody
        self.responseBody = responseBody
        self.callID = callID
        self.replayOf = replayOf
    }
}
