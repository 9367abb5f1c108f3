import ArgusCore
import ArgusSystem
import ArgusStore
import ArgusTelemetry
import Foundation

/// OpenTelemetry export (issue 12's figures), each against a baseline in the same run:
/// round-trip latency with export off and on, the exporter's throughput on one core, its
/// memory while the backend is down, and `argus wrap`'s start with export off and on.
enum TelemetryBench {
    static func run(_ options: Options) {
        let bin = binDirectory()
        let sinkScript = options.string("sink", "Scripts/bench/otlp_sink.py")
        guard let sink = try? Peer(["/usr/bin/env", "python3", sinkScript], quietStderr: false) else {
            print("otlp bench: cannot start \(sinkScript)")
            return
        }
        var portLine: [UInt8] = []
        var byte: UInt8 = 0
        while read(sink.output, &byte, 1) == 1, byte != 0x0A { portLine.append(byte) }
        let endpoint = "http://127.0.0.1:\(String(decoding: portLine, as: UTF8.self))"
        latency(options, bin: bin, endpoint: endpoint)
        print()
        startup(options, bin: bin, endpoint: endpoint)
        print()
        throughput(options)
        print()
        memoryWhileDown(options)
        sink.close()
    }

    /// Round trips to the same echo server directly, through argus wrap, and through argus wrap
    /// exporting every call (two spans) to a live OTLP endpoint. Interleaved.
    static func latency(_ options: Options, bin: String, endpoint: String) {
        let rounds = options.int("rounds", 10000), warmup = options.int("warmup", 1000)
        let server = [bin + "/argus-bench", "echo-server"]
        let off = temporaryDatabase(), on = temporaryDatabase()
        do {
            let peers = [
                try Peer(server),
                try Peer([bin + "/argus", "wrap", "--db", off, "--name", "bench", "--"] + server),
                try Peer([bin + "/argus", "wrap", "--db", on, "--name", "bench", "--otlp-endpoint", endpoint, "--"] + server),
            ]
            var times: [[Double]] = [[], [], []]
            for i in 0..<(rounds + warmup) {
                let request = toolCall(id: i)
                for k in 0..<3 {
                    let index = (k + i) % 3
                    let start = SystemClock.monotonicNanos()
                    peers[index].send(request)
                    _ = peers[index].readLine()
                    if i >= warmup { times[index].append(Double(SystemClock.monotonicNanos() - start) / 1000) }
                }
            }
            for peer in peers { peer.close() }
            let exported = (try? ArgusDatabase.reader(path: on).exportStatuses().first)
            print("otlp latency: \(rounds) round trips each, interleaved, after \(warmup) warm-up; ~400 B request")
            print("| percentile | direct (µs) | argus wrap, export off (µs) | argus wrap, OTLP export on (µs) | on − off (µs) |")
            print("|---|---|---|---|---|")
            for q in [0.5, 0.9, 0.99] {
                let d = times[0].percentile(q), a = times[1].percentile(q), e = times[2].percentile(q)
                print("| p\(Int(q * 100)) | \(fmt(d)) | \(fmt(a)) | \(fmt(e)) | \(fmt(e - a)) |")
            }
            print(
                "spans exported: \(exported?.spansExported ?? 0), dropped: \(exported?.spansDropped ?? 0) "
                    + "(\(2 * (rounds + warmup)) tool-call spans expected, plus none for the handshake: the bench sends none)")
        } catch {
            print("otlp latency bench failed: \(error)")
        }
    }

    /// Spawn to first byte on stdout: direct, argus wrap with export off, and with export on.
    static func startup(_ options: Options, bin: String, endpoint: String) {
        let runs = options.int("starts", 40)
        let server = [bin + "/argus-bench", "hello-server"]
        let db = temporaryDatabase()
        let commands = [
            server, [bin + "/argus", "wrap", "--db", db, "--"] + server,
            [bin + "/argus", "wrap", "--db", db, "--otlp-endpoint", endpoint, "--"] + server,
        ]
        var times: [[Double]] = [[], [], []]
        for i in 0..<(runs + 3) {
            for k in 0..<3 {
                let index = (k + i) % 3
                let start = SystemClock.monotonicNanos()
                guard let peer = try? Peer(commands[index]) else { continue }
                _ = peer.readLine()
                let ms = Double(SystemClock.monotonicNanos() - start) / 1e6
                peer.close()
                if i >= 3 { times[index].append(ms) }
            }
        }
        print("otlp startup: spawn to first byte on stdout, \(runs) starts each, interleaved")
        print("| | direct (ms) | argus wrap, export off (ms) | argus wrap, export on (ms) |")
        print("|---|---|---|---|")
        for (label, q) in [("median", 0.5), ("p90", 0.9)] {
            print(
                "| \(label) | \(fmt(times[0].percentile(q), 2)) | \(fmt(times[1].percentile(q), 2)) | \(fmt(times[2].percentile(q), 2)) |")
        }
    }

