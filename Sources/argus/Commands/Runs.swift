import ArgumentParser
import ArgusCore
import ArgusStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recorded runs (one per proxy start or after an idle gap), newest first.",
        discussion: """
            `argus runs show ID` shows one run's timeline (calls and notifications). Replay runs (argus replay, \
            argus test, dashboard replays) are listed only with --include-replays.
            """,
        subcommands: [RunsShow.self, RunsNew.self, RunsStop.self, RunsDelete.self])

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    // `--server`, `--limit` and `--json` are shared with the subcommands (see RunsSharedOptions).
    @OptionGroup var shared: RunsSharedOptions
    var server: String? { shared.server }
    var limit: Int { shared.limit ?? 20 }
    var json: Bool { shared.json }

    @Flag(name: .customLong("include-replays"), help: "Also list replay runs (argus replay, argus test, dashboard replays).")
    var includeReplays = false

    func run() throws {
        let config = try configuration.load()
        let reader = try database.reader(config)
        let runs = try reader.runs(limit: limit, server: server, excludeReplays: !includeReplays)
        if json {
            Format.printJSON(.array(runs.map(\.json)))
            return
        }
        if runs.isEmpty {
            print("No runs recorded in \(database.path(config)) yet. Wrap a server: argus wrap -- <server command>")
            return
        }
        var table = Table([("RUN", .right), ("SERVER", .left), ("STARTED", .left), ("DURATION", .right),
                           ("CALLS", .right), ("ERRORS", .right), ("ENDED", .left), ("CLIENT", .left)])
        for r in runs {
            let duration = r.endedAt.map { Format.duration(micros: $0 - r.startedAt) } ?? "running"
            var client = [r.clientName, r.clientVersion].compactMap { $0 }.joined(separator: " ")
            if r.kind == "replay" { client = "argus replay" + (client.isEmpty ? "" : ", as \(client)") }
            table.add([String(r.id), r.serverName + (r.label.map { " \"\($0)\"" } ?? ""), Format.time(micros: r.startedAt), duration, String(r.callCount),
                       String(r.errorCount), Self.ending(r), client])
        }
        print(table.render())
    }

    static func ending(_ r: RunSummary) -> String {
        guard let reason = r.endReason else { return "-" }
        var text = reason.replacingOccurrences(of: "_", with: " ")
        if let status = r.exitStatus, reason != "idle" { text += " (\(status))" }
        if reason == "signal", let detail = r.endDetail { text = "signal \(detail)" }
        return text
    }
}

/// Options `argus runs` and its subcommands share. ArgumentParser gives a parent command its
/// options wherever they appear on the line (`argus runs show 7 --limit 5` sets the parent's
/// `--limit`), so a subcommand must read them from the same group rather than declare its own.
struct RunsSharedOptions: ParsableArguments {
    @Option(help: "Only this server's runs (argus runs new: only its wraps).")
    var server: String?

    @Option(help: "How many runs (argus runs show: timeline entries) to show.")
    var limit: Int?

    @Flag(help: "Print JSON.")
    var json = false
}
