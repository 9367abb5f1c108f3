import ArgusCore
import ArgusProxy
import ArgusStore
import ArgusSystem

/// The proxy's recordings, one per MCP session, found by `Mcp-Session-Id`: a run per session,
/// as one `argus wrap` process makes for one stdio session. Messages outside any session
/// (a stateless server, the 2026-07-28 era, which has no session id) share one recording whose
/// runs are split by the idle timeout, as on stdio.
final class SessionRecordings: @unchecked Sendable {
    private let monitor = Monitor()
    private var sessions: [String: SessionRecording] = [:]
    private var sessionless: SessionRecording?
    private var closed = false
    /// Recordings being finished on threads of their own; shutdown waits for them.
    private var finishing: [OSThread] = []
    private let make: @Sendable (_ session: String?, _ secrets: [(name: String, value: String)]) -> SessionRecording

    init(make: @escaping @Sendable (_ session: String?, _ secrets: [(name: String, value: String)]) -> SessionRecording) {
        self.make = make
    }

    /// The recording of a session the client names. One the proxy did not see begin (the proxy
    /// restarted, say) gets a recording from its first message on.
    func forSession(_ id: String) -> SessionRecording {
        monitor.locked {
            if let known = sessions[id] { return known }
            let recording = make(StreamableHTTPConnection.abbreviated(id), [])
            if !closed { sessions[id] = recording }
            return recording
        }
    }

    /// A session the server just opened (its `initialize` answer carried `id`). `secrets`: the
    /// client's credentials, kept out of the recording even if the server echoes them.
    func opened(_ id: String, secrets: [(name: String, value: String)]) -> SessionRecording {
        let recording = make(StreamableHTTPConnection.abbreviated(id), secrets)
        let replaced = monitor.locked { () -> SessionRecording? in
            defer { if !closed { sessions[id] = recording } }
            return sessions[id]
        }
        if let replaced { finishAside(replaced, reason: .clientEOF, detail: "the session was initialized again") }
        return recording
    }

    func withoutSession() -> SessionRecording {
        monitor.locked {
            if let sessionless { return sessionless }
            let recording = make(nil, [])
            if !closed { sessionless = recording }
            return recording
        }
    }

    /// Ends a session's recording (`DELETE`, or the server forgot it), off the caller's thread:
    /// finishing waits for the writer.
    func end(_ id: String, reason: EndReason, detail: String) {
        guard let recording = monitor.locked({ sessions.removeValue(forKey: id) }) else { return }
        finishAside(recording, reason: reason, detail: detail)
    }

    /// Ends the recordings of sessions silent for `seconds` (a client that went away without
    /// `DELETE`); a later message of such a session starts a new recording.
    func reap(idleFor seconds: Double) {
        let idle = monitor.locked { () -> [SessionRecording] in
            let stale = sessions.filter { $0.value.idleSeconds >= seconds }
            for id in stale.keys { sessions[id] = nil }
            return Array(stale.values)
        }
        for recording in idle {
            finishAside(recording, reason: .idle, detail: "no message for \(Int(seconds)) s and no DELETE: the client went away")
        }
    }

    /// At shutdown: every recording ends, all at once, and this returns when they are written.
    func finishAll(reason: EndReason, detail: String?) {
        let (all, earlier) = monitor.locked { () -> ([SessionRecording], [OSThread]) in
            closed = true
            defer { sessions.removeAll() }
            return (Array(sessions.values) + (sessionless.map { [$0] } ?? []), finishing)
        }
        let threads = all.map { recording in OSThread(name: "argus-finish") { recording.finish(reason: reason, detail: detail) } }
        for thread in threads + earlier { thread.join() }
    }

    private func finishAside(_ recording: SessionRecording, reason: EndReason, detail: String) {
        let thread = OSThread(name: "argus-finish") { recording.finish(reason: reason, detail: detail) }
        monitor.locked {
            finishing.removeAll { $0.join(timeoutSeconds: 0) }
            finishing.append(thread)
        }
    }
}
