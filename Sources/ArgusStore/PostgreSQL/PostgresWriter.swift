import ArgusCore
import ArgusSystem

/// Writes a PostgreSQL store: `ArgusWriter` over a server connection, for many writers on many
/// machines. The recorder's batches are written with multi-row inserts, and made idempotent.
///
/// Each batch is one transaction that first leaves a marker (`recorder_batches`: this writer's
/// `origin` and the batch's number). When a connection drops mid-batch nothing of it is kept;
/// when it drops after COMMIT was sent, whether the batch was kept is unknown, and sending it
/// again finds the marker and skips it whole: no lost rows and no duplicates either way. So the
/// origin, the batch numbers and the run ids outlive a connection (which opens again by itself)
/// and this writer: a `BatchedWriter` keeps them and hands them to the writer it opens next.
public final class PostgresWriter: ArgusWriter {
    let db: ServerRecordConnection
    /// Who is writing and the number of the next batch.
    public let numbering: BatchNumbering
    var origin: String { numbering.origin }
    /// Batches whose COPY the server refused, written again with inserts (see `write`).
    private(set) var refusedCopies = 0

    /// Opens the store on `server`, bringing its schema up to date.
    public init(server: any ServerConnection, numbering: BatchNumbering = BatchNumbering()) throws {
        db = ServerRecordConnection(server)
        self.numbering = numbering
        try PostgresSchema.migrate(db)
    }

    @discardableResult
    public func write(_ batch: [RecordOp], runs: inout [LocalRunID: Int64], events: [RecorderEvent]) throws -> [CallReference: Int64] {
        let known = runs
        func transaction(copying: Bool) throws -> (runs: [LocalRunID: Int64], calls: [CallReference: Int64]) {
            try db.writeTransaction {
                let marker = try db.query(
                    """
                    INSERT INTO recorder_batches (origin, batch, written_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING batch
                    """, [.text(origin), .int(numbering.current), .int(SystemClock.wallMicros())])
                // Committed before, its answer lost: the runs are looked up; the calls' ids are not
                // (they only link exported spans back to the recording, and those spans are gone).
                if marker.rows.isEmpty { return (try storedRuns(of: batch), [:]) }
                return try apply(batch, runs: known, events: events, copying: copying)
            }
        }
        let written: (runs: [LocalRunID: Int64], calls: [CallReference: Int64])
        do {
            written = try transaction(copying: true)
        } catch is CopyRefused {
            refusedCopies += 1
            // A message already stored at its place (multi-row inserts skip it) or a value COPY
            // would not take: the batch again, the slower way that says what is wrong, if anything.
            written = try transaction(copying: false)
        }
        numbering.advance()
        runs.merge(written.runs) { $1 }
        return written.calls
    }

    /// The runs a batch started, as the earlier (committed) attempt stored them.
    private func storedRuns(of batch: [RecordOp]) throws -> [LocalRunID: Int64] {
        let started = batch.compactMap { op -> Int64? in
            if case .startRun(let start) = op { return Int64(start.run) }
            return nil
        }
        guard !started.isEmpty else { return [:] }
        var found: [LocalRunID: Int64] = [:]
        let rows = try db.query(
            "SELECT origin_run, id FROM runs WHERE origin = ? AND origin_run IN (\(StoreReader.idList(started)))",
            [.text(origin)])
        for row in rows.rows {
            if case .int(let local) = row[0], case .int(let id) = row[1] { found[LocalRunID(local)] = id }
        }
        return found
    }

    private static let runInsert: String = {
        let columns = RunRecord.table.insertedColumns.map(\.rawValue) + ["origin", "origin_run"]
        return "INSERT INTO runs (\(columns.joined(separator: ", "))) VALUES ("
            + (1...columns.count).map { "$\($0)" }.joined(separator: ", ") + ") RETURNING id"
    }()

