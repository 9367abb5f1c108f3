/// When something happened: a monotonic reading for durations and a wall-clock
/// reading (µs since the Unix epoch) for display and storage.
public struct Timestamp: Sendable, Hashable {
    public var monotonicNanos: UInt64
    public var wallMicros: Int64

    public init(monotonicNanos: UInt64, wallMicros: Int64) {
        self.monotonicNanos = monotonicNanos
        self.wallMicros = wallMicros
    }

    public func micros(since earlier: Timestamp) -> Int64 {
        monotonicNanos >= earlier.monotonicNanos ? Int64((monotonicNanos - earlier.monotonicNanos) / 1000) : 0
    }
}

/// How the server was started: what replay needs to start it again. Holds the
/// *names* of environment variables, never their values.
public struct LaunchSpec: Sendable, Hashable {
    public var command: String
    public var args: [String]
    public var cwd: String
    public var envNames: [String]

    public init(command: String, args: [String], cwd: String, envNames: [String]) {
        self.command = command
        self.args = args
        self.cwd = cwd
        self.envNames = envNames
    }
}

public enum EndReason: String, Sendable, Hashable, CaseIterable {
    case clientEOF = "client_eof"
    case signal
    case serverExited = "server_exited"
    case serverFailedToStart = "server_failed_to_start"
    /// No traffic for the idle timeout; the next message opened a new run.
    case idle
    /// The proxy's output to the client broke (the client went away without closing our stdin).
    case clientGone = "client_gone"
    case replayFinished = "replay_finished"
    /// A user asked for a new run (`argus runs new`, the dashboard): the session goes on in the next run.
    case manual
}

public enum CallStatus: String, Sendable, Hashable, CaseIterable {
    case ok
    case error
    case cancelled
    /// The session ended (or the id was reused) before a response arrived.
    case noResponse = "no_response"
    /// 2026-07-28: the server answered `resultType: "input_required"`; the client's retry is the next round.
    case inputRequired = "input_required"
    /// A stream (`subscriptions/listen`) that was closed, by the client or the server: its normal end.
    case ended
}

/// Runs are numbered locally by the recorder; the store maps them to database ids.
public typealias LocalRunID = Int

public struct RunStart: Sendable {
    public var run: LocalRunID
    public var serverName: String
    public var launch: LaunchSpec
    public var startedAt: Int64
    public var argusPID: Int32
    public var serverPID: Int32?
    public var kind: String
    /// Set when this run was opened after an idle gap (or a requested split) in the same proxy session.
    public var previousRun: LocalRunID?
    /// What the user called a run they started by hand (`argus runs new --label`).
    public var label: String?
    /// Why the run's traffic is not recorded (the configuration could not be read), nil when it is.
    public var recordingError: String?
    /// The original arguments, sealed, when `launch.args` is redacted (replay opens them with the key).
    public var sealedArgs: (keyID: String, sealed: [UInt8])?

    public init(run: LocalRunID, serverName: String, launch: LaunchSpec, startedAt: Int64, argusPID: Int32,
                serverPID: Int32?, kind: String = "wrap", previousRun: LocalRunID? = nil, label: String? = nil,
                recordingError: String? = nil, sealedArgs: (keyID: String, sealed: [UInt8])? = nil) {
        self.run = run
        self.serverName = serverName
        self.launch = launch
        self.startedAt = startedAt
        self.argusPID = argusPID
        self.serverPID = serverPID
        self.kind = kind
        self.previousRun = previousRun
        self.label = label
        self.recordingError = recordingError
        self.sealedArgs = sealedArgs
    }
}

/// What the handshake (or the 2026-07-28 per-request `_meta`) told us about the peers.
public struct PeerInfo: Sendable, Hashable {
    public var clientName: String?
    public var clientVersion: String?
    public var serverName: String?
    public var serverVersion: String?
    public var protocolVersion: String?

    public init(clientName: String? = nil, clientVersion: String? = nil, serverName: String? = nil,
                serverVersion: String? = nil, protocolVersion: String? = nil) {
        self.clientName = clientName
        self.clientVersion = clientVersion
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.protocolVersion = protocolVersion
    }
}

