import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusStore

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alerts raised by scripts, newest first.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Only alerts from this script.")
    var script: String?

    @Option(help: "How many to show.")
    var limit = 50

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        var alerts = try database.reader(configuration.loadForReading()).scriptOutputs(kind: .alert, script: script, limit: limit + 1)
        let more = alerts.count > limit ? "Showing the \(limit) newest alerts; there are more (--limit \(limit * 2) shows more)." : nil
        alerts = Array(alerts.prefix(limit))
        if json {
            Format.printJSON(.array(alerts.map(\.json)))
            if let more { StderrLog.write("argus: \(more)") }
            return
        }
        if alerts.isEmpty {
            print("No alerts. Scripts raise them with argus.alert(...) or by returning one from alert(call, ctx).")
            return
        }
        var table = Table([
            ("TIME", .left), ("LEVEL", .left), ("SCRIPT", .left), ("SERVER", .left), ("CALL", .right),
            ("MESSAGE", .left),
        ])
        for a in alerts.reversed() {
            table.add([
                Format.time(micros: a.timestamp), a.level ?? "", a.script, a.server ?? "",
                a.callID.map(String.init) ?? "-", Format.oneLine(a.message ?? ""),
            ])
        }
        print(table.render())
        if let more { print("\n" + more) }
    }
}
