import ArgumentParser
import ArgusProxy
import Foundation

struct Wrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrap",
        abstract: "Run an MCP server behind a transparent recording proxy.",
        discussion: """
            Use it in place of the server command in your MCP client's configuration:

              argus wrap -- npx -y @modelcontextprotocol/server-github
              argus wrap --name github -- docker run -i --rm -e GITHUB_TOKEN ghcr.io/github/github-mcp-server

            Every byte is forwarded unchanged in both directions. A copy of each message is \
            recorded, with secrets redacted, off the relay path. stdout belongs to the protocol; \
            argus writes its own messages to stderr. The proxy exits with the server's status.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Name of the server in recordings (default: derived from the command).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("idle-timeout"),
            help: ArgumentHelp("Start a new run after this many seconds without traffic.", valueName: "seconds"))
    var idleTimeout: Double = 60

    @Option(help: ArgumentHelp("Extra key names to redact, comma-separated (e.g. ssn,account_number).", valueName: "keys"))
    var redact: String?

    @Flag(name: .customLong("no-redact"), help: "Record everything as is (secrets included).")
    var noRedact = false

    @Option(help: ArgumentHelp("Seconds the server gets to exit after its input closes, and again after SIGTERM.",
                               valueName: "seconds"))
    var grace: Double = 5

    @Option(name: .customLong("flush-timeout"),
            help: ArgumentHelp("At exit, how long to keep trying to write the last records to a busy or broken database.",
                               valueName: "seconds"))
    var flushTimeout: Double = 10

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The server command and its arguments (after --).",
                                                                  valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if serverCommand.isEmpty {
            throw ValidationError("give the server command after --, e.g. argus wrap -- npx -y @modelcontextprotocol/server-everything")
        }
        if idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
        if grace < 0 { throw ValidationError("--grace cannot be negative") }
    }

    var serverCommand: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func run() throws {
        var options = WrapOptions(command: serverCommand[0], arguments: Array(serverCommand.dropFirst()),
                                  databasePath: database.path)
        options.serverName = name
        options.idleTimeoutSeconds = idleTimeout
        options.redactionEnabled = !noRedact
        options.extraRedactKeys = (redact ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        options.graceSeconds = grace
        options.flushTimeoutSeconds = flushTimeout
        let status = WrapSession.run(options)
        throw ExitCode(status)
    }
}
