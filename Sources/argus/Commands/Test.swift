import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import Foundation

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Replay a recorded run or a suite file as a regression test; exits 1 when anything changed or failed.",
        discussion: """
            Every call is replayed against one warm server (restarted if it dies) and compared with its \
            recorded outcome. Calls of tools not annotated read-only, or annotated destructive, are skipped \
            unless --allow-destructive. Ignore volatile fields with --ignore, per tool in the config \
            ("replay": {"ignore": {"get_weather": ["/result/structuredContent/observed_at"]}}), or with a \
            Lua normalize hook.

            Exit status: 0 all equal (or skipped), 1 something changed or failed.
            """)

    @OptionGroup var flags: ReplayFlags

    @Option(name: .customLong("run"), help: ArgumentHelp("Replay the calls of this recorded run.", valueName: "id"))
    var runID: Int64?

    @Option(help: ArgumentHelp("Replay this suite file (from `argus export`).", valueName: "file"))
    var suite: String?

    @Option(help: ArgumentHelp("Also write the results as JUnit XML to this file.", valueName: "file"))
    var junit: String?

    @Flag(name: .customLong("allow-destructive"), help: "Also replay tools that are not annotated read-only.")
    var allowDestructive = false

    @Flag(help: "Print every result as JSON instead of text.")
    var json = false

    func validate() throws {
        if (runID == nil) == (suite == nil) { throw ValidationError("give either --run ID or --suite FILE") }
    }

    func run() throws {
        let config = try flags.configuration.load()
        var plan: ReplayPlan
        let name: String
        do {
            if let suite {
                let path = absolutePath(suite)
                guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the suite \(suite)") }
                let value: JSONValue
                do {
                    value = try JSONParser.parse(Array(data))
                } catch {
                    throw CLIError("\(suite) is not valid JSON: \(error)")
                }
                plan = try ReplayPlan.fromSuite(value, path: suite)
                name = ((suite as NSString).lastPathComponent as NSString).deletingPathExtension
            } else {
                plan = try ReplayPlan.forRun(runID!, reader: try flags.database.reader(config))
                name = "run-\(runID!)"
            }
            plan = try flags.prepare(plan, config: config)
        } catch let error as ReplayError {
            throw CLIError("\(error)")
        }
        if plan.calls.isEmpty { StderrLog.write("argus test: there are no tool calls, resource reads or prompts to replay") }

        let color = Format.colorOnStdout
        let bar = isatty(2) == 1 && !json ? ProgressBar() : nil
        let report = SuiteRunner.run(plan, options: try flags.engineOptions(config, plan: plan), allowDestructive: allowDestructive,
                                     report: { line in bar?.clear(); StderrLog.write(line) },
                                     progress: { done, total, _ in bar?.show(done, of: total) })
        bar?.clear()

        if json {
            Format.printJSON(["summary": ["equal": .number(String(report.count(.equal))), "changed": .number(String(report.count(.changed))),
                                          "failed": .number(String(report.count(.failed))), "skipped": .number(String(report.count(.skipped))),
                                          "seconds": .number(String(format: "%.3f", report.seconds))],
                              "results": .array(report.results.map(\.json))])
        } else {
            var previousFailure: String?
            for result in report.results where result.outcome != .equal {
                if result.outcome == .failed, let failure = result.failure, failure == previousFailure {
                    // A server that does not start fails every call the same way: say it once.
                    var short = result
                    short.failure = "the same"
                    print(DiffText.render(short, color: color))
                    continue
                }
                previousFailure = result.outcome == .failed ? result.failure : nil
                print(DiffText.render(result, color: color))
            }
            print(report.summary)
        }
        if let junit {
            do {
                try Data(report.junit(name: name).utf8).write(to: URL(fileURLWithPath: absolutePath(junit)), options: .atomic)
            } catch {
                throw CLIError("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        if !report.passed { throw ExitCode(1) }
    }
}

/// A one-line progress bar on stderr, for terminals only.
final class ProgressBar: @unchecked Sendable {
    private var shown = false

    func show(_ done: Int, of total: Int) {
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
        shown = true
    }

    func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