    /// The exporter's own work per span on one thread: records in, protobuf batches out
    /// (assembly, span building, metrics, encoding), against the recorder's work for the same calls.
    static func throughput(_ options: Options) {
        let calls = options.int("calls", 100_000)
        let batches = committedBatches(calls: calls)
        var settings = exporterSettings(endpoint: "http://127.0.0.1:9")  // never sent: encoded only
        settings.queueSize = Int.max / 2
        var pipeline = TelemetryPipeline(settings: settings)
        let encoding = OTLPEncoding(identity: .init(serviceName: "bench"))
        var pending: [Span] = []
        var spans = 0, bytes = 0
        let start = SystemClock.monotonicNanos()
        func send(_ chunk: [Span]) {
            bytes += (try? OTLPEncoding.body(encoding.traceRequest(chunk), as: .protobuf).count) ?? 0
            spans += chunk.count
        }
        for batch in batches {
            pending += pipeline.consume(batch)
            while pending.count >= 512 {
                send(Array(pending.prefix(512)))
                pending.removeFirst(512)
            }
        }
        if !pending.isEmpty { send(pending) }
        let seconds = Double(SystemClock.monotonicNanos() - start) / 1e9
        print(
            "otlp throughput: \(spans) spans from \(calls) calls built, batched (512) and encoded as OTLP protobuf "
                + "in \(fmt(seconds, 2)) s on one thread: \(Int(Double(spans) / seconds)) spans/s "
                + "(\(fmt(seconds * 1e6 / Double(spans), 2)) µs per span, \(bytes / max(spans, 1)) B per span on the wire)")
    }

    /// An exporter whose backend refuses connections, fed many calls: memory stays bounded by
    /// the queue, and what does not fit is counted as dropped.
    static func memoryWhileDown(_ options: Options) {
        let calls = options.int("down-calls", 200_000)
        var settings = exporterSettings(endpoint: "http://127.0.0.1:9")  // the discard port: nothing listens
        settings.queueSize = 8192
        let batches = committedBatches(calls: calls)
        let before = residentMegabytes()
        let exporter = OTLPExporter(settings: settings, server: "bench", statusPath: nil, processID: getpid(), report: { _ in })
        var atQuarter = before, peak = before
        for (i, batch) in batches.enumerated() {
            exporter.consume(batch)
            if i % 20 == 0 { peak = max(peak, residentMegabytes()) }
            if i == batches.count / 4 { atQuarter = peak }
        }
        peak = max(peak, residentMegabytes())
        let queued = exporter.statistics
        let stats = exporter.finish(timeoutSeconds: 0.5)
        print(
            "otlp backend down: \(calls) calls (\(2 * calls) spans) into a queue of \(settings.queueSize) spans, nothing listening: "
                + "resident memory \(fmt(before)) MB before, \(fmt(atQuarter)) MB at most after a quarter of the calls, "
                + "\(fmt(peak)) MB at most after all of them; \(queued.spansQueued) spans held, \(queued.spansDropped) dropped "
                + "while feeding; at exit (one try, refused) \(stats.spansDropped) dropped in all, all counted")
    }

    static func exporterSettings(endpoint: String) -> TelemetrySettings {
        // What argus wrap resolves from OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_METRICS_EXPORTER=none
        // and OTEL_BSP_SCHEDULE_DELAY=100.
        var settings = TelemetrySettings()
        settings.traces = TelemetrySettings.Signal(url: endpoint + "/v1/traces", wireProtocol: .protobuf)
        settings.scheduleDelaySeconds = 0.1
        return settings
    }

    /// What the writer hands the exporter for `calls` tool calls: the recorder's real records, in batches of 256 calls.
    static func committedBatches(calls: Int) -> [CommittedBatch] {
        var ops: [RecordOp] = []
        let config = RecorderConfig(serverName: "bench", launch: LaunchSpec(command: "bench", args: [], cwd: "/", envNames: []))
        let recorder = SessionRecorder(config: config) { ops.append($0) }
        recorder.start(at: SystemClock.now())
        var batches: [CommittedBatch] = []
        var callID: Int64 = 0
        for i in 0..<calls {
            recorder.ingest(.clientToServer, toolCall(id: i), at: SystemClock.now())
            recorder.ingest(
                .serverToClient, Array(#"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"ok"}]}}"#.utf8) + [0x0A],
                at: SystemClock.now())
            if i % 256 == 255 || i == calls - 1 {
                var ids: [CallReference: Int64] = [:]
                for case .call(let run, let c, _) in ops {
                    callID += 1
                    ids[CallReference(run: run, requestSeq: c.requestSeq)] = callID
                }
                batches.append(CommittedBatch(ops: ops, runIDs: [1: 1], callIDs: ids))
                ops.removeAll(keepingCapacity: true)
            }
        }
        return batches
    }

    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }
}
