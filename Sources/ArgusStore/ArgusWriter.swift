import ArgusCore

/// What Argus writes to a recording store: the recorder's batches, requests to begin and end
/// runs, deletes. With `ArgusReader`, the seam a second backend implements (SQLite's is
/// `SQLiteWriter`); a writer is used by one thread at a time.
public protocol ArgusWriter: AnyObject {
    /// Writes a batch of the recorder's operations in one transaction: all of it or none, so a
    /// batch that failed can be written again as it is. `runs` maps the recorder's run numbers
    /// to database ids: it holds the runs of earlier batches, and receives this batch's new runs
    /// only when it commits. `events` are stored with the batch. Returns the database ids of
    /// the batch's calls (exporters link what they send back to the recording).
    @discardableResult
    func write(_ batch: [RecordOp], runs: inout [LocalRunID: Int64], events: [RecorderEvent]) throws -> [CallReference: Int64]

    /// Asks the live `argus wrap`s (of `server`, or all) to begin a new run, or the wrap recording
    /// `endingRun` to end it. Returns the request's id.
    @discardableResult
    func requestRun(server: String?, endingRun: Int64?, label: String?, requestedBy: String) throws -> Int64

    /// Deletes calls with everything that belongs to them; returns how many calls were deleted.
    func deleteCalls(_ selection: CallDeletion.Selection) throws -> Int
    /// Deletes whole runs and everything recorded in them.
    func deleteRuns(_ ids: [Int64]) throws -> RunDeletion.Outcome
}

extension ArgusWriter {
    @discardableResult
    public func requestRun(
        server: String? = nil, endingRun: Int64? = nil, label: String? = nil,
        requestedBy: String
    ) throws -> Int64 {
        try requestRun(server: server, endingRun: endingRun, label: label, requestedBy: requestedBy)
    }
}

/// A failure of the store in words a user can act on, and whether waiting may help (another
/// process holds the lock): the recorder then retries on the same connection, the dashboard
/// answers 503.
public protocol StoreFailure: Error {
    var isBusy: Bool { get }
    var explanation: String { get }
}

extension SQLiteError: StoreFailure {}