    private func apply(
        _ batch: [RecordOp], runs written: [LocalRunID: Int64],
        events: [RecorderEvent], copying: Bool
    ) throws -> (runs: [LocalRunID: Int64], calls: [CallReference: Int64]) {
        var newRuns: [LocalRunID: Int64] = [:]
        var counts: [Int64: (messages: Int, calls: Int, errors: Int)] = [:]
        func id(_ run: LocalRunID) throws -> Int64 {
            if let id = newRuns[run] ?? written[run] { return id }
            throw StoreError.unknownRun(run)
        }
        // Messages and calls go with COPY unless it was refused for this batch (see `write`).
        var copiedMessages = CopyRows<MessageRecord>()
        var insertedMessages = MultiRowInsert<MessageRecord>()
        var copiedCalls = CopyRows<CallRecord>(columns: [.id] + CallRecord.table.insertedColumns)
        var calls = MultiRowInsert<CallRecord>(returning: "id, run_id, request_seq")
        // COPY returns nothing: the copied calls' ids are taken from the table's sequence
        // beforehand (under the feed's lock, so they are in commit order as inserted ones are).
        var reservedCallIDs: ArraySlice<Int64> = []
        var copiedCallIDs: [CallReference: Int64] = [:]
        var pendingCalls: Set<CallReference> = []
        var serverLogs = MultiRowInsert<ServerLogRecord>()
        var scriptOutputs = MultiRowInsert<ScriptOutputRecord>()
        // Calls and script outputs are read forward by id (`/api/calls?after=`), so their ids must
        // be in commit order, as SQLite's single writer makes them: a writer takes the feed's lock
        // before its first such row and keeps it to its commit. Messages, the bulk of a batch, are
        // inserted before, by every writer at once.
        var ordered = false
        func inCommitOrder() throws {
            guard !ordered else { return }
            try db.run(PostgresSchema.takeFeedLock)
            ordered = true
        }
        func flushCalls() throws {
            if !calls.isEmpty { try inCommitOrder() }
            try copiedCalls.flush(on: db)
            try calls.flush(on: db)
            pendingCalls.removeAll()
        }
        // Updates, deletes and lookups see every row inserted before them, as in SQLite's one-by-one order.
        func flushAll() throws {
            try copiedMessages.flush(on: db)
            try insertedMessages.flush(on: db)
            try flushCalls()
            try serverLogs.flush(on: db)
            if !scriptOutputs.isEmpty { try inCommitOrder() }
            try scriptOutputs.flush(on: db)
        }

        for (index, op) in zip(batch.indices, batch) {
            switch op {
            case .startRun(let start):
                try flushAll()
                var run = start.record
                run.previousRunID = start.previousRun.flatMap { newRuns[$0] ?? written[$0] }
                let values = run.insertedValues + [.text(origin), .int(Int64(start.run))]
                guard case .int(let runID) = try db.server.query(Self.runInsert, values).rows.first?.first else {
                    throw StoreError.notFound(what: "the id of the run just inserted")
                }
                newRuns[start.run] = runID

            case .updateRun(let run, let info):
                try flushAll()
                try db.run(RecordingStatements.updatePeers, RecordingStatements.peerArguments(info, run: try id(run)))

            case .endRun(let end):
                try flushAll()
                try db.run(RecordingStatements.endRun, RecordingStatements.endArguments(end, run: try id(end.run)))

            case .message(let run, var message):
                message.runID = try id(run)
                if copying { try copiedMessages.add(message, on: db) } else { try insertedMessages.add(message, on: db) }
                counts[message.runID, default: (0, 0, 0)].messages += 1

            case .call(let run, var call, let firstRound):
                call.runID = try id(run)
                if let firstRound, let firstRun = newRuns[firstRound.run] ?? written[firstRound.run] {
                    if pendingCalls.contains(firstRound) { try flushCalls() }
                    call.firstCallID = try db.scalarInt(RecordingStatements.callID, [.int(firstRun), .int(Int64(firstRound.requestSeq))])
                }
                if copying {
                    if reservedCallIDs.isEmpty {
                        try inCommitOrder()
                        reservedCallIDs = try reserveCallIDs(batch[index...].count { if case .call = $0 { true } else { false } })
                    }
                    call.id = reservedCallIDs.removeFirst()
                    copiedCallIDs[CallReference(run: run, requestSeq: call.requestSeq)] = call.id
                    try copiedCalls.add(call, on: db)
                } else {
                    if calls.isFull { try flushCalls() }  // under the feed's lock, as every call row
                    try calls.add(call, on: db)
                }
                pendingCalls.insert(CallReference(run: run, requestSeq: call.requestSeq))
                counts[call.runID, default: (0, 0, 0)].calls += 1
                if call.isError { counts[call.runID, default: (0, 0, 0)].errors += 1 }

            case .toolSchemas(let run, let schemas):
                try flushAll()
                let runID = try id(run)
                for var schema in schemas {
                    schema.runID = runID
                    try db.server.query(ToolSchemaRecord.postgresInsert(key: [.runID, .name]), schema.insertedValues)
                }

            case .serverLog(let run, var log):
                log.runID = try id(run)
                try serverLogs.add(log, on: db)

            case .rewriteMessage(let run, let seq, let body):
                try flushAll()
                try db.run(RecordingStatements.rewriteMessage, [.text(body), .int(try id(run)), .int(Int64(seq))])
                try db.run(RecordingStatements.dropSealedParams, [.int(try id(run)), .int(Int64(seq))])

            case .sealedParams(let run, let seq, let keyID, let sealed):
                try flushAll()
                let params = SealedParams(runID: try id(run), seq: seq, keyID: keyID, sealed: sealed)
                try db.server.query(SealedParams.postgresInsert(key: [.runID, .seq]), params.insertedValues)

            case .scriptOutput(let run, var output):
                output.runID = run.flatMap { newRuns[$0] ?? written[$0] }
                if scriptOutputs.isFull { try inCommitOrder() }
                try scriptOutputs.add(output, on: db)

            case .scriptStatus(let status):
                try flushAll()
                try db.server.query(ScriptStatusRecord.postgresInsert(key: [.script, .argusPID]), status.insertedValues)

            case .fault(let run, let fault):
                try flushAll()
                try insert(fault, runID: try id(run))
            }
        }
        try flushAll()
        for (runID, c) in counts.sorted(by: { $0.key < $1.key }) {  // one lock order for every writer
            try db.run(RecordingStatements.addCounts, [.int(Int64(c.messages)), .int(Int64(c.calls)), .int(Int64(c.errors)), .int(runID)])
        }
        for event in events { try db.server.query(RecorderEvent.postgresInsert(), event.insertedValues) }
        let insertedCallIDs = Self.callIDs(calls.returned, runs: written.merging(newRuns) { $1 })
        return (newRuns, copiedCallIDs.merging(insertedCallIDs) { $1 })
    }

