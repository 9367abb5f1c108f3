import ArgusCore

/// Which calls a listing shows.
public struct CallFilter: Sendable {
    public var run: Int64?
    public var server: String?
    public var tool: String?
    public var method: String?
    public var errorsOnly = false
    public var status: CallStatus?
    /// Substring searched in tool, method, error message and the recorded request and response bodies.
    public var text: String?
    public var since: Int64?
    public var until: Int64?
    /// Cursor: only calls with an id below this one (pages go backwards in time).
    public var beforeID: Int64?
    /// Cursor: only calls with an id above this one (newer); the oldest of them come first.
    public var afterID: Int64?
    public var limit = 100
    /// Leave out calls of replay runs (`argus replay`, `argus test`, dashboard replays), which are
    /// not real traffic. Ignored when `run` names one run.
    public var excludeReplays = false

    public init() {}
}
