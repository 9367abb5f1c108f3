import ArgusCore

public struct RunSummary: Sendable {
    public var id: Int64
    public var kind: String
    public var serverName: String
    public var command: String
    public var args: [String]
    public var cwd: String?
    public var envNames: [String]
    public var argusPID: Int64?
    public var serverPID: Int64?
    public var previousRunID: Int64?
    public var clientName: String?
    public var clientVersion: String?
    public var serverInfoName: String?
    public var serverVersion: String?
    public var protocolVersion: String?
    public var startedAt: Int64
    public var endedAt: Int64?
    public var endReason: String?
    public var endDetail: String?
    public var exitStatus: Int64?
    public var stderrTail: String?
    public var droppedFrames: Int64
    public var messageCount: Int64
    public var callCount: Int64
    public var errorCount: Int64
    /// A name given to a run started by hand (`argus runs new --label`).
    public var label: String?
    /// Why this run's traffic was not recorded (nil: it was).
    public var recordingError: String?
}

public struct CallSummary: Sendable {
    public var id: Int64
    public var runID: Int64
    public var server: String
    public var requestSeq: Int64
    public var responseSeq: Int64?
    public var direction: String
    public var method: String
    public var tool: String?
    public var target: String?
    public var jsonrpcID: String
    public var startedAt: Int64
    public var endedAt: Int64?
    public var latencyMicros: Int64?
    public var status: String
    public var isError: Bool
    public var errorCode: Int64?
    public var errorMessage: String?
    public var progressCount: Int64
    public var cancelled: Bool
    public var bytesIn: Int64?
    public var bytesOut: Int64?
    public var replayOf: Int64?
    /// The kind of the call's run (`wrap`, `replay`).
    public var runKind: String = "wrap"
    /// 2026-07-28 multi round-trip: this call's round (nil for a single-round call), and the first round's call id.
    public var round: Int64?
    public var firstCallID: Int64?
    /// The fault argus injected into this call (`argus wrap --faults`); filled by `ArgusReader.withFaults`.
    public var fault: FaultRow?
}

/// A call with its recorded (redacted) request and response.
public struct CallDetail: Sendable {
    public var summary: CallSummary
    public var request: JSONValue?
    public var response: JSONValue?
    public var requestBody: String?
    public var responseBody: String?

    public var params: JSONValue? { request?["params"] }
    public var result: JSONValue? { response?["result"] }
    public var error: JSONValue? { response?["error"] }
}

public struct MessageRow: Sendable {
    public var id: Int64
    public var runID: Int64
    public var seq: Int64
    public var direction: String
    public var timestamp: Int64
    public var kind: String
    public var method: String?
    public var jsonrpcID: String?
    public var body: String
    public var size: Int64
    public var redacted: Bool
}

public struct ToolSchemaRow: Sendable {
    public var runID: Int64
    public var name: String
    public var title: String?
    public var description: String?
    public var inputSchema: String?
    public var outputSchema: String?
    public var annotations: String?
}

public struct ServerLogRow: Sendable {
    public var id: Int64
    public var runID: Int64
    public var timestamp: Int64
    public var line: String
}

public struct CallFilter: Sendable {
    public var run: Int64?
    public var server: String?
    public var tool: String?
    public var method: String?
    public var errorsOnly = false
    public var status: CallStatus?
    /// Substring searched in tool, method, error message and the recorded request and response bodies.
    public var text: String?
    public var since: Int64?
    public var until: Int64?
    /// Cursor: only calls with an id below this one (pages go backwards in time).
    public var beforeID: Int64?
    /// Cursor: only calls with an id above this one (newer); the oldest of them come first.
    public var afterID: Int64?
    public var limit = 100
    /// Leave out calls of replay runs (`argus replay`, `argus test`, dashboard replays), which are
    /// not real traffic. Ignored when `run` names one run.
    public var excludeReplays = false

    public init() {}
}

/// Latency and error figures for one tool (or method) of one server.
public struct ToolStats: Sendable {
    public var server: String
    /// The tool name for `tools/call`, otherwise the method.
    public var name: String
    public var isTool: Bool
    public var count: Int
    public var errors: Int
    public var p50: Int64?
    public var p95: Int64?
    public var p99: Int64?
    public var mean: Int64?
    public var max: Int64?

