import ArgusCore

/// `ArgusReader` over a SQL connection, SQLite's or PostgreSQL's: the queries are written once
/// (with `?` placeholders) and grouped by capability in `StoreReader+Runs`, `+Calls`, `+Faults`,
/// `+Messages`, `+Timeline`, `+Figures`, `+Scripts`, `+Telemetry` and `+Changes`; where the SQL of the two
/// differs, a query asks the connection's `dialect`. Used by one thread at a time.
public class StoreReader: ArgusReader {
    let connection: any RecordConnection
    public let location: String

    init(connection: any RecordConnection, location: String) {
        self.connection = connection
        self.location = location
    }

    /// A reader of a database server's store (PostgreSQL), bringing an older schema up to date.
    public static func server(_ server: any ServerConnection) throws -> StoreReader {
        let connection = ServerRecordConnection(server)
        try PostgresSchema.migrate(connection)
        return StoreReader(connection: connection, location: server.location)
    }

    /// The condition on `calls` (or a table with a `run_id` column) that leaves out replay runs.
    static let notReplay = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(RunRecord.replayKind)')"
    /// The condition that leaves out chaos runs (faults injected).
    static let notChaos = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(RunRecord.chaosKind)')"
    /// The condition that leaves out calls answered by `argus mock`.
    static let notMock = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(RunRecord.mockKind)')"
    /// The condition that leaves out every run whose answers are not a server's own: replays, mocks
    /// and chaos runs.
    static let notServerAnswers =
        "run_id NOT IN (SELECT id FROM runs WHERE kind IN "
        + "('\(RunRecord.replayKind)', '\(RunRecord.mockKind)', '\(RunRecord.chaosKind)'))"

    /// `1,2,3` for `IN (…)`: ids are integers, so they go into the SQL as text (no limit on how many).
    static func idList(_ ids: [Int64]) -> String { ids.map(String.init).joined(separator: ",") }

    // MARK: the store

    public func schemaVersion() throws -> Int {
        switch connection.dialect {
        case .sqlite: Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
        case .postgres: Int(try connection.scalarInt("SELECT version FROM argus_schema") ?? 0)
        }
    }

    public func journalMode() throws -> String {
        switch connection.dialect {
        case .sqlite: try connection.scalarText("PRAGMA journal_mode") ?? "?"
        case .postgres: "PostgreSQL " + (try connection.scalarText("SELECT current_setting('server_version')") ?? "?")
        }
    }

    public func counts() throws -> (runs: Int, calls: Int, messages: Int) {
        func count(_ table: String) throws -> Int { Int(try connection.scalarInt("SELECT COUNT(*) FROM \(table)") ?? 0) }
        return (try count("runs"), try count("calls"), try count("messages"))
    }
}
