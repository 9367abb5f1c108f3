import ArgusCore
import ArgusSystem
import ArgusStore
import Foundation

enum MockBench {
    /// Two figures for `argus mock`:
    /// - a recorded call answered by `argus mock` (recording its own session), round trip from a
    ///   client, next to the same request answered by the echo server directly and through
    ///   `argus wrap`, interleaved like the relay's latency benchmark;
    /// - a suite of `suite-calls` calls served by `argus mock` through `argus test`, next to the same
    ///   suite against the real server.
    static func run(_ options: Options) {
        latency(options)
        print("")
        suite(options)
    }

    /// A tools/call like the relay benchmark's, without the secret (a redacted answer is refused by
    /// the mock unless --serve-redacted); `n` makes each recorded call distinct.
    static func request(id: Int, n: Int) -> [UInt8] {
        Array(
            ("""
            {"jsonrpc":"2.0","id":\(id),"method":"tools/call","params":{"name":"search_issues","arguments":\
            {"repo":"octo/hello","query":"call \(n)","labels":["bug","p1"],"limit":20,\
            "options":{"sort":"updated","order":"desc"}},"_meta":{"progressToken":"t-\(id)"}}}
            """ + "\n").utf8)
    }

    static func latency(_ options: Options) {
        let rounds = options.int("rounds", 20000)
        let warmup = options.int("warmup", 2000)
        let distinct = options.int("recorded", 1000)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "echo-server"]
        let db = temporaryDatabase()
        do {
            // The recording the mock answers from: `distinct` calls through argus wrap.
            let recorder = try Peer([bin + "/argus", "wrap", "--db", db, "--name", "bench"] + server)
            for n in 0..<distinct {
                recorder.send(request(id: n, n: n))
                _ = recorder.readLine()
            }
            recorder.close()
            let peers = [
                try Peer(server),
                try Peer([bin + "/argus", "wrap", "--db", db, "--name", "bench"] + server),
                try Peer([bin + "/argus", "mock", "--db", db, "--run", "1"]),
            ]
            var times: [[Double]] = [[], [], []]
            var misses = 0
            for i in 0..<(rounds + warmup) {
                let message = request(id: 100_000 + i, n: i % distinct)
                for k in 0..<3 {
                    let index = (k + i) % 3
                    let start = SystemClock.monotonicNanos()
                    peers[index].send(message)
                    _ = peers[index].readLine()
                    if i >= warmup { times[index].append(Double(SystemClock.monotonicNanos() - start) / 1000) }
                }
            }
            for peer in peers { peer.close() }
            let reader = try SQLiteReader(path: db)
            if let mockRun = try reader.runs().first(where: { $0.kind == RunRecord.mockKind }) {
                misses = Int(mockRun.errorCount)
                print(
                    "mock latency: \(rounds) round trips each, interleaved, after \(warmup) warm-up; ~300 B request answered "
                        + "from \(distinct) recorded calls; argus mock recorded \(mockRun.callCount) calls, \(misses) misses")
            }
            print("| percentile | echo server, direct (µs) | through argus wrap (µs) | argus mock (µs) |")
            print("|---|---|---|---|")
            for q in [0.5, 0.9, 0.99] {
                print(
                    "| p\(Int(q * 100)) | \(fmt(times[0].percentile(q))) | \(fmt(times[1].percentile(q))) | \(fmt(times[2].percentile(q))) |"
                )
            }
            print("")
            print("Target: argus mock p50 ≤ 100 µs.")
        } catch {
            print("mock latency bench failed: \(error)")
        }
    }

    static func suite(_ options: Options) {
        let calls = options.int("suite-calls", 1000)
        let bin = binDirectory()
        let db = temporaryDatabase()
        let directory = (db as NSString).deletingLastPathComponent
        setenv("ARGUS_HOME", directory + "/home", 1)  // the bench's key stays out of ~/.argus
        do {
            try ReplayBench.recordEchoSession(calls: calls, database: db)
        } catch {
            print("mock suite bench failed: cannot record: \(error)")
            return
        }
        let real = directory + "/suite.json", mocked = directory + "/mocked-suite.json"
        guard ReplayBench.shell([bin + "/argus", "export", "--db", db, "--run", "1", "--out", real]) == 0,
            let text = try? String(contentsOfFile: real, encoding: .utf8), case .object(var file)? = try? JSONParser.parse(text),
            case .object(var launch)? = file["server"]
        else {
            print("mock suite bench failed: cannot export the suite")
            return
        }
        // The same suite, its server being argus mock answering from it.
        launch["command"] = .string(bin + "/argus")
        launch["args"] = ["mock", "--db", .string(db), "--suite", .string(real)]
        launch["sealed_args"] = nil
        file["server"] = .object(launch)
        guard (try? JSONWriter.string(.object(file)).write(toFile: mocked, atomically: true, encoding: .utf8)) != nil else { return }

        func best(_ suite: String) -> Double? {
            var seconds: [Double] = []
            for _ in 0..<3 {
                let start = SystemClock.monotonicNanos()
                guard ReplayBench.shell([bin + "/argus", "test", "--db", db, "--suite", suite]) == 0 else { return nil }
                seconds.append(Double(SystemClock.monotonicNanos() - start) / 1e9)
            }
            return seconds.min()
        }
        guard let mock = best(mocked), let server = best(real) else {
            print("mock suite bench failed: argus test did not pass")
            return
        }
        print("mock suite: `argus test --suite` of \(calls) recorded `echo` calls, whole process (server start included), best of 3")
        print("| server | total (s) | per call (ms) |")
        print("|---|---|---|")
        print("| argus mock, answering from the suite | \(fmt(mock, 2)) | \(fmt(mock * 1000 / Double(calls), 3)) |")
        print("| argus-test-server (baseline) | \(fmt(server, 2)) | \(fmt(server * 1000 / Double(calls), 3)) |")
        print("")
        print("Target: the \(calls)-call suite served by argus mock in under 1 s.")
    }
}
