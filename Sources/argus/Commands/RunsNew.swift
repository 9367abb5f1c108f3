import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

struct RunsNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Begin a new run of the live `argus wrap` sessions, so what happens next (a bug to reproduce) is a run of its own.",
        discussion: """
            Every `argus wrap` recording to the database (or only --server's) ends its current run and goes on \
            in a new one, named by --label, within about a second. A call in progress is never split: a \
            session with a pending call waits for it to complete. The MCP sessions are not disturbed.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @OptionGroup var shared: RunsSharedOptions
    var server: String? { shared.server }

    @Option(help: "A name for the new run, shown in listings and the dashboard.")
    var label: String?

    @Option(help: ArgumentHelp("How long to wait for the new runs to begin, in seconds.", valueName: "seconds"))
    var wait = 5.0

    func run() throws {
        let config = try configuration.load()
        let path = database.path(config)
        let reader = try database.reader(config)
        let live = try reader.liveWrapRuns(server: server)
        guard !live.isEmpty else {
            throw CLIError(
                "no argus wrap\(server.map { " of \($0)" } ?? "") is recording to \(path) right now: start the MCP "
                    + "session first (its first run is already a run of its own)")
        }
        let label = self.label?.trimmingCharacters(in: .whitespacesAndNewlines)
        try ArgusDatabase.writer(path: path).requestRun(server: server, label: label.flatMap { $0.isEmpty ? nil : $0 }, requestedBy: "cli")
        try Self.report(waitingFor: live, seconds: wait, reader: reader) { old, new in
            "run \(old.id) (\(old.serverName)) → new run \(new.id)" + (new.label.map { " \"\($0)\"" } ?? "")
        }
    }

    /// Waits (bounded) until each run has ended and its wrap has opened the next, and says so.
    static func report(
        waitingFor runs: [RunRecord], seconds: Double, reader: any ArgusReader,
        describe: (RunRecord, RunRecord) -> String
    ) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var waiting = runs
        while true {
            var still: [RunRecord] = []
            for old in waiting {
                if let next = try reader.run(following: old.id) { print(describe(old, next)) } else { still.append(old) }
            }
            waiting = still
            if waiting.isEmpty || Date() >= deadline { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        for old in waiting {
            print("run \(old.id) (\(old.serverName)): asked; it ends as soon as its pending calls complete")
        }
    }
}
