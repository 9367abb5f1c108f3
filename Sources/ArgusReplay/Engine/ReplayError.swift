import ArgusCore

/// What can go wrong in a replay, each with a sentence a user can act on.
public enum ReplayError: Error, CustomStringConvertible, Sendable {
    case unknownCall(Int64)
    case unknownRun(Int64)
    case notReplayable(method: String)
    case serverFailedToStart(command: String, reason: String, stderr: String)
    case serverExited(status: String, stderr: String)
    case toolGone(tool: String, available: [String])
    case invalidParams(tool: String, problems: [String])
    case timeout(seconds: Double, method: String)
    case missingSecrets(pointers: [String], reason: String)
    case badKey(String)
    case scriptFailed(String)
    case protocolError(String)
    case noLaunchSpec(run: Int64)
    case redactedArguments(command: String, reason: String)
    case invalidSuite(String)
    case invalidScenario(String)
    /// The call's recorded outcome is a fault argus injected, not the server's answer.
    case injectedAnswer(call: Int64, kind: String)
    /// A remote server that could not be used: a bad address or header, or HTTP's own failure
    /// (unreachable, a refused status), as opposed to an answer from the server.
    case remote(url: String, reason: String)

    public var description: String {
        switch self {
        case .unknownCall(let id):
            return "no call \(id) in the database (see `argus calls`)"
        case .unknownRun(let id):
            return "no run \(id) in the database (see `argus runs`)"
        case .notReplayable(let method):
            return "\(method) calls are not replayed (replayable: \(MCP.Method.replayable.joined(separator: ", ")))"
        case .serverFailedToStart(let command, let reason, let stderr):
            return "the server does not start any more: `\(command)` \(reason)" + Self.tail(stderr)
        case .serverExited(let status, let stderr):
            return "the server \(status) during the replay" + Self.tail(stderr)
        case .toolGone(let tool, let available):
            return
                "the server no longer has a tool named \(tool) (it has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .invalidParams(let tool, let problems):
            return "the params do not fit \(tool)'s recorded input schema: " + problems.joined(separator: "; ")
        case .timeout(let seconds, let method):
            return "no answer to \(method) within \(String(oneDecimal: seconds)) s (raise it with --timeout)"
        case .missingSecrets(let pointers, let reason):
            return "the call needs values that were redacted when it was recorded: \(pointers.joined(separator: ", ")) (\(reason)). "
                + "Supply them with --params, e.g. --params '{\"\(Self.lastSegment(pointers.first))\": \"…\"}', or a mutate_replay script"
        case .badKey(let message): return message
        case .scriptFailed(let message): return message
        case .protocolError(let message): return message
        case .noLaunchSpec(let run):
            return "run \(run) has no server command to start; name a server from the config with --server"
        case .redactedArguments(let command, let reason):
            return "the server's command line was recorded with secrets redacted (`\(command)`), and \(reason); "
                + "start it from a server in your config instead (--server NAME, or the dashboard's server choice)"
        case .invalidSuite(let message), .invalidScenario(let message): return message
        case .injectedAnswer(let call, let kind):
            return "call \(call)'s outcome was injected by argus (fault \(kind)), not answered by the server: "
                + "a replay has nothing to be compared with; replay a call the server answered"
        case .remote(let url, let reason):
            return "cannot replay against \(url): \(reason)"
        }
    }

    static func tail(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").suffix(5)
        return lines.isEmpty ? "" : ". Its stderr ended with:\n  " + lines.joined(separator: "\n  ")
    }

    static func lastSegment(_ pointer: String?) -> String {
        pointer.map { String($0.split(separator: "/").last ?? "") } ?? "name"
    }
}
