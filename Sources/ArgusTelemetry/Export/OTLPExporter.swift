import ArgusCore
import ArgusSystem
import ArgusStore
import SwiftProtobuf

/// Sends recorded calls to an OTLP backend as spans and metrics, from a thread of its own.
///
///     writer thread ──consume──▶ spans queue (bounded; full: drop and count) ──▶ exporter thread ──▶ backend
///                   (after each commit)                                        (batches, retry with backoff)
///
/// `consume` runs on the recording's writer thread and never waits: it turns records into
/// spans and metric samples and queues them. The exporter thread sends a batch when it is
/// full or the schedule delay has passed, and holds a batch the backend could not take,
/// retrying with exponential backoff, while newer spans wait in the queue; past the queue's
/// size they are dropped and counted. Metrics are cumulative, so a failed metrics export
/// loses nothing: the next one carries the totals. `finish` sends what is left within a deadline.
public final class OTLPExporter: @unchecked Sendable {
    public struct Statistics: Sendable, Equatable {
        public var spansExported = 0
        public var spansDropped = 0
        public var spansRejected = 0
        public var spansQueued = 0
        public var queueHighWater = 0
        public var metricExports = 0
        public var metricExportsFailed = 0
        public var lastError: String?
        public var lastErrorAt: Int64?
    }

    let settings: TelemetrySettings
    private let encoding: OTLPEncoding
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var pipeline: TelemetryPipeline
    private var queue: [Span] = []
    private var head = 0
    private var oldestQueuedAt: UInt64 = 0
    private var stats = Statistics()
    private var finishDeadline: UInt64?
    private var thread: OSThread?
    private let status: StatusPublisher?
    private var dropReported = false

    /// - Parameters:
    ///   - statusPath: the database whose `export_status` table shows this exporter (nil: none).
    ///   - report: one line per change of state (stderr in `argus wrap`).
    public init(
        settings: TelemetrySettings, server: String, statusPath: String?, processID: Int32,
        report: @escaping @Sendable (String) -> Void
    ) {
        self.settings = settings
        self.report = report
        encoding = OTLPEncoding(
            identity: .init(serviceName: settings.serviceName, attributes: settings.resourceAttributes),
            processID: processID)
        pipeline = TelemetryPipeline(settings: settings)
        let endpoint = OTLPTransport.displayURL(settings.traces?.url ?? settings.metrics?.url ?? "")
        status = statusPath.map { StatusPublisher(path: $0, server: server, endpoint: endpoint, processID: processID) }
        thread = OSThread(name: "argus-otlp", background: true) { [self] in run() }
    }

    public var statistics: Statistics {
        monitor.locked {
            var s = stats
            s.spansQueued = queue.count - head
            return s
        }
    }

    // MARK: intake (the writer thread)

    /// Takes a committed batch of records. Never waits: a full queue drops (and counts) spans.
    public func consume(_ batch: CommittedBatch) {
        monitor.locked {
            guard finishDeadline == nil else { return }
            enqueue(pipeline.consume(batch))
        }
    }

    /// Called with the monitor held.
    private func enqueue(_ spans: [Span]) {
        guard !spans.isEmpty else { return }
        var room = settings.queueSize - (queue.count - head)
        for span in spans {
            if room <= 0 {
                stats.spansDropped += 1
                if !dropReported {
                    dropReported = true
                    let line =
                        "argus: the OTLP export queue is full (\(settings.queueSize) spans); newer spans are dropped "
                        + "until the backend takes them again (counted in argus diagnose); the MCP session is not affected"
                    report(line)
                }
                continue
            }
            if queue.count == head { oldestQueuedAt = SystemClock.monotonicNanos() }
            queue.append(span)
            room -= 1
        }
        stats.queueHighWater = max(stats.queueHighWater, queue.count - head)
        // Wake the sender for a full batch, or to start the schedule delay's clock on a first span.
        let queued = queue.count - head
        if queued >= settings.maxBatchSize || queued == spans.count { monitor.broadcast() }
    }

