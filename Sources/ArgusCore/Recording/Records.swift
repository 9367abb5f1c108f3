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

/// What the handshake (or the 2026-07-28 per-request `_meta`) told us about the peers.
public struct PeerInfo: Sendable, Hashable {
    public var clientName: String?
    public var clientVersion: String?
    public var serverName: String?
    public var serverVersion: String?
    public var protocolVersion: String?

    public init(
        clientName: String? = nil, clientVersion: String? = nil, serverName: String? = nil,
        serverVersion: String? = nil, protocolVersion: String? = nil
    ) {
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

/// A call identified the way the recorder knows it: its run and its request's position.
public struct CallReference: Sendable, Hashable {
    public var run: LocalRunID
    public var requestSeq: Int

    public init(run: LocalRunID, requestSeq: Int) {
        self.run = run
        self.requestSeq = requestSeq
    }
}

/// A run the recorder opens: its row, and the recorder's numbers for it and for the run it follows.
public struct RunStart: Sendable {
    public var run: LocalRunID
    /// Set when this run was opened after an idle gap (or a requested split) in the same proxy session.
    public var previousRun: LocalRunID?
    /// The row as it begins (the store fills in `previousRunID` from `previousRun`).
    public var record: RunRecord

    public init(run: LocalRunID, previousRun: LocalRunID?, record: RunRecord) {
        self.run = run
        self.previousRun = previousRun
        self.record = record
    }
}

/// One thing for the store to write, in order. Rows are the tables' own records (`CallRecord`,
/// …); the recorder does not know database ids, so an op names its run by the recorder's number
/// and the store fills in the records' `runID` (and a later round's `firstCallID`).
public enum RecordOp: Sendable {
    case startRun(RunStart)
    case updateRun(LocalRunID, PeerInfo)
    case endRun(RunEnd)
    case message(LocalRunID, MessageRecord)
    /// `firstRound`: for rounds after the first of a 2026-07-28 multi round-trip call, the first round's request.
    case call(LocalRunID, CallRecord, firstRound: CallReference?)
    case toolSchemas(LocalRunID, [ToolSchemaRecord])
    case serverLog(LocalRunID, ServerLogRecord)
    /// Replaces a stored body (a script dropped a call after its request was stored).
    case rewriteMessage(LocalRunID, seq: Int, body: String)
    /// The original params of a redacted request, sealed.
    case sealedParams(LocalRunID, seq: Int, keyID: String, sealed: [UInt8])
    /// `run` is nil for outputs of no run (a script that failed to load).
    case scriptOutput(LocalRunID?, ScriptOutputRecord)
    case scriptStatus(ScriptStatusRecord)
    /// A fault argus injected into a call (`argus wrap --faults`).
    case fault(LocalRunID, InjectedFault)

    /// Rough memory footprint, for bounding queues.
    public var approximateBytes: Int {
        switch self {
        case .message(_, let m): return m.body.utf8.count + 128
        case .serverLog(_, let l): return l.line.utf8.count + 64
        case .toolSchemas(_, let s):
            return s.reduce(64) { $0 + ($1.inputSchema?.utf8.count ?? 0) + ($1.outputSchema?.utf8.count ?? 0) + 256 }
        case .call(_, let c, _): return 256 + (c.errorMessage?.utf8.count ?? 0)
        case .rewriteMessage(_, _, let body): return body.utf8.count + 64
        case .sealedParams(_, _, _, let sealed): return sealed.count + 64
        case .scriptOutput(_, let o): return 256 + (o.message?.utf8.count ?? 0) + (o.labels?.utf8.count ?? 0)
        default: return 256
        }
    }
}
