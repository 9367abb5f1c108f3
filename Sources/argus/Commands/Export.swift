import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusSystem
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's calls as a regression suite for `argus test --suite`.",
        discussion: """
            The suite is self-contained: how to start the server, the client's handshake, and each call \
            with its expected outcome. It holds no secret in clear: redacted values stay redacted, and \
            their originals are included only encrypted under your ~/.argus/secret.key.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to export (see `argus runs`).", valueName: "id"))
    var runID: Int64

    @Option(help: ArgumentHelp("Write the suite to this file (default: standard output).", valueName: "file"))
    var out: String?

    func run() throws {
        let config = configuration.loadForReading()
        let reader = try database.reader(config)
        let plan: ReplayPlan
        do {
            plan = try ReplayPlan.forRun(runID, reader: reader, withSession: true)
        } catch {
            throw CLIError("\(error)")
        }
        let text = JSONWriter.string(plan.suiteJSON, pretty: true) + "\n"
        guard let out else {
            print(text, terminator: "")
            return
        }
        do {
            // Private: a suite holds recorded params and results (redacted, but still the user's data).
            try PrivateFile.write(path: absolutePath(out), contents: Array(text.utf8))
        } catch {
            throw CLIError(error.description)
        }
        StderrLog.write("argus: wrote \(plan.calls.count) call\(plan.calls.count == 1 ? "" : "s") of run \(runID) to \(out)")
    }
}
