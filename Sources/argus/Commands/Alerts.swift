import ArgumentParser
import ArgusCore
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

    func run() throws {
        let alerts = try database.reader(try configuration.load()).scriptOutputs(kind: "alert", script: script, limit: limit)
        if json {
            Format.printJSON(.array(alerts.map(\.json)))
            return
        }
        if alerts.isEmpty {
            print("No alerts. Scripts raise them with argus.alert(...) or by returning one from alert(call, ctx).")
            return
        }
        var table = Table([("TIME", .left), ("LEVEL", .left), ("SCRIPT", .left), ("SERVER", .left), ("CALL", .right),
                           ("MESSAGE", .left)])
        for a in alerts.reversed() {
            table.add([Format.time(micros: a.timestamp), a.level ?? "", a.script, a.server ?? "",
                       a.callID.map(String.init) ?? "-", Format.truncate(a.message ?? "", 80)])
        }
        print(table.render())
    }
}
