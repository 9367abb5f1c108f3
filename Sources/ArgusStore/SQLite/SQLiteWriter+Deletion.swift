import ArgusCore

extension SQLiteWriter {
    /// Deletes recorded calls, with everything that belongs to them: their
    /// request and response messages, the progress and cancellation notifications
    /// that name them, sealed originals and script outputs; the runs' counters are
    /// recomputed. When whole runs are in scope (`run=` alone, or `all`), their
    /// other traffic goes too: notifications, frames that were not JSON, the
    /// server's stderr lines and `stderr_tail`, and the sealed command line.
    ///
    /// Deleted bytes are really gone: connections run with `secure_delete` (freed
    /// space is zeroed) and a checkpoint truncates the WAL, which still holds the
    /// old pages, afterwards. Returns how many calls were deleted.
    public func deleteCalls(_ selection: CallDeletion.Selection) throws -> Int {
        var conditions = Conditions()
        conditions.add("run_id = ?", ifSet: selection.run)
        conditions.add("id < ?", ifSet: selection.beforeID)
        if let ids = selection.ids {
            conditions.add("id IN (" + (ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",")) + ")")
        }
        if conditions.isEmpty && !selection.all { return 0 }
        let count = try db.transaction(immediate: true) { () -> Int in
            try db.execute("DROP TABLE IF EXISTS temp.doomed")
            try db.run(
                """
                CREATE TEMP TABLE doomed AS
                SELECT id, run_id, request_seq, response_seq, direction, jsonrpc_id,
                       (SELECT CASE WHEN json_valid(m.body) THEN json_extract(m.body, '$.params._meta.progressToken') END
                          FROM messages m WHERE m.run_id = calls.run_id AND m.seq = calls.request_seq) AS progress_token
                FROM calls \(conditions.sql)
                """, conditions.arguments)
            let count = Int(try db.scalarInt("SELECT COUNT(*) FROM temp.doomed") ?? 0)
            if selection.coversWholeRuns {
                try deleteRunTraffic(selection.all ? "SELECT id FROM runs" : "SELECT \(selection.run ?? 0) AS id")
            } else {
                try db.execute("DROP TABLE IF EXISTS temp.scope; CREATE TEMP TABLE scope (id INTEGER);")
                // Notifications that name a doomed call: progress by its token (while it ran),
                // cancellation by its id. Searched by position, from the request on.
                try db.execute(
                    """
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
            // The faults of the calls go with them, and the spoilt answers they recorded: part of
            // the call, though not its response.
            try db.execute(
                """
                DELETE FROM messages WHERE (run_id, seq) IN (
                    SELECT f.run_id, f.response_seq FROM faults f JOIN temp.doomed d
                        ON f.run_id = d.run_id AND f.request_seq = d.request_seq
                     WHERE f.response_seq IS NOT NULL);
                DELETE FROM faults WHERE (run_id, request_seq) IN (SELECT run_id, request_seq FROM temp.doomed);
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
            return count
        }
        ArgusDatabase.checkpointAndTruncate(db)
        return count
    }

    /// Deletes whole runs: the run rows and everything recorded in them (messages, calls, sealed
    /// originals, script outputs, tool schemas, the server's stderr, recorder events, run requests).
    /// Replays of their calls (in other runs) stay, no longer linked to an original. The caller
    /// refuses runs that are still being recorded: a live wrap would go on writing into a run
    /// that no longer exists.
    public func deleteRuns(_ ids: [Int64]) throws -> RunDeletion.Outcome {
        guard !ids.isEmpty else { return RunDeletion.Outcome() }
        let list = ids.map(String.init).joined(separator: ",")
        let outcome = try db.transaction(immediate: true) {
            var outcome = RunDeletion.Outcome()
            outcome.runs = Int(try db.scalarInt("SELECT COUNT(*) FROM runs WHERE id IN (\(list))") ?? 0)
            outcome.calls = Int(try db.scalarInt("SELECT COUNT(*) FROM calls WHERE run_id IN (\(list))") ?? 0)
            try deleteRunTraffic("SELECT id FROM runs WHERE id IN (\(list))")
            try db.execute(
                """
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
            return outcome
        }
        ArgusDatabase.checkpointAndTruncate(db)
        return outcome
    }

    /// Everything of these runs that is not a call: every message, the stderr lines and
    /// tail, script outputs, sealed params and the sealed command line. A command line
    /// recorded before arguments were redacted is redacted now.
    private func deleteRunTraffic(_ runs: String) throws {
        try db.execute(
            """
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
        let runs = try db.fetchAll(RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs WHERE id IN (SELECT id FROM temp.scope)")
        for run in runs {
            guard let args = redactor.redactArguments(command: run.command, run.args) else { continue }
            try db.run("UPDATE runs SET args = ? WHERE id = ?", [.text(RunRecord.jsonArray(args)), .int(run.id)])
        }
    }
}
