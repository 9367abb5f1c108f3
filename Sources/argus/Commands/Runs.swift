import ArgumentParser
import ArgusCore
import ArgusStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recorded runs (one per proxy start or after an idle gap), newest first.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Only runs of this server.")
    var server: String?

    @Option(help: "How many runs to show.")
    var limit = 20

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let config = try configuration.load()
        let reader = try database.reader(config)
        let runs = try reader.runs(limit: limit, server: server)
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
            table.add([String(r.id), r.serverName, Format.time(micros: r.startedAt), duration, String(r.callCount),
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
