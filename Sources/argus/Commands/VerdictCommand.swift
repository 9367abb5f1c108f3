import ArgumentParser
import ArgusCore
import ArgusSystem
import ArgusProxy
import ArgusScripting
import ArgusSetup
import ArgusStore

struct VerdictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract:
            "Say what the agent did in a run: after each failure (injected or real), each empty result, and where it repeated itself.",
        discussion: """
            Reads the run's tool calls in order. After a failure: retried (how often, how fast, whether it \
            recovered), blind_write_retry (a tool not annotated read-only called again with the same arguments, \
            with no read in between), gave_up (no further call), went_on (other tools, never the failed one again). \
            After an empty result: after_empty (what followed). Anywhere: runaway_loop (the same call many times \
            in a short window) and repeated_calls (the same call answered again and again).

            Thresholds and levels come from the config's "verdicts" section, e.g. \
            {"loop_calls": 5, "loop_window_s": 10, "levels": {"went_on": "failure"}}. Lua scripts with a \
            verdict(call, ctx) hook (from the config, or --script) add their own.

            Exit status: 0 no finding at the failure level, 1 at least one, 2 no such run.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to judge (argus runs lists them).", valueName: "id"))
    var runID: Int64

    @Option(name: .customLong("script"), help: ArgumentHelp("A Lua script with a verdict hook (repeatable).", valueName: "file"))
    var scripts: [String] = []

    @Option(help: ArgumentHelp("Also write the verdicts as JUnit XML to this file.", valueName: "file"))
    var junit: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let config = configuration.loadForReading()
        let reader = try database.reader(config)
        guard let report = try Self.report(run: runID, reader: reader, config: config, scripts: scripts) else {
            StderrLog.write("argus: no run \(runID) in \(reader.location) (see argus runs)")
            throw ExitCode(2)
        }
        if json {
            Format.printJSON(report.json)
        } else {
            print(report.text)
        }
        if let junit {
            do {
                try PrivateFile.write(path: absolutePath(junit), contents: Array(report.junit(name: "verdicts run-\(runID)").utf8))
            } catch {
                throw CLIError(error.description)
            }
        }
        if !report.passed { throw ExitCode(1) }
    }

    /// The run's verdicts with the config's thresholds and verdict scripts (and `scripts`).
    static func report(run: Int64, reader: ArgusReader, config: Configuration, scripts: [String] = []) throws -> VerdictReport? {
        let specs = try ScriptSetup.specs(config: config, scripts: scripts, directories: [])
        let server = try reader.run(id: run)?.serverName ?? ""
        let verdictScripts =
            specs.isEmpty
            ? nil
            : VerdictScripts(specs: specs, server: server, limits: ScriptSetup.limits(config), report: StderrLog.write)
        return try reader.verdictReport(run: run, thresholds: config.verdicts) { calls in
            verdictScripts?.verdicts(for: calls, run: run) ?? []
        }
    }
}
