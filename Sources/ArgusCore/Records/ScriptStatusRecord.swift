/// One row of `script_status`: the state of a script in one argus process, as last reported.
public struct ScriptStatusRecord: Sendable {
    public var script: String
    public var path: String
    public var argusPID: Int32
    public var server: String
    /// active, error (failed to load; the previous version may still run) or disabled.
    public var state: String
    public var lastError: String?
    /// JSON: per hook, calls, errors, total and max time.
    public var hookStats: String
    public var errorCount: Int
    public var loadedAt: Int64
    public var updatedAt: Int64

    public init(
        script: String, path: String, argusPID: Int32, server: String, state: String, lastError: String?,
        hookStats: String, errorCount: Int, loadedAt: Int64, updatedAt: Int64
    ) {
        self.script = script
        self.path = path
        self.argusPID = argusPID
        self.server = server
        self.state = state
        self.lastError = lastError
        self.hookStats = hookStats
        self.errorCount = errorCount
        self.loadedAt = loadedAt
        self.updatedAt = updatedAt
    }
}
