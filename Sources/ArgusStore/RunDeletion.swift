/// Deleting whole runs: the run row and everything recorded in it (messages, calls, sealed
/// originals, script outputs, tool schemas, the server's stderr, recorder events, requests).
/// One transaction. Deleting calls (`CallDeletion`) keeps the run; this removes it.
public enum RunDeletion {
    public struct Outcome: Sendable {
        public var runs = 0
        public var calls = 0
    }

    /// Deletes the runs with these ids (unknown ids are ignored). The caller refuses runs that are
    /// still being recorded: a live wrap would go on writing into a run that no longer exists.
    public static func delete(runs ids: [Int64], in db: SQLiteConnection) throws -> Outcome {
        guard !ids.isEmpty else { return Outcome() }
        // One statement text for any list of ids (bound as a JSON array), so the statement cache stays small.
        let list: [SQLiteValue] = [.text("[" + ids.map(String.init).joined(separator: ",") + "]")]
        let runIDs = "(SELECT value FROM json_each(?))"
        // Freed pages are overwritten, so what is deleted (a leaked secret, say) is not left in the file's free space.
        try db.execute("PRAGMA secure_delete = ON")
        try db.execute("BEGIN IMMEDIATE")
        do {
            var outcome = Outcome()
            outcome.calls = Int(try db.scalarInt("SELECT COUNT(*) FROM calls WHERE run_id IN \(runIDs)", list) ?? 0)
            for table in ["messages", "calls", "sealed_params", "script_outputs", "tool_schemas", "server_logs", "recorder_events",
                          "run_requests"] {
                try db.run("DELETE FROM \(table) WHERE run_id IN \(runIDs)", list)
            }
            try db.run("UPDATE runs SET previous_run_id = NULL WHERE previous_run_id IN \(runIDs)", list)
            try db.run("DELETE FROM runs WHERE id IN \(runIDs)", list)
            outcome.runs = db.changes
            try db.execute("COMMIT")
            return outcome
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
