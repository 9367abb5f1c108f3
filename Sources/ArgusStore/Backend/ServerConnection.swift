import ArgusCore

/// A connection to a database server (PostgreSQL), as a backend module supplies it (ArgusPostgres,
/// with PostgresNIO): the wire protocol, values and reconnection are its part; every statement
/// comes from here, ArgusStore, so the schema and the queries stay in one module.
/// Used by one thread at a time, and blocking it, like a SQLite connection.
public protocol ServerConnection: AnyObject {
    /// Where the store is, without any secret (for messages).
    var location: String { get }
    /// Runs one statement with `$1`, `$2`, … parameters and returns its rows (and, when there
    /// is at least one row, the columns' names). Outside a
    /// transaction a lost connection is opened again first; inside one it fails the statement.
    @discardableResult
    func query(_ sql: String, _ arguments: [SQLiteValue]) throws -> ServerRows
    /// Loads rows into `table` with COPY: `text` holds them in COPY's text format
    /// (`CopyRows`). Throws `CopyRefused` when the server refuses a row (one already stored, a
    /// value it cannot hold): the transaction is then spoilt, and the caller starts it again.
    func copy(into table: String, columns: [String], text: [UInt8]) throws
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// `readOnlySnapshot`: a read-only transaction in which every query sees the same snapshot.
    func transaction<T>(readOnlySnapshot: Bool, _ body: () throws -> T) throws -> T
    /// A number that changes whenever a writer commits something `channel` is notified of
    /// (PostgreSQL's LISTEN), or the connection was opened again (a notification may have been missed).
    func notificationCount(channel: String) throws -> Int64
}

/// The server refused rows sent with COPY (see `ServerConnection.copy`); the connection is fine.
public struct CopyRefused: Error, CustomStringConvertible {
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "the server refused rows sent with COPY: \(reason)" }
}

/// The rows of a statement: column names, then each row's values in that order.
public struct ServerRows: Sendable {
    public var columns: [String]
    public var rows: [[SQLiteValue]]

    public init(columns: [String], rows: [[SQLiteValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A column of a server's row (already copied out of the wire), read the way records read SQLite's.
struct ServerColumn: ColumnValue {
    let value: SQLiteValue

    var isNull: Bool { value == .null }

    var int64: Int64 {
        switch value {
        case .int(let v): v
        case .double(let v): Int64(v)
        case .text(let s): Int64(s) ?? 0
        case .null, .blob: 0
        }
    }

    var double: Double {
        switch value {
        case .int(let v): Double(v)
        case .double(let v): v
        case .text(let s): Double(s) ?? 0
        case .null, .blob: 0
        }
    }

    var text: String {
        switch value {
        case .text(let s): s
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: ""
        }
    }

    var blob: [UInt8] {
        switch value {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: []
        }
    }
}

/// `RecordConnection` over a server's connection: `?` placeholders become `$n`, rows decode into
/// records by column name, once per query.
final class ServerRecordConnection: RecordConnection {
    let server: any ServerConnection
    /// The channel whose notifications say that the live feed has something new.
    static let changesChannel = "argus_changes"

    init(_ server: any ServerConnection) {
        self.server = server
    }

    var dialect: SQLDialect { .postgres }

    func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> ServerRows {
        try server.query(Self.numberedPlaceholders(sql), arguments)
    }

    func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws {
        _ = try query(sql, arguments)
    }

    func fetchAll<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue],
        scope: String?
    ) throws -> [Record] {
        let result = try query(sql, arguments)
        guard !result.rows.isEmpty else { return [] }  // no row, no column names either
        let decoder = try ServerRowDecoder<Record>(result.columns, scope: scope)
        return try result.rows.map { try decoder.decode($0) }
    }

    /// Rows come through a cursor, a page at a time: a scan of every call (the figures) never
    /// holds more than a page in memory.
    func forEach<Record: FetchableRecord>(
        _: Record.Type, _ sql: String, _ arguments: [SQLiteValue], scope: String?,
        _ body: (Record) throws -> Void
    ) throws {
        try server.transaction(readOnlySnapshot: false) {
            try run("DECLARE argus_rows NO SCROLL CURSOR FOR " + sql, arguments)
            var decoder: ServerRowDecoder<Record>?
            while true {
                let page = try query("FETCH \(Self.pageSize) FROM argus_rows")
                if page.rows.isEmpty { break }
                let rows = try decoder ?? ServerRowDecoder<Record>(page.columns, scope: scope)
                decoder = rows
                for row in page.rows { try body(try rows.decode(row)) }
            }
            try run("CLOSE argus_rows")
        }
    }

    static let pageSize = 10_000

    func forEach<First: FetchableRecord, Second: FetchableRecord>(
        _: First.Type, _: Second.Type, scope: String, _ sql: String,
        _ arguments: [SQLiteValue],
        _ body: (First, () throws -> Second) throws -> Void
    ) throws {
        let result = try query(sql, arguments)
        guard !result.rows.isEmpty else { return }
        let first = try ServerRowDecoder<First>(result.columns, scope: nil)
        let second = try ServerRowDecoder<Second>(result.columns, scope: scope)
        for row in result.rows { try body(try first.decode(row), { try second.decode(row) }) }
    }

    func scalar(_ sql: String, _ arguments: [SQLiteValue]) throws -> SQLiteValue? {
        let value = try query(sql, arguments).rows.first?.first
        return value == .null ? nil : value
    }

    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try server.transaction(readOnlySnapshot: false, body)
    }

    func insertRows<Record: TableRecord>(_ records: [Record], columns: [Record.Columns]) throws {
        var insert = MultiRowInsert<Record>(columns: columns)
        for record in records { try insert.add(record, on: self) }
        try insert.flush(on: self)
    }

    func snapshot<T>(_ body: () throws -> T) throws -> T {
        try server.transaction(readOnlySnapshot: true, body)
    }

    func dataVersion() throws -> Int64 {
        try server.notificationCount(channel: Self.changesChannel)
    }

    /// `?` → `$1`, `$2`, …, outside quoted strings and names (the queries are written once, with `?`).
    static func numberedPlaceholders(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// Decodes a server's rows into records: the record's columns are found by name once per query.
struct ServerRowDecoder<Record: FetchableRecord> {
    private let columns = Record.Columns.allCases
    private let positions: [Int]

    init(_ names: [String], scope: String?) throws {
        var byName: [String: Int] = [:]
        for (i, name) in names.enumerated() where byName[name] == nil { byName[name] = i }
        positions = try columns.map { column in
            let name = scope.map { "\($0).\(column.rawValue)" } ?? column.rawValue
            guard let position = byName[name] else { throw StoreError.unreadable(column: name, reason: "not in the query") }
            return position
        }
    }

    func decode(_ row: [SQLiteValue]) throws -> Record {
        var record = Record.blank
        for i in columns.indices {
            do {
                try record.decode(columns[i], from: ServerColumn(value: row[positions[i]]))
            } catch {
                throw StoreError.unreadable(column: columns[i].rawValue, reason: "\(error)")
            }
        }
        return record
    }
}
