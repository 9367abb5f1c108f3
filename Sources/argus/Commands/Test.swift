import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusStore
import ArgusSystem
import Foundation

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Replay a recorded run or a suite file as a regression test; exits 1 when anything changed or failed.",
        discussion: """
            Every call is replayed against one warm server (restarted if it dies) and compared with its \
            recorded outcome. Calls of tools not annotated read-only, or annotated destructive, are skipped: \
            say which tools only read with --allow TOOL (a glob, e.g. 'get_*'; repeatable) or in the config \
            ("replay": {"safe_tools": ["get_*", "list_*"]}), or replay everything with --allow-destructive. \
            Ignore volatile fields with --ignore, per tool in the config \
            ("replay": {"ignore": {"get_weather": ["/result/structuredContent/observed_at"]}}), or with a \
            Lua normalize hook.

            A run recorded with faults injected (argus wrap --faults) replays only the calls the server \
            answered, and is judged too: its verdicts (argus verdict) are printed, go into the JUnit file as \
            a suite of their own, and a finding at the failure level fails the test.

            --update accepts what the server answers now: each changed call's expected result in the \
            suite file becomes the new answer, and the differences accepted are printed. Calls that failed \
            keep what they had.

            Exit status: 0 every replayed call is equal (or, with --update, accepted), 1 something changed or \
            failed, or nothing was compared (every call skipped, or none to replay): a suite that tests \
            nothing does not pass.
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

    @Flag(help: "Accept the answers that changed as the suite's new expected results (rewrites the --suite file).")
    var update = false

    func validate() throws {
        if (runID == nil) == (suite == nil) { throw ValidationError("give either --run ID or --suite FILE") }
        if update && suite == nil {
            throw ValidationError(
                "--update rewrites a suite file: export the run first (argus export --run ID --out suite.json), "
                    + "then argus test --suite suite.json --update")
        }
        if update && (json || junit != nil) {
            throw ValidationError("--update prints the accepted differences: it takes no --json or --junit")
        }
    }

    func run() throws {
        let config = try flags.configuration.load()
        var plan: ReplayPlan
        let name: String
        var loaded: LoadedSuite?
        do {
            if let suite {
                let file = try LoadedSuite.read(suite)
                loaded = file
                plan = file.plan
                name = file.name
            } else if let runID {
                plan = try ReplayPlan.forRun(runID, reader: try flags.database.reader(config), withSession: true)
                name = "run-\(runID)"
            } else {
                throw ValidationError("give either --run ID or --suite FILE")  // validate() has said so already
            }
            plan = try flags.prepare(plan, config: config)
        } catch let error as ReplayError {
            throw CLIError("\(error)")
        }

        // A chaos run is also judged on what the agent did with its faults.
        let verdicts = try runID.flatMap { id -> VerdictReport? in
            let reader = try flags.database.reader(config)
            guard try reader.run(id: id)?.kind == RunRecord.chaosKind else { return nil }
            return try VerdictCommand.report(run: id, reader: reader, config: config)
        }

        let color = Format.colorOnStdout
        let bar = isatty(2) == 1 && !json ? ProgressBar() : nil
        let report = SuiteRunner.run(
            plan, options: try flags.engineOptions(config, plan: plan), allowDestructive: allowDestructive,
            report: { line in
                bar?.clear(); StderrLog.write(line)
            },
            progress: { done, total, _ in bar?.show(done, of: total) })
        bar?.clear()

        if update, let loaded {
            try accept(report, into: loaded, color: color)
            return
        }
        if json {
            Format.printJSON([
                "summary": [
                    "equal": .number(String(report.count(.equal))), "changed": .number(String(report.count(.changed))),
                    "failed": .number(String(report.count(.failed))), "skipped": .number(String(report.count(.skipped))),
                    "seconds": .number(String(format: "%.3f", report.seconds)),
                ],
                "results": .array(report.results.map(\.json)), "verdicts": verdicts?.json ?? .null,
            ])
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
            if let verdicts { print("\nVerdicts on run \(verdicts.runID):\n" + verdicts.text) }
        }
        if report.comparedNothing { StderrLog.write("argus test: \(Self.nothingCompared(report))") }
        if let junit {
            var xml = report.junit(name: name)
            if let verdicts, let end = xml.range(of: "</testsuites>", options: .backwards) {
                xml.insert(contentsOf: verdicts.junitSuite(name: "verdicts \(name)"), at: end.lowerBound)
            }
            do {
                try PrivateFile.write(path: absolutePath(junit), contents: Array(xml.utf8))
            } catch {
                throw CLIError(error.description)
            }
        }
        if !report.passed || verdicts?.passed == false { throw ExitCode(1) }
    }

    /// `--update`: the changed answers become the suite's expected results; the accepted differences
    /// are printed, the file rewritten (only those calls change in it). Exits 1 when a call failed or
    /// nothing was compared.
    func accept(_ report: SuiteReport, into suite: LoadedSuite, color: Bool) throws {
        let (updated, accepted) = SuiteUpdate.accept(report, into: suite.json)
        for result in report.results where result.outcome == .failed || result.outcome == .skipped {
            print(DiffText.render(result, color: color))
        }
        for result in accepted {
            print(DiffText.render(result, color: color, verb: "accepted"))
        }
        let failed = report.count(.failed)
        if !accepted.isEmpty {
            do {
                try PrivateFile.write(path: suite.path, contents: Array((JSONWriter.string(updated, pretty: true) + "\n").utf8))
            } catch {
                throw CLIError(error.description)
            }
        }
        print(
            "\(report.results.count) calls: \(accepted.count) accepted, \(report.count(.equal)) equal, \(failed) failed "
                + "(kept as they were), \(report.count(.skipped)) skipped"
                + (accepted.isEmpty ? "; \(suite.path) is unchanged" : "; \(suite.path) updated"))
        if report.comparedNothing {
            StderrLog.write("argus test: \(Self.nothingCompared(report))")
            throw ExitCode(1)
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Why the suite proves nothing, and how to make it prove something.
    static func nothingCompared(_ report: SuiteReport) -> String {
        guard let first = report.results.first else {
            return "nothing was compared: there are no tool calls, resource reads or prompts to replay, so this does not pass"
        }
        let reason = first.call.safetyConcern(safeTools: []) ?? ""
        let count = report.results.count
        var text =
            count == 1
            ? "nothing was compared: its one call was skipped, because \(first.call.tool ?? first.call.method) may change something "
                + "when replayed (\(reason))."
            : "nothing was compared: all \(count) calls were skipped, because their tools may change something when replayed "
                + "(\(first.call.tool ?? first.call.method): \(reason))."
        // Tools annotated destructive are not made safe by a name: only --allow-destructive replays them.
        let allowable = Array(
            Set(
                report.results.filter { $0.call.annotations?["destructiveHint"]?.boolValue != true }
                    .compactMap(\.call.tool))
        ).sorted()
        if let example = allowable.first {
            text +=
                " If \(allowable.joined(separator: ", ")) only read\(allowable.count == 1 ? "s" : ""), say so: --allow \(example) "
                + "(a glob such as 'get_*'; repeatable), or in the config \"replay\": {\"safe_tools\": [\"\(example)\"]}."
        }
        return text + " --allow-destructive replays every call."
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