    /// Called with the monitor held.
    private func takeBatch() -> [Span] {
        let end = min(queue.count, head + settings.maxBatchSize)
        let batch = Array(queue[head..<end])
        head = end
        if head == queue.count {
            queue.removeAll(keepingCapacity: queue.count < 65_536)
            head = 0
        } else if head > 4096 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        } else {
            oldestQueuedAt = SystemClock.monotonicNanos()
        }
        return batch
    }

    // MARK: sending (the exporter thread)

    private var failingSince: UInt64?
    private var reportedProblem: String?

    private func run() {
        let delay = UInt64(settings.scheduleDelaySeconds * 1e9)
        let metricsInterval = UInt64(settings.metricsIntervalSeconds * 1e9)
        var pending: [Span] = []
        var attempts = 0
        var nextAttempt: UInt64 = 0
        var nextMetrics = SystemClock.monotonicNanos() + metricsInterval
        var nextStatus: UInt64 = 0

        while true {
            let (finishing, metricsDue) = monitor.locked { () -> (Bool, Bool) in
                while true {
                    let now = SystemClock.monotonicNanos()
                    if finishDeadline != nil { return (true, false) }
                    let queued = queue.count - head
                    let metricsDue = settings.metrics != nil && now >= nextMetrics
                    let sendDue =
                        pending.isEmpty
                        ? queued >= settings.maxBatchSize || (queued > 0 && now >= oldestQueuedAt + delay)
                        : now >= nextAttempt
                    if sendDue || metricsDue {
                        if pending.isEmpty && sendDue { pending = takeBatch() }
                        return (false, metricsDue)
                    }
                    var wake = settings.metrics != nil ? nextMetrics : UInt64.max
                    if !pending.isEmpty { wake = min(wake, nextAttempt) } else if queued > 0 { wake = min(wake, oldestQueuedAt + delay) }
                    wake = min(wake, now + 1_000_000_000)  // the status row is refreshed at least every few seconds
                    monitor.wait(untilMonotonicNanos: wake)
                    if SystemClock.monotonicNanos() >= nextStatus { return (false, false) }
                }
            }
            if finishing {
                flush(pending: pending)
                return
            }
            let now = SystemClock.monotonicNanos()
            if !pending.isEmpty && now >= nextAttempt {
                switch send(spans: pending, deadline: nil) {
                case .delivered:
                    pending = []
                    attempts = 0
                case .retryable:
                    attempts += 1
                    nextAttempt = SystemClock.monotonicNanos() + Self.backoffNanos(attempt: attempts)
                case .rejected:
                    pending = []
                    attempts = 0
                }
            }
            if metricsDue {
                exportMetrics(deadline: nil)
                nextMetrics = SystemClock.monotonicNanos() + metricsInterval
            }
            if SystemClock.monotonicNanos() >= nextStatus {
                publishStatus(finished: false)
                nextStatus = SystemClock.monotonicNanos() + 2_000_000_000
            }
        }
    }

    /// 0.5 s, doubling up to 10 s, with ±20% jitter so that many argus processes do not retry in step.
    static func backoffNanos(attempt: Int) -> UInt64 {
        let base = min(0.5 * Double(1 << min(attempt - 1, 10)), 10)
        return UInt64(base * Double.random(in: 0.8...1.2) * 1e9)
    }

    /// At exit: everything queued, within the deadline. A backend that does not answer gets one
    /// try, not the whole grace period: the session's end must not wait on it.
    private func flush(pending: [Span]) {
        var batch = pending
        var gaveUp = false
        while !gaveUp {
            if batch.isEmpty { batch = monitor.locked { takeBatch() } }
            if batch.isEmpty { break }
            let deadline = monitor.locked { finishDeadline } ?? 0
            if SystemClock.monotonicNanos() >= deadline { break }
            switch send(spans: batch, deadline: deadline) {
            case .delivered, .rejected: batch = []
            case .retryable: gaveUp = true
            }
        }
        if settings.metrics != nil { exportMetrics(deadline: monitor.locked { finishDeadline }) }
        let lost = monitor.locked { () -> Int in
            let left = batch.count + queue.count - head
            stats.spansDropped += left
            queue.removeAll()
            head = 0
            return left
        }
        if lost > 0 {
            report(
                "argus: \(lost) spans were not exported before exit (\(stats.lastError ?? "the backend did not answer in time")); "
                    + "the calls are in the recording")
        }
        publishStatus(finished: true)
    }

    private func remainingSeconds(_ deadline: UInt64?) -> Double {
        guard let deadline else { return settings.timeoutSeconds }
        let now = SystemClock.monotonicNanos()
        return deadline > now ? min(settings.timeoutSeconds, Double(deadline - now) / 1e9) : 0.01
    }

    private func send(spans: [Span], deadline: UInt64?) -> OTLPTransport.Outcome {
        guard let signal = settings.traces else { return .delivered }
        let outcome = post(encoding.traceRequest(spans), to: signal, deadline: deadline, what: "\(spans.count) spans")
        monitor.locked {
            switch outcome {
            case .delivered: stats.spansExported += spans.count
            case .rejected: stats.spansRejected += spans.count
            case .retryable: break
            }
        }
        return outcome
    }

    private func exportMetrics(deadline: UInt64?) {
        guard let signal = settings.metrics else { return }
        let metrics = monitor.locked { pipeline.metrics.snapshot(nowNanos: UInt64(max(SystemClock.wallMicros(), 0)) * 1000) }
        if metrics.isEmpty { return }
        let outcome = post(encoding.metricsRequest(metrics), to: signal, deadline: deadline, what: "metrics")
        monitor.locked {
            if outcome == .delivered { stats.metricExports += 1 } else { stats.metricExportsFailed += 1 }
        }
    }

    private func post(
        _ request: some SwiftProtobuf.Message, to signal: TelemetrySettings.Signal, deadline: UInt64?,
        what: String
    ) -> OTLPTransport.Outcome {
        let outcome: OTLPTransport.Outcome
        do {
            let body = try OTLPEncoding.body(request, as: signal.wireProtocol)
            outcome = OTLPTransport.post(body, to: signal, timeoutSeconds: remainingSeconds(deadline))
        } catch {
            outcome = .rejected("could not encode \(what): \(error)")
        }
        note(outcome, signal: signal, what: what)
        return outcome
    }

    /// Reports a change of state once: the first failure (and each new kind of failure), and the recovery.
    private func note(_ outcome: OTLPTransport.Outcome, signal: TelemetrySettings.Signal, what: String) {
        let url = OTLPTransport.displayURL(signal.url)
        switch outcome {
        case .delivered:
            guard let since = failingSince else { return }
            let seconds = Double(SystemClock.monotonicNanos() - since) / 1e9
            report("argus: OTLP export to \(url) works again after \(String(oneDecimal: seconds)) s")
            failingSince = nil
            reportedProblem = nil
            monitor.locked { dropReported = false }
        case .retryable(let problem), .rejected(let problem):
            if failingSince == nil { failingSince = SystemClock.monotonicNanos() }
            monitor.locked {
                stats.lastError = problem
                stats.lastErrorAt = SystemClock.wallMicros()
            }
            if reportedProblem != problem {
                reportedProblem = problem
                if case .retryable = outcome {
                    report("argus: OTLP export to \(url) failed (\(problem)); retrying in the background, the MCP session is not affected")
                } else {
                    report("argus: the OTLP backend at \(url) refused \(what) (\(problem)); they are dropped and counted")
                }
            }
        }
    }

    private func publishStatus(finished: Bool) {
        guard let status else { return }
        let snapshot = statistics
        if let problem = status.publish(snapshot, finished: finished) {
            report("argus: could not record the OTLP export status: \(problem)")
        }
    }

    /// Stops taking records and sends what is queued, for up to `timeoutSeconds`. What is still
    /// queued then is counted as dropped (and reported).
    @discardableResult
    public func finish(timeoutSeconds: Double) -> Statistics {
        let deadline = SystemClock.monotonicNanos() + UInt64(max(timeoutSeconds, 0) * 1e9)
        monitor.locked {
            if finishDeadline == nil { finishDeadline = deadline }
            monitor.broadcast()
        }
        // A request in flight ends by its own timeout, capped at the deadline; a little slack on top.
        _ = thread?.join(timeoutSeconds: max(timeoutSeconds, 0) + 2)
        return statistics
    }
}