    public var errorRate: Double { count == 0 ? 0 : Double(errors) / Double(count) }
}

/// Reads recordings. One connection, one thread.
public final class ArgusReader {
    public let db: SQLiteConnection

    public init(db: SQLiteConnection) {
        self.db = db
    }

    public convenience init(path: String) throws {
        self.init(db: try ArgusDatabase.openForReading(path: path))
    }

    // MARK: runs

    static let runColumns = """
        id, kind, server_name, command, args, cwd, env_names, argus_pid, server_pid, previous_run_id,
        client_name, client_version, server_info_name, server_version, protocol_version, started_at, ended_at,
        end_reason, end_detail, exit_status, stderr_tail, dropped_frames, message_count, call_count, error_count,
        label, recording_error
        """

    /// What a replay run is called in `runs.kind`; everything else is real traffic.
    public static let replayKind = "replay"

    /// - Parameters:
    ///   - excludeReplays: leave out replay runs ("last runs" shows real sessions)…
    ///   - keeping: …except these (the dashboard's warm replay sessions, which a user may want to stop).
    public func runs(limit: Int = 50, server: String? = nil, beforeID: Int64? = nil, excludeReplays: Bool = false,
                     keeping: [Int64] = []) throws -> [RunSummary]
    {
        var conditions = Conditions()
        conditions.add("server_name = ?", ifSet: server)
        conditions.add("id < ?", ifSet: beforeID)
        if excludeReplays {
            let kept = "[" + keeping.map(String.init).joined(separator: ",") + "]"
            conditions.add("(kind != ? OR id IN (SELECT value FROM json_each(?)))", [.text(Self.replayKind), .text(kept)])
        }
        return try db.query("SELECT \(Self.runColumns) FROM runs \(conditions.sql) ORDER BY id DESC LIMIT ?",
                            conditions.arguments + [.int(Int64(limit))]).map(Self.run)
    }

    public func openRuns() throws -> [RunSummary] {
        try db.query("SELECT \(Self.runColumns) FROM runs WHERE ended_at IS NULL ORDER BY id").map(Self.run)
    }

    public func run(id: Int64) throws -> RunSummary? {
        try db.query("SELECT \(Self.runColumns) FROM runs WHERE id = ?", [.int(id)]).first.map(Self.run)
    }

    static func run(_ r: Row) -> RunSummary {
        RunSummary(id: r.int(0) ?? 0, kind: r.text(1) ?? "wrap", serverName: r.text(2) ?? "", command: r.text(3) ?? "",
                   args: stringArray(r.text(4)), cwd: r.text(5), envNames: stringArray(r.text(6)), argusPID: r.int(7),
                   serverPID: r.int(8), previousRunID: r.int(9), clientName: r.text(10), clientVersion: r.text(11),
                   serverInfoName: r.text(12), serverVersion: r.text(13), protocolVersion: r.text(14),
                   startedAt: r.int(15) ?? 0, endedAt: r.int(16), endReason: r.text(17), endDetail: r.text(18),
                   exitStatus: r.int(19), stderrTail: r.text(20), droppedFrames: r.int(21) ?? 0,
                   messageCount: r.int(22) ?? 0, callCount: r.int(23) ?? 0, errorCount: r.int(24) ?? 0,
                   label: r.text(25), recordingError: r.text(26))
    }

    static func stringArray(_ text: String?) -> [String] {
        guard let text, let value = try? JSONParser.parse(text), let items = value.arrayValue else { return [] }
        return items.compactMap(\.stringValue)
    }

    // MARK: calls

    static let callColumns = """
        c.id, c.run_id, c.server, c.request_seq, c.response_seq, c.direction, c.method, c.tool, c.target, c.jsonrpc_id,
        c.started_at, c.ended_at, c.latency_us, c.status, c.is_error, c.error_code, c.error_message, c.progress_count,
        c.cancelled, c.bytes_in, c.bytes_out, c.replay_of, (SELECT kind FROM runs WHERE id = c.run_id), c.round,
        c.first_call_id
        """

