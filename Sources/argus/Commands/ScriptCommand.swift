import ArgumentParser

struct ScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Develop Lua scripts: run them on a call, test them against fixtures.",
        subcommands: [ScriptTest.self, ScriptRun.self])
}
