import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// An SQLite failure with the code a caller can act on.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var extendedCode: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var text = "\(message) (SQLite error \(code))"
        if let sql { text += " in: \(sql.prefix(120))" }
        return text
    }

    /// The database is locked by another process; waiting may help.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isFull: Bool { code == SQLITE_FULL }
    public var isReadOnly: Bool { code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM }
    public var isCorrupt: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }

    /// A sentence a user can act on.
    public var explanation: String {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED: return "the database is locked by another process"
        case SQLITE_FULL: return "the disk is full"
        case SQLITE_READONLY, SQLITE_PERM: return "the database is read-only"
        case SQLITE_CANTOPEN: return "the database file cannot be opened or created"
        case SQLITE_CORRUPT, SQLITE_NOTADB: return "the file is not a valid Argus database (corrupt or another format)"
        case SQLITE_IOERR: return "a disk I/O error occurred"
        default: return message
        }
    }
}

/// A value to bind to a statement parameter.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// One SQLite connection. Not thread-safe: each thread (the writer, a
/// dashboard request) owns its own.
public final class SQLiteConnection {
    public let path: String
    let handle: OpaquePointer
    private var statements: [String: PreparedStatement] = [:]

    public enum Mode { case readOnly, readWrite, readWriteCreate }

    public init(path: String, mode: Mode = .readWriteCreate, busyTimeoutMillis: Int32 = 5000) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc & 0xFF, extendedCode: rc, message: message, sql: nil)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMillis)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, _ sql: String? = nil) -> SQLiteError {
        SQLiteError(code: rc & 0xFF, extendedCode: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: rc & 0xFF, extendedCode: rc, message: text, sql: sql)
        }
    }

    /// A cached prepared statement, reset and with bindings cleared.
    public func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] {
            sqlite3_reset(cached.handle)
            sqlite3_clear_bindings(cached.handle)
            return Statement(connection: self, prepared: cached, sql: sql)
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        let prepared = PreparedStatement(stmt)
        statements[sql] = prepared
        return Statement(connection: self, prepared: prepared, sql: sql)
    }

    /// Runs a statement and returns every row.
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [Row] {
        let statement = try self.statement(sql)
        try statement.bind(arguments)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs a statement that returns no rows (or ignores them).
    public func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) {
        let statement = try self.statement(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// `immediate` takes the write lock at once, so a writer waits for it (busy timeout) before
    /// doing anything rather than failing halfway.
    public func transaction<T>(immediate: Bool = false, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    public func scalarInt(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> Int64? {
        try query(sql, arguments).first?.int(0)
    }

    /// Drops cached statements (after a schema change by another process, for instance).
    public func clearStatementCache() {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        statements.removeAll()
    }

    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

/// A prepared statement as the connection caches it, with its result columns' positions by
/// name (found once: a statement's columns do not change).
final class PreparedStatement {
    let handle: OpaquePointer
    private(set) lazy var columnPositions: [String: Int32] = {
        var positions: [String: Int32] = [:]
        for i in 0..<sqlite3_column_count(handle) {
            let name = String(cString: sqlite3_column_name(handle, i))
            if positions[name] == nil { positions[name] = i }
        }
        return positions
    }()

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }
}

/// A prepared statement borrowed from a connection's cache.
public struct Statement {
    let connection: SQLiteConnection
    let prepared: PreparedStatement
    let sql: String

    var handle: OpaquePointer { prepared.handle }

    /// The positions of the result columns, by name.
    var columnPositions: [String: Int32] { prepared.columnPositions }

    public func bind(_ arguments: [SQLiteValue]) throws(SQLiteError) {
        for (i, value) in arguments.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    public func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .double(let v): rc = sqlite3_bind_double(handle, index, v)
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(
                    handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), sqlite3_uint64(raw.count),
                    argus_sqlite_transient())
            }
        case .text(let s):
            var copy = s
            rc = copy.withUTF8 { buffer -> Int32 in
                guard let base = buffer.baseAddress else {
                    return sqlite3_bind_text(handle, index, "", 0, argus_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    sqlite3_bind_text64(
                        handle, index, chars, sqlite3_uint64(buffer.count), argus_sqlite_transient(),
                        UInt8(SQLITE_UTF8))
                }
            }
        }
        if rc != SQLITE_OK { throw connection.error(rc, sql) }
    }

    /// Advances; true when a row is available.
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Column accessors for loops over many rows without building `Row`s.
    public func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

    public func optionalInt(_ i: Int32) -> Int64? {
        sqlite3_column_type(handle, i) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, i)
    }

    public func text(_ i: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, i) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
    }

    /// Ends the statement's read, so a long-lived connection does not hold an old snapshot.
    public func reset() { sqlite3_reset(handle) }

    public func row() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(handle, i) {
            case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(handle, i)))
            case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(handle, i)))
            case SQLITE_NULL: values.append(.null)
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, i))
                if let bytes = sqlite3_column_blob(handle, i) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: length))))
                } else {
                    values.append(.blob([]))
                }
            default:
                let length = Int(sqlite3_column_bytes(handle, i))
                if let text = sqlite3_column_text(handle, i) {
                    values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
                } else {
                    values.append(.text(""))
                }
            }
        }
        return Row(values: values, positions: columnPositions)
    }
}

/// A result row of an ad-hoc query (a count, a pragma), read by column name or position.
/// Records are read from the statement itself (`RowDecoder`), without this copy.
public struct Row: Sendable {
    public var values: [SQLiteValue]
    /// The columns' positions by name.
    let positions: [String: Int32]

    public func int(_ name: String) -> Int64? { positions[name].flatMap { int(Int($0)) } }
    public func text(_ name: String) -> String? { positions[name].flatMap { text(Int($0)) } }

    public func int(_ i: Int) -> Int64? {
        switch values[i] {
        case .int(let v): return v
        case .double(let v): return Int64(v)
        case .text(let s): return Int64(s)
        case .null, .blob: return nil
        }
    }

    public func double(_ i: Int) -> Double? {
        switch values[i] {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let s): return Double(s)
        case .null, .blob: return nil
        }
    }

    public func text(_ i: Int) -> String? {
        switch values[i] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case .null: return nil
        }
    }

    public func blob(_ i: Int) -> [UInt8]? {
        if case .blob(let b) = values[i] { return b }
        return nil
    }

    public func bool(_ i: Int) -> Bool { (int(i) ?? 0) != 0 }
}

extension SQLiteValue {
    public init(_ value: String?) { self = value.map(SQLiteValue.text) ?? .null }
    public init(_ value: Int?) { self = value.map { .int(Int64($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLiteValue.int) ?? .null }
    public init(_ value: Int32?) { self = value.map { .int(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .int(value ? 1 : 0) }
}
