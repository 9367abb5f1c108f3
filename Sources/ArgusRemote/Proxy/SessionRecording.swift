import ArgusCore
import ArgusProxy
import ArgusSystem

/// The recording of one MCP session through `argus proxy`: a `RecordingPipeline` of its own
/// (recorder, runs) as `argus wrap` has for one stdio session, writing through the proxy's
/// shared writer (`ProxyRecording`), fed the session's messages as lines. Each call records one whole message, so messages from
/// concurrent HTTP exchanges of the session (POST answers, the GET stream) never interleave.
final class SessionRecording: @unchecked Sendable {
    /// The `Mcp-Session-Id`, abbreviated (nil: the recording of messages outside any session).
    let session: String?
    /// With `--faults`: what decides the faults of this session's tool calls.
    let faults: FaultJudge?
    private let pipeline: RecordingPipeline
    private let recording: Bool
    private let flushTimeoutSeconds: Double
    private let monitor = Monitor()
    private var finished = false
    /// When the session last had a message (monotonic ns): sessions no one ends are reaped.
    private var lastActivity = SystemClock.monotonicNanos()

    init(
        session: String?, pipeline: RecordingPipeline, recording: Bool, flushTimeoutSeconds: Double, faults: FaultJudge? = nil,
        serverPID: Int32? = nil
    ) {
        self.session = session
        self.faults = faults
        self.pipeline = pipeline
        self.recording = recording
        self.flushTimeoutSeconds = flushTimeoutSeconds
        pipeline.start(serverPID: serverPID)
    }

    /// A message the client sent (a POST body), as it was sent. With `wakingRecorder: false`
    /// the recorder learns of it at `wakeRecorder()`, which an event loop calls once its write is out.
    func clientSent<Bytes: Collection>(_ body: Bytes, at time: Timestamp = SystemClock.now(), wakingRecorder: Bool = true)
    where Bytes.Element == UInt8 {
        recordMessage(.clientToServer, body, at: time, wakingRecorder: wakingRecorder)
    }

    /// A message the server sent (a JSON body, or one SSE event's data).
    func serverSent<Bytes: Collection>(_ body: Bytes, at time: Timestamp = SystemClock.now()) where Bytes.Element == UInt8 {
        recordMessage(.serverToClient, body, at: time)
    }

    /// A whole message the server sent, handed over (a large JSON answer): made one line in
    /// place and queued as it is, not copied again.
    func serverSent(owned body: consuming [UInt8], at time: Timestamp = SystemClock.now(), wakingRecorder: Bool = true) {
        guard recording, !Self.isBlank(body) else { return }
        Self.makeLine(&body)
        enqueue(.serverToClient, body, at: time, wakingRecorder: wakingRecorder)
    }

    /// Wakes the recorder for what was recorded with `wakingRecorder: false`.
    func wakeRecorder() {
        pipeline.wakeRecorder()
    }

    /// What a stdio server behind the proxy wrote to its stderr.
    func serverStderr(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        guard recording else { return }
        monitor.locked { if !finished { pipeline.recordStderr(bytes, at: time) } }
    }

    /// What HTTP did (a status, a session, a stream that broke): an `argus/transport` frame in the
    /// server→client direction, as `argus wrap --url` records it. The client never sees it.
    func transport(_ params: JSONObject) {
        var fields = params
        fields["via"] = "proxy"
        if let session, fields["session"] == nil { fields["session"] = .string(session) }
        let frame: JSONValue = .object(["jsonrpc": "2.0", "method": .string(TransportFrame.method), "params": .object(fields)])
        recordMessage(.serverToClient, JSONWriter.bytes(frame), at: SystemClock.now())
    }

    /// A message becomes one line: a line break between JSON tokens (a pretty-printed body, an
    /// SSE event of several data lines) becomes a space, which cannot change a JSON value
    /// (inside strings line breaks are always escaped). Only the recorded copy; the client got
    /// the bytes as they were.
    private func recordMessage<Bytes: Collection>(_ direction: Direction, _ body: Bytes, at time: Timestamp, wakingRecorder: Bool = true)
    where Bytes.Element == UInt8 {
        guard recording, !Self.isBlank(body) else { return }
        var line = Array(body)
        Self.makeLine(&line)
        enqueue(direction, line, at: time, wakingRecorder: wakingRecorder)
    }

    private static func isBlank<Bytes: Collection>(_ body: Bytes) -> Bool where Bytes.Element == UInt8 {
        !body.contains { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    }

    /// Line breaks become spaces, and a newline ends the line: in place, so a large message is not copied.
    private static func makeLine(_ bytes: inout [UInt8]) {
        for index in bytes.indices where bytes[index] == 0x0A || bytes[index] == 0x0D { bytes[index] = 0x20 }
        bytes.append(0x0A)
    }

    private func enqueue(_ direction: Direction, _ line: [UInt8], at time: Timestamp, wakingRecorder: Bool) {
        monitor.locked {
            guard !finished else { return }
            lastActivity = SystemClock.monotonicNanos()
            pipeline.record(direction, owned: line, at: time, wakingRecorder: wakingRecorder)
        }
    }

    /// A fault injected into one of the session's calls, with the answer sent in the server's
    /// place or the server's answer as the fault cut it (nil: no answer at all, or the server's own).
    func recordFault(_ fault: InjectedFault, answer: [UInt8]?, at time: Timestamp) {
        guard recording else { return }
        let line = answer.map { answer -> [UInt8] in
            var line = answer
            while line.last == 0x0A || line.last == 0x0D { line.removeLast() }
            Self.makeLine(&line)
            return line
        }
        monitor.locked {
            guard !finished else { return }
            lastActivity = SystemClock.monotonicNanos()
            pipeline.recordFault(fault, answer: line, at: time)
        }
    }

    /// Seconds since the session's last message.
    var idleSeconds: Double { Double(SystemClock.monotonicNanos() - monitor.locked { lastActivity }) / 1e9 }

    /// Ends the recording's run and hands what is queued to the proxy's writer, which writes it
    /// (and says what it could not write when the proxy stops). Blocks while the recorder
    /// catches up: call off the event loops.
    func finish(reason: EndReason, detail: String?, exitStatus: Int32? = nil) {
        let first = monitor.locked { () -> Bool in
            defer { finished = true }
            return !finished
        }
        guard first else { return }
        pipeline.finish(reason: reason, detail: detail, exitStatus: exitStatus, timeoutSeconds: flushTimeoutSeconds)
    }
}

/// A stdio server behind the proxy with faults records through its session's recording.
extension SessionRecording: FaultRecording {
    func record(_ direction: Direction, _ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        recordMessage(direction, bytes.last == 0x0A ? UnsafeRawBufferPointer(rebasing: bytes.dropLast()) : bytes, at: time)
    }
}
