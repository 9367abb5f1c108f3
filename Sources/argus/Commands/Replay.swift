import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a recorded call against the server, without an LLM, and show what changed.",
        discussion: """
            Starts the server the way the recorded run did (or --server from the config), repeats the \
            client's handshake, sends the call and diffs the answer against the recording. The replay is \
            recorded as a new run linked to the original. Redacted values are sent as they really were, \
            from their encrypted originals (~/.argus/secret.key); without them, supply values with --params.

            Exit status: 0 equal, 1 changed, 2 the replay failed.
            """)

    @OptionGroup var flags: ReplayFlags

    @Argument(help: ArgumentHelp("The call to replay (see `argus calls`).", valueName: "call-id"))
    var callID: Int64

    @Option(help: ArgumentHelp("A JSON merge patch over the tool's arguments, e.g. '{\"city\": \"Oslo\"}'.", valueName: "json"))
    var params: String?

    @Flag(name: .customLong("allow-destructive"), help: "Replay a tool that is not annotated read-only (or is annotated destructive).")
    var allowDestructive = false

    @Flag(help: "Print the replay as JSON: params sent, expected and actual outcome, changes, latency.")
    var json = false

    func run() throws {
        let config = try flags.configuration.load()
        let patch: JSONValue?
        do {
            patch = try params.map { try JSONParser.parse($0) }
        } catch {
            throw CLIError("--params is not valid JSON: \(error)")
        }
        if let patch, patch.objectValue == nil { throw CLIError("--params must be a JSON object (a merge patch over the arguments)") }
        let reader = try flags.database.reader(config)
        let plan: ReplayPlan
        do {
            plan = try flags.prepare(try ReplayPlan.forCall(callID, reader: reader), config: config)
        } catch let error as ReplayError {
            throw CLIError("\(error)")
        }
        let call = plan.calls[0]
        if let concern = call.safetyConcern, !allowDestructive {
            throw CLIError("\(call.tool ?? "the tool") is \(concern), so replaying it may change something for real. "
                           + "Add --allow-destructive if that is what you want.")
        }
        let engine = ReplayEngine(options: try flags.engineOptions(config, plan: plan), launch: plan.launch,
                                  handshake: plan.handshake, report: StderrLog.write)
        let result = engine.replay(call, patch: patch)
        engine.close()
        if json {
            Format.printJSON(result.json)
        } else {
            print(DiffText.render(result, color: Format.colorOnStdout))
        }
        switch result.outcome {
        case .equal, .skipped: return
        case .changed: throw ExitCode(1)
        case .failed: throw ExitCode(2)
        }
    }
}
