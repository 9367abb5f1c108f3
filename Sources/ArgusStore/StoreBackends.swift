import ArgusCore
import Synchronization

/// Where the recorder's batches go when the store is not a SQLite file: the writer side of a
/// second backend (PostgreSQL). A sink is used by one thread at a time (the writer's), keeps its
/// own connection, reconnecting as needed, and writes each batch in one transaction, all or none.
public protocol RecordSink: AnyObject {
    /// `runs` maps the recorder's run numbers to database ids and receives this batch's new
    /// runs only when the batch is stored. A batch that threw may be passed again as it is.
    func write(_ batch: [RecordOp], runs: inout [LocalRunID: Int64], events: [(kind: String, message: String)]) throws
}

/// The stores beside SQLite. ArgusStore knows only SQLite; the `argus` executable, which links
/// the other backends, registers how to open them, so `argus wrap` on a SQLite file never loads
/// one (nor its event loop, nor its TLS).
public enum StoreBackends {
    /// Opens a sink for a store location, or returns nil when the location is not its kind.
    public typealias SinkOpener = @Sendable (_ location: String) throws -> (any RecordSink)?

    private static let openers = Mutex<[SinkOpener]>([])

    public static func register(_ opener: @escaping SinkOpener) {
        openers.withLock { $0.append(opener) }
    }

    /// Whether a `--db` value names a store of another kind than a SQLite file (a URL).
    public static func isExternal(_ location: String) -> Bool {
        location.contains("://")
    }

    /// The sink for a location that a registered backend recognizes.
    static func sink(for location: String) throws -> (any RecordSink)? {
        for opener in openers.withLock({ $0 }) {
            if let sink = try opener(location) { return sink }
        }
        return nil
    }
}
