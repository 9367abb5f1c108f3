import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusStore
import Foundation

struct Mock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock",
        abstract: "Serve a recorded run or a suite as a stdio MCP server, with no real server: test the agent, not the server.",
        discussion: """
            Put `argus mock --run ID` where the server command was in your agent's MCP config. The \
            handshake, tools/list and every call are answered as they were recorded (either protocol era), \
            with the live request's id; progress, log messages and requests to the client are sent again \
            in order. A request with no recorded answer gets a JSON-RPC error (code -32010) naming the \
            closest recorded request, never a made-up success.

            --match params (default): the method and params, volatile _meta keys aside (progressToken, \
            io.modelcontextprotocol/*, trace context); the same request gets the first recorded answer. \
            --match sequence: identical requests get the recorded answers in recorded order (then the last \
            again). --match strict: also the order of the requests; the first out of order is a miss.

            Answers that were stored redacted are refused (code -32011): a mocked [REDACTED] would \
            mislead the agent. --serve-redacted serves them anyway; a Lua `mock` hook can answer instead.

            The session is recorded as a run of kind `mock`, each call linked to the recorded call that \
            answered it. stdout belongs to the protocol; argus writes its own lines to stderr.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("Answer from this recorded run (see `argus runs`).", valueName: "id"))
    var runID: Int64?

    @Option(help: ArgumentHelp("Answer from this suite file (from `argus export`).", valueName: "file"))
    var suite: String?

    @Option(help: ArgumentHelp("How a request finds its recorded answer: params, sequence or strict.", valueName: "rule"))
    var match: String = "params"

    @Option(
        help: ArgumentHelp(
            "How long to take: none (at once), recorded, or xN (the recorded latency times N, e.g. x0.5).",
            valueName: "mode"))
    var latency: String = "none"

    @Flag(name: .customLong("serve-redacted"), help: "Serve answers that were stored redacted, [REDACTED] markers included.")
    var serveRedacted = false

    @Option(
        name: .customLong("script"),
        help: ArgumentHelp(
            "A Lua script with a mock hook (repeatable; config scripts apply too).",
            valueName: "file"))
    var scripts: [String] = []

    @Option(
        name: .customLong("client-timeout"),
        help: ArgumentHelp(
            "Seconds a recorded request to the client (roots/list, sampling) waits for the client's answer.",
            valueName: "seconds"))
    var clientTimeout: Double = 30

    func validate() throws {
        if (runID == nil) == (suite == nil) { throw ValidationError("give either --run ID or --suite FILE") }
        if MatchRule(rawValue: match) == nil { throw ValidationError("--match takes params, sequence or strict") }
        if LatencyMode(latency) == nil { throw ValidationError("--latency takes none, recorded, or xN such as x2 or x0.5") }
        if clientTimeout <= 0 { throw ValidationError("--client-timeout must be positive") }
    }

    func run() throws {
        let config = try configuration.load()
        let plan: ReplayPlan
        let source: String
        do {
            if let suite {
                plan = try LoadedSuite.read(suite).plan
                source = "suite \(suite)"
            } else if let runID {
                plan = try ReplayPlan.forRun(runID, reader: try database.reader(config), withSession: true)
                source = "run \(runID)"
            } else {
                throw ValidationError("give either --run ID or --suite FILE")  // validate() has said so already
            }
        } catch let error as ReplayError {
            throw CLIError("\(error)")
        }
        let engine = try replayEngineOptions(
            config, databasePath: database.path(config), serverName: plan.serverName,
            scripts: scripts)
        var options = MockServer.Options(
            databasePath: engine.databasePath, keyPath: engine.keyPath,
            launch: LaunchSpec(
                command: Self.executable, args: Array(CommandLine.arguments.dropFirst()),
                cwd: FileManager.default.currentDirectoryPath, envNames: []))
        options.match = MatchRule(rawValue: match) ?? .params
        options.latency = LatencyMode(latency) ?? .none
        options.serveRedacted = serveRedacted
        options.clientTimeoutSeconds = clientTimeout
        options.scripts = engine.scripts
        options.scriptLimits = engine.scriptLimits
        options.redaction = engine.redaction

        let requests = plan.calls.count + plan.otherCalls.count
        var notes: [String] = []
        if !plan.handshake.stateless && !plan.otherCalls.contains(where: { $0.method == MCP.Method.initialize }) {
            notes.append(
                "it has no recorded initialize, so only a stateless (2026-07-28) client can talk to it"
                    + (suite != nil ? "; a suite exported by an older argus lacks it: export it again" : ""))
        }
        StderrLog.write(
            "argus mock: answering from \(source) (\(plan.serverName), \(requests) recorded request"
                + "\(requests == 1 ? "" : "s")); match \(options.match.rawValue), latency \(options.latency)"
                + (serveRedacted ? ", redacted answers served" : "")
                + notes.map { "; note: \($0)" }.joined())
        let summary = MockServer.run(plan: plan, options: options, report: StderrLog.write)
        let missed = summary.missed == 0 ? "" : ", \(summary.missed) without a recorded answer"
        let refused = summary.refused == 0 ? "" : ", \(summary.refused) refused"
        StderrLog.write(
            "argus mock: answered \(summary.answered) request\(summary.answered == 1 ? "" : "s")\(missed)\(refused); "
                + (summary.runID.map { "the session is recorded as run \($0) (kind mock)" } ?? "the session was not recorded"))
    }

    /// This program's path, for the mock run's command line.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
