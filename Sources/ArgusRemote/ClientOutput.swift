import ArgusCore
import ArgusProxy
import ArgusSystem

/// The stdio side of `argus wrap --url`: every message the remote server sends reaches the
/// client as one line on our stdout, and the recorder gets the same bytes first (the tap
/// runs before the write, as on the stdio relay, so an answer is never recorded before the
/// message that caused it). Lines from concurrent HTTP responses never interleave.
final class ClientOutput: FaultClientOutput, ServerMessageSink, @unchecked Sendable {
    private let monitor = Monitor()
    private var broken = false
    private let pipeline: RecordingPipeline
    private let recording: Bool
    private let onBroken: @Sendable () -> Void
    private let descriptor: Int32
    /// With faults on, the server's messages go through the injector, which passes them on
    /// (`serverLine`), holds them back or cuts them. Set before any message flows.
    private var injector: FaultInjector?

    init(pipeline: RecordingPipeline, recording: Bool, descriptor: Int32 = 1, onBroken: @escaping @Sendable () -> Void) {
        self.pipeline = pipeline
        self.recording = recording
        self.descriptor = descriptor
        self.onBroken = onBroken
    }

    /// Call once, before the session's threads start.
    func passServerMessages(through injector: FaultInjector) {
        self.injector = injector
    }

    /// Sends one JSON-RPC message. Line breaks between JSON tokens (a pretty-printed body)
    /// become spaces: on stdio a message is one line, and inside JSON strings a raw line
    /// break cannot occur, so the message means exactly what the server sent.
    func send(_ message: [UInt8]) {
        var line = message
        for index in line.indices where line[index] == 0x0A || line[index] == 0x0D { line[index] = 0x20 }
        line.append(0x0A)
        line.withUnsafeBytes { bytes in
            if let injector {
                injector.serverLine(bytes, at: SystemClock.now())
            } else {
                serverLine(bytes, at: SystemClock.now())
            }
        }
    }

    func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        let gone = monitor.locked { () -> Bool in
            if recording { pipeline.record(.serverToClient, bytes, at: time) }
            return write(bytes)
        }
        if gone { onBroken() }
    }

    func injected(_ line: [UInt8], fault: InjectedFault) {
        let gone = monitor.locked { () -> Bool in
            if recording { pipeline.recordFault(fault, answer: line, at: SystemClock.now()) }
            return line.withUnsafeBytes { write($0) }
        }
        if gone { onBroken() }
    }

    /// Messages arrive whole here: none is ever half written.
    func serverClosed() {}

    /// Writes under the lock; true when the client has just been found gone.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !broken, let base = bytes.baseAddress else { return false }
        if !Relay.writeAll(descriptor, base, bytes.count) {
            broken = true
            return true
        }
        return false
    }

    /// Records a fact of the HTTP transport (a status, a session, a stream that broke) as a
    /// frame of its own, `argus/transport`, in the server→client direction. It is not sent to
    /// the client: it is what the wire did, not what the server said.
    func recordTransport(_ params: JSONValue) {
        guard recording else { return }
        let bytes = TransportFrame.line(params)
        monitor.locked {
            bytes.withUnsafeBytes { pipeline.record(.serverToClient, $0, at: SystemClock.now()) }
        }
    }
}

/// The method name of transport frames in recordings.
public enum TransportFrame {
    public static let method = TransportEvent.method

    /// The frame as a recorded line: a notification of `method` with `params`, and its newline.
    static func line(_ params: JSONValue) -> [UInt8] {
        var bytes = JSONWriter.bytes(.object(JSONObject(["jsonrpc": "2.0", "method": .string(method), "params": params])))
        bytes.append(0x0A)
        return bytes
    }
}
