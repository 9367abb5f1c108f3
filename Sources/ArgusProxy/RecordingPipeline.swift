import ArgusCore
import ArgusStore
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// Everything between the relay threads and SQLite:
///
///     relay threads ──offer──▶ raw queue ──▶ recorder thread ──put──▶ writer queue ──▶ writer thread
///                  (never waits;          (framing, parsing,     (waits when full:   (batched
///                   counts losses)         redaction, pairing)    backpressure)       transactions)
///
/// The relays only copy bytes into the raw queue. When that queue is full
/// (the database has been unavailable for a long time), the bytes are still
/// forwarded but not recorded, and the loss is counted and reported.
///
/// `argus wrap` has a raw queue and a recorder thread of its own; the sessions of an
/// `argus proxy` share one of each and a writer (`SharedRecorder`).
public final class RecordingPipeline: @unchecked Sendable {
    enum Event {
        case start(serverPID: Int32?, Timestamp)
        case chunk(Direction, [UInt8], Timestamp)
        case stderr([UInt8], Timestamp)
        case lost(Direction, frames: Int, Timestamp)
        case fault(InjectedFault, answer: [UInt8]?, Timestamp)
        case finish(EndReason, detail: String?, exitStatus: Int32?, Timestamp)
    }

    public struct Options: Sendable {
        public var rawQueueBytes: Int
        public var writer: BatchedWriter.Options
        /// Begin new runs when asked (`argus runs new`, the dashboard): for `argus wrap`, not for replays.
        public var followsRunRequests = false
        public init(databasePath: String, rawQueueBytes: Int = 256 << 20) {
            self.rawQueueBytes = rawQueueBytes
            self.writer = BatchedWriter.Options(path: databasePath)
        }
    }

    /// Where the session's events wait for its recorder.
    private enum Inbox {
        /// A queue read by a recorder thread of the session's own (`argus wrap`).
        case own(BoundedQueue<Event>)
        /// The queue of the thread that records every session of an `argus proxy`.
        case shared(SharedRecorder)
    }

    private let inbox: Inbox
    public let writer: BatchedWriter
    /// False when the writer is shared with other sessions (`argus proxy`): its owner finishes it.
    private let ownsWriter: Bool
    /// Builds the session's recorder; called once, on the thread that records the session.
    let makeRecorder: () -> PipelineRecorder
    private let report: @Sendable (String) -> Void
    private let lossMonitor = Monitor()
    private var lostFrames: [Direction: Int] = [:]
    private var lossReported = false
    /// When the script hook running on the recorder thread began, if one is running:
    /// `finish` waits for a busy recorder, not for a hook that does not return.
    private let hookClock: HookClock
    /// Set once the recorder has handled the session's last event.
    private let recordedMonitor = Monitor()
    private var recorded = false

