import ArgumentParser
import ArgusCore
import ArgusSystem
import ArgusProxy
import ArgusRemote
import ArgusReplay
import Foundation

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Drive an MCP server through a hand-written list of calls, with no client and no LLM, and record it as a run.",
        discussion: """
            A suite from scratch, in CI:

              argus record --scenario calls.json --out suite.json -- uvx mcp-server-time
              argus test --suite suite.json

            A remote server (Streamable HTTP) is driven the same way, with --url and --header as \
            argus wrap --url takes them; the header values are sent, never recorded:

              argus record --scenario calls.json --url https://mcp.example.com/mcp --header 'Authorization:Bearer ${TOKEN}'

            The scenario is JSON: a list of calls, each {"tool": NAME, "arguments": {…}} or \
            {"method": M, "params": {…}}, with an optional "repeat": N; or an object with that list as \
            "calls" and, optionally, "protocol_version" (default 2025-11-25; 2026-07-28 drives the server \
            statelessly), "client" ({"name", "version"}), "capabilities", and "client_answers" (the result \
            to give a request the server sends, by method, e.g. {"roots/list": {"roots": []}}).

            Argus greets the server as a client would (initialize, then tools/list), sends each call in \
            order and waits for its answer, and records everything like argus wrap: redacted, sealed, seen \
            by the scripts of the configuration. Exit status: 0 every call was answered (a tool error is an \
            answer), 1 a call got no answer or the server failed.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(help: ArgumentHelp("The calls to make: a JSON file.", valueName: "file"))
    var scenario: String

    @Option(help: ArgumentHelp("A remote MCP server's Streamable HTTP address, instead of a command.", valueName: "url"))
    var url: String?

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "A header sent to the --url server, NAME:VALUE; ${VAR} in the value is read from the environment "
                + "(repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(
        help: ArgumentHelp("Name of the server in recordings (default: derived from the command or the URL's host).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Seconds to wait for each answer (and for the server to start).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Also write the recorded run as a suite file, as `argus export` does.", valueName: "file"))
    var out: String?

    @Option(name: .customLong("script"), help: ArgumentHelp("A Lua script to run on every call (repeatable).", valueName: "file"))
    var scripts: [String] = []

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp(
            "The server command and its arguments (after --), or the name of a server in the config's \"servers\".",
            valueName: "command"))
    var command: [String] = []

    var serverCommand: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        if let first = command.first, first != "--", first.hasPrefix("-"), first.count > 1 {
            if first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
            throw ValidationError("unknown option \(first) (see argus record --help); the server command goes after --")
        }
        for header in headers {
            do { _ = try HeaderTemplate.parse(header) } catch { throw ValidationError(error.description) }
        }
        if url != nil {
            if !serverCommand.isEmpty { throw ValidationError("give either --url or a server command after --, not both") }
        } else if serverCommand.isEmpty {
            throw ValidationError("give the server command after --, e.g. argus record --scenario calls.json -- uvx mcp-server-time")
        } else if !headers.isEmpty, command.first == "--" {
            throw ValidationError("--header is for a remote server: add --url")
        }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let config = try configuration.load()
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(try readJSONFile(self.scenario, what: "scenario"), path: self.scenario)
        } catch let error as ReplayError {
            throw CLIError("\(error)")
        }
        var launch = ServerLaunch(command: url ?? serverCommand[0], arguments: Array(serverCommand.dropFirst()))
        var serverName = name ?? url.map { RemoteWrapSession.defaultServerName(url: $0) }
        if url == nil, command.first != "--", command.count == 1, let named = try serverOrFail(config, command[0]) {
            launch = serverLaunch(named, config: config)
            serverName = name ?? command[0]
        }
        if !headers.isEmpty {
            guard launch.isRemote else { throw CLIError("--header is for a remote server, and \(command[0]) is a command") }
            launch.headers += try headers.map { try HeaderTemplate.parse($0) }.map { ServerLaunch.Header(name: $0.name, value: $0.value) }
        }
        let server = serverName ?? ServerNaming.defaultName(command: launch.command, arguments: launch.arguments)
        var options = try replayEngineOptions(config, databasePath: database.path(config), serverName: server, scripts: scripts)
        options.timeoutSeconds = timeout
        options.runKind = "wrap"

        let engine = ReplayEngine(options: options, launch: launch, handshake: scenario.handshake, report: StderrLog.write)
        var answered = 0, toolErrors = 0, failed = 0
        var runID: Int64?
        for call in scenario.calls {
            let result = engine.replay(call)
            runID = runID ?? result.replayRunID
            let what = call.tool ?? call.method
            if let failure = result.failure {
                failed += 1
                print("failed   \(what): \(failure)")
            } else if result.actualIsError {
                answered += 1
                toolErrors += 1
                let message =
                    result.actual?["error"]?["message"]?.stringValue
                    ?? result.actual?["result"]?["content"]?[0]?["text"]?.stringValue ?? ""
                print("error    \(what), \(Format.duration(micros: result.latencyMicros)): \(message.shortened(to: 200))")
            } else {
                answered += 1
                print("ok       \(what), \(Format.duration(micros: result.latencyMicros))")
            }
        }
        runID = runID ?? engine.recordedRunID()
        engine.close()
        let errors = toolErrors == 0 ? "" : " (\(toolErrors) an error)"
        print(
            "\(scenario.calls.count) calls: \(answered) answered\(errors), \(failed) without an answer; "
                + (runID.map { "recorded as run \($0)" } ?? "not recorded"))
        if let out, let runID {
            do {
                let plan = try ReplayPlan.forRun(runID, reader: try database.reader(config), withSession: true)
                try PrivateFile.write(
                    path: absolutePath(out), contents: Array((JSONWriter.string(plan.suiteJSON, pretty: true) + "\n").utf8))
                StderrLog.write("argus: wrote \(plan.calls.count) call\(plan.calls.count == 1 ? "" : "s") of run \(runID) to \(out)")
            } catch let error as ReplayError {
                throw CLIError("\(error)")
            } catch let error as PrivateFile.Failure {
                throw CLIError(error.description)
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
