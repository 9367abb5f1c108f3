import ArgusCore

/// Reads an SQLite recording: `ArgusReader` over one connection, used by one thread at a time.
/// The queries are grouped by capability in `SQLiteReader+Runs`, `+Calls`, `+Messages`,
/// `+Timeline`, `+Figures`, `+Scripts` and `+Changes`.
public final class SQLiteReader: ArgusReader {
    public let db: SQLiteConnection

    public init(db: SQLiteConnection) {
        self.db = db
    }

    public convenience init(path: String) throws {
        self.init(db: try ArgusDatabase.openForReading(path: path))
    }

    public var location: String { db.path }

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

    public func schemaVersion() throws -> Int { Int(try db.scalarInt("PRAGMA user_version") ?? 0) }

    public func journalMode() throws -> String { try db.query("PRAGMA journal_mode").first?.text(0) ?? "?" }

    public func counts() throws -> (runs: Int, calls: Int, messages: Int) {
        func count(_ table: String) throws -> Int { Int(try db.scalarInt("SELECT COUNT(*) FROM \(table)") ?? 0) }
        return (try count("runs"), try count("calls"), try count("messages"))
    }
}
