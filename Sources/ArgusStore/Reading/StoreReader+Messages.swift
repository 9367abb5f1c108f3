import ArgusCore

extension StoreReader {
    public func messages(run: Int64, afterSeq: Int, limit: Int) throws -> [MessageRecord] {
        try connection.fetchAll(
            MessageRecord.self,
            """
            SELECT \(MessageRecord.table.selection) FROM messages WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [.int(run), .int(Int64(afterSeq)), .int(Int64(limit))])
    }

    public func transportFrames(run: Int64, newest: Bool, limit: Int) throws -> [MessageRecord] {
        // The method is written out, not bound: SQLite (and PostgreSQL, for a generic plan) use a
        // partial index only when the query's own terms imply the index's condition.
        let frames = try connection.fetchAll(
            MessageRecord.self,
            """
            SELECT \(MessageRecord.table.selection) FROM messages
            WHERE run_id = ? AND method = '\(TransportEvent.method)' ORDER BY seq \(newest ? "DESC" : "") LIMIT ?
            """, [.int(run), .int(Int64(limit))])
        return newest ? frames.reversed() : frames
    }

    public func firstRequest(run: Int64, method: String) throws -> JSONValue? {
        try connection.scalarText(
            """
            SELECT body FROM messages WHERE run_id = ? AND method = ? AND kind = 'request' ORDER BY seq LIMIT 1
            """, [.int(run), .text(method)]
        ).flatMap { try? JSONParser.parse($0) }
    }

    public func clientAnswers(run: Int64) throws -> [String: JSONValue] {
        var answers: [String: JSONValue] = [:]
        try connection.forEach(
            MessageRecord.self,
            """
            SELECT \(MessageRecord.table.selection) FROM messages
            WHERE run_id = ? AND direction = 'c2s' AND kind = 'response' AND method IS NOT NULL ORDER BY seq
            """, [.int(run)]
        ) { message in
            guard let method = message.method, answers[method] == nil, let result = (try? JSONParser.parse(message.body))?["result"]
            else { return }
            answers[method] = result
        }
        return answers
    }

    public func toolSchemas(run: Int64) throws -> [ToolSchemaRecord] {
        try connection.fetchAll(
            ToolSchemaRecord.self,
            """
            SELECT \(ToolSchemaRecord.table.selection) FROM tool_schemas WHERE run_id = ? ORDER BY name
            """, [.int(run)])
    }

    public func latestToolSchema(server: String, tool: String, atOrBeforeRun run: Int64?) throws -> ToolSchemaRecord? {
        try connection.fetchOne(
            ToolSchemaRecord.self,
            """
            SELECT \(ToolSchemaRecord.table.selection) FROM tool_schemas JOIN runs ON runs.id = tool_schemas.run_id
            WHERE runs.server_name = ? AND tool_schemas.name = ? AND tool_schemas.run_id <= ?
            ORDER BY tool_schemas.run_id DESC LIMIT 1
            """, [.text(server), .text(tool), .int(run ?? .max)])
    }

    public func serverLogs(run: Int64, limit: Int) throws -> [ServerLogRecord] {
        try connection.fetchAll(
            ServerLogRecord.self,
            """
            SELECT \(ServerLogRecord.table.selection)
            FROM (SELECT * FROM server_logs WHERE run_id = ? ORDER BY id DESC LIMIT ?) AS server_logs ORDER BY id
            """, [.int(run), .int(Int64(limit))])
    }
}
