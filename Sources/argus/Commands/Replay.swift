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

            A tool whose server does not annotate it read-only may change something when replayed: on a \
            terminal argus asks first; elsewhere it refuses, unless the tool is allowed with --allow TOOL (a glob), \
            the config's "replay": {"safe_tools": [...]}, or --allow-destructive.

            Exit status: 0 equal, 1 changed, 2 the replay failed or was not made (unknown call, bad --params, refused).
            """)

    @OptionGroup var flags: ReplayFlags

    @Argument(help: ArgumentHelp("The call to replay (see `argus calls`).", valueName: "call-id"))
    var callID: Int64

    @Option(help: ArgumentHelp("A JSON merge patch over the tool's arguments, e.g. '{\"city\": \"Oslo\"}'.", valueName: "json"))
    var params: String?

    @Flag(
        name: .customLong("allow-destructive"),
        help: "Replay a tool that is not annotated read-only (or is annotated destructive) without asking.")
    var allowDestructive = false

    @Flag(help: "Print the replay as JSON: params sent, expected and actual outcome, changes, latency.")
    var json = false

    func run() throws {
        // The help promises 2 for a replay that could not be made: an unknown call, bad --params, a refusal.
        do {
            try replay()
        } catch let error as CLIError {
            StderrLog.write("Error: \(error)")
            throw ExitCode(2)
        }
    }

    func replay() throws {
        let config = try flags.configuration.load()
        var patch: JSONValue?
        if let params {
            do {
                patch = try JSONParser.parse(params)
            } catch {
                throw CLIError("--params is not valid JSON: \(error.described(in: params))")
            }
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
        let options = try flags.engineOptions(config, plan: plan)
        if let concern = call.safetyConcern(safeTools: options.safeTools), !allowDestructive {
            let tool = call.tool ?? "the tool"
            guard Self.confirm("\(tool) may change something when replayed: \(concern).") else {
                throw CLIError("\(tool) was not replayed: it may change something when replayed (\(concern)); \(call.howToAllow())")
            }
        }
        let engine = ReplayEngine(options: options, launch: plan.launch, handshake: plan.handshake, report: StderrLog.write)
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

    /// On a terminal, asks (y/N, on stderr); elsewhere (a script, CI) the answer is no.
    static func confirm(_ question: String) -> Bool {
        guard isatty(0) == 1, isatty(2) == 1 else { return false }
        StderrLog.write(question)
        FileHandle.standardError.write(Data("Replay it anyway? [y/N] ".utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
