import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusScripting
import ArgusStore
import ArgusTelemetry
import Foundation

struct Wrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrap",
        abstract: "Run an MCP server behind a transparent recording proxy.",
        discussion: """
            Use it in place of the server command in your MCP client's configuration:

              argus wrap -- npx -y @modelcontextprotocol/server-github
              argus wrap --name github -- docker run -i --rm -e GITHUB_TOKEN ghcr.io/github/github-mcp-server

            Every byte is forwarded unchanged in both directions. A copy of each message is \
            recorded, with secrets redacted, off the relay path. stdout belongs to the protocol; \
            argus writes its own messages to stderr. The proxy exits with the server's status.

            Options go before --. When the configuration file cannot be read, the session is still \
            relayed but not recorded (its redaction settings are unknown), and the run says why \
            (argus runs, argus diagnose).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup(title: "OpenTelemetry") var telemetry: TelemetryOptions

    @Option(help: ArgumentHelp("Name of the server in recordings (default: derived from the command).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("idle-timeout"),
            help: ArgumentHelp("Start a new run after this many seconds without traffic (default 60).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(help: ArgumentHelp("Extra key names to redact, comma-separated (e.g. ssn,account_number).", valueName: "keys"))
    var redact: String?

    @Flag(name: .customLong("no-redact"), help: "Record everything as is (secrets included).")
    var noRedact = false

    @Flag(name: .customLong("no-seal"),
          help: "Do not keep encrypted originals of redacted values (replays of those calls then need them supplied).")
    var noSeal = false

    @Option(help: ArgumentHelp("Seconds the server gets to exit after its input closes, and again after SIGTERM.",
                               valueName: "seconds"))
    var grace: Double = 5

    @Option(help: ArgumentHelp("Also tell the dashboard at this URL when new calls are recorded (it notices them by itself; "
                               + "for setups that push).", valueName: "url"))
    var api: String?

    @Flag(name: .customLong("api-allow-remote"),
          help: "Let --api send the dashboard token to a dashboard on another machine (by default only to this one).")
    var apiAllowRemote = false

    @Option(name: .customLong("script"), help: ArgumentHelp("A Lua script to run on every call (repeatable).", valueName: "file"))
    var scripts: [String] = []

    @Option(name: .customLong("scripts-dir"), help: ArgumentHelp("Run every .lua script in this directory.", valueName: "dir"))
    var scriptDirectories: [String] = []

    @Option(name: .customLong("flush-timeout"),
            help: ArgumentHelp("At exit, how long to keep trying to write the last records to a busy or broken database.",
                               valueName: "seconds"))
    var flushTimeout: Double = 10

    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("The server command and its arguments (after --), or the name of a server in the config's \"servers\".",
                                 valueName: "command"))
    var command: [String] = []

    func validate() throws {
        // The command is captured as written, so what ArgumentParser did not know lands here: an
        // option before `--` that is not ours is a mistake to name, not a server to run.
        if let first = command.first, first != "--" {
            if first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
            if first.hasPrefix("-") && first.count > 1 {
                throw ValidationError("unknown option \(first) (see argus wrap --help); the server command goes after --, "
                                      + "e.g. argus wrap --name time -- uvx mcp-server-time")
            }
        }
        if serverCommand.isEmpty {
            throw ValidationError("give the server command after --, e.g. argus wrap -- npx -y @modelcontextprotocol/server-everything, "
                                  + "or the name of a server in your config: argus wrap github")
        }
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
        if let api, !(api.hasPrefix("http://") || api.hasPrefix("https://")) {
            throw ValidationError("--api takes the dashboard's URL, e.g. http://127.0.0.1:3000")
        }
        if grace < 0 { throw ValidationError("--grace cannot be negative") }
    }

    var serverCommand: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func run() throws {
        // A broken configuration must not take the session down: relay it, record nothing its
        // redaction might have protected, and leave the reason in the run.
        let config: Configuration
        var configProblem: String?
        do {
            config = try configuration.load()
        } catch {
            config = Configuration()
            configProblem = "\(error)"
        }
        let databasePath = database.path(config)
        var options = WrapOptions(command: serverCommand[0], arguments: Array(serverCommand.dropFirst()),
                                  databasePath: databasePath)
        options.serverName = name
        options.graceSeconds = grace
        options.flushTimeoutSeconds = flushTimeout
        if let configProblem {
            options.recordingError = configProblem
            if command.first != "--", command.count == 1 {
                // `argus wrap NAME`: what NAME stands for is in the file that cannot be read.
                options.serverName = name ?? command[0]
                options.startRefusal = "cannot start server \(command[0]): \(configProblem); "
                    + "fix the file (argus diagnose shows where), or run the server's command after --"
            } else {
                StderrLog.write("argus: \(configProblem); the session is relayed but not recorded until the file is fixed "
                                + "(argus diagnose shows where)")
            }
            throw ExitCode(WrapSession.run(options))
        }
        // `argus wrap github`: a server named in the config (a single word, not after --).
        if command.first != "--", command.count == 1 {
            if let named = try serverOrFail(config, command[0]) {
                options.command = named.command
                options.arguments = named.args
                options.extraEnvironment = named.env
                options.cwd = named.cwd.map { config.resolve($0, home: config.home) }
                options.serverName = name ?? command[0]
            } else if !config.servers.isEmpty {
                StderrLog.write("argus: \(command[0]) is not a server in \(config.source ?? "the config") "
                                + "(it has: \(config.servers.keys.sorted().joined(separator: ", "))); running it as a command")
            }
        }
        options.idleTimeoutSeconds = idleTimeout ?? config.idleTimeoutSeconds ?? 60
        options.redactionEnabled = !noRedact && (config.redactionEnabled ?? true)
        options.extraRedactKeys = config.redactKeys + (redact ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options.redactPatterns = try config.redactPatterns.map { try $0.compiled() }
        if let api, let notifier = DashboardNotifier(apiURL: api, tokenPath: ArgusDatabase.argusHome(environment: ProcessInfo.processInfo.environment)
                                                         + "/token", allowRemote: apiAllowRemote, report: StderrLog.write) {
            options.onCommit = { notifier.committed() }
            options.onFinish = { notifier.finish() }
        }
        if options.redactionEnabled && !noSeal && config.replaySeal != false {
            options.sealer = KeyFileSealer(path: SecretKeyFile.defaultPath(environment: ProcessInfo.processInfo.environment),
                                           report: StderrLog.write)
        }

        let specs = try ScriptSetup.specs(config: config, scripts: scripts, directories: scriptDirectories)
        if !specs.isEmpty {
            let limits = ScriptSetup.limits(config)
            let webhooks = ScriptSetup.webhooks(config)
            let server = options.serverName ?? ServerNaming.defaultName(command: options.command, arguments: options.arguments)
            options.makeHooks = { writer in
                ScriptHost(specs: specs, options: ScriptHost.Options(server: server, argusPID: getpid(), limits: limits),
                           report: StderrLog.write, alertSink: webhooks.map { hooks in { hooks.send($0) } },
                           databaseRunID: { writer.databaseID(of: $0) })
            }
            let finishNotifier = options.onFinish
            options.onFinish = {
                webhooks?.finish()
                finishNotifier?()
            }
        }
        let server = options.serverName ?? ServerNaming.defaultName(command: options.command, arguments: options.arguments)
        if let settings = telemetry.settings(config: config) {
            let exporter = OTLPExporter(settings: settings, server: server, statusPath: databasePath, processID: getpid(),
                                        report: StderrLog.write)
            options.onCommitted = { exporter.consume($0) }
            if settings.injectTraceContext && settings.traces != nil {
                let injector = TraceContextInjector(sampler: settings.sampler, ratio: settings.samplerRatio)
                options.rewriteClientLine = { injector.inject($0) }
            }
            let finishOthers = options.onFinish
            let grace = options.graceSeconds
            options.onFinish = {
                exporter.finish(timeoutSeconds: grace)
                finishOthers?()
            }
        }
        let status = WrapSession.run(options)
        throw ExitCode(status)
    }
}
