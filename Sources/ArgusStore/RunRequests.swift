import ArgusCore
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// Runs started and ended by hand. The `argus wrap` processes are separate from whoever asks
/// (the CLI, the dashboard), and the database is the one thing they share: a request is a row
/// in `run_requests`, and each wrap reads the new rows about once a second (`RunRequestWatcher`
/// in ArgusProxy). No port, no socket, no signal — and a wrap started before the dashboard
/// hears it too.
public enum RunRequests {
    public struct Request: Sendable {
        public var id: Int64
        public var requestedAt: Int64
        /// Begin a new run of this server's wraps (nil: of every wrap).
        public var server: String?
        /// End this run (its wrap goes on in a new, unnamed run).
        public var runID: Int64?
        public var label: String?
        /// `cli` or `dashboard`, for the ended run's detail.
        public var requestedBy: String
    }

    /// Records a request. Returns its id.
    @discardableResult
    public static func insert(server: String? = nil, endingRun runID: Int64? = nil, label: String? = nil,
                              requestedBy: String, in db: SQLiteConnection) throws -> Int64 {
        try db.run("INSERT INTO run_requests (requested_at, server, run_id, label, requested_by) VALUES (?, ?, ?, ?, ?)",
                   [.int(SystemClock.wallMicros()), SQLiteValue(server), SQLiteValue(runID), SQLiteValue(label), .text(requestedBy)])
        return db.lastInsertRowID
    }

    /// Requests with an id above `afterID` made at or after `since` (µs): what a wrap started at
    /// `since` has not acted on yet.
    public static func after(_ afterID: Int64, since: Int64, in db: SQLiteConnection) throws -> [Request] {
        try db.query("""
            SELECT id, requested_at, server, run_id, label, requested_by FROM run_requests
            WHERE id > ? AND requested_at >= ? ORDER BY id
            """, [.int(afterID), .int(since)]).map { r in
            Request(id: r.int(0) ?? 0, requestedAt: r.int(1) ?? 0, server: r.text(2), runID: r.int(3), label: r.text(4),
                    requestedBy: r.text(5) ?? "")
        }
    }

    /// The newest request id (0 when none): what a wrap has seen when it starts.
    public static func newestID(in db: SQLiteConnection) throws -> Int64 {
        try db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM run_requests") ?? 0
    }
}

extension RunSummary {
    /// A `wrap` run (or a `chaos` one: a wrap with faults) that has not ended and whose argus
    /// process is alive: it can be split by hand.
    /// (A run whose process was killed without a word stays open in the database forever.)
    public var isLiveWrap: Bool {
        guard kind == "wrap" || kind == ArgusReader.chaosKind, endedAt == nil, let pid = argusPID, pid > 0 else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}

extension ArgusReader {
    /// The live wrap runs (of one server, or all) that a new-run request would split.
    public func liveWrapRuns(server: String? = nil) throws -> [RunSummary] {
        try openRuns().filter { $0.isLiveWrap && (server == nil || $0.serverName == server) }
    }
}
