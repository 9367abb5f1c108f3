import ArgusCore
import ArgusStore

/// Hears "begin a new run" and "end run N" (`argus runs new`, `argus runs stop`, the dashboard)
/// for one `argus wrap`: on the recorder's ~1 s tick it reads the requests — and only when the
/// store's data version (SQLite's `PRAGMA data_version`) says another connection committed
/// something. Requests made before the wrap started are not for it. Any failure (no database
/// yet, locked) is ignored until the next tick: this must never disturb recording.
final class RunRequestWatcher {
    private let path: String
    private let serverName: String
    private let startedAt: Int64
    private var reader: (any ArgusReader)?
    private var dataVersion: Int64?
    private var lastSeen: Int64 = 0

    init(path: String, serverName: String, startedAt: Int64) {
        self.path = path
        self.serverName = serverName
        self.startedAt = startedAt
    }

    /// The requests that apply to this wrap, whose current run has database id `currentRun`.
    func check(currentRun: Int64) -> [RunRequest] {
        do {
            let reader = try self.reader ?? ArgusDatabase.reader(path: path)
            self.reader = reader
            let version = try reader.dataVersion()
            if version == dataVersion { return [] }
            let requests = try reader.runRequests(after: lastSeen, since: startedAt)
            dataVersion = version
            lastSeen = requests.last?.id ?? lastSeen
            return requests.filter { request in
                if let run = request.runID { return run == currentRun }
                return request.server == nil || request.server == serverName
            }
        } catch {
            reader = nil  // reopened at the next tick (the file may appear, the lock may go)
            return []
        }
    }
}
