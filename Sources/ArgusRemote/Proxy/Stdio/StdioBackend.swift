import ArgusCore
import ArgusProxy
import ArgusSystem

/// `argus proxy -- command`: a stdio MCP server served over Streamable HTTP, one server
/// process per MCP session (started by `initialize`, ended by `DELETE`), each recorded as
/// `argus wrap` records one. Messages outside any session (the 2026-07-28 era, which has
/// none) go to one shared server process, started when the first arrives.
final class StdioBackend: @unchecked Sendable {
    struct Launch: Sendable {
        var command: String
        var arguments: [String]
        var environment: [String: String]?
        var cwd: String?
        var graceSeconds: Double
    }

    private let launch: Launch
    private let makeRecording: @Sendable (_ session: String?, _ serverPID: Int32) -> SessionRecording
    private let monitor = Monitor()
    private var sessions: [String: StdioServerSession] = [:]
    private var shared: StdioServerSession?
    private var closed = false
    /// Servers being ended on threads of their own; shutdown waits for them.
    private var ending: [OSThread] = []

    init(launch: Launch, makeRecording: @escaping @Sendable (_ session: String?, _ serverPID: Int32) -> SessionRecording) {
        self.launch = launch
        self.makeRecording = makeRecording
    }

    /// A new session: a server process of its own, and an id for the client to echo.
    func open() throws(SpawnError) -> StdioServerSession {
        let id = Self.newSessionID()
        let session = try start(id: id)
        monitor.locked { sessions[id] = session }
        return session
    }

    func session(_ id: String) -> StdioServerSession? {
        monitor.locked { sessions[id].flatMap { $0.isClosed ? nil : $0 } }
    }

    /// The server for messages outside any session (started again if it exited).
    func sharedSession() throws(SpawnError) -> StdioServerSession {
        if let current = monitor.locked({ shared.flatMap { $0.isClosed ? nil : $0 } }) { return current }
        let started = try start(id: nil)
        return monitor.locked {
            if let current = shared, !current.isClosed {
                endAside(started, reason: .clientEOF, detail: "not needed: another request started the shared server first")
                return current
            }
            shared = started
            return started
        }
    }

    /// `DELETE`: the session's server is ended. False when there is no such session.
    func end(_ id: String) -> Bool {
        guard let session = monitor.locked({ sessions.removeValue(forKey: id) }) else { return false }
        endAside(session, reason: .clientEOF, detail: "the client ended the session (HTTP DELETE)")
        return true
    }

    /// Ends the servers of sessions silent for `seconds` (a client that went away without
    /// `DELETE`); the session's id then gets `404`, and a client that comes back initializes again.
    func reap(idleFor seconds: Double) {
        let idle = monitor.locked { () -> [StdioServerSession] in
            let stale = sessions.filter { $0.value.recording.idleSeconds >= seconds }
            for id in stale.keys { sessions[id] = nil }
            return Array(stale.values)
        }
        for session in idle {
            endAside(session, reason: .idle, detail: "no message for \(Int(seconds)) s and no DELETE: the client went away")
        }
    }

    /// At shutdown: every server is ended, all at once; returns when they and their runs are done.
    func endAll(reason: EndReason, detail: String) {
        let (all, earlier) = monitor.locked { () -> ([StdioServerSession], [OSThread]) in
            closed = true
            defer {
                sessions.removeAll()
                shared = nil
            }
            return (Array(sessions.values) + (shared.map { [$0] } ?? []), ending)
        }
        let threads = all.map { session in
            OSThread(name: "argus-end") { session.end(reason: reason, detail: detail, graceSeconds: self.launch.graceSeconds) }
        }
        for thread in threads + earlier { thread.join() }
    }

    private func start(id: String?) throws(SpawnError) -> StdioServerSession {
        if monitor.locked({ closed }) { throw .refused(reason: "argus proxy is stopping") }
        let child = try ChildProcess.spawn(
            command: launch.command, arguments: launch.arguments, environment: launch.environment,
            cwd: launch.cwd, watchdogGraceSeconds: launch.graceSeconds)
        let recording = makeRecording(id.map(StreamableHTTPConnection.abbreviated), child.pid)
        if let id { recording.transport(["event": "session_started", "session": .string(StreamableHTTPConnection.abbreviated(id))]) }
        return StdioServerSession(id: id, child: child, recording: recording) { [weak self] session in
            self?.serverExited(session)
        }
    }

    /// A server whose output closed by itself: its session is over (its id now gets `404`).
    private func serverExited(_ session: StdioServerSession) {
        let known = monitor.locked { () -> Bool in
            if let id = session.id, sessions[id] === session {
                sessions[id] = nil
                return true
            }
            if shared === session {
                shared = nil
                return true
            }
            return false
        }
        if known { endAside(session, reason: .serverExited, detail: "the MCP server closed its output") }
    }

    private func endAside(_ session: StdioServerSession, reason: EndReason, detail: String) {
        let grace = launch.graceSeconds
        let thread = OSThread(name: "argus-end") { session.end(reason: reason, detail: detail, graceSeconds: grace) }
        monitor.locked {
            ending.removeAll { $0.join(timeoutSeconds: 0) }
            ending.append(thread)
        }
    }

    /// 128 random bits (the system's cryptographic generator), as hex: a session id no one guesses.
    static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
