import ArgusCore
import ArgusStore
import ArgusSystem
import CArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// What `argus wrap` was asked to do.
public struct WrapOptions: Sendable {
    public var command: String
    public var arguments: [String]
    public var databasePath: String
    public var serverName: String?
    public var idleTimeoutSeconds: Double = 60
    public var redactionEnabled = true
    public var extraRedactKeys: [String] = []
    /// The user's own secret shapes (config `redaction.patterns`).
    public var redactPatterns: [ValuePattern] = []
    /// Variables set for the server on top of argus's environment (a named server's `env`).
    public var extraEnvironment: [String: String] = [:]
    /// The server's working directory (default: argus's).
    public var cwd: String?
    /// Time the server gets after stdin closes (then SIGTERM), and after SIGTERM (then SIGKILL).
    public var graceSeconds: Double = 5
    /// How long to keep trying to write the last records at exit.
    public var flushTimeoutSeconds: Double = 10
    /// Builds user-script hooks on the recorder thread (nil: no scripts).
    public var makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)?
    /// Called after the recording is flushed, before exit (e.g. to deliver pending alerts).
    public var onFinish: (@Sendable () -> Void)?
    /// Encrypts the originals of redacted params so replay can send them (nil: not kept).
    public var sealer: SecretSealer?
    /// Called after each batch of records is committed (`--api` notifies a dashboard).
    public var onCommit: (@Sendable () -> Void)?
    /// Given each committed batch, on the writer thread (OTLP export); must not wait.
    public var onCommitted: (@Sendable (CommittedBatch) -> Void)?
    /// Opt-in trace context injection: a new text for a client line, or nil to forward it as it is.
    /// Runs on the relay thread, so it must be quick.
    public var rewriteClientLine: (@Sendable ([UInt8]) -> [UInt8]?)?
    /// Set when the configuration could not be read: the session is relayed as always, but
    /// none of its traffic, stderr or arguments is recorded (what the file's redaction,
    /// patterns and scripts would have protected is unknown); the run is recorded with
    /// this error so `argus runs`, the dashboard and `argus diagnose` show it.
    public var recordingError: String?
    /// Set when the server cannot be started at all (a named server from a configuration
    /// that could not be read): why, for the message and the run.
    public var startRefusal: String?
    /// Faults to inject (`--faults`, the config's `faults`): the run is a `chaos` run, announced on
    /// stderr. nil: the plain relay, untouched.
    public var faults: FaultOptions?

    public init(command: String, arguments: [String], databasePath: String) {
        self.command = command
        self.arguments = arguments
        self.databasePath = databasePath
    }
}

/// Writes a line to argus's stderr. stdout belongs to the protocol.
public enum StderrLog {
    public static func write(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        _ = text.withCString { Relay.writeAll(2, $0, strlen($0)) }
    }
}

/// One `argus wrap` session: start the server, relay both directions, record
/// everything, and end the way the server would have ended without us.
public enum WrapSession {
    enum Event {
        case clientClosed
        case clientGone
        case serverOutputClosed
        case serverErrorsClosed
        case serverExited(ExitStatus)
        case signal(Int32)
    }

