import ArgusCore

/// An earlier replay of a call, as the dashboard lists it under the call.
public struct CallReplayRow: Sendable {
    public var id: Int64
    public var runID: Int64
    public var status: String
    public var isError: Bool
    public var latencyMicros: Int64?
    public var startedAt: Int64

    public var json: JSONValue {
        ["id": .number(String(id)), "run_id": .number(String(runID)), "status": .string(status), "is_error": .bool(isError),
         "latency_us": latencyMicros.map { .number(String($0)) } ?? .null, "started_at": .string(TimeFormat.iso8601(micros: startedAt))]
    }
}

extension ArgusReader {
    /// The newest replays of a call (`calls.replay_of`), newest first.
    public func replays(of callID: Int64, limit: Int = 20) throws -> [CallReplayRow] {
        try db.query("""
            SELECT id, run_id, status, is_error, latency_us, started_at FROM calls WHERE replay_of = ? ORDER BY id DESC LIMIT ?
            """, [.int(callID), .int(Int64(limit))]).map { r in
            CallReplayRow(id: r.int(0) ?? 0, runID: r.int(1) ?? 0, status: r.text(2) ?? "", isError: r.bool(3), latencyMicros: r.int(4),
                          startedAt: r.int(5) ?? 0)
        }
    }
}
