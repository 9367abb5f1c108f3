import ArgusCore
import ArgusStore
import Foundation

/// One server-sent event. `id` is the newest call id known when it was sent,
/// so a client that reconnects with `Last-Event-ID` gets the calls it missed.
struct FeedEvent: Sendable {
    var name: String
    var id: Int64
    var data: JSONValue

    var wire: [UInt8] {
        Array("id: \(id)\nevent: \(name)\ndata: \(JSONWriter.string(data))\n\n".utf8)
    }
}

/// A subscriber's queue of events. A subscriber that falls too far behind is
/// closed: its client reconnects with `Last-Event-ID` and catches up from the database.
final class FeedSubscription: @unchecked Sendable {
    private let monitor = Monitor()
    private var events: [FeedEvent] = []
    private var closed = false
    static let capacity = 5000

    func push(_ batch: [FeedEvent]) {
        monitor.locked {
            guard !closed else { return }
            events.append(contentsOf: batch)
            if events.count > Self.capacity { closed = true }
            monitor.broadcast()
        }
    }

    /// Waits up to `timeout` for events; nil once closed.
    func next(timeout: Double) -> [FeedEvent]? {
        monitor.locked {
            let deadline = Clock.monotonicNanos() + UInt64(timeout * 1e9)
            while events.isEmpty && !closed {
                if !monitor.wait(untilMonotonicNanos: deadline) { break }
            }
            if closed { return nil }
            defer { events.removeAll() }
            return events
        }
    }

    func close() {
        monitor.locked {
            closed = true
            monitor.broadcast()
        }
    }
}

/// Notices what any `argus wrap` process writes to the database, without being
/// told: `PRAGMA data_version` changes whenever another connection commits, so
/// a 50 ms poll of it costs nothing when idle (5 ms for half a second after a change). On a change it reads the new
/// calls, changed runs, new alerts and script updates, and pushes them to every
/// SSE subscriber. `POST /api/notify` (and `wrap --api`) only make it look now.
final class LiveFeed: @unchecked Sendable {
    let pollInterval: Double
    private let databasePath: String
    private let monitor = Monitor()
    private var subscribers: [ObjectIdentifier: FeedSubscription] = [:]
    private var stopped = false
    private var nudged = false
    private var callHighWater: Int64 = 0
    private var outputHighWater: Int64 = 0
    /// Runs still open at the last look, and a fingerprint of each, to report changes.
    private var watchedRuns: [Int64: String] = [:]
    private var runHighWater: Int64 = 0
    private var scriptsFingerprint = ""
    private(set) var eventsSent = 0
    private(set) var polls = 0
    private var notifications = 0
    private var lastChangeAt: Int64?
    private let onCalls: @Sendable ([CallSummary]) -> Void

    init(databasePath: String, pollInterval: Double = 0.05, onCalls: @escaping @Sendable ([CallSummary]) -> Void) {
        self.databasePath = databasePath
        self.pollInterval = pollInterval
        self.onCalls = onCalls
    }

    var lastEventID: Int64 { monitor.locked { callHighWater } }
    var subscriberCount: Int { monitor.locked { subscribers.count } }

    func start() throws {
        let reader = try ArgusReader(path: databasePath)
        try prime(reader)
        nonisolated(unsafe) let owned = reader  // used by the feed thread only from here on
        OSThread(name: "dashboard-feed") { [self] in run(owned) }
    }

    func stop() {
        let open = monitor.locked { () -> [FeedSubscription] in
            stopped = true
            monitor.broadcast()
            return Array(subscribers.values)
        }
        for subscription in open { subscription.close() }
    }

    /// Look now (after a replay; `external` for POST /api/notify, which is counted).
    func nudge(external: Bool = false) {
        monitor.locked {
            nudged = true
            if external { notifications += 1 }
            monitor.broadcast()
        }
    }

    func subscribe() -> FeedSubscription {
        let subscription = FeedSubscription()
        monitor.locked { subscribers[ObjectIdentifier(subscription)] = subscription }
        return subscription
    }

    func unsubscribe(_ subscription: FeedSubscription) {
        subscription.close()
        _ = monitor.locked { subscribers.removeValue(forKey: ObjectIdentifier(subscription)) }
    }

    /// Tells every subscriber to reload after calls were deleted, and looks for new
    /// calls from `newestCall` on (ids of deleted newest rows are used again).
    func broadcastReset(reason: String, newestCall: Int64) {
        monitor.locked { callHighWater = min(callHighWater, newestCall) }
        publish([FeedEvent(name: "reset", id: newestCall, data: ["reason": .string(reason)])])
    }

    var statusJSON: JSONValue {
        monitor.locked {
            ["clients": .int(subscribers.count), "last_event_id": .number(String(callHighWater)),
             "poll_interval_ms": .int(Int(pollInterval * 1000)), "polls": .int(polls), "events_sent": .int(eventsSent),
             "notifications": .int(notifications),
             "last_change_at": lastChangeAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null]
        }
    }

    // MARK: polling

