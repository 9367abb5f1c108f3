/// One row of `server_logs`: a line the server wrote to stderr (redacted).
public struct ServerLogRecord: Sendable {
    /// The database id; 0 until the line is stored.
    public var id: Int64
    /// The database id of its run; 0 until stored (a `RecordOp` names the run by the recorder's number).
    public var runID: Int64
    public var timestamp: Int64
    public var line: String

    public init(id: Int64 = 0, runID: Int64 = 0, timestamp: Int64, line: String) {
        self.id = id
        self.runID = runID
        self.timestamp = timestamp
        self.line = line
    }
}
