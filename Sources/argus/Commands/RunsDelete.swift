import ArgumentParser
import ArgusCore
import ArgusStore

struct RunsDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete runs and everything recorded in them (messages, calls, stderr, script outputs).",
        discussion: "A run still being recorded is refused: stop it first (argus runs stop ID). Deleted pages are overwritten.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Argument(help: "The runs to delete.")
    var ids: [Int64]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("name at least one run: argus runs delete ID…") }
    }

    func run() throws {
        let config = try configuration.load()
        let path = database.path(config)
        let reader = try database.reader(config)
        var missing: [Int64] = []
        for id in ids {
            guard let run = try reader.run(id: id) else {
                missing.append(id)
                continue
            }
            if run.isLiveWrap {
                throw CLIError(
                    "run \(id) is still being recorded by argus wrap (pid \(run.argusPID ?? 0)); "
                        + "stop it first (argus runs stop \(id)), then delete it. Nothing was deleted.")
            }
        }
        if !missing.isEmpty {
            throw CLIError("no run \(missing.map(String.init).joined(separator: ", ")) in \(path). Nothing was deleted.")
        }
        let outcome = try ArgusDatabase.writer(path: path).deleteRuns(ids)
        print("Deleted \(outcome.runs) run\(outcome.runs == 1 ? "" : "s") and \(outcome.calls) call\(outcome.calls == 1 ? "" : "s").")
    }
}
