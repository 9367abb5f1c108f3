import ArgusCore

extension SQLiteWriter {
    /// One transaction per batch; the rows of each op are inserted through their record's table
    /// (cached prepared statements), and the runs' counters are added once per batch.
    @discardableResult
    public func write(_ batch: [RecordOp], runs: inout [LocalRunID: Int64], events: [RecorderEvent]) throws -> [CallReference: Int64] {
        let written = runs
        var newRuns: [LocalRunID: Int64] = [:]
        var newCalls: [CallReference: Int64] = [:]
        var counts: [Int64: (messages: Int, calls: Int, errors: Int)] = [:]
        func id(_ run: LocalRunID) throws -> Int64 {
            if let id = newRuns[run] ?? written[run] { return id }
            throw StoreError.unknownRun(run)
        }

        try db.transaction(immediate: true) {
            for op in batch {
                switch op {
                case .startRun(let start):
                    var run = start.record
                    run.previousRunID = start.previousRun.flatMap { newRuns[$0] ?? written[$0] }
                    newRuns[start.run] = try db.insert(run)

                case .updateRun(let run, let info):
                    try db.run(RecordingStatements.updatePeers, RecordingStatements.peerArguments(info, run: try id(run)))

                case .endRun(let end):
                    try db.run(RecordingStatements.endRun, RecordingStatements.endArguments(end, run: try id(end.run)))

                case .message(let run, var message):
                    message.runID = try id(run)
                    try db.insert(message)
                    counts[message.runID, default: (0, 0, 0)].messages += 1

                case .call(let run, var call, let firstRound):
                    call.runID = try id(run)
                    // The first round was written before this one (it completed first), maybe in an earlier run.
                    if let firstRound, let firstRun = newRuns[firstRound.run] ?? written[firstRound.run] {
                        call.firstCallID = try db.scalarInt(
                            RecordingStatements.callID,
                            [.int(firstRun), .int(Int64(firstRound.requestSeq))])
                    }
                    newCalls[CallReference(run: run, requestSeq: call.requestSeq)] = try db.insert(call)
                    counts[call.runID, default: (0, 0, 0)].calls += 1
                    if call.isError { counts[call.runID, default: (0, 0, 0)].errors += 1 }

                case .toolSchemas(let run, let schemas):
                    let runID = try id(run)
                    for var schema in schemas {
                        schema.runID = runID
                        try db.insert(schema)
                    }

                case .serverLog(let run, var log):
                    log.runID = try id(run)
                    try db.insert(log)

                case .rewriteMessage(let run, let seq, let body):
                    try db.run(RecordingStatements.rewriteMessage, [.text(body), .int(try id(run)), .int(Int64(seq))])
                    try db.run(RecordingStatements.dropSealedParams, [.int(try id(run)), .int(Int64(seq))])

                case .sealedParams(let run, let seq, let keyID, let sealed):
                    try db.insert(SealedParams(runID: try id(run), seq: seq, keyID: keyID, sealed: sealed))

                case .scriptOutput(let run, var output):
                    output.runID = run.flatMap { newRuns[$0] ?? written[$0] }
                    try db.insert(output)

                case .scriptStatus(let status):
                    try db.insert(status)

                case .fault(let run, let fault):
                    try insert(fault, runID: try id(run))
                }
            }
            for (runID, c) in counts {
                try db.run(
                    RecordingStatements.addCounts, [.int(Int64(c.messages)), .int(Int64(c.calls)), .int(Int64(c.errors)), .int(runID)])
            }
            for event in events { try db.insert(event) }
        }
        runs.merge(newRuns) { $1 }
        return newCalls
    }

    /// Stores a fault, finding its request (and the spoilt answer) among the run's messages, which
    /// were written before it: the newest client request with its id, the newest server message.
    private func insert(_ fault: InjectedFault, runID: Int64) throws {
        let requestSeq = try db.scalarInt(RecordingStatements.faultRequest, [.int(runID), .text(fault.requestID)])
        let responseSeq = fault.spoiltResponse ? try db.scalarInt(RecordingStatements.faultResponse, [.int(runID)]) : nil
        try db.insert(
            FaultRecord(
                runID: runID, requestSeq: requestSeq.map(Int.init), responseSeq: responseSeq.map(Int.init),
                timestamp: fault.timestamp, tool: fault.tool, kind: fault.kind, source: fault.source,
                detail: fault.detail))
    }
}
