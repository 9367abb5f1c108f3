/// One row of `runs`: a session with one server, from its start to its end. The recorder
/// writes how it began (`RecordOp.startRun`), then what it learns about the peers and how it
/// ended; the store keeps the counters.
public struct RunRecord: Sendable {
    /// What a replay run is called in `kind`.
    public static let replayKind = "replay"
    /// What a run recorded by `argus mock` is called in `kind`: an agent's session answered from a
    /// recording. Listed like any run (marked), but its latencies and errors are the recording's, not
    /// a server's, so the figures (`stats`, the dashboard's, `/metrics`) leave it out.
    public static let mockKind = "mock"
    /// What a run with faults injected (`argus wrap --faults`) is called in `kind`.
    public static let chaosKind = "chaos"

    /// The database id; 0 until the run is stored.
    public var id: Int64
    /// `wrap`; `replay` for the runs of `argus replay`, `argus test` and dashboard replays; `mock`
    /// for `argus mock`'s; `chaos` for a wrap with faults injected.
    public var kind: String
    public var serverName: String
    public var command: String
    /// The server's arguments as stored: redacted (the originals are in `sealedArgs`).
    public var args: [String]
    public var cwd: String?
    /// The names of the server's environment variables, never their values.
    public var envNames: [String]
    public var argusPID: Int32?
    public var serverPID: Int32?
    /// The run this one follows in the same session (after an idle gap or a split by hand).
    public var previousRunID: Int64?
    public var clientName: String?
    public var clientVersion: String?
    /// The name the server gives itself (`serverInfo`), which may differ from `serverName`.
    public var serverInfoName: String?
    public var serverVersion: String?
    public var protocolVersion: String?
    public var startedAt: Int64
    public var endedAt: Int64?
    public var endReason: EndReason?
    /// E.g. the signal name, or "exec failed: No such file or directory".
    public var endDetail: String?
    public var exitStatus: Int32?
    public var stderrTail: String?
    public var droppedFrames: Int
    public var messageCount: Int
    public var callCount: Int
    public var errorCount: Int
    /// A name given to a run started by hand (`argus runs new --label`).
    public var label: String?
    /// Why this run's traffic was not recorded (the configuration could not be read); nil when it was.
    public var recordingError: String?
    /// The id of the key that sealed `argsSealed`.
    public var argsKeyID: String?
    /// The original arguments, sealed, when `args` is redacted (replay opens them with the key).
    public var argsSealed: [UInt8]?

    public init(
        id: Int64 = 0, kind: String = "wrap", serverName: String, command: String, args: [String], cwd: String?,
        envNames: [String], argusPID: Int32? = nil, serverPID: Int32? = nil, previousRunID: Int64? = nil,
        clientName: String? = nil, clientVersion: String? = nil, serverInfoName: String? = nil,
        serverVersion: String? = nil, protocolVersion: String? = nil, startedAt: Int64, endedAt: Int64? = nil,
        endReason: EndReason? = nil, endDetail: String? = nil, exitStatus: Int32? = nil, stderrTail: String? = nil,
        droppedFrames: Int = 0, messageCount: Int = 0, callCount: Int = 0, errorCount: Int = 0,
        label: String? = nil, recordingError: String? = nil, argsKeyID: String? = nil, argsSealed: [UInt8]? = nil
    ) {
        self.id = id
        self.kind = kind
        self.serverName = serverName
        self.command = command
        self.args = args
        self.cwd = cwd
        self.envNames = envNames
        self.argusPID = argusPID
        self.serverPID = serverPID
        self.previousRunID = previousRunID
        self.clientName = clientName
        self.clientVersion = clientVersion
        self.serverInfoName = serverInfoName
        self.serverVersion = serverVersion
        self.protocolVersion = protocolVersion
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.endDetail = endDetail
        self.exitStatus = exitStatus
        self.stderrTail = stderrTail
        self.droppedFrames = droppedFrames
        self.messageCount = messageCount
        self.callCount = callCount
        self.errorCount = errorCount
        self.label = label
        self.recordingError = recordingError
        self.argsKeyID = argsKeyID
        self.argsSealed = argsSealed
    }

    /// The original arguments, sealed (`argsKeyID` and `argsSealed` together), when `args` is redacted.
    public var sealedArgs: (keyID: String, sealed: [UInt8])? {
        get { argsKeyID.flatMap { key in argsSealed.map { (key, $0) } } }
        set {
            argsKeyID = newValue?.keyID
            argsSealed = newValue?.sealed
        }
    }
}
