import ArgusCore
import ArgusSystem
import Foundation
import PostgresNIO

/// Writes the recorder's batches into a PostgreSQL store: the counterpart of SQLite's
/// `RecordApplier`, with the same rows, for many writers on many machines.
///
/// Each batch is one transaction that first leaves a marker (`recorder_batches`: this writer's
/// `origin` and the batch's number). When a connection drops mid-batch nothing of it is kept;
/// when it drops after COMMIT was sent, whether the batch was kept is unknown, and sending it
/// again finds the marker and skips it whole: no lost rows and no duplicates either way. The
/// writer keeps its origin, its batch numbers and its run ids across reconnections.
///
/// It connects lazily, on the thread that writes, so connecting never delays the relay.
public final class PostgresRecordWriter {
    public let location: PostgresLocation
    /// Who is writing: host, process and a random part, unique per writer.
    public let origin: String
    private let environment: [String: String]
    private var session: PostgresSession?
    private var nextBatch: Int64 = 1
    /// The server names of runs, for the calls' `server` column (kept across batches, as SQLite's applier does).
    private var runServers: [LocalRunID: String] = [:]

    public init(location: PostgresLocation, environment: [String: String], origin: String? = nil) {
        self.location = location
        self.environment = environment
        self.origin = origin ?? Self.makeOrigin()
    }

