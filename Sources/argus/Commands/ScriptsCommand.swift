import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

struct ScriptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scripts",
        abstract: "Scripts loaded by argus processes: state, errors and hook timings.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Flag(name: .customLong("all"), help: "Include scripts of processes that have exited.")
    var includeExited = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let reader = try database.reader(configuration.loadForReading())
        let statuses = try reader.scriptStatuses().filter { includeExited || Self.running($0.argusPID) }
        if json {
            Format.printJSON(
                .array(
                    statuses.map { status in
                        guard case .object(var o) = status.json else { return status.json }
                        o["running"] = .bool(Self.running(status.argusPID))
                        return .object(o)
                    }))
            return
        }
        if statuses.isEmpty {
            print(includeExited ? "No scripts have run." : "No running argus process has scripts loaded (--all shows earlier ones).")
            return
        }
        var table = Table([
            ("SCRIPT", .left), ("STATE", .left), ("SERVER", .left), ("PID", .right), ("ERRORS", .right),
            ("HOOKS (calls, mean, max)", .left), ("LAST ERROR", .left),
        ])
        for s in statuses {
            let hooks =
                (try? JSONParser.parse(s.hookStats))?.objectValue?.members.map { member -> String in
                    let calls = member.value["calls"]?.intValue ?? 0
                    let mean = member.value["mean_ms"]?.doubleValue ?? 0
                    let max = member.value["max_ms"]?.doubleValue ?? 0
                    return "\(member.key) \(calls)× \(String(format: "%.2f", mean))/\(String(format: "%.2f", max))ms"
                }.joined(separator: ", ") ?? ""
            table.add([
                s.script, s.state + (Self.running(s.argusPID) ? "" : " (exited)"), s.server, String(s.argusPID),
                String(s.errorCount), hooks, Format.oneLine(s.lastError ?? ""),
            ])
        }
        print(table.render())
        let errors = try reader.scriptOutputs(kind: .error, limit: 5)
        if !errors.isEmpty {
            print("\nRecent script errors:")
            for e in errors.reversed() {
                print("  \(Format.time(micros: e.timestamp))  \(e.script) \(e.name ?? "")  \(e.message ?? "")")
            }
        }
    }

    static func running(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }
}
