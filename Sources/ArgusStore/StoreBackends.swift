import ArgusCore
import Synchronization

/// The stores beside SQLite. ArgusStore holds every backend's SQL but speaks only SQLite's wire;
/// the `argus` executable registers how to connect to the others (ArgusPostgres, PostgresNIO),
/// so `argus wrap` on a SQLite file never loads one (nor its event loop, nor its TLS).
public enum StoreBackends {
    /// Connects to a store location, or returns nil when the location is not its kind.
    public typealias Connector = @Sendable (_ location: String) throws -> (any ServerConnection)?

    private static let connectors = Mutex<[Connector]>([])

    public static func register(_ connector: @escaping Connector) {
        connectors.withLock { $0.append(connector) }
    }

    /// Whether a `--db` value names a store of another kind than a SQLite file (a URL).
    public static func isExternal(_ location: String) -> Bool {
        location.contains("://")
    }

    /// A connection to a location that a registered backend recognizes.
    public static func connect(_ location: String) throws -> any ServerConnection {
        for connector in connectors.withLock({ $0 }) {
            if let connection = try connector(location) { return connection }
        }
        throw UnknownStore(location: location)
    }

    /// `--db` names a URL no linked backend recognizes.
    struct UnknownStore: Error, CustomStringConvertible {
        let location: String
        var description: String { "no store backend understands \(location) (SQLite files and postgres:// URLs are supported)" }
    }
}
