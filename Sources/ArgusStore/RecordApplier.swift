import ArgusCore
import ArgusSystem

/// Writes batches of `RecordOp`s into the schema, one transaction per batch.
///
/// Runs are numbered locally by the recorder; this maps them to database ids
/// as their rows are inserted. The mapping outlives connections (the writer
/// reopens the database after a failure). A failed batch is rolled back whole,
/// and its new mappings forgotten, so the caller can retry it as is.
final class RecordApplier {
    private var runIDs: [LocalRunID: Int64] = [:]
    private var runServers: [LocalRunID: String] = [:]

    init() {}

    /// A record names a run whose start this writer never saw: the recorder emits
    /// `startRun` first, so this is a broken invariant, not a database failure.
    struct UnknownRun: Error, CustomStringConvertible {
        let run: LocalRunID
        var description: String { "record for unknown run \(run)" }
    }

    /// Local runs already written, and their database ids.
    var writtenRuns: [LocalRunID: Int64] { runIDs }
    /// The database ids of the calls in the last committed batch (exporters link spans to them).
    private(set) var lastBatchCalls: [CallReference: Int64] = [:]

    struct Counts {
        var messages = 0
        var calls = 0
        var errors = 0
    }

    func apply(_ batch: [RecordOp], to db: SQLiteConnection,
               events: [(kind: String, message: String, run: LocalRunID?)] = []) throws {
        var newRuns: [LocalRunID: Int64] = [:]
        var newServers: [LocalRunID: String] = [:]
        var counts: [Int64: Counts] = [:]
        var newCalls: [CallReference: Int64] = [:]
        func id(_ run: LocalRunID) throws -> Int64 {
            if let id = newRuns[run] ?? runIDs[run] { return id }
            throw UnknownRun(run: run)
        }

        try db.execute("BEGIN IMMEDIATE")
        do {
            for op in batch {
                switch op {
                case .startRun(let start):
                    try db.run("""
                        INSERT INTO runs (kind, server_name, command, args, cwd, env_names, argus_pid, server_pid,
                                          previous_run_id, started_at, label, recording_error, args_key_id, args_sealed)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [
                            .text(start.kind), .text(start.serverName), .text(start.launch.command),
                            .text(Self.jsonArray(start.launch.args)), .text(start.launch.cwd),
                            .text(Self.jsonArray(start.launch.envNames)), .int(Int64(start.argusPID)),
                            SQLiteValue(start.serverPID), start.previousRun.flatMap { newRuns[$0] ?? runIDs[$0] }.map(SQLiteValue.int) ?? .null,
                            .int(start.startedAt), SQLiteValue(start.label), SQLiteValue(start.recordingError),
                            SQLiteValue(start.sealedArgs?.keyID), start.sealedArgs.map { .blob($0.sealed) } ?? .null,
                        ])
                    newRuns[start.run] = db.lastInsertRowID
                    newServers[start.run] = start.serverName

                case .updateRun(let run, let info):
                    try db.run("""
                        UPDATE runs SET client_name = ?, client_version = ?, server_info_name = ?, server_version = ?,
                                        protocol_version = ?
                        WHERE id = ?
                        """, [
                            SQLiteValue(info.clientName), SQLiteValue(info.clientVersion), SQLiteValue(info.serverName),
                            SQLiteValue(info.serverVersion), SQLiteValue(info.protocolVersion), .int(try id(run)),
                        ])

                case .endRun(let end):
                    try db.run("""
                        UPDATE runs SET ended_at = ?, end_reason = ?, end_detail = ?, exit_status = ?,
                                        stderr_tail = COALESCE(?, stderr_tail), dropped_frames = dropped_frames + ?
                        WHERE id = ?
                        """, [
                            .int(end.endedAt), .text(end.reason.rawValue), SQLiteValue(end.detail),
                            SQLiteValue(end.exitStatus), SQLiteValue(end.stderrTail), .int(Int64(end.droppedFrames)),
                            .int(try id(end.run)),
                        ])

                case .message(let m):
                    let runID = try id(m.run)
                    try db.run("""
                        INSERT OR IGNORE INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size, redacted)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [
                            .int(runID), .int(Int64(m.seq)), .text(m.direction.rawValue), .int(m.timestamp),
                            .text(m.kind.rawValue), SQLiteValue(m.method), SQLiteValue(m.jsonrpcID), .text(m.body),
                            .int(Int64(m.size)), SQLiteValue(m.redacted),
                        ])
                    counts[runID, default: Counts()].messages += 1

                case .call(let c):
                    let runID = try id(c.run)
                    try db.run("""
                        INSERT INTO calls (run_id, server, request_seq, response_seq, direction, method, tool, target,
                                           jsonrpc_id, started_at, ended_at, latency_us, status, is_error, error_code,
                                           error_message, progress_count, cancelled, bytes_in, bytes_out, replay_of, round,
                                           first_call_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                                (SELECT id FROM calls WHERE run_id = ? AND request_seq = ?))
                        """, [
                            .int(runID), .text(newServers[c.run] ?? runServers[c.run] ?? ""), .int(Int64(c.requestSeq)),
                            SQLiteValue(c.responseSeq), .text(c.direction.rawValue), .text(c.method), SQLiteValue(c.tool),
                            SQLiteValue(c.target), .text(c.jsonrpcID), .int(c.startedAt), SQLiteValue(c.endedAt),
                            SQLiteValue(c.latencyMicros), .text(c.status.rawValue), SQLiteValue(c.isError),
                            SQLiteValue(c.errorCode), SQLiteValue(c.errorMessage), .int(Int64(c.progressCount)),
                            SQLiteValue(c.cancelled), .int(Int64(c.bytesIn)), SQLiteValue(c.bytesOut),
                            SQLiteValue(c.replayOf), SQLiteValue(c.round),
                            // The first round was written before this one (it completed first), maybe in an earlier run.
                            c.firstRound.flatMap { newRuns[$0.run] ?? runIDs[$0.run] }.map(SQLiteValue.int) ?? .null,
                            c.firstRound.map { .int(Int64($0.requestSeq)) } ?? .null,
                        ])
                    newCalls[CallReference(run: c.run, requestSeq: c.requestSeq)] = db.lastInsertRowID
                    counts[runID, default: Counts()].calls += 1
                    if c.isError { counts[runID, default: Counts()].errors += 1 }

                case .toolSchemas(let run, let schemas):
                    let runID = try id(run)
                    for s in schemas {
                        try db.run("""
                            INSERT OR REPLACE INTO tool_schemas (run_id, name, title, description, input_schema,
                                                                 output_schema, annotations, seen_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """, [
                                .int(runID), .text(s.name), SQLiteValue(s.title), SQLiteValue(s.description),
                                SQLiteValue(s.inputSchema), SQLiteValue(s.outputSchema), SQLiteValue(s.annotations),
                                .int(s.seenAt),
                            ])
                    }

                case .serverLog(let log):
                    try db.run("INSERT INTO server_logs (run_id, ts, line) VALUES (?, ?, ?)",
                               [.int(try id(log.run)), .int(log.timestamp), .text(log.line)])

                case .rewriteMessage(let run, let seq, let body):
                    try db.run("UPDATE messages SET body = ?, redacted = 1 WHERE run_id = ? AND seq = ?",
                               [.text(body), .int(try id(run)), .int(Int64(seq))])
                    // Rewritten after the fact means dropped by a script: its sealed original goes too.
                    try db.run("DELETE FROM sealed_params WHERE run_id = ? AND seq = ?", [.int(try id(run)), .int(Int64(seq))])

                case .sealedParams(let run, let seq, let keyID, let sealed):
                    try db.run("INSERT OR REPLACE INTO sealed_params (run_id, seq, key_id, sealed) VALUES (?, ?, ?, ?)",
                               [.int(try id(run)), .int(Int64(seq)), .text(keyID), .blob(sealed)])

                case .scriptOutput(let o):
                    try db.run("""
                        INSERT INTO script_outputs (run_id, request_seq, ts, script, kind, level, name, metric_kind,
                                                    value, labels, message, key, location)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [
                            o.run.flatMap { newRuns[$0] ?? runIDs[$0] }.map(SQLiteValue.int) ?? .null,
                            SQLiteValue(o.requestSeq), .int(o.timestamp), .text(o.script), .text(o.kind.rawValue),
                            SQLiteValue(o.level), SQLiteValue(o.name), SQLiteValue(o.metricKind),
                            o.value.map(SQLiteValue.double) ?? .null, SQLiteValue(o.labels), SQLiteValue(o.message),
                            SQLiteValue(o.key), SQLiteValue(o.location),
                        ])

                case .scriptStatus(let st):
                    try db.run("""
                        INSERT OR REPLACE INTO script_status (script, argus_pid, path, server, state, last_error,
                                                             hook_stats, error_count, loaded_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [
                            .text(st.script), .int(Int64(st.argusPID)), .text(st.path), .text(st.server), .text(st.state),
                            SQLiteValue(st.lastError), .text(st.hookStats), .int(Int64(st.errorCount)),
                            .int(st.loadedAt), .int(st.updatedAt),
                        ])

                case .fault(let f):
                    try FaultWriting.insert(f, runID: try id(f.run), into: db)
                }
            }
            for (runID, c) in counts {
                try db.run("""
                    UPDATE runs SET message_count = message_count + ?, call_count = call_count + ?,
                                    error_count = error_count + ?
                    WHERE id = ?
                    """, [.int(Int64(c.messages)), .int(Int64(c.calls)), .int(Int64(c.errors)), .int(runID)])
            }
            for event in events {
                try db.run("INSERT INTO recorder_events (ts, run_id, kind, message) VALUES (?, ?, ?, ?)", [
                    .int(SystemClock.wallMicros()), event.run.flatMap { newRuns[$0] ?? runIDs[$0] }.map(SQLiteValue.int) ?? .null,
                    .text(event.kind), .text(event.message),
                ])
            }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        runIDs.merge(newRuns) { $1 }
        runServers.merge(newServers) { $1 }
        lastBatchCalls = newCalls
    }

    static func jsonArray(_ items: [String]) -> String {
        JSONWriter.string(.array(items.map(JSONValue.string)))
    }
}
