import ArgusCore
import ArgusPostgres
import ArgusProxy
import ArgusStore
import ArgusSystem
import Foundation
import PostgresNIO
import Synchronization

/// The recorder into a local PostgreSQL from `wraps` concurrent recording pipelines, each on
/// its own connection as each `argus wrap` is, against raw multi-row inserts of the same rows
/// (two messages and a call per call) from as many connections, in the same run.
/// Needs a server: `--url postgres://…` or $ARGUS_BENCH_POSTGRES_URL (password from PGPASSWORD).
enum PostgresRecorderBench {
    static func run(_ options: Options) {
        let environment = ProcessInfo.processInfo.environment
        guard let url = options.values["url"] ?? environment["ARGUS_BENCH_POSTGRES_URL"] else {
            print("recorder-postgres: skipped (no --url and no ARGUS_BENCH_POSTGRES_URL)")
            return
        }
        let wraps = options.int("wraps", 4)
        let callsEach = options.int("calls", 50_000)
        let requests = (0..<1000).map { toolCall(id: $0) }
        let responses = (0..<1000).map { i in
            Array(
                #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"found 3 issues in octo/hello"}],"structuredContent":{"count":3}}}"#
                    .utf8) + [0x0A]
        }
        // `--baselines no` measures the pipelines alone (to profile them).
        let baselines = options.string("baselines", "yes") != "no"
        do {
            // Raw multi-row inserts, then raw COPY, of the same rows.
            let rawRates =
                baselines
                ? try [rawRows, rawCopies].map { rows in
                    try inFreshDatabase(url, environment) {
                        try raw(
                            url: $0, wraps: wraps, callsEach: callsEach, requests: requests, responses: responses,
                            environment: environment, rows: rows)
                    }
                } : [0, 0]
            let argus = try inFreshDatabase(url, environment) {
                pipelines(url: $0, wraps: wraps, callsEach: callsEach, requests: requests, responses: responses)
            }
            print("recorder into PostgreSQL: \(wraps) concurrent recorders × \(callsEach) request/response pairs")
            print("| | calls/s | writer queue high-water (largest) | rows |")
            print("|---|---|---|---|")
            print(
                "| raw multi-row inserts (baseline, \(wraps) connections, 3 rows per call) | \(Int(rawRates[0])) | - | \(3 * wraps * callsEach) |"
            )
            print("| raw COPY (baseline, \(wraps) connections, 3 rows per call) | \(Int(rawRates[1])) | - | \(3 * wraps * callsEach) |")
            print("| argus pipelines (\(wraps) connections) | \(Int(argus.rate)) | \(argus.highWater / 1024) KiB | \(argus.ops) ops |")
        } catch {
            print("recorder-postgres failed: \(error)")
        }
    }

    /// `body` with the URL of a new database on the server, dropped afterwards: autovacuum
    /// then has nothing of a phase left to work on during the next.
    static func inFreshDatabase<T>(_ url: String, _ environment: [String: String], _ body: (String) throws -> T) throws -> T {
        var location = try PostgresLocation(url: url, environment: environment)
        let admin = try PostgresSession.connect(location, environment: environment)
        defer { admin.close() }
        location.database = "argus_bench_\(UUID().uuidString.prefix(8).lowercased())"
        try admin.execute(["CREATE DATABASE \(location.database)"])
        defer { try? admin.execute(["DROP DATABASE \(location.database) WITH (FORCE)"]) }
        // Each phase starts with nothing left to write back from the one before (its WAL would
        // otherwise be checkpointed during the next); a user without the right skips it.
        try? admin.execute(["CHECKPOINT"])
        PostgresBackend.register(environment: environment)
        _ = try ArgusDatabase.writer(path: location.description)  // creates the tables
        return try body(location.description)
    }

