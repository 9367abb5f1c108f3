import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusRemote
import ArgusReplay
import ArgusScripting
import ArgusSetup
import ArgusStore
import Foundation

/// Flags shared by `argus replay` and `argus test`.
struct ReplayFlags: ParsableArguments {
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(
        help: ArgumentHelp(
            "Start this server from the config's \"servers\" instead of the recorded command.",
            valueName: "name"))
    var server: String?

    @Option(help: ArgumentHelp("Seconds to wait for each answer (and for the server to start).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(
        help: ArgumentHelp(
            "Ignore differences at this JSON pointer; * matches one segment, ** any number, "
                + "a bare name any depth (repeatable, e.g. /result/structuredContent/observed_at or timestamp).",
            valueName: "pointer"))
    var ignore: [String] = []

    @Option(
        name: .customLong("script"),
        help: ArgumentHelp(
            "A Lua script with mutate_replay or normalize hooks (repeatable; config scripts apply too).",
            valueName: "file"))
    var scripts: [String] = []

    @Option(
        name: .customLong("allow"),
        help: ArgumentHelp(
            "A tool that only reads, to replay although its server does not annotate it read-only "
                + "(a glob such as 'get_*'; repeatable; adds to the config's replay.safe_tools).",
            valueName: "tool"))
    var allow: [String] = []

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "For a run recorded over HTTP: a header to send to its URL, NAME:VALUE; ${VAR} in the value is read "
                + "from the environment (repeatable; adds to a named remote server's headers).",
            valueName: "header"))
    var headers: [String] = []

    func validate() throws {
        for header in headers {
            do { _ = try HeaderTemplate.parse(header) } catch { throw ValidationError(error.description) }
        }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if ignore.contains(where: \.isEmpty) {
            throw ValidationError("--ignore takes a JSON pointer such as /result/structuredContent/observed_at")
        }
        if allow.contains(where: \.isEmpty) { throw ValidationError("--allow takes a tool name or a glob such as 'get_*'") }
    }

    /// The engine options: config and flags together, for a plan that `prepare` returned.
    func engineOptions(_ config: Configuration, plan: ReplayPlan) throws -> ReplayEngine.Options {
        var options = try replayEngineOptions(config, databasePath: database.path(config), serverName: plan.serverName, scripts: scripts)
        options.timeoutSeconds = timeout
        options.ignore = IgnoreRules(ignore)
        options.safeTools += allow
        return options
    }

    /// The plan with --server applied, after warning about secrets the server may miss.
    func prepare(_ plan: ReplayPlan, config: Configuration) throws -> ReplayPlan {
        var plan = plan
        if let server {
            guard let named = try serverOrFail(config, server) else {
                let known = config.servers.keys.sorted()
                throw CLIError(
                    "no server named \(server) in \(config.source ?? "the configuration")"
                        + (known.isEmpty ? " (it has no \"servers\")" : " (it has: \(known.joined(separator: ", ")))"))
            }
            plan.launch = serverLaunch(named, config: config)
            plan.serverName = server
        }
        try applyHeaders(to: &plan.launch, config: config)
        let missing = plan.missingSecretVariables(environment: ProcessInfo.processInfo.environment)
        if !missing.isEmpty {
            StderrLog.write(
                "argus: warning: the recorded server had \(missing.joined(separator: ", ")) in its environment, "
                    + "and this shell does not; export \(missing.count == 1 ? "it" : "them") if the server needs \(missing.count == 1 ? "it" : "them")"
            )
        }
        return plan
    }
}

extension ReplayFlags {
    /// A remote launch's credentials: the --header flags, after a named remote server's headers or,
    /// for a recorded URL, those of the configured server at that address. Never the recording's.
    func applyHeaders(to launch: inout ServerLaunch, config: Configuration) throws {
        let given = try headers.map { try HeaderTemplate.parse($0) }.map { ServerLaunch.Header(name: $0.name, value: $0.value) }
        guard launch.isRemote else {
            if !given.isEmpty {
                throw CLIError("--header is for a server recorded over HTTP, and this one is a command (\(launch.display))")
            }
            return
        }
        launch = launch.withConfiguredRemote(config.servers.values.map { serverLaunch($0, config: config) })
        launch.headers += given
        let sent = Set(launch.headers.map { $0.name.lowercased() })
        let missing = launch.recordedHeaderNames.filter { !sent.contains($0.lowercased()) }
        if !missing.isEmpty {
            StderrLog.write(
                "argus: warning: the recorded run sent \(missing.joined(separator: ", ")) to \(launch.command), and this replay sends "
                    + "no such header (values are never recorded): give it with --header, e.g. --header '\(missing[0]):Bearer ${TOKEN}'")
        }
    }
}

/// How to start a configured server: its command, or, for a remote one, its URL and headers.
func serverLaunch(_ server: Configuration.Server, config: Configuration) -> ServerLaunch {
    if let url = server.url {
        var launch = ServerLaunch(command: url, arguments: [])
        launch.headers = server.headers.sorted { $0.key < $1.key }.map { ServerLaunch.Header(name: $0.key, value: $0.value) }
        return launch
    }
    return ServerLaunch(
        command: server.command, arguments: server.args, cwd: server.cwd.map { config.resolve($0, home: config.home) },
        extraEnvironment: server.env)
}

/// What every replay takes from the configuration (`argus replay`, `argus test`, the dashboard):
/// the key, ignore rules per tool, scripts and their limits, and redaction for this environment.
func replayEngineOptions(
    _ config: Configuration, databasePath: String, serverName: String,
    scripts: [String] = []
) throws -> ReplayEngine.Options {
    let environment = ProcessInfo.processInfo.environment
    var options = ReplayEngine.Options(
        databasePath: databasePath, keyPath: SecretKeyFile.defaultPath(environment: environment),
        serverName: serverName)
    options.remoteConnector = HTTPReplayConnector()
    options.ignoreByTool = config.replayIgnore
    options.safeTools = config.replaySafeTools
    options.scripts = try ScriptSetup.specs(config: config, scripts: scripts, directories: [])
    options.scriptLimits = ScriptSetup.limits(config)
    options.redaction = RedactionPolicy.forEnvironment(
        environment, enabled: config.redactionEnabled ?? true, extraKeys: config.redactKeys,
        patterns: try config.redactPatterns.map { try $0.compiled() })
    return options
}