    /// A session with a writer and a recorder thread of its own (`argus wrap`).
    ///
    /// - Parameter makeHooks: builds the user-script hooks. Called on the recorder
    ///   thread, which then owns them, so loading scripts never delays the server's start.
    public init(
        config: RecorderConfig, options: Options, report: @escaping @Sendable (String) -> Void,
        onCommit: (@Sendable () -> Void)? = nil, onCommitted: (@Sendable (CommittedBatch) -> Void)? = nil,
        makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)? = nil
    ) {
        let writer = BatchedWriter(options: options.writer, report: report, onCommit: onCommit, onCommitted: onCommitted)
        let queue = BoundedQueue<Event>(capacityBytes: options.rawQueueBytes)
        let startedAt = SystemClock.wallMicros()
        let runRequests = options.followsRunRequests ? RunRequestFeed(path: writer.options.path, startedAt: startedAt) : nil
        let hookClock = HookClock()
        self.report = report
        self.writer = writer
        self.hookClock = hookClock
        ownsWriter = true
        inbox = .own(queue)
        makeRecorder = {
            PipelineRecorder(
                config: config, writer: writer, runRequests: runRequests, startedAt: startedAt, makeHooks: makeHooks,
                hookClock: hookClock)
        }
        OSThread(name: "argus-recorder", background: true) { [self] in
            let recorder = makeRecorder()
            PipelineRecorder.consume(queue, tick: recorder.tick, handle: recorder.handle)
            markRecorded()
        }
    }

    /// A session recorded by `shared`'s thread, through its writer, with the sessions of the
    /// same `argus proxy`. Their configs must share one `RunNumbering`, as the writer knows runs
    /// by number. `finish` waits until the session's last records are handed to the writer and
    /// leaves the writer and the thread running; whoever made `shared` finishes it.
    public init(
        config: RecorderConfig, sharing shared: SharedRecorder, report: @escaping @Sendable (String) -> Void,
        makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)? = nil
    ) {
        let startedAt = SystemClock.wallMicros()
        self.report = report
        writer = shared.writer
        hookClock = shared.hookClock
        ownsWriter = false
        inbox = .shared(shared)
        makeRecorder = {
            PipelineRecorder(
                config: config, writer: shared.writer, runRequests: shared.runRequests, startedAt: startedAt,
                makeHooks: makeHooks, hookClock: shared.hookClock)
        }
    }

    /// Starts the first run now (so even a server that never starts has one).
    public func start(serverPID: Int32?) {
        put(.start(serverPID: serverPID, SystemClock.now()), bytes: 0)
    }

    /// Called by a relay thread with bytes it just forwarded.
    public func record(_ direction: Direction, _ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        record(direction, owned: Array(bytes), at: time)
    }

    /// The same, for bytes the caller hands over (queued as they are: a large message is not copied again).
    /// With `wakingRecorder: false`, a sleeping shared recorder is woken only by `wakeRecorder()`.
    public func record(_ direction: Direction, owned bytes: [UInt8], at time: Timestamp, wakingRecorder: Bool = true) {
        let pendingLoss = lossMonitor.locked { lostFrames[direction] ?? 0 }
        if pendingLoss > 0, offer(.lost(direction, frames: pendingLoss, time), bytes: 0, waking: wakingRecorder) {
            lossMonitor.locked { lostFrames[direction] = 0 }
        }
        let count = bytes.count
        if !offer(.chunk(direction, bytes, time), bytes: count + 64, waking: wakingRecorder) {
            bytes.withUnsafeBytes { noteLoss(direction, $0) }
        }
    }

    /// Called by the stderr relay thread.
    public func recordStderr(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        _ = offer(.stderr(Array(bytes), time), bytes: bytes.count + 64)
    }

    /// Called by the fault injector: a fault it injected, with the line it sent the client in the
    /// server's place, if any (argus's own answer, or the server's answer as the fault spoilt it).
    /// One event, so the fault lands in the run of its request and next to its answer.
    public func recordFault(_ fault: InjectedFault, answer: [UInt8]?, at time: Timestamp) {
        if !offer(.fault(fault, answer: answer, time), bytes: (answer?.count ?? 0) + 256), let answer {
            answer.withUnsafeBytes { noteLoss(.serverToClient, $0) }
        }
    }

    /// Queues without waiting (the relays); false when the queue is full.
    private func offer(_ event: Event, bytes: Int, waking: Bool = true) -> Bool {
        switch inbox {
        case .own(let queue): queue.offer(event, bytes: bytes)
        case .shared(let shared): shared.queue.offer((self, event), bytes: bytes, wakingConsumer: waking)
        }
    }

    /// Wakes the shared recorder for what `record(…, wakingRecorder: false)` queued.
    public func wakeRecorder() {
        if case .shared(let shared) = inbox { shared.queue.wakeIfOwed() }
    }

    /// Queues, waiting while the queue is full (the session's start and end, which must not be lost).
    private func put(_ event: Event, bytes: Int) {
        switch inbox {
        case .own(let queue):
            queue.put(event, bytes: bytes)
        case .shared(let shared):
            // The shared recorder has stopped (the proxy is ending): nothing of this session will be recorded.
            if !shared.queue.put((self, event), bytes: bytes) { markRecorded() }
        }
    }

    private func noteLoss(_ direction: Direction, _ bytes: UnsafeRawBufferPointer) {
        var newlines = 0
        for byte in bytes where byte == 0x0A { newlines += 1 }
        let first = lossMonitor.locked { () -> Bool in
            lostFrames[direction, default: 0] += max(newlines, 1)
            defer { lossReported = true }
            return !lossReported
        }
        if first {
            report(
                "argus: the recording queue is full (the database has been unavailable too long); "
                    + "messages are still forwarded but some are not recorded; the count is kept in the run")
        }
    }

    /// Ends the session: everything queued is processed and written, up to
    /// `timeoutSeconds` for the database. The recorder gets as long as it needs, unless a
    /// script hook has been running for `timeoutSeconds` (one that never returns, with
    /// limits a user raised): then it is left behind, so that `argus wrap` still exits
    /// on EOF and signals. A shared writer is left running with the session's records
    /// queued; the statistics are then the writer's so far.
    @discardableResult
    public func finish(reason: EndReason, detail: String?, exitStatus: Int32?, timeoutSeconds: Double = 10)
        -> BatchedWriter.Statistics
    {
        let time = SystemClock.now()
        let losses = lossMonitor.locked { lostFrames }
        for (direction, frames) in losses where frames > 0 {
            put(.lost(direction, frames: frames, time), bytes: 0)
        }
        put(.finish(reason, detail: detail, exitStatus: exitStatus, time), bytes: 0)
        if case .own(let queue) = inbox { queue.close() }
        waitForRecorder(idleTimeoutSeconds: timeoutSeconds)
        return ownsWriter ? writer.finish(timeoutSeconds: timeoutSeconds) : writer.statistics
    }

    /// Called on the recorder's thread once it has handled the session's last event.
    func markRecorded() {
        recordedMonitor.locked {
            recorded = true
            recordedMonitor.broadcast()
        }
    }

    private func waitForRecorder(idleTimeoutSeconds: Double) {
        while !waitForRecorded(seconds: min(0.25, idleTimeoutSeconds)) {
            guard let since = hookClock.runningSince,
                Double(SystemClock.monotonicNanos() - since) / 1e9 >= idleTimeoutSeconds
            else { continue }
            let left: String
            switch inbox {
            case .own(let queue): left = queue.isEmpty ? "the last message" : "\(queue.currentBytes) bytes of messages"
            case .shared: left = "the session's last messages"
            }
            report(
                "argus: a script hook has not returned for \(String(oneDecimal: idleTimeoutSeconds)) s; exiting "
                    + "without it: \(left) and the end of the run are not recorded")
            return
        }
    }

    private func waitForRecorded(seconds: Double) -> Bool {
        let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
        return recordedMonitor.locked {
            while !recorded && SystemClock.monotonicNanos() < deadline {
                _ = recordedMonitor.wait(untilMonotonicNanos: deadline)
            }
            return recorded
        }
    }

    public var rawQueueHighWaterBytes: Int {
        switch inbox {
        case .own(let queue): queue.highWaterBytes
        case .shared(let shared): shared.queue.highWaterBytes
        }
    }
}

