import ArgusCore
import ArgusProxy
import ArgusSystem
import Foundation

/// A running server spoken to as an MCP client. Every byte both ways also goes
/// to a recording pipeline, so the replay is recorded like any session.
final class ServerConnection: ReplayConnection, @unchecked Sendable {
    let child: ChildProcess
    private let pipeline: RecordingPipeline
    private let redactor: Redactor
    private let answer: @Sendable (JSONValue) -> JSONValue
    private let monitor = Monitor()
    private let sending = Monitor()
    private var responses: [String: (JSONValue, UInt64)] = [:]
    private var stderrLines: [String] = []
    private var exitStatus: ExitStatus?
    private var outputClosed = false
    private var errorsClosed = false

    /// - Parameters:
    ///   - arguments: what to start the server with (the originals, when the recorded ones are redacted).
    ///   - redactor: for the stderr lines kept for error messages.
    ///   - answer: builds the response to a request the server sends (roots/list, sampling, ...).
    init(
        launch: ServerLaunch, arguments: [String], pipeline: RecordingPipeline, redactor: Redactor,
        answer: @escaping @Sendable (JSONValue) -> JSONValue
    ) throws(ReplayError) {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(launch.extraEnvironment) { $1 }
        do {
            child = try ChildProcess.spawn(
                command: launch.command, arguments: arguments,
                environment: launch.extraEnvironment.isEmpty ? nil : environment, cwd: launch.cwd)
        } catch {
            pipeline.start(serverPID: nil)  // the replay run is begun all the same: it records the failure
            throw .serverFailedToStart(command: launch.display, reason: error.description, stderr: "")
        }
        self.pipeline = pipeline
        self.redactor = redactor
        self.answer = answer
        pipeline.start(serverPID: child.pid)
        OSThread(name: "replay-stdout") { [self] in readResponses() }
        OSThread(name: "replay-stderr") { [self] in readErrors() }
        OSThread(name: "replay-wait") { [self] in
            let status = child.waitForExit()
            monitor.locked {
                exitStatus = status
                monitor.broadcast()
            }
        }
    }

    var hasExited: Bool { monitor.locked { exitStatus != nil } }

    /// The server's last stderr lines, once it has exited: the exit can be seen before the
    /// reader has taken the pipe's last bytes, so this waits for the end of the pipe, but
    /// not for long (a grandchild may hold it open).
    var stderrTextAfterExit: String {
        monitor.locked {
            let deadline = SystemClock.monotonicNanos() + 2_000_000_000
            while !errorsClosed && SystemClock.monotonicNanos() < deadline { monitor.wait(untilMonotonicNanos: deadline) }
            return stderrLines.joined(separator: "\n")
        }
    }

    /// Writes one message. Requests come from the engine's thread and answers to
    /// the server's own requests from the reader thread: one writer at a time keeps
    /// lines whole and the recording in the order the server reads them.
    func send(_ message: JSONValue) {
        var bytes = JSONWriter.bytes(message)
        bytes.append(0x0A)
        sending.locked {
            bytes.withUnsafeBytes { raw in
                guard let start = raw.baseAddress else { return }  // never: a message is at least its newline
                pipeline.record(.clientToServer, raw, at: SystemClock.now())
                _ = Relay.writeAll(child.stdinFD, start, raw.count)
            }
        }
    }

    /// Sends a request and waits for its response. Returns the response and the latency in µs.
    func request(_ method: String, params: JSONValue, id: JSONValue, timeout: Double) throws(ReplayError) -> (JSONValue, Int64) {
        let key = JSONWriter.string(id)
        let start = SystemClock.monotonicNanos()
        send(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params])
        let deadline = start + UInt64(timeout * 1e9)
        let outcome = monitor.locked { () -> (JSONValue, UInt64)? in
            while responses[key] == nil {
                if exitStatus != nil && outputClosed { return nil }
                if SystemClock.monotonicNanos() >= deadline { return nil }
                monitor.wait(untilMonotonicNanos: deadline)
            }
            return responses.removeValue(forKey: key)
        }
        guard let (response, arrived) = outcome else {
            if let status = monitor.locked({ exitStatus }) {
                throw .serverExited(status: status.description, stderr: stderrTextAfterExit)
            }
            throw .timeout(seconds: timeout, method: method)
        }
        return (response, Int64((arrived - start) / 1000))
    }

    /// Closes the server's input and waits for it to go (SIGTERM, then SIGKILL, after a moment).
    func close() {
        Foundation.close(child.stdinFD)
        defer { child.reapGroup() }  // what the server left behind, and its watchdog
        if waitForExit(seconds: 2) { return }
        child.signalGroup(SIGTERM)
        if !waitForExit(seconds: 2) { child.signalGroup(SIGKILL) }
    }

    /// True when the server has exited within `seconds`.
    private func waitForExit(seconds: Double) -> Bool {
        monitor.locked {
            let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
            while exitStatus == nil && SystemClock.monotonicNanos() < deadline { monitor.wait(untilMonotonicNanos: deadline) }
            return exitStatus != nil
        }
    }

    var exitDescription: ExitStatus? { monitor.locked { exitStatus } }

    // MARK: reader threads

    private func readResponses() {
        var framer = LineFramer(maxLineBytes: 1 << 30)  // the whole answer, however large: it is compared, not just recorded
        _ = Relay.run(from: child.stdoutFD, to: -1, onDestinationBroken: {}) { [self] bytes, time in
            pipeline.record(.serverToClient, bytes, at: time)
            var lines: [[UInt8]] = []
            framer.push(bytes) { lines.append($0.bytes) }
            for line in lines { handle(line) }
        }
        Foundation.close(child.stdoutFD)  // one connection per server start: a long-lived dashboard must not leak them
        monitor.locked {
            outputClosed = true
            monitor.broadcast()
        }
    }

    private func handle(_ line: [UInt8]) {
        guard let message = try? JSONParser.parse(line) else { return }
        let envelope = Envelope(message)
        switch envelope.kind {
        case .response, .error:
            guard let id = envelope.idText else { return }
            monitor.locked {
                responses[id] = (message, SystemClock.monotonicNanos())
                monitor.broadcast()
            }
        case .request:
            send(answer(message))  // the server asks the client something (roots/list, sampling, ...)
        default:
            break
        }
    }

    private func readErrors() {
        var framer = LineFramer(maxLineBytes: 4096)
        // Kept for error messages, which end up in JUnit files and API answers: redacted.
        func keep(_ lines: [LineFramer.Line]) {
            let texts = lines.map { line in
                let text = String(decoding: line.bytes, as: UTF8.self)
                return redactor.redactText(text) ?? text
            }
            monitor.locked {
                stderrLines.append(contentsOf: texts)
                if stderrLines.count > 50 { stderrLines.removeFirst(stderrLines.count - 50) }
            }
        }
        _ = Relay.run(from: child.stderrFD, to: -1, onDestinationBroken: {}) { [self] bytes, time in
            pipeline.recordStderr(bytes, at: time)
            var lines: [LineFramer.Line] = []
            framer.push(bytes) { lines.append($0) }
            keep(lines)
        }
        Foundation.close(child.stderrFD)
        var last: [LineFramer.Line] = []
        framer.finish { last.append($0) }  // a last line without a newline
        keep(last)
        monitor.locked {
            errorsClosed = true
            monitor.broadcast()
        }
    }
}