    /// Runs the session to its end and returns the exit status for the proxy.
    /// Call on the main thread, before any other thread exists (signals are
    /// blocked here and received synchronously by a dedicated thread).
    public static func run(_ options: WrapOptions) -> Int32 {
        argus_block_termination_signals()
        let startNanos = SystemClock.monotonicNanos()
        let environment = currentEnvironment().merging(options.extraEnvironment) { $1 }
        let policy = RedactionPolicy.forEnvironment(
            environment, enabled: options.redactionEnabled,
            extraKeys: options.extraRedactKeys, patterns: options.redactPatterns)
        let recording = options.recordingError == nil
        let launch = LaunchSpec(
            command: options.command, args: recording ? options.arguments : [],
            cwd: options.cwd ?? currentDirectory(), envNames: environment.keys.sorted())
        var config = RecorderConfig(
            serverName: options.serverName ?? ServerNaming.defaultName(command: options.command, arguments: options.arguments),
            launch: launch, idleTimeoutSeconds: options.idleTimeoutSeconds, redaction: policy, argusPID: getpid())
        config.sealer = recording ? options.sealer : nil
        config.recordingError = options.recordingError
        let faultSeed = options.faults?.resolvedSeed()
        if let faults = options.faults, let faultSeed {
            config.runKind = RunRecord.chaosKind
            StderrLog.write(faults.banner(seed: faultSeed))
        }
        let pipeline = options.recordingPipeline(config)
        // A path that cannot be written now will not become writable in the seconds of a flush:
        // nothing is kept waiting for it at exit.
        func flushTimeout() -> Double {
            ArgusDatabase.unwritableReason(path: options.databasePath) == nil ? options.flushTimeoutSeconds : 0
        }

        let child: ChildProcess
        do throws(SpawnError) {
            if let refusal = options.startRefusal { throw .refused(reason: refusal) }
            child = try ChildProcess.spawn(
                command: options.command, arguments: options.arguments,
                environment: options.extraEnvironment.isEmpty ? nil : environment, cwd: options.cwd,
                watchdogGraceSeconds: options.graceSeconds)
        } catch {
            StderrLog.write("argus: cannot start the MCP server: \(error)")
            pipeline.start(serverPID: nil)
            pipeline.finish(
                reason: .serverFailedToStart, detail: error.description, exitStatus: error.shellStatus,
                timeoutSeconds: flushTimeout())
            options.onFinish?()
            return error.shellStatus
        }
        pipeline.start(serverPID: child.pid)
        // Our own stdin/stdout are usually pipes from the client: bigger ones mean
        // fewer wake-ups per megabyte. (Harmless no-op on a terminal or a file.)
        _ = argus_set_pipe_size(0, 1 << 20)
        _ = argus_set_pipe_size(1, 1 << 20)

        let mailbox = Mailbox<Event>()
        // The last stderr line is quoted in messages: scrubbed of the command line's secrets too.
        let stderrRedactor = Redactor(policy: policy)
        _ = stderrRedactor.redactArguments(command: options.command, options.arguments)
        let serverOutput = OutputWatch(redactor: stderrRedactor)
        if let faults = options.faults, let faultSeed {
            ChaosRelays.start(
                faults, seed: faultSeed, serverName: config.serverName, child: child,
                pipeline: recording ? pipeline : nil, rewrite: options.rewriteClientLine,
                serverOutput: serverOutput, mailbox: mailbox)
        } else {
            let rewrite = options.rewriteClientLine
            OSThread(name: "argus-c2s") {
                let tap = { (bytes: UnsafeRawBufferPointer, time: Timestamp) in
                    if recording { pipeline.record(.clientToServer, bytes, at: time) }
                }
                if let rewrite {
                    _ = RewritingRelay.run(from: 0, to: child.stdinFD, rewrite: rewrite, tap: tap)
                } else {
                    _ = Relay.run(from: 0, to: child.stdinFD, tap: tap)
                }
                // Announce the cause before its effect: once stdin closes, the server may
                // exit at once, and its exit must not be read as a failure to start.
                mailbox.post(.clientClosed)
                close(child.stdinFD)  // the server sees EOF, as it would without us
            }
            OSThread(name: "argus-s2c") {
                _ = Relay.run(from: child.stdoutFD, to: 1, onDestinationBroken: { mailbox.post(.clientGone) }) { bytes, time in
                    serverOutput.sawStdout()
                    if recording { pipeline.record(.serverToClient, bytes, at: time) }
                }
                mailbox.post(.serverOutputClosed)
            }
        }
        OSThread(name: "argus-stderr") {
            _ = Relay.run(from: child.stderrFD, to: 2) { bytes, time in
                serverOutput.sawStderr(bytes)
                if recording { pipeline.recordStderr(bytes, at: time) }
            }
            mailbox.post(.serverErrorsClosed)
        }
        OSThread(name: "argus-wait") { mailbox.post(.serverExited(child.waitForExit())) }
        OSThread(name: "argus-signals") {
            while true { mailbox.post(.signal(argus_wait_signal())) }
        }

        let ending = superviseUntilExit(child: child, mailbox: mailbox, graceSeconds: options.graceSeconds)
        var reason = ending.reason
        var detail = ending.detail
        if reason == nil {
            let uptime = Double(SystemClock.monotonicNanos() - startNanos) / 1e9
            if serverOutput.stdoutSeen {
                reason = .serverExited
                detail = ending.status.description
                if ending.status != .exited(0) {
                    StderrLog.write("argus: the MCP server \(ending.status.description)" + serverOutput.lastLineSuffix)
                }
            } else {
                reason = .serverFailedToStart
                detail = "\(ending.status.description) after \(String(oneDecimal: uptime)) s without sending anything"
                StderrLog.write(
                    "argus: the MCP server failed to start: `\(options.command)` \(detail!)"
                        + serverOutput.lastLineSuffix)
            }
        }
        let stats = pipeline.finish(
            reason: reason ?? .serverExited, detail: detail, exitStatus: ending.status.shellStatus,
            timeoutSeconds: flushTimeout())
        if stats.opsAbandoned > 0 {
            StderrLog.write("argus: \(stats.opsAbandoned) records could not be written to \(options.databasePath)")
        }
        options.onFinish?()
        return ending.status.shellStatus
    }

