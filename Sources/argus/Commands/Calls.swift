import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusStore

struct Calls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "List recorded calls (request/response pairs), most recent last; or show one call whole.",
        discussion: """
            argus calls --errors          the last failed calls
            argus calls 42                call 42: timing, status, its params and its result or error in full
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Argument(help: ArgumentHelp("Show this call whole instead of a list.", valueName: "call-id"))
    var callID: Int64?

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

    @Flag(
        name: .customLong("include-replays"),
        help: "Also list calls of replay runs (argus replay, argus test, dashboard replays); --run includes them anyway.")
    var includeReplays = false

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let reader = try database.reader(configuration.loadForReading())
        if let callID {
            try show(callID, reader: reader)
            return
        }
        var filter = CallFilter()
        filter.run = runID
        filter.server = server
        filter.tool = tool
        filter.method = method
        filter.errorsOnly = errors
        filter.excludeReplays = !includeReplays
        filter.limit = limit + 1  // one more says whether the list was cut
        var newest = try reader.withFaults(try reader.calls(filter))
        let cut = newest.count > limit
        newest = Array(newest.prefix(limit))
        let calls = Array(newest.reversed())
        let more = cut ? "Showing the \(limit) most recent matching calls; there are more (--limit \(limit * 2) shows more)." : nil
        if json {
            Format.printJSON(.array(try reader.details(calls).map(\.json)))
            if let more { StderrLog.write("argus: \(more)") }
            return
        }
        if calls.isEmpty {
            print("No calls match.")
            return
        }
        var table = Table([
            ("CALL", .right), ("RUN", .right), ("TIME", .left), ("SERVER", .left), ("METHOD/TOOL", .left),
            ("STATUS", .left), ("LATENCY", .right), ("DETAIL", .left),
        ])
        for c in calls {
            let what = c.tool.map { "\($0)" } ?? (c.target.map { "\(c.method) \($0)" } ?? c.method)
            table.add([
                String(c.id), String(c.runID), Format.time(micros: c.startedAt), c.server,
                Format.truncate(what, 40), c.status.rawValue, Format.duration(micros: c.latencyMicros),
                Format.oneLine((c.fault.map { "[injected: \($0.kind)] " } ?? "") + (c.errorMessage ?? "")),
            ])
        }
        print(table.render())
        if let more { print("\n" + more) }
    }

    /// One call, nothing left out: its facts, then params and outcome as recorded (redacted).
    func show(_ id: Int64, reader: any ArgusReader) throws {
        guard var detail = try reader.call(id: id) else {
            throw CLIError("no call \(id) in \(reader.location) (see `argus calls`)")
        }
        detail.call = try reader.withFaults([detail.call])[0]
        if json {
            Format.printJSON(detail.json)
            return
        }
        let c = detail.call
        let what = c.tool.map { "tools/call \($0)" } ?? (c.target.map { "\(c.method) \($0)" } ?? c.method)
        var lines = [
            "Call \(c.id): \(what)",
            "  run        \(c.runID) (\(c.server)), \(c.direction == .serverToClient ? "server → client" : "client → server"), "
                + "JSON-RPC id \(c.jsonrpcID)",
            "  started    \(Format.time(micros: c.startedAt))",
            "  latency    \(Format.duration(micros: c.latencyMicros))",
            "  status     \(c.status.rawValue)" + (c.isError ? " (error)" : "") + (c.cancelled ? ", cancelled" : ""),
        ]
        if let code = c.errorCode { lines.append("  error code \(code)") }
        if let message = c.errorMessage { lines.append("  error      \(message)") }
        if c.progressCount > 0 { lines.append("  progress   \(c.progressCount) notifications") }
        if let bytes = c.bytesIn { lines.append("  size       \(bytes) B in" + (c.bytesOut.map { ", \($0) B out" } ?? "")) }
        if let original = c.replayOf {
            lines.append(
                c.runKind == RunRecord.mockKind ? "  mocked     by argus mock, from call \(original)" : "  replays    call \(original)")
        }
        if let fault = c.fault {
            lines.append("  INJECTED   \(fault.kind) by argus (\(fault.source)): \(fault.detail ?? "")")
            if fault.answeredByArgus { lines.append("             the outcome below is argus's, not the server's") }
        }
        print(lines.joined(separator: "\n"))
        print("\nParams:\n" + JSONWriter.string(detail.params ?? .null, pretty: true))
        if let error = detail.error {
            print("\nError:\n" + JSONWriter.string(error, pretty: true))
        } else if let result = detail.result {
            print("\nResult:\n" + JSONWriter.string(result, pretty: true))
        } else {
            print("\nNo response was recorded.")
        }
    }
}
