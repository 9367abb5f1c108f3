import ArgumentParser
import ArgusCore
import ArgusStore

struct RunsShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One run's timeline: its calls and notifications (log messages, progress, resource updates) in order.",
        discussion: "Page on with --after (the last SEQ shown).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Argument(help: "The run.")
    var id: Int64

    @OptionGroup var shared: RunsSharedOptions

    @Option(help: ArgumentHelp("Only entries after this sequence number.", valueName: "seq"))
    var after: Int64 = 0

    @Flag(help: "Only notifications (no calls).")
    var notifications = false

    func run() throws {
        let reader = try database.reader(configuration.loadForReading())
        var filter = TimelineFilter()
        filter.limit = shared.limit ?? 200
        filter.afterSeq = after
        if notifications { filter.kinds = [.notification] }
        try Self.show(run: id, filter: filter, reader: reader, json: shared.json)
    }

    static func show(run id: Int64, filter: TimelineFilter, reader: ArgusReader, json: Bool) throws {
        guard let run = try reader.run(id: id) else { throw CLIError("no run \(id): see `argus runs --include-replays` for the ids") }
        let entries = try reader.timeline(run: id, filter)
        if json {
            Format.printJSON(["run": run.json, "entries": .array(entries.map(\.json))])
            return
        }
        var header = "Run \(run.id) · \(run.serverName)"
        if let label = run.label { header += " · \"\(label)\"" }
        if run.kind != "wrap" { header += " · \(run.kind)" }
        header += " · started \(Format.time(micros: run.startedAt))"
        header += run.endedAt.map { " · \(Format.duration(micros: $0 - run.startedAt)) · \(Runs.ending(run))" } ?? " · running"
        print(header)
        if entries.isEmpty {
            print(filter.afterSeq > 0 ? "Nothing after \(filter.afterSeq)." : "Nothing recorded in this run yet.")
            return
        }
        var table = Table([
            ("SEQ", .right), ("TIME", .left), ("DIR", .left), ("WHAT", .left), ("STATUS", .left),
            ("LATENCY", .right), ("DETAIL", .left),
        ])
        for e in entries {
            let arrow = e.direction == .clientToServer ? "→" : "←"
            let time = Format.time(micros: e.timestamp).split(separator: " ").last.map(String.init) ?? ""
            switch e.kind {
            case .call:
                guard let c = e.call else { continue }
                var status = c.status.rawValue.replacingOccurrences(of: "_", with: " ")
                if let round = c.round { status += " (round \(round)" + (c.firstCallID.map { " of call \($0)" } ?? "") + ")" }
                let what = c.tool ?? c.target.map { "\(c.method) \($0)" } ?? c.method
                table.add([
                    String(e.seq), time, arrow, Format.truncate(what, 40), status,
                    Format.duration(micros: c.latencyMicros), Format.truncate(c.errorMessage ?? "", 70),
                ])
            case .pending:
                table.add([String(e.seq), time, arrow, Format.truncate(e.method ?? "", 40), "pending", "", ""])
            case .notification, .transport, .other:
                table.add([
                    String(e.seq), time, arrow, Format.truncate(e.method ?? "(not JSON-RPC)", 40), "", "",
                    Format.truncate(e.summary, 70),
                ])
            }
        }
        print(table.render())
        if entries.count == filter.limit, let last = entries.last {
            print("Showing \(entries.count) entries; more with: argus runs show \(id) --after \(last.seq)")
        }
    }
}
