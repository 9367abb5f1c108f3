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

    /// The header names a remote run was recorded with (`--header NAME: …`: never a value).
    public var recordedHeaderNames: [String] {
        guard isRemote else { return [] }
        return zip(arguments, arguments.dropFirst()).compactMap { flag, header in
            flag == "--header" ? header.split(separator: ":", maxSplits: 1).first.map(String.init) : nil
        }
    }

    /// For a remote launch without headers: the configured remote server at the same address
    /// (its URL, which may carry a query the recording left out, and its headers), if there is one.
    public func withConfiguredRemote(_ servers: some Sequence<ServerLaunch>) -> ServerLaunch {
        guard isRemote, headers.isEmpty else { return self }
        let address = Self.address(command)
        return servers.first { $0.isRemote && Self.address($0.command) == address } ?? self
    }

    /// An address as recordings keep it: no credentials, query or fragment, scheme and host in lower case.
    static func address(_ url: String) -> String {
        let end = url.firstIndex { $0 == "?" || $0 == "#" } ?? url.endIndex
        var rest = url[..<end]
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.upperBound].lowercased()
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return scheme + authority.lowercased() + rest[authorityEnd...]
    }

    /// The command line for messages (which reach JUnit files and API answers): redacted.
    public var display: String {
        let redactor = Redactor(policy: RedactionPolicy())
        return ([redactor.redactText(command) ?? command] + (redactor.redactArguments(command: command, arguments) ?? arguments))
            .joined(separator: " ")
    }
}