    /// Calls per second of `rows` (a baseline) from `wraps` connections at once.
    static func raw(
        url: String, wraps: Int, callsEach: Int, requests: [[UInt8]], responses: [[UInt8]],
        environment: [String: String],
        rows: @Sendable (PostgresSession, Int64, Int, [[UInt8]], [[UInt8]]) throws -> Void
    ) throws -> Double {
        let location = try PostgresLocation(url: url, environment: environment)
        let sessions = try (0..<wraps).map { _ in try PostgresSession.connect(location, environment: environment) }
        defer { for session in sessions { session.close() } }
        let failure = Mutex<String?>(nil)
        let start = SystemClock.monotonicNanos()
        DispatchQueue.concurrentPerform(iterations: wraps) { wrap in
            do {
                try rows(sessions[wrap], Int64(wrap + 1), callsEach, requests, responses)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        if let problem = failure.withLock({ $0 }) { throw PostgresStoreError.connectionLost(reason: problem) }
        return Double(wraps * callsEach) / (Double(SystemClock.monotonicNanos() - start) / 1e9)
    }

    static func pipelines(url: String, wraps: Int, callsEach: Int, requests: [[UInt8]], responses: [[UInt8]])
        -> (rate: Double, highWater: Int, ops: Int)
    {
        let results = Mutex<[(Int, Int)]>([])
        let start = SystemClock.monotonicNanos()
        DispatchQueue.concurrentPerform(iterations: wraps) { wrap in
            let config = RecorderConfig(serverName: "bench-\(wrap)", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
            let pipeline = RecordingPipeline(config: config, options: .init(databasePath: url), report: { print($0) })
            pipeline.start(serverPID: nil)
            for i in 0..<callsEach {
                requests[i % 1000].withUnsafeBytes { pipeline.record(.clientToServer, $0, at: SystemClock.now()) }
                responses[i % 1000].withUnsafeBytes { pipeline.record(.serverToClient, $0, at: SystemClock.now()) }
            }
            let stats = pipeline.finish(reason: .clientEOF, detail: nil, exitStatus: 0, timeoutSeconds: 120)
            results.withLock { $0.append((stats.queueHighWaterBytes, stats.opsWritten)) }
        }
        let seconds = Double(SystemClock.monotonicNanos() - start) / 1e9
        let all = results.withLock { $0 }
        return (Double(wraps * callsEach) / seconds, all.map(\.0).max() ?? 0, all.map(\.1).reduce(0, +))
    }

    /// The baseline: the same three rows per call, 1,000 calls per multi-row statement, one
    /// transaction per 4,000 calls, nothing else (no parsing, no pairing, no marker).
    static func rawRows(_ session: PostgresSession, run: Int64, calls: Int, requests: [[UInt8]], responses: [[UInt8]]) throws {
        try session.query("INSERT INTO runs (id, server_name, command, started_at) VALUES (\(run), 'b', 'b', 0)")
        var i = 0
        while i < calls {
            try session.transaction {
                for _ in 0..<4 where i < calls {
                    let end = min(i + 1000, calls)
                    var messageBinds = PostgresBindings()
                    var messageRows: [String] = []
                    var callBinds = PostgresBindings()
                    var callRows: [String] = []
                    for call in i..<end {
                        for (seq, direction, bytes) in [
                            (2 * call, "c2s", requests[call % 1000]), (2 * call + 1, "s2c", responses[call % 1000]),
                        ] {
                            let body = String(decoding: bytes.dropLast(), as: UTF8.self)
                            let first = messageBinds.count
                            messageBinds.append(run); messageBinds.append(Int64(seq)); messageBinds.append(direction)
                            messageBinds.append(String(call)); messageBinds.append(body); messageBinds.append(Int64(body.utf8.count))
                            messageRows.append(
                                "($\(first + 1), $\(first + 2), $\(first + 3), 0, 'request', 'tools/call', $\(first + 4), $\(first + 5), $\(first + 6))"
                            )
                        }
                        let first = callBinds.count
                        callBinds.append(run); callBinds.append(Int64(2 * call)); callBinds.append(Int64(2 * call + 1));
                        callBinds.append(String(call))
                        callRows.append(
                            "($\(first + 1), 'b', $\(first + 2), $\(first + 3), 'c2s', 'tools/call', 'search_issues', $\(first + 4), 0, 10, 'ok')"
                        )
                    }
                    try session.query(
                        PostgresQuery(
                            unsafeSQL: "INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size) VALUES "
                                + messageRows.joined(separator: ", "), binds: messageBinds))
                    try session.query(
                        PostgresQuery(
                            unsafeSQL:
                                "INSERT INTO calls (run_id, server, request_seq, response_seq, direction, method, tool, jsonrpc_id, started_at, latency_us, status) VALUES "
                                + callRows.joined(separator: ", "), binds: callBinds))
                    i = end
                }
            }
        }
    }

    /// The other baseline: the same rows with COPY (messages and calls), 4,000 calls per
    /// transaction; the least a server does to store them.
    static func rawCopies(_ session: PostgresSession, run: Int64, calls: Int, requests: [[UInt8]], responses: [[UInt8]]) throws {
        try session.query("INSERT INTO runs (id, server_name, command, started_at) VALUES (\(run), 'b', 'b', 0)")
        var i = 0
        while i < calls {
            let end = min(i + 4000, calls)
            var messages: [UInt8] = []
            var callRows: [UInt8] = []
            for call in i..<end {
                for (seq, direction, bytes) in [
                    (2 * call, "c2s", requests[call % 1000]), (2 * call + 1, "s2c", responses[call % 1000]),
                ] {
                    let body = bytes.dropLast()
                    messages += "\(run)\t\(seq)\t\(direction)\t0\trequest\ttools/call\t\(call)\t".utf8
                    messages += body
                    messages += "\t\(body.count)\n".utf8
                }
                callRows += "\(run)\tb\t\(2 * call)\t\(2 * call + 1)\tc2s\ttools/call\tsearch_issues\t\(call)\t0\t10\tok\n".utf8
            }
            try session.transaction {
                try session.copy(
                    into: "messages", columns: ["run_id", "seq", "direction", "ts", "kind", "method", "jsonrpc_id", "body", "size"],
                    text: messages)
                try session.copy(
                    into: "calls",
                    columns: [
                        "run_id", "server", "request_seq", "response_seq", "direction", "method", "tool", "jsonrpc_id", "started_at",
                        "latency_us", "status",
                    ], text: callRows)
            }
            i = end
        }
    }
}
