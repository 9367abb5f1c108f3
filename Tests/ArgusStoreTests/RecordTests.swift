import Testing
@testable import ArgusCore
@testable import ArgusStore

/// One record type per table, its columns declared once and read by name.
@Suite struct RecordTests {
    /// The columns a table has, from SQLite itself.
    static func columns(of table: String, in db: SQLiteConnection) throws -> Set<String> {
        Set(try db.query("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap { $0.text("name") })
    }

    /// The columns a record declares for its own table (not those it reads from others).
    static func declared<Record: TableRecord>(_: Record.Type) -> (table: String, columns: Set<String>) {
        let table = Record.table
        return (table.name, Set(Record.Columns.allCases.filter { table.computed[$0] == nil }.map(\.rawValue)))
    }

    @Test func everyTableHasARecordThatDeclaresEachOfItsColumns() throws {
        let db = try ArgusDatabase.openForWriting(path: temporaryDirectory() + "/argus.db")
        let records: [(table: String, columns: Set<String>)] = [
            Self.declared(RunRecord.self), Self.declared(MessageRecord.self), Self.declared(CallRecord.self),
            Self.declared(ToolSchemaRecord.self), Self.declared(ServerLogRecord.self), Self.declared(ScriptOutputRecord.self),
            Self.declared(ScriptStatusRecord.self), Self.declared(SealedParams.self), Self.declared(RunRequest.self),
            Self.declared(RecorderEvent.self), Self.declared(FaultRecord.self), Self.declared(ExportStatusRecord.self),
            ("feed_changes", Set(FeedChange.Columns.allCases.map(\.rawValue))),
        ]
        for (table, columns) in records {
            #expect(try Self.columns(of: table, in: db) == columns, "\(table)")
        }
        let tables = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.text("name") })
        #expect(tables == Set(records.map(\.table)))
    }

    /// The two schemas are written side by side; they must stay in step: every SQLite table in
    /// PostgreSQL with the same columns, plus only what many writers need there.
    @Test func postgreSQLHasEveryTableAndColumnOfSQLite() throws {
        guard let store = try TestStore.make(.postgres) else { return }
        _ = try store.writer()
        let sqlite = try ArgusDatabase.openForWriting(path: temporaryDirectory() + "/argus.db")
        let sqliteTables = Set(try sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.text("name") })
        guard
            case .text(let listed) = try store.sql(
                """
                SELECT string_agg(table_name || '.' || column_name, ' ') FROM information_schema.columns WHERE table_schema = 'public'
                """)
        else { Issue.record("no columns"); return }
        var postgres: [String: Set<String>] = [:]
        for pair in listed.split(separator: " ") {
            let parts = pair.split(separator: ".", maxSplits: 1).map(String.init)
            postgres[parts[0], default: []].insert(parts[1])
        }
        let ownTables: Set<String> = ["recorder_batches", "argus_schema", "feed_commits"]
        #expect(Set(postgres.keys) == sqliteTables.union(ownTables))
        let ownColumns: [String: Set<String>] = ["runs": ["origin", "origin_run"], "feed_changes": ["id"]]
        for table in sqliteTables {
            #expect(postgres[table] == (try Self.columns(of: table, in: sqlite)).union(ownColumns[table] ?? []), "\(table)")
        }
    }

    @Test func rowsAreReadByColumnNameWhateverTheOrderOfTheSelectList() throws {
        let path = temporaryDirectory() + "/argus.db"
        let writer = BatchedWriter(options: .init(path: path), report: { _ in })
        for op in sampleSession(calls: 3) { writer.submit(op) }
        #expect(writer.finish(timeoutSeconds: 5).opsAbandoned == 0)
        let db = try ArgusDatabase.openForReading(path: path)
        let inOrder = try db.fetchAll(RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs")
        let reversed = RunRecord.Columns.allCases.reversed().map { "runs.\($0.rawValue)" }.joined(separator: ", ")
        let backwards = try db.fetchAll(RunRecord.self, "SELECT \(reversed) FROM runs")
        #expect(backwards.map(\.serverName) == ["sample"] && backwards.map(\.args) == [["--x"]])
        #expect(backwards.map(\.callCount) == inOrder.map(\.callCount) && backwards.map(\.endReason) == [.clientEOF])
    }

    @Test(arguments: TestStore.backends) func aValueItsRecordCannotHoldIsReportedWithItsColumn(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 1)) == 0)
        try store.sql("UPDATE calls SET status = 'postponed'")
        #expect {
            try store.reader().calls(CallFilter())
        } throws: { error in
            "\(error)" == #"cannot read column status: unknown value "postponed""#
        }
    }
}
