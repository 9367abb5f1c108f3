import ArgusStore
import Foundation

extension PostgresRecordWriter: RecordSink {}

/// How the `argus` executable plugs PostgreSQL into the store (`StoreBackends`): registering
/// costs nothing; PostgresNIO's event loop starts with the first connection, on the recorder's
/// writer thread, never on the relay's path.
public enum PostgresBackend {
    public static func register(environment: [String: String] = ProcessInfo.processInfo.environment) {
        StoreBackends.register { location in
            guard PostgresLocation.isPostgres(location) else { return nil }
            return PostgresRecordWriter(location: try PostgresLocation(url: location, environment: environment),
                                        environment: environment)
        }
    }
}