    /// `count` new ids of the calls table, ascending.
    private func reserveCallIDs(_ count: Int) throws -> ArraySlice<Int64> {
        let rows = try db.query(
            "SELECT nextval(pg_get_serial_sequence('calls', 'id')) FROM generate_series(1, ?)", [.int(Int64(count))]
        ).rows
        let ids = rows.compactMap { row -> Int64? in if case .int(let id) = row.first { id } else { nil } }
        guard ids.count == count else { throw StoreError.notFound(what: "\(count) new call ids (got \(ids.count))") }
        return ArraySlice(ids.sorted())
    }

    /// The ids of the calls inserted, by the recorder's reference (`RETURNING id, run_id, request_seq`).
    private static func callIDs(_ rows: [[SQLiteValue]], runs: [LocalRunID: Int64]) -> [CallReference: Int64] {
        let localRun = Dictionary(runs.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        var ids: [CallReference: Int64] = [:]
        for row in rows {
            guard row.count == 3, case .int(let id) = row[0], case .int(let runID) = row[1], case .int(let seq) = row[2],
                let run = localRun[runID]
            else { continue }
            ids[CallReference(run: run, requestSeq: Int(seq))] = id
        }
        return ids
    }

    /// Stores a fault, finding its request (and the spoilt answer) among the run's messages.
    private func insert(_ fault: InjectedFault, runID: Int64) throws {
        let requestSeq = try db.scalarInt(RecordingStatements.faultRequest, [.int(runID), .text(fault.requestID)])
        let responseSeq = fault.spoiltResponse ? try db.scalarInt(RecordingStatements.faultResponse, [.int(runID)]) : nil
        let record = FaultRecord(
            runID: runID, requestSeq: requestSeq.map(Int.init), responseSeq: responseSeq.map(Int.init),
            timestamp: fault.timestamp, tool: fault.tool, kind: fault.kind, source: fault.source, detail: fault.detail)
        try db.server.query(FaultRecord.postgresInsert(), record.insertedValues)
    }

    @discardableResult
    public func requestRun(server: String?, endingRun runID: Int64?, label: String?, requestedBy: String) throws -> Int64 {
        let request = RunRequest(
            requestedAt: SystemClock.wallMicros(), server: server, runID: runID, label: label, requestedBy: requestedBy)
        guard case .int(let id) = try db.server.query(RunRequest.postgresInsert(returning: "id"), request.insertedValues).rows.first?.first
        else { throw StoreError.notFound(what: "the id of the run request just inserted") }
        return id
    }
}
