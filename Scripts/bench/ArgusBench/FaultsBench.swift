import ArgusCore
import ArgusStore
import ArgusSystem
import Foundation

enum FaultsBench {
    /// What faults cost the relay. Round trips to the same echo server: directly, through a bare
    /// relay, through `argus wrap` with no faults (the plain relay: this must not move), and
    /// through `argus wrap --faults` with a plan that matches no tool (the line relay that reads
    /// every tool call, decides, and forwards it untouched). With `--baseline-argus PATH` (an
    /// `argus` built from the commit before faults existed), its `argus wrap` too. Interleaved,
    /// so noise hits all alike.
    static func run(_ options: Options) {
        let rounds = options.int("rounds", 20000)
        let warmup = options.int("warmup", 2000)
        let bin = binDirectory()
        let server = [bin + "/argus-bench", "echo-server"]
        let db = temporaryDatabase()
        let plan = NSTemporaryDirectory() + "argus-bench-faults-\(getpid()).json"
        _ = FileManager.default.createFile(
            atPath: plan, contents: Data(#"{"seed": 1, "faults": [{"tool": "no_such_tool", "kind": "error"}]}"#.utf8))
        defer { try? FileManager.default.removeItem(atPath: plan) }
        let baseline = options.values["baseline-argus"]
        do {
            var peers = [
                try Peer(server),
                try Peer([bin + "/argus-bench", "relay", "--"] + server),
                try Peer([bin + "/argus", "wrap", "--db", db, "--name", "plain"] + ["--"] + server),
                try Peer([bin + "/argus", "wrap", "--db", db, "--name", "chaos", "--faults", plan, "--"] + server),
            ]
            // Its own database: an older argus may not open a newer schema.
            if let baseline { peers.append(try Peer([baseline, "wrap", "--db", temporaryDatabase(), "--name", "before", "--"] + server)) }
            var times: [[Double]] = Array(repeating: [], count: peers.count)
            for i in 0..<(rounds + warmup) {
                let request = toolCall(id: i)
                for k in peers.indices {
                    let index = (k + i) % peers.count  // rotate the order
                    let start = SystemClock.monotonicNanos()
                    peers[index].send(request)
                    _ = peers[index].readLine()
                    if i >= warmup { times[index].append(Double(SystemClock.monotonicNanos() - start) / 1000) }
                }
            }
            for peer in peers { peer.close() }
            let runs = (try? SQLiteReader(path: db).runs()) ?? []
            print(
                "faults: \(rounds) round trips each, interleaved, after \(warmup) warm-up; ~400 B tools/call; "
                    + "the faults plan matches no tool" + (baseline.map { "; before: \($0)" } ?? ""))
            let before = baseline == nil ? "" : " argus wrap before faults existed (µs) | no faults vs before (µs) |"
            print(
                "| percentile | direct (µs) | bare relay (µs) | argus wrap, no faults (µs) | argus wrap --faults, none matching (µs) | "
                    + "no faults vs bare relay (µs) | faults on vs no faults (µs) |" + before)
            print("|---|---|---|---|---|---|---|" + (baseline == nil ? "" : "---|---|"))
            for q in [0.5, 0.9, 0.99] {
                let d = times[0].percentile(q), r = times[1].percentile(q), w = times[2].percentile(q), c = times[3].percentile(q)
                var row = "| p\(Int(q * 100)) | \(fmt(d)) | \(fmt(r)) | \(fmt(w)) | \(fmt(c)) | \(fmt(w - r)) | \(fmt(c - w)) |"
                if baseline != nil {
                    let b = times[4].percentile(q)
                    row += " \(fmt(b)) | \(fmt(w - b)) |"
                }
                print(row)
            }
            print("runs recorded: " + runs.map { "\($0.serverName) (\($0.kind)) \($0.callCount) calls" }.joined(separator: ", "))
        } catch {
            print("faults bench failed: \(error)")
        }
    }
}
