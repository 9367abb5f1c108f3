import ArgusCore
import ArgusStore
import ArgusSystem

/// SQLite connections for request threads: a connection is used by one thread
/// at a time, so each request borrows one and gives it back.
final class ReaderPool: @unchecked Sendable {
    let path: String
    private let monitor = Monitor()
    private var idle: [ArgusReader] = []
    private var writer: SQLiteConnection?
    private let writerLock = Monitor()
    static let keepIdle = 8

    init(path: String) {
        self.path = path
    }

    func withReader<T>(_ body: (ArgusReader) throws -> T) throws -> T {
        let reader = try monitor.locked { idle.popLast() } ?? ArgusReader(path: path)
        defer {
            monitor.locked { if idle.count < Self.keepIdle { idle.append(reader) } }
        }
        return try body(reader)
    }

    /// The one connection that writes (deletes), used under a lock.
    func withWriter<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writerLock.locked {
            let db = try writer ?? ArgusDatabase.openForWriting(path: path)
            writer = db
            return try body(db)
        }
    }
}
