/// A WHERE clause built from optional filters: each filter that is set adds
/// its condition and its argument, in order.
struct Conditions {
    private(set) var clauses: [String] = []
    private(set) var arguments: [SQLiteValue] = []

    init(_ fixed: [String] = []) { clauses = fixed }

    /// Adds `clause` (with `?` placeholders for `values`) unconditionally.
    mutating func add(_ clause: String, _ values: [SQLiteValue] = []) {
        clauses.append(clause)
        arguments += values
    }

    mutating func add(_ clause: String, ifSet value: String?) {
        if let value { add(clause, [.text(value)]) }
    }

    mutating func add(_ clause: String, ifSet value: Int64?) {
        if let value { add(clause, [.int(value)]) }
    }

    var isEmpty: Bool { clauses.isEmpty }

    /// `WHERE a AND b`, or nothing.
    var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}
