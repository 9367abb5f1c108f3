import ArgusCore
import ArgusStore
import ArgusSystem
import Foundation

/// `argus-bench generate --calls N --db PATH`: a recording of N calls made
/// through the real recorder and writer (messages, calls, runs, schemas), as
/// five servers with a dozen tools each would leave it over 30 days:
/// log-normal latencies, 5% failures, sessions split by idle gaps.
enum Generator {
    static let servers = ["github", "filesystem", "postgres", "slack", "weather"]
    static let tools = [
        "search", "get_item", "list_items", "create_item", "update_item", "delete_item", "summarize", "query",
        "fetch_page", "send_message", "get_status", "export",
    ]

    static func run(_ options: Options) {
        let calls = options.int("calls", 1_000_000)
        let path = options.string("db", temporaryDatabase())
        let start = SystemClock.monotonicNanos()
        generate(calls: calls, path: path)
        print("generated \(calls) calls in \(path) in \(fmt(Double(SystemClock.monotonicNanos() - start) / 1e9)) s")
    }

    static func generate(calls: Int, path: String) {
        unlink(path)
        let perServer = calls / servers.count
        var random = SplitMix(seed: 7)
        let day: Int64 = 86_400_000_000
        let base = SystemClock.wallMicros() - 30 * day
        for (s, server) in servers.enumerated() {
            let config = RecorderConfig(
                serverName: server,
                launch: LaunchSpec(
                    command: "mcp-server-\(server)", args: ["--stdio"],
                    cwd: "/srv", envNames: ["PATH", "HOME"]),
                idleTimeoutSeconds: 600)
            // A writer per server, as each `argus wrap` has its own: a recorder numbers its runs
            // from 1, and a writer maps those numbers to one recorder's runs.
            let writer = BatchedWriter(options: .init(path: path), report: { print($0) })
            let recorder = SessionRecorder(config: config) { writer.submit($0) }
            var wall = base + Int64(s) * 3_600_000_000
            var mono: UInt64 = 1_000_000_000
            func at() -> Timestamp { Timestamp(monotonicNanos: mono, wallMicros: wall) }
            func advance(_ micros: Int64) {
                wall += micros
                mono += UInt64(micros) * 1000
            }
            func line(_ text: String, _ direction: Direction) {
                Array((text + "\n").utf8).withUnsafeBytes { recorder.ingest(direction, $0, at: at()) }
            }
            recorder.start(at: at())
            line(
                #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"claude-code","version":"2.1"}}}"#,
                .clientToServer)
            line(
                #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"\#(server)","version":"1.4.2"}}}"#,
                .serverToClient)
            let toolList = tools.map {
                #"{"name":"\#($0)","description":"\#($0) on \#(server)","inputSchema":{"type":"object","properties":{"q":{"type":"string"},"limit":{"type":"integer"}},"required":["q"]},"annotations":{"readOnlyHint":\#(!$0.hasPrefix("delete") && !$0.hasPrefix("create") && !$0.hasPrefix("update"))}}"#
            }
            line(#"{"jsonrpc":"2.0","id":"l","method":"tools/list"}"#, .clientToServer)
            line(#"{"jsonrpc":"2.0","id":"l","result":{"tools":[\#(toolList.joined(separator: ","))]}}"#, .serverToClient)
            for i in 1...perServer {
                let tool = tools[Int(random.next() % UInt64(tools.count))]
                // Sessions: mostly a few seconds apart, now and then an idle gap that starts a new run.
                advance(random.next() % 100 == 0 ? 900_000_000 : Int64(random.next() % 4_000_000))
                line(
                    #"{"jsonrpc":"2.0","id":\#(i),"method":"tools/call","params":{"name":"\#(tool)","arguments":{"q":"item \#(i % 977) in project \#(i % 31)","limit":20}}}"#,
                    .clientToServer)
                let latency = Int64(exp(6.5 + 1.2 * random.normal()))  // median ~0.7 ms, long tail
                advance(max(latency, 20))
                let roll = random.next() % 100
                if roll < 4 {
                    line(
                        #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"\#(tool) failed: upstream timeout after \#(latency / 1000) ms"}],"isError":true}}"#,
                        .serverToClient)
                } else if roll < 5 {
                    line(
                        #"{"jsonrpc":"2.0","id":\#(i),"error":{"code":-32602,"message":"invalid params: q must not be empty"}}"#,
                        .serverToClient)
                } else {
                    line(
                        #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"\#(i % 50) results for item \#(i % 977): first is item-\#(i % 13), updated 2026-11-\#(10 + i % 18)"}],"structuredContent":{"count":\#(i % 50),"first":"item-\#(i % 13)"}}}"#,
                        .serverToClient)
                }
            }
            recorder.finish(reason: .clientEOF, exitStatus: 0, at: at())
            writer.finish(timeoutSeconds: 600)
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    /// A standard normal sample (Box-Muller).
    mutating func normal() -> Double {
        let u1 = Double(next() % 1_000_000 + 1) / 1_000_001, u2 = Double(next() % 1_000_000) / 1_000_000
        return sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }
}

/// A keep-alive HTTP/1.1 client over one socket, for timing requests without connection setup.
final class HTTPClient {
    let fd: Int32
    let port: Int
    private var buffer: [UInt8] = []

    init?(port: Int) {
        self.port = port
        guard let fd = Loopback.connect(port: port) else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends a GET and returns (status, body).
    func get(_ path: String, headers: String = "") -> (Int, [UInt8]) {
        writeAll(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)\r\n".utf8))
        return readResponse()
    }

    private func readResponse() -> (Int, [UInt8]) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while buffer.count < end + 4 + length {
                    let n = read(fd, &chunk, chunk.count)
                    if n <= 0 { return (0, []) }
                    buffer += chunk[0..<n]
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return (status, body)
            }
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return (0, []) }
            buffer += chunk[0..<n]
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] && Array(buffer[i..<(i + pattern.count)]) == pattern {
            return i
        }
        return nil
    }
}

/// `argus-bench dashboard`: the dashboard over a large database (generated
/// once and kept): page latency at any depth, stats, memory, and how soon a
/// new call reaches an SSE client; each next to a same-run baseline.
enum DashboardBench {
    static func run(_ options: Options) {
        let calls = options.int("calls", 1_000_000)
        let path = options.string("db", ".build-bench/dashboard-\(calls).db")
        let bin = binDirectory()
        // A SQLite file, or a postgres:// URL (an empty database the first time; PGPASSWORD in the environment).
        if (try? ArgusDatabase.reader(path: path).counts().calls) ?? 0 < calls * 9 / 10 {
            let start = SystemClock.monotonicNanos()
            Generator.generate(calls: calls, path: path)
            FileHandle.standardError.write(
                Data("generated \(calls) calls in \(fmt(Double(SystemClock.monotonicNanos() - start) / 1e9)) s\n".utf8))
        }
        let home = NSTemporaryDirectory() + "argus-bench-home-\(getpid())"
        setenv("ARGUS_HOME", home, 1)
        guard let reader = try? ArgusDatabase.reader(path: path), let total = try? reader.counts().calls,
            let maxID = try? reader.newestCallID()
        else { fatalError("cannot read \(path)") }

        // The dashboard, as a user starts it.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin + "/argus")
        process.arguments = ["dashboard", "--db", path, "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let launched = SystemClock.monotonicNanos()
        try! process.run()
        defer { process.terminate(); process.waitUntilExit() }
        var firstLine = [UInt8]()
        var byte: UInt8 = 0
        while read(output.fileHandleForReading.fileDescriptor, &byte, 1) == 1 && byte != 0x0A { firstLine.append(byte) }
        let text = String(decoding: firstLine, as: UTF8.self)
        guard let portText = text.split(separator: ":").last?.dropLast(), let port = Int(portText) else { fatalError("no port in \(text)") }
        let listening = Double(SystemClock.monotonicNanos() - launched) / 1e6
        guard let client = HTTPClient(port: port) else { fatalError("cannot connect") }
        // Wait for the stats index (one scan of every call).
        while true {
            let (_, body) = client.get("/api/health")
            if (try? JSONParser.parse(body))?["stats_ready"] == true { break }
            usleep(20_000)
        }
        let statsReady = Double(SystemClock.monotonicNanos() - launched) / 1e6

        let size = StoreBackends.isExternal(path) ? "PostgreSQL" : "\(fileSize(path) / 1_048_576) MiB"
        print("dashboard: \(total) calls in \(path) (\(size))")
        print("")
        print("| request | dashboard p50 (ms) | dashboard p99 (ms) | baseline: same query in-process, p50 (ms) |")
        print("|---|---|---|---|")
        let depths: [(String, Int64?)] = [
            ("newest page", nil), ("10% deep", maxID * 9 / 10), ("50% deep", maxID / 2),
            ("90% deep", maxID / 10), ("last page", 150),
        ]
        for (label, cursor) in depths {
            let query = "/api/calls?limit=100" + (cursor.map { "&cursor=\($0)" } ?? "")
            let times = measure(200) { _ = client.get(query) }
            var filter = CallFilter()
            filter.limit = 100
            filter.beforeID = cursor
            let baseline = measure(200) { _ = try? reader.calls(filter) }
            print(
                "| `GET \(query)` (\(label)) | \(fmt(times.median, 2)) | \(fmt(times.percentile(0.99), 2)) | \(fmt(baseline.median, 2)) |")
        }
        for (label, query) in [
            ("one tool", "/api/calls?limit=100&tool=search"), ("one server", "/api/calls?limit=100&server=slack"),
            ("errors only", "/api/calls?limit=100&errors=1"), ("one run", "/api/calls?limit=100&run=7"),
        ] {
            let times = measure(100) { _ = client.get(query) }
            print("| `GET \(query)` (\(label)) | \(fmt(times.median, 2)) | \(fmt(times.percentile(0.99), 2)) | - |")
        }
        let stats = measure(50) { _ = client.get("/api/stats") }
        let exact = measure(3) { _ = try? reader.stats() }
        print(
            "| `GET /api/stats` (index in memory) | \(fmt(stats.median, 2)) | \(fmt(stats.percentile(0.99), 2)) | \(fmt(exact.median, 0)) (exact, from the store) |"
        )
        let metrics = measure(20) { _ = client.get("/metrics") }
        print("| `GET /metrics` (Prometheus) | \(fmt(metrics.median, 2)) | \(fmt(metrics.percentile(0.99), 2)) | - |")
        let one = measure(100) { _ = client.get("/api/calls/\(maxID / 2)") }
        print("| `GET /api/calls/:id` (detail, schema) | \(fmt(one.median, 2)) | \(fmt(one.percentile(0.99), 2)) | - |")
        print("")
        print("Start-up: listening after \(fmt(listening, 0)) ms; stats index over all calls ready after \(fmt(statsReady, 0)) ms.")
        print(
            "Dashboard memory (VmRSS) after these requests: \(rss(process.processIdentifier) / 1024) MiB (VmHWM \(hwm(process.processIdentifier) / 1024) MiB)."
        )
        print("")
        liveLatency(port: port, bin: bin, database: path, reader: reader)
        print("")
        print(
            "Dashboard memory after the live test: \(rss(process.processIdentifier) / 1024) MiB (VmHWM \(hwm(process.processIdentifier) / 1024) MiB); budget 150 MiB."
        )
    }

    /// Milliseconds per run of `body`.
    static func measure(_ count: Int, _ body: () -> Void) -> [Double] {
        body()  // warm-up
        return (0..<count).map { _ in
            let start = SystemClock.monotonicNanos()
            body()
            return Double(SystemClock.monotonicNanos() - start) / 1e6
        }
    }

    /// A session through `argus wrap` on the big database: from the moment each
    /// response reaches the client to the moment its SSE event does, next to the
    /// moment its row is committed (the floor: the dashboard cannot see it before).
    static func liveLatency(port: Int, bin: String, database: String, reader: any ArgusReader) {
        guard let sse = SSEClient(port: port) else { fatalError("no SSE") }
        guard
            let session = try? Peer([
                bin + "/argus", "wrap", "--db", database, "--name", "live-bench", "--", bin + "/argus-bench", "echo-server",
            ])
        else { fatalError("cannot start argus wrap") }
        var toCommit: [Double] = [], toEvent: [Double] = []
        let before = (try? reader.newestCallID()) ?? 0
        var newer = CallFilter()
        newer.afterID = before
        newer.limit = 1000
        for i in 0..<40 {
            let id = "live-\(i)-\(getpid())"
            session.send(
                Array(#"{"jsonrpc":"2.0","id":"\#(id)","method":"tools/call","params":{"name":"echo","arguments":{"i":\#(i)}}}"#.utf8) + [
                    0x0A
                ])
            _ = session.readLine()
            let answered = SystemClock.monotonicNanos()
            var committed: UInt64?
            var evented: UInt64?
            while committed == nil || evented == nil {
                if committed == nil, (try? reader.calls(newer))?.contains(where: { $0.jsonrpcID == "\"\(id)\"" }) == true {
                    committed = SystemClock.monotonicNanos()
                }
                if evented == nil, sse.seen(id) { evented = SystemClock.monotonicNanos() }
                if SystemClock.monotonicNanos() - answered > 5_000_000_000 { fatalError("call \(id) never arrived") }
                usleep(500)
            }
            toCommit.append(Double(committed! - answered) / 1e6)
            toEvent.append(Double(evented! - answered) / 1e6)
            usleep(150_000)
        }
        session.close()
        print("live: \(toEvent.count) calls through `argus wrap`, from the response reaching the client to …")
        print("| | p50 (ms) | p90 (ms) | max (ms) |")
        print("|---|---|---|---|")
        print(
            "| … the call committed in the store (baseline: the earliest anyone could see it) | \(fmt(toCommit.median, 1)) | \(fmt(toCommit.percentile(0.9), 1)) | \(fmt(toCommit.max()!, 1)) |"
        )
        print(
            "| … its SSE event at a client of the dashboard | \(fmt(toEvent.median, 1)) | \(fmt(toEvent.percentile(0.9), 1)) | \(fmt(toEvent.max()!, 1)) |"
        )
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    static func status(_ pid: Int32, _ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }

    static func rss(_ pid: Int32) -> Int { status(pid, "VmRSS") }
    static func hwm(_ pid: Int32) -> Int { status(pid, "VmHWM") }
}

/// Reads an SSE stream on a thread and remembers the JSON-RPC ids of call events.
final class SSEClient: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: Set<String> = []

    init?(port: Int) {
        guard let fd = Loopback.connect(port: port) else { return nil }
        writeAll(fd, Array("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
        Thread.detachNewThread { [self] in
            var pending = ""
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                pending += String(decoding: chunk[0..<n], as: UTF8.self)
                while let end = pending.range(of: "\n\n") {
                    let block = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    guard block.contains("event: call"), let data = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
                        let id = (try? JSONParser.parse(String(data.dropFirst(6))))?["jsonrpc_id"]?.stringValue
                    else { continue }
                    lock.withLock { _ = ids.insert(id) }
                }
            }
        }
    }

    func seen(_ id: String) -> Bool { lock.withLock { ids.contains(id) } }
}
