import ArgumentParser
import ArgusCore
import ArgusPostgres

@main
struct Argus: ParsableCommand {
    static let version = argusVersion

    static let configuration = CommandConfiguration(
        commandName: "argus",
        abstract: "Observability for MCP servers: record, inspect, replay and test every call.",
        discussion: """
            Put `argus wrap --` in front of any stdio MCP server command in your client's config. \
            Every message is forwarded unchanged and recorded (secrets redacted) in ~/.argus/argus.db.
            """,
        version: version,
        subcommands: [
            Wrap.self, ProxyCommand.self, DashboardCommand.self, Setup.self, Diagnose.self, Runs.self, Calls.self, Replay.self, Export.self,
            Test.self, Mock.self, Record.self, Stats.self, Alerts.self, Metrics.self, ScriptsCommand.self, ScriptCommand.self,
            VerdictCommand.self, StoreCommand.self, Demo.self,
        ]
    )

    /// `--db postgres://…` works for every command: registering the backend costs nothing
    /// (PostgresNIO starts with the first connection, which a SQLite file never asks for).
    static func main() {
        PostgresBackend.register()
        main(nil)
    }
}
