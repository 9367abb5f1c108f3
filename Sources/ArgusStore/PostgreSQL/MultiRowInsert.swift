import ArgusCore

/// One INSERT of many rows of a table (`VALUES (…), (…), …`): the recorder's rows go to
/// PostgreSQL in a few statements per batch rather than one round trip each. Rows accumulate
/// until `flush`, or until the statement nears PostgreSQL's 65,535 parameters. The columns are
/// the record's own (`Table.insertedColumns`), as SQLite's single-row insert has them.
struct MultiRowInsert<Record: TableRecord> {
    private var arguments: [SQLiteValue] = []
    private var rows = 0
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

    var isEmpty: Bool { rows == 0 }

    /// Whether the next row would grow the statement past PostgreSQL's limits (`add` flushes first).
    var isFull: Bool { arguments.count + columns.count > 60_000 || rows >= 2_000 }

    /// Adds a row; flushes first when the statement would grow past PostgreSQL's limits.
    mutating func add(_ record: Record, on db: ServerRecordConnection) throws {
        if isFull { try flush(on: db) }
        for column in columns { arguments.append(record.encode(column)) }
        rows += 1
    }

    /// Sends the rows gathered so far, if any.
    mutating func flush(on db: ServerRecordConnection) throws {
        guard !isEmpty else { return }
        let sql = head + Self.placeholders(rows: rows, columns: columns.count) + tail
        let bound = arguments
        arguments.removeAll(keepingCapacity: true)
        rows = 0
        returned += try db.server.query(sql, bound).rows  // none without RETURNING
    }

    /// `($1, $2), ($3, $4), …`: written at once into one string (building a string per row
    /// and joining them was a few per cent of a recorder's CPU).
    static func placeholders(rows: Int, columns: Int) -> String {
        var text = ""
        text.reserveCapacity(rows * columns * 8)
        var number = 0
        for row in 0..<rows {
            text += row == 0 ? "(" : ", ("
            for column in 0..<columns {
                number += 1
                if column > 0 { text += ", " }
                text += "$"
                text += String(number)
            }
            text += ")"
        }
        return text
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
