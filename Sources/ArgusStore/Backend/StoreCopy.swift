import ArgusCore

/// `argus store copy --from A --to B`: every recording of one store into another, SQLite or
/// PostgreSQL either way (a laptop's history into the team's store, or a run back out into a
/// file for a bug report). Rows keep their ids, so every link between them (a call's run, a
/// replay's original, a later round's first, a run's predecessor) holds without rewriting; that
/// is why the target must be empty, and a copy into one that is not is refused before anything
/// is written. The copy is one transaction on the target: all of it or nothing.
public enum StoreCopy {
    public struct Summary: Sendable, Equatable {
        /// Rows copied, by table, in the order they were copied.
        public var rows: [(table: String, count: Int)] = []

        public static func == (a: Summary, b: Summary) -> Bool {
            a.rows.map(\.table) == b.rows.map(\.table) && a.rows.map(\.count) == b.rows.map(\.count)
        }

        public func count(_ table: String) -> Int { rows.first { $0.table == table }?.count ?? 0 }
    }

    public struct NonEmptyTarget: Error, CustomStringConvertible {
        public var target: String
        public var runs: Int
        public var description: String {
            "\(target) already holds \(runs) run\(runs == 1 ? "" : "s"): a copy keeps every id, so it goes into an empty store "
                + "(a new database or file); nothing was copied"
        }
    }

    public static func copy(from source: String, to target: String) throws -> Summary {
        guard let reader = try ArgusDatabase.reader(path: source) as? StoreReader else {
            throw StoreError.notFound(what: "a readable store at \(source)")
        }
        let writer = try ArgusDatabase.writer(path: target)
        let into: any RecordConnection
        switch writer {
        case let sqlite as SQLiteWriter: into = sqlite.db
        case let server as PostgresWriter: into = server.db
        default: throw StoreError.notFound(what: "a writable store at \(target)")
        }
        let present = Int(try into.scalarInt("SELECT COUNT(*) FROM runs") ?? 0)
        guard present == 0 else { throw NonEmptyTarget(target: target, runs: present) }

        let from = reader.connection
        var summary = Summary()
        try from.snapshot {
            try into.writeTransaction {
                func table<Record: TableRecord>(_: Record.Type, from source: String? = nil, orderBy: String) throws {
                    let count = try copyRows(Record.self, from: from, source: source, orderBy: orderBy, to: into)
                    summary.rows.append((Record.table.name, count))
                }
                try table(RunRecord.self, orderBy: "runs.id")
                try table(MessageRecord.self, orderBy: "messages.id")
                try table(CallRecord.self, orderBy: "calls.id")
                try table(ToolSchemaRecord.self, orderBy: "tool_schemas.run_id, tool_schemas.name")
                try table(ServerLogRecord.self, orderBy: "server_logs.id")
                try table(SealedParams.self, orderBy: "sealed_params.run_id, sealed_params.seq")
                try table(ScriptOutputRecord.self, from: ScriptOutputRecord.source, orderBy: "script_outputs.id")
                try table(ScriptStatusRecord.self, orderBy: "script_status.script, script_status.argus_pid")
                try table(FaultRecord.self, orderBy: "faults.id")
                try table(RecorderEvent.self, orderBy: "recorder_events.id")
                // New rows on the target take ids after the copied ones.
                if into.dialect == .postgres {
                    for name in ["runs", "messages", "calls", "server_logs", "script_outputs", "faults", "recorder_events"] {
                        _ = try into.scalar(
                            "SELECT setval(pg_get_serial_sequence('\(name)', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM \(name)", [])
                    }
                }
            }
        }
        return summary
    }

    /// Every row of a table, read a page at a time and inserted with its stored columns (ids included).
    private static func copyRows<Record: TableRecord>(
        _: Record.Type, from: any RecordConnection, source: String?, orderBy: String,
        to into: any RecordConnection
    ) throws -> Int {
        let table = Record.table
        let columns = Record.Columns.allCases.filter { table.computed[$0] == nil }
        var page: [Record] = []
        var count = 0
        try from.forEach(Record.self, "SELECT \(table.selection) FROM \(source ?? table.name) ORDER BY \(orderBy)") { record in
            page.append(record)
            if page.count == 1000 {
                try into.insertRows(page, columns: columns)
                count += page.count
                page.removeAll(keepingCapacity: true)
            }
        }
        try into.insertRows(page, columns: columns)
        return count + page.count
    }
}