/// Writes the exporter's row in `export_status`, skipping writes that would change nothing.
final class StatusPublisher {
    private let writer: ExportStatusWriter
    private var row: ExportStatusRecord
    private var lastWritten: ExportStatusRecord?
    private var reported = false

    init(path: String, server: String, endpoint: String, processID: Int32) {
        writer = ExportStatusWriter(location: path)
        let now = SystemClock.wallMicros()
        row = ExportStatusRecord(
            exporter: "otlp", argusPID: Int64(processID), server: server, endpoint: endpoint,
            startedAt: now, updatedAt: now)
    }

    /// Nil, or the first problem writing (reported once).
    func publish(_ stats: OTLPExporter.Statistics, finished: Bool) -> String? {
        row.spansExported = Int64(stats.spansExported)
        row.spansDropped = Int64(stats.spansDropped)
        row.spansRejected = Int64(stats.spansRejected)
        row.spansQueued = Int64(stats.spansQueued)
        row.metricExports = Int64(stats.metricExports)
        row.metricExportsFailed = Int64(stats.metricExportsFailed)
        row.lastError = stats.lastError
        row.lastErrorAt = stats.lastErrorAt
        row.finished = finished
        var comparable = row
        comparable.updatedAt = lastWritten?.updatedAt ?? 0
        if comparable == lastWritten { return nil }
        row.updatedAt = SystemClock.wallMicros()
        let problem = writer.write(row)
        if problem == nil {
            lastWritten = row
            return nil
        }
        defer { reported = true }
        return reported ? nil : problem
    }
}
