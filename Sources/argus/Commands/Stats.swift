import ArgumentParser
import ArgusCore
import ArgusStore

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Call counts, error rates and latency percentiles per server and tool.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("Only this run.", valueName: "id"))
    var runID: Int64?

    @Option(help: "Only this server.")
    var server: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(
        name: .customLong("include-replays"),
        help: "Also count calls of replay runs (argus replay, argus test, dashboard replays); --run includes them anyway.")
    var includeReplays = false

    func run() throws {
        let reader = try database.reader(configuration.loadForReading())
        let stats = try reader.stats(run: runID, server: server, excludeReplays: !includeReplays)
        if json {
            Format.printJSON(.array(stats.map(\.json)))
            return
        }
        if stats.isEmpty {
            print("No calls recorded yet.")
            return
        }
        var table = Table([
            ("SERVER", .left), ("TOOL/METHOD", .left), ("CALLS", .right), ("ERRORS", .right),
            ("ERR%", .right), ("P50", .right), ("P95", .right), ("P99", .right), ("MAX", .right),
        ])
        for s in stats {
            table.add([
                s.server, s.isTool ? s.name : "(\(s.name))", String(s.count), String(s.errors),
                Format.percent(s.errorRate), Format.duration(micros: s.p50), Format.duration(micros: s.p95),
                Format.duration(micros: s.p99), Format.duration(micros: s.max),
            ])
        }
        print(table.render())
    }
}
