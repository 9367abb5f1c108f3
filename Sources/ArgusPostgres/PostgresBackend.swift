import ArgusStore
import Foundation

/// How the `argus` executable plugs PostgreSQL into the store (`StoreBackends`): registering
/// costs nothing; PostgresNIO's event loop starts with the first connection (for `argus wrap`,
/// on the recorder's writer thread, never on the relay's path).
public enum PostgresBackend {
    public static func register(environment: [String: String] = ProcessInfo.processInfo.environment) {
        StoreBackends.register { location in
            guard PostgresLocation.isPostgres(location) else { return nil }
            return try PostgresServerConnection(
                location: try PostgresLocation(url: location, environment: environment),
                environment: environment)
        }
    }
}

extension PostgresStoreError: StoreFailure {
    /// Waiting may help: the server away or restarting. The recorder then keeps its writer (whose
    /// batch numbers make a resent batch harmless) and the dashboard answers 503.
    public var isBusy: Bool { isTransient }
    public var explanation: String { description }
}
