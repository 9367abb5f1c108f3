import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusSystem
import ArgusTelemetry
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's calls as a regression suite for `argus test --suite`, or as OpenTelemetry traces.",
        discussion: """
            The suite is self-contained: how to start the server, the client's handshake, and each call \
            with its expected outcome. It holds no secret in clear: redacted values stay redacted, and \
            their originals are included only encrypted under your ~/.argus/secret.key.

            --format otlp writes the run as an OTLP/JSON traces request instead, the spans argus wrap \
            exports live, for someone with an observability backend but no Argus:

              argus export --run 12 --format otlp --out run-12.json
              curl -H 'Content-Type: application/json' --data-binary @run-12.json http://localhost:4318/v1/traces

            Tool arguments and results are left out unless --content is given (they are the stored, \
            redacted ones even then).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to export (see `argus runs`).", valueName: "id"))
    var runID: Int64

    @Option(help: ArgumentHelp("Write the suite to this file (default: standard output).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("suite (default) or otlp (OpenTelemetry traces as OTLP/JSON).", valueName: "format"))
    var format: String = "suite"

    @Flag(help: "With --format otlp: include tool arguments and results (redacted, as stored).")
    var content = false

    func validate() throws {
        guard ["suite", "otlp"].contains(format) else { throw ValidationError("--format takes suite or otlp") }
        if content && format != "otlp" { throw ValidationError("--content goes with --format otlp") }
    }

    func run() throws {
        let config = configuration.loadForReading()
        let reader = try database.reader(config)
        if format == "otlp" {
            var options = RunExport.Options()
            options.exportContent = content || config.telemetry.content == true
            options.serviceName = config.telemetry.serviceName ?? "argus"
            options.dashboardURL = config.telemetry.dashboardURL
            let export: (json: String, exchanges: Int)
            do {
                export = try RunExport.otlpJSON(reader: reader, runID: runID, options: options)
            } catch {
                throw CLIError("\(error)")
            }
            try write(export.json + "\n", summary: "\(export.exchanges) calls and notifications of run \(runID) as OTLP/JSON")
            return
        }
        let plan: ReplayPlan
        do {
            plan = try ReplayPlan.forRun(runID, reader: reader, withSession: true)
        } catch {
            throw CLIError("\(error)")
        }
        let text = JSONWriter.string(plan.suiteJSON, pretty: true) + "\n"
        try write(text, summary: "\(plan.calls.count) call\(plan.calls.count == 1 ? "" : "s") of run \(runID)")
    }

    private func write(_ text: String, summary: String) throws {
        guard let out else {
            print(text, terminator: "")
            return
        }
        do {
            // Private: an export holds recorded params and results (redacted, but still the user's data).
            try PrivateFile.write(path: absolutePath(out), contents: Array(text.utf8))
        } catch {
            throw CLIError(error.description)
        }
        StderrLog.write("argus: wrote \(summary) to \(out)")
    }
}
