import ArgusCore

/// A fault argus injected, as stored in `faults`.
public struct FaultRow: Sendable {
    public var runID: Int64
    /// The faulted request (nil only if its message could not be found when the fault was written).
    public var requestSeq: Int64?
    /// The server's answer as the fault left it (`malformed`); argus's own answers are the call's response.
    public var responseSeq: Int64?
    public var timestamp: Int64
    public var tool: String?
    public var kind: String
    public var source: String
    public var detail: String?

    /// Whether argus answered in the server's place (the call's response is argus's).
    public var answeredByArgus: Bool {
        ["error", "is_error", "empty", "stale", "answer"].contains(kind)
    }

    /// Whether the recorded outcome is still the server's own answer (only delayed: `latency`).
    public var kept: Bool { kind == FaultKind.latency.rawValue }


    public var json: JSONValue {
        ["kind": .string(kind), "source": .string(source), "detail": detail.map(JSONValue.string) ?? .null,
         "tool": tool.map(JSONValue.string) ?? .null, "request_seq": requestSeq.map { .number(String($0)) } ?? .null,
         "response_seq": responseSeq.map { .number(String($0)) } ?? .null, "answered_by_argus": .bool(answeredByArgus),
         "ts": .number(String(timestamp))]
    }
}

/// Writing and deleting `faults` rows (the writer's and the deletions' part).
enum FaultWriting {
    /// Inserts a fault, finding its request (and the spoilt answer) among the run's messages, which
    /// were written before it: the newest client request with its id, the newest server message.
    static func insert(_ fault: FaultRecord, runID: Int64, into db: SQLiteConnection) throws {
        try db.run("""
            INSERT INTO faults (run_id, request_seq, response_seq, ts, tool, kind, source, detail)
            VALUES (?1,
                    (SELECT seq FROM messages WHERE run_id = ?1 AND direction = 'c2s' AND jsonrpc_id = ?2
                     ORDER BY seq DESC LIMIT 1),
                    CASE WHEN ?3 THEN (SELECT seq FROM messages WHERE run_id = ?1 AND direction = 's2c'
                                       ORDER BY seq DESC LIMIT 1) END,
                    ?4, ?5, ?6, ?7, ?8)
            """, [.int(runID), .text(fault.requestID), SQLiteValue(fault.spoiltResponse), .int(fault.timestamp),
                  SQLiteValue(fault.tool), .text(fault.kind), .text(fault.source), SQLiteValue(fault.detail)])
    }

    /// Removes the faults of the calls listed in `table` (columns run_id, request_seq), with the
    /// spoilt answers they recorded: part of the call, though not its response.
    static func deleteFaults(ofCallsIn table: String, in db: SQLiteConnection) throws {
        try db.execute("""
            DELETE FROM messages WHERE (run_id, seq) IN (
                SELECT f.run_id, f.response_seq FROM faults f JOIN \(table) d
                    ON f.run_id = d.run_id AND f.request_seq = d.request_seq
                 WHERE f.response_seq IS NOT NULL);
            DELETE FROM faults WHERE (run_id, request_seq) IN (SELECT run_id, request_seq FROM \(table));
            """)
    }
}

extension ArgusReader {
    /// What `runs.kind` calls a run with faults injected (`argus wrap --faults`).
    public static let chaosKind = "chaos"

    static let faultColumns = "run_id, request_seq, response_seq, ts, tool, kind, source, detail"

    static func fault(_ r: Row, offset o: Int = 0) -> FaultRow {
        FaultRow(runID: r.int(o) ?? 0, requestSeq: r.int(o + 1), responseSeq: r.int(o + 2), timestamp: r.int(o + 3) ?? 0,
                 tool: r.text(o + 4), kind: r.text(o + 5) ?? "", source: r.text(o + 6) ?? "", detail: r.text(o + 7))
    }

    /// The faults injected into a run, in order.
    public func faults(run: Int64) throws -> [FaultRow] {
        try db.query("SELECT \(Self.faultColumns) FROM faults WHERE run_id = ? ORDER BY id", [.int(run)]).map { Self.fault($0) }
    }

    /// The condition that leaves out calls of chaos runs (from the server's figures).
    static let notChaosCondition = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(chaosKind)')"

