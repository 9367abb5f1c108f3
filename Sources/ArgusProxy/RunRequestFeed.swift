import ArgusCore
import ArgusStore
import ArgusSystem

/// The run requests (`argus runs new`, `argus runs stop`, the dashboard) made since a
/// recording process started, read from the store for all its sessions: one reader, read at
/// most about once a second, and only when the store's data version (SQLite's
/// `PRAGMA data_version`) says another connection committed something. `argus proxy`'s
/// sessions share one, so a thousand sessions are one reader and one query a second, not a
/// thousand of each (on PostgreSQL, a thousand connections). Any failure (no database yet,
/// locked) is ignored until the next read: this must never disturb recording.
public final class RunRequestFeed: @unchecked Sendable {
    private let path: String
    private let startedAt: Int64
    private let monitor = Monitor()
    private var reader: (any ArgusReader)?
    private var dataVersion: Int64?
    private var lastRead: UInt64?
    private var requests: [RunRequest] = []

    public init(path: String, startedAt: Int64 = SystemClock.wallMicros()) {
        self.path = path
        self.startedAt = startedAt
    }

    /// The requests stored after the one numbered `afterID`, made at `since` or later.
    func requests(after afterID: Int64, since: Int64) -> [RunRequest] {
        monitor.locked {
            readIfDue()
            return requests.filter { $0.id > afterID && $0.requestedAt >= since }
        }
    }

    private func readIfDue() {
        let now = SystemClock.monotonicNanos()
        if let lastRead, now - lastRead < 900_000_000 { return }
        lastRead = now
        do {
            let reader = try self.reader ?? ArgusDatabase.reader(path: path)
            self.reader = reader
            let version = try reader.dataVersion()
            if version == dataVersion { return }
            requests += try reader.runRequests(after: requests.last?.id ?? 0, since: startedAt)
            dataVersion = version
        } catch {
            reader = nil  // reopened at the next read (the file may appear, the lock may go)
        }
    }
}
