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

    public init(phase: HookPhase, run: LocalRunID, server: String, direction: Direction, method: String,
                tool: String? = nil, target: String? = nil, requestID: String? = nil, requestSeq: Int? = nil,
                startedAt: Int64, latencyMicros: Int64? = nil, status: CallStatus? = nil, isError: Bool = false,
                errorCode: Int? = nil, errorMessage: String? = nil, progressCount: Int = 0, bytesIn: Int = 0,
                bytesOut: Int? = nil, requestBody: String? = nil, responseBody: String? = nil,
                callID: Int64? = nil, replayOf: Int64? = nil) {
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

/// What redaction hooks decided about a message.
public enum HookVerdict: Sendable, Equatable {
    /// Store it as it is.
    case keep
    /// Store it with these parts replaced: `params` for requests and
    /// notifications, `result` and/or `error` for responses.
    case replace(JSONObject)
    /// Store only the call's metadata; the bodies become a stub naming the script.
    case drop(script: String)
    /// A redaction hook failed or hit a limit: fail closed, store "[REDACTION FAILED]".
    case failed(script: String)
}

/// Where user scripts plug into recording. Runs on the recorder thread, off the
/// relay path. Everything a hook produces comes back as `RecordOp`s through `emit`.
public protocol RecordingHooks: AnyObject {
    /// False when no script defines `redact`: the recorder then skips the call entirely.
    var hasRedactors: Bool { get }
    /// Before a request, response or notification is stored.
    func redact(_ call: HookCall, emit: (RecordOp) -> Void) -> HookVerdict
    /// After a call is complete and stored (observers: on_call, alert, metric).
    func completed(_ call: HookCall, emit: (RecordOp) -> Void)
    /// About once a second, and when the session ends: reload changed scripts, report status.
    func tick(at time: Timestamp, emit: (RecordOp) -> Void)
}

/// Encrypts the originals of redacted values so a replay can send the real
/// ones while no secret is stored in clear. Implemented outside Core (AES-GCM).
public protocol SecretSealer: Sendable {
    /// The ciphertext of `plaintext` and the id of the key that sealed it, or nil on failure.
    func seal(_ plaintext: [UInt8]) -> (keyID: String, sealed: [UInt8])?
}
