import ArgusCore
import ArgusSystem

/// The recording's last stage: a thread that takes everything queued, writes
/// it in one transaction, and retries (with backoff) when SQLite says no.
///
/// The database is opened lazily on this thread, so a slow disk or a locked
/// file never delays the proxy's start. Problems are reported once per change
/// of state through `report` (stderr in `argus wrap`) and, after recovery, in
/// the `recorder_events` table. Nothing queued is dropped while a retry can
/// still succeed; only `finish` with an expired deadline gives up, and says so.
public final class BatchedWriter: @unchecked Sendable {
    public struct Options: Sendable {
        public var path: String
        /// Memory allowed for records waiting to be written; producers wait beyond it.
        public var capacityBytes: Int
        public var maxBatch: Int
        public var busyTimeoutMillis: Int32

        public init(path: String, capacityBytes: Int = 64 << 20, maxBatch: Int = 8192, busyTimeoutMillis: Int32 = 5000) {
            self.path = path
            self.capacityBytes = capacityBytes
            self.maxBatch = maxBatch
            self.busyTimeoutMillis = busyTimeoutMillis
        }
    }

    public struct Statistics: Sendable {
        public var opsWritten = 0
        public var batches = 0
        public var failedAttempts = 0
        public var opsAbandoned = 0
        public var queueHighWaterBytes = 0
        public var queueHighWaterCount = 0
        public var lastError: String?
    }

    public let options: Options
    private let queue: BoundedQueue<RecordOp>
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var stats = Statistics()
    private var deadline: UInt64?
    /// When the last batch was committed (monotonic ns): `finish` waits for a writer that is
    /// still making progress, however slowly (a busy machine), and gives up on one that is not.
    private var lastCommit: UInt64 = 0
    private var thread: OSThread?
    private let onCommit: (@Sendable () -> Void)?
    private let onCommitted: (@Sendable (CommittedBatch) -> Void)?

    /// - Parameters:
    ///   - report: receives one human-readable line per change of state.
    ///   - onCommit: called after each committed batch (the dashboard notifier hooks in here).
    ///   - onCommitted: called on the writer thread with each committed batch and its ids
    ///     (exporters hook in here); it must not wait.
    public init(
        options: Options, report: @escaping @Sendable (String) -> Void,
        onCommit: (@Sendable () -> Void)? = nil, onCommitted: (@Sendable (CommittedBatch) -> Void)? = nil
    ) {
        self.options = options
        self.queue = BoundedQueue(capacityBytes: options.capacityBytes)
        // It sleeps until a record comes rather than polling for 50 ms after each batch: its
        // producer is a recorder thread (never a relay), for which a futex call per batch is cheap,
        // and between an idle session's calls the polling was most of argus's CPU per call
        // (`Docs/PERFORMANCE.md`).
        queue.pollingWindowNanos = 0
        self.report = report
        self.onCommit = onCommit
        self.onCommitted = onCommitted
        thread = OSThread(name: "argus-writer", background: true) { [self] in run() }
    }

    /// Queues a record, waiting while the queue is full (backpressure on the recorder, never on the relay).
    public func submit(_ op: RecordOp) {
        queue.put(op, bytes: op.approximateBytes)
    }

    /// Closes the queue and waits until everything is written. A write that keeps failing
    /// (the database locked, the disk full) is given up `timeoutSeconds` from now; a writer
    /// that keeps committing is waited for, however long the queue takes to drain, so a busy
    /// machine loses nothing. Returns the final statistics; `opsAbandoned` counts what could
    /// not be written.
    @discardableResult
    public func finish(timeoutSeconds: Double) -> Statistics {
        let start = SystemClock.monotonicNanos()
        monitor.locked { deadline = start + UInt64(timeoutSeconds * 1e9) }
        queue.close()
        // The writer honours the deadline itself on failures; a commit in progress (up to the busy
        // timeout) and scheduling on a loaded machine need slack on top.
        let stall = UInt64((timeoutSeconds + Double(options.busyTimeoutMillis) / 1000 + 5) * 1e9)
        while let thread, !thread.join(timeoutSeconds: 0.25) {
            let progress = max(start, monitor.locked { lastCommit })
            if SystemClock.monotonicNanos() - progress > stall {
                report("argus: the recording's writer made no progress for \(Int(stall / 1_000_000_000)) s; exiting without it")
                break
            }
        }
        let final = statistics
        if final.opsAbandoned > 0 {
            report(
                "argus: could not write \(final.opsAbandoned) recorded records before exit: \(final.lastError ?? "the database was unavailable")"
            )
        }
        return final
    }

    private var runIDs: [LocalRunID: Int64] = [:]

    /// The database id of a run written by this writer (nil until its row is committed).
    public func databaseID(of run: LocalRunID) -> Int64? {
        monitor.locked { runIDs[run] }
    }

