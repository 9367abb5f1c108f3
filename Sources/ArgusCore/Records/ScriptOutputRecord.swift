/// One row of `script_outputs`: an alert, metric sample, script log line or script error,
/// linked to the call that produced it when there is one.
public struct ScriptOutputRecord: Sendable {
    public enum Kind: String, Sendable { case alert, metric, log, error }

    /// The database id; 0 until the output is stored.
    public var id: Int64
    /// The database id of its run, when it belongs to one; nil until stored (a `RecordOp` names
    /// the run by the recorder's number).
    public var runID: Int64?
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
    /// Read with the output, not stored in `script_outputs`: the id of its call, and its server and tool.
    public var callID: Int64?
    public var server: String?
    public var tool: String?

    public init(
        id: Int64 = 0, runID: Int64? = nil, requestSeq: Int?, timestamp: Int64, script: String, kind: Kind,
        level: String? = nil, name: String? = nil, metricKind: String? = nil, value: Double? = nil,
        labels: String? = nil, message: String? = nil, key: String? = nil, location: String? = nil,
        callID: Int64? = nil, server: String? = nil, tool: String? = nil
    ) {
        self.id = id
        self.runID = runID
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
        self.callID = callID
        self.server = server
        self.tool = tool
    }
}
