import ArgumentParser
import ArgusCore
import ArgusStore

struct RunsStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "End a live run by hand: its `argus wrap` goes on recording in a new run.",
        discussion: "The MCP session is not disturbed, and a call in progress is never split: the run ends once it completes.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Argument(help: "The run.")
    var id: Int64

    @Option(help: ArgumentHelp("How long to wait for the run to end, in seconds.", valueName: "seconds"))
    var wait = 5.0

    func run() throws {
        let config = try configuration.load()
        let path = database.path(config)
        let reader = try database.reader(config)
        guard let run = try reader.run(id: id) else { throw CLIError("no run \(id) in \(path)") }
        if run.endedAt != nil { throw CLIError("run \(id) has already ended") }
        guard run.isLiveWrap else {
            throw CLIError("run \(id) is not being recorded by a live argus wrap (pid \(run.argusPID.map(String.init) ?? "?") is gone)")
        }
        try ArgusDatabase.writer(path: path).requestRun(endingRun: id, requestedBy: "cli")
        try RunsNew.report(waitingFor: [run], seconds: wait, reader: reader) { old, new in
            "run \(old.id) ended; \(old.serverName) goes on in run \(new.id)"
        }
    }
}