    public var statistics: Statistics {
        monitor.locked {
            var s = stats
            s.queueHighWaterBytes = queue.highWaterBytes
            s.queueHighWaterCount = queue.highWaterCount
            return s
        }
    }

    // MARK: thread

    /// The recorder's runs already written, and their database ids: kept across connections
    /// (the writer reconnects after a failure).
    private var written: [LocalRunID: Int64] = [:]
    /// Runs whose end is written, oldest first: forgotten once `endedRunsKept` more have ended,
    /// so that `argus proxy`, one writer for every session it ever sees, keeps a bounded map
    /// (and copies a bounded one per batch). A run's records come before its end; the ones
    /// kept cover stragglers and a next run's link to the one before.
    private var endedRuns: [LocalRunID] = []
    static let endedRunsKept = 4096
    /// The batches' origin and numbers, kept across connections for the same reason: a batch
    /// whose commit answer was lost is sent again under the number it had.
    private var numbering: BatchNumbering?
    private var connection: (any ArgusWriter)?
    private var failingSince: UInt64?
    private var reportedProblem: String?

    private func run() {
        while let batch = queue.takeAll(max: options.maxBatch) {
            if batch.isEmpty { continue }
            write(batch)
        }
    }

    private func write(_ batch: [RecordOp]) {
        var backoff = 0.05
        while true {
            do {
                let db = try connect()
                let recovery = recoveryMessage()
                let events = recovery.map { [RecorderEvent(timestamp: SystemClock.wallMicros(), kind: "write_retry", message: $0)] } ?? []
                let calls = try db.write(batch, runs: &written, events: events)
                monitor.locked { runIDs = written }
                if let recovery {
                    report("argus: \(recovery)")
                    failingSince = nil
                    reportedProblem = nil
                }
                monitor.locked {
                    stats.opsWritten += batch.count
                    stats.batches += 1
                    lastCommit = SystemClock.monotonicNanos()
                }
                onCommit?()
                onCommitted?(CommittedBatch(ops: batch, runIDs: written, callIDs: calls))
                forgetRunsLongEnded(endedIn: batch)
                return
            } catch {
                if isPermanentForConnection(error) { connection = nil }
                failed(error, batchSize: batch.count)
                let giveUp = monitor.locked { () -> Bool in
                    guard let deadline else { return false }
                    return SystemClock.monotonicNanos() >= deadline
                }
                if giveUp {
                    monitor.locked { stats.opsAbandoned += batch.count }  // reported once, in total, by finish
                    return
                }
                SystemClock.sleep(seconds: backoff)
                backoff = min(backoff * 2, 2.0)
            }
        }
    }

    private func forgetRunsLongEnded(endedIn batch: [RecordOp]) {
        for op in batch {
            if case .endRun(let end) = op { endedRuns.append(end.run) }
        }
        // In steps of `endedRunsKept`, not one by one: the map is copied for readers each time.
        guard endedRuns.count >= 2 * Self.endedRunsKept else { return }
        let forgotten = endedRuns.count - Self.endedRunsKept
        for run in endedRuns.prefix(forgotten) { written[run] = nil }
        endedRuns.removeFirst(forgotten)
        monitor.locked { runIDs = written }
    }

    private func connect() throws -> any ArgusWriter {
        if let connection { return connection }
        // Made here, on this thread: the origin asks for the host's name, which the relay's start must not wait for.
        let numbering = self.numbering ?? BatchNumbering()
        self.numbering = numbering
        let db = try ArgusDatabase.writer(
            path: options.path, busyTimeoutMillis: options.busyTimeoutMillis, numbering: numbering)
        connection = db
        return db
    }

    /// Errors after which the connection itself should be reopened.
    private func isPermanentForConnection(_ error: Error) -> Bool {
        if let e = error as? StoreFailure { return !e.isBusy }
        return true
    }

    private func describe(_ error: Error) -> String {
        if let e = error as? StoreFailure { return "\(e.explanation) (\(options.path))" }
        return "\(error)"
    }

    private func failed(_ error: Error, batchSize: Int) {
        let problem = describe(error)
        monitor.locked {
            stats.failedAttempts += 1
            stats.lastError = problem
        }
        if failingSince == nil { failingSince = SystemClock.monotonicNanos() }
        if reportedProblem != problem {
            reportedProblem = problem
            report("argus: recording paused: \(problem); retrying, the MCP session is not affected")
        }
    }

    /// When the previous attempts failed: the line that says recording resumed
    /// (also stored, so the pause is visible later).
    private func recoveryMessage() -> String? {
        guard let since = failingSince, let problem = reportedProblem else { return nil }
        let seconds = Double(SystemClock.monotonicNanos() - since) / 1e9
        return "recording resumed after \(String(oneDecimal: seconds)) s (\(problem)); nothing was lost"
    }
}
