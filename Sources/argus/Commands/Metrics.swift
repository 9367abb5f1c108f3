import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Metrics derived by scripts: one line per series (script, name, labels).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Only this metric.")
    var name: String?

    @Option(help: "Only metrics from this script.")
    var script: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let series = try database.reader(configuration.loadForReading()).metrics(name: name, script: script)
        if json {
            Format.printJSON(.array(series.map(\.json)))
            return
        }
        if series.isEmpty {
            print("No metrics. Scripts emit them with argus.metric.counter/gauge/histogram(name, value, labels).")
            return
        }
        var table = Table([
            ("SCRIPT", .left), ("METRIC", .left), ("KIND", .left), ("LABELS", .left), ("COUNT", .right),
            ("SUM", .right), ("LAST", .right), ("P50", .right), ("P95", .right), ("MAX", .right),
        ])
        for s in series {
            table.add([
                s.script, s.name, s.kind, Format.truncate(s.labels == "{}" ? "" : s.labels, 40), String(s.count),
                Self.number(s.sum), Self.number(s.last), s.p50.map(Self.number) ?? "-", s.p95.map(Self.number) ?? "-",
                Self.number(s.max),
            ])
        }
        print(table.render())
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int64(value)) : String(format: "%.4g", value)
    }
}
