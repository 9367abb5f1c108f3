import ArgumentParser
import ArgusCore
import ArgusPostgres
import ArgusProxy
import ArgusRemote
import ArgusReplay
import ArgusScripting
import ArgusSetup
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
              argus wrap --url https://api.githubcopilot.com/mcp/ --header 'Authorization:Bearer ${GITHUB_TOKEN}'

            Every byte is forwarded unchanged in both directions. A copy of each message is \
            recorded, with secrets redacted, off the relay path. stdout belongs to the protocol; \
            argus writes its own messages to stderr. The proxy exits with the server's status.

            With --url, the server is a remote one speaking Streamable HTTP: argus is then the \
            stdio server the client starts, and carries each message over HTTP(S), in either \
            protocol era. Header values may name environment variables (${VAR}); they are sent, \
            never recorded.

            Options go before --. When the configuration file cannot be read, the session is still \
            relayed but not recorded (its redaction settings are unknown), and the run says why \
            (argus runs, argus diagnose).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var recording: RecordingOptions
    @OptionGroup(title: "OpenTelemetry") var telemetry: TelemetryOptions

    @Option(help: ArgumentHelp("A remote MCP server's Streamable HTTP address, instead of a command.", valueName: "url"))
    var url: String?

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "A header sent to the --url server, NAME:VALUE; ${VAR} in the value is read from the environment "
                + "(repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Name of the server in recordings (default: derived from the command).", valueName: "name"))
    var name: String?

    @Option(
        help: ArgumentHelp(
            "Seconds the server gets to exit after its input closes, and again after SIGTERM.",
            valueName: "seconds"))
    var grace: Double = 5

    @OptionGroup var faults: FaultFlags

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp(
            "The server command and its arguments (after --), or the name of a server in the config's \"servers\".",
            valueName: "command"))
    var command: [String] = []

    func validate() throws {
        // The command is captured as written, so what ArgumentParser did not know lands here: an
        // option before `--` that is not ours is a mistake to name, not a server to run.
        if let first = command.first, first != "--" {
            if first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
            if first.hasPrefix("-") && first.count > 1 {
                throw ValidationError(
                    "unknown option \(first) (see argus wrap --help); the server command goes after --, "
                        + "e.g. argus wrap --name time -- uvx mcp-server-time")
            }
        }
        for header in headers {
            do { _ = try HeaderTemplate.parse(header) } catch { throw ValidationError(error.description) }
        }
        if url != nil {
            if !serverCommand.isEmpty { throw ValidationError("give either --url or a server command after --, not both") }
        } else if !headers.isEmpty, command.first == "--" {
            throw ValidationError("--header is for a remote server: add --url")
        } else if serverCommand.isEmpty {
            throw ValidationError(
                "give the server command after --, e.g. argus wrap -- npx -y @modelcontextprotocol/server-everything, "
                    + "or the name of a server in your config: argus wrap github")
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
        if PostgresLocation.isPostgres(databasePath) {
            // Checked before the server starts (a password written into the URL is refused);
            // connecting happens later, on the recorder's writer thread.
            do { _ = try PostgresLocation(url: databasePath, environment: ProcessInfo.processInfo.environment) } catch {
                throw CLIError("\(error)")
            }
        }
        var options = WrapOptions(
            command: serverCommand.first ?? url ?? "", arguments: Array(serverCommand.dropFirst()),
            databasePath: databasePath)
        options.serverName = name ?? url.map { RemoteWrapSession.defaultServerName(url: $0) }
        options.graceSeconds = grace
        options.flushTimeoutSeconds = recording.flushTimeout
        if let configProblem {
            options.recordingError = configProblem
            if command.first != "--", command.count == 1 {
                // `argus wrap NAME`: what NAME stands for is in the file that cannot be read.
                options.serverName = name ?? command[0]
                options.startRefusal =
                    "cannot start server \(command[0]): \(configProblem); "
                    + "fix the file (argus diagnose shows where), or run the server's command after --"
            } else {
                StderrLog.write(
                    "argus: \(configProblem); the session is relayed but not recorded until the file is fixed "
                        + "(argus diagnose shows where)")
            }
            throw ExitCode(try runSession(options))
        }
        // `argus wrap github`: a server named in the config (a single word, not after --).
        var namedRemote: (url: String, headers: [HeaderTemplate])?
        if command.first != "--", command.count == 1 {
            if let named = try serverOrFail(config, command[0]), let remote = named.url {
                options.command = remote
                options.serverName = name ?? command[0]
                options.cwd = nil
                namedRemote = (remote, named.headers.sorted { $0.key < $1.key }.map { HeaderTemplate(name: $0.key, value: $0.value) })
            } else if let named = try serverOrFail(config, command[0]) {
                if !headers.isEmpty { throw CLIError("--header is for a remote server, and \(command[0]) is a command") }
                options.command = named.command
                options.arguments = named.args
                options.extraEnvironment = named.env
                options.cwd = named.cwd.map { config.resolve($0, home: config.home) }
                options.serverName = name ?? command[0]
            } else if !config.servers.isEmpty {
                StderrLog.write(
                    "argus: \(command[0]) is not a server in \(config.source ?? "the config") "
                        + "(it has: \(config.servers.keys.sorted().joined(separator: ", "))); running it as a command")
            }
        }
        try recording.apply(to: &options, config: config)

        let server = options.serverName ?? ServerNaming.defaultName(command: options.command, arguments: options.arguments)
        options.faults = try faults.options(config: config, server: server)

        let remoteURL = namedRemote?.url ?? url
        telemetry.attach(to: &options, config: config, server: server, remoteURL: remoteURL)
        throw ExitCode(try runSession(options, named: namedRemote))
    }

    /// The stdio session, or, with --url (or a named server with a url), the remote one.
    private func runSession(_ options: WrapOptions, named: (url: String, headers: [HeaderTemplate])? = nil) throws -> Int32 {
        let given = try headers.map { try HeaderTemplate.parse($0) }
        if let named { return RemoteWrapSession.run(RemoteWrapOptions(url: named.url, headers: named.headers + given, wrap: options)) }
        guard let url else { return WrapSession.run(options) }
        return RemoteWrapSession.run(RemoteWrapOptions(url: url, headers: given, wrap: options))
    }
}