    /// The condition that leaves out calls of replay runs.
    static let notReplayCondition = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(replayKind)')"

    /// Calls matching the filter, newest first; with `afterID`, the oldest ones after it first.
    public func calls(_ filter: CallFilter) throws -> [CallSummary] {
        var conditions = Conditions()
        conditions.add("c.run_id = ?", ifSet: filter.run)
        conditions.add("c.server = ?", ifSet: filter.server)
        conditions.add("c.tool = ?", ifSet: filter.tool)
        conditions.add("c.method = ?", ifSet: filter.method)
        if filter.errorsOnly { conditions.add("c.is_error = 1") }
        conditions.add("c.status = ?", ifSet: filter.status?.rawValue)
        conditions.add("c.started_at >= ?", ifSet: filter.since)
        conditions.add("c.started_at < ?", ifSet: filter.until)
        conditions.add("c.id < ?", ifSet: filter.beforeID)
        conditions.add("c.id > ?", ifSet: filter.afterID)
        if filter.excludeReplays && filter.run == nil { conditions.add("c." + Self.notReplayCondition) }
        if let text = filter.text, !text.isEmpty {
            let pattern = "%" + text.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
            conditions.add("""
                (c.tool LIKE ?1x ESCAPE '\\' OR c.method LIKE ?1x ESCAPE '\\' OR c.error_message LIKE ?1x ESCAPE '\\'
                 OR EXISTS (SELECT 1 FROM messages m WHERE m.run_id = c.run_id
                            AND m.seq IN (c.request_seq, c.response_seq) AND m.body LIKE ?1x ESCAPE '\\'))
                """.replacing("?1x", with: "?"), Array(repeating: .text(pattern), count: 4))
        }
        // Forward from an `after` cursor the oldest come first, so the next cursor is the newest id
        // returned and a poller never skips or repeats a call.
        let order = filter.afterID != nil ? "ASC" : "DESC"
        return try db.query("SELECT \(Self.callColumns) FROM calls c \(conditions.sql) ORDER BY c.id \(order) LIMIT ?",
                            conditions.arguments + [.int(Int64(filter.limit))]).map(Self.call)
    }

    public func call(id: Int64) throws -> CallDetail? {
        guard let summary = try db.query("SELECT \(Self.callColumns) FROM calls c WHERE c.id = ?", [.int(id)]).first
            .map(Self.call)
        else { return nil }
        let requestBody = try messageBody(run: summary.runID, seq: summary.requestSeq)
        let responseBody = try summary.responseSeq.flatMap { try messageBody(run: summary.runID, seq: $0) }
        return CallDetail(summary: summary, request: requestBody.flatMap { Self.message(in: $0, id: summary.jsonrpcID) },
                          response: responseBody.flatMap { Self.message(in: $0, id: summary.jsonrpcID) },
                          requestBody: requestBody, responseBody: responseBody)
    }

    /// Details for many calls at once (CLI `calls --json`).
    public func details(_ calls: [CallSummary]) throws -> [CallDetail] {
        try calls.map { summary in
            let requestBody = try messageBody(run: summary.runID, seq: summary.requestSeq)
            let responseBody = try summary.responseSeq.flatMap { try messageBody(run: summary.runID, seq: $0) }
            return CallDetail(summary: summary, request: requestBody.flatMap { Self.message(in: $0, id: summary.jsonrpcID) },
                              response: responseBody.flatMap { Self.message(in: $0, id: summary.jsonrpcID) },
                              requestBody: requestBody, responseBody: responseBody)
        }
    }

    func messageBody(run: Int64, seq: Int64) throws -> String? {
        try db.query("SELECT body FROM messages WHERE run_id = ? AND seq = ?", [.int(run), .int(seq)]).first?.text(0)
    }

    /// The message with this id inside a recorded frame (the frame itself, or
    /// the matching element of a batch).
    static func message(in body: String, id: String) -> JSONValue? {
        guard let value = try? JSONParser.parse(body) else { return nil }
        if let items = value.arrayValue {
            return items.first { $0["id"].map { JSONWriter.string($0) } == id }
        }
        return value
    }