    private func prime(_ reader: ArgusReader) throws {
        let calls = try reader.db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM calls") ?? 0
        let outputs = try reader.db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM script_outputs") ?? 0
        let runs = try reader.db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM runs") ?? 0
        var open: [Int64: String] = [:]
        for run in try reader.openRuns() {
            open[run.id] = Self.fingerprint(run)
        }
        let scripts = try scriptsFingerprint(reader)
        monitor.locked {
            callHighWater = calls
            outputHighWater = outputs
            runHighWater = runs
            watchedRuns = open
            scriptsFingerprint = scripts
        }
    }

    private func run(_ reader: ArgusReader) {
        var lastVersion: Int64 = -1
        var lastChange: UInt64 = 0
        while true {
            // A proxy commits a request and its response in separate batches: right after a
            // change, look again soon, so the call that completes it is not a full interval late.
            let busy = Clock.monotonicNanos() - lastChange < 500_000_000
            let interval = busy ? min(pollInterval, 0.005) : pollInterval
            let proceed = monitor.locked { () -> Bool in
                if !nudged && !stopped { monitor.wait(untilMonotonicNanos: Clock.monotonicNanos() + UInt64(interval * 1e9)) }
                nudged = false
                polls += 1
                return !stopped
            }
            guard proceed else { return }
            do {
                let version = try reader.db.scalarInt("PRAGMA data_version") ?? 0
                if version == lastVersion { continue }
                lastVersion = version
                lastChange = Clock.monotonicNanos()
                try collect(reader)
            } catch {
                // A busy or briefly unreadable database: the next poll tries again.
                lastVersion = -1
            }
        }
    }

    private func collect(_ reader: ArgusReader) throws {
        var events: [FeedEvent] = []
        let (calls0, outputs0, runs0, watched) = monitor.locked { (callHighWater, outputHighWater, runHighWater, watchedRuns) }

        var newCalls: [CallSummary] = []
        var after = calls0
        while true {
            var filter = CallFilter()
            filter.afterID = after
            filter.limit = 1000
            let page = try reader.calls(filter)
            newCalls += page
            guard let last = page.last, page.count == 1000 else { break }
            after = last.id
        }
        let callTop = newCalls.last?.id ?? calls0
        if !newCalls.isEmpty { onCalls(newCalls) }
        if newCalls.count > FeedSubscription.capacity / 2 {
            events.append(FeedEvent(name: "reset", id: callTop, data: ["reason": "many new calls at once"]))
        } else {
            events += newCalls.map { FeedEvent(name: "call", id: $0.id, data: $0.json) }
        }

        // Runs: new ones, and changes to the ones that were open.
        var stillOpen: [Int64: String] = [:]
        var runTop = runs0
        for run in try reader.runs(afterID: runs0, including: Array(watched.keys)) {
            runTop = max(runTop, run.id)
            let fingerprint = Self.fingerprint(run)
            if watched[run.id] != fingerprint { events.append(FeedEvent(name: "run", id: callTop, data: run.json)) }
            if run.endedAt == nil { stillOpen[run.id] = fingerprint }
        }

        var outputTop = outputs0
        var metricsChanged = false
        while true {  // oldest first, a page at a time: a burst of metrics must not hide an alert
            let page = try reader.scriptOutputs(kind: nil, limit: 1000, afterID: outputTop).reversed()
            for output in page {
                outputTop = max(outputTop, output.id)
                switch output.kind {
                case "alert": events.append(FeedEvent(name: "alert", id: callTop, data: output.json))
                case "metric": metricsChanged = true
                default: events.append(FeedEvent(name: "script_output", id: callTop, data: output.json))
                }
            }
            if page.count < 1000 { break }
        }
        if metricsChanged { events.append(FeedEvent(name: "metrics", id: callTop, data: [:])) }
        let scripts = try scriptsFingerprint(reader)

        let scriptsChanged = monitor.locked { () -> Bool in
            if callHighWater == calls0 { callHighWater = callTop }  // unless a delete moved it meanwhile
            outputHighWater = outputTop
            runHighWater = runTop
            watchedRuns = stillOpen
            defer { scriptsFingerprint = scripts }
            return scripts != scriptsFingerprint
        }
        if scriptsChanged { events.append(FeedEvent(name: "scripts", id: callTop, data: [:])) }
        if !events.isEmpty {
            monitor.locked { lastChangeAt = Clock.wallMicros() }
            publish(events)
        }
    }

    private func publish(_ events: [FeedEvent]) {
        let targets = monitor.locked { () -> [FeedSubscription] in
            eventsSent += events.count
            return Array(subscribers.values)
        }
        for subscription in targets { subscription.push(events) }
    }

    private func scriptsFingerprint(_ reader: ArgusReader) throws -> String {
        let row = try reader.db.query("SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(error_count), 0) FROM script_status").first
        return "\(row?.int(0) ?? 0)/\(row?.int(1) ?? 0)/\(row?.int(2) ?? 0)"
    }

    static func fingerprint(_ run: RunSummary) -> String {
        "\(run.endedAt ?? 0)/\(run.callCount)/\(run.errorCount)/\(run.messageCount)/\(run.clientName ?? "")/\(run.serverInfoName ?? "")/\(run.protocolVersion ?? "")"
    }
}
