/// Many rows of a table in `COPY … FROM STDIN`'s text format: a line per row, the columns
/// tab-separated, `\N` for NULL, and backslash, tab, line feed and carriage return escaped in
/// values. The recorder's messages and calls, the bulk of every batch, go to PostgreSQL this
/// way: the server parses no statement and plans nothing per row. COPY has no `ON CONFLICT`,
/// so a refused COPY (`CopyRefused`) has its batch written again with `MultiRowInsert`.
struct CopyRows<Record: TableRecord> {
    private var text: [UInt8] = []
    private var count = 0
    private let columns: [Record.Columns]

    /// `columns`: those an insert writes (`Table.insertedColumns`), unless said otherwise.
    init(columns: [Record.Columns] = Record.table.insertedColumns) { self.columns = columns }

    var isEmpty: Bool { count == 0 }

    /// Adds a row; sends the rows gathered first when they passed `flushBytes` (memory stays bounded).
    mutating func add(_ record: Record, on db: ServerRecordConnection) throws {
        if text.count >= Self.flushBytes { try flush(on: db) }
        for (i, column) in columns.enumerated() {
            if i > 0 { text.append(UInt8(ascii: "\t")) }
            append(record.encode(column))
        }
        text.append(UInt8(ascii: "\n"))
        count += 1
    }

    static var flushBytes: Int { 8 << 20 }

    /// Sends the rows gathered so far, if any.
    mutating func flush(on db: ServerRecordConnection) throws {
        guard !isEmpty else { return }
        try db.server.copy(into: Record.table.name, columns: columns.map(\.rawValue), text: text)
        text.removeAll(keepingCapacity: text.capacity <= 2 * Self.flushBytes)
        count = 0
    }

    private mutating func append(_ value: SQLiteValue) {
        switch value {
        case .null: text += #"\N"#.utf8
        case .int(let v): text += String(v).utf8
        case .double(let v): text += (v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : String(v)).utf8
        case .text(var s): s.withUTF8 { appendEscaped($0) }
        case .blob(let bytes):  // bytea's hex form, its backslash escaped for COPY
            text += #"\\x"#.utf8
            let digits = Array("0123456789abcdef".utf8)
            for byte in bytes {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
    }

    /// A value's bytes, runs of ordinary bytes copied whole.
    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for i in bytes.indices {
            let escaped: UInt8
            switch bytes[i] {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            text.append(UInt8(ascii: "\\"))
            text.append(escaped)
            start = i + 1
        }
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }
}