    struct Ending {
        var status: ExitStatus
        var reason: EndReason?
        var detail: String?
    }

    /// Waits for the server to exit, escalating EOF → SIGTERM → SIGKILL on the
    /// way, and returns why the session ended.
    static func superviseUntilExit(child: ChildProcess, mailbox: Mailbox<Event>, graceSeconds: Double) -> Ending {
        let grace = UInt64(graceSeconds * 1e9)
        var reason: EndReason?
        var detail: String?
        var termAt: UInt64?
        var killAt: UInt64?
        var status: ExitStatus?
        var exitedAt: UInt64 = 0
        var outputClosed = false
        var errorsClosed = false
        let drainLimit: UInt64 = 2_000_000_000  // a grandchild may hold the pipes open

        while true {
            var deadline = [termAt, killAt].compactMap { $0 }.min()
            if status != nil { deadline = min(deadline ?? .max, exitedAt + drainLimit) }
            for event in mailbox.wait(untilMonotonicNanos: deadline) {
                let now = SystemClock.monotonicNanos()
                switch event {
                case .clientClosed, .clientGone:
                    if reason == nil { reason = event.isClientGone ? .clientGone : .clientEOF }
                    if termAt == nil, killAt == nil, status == nil { termAt = now + grace }
                case .signal(let signal):
                    if reason == nil {
                        reason = .signal
                        detail = signalName(signal)
                    }
                    child.signalGroup(signal)
                    termAt = nil
                    if killAt == nil { killAt = now + grace }
                case .serverExited(let s):
                    status = s
                    exitedAt = now
                case .serverOutputClosed: outputClosed = true
                case .serverErrorsClosed: errorsClosed = true
                }
            }
            let now = SystemClock.monotonicNanos()
            if status == nil {
                if let t = termAt, now >= t {
                    child.signalGroup(SIGTERM)
                    termAt = nil
                    killAt = now + grace
                }
                if let k = killAt, now >= k {
                    child.signalGroup(SIGKILL)
                    killAt = nil
                }
            }
            if let status, (outputClosed && errorsClosed) || now >= exitedAt + drainLimit {
                child.reapGroup()
                return Ending(status: status, reason: reason, detail: detail)
            }
        }
    }

