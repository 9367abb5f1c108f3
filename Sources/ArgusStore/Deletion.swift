import ArgusCore

/// Deleting recorded calls, with everything that belongs to them: their
/// request and response messages, the progress and cancellation notifications
/// that name them, sealed originals and script outputs; the runs' counters are
/// recomputed. When whole runs are in scope (`run=` alone, or `all`), their
/// other traffic goes too: notifications, frames that were not JSON, the
/// server's stderr lines and `stderr_tail`, and the sealed command line.
///
/// Deleted bytes are really gone: connections run with `secure_delete` (freed
/// space is zeroed) and a checkpoint truncates the WAL, which still holds the
/// old pages, afterwards.
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

        /// Whole runs are deleted, not some of their calls.
        var coversWholeRuns: Bool { all || (run != nil && beforeID == nil && ids == nil) }
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
        let count: Int
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("DROP TABLE IF EXISTS temp.doomed")
            try db.run("""
                CREATE TEMP TABLE doomed AS
                SELECT id, run_id, request_seq, response_seq, direction, jsonrpc_id,
                       (SELECT CASE WHEN json_valid(m.body) THEN json_extract(m.body, '$.params._meta.progressToken') END
                          FROM messages m WHERE m.run_id = calls.run_id AND m.seq = calls.request_seq) AS progress_token
                FROM calls \(conditions.sql)
                """, conditions.arguments)
            count = Int(try db.scalarInt("SELECT COUNT(*) FROM temp.doomed") ?? 0)
            if selection.coversWholeRuns {
                try deleteRunTraffic(selection.all ? "SELECT id FROM runs" : "SELECT \(selection.run ?? 0) AS id", in: db)
            } else {
                try db.execute("DROP TABLE IF EXISTS temp.scope; CREATE TEMP TABLE scope (id INTEGER);")
                // Notifications that name a doomed call: progress by its token (while it ran),
                // cancellation by its id. Searched by position, from the request on.
                try db.execute("""
                    DELETE FROM messages WHERE id IN (
                        SELECT m.id FROM temp.doomed d JOIN messages m
                          ON m.run_id = d.run_id AND m.seq > d.request_seq
                         AND m.seq < COALESCE(d.response_seq, 9223372036854775807)
                        WHERE m.kind = 'notification' AND json_valid(m.body) AND (
                              (m.method = 'notifications/progress' AND d.progress_token IS NOT NULL
                               AND json_extract(m.body, '$.params.progressToken') = d.progress_token)
                           OR (m.method = 'notifications/cancelled' AND m.direction = d.direction AND json_valid(d.jsonrpc_id)
                               AND json_extract(m.body, '$.params.requestId') = json_extract(d.jsonrpc_id, '$'))));
                    """)
            }
            try FaultWriting.deleteFaults(ofCallsIn: "temp.doomed", in: db)
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
                WHERE id IN (SELECT DISTINCT run_id FROM temp.doomed) OR id IN (SELECT id FROM temp.scope);
                DROP TABLE temp.doomed;
                DROP TABLE IF EXISTS temp.scope;
                """)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        ArgusDatabase.checkpointAndTruncate(db)
        return count
    }

    /// Everything of these runs that is not a call: every message, the stderr lines and
    /// tail, script outputs, sealed params and the sealed command line. A command line
    /// recorded before arguments were redacted is redacted now.
    static func deleteRunTraffic(_ runs: String, in db: SQLiteConnection) throws {
        try db.execute("""
            DROP TABLE IF EXISTS temp.scope;
            CREATE TEMP TABLE scope AS \(runs);
            DELETE FROM messages WHERE run_id IN (SELECT id FROM temp.scope);
            DELETE FROM server_logs WHERE run_id IN (SELECT id FROM temp.scope);
            DELETE FROM script_outputs WHERE run_id IN (SELECT id FROM temp.scope);
            DELETE FROM sealed_params WHERE run_id IN (SELECT id FROM temp.scope);
            DELETE FROM faults WHERE run_id IN (SELECT id FROM temp.scope);
            UPDATE runs SET stderr_tail = NULL, args_key_id = NULL, args_sealed = NULL WHERE id IN (SELECT id FROM temp.scope);
            """)
        let redactor = Redactor(policy: RedactionPolicy())
        for row in try db.query("SELECT id, command, args FROM runs WHERE id IN (SELECT id FROM temp.scope)") {
            guard let id = row.int(0), let command = row.text(1),
                  let args = redactor.redactArguments(command: command, ArgusReader.stringArray(row.text(2))) else { continue }
            try db.run("UPDATE runs SET args = ? WHERE id = ?", [.text(RecordApplier.jsonArray(args)), .int(id)])
        }
    }
}

/// Deleting whole runs: the run rows and everything recorded in them (messages, calls, sealed
/// originals, script outputs, tool schemas, the server's stderr, recorder events, run requests).
/// Replays of their calls (in other runs) stay, no longer linked to an original. The caller
/// refuses runs that are still being recorded: a live wrap would go on writing into a run
/// that no longer exists.
public enum RunDeletion {
    public struct Outcome: Sendable, Equatable {
        public var runs = 0
        public var calls = 0
    }

    public static func delete(runs ids: [Int64], in db: SQLiteConnection) throws -> Outcome {
        guard !ids.isEmpty else { return Outcome() }
        let list = ids.map(String.init).joined(separator: ",")
        var outcome = Outcome()
        try db.execute("BEGIN IMMEDIATE")
        do {
            outcome.runs = Int(try db.scalarInt("SELECT COUNT(*) FROM runs WHERE id IN (\(list))") ?? 0)
            outcome.calls = Int(try db.scalarInt("SELECT COUNT(*) FROM calls WHERE run_id IN (\(list))") ?? 0)
            try CallDeletion.deleteRunTraffic("SELECT id FROM runs WHERE id IN (\(list))", in: db)
            try db.execute("""
                UPDATE calls SET replay_of = NULL
                 WHERE replay_of IN (SELECT id FROM calls WHERE run_id IN (SELECT id FROM temp.scope));
                DELETE FROM calls WHERE run_id IN (SELECT id FROM temp.scope);
                DELETE FROM tool_schemas WHERE run_id IN (SELECT id FROM temp.scope);
                DELETE FROM recorder_events WHERE run_id IN (SELECT id FROM temp.scope);
                DELETE FROM run_requests WHERE run_id IN (SELECT id FROM temp.scope);
                UPDATE runs SET previous_run_id = NULL WHERE previous_run_id IN (SELECT id FROM temp.scope);
                DELETE FROM runs WHERE id IN (SELECT id FROM temp.scope);
                DROP TABLE temp.scope;
                """)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        ArgusDatabase.checkpointAndTruncate(db)
        return outcome
    }
}
