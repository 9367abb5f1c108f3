import ArgusCore
import ArgusSystem

/// Writes an SQLite recording: `ArgusWriter` over one connection, used by one thread at a time.
/// The recorder's batches are in `SQLiteWriter+Recording`, deletes in `SQLiteWriter+Deletion`.
public final class SQLiteWriter: ArgusWriter {
    public let db: SQLiteConnection

    public init(db: SQLiteConnection) {
        self.db = db
    }

    /// Opens (and creates, private) the database at `path` for writing.
    public convenience init(path: String, busyTimeoutMillis: Int32 = 5000) throws {
        self.init(db: try ArgusDatabase.openForWriting(path: path, busyTimeoutMillis: busyTimeoutMillis))
    }

    @discardableResult
    public func requestRun(server: String?, endingRun runID: Int64?, label: String?, requestedBy: String) throws -> Int64 {
        try db.insert(
            RunRequest(requestedAt: SystemClock.wallMicros(), server: server, runID: runID, label: label, requestedBy: requestedBy))
    }
}
