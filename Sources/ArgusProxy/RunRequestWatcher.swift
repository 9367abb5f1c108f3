import ArgusCore
import ArgusStore

/// Hears "begin a new run" and "end run N" (`argus runs new`, `argus runs stop`, the dashboard)
/// for one `argus wrap`: on the recorder's ~1 s tick it looks at `run_requests` — and only when
/// `PRAGMA data_version` says another connection committed something. Requests made before the
/// wrap started are not for it. Any failure (no database yet, locked) is ignored until the next
/// tick: this must never disturb recording.
final class RunRequestWatcher {
    private let path: String
    private let serverName: String
    private let startedAt: Int64
    private var connection: SQLiteConnection?
    private var dataVersion: Int64?
    private var lastSeen: Int64 = 0

    init(path: String, serverName: String, startedAt: Int64) {
        self.path = path
        self.serverName = serverName
        self.startedAt = startedAt
    }

    /// The requests that apply to this wrap, whose current run has database id `currentRun`.
    func check(currentRun: Int64) -> [RunRequests.Request] {
        do {
            let db = try connection ?? ArgusDatabase.openForReading(path: path)
            connection = db
            let version = try db.scalarInt("PRAGMA data_version")
            if version == dataVersion { return [] }
            let requests = try RunRequests.after(lastSeen, since: startedAt, in: db)
            dataVersion = version
            lastSeen = requests.last?.id ?? lastSeen
            return requests.filter { request in
                if let run = request.runID { return run == currentRun }
                return request.server == nil || request.server == serverName
            }
        } catch {
            connection = nil  // reopened at the next tick (the file may appear, the lock may go)
            return []
        }
    }
}
