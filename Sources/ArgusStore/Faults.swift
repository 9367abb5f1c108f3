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

    /// `injected: error (faults[0]; not sent to the server)`, for listings.
    public var label: String {
        "injected: \(kind) (\(source)\(detail.map { "; \($0)" } ?? ""))"
    }

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
