import ArgusCore
import ArgusProxy
import ArgusStore
import Foundation

/// A realistic small request: a tools/call with nested arguments and a secret
/// the redactor must find (so redaction really runs).
func toolCall(id: Int, payload: String = "hello") -> [UInt8] {
    Array(("""
        {"jsonrpc":"2.0","id":\(id),"method":"tools/call","params":{"name":"search_issues","arguments":\
        {"repo":"octo/hello","query":"\(payload)","labels":["bug","p1"],"limit":20,"api_key":"k-\(id)-abcdef",\
        "options":{"sort":"updated","order":"desc"}},"_meta":{"progressToken":"t-\(id)"}}}
        """ + "\n").utf8)
}

enum LatencyBench {
    /// Round trips to the same echo server: directly, through a bare relay
    /// (the floor for any proxy: two more pipe hops), and through `argus wrap`
    /// with recording and redaction on. Interleaved, so noise hits all alike.
    static func run(_ options: Options) {
        let rounds = options.int("rounds", 20000)
        let warmup = options.int("warmup", 2000)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "echo-server"]
        let db = temporaryDatabase()
        do {
            let peers = [
                try Peer(server),
                try Peer([bin + "/argus-bench", "relay", "--"] + server),
                try Peer([bin + "/argus", "wrap", "--db", db, "--name", "bench", "--"] + server),
            ]
            var times: [[Double]] = [[], [], []]
            for i in 0..<(rounds + warmup) {
                let request = toolCall(id: i)
                for k in 0..<3 {
                    let index = (k + i) % 3  // rotate the order
                    let start = Clock.monotonicNanos()
                    peers[index].send(request)
                    _ = peers[index].readLine()
                    if i >= warmup { times[index].append(Double(Clock.monotonicNanos() - start) / 1000) }
                }
            }
            for peer in peers { peer.close() }
            let recorded = (try? ArgusReader(path: db).runs().first?.callCount) ?? 0
            print("latency: \(rounds) round trips each, interleaved, after \(warmup) warm-up; ~400 B request")
            print("| percentile | direct (µs) | bare relay (µs) | argus wrap (µs) | added by argus vs direct (µs) |")
            print("|---|---|---|---|---|")
            for q in [0.5, 0.9, 0.99] {
                let d = times[0].percentile(q), r = times[1].percentile(q), a = times[2].percentile(q)
                print("| p\(Int(q * 100)) | \(fmt(d)) | \(fmt(r)) | \(fmt(a)) | \(fmt(a - d)) |")
            }
            print("recorded calls: \(recorded) of \(rounds + warmup)")
        } catch {
            print("latency bench failed: \(error)")
        }
    }
}

enum LargeMessageBench {
    /// An 8 MB request echoed back (8 MB response), direct vs through argus.
    static func run(_ options: Options) {
        let megabytes = options.int("mb", 8)
        let rounds = options.int("rounds", 12)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "echo-server"]
        let db = temporaryDatabase()
        let payload = String(repeating: "abcdefghijklmnop", count: megabytes << 16)
        do {
            let direct = try Peer(server)
            let proxied = try Peer([bin + "/argus", "wrap", "--db", db, "--name", "bench-large", "--"] + server)
            var directTimes: [Double] = [], proxiedTimes: [Double] = []
            for i in 0..<(rounds + 2) {
                let request = toolCall(id: i, payload: payload)
                for (peer, isProxy) in (i % 2 == 0 ? [(direct, false), (proxied, true)] : [(proxied, true), (direct, false)]) {
                    let start = Clock.monotonicNanos()
                    peer.send(request)
                    _ = peer.readLine()
                    let ms = Double(Clock.monotonicNanos() - start) / 1e6
                    if i >= 2 { if isProxy { proxiedTimes.append(ms) } else { directTimes.append(ms) } }
                }
            }
            direct.close()
            proxied.close()
            let ratio = proxiedTimes.median / directTimes.median
            print("large: \(megabytes) MB request + \(megabytes) MB response, \(rounds) round trips each, interleaved")
            print("| | direct | through argus wrap | ratio |")
            print("|---|---|---|---|")
            print("| median round trip (ms) | \(fmt(directTimes.median)) | \(fmt(proxiedTimes.median)) | \(fmt(ratio, 2))× |")
        } catch {
            print("large bench failed: \(error)")
        }
    }
}

