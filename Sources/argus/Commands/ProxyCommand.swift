import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusRemote
import ArgusSetup
import Foundation

struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Serve a remote MCP server at a local address, recording every message (an HTTP reverse proxy).",
        discussion: """
            For MCP clients that speak Streamable HTTP (Claude Code, Cursor, VS Code, Codex): point \
            them at the address argus prints instead of the remote server's.

              argus proxy --listen 127.0.0.1:8931 --upstream https://mcp.example.com/mcp
              argus proxy --listen 127.0.0.1:8931 --upstream https://api.githubcopilot.com/mcp/ \\
                          --header 'Authorization:Bearer ${GITHUB_TOKEN}'
              argus proxy --listen 127.0.0.1:8931 -- uvx mcp-server-time
              argus proxy --listen 127.0.0.1:8931 github      (a server named in the config)

            The upstream's path is served at the same path (http://127.0.0.1:8931/mcp above), and \
            OAuth discovery (/.well-known/oauth-protected-resource…, with the resource rewritten to \
            this proxy) next to it. Requests and answers pass unchanged, streams as they arrive; \
            Authorization passes through and is never recorded. Each MCP session (Mcp-Session-Id) \
            is a run of its own, as one `argus wrap` session is; messages outside any session (a \
            stateless server, the 2026-07-28 era) share one recording, split into runs by the idle \
            timeout. HTTP statuses and broken streams are recorded as argus/transport frames.

            With a command after -- instead of --upstream, argus serves that stdio server over Streamable \
            HTTP at /mcp: a server process per MCP session (initialize starts it, DELETE ends it), one shared \
            process for messages outside any session (the 2026-07-28 era), each recorded as argus wrap records it.

            With --faults FILE, every MCP session through the proxy is a chaos run whose tool calls get \
            the file's faults, as with argus wrap --faults.

            The proxy listens on loopback only, unless --allow-remote says you mean another address: \
            whoever can connect can use the upstream, with the credentials --header adds. It stops \
            on SIGINT or SIGTERM, ending every session's run.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var recording: RecordingOptions
    @OptionGroup(title: "OpenTelemetry") var telemetry: TelemetryOptions
    @OptionGroup var faults: FaultFlags

    @Option(help: ArgumentHelp("Address to listen on, HOST:PORT (port 0: any free port, printed at start).", valueName: "host:port"))
    var listen: String

    @Option(
        help: ArgumentHelp(
            "The remote MCP server's Streamable HTTP address (or a stdio server's command after --).",
            valueName: "url"))
    var upstream: String?

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "A header added to every request to the upstream, NAME:VALUE; ${VAR} in the value is read from the "
                + "environment (repeatable).", valueName: "header"))
    var headers: [String] = []

    @Flag(name: .customLong("allow-remote"), help: "Let --listen name an address other machines can reach.")
    var allowRemote = false

    @Option(
        name: .customLong("public-url"),
        help: ArgumentHelp(
            "The proxy's address as clients reach it, when not http://LISTEN (a name behind a TLS terminator): "
                + "what OAuth metadata names as the resource, and the Host accepted.", valueName: "url"))
    var publicURL: String?

    @Option(help: ArgumentHelp("Name of the server in recordings (default: the upstream's host).", valueName: "name"))
    var name: String?

    @Option(
        help: ArgumentHelp(
            "With a command: seconds a server gets to exit after its session ends, and again after SIGTERM.",
            valueName: "seconds"))
    var grace: Double = 5

    @Argument(
        help: ArgumentHelp(
            "A server named in the config (servers.NAME): its url and headers, or its command.", valueName: "server"))
    var server: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A stdio server's command and arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if [upstream != nil, server != nil, !command.isEmpty].filter({ $0 }).count != 1 {
            throw ValidationError(
                "give --upstream URL (a remote server), the name of a server in your config, or a stdio server's command after --: one of the three"
            )
        }
        if !command.isEmpty, !headers.isEmpty { throw ValidationError("--header is for --upstream") }
        if grace < 0 { throw ValidationError("--grace cannot be negative") }
        do {
            _ = try ListenAddress.parse(listen)
            for header in headers { _ = try HeaderTemplate.parse(header) }
        } catch {
            throw ValidationError(error.description)
        }
        if let publicURL, !(publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://")) {
            throw ValidationError("--public-url takes the address clients use, e.g. https://mcp.internal.example.com")
        }
    }

    func run() throws {
        // As with `argus wrap`: a configuration that cannot be read does not stop the traffic;
        // nothing is recorded (what its redaction would have protected is unknown) and the runs say why.
        var config = Configuration()
        var configProblem: String?
        do {
            config = try configuration.load()
        } catch {
            configProblem = "\(error)"
            StderrLog.write("argus: \(error); traffic is proxied but not recorded until the file is fixed (argus diagnose shows where)")
        }
        var upstream = self.upstream
        var command = self.command
        var headers = try self.headers.map { try HeaderTemplate.parse($0) }
        var named: Configuration.Server?
        if let server {
            // What the name stands for is in the config: without it there is nothing to serve.
            if let configProblem { throw CLIError("cannot serve \(server): \(configProblem)") }
            guard let found = try serverOrFail(config, server) else {
                throw CLIError(
                    "\(server) is not a server in \(config.source ?? "the config") (it has: \(config.servers.keys.sorted().joined(separator: ", ")))"
                )
            }
            if let url = found.url {
                upstream = url
                headers = found.headers.sorted { $0.key < $1.key }.map { HeaderTemplate(name: $0.key, value: $0.value) } + headers
            } else {
                if !headers.isEmpty { throw CLIError("--header is for a remote server, and \(server) is a command") }
                command = [found.command] + found.args
            }
            named = found
        }
        var wrap = WrapOptions(
            command: command.first ?? upstream ?? "", arguments: Array(command.dropFirst()),
            databasePath: database.path(config))
        wrap.serverName = name ?? server ?? upstream.map(RemoteWrapSession.defaultServerName)
        if let named, named.url == nil {
            wrap.extraEnvironment = named.env
            wrap.cwd = named.cwd.map { config.resolve($0, home: config.home) }
        }
        wrap.graceSeconds = grace
        wrap.recordingError = configProblem
        var recording = self.recording
        if configProblem != nil {
            recording.scripts = []
            recording.scriptDirectories = []
        }
        try recording.apply(to: &wrap, config: config)
        let serverName = wrap.serverName ?? ServerNaming.defaultName(command: wrap.command, arguments: wrap.arguments)
        wrap.faults = try faults.options(config: config, server: serverName)
        telemetry.attach(
            to: &wrap, config: config, server: serverName,
            remoteURL: upstream, clientTransport: "tcp", injects: false)
        var options = ProxyOptions(
            listen: try ListenAddress.parse(listen), target: upstream.map(ProxyOptions.Target.upstream) ?? .stdio,
            headers: headers, wrap: wrap)
        options.allowRemote = allowRemote
        options.publicURL = publicURL
        throw ExitCode(ProxyServer.run(options))
    }
}
