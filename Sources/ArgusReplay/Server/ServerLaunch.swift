import ArgusCore

/// How to start a server: command, arguments, working directory, environment.
public struct ServerLaunch: Sendable, Equatable {
    public var command: String
    /// As recorded: redacted when the command line held secrets (then `sealedArguments` has the originals).
    public var arguments: [String]
    public var cwd: String?
    /// Variables to set on top of this process's environment.
    public var extraEnvironment: [String: String]
    /// The original arguments (a JSON array of strings), sealed with the replay key, when `arguments` is redacted.
    public var sealedArguments: SealedValue?

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

    /// The command line for messages (which reach JUnit files and API answers): redacted.
    public var display: String {
        let redactor = Redactor(policy: RedactionPolicy())
        return ([redactor.redactText(command) ?? command] + (redactor.redactArguments(command: command, arguments) ?? arguments))
            .joined(separator: " ")
    }
}
