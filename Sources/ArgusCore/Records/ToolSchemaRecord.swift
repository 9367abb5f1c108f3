/// One row of `tool_schemas`: a tool as a run's `tools/list` described it.
public struct ToolSchemaRecord: Sendable {
    /// The database id of its run; 0 until stored (a `RecordOp` names the run by the recorder's number).
    public var runID: Int64
    public var name: String
    public var title: String?
    public var description: String?
    /// JSON text, as listed (redacted).
    public var inputSchema: String?
    public var outputSchema: String?
    public var annotations: String?
    public var seenAt: Int64

    public init(
        runID: Int64 = 0, name: String, title: String?, description: String?, inputSchema: String?,
        outputSchema: String?, annotations: String?, seenAt: Int64
    ) {
        self.runID = runID
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
        self.seenAt = seenAt
    }
}
