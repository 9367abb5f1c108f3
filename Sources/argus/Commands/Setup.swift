import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusRemote
import ArgusSetup
import ArgusStore
import ArgusSystem
import Foundation

struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Write a starting config, or put a wrapped server into an MCP client's configuration.",
        discussion: """
            argus setup --init                                   write ~/.argus/config.json (commented)
            argus setup --client cursor --server github          a server from your config
            argus setup --client codex -- uvx mcp-server-time    any command
            argus setup --client claude-desktop --url https://mcp.example.com/mcp --header 'Authorization:Bearer ${TOKEN}'
            argus setup --client claude-desktop --write -- docker run -i --rm -e API_KEY image
            argus setup --client claude-code --proxy https://mcp.example.com/mcp --listen 127.0.0.1:8931 --service systemd

            Clients: claude-desktop, claude-code, codex, cursor, vscode (--claude means --client claude-desktop). \
            Without --write the entry is printed; with it, it is merged into the client's file (a backup is kept, \
            other servers are untouched, running it twice changes nothing). Entries start argus, and the server command, \
            by absolute path (desktop clients do not have your shell's PATH). \
            Variables the server needs (--env NAME, `-e NAME` / `--env NAME` / `--env-file` of docker or podman run, \
            ${NAME} in the config) are passed the way each client can: a reference to the client's environment where it \
            supports one, else a placeholder to fill in (or the current value with --copy-env). Files are written \
            private (0600) when new, and narrowed to 0600 when --copy-env puts a value in them.

            With --proxy, the client (not Claude Desktop, whose file has no HTTP entries: use --url) gets its native \
            HTTP entry for http://LISTEN/PATH, and --service a systemd user unit or a launchd agent that keeps \
            `argus proxy --listen LISTEN --upstream URL` running (its --header variables in a 0600 file of their own \
            for systemd, in the agent for launchd). --write writes both and prints the commands that start the service.
            """)

    @OptionGroup var configuration: ConfigOptions

    @Flag(help: "Write a commented starting configuration (to --config, else ~/.argus/config.json).")
    var `init` = false

    @Flag(help: "With --init: replace an existing file.")
    var force = false

    @Option(help: ArgumentHelp("The MCP client: \(MCPClient.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "client"))
    var client: String?

    @Flag(help: "Same as --client claude-desktop.")
    var claude = false

    @Option(help: ArgumentHelp("A server from the configuration's \"servers\".", valueName: "name"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "The entry's name in the client (default: the server's name, or one derived from the command).",
            valueName: "name"))
    var name: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("A variable the server needs from the client (repeatable).", valueName: "NAME"))
    var environment: [String] = []

    @Flag(
        name: .customLong("copy-env"),
        help: "For clients that cannot reference a variable (Claude Desktop, Codex env): write its current value.")
    var copyEnvironment = false

    @Flag(help: "Merge the entry into the client's configuration file instead of printing it.")
    var write = false

    @Option(
        name: .customLong("client-config"),
        help: ArgumentHelp(
            "The client's file to write (default: where the client reads it).",
            valueName: "path"))
    var clientConfig: String?

    @Option(help: ArgumentHelp("The argus binary the client should run (default: this one).", valueName: "path"))
    var argus: String?

    @Option(help: ArgumentHelp("Database for the wrapped server (default: the config's, else ~/.argus/argus.db).", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("A remote server's Streamable HTTP address: the entry runs argus wrap --url.", valueName: "url"))
    var url: String?

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "With --url: a header NAME:VALUE (repeatable); ${VAR} is passed from the client's environment.",
            valueName: "header"))
    var headers: [String] = []

    @Option(
        help: ArgumentHelp(
            "A remote server's Streamable HTTP address to serve through a long-running argus proxy: "
                + "the client gets an HTTP entry for it.", valueName: "url"))
    var proxy: String?

    @Option(help: ArgumentHelp("With --proxy: where the proxy listens, HOST:PORT on loopback.", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("With --proxy: a user service that runs the proxy, systemd or launchd.", valueName: "manager"))
    var service: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command, after --.", valueName: "command"))
    var command: [String] = []

    var selectedClient: String? { claude ? "claude-desktop" : client }

    func validate() throws {
        if !`init` && selectedClient == nil {
            throw ValidationError("say what to set up: --init, or --client \(MCPClient.allCases.map(\.rawValue).joined(separator: "|"))")
        }
        if let client = selectedClient, MCPClient(rawValue: client) == nil {
            throw ValidationError("unknown client \(client); one of: \(MCPClient.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if selectedClient != nil && [server != nil, !command.isEmpty, url != nil, proxy != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give one of --server NAME (from the config), --url URL, --proxy URL, or the server command after --")
        }
        if !headers.isEmpty && url == nil && proxy == nil { throw ValidationError("--header goes with --url or --proxy") }
        if proxy == nil, listen != nil || service != nil { throw ValidationError("--listen and --service go with --proxy") }
        if proxy != nil {
            if selectedClient == MCPClient.claudeDesktop.rawValue {
                throw ValidationError(
                    "Claude Desktop's configuration file has no HTTP entries (remote servers are connectors in its "
                        + "settings); use --url for an entry that runs argus wrap --url")
            }
            guard let listen else { throw ValidationError("--proxy needs --listen HOST:PORT, e.g. --listen 127.0.0.1:8931") }
            do {
                let address = try ListenAddress.parse(listen)
                if address.port == 0 || !address.isLoopback {
                    throw ValidationError("--listen for a service takes a loopback address with a fixed port, e.g. 127.0.0.1:8931")
                }
            } catch let error as RemoteError {
                throw ValidationError(error.description)
            }
            if let service, ProxyService.Manager(rawValue: service) == nil {
                throw ValidationError("--service is systemd or launchd (got \(service))")
            }
        }
        for variable in environment where !variable.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            throw ValidationError("--env takes a variable name, e.g. --env GITHUB_TOKEN (got \(variable))")
        }
    }

    func run() throws {
        if `init` { try writeStarterConfig() }
        guard let clientName = selectedClient, let client = MCPClient(rawValue: clientName) else { return }
        var entry = try makeEntry()
        var proxyService: ProxyService?
        if let proxyURL = entry.url {
            proxyService = service.flatMap(ProxyService.Manager.init).map {
                ProxyService(
                    manager: $0, name: entry.name, argusPath: entry.argusPath, arguments: entry.arguments,
                    environment: entry.environment)
            }
            proxyService?.literalValues = entry.literalValues
            if proxyService == nil {
                StderrLog.write(
                    "argus: the entry connects to \(proxyURL); keep the proxy running with: "
                        + ClientSetup.shellQuoted([entry.argusPath] + entry.arguments))
            }
            // The client needs no variables: the proxy adds the headers.
            entry.environment = []
            entry.literalValues = [:]
        }
        let environment = ProcessInfo.processInfo.environment
        let currentDirectory = FileManager.default.currentDirectoryPath
        let path =
            clientConfig.map(absolutePath)
            ?? client.configPath(home: homeDirectory(), environment: environment, currentDirectory: currentDirectory)

        if entry.argusPath.contains("/.build/") {
            StderrLog.write(
                "argus: note: the entry runs \(entry.argusPath), a build directory; install argus "
                    + "(Scripts/install.sh) and run setup from the installed binary, or pass --argus PATH")
        }
        if !entry.environment.isEmpty {
            StderrLog.write(
                "argus: the server needs \(entry.environment.joined(separator: ", ")); \(client.displayName) gets \(describe(client))")
        }

        guard write else {
            print(ClientSetup.snippet(entry, for: client))
            StderrLog.write("argus: add this to \(path), or rerun with --write to merge it there")
            if let proxyService { printService(proxyService) }
            return
        }
        if let proxyService { try writeService(proxyService) }
        // Claude Code's file belongs to the project: a link there must not lead setup out of it.
        let confinement = clientConfig == nil && client == .claudeCode ? currentDirectory : nil
        let existing: String?
        let result: ClientSetup.Result
        do {
            existing = FileManager.default.contents(atPath: try ClientSetup.target(of: path, confinedTo: confinement))
                .map { String(decoding: $0, as: UTF8.self) }
            result = try ClientSetup.merge(entry, for: client, into: existing, path: path)
        } catch {
            throw CLIError("\(error)")
        }
        guard result.changed else {
            print("\(path) already has this entry for \(entry.name); nothing to do.")
            return
        }
        let backup: String?
        do {
            backup = try ClientSetup.write(result.text, to: path, confinedTo: confinement, secret: !entry.literalValues.isEmpty)
        } catch {
            throw CLIError("\(error)")
        }
        print("Wrote \(entry.name) to \(path)" + (backup.map { " (previous version: \($0))" } ?? "") + ".")
        print("Restart \(client.displayName) to pick it up; then `argus runs` shows each session.")
    }

    /// How the client will supply the variables.
    func describe(_ client: MCPClient) -> String {
        switch client {
        case .claudeDesktop:
            return copyEnvironment
                ? "their current values, written into its config"
                : "a placeholder to fill in (it passes env values as written; --copy-env writes the current ones)"
        case .codex:
            return copyEnvironment
                ? "their current values, written into its config"
                : "env_vars, so Codex forwards them from its own environment"
        case .claudeCode: return "${NAME}, which Claude Code expands from its own environment"
        case .cursor: return "${env:NAME}, which Cursor expands from its environment"
        case .vscode: return "an input VS Code asks for once and keeps in its secret storage"
        }
    }

    func makeEntry() throws -> ClientEntry {
        let environment = ProcessInfo.processInfo.environment
        let argusPath = argus.map(absolutePath) ?? Self.currentExecutable()
        var arguments = ["wrap"]
        var variables = self.environment
        // The client starts argus in its own directory, without this shell's variables: say where things are.
        if let db {
            arguments += ["--db", storeLocation(db)]
        } else if let fromEnvironment = environment["ARGUS_DB"], !fromEnvironment.isEmpty {
            arguments += ["--db", storeLocation(fromEnvironment)]
        }
        let entryName: String
        if let server {
            let config = try configuration.load()
            guard let named = config.servers[server] else {
                let known = config.servers.keys.sorted()
                throw CLIError(
                    "no server named \(server) in \(configuration.path ?? "the configuration")"
                        + (known.isEmpty
                            ? "; add it under \"servers\" (argus setup --init shows how)" : " (it has: \(known.joined(separator: ", ")))"))
            }
            if let path = configuration.path, path != ArgusDatabase.argusHome(environment: environment) + "/config.json" {
                arguments += ["--config", path]
            }
            arguments.append(server)
            variables += named.variables
            entryName = name ?? server
            variables += named.headers.flatMap { HeaderTemplate(name: $0.key, value: $0.value).variables }
            if named.url == nil, !named.command.contains("/"),
                (try? ChildProcess.resolve(named.command, searchPath: ClientCommand.desktopPath)) == nil
            {
                let found = try? ChildProcess.resolve(named.command, searchPath: environment["PATH"] ?? "")
                StderrLog.write(
                    "argus: warning: servers.\(server).command is `\(named.command)`, which a desktop client's PATH "
                        + "(\(ClientCommand.desktopPath)) does not have; write its absolute path in the config"
                        + (found.map { " (here: \($0))" } ?? ""))
            }
        } else if let proxy {
            let templates = try headers.map { try HeaderTemplate.parse($0) }
            guard let listen, let address = try? ListenAddress.parse(listen) else { throw CLIError("--proxy needs --listen HOST:PORT") }
            entryName = name ?? RemoteWrapSession.defaultServerName(url: proxy)
            arguments[0] = "proxy"
            arguments +=
                ["--listen", address.authority(), "--upstream", proxy, "--name", entryName]
                + templates.flatMap { ["--header", "\($0.name):\($0.value)"] }
            variables += templates.flatMap(\.variables)
            var entry = ClientEntry(name: entryName, argusPath: argusPath, arguments: arguments, environment: Self.unique(variables))
            entry.url = "http://\(address.authority())\(ProxyServer.servedPath(upstream: proxy))"
            if copyEnvironment {
                for variable in entry.environment { entry.literalValues[variable] = environment[variable] }
            }
            return entry
        } else if let url {
            let templates = try headers.map { try HeaderTemplate.parse($0) }
            entryName = name ?? RemoteWrapSession.defaultServerName(url: url)
            arguments += ["--name", entryName, "--url", url] + templates.flatMap { ["--header", "\($0.name):\($0.value)"] }
            variables += templates.flatMap(\.variables)
        } else {
            let command = self.command
            variables += ContainerRunOptions.parse(command)?.forwardedVariables ?? []
            entryName = name ?? ServerNaming.defaultName(command: command[0], arguments: Array(command.dropFirst()))
            let resolved = ClientCommand.resolve(
                command[0], searchPath: environment["PATH"] ?? "",
                currentDirectory: FileManager.default.currentDirectoryPath)
            for warning in resolved.warnings { StderrLog.write("argus: warning: \(warning)") }
            arguments += ["--name", entryName, "--", resolved.command] + command.dropFirst()
        }
        var entry = ClientEntry(name: entryName, argusPath: argusPath, arguments: arguments, environment: Self.unique(variables))
        if copyEnvironment {
            for variable in entry.environment { entry.literalValues[variable] = environment[variable] }
        }
        return entry
    }

    static func unique(_ names: [String]) -> [String] {
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        return unique
    }

    /// Without --write: the service file, where it goes, and how to start it.
    func printService(_ service: ProxyService) {
        let environment = ProcessInfo.processInfo.environment
        let argusHome = ArgusDatabase.argusHome(environment: environment)
        let path = service.path(home: homeDirectory(), environment: environment)
        print("\n# \(path)\n" + service.text(argusHome: argusHome))
        if let file = service.environmentFilePath(argusHome: argusHome) {
            print("# \(file) (mode 0600): the values of \(service.environment.joined(separator: ", "))\n" + service.environmentFileText)
        }
        print("# then: " + service.startCommands(path: path).joined(separator: " && "))
    }

    /// With --write: the unit or agent (and systemd's variables file), private; the start commands.
    func writeService(_ service: ProxyService) throws {
        let environment = ProcessInfo.processInfo.environment
        let argusHome = ArgusDatabase.argusHome(environment: environment)
        let path = service.path(home: homeDirectory(), environment: environment)
        var files = [(path, service.text(argusHome: argusHome))]
        if let file = service.environmentFilePath(argusHome: argusHome) {
            // Values already in the file stay unless --copy-env brings new ones.
            if copyEnvironment || !FileManager.default.fileExists(atPath: file) { files.append((file, service.environmentFileText)) }
        }
        for (file, text) in files {
            do {
                try FileManager.default.createDirectory(
                    atPath: (file as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try PrivateFile.write(path: file, contents: Array(text.utf8), secret: true)
            } catch let error as PrivateFile.Failure {
                throw CLIError(error.description)
            } catch {
                throw CLIError("cannot write \(file): \(error.localizedDescription)")
            }
            print("Wrote \(file).")
        }
        if let file = service.environmentFilePath(argusHome: argusHome), !copyEnvironment {
            print("Put the values of \(service.environment.joined(separator: ", ")) in \(file) (NAME=value), or rerun with --copy-env.")
        }
        print("Start it now and at every login: " + service.startCommands(path: path).joined(separator: " && "))
    }

    /// The running argus, by absolute path (clients do not search the user's PATH).
    static func currentExecutable() -> String {
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return link }
        return absolutePath(CommandLine.arguments[0])
    }

    func writeStarterConfig() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = configuration.config.map(absolutePath) ?? ArgusDatabase.argusHome(environment: environment) + "/config.json"
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIError("\(path) already exists; keep it, or pass --force to replace it")
        }
        do {
            // Private, like everything in ~/.argus: the file may come to name servers, tokens' variables and webhooks.
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try PrivateFile.write(path: path, contents: Array(StarterConfig.text.utf8))
        } catch let error as PrivateFile.Failure {
            throw CLIError(error.description)
        } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
        print("Wrote \(path). Every setting is explained in it; `argus diagnose` checks it.")
    }
}
