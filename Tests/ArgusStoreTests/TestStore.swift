import ArgusPostgres
import Foundation
import Testing
@testable import ArgusCore
@testable import ArgusStore

/// The store a test runs against: the same tests run on each backend (`@Test(arguments: TestStore.backends)`).
/// SQLite: a file in a fresh directory. PostgreSQL: a fresh database on the real server
/// Scripts/test.sh starts (ARGUS_TEST_POSTGRES_URL); without that variable the PostgreSQL runs
/// are skipped, saying why.
struct TestStore {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    static let backends = Backend.allCases

    let backend: Backend
    /// A SQLite file's path or a `postgres://` URL: what `--db` would be.
    let location: String

    private static let registered: Void = {
        let password = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_PASSWORD"] ?? ""
        PostgresBackend.register(environment: ProcessInfo.processInfo.environment.merging(["PGPASSWORD": password]) { $1 })
    }()

    /// A new, empty store; nil when the backend's server is not there (the reason is printed).
    static func make(_ backend: Backend) throws -> TestStore? {
        switch backend {
        case .sqlite:
            return TestStore(backend: backend, location: temporaryDirectory() + "/nested/argus.db")
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"] else {
                print("skipping the PostgreSQL run: ARGUS_TEST_POSTGRES_URL is not set (Scripts/test.sh starts a server and sets it)")
                return nil
            }
            _ = registered
            let admin = try StoreBackends.connect(url)
            let name = "argus_store_\(UUID().uuidString.prefix(8).lowercased())"
            _ = try admin.query("CREATE DATABASE \(name)", [])
            var location = try PostgresLocation(url: url, environment: [:])
            location.database = name
            return TestStore(backend: backend, location: location.description)
        }
    }

    func reader() throws -> any ArgusReader { try ArgusDatabase.reader(path: location) }
    func writer() throws -> any ArgusWriter { try ArgusDatabase.writer(path: location) }

    /// Writes ops as `argus wrap` does, through the recorder's writer thread; returns how many it abandoned.
    @discardableResult
    func record(_ ops: [RecordOp]) -> Int {
        let writer = BatchedWriter(options: .init(path: location), report: { _ in })
        for op in ops { writer.submit(op) }
        return writer.finish(timeoutSeconds: 10).opsAbandoned
    }

    /// Runs a statement of the backend's own SQL (with `?` placeholders) outside Argus's queries;
    /// returns the first column of the first row, if any.
    @discardableResult
    func sql(_ statement: String, _ arguments: [SQLiteValue] = []) throws -> SQLiteValue? {
        switch backend {
        case .sqlite:
            return try ArgusDatabase.openForWriting(path: location).query(statement, arguments).first?.values.first
        case .postgres:
            let connection = ServerRecordConnection(try StoreBackends.connect(location))
            return try connection.query(statement, arguments).rows.first?.first
        }
    }
}
