import ArgusCore

/// The columns of a table (or of a query's rows), declared once: each case's raw value is the
/// column's name, and `allCases` their order in select lists and inserts.
protocol TableColumn: RawRepresentable<String>, CaseIterable, Hashable, Sendable where AllCases == [Self] {}

/// A type that rows decode into, column by column, by name (GRDB's `FetchableRecord`). A query
/// selects every column of `Columns`; each is read into the property it backs by `decode`, an
/// exhaustive switch, so a column added to `Columns` that is not read does not compile.
/// Column by column rather than an `init(row:)` that asks for each column by name: the columns
/// are then found by name once per query (`RowDecoder`), not once per row and column, which
/// would cost a page of 100 calls a good part of its time.
protocol FetchableRecord {
    associatedtype Columns: TableColumn
    /// What a row is decoded into: every property is then set from its column.
    static var blank: Self { get }
    /// Reads one column of the current row into the property it backs.
    mutating func decode(_ column: Columns, from value: some ColumnValue) throws
}

/// A record of one table (GRDB's habit: one record type per table). Its columns are declared
/// once, in `Columns`; the select list, the insert's column list and placeholders and the
/// binding follow from them (`Table`), and `encode` — an exhaustive switch again — gives each
/// column's value.
protocol TableRecord: FetchableRecord {
    static var table: Table<Self> { get }
    /// The value stored in `column` (unused for the columns the table does not insert).
    func encode(_ column: Columns) -> SQLiteValue
}

extension TableRecord {
    /// The values of the table's insert parameters (`Table.insertSQL`, `postgresInsert`), in order.
    var insertedValues: [SQLiteValue] { Self.table.insertedColumns.map { encode($0) } }
}

/// A table's name and the SQL its record's columns give, built once per record type.
struct Table<Record: TableRecord>: Sendable {
    enum Conflict: String, Sendable {
        case abort = "INSERT"
        case ignore = "INSERT OR IGNORE"
        case replace = "INSERT OR REPLACE"
    }

    let name: String
    /// What an insert does with a row whose key is already stored.
    let conflict: Conflict
    /// The columns an insert writes: all but those the database gives (an id) and those read
    /// from other tables (`computed`).
    let insertedColumns: [Record.Columns]
    /// Columns read from elsewhere, by the SQL expression that gives them in a query over `name`.
    let computed: [Record.Columns: String]
    /// `INSERT INTO name (a, b, …) VALUES (?, ?, …)`.
    let insertSQL: String
    /// `name.a, name.b, …`: every column of the record, for a query whose rows decode into it.
    let selection: String

    init(
        _ name: String, generated: Set<Record.Columns> = [], computed: [Record.Columns: String] = [:],
        onConflict conflict: Conflict = .abort
    ) {
        self.name = name
        self.conflict = conflict
        self.computed = computed
        insertedColumns = Record.Columns.allCases.filter { !generated.contains($0) && computed[$0] == nil }
        insertSQL =
            "\(conflict.rawValue) INTO \(name) (\(insertedColumns.map(\.rawValue).joined(separator: ", "))) "
            + "VALUES (\(Array(repeating: "?", count: insertedColumns.count).joined(separator: ", ")))"
        selection = Self.selection(name, computed, scope: nil)
    }

    /// The select list for a query that joins other tables with the same column names: the
    /// record's columns are named `scope.column` (`calls.id AS "call.id"`), and decoded with `scope`.
    func selection(scope: String) -> String { Self.selection(name, computed, scope: scope) }

    private static func selection(_ name: String, _ computed: [Record.Columns: String], scope: String?) -> String {
        Record.Columns.allCases.map { column in
            let expression = computed[column] ?? "\(name).\(column.rawValue)"
            guard let scope else { return computed[column] == nil ? expression : "\(expression) AS \(column.rawValue)" }
            return "\(expression) AS \"\(scope).\(column.rawValue)\""
        }.joined(separator: ", ")
    }
}
