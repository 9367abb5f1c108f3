import PostgresNIO

/// One INSERT with many rows (`VALUES (…), (…), …`): the recorder's rows go to PostgreSQL in a
/// few statements per batch rather than one round trip each. Rows accumulate until `flush`, or
/// until the statement nears PostgreSQL's 65,535 parameters.
struct MultiRowInsert {
    /// `INSERT INTO table (a, b, …)`.
    let head: String
    /// `ON CONFLICT …`, or empty.
    let tail: String
    private var binds = PostgresBindings()
    private var tuples: [String] = []

    init(_ head: String, _ tail: String = "") {
        self.head = head
        self.tail = tail
    }

    var isEmpty: Bool { tuples.isEmpty }

    /// The values of one row, in column order.
    struct Row {
        fileprivate var binds: PostgresBindings
        fileprivate var placeholders: [String] = []

        mutating func add<Value: PostgresNonThrowingEncodable>(_ value: Value?) {
            if let value { binds.append(value) } else { binds.appendNull() }
            placeholders.append("$\(binds.count)")
        }

        mutating func add(bytes: [UInt8]?) {
            add(bytes.map { ByteBuffer(bytes: $0) })
        }

        /// The id of the call of this run with this request sequence number (a later round's first round).
        mutating func addCallID(run: Int64?, requestSeq: Int?) {
            guard let run, let requestSeq else { return add(Int64?.none) }
            binds.append(run)
            binds.append(Int64(requestSeq))
            placeholders.append("(SELECT id FROM calls WHERE run_id = $\(binds.count - 1) AND request_seq = $\(binds.count))")
        }
    }

    /// Adds a row; flushes first when the statement would grow past PostgreSQL's limits.
    mutating func row(on session: PostgresSession, _ fill: (inout Row) -> Void) throws {
        if binds.count > 60_000 || tuples.count >= 2_000 { try flush(on: session) }
        var row = Row(binds: binds)
        binds = PostgresBindings()
        fill(&row)
        binds = row.binds
        tuples.append("(" + row.placeholders.joined(separator: ", ") + ")")
    }

    /// Sends the rows gathered so far, if any.
    mutating func flush(on session: PostgresSession) throws {
        guard !tuples.isEmpty else { return }
        let sql = "\(head) VALUES \(tuples.joined(separator: ", ")) \(tail)"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        binds = PostgresBindings()
        tuples.removeAll(keepingCapacity: true)
        try session.query(query)
    }
}
