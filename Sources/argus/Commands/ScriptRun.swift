import ArgumentParser
import ArgusCore
import ArgusScripting
import Foundation

struct ScriptRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a script on recorded calls and show what each hook did.",
        discussion: """
            CALL.json holds one call or a list of calls, in the shape `argus calls --json` prints \
            (method, tool, params, result or error, latency_us, is_error). Calls run in order through \
            one script state, as they would in `argus wrap`.
            """)

    @Argument(help: ArgumentHelp("The Lua script.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("JSON file with the call(s).", valueName: "CALL.json"))
    var call: String

    @Option(help: ArgumentHelp("The script's config, as JSON.", valueName: "json"))
    var config: String = "{}"

    @Flag(name: .customLong("mutate-replay"), help: "Also run mutate_replay on the last call's params.")
    var mutateReplay = false

    func run() throws {
        guard let data = FileManager.default.contents(atPath: absolutePath(call)) else { throw CLIError("cannot read \(call)") }
        let input: JSONValue
        let configValue: JSONValue
        do {
            input = try JSONParser.parse(String(decoding: data, as: UTF8.self))
            configValue = try JSONParser.parse(config)
        } catch {
            throw CLIError("invalid JSON: \(error)")
        }
        let calls = input.arrayValue ?? [input]
        let runner = FixtureRunner(specs: [ScriptSpec(path: absolutePath(file), config: configValue)])
        let result = runner.run(calls, mutateLast: mutateReplay)
        for line in result.lines { print(line) }
        for (i, c) in result.calls.enumerated() {
            let what = c.call?.tool ?? c.input["method"]?.stringValue ?? "call"
            print("── call \(i + 1): \(what) ──")
            let (request, response, _) = FixtureRunner.lines(for: c.input, index: i)
            Self.show("params", before: request["params"], after: c.storedRequest?["params"])
            Self.show(
                response?["error"] != nil ? "error" : "result",
                before: response?["result"] ?? response?["error"],
                after: c.storedResponse?["result"] ?? c.storedResponse?["error"])
            if c.dropped { print("  dropped: only the call's metadata is stored") }
            if c.redactionFailed { print("  redaction failed: stored as \(RedactionMarker.failed.text)") }
        }
        if let mutated = result.mutatedParams { print("mutate_replay → params \(JSONWriter.string(mutated))") }
        if let error = result.mutationError { print("mutate_replay: \(error)") }
        for o in result.outputs {
            switch o.kind {
            case .alert: print("alert [\(o.level ?? "")] \(o.message ?? "") (key \(o.key ?? ""))")
            case .metric: print("metric \(o.metricKind ?? "") \(o.name ?? "") = \(o.value ?? 0) \(o.labels ?? "")")
            case .log: print("log [\(o.level ?? "info")] \(o.message ?? "")\(o.location.map { "  (\($0))" } ?? "")")
            case .error: print("error in \(o.name ?? "?"): \(o.message ?? "")")
            }
        }
        for status in result.statuses.suffix(1) {
            print("hooks: \(status.hookStats)")
        }
    }

    static func show(_ label: String, before: JSONValue?, after: JSONValue?) {
        guard let after else { return }
        if let before, before == after {
            print("  \(label): unchanged")
        } else {
            print("  \(label) stored as: \(JSONWriter.string(after))")
        }
    }
}
