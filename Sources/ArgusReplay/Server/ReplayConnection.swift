import ArgusCore
import ArgusProxy

/// A live server as the replay engine speaks to it, as an MCP client: a child process on stdio
/// (`ServerConnection`) or a remote server over Streamable HTTP (made by a `RemoteReplayConnector`).
/// Whatever it is, every message both ways goes to the replay run's recording.
public protocol ReplayConnection: AnyObject, Sendable {
    /// True once the server is gone for good (a child that exited); the engine then starts it again.
    var hasExited: Bool { get }
    /// How the server ended, when it has.
    var exitDescription: ExitStatus? { get }
    /// What the server said last (a child's stderr lines), redacted, for error messages.
    var stderrTextAfterExit: String { get }
    /// Sends one message (a notification, or an answer to the server's own request).
    func send(_ message: JSONValue)
    /// Sends a request and waits for its response. Returns the response and the latency in µs.
    func request(_ method: String, params: JSONValue, id: JSONValue, timeout: Double) throws(ReplayError) -> (JSONValue, Int64)
    /// Ends the session (the child is stopped; an HTTP session is deleted).
    func close()
}

/// Opens replay connections to remote MCP servers (Streamable HTTP). The program provides it
/// (`argus` gives ArgusRemote's), so that ArgusReplay, and the dashboard with it, never load an
/// HTTP stack of their own; without one, a remote run cannot be replayed.
public protocol RemoteReplayConnector: Sendable {
    /// Checks the address and fills in the headers' `${VAR}`s from `environment`: a variable
    /// that is not set is an error here, before anything is sent or recorded.
    func target(url: String, headers: [ServerLaunch.Header], environment: [String: String]) throws(ReplayError)
        -> any RemoteReplayTarget
}

/// A remote server ready to be connected to, its credentials filled in (in memory only).
public protocol RemoteReplayTarget: Sendable {
    /// The replay run's launch, as `argus wrap --url` records one: the address without
    /// credentials or query, header names and the variables their values come from.
    var launch: LaunchSpec { get }
    /// `policy` plus the header values: a credential never reaches the recording, even echoed back.
    func redaction(_ policy: RedactionPolicy) -> RedactionPolicy
    /// Opens a client session (nothing is sent until the engine's first message).
    /// - Parameter answer: builds the response to a request the server sends (roots/list, sampling, ...).
    func connect(pipeline: RecordingPipeline, answer: @escaping @Sendable (JSONValue) -> JSONValue) throws(ReplayError)
        -> any ReplayConnection
}