    static func call(_ r: Row) -> CallSummary { call(r, offset: 0) }

    /// A call from `callColumns`, starting at column `o`.
    static func call(_ r: Row, offset o: Int) -> CallSummary {
        CallSummary(id: r.int(o + 0) ?? 0, runID: r.int(o + 1) ?? 0, server: r.text(o + 2) ?? "", requestSeq: r.int(o + 3) ?? 0,
                    responseSeq: r.int(o + 4), direction: r.text(o + 5) ?? "", method: r.text(o + 6) ?? "", tool: r.text(o + 7),
                    target: r.text(o + 8), jsonrpcID: r.text(o + 9) ?? "", startedAt: r.int(o + 10) ?? 0, endedAt: r.int(o + 11),
                    latencyMicros: r.int(o + 12), status: r.text(o + 13) ?? "", isError: r.bool(o + 14), errorCode: r.int(o + 15),
                    errorMessage: r.text(o + 16), progressCount: r.int(o + 17) ?? 0, cancelled: r.bool(o + 18), bytesIn: r.int(o + 19),
                    bytesOut: r.int(o + 20), replayOf: r.int(o + 21), runKind: r.text(o + 22) ?? "wrap", round: r.int(o + 23),
                    firstCallID: r.int(o + 24))
    }

    // MARK: messages, schemas, logs

