import ArgusCore

extension StoreReader {
    /// SQLite: `PRAGMA data_version`, a shared-memory read when nothing changed; PostgreSQL: the
    /// notifications of commits (LISTEN), counted as they come: no table is polled.
    public func dataVersion() throws -> Int64 { try connection.dataVersion() }

    public func feedChanges(after seq: Int64, limit: Int) throws -> [FeedChange] {
        try connection.fetchAll(
            FeedChange.self, "SELECT seq, kind, row_id FROM feed_changes WHERE seq > ? ORDER BY seq LIMIT ?",
            [.int(seq), .int(Int64(limit))])
    }

    public func feedRange() throws -> (oldest: Int64, newest: Int64) {
        // Two index lookups (PostgreSQL's MIN and MAX over a column with NULLs would not be).
        let oldest = try connection.scalarInt("SELECT seq FROM feed_changes WHERE seq IS NOT NULL ORDER BY seq LIMIT 1") ?? 0
        let newest = try connection.scalarInt("SELECT seq FROM feed_changes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1") ?? 0
        return (oldest, newest)
    }

    public func snapshot<T>(_ body: () throws -> T) throws -> T { try connection.snapshot(body) }

    public func runRequests(after afterID: Int64, since: Int64) throws -> [RunRequest] {
        try connection.fetchAll(
            RunRequest.self,
            """
            SELECT \(RunRequest.table.selection) FROM run_requests WHERE id > ? AND requested_at >= ? ORDER BY id
            """, [.int(afterID), .int(since)])
    }
}
