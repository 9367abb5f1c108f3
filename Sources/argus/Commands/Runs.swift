import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusStore
import Foundation

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

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let config = configuration.loadForReading()
        let reader = try database.reader(config)
        // One more than asked for says whether the listing was cut.
        var runs = try reader.runs(limit: limit + 1, server: server, excludeReplays: !includeReplays)
        let cut = runs.count > limit
        runs = Array(runs.prefix(limit))
        let more = cut ? "Showing the \(limit) newest runs; there are more (--limit \(limit * 2) shows more)." : nil
        if json {
            Format.printJSON(.array(runs.map(\.json)))
            if let more { StderrLog.write("argus: \(more)") }
            return
        }
        if runs.isEmpty {
            print("No runs recorded in \(database.path(config)) yet. Wrap a server: argus wrap -- <server command>")
            return
        }
        var table = Table([
            ("RUN", .right), ("SERVER", .left), ("STARTED", .left), ("DURATION", .right),
            ("CALLS", .right), ("ERRORS", .right), ("ENDED", .left), ("CLIENT", .left),
        ])
        for r in runs {
            let duration = r.endedAt.map { Format.duration(micros: $0 - r.startedAt) } ?? "running"
            var client = [r.clientName, r.clientVersion].compactMap { $0 }.joined(separator: " ")
            if r.kind == RunRecord.replayKind { client = "argus replay" + (client.isEmpty ? "" : ", as \(client)") }
            if r.kind == RunRecord.mockKind { client += (client.isEmpty ? "" : ", ") + "answered by argus mock" }
            let chaos = r.kind == RunRecord.chaosKind ? " [chaos: faults injected]" : ""
            table.add([
                String(r.id), r.serverName + (r.label.map { " \"\($0)\"" } ?? "") + chaos, Format.time(micros: r.startedAt), duration,
                String(r.callCount),
                String(r.errorCount), Self.ending(r), client,
            ])
        }
        print(table.render())
        let notes = runs.compactMap(Self.note)
        if !notes.isEmpty { print("\n" + notes.joined(separator: "\n")) }
        if let more { print("\n" + more) }
    }

    /// What a run's row cannot say: why it was not recorded, or the server's last words when it failed.
    static func note(_ r: RunRecord) -> String? {
        if let problem = r.recordingError { return "run \(r.id): not recorded: \(problem)" }
        let failed = r.endReason == .serverFailedToStart || (r.endReason == .serverExited && (r.exitStatus ?? 0) != 0)
        guard failed else { return nil }
        var text = "run \(r.id): \(r.endReason == .serverFailedToStart ? "the server failed to start" : "the server failed")"
        if let detail = r.endDetail { text += ": \(detail)" }
        if let line = r.stderrTail?.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            text += "; last stderr line: \"\(line)\""
        }
        return text
    }

    static func ending(_ r: RunRecord) -> String {
        guard let reason = r.endReason else { return "-" }
        var text = reason.rawValue.replacingOccurrences(of: "_", with: " ")
        if let status = r.exitStatus, reason != .idle { text += " (\(status))" }
        if reason == .signal, let detail = r.endDetail { text = "signal \(detail)" }
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
