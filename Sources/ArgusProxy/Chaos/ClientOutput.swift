import ArgusCore
import ArgusSystem

/// argus's stdout, the client's input, when faults are on: three writers share it (the
/// server's lines, argus's own answers, answers held back by a latency fault), so each line is
/// recorded and written whole under one lock, and the recording's order is the wire's.
/// While a line too long to hold is being passed on in pieces, the others wait for its end.
final class ClientOutput: FaultClientOutput, @unchecked Sendable {
    private let monitor = Monitor()
    private let fd: Int32
    private let pipeline: RecordingPipeline?
    private let onBroken: @Sendable () -> Void
    private var midLine = false
    private var broken = false

    init(fd: Int32 = 1, pipeline: RecordingPipeline?, onBroken: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.pipeline = pipeline
        self.onBroken = onBroken
    }

    /// A whole line from the server.
    func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        monitor.locked {
            waitForLineEnd()
            pipeline?.record(.serverToClient, bytes, at: time)
            send(bytes)
        }
    }

    /// Part of a server line too long to hold; the other writers wait until `endsLine`.
    func serverPiece(_ bytes: UnsafeRawBufferPointer, at time: Timestamp, endsLine: Bool) {
        monitor.locked {
            pipeline?.record(.serverToClient, bytes, at: time)
            send(bytes)
            midLine = !endsLine
            if endsLine { monitor.broadcast() }
        }
    }

    /// A line argus sends in the server's place, recorded with its fault.
    func injected(_ line: [UInt8], fault: InjectedFault) {
        monitor.locked {
            waitForLineEnd()
            pipeline?.recordFault(fault, answer: line, at: SystemClock.now())
            line.withUnsafeBytes { send($0) }
        }
    }

    /// The server closed its output: nobody is in the middle of a line any more.
    func serverClosed() {
        monitor.locked {
            midLine = false
            monitor.broadcast()
        }
    }

    private func waitForLineEnd() {
        while midLine { _ = monitor.wait(untilMonotonicNanos: nil) }
    }

    private func send(_ bytes: UnsafeRawBufferPointer) {
        guard !broken, let base = bytes.baseAddress else { return }
        if !Relay.writeAll(fd, base, bytes.count) {
            broken = true
            onBroken()
        }
    }
}
