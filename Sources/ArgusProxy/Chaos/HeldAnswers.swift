import ArgusCore
import ArgusSystem

/// Answers a latency fault holds back, each sent when its time comes by a thread of its own,
/// so one slow call never holds up the others.
final class HeldAnswers: @unchecked Sendable {
    private struct Held {
        var due: UInt64
        var line: [UInt8]
        /// The fault to record with the line, when the line is argus's (not the server's answer, delayed).
        var fault: InjectedFault?
    }

    private let monitor = Monitor()
    private let output: any FaultClientOutput
    private var held: [Held] = []
    /// Lines taken by the thread and not yet sent: `releaseAll` waits for them too.
    private var sending = 0
    private var thread: OSThread?

    init(output: any FaultClientOutput) {
        self.output = output
    }

    /// Sends `line` after `millis`; with `fault`, it is recorded as that fault's line.
    func hold(_ line: [UInt8], millis: Double, fault: InjectedFault?) {
        let due = SystemClock.monotonicNanos() + UInt64(max(0, millis) * 1e6)
        monitor.locked {
            held.append(Held(due: due, line: line, fault: fault))
            held.sort { $0.due < $1.due }
            if thread == nil { thread = OSThread(name: "argus-held") { [self] in run() } }
            monitor.broadcast()
        }
    }

    /// Sends everything still held, now (the server's output ended: the session is winding down),
    /// and returns once every line is out, so nothing reaches the recording after it has ended.
    func releaseAll() {
        let due = monitor.locked { () -> [Held] in
            defer { held.removeAll() }
            return held
        }
        for entry in due { send(entry) }
        monitor.locked {
            while sending > 0 { _ = monitor.wait(untilMonotonicNanos: nil) }
        }
    }

    private func run() {
        while true {
            let due = monitor.locked { () -> [Held] in
                while true {
                    let now = SystemClock.monotonicNanos()
                    let ready = held.prefix { $0.due <= now }
                    if !ready.isEmpty {
                        held.removeFirst(ready.count)
                        sending += ready.count
                        return Array(ready)
                    }
                    _ = monitor.wait(untilMonotonicNanos: held.first?.due)
                }
            }
            for entry in due { send(entry) }
            monitor.locked {
                sending -= due.count
                monitor.broadcast()
            }
        }
    }

    private func send(_ entry: Held) {
        if let fault = entry.fault {
            output.injected(entry.line, fault: fault)
        } else {
            entry.line.withUnsafeBytes { output.serverLine($0, at: SystemClock.now()) }
        }
    }
}