    static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }

    static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "" }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}

extension WrapSession.Event {
    var isClientGone: Bool {
        if case .clientGone = self { return true }
        return false
    }
}

/// What the server printed: whether stdout ever carried a byte (a server that
/// exits before that failed to start) and its last stderr line (for the message).
final class OutputWatch: @unchecked Sendable {
    private let monitor = Monitor()
    private var stdout = false
    private var partial: [UInt8] = []
    private var lastLine = ""
    private let redactor: Redactor

    init(redactor: Redactor) { self.redactor = redactor }

    func sawStdout() {
        monitor.locked { stdout = true }
    }

    var stdoutSeen: Bool { monitor.locked { stdout } }

    func sawStderr(_ bytes: UnsafeRawBufferPointer) {
        monitor.locked {
            for byte in bytes {
                if byte == 0x0A {
                    let line = String(decoding: partial, as: UTF8.self).trimmingWhitespace
                    if !line.isEmpty { lastLine = line }
                    partial.removeAll(keepingCapacity: true)
                } else if partial.count < 2000 {
                    partial.append(byte)
                }
            }
        }
    }

    /// `. Last stderr line: "…"` or nothing.
    var lastLineSuffix: String {
        let line = monitor.locked { () -> String in
            let pending = String(decoding: partial, as: UTF8.self).trimmingWhitespace
            return pending.isEmpty ? lastLine : pending
        }
        if line.isEmpty { return "" }
        let safe = redactor.redactText(line) ?? line
        return ". Last stderr line: \"\(safe.shortened(to: 300))\""
    }
}

/// A queue of events for the supervising thread.
public final class Mailbox<Event>: @unchecked Sendable {
    private let monitor = Monitor()
    private var events: [Event] = []

    public init() {}

    public func post(_ event: Event) {
        monitor.locked {
            events.append(event)
            monitor.broadcast()
        }
    }

    /// Everything posted so far; waits for at least one event or the deadline.
    public func wait(untilMonotonicNanos deadline: UInt64?) -> [Event] {
        monitor.locked {
            while events.isEmpty {
                if let deadline, SystemClock.monotonicNanos() >= deadline { return [] }
                monitor.wait(untilMonotonicNanos: deadline)
            }
            defer { events.removeAll() }
            return events
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = self[...]
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

extension WrapOptions {
    /// The pipeline a session with these options records through (`argus wrap`, `--url`, each
    /// `argus proxy` session): it follows run requests, and hands the traffic to scripts and
    /// committed batches to the exporter only when the session is recorded at all. With
    /// `shared` (from `sharedRecorder`), the session is recorded on a thread, through a writer
    /// and with a reader of run requests that other sessions share, rather than its own.
    public func recordingPipeline(_ config: RecorderConfig, shared: SharedRecorder? = nil) -> RecordingPipeline {
        let recording = recordingError == nil
        if let shared {
            return RecordingPipeline(config: config, sharing: shared, report: StderrLog.write, makeHooks: recording ? makeHooks : nil)
        }
        var pipelineOptions = RecordingPipeline.Options(databasePath: databasePath)
        pipelineOptions.followsRunRequests = true
        return RecordingPipeline(
            config: config, options: pipelineOptions, report: StderrLog.write, onCommit: onCommit,
            onCommitted: recording ? onCommitted : nil, makeHooks: recording ? makeHooks : nil)
    }

    /// What many sessions' pipelines record through (`argus proxy`'s), with a writer that has
    /// what a session's own would have: the dashboard's commit hook, and the exporter when recording.
    public func sharedRecorder() -> SharedRecorder {
        SharedRecorder(
            writer: BatchedWriter(
                options: BatchedWriter.Options(path: databasePath), report: StderrLog.write, onCommit: onCommit,
                onCommitted: recordingError == nil ? onCommitted : nil))
    }
}
