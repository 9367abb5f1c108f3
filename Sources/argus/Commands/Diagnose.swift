import ArgumentParser
import ArgusCore
import ArgusPostgres
import ArgusSetup
import ArgusStore
import Foundation

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Check the installation: versions, config, database, the last runs (and why they ended), servers, scripts, dashboard.",
        discussion: "Exits 1 when a check fails. Paste its output into a bug report: it holds no secret.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var configuration: ConfigOptions

    @Flag(help: "Print the checks as JSON.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let configPath = configuration.path
        let config: Result<Configuration, Diagnosis.ConfigProblem>
        do {
            config = .success(try configuration.load())
        } catch {
            config = .failure(.init("\(error)".replacingOccurrences(of: "invalid configuration: ", with: "")))
        }
        let loaded = (try? config.get()) ?? Configuration()
        var inputs = Diagnosis.Inputs(
            version: Argus.version, configPath: configPath, config: config,
            databasePath: database.path(loaded), argusHome: ArgusDatabase.argusHome(environment: environment),
            environment: environment, dashboardPort: loaded.dashboardPort ?? 3000,
            ignoredLocalConfig: configuration.ignoredLocalFile)
        if PostgresLocation.isPostgres(inputs.databasePath) {
            inputs.externalStoreChecks = PostgresDiagnosis.run(url: inputs.databasePath, environment: environment).map {
                Diagnosis.Check(
                    section: "database", status: Diagnosis.Status(rawValue: $0.status.rawValue) ?? .info,
                    title: $0.title, details: $0.details)
            }
        }
        let diagnosis = Diagnosis.run(inputs)
        if json {
            Format.printJSON(diagnosis.json)
        } else {
            let color = Format.colorOnStdout
            var section = ""
            for check in diagnosis.checks {
                if check.section != section {
                    section = check.section
                    print(section.uppercased())
                }
                let (mark, code) = Self.mark(check.status)
                print("  " + (color ? "\u{1B}[\(code)m\(mark)\u{1B}[0m" : mark) + " " + check.title)
                for line in check.details { print("      " + line) }
            }
            print(diagnosis.failed ? "\nSome checks failed (✗)." : "\nNothing is wrong.")
        }
        if diagnosis.failed { throw ExitCode(1) }
    }

    static func mark(_ status: Diagnosis.Status) -> (String, String) {
        switch status {
        case .ok: return ("✓", "32")
        case .warning: return ("!", "33")
        case .failed: return ("✗", "31")
        case .info: return ("·", "90")
        }
    }
}
