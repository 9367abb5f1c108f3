import ArgusCore

/// One INSERT of many rows of a table (`VALUES (…), (…), …`): the recorder's rows go to
/// PostgreSQL in a few statements per batch rather than one round trip each. Rows accumulate
/// until `flush`, or until the statement nears PostgreSQL's 65,535 parameters. The columns are
/// the record's own (`Table.insertedColumns`), as SQLite's single-row insert has them.
struct MultiRowInsert<Record: TableRecord> {
    private var arguments: [SQLiteValue] = []
    private var tuples: [String] = []
    private let columns: [Record.Columns]
    private let head: String
    private let tail: String
    /// With `returning`, the rows each statement returned, in the order sent.
    private(set) var returned: [[SQLiteValue]] = []

    /// `columns`: those an insert writes (`Table.insertedColumns`), unless said otherwise;
    /// `returning`: columns of each inserted row to keep in `returned` (`RETURNING`).
    init(columns: [Record.Columns]? = nil, returning: String? = nil) {
        let table = Record.table
        self.columns = columns ?? table.insertedColumns
        head = "INSERT INTO \(table.name) (\(self.columns.map(\.rawValue).joined(separator: ", "))) VALUES "
        // A frame already stored at its position stays as it is (SQLite: INSERT OR IGNORE).
        tail = (table.conflict == .ignore ? " ON CONFLICT DO NOTHING" : "") + (returning.map { " RETURNING " + $0 } ?? "")
    }

    var isEmpty: Bool { tuples.isEmpty }

    /// Adds a row; flushes first when the statement would grow past PostgreSQL's limits.
    mutating func add(_ record: Record, on db: ServerRecordConnection) throws {
        if arguments.count + columns.count > 60_000 || tuples.count >= 2_000 { try flush(on: db) }
        var placeholders: [String] = []
        placeholders.reserveCapacity(columns.count)
        for column in columns {
            arguments.append(record.encode(column))
            placeholders.append("$\(arguments.count)")
        }
        tuples.append("(" + placeholders.joined(separator: ", ") + ")")
    }

    /// Sends the rows gathered so far, if any.
    mutating func flush(on db: ServerRecordConnection) throws {
        guard !tuples.isEmpty else { return }
        let sql = head + tuples.joined(separator: ", ") + tail
        let bound = arguments
        arguments.removeAll(keepingCapacity: true)
        tuples.removeAll(keepingCapacity: true)
        returned += try db.server.query(sql, bound).rows  // none without RETURNING
    }
}

extension TableRecord {
    /// A one-row insert in PostgreSQL's words: SQLite's `INSERT OR REPLACE` is an upsert on the
    /// table's key, `INSERT OR IGNORE` leaves the stored row. `returning` adds `RETURNING` that column.
    static func postgresInsert(key: [Columns] = [], returning: String? = nil) -> String {
        let table = Self.table
        let columns = table.insertedColumns
        var sql =
            "INSERT INTO \(table.name) (\(columns.map(\.rawValue).joined(separator: ", "))) VALUES ("
            + (1...columns.count).map { "$\($0)" }.joined(separator: ", ") + ")"
        switch table.conflict {
        case .abort: break
        case .ignore: sql += " ON CONFLICT DO NOTHING"
        case .replace:
            let updated = columns.filter { !key.contains($0) }.map { "\($0.rawValue) = EXCLUDED.\($0.rawValue)" }
            sql += " ON CONFLICT (\(key.map(\.rawValue).joined(separator: ", "))) DO UPDATE SET " + updated.joined(separator: ", ")
        }
        if let returning { sql += " RETURNING \(returning)" }
        return sql
    }
}
