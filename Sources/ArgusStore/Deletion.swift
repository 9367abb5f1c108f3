import ArgusCore

/// Deleting recorded calls, with what belongs to them: their request and
/// response messages, sealed originals and script outputs; the runs' counters
/// are recomputed. One transaction.
public enum CallDeletion {
    public struct Selection: Sendable {
        public var run: Int64?
        /// Calls with an id below this one (older).
        public var beforeID: Int64?
        public var ids: [Int64]?
        /// Everything (must be asked for explicitly).
        public var all = false

        public init() {}

        public var isEmpty: Bool { run == nil && beforeID == nil && ids == nil && !all }
    }

    /// Returns how many calls were deleted.
    public static func delete(_ selection: Selection, in db: SQLiteConnection) throws -> Int {
        var conditions = Conditions()
        conditions.add("run_id = ?", ifSet: selection.run)
        conditions.add("id < ?", ifSet: selection.beforeID)
        if let ids = selection.ids {
            conditions.add("id IN (" + (ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",")) + ")")
        }
        if conditions.isEmpty && !selection.all { return 0 }
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("DROP TABLE IF EXISTS temp.doomed")
            try db.run("CREATE TEMP TABLE doomed AS SELECT id, run_id, request_seq, response_seq FROM calls \(conditions.sql)",
                       conditions.arguments)
            let count = Int(try db.scalarInt("SELECT COUNT(*) FROM temp.doomed") ?? 0)
            try db.execute("""
                DELETE FROM messages WHERE (run_id, seq) IN (
                    SELECT run_id, request_seq FROM temp.doomed
                    UNION ALL SELECT run_id, response_seq FROM temp.doomed WHERE response_seq IS NOT NULL);
                DELETE FROM sealed_params WHERE (run_id, seq) IN (SELECT run_id, request_seq FROM temp.doomed);
                DELETE FROM script_outputs WHERE (run_id, request_seq) IN (SELECT run_id, request_seq FROM temp.doomed);
                DELETE FROM calls WHERE id IN (SELECT id FROM temp.doomed);
                UPDATE runs SET
                    call_count = (SELECT COUNT(*) FROM calls WHERE calls.run_id = runs.id),
                    error_count = (SELECT COUNT(*) FROM calls WHERE calls.run_id = runs.id AND is_error = 1),
                    message_count = (SELECT COUNT(*) FROM messages WHERE messages.run_id = runs.id)
                WHERE id IN (SELECT DISTINCT run_id FROM temp.doomed);
                DROP TABLE temp.doomed;
                """)
            try db.execute("COMMIT")
            return count
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
