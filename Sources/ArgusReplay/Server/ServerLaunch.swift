import ArgusCore

/// How to start a server: command, arguments, working directory, environment; or, for a
/// remote server, its Streamable HTTP address (recorded as the run's command) and headers.
public struct ServerLaunch: Sendable, Equatable {
    /// A header for a remote server, as the user wrote it: `${VAR}` in the value is filled in from
    /// the environment when the connection opens, so the credential is never part of a plan or a suite.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var command: String
    /// As recorded: redacted when the command line held secrets (then `sealedArguments` has the originals).
    public var arguments: [String]
    public var cwd: String?
    /// Variables to set on top of this process's environment.
    public var extraEnvironment: [String: String]
    /// The original arguments (a JSON array of strings), sealed with the replay key, when `arguments` is redacted.
    public var sealedArguments: SealedValue?
    /// For a remote server: what to send with each request (`--header`, a named server's `headers`),
    /// never taken from a recording.
    public var headers: [Header] = []

    public init(
        command: String, arguments: [String], cwd: String? = nil, extraEnvironment: [String: String] = [:],
        sealedArguments: SealedValue? = nil
    ) {
        self.command = command
        self.arguments = arguments
        self.cwd = cwd
        self.extraEnvironment = extraEnvironment
        self.sealedArguments = sealedArguments
    }

    /// A remote server: the command is its `http://` or `https://` address (recorded so by
    /// `argus wrap --url` and `argus proxy --upstream`); the recorded arguments only describe it.
    public var isRemote: Bool {
        let lower = command.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// The command line for messages (which reach JUnit files and API answers): redacted.
    public var display: String {
        let redactor = Redactor(policy: RedactionPolicy())
        return ([redactor.redactText(command) ?? command] + (redactor.redactArguments(command: command, arguments) ?? arguments))
            .joined(separator: " ")
    }
}