    public func messages(run: Int64, afterSeq: Int64 = 0, limit: Int = 1000) throws -> [MessageRow] {
        try db.query("""
            SELECT id, run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size, redacted
            FROM messages WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [.int(run), .int(afterSeq), .int(Int64(limit))]).map { r in
            MessageRow(id: r.int(0) ?? 0, runID: r.int(1) ?? 0, seq: r.int(2) ?? 0, direction: r.text(3) ?? "",
                       timestamp: r.int(4) ?? 0, kind: r.text(5) ?? "", method: r.text(6), jsonrpcID: r.text(7),
                       body: r.text(8) ?? "", size: r.int(9) ?? 0, redacted: r.bool(10))
        }
    }

    public func toolSchemas(run: Int64) throws -> [ToolSchemaRow] {
        try db.query("""
            SELECT run_id, name, title, description, input_schema, output_schema, annotations
            FROM tool_schemas WHERE run_id = ? ORDER BY name
            """, [.int(run)]).map(Self.schema)
    }

    /// The most recent schema recorded for a tool of a server (the run itself may not have listed tools).
    public func latestToolSchema(server: String, tool: String, atOrBeforeRun run: Int64? = nil) throws -> ToolSchemaRow? {
        try db.query("""
            SELECT s.run_id, s.name, s.title, s.description, s.input_schema, s.output_schema, s.annotations
            FROM tool_schemas s JOIN runs r ON r.id = s.run_id
            WHERE r.server_name = ? AND s.name = ? AND s.run_id <= ?
            ORDER BY s.run_id DESC LIMIT 1
            """, [.text(server), .text(tool), .int(run ?? .max)]).first.map(Self.schema)
    }

    static func schema(_ r: Row) -> ToolSchemaRow {
        ToolSchemaRow(runID: r.int(0) ?? 0, name: r.text(1) ?? "", title: r.text(2), description: r.text(3),
                      inputSchema: r.text(4), outputSchema: r.text(5), annotations: r.text(6))
    }

    public func serverLogs(run: Int64, limit: Int = 1000) throws -> [ServerLogRow] {
        try db.query("""
            SELECT id, run_id, ts, line FROM (SELECT * FROM server_logs WHERE run_id = ? ORDER BY id DESC LIMIT ?)
            ORDER BY id
            """, [.int(run), .int(Int64(limit))]).map { r in
            ServerLogRow(id: r.int(0) ?? 0, runID: r.int(1) ?? 0, timestamp: r.int(2) ?? 0, line: r.text(3) ?? "")
        }
    }

    // MARK: stats

    /// Per server and tool (or method): counts, error rate and latency percentiles.
    /// - Parameter excludeReplays: leave out replay runs (ignored when `run` names one).
    public func stats(run: Int64? = nil, server: String? = nil, since: Int64? = nil, excludeReplays: Bool = false) throws
        -> [ToolStats]
    {
        var conditions = Conditions()
        conditions.add("run_id = ?", ifSet: run)
        if excludeReplays && run == nil {
            conditions.add(Self.notReplayCondition)
            conditions.add(Self.notChaosCondition)  // injected faults are not the server's figures
        }
        if run == nil { conditions.add(Self.notMockCondition) }
        conditions.add("server = ?", ifSet: server)
        conditions.add("started_at >= ?", ifSet: since)
        let rows = try db.query("""
            SELECT server, COALESCE(tool, method), tool IS NOT NULL, latency_us, is_error
            FROM calls \(conditions.sql)
            """, conditions.arguments)
        struct Key: Hashable {
            var server: String
            var name: String
            var isTool: Bool
        }
        var groups: [Key: (latencies: [Int64], count: Int, errors: Int)] = [:]
        for r in rows {
            let key = Key(server: r.text(0) ?? "", name: r.text(1) ?? "", isTool: r.bool(2))
            var g = groups[key] ?? ([], 0, 0)
            g.count += 1
            if r.bool(4) { g.errors += 1 }
            if let latency = r.int(3) { g.latencies.append(latency) }
            groups[key] = g
        }
        return groups.map { key, g in
            let sorted = g.latencies.sorted()
            return ToolStats(server: key.server, name: key.name, isTool: key.isTool, count: g.count, errors: g.errors,
                             p50: Self.percentile(sorted, 0.50), p95: Self.percentile(sorted, 0.95),
                             p99: Self.percentile(sorted, 0.99),
                             mean: sorted.isEmpty ? nil : sorted.reduce(0, +) / Int64(sorted.count), max: sorted.last)
        }.sorted { a, b in
            // By server, tools before other methods, then by name.
            if a.server != b.server { return a.server < b.server }
            if a.isTool != b.isTool { return a.isTool }
            return a.name < b.name
        }
    }

    /// Nearest-rank percentile of sorted values.
    public static func percentile(_ sorted: [Int64], _ p: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

extension ArgusReader {
    /// The run's original command-line arguments, sealed, when the stored ones are redacted.
    public func sealedArgs(run: Int64) throws -> (keyID: String, bytes: [UInt8])? {
        guard let row = try db.query("SELECT args_key_id, args_sealed FROM runs WHERE id = ?", [.int(run)]).first,
              let key = row.text(0), let bytes = row.blob(1)
        else { return nil }
        return (key, bytes)
    }

    /// The sealed original params of a request, if they were kept.
    public func sealedParams(run: Int64, seq: Int64) throws -> (keyID: String, bytes: [UInt8])? {
        guard let row = try db.query("SELECT key_id, sealed FROM sealed_params WHERE run_id = ? AND seq = ?",
                                     [.int(run), .int(seq)]).first,
              let key = row.text(0), let bytes = row.blob(1)
        else { return nil }
        return (key, bytes)
    }

    /// The first recorded request of a method in a run (its stored body), e.g. the initialize.
    public func firstRequest(run: Int64, method: String) throws -> JSONValue? {
        try db.query("""
            SELECT body FROM messages WHERE run_id = ? AND method = ? AND kind = 'request' ORDER BY seq LIMIT 1
            """, [.int(run), .text(method)]).first?.text(0).flatMap { try? JSONParser.parse($0) }
    }

    /// What the client answered to the server's own requests (roots/list, …), by method.
    public func clientAnswers(run: Int64) throws -> [String: JSONValue] {
        var answers: [String: JSONValue] = [:]
        for row in try db.query("""
            SELECT method, body FROM messages WHERE run_id = ? AND direction = 'c2s' AND kind = 'response' AND method IS NOT NULL
            ORDER BY seq
            """, [.int(run)]) {
            guard let method = row.text(0), answers[method] == nil,
                  let body = row.text(1).flatMap({ try? JSONParser.parse($0) }), let result = body["result"]
            else { continue }
            answers[method] = result
        }
        return answers
    }
}
