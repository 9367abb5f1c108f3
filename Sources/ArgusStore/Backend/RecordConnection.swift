import ArgusCore

/// Where the SQL of the two backends differs, the queries ask this (the rest is written once).
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// A case-insensitive LIKE (SQLite's LIKE already is, for ASCII; PostgreSQL's is not).
    var caseInsensitiveLike: String { self == .sqlite ? "LIKE" : "ILIKE" }
}

/// What the queries of `StoreReader` need of a connection, whichever database is behind it:
/// SQLite's own (`SQLiteConnection`) or a server's (`ServerRecordConnection`, PostgreSQL).
/// Statements are written with `?` placeholders; each connection binds them its way.
protocol RecordConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Every row of a query, as records.
    func fetchAll<Record: FetchableRecord>(_: Record.Type, _ sql: String, _ arguments: [SQLiteValue], scope: String?) throws -> [Record]
    /// Each row of a query, as a record, without keeping them (a server's rows come in pages).
    func forEach<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue], scope: String?,
        _ body: (Record) throws -> Void) throws
    /// Rows that decode into two records (a join): the second, named `scope.column`, only when asked for.
    func forEach<First: FetchableRecord, Second: FetchableRecord>(
        _: First.Type, _: Second.Type, scope: String, _ sql: String,
        _ arguments: [SQLiteValue],
        _ body: (First, () throws -> Second) throws -> Void) throws
    /// The first column of the first row, if there is one and it is not NULL.
    func scalar(_ sql: String, _ arguments: [SQLiteValue]) throws -> SQLiteValue?
    /// Runs `body` in one read transaction: every query in it sees the same snapshot.
    func snapshot<T>(_ body: () throws -> T) throws -> T
    /// A number that changes whenever another connection commits.
    func dataVersion() throws -> Int64
    /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T
    /// Inserts records with these columns as they are (ids included): `argus store copy`.
    func insertRows<Record: TableRecord>(_ records: [Record], columns: [Record.Columns]) throws
}

extension RecordConnection {
    func fetchAll<Record: FetchableRecord>(_: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = []) throws -> [Record] {
        try fetchAll(Record.self, sql, arguments, scope: nil)
    }

    func fetchOne<Record: FetchableRecord>(_: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = []) throws -> Record? {
        try fetchAll(Record.self, sql, arguments).first
    }

    func forEach<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = [],
        _ body: (Record) throws -> Void
    ) throws {
        try forEach(Record.self, sql, arguments, scope: nil, body)
    }

    func scalarInt(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> Int64? {
        switch try scalar(sql, arguments) {
        case .int(let value): value
        case .double(let value): Int64(value)
        case .text(let text): Int64(text)
        default: nil
        }
    }

    func scalarText(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> String? {
        switch try scalar(sql, arguments) {
        case .text(let text): text
        case .int(let value): String(value)
        default: nil
        }
    }
}

extension SQLiteConnection: RecordConnection {
    var dialect: SQLDialect { .sqlite }

    func forEach<First: FetchableRecord, Second: FetchableRecord>(
        _: First.Type, _: Second.Type, scope: String, _ sql: String,
        _ arguments: [SQLiteValue],
        _ body: (First, () throws -> Second) throws -> Void
    ) throws {
        let statement = try self.statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        let first = try RowDecoder<First>(statement)
        let second = try RowDecoder<Second>(statement, scope: scope)
        while try statement.step() { try body(try first.decode(), { try second.decode() }) }
    }

    func scalar(_ sql: String, _ arguments: [SQLiteValue]) throws -> SQLiteValue? {
        let value = try query(sql, arguments).first?.values.first
        return value == .null ? nil : value
    }

    func snapshot<T>(_ body: () throws -> T) throws -> T { try transaction(immediate: false, body) }

    func writeTransaction<T>(_ body: () throws -> T) throws -> T { try transaction(immediate: true, body) }

    func insertRows<Record: TableRecord>(_ records: [Record], columns: [Record.Columns]) throws {
        guard !records.isEmpty else { return }
        let sql =
            "INSERT INTO \(Record.table.name) (\(columns.map(\.rawValue).joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        for record in records { try run(sql, columns.map { record.encode($0) }) }
    }

    /// `PRAGMA data_version`: a shared-memory read when nothing changed.
    func dataVersion() throws -> Int64 { try scalarInt("PRAGMA data_version") ?? 0 }
}
