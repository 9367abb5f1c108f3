import ArgusCore

extension StoreReader {
    public func runs(limit: Int, server: String?, beforeID: Int64?, excludeReplays: Bool, keeping: [Int64]) throws -> [RunRecord] {
        var conditions = Conditions()
        conditions.add("server_name = ?", ifSet: server)
        conditions.add("id < ?", ifSet: beforeID)
        if excludeReplays {
            conditions.add("(kind != ? OR id IN (\(keeping.isEmpty ? "NULL" : Self.idList(keeping))))", [.text(RunRecord.replayKind)])
        }
        return try connection.fetchAll(
            RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs \(conditions.sql) ORDER BY id DESC LIMIT ?",
            conditions.arguments + [.int(Int64(limit))])
    }

    public func runs(ids: [Int64]) throws -> [RunRecord] {
        guard !ids.isEmpty else { return [] }
        return try connection.fetchAll(
            RunRecord.self,
            "SELECT \(RunRecord.table.selection) FROM runs WHERE id IN (\(Self.idList(ids))) ORDER BY id")
    }

    public func openRuns() throws -> [RunRecord] {
        try connection.fetchAll(RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs WHERE ended_at IS NULL ORDER BY id")
    }

    public func run(id: Int64) throws -> RunRecord? {
        try connection.fetchOne(RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs WHERE id = ?", [.int(id)])
    }

    public func run(following run: Int64) throws -> RunRecord? {
        try connection.fetchOne(
            RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs WHERE previous_run_id = ? ORDER BY id LIMIT 1",
            [.int(run)])
    }
}