public struct RunEnd: Sendable {
    public var run: LocalRunID
    public var endedAt: Int64
    public var reason: EndReason
    /// E.g. the signal name, or "exec failed: No such file or directory".
    public var detail: String?
    public var exitStatus: Int32?
    public var stderrTail: String?
    public var droppedFrames: Int
}

public struct MessageRecord: Sendable {
    public var run: LocalRunID
    public var seq: Int
    public var direction: Direction
    public var timestamp: Int64
    public var kind: MessageKind
    public var method: String?
    public var jsonrpcID: String?
    /// Redacted body (the original bytes when nothing needed redaction).
    public var body: String
    /// Bytes on the wire, newline excluded.
    public var size: Int
    public var redacted: Bool
}

public struct CallRecord: Sendable {
    public var run: LocalRunID
    public var requestSeq: Int
    public var responseSeq: Int?
    public var direction: Direction
    public var method: String
    /// `params.name` of a `tools/call`.
    public var tool: String?
    /// What else the call was about: a prompt name, a resource URI.
    public var target: String?
    public var jsonrpcID: String
    public var startedAt: Int64
    public var endedAt: Int64?
    public var latencyMicros: Int64?
    public var status: CallStatus
    public var isError: Bool
    public var errorCode: Int?
    public var errorMessage: String?
    public var progressCount: Int
    public var cancelled: Bool
    public var bytesIn: Int
    public var bytesOut: Int?
    /// The recorded call this one replays.
    public var replayOf: Int64?
    /// 2026-07-28 multi round-trip: which round of its call this request is (1 for the first), nil for a single-round call.
    public var round: Int? = nil
    /// For rounds after the first: the first round's request (its run and sequence number).
    public var firstRound: CallReference? = nil
}

/// A call identified the way the recorder knows it: its run and its request's position.
public struct CallReference: Sendable, Hashable {
    public var run: LocalRunID
    public var requestSeq: Int

    public init(run: LocalRunID, requestSeq: Int) {
        self.run = run
        self.requestSeq = requestSeq
    }
}

public struct ToolSchemaRecord: Sendable {
    public var run: LocalRunID
    public var name: String
    public var title: String?
    public var description: String?
    public var inputSchema: String?
    public var outputSchema: String?
    public var annotations: String?
    public var seenAt: Int64
}

public struct ServerLogRecord: Sendable {
    public var run: LocalRunID
    public var timestamp: Int64
    public var line: String
}

/// One thing for the store to write, in order.
public enum RecordOp: Sendable {
    case startRun(RunStart)
    case updateRun(LocalRunID, PeerInfo)
    case endRun(RunEnd)
    case message(MessageRecord)
    case call(CallRecord)
    case toolSchemas(LocalRunID, [ToolSchemaRecord])
    case serverLog(ServerLogRecord)
    /// Replaces a stored body (a script dropped a call after its request was stored).
    case rewriteMessage(LocalRunID, seq: Int, body: String)
    /// The original params of a redacted request, sealed.
    case sealedParams(LocalRunID, seq: Int, keyID: String, sealed: [UInt8])
    case scriptOutput(ScriptOutputRecord)
    case scriptStatus(ScriptStatusRecord)
    /// A fault argus injected into a call (`argus wrap --faults`).
    case fault(FaultRecord)

    /// Rough memory footprint, for bounding queues.
    public var approximateBytes: Int {
        switch self {
        case .message(let m): return m.body.utf8.count + 128
        case .serverLog(let l): return l.line.utf8.count + 64
        case .toolSchemas(_, let s): return s.reduce(64) { $0 + ($1.inputSchema?.utf8.count ?? 0) + ($1.outputSchema?.utf8.count ?? 0) + 256 }
        case .call(let c): return 256 + (c.errorMessage?.utf8.count ?? 0)
        case .rewriteMessage(_, _, let body): return body.utf8.count + 64
        case .sealedParams(_, _, _, let sealed): return sealed.count + 64
        case .scriptOutput(let o): return 256 + (o.message?.utf8.count ?? 0) + (o.labels?.utf8.count ?? 0)
        default: return 256
        }
    }
}