    private static func makeOrigin() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)/\(ProcessInfo.processInfo.processIdentifier)/\(SystemClock.wallMicros())/\(UInt32.random(in: .min ... .max))"
    }

    /// The connection, opened (and the schema brought up to date) when there is none.
    public func connected() throws -> PostgresSession {
        if let session, !session.isClosed { return session }
        session = nil
        let opened = try PostgresSession.connect(location, environment: environment)
        try PostgresSchema.migrate(opened)
        session = opened
        return opened
    }

    /// Closes the connection (the next write opens another).
    public func disconnect() {
        session?.close()
        session = nil
    }

    /// Writes a batch in one transaction: all of it or none. `runs` maps the recorder's run
    /// numbers to database ids; it receives this batch's new runs only once the batch is known
    /// to be stored. A batch that threw may be passed again as it is.
    public func write(_ batch: [RecordOp], runs: inout [LocalRunID: Int64], events: [(kind: String, message: String)] = []) throws {
        let db = try connected()
        var applied = Applied()
        do {
            try db.transaction {
                let marker = try db.query("""
                    INSERT INTO recorder_batches (origin, batch, written_at) VALUES (\(origin), \(nextBatch), \(SystemClock.wallMicros()))
                    ON CONFLICT DO NOTHING RETURNING batch
                    """)
                if marker.isEmpty {
                    applied.newRuns = try storedRuns(of: batch, db)  // committed before; its answer was lost
                } else {
                    applied = try apply(batch, runs: runs, events: events, db)
                }
            }
        } catch let error as PostgresStoreError {
            if error.isTransient { disconnect() }
            throw error
        }
        nextBatch += 1
        runs.merge(applied.newRuns) { $1 }
        runServers.merge(applied.newServers) { $1 }
    }

    private struct Applied {
        var newRuns: [LocalRunID: Int64] = [:]
        var newServers: [LocalRunID: String] = [:]
    }

    private struct Counts {
        var messages: Int64 = 0
        var calls: Int64 = 0
        var errors: Int64 = 0
    }

    /// The runs a batch started, as the earlier (committed) attempt stored them.
    private func storedRuns(of batch: [RecordOp], _ db: PostgresSession) throws -> [LocalRunID: Int64] {
        let started = batch.compactMap { op -> Int64? in
            if case .startRun(let start) = op { return Int64(start.run) }
            return nil
        }
        guard !started.isEmpty else { return [:] }
        var found: [LocalRunID: Int64] = [:]
        for row in try db.query("SELECT origin_run, id FROM runs WHERE origin = \(origin) AND origin_run = ANY(\(started))") {
            let (local, id) = try row.decode((Int64, Int64).self)
            found[LocalRunID(local)] = id
        }
        return found
    }

    private func apply(_ batch: [RecordOp], runs: [LocalRunID: Int64], events: [(kind: String, message: String)],
                       _ db: PostgresSession) throws -> Applied {
        var applied = Applied()
        var counts: [Int64: Counts] = [:]
        func id(_ run: LocalRunID) throws -> Int64 {
            if let id = applied.newRuns[run] ?? runs[run] { return id }
            throw UnknownRun(run: run)
        }
        func known(_ run: LocalRunID?) -> Int64? { run.flatMap { applied.newRuns[$0] ?? runs[$0] } }

        var messages = MultiRowInsert(
            "INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size, redacted)",
            "ON CONFLICT (run_id, seq) DO NOTHING")
        var calls = MultiRowInsert("""
            INSERT INTO calls (run_id, server, request_seq, response_seq, direction, method, tool, target, jsonrpc_id,
                               started_at, ended_at, latency_us, status, is_error, error_code, error_message, progress_count,
                               cancelled, bytes_in, bytes_out, replay_of, round, first_call_id)
            """)
        var pendingCalls: Set<CallReference> = []
        var serverLogs = MultiRowInsert("INSERT INTO server_logs (run_id, ts, line)")
        var scriptOutputs = MultiRowInsert("""
            INSERT INTO script_outputs (run_id, request_seq, ts, script, kind, level, name, metric_kind, value, labels,
                                        message, key, location)
            """)
        // Updates and deletes see every row inserted before them, as in SQLite's one-by-one order.
        func flushAll() throws {
            try messages.flush(on: db)
            try calls.flush(on: db)
            pendingCalls.removeAll()
            try serverLogs.flush(on: db)
            try scriptOutputs.flush(on: db)
        }

        for op in batch {
            switch op {
            case .startRun(let start):
                try flushAll()
                let launch = start.launch
                let previous = known(start.previousRun)
                let sealed = start.sealedArgs.map { ByteBuffer(bytes: $0.sealed) }
                let rows = try db.query("""
                    INSERT INTO runs (kind, server_name, command, args, cwd, env_names, argus_pid, server_pid, previous_run_id,
                                      started_at, label, recording_error, args_key_id, args_sealed, origin, origin_run)
                    VALUES (\(start.kind), \(start.serverName), \(launch.command), \(Self.jsonArray(launch.args)), \(launch.cwd),
                            \(Self.jsonArray(launch.envNames)), \(Int64(start.argusPID)), \(start.serverPID.map(Int64.init)),
                            \(previous), \(start.startedAt), \(start.label), \(start.recordingError), \(start.sealedArgs?.keyID),
                            \(sealed), \(origin), \(Int64(start.run)))
                    RETURNING id
                    """)
                guard let runID = try rows.first?.decode(Int64.self) else {
                    throw PostgresStoreError.server(message: "INSERT INTO runs returned no id", sqlState: "XX000")
                }
                applied.newRuns[start.run] = runID
                applied.newServers[start.run] = start.serverName

            case .updateRun(let run, let info):
                try flushAll()
                try db.query("""
                    UPDATE runs SET client_name = \(info.clientName), client_version = \(info.clientVersion),
                                    server_info_name = \(info.serverName), server_version = \(info.serverVersion),
                                    protocol_version = \(info.protocolVersion)
                    WHERE id = \(try id(run))
                    """)

            case .endRun(let end):
                try flushAll()
                try db.query("""
                    UPDATE runs SET ended_at = \(end.endedAt), end_reason = \(end.reason.rawValue), end_detail = \(end.detail),
                                    exit_status = \(end.exitStatus.map(Int64.init)), stderr_tail = COALESCE(\(end.stderrTail), stderr_tail),
                                    dropped_frames = dropped_frames + \(Int64(end.droppedFrames))
                    WHERE id = \(try id(end.run))
                    """)

            case .message(let m):
                let runID = try id(m.run)
                try messages.row(on: db) { row in
                    row.add(runID); row.add(Int64(m.seq)); row.add(m.direction.rawValue); row.add(m.timestamp)
                    row.add(m.kind.rawValue); row.add(m.method); row.add(m.jsonrpcID); row.add(m.body)
                    row.add(Int64(m.size)); row.add(Int64(m.redacted ? 1 : 0))
                }
                counts[runID, default: Counts()].messages += 1

            case .call(let c):
                let runID = try id(c.run)
                // A later round names its first round's id: that row must be in the database already.
                if let first = c.firstRound, pendingCalls.contains(first) {
                    try calls.flush(on: db)
                    pendingCalls.removeAll()
                }
                let server = applied.newServers[c.run] ?? runServers[c.run] ?? ""
                let firstRun = c.firstRound.flatMap { known($0.run) }
                try calls.row(on: db) { row in
                    row.add(runID); row.add(server); row.add(Int64(c.requestSeq)); row.add(c.responseSeq.map(Int64.init))
                    row.add(c.direction.rawValue); row.add(c.method); row.add(c.tool); row.add(c.target); row.add(c.jsonrpcID)
                    row.add(c.startedAt); row.add(c.endedAt); row.add(c.latencyMicros); row.add(c.status.rawValue)
                    row.add(Int64(c.isError ? 1 : 0)); row.add(c.errorCode.map(Int64.init)); row.add(c.errorMessage)
                    row.add(Int64(c.progressCount)); row.add(Int64(c.cancelled ? 1 : 0)); row.add(Int64(c.bytesIn))
                    row.add(c.bytesOut.map(Int64.init)); row.add(c.replayOf); row.add(c.round.map(Int64.init))
                    row.addCallID(run: firstRun, requestSeq: c.firstRound?.requestSeq)
                }
                pendingCalls.insert(CallReference(run: c.run, requestSeq: c.requestSeq))
                counts[runID, default: Counts()].calls += 1
                if c.isError { counts[runID, default: Counts()].errors += 1 }

            case .toolSchemas(let run, let schemas):
                try flushAll()
                let runID = try id(run)
                for s in schemas {
                    try db.query("""
                        INSERT INTO tool_schemas (run_id, name, title, description, input_schema, output_schema, annotations, seen_at)
                        VALUES (\(runID), \(s.name), \(s.title), \(s.description), \(s.inputSchema), \(s.outputSchema),
                                \(s.annotations), \(s.seenAt))
                        ON CONFLICT (run_id, name) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
                            input_schema = EXCLUDED.input_schema, output_schema = EXCLUDED.output_schema,
                            annotations = EXCLUDED.annotations, seen_at = EXCLUDED.seen_at
                        """)
                }

            case .serverLog(let log):
                let runID = try id(log.run)
                try serverLogs.row(on: db) { row in
                    row.add(runID); row.add(log.timestamp); row.add(log.line)
                }

            case .rewriteMessage(let run, let seq, let body):
                try flushAll()
                let runID = try id(run)
                try db.query("UPDATE messages SET body = \(body), redacted = 1 WHERE run_id = \(runID) AND seq = \(Int64(seq))")
                // Rewritten after the fact means dropped by a script: its sealed original goes too.
                try db.query("DELETE FROM sealed_params WHERE run_id = \(runID) AND seq = \(Int64(seq))")

            case .sealedParams(let run, let seq, let keyID, let sealed):
                try flushAll()
                try db.query("""
                    INSERT INTO sealed_params (run_id, seq, key_id, sealed) VALUES (\(try id(run)), \(Int64(seq)), \(keyID),
                                                                                 \(ByteBuffer(bytes: sealed)))
                    ON CONFLICT (run_id, seq) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed
                    """)

            case .scriptOutput(let o):
                let runID = known(o.run)
                try scriptOutputs.row(on: db) { row in
                    row.add(runID); row.add(o.requestSeq.map(Int64.init)); row.add(o.timestamp); row.add(o.script)
                    row.add(o.kind.rawValue); row.add(o.level); row.add(o.name); row.add(o.metricKind); row.add(o.value)
                    row.add(o.labels); row.add(o.message); row.add(o.key); row.add(o.location)
                }

            case .scriptStatus(let st):
                try flushAll()
                try db.query("""
                    INSERT INTO script_status (script, argus_pid, path, server, state, last_error, hook_stats, error_count,
                                               loaded_at, updated_at)
                    VALUES (\(st.script), \(Int64(st.argusPID)), \(st.path), \(st.server), \(st.state), \(st.lastError),
                            \(st.hookStats), \(Int64(st.errorCount)), \(st.loadedAt), \(st.updatedAt))
                    ON CONFLICT (script, argus_pid) DO UPDATE SET path = EXCLUDED.path, server = EXCLUDED.server,
                        state = EXCLUDED.state, last_error = EXCLUDED.last_error, hook_stats = EXCLUDED.hook_stats,
                        error_count = EXCLUDED.error_count, loaded_at = EXCLUDED.loaded_at, updated_at = EXCLUDED.updated_at
                    """)
            }
        }
        try flushAll()
        for (runID, c) in counts.sorted(by: { $0.key < $1.key }) {  // one lock order for every writer
            try db.query("""
                UPDATE runs SET message_count = message_count + \(c.messages), call_count = call_count + \(c.calls),
                                error_count = error_count + \(c.errors)
                WHERE id = \(runID)
                """)
        }
        for event in events {
            try db.query("""
                INSERT INTO recorder_events (ts, run_id, kind, message) VALUES (\(SystemClock.wallMicros()), \(Int64?.none),
                                                                               \(event.kind), \(event.message))
                """)
        }
        return applied
    }

    /// A record names a run whose start this writer never saw (the recorder emits `startRun`
    /// first, so this is a broken invariant, not a database failure).
    struct UnknownRun: Error, CustomStringConvertible {
        let run: LocalRunID
        var description: String { "record for unknown run \(run)" }
    }

    static func jsonArray(_ items: [String]) -> String {
        JSONWriter.string(.array(items.map(JSONValue.string)))
    }
}
