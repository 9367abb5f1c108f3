import ArgusCore

/// One column of a row, as a record's `decode` reads it. Each backend reads its own rows
/// (`SQLiteColumn`); records and their values are written once against this.
protocol ColumnValue {
    var isNull: Bool { get }
    var int64: Int64 { get }
    var double: Double { get }
    var text: String { get }
    var blob: [UInt8] { get }
}

extension ColumnValue {
    /// The value as the property's type (NULL only into an optional).
    func decode<Value: DatabaseValueConvertible>() throws -> Value { isNull ? try Value.null() : try Value(column: self) }

    /// A JSON array of strings (`runs.args`, `runs.env_names`); [] when it is not one.
    func stringArray() throws -> [String] {
        let text: String? = try decode()
        guard let text, let items = (try? JSONParser.parse(text))?.arrayValue else { return [] }
        return items.compactMap(\.stringValue)
    }
}

/// A value a column holds and a property has: read from a row, bound to a statement.
protocol DatabaseValueConvertible {
    /// The value of a column that is not NULL.
    init(column: some ColumnValue) throws
    /// What NULL is: nil for an optional; an error for the rest.
    static func null() throws -> Self
    var databaseValue: SQLiteValue { get }
}

extension DatabaseValueConvertible {
    static func null() throws -> Self { throw UnexpectedColumnValue(what: "NULL where a value is required") }
}

/// A column held something its property cannot: NULL in a non-optional one, or a word this
/// version does not know (a newer argus's, which would also have raised the schema version).
struct UnexpectedColumnValue: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}

extension Int64: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = column.int64
    }

    var databaseValue: SQLiteValue { .int(self) }
}

extension Int: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = Int(column.int64)
    }

    var databaseValue: SQLiteValue { .int(Int64(self)) }
}

extension Int32: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        guard let value = Int32(exactly: column.int64) else { throw UnexpectedColumnValue(what: "\(column.int64) is out of range") }
        self = value
    }

    var databaseValue: SQLiteValue { .int(Int64(self)) }
}

extension Double: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = column.double
    }

    var databaseValue: SQLiteValue { .double(self) }
}

extension Bool: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = column.int64 != 0
    }

    var databaseValue: SQLiteValue { .int(self ? 1 : 0) }
}

extension String: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = column.text
    }

    var databaseValue: SQLiteValue { .text(self) }
}

extension Array: DatabaseValueConvertible where Element == UInt8 {
    init(column: some ColumnValue) throws {
        self = column.blob
    }

    var databaseValue: SQLiteValue { .blob(self) }
}

extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    init(column: some ColumnValue) throws {
        self = try Wrapped(column: column)
    }

    static func null() -> Self { nil }

    var databaseValue: SQLiteValue { map(\.databaseValue) ?? .null }
}

/// Words stored as text: an enum's raw value.
extension DatabaseValueConvertible where Self: RawRepresentable, RawValue == String {
    init(column: some ColumnValue) throws {
        let raw = column.text
        guard let value = Self(rawValue: raw) else { throw UnexpectedColumnValue(what: "unknown value \"\(raw)\"") }
        self = value
    }

    var databaseValue: SQLiteValue { .text(rawValue) }
}

extension CallStatus: DatabaseValueConvertible {}
extension Direction: DatabaseValueConvertible {}
extension MessageKind: DatabaseValueConvertible {}
extension EndReason: DatabaseValueConvertible {}
extension ScriptOutputRecord.Kind: DatabaseValueConvertible {}
