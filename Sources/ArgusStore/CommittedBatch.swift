import ArgusCore

/// Records just committed, with the database ids they were given: what an exporter
/// downstream of the recording needs to link what it sends back to the recording.
public struct CommittedBatch: Sendable {
    public var ops: [RecordOp]
    /// Every run this writer has written so far.
    public var runIDs: [LocalRunID: Int64]
    /// The calls of this batch.
    public var callIDs: [CallReference: Int64]

    public init(ops: [RecordOp], runIDs: [LocalRunID: Int64], callIDs: [CallReference: Int64]) {
        self.ops = ops
        self.runIDs = runIDs
        self.callIDs = callIDs
    }
}
