import ArgusCore
import ArgusPostgres
import Foundation

// argus-bench: measures Argus against baselines taken in the same run.
// Usage: argus-bench <latency|faults|large|recorder|recorder-postgres|recorder-cpu|hooks|redaction|startup|replay|mock|dashboard|otlp|proxy-load|generate|echo-server|hello-server|mcp-http-server> [options]
// Scripts/bench/run.sh runs everything on a release build and updates Docs/PERFORMANCE.md.

signal(SIGPIPE, SIG_IGN)
PostgresBackend.register()  // --db postgres://… for generate and dashboard
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write(
        Data(
            "usage: argus-bench latency|faults|large|recorder|recorder-postgres|recorder-cpu|hooks|redaction|startup|replay|mock|dashboard|otlp|proxy-load|generate|echo-server|hello-server|mcp-http-server\n"
                .utf8))
    exit(2)
}
let options = Options(Array(arguments.dropFirst()))

switch command {
case "echo-server": EchoServer.run(greeting: false)
case "hello-server": EchoServer.run(greeting: true)
case "relay": BareRelay.run(Array(arguments.dropFirst().drop { $0 == "--" }))
case "latency": LatencyBench.run(options)
case "faults": FaultsBench.run(options)
case "large": LargeMessageBench.run(options)
case "recorder": RecorderBench.run(options)
case "recorder-postgres": PostgresRecorderBench.run(options)
case "startup": StartupBench.run(options)
case "recorder-cpu": RecorderCPUBench.run(options)
case "hooks": HookBench.run(options)
case "redaction": RedactionBench.run(options)
case "replay": ReplayBench.run(options)
case "mock": MockBench.run(options)
case "generate": Generator.run(options)
case "dashboard": DashboardBench.run(options)
case "otlp": TelemetryBench.run(options)
case "proxy-load": ProxyLoadBench.run(options)
case "mcp-http-server": MCPHTTPServer.run(options)
default:
    FileHandle.standardError.write(Data("unknown benchmark \(command)\n".utf8))
    exit(2)
}

/// `--name value` pairs.
struct Options {
    var values: [String: String] = [:]
    init(_ args: [String]) {
        var i = 0
        while i < args.count {
            if args[i].hasPrefix("--"), i + 1 < args.count {
                values[String(args[i].dropFirst(2))] = args[i + 1]
                i += 2
            } else {
                i += 1
            }
        }
    }
    func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap(Int.init) ?? fallback }
    func string(_ key: String, _ fallback: String) -> String { values[key] ?? fallback }
}
