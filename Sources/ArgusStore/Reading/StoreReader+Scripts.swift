import ArgusCore

extension StoreReader {
    public func scriptOutputs(
        kind: ScriptOutputRecord.Kind?, script: String?, run: Int64?, requestSeq: Int?, limit: Int,
        beforeID: Int64?, afterID: Int64?
    ) throws -> [ScriptOutputRecord] {
        var conditions = Conditions()
        conditions.add("script_outputs.kind = ?", ifSet: kind?.rawValue)
        conditions.add("script_outputs.script = ?", ifSet: script)
        conditions.add("script_outputs.run_id = ?", ifSet: run)
        conditions.add("script_outputs.request_seq = ?", ifSet: requestSeq.map(Int64.init))
        conditions.add("script_outputs.id < ?", ifSet: beforeID)
        conditions.add("script_outputs.id > ?", ifSet: afterID)
        let rows = try scriptOutputs(where: conditions, order: afterID != nil ? "ASC" : "DESC", limit: limit)
        return afterID != nil ? rows.reversed() : rows
    }

    public func scriptOutputs(ids: [Int64]) throws -> [ScriptOutputRecord] {
        guard !ids.isEmpty else { return [] }
        return try scriptOutputs(where: Conditions(["script_outputs.id IN (\(Self.idList(ids)))"]), order: "ASC", limit: ids.count)
    }

    private func scriptOutputs(where conditions: Conditions, order: String, limit: Int) throws -> [ScriptOutputRecord] {
        try connection.fetchAll(
            ScriptOutputRecord.self,
            """
            SELECT \(ScriptOutputRecord.table.selection) FROM \(ScriptOutputRecord.source)
            \(conditions.sql) ORDER BY script_outputs.id \(order) LIMIT ?
            """, conditions.arguments + [.int(Int64(limit))])
    }

    public func metrics(name: String?, script: String?, since: Int64?) throws -> [MetricSeries] {
        var conditions = Conditions(["script_outputs.kind = 'metric'"])
        conditions.add("script_outputs.name = ?", ifSet: name)
        conditions.add("script_outputs.script = ?", ifSet: script)
        conditions.add("script_outputs.ts >= ?", ifSet: since)
        var series = MetricSeries.Builder()
        try connection.forEach(
            MetricSample.self,
            """
            SELECT \(MetricSample.selection) FROM script_outputs \(conditions.sql) ORDER BY script_outputs.id
            """, conditions.arguments
        ) { series.add($0) }
        return series.series
    }

    public func scriptStatuses() throws -> [ScriptStatusRecord] {
        try connection.fetchAll(
            ScriptStatusRecord.self,
            "SELECT \(ScriptStatusRecord.table.selection) FROM script_status ORDER BY updated_at DESC")
    }
}
