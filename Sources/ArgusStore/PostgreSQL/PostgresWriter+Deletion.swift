import ArgusCore

extension PostgresWriter {
    /// Deletes calls with everything that belongs to them, as SQLite's writer does
    /// (`SQLiteWriter.deleteCalls`): their messages, the progress and cancellation notifications
    /// that name them, faults, sealed originals and script outputs; the runs' counters are
    /// recomputed; whole runs in scope lose their other traffic too. PostgreSQL reuses no ids and
    /// keeps no free pages readable to other users; VACUUM returns the space.
    public func deleteCalls(_ selection: CallDeletion.Selection) throws -> Int {
        var conditions: [String] = []
        var arguments: [SQLiteValue] = []
        if let run = selection.run { conditions.append("run_id = ?"); arguments.append(.int(run)) }
        if let before = selection.beforeID { conditions.append("id < ?"); arguments.append(.int(before)) }
        if let ids = selection.ids { conditions.append("id IN (" + (ids.isEmpty ? "NULL" : StoreReader.idList(ids)) + ")") }
        if conditions.isEmpty && !selection.all { return 0 }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try db.writeTransaction { () -> Int in
            try takeFeedLock()
            // Created first and filled by INSERT: a utility statement (CREATE TABLE AS) takes no parameters.
            try db.run(
                """
                CREATE TEMP TABLE doomed (id BIGINT, run_id BIGINT, request_seq BIGINT, response_seq BIGINT, direction TEXT,
                                          jsonrpc_id TEXT, progress_token JSONB) ON COMMIT DROP
                """)
            try db.run(
                """
                INSERT INTO doomed
                SELECT id, run_id, request_seq, response_seq, direction, jsonrpc_id,
                       (SELECT argus_json(m.body) #> '{params,_meta,progressToken}'
                          FROM messages m WHERE m.run_id = calls.run_id AND m.seq = calls.request_seq) AS progress_token
                FROM calls \(filter)
                """, arguments)
            let count = Int(try db.scalarInt("SELECT COUNT(*) FROM doomed") ?? 0)
            try db.run("CREATE TEMP TABLE scope (id BIGINT) ON COMMIT DROP")
            if selection.coversWholeRuns {
                try deleteRunTraffic(selection.all ? "SELECT id FROM runs" : "SELECT \(selection.run ?? 0)")
            } else {
                // Notifications that name a doomed call: progress by its token (while it ran),
                // cancellation by its id. Searched by position, from the request on.
                try db.run(
                    """
                    DELETE FROM messages WHERE id IN (
                        SELECT m.id FROM doomed d JOIN messages m
                          ON m.run_id = d.run_id AND m.seq > d.request_seq
                         AND m.seq < COALESCE(d.response_seq, 9223372036854775807)
                        WHERE m.kind = 'notification' AND argus_json(m.body) IS NOT NULL AND (
                              (m.method = 'notifications/progress' AND d.progress_token IS NOT NULL
                               AND argus_json(m.body) #> '{params,progressToken}' = d.progress_token)
                           OR (m.method = 'notifications/cancelled' AND m.direction = d.direction
                               AND argus_json(d.jsonrpc_id) IS NOT NULL
                               AND argus_json(m.body) #> '{params,requestId}' = argus_json(d.jsonrpc_id))))
                    """)
            }
            for statement in [
                // The faults of the calls go with them, and the spoilt answers they recorded.
                """
                DELETE FROM messages WHERE (run_id, seq) IN (
                    SELECT f.run_id, f.response_seq FROM faults f JOIN doomed d
                        ON f.run_id = d.run_id AND f.request_seq = d.request_seq
                     WHERE f.response_seq IS NOT NULL)
                """,
                "DELETE FROM faults WHERE (run_id, request_seq) IN (SELECT run_id, request_seq FROM doomed)",
                """
                DELETE FROM messages WHERE (run_id, seq) IN (
                    SELECT run_id, request_seq FROM doomed
                    UNION ALL SELECT run_id, response_seq FROM doomed WHERE response_seq IS NOT NULL)
                """,
                "DELETE FROM sealed_params WHERE (run_id, seq) IN (SELECT run_id, request_seq FROM doomed)",
                "DELETE FROM script_outputs WHERE (run_id, request_seq) IN (SELECT run_id, request_seq FROM doomed)",
                "DELETE FROM calls WHERE id IN (SELECT id FROM doomed)",
                """
                UPDATE runs SET
                    call_count = (SELECT COUNT(*) FROM calls WHERE calls.run_id = runs.id),
                    error_count = (SELECT COUNT(*) FROM calls WHERE calls.run_id = runs.id AND is_error = 1),
                    message_count = (SELECT COUNT(*) FROM messages WHERE messages.run_id = runs.id)
                WHERE id IN (SELECT DISTINCT run_id FROM doomed) OR id IN (SELECT id FROM scope)
                """,
            ] { try db.run(statement) }
            return count
        }
    }

