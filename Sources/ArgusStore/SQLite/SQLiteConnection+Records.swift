import CSQLite

/// A column of the statement's current row: read straight from SQLite, nothing copied but
/// the value asked for.
struct SQLiteColumn: ColumnValue {
    let handle: OpaquePointer
    let index: Int32

    var isNull: Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }
    var int64: Int64 { sqlite3_column_int64(handle, index) }
    var double: Double { sqlite3_column_double(handle, index) }

    var text: String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
    }

    var blob: [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))))
    }
}

/// Decodes a statement's rows into records: the record's columns are found by name once per
/// query, then each row is read column by column.
struct RowDecoder<Record: FetchableRecord> {
    private let handle: OpaquePointer
    private let columns = Record.Columns.allCases
    private let positions: [Int32]

    /// `scope`: the prefix of the record's column names in a join (`"call.id"`).
    init(_ statement: Statement, scope: String? = nil) throws {
        handle = statement.handle
        let names = statement.columnPositions
        positions = try columns.map { column in
            let name = scope.map { "\($0).\(column.rawValue)" } ?? column.rawValue
            guard let position = names[name] else { throw StoreError.unreadable(column: name, reason: "not in the query") }
            return position
        }
    }

    func decode() throws -> Record {
        var record = Record.blank
        for i in columns.indices {
            do {
                try record.decode(columns[i], from: SQLiteColumn(handle: handle, index: positions[i]))
            } catch {
                throw StoreError.unreadable(column: columns[i].rawValue, reason: "\(error)")
            }
        }
        return record
    }
}

extension SQLiteConnection {
    /// Every row of a query, as records.
    func fetchAll<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = [],
        scope: String? = nil
    ) throws -> [Record] {
        var records: [Record] = []
        try forEach(Record.self, sql, arguments, scope: scope) { records.append($0) }
        return records
    }

    func fetchOne<Record: FetchableRecord>(_: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = []) throws -> Record? {
        try fetchAll(Record.self, sql, arguments).first
    }

    /// Each row of a query, as a record, without keeping them.
    func forEach<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue] = [], scope: String? = nil,
        _ body: (Record) throws -> Void
    ) throws {
        let statement = try self.statement(sql)
        defer { statement.reset() }  // a query left midway would keep its read snapshot
        try statement.bind(arguments)
        let decoder = try RowDecoder<Record>(statement, scope: scope)
        while try statement.step() { try body(try decoder.decode()) }
    }

    /// Inserts a record into its table; returns its row id.
    @discardableResult
    func insert<Record: TableRecord>(_ record: Record) throws -> Int64 {
        let table = Record.table
        let statement = try self.statement(table.insertSQL)
        for (i, column) in table.insertedColumns.enumerated() { try statement.bind(record.encode(column), at: Int32(i + 1)) }
        while try statement.step() {}
        return lastInsertRowID
    }
}