/// One session's recorder as the thread recording it runs it: built on that thread (which then
/// owns the session's script hooks), fed the session's events in order, and ticked every second.
final class PipelineRecorder {
    private let recorder: SessionRecorder
    private let watcher: RunRequestWatcher?
    private let writer: BatchedWriter

    init(
        config: RecorderConfig, writer: BatchedWriter, runRequests: RunRequestFeed?, startedAt: Int64,
        makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)?, hookClock: HookClock
    ) {
        let hooks = makeHooks?(writer).map { TimedHooks($0, clock: hookClock) }
        recorder = SessionRecorder(config: config, hooks: hooks) { op in writer.submit(op) }
        watcher = runRequests.map { RunRequestWatcher(feed: $0, serverName: config.serverName, startedAt: startedAt) }
        self.writer = writer
    }

    func handle(_ event: RecordingPipeline.Event) {
        switch event {
        case .start(let serverPID, let time):
            recorder.start(at: time, serverPID: serverPID)
        case .chunk(let direction, let bytes, let time):
            recorder.ingest(direction, bytes, at: time)
        case .stderr(let bytes, let time):
            bytes.withUnsafeBytes { recorder.ingestStderr($0, at: time) }
        case .lost(let direction, let frames, let time):
            recorder.lost(direction, frames: frames, at: time)
        case .fault(let fault, let answer, let time):
            // The fault row finds its messages by position: a spoilt answer is recorded before
            // it, argus's own answer after it (so the call is written knowing it was injected).
            if fault.spoiltResponse, let answer { recorder.ingest(.serverToClient, answer, at: time) }
            writer.submit(.fault(recorder.currentRun, fault))
            if !fault.spoiltResponse, let answer { recorder.ingest(.serverToClient, answer, at: time) }
        case .finish(let reason, let detail, let exitStatus, let time):
            recorder.finish(reason: reason, detail: detail, exitStatus: exitStatus, at: time)
        }
    }

    /// A recorder thread's loop: handles what is queued, in order, until the queue is closed and
    /// drained, and ticks once a second, busy or idle.
    static func consume<Element>(_ queue: BoundedQueue<Element>, tick: () -> Void, handle: (Element) -> Void) {
        var lastTick = SystemClock.monotonicNanos()
        while let events = queue.takeAll(max: 4096, deadlineMonotonicNanos: lastTick + 1_000_000_000) {
            let now = SystemClock.monotonicNanos()
            if now - lastTick >= 1_000_000_000 {
                lastTick = now
                tick()
            }
            for event in events { handle(event) }
        }
    }

    /// Once a second: runs requested by hand, and the recorder's timers (the idle timeout).
    func tick() {
        if let watcher { followRunRequests(watcher) }
        recorder.tick(at: SystemClock.now())
    }

    /// Asks the recorder for the runs requested by hand; it splits at once if no call is
    /// pending, else right after (a run is never split mid-call).
    private func followRunRequests(_ watcher: RunRequestWatcher) {
        // Until the current run is written, no request can name it: look at the next tick.
        guard let currentRun = writer.databaseID(of: recorder.currentRun) else { return }
        for request in watcher.check(currentRun: currentRun) {
            let by = request.requestedBy == "dashboard" ? "from the dashboard" : "with argus runs"
            let detail = request.runID != nil ? "ended by hand \(by)" : "a new run was started by hand \(by)"
            recorder.requestNewRun(label: request.runID != nil ? nil : request.label, detail: detail, at: SystemClock.now())
        }
    }
}

/// When the hook running now began (monotonic ns), or nil between hook calls.
final class HookClock: @unchecked Sendable {
    private let monitor = Monitor()
    private var started: UInt64?

    var runningSince: UInt64? { monitor.locked { started } }

    func run<T>(_ body: () -> T) -> T {
        monitor.locked { started = SystemClock.monotonicNanos() }
        defer { monitor.locked { started = nil } }
        return body()
    }
}

/// The script hooks, each call timed on a `HookClock`.
final class TimedHooks: RecordingHooks {
    private let inner: RecordingHooks
    private let clock: HookClock

    init(_ inner: RecordingHooks, clock: HookClock) {
        self.inner = inner
        self.clock = clock
    }

    var hasRedactors: Bool { inner.hasRedactors }

    func redact(_ call: HookCall, message: RedactableMessage, emit: (RecordOp) -> Void) -> HookVerdict {
        clock.run { inner.redact(call, message: message, emit: emit) }
    }

    func completed(_ call: HookCall, emit: (RecordOp) -> Void) {
        clock.run { inner.completed(call, emit: emit) }
    }

    func tick(at time: Timestamp, emit: (RecordOp) -> Void) {
        clock.run { inner.tick(at: time, emit: emit) }
    }
}
