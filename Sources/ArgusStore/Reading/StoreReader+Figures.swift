import ArgusCore

extension StoreReader {
    public func stats(run: Int64?, server: String?, since: Int64?, excludeReplays: Bool) throws -> [ToolStats] {
        var conditions = Conditions()
        conditions.add("run_id = ?", ifSet: run)
        if excludeReplays && run == nil {
            conditions.add(Self.notReplay)
            conditions.add(Self.notChaos)  // injected faults are not the server's figures
        }
        if run == nil { conditions.add(Self.notMock) }
        conditions.add("server = ?", ifSet: server)
        conditions.add("started_at >= ?", ifSet: since)
        var figures = ToolStats.Builder()
        try connection.forEach(CallFigures.self, "SELECT \(CallFigures.selection) FROM calls \(conditions.sql)", conditions.arguments) {
            figures.add($0)
        }
        return figures.stats
    }

    public func forEachCallFigures(serverAnswersOnly: Bool, _ body: (CallFigures) throws -> Void) throws {
        let sql = "SELECT \(CallFigures.selection) FROM calls" + (serverAnswersOnly ? " WHERE \(Self.notServerAnswers)" : "")
        try connection.forEach(CallFigures.self, sql) { try body($0) }
    }
}
