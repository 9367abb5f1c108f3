import ArgusCore

extension SQLiteReader {
    /// `PRAGMA data_version`: a shared-memory read when nothing changed.
    public func dataVersion() throws -> Int64 { try db.scalarInt("PRAGMA data_version") ?? 0 }

    public func feedChanges(after seq: Int64, limit: Int) throws -> [FeedChange] {
        try db.fetchAll(
            FeedChange.self, "SELECT seq, kind, row_id FROM feed_changes WHERE seq > ? ORDER BY seq LIMIT ?",
            [.int(seq), .int(Int64(limit))])
    }

    public func feedRange() throws -> (oldest: Int64, newest: Int64) {
        let row = try db.query("SELECT COALESCE(MIN(seq), 0) AS oldest, COALESCE(MAX(seq), 0) AS newest FROM feed_changes").first
        return (row?.int("oldest") ?? 0, row?.int("newest") ?? 0)
    }

    public func snapshot<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }

    public func runRequests(after afterID: Int64, since: Int64) throws -> [RunRequest] {
        try db.fetchAll(
            RunRequest.self,
            """
            SELECT \(RunRequest.table.selection) FROM run_requests WHERE id > ? AND requested_at >= ? ORDER BY id
            """, [.int(afterID), .int(since)])
    }
}
