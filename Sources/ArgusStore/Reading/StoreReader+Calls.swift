import ArgusCore

extension StoreReader {
    public func calls(_ filter: CallFilter) throws -> [CallRecord] {
        var conditions = Conditions()
        conditions.add("calls.run_id = ?", ifSet: filter.run)
        conditions.add("calls.server = ?", ifSet: filter.server)
        conditions.add("calls.tool = ?", ifSet: filter.tool)
        conditions.add("calls.method = ?", ifSet: filter.method)
        if filter.errorsOnly { conditions.add("calls.is_error = 1") }
        conditions.add("calls.status = ?", ifSet: filter.status?.rawValue)
        conditions.add("calls.started_at >= ?", ifSet: filter.since)
        conditions.add("calls.started_at < ?", ifSet: filter.until)
        conditions.add("calls.id < ?", ifSet: filter.beforeID)
        conditions.add("calls.id > ?", ifSet: filter.afterID)
        if filter.excludeReplays && filter.run == nil { conditions.add("calls." + Self.notReplay) }
        if let text = filter.text, !text.isEmpty {
            let pattern = "%" + text.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
            let like = connection.dialect.caseInsensitiveLike
            conditions.add(
                """
                (calls.tool LIKE ?1x ESCAPE '\\' OR calls.method LIKE ?1x ESCAPE '\\' OR calls.error_message LIKE ?1x ESCAPE '\\'
                 OR EXISTS (SELECT 1 FROM messages m WHERE m.run_id = calls.run_id
                            AND m.seq IN (calls.request_seq, calls.response_seq) AND m.body LIKE ?1x ESCAPE '\\'))
                """.replacing("LIKE", with: like).replacing("?1x", with: "?"), Array(repeating: .text(pattern), count: 4))
        }
        // Forward from an `after` cursor the oldest come first, so the next cursor is the newest id
        // returned and a poller never skips or repeats a call.
        let order = filter.afterID != nil ? "ASC" : "DESC"
        let arguments = conditions.arguments + [.int(Int64(filter.limit))]
        guard filter.server != nil || filter.tool != nil else {
            return try connection.fetchAll(
                CallRecord.self,
                "SELECT \(CallRecord.table.selection) FROM calls \(conditions.sql) ORDER BY calls.id \(order) LIMIT ?",
                arguments)
        }
        // One server's or tool's page: its ids first, which that column's index holds (with
        // `run_id`, on PostgreSQL), so no planner walks the primary key through other servers'
        // newer calls to find them (PostgresSchema's migration 2 says why it would).
        return try connection.fetchAll(
            CallRecord.self,
            """
            SELECT \(CallRecord.table.selection) FROM calls
            WHERE calls.id IN (SELECT calls.id FROM calls \(conditions.sql) ORDER BY calls.id \(order) LIMIT ?)
            ORDER BY calls.id \(order)
            """, arguments)
    }

    public func calls(ids: [Int64]) throws -> [CallRecord] {
        guard !ids.isEmpty else { return [] }
        return try connection.fetchAll(
            CallRecord.self,
            "SELECT \(CallRecord.table.selection) FROM calls WHERE calls.id IN (\(Self.idList(ids))) ORDER BY calls.id")
    }

    public func call(id: Int64) throws -> CallDetail? {
        guard
            let call = try connection.fetchOne(
                CallRecord.self, "SELECT \(CallRecord.table.selection) FROM calls WHERE calls.id = ?",
                [.int(id)])
        else { return nil }
        return try details([call]).first
    }

    public func details(_ calls: [CallRecord]) throws -> [CallDetail] {
        try calls.map { call in
            let requestBody = try messageBody(run: call.runID, seq: call.requestSeq)
            let responseBody = try call.responseSeq.flatMap { try messageBody(run: call.runID, seq: $0) }
            return CallDetail(call: call, requestBody: requestBody, responseBody: responseBody)
        }
    }

    func messageBody(run: Int64, seq: Int) throws -> String? {
        try connection.scalarText("SELECT body FROM messages WHERE run_id = ? AND seq = ?", [.int(run), .int(Int64(seq))])
    }

    public func replays(of callID: Int64, limit: Int) throws -> [CallRecord] {
        try connection.fetchAll(
            CallRecord.self,
            """
            SELECT \(CallRecord.table.selection) FROM calls WHERE calls.replay_of = ? ORDER BY calls.id DESC LIMIT ?
            """, [.int(callID), .int(Int64(limit))])
    }

    public func rounds(of call: CallRecord) throws -> [CallRecord] {
        guard call.round != nil || call.firstCallID != nil else { return [] }
        let first = call.firstCallID ?? call.id
        return try connection.fetchAll(
            CallRecord.self,
            """
            SELECT \(CallRecord.table.selection) FROM calls WHERE calls.id = ? OR calls.first_call_id = ?
            ORDER BY calls.round, calls.id
            """, [.int(first), .int(first)])
    }

    public func newestCallID() throws -> Int64 { try connection.scalarInt("SELECT COALESCE(MAX(id), 0) FROM calls") ?? 0 }

    public func sealedParams(run: Int64, seq: Int) throws -> (keyID: String, bytes: [UInt8])? {
        guard
            let sealed = try connection.fetchOne(
                SealedParams.self,
                """
                SELECT \(SealedParams.table.selection) FROM sealed_params WHERE run_id = ? AND seq = ?
                """, [.int(run), .int(Int64(seq))])
        else { return nil }
        return (sealed.keyID, sealed.sealed)
    }
}
