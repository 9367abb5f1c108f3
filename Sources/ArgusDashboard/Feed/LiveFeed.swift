import ArgusCore
import ArgusStore
import ArgusSystem
import Foundation

/// Notices what any `argus wrap` process writes to the database, without being
/// told: the store's data version (SQLite's `PRAGMA data_version`) changes whenever
/// another connection commits, so a 50 ms poll of it costs nothing when idle (5 ms
/// for half a second after a change). On a change it reads `feed_changes` from where
/// it stopped — numbered in commit order by triggers, so nothing committed is skipped,
/// whichever process wrote it and in whatever id order — and pushes the events to
/// every SSE subscriber. `POST /api/notify` (and `wrap --api`) only make it look now.
final class LiveFeed: @unchecked Sendable {
    let pollInterval: Double
    static let windowSize = 1000
    private let databasePath: String
    private let monitor = Monitor()
    private var subscribers: [ObjectIdentifier: FeedSubscription] = [:]
    private var stopped = false
    private var nudged = false
    /// The last change read and published.
    private var position: Int64 = 0
    private var newestCall: Int64 = 0
    private(set) var eventsSent = 0
    private(set) var polls = 0
    private var notifications = 0
    private var lastChangeAt: Int64?
    private let onCalls: @Sendable ([CallRecord]) -> Void
    private let onDeleted: @Sendable () -> Void

    init(
        databasePath: String, pollInterval: Double = 0.05, onCalls: @escaping @Sendable ([CallRecord]) -> Void,
        onDeleted: @escaping @Sendable () -> Void = {}
    ) {
        self.databasePath = databasePath
        self.pollInterval = pollInterval
        self.onCalls = onCalls
        self.onDeleted = onDeleted
    }

    /// The last change published: the id of the newest event.
    var lastEventID: Int64 { monitor.locked { position } }
    /// The newest call id seen.
    var lastCallID: Int64 { monitor.locked { newestCall } }
    var subscriberCount: Int { monitor.locked { subscribers.count } }

    func start() throws {
        let reader = try ArgusDatabase.reader(path: databasePath)
        let (range, calls) = try reader.snapshot { (try reader.feedRange(), try reader.newestCallID()) }
        monitor.locked {
            position = range.newest
            newestCall = calls
        }
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

    /// Look now (after a replay or a delete; `external` for POST /api/notify, which is counted).
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

    var statusJSON: JSONValue {
        monitor.locked {
            [
                "clients": .int(subscribers.count), "last_event_id": .number(String(position)),
                "poll_interval_ms": .int(Int(pollInterval * 1000)), "polls": .int(polls), "events_sent": .int(eventsSent),
                "notifications": .int(notifications),
                "last_change_at": lastChangeAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null,
            ]
        }
    }

    // MARK: polling

    private func run(_ reader: any ArgusReader) {
        var lastVersion: Int64 = -1
        var lastChange: UInt64 = 0
        while true {
            // A proxy commits a request and its response in separate batches: right after a
            // change, look again soon, so the call that completes it is not a full interval late.
            let busy = SystemClock.monotonicNanos() - lastChange < 500_000_000
            let interval = busy ? min(pollInterval, 0.005) : pollInterval
            let (proceed, wasNudged) = monitor.locked { () -> (Bool, Bool) in
                if !nudged && !stopped { monitor.wait(untilMonotonicNanos: SystemClock.monotonicNanos() + UInt64(interval * 1e9)) }
                let wasNudged = nudged
                nudged = false
                polls += 1
                return (!stopped, wasNudged)
            }
            guard proceed else { return }
            do {
                let version = try reader.dataVersion()
                if version == lastVersion && !wasNudged { continue }
                lastVersion = version
                lastChange = SystemClock.monotonicNanos()
                try drain(reader)
            } catch {
                // A busy or briefly unreadable database: the next poll tries again from the same position.
                lastVersion = -1
            }
        }
    }

    /// Publishes every change after the position, a window at a time.
    private func drain(_ reader: any ArgusReader) throws {
        while true {
            let window = try FeedWindow.read(after: lastEventID, limit: Self.windowSize, from: reader)
            if !window.calls.isEmpty { onCalls(window.calls) }
            // SQLite gives new calls the ids of deleted newest ones: after a delete, the newest id is looked up again.
            let newest = window.deleted ? try reader.newestCallID() : nil
            if window.deleted { onDeleted() }
            monitor.locked {
                position = window.through
                newestCall = max(newest ?? newestCall, window.calls.last?.id ?? 0)
                if !window.events.isEmpty { lastChangeAt = SystemClock.wallMicros() }
            }
            if !window.events.isEmpty { publish(window.events) }
            if window.complete { return }
        }
    }

    private func publish(_ events: [FeedEvent]) {
        let targets = monitor.locked { () -> [FeedSubscription] in
            eventsSent += events.count
            return Array(subscribers.values)
        }
        for subscription in targets { subscription.push(events) }
    }
}