enum RecorderBench {
    /// The recording pipeline alone (framing, parsing, redaction, pairing,
    /// batched SQLite writes), fed like the relays feed it.
    static func run(_ options: Options) {
        let calls = options.int("calls", 200_000)
        let requests = (0..<1000).map { toolCall(id: $0) }
        let responses = (0..<1000).map { i in
            Array(#"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"found 3 issues in octo/hello"}],"structuredContent":{"count":3}}}"#.utf8) + [0x0A]
        }

        // Baseline: raw SQLite inserts of the same rows, batched, same schema.
        let baselineDB = temporaryDatabase()
        let baselineRate: Double
        do {
            let db = try ArgusDatabase.openForWriting(path: baselineDB)
            try db.run("INSERT INTO runs (server_name, command, started_at) VALUES ('b', 'b', 0)")
            let start = Clock.monotonicNanos()
            var i = 0
            while i < calls {
                try db.execute("BEGIN")
                for _ in 0..<min(4096, calls - i) {
                    let req = String(decoding: requests[i % 1000].dropLast(), as: UTF8.self)
                    let res = String(decoding: responses[i % 1000].dropLast(), as: UTF8.self)
                    try db.run("INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size) VALUES (1, ?, 'c2s', 0, 'request', 'tools/call', ?, ?, ?)",
                               [.int(Int64(2 * i)), .text(String(i)), .text(req), .int(Int64(req.utf8.count))])
                    try db.run("INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size) VALUES (1, ?, 's2c', 0, 'response', 'tools/call', ?, ?, ?)",
                               [.int(Int64(2 * i + 1)), .text(String(i)), .text(res), .int(Int64(res.utf8.count))])
                    try db.run("INSERT INTO calls (run_id, server, request_seq, response_seq, direction, method, tool, jsonrpc_id, started_at, latency_us, status) VALUES (1, 'b', ?, ?, 'c2s', 'tools/call', 'search_issues', ?, 0, 10, 'ok')",
                               [.int(Int64(2 * i)), .int(Int64(2 * i + 1)), .text(String(i))])
                    i += 1
                }
                try db.execute("COMMIT")
            }
            baselineRate = Double(calls) / (Double(Clock.monotonicNanos() - start) / 1e9)
        } catch {
            print("baseline failed: \(error)")
            return
        }

        // Argus: as fast as the producer can go.
        let (rate, rawHigh, writerHigh, written) = pipelineRun(calls: calls, requests: requests, responses: responses, pacePerSecond: nil)
        // Argus: paced at 50,000 calls/s for 3 s, to see whether the queues stay small.
        let paced = pipelineRun(calls: 150_000, requests: requests, responses: responses, pacePerSecond: 50_000)

        print("recorder: \(calls) request/response pairs (~400 B request, ~150 B response)")
        print("| | calls/s | raw queue high-water | writer queue high-water | rows written |")
        print("|---|---|---|---|---|")
        print("| raw SQLite inserts (baseline, 3 rows per call, batched) | \(Int(baselineRate)) | - | - | \(3 * calls) |")
        print("| argus pipeline, unpaced | \(Int(rate)) | \(rawHigh / 1024) KiB | \(writerHigh / 1024) KiB | \(written) ops |")
        print("| argus pipeline, paced at 50,000 calls/s for 3 s | \(Int(paced.0)) | \(paced.1 / 1024) KiB | \(paced.2 / 1024) KiB | \(paced.3) ops |")
    }

    static func pipelineRun(calls: Int, requests: [[UInt8]], responses: [[UInt8]], pacePerSecond: Int?)
        -> (Double, Int, Int, Int)
    {
        let config = RecorderConfig(serverName: "bench", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
        let pipeline = RecordingPipeline(config: config, options: .init(databasePath: temporaryDatabase()), report: { print($0) })
        pipeline.start(serverPID: nil)
        let start = Clock.monotonicNanos()
        for i in 0..<calls {
            if let pace = pacePerSecond {
                let due = start + UInt64(i) * 1_000_000_000 / UInt64(pace)
                while Clock.monotonicNanos() < due {}
            }
            requests[i % 1000].withUnsafeBytes { pipeline.record(.clientToServer, $0, at: Clock.now()) }
            responses[i % 1000].withUnsafeBytes { pipeline.record(.serverToClient, $0, at: Clock.now()) }
        }
        let stats = pipeline.finish(reason: .clientEOF, detail: nil, exitStatus: 0, timeoutSeconds: 60)
        let seconds = Double(Clock.monotonicNanos() - start) / 1e9
        return (Double(calls) / seconds, pipeline.rawQueueHighWaterBytes, stats.queueHighWaterBytes, stats.opsWritten)
    }
}

enum StartupBench {
    /// Time from spawning to the first byte on stdout, for a server that writes at once.
    static func run(_ options: Options) {
        let runs = options.int("runs", 40)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "hello-server"]
        let db = temporaryDatabase()
        var direct: [Double] = [], proxied: [Double] = []
        for i in 0..<(runs + 3) {
            for isProxy in (i % 2 == 0 ? [false, true] : [true, false]) {
                let command = isProxy ? [bin + "/argus", "wrap", "--db", db, "--"] + server : server
                let start = Clock.monotonicNanos()
                guard let peer = try? Peer(command) else { continue }
                _ = peer.readLine()
                let ms = Double(Clock.monotonicNanos() - start) / 1e6
                peer.close()
                if i >= 3 { if isProxy { proxied.append(ms) } else { direct.append(ms) } }
            }
        }
        print("startup: spawn to first byte on stdout, \(runs) starts each, interleaved")
        print("| | direct (ms) | through argus wrap (ms) | added (ms) |")
        print("|---|---|---|---|")
        print("| median | \(fmt(direct.median, 2)) | \(fmt(proxied.median, 2)) | \(fmt(proxied.median - direct.median, 2)) |")
        print("| p90 | \(fmt(direct.percentile(0.9), 2)) | \(fmt(proxied.percentile(0.9), 2)) | \(fmt(proxied.percentile(0.9) - direct.percentile(0.9), 2)) |")
    }
}

enum RecorderCPUBench {
    /// The recorder's own work per call (framing, parsing, redaction, pairing), without SQLite.
    static func run(_ options: Options) {
        let calls = options.int("calls", 200_000)
        let requests = (0..<1000).map { toolCall(id: $0) }
        let responses = (0..<1000).map { i in
            Array(#"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"found 3 issues in octo/hello"}],"structuredContent":{"count":3}}}"#.utf8) + [0x0A]
        }
        var ops = 0
        let config = RecorderConfig(serverName: "bench", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
        let recorder = SessionRecorder(config: config) { _ in ops += 1 }
        let start = Clock.monotonicNanos()
        for i in 0..<calls {
            recorder.ingest(.clientToServer, requests[i % 1000], at: Clock.now())
            recorder.ingest(.serverToClient, responses[i % 1000], at: Clock.now())
        }
        let seconds = Double(Clock.monotonicNanos() - start) / 1e9
        print("recorder-cpu: \(Int(Double(calls) / seconds)) calls/s on one thread (\(fmt(seconds * 1e6 / Double(calls), 2)) µs per call), \(ops) ops")
    }
}
