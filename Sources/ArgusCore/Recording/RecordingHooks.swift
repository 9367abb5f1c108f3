/// What redaction hooks decided about a message.
public enum HookVerdict: Sendable, Equatable {
    /// Store it as it is.
    case keep
    /// Store this instead: the message with the parts the scripts replaced (`params` for
    /// requests and notifications, `result` and/or `error` for responses), merged once.
    case replace(RedactableMessage)
    /// Store only the call's metadata; the bodies become a stub naming the script.
    case drop(script: String)
    /// A redaction hook failed or hit a limit: fail closed, store `RedactionMarker.failed`.
    case failed(script: String)
}

/// Where user scripts plug into recording. Runs on the recorder thread, off the
/// relay path. Everything a hook produces comes back as `RecordOp`s through `emit`.
public protocol RecordingHooks: AnyObject {
    /// False when no script defines `redact`: the recorder then skips the call entirely.
    var hasRedactors: Bool { get }
    /// Before a request, response or notification is stored: `message` is what would be stored
    /// (built-in redaction done). The hooks read its text as the body of `call`'s phase.
    func redact(_ call: HookCall, message: RedactableMessage, emit: (RecordOp) -> Void) -> HookVerdict
    /// After a call is complete and stored (observers: on_call, alert, metric).
    func completed(_ call: HookCall, emit: (RecordOp) -> Void)
    /// About once a second, and when the session ends: reload changed scripts, report status.
    func tick(at time: Timestamp, emit: (RecordOp) -> Void)
}

/// An alert, metric sample, script log line or script error.
public struct ScriptOutputRecord: Sendable {
    public enum Kind: String, Sendable { case alert, metric, log, error }

    public var run: LocalRunID?
    /// The call it belongs to (its request's position in the run).
    public var requestSeq: Int?
    public var timestamp: Int64
    public var script: String
    public var kind: Kind
    /// Alert level (info, warning, critical), log level, or the failing hook for errors.
    public var level: String?
    /// Metric name, or the hook for errors.
    public var name: String?
    /// counter, gauge or histogram.
    public var metricKind: String?
    public var value: Double?
    /// JSON object of label names to values.
    public var labels: String?
    public var message: String?
    /// Alert de-duplication key.
    public var key: String?
    /// `file.lua:12`.
    public var location: String?

    public init(run: LocalRunID?, requestSeq: Int?, timestamp: Int64, script: String, kind: Kind,
                level: String? = nil, name: String? = nil, metricKind: String? = nil, value: Double? = nil,
                labels: String? = nil, message: String? = nil, key: String? = nil, location: String? = nil) {
        self.run = run
        self.requestSeq = requestSeq
        self.timestamp = timestamp
        self.script = script
        self.kind = kind
        self.level = level
        self.name = name
        self.metricKind = metricKind
        self.value = value
        self.labels = labels
        self.message = message
        self.key = key
        self.location = location
    }
}

/// The state of one loaded script in one argus process.
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

    public init(script: String, path: String, argusPID: Int32, server: String, state: String, lastError: String?,
                hookStats: String, errorCount: Int, loadedAt: Int64, updatedAt: Int64) {
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
