import ArgumentParser
import ArgusCore
import ArgusDashboard
import ArgusProxy
import ArgusReplay
import ArgusStore
import Foundation

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the live web UI and the REST API over the recordings.",
        discussion: """
            Open the printed URL. Calls recorded by any `argus wrap` on the same database appear as they \
            happen. The dashboard listens on 127.0.0.1 only, unless --host names another address and \
            --allow-remote says you mean it. Endpoints that change things (replay, delete) need the token \
            in ~/.argus/token, which the page carries; see Docs/API.md.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(
        help: ArgumentHelp(
            "Port to listen on (default: the config's dashboard.port, else 3000; 0 picks a free one).",
            valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("Address to listen on (default 127.0.0.1).", valueName: "address"))
    var host: String?

    @Flag(
        name: .customLong("allow-remote"),
        help: "Allow listening on an address other machines can reach. Anyone who can reach it can read your recordings.")
    var allowRemote = false

    @Option(
        name: .customLong("allowed-host"),
        help: ArgumentHelp(
            "Another name the dashboard is reached by (Host header), e.g. behind a tunnel (repeatable).",
            valueName: "name"))
    var allowedHosts: [String] = []

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        TerminationSignals.block()  // before any thread starts, so Ctrl-C ends the wait below
        let config = try configuration.load()
        let environment = ProcessInfo.processInfo.environment
        let host = self.host ?? config.dashboardHost ?? "127.0.0.1"
        if !AccessGuard.isLoopback(host) {
            guard allowRemote else {
                throw CLIError(
                    "\(host) is reachable from other machines, and the dashboard shows your recordings to whoever "
                        + "reaches it. Add --allow-remote if that is what you want.")
            }
            StderrLog.write(
                "argus: warning: listening on \(host): anyone who can reach this address can read the recordings. "
                    + "Changes need the token in \(DashboardToken.path(environment: environment)), which the page "
                    + "does not carry on this address: the browser asks for it.")
        }
        let databasePath = database.path(config)
        if !FileManager.default.fileExists(atPath: databasePath) {
            // An empty database (private, like `argus wrap` creates it), so the dashboard can be started
            // before the first `argus wrap --db` on the same path: calls appear as soon as it records.
            do {
                _ = try ArgusDatabase.writer(path: databasePath)
            } catch {
                throw CLIError("cannot create \(databasePath): \(error)")
            }
            StderrLog.write("argus: created an empty database at \(databasePath); record into it with argus wrap --db \(databasePath) -- …")
        }

        let replay = try replayEngineOptions(config, databasePath: databasePath, serverName: "")
        var options = Dashboard.Options(
            databasePath: databasePath, tokenPath: DashboardToken.path(environment: environment),
            version: Argus.version, replay: replay)
        options.host = host
        options.port = port ?? config.dashboardPort ?? 3000
        options.extraHosts = allowedHosts
        options.verdicts = config.verdicts
        options.servers = config.servers.filter { $0.value.problems.isEmpty }.mapValues { serverLaunch($0, config: config) }

        let dashboard: Dashboard
        do {
            dashboard = try Dashboard(options: options)
            try dashboard.start()
        } catch {
            throw CLIError("\(error)")
        }
        // Unbuffered: whoever started us (a script, a test) reads the URL at once.
        FileHandle.standardOutput.write(Data("Argus dashboard: \(dashboard.url)\nDatabase: \(databasePath)\nPress Ctrl-C to stop.\n".utf8))
        _ = TerminationSignals.wait()
        dashboard.stop()
    }
}
