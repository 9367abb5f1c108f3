import Foundation
import Testing
@testable import ArgusPostgres
import ArgusStore

/// The real PostgreSQL server the tests run against: `Scripts/test.sh` (and so `.ci/run`)
/// starts one and exports ARGUS_TEST_POSTGRES_URL and ARGUS_TEST_POSTGRES_PASSWORD. Each test
/// gets a database of its own, dropped afterwards.
struct TestPostgres {
    static let url = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"]
    static let password = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_PASSWORD"] ?? ""
    /// Set by Scripts/test.sh: a missing server is then a failure, not a skip.
    static let required = ProcessInfo.processInfo.environment["ARGUS_REQUIRE_POSTGRES"] == "1"

    /// Whether the PostgreSQL tests can run; says why not when they cannot.
    static var isAvailable: Bool {
        if url != nil { return true }
        if required {
            Issue.record("ARGUS_REQUIRE_POSTGRES=1 but ARGUS_TEST_POSTGRES_URL is not set: Scripts/test.sh starts the server")
        } else {
            print("skipping PostgreSQL tests: ARGUS_TEST_POSTGRES_URL is not set (Scripts/test.sh starts a server and sets it)")
        }
        return false
    }

    static var environment: [String: String] { ["PGPASSWORD": password] }

    let location: PostgresLocation
    private let admin: PostgresLocation

    /// A new, empty database on the test server.
    init() throws {
        admin = try PostgresLocation(url: Self.url ?? "", environment: [:])
        let name = "argus_test_\(UUID().uuidString.prefix(8).lowercased())"
        let session = try PostgresSession.connect(admin, environment: Self.environment)
        defer { session.close() }
        try session.execute(["CREATE DATABASE \(name)"])
        var location = admin
        location.database = name
        self.location = location
    }

    /// A writer of this database, on a connection of its own.
    func writer(origin: String? = nil) throws -> PostgresWriter {
        try writer(numbering: BatchNumbering(origin: origin))
    }

    func writer(numbering: BatchNumbering) throws -> PostgresWriter {
        try PostgresWriter(server: try PostgresServerConnection(location: location, environment: Self.environment), numbering: numbering)
    }

    func session() throws -> PostgresSession {
        try PostgresSession.connect(location, environment: Self.environment)
    }

    /// Runs a statement as the administrator, on the server's default database.
    func admin(_ statement: String) throws {
        let session = try PostgresSession.connect(admin, environment: Self.environment)
        defer { session.close() }
        try session.execute([statement])
    }

    func count(_ table: String) throws -> Int {
        let session = try session()
        defer { session.close() }
        return Int(try session.integer("SELECT count(*) FROM \(table)") ?? -1)
    }

    /// The rows of a statement, as the store's connection reads them.
    func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try PostgresServerConnection(location: location, environment: Self.environment).query(sql, arguments).rows
    }

    func drop() {
        try? admin("DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)")
    }
}