    /// These calls with the faults argus injected into them (`CallSummary.fault`).
    public func withFaults(_ calls: [CallSummary]) throws -> [CallSummary] {
        let faults = try faults(of: calls.filter { $0.runKind == Self.chaosKind })
        guard !faults.isEmpty else { return calls }
        return calls.map { call in
            var call = call
            call.fault = faults[call.id]
            return call
        }
    }

    /// The faults injected into these calls, by call id (calls without one are absent).
    public func faults(of calls: [CallSummary]) throws -> [Int64: FaultRow] {
        guard !calls.isEmpty else { return [:] }
        let pairs = "[" + calls.map { "[\($0.id),\($0.runID),\($0.requestSeq)]" }.joined(separator: ",") + "]"
        var result: [Int64: FaultRow] = [:]
        for row in try db.query("""
            SELECT json_extract(p.value, '$[0]'), f.run_id, f.request_seq, f.response_seq, f.ts, f.tool, f.kind, f.source, f.detail
            FROM json_each(?) p JOIN faults f
              ON f.run_id = json_extract(p.value, '$[1]') AND f.request_seq = json_extract(p.value, '$[2]')
            """, [.text(pairs)]) {
            if let id = row.int(0) { result[id] = Self.fault(row, offset: 1) }
        }
        return result
    }
}

extension ArgusReader {
    /// The tool calls of a run in the order the client sent them, as the verdicts read them: outcome, arguments, the
    /// fault injected, whether the tool is annotated read-only, and the recorded messages.
    public func verdictCalls(run: Int64) throws -> [VerdictCall] {
        guard let summary = try self.run(id: run) else { return [] }
        let rows = try db.query("""
            SELECT c.id, c.tool, c.started_at, c.ended_at, c.status, c.is_error, c.latency_us,
                   (SELECT body FROM messages m WHERE m.run_id = c.run_id AND m.seq = c.request_seq),
                   (SELECT body FROM messages m WHERE m.run_id = c.run_id AND m.seq = c.response_seq),
                   f.kind
            FROM calls c LEFT JOIN faults f ON f.run_id = c.run_id AND f.request_seq = c.request_seq
            WHERE c.run_id = ? AND c.method = 'tools/call' AND c.tool IS NOT NULL
            ORDER BY c.request_seq
            """, [.int(run)])
        var readOnly: [String: Bool?] = [:]
        return try rows.map { r in
            let tool = r.text(1) ?? ""
            if readOnly[tool] == nil {
                let annotations = try latestToolSchema(server: summary.serverName, tool: tool, atOrBeforeRun: run)?.annotations
                readOnly[tool] = .some(annotations.flatMap { try? JSONParser.parse($0) }?["readOnlyHint"]?.boolValue)
            }
            let requestBody = r.text(7), responseBody = r.text(8)
            let request = requestBody.flatMap { try? JSONParser.parse($0) }
            let response = responseBody.flatMap { try? JSONParser.parse($0) }
            let fault = r.text(9)
            let status = r.text(4) ?? "ok"
            var call = VerdictCall(
                id: r.int(0) ?? 0, tool: tool, argumentsKey: request?["params"]?["arguments"]?.canonicalText ?? "{}",
                startedAt: r.int(2) ?? 0, endedAt: r.int(3),
                outcome: VerdictCall.outcome(status: status, isError: r.bool(5), result: response?["result"], fault: fault),
                fault: fault, readOnly: readOnly[tool] ?? nil)
            call.status = status
            call.latencyMicros = r.int(6)
            call.requestBody = requestBody
            call.responseBody = responseBody
            return call
        }
    }
}

extension ArgusReader {
    /// The verdicts on a run: Argus's own, then those `extra` adds (scripts' `verdict` hooks).
    /// Nil when there is no such run.
    public func verdictReport(run: Int64, thresholds: VerdictThresholds,
                              extra: ([VerdictCall]) -> [Verdict] = { _ in [] }) throws -> VerdictReport? {
        guard try self.run(id: run) != nil else { return nil }
        let calls = try verdictCalls(run: run)
        let verdicts = VerdictAnalyzer.verdicts(for: calls, thresholds: thresholds) + extra(calls)
        return VerdictReport(runID: run, verdicts: verdicts, calls: calls.count, faults: try faults(run: run).count)
    }
}
