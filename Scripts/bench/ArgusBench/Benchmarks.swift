import ArgusCore
import ArgusProxy
import ArgusScripting
import ArgusStore
import ArgusSystem
import CLua
import Foundation

/// A realistic small request: a tools/call with nested arguments and a secret
/// the redactor must find (so redaction really runs).
func toolCall(id: Int, payload: String = "hello", secret: String? = nil) -> [UInt8] {
    Array(
        ("""
        {"jsonrpc":"2.0","id":\(id),"method":"tools/call","params":{"name":"search_issues","arguments":\
        {"repo":"octo/hello","query":"\(payload)","labels":["bug","p1"],"limit":20,"api_key":"\(secret ?? "k-\(id)-abcdef")",\
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
        let scripts = options.string("scripts", "").split(separator: ",").flatMap { ["--script", String($0)] }
        do {
            let peers = [
                try Peer(server),
                try Peer([bin + "/argus-bench", "relay", "--"] + server),
                try Peer([bin + "/argus", "wrap", "--db", db, "--name", "bench"] + scripts + ["--"] + server),
            ]
            var times: [[Double]] = [[], [], []]
            for i in 0..<(rounds + warmup) {
                let request = toolCall(id: i)
                for k in 0..<3 {
                    let index = (k + i) % 3  // rotate the order
                    let start = SystemClock.monotonicNanos()
                    peers[index].send(request)
                    _ = peers[index].readLine()
                    if i >= warmup { times[index].append(Double(SystemClock.monotonicNanos() - start) / 1000) }
                }
            }
            for peer in peers { peer.close() }
            let recorded = (try? SQLiteReader(path: db).runs().first?.callCount) ?? 0
            print(
                "latency: \(rounds) round trips each, interleaved, after \(warmup) warm-up; ~400 B request"
                    + (scripts.isEmpty ? "" : "; argus runs \(scripts.count / 2) scripts"))
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
                    let start = SystemClock.monotonicNanos()
                    peer.send(request)
                    _ = peer.readLine()
                    let ms = Double(SystemClock.monotonicNanos() - start) / 1e6
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
            Array(
                #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"found 3 issues in octo/hello"}],"structuredContent":{"count":3}}}"#
                    .utf8) + [0x0A]
        }

        // Baseline: raw SQLite inserts of the same rows, batched, same schema.
        let baselineDB = temporaryDatabase()
        let baselineRate: Double
        do {
            let db = try ArgusDatabase.openForWriting(path: baselineDB)
            try db.run("INSERT INTO runs (server_name, command, started_at) VALUES ('b', 'b', 0)")
            let start = SystemClock.monotonicNanos()
            var i = 0
            while i < calls {
                try db.execute("BEGIN")
                for _ in 0..<min(4096, calls - i) {
                    let req = String(decoding: requests[i % 1000].dropLast(), as: UTF8.self)
                    let res = String(decoding: responses[i % 1000].dropLast(), as: UTF8.self)
                    try db.run(
                        "INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size) VALUES (1, ?, 'c2s', 0, 'request', 'tools/call', ?, ?, ?)",
                        [.int(Int64(2 * i)), .text(String(i)), .text(req), .int(Int64(req.utf8.count))])
                    try db.run(
                        "INSERT INTO messages (run_id, seq, direction, ts, kind, method, jsonrpc_id, body, size) VALUES (1, ?, 's2c', 0, 'response', 'tools/call', ?, ?, ?)",
                        [.int(Int64(2 * i + 1)), .text(String(i)), .text(res), .int(Int64(res.utf8.count))])
                    try db.run(
                        "INSERT INTO calls (run_id, server, request_seq, response_seq, direction, method, tool, jsonrpc_id, started_at, latency_us, status) VALUES (1, 'b', ?, ?, 'c2s', 'tools/call', 'search_issues', ?, 0, 10, 'ok')",
                        [.int(Int64(2 * i)), .int(Int64(2 * i + 1)), .text(String(i))])
                    i += 1
                }
                try db.execute("COMMIT")
            }
            baselineRate = Double(calls) / (Double(SystemClock.monotonicNanos() - start) / 1e9)
        } catch {
            print("baseline failed: \(error)")
            return
        }

        let scripts = options.string("scripts", "").split(separator: ",").map { ScriptSpec(path: String($0)) }
        // Argus: as fast as the producer can go.
        let (rate, rawHigh, writerHigh, written) = pipelineRun(
            calls: calls, requests: requests, responses: responses,
            pacePerSecond: nil, scripts: scripts)
        // Argus: paced at the budget for 3 s, to see whether the queues stay small.
        let pace = options.int("pace", 50_000)
        let paced = pipelineRun(calls: pace * 3, requests: requests, responses: responses, pacePerSecond: pace, scripts: scripts)

        let names = scripts.map { String($0.path.split(separator: "/").last ?? "") }.joined(separator: ", ")
        let withScripts = scripts.isEmpty ? "" : ", with \(scripts.count) scripts: \(names)"
        print("recorder: \(calls) request/response pairs (~400 B request, ~150 B response)\(withScripts)")
        print("| | calls/s | raw queue high-water | writer queue high-water | rows written |")
        print("|---|---|---|---|---|")
        print("| raw SQLite inserts (baseline, 3 rows per call, batched) | \(Int(baselineRate)) | - | - | \(3 * calls) |")
        print("| argus pipeline, unpaced | \(Int(rate)) | \(rawHigh / 1024) KiB | \(writerHigh / 1024) KiB | \(written) ops |")
        print(
            "| argus pipeline, paced at \(pace) calls/s for 3 s | \(Int(paced.0)) | \(paced.1 / 1024) KiB | \(paced.2 / 1024) KiB | \(paced.3) ops |"
        )
    }

    static func pipelineRun(
        calls: Int, requests: [[UInt8]], responses: [[UInt8]], pacePerSecond: Int?,
        scripts: [ScriptSpec] = []
    ) -> (Double, Int, Int, Int) {
        let config = RecorderConfig(serverName: "bench", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
        var makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)?
        if !scripts.isEmpty {
            makeHooks = { (writer: BatchedWriter) -> RecordingHooks? in
                let options = ScriptHost.Options(server: "bench", argusPID: getpid())
                return ScriptHost(
                    specs: scripts, options: options, report: { print($0) },
                    databaseRunID: { writer.databaseID(of: $0) })
            }
        }
        let pipeline = RecordingPipeline(
            config: config, options: .init(databasePath: temporaryDatabase()), report: { print($0) },
            makeHooks: makeHooks)
        pipeline.start(serverPID: nil)
        let start = SystemClock.monotonicNanos()
        for i in 0..<calls {
            if let pace = pacePerSecond {
                // Sleep until this call is due (in ~1 ms steps): a spinning producer would
                // take a whole CPU from the pipeline it is measuring.
                let due = start + UInt64(i) * 1_000_000_000 / UInt64(pace)
                let now = SystemClock.monotonicNanos()
                if due > now + 200_000 { SystemClock.sleep(seconds: Double(due - now) / 1e9) }
            }
            requests[i % 1000].withUnsafeBytes { pipeline.record(.clientToServer, $0, at: SystemClock.now()) }
            responses[i % 1000].withUnsafeBytes { pipeline.record(.serverToClient, $0, at: SystemClock.now()) }
        }
        let stats = pipeline.finish(reason: .clientEOF, detail: nil, exitStatus: 0, timeoutSeconds: 60)
        let seconds = Double(SystemClock.monotonicNanos() - start) / 1e9
        return (Double(calls) / seconds, pipeline.rawQueueHighWaterBytes, stats.queueHighWaterBytes, stats.opsWritten)
    }
}

enum StartupBench {
    /// Time from spawning to the first byte on stdout, for a server that writes at once:
    /// directly, through `argus wrap` on a SQLite file, and with `--postgres URL` also through
    /// `argus wrap --db URL` (the connection is made off the relay path, so it should not show).
    static func run(_ options: Options) {
        let runs = options.int("runs", 40)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "hello-server"]
        var commands: [(name: String, argv: [String])] = [
            ("direct", server), ("argus wrap (SQLite)", [bin + "/argus", "wrap", "--db", temporaryDatabase(), "--"] + server),
        ]
        if let postgres = options.values["postgres"] {
            commands.append(("argus wrap (PostgreSQL)", [bin + "/argus", "wrap", "--db", postgres, "--"] + server))
        }
        var samples = Array(repeating: [Double](), count: commands.count)
        for i in 0..<(runs + 3) {
            let order = i % 2 == 0 ? Array(commands.indices) : commands.indices.reversed()
            for index in order {
                let start = SystemClock.monotonicNanos()
                guard let peer = try? Peer(commands[index].argv) else { continue }
                _ = peer.readLine()
                let ms = Double(SystemClock.monotonicNanos() - start) / 1e6
                peer.close()
                if i >= 3 { samples[index].append(ms) }
            }
        }
        print("startup: spawn to first byte on stdout, \(runs) starts each, interleaved")
        print("| | " + commands.map { "\($0.name) (ms)" }.joined(separator: " | ") + " | added by argus wrap (ms) |")
        print("|---|" + String(repeating: "---|", count: commands.count + 1))
        for (label, value) in [("median", { (s: [Double]) in s.median }), ("p90", { (s: [Double]) in s.percentile(0.9) })] {
            let figures = samples.map { value($0) }
            let added = figures.dropFirst().map { fmt($0 - figures[0], 2) }.joined(separator: " / ")
            print("| \(label) | " + figures.map { fmt($0, 2) }.joined(separator: " | ") + " | \(added) |")
        }
    }
}

enum RecorderCPUBench {
    /// The recorder's own work per call (framing, parsing, redaction, pairing), without SQLite.
    /// Each request's `api_key` differs (the worst case for remembering redacted values)
    /// unless `--same-secret` gives one for all, as a client with one key sends.
    static func run(_ options: Options) {
        let calls = options.int("calls", 200_000)
        let same = options.values["same-secret"]
        let requests = (0..<1000).map { toolCall(id: $0, secret: same) }
        let responses = (0..<1000).map { i in
            Array(
                #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"found 3 issues in octo/hello"}],"structuredContent":{"count":3}}}"#
                    .utf8) + [0x0A]
        }
        var ops = 0
        let config = RecorderConfig(serverName: "bench", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
        let recorder = SessionRecorder(config: config) { _ in ops += 1 }
        let start = SystemClock.monotonicNanos()
        for i in 0..<calls {
            recorder.ingest(.clientToServer, requests[i % 1000], at: SystemClock.now())
            recorder.ingest(.serverToClient, responses[i % 1000], at: SystemClock.now())
        }
        let seconds = Double(SystemClock.monotonicNanos() - start) / 1e9
        print(
            "recorder-cpu: \(Int(Double(calls) / seconds)) calls/s on one thread (\(fmt(seconds * 1e6 / Double(calls), 2)) µs per call), \(ops) ops"
        )
    }
}

enum HookBench {
    /// Per-call cost of user hooks, next to the cost of an empty Lua function
    /// call made directly through the Lua C API (the floor for any hook).
    static func run(_ options: Options) {
        let n = options.int("calls", 100_000)
        let redactorPath = options.string("redactor", "Examples/scripts/api-key-redactor.lua")

        let rounds = options.int("rounds", 5)
        /// Median over rounds of the µs per iteration of `body`.
        func measure(_ iterations: Int, _ body: () -> Void) -> Double {
            var samples: [Double] = []
            for _ in 0..<rounds {
                let start = SystemClock.monotonicNanos()
                for _ in 0..<iterations { body() }
                samples.append(Double(SystemClock.monotonicNanos() - start) / Double(iterations) / 1000)
            }
            return samples.median
        }

        // Baseline: lua_getglobal + lua_pcall of `function f() end`.
        let L = luaL_newstate()
        luaL_openlibs(L)
        _ = luaL_loadstring(L, "function f() end")
        _ = lua_pcallk(L, 0, 0, 0, 0, nil)
        let emptyCall = measure(n) {
            _ = lua_getglobal(L, "f")
            _ = lua_pcallk(L, 0, 0, 0, 0, nil)
        }
        lua_close(L)

        // A ~1 KB call: a tools/call with some text, and its result.
        let filler = String(repeating: "lorem ipsum dolor sit amet ", count: 14)
        let request =
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fetch","arguments":{"url":"https://api.example.com/v1/items?key=AIzaSyA1234567890abcdefghijklmnopqrstuv&page=2","note":"\#(filler)"}}}"#
        let response =
            #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"\#(filler) token 0123456789abcdef0123456789abcdef01234567"}]}}"#
        func call(_ phase: HookPhase) -> HookCall {
            HookCall(
                phase: phase, run: 1, server: "bench", direction: .clientToServer, method: "tools/call", tool: "fetch",
                requestID: "7", requestSeq: 1, startedAt: SystemClock.wallMicros(), latencyMicros: 1200, status: .ok,
                bytesIn: request.utf8.count, bytesOut: response.utf8.count, requestBody: request, responseBody: response)
        }
        let dir = NSTemporaryDirectory() + "argus-hookbench"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/noop.lua", contents: Data("function on_call(call, ctx) end".utf8))

        let noop = ScriptHost(
            specs: [ScriptSpec(path: dir + "/noop.lua")], options: .init(server: "bench", argusPID: 0), report: { print($0) })
        let completed = call(.response)
        let noopHook = measure(n) { noop.completed(completed) { _ in } }

        let redactor = ScriptHost(
            specs: [ScriptSpec(path: redactorPath)], options: .init(server: "bench", argusPID: 0), report: { print($0) })
        let requestPhase = call(.request), responsePhase = call(.response)
        func message(_ text: String) -> RedactableMessage {
            RedactableMessage((try? JSONParser.parse(text))?.objectValue ?? [:], text: text)
        }
        let requestMessage = message(request), responseMessage = message(response)
        var verdicts = 0
        let redactCalls = options.int("redact-calls", n / 10)
        let redact = measure(redactCalls) {
            if case .replace = redactor.redact(requestPhase, message: requestMessage, emit: { _ in }) { verdicts += 1 }
            if case .replace = redactor.redact(responsePhase, message: responseMessage, emit: { _ in }) { verdicts += 1 }
        }
        if options.values["verbose"] != nil { print(redactor.statuses().map(\.hookStats)) }

        print(
            "hooks: µs per call, median of \(rounds) rounds of \(n) calls (redactor: \(redactCalls) calls, request and response, ~\((request.utf8.count + response.utf8.count) / 100 * 100) bytes)"
        )
        print("| | µs per call |")
        print("|---|---|")
        print("| empty Lua function via lua_pcall (baseline) | \(fmt(emptyCall, 2)) |")
        print("| no-op `on_call` hook through Argus (call table, lazy bodies, outputs) | \(fmt(noopHook, 2)) |")
        print("| \((redactorPath as NSString).lastPathComponent) on the request and the response (both redacted) | \(fmt(redact, 2)) |")
    }
}

enum ReplayBench {
    /// A suite of `calls` echo calls recorded through `argus wrap`, replayed by
    /// `argus test --suite` (one warm server), against the baseline of starting
    /// the server for each call (spawn, initialize, call, exit) without Argus.
    static func run(_ options: Options) {
        let calls = options.int("calls", 1000)
        let baselineCalls = options.int("baseline-calls", calls)
        let bin = binDirectory()
        let server = bin + "/argus-test-server"
        let db = temporaryDatabase()
        let home = (db as NSString).deletingLastPathComponent + "/home"
        setenv("ARGUS_HOME", home, 1)  // the bench's key stays out of ~/.argus

        do {
            try recordEchoSession(calls: calls, database: db)
        } catch {
            fatalError("cannot record: \(error)")
        }
        let suite = (db as NSString).deletingLastPathComponent + "/suite.json"
        guard shell([bin + "/argus", "export", "--db", db, "--run", "1", "--out", suite]) == 0 else { fatalError("export failed") }

        // Argus: the whole `argus test` process, server start included.
        var warm: [Double] = []
        for _ in 0..<3 {
            let start = SystemClock.monotonicNanos()
            let status = shell([bin + "/argus", "test", "--db", db, "--suite", suite])
            warm.append(Double(SystemClock.monotonicNanos() - start) / 1e9)
            guard status == 0 else { fatalError("argus test failed with status \(status)") }
        }

        // Baseline: a fresh server per call, timed from spawn to the answer (its exit is not counted).
        var spent: UInt64 = 0
        for i in 0..<baselineCalls {
            let start = SystemClock.monotonicNanos()
            guard let peer = try? Peer([server]) else { fatalError("cannot start \(server)") }
            peer.send(initialize + initialized)
            _ = peer.readLine()
            peer.send(echo(i))
            _ = peer.readLine()
            spent += SystemClock.monotonicNanos() - start
            kill(peer.process.processIdentifier, SIGKILL)  // not waiting out the server's graceful exit keeps the bench short
            peer.close()
        }
        let perCall = Double(spent) / 1e9 / Double(baselineCalls)
        let baseline = perCall * Double(calls)

        print("replay: a suite of \(calls) recorded `echo` calls against argus-test-server")
        print("| | total (s) | per call (ms) |")
        print("|---|---|---|")
        print(
            "| `argus test --suite` (one warm server; best of 3, whole process) | \(fmt(warm.min()!, 2)) | \(fmt(warm.min()! * 1000 / Double(calls), 3)) |"
        )
        print(
            "| baseline: start the server for each call, spawn to answer (\(baselineCalls) calls measured) | \(fmt(baseline, 2)) | \(fmt(perCall * 1000, 3)) |"
        )
        print("")
        print("Runs of `argus test`: \(warm.map { fmt($0, 2) }.joined(separator: ", ")) s. Target: ≤ 5 s.")
    }

    static let initialize =
        Array(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
                .utf8) + [0x0A]
    static let initialized = Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8) + [0x0A]

    static func echo(_ i: Int) -> [UInt8] {
        Array(
            #"{"jsonrpc":"2.0","id":\#(i + 1),"method":"tools/call","params":{"name":"echo","arguments":{"message":"call \#(i) of the suite"}}}"#
                .utf8) + [0x0A]
    }

    /// Records, as a client would, a session of argus-test-server with `calls` distinct `echo` calls (run 1 of `database`).
    static func recordEchoSession(calls: Int, database: String) throws {
        let bin = binDirectory()
        let list = Array(#"{"jsonrpc":"2.0","id":"l","method":"tools/list"}"#.utf8) + [0x0A]
        let recorder = try Peer([bin + "/argus", "wrap", "--db", database, "--", bin + "/argus-test-server"])
        recorder.send(initialize + initialized + list)
        _ = recorder.readLine()
        _ = recorder.readLine()
        for i in 0..<calls {
            recorder.send(echo(i))
            _ = recorder.readLine()
        }
        recorder.close()
    }

    /// Runs a command to completion with its output discarded; returns its status.
    static func shell(_ command: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