    /// Deletes whole runs and everything recorded in them (`SQLiteWriter.deleteRuns`).
    public func deleteRuns(_ ids: [Int64]) throws -> RunDeletion.Outcome {
        guard !ids.isEmpty else { return RunDeletion.Outcome() }
        let list = StoreReader.idList(ids)
        return try db.writeTransaction {
            try takeFeedLock()
            var outcome = RunDeletion.Outcome()
            outcome.runs = Int(try db.scalarInt("SELECT COUNT(*) FROM runs WHERE id IN (\(list))") ?? 0)
            outcome.calls = Int(try db.scalarInt("SELECT COUNT(*) FROM calls WHERE run_id IN (\(list))") ?? 0)
            try db.run("CREATE TEMP TABLE scope (id BIGINT) ON COMMIT DROP")
            try deleteRunTraffic("SELECT id FROM runs WHERE id IN (\(list))")
            for statement in [
                "UPDATE calls SET replay_of = NULL WHERE replay_of IN (SELECT id FROM calls WHERE run_id IN (SELECT id FROM scope))",
                "DELETE FROM calls WHERE run_id IN (SELECT id FROM scope)",
                "DELETE FROM tool_schemas WHERE run_id IN (SELECT id FROM scope)",
                "DELETE FROM recorder_events WHERE run_id IN (SELECT id FROM scope)",
                "DELETE FROM run_requests WHERE run_id IN (SELECT id FROM scope)",
                "UPDATE runs SET previous_run_id = NULL WHERE previous_run_id IN (SELECT id FROM scope)",
                "DELETE FROM runs WHERE id IN (SELECT id FROM scope)",
            ] { try db.run(statement) }
            return outcome
        }
    }

    /// Taken first: the changes a delete makes are numbered at its commit under this lock, which
    /// a recorder holds while it writes calls; a delete that took row locks first and waited
    /// for it could deadlock with such a recorder.
    private func takeFeedLock() throws {
        try db.run(PostgresSchema.takeFeedLock)
    }

    /// Everything of these runs that is not a call (`scope` receives the runs). A command line
    /// recorded before arguments were redacted is redacted now.
    private func deleteRunTraffic(_ runs: String) throws {
        for statement in [
            "INSERT INTO scope (id) \(runs)",
            "DELETE FROM messages WHERE run_id IN (SELECT id FROM scope)",
            "DELETE FROM server_logs WHERE run_id IN (SELECT id FROM scope)",
            "DELETE FROM script_outputs WHERE run_id IN (SELECT id FROM scope)",
            "DELETE FROM sealed_params WHERE run_id IN (SELECT id FROM scope)",
            "DELETE FROM faults WHERE run_id IN (SELECT id FROM scope)",
            "UPDATE runs SET stderr_tail = NULL, args_key_id = NULL, args_sealed = NULL WHERE id IN (SELECT id FROM scope)",
        ] { try db.run(statement) }
        let redactor = Redactor(policy: RedactionPolicy())
        for run in try db.fetchAll(RunRecord.self, "SELECT \(RunRecord.table.selection) FROM runs WHERE id IN (SELECT id FROM scope)") {
            guard let args = redactor.redactArguments(command: run.command, run.args) else { continue }
            try db.run("UPDATE runs SET args = ? WHERE id = ?", [.text(RunRecord.jsonArray(args)), .int(run.id)])
        }
    }
}
