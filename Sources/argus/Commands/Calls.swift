import ArgumentParser
import ArgusCore
import ArgusStore

struct Calls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "List recorded calls (request/response pairs), most recent last.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("Only calls of this run.", valueName: "id"))
    var runID: Int64?

    @Option(help: "Only calls of this server.")
    var server: String?

    @Option(help: "Only calls of this tool (tools/call).")
    var tool: String?

    @Option(help: "Only calls of this method (e.g. tools/call, resources/read).")
    var method: String?

    @Flag(help: "Only failed calls: JSON-RPC errors and tool results with isError.")
    var errors = false

    @Option(help: "How many calls to show.")
    var limit = 20

    @Flag(help: "Print JSON, with params, result and error.")
    var json = false

    @Flag(name: .customLong("include-replays"),
          help: "Also list calls of replay runs (argus replay, argus test, dashboard replays); --run includes them anyway.")
    var includeReplays = false

    func run() throws {
        let reader = try database.reader(try configuration.load())
        var filter = CallFilter()
        filter.run = runID
        filter.server = server
        filter.tool = tool
        filter.method = method
        filter.errorsOnly = errors
        filter.limit = limit
        filter.excludeReplays = !includeReplays
        let calls = Array(try reader.calls(filter).reversed())
        if json {
            Format.printJSON(.array(try reader.details(calls).map(\.json)))
            return
        }
        if calls.isEmpty {
            print("No calls match.")
            return
        }
        var table = Table([("CALL", .right), ("RUN", .right), ("TIME", .left), ("SERVER", .left), ("METHOD/TOOL", .left),
                           ("STATUS", .left), ("LATENCY", .right), ("DETAIL", .left)])
        for c in calls {
            let what = c.tool.map { "\($0)" } ?? (c.target.map { "\(c.method) \($0)" } ?? c.method)
            table.add([String(c.id), String(c.runID), Format.time(micros: c.startedAt), c.server,
                       Format.truncate(what, 40), c.status, Format.duration(micros: c.latencyMicros),
                       Format.truncate(c.errorMessage ?? "", 60)])
        }
        print(table.render())
    }
}
