import ArgusCore
import ArgusStore
import ArgusSystem

/// Readers for request threads: a reader (an SQLite connection) is used by one thread at a
/// time, so each request borrows one and gives it back.
final class ReaderPool: @unchecked Sendable {
    let path: String
    private let monitor = Monitor()
    private var idle: [any ArgusReader] = []
    private var writer: (any ArgusWriter)?
    private let writerLock = Monitor()
    static let keepIdle = 8

    init(path: String) {
        self.path = path
    }

    func withReader<T>(_ body: (any ArgusReader) throws -> T) throws -> T {
        let reader = try monitor.locked { idle.popLast() } ?? ArgusDatabase.reader(path: path)
        defer {
            monitor.locked { if idle.count < Self.keepIdle { idle.append(reader) } }
        }
        return try body(reader)
    }

    /// The one connection that writes (deletes), used under a lock.
    func withWriter<T>(_ body: (any ArgusWriter) throws -> T) throws -> T {
        try writerLock.locked {
            let db = try writer ?? ArgusDatabase.writer(path: path)
            writer = db
            return try body(db)
        }
    }
}
