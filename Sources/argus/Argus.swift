import ArgumentParser
import ArgusCore

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
            VerdictCommand.self, Demo.self,
        ]
    )
}
