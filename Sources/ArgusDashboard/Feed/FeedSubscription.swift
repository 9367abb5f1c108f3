import ArgusCore
import ArgusSystem

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
            let deadline = SystemClock.monotonicNanos() + UInt64(timeout * 1e9)
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
